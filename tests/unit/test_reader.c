/* SPDX-License-Identifier: MIT */
/*
 * The span cache and the reader. The cache: insert/get, a duplicate key
 * left out, cold blocks evicted before hot ones, the cold budget, keep
 * promoting a cold block, and a reference keeping an evicted span alive.
 * The reader: threads reading random ranges of files in a gzip and a
 * zstd layer at once, byte-exact against the plain content, with a
 * budget big enough to share blocks, a tiny one that evicts all the
 * time, and none at all; plus the sha256 check of a file read whole.
 * The image (an OCI layout, one gzip and one zstd layer) is built here.
 */
#include <errno.h>
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
#include "spancache.h"
#include "tap.h"
#include "view.h"
#include "reader_image.h"

#define BLK 4096u

/* --- the span cache --------------------------------------------------- */

static struct ocifs_span *span_of(uint32_t layer, uint64_t blk)
{
	struct ocifs_span *s;

	if (ocifs_span_new(layer, blk, BLK, &s))
		abort();
	memset(s->data, (int)(blk & 0xff), BLK);
	return s;
}

static void insert(struct ocifs_spancache *c, uint32_t layer, uint64_t blk, int cold)
{
	struct ocifs_span *s = span_of(layer, blk);

	ocifs_spancache_insert(c, s, cold);
	ocifs_span_unref(s);
}

static void test_spancache(void)
{
	struct ocifs_spancache *c;
	struct ocifs_spancache_stats st;
	struct ocifs_span *s, *t, *held;
	unsigned resident = 0, survived = 0, nhot = 32;
	int was[32];

	/* 64 blocks: 16 shards of 4 */
	ok(ocifs_spancache_new(64 * BLK, 0, BLK, &c) == 0, "cache of 64 blocks");
	ok(ocifs_spancache_get(c, 1, 7) == NULL, "empty: a miss");
	s = span_of(1, 7);
	ocifs_spancache_insert(c, s, 0);
	t = ocifs_spancache_get(c, 1, 7);
	ok(t == s && t->len == BLK && t->data[0] == 7, "inserted block is found");
	ocifs_span_unref(t);
	t = span_of(1, 7);
	memset(t->data, 0xee, BLK);
	ocifs_spancache_insert(c, t, 0); /* same key: left out */
	ocifs_span_unref(t);
	t = ocifs_spancache_get(c, 1, 7);
	ok(t == s, "a second block with the same key is left out");
	ocifs_span_unref(t);
	ocifs_span_unref(s);
	ok(ocifs_spancache_get(c, 2, 7) == NULL, "the layer is part of the key");

	/* hot blocks, then a flood of cold ones: cold goes first, so each
	 * shard gives up at most the one hot block a cold insert into a full
	 * shard of hot ones pushes out */
	for (unsigned i = 0; i < nhot; i++)
		insert(c, 3, i, 0);
	for (unsigned i = 0; i < nhot; i++)
		resident += was[i] = ocifs_spancache_has(c, 3, i);
	held = ocifs_spancache_get(c, 1, 7); /* a reference across eviction */
	for (unsigned i = 0; i < 1000; i++)
		insert(c, 4, i, 1);
	for (unsigned i = 0; i < nhot; i++)
		survived += was[i] && ocifs_spancache_has(c, 3, i);
	ok(resident >= 16, "hot blocks resident before the flood (%u of %u)", resident, nhot);
	ok(survived + 16 >= resident, "a cold flood evicts at most one hot block a shard (%u of %u left)",
	   survived, resident);
	ocifs_spancache_stats(c, &st);
	ok(st.bytes <= 64 * BLK && st.spans == st.bytes / BLK, "within budget (%llu bytes)",
	   (unsigned long long)st.bytes);
	ok(held && held->data[0] == 7 && held->data[BLK - 1] == 7,
	   "a referenced span stays readable");
	ocifs_span_unref(held);

	/* keep: a cold block made hot outlives the next flood */
	insert(c, 5, 1, 1);
	ok(ocifs_spancache_keep(c, 5, 1) == 1, "keep finds the cold block");
	ok(ocifs_spancache_keep(c, 5, 2) == 0, "keep of an uncached block: 0");
	for (unsigned i = 0; i < 1000; i++)
		insert(c, 6, i, 1);
	ok(ocifs_spancache_has(c, 5, 1), "a kept block survives a cold flood");
	ocifs_spancache_free(c);

	/* the cold budget: 64 blocks, of them at most 16 cold */
	ok(ocifs_spancache_new(64 * BLK, 16 * BLK, BLK, &c) == 0, "cache with a cold budget");
	for (unsigned i = 0; i < 16; i++)
		insert(c, 1, i, 0);
	for (unsigned i = 0; i < 500; i++)
		insert(c, 2, i, 1);
	ocifs_spancache_stats(c, &st);
	ok(st.cold_bytes <= 16 * BLK, "cold blocks stay within their budget (%llu bytes)",
	   (unsigned long long)st.cold_bytes);
	ok(st.bytes <= 32 * BLK, "a cold flood does not fill the whole budget (%llu bytes)",
	   (unsigned long long)st.bytes);
	ocifs_spancache_free(c);
}

/* --- an image of a gzip and a zstd layer ------------------------------ */

#define NFILES 6

static struct rimg_file files[2][NFILES];
static const size_t sizes[NFILES] = { 700, 5000, 65536, 200000, 333333, 900001 };

/* --- the reader -------------------------------------------------------- */

struct job {
	struct ocifs_reader *r;
	const struct ocifs_view *v;
	uint64_t seed;
	unsigned reads, bad, errors;
};

static void *reader_thread(void *arg)
{
	struct job *j = arg;
	unsigned char *buf = malloc(300000);

	for (unsigned k = 0; buf && k < j->reads; k++) {
		const struct rimg_file *fl = &files[rimg_next(&j->seed) % 2][rimg_next(&j->seed) % NFILES];
		uint64_t ino, off = rimg_next(&j->seed) % (fl->len + 100);
		size_t n = 1 + rimg_next(&j->seed) % (k % 8 ? 20000 : 300000), got = 0, want;
		struct ocifs_rfile *f;

		if (ocifs_view_resolve(j->v, fl->path, &ino) || ocifs_reader_open(j->r, ino, &f)) {
			j->errors++;
			continue;
		}
		/* a few reads per open: the file's cursor carries on */
		for (int again = 0; again < 3; again++) {
			want = off >= fl->len ? 0 : fl->len - off < n ? fl->len - off : n;
			if (ocifs_rfile_read(f, buf, n, off, &got))
				j->errors++;
			else if (got != want || (want && memcmp(buf, fl->data + off, want)))
				j->bad++;
			off += got;
		}
		ocifs_rfile_close(f);
	}
	free(buf);
	return NULL;
}

static void test_reader(const struct ocifs_view *v, const char *what, uint64_t cache,
			size_t block)
{
	struct ocifs_reader_opts o = { .cache_size = cache, .block = block, .hashck = 1 };
	struct ocifs_reader_stats st;
	struct ocifs_reader *r;
	struct job j[4];
	pthread_t t[4];
	unsigned bad = 0, errors = 0;

	if (!ok(ocifs_reader_new(v, &o, &r) == 0, "%s: reader", what))
		return;
	for (int i = 0; i < 4; i++) {
		j[i] = (struct job){ .r = r, .v = v, .seed = 77 + (uint64_t)i, .reads = 150 };
		if (pthread_create(&t[i], NULL, reader_thread, &j[i]))
			abort();
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		bad += j[i].bad;
		errors += j[i].errors;
	}
	ok(!bad && !errors, "%s: 4 threads x 450 random reads, byte-exact (%u wrong, %u errors)",
	   what, bad, errors);
	ocifs_reader_stats(r, &st);
	if (cache) {
		uint64_t bs = block ? block : OCIFS_READER_BLOCK;
		ok(st.bytes <= (cache > bs ? cache : bs) && st.hits > 0,
		   "%s: %llu hits, %llu bytes cached (budget %llu)", what,
		   (unsigned long long)st.hits, (unsigned long long)st.bytes,
		   (unsigned long long)cache);
	}
	ocifs_reader_free(r);
}

/* A file read whole and in order is checked against its sha256. */
static void test_whole(const struct ocifs_view *v)
{
	struct ocifs_reader_opts o = { .cache_size = 1 << 20, .block = BLK, .hashck = 1 };
	struct ocifs_reader *r;
	struct ocifs_rfile *f;
	const struct rimg_file *fl = &files[1][5];
	unsigned char *buf = malloc(fl->len);
	size_t done = 0, got;
	uint64_t ino;
	int rc = 0;

	if (!buf || ocifs_reader_new(v, &o, &r))
		abort();
	rc = ocifs_view_resolve(v, fl->path, &ino);
	rc = rc ? rc : ocifs_reader_open(r, ino, &f);
	ok(!rc && ocifs_rfile_extent(f)->size == fl->len, "open %s: extent of %zu bytes", fl->path,
	   fl->len);
	while (!rc && done < fl->len && !(rc = ocifs_rfile_read(f, buf + done, 70001, done, &got)) && got)
		done += got;
	ok(!rc && done == fl->len && !memcmp(buf, fl->data, fl->len),
	   "read whole in 70001-byte steps, sha256 checked at the end");
	ok(ocifs_rfile_read(f, buf, 10, fl->len, &got) == 0 && got == 0, "at the end: 0 bytes");
	ocifs_rfile_close(f);
	ok(ocifs_view_resolve(v, "l0", &ino) == 0 && ocifs_reader_open(r, ino, &f) == -EINVAL,
	   "a directory does not open");
	ocifs_reader_free(r);
	free(buf);
}

int main(void)
{
	struct rimg m;
	int rc;

	ocifs_log_threshold = OCIFS_LOG_ERR - 1;
	test_spancache();

	rc = rimg_open(&m, "ocifs-reader", NFILES, sizes, 0, 65536 /* many checkpoints */,
		       &files[0][0]);
	if (ok(rc == 0, "image of a gzip and a zstd layer (%d)", rc) &&
	    ok(ocifs_layer_comp(m.layers[0]) == OCIFS_COMP_GZIP &&
	       ocifs_layer_comp(m.layers[1]) == OCIFS_COMP_ZSTD, "layer 1 gzip, layer 2 zstd")) {
		test_reader(m.v, "64 KiB blocks, 8 MiB", 8 << 20, 65536);
		test_reader(m.v, "4 KiB blocks, 32 KiB (evicting)", 32 << 10, BLK);
		test_reader(m.v, "default blocks, one block", 1, 0);
		test_reader(m.v, "no cache", 0, 0);
		test_whole(m.v);
	}
	rimg_close(&m, &files[0][0], NFILES);
	return done_testing();
}
