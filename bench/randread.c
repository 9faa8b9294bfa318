/* SPDX-License-Identifier: MIT */
/*
 * randread IMAGE [N [ROOT]]: the cost of random 4 KiB reads in the largest
 * regular file of layer 1 of IMAGE, read through the index (building it if
 * the cache has none). Three patterns, N reads each (default 2000):
 *   fresh  - a new cursor for every read: the worst case, every read
 *            restarts from the checkpoint at or before it
 *   reused - one cursor for all reads, offsets in random order
 *   seq    - one cursor, consecutive 4 KiB blocks (should decode ~4 KiB)
 * and the cost of decoding one span: a fresh cursor reading the last 4 KiB
 * before each of a few checkpoints inside the file (which decodes all of
 * the span before it).
 *
 * A zstd layer that is one big frame has no checkpoint inside the file
 * until it is read at random (zshadow.h): then first_us/first_decoded is
 * one read before anything was made, 64 reads (in offset order) ask for
 * the file's chunks, the lazy shadow is waited for (shadow_bytes: its
 * size), and the three patterns above measure reads with it in place.
 *
 * With ROOT (the directory the layer was made from), every block read is
 * compared with the same bytes of ROOT/<path>.
 *
 * Prints key=value lines (times in microseconds, sizes in bytes) for
 * bench/run.sh; exit status 0 ok, 1 error.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "idxdb.h"
#include "image.h"
#include "layer.h"
#include "zio.h"
#include "zshadow.h"

#define BLK 4096u

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) /* xorshift64*: fixed seed, same offsets every run */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

struct biggest {
	uint64_t size;
	char *path;
};

static int find_biggest(void *ctx, const struct ocifs_entry *e)
{
	struct biggest *b = ctx;

	if (e->type != '0' || e->nsparse || e->size <= b->size)
		return 0;
	free(b->path);
	size_t n = strlen(e->dir) + strlen(e->name) + 2;
	b->path = malloc(n);
	if (!b->path)
		return -ENOMEM;
	snprintf(b->path, n, "%s%s%s", e->dir, *e->dir ? "/" : "", e->name);
	b->size = e->size;
	return 0;
}

struct ctx {
	struct ocifs_layer *l;
	struct ocifs_entry e;   /* the file's row */
	struct ocifs_extent ext; /* where its data is */
	int ref_fd;             /* ROOT/<path>, or -1 */
	unsigned char *buf, *ref;
	uint64_t mismatches;
};

/* One block read through cursor c; checked against the root when given. */
static int read_block(struct ctx *x, struct ocifs_zcursor *c, uint64_t off, size_t n)
{
	size_t got = 0;
	int rc = ocifs_layer_read(x->l, c, &x->ext, x->buf, n, off, &got);

	if (rc) {
		fprintf(stderr, "randread: read at %" PRIu64 ": %s\n", off, strerror(-rc));
		return rc;
	}
	if (got != n) {
		fprintf(stderr, "randread: short read at %" PRIu64 "\n", off);
		return -EIO;
	}
	if (x->ref_fd >= 0) {
		ssize_t r = pread(x->ref_fd, x->ref, n, (off_t)off);
		if (r != (ssize_t)n || memcmp(x->ref, x->buf, n) != 0)
			x->mismatches++;
	}
	return 0;
}

/* Random block offsets in [0, size - BLK], 4 KiB aligned. */
static uint64_t rand_off(uint64_t size)
{
	uint64_t blocks = size / BLK;
	return blocks > 1 ? (rng() % blocks) * BLK : 0;
}

/* The cost of one span: a fresh cursor reading the last 4 KiB before a
 * checkpoint decodes the whole span before it, on the same path as a
 * random read. Up to 16 spans inside the file, or its first 4 MiB when
 * no checkpoint falls inside it. Means into *us and *bytes. */
static int measure_span(struct ctx *x, double *us, double *bytes, unsigned *spans)
{
	const struct ocifs_ckpts *ck = ocifs_layer_ckpts(x->l);
	uint64_t lo = x->e.data_off, hi = x->e.data_off + x->e.data_len;
	double t = 0, d = 0;
	unsigned k = 0;
	int rc;

	for (size_t j = 0; j + 1 < ck->n && k < 16; j++) {
		uint64_t a = ck->v[j].uoff, b = ck->v[j + 1].uoff;
		if (a < lo || b - BLK < lo || b > hi)
			continue;
		struct ocifs_zcursor *c;
		double t0 = now_us();
		if ((rc = ocifs_layer_cursor(x->l, &c)) != 0)
			return rc;
		rc = read_block(x, c, b - BLK - lo, BLK);
		d += (double)ocifs_zcursor_decoded(c);
		ocifs_zcursor_free(c);
		if (rc)
			return rc;
		t += now_us() - t0;
		k++;
	}
	if (!k) {
		uint64_t want = x->e.size < OCIFS_SPAN_DEFAULT ? x->e.size : OCIFS_SPAN_DEFAULT;
		struct ocifs_zcursor *c;
		double t0 = now_us();
		if ((rc = ocifs_layer_cursor(x->l, &c)) != 0)
			return rc;
		rc = read_block(x, c, want - BLK, BLK);
		d = (double)ocifs_zcursor_decoded(c);
		ocifs_zcursor_free(c);
		if (rc)
			return rc;
		t = now_us() - t0;
		k = 1;
	}
	*us = t / k;
	*bytes = d / k;
	*spans = k;
	return 0;
}

static void put(const char *k, double v)
{
	printf("%s=%.3f\n", k, v);
}

int main(int argc, char **argv)
{
	struct ocifs_image *img = NULL;
	struct ocifs_layer *l = NULL;
	struct ocifs_idxdb *db = NULL;
	struct ocifs_image_opts io = { 0 };
	struct biggest big = { 0 };
	struct ctx x = { .ref_fd = -1 };
	struct ocifs_zcursor *c = NULL; /* the reused and sequential cursor */
	char *cache_dir = NULL;
	unsigned n = 2000;
	int rc, ret = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: randread IMAGE [N [ROOT]]\n");
		return 2;
	}
	if (argc > 2)
		n = (unsigned)strtoul(argv[2], NULL, 10);
	if (!n)
		n = 1;
	if (ocifs_cache_open_dir(&cache_dir) != 0) {
		fprintf(stderr, "randread: no cache directory\n");
		return 1;
	}
	rc = ocifs_image_open(argv[1], &io, &img);
	if (rc)
		goto out;
	if (!img->nlayers) {
		fprintf(stderr, "randread: %s has no layers\n", argv[1]);
		goto out;
	}
	struct ocifs_layer_opts lo = { .cache_dir = cache_dir };
	rc = ocifs_layer_open(img, 0, &lo, &l);
	if (rc)
		goto out;
	x.l = l;
	rc = ocifs_layer_db(l, &db);
	if (!rc)
		rc = ocifs_idxdb_foreach(db, find_biggest, &big);
	if (rc || !big.path || big.size < 2 * BLK) {
		fprintf(stderr, "randread: no regular file to read in layer 1\n");
		goto out;
	}
	rc = ocifs_idxdb_lookup(db, big.path, &x.e);
	if (rc) {
		fprintf(stderr, "randread: lookup %s: %s\n", big.path, strerror(-rc));
		goto out;
	}
	ocifs_entry_extent(&x.e, &x.ext);
	x.buf = malloc(BLK);
	x.ref = malloc(BLK);
	if (!x.buf || !x.ref)
		goto out;
	if (argc > 3) {
		char *p = malloc(strlen(argv[3]) + strlen(big.path) + 2);
		if (!p)
			goto out;
		sprintf(p, "%s/%s", argv[3], big.path);
		x.ref_fd = open(p, O_RDONLY | O_CLOEXEC);
		if (x.ref_fd < 0)
			fprintf(stderr, "randread: %s: %s\n", p, strerror(errno));
		free(p);
		if (x.ref_fd < 0)
			goto out;
	}

	const struct ocifs_ckpts *ck = ocifs_layer_ckpts(l);
	uint64_t fsize = x.e.size;
	printf("file=%s\n", big.path);
	printf("comp=%s\n", ocifs_comp_name(ocifs_layer_comp(l)));
	printf("size=%" PRIu64 "\n", fsize);
	printf("usize=%" PRIu64 "\n", ck->usize ? ck->usize : ocifs_layer_usize(l));
	printf("ckpts=%zu\n", ck->n);
	printf("reads=%u\n", n);

	/* --- a zstd layer's big frame: the first read, then the lazy shadow
	 * made by reads at random (waited for), before the patterns --- */
	struct ocifs_zshadow *zs = ocifs_layer_zshadow(l);
	uint64_t decoded = 0;
	double t0 = now_us();
	{
		struct ocifs_zcursor *fc;
		uint64_t warm[64];
		if (ocifs_layer_cursor(l, &fc))
			goto out;
		rc = read_block(&x, fc, rand_off(fsize), BLK);
		put("first_us", now_us() - t0);
		put("first_decoded", (double)ocifs_zcursor_decoded(fc));
		ocifs_zcursor_free(fc);
		if (rc)
			goto out;
		for (unsigned i = 0; zs && i < 64; i++)
			warm[i] = rand_off(fsize);
		for (unsigned i = 0; zs && i < 64; i++) /* in order: one pass for the worker */
			for (unsigned j = i + 1; j < 64; j++)
				if (warm[j] < warm[i]) {
					uint64_t t = warm[i];
					warm[i] = warm[j];
					warm[j] = t;
				}
		t0 = now_us();
		for (unsigned i = 0; zs && i < 64; i++) {
			if (ocifs_layer_cursor(l, &fc))
				goto out;
			rc = read_block(&x, fc, warm[i], BLK);
			ocifs_zcursor_free(fc);
			if (rc)
				goto out;
		}
		if (zs) {
			struct ocifs_zshadow_stats st;
			ocifs_zshadow_wait(zs);
			ocifs_zshadow_stats(zs, &st);
			put("shadow_s", (now_us() - t0) / 1e6);
			put("shadow_bytes", (double)st.file_bytes);
			put("shadow_chunks", (double)(st.made + st.loaded));
		}
	}

	/* --- the span, after the lazy shadow (its chunks are the checkpoints
	 * inside the file of a big zstd frame), twice: the first round warms up malloc, as a
	 * decoder's buffers come from fresh mmap()ed pages until glibc raises
	 * its mmap threshold) --- */
	double span_us = 0, span_bytes = 0;
	unsigned spans = 0;
	for (int round = 0; round < 2; round++)
		if ((rc = measure_span(&x, &span_us, &span_bytes, &spans)) != 0)
			goto out;
	put("span_bytes", span_bytes);
	put("span_us", span_us);
	printf("spans_measured=%u\n", spans);
	/* the layer's own mean distance between checkpoints */
	put("mean_span_bytes", ck->n ? (double)(ck->usize ? ck->usize : ocifs_layer_usize(l)) / (double)ck->n : 0);

	/* --- fresh cursor per read --- */
	t0 = now_us();
	for (unsigned i = 0; i < n; i++) {
		struct ocifs_zcursor *fc;
		uint64_t off = rand_off(fsize);
		if (ocifs_layer_cursor(l, &fc))
			goto out;
		rc = read_block(&x, fc, off, BLK);
		decoded += ocifs_zcursor_decoded(fc);
		ocifs_zcursor_free(fc);
		if (rc)
			goto out;
	}
	put("fresh_us", (now_us() - t0) / n);
	put("fresh_decoded", (double)decoded / n);

	/* --- one reused cursor, random order --- */
	if (ocifs_layer_cursor(l, &c))
		goto out;
	t0 = now_us();
	for (unsigned i = 0; i < n; i++)
		if (read_block(&x, c, rand_off(fsize), BLK))
			goto out;
	put("reused_us", (now_us() - t0) / n);
	put("reused_decoded", (double)ocifs_zcursor_decoded(c) / n);
	ocifs_zcursor_free(c);
	c = NULL;

	/* --- one cursor, sequential 4 KiB blocks from a random start --- */
	if (ocifs_layer_cursor(l, &c))
		goto out;
	uint64_t off = rand_off(fsize / 2);
	rc = read_block(&x, c, off, BLK); /* position the cursor */
	if (rc)
		goto out;
	uint64_t d0 = ocifs_zcursor_decoded(c);
	unsigned seq = 0;
	t0 = now_us();
	for (off += BLK; seq < n && off + BLK <= fsize; off += BLK, seq++)
		if (read_block(&x, c, off, BLK))
			goto out;
	if (seq) {
		put("seq_us", (now_us() - t0) / seq);
		put("seq_decoded", (double)(ocifs_zcursor_decoded(c) - d0) / seq);
	}
	ocifs_zcursor_free(c);
	c = NULL;

	printf("checked=%s\n", x.ref_fd >= 0 ? "yes" : "no");
	ret = x.mismatches ? 1 : 0;
	printf("mismatches=%" PRIu64 "\n", x.mismatches);
	if (x.mismatches)
		fprintf(stderr, "randread: %" PRIu64 " blocks differ from %s/%s\n", x.mismatches,
			argv[3], big.path);

out:
	if (c)
		ocifs_zcursor_free(c);
	if (x.ref_fd >= 0)
		close(x.ref_fd);
	free(x.buf);
	free(x.ref);
	free(big.path);
	ocifs_entry_fini(&x.e);
	ocifs_layer_close(l);
	ocifs_image_free(img);
	free(cache_dir);
	return ret;
}
