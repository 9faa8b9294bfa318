/* SPDX-License-Identifier: MIT */
/*
 * The reader's read-ahead (src/readahead.h) over an image built here: a
 * gzip layer (one member) and a zstd layer of many frames, indexed with
 * a checkpoint every 128 KiB, read with 16 KiB blocks and 512 KiB of
 * read-ahead, so a few MiB make dozens of units. Every byte read is
 * compared with the file's content as generated (the uncompressed tar).
 *
 * Sequential reads with and without a span cache (blocks served by the
 * jobs), random reads (no read-ahead), interleaved files, threads reading
 * the same and different files at once, a jump cancelling a file's jobs
 * (a read early or late within them does not),
 * the bytes in flight bounded (peak at most twice the read-ahead), the
 * reader freed with jobs in flight (no hang; ASan: no leak), and a
 * corrupt unit: the reader of its blocks gets an error, the blocks
 * before it and every other unit and file their bytes; reads handed out
 * as pinned blocks (ocifs_rfile_readv, the mount's replies). Again
 * over zstd frames without content sizes, as pzstd writes them (the
 * read-ahead decodes whole frames straight into its blocks).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "cache.h"
#include "image.h"
#include "layer.h"
#include "log.h"
#include "reader.h"
#include "sha.h"
#include "tap.h"
#include "view.h"
#include "reader_image.h"

#define BLOCK (16u << 10)
#define AHEAD (512u << 10)
#define SPAN (128u << 10)
#define NFILES 4

static struct rimg_file files[2][NFILES];
static const size_t sizes[NFILES] = { 3000, 6u << 20, 3u << 20, 1234567 };

/* --- helpers ------------------------------------------------------------- */

static const struct ocifs_view *view;

static struct ocifs_reader *reader_of(uint64_t cache, uint64_t ahead)
{
	struct ocifs_reader_opts o = { .cache_size = cache, .block = BLOCK, .hashck = 1,
				       .readahead = ahead, .ra_threads = 2, .ra_unit = 64u << 10 };
	struct ocifs_reader *r;

	if (ocifs_reader_new(view, &o, &r))
		abort();
	return r;
}

static struct ocifs_rfile *open_file(struct ocifs_reader *r, const struct rimg_file *fl)
{
	struct ocifs_rfile *f;
	uint64_t ino;

	if (ocifs_view_resolve(view, fl->path, &ino) || ocifs_reader_open(r, ino, &f))
		abort();
	return f;
}

/* Read [off, off+n) of fl through f and compare: 0 exact, 1 wrong bytes,
 * or the read's error. */
static int check_read(struct ocifs_rfile *f, const struct rimg_file *fl, uint64_t off, size_t n,
		      unsigned char *buf)
{
	size_t got, want = off >= fl->len ? 0 : fl->len - off < n ? fl->len - off : n;
	int rc = ocifs_rfile_read(f, buf, n, off, &got);

	if (rc)
		return rc;
	return got != want || (want && memcmp(buf, fl->data + off, want)) ? 1 : 0;
}

/* Read fl whole in steps of step bytes: 0 exact, else as check_read. */
static int read_whole(struct ocifs_reader *r, const struct rimg_file *fl, size_t step)
{
	struct ocifs_rfile *f = open_file(r, fl);
	unsigned char *buf = malloc(step);
	int rc = 0;

	for (uint64_t off = 0; buf && !rc && off < fl->len; off += step)
		rc = check_read(f, fl, off, step, buf);
	ocifs_rfile_close(f);
	free(buf);
	return rc;
}

static struct ocifs_reader_stats stats(struct ocifs_reader *r)
{
	struct ocifs_reader_stats st;

	ocifs_reader_stats(r, &st);
	return st;
}

/* --- the tests ----------------------------------------------------------- */

static void test_sequential(void)
{
	for (int l = 0; l < 2; l++) {
		for (int cached = 0; cached < 2; cached++) {
			struct ocifs_reader *r = reader_of(cached ? 4u << 20 : 0, AHEAD);
			const struct rimg_file *fl = &files[l][1];
			int rc = read_whole(r, fl, 100000);
			struct ocifs_reader_stats st = stats(r);

			ok(rc == 0, "%s, %s: %zu bytes read in order, byte-exact (%d)",
			   l ? "zstd" : "gzip", cached ? "cache" : "no cache", fl->len, rc);
			ok(st.ra_queued > 4 && st.ra_served > fl->len / BLOCK / 2,
			   "%s, %s: the blocks came from read-ahead (%llu jobs, %llu of %zu blocks served, "
			   "%llu run inline, %llu waits)",
			   l ? "zstd" : "gzip", cached ? "cache" : "no cache",
			   (unsigned long long)st.ra_queued, (unsigned long long)st.ra_served,
			   fl->len / BLOCK, (unsigned long long)st.ra_inline,
			   (unsigned long long)st.ra_waits);
			ok(st.ra_peak <= 2 * AHEAD && st.ra_peak > 0,
			   "%s, %s: at most %u bytes in flight (peak %llu)", l ? "zstd" : "gzip",
			   cached ? "cache" : "no cache", 2 * AHEAD, (unsigned long long)st.ra_peak);
			/* how many are allocated depends on how the threads
			 * were scheduled; that some are reused, and fewer are
			 * allocated than blocks decoded, does not */
			ok(st.buf_reused > 0 && st.buf_allocated < fl->len / BLOCK,
			   "%s, %s: span buffers recycled (%llu allocated, %llu reused)",
			   l ? "zstd" : "gzip", cached ? "cache" : "no cache",
			   (unsigned long long)st.buf_allocated, (unsigned long long)st.buf_reused);
			ocifs_reader_free(r);
		}
	}
}

static void test_random(void)
{
	struct ocifs_reader *r = reader_of(1u << 20, AHEAD);
	unsigned char *buf = malloc(70000);
	uint64_t seed = 99;
	int bad = 0;

	for (int k = 0; buf && k < 200; k++) {
		const struct rimg_file *fl = &files[k % 2][1 + rimg_next(&seed) % 3];
		struct ocifs_rfile *f = open_file(r, fl);
		/* jumps of more than the gap between reads of one file */
		for (int i = 0; i < 3; i++)
			bad += check_read(f, fl, rimg_next(&seed) % fl->len, 1 + rimg_next(&seed) % 70000, buf) != 0;
		ocifs_rfile_close(f);
	}
	ok(!bad, "random reads: byte-exact (%d wrong)", bad);
	ok(stats(r).ra_jobs == 0, "random reads: no jobs left");
	free(buf);
	ocifs_reader_free(r);
}

/* Round robin over three files (two layers) in 64 KiB reads. */
static void test_interleaved(void)
{
	struct ocifs_reader *r = reader_of(2u << 20, AHEAD);
	const struct rimg_file *fl[3] = { &files[0][1], &files[0][2], &files[1][1] };
	struct ocifs_rfile *f[3];
	unsigned char *buf = malloc(65536);
	int bad = 0;

	for (int i = 0; i < 3; i++)
		f[i] = open_file(r, fl[i]);
	for (uint64_t off = 0; buf && off < fl[0]->len; off += 65536)
		for (int i = 0; i < 3; i++)
			if (off < fl[i]->len)
				bad += check_read(f[i], fl[i], off, 65536, buf) != 0;
	ok(!bad, "three files read in turn: byte-exact (%d wrong)", bad);
	ok(stats(r).ra_cancelled == 0, "files read in turn do not cancel each other's read-ahead");
	for (int i = 0; i < 3; i++)
		ocifs_rfile_close(f[i]);
	free(buf);
	ocifs_reader_free(r);
}

/* Two opens of one file in lockstep: each unit is decoded once. */
static void test_shared(void)
{
	struct ocifs_reader *r = reader_of(0, AHEAD);
	const struct rimg_file *fl = &files[1][1];
	struct ocifs_rfile *a = open_file(r, fl), *b = open_file(r, fl);
	unsigned char *buf = malloc(65536);
	int bad = 0;

	for (uint64_t off = 0; buf && off < fl->len; off += 65536) {
		bad += check_read(a, fl, off, 65536, buf) != 0;
		bad += check_read(b, fl, off, 65536, buf) != 0;
	}
	struct ocifs_reader_stats st = stats(r);
	ok(!bad, "one file opened twice, read in lockstep: byte-exact (%d wrong)", bad);
	ok(st.ra_blocks <= fl->len / BLOCK + 2 * SPAN / BLOCK,
	   "each block decoded ahead once (%llu blocks for a file of %zu)",
	   (unsigned long long)st.ra_blocks, fl->len / BLOCK);
	ocifs_rfile_close(a);
	ocifs_rfile_close(b);
	free(buf);
	ocifs_reader_free(r);
}

struct worker {
	struct ocifs_reader *r;
	const struct rimg_file *fl;
	size_t step;
	int rc;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->rc = read_whole(w->r, w->fl, w->step);
	return NULL;
}

static void test_concurrent(void)
{
	struct ocifs_reader *r = reader_of(4u << 20, AHEAD);
	struct worker w[6];
	pthread_t t[6];
	int bad = 0;

	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){ .r = r, .fl = &files[i % 2][1 + i % 3], .step = 50000 + 7000 * (size_t)i };
		if (pthread_create(&t[i], NULL, worker_main, &w[i]))
			abort();
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		bad += w[i].rc != 0;
	}
	struct ocifs_reader_stats st = stats(r);
	ok(!bad, "6 threads reading 5 files in order at once: byte-exact (%d wrong)", bad);
	ok(st.ra_peak <= 2 * AHEAD, "6 readers: at most %u bytes in flight (peak %llu)", 2 * AHEAD,
	   (unsigned long long)st.ra_peak);
	ocifs_reader_free(r);
}

/* The kernel's async reads reach the daemon out of order, with a large
 * read-ahead several MiB late: a file read in order but for one request
 * held back and delivered 3 MiB late (more than READER_GAP, less than
 * the read-ahead) keeps its read-ahead. */
static void test_late(void)
{
	const uint64_t req = 128u << 10, held = 1u << 20, when = held + (3u << 20);
	struct ocifs_reader *r = reader_of(0, 8u << 20);
	const struct rimg_file *fl = &files[1][1];
	struct ocifs_rfile *f = open_file(r, fl);
	unsigned char *buf = malloc(req);
	unsigned jobs = 0;
	int bad = 0;

	for (uint64_t off = 0; buf && off < fl->len; off += req) {
		if (off != held)
			bad += check_read(f, fl, off, req, buf) != 0;
		if (off == when) {
			bad += check_read(f, fl, held, req, buf) != 0;
			jobs = stats(r).ra_jobs;
		}
	}
	struct ocifs_reader_stats st = stats(r);
	ok(!bad, "a read 3 MiB late: byte-exact (%d wrong)", bad);
	ok(jobs > 0 && st.ra_cancelled == 0,
	   "it does not cancel the read-ahead (%u jobs after it, %llu cancelled)", jobs,
	   (unsigned long long)st.ra_cancelled);
	ok(st.ra_blocks <= fl->len / BLOCK + 1,
	   "nor make it decode again what it read past (%llu blocks for a file of %zu)",
	   (unsigned long long)st.ra_blocks, fl->len / BLOCK);
	ocifs_rfile_close(f);
	free(buf);
	ocifs_reader_free(r);
}

/* The kernel's read-ahead with a bigger read_ahead_kb: 1 MiB requests,
 * several windows in flight, served by several threads, so one lands
 * megabytes past the front. Inside the file's read-ahead it is no jump:
 * the jobs stay, nothing is decoded twice. */
static void test_early(void)
{
	const uint64_t req = 128u << 10, front = 1u << 20, early = front + (3u << 20);
	struct ocifs_reader *r = reader_of(0, 8u << 20);
	const struct rimg_file *fl = &files[1][1];
	struct ocifs_rfile *f = open_file(r, fl);
	unsigned char *buf = malloc(req);
	unsigned jobs = 0;
	int bad = 0;

	for (uint64_t off = 0; buf && off < fl->len; off += req) {
		if (off == front) {
			bad += check_read(f, fl, early, req, buf) != 0;
			jobs = stats(r).ra_jobs;
		}
		if (off != early)
			bad += check_read(f, fl, off, req, buf) != 0;
	}
	struct ocifs_reader_stats st = stats(r);
	ok(!bad, "a read 3 MiB early: byte-exact (%d wrong)", bad);
	ok(jobs > 0 && st.ra_cancelled == 0,
	   "it does not cancel the read-ahead it lands in (%u jobs after it, %llu cancelled)", jobs,
	   (unsigned long long)st.ra_cancelled);
	ok(st.ra_blocks <= fl->len / BLOCK + 1,
	   "nor make it decode anything twice (%llu blocks for a file of %zu)",
	   (unsigned long long)st.ra_blocks, fl->len / BLOCK);
	ocifs_rfile_close(f);
	free(buf);
	ocifs_reader_free(r);
}

static void test_jump(void)
{
	struct ocifs_reader *r = reader_of(0, AHEAD);
	const struct rimg_file *fl = &files[0][1];
	struct ocifs_rfile *f = open_file(r, fl);
	unsigned char *buf = malloc(65536);
	int bad = 0;

	for (uint64_t off = 0; buf && off < 4 * 65536; off += 65536)
		bad += check_read(f, fl, off, 65536, buf) != 0;
	struct ocifs_reader_stats st = stats(r);
	ok(st.ra_jobs > 0, "reading in order: jobs queued (%u)", st.ra_jobs);
	bad += check_read(f, fl, fl->len - 100000, 65536, buf) != 0;
	st = stats(r);
	ok(st.ra_jobs == 0, "a jump cancels them (%u left, %llu cancelled)", st.ra_jobs,
	   (unsigned long long)st.ra_cancelled);
	bad += check_read(f, fl, fl->len - 100000 + 65536, 65536, buf) != 0;
	ok(!bad, "reads around the jump: byte-exact (%d wrong)", bad);
	ocifs_rfile_close(f);
	free(buf);
	ocifs_reader_free(r);
}

/* Reads handed out as pinned blocks (the mount's replies). */
static void test_readv(void)
{
	struct ocifs_reader *r = reader_of(1u << 20, AHEAD), *nc = reader_of(0, AHEAD);
	const struct rimg_file *fl = &files[1][2];
	struct ocifs_rfile *f = open_file(r, fl), *g = open_file(nc, fl);
	struct ocifs_rvec v;
	size_t got, pieces = 0;
	int bad = 0, rc = 0;

	for (uint64_t off = 0; !rc && off < fl->len; off += 100000) {
		size_t at = 0;
		rc = ocifs_rfile_readv(f, 100000, off, &v, &got);
		for (size_t i = 0; !rc && i < v.n; i++) {
			bad += off + at + v.iov[i].iov_len > fl->len ||
			       memcmp(v.iov[i].iov_base, fl->data + off + at, v.iov[i].iov_len) != 0;
			at += v.iov[i].iov_len;
		}
		bad += !rc && at != got;
		pieces += v.n;
		ocifs_rvec_release(&v);
	}
	ok(!rc && !bad, "a file read in order as pinned blocks: byte-exact (%d, %d wrong, %zu pieces)",
	   rc, bad, pieces);
	ok(stats(r).ra_served > 0, "those blocks came from read-ahead too");
	ok(ocifs_rfile_readv(f, (OCIFS_RVEC_MAX + 1) * BLOCK, 0, &v, &got) == -EAGAIN,
	   "a read of more pieces than fit: -EAGAIN");
	ok(ocifs_rfile_readv(g, 1000, 0, &v, &got) == -EAGAIN, "no cache: -EAGAIN");
	ocifs_rfile_close(f);
	ocifs_rfile_close(g);
	ocifs_reader_free(r);
	ocifs_reader_free(nc);
}

/* Freed with jobs queued and running, files left open. */
static void test_shutdown(void)
{
	for (int k = 0; k < 4; k++) {
		struct ocifs_reader *r = reader_of(k % 2 ? 1u << 20 : 0, 4 * AHEAD);
		const struct rimg_file *fl = &files[k % 2][1];
		struct ocifs_rfile *f = open_file(r, fl), *g = open_file(r, &files[1 - k % 2][2]);
		unsigned char *buf = malloc(65536);

		check_read(f, fl, 0, 65536, buf);
		check_read(f, fl, 65536, 65536, buf);
		check_read(g, &files[1 - k % 2][2], 0, 65536, buf);
		check_read(g, &files[1 - k % 2][2], 65536, 65536, buf);
		if (k >= 2)
			ocifs_rfile_close(g); /* one closed mid-read-ahead */
		ocifs_reader_free(r);
		free(buf);
	}
	ok(1, "readers freed with read-ahead in flight and files open: no hang");
}

/* Break the stream of layer l where checkpoint k starts decoding, so
 * that a decoder must fail there: gzip, the deflate block header at the
 * checkpoint's bit made reserved block type 3; zstd, the frame's magic. */
static void break_at(const char *blob, const struct ocifs_ckpts *ck, size_t k)
{
	int fd = open(blob, O_RDWR);
	const struct ocifs_ckpt *c = &ck->v[k];

	if (fd < 0)
		abort();
	if (ck->comp == OCIFS_COMP_ZSTD) {
		static const unsigned char bad[4] = { 0xde, 0xad, 0xbe, 0xef };
		if (pwrite(fd, bad, 4, (off_t)c->coff) != 4)
			abort();
	} else {
		/* bits: that many high bits of the byte before coff are the
		 * stream's next ones (deflate reads bits LSB first) */
		uint64_t bit = c->coff * 8 - c->bits;
		for (int i = 0; i < 3; i++, bit++) { /* BFINAL 1, BTYPE 11 */
			unsigned char b;
			if (pread(fd, &b, 1, (off_t)(bit / 8)) != 1)
				abort();
			b |= (unsigned char)(1u << (bit % 8));
			if (pwrite(fd, &b, 1, (off_t)(bit / 8)) != 1)
				abort();
		}
	}
	close(fd);
}

/* Break one layer's stream at a checkpoint a third into a big file. */
static void test_corrupt(struct ocifs_layer *ly, int l, const char *blob)
{
	const struct ocifs_ckpts *ck = ocifs_layer_ckpts(ly);
	/* the other file: of the other layer, or (the gzip one broken
	 * already) past where that one broke */
	const struct rimg_file *fl = &files[l][1], *other = l ? &files[0][2] : &files[1][1];
	struct ocifs_reader *r = reader_of(1u << 20, AHEAD);
	unsigned char *buf = malloc(65536);
	struct ocifs_rfile *f, *g;
	size_t k = 0;
	uint64_t first_bad = UINT64_MAX, data_off, bad_uoff;
	int rc = 0, wrong = 0, other_bad = 0;
	const char *what = l ? "zstd" : "gzip";

	f = open_file(r, fl);
	data_off = ocifs_rfile_extent(f)->data_off;
	k = ocifs_ckpts_find(ck, data_off + fl->len / 3);
	bad_uoff = ck->v[k].uoff;
	if (k + 2 >= ck->n)
		abort();
	break_at(blob, ck, k);
	g = open_file(r, other);
	for (uint64_t off = 0; buf && off < fl->len; off += 65536) {
		int c = check_read(f, fl, off, 65536, buf);
		if (c < 0 && first_bad == UINT64_MAX)
			first_bad = off;
		if (c > 0)
			wrong++;
		if (c < 0)
			rc = c;
		/* another file, read alongside, is untouched */
		if (off < other->len)
			other_bad += check_read(g, other, off, 65536, buf) != 0;
	}
	struct ocifs_reader_stats st = stats(r);
	ok((rc == -EIO || rc == -EBADMSG) && first_bad != UINT64_MAX, "%s: the broken span fails its reader (%d at file offset %llu)",
	   what, rc, (unsigned long long)first_bad);
	/* the read holding the checkpoint's block, or the one before */
	ok(first_bad + 2 * 65536 + BLOCK > bad_uoff - data_off && first_bad < ck->v[k + 1].uoff - data_off,
	   "%s: the first failing read is at the broken span (file bytes %llu..%llu)", what,
	   (unsigned long long)(bad_uoff - data_off),
	   (unsigned long long)(ck->v[k + 1].uoff - data_off));
	ok(!wrong, "%s: never wrong bytes (%d)", what, wrong);
	ok(st.ra_failed >= 1 && st.ra_errors >= 1,
	   "%s: it failed in a read-ahead job (%llu), which gave its reader the error (%llu)", what,
	   (unsigned long long)st.ra_failed, (unsigned long long)st.ra_errors);
	ok(!other_bad, "%s: another file read alongside: byte-exact", what);
	/* past it, reading in order again (a read far off first) */
	wrong = 0;
	rc = 0;
	uint64_t from = ck->v[k + 2].uoff - data_off;
	for (uint64_t off = from; buf && off < fl->len; off += 65536) {
		int c = check_read(f, fl, off, 65536, buf);
		wrong += c > 0;
		if (c < 0 && !rc)
			diag("%s: read at %llu (stream %llu): %d; broken at %llu, from %llu", what,
			     (unsigned long long)off, (unsigned long long)(off + data_off), c,
			     (unsigned long long)bad_uoff, (unsigned long long)(from + data_off));
		if (c < 0)
			rc = c;
	}
	ok(!rc && !wrong, "%s: the spans after it read exact (%d, %d wrong)", what, rc, wrong);
	ok(check_read(f, fl, 0, 65536, buf) == 0, "%s: and so do the ones before", what);
	ocifs_rfile_close(f);
	ocifs_rfile_close(g);
	free(buf);
	ocifs_reader_free(r);
}

int main(void)
{
	struct rimg m;
	int rc;

	ocifs_log_threshold = OCIFS_LOG_ERR - 1;
	rc = rimg_open(&m, "ocifs-ra", NFILES, sizes, SPAN, SPAN, &files[0][0]);
	view = m.v;
	if (ok(rc == 0, "image of a gzip and a many-frame zstd layer (%d)", rc) &&
	    ok(ocifs_layer_ckpts(m.layers[0])->n > 40 && ocifs_layer_ckpts(m.layers[1])->n > 40,
	       "checkpoints: gzip %zu, zstd %zu", ocifs_layer_ckpts(m.layers[0])->n,
	       ocifs_layer_ckpts(m.layers[1])->n)) {
		test_sequential();
		test_random();
		test_interleaved();
		test_shared();
		test_concurrent();
		test_jump();
		test_late();
		test_early();
		test_readv();
		test_shutdown();
		/* last: they break the blobs */
		test_corrupt(m.layers[0], 0, m.blob[0]);
		test_corrupt(m.layers[1], 1, m.blob[1]);
	}
	rimg_close(&m, &files[0][0], NFILES);

	/* zstd frames as pzstd writes them: no content size in the header,
	 * smaller than a span and not block-aligned, so a read-ahead run is
	 * several whole frames (decoded straight into place, where they end
	 * known from the next checkpoint) and a frame cut by the run's end */
	rimg_zstd_nosize = 1;
	rc = rimg_open(&m, "ocifs-ra-nosize", NFILES, sizes, 40000, SPAN, &files[0][0]);
	view = m.v;
	if (ok(rc == 0, "image of a zstd layer of 40000-byte frames without content sizes (%d)",
	       rc)) {
		test_sequential();
		test_readv();
		test_corrupt(m.layers[1], 1, m.blob[1]);
	}
	rimg_close(&m, &files[0][0], NFILES);
	return done_testing();
}
