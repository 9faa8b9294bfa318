/* SPDX-License-Identifier: MIT */
/* sha256 and digest strings: known answers and hostile digest strings.
 * Contexts and the one-shot (sha_ni.c on CPUs with the SHA extensions)
 * against OpenSSL's one-shot EVP digest: every length around the block and padding
 * boundaries, random splits of the input, and ocifs_sha_update2 on two
 * contexts at the same offset in a block (with the same and with
 * different pending bytes) and at different offsets; and
 * ocifs_sha_update2_ride: a third context riding along on another
 * stream, fed in pieces of its own, at and off a block boundary. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

#include "sha.h"
#include "tap.h"

/* The oracle: OpenSSL's one-shot digest (ocifs_sha256 itself is sha_ni.c
 * on a CPU with the SHA extensions). */
static void evp256(const void *p, size_t n, unsigned char out[OCIFS_SHA256_LEN])
{
	unsigned int len = OCIFS_SHA256_LEN;

	if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
		abort();
}

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Feed p[0..n) to h in random pieces (update2 with `with` when set). */
static void feed(struct ocifs_sha *h, struct ocifs_sha *with, const unsigned char *p, size_t n)
{
	while (n) {
		size_t k = 1 + (size_t)(rng() % (rng() & 1 ? 100 : 5000));
		if (k > n)
			k = n;
		if (with)
			ocifs_sha_update2(h, with, p, k);
		else
			ocifs_sha_update(h, p, k);
		p += k;
		n -= k;
	}
}

static void pairable(void)
{
	size_t len = 300000;
	unsigned char *m = malloc(len), want[OCIFS_SHA256_LEN], got[OCIFS_SHA256_LEN],
		      got2[OCIFS_SHA256_LEN];
	struct ocifs_sha *a = NULL, *b = NULL;
	int bad = 0;

	diag("pairable contexts %s", ocifs_sha_pairs() ? "on the SHA extensions" : "are EVP's");
	for (size_t i = 0; i < len; i++)
		m[i] = (unsigned char)(rng() >> 32);
	ok(ocifs_sha_new_pairable(&a) == 0 && ocifs_sha_new_pairable(&b) == 0,
	   "two pairable contexts");
	for (size_t n = 0; n <= 200 && a; n++) { /* lengths around 55, 56, 64, 119, 120, 128 */
		evp256(m, n, want);
		ocifs_sha_update(a, m, n);
		ocifs_sha_final(a, got);
		bad += memcmp(want, got, sizeof(want)) != 0;
	}
	is_int(bad, 0, "pairable: every length 0..200 in one update equals EVP's digest");
	bad = 0;
	for (int t = 0; t < 20 && a; t++) {
		size_t n = (size_t)(rng() % len);
		evp256(m, n, want);
		feed(a, NULL, m, n);
		ocifs_sha_final(a, got);
		bad += memcmp(want, got, sizeof(want)) != 0;
	}
	is_int(bad, 0, "pairable: 20 random lengths in random pieces equal EVP's digest");
	bad = 0;
	for (size_t n = 0; n <= len; n = n < 200 ? n + 1 : n * 3 + 7) {
		evp256(m, n, want);
		ocifs_sha256(m, n, got);
		bad += memcmp(want, got, sizeof(want)) != 0;
	}
	is_int(bad, 0, "the one-shot ocifs_sha256: lengths 0..200 and up to 300000 equal EVP's digest");
	/* update2 from the start: both at offset 0 */
	bad = 0;
	for (int t = 0; t < 20 && a && b; t++) {
		size_t n = (size_t)(rng() % len);
		evp256(m, n, want);
		feed(a, b, m, n);
		ocifs_sha_final(a, got);
		ocifs_sha_final(b, got2);
		bad += memcmp(want, got, sizeof(want)) != 0 || memcmp(want, got2, sizeof(want)) != 0;
	}
	is_int(bad, 0, "update2: both contexts get the digest of the bytes fed to both");
	/* a stream (a) that took a header before the shared bytes, as the
	 * diff_id does, and a file hash (b) that starts on a block boundary */
	bad = 0;
	for (int t = 0; t < 20 && a && b; t++) {
		size_t hdr = 64 * (size_t)(1 + rng() % 20), n = (size_t)(rng() % (len - hdr));
		unsigned char wb[OCIFS_SHA256_LEN];
		evp256(m, hdr + n, want);
		evp256(m + hdr, n, wb);
		feed(a, NULL, m, hdr);
		feed(a, b, m + hdr, n);
		ocifs_sha_final(a, got);
		ocifs_sha_final(b, got2);
		bad += memcmp(want, got, sizeof(want)) != 0 || memcmp(wb, got2, sizeof(wb)) != 0;
	}
	is_int(bad, 0, "update2: a stream and a file starting on a block boundary in it");
	/* the same offset in a block but different pending bytes, and
	 * different offsets: still right (two plain updates where needed) */
	bad = 0;
	for (int t = 0; t < 40 && a && b; t++) {
		size_t pa = (size_t)(rng() % 200), pb = t & 1 ? pa : (size_t)(rng() % 200);
		size_t n = (size_t)(rng() % 100000);
		unsigned char *x = malloc(pa + n), *y = malloc(pb + n), wa[32], wb[32];
		for (size_t i = 0; i < pa; i++)
			x[i] = (unsigned char)rng();
		for (size_t i = 0; i < pb; i++)
			y[i] = (unsigned char)rng();
		memcpy(x + pa, m, n);
		memcpy(y + pb, m, n);
		evp256(x, pa + n, wa);
		evp256(y, pb + n, wb);
		ocifs_sha_update(a, x, pa);
		ocifs_sha_update(b, y, pb);
		feed(a, b, m, n);
		ocifs_sha_final(a, got);
		ocifs_sha_final(b, got2);
		bad += memcmp(wa, got, 32) != 0 || memcmp(wb, got2, 32) != 0;
		free(x);
		free(y);
	}
	is_int(bad, 0, "update2: different pending bytes or offsets give each its own digest");
	ocifs_sha_free(a);
	ocifs_sha_free(b);
	free(m);
}

/* a and b take a stream of random pieces with update2_ride, c riding on
 * another stream given in pieces of its own; what c does not take goes
 * in by a plain update, sometimes a few odd bytes (off a block boundary:
 * then it cannot ride until it is back on one). */
static void ride(void)
{
	size_t len = 400000, clen = 150000;
	unsigned char *m = malloc(len), *cm = malloc(clen), want[32], wc[32], ga[32], gb[32], gc[32];
	struct ocifs_sha *a = NULL, *b = NULL, *c = NULL;
	int bad = 0;
	size_t rode = 0;

	for (size_t i = 0; i < len; i++)
		m[i] = (unsigned char)(rng() >> 32);
	for (size_t i = 0; i < clen; i++)
		cm[i] = (unsigned char)(rng() >> 40);
	ok(ocifs_sha_new_pairable(&a) == 0 && ocifs_sha_new_pairable(&b) == 0 &&
	   ocifs_sha_new_pairable(&c) == 0, "three pairable contexts");
	for (int t = 0; t < 30 && a && b && c; t++) {
		size_t n = (size_t)(rng() % len), cn = (size_t)(rng() % clen), at = 0, cat = 0;
		evp256(m, n, want);
		evp256(cm, cn, wc);
		while (at < n) {
			size_t k = 1 + (size_t)(rng() % (rng() & 1 ? 100 : 20000));
			size_t avail = cn - cat, give = (size_t)(rng() % 3000);
			k = k > n - at ? n - at : k;
			give = give > avail ? avail : give;
			size_t took = ocifs_sha_update2_ride(a, b, m + at, k, c, cm + cat, give);
			bad += took > give || took % 64 != 0;
			cat += took;
			rode += took;
			at += k;
			if (cat < cn && (rng() & 3) == 0) { /* a few bytes alone */
				size_t odd = 1 + (size_t)(rng() % 100);
				odd = odd > cn - cat ? cn - cat : odd;
				ocifs_sha_update(c, cm + cat, odd);
				cat += odd;
			}
		}
		ocifs_sha_update(c, cm + cat, cn - cat);
		ocifs_sha_final(a, ga);
		ocifs_sha_final(b, gb);
		ocifs_sha_final(c, gc);
		bad += memcmp(want, ga, 32) != 0 || memcmp(want, gb, 32) != 0 ||
		       memcmp(wc, gc, 32) != 0;
	}
	is_int(bad, 0, "update2_ride: the pair's digests and the rider's are EVP's");
	if (ocifs_sha_pairs())
		ok(rode > 0, "  the rider took blocks in the pair's pass (%zu bytes)", rode);
	else
		is_int(rode, 0, "  without the SHA extensions nothing rides");
	ocifs_sha_free(a);
	ocifs_sha_free(b);
	ocifs_sha_free(c);
	free(m);
	free(cm);
}

int main(void)
{
	unsigned char d[OCIFS_SHA256_LEN];
	char s[OCIFS_DIGEST_STRLEN + 1];
	struct ocifs_sha *h;

	ocifs_sha256("abc", 3, d);
	ocifs_digest_format(d, s);
	is_str(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256(abc)");
	ok(ocifs_sha_new(&h) == 0, "streaming context");
	ocifs_sha_update(h, "a", 1);
	ocifs_sha_update(h, "bc", 2);
	ocifs_sha_final(h, d);
	ocifs_digest_format(d, s);
	is_str(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "streaming sha256(abc)");
	ocifs_sha_final(h, d); /* reset: hash of nothing */
	ocifs_digest_format(d, s);
	is_str(s, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "context resets after final");
	ocifs_sha_free(h);

	static const struct {
		const char *s;
		int valid;
	} cases[] = {
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 1 },
		{ "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", 0 },
		{ "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
		{ "sha256:../../../../etc/passwd", 0 },
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/", 0 },
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0", 0 },
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(ocifs_digest_valid(cases[i].s), cases[i].valid, "digest \"%s\"", cases[i].s);
	ok(ocifs_digest_parse(NULL, d) < 0, "NULL digest rejected");
	pairable();
	ride();
	return done_testing();
}
