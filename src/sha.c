/* SPDX-License-Identifier: MIT */
/*
 * sha256 and digest strings. On a CPU with the SHA extensions every
 * context keeps its state here and compresses with sha_ni.c (hand-written
 * because OpenSSL cannot hash two streams in one pass: ocifs_sha_update2),
 * as fast as OpenSSL for one stream and without its first-use setup;
 * elsewhere, or with OCIFS_SHA_NI=0, contexts are OpenSSL EVP ones (which
 * use AVX2 and the like where the CPU has them).
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "log.h"
#include "sha.h"
#include "sha_ni.h"
#include "src.h"

/* The state of a pairable context on the SHA extensions. */
struct sha_own {
	uint32_t h[8];
	uint64_t n;                     /* bytes taken */
	unsigned char buf[64];          /* the first n % 64 are pending */
};

static int sha_new_evp(struct ocifs_sha **out);

struct ocifs_sha {
	EVP_MD_CTX *ctx;                /* NULL: own is used */
	struct sha_own own;
};

static const uint32_t sha_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static void own_init(struct sha_own *o)
{
	memcpy(o->h, sha_h0, sizeof(o->h));
	o->n = 0;
}

/* Top up the pending block from p; 1 when it is full (and compressed
 * unless defer). Returns the bytes taken in *k. */
static int own_fill(struct sha_own *o, const unsigned char *p, size_t n, size_t *k, int defer)
{
	size_t r = (size_t)(o->n % 64);

	*k = 0;
	if (!r)
		return 0;
	*k = 64 - r < n ? 64 - r : n;
	memcpy(o->buf + r, p, *k);
	o->n += *k;
	if (r + *k < 64)
		return 0;
	if (!defer)
		ocifs_sha_ni_blocks(o->h, o->buf, 1);
	return 1;
}

static void own_update(struct sha_own *o, const unsigned char *p, size_t n)
{
	size_t k;

	own_fill(o, p, n, &k, 0);
	p += k;
	n -= k;
	if (n >= 64) {
		ocifs_sha_ni_blocks(o->h, p, n / 64);
		o->n += n - n % 64;
		p += n - n % 64;
		n %= 64;
	}
	memcpy(o->buf, p, n);
	o->n += n;
}

static void own_final(struct sha_own *o, unsigned char out[OCIFS_SHA256_LEN])
{
	unsigned char pad[72] = { 0x80 };
	uint64_t bits = o->n * 8;
	size_t r = (size_t)(o->n % 64), padn = (r < 56 ? 56 : 120) - r;

	for (int i = 0; i < 8; i++)
		pad[padn + i] = (unsigned char)(bits >> (56 - 8 * i));
	own_update(o, pad, padn + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(o->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(o->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(o->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)o->h[i];
	}
	own_init(o);
}

int ocifs_sha_pairs(void)
{
	static int avail = -1; /* racy but idempotent */

	if (avail < 0) { /* OCIFS_SHA_NI=0: EVP only (tests, comparisons) */
		const char *e = getenv("OCIFS_SHA_NI");
		avail = e && strcmp(e, "0") == 0 ? 0 : ocifs_sha_ni_available();
	}
	return avail;
}

int ocifs_sha_new_pairable(struct ocifs_sha **out)
{
	struct ocifs_sha *h;

	if (!ocifs_sha_pairs())
		return sha_new_evp(out);
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	own_init(&h->own);
	*out = h;
	return 0;
}

/* update2, and c (when it can: pairable, at a block boundary) takes whole
 * blocks of cq[0..cn) beside as many whole blocks of p; the bytes of cq
 * taken. */
static size_t update2_ride(struct ocifs_sha *a, struct ocifs_sha *b, const void *p, size_t n,
			   struct ocifs_sha *c, const unsigned char *cq, size_t cn)
{
	const unsigned char *q = p;
	size_t ka, kb, taken = 0;

	if (a->ctx || b->ctx || a->own.n % 64 != b->own.n % 64) {
		ocifs_sha_update(a, p, n);
		ocifs_sha_update(b, p, n);
		return 0;
	}
	/* the same offset in a block: top up both pending blocks (the same
	 * bytes when both streams took the same ones, as they usually did) */
	int fa = own_fill(&a->own, q, n, &ka, 1), fb = own_fill(&b->own, q, n, &kb, 1);
	if (fa && fb && memcmp(a->own.buf, b->own.buf, 64) == 0) {
		ocifs_sha_ni_blocks2(a->own.h, b->own.h, a->own.buf, 1);
	} else {
		if (fa)
			ocifs_sha_ni_blocks(a->own.h, a->own.buf, 1);
		if (fb)
			ocifs_sha_ni_blocks(b->own.h, b->own.buf, 1);
	}
	q += ka;
	n -= ka;
	if (n >= 64) {
		size_t whole = n - n % 64, m = 0;

		if (c && !c->ctx && c->own.n % 64 == 0)
			m = whole / 64 < cn / 64 ? whole / 64 : cn / 64;
		if (m) {
			ocifs_sha_ni_blocks3(a->own.h, b->own.h, q, c->own.h, cq, m);
			c->own.n += 64 * m;
			taken = 64 * m;
		}
		if (whole / 64 > m)
			ocifs_sha_ni_blocks2(a->own.h, b->own.h, q + 64 * m, whole / 64 - m);
		a->own.n += whole;
		b->own.n += whole;
		q += whole;
		n %= 64;
	}
	memcpy(a->own.buf, q, n);
	memcpy(b->own.buf, q, n);
	a->own.n += n;
	b->own.n += n;
	return taken;
}

void ocifs_sha_update2(struct ocifs_sha *a, struct ocifs_sha *b, const void *p, size_t n)
{
	update2_ride(a, b, p, n, NULL, NULL, 0);
}

size_t ocifs_sha_update2_ride(struct ocifs_sha *a, struct ocifs_sha *b, const void *p, size_t n,
			      struct ocifs_sha *c, const void *cq, size_t cn)
{
	return update2_ride(a, b, p, n, c, cq, cn);
}

/* With the SHA extensions every context is sha_ni.c's (as fast as
 * OpenSSL's here): a command that hashes only that way never pays
 * OpenSSL's first-digest setup (its provider and algorithm tables, ~5 M
 * instructions, a third of a warm mount). */
static int sha_new_evp(struct ocifs_sha **out)
{
	struct ocifs_sha *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

int ocifs_sha_new(struct ocifs_sha **out)
{
	return ocifs_sha_pairs() ? ocifs_sha_new_pairable(out) : sha_new_evp(out);
}

void ocifs_sha_update(struct ocifs_sha *h, const void *p, size_t n)
{
	if (!n)
		return;
	if (h->ctx)
		EVP_DigestUpdate(h->ctx, p, n);
	else
		own_update(&h->own, p, n);
}

void ocifs_sha_final(struct ocifs_sha *h, unsigned char out[OCIFS_SHA256_LEN])
{
	unsigned int len = OCIFS_SHA256_LEN;

	if (!h->ctx) {
		own_final(&h->own, out);
		return;
	}
	EVP_DigestFinal_ex(h->ctx, out, &len);
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void ocifs_sha_free(struct ocifs_sha *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int ocifs_sha256(const void *p, size_t n, unsigned char out[OCIFS_SHA256_LEN])
{
	unsigned int len = OCIFS_SHA256_LEN;

	if (ocifs_sha_pairs()) {
		struct sha_own o;

		own_init(&o);
		own_update(&o, p, n);
		own_final(&o, out);
		return 0;
	}
	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) ? 0 : -ENOMEM;
}

void ocifs_digest_format(const unsigned char d[OCIFS_SHA256_LEN], char *buf)
{
	memcpy(buf, "sha256:", 7);
	ocifs_hex_encode(buf + 7, d, OCIFS_SHA256_LEN);
	buf[OCIFS_DIGEST_STRLEN] = '\0';
}

int ocifs_digest_parse(const char *s, unsigned char out[OCIFS_SHA256_LEN])
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != OCIFS_DIGEST_STRLEN)
		return -EINVAL;
	for (int i = 0; i < OCIFS_SHA256_LEN; i++) {
		int hi = ocifs_hex_val_lower(s[7 + 2 * i]), lo = ocifs_hex_val_lower(s[8 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int ocifs_digest_valid(const char *s)
{
	unsigned char d[OCIFS_SHA256_LEN];

	return ocifs_digest_parse(s, d) == 0;
}

int ocifs_sha256_src(struct ocifs_src *s, void (*progress)(void *ctx, uint64_t done),
		     void *ctx, char out[OCIFS_DIGEST_STRLEN + 1])
{
	struct ocifs_sha *h;
	unsigned char *buf, d[OCIFS_SHA256_LEN];
	uint64_t off = 0;
	size_t got;
	int rc = ocifs_sha_new(&h);

	if (rc)
		return rc;
	buf = malloc(1 << 20);
	if (!buf) {
		ocifs_sha_free(h);
		return -ENOMEM;
	}
	ocifs_src_advise_whole(s, 1);
	do {
		rc = ocifs_src_pread(s, buf, 1 << 20, off, &got);
		if (rc)
			break;
		ocifs_sha_update(h, buf, got);
		off += got;
		if (progress && (off & ((16u << 20) - 1)) == 0)
			progress(ctx, off);
	} while (got);
	ocifs_src_advise_whole(s, 0);
	if (!rc) {
		ocifs_sha_final(h, d);
		ocifs_digest_format(d, out);
	} else {
		log_err("%s: %s", s->name, strerror(-rc));
	}
	free(buf);
	ocifs_sha_free(h);
	return rc;
}
