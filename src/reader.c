/* SPDX-License-Identifier: MIT */
/*
 * The reader (see reader.h): per view, the span cache and the parked
 * cursors; per open file, a forward cursor over its layer's stream.
 *
 *  spans   a file reads the layer's uncompressed stream in aligned
 *          blocks through the span cache shared by all open files; a
 *          block is decoded once, by whichever file missed it, through
 *          that file's own forward cursor (ocifs_layer_cursor). A
 *          sequential reader's cursor just continues, so no byte is
 *          decompressed twice; its blocks enter the cache "cold" and
 *          stay only long enough to serve readahead that arrives out of
 *          order.
 *          Random reads (and small files packed next to each other)
 *          share the cached blocks. Without a cache, and for an
 *          uncompressed layer in a file (a pread costs less than a
 *          copy), the cursor is read directly.
 *  parked  (readpark.c) when a file is closed its cursor is parked (a
 *          few per layer); the next file of that layer that would
 *          otherwise restart at a checkpoint takes the parked cursor
 *          that reaches its data soonest, so walking a tree in tar
 *          order decodes each layer about once. Parking also caps
 *          decoder memory (below).
 *
 * Sparse files map their logical bytes onto packed runs in the stream
 * (extent.h); holes read as zeros. A stream that ends early gives -EIO,
 * never a short read.
 *
 * With hashck, a file read whole and in order is hashed as it goes, its
 * sha256 checked against the index at its last byte (a corrupt gzip
 * stream can decode without an error; ocifs_view_hashck_*). A mismatch
 * marks the file bad for the life of the view, so later reads fail too.
 * A file opened by extent (a layer's own tree) is checked the same way
 * against the digest its opener gives, the verdict kept in the byte the
 * opener keeps for it (extent_check).
 *
 *  ahead   with opts.readahead, a file whose reads follow each other
 *          (within READER_GAP ahead, the read-ahead behind) has the
 *          units after the one it reads queued for the read-ahead
 *          workers (readahead.h); every read takes blocks from those
 *          jobs first (waiting for a block being decoded, running a job
 *          still queued itself), and a read far from where the file was
 *          reading cancels its jobs. The blocks of a job the file has
 *          read past that nobody read whole go into the span cache cold.
 *
 * Span buffers come from one pool (spancache.h), so a stream recycles a
 * few buffers instead of mapping a fresh one per block. Cold blocks (of
 * sequential streams) are kept only briefly: by default at most a
 * quarter of the cache (opts.cold_max) -- with 16 shards, 4 blocks each
 * of the default 64 MiB: the kernel's async requests arrive out of
 * order, and one that misses a block the cursor already passed restarts
 * it at a checkpoint, in a one-frame zstd layer the layer's start (a
 * 16th, one block a shard, lost blocks that way: a sequential cat of a
 * one-frame 256 MiB file through the mount cost 0.6-0.9 s of CPU and
 * grew the lazy shadow, against 0.3 s and none).
 *
 * Locking: a file's cursor and read-ahead state are protected by the
 * file's own mutex. The only locks shared between files are the span
 * cache's shard locks, a layer's parking lock, the open-file list's lock
 * and the read-ahead lock, each held for a few pointer moves and never
 * while decoding (a reader waiting for a read-ahead block sleeps on the
 * read-ahead condition variable, releasing that lock). Order: file lock,
 * then read-ahead, parking, shard or pool lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "readahead.h"
#include "reader_priv.h"
#include "spancache.h"

/* How far ahead of the cursor a read may start and still be reached by
 * decoding forward (keeping the blocks skipped) rather than restarting
 * at a checkpoint: 2 MiB, more than the kernel keeps in flight. */
#define READER_GAP (2u << 20)

/* Most bytes of one read a miss decodes in one go (past the gap): the
 * blocks it needs next, before other threads' misses move the cursor. */
#define READER_RUN (1u << 20)




/* A block a read-ahead job decoded, read past: cold in the cache, for
 * reads the kernel delivers late -- unless readers took all of it (a
 * sequential stream: nothing comes back for it). Job blocks are slices
 * of a slab (spancache.h), so what is kept is a copy: the cache must
 * not pin a whole slab for one block. */
static void ra_retire(void *ctx, struct ocifs_span *s)
{
	struct ocifs_reader *r = ctx;
	struct ocifs_span *keep = NULL;

	if (r->spans && __atomic_load_n(&s->served, __ATOMIC_RELAXED) < s->len &&
	    (!s->slab || ocifs_span_copy(r->pool, s, &keep) == 0)) {
		ocifs_spancache_insert(r->spans, keep ? keep : s, 1);
		ocifs_span_unref(keep);
	}
	ocifs_span_unref(s);
}

int ocifs_reader_new(const struct ocifs_view *v, const struct ocifs_reader_opts *o,
		     struct ocifs_reader **out)
{
	size_t nlayers = ocifs_view_nlayers(v);
	struct ocifs_reader *r = calloc(1, sizeof(*r) + nlayers * sizeof(r->layer[0]));
	int rc;

	if (!r)
		return -ENOMEM;
	r->view = v;
	r->block = o && o->block ? o->block : OCIFS_READER_BLOCK;
	r->hashck = o && o->hashck;
	/* a run must fit the cache, or its first blocks are gone before
	 * they are read: at most a 16th of it (of its cold part) */
	r->run_blocks = READER_RUN / r->block;
	if (o && o->cache_size / r->block / 16 < r->run_blocks)
		r->run_blocks = o->cache_size / r->block / 16;
	if (o && o->cold_max && o->cold_max / r->block / 16 < r->run_blocks)
		r->run_blocks = o->cold_max / r->block / 16;
	if (!r->run_blocks)
		r->run_blocks = 1;
	if (o && (o->cache_size || o->readahead)) {
		/* free buffers kept: half a read-ahead window and some (the
		 * rest of a burst goes back to malloc); as many blocks of
		 * free slabs: read-ahead units -- a zstd frame of 8 MiB is
		 * one -- end in bursts, and a fresh slab is page faults */
		uint64_t keep = (o->readahead / 2 + r->block - 1) / r->block + 8;
		if ((rc = ocifs_spanpool_new(r->block, keep > 256 ? 256 : (unsigned)keep, &r->pool))) {
			free(r);
			return rc;
		}
	}
	if (o && o->cache_size) {
		uint64_t size = o->cache_size < r->block ? r->block : o->cache_size;
		rc = ocifs_spancache_new(size, o->cold_max ? o->cold_max : size / 4, r->block,
					 &r->spans);
		if (rc) {
			ocifs_spanpool_free(r->pool);
			free(r);
			return rc;
		}
	}
	r->ahead = o ? o->readahead : 0;
	if (o && o->readahead) {
		struct ocifs_ra_opts ro = { .block = r->block, .ahead = o->readahead,
					    .unit = o->ra_unit, .threads = o->ra_threads,
					    .pool = r->pool, .retire = ra_retire, .ctx = r };
		if ((rc = ocifs_ra_new(&ro, &r->ra))) {
			ocifs_spancache_free(r->spans);
			ocifs_spanpool_free(r->pool);
			free(r);
			return rc;
		}
	}
	r->nlayers = nlayers;
	pthread_mutex_init(&r->files_lock, NULL);
	for (size_t i = 0; i < nlayers; i++)
		pthread_mutex_init(&r->layer[i].lock, NULL);
	*out = r;
	return 0;
}

void ocifs_reader_free(struct ocifs_reader *r)
{
	if (!r)
		return;
	/* Files never closed (a mount ended with files still open, or
	 * their release still queued). */
	while (r->files)
		ocifs_rfile_close(r->files);
	ocifs_ra_free(r->ra);
	pthread_mutex_destroy(&r->files_lock);
	for (size_t i = 0; i < r->nlayers; i++) {
		for (unsigned k = 0; k < READER_PARK_MAX; k++)
			ocifs_reader_cursor_free(r, r->layer[i].slot[k].cur);
		pthread_mutex_destroy(&r->layer[i].lock);
	}
	ocifs_spancache_free(r->spans);
	ocifs_spanpool_free(r->pool); /* last: every span went back to it */
	free(r);
}


static void files_link(struct ocifs_rfile *f)
{
	struct ocifs_reader *r = f->r;

	pthread_mutex_lock(&r->files_lock);
	f->next = r->files;
	if (r->files)
		r->files->prev = f;
	r->files = f;
	pthread_mutex_unlock(&r->files_lock);
}

static void files_unlink(struct ocifs_rfile *f)
{
	struct ocifs_reader *r = f->r;

	pthread_mutex_lock(&r->files_lock);
	if (f->prev)
		f->prev->next = f->next;
	else if (r->files == f)
		r->files = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
	pthread_mutex_unlock(&r->files_lock);
}

static int reader_open(struct ocifs_reader *r, uint64_t ino, int direct, struct ocifs_rfile **out)
{
	struct ocifs_rfile *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	rc = ocifs_view_data(r->view, ino, &f->layer, &f->x);
	if (rc) {
		free(f);
		return rc;
	}
	f->r = r;
	f->ino = ino;
	f->direct = direct || !r->spans || ocifs_reader_layer_plain(r, f->layer);
	if (r->hashck)
		ocifs_view_hashck_begin(r->view, ino, &f->hc);
	pthread_mutex_init(&f->lock, NULL);
	files_link(f);
	*out = f;
	return 0;
}

int ocifs_reader_open(struct ocifs_reader *r, uint64_t ino, struct ocifs_rfile **out)
{
	return reader_open(r, ino, 0, out);
}

int ocifs_reader_open_direct(struct ocifs_reader *r, uint64_t ino, struct ocifs_rfile **out)
{
	return reader_open(r, ino, 1, out);
}

int ocifs_reader_open_extent(struct ocifs_reader *r, struct ocifs_layer *l,
			     const struct ocifs_extent *x, const unsigned char *sha256,
			     unsigned char *verdict, struct ocifs_rfile **out)
{
	struct ocifs_rfile *f;
	unsigned num = ocifs_layer_num(l);

	if (num < 1 || num > r->nlayers || ocifs_view_layer(r->view, num - 1) != l)
		return -EINVAL;
	if (verdict && __atomic_load_n(verdict, __ATOMIC_RELAXED) == OCIFS_READER_BAD)
		return -EIO; /* failed its check before */
	if (!(f = calloc(1, sizeof(*f))))
		return -ENOMEM;
	if (r->hashck && sha256 && verdict && x->size &&
	    __atomic_load_n(verdict, __ATOMIC_RELAXED) != OCIFS_READER_OK &&
	    (f->xc = calloc(1, sizeof(*f->xc)))) {
		memcpy(f->xc->want, sha256, sizeof(f->xc->want));
		f->xc->verdict = verdict;
		if (ocifs_sha_new(&f->xc->sha))
			f->xc->sha = NULL; /* unchecked: only slower to catch */
	}
	f->r = r;
	f->layer = l;
	f->x = *x;
	f->ino = UINT64_MAX; /* no view inode: nothing for hashck */
	f->direct = !r->spans || ocifs_reader_layer_plain(r, l);
	pthread_mutex_init(&f->lock, NULL);
	files_link(f);
	*out = f;
	return 0;
}

void ocifs_rfile_close(struct ocifs_rfile *f)
{
	if (!f)
		return;
	files_unlink(f);
	if (f->ra_owner)
		ocifs_ra_drop(f->r->ra, f);
	if (f->cur)
		ocifs_reader_park_put(f->r, f->layer, f->cur, f->cur_pos);
	ocifs_view_hashck_end(&f->hc);
	if (f->xc)
		ocifs_sha_free(f->xc->sha);
	free(f->xc);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

const struct ocifs_extent *ocifs_rfile_extent(const struct ocifs_rfile *f)
{
	return &f->x;
}

struct ocifs_layer *ocifs_rfile_layer(const struct ocifs_rfile *f)
{
	return f->layer;
}

/* Bytes [uoff, uoff+n) of the layer stream through the file's cursor,
 * all of them or -EIO. Called with f->lock held. */
static int cursor_read(struct ocifs_rfile *f, void *buf, size_t n, uint64_t uoff)
{
	size_t got = 0;
	int rc;

	ocifs_reader_cursor_prepare(f, uoff);
	if (!f->cur) {
		rc = ocifs_layer_cursor(f->layer, &f->cur);
		if (rc)
			return rc;
		__atomic_add_fetch(&f->r->cursors, 1, __ATOMIC_RELAXED);
		f->cur_pos = 0;
	}
	rc = ocifs_zcursor_pread(f->cur, buf, n, uoff, &got);
	if (!rc && got != n) {
		log_dbg("layer %u: stream ends at %" PRIu64 ", wanted %zu bytes at %" PRIu64,
			ocifs_layer_num(f->layer), uoff + got, n, uoff);
		rc = -EIO;
	}
	if (rc) {
		/* The decoder may be mid-way through garbage: start afresh. */
		ocifs_reader_cursor_free(f->r, f->cur);
		f->cur = NULL;
		return rc;
	}
	f->cur_pos = uoff + n;
	return 0;
}

/* Decode blocks [blk, last] of the layer stream through the file's
 * cursor, each straight into its span, cache them, and return blk's. A
 * little ahead of the cursor, the run starts at the cursor: the blocks
 * in between must be decoded anyway to get there, so they are kept for
 * the reads that parallel readahead has not delivered yet. Blocks that
 * continue the cursor (a sequential stream) go in cold: they are kept
 * only briefly, for reads that the kernel's readahead delivers out of
 * order (or that a caller keeps), and never push out the blocks random
 * readers come back to. */
static int span_run(struct ocifs_rfile *f, uint64_t blk, uint64_t last, struct ocifs_span **out)
{
	size_t bs = f->r->block;
	uint64_t usize = ocifs_layer_usize(f->layer), first = blk;
	uint32_t num = ocifs_layer_num(f->layer);
	int rc = 0;

	if (blk * bs >= usize)
		return -EIO;
	ocifs_reader_cursor_prepare(f, blk * bs);
	if (f->cur && f->cur_pos % bs == 0 && f->cur_pos < blk * bs &&
	    blk * bs - f->cur_pos <= READER_GAP &&
	    blk * bs - f->cur_pos <= ocifs_layer_restart_cost(f->layer, blk * bs))
		first = f->cur_pos / bs;
	*out = NULL;
	for (uint64_t b = first; b <= last && b * bs < usize && !rc; b++) {
		size_t len = usize - b * bs < bs ? (size_t)(usize - b * bs) : bs;
		int cold = f->cur && f->cur_pos == b * bs;
		struct ocifs_span *s;

		if ((rc = ocifs_spanpool_get(f->r->pool, num, b, len, &s)))
			break;
		if ((rc = cursor_read(f, s->data, len, b * bs))) {
			ocifs_span_unref(s);
			break;
		}
		ocifs_spancache_insert(f->r->spans, s, cold);
		if (b == blk)
			*out = s;
		else
			ocifs_span_unref(s);
	}
	if (!rc && !*out)
		rc = -EIO; /* cannot happen: blk is inside the run */
	if (rc && *out) {
		ocifs_span_unref(*out);
		*out = NULL;
	}
	return rc;
}

/* f reads [uoff, uoff+n) of the stream: if that follows its last read
 * (at most READER_GAP ahead, or behind by up to the read-ahead: the
 * kernel's async reads arrive out of order -- up to max_background
 * requests of up to 1 MiB each, served by several threads), keep its
 * read-ahead going; if not, cancel it. Called with f->lock held. */
static void ra_track(struct ocifs_rfile *f, uint64_t uoff, size_t n)
{
	struct ocifs_reader *r = f->r;
	uint64_t bs = r->block, end = f->x.data_off + f->x.data_len;
	uint64_t late = r->ahead > READER_GAP ? r->ahead : READER_GAP;
	/* ahead of the front: by up to READER_GAP, or into a unit the
	 * read-ahead already holds (a bigger read_ahead_kb sends 1 MiB
	 * requests, several windows at once, served by several threads:
	 * one lands 4-8 MiB past the front, and cancelling the jobs there
	 * decoded them twice, the daemon's CPU up 80 % at 4 MiB) */
	int near = f->seq_next && uoff + late >= f->seq_next &&
		   (uoff <= f->seq_next + READER_GAP ||
		    (f->ra_owner && ocifs_ra_covers(r->ra, f->layer, uoff / bs)));

	if (!near && f->ra_owner) {
		ocifs_ra_drop(r->ra, f);
		f->ra_owner = 0;
	}
	if (!near || uoff + n > f->seq_next)
		f->seq_next = uoff + n;
	f->seq = near;
	if (near) {
		/* from the front: a late read must not queue again the
		 * units the file has read past */
		ocifs_ra_advance(r->ra, f, f->layer, (f->seq_next - 1) / bs, (end + bs - 1) / bs);
		f->ra_owner = 1;
	}
}

/* Block blk from a read-ahead job: 0 and *s (NULL when no job has it) or
 * the job's error. A job still queued is decoded here, through the
 * file's cursor. Called with f->lock held. */
static int ra_block(struct ocifs_rfile *f, uint64_t blk, struct ocifs_span **s)
{
	struct ocifs_reader *r = f->r;

	for (;;) {
		struct ocifs_ra_job *j;
		uint64_t pos = 0;
		int rc = ocifs_ra_get(r->ra, f->layer, blk, s, &j), cerr = 0;

		if (rc != 2)
			return rc < 0 ? rc : 0;
		ocifs_reader_cursor_prepare(f, ocifs_ra_job_start(r->ra, j));
		if (!f->cur) {
			if ((cerr = ocifs_layer_cursor(f->layer, &f->cur)))
				f->cur = NULL;
			else
				__atomic_add_fetch(&r->cursors, 1, __ATOMIC_RELAXED);
		}
		if (ocifs_ra_run(r->ra, j, f->cur, cerr, &pos)) {
			ocifs_reader_cursor_free(r, f->cur);
			f->cur = NULL;
		} else {
			f->cur_pos = pos;
		}
	}
}

/* The block of the stream holding uoff, for a read of n bytes from
 * there: 0 and *s (a reference), or an error. With ra, from read-ahead
 * first; then (not direct) the span cache, then decoded. NULL *s: direct
 * and no job holds it. Called with f->lock held. */
static int block_get(struct ocifs_rfile *f, int ra, uint64_t uoff, size_t n,
		     struct ocifs_span **out)
{
	uint32_t num = ocifs_layer_num(f->layer);
	size_t bs = f->r->block;
	uint64_t blk = uoff / bs;
	struct ocifs_span *s = NULL;
	int rc = ra ? ra_block(f, blk, &s) : 0;

	*out = NULL;
	if (!rc && !s && !f->direct)
		s = ocifs_spancache_get(f->r->spans, num, blk);
	if (!rc && !s && !f->direct) {
		/* decode the blocks of the read that are missing, up to
		 * the first cached one, in one go: the cursor carries
		 * on from one to the next */
		uint64_t last = (uoff + n - 1) / bs;
		if (last - blk >= f->r->run_blocks)
			last = blk + f->r->run_blocks - 1;
		for (uint64_t b = blk + 1; b <= last; b++)
			if (ocifs_spancache_has(f->r->spans, num, b) ||
			    (f->r->ra && ocifs_ra_covers(f->r->ra, f->layer, b))) {
				last = b - 1;
				break;
			}
		rc = span_run(f, blk, last, &s);
	}
	if (!rc && s && uoff % bs >= s->len) {
		ocifs_span_unref(s);
		s = NULL;
		rc = -EIO;
	}
	*out = s;
	return rc;
}

/* Bytes [uoff, uoff+n) of the layer stream. Called with f->lock held.
 * With the span cache, the cursor only ever decodes whole blocks, so
 * its position stays block-aligned. */
static int stream_read(void *ctx, char *buf, size_t n, uint64_t uoff)
{
	struct ocifs_rfile *f = ctx;
	size_t bs = f->r->block;
	int ra = f->r->ra && ocifs_reader_park_of(f->r, f->layer);

	if (ra)
		ra_track(f, uoff, n);
	else if (f->direct)
		return cursor_read(f, buf, n, uoff);
	while (n) {
		uint64_t in = uoff % bs;
		struct ocifs_span *s;
		size_t k;
		int rc = block_get(f, ra, uoff, n, &s);

		if (rc)
			return rc;
		if (!s) {
			/* direct, and no job has it: the file's cursor, to
			 * the block's end */
			k = bs - in < n ? (size_t)(bs - in) : n;
			if ((rc = cursor_read(f, buf, k, uoff)))
				return rc;
			buf += k;
			uoff += k;
			n -= k;
			continue;
		}
		k = s->len - in < n ? (size_t)(s->len - in) : n;
		memcpy(buf, s->data + in, k);
		ocifs_span_served(s, k);
		ocifs_span_unref(s);
		buf += k;
		uoff += k;
		n -= k;
	}
	return 0;
}

/* Bytes [off, off+n) of an extent file were just read into buf: hash
 * them if they continue the file from 0; at its end, the verdict. */
static int extent_check_update(struct ocifs_rfile *f, const void *buf, size_t n, uint64_t off)
{
	struct extent_check *c = f->xc;
	unsigned char got[OCIFS_SHA256_LEN];

	if (__atomic_load_n(c->verdict, __ATOMIC_RELAXED) == OCIFS_READER_BAD)
		return -EIO; /* a retry must not get the bytes either */
	if (!c->sha || off != c->pos) {
		ocifs_sha_free(c->sha); /* out of order: give up quietly */
		c->sha = NULL;
		return 0;
	}
	ocifs_sha_update(c->sha, buf, n);
	c->pos += n;
	if (c->pos < f->x.size)
		return 0;
	ocifs_sha_final(c->sha, got);
	ocifs_sha_free(c->sha);
	c->sha = NULL;
	if (!memcmp(got, c->want, sizeof(got))) {
		__atomic_store_n(c->verdict, OCIFS_READER_OK, __ATOMIC_RELAXED);
		return 0;
	}
	__atomic_store_n(c->verdict, OCIFS_READER_BAD, __ATOMIC_RELAXED);
	log_err("layer %u: the file at stream offset %" PRIu64 " does not match the sha256 "
		"its index holds: it fails with EIO", ocifs_layer_num(f->layer), f->x.data_off);
	return -EIO;
}

void ocifs_rvec_release(struct ocifs_rvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		ocifs_span_unref(v->pin[i]);
	v->n = 0;
}

/* The checks of a read of [off, off+n) into buf, as ocifs_rfile_read
 * makes them. Called with f->lock held. */
static int read_check(struct ocifs_rfile *f, const void *buf, size_t n, uint64_t off)
{
	if (f->xc)
		return extent_check_update(f, buf, n, off);
	if (f->r->hashck)
		return ocifs_view_hashck_update(f->r->view, &f->hc, buf, n, off);
	return 0;
}

int ocifs_rfile_readv(struct ocifs_rfile *f, size_t n, uint64_t off, struct ocifs_rvec *v,
		      size_t *got)
{
	struct ocifs_reader *r = f->r;
	size_t bs = r->block;
	uint64_t uoff;
	int rc = 0, ra;

	v->n = 0;
	*got = 0;
	if (off >= f->x.size || !n)
		return 0;
	if (n > f->x.size - off)
		n = (size_t)(f->x.size - off);
	if (f->direct || f->x.nsparse || off + n > f->x.data_len ||
	    (off + f->x.data_off + n - 1) / bs - (off + f->x.data_off) / bs >= OCIFS_RVEC_MAX)
		return -EAGAIN;
	uoff = f->x.data_off + off;
	pthread_mutex_lock(&f->lock);
	ra = r->ra && ocifs_reader_park_of(r, f->layer);
	if (ra)
		ra_track(f, uoff, n);
	for (size_t left = n; !rc && left;) {
		struct ocifs_span *s;
		size_t in = (size_t)(uoff % bs), k;

		if ((rc = block_get(f, ra, uoff, left, &s)))
			break;
		if (!s) { /* cannot happen: not direct */
			rc = -EIO;
			break;
		}
		k = s->len - in < left ? s->len - in : left;
		v->iov[v->n].iov_base = s->data + in;
		v->iov[v->n].iov_len = k;
		v->pin[v->n++] = s;
		ocifs_span_served(s, k);
		rc = read_check(f, s->data + in, k, uoff - f->x.data_off);
		uoff += k;
		left -= k;
	}
	if (f->cur && __atomic_load_n(&r->cursors, __ATOMIC_RELAXED) > READER_CURSORS_MAX) {
		ocifs_reader_park_put(r, f->layer, f->cur, f->cur_pos);
		f->cur = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	if (rc)
		ocifs_rvec_release(v);
	else
		*got = n;
	return rc;
}

int ocifs_rfile_read(struct ocifs_rfile *f, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct ocifs_reader *r = f->r;
	int rc;

	*got = 0;
	if (off >= f->x.size || !n)
		return 0;
	if (n > f->x.size - off)
		n = (size_t)(f->x.size - off);
	pthread_mutex_lock(&f->lock);
	rc = ocifs_extent_read(&f->x, buf, n, off, stream_read, f);
	if (!rc)
		rc = read_check(f, buf, n, off);
	if (f->cur && __atomic_load_n(&r->cursors, __ATOMIC_RELAXED) > READER_CURSORS_MAX) {
		ocifs_reader_park_put(r, f->layer, f->cur, f->cur_pos);
		f->cur = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	if (!rc)
		*got = n;
	return rc;
}

void ocifs_reader_stats(struct ocifs_reader *r, struct ocifs_reader_stats *st)
{
	struct ocifs_spancache_stats s = { 0 };

	if (r->spans)
		ocifs_spancache_stats(r->spans, &s);
	struct ocifs_ra_stats a = { 0 };
	struct ocifs_spanpool_stats p = { 0 };

	if (r->ra)
		ocifs_ra_stats(r->ra, &a);
	if (r->pool)
		ocifs_spanpool_stats(r->pool, &p);
	*st = (struct ocifs_reader_stats){ .hits = s.hits, .misses = s.misses, .bytes = s.bytes,
					   .spans = s.spans, .cold_bytes = s.cold_bytes,
					   .cursors = __atomic_load_n(&r->cursors,
								      __ATOMIC_RELAXED),
					   .ra_queued = a.queued, .ra_inline = a.inline_runs,
					   .ra_cancelled = a.cancelled, .ra_failed = a.failed, .ra_errors = a.errors,
					   .ra_blocks = a.blocks, .ra_served = a.served,
					   .ra_waits = a.waits, .ra_bytes = a.bytes, .ra_peak = a.peak,
					   .ra_jobs = a.jobs, .ra_threads = a.threads,
					   .buf_reused = p.reused, .buf_allocated = p.allocated };
}
