/* SPDX-License-Identifier: MIT */
/*
 * The lazy shadow of a zstd layer's big frames (see zshadow.h): the
 * request queue and its worker thread, the per-chunk check, and the
 * published checkpoint snapshots. The append-only file it writes is
 * zshadow_file.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "bytes.h"
#include "cache.h"
#include "hashtab.h"
#include "log.h"
#include "sha.h"
#include "zshadow_priv.h"

/* --- snapshots --- */

/* Publish the table as a new snapshot (under mu). */
static void publish(struct ocifs_zshadow *z)
{
	const struct ocifs_ckpts *b = z->base;
	struct zsnap *s = calloc(1, sizeof(*s));
	size_t i = 0, k = 0, n = b->n + z->nchunks;

	if (!s)
		return;
	s->ck.v = malloc((n ? n : 1) * sizeof(*s->ck.v));
	s->chunks = malloc((z->nchunks ? z->nchunks : 1) * sizeof(*s->chunks));
	if (!s->ck.v || !s->chunks) {
		free(s->ck.v);
		free(s->chunks);
		free(s);
		return;
	}
	s->ck.comp = b->comp;
	s->ck.csize = b->csize;
	s->ck.usize = b->usize;
	s->ck.window_max = b->window_max;
	s->ck.window = b->window;
	s->ck.live = z;
	/* merge; at equal offsets the blob's checkpoint first, so that
	 * ocifs_ckpts_find() lands on the shadow's */
	while (i < b->n || k < z->nchunks) {
		struct ocifs_ckpt *o = &s->ck.v[s->ck.n++];

		if (k == z->nchunks || (i < b->n && b->v[i].uoff <= z->chunks[k]->uoff)) {
			*o = b->v[i++];
			o->window = NULL;
			o->wlen = 0;
			continue;
		}
		*o = (struct ocifs_ckpt){ .coff = z->chunks[k]->coff, .uoff = z->chunks[k]->uoff,
					  .ulen = (uint32_t)z->chunks[k]->ulen, .bits = (uint32_t)k,
					  .flags = OCIFS_CK_SHADOW | OCIFS_CK_MEMBER };
		s->chunks[k] = z->chunks[k];
		k++;
	}
	s->older = z->snaps;
	z->snaps = s;
	atomic_store_explicit(&z->cur, s, memory_order_release);
}

const struct ocifs_ckpts *ocifs_zshadow_ckpts(struct ocifs_zshadow *z)
{
	return &atomic_load_explicit(&z->cur, memory_order_acquire)->ck;
}

uint64_t ocifs_zshadow_span(const struct ocifs_zshadow *z)
{
	return z->span;
}

struct ocifs_src *ocifs_zshadow_src(struct ocifs_zshadow *z)
{
	return z->src;
}

static struct zchunk *snap_chunk(const struct ocifs_ckpts *snap, size_t j)
{
	const struct zsnap *s = (const struct zsnap *)snap;

	return s->chunks[snap->v[j].bits];
}

/* Decode chunk c from the file and compare with its sha256. */
static int verify(struct ocifs_zshadow *z, const struct zchunk *c)
{
	unsigned char *in = malloc((size_t)c->clen), *out = malloc(PIECE);
	unsigned char sum[OCIFS_SHA256_LEN];
	ZSTD_DCtx *d = ZSTD_createDCtx();
	struct ocifs_sha *h = NULL;
	ZSTD_inBuffer ib = { in, (size_t)c->clen, 0 };
	uint64_t total = 0;
	size_t r = 1;
	int rc = -ENOMEM;

	if (in && out && d && !ocifs_sha_new(&h))
		rc = ocifs_zs_pread_all(z->fd, in, (size_t)c->clen, c->coff);
	while (!rc && r != 0) {
		ZSTD_outBuffer ob = { out, PIECE, 0 };

		r = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(r) || (r != 0 && ib.pos == ib.size && ob.pos == 0))
			rc = -EBADMSG;
		ocifs_sha_update(h, out, ob.pos);
		total += ob.pos;
		if (total > c->ulen)
			rc = -EBADMSG;
	}
	if (!rc) {
		ocifs_sha_final(h, sum);
		if (total != c->ulen || ib.pos != ib.size ||
		    memcmp(sum, c->sha, OCIFS_SHA256_LEN) != 0)
			rc = -EBADMSG;
	}
	ocifs_sha_free(h);
	ZSTD_freeDCtx(d);
	free(in);
	free(out);
	return rc;
}

int ocifs_zshadow_chunk_ok(struct ocifs_zshadow *z, const struct ocifs_ckpts *snap, size_t j)
{
	struct zchunk *c = snap_chunk(snap, j);
	int st = atomic_load(&c->state), rc;

	if (st)
		return st > 0 ? 0 : -EIO;
	rc = verify(z, c);
	if (rc == -ENOMEM)
		return rc; /* not the chunk's fault: try again later */
	st = 0;
	if (atomic_compare_exchange_strong(&c->state, &st, rc ? -1 : 1)) {
		atomic_fetch_add(rc ? &z->st_bad : &z->st_verified, 1);
		if (rc)
			log_warn("%s: shadow chunk at %llu is corrupt; reading the layer instead",
				 z->path, (unsigned long long)c->uoff);
	}
	return atomic_load(&c->state) > 0 ? 0 : -EIO;
}

void ocifs_zshadow_chunk_bad(struct ocifs_zshadow *z, const struct ocifs_ckpts *snap, size_t j)
{
	struct zchunk *c = snap_chunk(snap, j);

	if (atomic_exchange(&c->state, -1) >= 0) {
		atomic_fetch_add(&z->st_bad, 1);
		log_warn("%s: shadow chunk at %llu failed to decode; reading the layer instead",
			 z->path, (unsigned long long)c->uoff);
	}
}

/* --- requests --- */

/* The chunk grid: chunks start a whole number of spans after one of the
 * layer's own checkpoints and end at the next one. 0 if off lies within
 * a span of that checkpoint (cheap to reach as it is). */
static int grid(const struct ocifs_zshadow *z, uint64_t off, uint64_t *cs, uint64_t *ce)
{
	const struct ocifs_ckpts *b = z->base;
	size_t j = ocifs_ckpts_find(b, off);
	uint64_t end = j + 1 < b->n ? b->v[j + 1].uoff : b->usize;

	if (off < b->v[j].uoff + z->span || off >= end)
		return 0;
	*cs = b->v[j].uoff + (off - b->v[j].uoff) / z->span * z->span;
	*ce = end - *cs > z->span ? *cs + z->span : end;
	return 1;
}

/* Is off held by a chunk of snapshot snap not known to be bad? */
static int covered(const struct ocifs_ckpts *snap, uint64_t off)
{
	size_t j = ocifs_ckpts_find(snap, off);

	for (;; j--) {
		const struct ocifs_ckpt *k = &snap->v[j];
		if (!(k->flags & OCIFS_CK_SHADOW))
			return 0;
		if (off < k->uoff + k->ulen && atomic_load(&snap_chunk(snap, j)->state) >= 0)
			return 1;
		if (j == 0)
			return 0;
	}
}

static void *worker_main(void *arg);

static void queue(struct ocifs_zshadow *z, const struct ocifs_ckpts *snap, uint64_t off)
{
	uint64_t cs, ce;

	if (!grid(z, off, &cs, &ce) || covered(snap, cs))
		return;
	for (size_t i = 0; i < z->nq; i++)
		if (z->q[i] == cs)
			return;
	if (z->nq == QMAX)
		return; /* asked again when read again */
	z->q[z->nq++] = cs;
	atomic_fetch_add(&z->st_requests, 1);
}

void ocifs_zshadow_request(struct ocifs_zshadow *z, uint64_t off, size_t n)
{
	const struct ocifs_ckpts *snap = ocifs_zshadow_ckpts(z);
	uint64_t end = off + (n ? n : 1);

	if (atomic_load(&z->disabled) || atomic_load(&z->stop) || off >= snap->usize)
		return;
	if (end > snap->usize)
		end = snap->usize;
	pthread_mutex_lock(&z->mu);
	for (uint64_t o = off; o < end; o += z->span)
		queue(z, snap, o);
	queue(z, snap, end - 1); /* the last one, if the step passed over it */
	if (z->nq && !z->started) {
		if (pthread_create(&z->th, NULL, worker_main, z) == 0)
			z->started = 1;
		else
			z->nq = 0;
	}
	if (z->nq)
		pthread_cond_signal(&z->cv);
	pthread_mutex_unlock(&z->mu);
}

/* --- the worker --- */

struct worker {
	struct ocifs_zcursor *cur; /* over the blob, the layer's own checkpoints */
	ZSTD_CCtx *cctx;
	unsigned char *piece, *obuf;
	size_t ocap;
	struct ocifs_sha *sha;
	uint64_t pos;             /* where cur stopped, if pos_ok */
	int pos_ok;
};

static int cancelled(void *ctx)
{
	return atomic_load(&((struct ocifs_zshadow *)ctx)->stop);
}

/* Open or create the file and write its header (under the file lock). */
static int file_ready(struct ocifs_zshadow *z, uint64_t *size)
{
	struct stat st;
	int rc;

	if (z->fd < 0) {
		int fd = open(z->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
			close(fd);
			return -EPERM;
		}
		z->fd = fd;
		if (ocifs_src_new(&ocifs_zs_src_ops, z, UINT64_MAX, z->path, &z->src) != 0)
			return -ENOMEM;
	}
	if (z->readonly)
		return -EROFS;
	if (fstat(z->fd, &st) != 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	rc = z->known_end ? 0 : ocifs_zs_check_header(z, *size);
	if (rc == -ENODATA) { /* new (or a header cut short: nothing valid) */
		unsigned char h[HDR_LEN];
		ocifs_zs_file_header(z, h);
		if (ftruncate(z->fd, 0) != 0 || (rc = ocifs_zs_pwrite_all(z->fd, h, HDR_LEN, 0)) != 0)
			return rc ? rc : -errno;
		*size = HDR_LEN;
	} else if (rc) {
		return rc;
	}
	if (!z->known_end)
		z->known_end = HDR_LEN;
	return 0;
}

/* Append chunk [cs, cs + ulen) = obuf[0..clen) with its sha256. */
static int append(struct ocifs_zshadow *z, struct worker *w, uint64_t cs, uint64_t ulen,
		  size_t clen, const unsigned char sha[OCIFS_SHA256_LEN])
{
	unsigned char h[REC_LEN];
	uint64_t size = 0, end = 0;
	struct zchunk *c;
	int lock = ocifs_cache_lock_file(z->lockpath, cancelled, z), rc;

	if (lock < 0)
		return lock;
	rc = file_ready(z, &size);
	pthread_mutex_lock(&z->mu);
	if (!rc) { /* what other processes added */
		uint64_t before = z->known_end;
		end = ocifs_zs_scan_records(z, size);
		if (end != before)
			publish(z);
	}
	pthread_mutex_unlock(&z->mu);
	if (!rc && covered(ocifs_zshadow_ckpts(z), cs)) { /* another process made it */
		ocifs_cache_unlock(lock);
		return 0;
	}
	if (!rc && size > end && ftruncate(z->fd, (off_t)end) != 0) /* a crashed writer's tail */
		rc = -errno;
	ocifs_zs_record_header(h, cs, ulen, clen, sha);
	/* the frame first: a record is valid only once its header is there */
	if (!rc)
		rc = ocifs_zs_pwrite_all(z->fd, w->obuf, clen, end + REC_LEN);
	if (!rc)
		rc = ocifs_zs_pwrite_all(z->fd, h, REC_LEN, end);
	if (!rc && !(c = calloc(1, sizeof(*c))))
		rc = -ENOMEM;
	if (!rc) {
		*c = (struct zchunk){ .uoff = cs, .ulen = ulen, .coff = end + REC_LEN, .clen = clen };
		memcpy(c->sha, sha, OCIFS_SHA256_LEN);
		atomic_init(&c->state, 1); /* made here from the verified blob */
		pthread_mutex_lock(&z->mu);
		ocifs_zs_table_add(z, c);
		z->known_end = end + REC_LEN + clen;
		atomic_store(&z->st_file, z->known_end);
		publish(z);
		pthread_mutex_unlock(&z->mu);
		atomic_fetch_add(&z->st_made, 1);
		log_dbg("%s: shadow chunk of %llu bytes at %llu", z->path, (unsigned long long)ulen,
			(unsigned long long)cs);
	}
	ocifs_cache_unlock(lock);
	/* c belongs to z->all (table_add) */
	// cppcheck-suppress memleak
	return rc;
}

/* Decode [cs, ce) from the blob (going on from where the worker's cursor
 * stopped when that is behind cs), compress it as one frame, append it. */
static int make_chunk(struct ocifs_zshadow *z, struct worker *w, uint64_t cs, uint64_t ce)
{
	unsigned char sha[OCIFS_SHA256_LEN];
	ZSTD_outBuffer ob = { w->obuf, w->ocap, 0 };
	uint64_t pos = cs;
	int rc = 0;

	ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	ZSTD_CCtx_setPledgedSrcSize(w->cctx, ce - cs);
	ocifs_sha_free(w->sha);
	w->sha = NULL;
	if ((rc = ocifs_sha_new(&w->sha)) != 0)
		return rc;
	/* reach cs: decoded and dropped, PIECE by PIECE so that close need
	 * not wait for a whole frame; from where the worker's cursor stopped
	 * when that lies between cs and the checkpoint before it */
	uint64_t at = z->base->v[ocifs_ckpts_find(z->base, cs)].uoff;
	if (w->pos_ok && w->pos <= cs && w->pos > at)
		at = w->pos;
	w->pos_ok = 0;
	while (at < cs) {
		size_t got = 0;

		if (atomic_load(&z->stop))
			return -EINTR;
		rc = ocifs_zcursor_pread(w->cur, w->piece, cs - at < PIECE ? (size_t)(cs - at) : PIECE,
					 at, &got);
		if (!rc && got == 0)
			rc = -EIO;
		if (rc)
			return rc;
		at += got;
	}
	while (!rc && pos < ce) {
		size_t got = 0, want = ce - pos < PIECE ? (size_t)(ce - pos) : PIECE;
		ZSTD_inBuffer ib;
		size_t r;

		if (atomic_load(&z->stop))
			return -EINTR;
		rc = ocifs_zcursor_pread(w->cur, w->piece, want, pos, &got);
		if (!rc && got != want)
			rc = -EIO;
		if (rc)
			break;
		ocifs_sha_update(w->sha, w->piece, got);
		pos += got;
		ib = (ZSTD_inBuffer){ w->piece, got, 0 };
		do {
			r = ZSTD_compressStream2(w->cctx, &ob, &ib, pos == ce ? ZSTD_e_end : ZSTD_e_continue);
		} while (!ZSTD_isError(r) && (pos == ce ? r != 0 : ib.pos < ib.size) && ob.pos < ob.size);
		if (ZSTD_isError(r) || (pos == ce && r != 0))
			rc = -EIO;
	}
	if (rc)
		return rc;
	w->pos = pos;
	w->pos_ok = 1;
	ocifs_sha_final(w->sha, sha);
	return append(z, w, cs, ce - cs, ob.pos, sha);
}

static int worker_init(struct ocifs_zshadow *z, struct worker *w)
{
	w->ocap = ZSTD_compressBound((size_t)z->span);
	w->piece = malloc(PIECE);
	w->obuf = malloc(w->ocap);
	w->cctx = ZSTD_createCCtx();
	if (!w->piece || !w->obuf || !w->cctx ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, 1)))
		return -ENOMEM;
	return ocifs_zcursor_new(z->blob, z->base, &w->cur);
}

static void worker_fini(struct worker *w)
{
	ocifs_zcursor_free(w->cur);
	ZSTD_freeCCtx(w->cctx);
	ocifs_sha_free(w->sha);
	free(w->piece);
	free(w->obuf);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void *worker_main(void *arg)
{
	struct ocifs_zshadow *z = arg;
	struct worker w = { 0 };
	uint64_t todo[QMAX];
	int rc = worker_init(z, &w);

	pthread_mutex_lock(&z->mu);
	while (!rc && !atomic_load(&z->stop)) {
		size_t n = z->nq;

		if (!n) {
			z->busy = 0;
			pthread_cond_broadcast(&z->idle);
			pthread_cond_wait(&z->cv, &z->mu);
			continue;
		}
		z->busy = 1;
		memcpy(todo, z->q, n * sizeof(*todo));
		z->nq = 0;
		pthread_mutex_unlock(&z->mu);
		/* in stream order: one pass through a frame makes them all */
		qsort(todo, n, sizeof(*todo), cmp_u64);
		for (size_t i = 0; !rc && i < n; i++) {
			uint64_t cs, ce;
			if (grid(z, todo[i], &cs, &ce) && !covered(ocifs_zshadow_ckpts(z), cs))
				rc = make_chunk(z, &w, cs, ce);
		}
		pthread_mutex_lock(&z->mu);
	}
	if (rc && rc != -EINTR) {
		log_warn("%s: no more shadow chunks: %s; random reads in this layer stay slow",
			 z->path, strerror(-rc));
		atomic_store(&z->disabled, 1);
	}
	z->nq = 0;
	z->busy = 0;
	pthread_cond_broadcast(&z->idle);
	pthread_mutex_unlock(&z->mu);
	worker_fini(&w);
	return NULL;
}

void ocifs_zshadow_wait(struct ocifs_zshadow *z)
{
	pthread_mutex_lock(&z->mu);
	while (z->started && (z->nq || z->busy) && !atomic_load(&z->disabled))
		pthread_cond_wait(&z->idle, &z->mu);
	pthread_mutex_unlock(&z->mu);
}

/* --- open, close --- */

int ocifs_zshadow_wanted(const struct ocifs_ckpts *base, uint64_t span)
{
	span = span ? span : OCIFS_SPAN_DEFAULT;
	if (base->comp != OCIFS_COMP_ZSTD || base->n == 0)
		return 0;
	for (size_t i = 0; i < base->n; i++) {
		uint64_t end = i + 1 < base->n ? base->v[i + 1].uoff : base->usize;
		if (end - base->v[i].uoff > 2 * span)
			return 1;
	}
	return 0;
}

int ocifs_zshadow_open(struct ocifs_src *blob, const struct ocifs_ckpts *base,
		       const char *path, uint64_t span, struct ocifs_zshadow **out)
{
	struct ocifs_zshadow *z = calloc(1, sizeof(*z));
	struct stat st;

	if (!z)
		return -ENOMEM;
	z->fd = -1;
	z->base = base;
	z->span = span ? span : OCIFS_SPAN_DEFAULT;
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	pthread_cond_init(&z->idle, NULL);
	if (!(z->path = strdup(path)) || asprintf(&z->lockpath, "%s.lock", path) < 0) {
		z->lockpath = NULL;
		ocifs_zshadow_close(z);
		return -ENOMEM;
	}
	z->blob = ocifs_src_ref(blob);
	/* symlinks planted at our names are never followed, and removed */
	if (lstat(z->lockpath, &st) == 0 && S_ISLNK(st.st_mode))
		unlink(z->lockpath);
	z->fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (z->fd < 0 && errno == ELOOP)
		unlink(path);
	if (z->fd < 0 && (errno == EACCES || errno == EROFS)) {
		z->fd = ocifs_cache_open_read(path);
		z->readonly = 1;
	}
	if (z->fd >= 0 && (fstat(z->fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(z->fd);
		z->fd = -1;
	}
	if (z->fd >= 0) {
		int rc = ocifs_src_new(&ocifs_zs_src_ops, z, UINT64_MAX, path, &z->src);
		if (rc) {
			ocifs_zshadow_close(z);
			return rc;
		}
		rc = ocifs_zs_check_header(z, (uint64_t)st.st_size);
		if (rc == 0) {
			z->known_end = HDR_LEN;
			ocifs_zs_scan_records(z, (uint64_t)st.st_size);
			atomic_store(&z->st_file, (uint64_t)st.st_size);
			if (z->nchunks)
				log_info("%s: %zu lazy shadow chunks for random reads", path,
					 z->nchunks);
		} else if (rc == -EBADMSG) {
			log_warn("%s: not a shadow file of this layer; not used", path);
			atomic_store(&z->disabled, 1);
		}
	}
	publish(z);
	if (!atomic_load(&z->cur)) {
		ocifs_zshadow_close(z);
		return -ENOMEM;
	}
	*out = z;
	return 0;
}

void ocifs_zshadow_close(struct ocifs_zshadow *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->mu);
	atomic_store(&z->stop, 1);
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	if (z->started)
		pthread_join(z->th, NULL);
	if (atomic_load(&z->st_made))
		log_info("%s: made %llu lazy shadow chunks", z->path,
			 (unsigned long long)atomic_load(&z->st_made));
	while (z->snaps) {
		struct zsnap *s = z->snaps;
		z->snaps = s->older;
		free(s->ck.v);
		free(s->chunks);
		free(s);
	}
	while (z->all) {
		struct zchunk *c = z->all;
		z->all = c->all;
		free(c);
	}
	free(z->chunks);
	if (z->src)
		ocifs_src_unref(z->src);
	if (z->fd >= 0)
		close(z->fd);
	if (z->blob)
		ocifs_src_unref(z->blob);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv);
	pthread_cond_destroy(&z->idle);
	free(z->path);
	free(z->lockpath);
	free(z);
}

void ocifs_zshadow_stats(struct ocifs_zshadow *z, struct ocifs_zshadow_stats *out)
{
	*out = (struct ocifs_zshadow_stats){
		.loaded = atomic_load(&z->st_loaded), .made = atomic_load(&z->st_made),
		.verified = atomic_load(&z->st_verified), .bad = atomic_load(&z->st_bad),
		.requests = atomic_load(&z->st_requests), .file_bytes = atomic_load(&z->st_file),
	};
}
