/* SPDX-License-Identifier: MIT */
/*
 * gzidx: the index pass and cursors over blobs made by real tools (gzip -1
 * and -9, pigz, pigz -i, concatenated members with zero padding, empty
 * input). Checks that every compressed byte reaches on_input once and in
 * order, that the output and thousands of random reads match the source,
 * that a fresh read decodes at most about a span before its range, that
 * damaged input fails with -EIO / -EBADMSG rather than crashing, and that
 * a window failing its sum (a cached outer record's) costs a restart from
 * an earlier checkpoint, not the read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hashtab.h"
#include "log.h"
#include "sha.h"
#include "src.h"
#include "tap.h"
#include "zio.h"

#define KiB 1024u
#define MiB (1024u * 1024u)
#define DATA_SIZE (24 * MiB)
#define SLACK (64 * KiB)

/* CPU seconds: the machine running the tests may be busy. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char dir[400];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* splitmix64: deterministic across runs and platforms */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Log-uniform length in [1, max]. */
static size_t rnd_len(size_t max)
{
	unsigned bits = (unsigned)(rnd() % 21);
	size_t n = 1 + (size_t)(rnd() % ((size_t)1 << bits));

	return n > max ? max : n;
}

/* Text-like runs (skewed words from a vocabulary), random runs and short
 * repeats, mixed in chunks of up to 512 KiB. */
static unsigned char *gen_data(size_t n)
{
	static const char letters[] = "etaoinshrdlucmfwypvbgkqjxz";
	char vocab[1000][12];
	unsigned char *d = malloc(n);
	size_t pos = 0;

	if (!d)
		return NULL;
	for (int i = 0; i < 1000; i++) {
		int len = 2 + (int)(rnd() % 9);
		for (int j = 0; j < len; j++) {
			unsigned skew = (unsigned)(rnd() % 26) + 1; /* favour early letters */
			vocab[i][j] = letters[rnd() % skew];
		}
		vocab[i][len] = '\0';
	}
	while (pos < n) {
		size_t len = 4096 + (size_t)(rnd() % (512 * KiB)), end;
		unsigned kind = (unsigned)(rnd() % 5);

		end = pos + len > n ? n : pos + len;
		if (kind <= 2) { /* text */
			size_t col = 0;
			while (pos < end) {
				uint64_t skew = rnd() % 1000 + 1; /* favour early words */
				const char *w = vocab[rnd() % skew];
				for (; *w && pos < end; w++, col++)
					d[pos++] = (unsigned char)*w;
				if (pos < end)
					d[pos++] = col > 70 ? '\n' : ' ';
				if (col > 70)
					col = 0;
			}
		} else if (kind == 3) { /* random */
			for (; pos < end; pos++)
				d[pos] = (unsigned char)rnd();
		} else { /* a short pattern, repeated a little */
			unsigned char pat[7];
			for (int j = 0; j < 7; j++)
				pat[j] = (unsigned char)rnd();
			if (end - pos > 16 * KiB)
				end = pos + 16 * KiB;
			for (size_t j = 0; pos < end; pos++, j++)
				d[pos] = pat[j % 7];
		}
	}
	return d;
}

struct sum {
	uint64_t h, n;
};

static void sum_add(struct sum *s, const void *p, size_t n)
{
	s->h = ocifs_fnv1a_seed(s->h, p, n);
	s->n += n;
}

static void on_input(void *ctx, const void *p, size_t n)
{
	sum_add(ctx, p, n);
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int bad;

	if (!f)
		return -1;
	bad = fwrite(p, 1, n, f) != n;
	return fclose(f) || bad ? -1 : 0;
}

static unsigned char *read_file(const char *path, size_t *n)
{
	struct stat st;
	unsigned char *p;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !(p = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return NULL;
	}
	*n = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	return p;
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/* Run the pass over `name`; on success *out holds the output. Pass reads
 * use random buffer sizes to move the pass's stopping points around. */
static int run_pass(const char *name, uint64_t span, unsigned char **out, size_t *outlen,
		    struct ocifs_ckpts *ck, struct sum *s)
{
	struct ocifs_zpass_opts o = { .comp = OCIFS_COMP_GZIP, .span = span,
				      .on_input = on_input, .ctx = s };
	struct ocifs_zpass *p = NULL;
	struct ocifs_src *in = NULL;
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, got;
	char path[512];
	int rc;

	memset(s, 0, sizeof(*s));
	path_of(path, sizeof(path), name);
	rc = ocifs_src_file_open(path, &in);
	if (rc)
		return rc;
	rc = ocifs_zpass_new(in, &o, &p);
	if (rc)
		goto out;
	for (;;) {
		size_t want = rnd_len(300 * KiB);
		if (len + want > cap) {
			unsigned char *nb;
			cap = (len + want) * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		rc = ocifs_zpass_read(p, buf + len, want, &got);
		if (rc || !got)
			break;
		len += got;
	}
	if (!rc)
		rc = ocifs_zpass_finish(p, ck);
out:
	ocifs_zpass_free(p);
	ocifs_src_unref(in);
	if (rc || !out) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Pick a read offset: uniform, at or near a checkpoint or a member
 * boundary, near the end, or past it. */
static uint64_t pick_off(const struct ocifs_ckpts *ck, const uint64_t *bounds, size_t nb)
{
	uint64_t usize = ck->usize, base;
	unsigned r = (unsigned)(rnd() % 20);

	if (!usize)
		return rnd() % 16;
	if (r < 10)
		return rnd() % usize;
	if (r < 13)
		base = ck->v[rnd() % ck->n].uoff;
	else if (r < 16 && nb)
		base = bounds[rnd() % nb];
	else if (r < 19)
		base = usize;
	else
		return usize + rnd() % 100;
	if (rnd() % 4 == 0)
		return base < usize ? base : usize - 1;
	base += rnd() % (128 * KiB);
	return base > 64 * KiB ? base - 64 * KiB : 0; /* may lie past the end */
}

/*
 * One compressed file against its source: the pass (input hash, output,
 * checkpoint sanity), sequential cursor reads, then nreads random reads
 * through fresh and reused cursors.
 */
static void check_case(const char *label, const char *name, const unsigned char *orig,
		       size_t olen, uint64_t span, int nreads, const uint64_t *bounds,
		       size_t nb)
{
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_src *in = NULL;
	struct ocifs_zcursor *reused = NULL, *c = NULL;
	unsigned char *out = NULL, *buf = NULL, *file = NULL;
	uint64_t eff = span ? span : OCIFS_SPAN_DEFAULT, wsum = 0, maxdec = 0;
	uint64_t mingap = UINT64_MAX, maxgap = 0, total = 0;
	double t0 = cpu_now();
	size_t outlen = 0, flen = 0, got, members = 0;
	struct sum s, fs = { 0 };
	int rc, bad_order = 0, bad_data = 0, bad_dec = 0, bad_fwd = 0, first = 1;
	char path[512];

	rc = run_pass(name, span, &out, &outlen, &ck, &s);
	is_int(rc, 0, "%s: pass succeeds", label);
	if (rc)
		goto out;
	path_of(path, sizeof(path), name);
	file = read_file(path, &flen);
	if (file)
		sum_add(&fs, file, flen);
	ok(file && s.n == flen && s.h == fs.h,
	   "%s: on_input saw all %zu compressed bytes once, in order", label, flen);
	ok(outlen == olen && !memcmp(out, orig, olen), "%s: pass output equals the source (%zu bytes)",
	   label, olen);
	ok(ck.comp == OCIFS_COMP_GZIP && ck.csize == flen && ck.usize == olen,
	   "%s: comp, csize, usize", label);
	for (size_t i = 0; i < ck.n; i++) {
		if (i && ck.v[i].uoff <= ck.v[i - 1].uoff)
			bad_order++;
		if ((ck.v[i].flags & OCIFS_CK_MEMBER) ? ck.v[i].wlen != 0
						      : !ck.v[i].wlen || ck.v[i].bits > 7)
			bad_order++;
		wsum += ck.v[i].wlen;
		members += !!(ck.v[i].flags & OCIFS_CK_MEMBER);
	}
	ok(ck.n >= 1 && ck.v[0].uoff == 0 && ck.v[0].coff == 0 &&
		   (ck.v[0].flags & OCIFS_CK_MEMBER) && !bad_order,
	   "%s: %zu checkpoints, sorted, first at 0 (member)", label, ck.n);
	/* Gaps: never under span/2 (pass_candidate's rule); over span only
	 * where one deflate block is longer than span/2 (~200 KiB at most in
	 * this data), so allow span/2 + 256 KiB. */
	for (size_t i = 1; i <= ck.n && ck.n; i++) {
		uint64_t gap = (i < ck.n ? ck.v[i].uoff : olen) - ck.v[i - 1].uoff;
		if (gap > maxgap)
			maxgap = gap;
		if (i < ck.n && gap < mingap)
			mingap = gap;
	}
	ok(mingap >= eff / 2 && maxgap <= (eff > 512 * KiB ? eff : eff / 2 + 256 * KiB),
	   "%s: %zu checkpoints, gaps %llu..%llu for span %llu", label, ck.n,
	   (unsigned long long)(ck.n > 1 ? mingap : 0), (unsigned long long)maxgap,
	   (unsigned long long)eff);
	diag("%s: index %zu checkpoints (%zu at members), %llu window bytes, overhead %.3f%%",
	     label, ck.n, members, (unsigned long long)wsum,
	     olen ? 100.0 * (double)(wsum + 32 * ck.n) / (double)olen : 0.0);

	rc = ocifs_src_file_open(path, &in);
	if (rc)
		goto out;
	buf = malloc(MiB + 1);
	if (!buf)
		goto out;

	/* Sequential 128 KiB reads through one cursor: each byte once. */
	rc = ocifs_zcursor_new(in, &ck, &c);
	is_int(rc, 0, "%s: cursor", label);
	if (rc)
		goto out;
	for (uint64_t off = 0;; off += got) {
		rc = ocifs_zcursor_pread(c, buf, 128 * KiB, off, &got);
		if (rc || !got)
			break;
		if (off + got > olen || memcmp(buf, orig + off, got))
			bad_data++;
	}
	ok(!rc && !bad_data && ocifs_zcursor_decoded(c) == olen,
	   "%s: sequential reads decode each byte once (%llu of %zu)", label,
	   (unsigned long long)ocifs_zcursor_decoded(c), olen);
	ocifs_zcursor_free(c);
	c = NULL;

	/* Random reads: even ones on a fresh cursor (decode bound), odd ones
	 * on a reused cursor, sometimes followed by a short forward hop. */
	rc = ocifs_zcursor_new(in, &ck, &reused);
	if (rc)
		goto out;
	for (int i = 0; i < nreads && !rc; i++) {
		uint64_t off = pick_off(&ck, bounds, nb);
		size_t len = rnd_len(MiB), want;
		struct ocifs_zcursor *cur = reused;

		if (!(i & 1)) {
			rc = ocifs_zcursor_new(in, &ck, &c);
			if (rc)
				break;
			cur = c;
		}
		rc = ocifs_zcursor_pread(cur, buf, len, off, &got);
		want = off >= olen ? 0 : (olen - off < len ? (size_t)(olen - off) : len);
		if (rc || got != want || (got && memcmp(buf, orig + off, got))) {
			if (first)
				diag("%s: read %zu at %llu: rc %d got %zu want %zu", label, len,
				     (unsigned long long)off, rc, got, want);
			first = 0;
			bad_data++;
		}
		if (cur == c) {
			/* exactly from the nearest checkpoint, and (where blocks
			 * are small against the span) within span + len + slack */
			uint64_t dec = ocifs_zcursor_decoded(c);
			uint64_t exact = off >= olen ? 0
					 : off - ck.v[ocifs_ckpts_find(&ck, off)].uoff + got;
			if (dec != exact || (eff >= 512 * KiB && dec > eff + got + SLACK))
				bad_dec++;
			if (dec > got && dec - got > maxdec)
				maxdec = dec - got;
			total += dec;
			ocifs_zcursor_free(c);
			c = NULL;
		} else if (got && rnd() % 2) {
			/* continue a little further on: no restart */
			uint64_t hop = rnd() % (16 * KiB), off2 = off + got + hop;
			size_t len2 = rnd_len(256 * KiB);
			uint64_t d0 = ocifs_zcursor_decoded(cur);
			rc = ocifs_zcursor_pread(cur, buf, len2, off2, &got);
			want = off2 >= olen ? 0 : (olen - off2 < len2 ? (size_t)(olen - off2) : len2);
			if (rc || got != want || (got && memcmp(buf, orig + off2, got)))
				bad_data++;
			if (got && ocifs_zcursor_decoded(cur) - d0 > hop + got)
				bad_fwd++;
		}
	}
	is_int(rc, 0, "%s: %d random reads return 0", label, nreads);
	is_int(bad_data, 0, "%s: random reads match the source", label);
	ok(!bad_dec, "%s: fresh reads decode from the nearest checkpoint%s (%d bad; worst %llu before)",
	   label, eff >= 512 * KiB ? ", <= span + len + 64 KiB" : "", bad_dec,
	   (unsigned long long)maxdec);
	is_int(bad_fwd, 0, "%s: short forward hops continue without restarting", label);
	total += ocifs_zcursor_decoded(reused) + 2 * olen; /* + pass, sequential */
	diag("%s: decoded %.0f MB in %.2f s of CPU", label, (double)total / 1e6, cpu_now() - t0);
out:
	ocifs_zcursor_free(c);
	ocifs_zcursor_free(reused);
	ocifs_src_unref(in);
	ocifs_ckpts_fini(&ck);
	free(out);
	free(buf);
	free(file);
}

/* The pass over a damaged file must fail with `want`. */
static void check_bad(const char *label, const char *name, int want)
{
	struct ocifs_ckpts ck = { 0 };
	struct sum s;
	int rc = run_pass(name, 64 * KiB, NULL, NULL, &ck, &s);

	is_int(rc, want, "%s: pass fails with %s", label, strerror(-want));
	ocifs_ckpts_fini(&ck);
}

static int write_variant(const char *name, const unsigned char *p, size_t n,
			 const void *tail, size_t tn)
{
	char path[512];
	FILE *f;
	int bad;

	path_of(path, sizeof(path), name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	bad = fwrite(p, 1, n, f) != n || (tn && fwrite(tail, 1, tn, f) != tn);
	return fclose(f) || bad ? -1 : 0;
}

static void bad_inputs(void)
{
	unsigned char *g = NULL, zeros[300] = { 0 };
	size_t n = 0;
	char path[512];

	path_of(path, sizeof(path), "mid.gz");
	g = read_file(path, &n);
	if (!ok(g && n > 1000, "read mid.gz for damage tests"))
		goto out;
	write_variant("bad-trunc-half.gz", g, n / 2, NULL, 0);
	check_bad("truncated at half", "bad-trunc-half.gz", -EIO);
	write_variant("bad-trunc-1.gz", g, n - 1, NULL, 0);
	check_bad("truncated by one byte (in the trailer)", "bad-trunc-1.gz", -EIO);
	write_variant("bad-trunc-hdr.gz", g, 5, NULL, 0);
	check_bad("truncated in the header", "bad-trunc-hdr.gz", -EIO);
	write_variant("bad-empty.gz", g, 0, NULL, 0);
	check_bad("empty file", "bad-empty.gz", -EIO);
	write_variant("bad-garbage.gz", g, n, "junk", 4);
	check_bad("trailing garbage", "bad-garbage.gz", -EBADMSG);
	write_variant("bad-garbage1.gz", g, n, "\x1f", 1);
	check_bad("trailing lone 1f byte", "bad-garbage1.gz", -EBADMSG);
	zeros[299] = 'x';
	write_variant("bad-padgarbage.gz", g, n, zeros, sizeof(zeros));
	check_bad("zero padding then garbage", "bad-padgarbage.gz", -EBADMSG);
	write_variant("bad-notgz.gz", (const unsigned char *)"hello world", 11, NULL, 0);
	check_bad("not gzip at all", "bad-notgz.gz", -EBADMSG);

	for (int k = 1; k <= 4; k++) { /* bytes in the middle */
		size_t at = n * (size_t)k / 5;
		g[at] ^= 0x5a;
		write_variant("bad-flip.gz", g, n, NULL, 0);
		g[at] ^= 0x5a;
		char label[64];
		snprintf(label, sizeof(label), "byte flipped at %zu/5 of the file", (size_t)k);
		check_bad(label, "bad-flip.gz", -EBADMSG);
	}
	g[n - 6] ^= 1; /* CRC32 */
	write_variant("bad-crc.gz", g, n, NULL, 0);
	g[n - 6] ^= 1;
	check_bad("CRC32 mismatch", "bad-crc.gz", -EBADMSG);
	g[n - 2] ^= 1; /* ISIZE */
	write_variant("bad-isize.gz", g, n, NULL, 0);
	g[n - 2] ^= 1;
	check_bad("ISIZE mismatch", "bad-isize.gz", -EBADMSG);
out:
	free(g);
}

/* Random damage to a small multi-member file: a clean error or success,
 * never a crash (ASan watches), never another errno. */
static void fuzz_small(void)
{
	unsigned char *g = NULL;
	size_t n = 0;
	int odd = 0, fails = 0, saved, devnull;
	char path[512];

	path_of(path, sizeof(path), "small.gz");
	g = read_file(path, &n);
	if (!ok(g && n > 100, "read small.gz for fuzzing"))
		goto out;
	fflush(stderr);
	saved = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	if (devnull >= 0)
		dup2(devnull, 2);
	for (int i = 0; i < 300; i++) {
		unsigned char *m = malloc(n);
		size_t mn = n;
		struct ocifs_ckpts ck = { 0 };
		struct sum s;
		int rc;

		if (!m)
			break;
		memcpy(m, g, n);
		if (i % 5 == 0)
			mn = 1 + (size_t)(rnd() % (n - 1));
		for (int k = 0, nf = 1 + (int)(rnd() % 4); k < nf; k++) {
			size_t at = (size_t)(rnd() % mn);
			m[at] ^= (unsigned char)(1 + rnd() % 255);
		}
		write_variant("fuzz.gz", m, mn, NULL, 0);
		free(m);
		rc = run_pass("fuzz.gz", 4 * KiB, NULL, NULL, &ck, &s);
		if (rc && rc != -EIO && rc != -EBADMSG)
			odd++;
		if (rc)
			fails++;
		ocifs_ckpts_fini(&ck);
	}
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (devnull >= 0)
		close(devnull);
	ok(!odd, "300 damaged files: %d rejected, all with -EIO or -EBADMSG", fails);
out:
	free(g);
}

/* Checkpoint k's window with a sum, as a cached outer record's: a fresh
 * cursor reading just past it decodes from k when the sum matches, and
 * from k-1 (the exact bytes, more decoded, no error) when it does not. */
static void window_sums(struct ocifs_src *in, struct ocifs_ckpts *ck, size_t k,
			const unsigned char *orig)
{
	unsigned char sum[OCIFS_SHA256_LEN], buf[4096];
	uint64_t at = ck->v[k].uoff + 10, gap = ck->v[k].uoff - ck->v[k - 1].uoff;
	struct ocifs_zcursor *c = NULL;
	size_t got = 0;
	int rc;

	if (!ok(!ocifs_sha256(ck->v[k].window, ck->v[k].wlen, sum), "sha256 of a window"))
		return;
	ck->v[k].wsum = sum;
	rc = ocifs_zcursor_new(in, ck, &c);
	if (!rc)
		rc = ocifs_zcursor_pread(c, buf, sizeof(buf), at, &got);
	ok(!rc && got == sizeof(buf) && !memcmp(buf, orig + at, got) &&
	   ocifs_zcursor_decoded(c) < gap,
	   "a window that matches its sum: exact bytes, decoded from its checkpoint (%llu < %llu)",
	   c ? (unsigned long long)ocifs_zcursor_decoded(c) : 0ull, (unsigned long long)gap);
	ocifs_zcursor_free(c);
	c = NULL;
	sum[7] ^= 0x10;
	rc = ocifs_zcursor_new(in, ck, &c);
	if (!rc)
		rc = ocifs_zcursor_pread(c, buf, sizeof(buf), at, &got);
	ok(!rc && got == sizeof(buf) && !memcmp(buf, orig + at, got) &&
	   ocifs_zcursor_decoded(c) > gap,
	   "a window that fails its sum: exact bytes, decoded from the checkpoint before (%llu > %llu)",
	   c ? (unsigned long long)ocifs_zcursor_decoded(c) : 0ull, (unsigned long long)gap);
	ocifs_zcursor_free(c);
	ck->v[k].wsum = NULL;
}

/* Cursor against checkpoints it cannot trust, or a blob cut short. */
static void bad_cursor(const unsigned char *orig)
{
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_src *in = NULL, *cut = NULL;
	struct ocifs_zcursor *c = NULL;
	unsigned char buf[4096], *g = NULL;
	size_t got, n = 0, k;
	uint32_t bits;
	struct sum s;
	char path[512];
	int rc;

	rc = run_pass("mid.gz", 64 * KiB, NULL, NULL, &ck, &s);
	if (!ok(!rc && ck.n > 4, "index mid.gz for cursor damage tests"))
		goto out;
	path_of(path, sizeof(path), "mid.gz");
	if (ocifs_src_file_open(path, &in) || ocifs_zcursor_new(in, &ck, &c))
		goto out;
	for (k = 1; k < ck.n && (ck.v[k].flags & OCIFS_CK_MEMBER); k++)
		;
	if (!ok(k < ck.n, "a mid-member checkpoint exists"))
		goto out;
	bits = ck.v[k].bits;
	ck.v[k].bits = 9;
	rc = ocifs_zcursor_pread(c, buf, sizeof(buf), ck.v[k].uoff, &got);
	is_int(rc, -ESTALE, "checkpoint with bits=9 is rejected");
	/* cppcheck-suppress redundantAssignment ; the cursor read it */
	ck.v[k].bits = bits;
	ck.v[k].window[ck.v[k].wlen / 2] ^= 0xff;
	rc = ocifs_zcursor_pread(c, buf, sizeof(buf), ck.v[k].uoff + 10, &got);
	ok(rc < 0 || (rc == 0 && got == sizeof(buf)),
	   "corrupt window: an error or bytes, no crash (rc %d)", rc);
	ck.v[k].window[ck.v[k].wlen / 2] ^= 0xff;
	rc = ocifs_zcursor_pread(c, buf, sizeof(buf), ck.v[k].uoff + 10, &got);
	ok(!rc && got == sizeof(buf) && !memcmp(buf, orig + ck.v[k].uoff + 10, got),
	   "the same cursor recovers after an error");
	ocifs_zcursor_free(c);
	c = NULL;
	window_sums(in, &ck, k, orig);

	/* The blob cut short after indexing: reading its end is -EIO. */
	g = read_file(path, &n);
	if (!g)
		goto out;
	write_variant("cut.gz", g, n - 1000, NULL, 0);
	path_of(path, sizeof(path), "cut.gz");
	if (ocifs_src_file_open(path, &cut) || ocifs_zcursor_new(cut, &ck, &c))
		goto out;
	rc = ocifs_zcursor_pread(c, buf, sizeof(buf), ck.usize - 100, &got);
	ok(rc == -EIO || rc == -ESTALE, "blob truncated after indexing: reading its end fails (rc %d)",
	   rc);
out:
	ocifs_zcursor_free(c);
	ocifs_src_unref(in);
	ocifs_src_unref(cut);
	ocifs_ckpts_fini(&ck);
	free(g);
}

static void empty_cases(void)
{
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_src *in = NULL;
	struct ocifs_zcursor *c = NULL;
	unsigned char *out = NULL;
	size_t outlen = 1, got = 1;
	struct sum s;
	char path[512];
	int rc;

	rc = run_pass("empty.gz", 0, &out, &outlen, &ck, &s);
	ok(!rc && outlen == 0 && ck.usize == 0 && ck.n == 1 && ck.csize == s.n,
	   "gzip of empty input: no output, one checkpoint");
	path_of(path, sizeof(path), "empty.gz");
	if (!rc && !ocifs_src_file_open(path, &in) && !ocifs_zcursor_new(in, &ck, &c)) {
		unsigned char b[16];
		rc = ocifs_zcursor_pread(c, b, sizeof(b), 0, &got);
		ok(!rc && got == 0, "empty: read at 0 gives 0 bytes");
	}
	ocifs_zcursor_free(c);
	ocifs_src_unref(in);
	ocifs_ckpts_fini(&ck);
	free(out);
	out = NULL;
	rc = run_pass("empty3.gz", 0, &out, &outlen, &ck, &s);
	ok(!rc && outlen == 0 && ck.usize == 0 && ck.n == 1,
	   "three empty members plus padding: no output");
	ocifs_ckpts_fini(&ck);
	free(out);
}

int main(void)
{
	unsigned char *data = NULL;
	uint64_t bounds[8];
	size_t parts[] = { 3 * MiB + 123, 1, 0, 5 * MiB - 7, 64 * KiB, 0 }, nb = 0, pos = 0;
	const size_t nparts = sizeof(parts) / sizeof(parts[0]);
	char path[512];
	int have_pigz;
	double t0 = cpu_now();

	snprintf(dir, sizeof(dir), "%s/ocifs-test-gzidx.XXXXXX",
		 getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 300 ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	data = gen_data(DATA_SIZE);
	path_of(path, sizeof(path), "data");
	if (!ok(data && !write_file(path, data, DATA_SIZE), "generate %u MiB of test data",
		DATA_SIZE / MiB))
		goto out;
	/* The multi-member file: parts (two of them empty, one 1 byte), the
	 * rest last, then zero padding as some tools write. */
	parts[nparts - 1] = DATA_SIZE;
	for (size_t i = 0; i + 1 < nparts; i++)
		parts[nparts - 1] -= parts[i];
	for (size_t i = 0; i < nparts; i++) {
		char pp[600];
		snprintf(pp, sizeof(pp), "%s/part%zu", dir, i);
		write_file(pp, data + pos, parts[i]);
		pos += parts[i];
		if (i + 1 < nparts)
			bounds[nb++] = pos;
	}
	diag("generated in %.2f s of CPU", cpu_now() - t0);
	have_pigz = tap_sh("command -v pigz >/dev/null 2>&1") == 0;
	ok(tap_sh("cd '%s' && (gzip -n -1 <data >fast.gz & gzip -n -9 <data >best.gz & "
	      "for i in 0 1 2 3 4 5; do gzip -n -1 <part$i; done >multi.gz; "
	      "head -c 2097152 data | gzip -n -1 >mid.gz; "
	      "head -c 4096 /dev/zero >>multi.gz; "
	      "head -c 65536 data | gzip -n >small.gz; head -c 69536 data | tail -c 4000 | "
	      "gzip -n -1 >>small.gz; : | gzip -n >empty.gz; "
	      "cat empty.gz empty.gz empty.gz >empty3.gz; head -c 7 /dev/zero >>empty3.gz; "
	      "wait)",
	      dir) == 0,
	   "compress with gzip -1, -9 and per-part members");
	if (have_pigz)
		ok(tap_sh("cd '%s' && pigz -n -p 2 <data >pigz.gz && pigz -n -i -p 2 <data >pigzi.gz",
		      dir) == 0,
		   "compress with pigz and pigz -i");

	check_case("gzip -1, default span", "fast.gz", data, DATA_SIZE, 0, 60, NULL, 0);
	check_case("gzip -1, span 64K", "fast.gz", data, DATA_SIZE, 64 * KiB, 2000, NULL, 0);
	check_case("gzip -9, default span", "best.gz", data, DATA_SIZE, 0, 40, NULL, 0);
	check_case("gzip -9, span 256K", "best.gz", data, DATA_SIZE, 256 * KiB, 2000, NULL, 0);
	check_case("6 members + padding, span 64K", "multi.gz", data, DATA_SIZE, 64 * KiB, 2000,
		   bounds, nb);
	check_case("6 members + padding, default span", "multi.gz", data, DATA_SIZE, 0, 40,
		   bounds, nb);
	check_case("2 members, span 4K", "small.gz", data, 65536 + 4000, 4 * KiB, 2000, NULL, 0);
	if (have_pigz) {
		check_case("pigz, span 64K", "pigz.gz", data, DATA_SIZE, 64 * KiB, 2000, NULL, 0);
		check_case("pigz -i, span 512K", "pigzi.gz", data, DATA_SIZE, 512 * KiB, 2000, NULL, 0);
	} else if (tap_in_ci()) {
		ok(0, "pigz is required under CI=true");
	} else {
		skip("pigz not installed");
	}
	t0 = cpu_now();
	empty_cases();
	bad_inputs();
	bad_cursor(data);
	fuzz_small();
	diag("damage tests: %.2f s of CPU", cpu_now() - t0);
out:
	free(data);
	tap_sh("rm -rf '%s'", dir);
	return done_testing();
}
