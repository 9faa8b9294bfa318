/* SPDX-License-Identifier: MIT */
/*
 * Read-ahead on the checkpoint grid (see readahead.h for the design:
 * units, jobs, threads, locking, memory). Hand-written rather than a
 * thread-pool library: the pool is a dozen lines, and what matters --
 * claiming a queued job inline, waiting on a block being decoded,
 * cancelling an owner's jobs mid-decode -- is specific to the jobs.
 *
 * A job is referenced by the job list while linked, by its runner while
 * running, and by each reader waiting on it; the last reference frees
 * it (its spans retired or dropped after ra->lock is released).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "readahead.h"

/* A run with no checkpoint for more than this many units is decoded as
 * one unit at its start and no more: a unit further in could only start
 * by decoding everything before it. */
#define RA_SPARSE_UNITS 16

/* Jobs an owner has read past by more than this (or a quarter of the
 * read-ahead, if less: they still count in its bytes) are retired: reads
 * the kernel sends out of order (async readahead) still find them. */
#define RA_BEHIND (2u << 20)

/* A worker keeps its cursor (a zstd one holds the frame's window) this
 * long without work. */
#define RA_IDLE_NS 1000000000L

enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED };

struct ocifs_ra_job {
	struct ocifs_ra_job *prev, *next; /* ra's list while linked; next also
					   * chains the dead after unlinking */
	int linked;                     /* in the list: findable */
	int cancel;                     /* atomic: stop at the next run */
	int retired;                    /* read past: spans go to retire() */
	int state;                      /* JOB_* */
	int refs;
	int err;                        /* JOB_FAILED: at block b0 + ready */
	const void *owner;
	struct ocifs_layer *layer;
	uint64_t b0, b1;                /* blocks [b0, b1) */
	uint64_t start;                 /* checkpoint decoding starts at */
	size_t ready;                   /* spans published: span[0..ready) */
	struct ocifs_span *span[];      /* the job's references */
};

struct ocifs_ra {
	struct ocifs_ra_opts o;
	uint64_t unit_blocks;
	pthread_mutex_t lock;
	pthread_cond_t work;            /* a job was queued, or stop */
	pthread_cond_t done;            /* a block was published, a job ended */
	struct ocifs_ra_job *head, *tail; /* linked jobs, oldest first */
	int stop;
	unsigned want_threads;
	pthread_t *threads;             /* [0..st.threads) started */
	struct ocifs_ra_stats st;       /* all protected by lock */
};

int ocifs_ra_new(const struct ocifs_ra_opts *o, struct ocifs_ra **out)
{
	struct ocifs_ra *ra;
	pthread_condattr_t ca;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!o->block || !o->ahead || !o->pool)
		return -EINVAL;
	if (!(ra = calloc(1, sizeof(*ra))))
		return -ENOMEM;
	ra->o = *o;
	if (!ra->o.max)
		ra->o.max = 2 * o->ahead;
	if (!ra->o.unit)
		ra->o.unit = OCIFS_RA_UNIT_DEFAULT;
	ra->unit_blocks = ra->o.unit / o->block ? ra->o.unit / o->block : 1;
	ra->want_threads = o->threads ? o->threads : ncpu > 0 ? (unsigned)ncpu : 1;
	if (!(ra->threads = calloc(ra->want_threads, sizeof(*ra->threads)))) {
		free(ra);
		return -ENOMEM;
	}
	pthread_mutex_init(&ra->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ra->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&ra->done, NULL);
	*out = ra;
	return 0;
}

/* Drop a reference; the last one moves j to *dead (ra->lock held). */
static void job_put(struct ocifs_ra *ra, struct ocifs_ra_job *j, struct ocifs_ra_job **dead)
{
	if (--j->refs)
		return;
	ra->st.bytes -= (j->b1 - j->b0) * ra->o.block;
	j->next = *dead;
	*dead = j;
}

/* Free dead jobs, after ra->lock is released. */
static void bury(struct ocifs_ra *ra, struct ocifs_ra_job *dead)
{
	while (dead) {
		struct ocifs_ra_job *j = dead;

		dead = j->next;
		for (size_t i = 0; i < j->ready; i++) {
			if (j->retired && ra->o.retire)
				ra->o.retire(ra->o.ctx, j->span[i]);
			else
				ocifs_span_unref(j->span[i]);
		}
		free(j);
	}
}

/* Take j off the list; a job not finished stops at its next run. */
static void job_unlink(struct ocifs_ra *ra, struct ocifs_ra_job *j, struct ocifs_ra_job **dead)
{
	if (!j->linked)
		return;
	if (j->prev)
		j->prev->next = j->next;
	else
		ra->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		ra->tail = j->prev;
	j->prev = j->next = NULL;
	j->linked = 0;
	ra->st.jobs--;
	if (j->ready < j->b1 - j->b0 && (j->state == JOB_QUEUED || j->state == JOB_RUNNING)) {
		__atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
		ra->st.cancelled++;
	}
	job_put(ra, j, dead);
}

void ocifs_ra_free(struct ocifs_ra *ra)
{
	struct ocifs_ra_job *dead = NULL;

	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->stop = 1;
	while (ra->head)
		job_unlink(ra, ra->head, &dead);
	pthread_cond_broadcast(&ra->work);
	pthread_cond_broadcast(&ra->done);
	pthread_mutex_unlock(&ra->lock);
	for (unsigned i = 0; i < ra->st.threads; i++)
		pthread_join(ra->threads[i], NULL);
	bury(ra, dead);
	pthread_cond_destroy(&ra->work);
	pthread_cond_destroy(&ra->done);
	pthread_mutex_destroy(&ra->lock);
	free(ra->threads);
	free(ra);
}

/* --- units ------------------------------------------------------------ */

/* The first block at or after checkpoint k. */
static uint64_t ck_blk(const struct ocifs_ckpts *ck, size_t k, size_t bs)
{
	return (ck->v[k].uoff + bs - 1) / bs;
}

/* The first checkpoint whose block is g or later (ck->n: none). */
static size_t ck_first_ge(const struct ocifs_ckpts *ck, uint64_t g, size_t bs)
{
	size_t k;

	if (!g)
		return 0;
	k = ocifs_ckpts_find(ck, (g - 1) * bs);
	return ck->v[k].uoff > (g - 1) * bs ? k : k + 1;
}

/* The unit holding block blk of l: 1 and [*b0, *b1) decoded from *start,
 * or 0 (an uncompressed layer, past the end, or deep in a run without
 * checkpoints). Units start at the first checkpoint block of each cell
 * of unit_blocks, so every block of a unit computes the same unit. */
static int unit_of(const struct ocifs_ra *ra, struct ocifs_layer *l, uint64_t blk, uint64_t *b0,
		   uint64_t *b1, uint64_t *start)
{
	const struct ocifs_ckpts *ck = ocifs_layer_ckpts(l);
	size_t bs = ra->o.block, k, ku, ke;
	uint64_t m = ra->unit_blocks, nblk = (ocifs_layer_usize(l) + bs - 1) / bs, p, g, u, e;

	if (!ck || !ck->n || ck->comp == OCIFS_COMP_NONE || blk >= nblk)
		return 0;
	k = ocifs_ckpts_find(ck, blk * bs);
	p = ck_blk(ck, k, bs);
	g = p - p % m;
	ku = ck_first_ge(ck, g, bs);
	ke = ck_first_ge(ck, g + m, bs);
	u = ck_blk(ck, ku, bs);
	e = ke < ck->n ? ck_blk(ck, ke, bs) : nblk;
	if (e > nblk)
		e = nblk;
	if (e - u > m * RA_SPARSE_UNITS)
		e = u + m * RA_SPARSE_UNITS;
	if (blk < u || blk >= e)
		return 0;
	*b0 = u;
	*b1 = e;
	*start = ck->v[ku].uoff;
	return 1;
}

/* The first checkpoint block after blk, or UINT64_MAX. */
static uint64_t next_ck_blk(const struct ocifs_ra *ra, struct ocifs_layer *l, uint64_t blk)
{
	const struct ocifs_ckpts *ck = ocifs_layer_ckpts(l);
	size_t k = ck && ck->n ? ck_first_ge(ck, blk + 1, ra->o.block) : 0;

	return ck && k < ck->n ? ck_blk(ck, k, ra->o.block) : UINT64_MAX;
}

/* The linked job of l holding blk, or NULL (ra->lock held). */
static struct ocifs_ra_job *job_find(struct ocifs_ra *ra, const struct ocifs_layer *l, uint64_t blk)
{
	for (struct ocifs_ra_job *j = ra->head; j; j = j->next)
		if (j->layer == l && j->b0 <= blk && blk < j->b1)
			return j;
	return NULL;
}

/* --- decoding --------------------------------------------------------- */

/* Where decoding from block b of l should pause to publish: zstd, the
 * first block boundary at or after the next blob checkpoint past b's
 * start (a frame start: every frame before it is whole in [b, there), so
 * the decoder writes them straight into place), at most b1; gzip, the
 * next block (inflate writes into place anyway, and a reader waiting
 * for the job gets each block as soon as it is done). */
static uint64_t run_end(const struct ocifs_ra *ra, struct ocifs_layer *l, uint64_t b, uint64_t b1)
{
	const struct ocifs_ckpts *ck = ocifs_layer_ckpts(l);
	size_t bs = ra->o.block, k;

	if (!ck || !ck->n || ck->comp != OCIFS_COMP_ZSTD)
		return b + 1 < b1 ? b + 1 : b1;
	for (k = ck_first_ge(ck, b + 1, bs); k < ck->n; k++)
		if (!(ck->v[k].flags & OCIFS_CK_SHADOW))
			break;
	if (k >= ck->n)
		return b1;
	return ck_blk(ck, k, bs) < b1 ? ck_blk(ck, k, bs) : b1;
}

/* Blocks [b, e) of job j (bytes up to end) through cursor c into out,
 * all of them or an error. */
static int run_decode(const struct ocifs_ra_job *j, struct ocifs_zcursor *c, unsigned char *out,
		      uint64_t b, uint64_t e, uint64_t end, size_t bs)
{
	size_t len = (size_t)((e * bs < end ? e * bs : end) - b * bs), got = 0;
	int rc = ocifs_zcursor_pread(c, out, len, b * bs, &got);

	if (!rc && got != len) {
		log_dbg("layer %u: stream ends at %" PRIu64 " in read-ahead", ocifs_layer_num(j->layer),
			b * bs + got);
		rc = -EIO;
	}
	return rc;
}

/* Decode claimed job j through cursor c into one slab of spans (the
 * decoder writes each run between checkpoints in one call, straight into
 * place), publishing each run; then end the job and drop the runner's
 * reference. 0 or the job's error; *pos: where the cursor stopped. */
static int job_decode(struct ocifs_ra *ra, struct ocifs_ra_job *j, struct ocifs_zcursor *c,
		      int cerr, uint64_t *pos)
{
	size_t bs = ra->o.block, n = (size_t)(j->b1 - j->b0);
	uint64_t usize = ocifs_layer_usize(j->layer), b = j->b0;
	uint64_t end = j->b1 * bs < usize ? j->b1 * bs : usize;
	uint32_t num = ocifs_layer_num(j->layer);
	struct ocifs_ra_job *dead = NULL;
	struct ocifs_span **sp = NULL;
	int rc = c ? 0 : cerr ? cerr : -ENOMEM;

	if (!rc && j->b0 * bs >= usize)
		rc = -EIO; /* cannot happen: units end at the stream's end */
	if (!rc && !(sp = malloc(n * sizeof(*sp))))
		rc = -ENOMEM;
	if (!rc)
		rc = ocifs_spanpool_slab(ra->o.pool, num, j->b0, n, (size_t)(end - j->b0 * bs), sp);
	if (rc) {
		free(sp);
		sp = NULL;
	}
	while (!rc && b < j->b1 && !__atomic_load_n(&j->cancel, __ATOMIC_RELAXED)) {
		uint64_t e = run_end(ra, j->layer, b, j->b1), from = b, e0 = e;

		rc = run_decode(j, c, sp[b - j->b0]->data, b, e, end, bs);
		if (rc && e0 - b > 1) {
			/* corrupt somewhere in the run: again block by block,
			 * so the blocks before the damage are still served */
			for (e = b; e < e0; e++)
				if ((rc = run_decode(j, c, sp[e - j->b0]->data, e, e + 1, end, bs)))
					break;
		}
		if (e == from)
			break;
		pthread_mutex_lock(&ra->lock);
		for (; b < e; b++)
			j->span[j->ready++] = sp[b - j->b0];
		ra->st.blocks += e - from;
		pthread_cond_broadcast(&ra->done);
		pthread_mutex_unlock(&ra->lock);
	}
	/* the spans not published (an error, a cancel) */
	for (uint64_t k = b; sp && k < j->b1; k++)
		ocifs_span_unref(sp[k - j->b0]);
	free(sp);
	pthread_mutex_lock(&ra->lock);
	if (rc) {
		j->state = JOB_FAILED;
		j->err = rc;
		ra->st.failed++;
	} else {
		j->state = JOB_DONE;
	}
	pthread_cond_broadcast(&ra->done);
	job_put(ra, j, &dead);
	pthread_mutex_unlock(&ra->lock);
	bury(ra, dead);
	*pos = b * bs;
	return rc;
}

static void *worker(void *arg)
{
	struct ocifs_ra *ra = arg;
	struct ocifs_zcursor *cur = NULL;
	struct ocifs_layer *cl = NULL;

	/* named apart from the threads serving requests (top -H; t19) */
	pthread_setname_np(pthread_self(), "ocifs-readahead");
	pthread_mutex_lock(&ra->lock);
	while (!ra->stop) {
		struct ocifs_ra_job *j = ra->head;
		uint64_t pos;
		int rc = 0;

		while (j && j->state != JOB_QUEUED)
			j = j->next;
		if (!j) {
			struct timespec ts;

			if (!cur) {
				pthread_cond_wait(&ra->work, &ra->lock);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += RA_IDLE_NS / 1000000000L;
			if (pthread_cond_timedwait(&ra->work, &ra->lock, &ts) == ETIMEDOUT) {
				pthread_mutex_unlock(&ra->lock);
				ocifs_zcursor_free(cur);
				cur = NULL;
				pthread_mutex_lock(&ra->lock);
			}
			continue;
		}
		j->state = JOB_RUNNING;
		j->refs++;
		pthread_mutex_unlock(&ra->lock);
		if (cur && cl != j->layer) {
			ocifs_zcursor_free(cur);
			cur = NULL;
		}
		cl = j->layer;
		if (!cur && (rc = ocifs_layer_cursor(j->layer, &cur)))
			cur = NULL;
		rc = job_decode(ra, j, cur, rc, &pos);
		if (rc && cur) { /* mid-way through garbage */
			ocifs_zcursor_free(cur);
			cur = NULL;
		}
		pthread_mutex_lock(&ra->lock);
	}
	pthread_mutex_unlock(&ra->lock);
	ocifs_zcursor_free(cur);
	return NULL;
}

/* --- owners ----------------------------------------------------------- */

void ocifs_ra_advance(struct ocifs_ra *ra, const void *owner, struct ocifs_layer *l,
		      uint64_t blk, uint64_t end)
{
	size_t bs = ra->o.block;
	uint64_t behind = (RA_BEHIND < ra->o.ahead / 4 ? RA_BEHIND : ra->o.ahead / 4) / bs;
	uint64_t limit = blk + 1 + (ra->o.ahead + bs - 1) / bs, pos, b0, b1, start;
	struct ocifs_ra_job *dead = NULL, *j, *nx;
	int queued = 0;

	if (!behind)
		behind = 1;
	if (limit > end)
		limit = end;
	pthread_mutex_lock(&ra->lock);
	for (j = ra->head; j; j = nx) {
		nx = j->next;
		/* a job not done yet stays: the front moved past it with a
		 * read that arrived early, and the reads of its blocks are
		 * still to come (retired at a later call, once done) */
		if (j->owner == owner && j->b1 + behind <= blk &&
		    (j->state == JOB_DONE || j->state == JOB_FAILED)) {
			j->retired = 1;
			job_unlink(ra, j, &dead);
		}
	}
	/* the units after blk's own (which its reader is decoding) */
	pos = unit_of(ra, l, blk, &b0, &b1, &start) ? b1 : next_ck_blk(ra, l, blk);
	while (!ra->stop && pos < limit) {
		if (!unit_of(ra, l, pos, &b0, &b1, &start)) {
			pos = next_ck_blk(ra, l, pos);
			continue;
		}
		if (b0 >= pos && !job_find(ra, l, b0)) {
			uint64_t e = b1 < end ? b1 : end, bytes = (e - b0) * bs;

			if (ra->st.bytes + bytes > ra->o.max)
				break;
			if (!(j = calloc(1, sizeof(*j) + (e - b0) * sizeof(j->span[0]))))
				break;
			*j = (struct ocifs_ra_job){ .linked = 1, .state = JOB_QUEUED, .refs = 1,
						    .owner = owner, .layer = l, .b0 = b0, .b1 = e,
						    .start = start, .prev = ra->tail };
			if (ra->tail)
				ra->tail->next = j;
			else
				ra->head = j;
			ra->tail = j;
			ra->st.bytes += bytes;
			if (ra->st.bytes > ra->st.peak)
				ra->st.peak = ra->st.bytes;
			ra->st.jobs++;
			ra->st.queued++;
			queued++;
		}
		pos = b1;
	}
	/* workers start with the first job; without any, readers run the
	 * jobs themselves */
	while (queued && ra->st.threads < ra->want_threads &&
	       !pthread_create(&ra->threads[ra->st.threads], NULL, worker, ra))
		ra->st.threads++;
	if (queued)
		pthread_cond_broadcast(&ra->work);
	pthread_mutex_unlock(&ra->lock);
	bury(ra, dead);
}

void ocifs_ra_drop(struct ocifs_ra *ra, const void *owner)
{
	struct ocifs_ra_job *dead = NULL, *j, *nx;

	pthread_mutex_lock(&ra->lock);
	for (j = ra->head; j; j = nx) {
		nx = j->next;
		if (j->owner == owner)
			job_unlink(ra, j, &dead);
	}
	pthread_mutex_unlock(&ra->lock);
	bury(ra, dead);
}

int ocifs_ra_owns(struct ocifs_ra *ra, const void *owner)
{
	int found = 0;

	pthread_mutex_lock(&ra->lock);
	for (struct ocifs_ra_job *j = ra->head; j && !found; j = j->next)
		found = j->owner == owner;
	pthread_mutex_unlock(&ra->lock);
	return found;
}

/* --- readers ---------------------------------------------------------- */

int ocifs_ra_get(struct ocifs_ra *ra, struct ocifs_layer *l, uint64_t blk,
		 struct ocifs_span **out, struct ocifs_ra_job **run)
{
	struct ocifs_ra_job *dead = NULL, *j;
	int rc;

	*out = NULL;
	*run = NULL;
	pthread_mutex_lock(&ra->lock);
	for (;;) {
		uint64_t i;

		if (!(j = job_find(ra, l, blk))) {
			rc = 0;
			break;
		}
		i = blk - j->b0;
		if (i < j->ready) {
			*out = j->span[i];
			__atomic_add_fetch(&(*out)->refs, 1, __ATOMIC_RELAXED);
			ra->st.served++;
			rc = 1;
			break;
		}
		if (j->state == JOB_FAILED) {
			rc = j->err; /* it failed at block b0 + ready <= blk */
			ra->st.errors++;
			break;
		}
		if (j->state == JOB_DONE) {
			rc = 0; /* cannot happen: a done job has every block */
			break;
		}
		if (j->state == JOB_QUEUED) {
			j->state = JOB_RUNNING;
			j->refs++;
			ra->st.inline_runs++;
			*run = j;
			rc = 2;
			break;
		}
		j->refs++;
		ra->st.waits++;
		pthread_cond_wait(&ra->done, &ra->lock);
		job_put(ra, j, &dead);
	}
	pthread_mutex_unlock(&ra->lock);
	bury(ra, dead);
	return rc;
}

uint64_t ocifs_ra_job_start(const struct ocifs_ra *ra, const struct ocifs_ra_job *j)
{
	return j->b0 * ra->o.block;
}

int ocifs_ra_run(struct ocifs_ra *ra, struct ocifs_ra_job *j, struct ocifs_zcursor *c, int cerr,
		 uint64_t *pos)
{
	return job_decode(ra, j, c, cerr, pos);
}

int ocifs_ra_covers(struct ocifs_ra *ra, const struct ocifs_layer *l, uint64_t blk)
{
	int found;

	pthread_mutex_lock(&ra->lock);
	found = job_find(ra, l, blk) != NULL;
	pthread_mutex_unlock(&ra->lock);
	return found;
}

void ocifs_ra_stats(struct ocifs_ra *ra, struct ocifs_ra_stats *st)
{
	pthread_mutex_lock(&ra->lock);
	*st = ra->st;
	pthread_mutex_unlock(&ra->lock);
}
