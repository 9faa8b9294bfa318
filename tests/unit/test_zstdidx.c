/* SPDX-License-Identifier: MIT */
/*
 * Seekable zstd (src/zstdidx.c through the zio.h front): data compressed
 * by the real zstd CLI - one frame with and without a content size,
 * --long, many frames, thousands of tiny unsized frames, skippable frames,
 * big frames among small ones, empty input - goes through the pass (every
 * compressed byte hashed once, output equal to the original) and through
 * cursors (random reads equal the original and decode at most about one
 * span before the range -- or, in a frame over 2 spans, from its start:
 * the pass writes no shadow, see test_zshadow; sequential reads decode
 * each byte once). Bad
 * input must fail with the documented errno, and the corpus's zstd files
 * must decode like `zstd -dc`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "zio.h"

#define MiB (1u << 20)
#define KiB (1u << 10)
#define DATA_SIZE (24 * MiB)
#define SLACK (128 * KiB)

static char dir[64];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi) /* [lo, hi] */
{
	return lo + rnd() % (hi - lo + 1);
}

/* 1 B .. 1 MiB, log-uniform: mostly small reads, some large ones. */
static size_t rnd_len(void)
{
	unsigned bits = (unsigned)rnd_range(0, 20);
	return (size_t)rnd_range(1, (uint64_t)1 << bits);
}

static int write_file(const char *path, const void *p, size_t n, const char *mode)
{
	FILE *f = fopen(path, mode);
	int ok_ = f && fwrite(p, 1, n, f) == n;

	if (f && fclose(f) != 0)
		ok_ = 0;
	return ok_ ? 0 : -1;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return p;
}

/* Compressible text, runs, random bytes, and copies of data several MiB
 * back (for --long). */
static unsigned char *gen_data(size_t n)
{
	static const char *const words[] = { "layer ", "image ", "ocifs ", "zstd ",
					     "frame ", "checkpoint ", "\n", "usr/lib/" };
	unsigned char *p = malloc(n);
	size_t at = 0;

	while (p && at < n) {
		size_t blk = (size_t)rnd_range(4 * KiB, 96 * KiB), i;
		if (blk > n - at)
			blk = n - at;
		switch (rnd() % 5) {
		case 0:
			for (i = 0; i < blk; i++)
				p[at + i] = (unsigned char)rnd();
			break;
		case 1:
			for (i = 0; i < blk;) {
				const char *w = words[rnd() % 8];
				for (; *w && i < blk; w++)
					p[at + i++] = (unsigned char)*w;
			}
			break;
		case 2:
			memset(p + at, (int)(rnd() % 3), blk);
			break;
		case 3:
			if (at > 8 * MiB) {
				memcpy(p + at, p + rnd_range(0, at - 8 * MiB), blk);
				break;
			}
			/* fall through */
		default:
			for (i = 0; i < blk; i++)
				p[at + i] = (unsigned char)('a' + rnd() % 6);
		}
		at += blk;
	}
	return p;
}

/* Write data[off, off+len) into pieces dir/<name>/pNNNNN of random sizes
 * in [lo, hi]; returns how many. */
static int split(const char *name, const unsigned char *data, size_t off, size_t len,
		 size_t lo, size_t hi, int first)
{
	char path[256];
	int k = first;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(path, 0755);
	while (len) {
		size_t n = (size_t)rnd_range(lo, hi);
		if (n > len)
			n = len;
		snprintf(path, sizeof(path), "%s/%s/p%05d", dir, name, k++);
		if (write_file(path, data + off, n, "wb"))
			return -1;
		off += n;
		len -= n;
	}
	return k - first;
}

static int append_skippable(const char *path, unsigned variant, size_t n)
{
	unsigned char hdr[8], *body = calloc(1, n + 1);
	uint32_t magic = 0x184D2A50u + variant;
	int rc;

	for (int i = 0; i < 4; i++) {
		hdr[i] = (unsigned char)(magic >> (8 * i));
		hdr[4 + i] = (unsigned char)(n >> (8 * i));
	}
	for (size_t i = 0; i < n; i++)
		body[i] = (unsigned char)rnd();
	rc = write_file(path, hdr, 8, "ab") || write_file(path, body, n, "ab") ? -1 : 0;
	free(body);
	return rc;
}

/* --- running the pass --- */

struct seen {
	const unsigned char *want;
	size_t len, pos;
	int bad;
};

static void on_input(void *ctx, const void *p, size_t n)
{
	struct seen *s = ctx;

	if (s->pos + n > s->len || memcmp(s->want + s->pos, p, n) != 0)
		s->bad = 1;
	s->pos += n;
}

/* Pass over path; output is compared with want when given. 0 or errno. */
static int run_pass(const char *path, uint64_t span, const unsigned char *want, size_t wlen,
		    struct ocifs_ckpts *ck, int *input_ok, int *output_ok)
{
	struct ocifs_zpass_opts o = { .comp = OCIFS_COMP_ZSTD, .span = span };
	struct ocifs_src *src = NULL;
	struct ocifs_zpass *p = NULL;
	struct seen s = { 0 };
	unsigned char *buf = malloc(300 * KiB), *blob;
	size_t pos = 0, got, blen = 0;
	int rc, same = 1;

	blob = read_file(path, &blen);
	s.want = blob;
	s.len = blen;
	o.on_input = on_input;
	o.ctx = &s;
	rc = ocifs_src_file_open(path, &src);
	if (!rc)
		rc = ocifs_zpass_new(src, &o, &p);
	while (!rc) {
		size_t n = (size_t)rnd_range(1, 300 * KiB);
		rc = ocifs_zpass_read(p, buf, n, &got);
		if (rc || got == 0)
			break;
		if (want && (pos + got > wlen || memcmp(want + pos, buf, got) != 0))
			same = 0;
		pos += got;
	}
	if (!rc)
		rc = ocifs_zpass_finish(p, ck);
	if (input_ok)
		*input_ok = !s.bad && s.pos == blen;
	if (output_ok)
		*output_ok = same && pos == wlen;
	ocifs_zpass_free(p);
	if (src)
		ocifs_src_unref(src);
	free(buf);
	free(blob);
	return rc;
}

/* --- one compressed file, one span --- */

struct variant {
	const char *name;
	size_t ulen;            /* its uncompressed bytes: data[0..ulen) */
	int big_small;          /* a frame over 2 spans at the small span: 1, 0, -1 any */
	int big_default;
	int tiny;               /* check the index stays small */
};

static void check_variant(const struct variant *v, const unsigned char *data, uint64_t span,
			  int nreads)
{
	char path[256];
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_src *src = NULL;
	struct ocifs_zcursor *c = NULL;
	int in_ok = 0, out_ok = 0, rc, expect, big = 0;
	unsigned char *buf = malloc(MiB + 1);
	const char *sp = span == 256 * KiB ? "256K" : "default";

	snprintf(path, sizeof(path), "%s/%s.zst", dir, v->name);
	rc = run_pass(path, span, data, v->ulen, &ck, &in_ok, &out_ok);
	is_int(rc, 0, "%s/%s: pass", v->name, sp);
	ok(in_ok, "%s/%s: on_input saw every compressed byte once, in order", v->name, sp);
	ok(out_ok, "%s/%s: pass output equals the original", v->name, sp);
	if (rc)
		goto out;
	is_int(ck.usize, v->ulen, "%s/%s: usize", v->name, sp);
	ok(ck.n >= 1 && ck.v[0].uoff == 0, "%s/%s: first checkpoint at 0", v->name, sp);
	int sorted = 1;
	for (size_t i = 1; i < ck.n; i++)
		sorted &= ck.v[i].uoff >= ck.v[i - 1].uoff;
	ok(sorted, "%s/%s: checkpoints sorted", v->name, sp);
	/* the pass writes no shadow: a frame over 2 spans is one gap */
	for (size_t i = 0; i < ck.n; i++) {
		uint64_t end = i + 1 < ck.n ? ck.v[i + 1].uoff : ck.usize;
		big |= end - ck.v[i].uoff > 2 * span;
		if (ck.v[i].flags & OCIFS_CK_SHADOW)
			ok(0, "%s/%s: the pass made a shadow checkpoint", v->name, sp);
	}
	expect = span == 256 * KiB ? v->big_small : v->big_default;
	if (expect >= 0)
		is_int(big, expect, "%s/%s: %s", v->name, sp,
		       expect ? "a gap over 2 spans (one big frame)" : "no gap over 2 spans");
	ok(ck.live == NULL, "%s/%s: no lazy shadow from the pass", v->name, sp);
	if (v->tiny)
		ok(ck.n <= v->ulen / (span / 4) + 2, "%s/%s: %zu checkpoints for %zu bytes",
		   v->name, sp, ck.n, v->ulen);
	diag("%s/%s: %zu checkpoints (%zu B as 24 B rows): %.2f%% of %zu", v->name, sp, ck.n,
	     ck.n * 24, v->ulen ? 100.0 * ck.n * 24 / v->ulen : 0, v->ulen);
	if (big) /* every random read decodes from the frame's start: fewer */
		nreads = nreads > 40 ? 40 : nreads;

	/* sequential reads: one cursor, every byte decoded once */
	size_t got, pos = 0;
	int same = 1;
	rc = ocifs_src_file_open(path, &src);
	if (!rc)
		rc = ocifs_zcursor_new(src, &ck, &c);
	if (rc) {
		ok(0, "%s/%s: open a cursor: %d", v->name, sp, rc);
		goto out;
	}
	while (!rc) {
		rc = ocifs_zcursor_pread(c, buf, 100003, pos, &got);
		if (rc || got == 0)
			break;
		same &= pos + got <= v->ulen && memcmp(buf, data + pos, got) == 0;
		pos += got;
	}
	ok(!rc && same && pos == v->ulen, "%s/%s: sequential reads equal the original",
	   v->name, sp);
	is_int(ocifs_zcursor_decoded(c), v->ulen, "%s/%s: sequential reads decode each byte once",
	       v->name, sp);
	rc = ocifs_zcursor_pread(c, buf, 10, v->ulen, &got);
	ok(rc == 0 && got == 0, "%s/%s: read at usize gets 0", v->name, sp);
	rc = ocifs_zcursor_pread(c, buf, 10, v->ulen + 12345, &got);
	ok(rc == 0 && got == 0, "%s/%s: read past usize gets 0", v->name, sp);

	/* random reads: every 8th on a fresh cursor, the others on one reused
	 * cursor; none may decode more than span + its length + slack, or,
	 * inside a gap over 2 spans (a big frame: nothing made it cheap yet,
	 * see test_zshadow), more than from the checkpoint before it */
	int bad_fresh = 0, bad_bound = 0, bad_reuse = 0, nfresh = 0;
	uint64_t worst = 0;
	for (int i = 0; i < nreads && v->ulen; i++) {
		size_t len = rnd_len(), want;
		uint64_t off = rnd() % 10 == 0 ? v->ulen - rnd_range(0, v->ulen < 2 * MiB ? v->ulen : 2 * MiB)
					       : rnd_range(0, v->ulen - 1);
		struct ocifs_zcursor *f = NULL, *use = c;
		uint64_t d0;

		want = off >= v->ulen ? 0 : (v->ulen - off < len ? v->ulen - off : len);
		rc = i % 8 ? 0 : ocifs_zcursor_new(src, &ck, &f);
		if (f) {
			use = f;
			nfresh++;
		}
		d0 = ocifs_zcursor_decoded(use);
		if (!rc)
			rc = ocifs_zcursor_pread(use, buf, len, off, &got);
		if (rc || got != want || memcmp(buf, data + off, want) != 0) {
			if (!(f ? bad_fresh++ : bad_reuse++))
				diag("%s read %zu at %llu: rc %d got %zu", f ? "fresh" : "reused",
				     len, (unsigned long long)off, rc, got);
		}
		uint64_t d = ocifs_zcursor_decoded(use) - d0;
		if (d > want && d - want > worst)
			worst = d - want;
		uint64_t gap = off < v->ulen ? off - ck.v[ocifs_ckpts_find(&ck, off)].uoff : 0;
		if (d > (gap > span ? gap : span) + len + SLACK && !bad_bound++)
			diag("%s read %zu at %llu decoded %llu", f ? "fresh" : "reused", len,
			     (unsigned long long)off, (unsigned long long)d);
		ocifs_zcursor_free(f);
	}
	is_int(bad_fresh, 0, "%s/%s: %d random reads, fresh cursors", v->name, sp, nfresh);
	is_int(bad_reuse, 0, "%s/%s: %d random reads, one reused cursor", v->name, sp,
	       nreads - nfresh);
	is_int(bad_bound, 0, "%s/%s: a read decodes at most max(span, distance to its checkpoint) "
	       "+ its length + 128 KiB (worst: %llu KiB before the range)", v->name, sp,
	       (unsigned long long)worst >> 10);
out:
	ocifs_zcursor_free(c);
	if (src)
		ocifs_src_unref(src);
	ocifs_ckpts_fini(&ck);
	free(buf);
}

/* --- bad input --- */

static int pass_rc(const char *path)
{
	struct ocifs_ckpts ck = { 0 };
	int rc = run_pass(path, 256 * KiB, NULL, 0, &ck, NULL, NULL);

	ocifs_ckpts_fini(&ck);
	return rc;
}

static void make_variant(const char *name, const unsigned char *blob, size_t len, char *path,
			 size_t cap)
{
	snprintf(path, cap, "%s/bad-%s.zst", dir, name);
	write_file(path, blob, len, "wb");
}

static void check_bad(void)
{
	char path[256], p2[256];
	size_t len, slen;
	unsigned char *blob, *sblob;
	int rc;

	snprintf(path, sizeof(path), "%s/single.zst", dir);
	blob = read_file(path, &len);
	snprintf(path, sizeof(path), "%s/multiskip.zst", dir);
	sblob = read_file(path, &slen);
	if (!ok(blob && sblob, "bad input: read the samples"))
		goto out;

	make_variant("trunc-half", blob, len / 2, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "truncated in the middle: -EIO");
	make_variant("trunc-end", blob, len - 1, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "last byte missing: -EIO");
	make_variant("trunc-3", blob, 3, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "cut inside the magic: -EIO");
	make_variant("trunc-hdr", blob, 7, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "cut inside the frame header: -EIO");
	make_variant("trunc-sblob", sblob, 6, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "cut inside a skippable frame header: -EIO");
	make_variant("trunc-skip2", sblob, 20, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "cut inside a skippable frame body: -EIO");
	make_variant("empty", blob, 0, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "empty blob: -EIO");

	/* corrupt bytes: the CLI writes checksums, so every flip is caught */
	int nbad = 0, nother = 0;
	for (int i = 0; i < 12; i++) {
		size_t at = i == 0 ? len - 2 : (size_t)rnd_range(20, len - 1);
		unsigned char old = blob[at];
		blob[at] ^= (unsigned char)rnd_range(1, 255);
		make_variant("flip", blob, len, path, sizeof(path));
		rc = pass_rc(path);
		blob[at] = old;
		if (i == 0)
			is_int(rc, -EBADMSG, "corrupt checksum: -EBADMSG");
		if (rc == -EBADMSG)
			nbad++;
		else if (rc != -EIO && !nother++)
			diag("flip at %zu: rc %d", at, rc);
	}
	ok(nother == 0 && nbad >= 9, "corrupt bytes: -EBADMSG (%d of 12; rest -EIO)", nbad);

	unsigned char *g = malloc(len + 32);
	memcpy(g, blob, len);
	memcpy(g + len, "this is not zstd at all", 23);
	make_variant("garbage", g, len + 23, path, sizeof(path));
	is_int(pass_rc(path), -EBADMSG, "trailing garbage: -EBADMSG");
	make_variant("garbage2", g, len + 2, path, sizeof(path));
	is_int(pass_rc(path), -EBADMSG, "two bytes of trailing garbage: -EBADMSG");
	memcpy(g + len, blob, 3);
	make_variant("partial", g, len + 3, path, sizeof(path));
	is_int(pass_rc(path), -EIO, "a trailing partial magic: -EIO");
	make_variant("notzstd", g + len, 23, path, sizeof(path));
	is_int(pass_rc(path), -EBADMSG, "not zstd at all: -EBADMSG");
	free(g);

	/* finish before the end */
	snprintf(path, sizeof(path), "%s/nosize.zst", dir);
	{
		struct ocifs_zpass_opts o = { .comp = OCIFS_COMP_ZSTD, .span = 256 * KiB };
		struct ocifs_src *src = NULL;
		struct ocifs_zpass *p = NULL;
		struct ocifs_ckpts ck = { 0 };
		unsigned char *buf = malloc(MiB);
		size_t got, total = 0;

		rc = ocifs_src_file_open(path, &src);
		if (!rc)
			rc = ocifs_zpass_new(src, &o, &p);
		while (!rc && total < 3 * MiB) {
			rc = ocifs_zpass_read(p, buf, MiB, &got);
			total += got;
		}
		is_int(rc ? rc : ocifs_zpass_finish(p, &ck), -EINVAL, "finish before the end: -EINVAL");
		ocifs_ckpts_fini(&ck);
		ocifs_zpass_free(p);
		if (src)
			ocifs_src_unref(src);
		free(buf);
	}

	/* cursors: a truncated blob is -EIO */
	{
		struct ocifs_ckpts ck = { 0 };
		struct ocifs_src *src = NULL;
		struct ocifs_zcursor *c = NULL;
		unsigned char buf[4096];
		size_t got;

		snprintf(path, sizeof(path), "%s/single.zst", dir);
		rc = run_pass(path, 256 * KiB, NULL, 0, &ck, NULL, NULL);
		make_variant("trunc-cur", blob, len / 2, p2, sizeof(p2));
		if (!rc)
			rc = ocifs_src_file_open(p2, &src);
		if (!rc)
			rc = ocifs_zcursor_new(src, &ck, &c);
		if (!rc)
			rc = ocifs_zcursor_pread(c, buf, sizeof(buf), ck.usize - 10, &got);
		is_int(rc, -EIO, "cursor on a truncated blob: -EIO");
		ocifs_zcursor_free(c);
		if (src)
			ocifs_src_unref(src);
		ocifs_ckpts_fini(&ck);
	}
out:
	free(blob);
	free(sblob);
}

/* --- the corpus --- */

static void check_corpus(void)
{
	const char *root = getenv("OCIFS_CORPUS");
	char path[8192], line[4096], out[300];
	int nfiles = 0;
	FILE *m;

	if (!root)
		root = "/work/shared/corpus";
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", root);
	m = fopen(path, "r");
	if (!m) {
		if (tap_in_ci())
			ok(0, "corpus: %s is missing", path);
		else
			skip("corpus: %s is missing", path);
		return;
	}
	while (fgets(line, sizeof(line), m)) {
		char *tab = strchr(line, '\t');
		size_t n, ulen = 0;
		unsigned char *want;
		struct ocifs_ckpts ck = { 0 };
		int in_ok, out_ok, rc;

		if (!tab)
			continue;
		*tab = 0;
		n = strlen(line);
		if (n < 4 || strcmp(line + n - 4, ".zst") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, line);
		snprintf(out, sizeof(out), "%s/corpus.out", dir);
		if (tap_sh("zstd -q -dc '%s' > '%s' 2>/dev/null", path, out) != 0) {
			skip("corpus %s: zstd -dc rejects it", line);
			continue;
		}
		want = read_file(out, &ulen);
		rc = run_pass(path, 0, want, ulen, &ck, &in_ok, &out_ok);
		ok(rc == 0 && in_ok && out_ok, "corpus %s: pass equals zstd -dc (%zu bytes)", line,
		   ulen);
		nfiles++;
		ocifs_ckpts_fini(&ck);
		free(want);
	}
	fclose(m);
	ok(nfiles >= 1, "corpus: %d zstd files checked", nfiles);
}

int main(void)
{
	unsigned char *data;
	char path[256];
	struct timespec t0, t1;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tap_sh("zstd --version > /dev/null 2>&1") != 0) {
		if (tap_in_ci())
			ok(0, "zstd CLI missing");
		else
			skip("zstd CLI missing");
		return done_testing();
	}
	strcpy(dir, "/tmp/ocifs-zstdidx-XXXXXX");
	if (!ok(mkdtemp(dir) != NULL, "mkdtemp"))
		return done_testing();
	data = gen_data(DATA_SIZE);
	snprintf(path, sizeof(path), "%s/orig", dir);
	write_file(path, data, DATA_SIZE, "wb");

	/* one frame: with content size, without (from a pipe), --long */
	ok(tap_sh("cd %s && zstd -q -3 orig -o single.zst && cat orig | zstd -q -3 -c > nosize.zst "
	      "&& zstd -q -3 --long=27 orig -o long.zst", dir) == 0, "zstd: single frames");
	/* many frames up to 320 KiB (checkpoint distance <= span + 128 KiB) */
	n = split("m", data, 0, DATA_SIZE, KiB, 320 * KiB, 0);
	ok(n > 50 && tap_sh("cd %s/m && zstd -q -3 -c p* > ../multi.zst", dir) == 0,
	   "zstd: %d frames", n);
	/* the same with skippable frames at the start, in the middle, at the end */
	snprintf(path, sizeof(path), "%s/multiskip.zst", dir);
	append_skippable(path, 0, 100);
	tap_sh("cd %s/m && zstd -q -3 -c p000[0-4]* >> ../multiskip.zst", dir);
	append_skippable(path, 15, 0);
	append_skippable(path, 7, 70000);
	tap_sh("cd %s/m && zstd -q -3 -c p000[5-9]* p00[1-9]* >> ../multiskip.zst", dir);
	append_skippable(path, 3, 5);
	/* thousands of tiny frames without content size */
	n = split("t", data, 0, 8 * MiB, 512, 8 * KiB, 0);
	ok(n > 1500 && tap_sh("cd %s/t && zstd -q -1 --no-content-size -c p* > ../tiny.zst", dir) == 0,
	   "zstd: %d tiny frames", n);
	/* small frames, then big ones (sized and unsized) among them */
	{
		size_t off = 0;
		int k = 0, g = 0;
		while (off < DATA_SIZE) {
			size_t small = (size_t)rnd_range(0, 2 * MiB), big = (size_t)rnd_range(MiB, 3 * MiB);
			if (small > DATA_SIZE - off)
				small = DATA_SIZE - off;
			char sub[32];
			snprintf(sub, sizeof(sub), "x%d", g++);
			int m = small ? split(sub, data, off, small, KiB, 200 * KiB, 0) : 0;
			if (m > 0)
				tap_sh("cd %s/%s && zstd -q -3 -c p* >> ../mixed.zst", dir, sub);
			off += small;
			if (big > DATA_SIZE - off)
				big = DATA_SIZE - off;
			if (!big)
				break;
			snprintf(path, sizeof(path), "%s/big%d", dir, k);
			write_file(path, data + off, big, "wb");
			tap_sh("cd %s && zstd -q -3 %s -c big%d >> mixed.zst", dir,
			   k % 2 ? "--no-content-size" : "", k);
			k++;
			off += big;
		}
		ok(k >= 4, "zstd: mixed small and %d big frames", k);
	}
	ok(tap_sh("cd %s && zstd -q -c < /dev/null > empty1.zst && : > e && zstd -q e -o empty2.zst",
	      dir) == 0, "zstd: empty input");

	static const struct variant vs[] = {
		{ "single", DATA_SIZE, 1, 1, 0 },
		{ "nosize", DATA_SIZE, 1, 1, 0 },
		{ "long", DATA_SIZE, 1, 1, 0 },
		{ "multi", DATA_SIZE, 0, 0, 0 },
		{ "multiskip", DATA_SIZE, 0, 0, 0 },
		{ "tiny", 8 * MiB, 0, 0, 1 },
		{ "mixed", DATA_SIZE, 1, -1, 0 },
		{ "empty1", 0, 0, 0, 0 },
		{ "empty2", 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		check_variant(&vs[i], data, 256 * KiB, 2000);
		check_variant(&vs[i], data, OCIFS_SPAN_DEFAULT, 200);
	}
	check_bad();
	check_corpus();

	tap_sh("rm -rf '%s'", dir);
	free(data);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag("%.1f s", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return done_testing();
}
