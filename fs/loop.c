/* SPDX-License-Identifier: MIT */
/*
 * The FUSE session loop (loop.h): single-threaded (mount -s), or a pool
 * of at most -o max_threads=N workers in which one thread at a time, the
 * leader, reads the device (leader/followers).
 *
 * Why not libfuse's pool (fuse_session_loop_mt): there every idle worker
 * blocks in read(2) on /dev/fuse and the kernel wakes the one that has
 * waited longest, so a tree walk, one request at a time, is served by
 * each of ten threads in turn, every request a wake-up of a cold thread
 * (measured: the daemon's CPU time and the walk's wall time near twice
 * those of -s). Here the leader serves the requests that answer from
 * the mapped view and never wait (the walk's READDIRPLUS, LOOKUP,
 * GETATTR, READLINK, xattrs, FORGET: `fast`, asked of the file system
 * for the inode) itself and reads the next one, as -s does; for any
 * other request (reads, opens, /.ocifs documents that may wait for a
 * build) it first hands the leadership to an idle follower (or starts a
 * thread, up to max_threads) and then serves it, so slow requests still
 * run in parallel. Workers start on demand and stay until unmount.
 *
 * The end: an unmount makes the leader's read fail (ENODEV, libfuse
 * marks the session exited); a signal (libfuse's handlers, which only
 * the calling thread receives: workers block all signals) interrupts
 * the calling thread's wait. Either way every worker is stopped: the
 * followers through the condition, the leader blocked in read(2) by
 * pthread_cancel, which only acts there (libfuse's own pool does the
 * same), and all are joined. Workers are named "ocifs-fuse" (top -H,
 * and t26-meta counts which of them served a walk).
 */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <linux/fuse.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "log.h"

#define DEFAULT_THREADS 10 /* libfuse's default max_threads */

struct lf_pool {
	struct fuse_session *se;
	fs_fast_fn fast;
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* followers wait here for the leadership */
	sem_t done;          /* posted once when the session ends */
	int leader;          /* a thread holds the leadership */
	int stop;
	int err;             /* the read error that ended it, or 0 */
	unsigned idle;       /* followers waiting */
	unsigned max;
	pthread_t *tid;      /* every worker started, to join */
	unsigned threads;
	unsigned cap;
};

/* The requests a leader serves in place when fast() says their inode's
 * metadata never waits (the rest of the opcode decides nothing). */
static int lf_inline(const struct lf_pool *lp, const struct fuse_buf *b)
{
	const struct fuse_in_header *in = b->mem;

	if ((b->flags & FUSE_BUF_IS_FD) || b->size < sizeof(*in))
		return 0;
	switch (in->opcode) {
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		return 1;
	case FUSE_LOOKUP:
	case FUSE_GETATTR:
	case FUSE_READLINK:
	case FUSE_OPENDIR:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
	case FUSE_RELEASEDIR:
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR:
	case FUSE_ACCESS:
	case FUSE_STATFS:
		return lp->fast(lp->arg, in->nodeid);
	default:
		return 0;
	}
}

/* The session is over (lp->mu held): wake everyone and the caller. */
static void lf_end(struct lf_pool *lp, int err)
{
	if (lp->stop)
		return;
	lp->stop = 1;
	lp->err = err;
	pthread_cond_broadcast(&lp->cv);
	sem_post(&lp->done);
}

static void *lf_worker(void *p);

/* One more worker, with every signal blocked (lp->mu held). */
static int lf_spawn(struct lf_pool *lp)
{
	sigset_t all, old;
	int rc;

	if (lp->threads == lp->cap) {
		unsigned cap = lp->cap ? lp->cap * 2 : 16;
		pthread_t *t = realloc(lp->tid, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		lp->tid = t;
		lp->cap = cap;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&lp->tid[lp->threads], NULL, lf_worker, lp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	lp->threads++;
	return 0;
}

static void lf_free_buf(void *p)
{
	free(((struct fuse_buf *)p)->mem);
}

/* Read one request as the leader; 1 when there is one in b, 0 when the
 * session is over. Cancellation acts only inside the read. */
static int lf_read(struct lf_pool *lp, struct fuse_buf *b)
{
	int res;

	do {
		if (fuse_session_exited(lp->se))
			return 0;
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		res = fuse_session_receive_buf(lp->se, b);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	} while (res == -EINTR || res == -EAGAIN);
	if (res > 0 && !fuse_session_exited(lp->se))
		return 1;
	pthread_mutex_lock(&lp->mu);
	lf_end(lp, res < 0 ? res : 0);
	pthread_mutex_unlock(&lp->mu);
	return 0;
}

static void *lf_worker(void *p)
{
	struct lf_pool *lp = p;
	struct fuse_buf buf;
	int rc;

	memset(&buf, 0, sizeof(buf));
	pthread_setname_np(pthread_self(), "ocifs-fuse");
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_cleanup_push(lf_free_buf, &buf);
	pthread_mutex_lock(&lp->mu);
	while (!lp->stop) {
		if (lp->leader) {
			lp->idle++;
			pthread_cond_wait(&lp->cv, &lp->mu);
			lp->idle--;
			continue;
		}
		lp->leader = 1;
		pthread_mutex_unlock(&lp->mu);
		/* Lead: serve the fast requests in place. */
		int got;
		while ((got = lf_read(lp, &buf)) && lf_inline(lp, &buf))
			fuse_session_process_buf(lp->se, &buf);
		pthread_mutex_lock(&lp->mu);
		if (!got || lp->stop)
			break; /* (stopping: the kernel fails what is left) */
		/* A slow one: hand the device over, then serve it. */
		lp->leader = 0;
		if (lp->idle)
			pthread_cond_signal(&lp->cv);
		else if (lp->threads < lp->max && (rc = lf_spawn(lp)))
			log_warn("fuse: cannot start a worker thread: %s", strerror(-rc));
		pthread_mutex_unlock(&lp->mu);
		fuse_session_process_buf(lp->se, &buf);
		pthread_mutex_lock(&lp->mu);
	}
	pthread_mutex_unlock(&lp->mu);
	pthread_cleanup_pop(1);
	return NULL;
}

static int lf_loop(struct fuse_session *se, unsigned max, fs_fast_fn fast, void *arg)
{
	struct lf_pool lp = { .se = se, .fast = fast, .arg = arg, .max = max ? max : DEFAULT_THREADS };
	unsigned n;
	int rc;

	if (sem_init(&lp.done, 0, 0))
		return -errno;
	pthread_mutex_init(&lp.mu, NULL);
	pthread_cond_init(&lp.cv, NULL);
	pthread_mutex_lock(&lp.mu);
	rc = lf_spawn(&lp);
	pthread_mutex_unlock(&lp.mu);
	if (!rc)
		while (!fuse_session_exited(se) && sem_wait(&lp.done) && errno == EINTR)
			;
	pthread_mutex_lock(&lp.mu);
	lf_end(&lp, rc);
	rc = lp.err;
	n = lp.threads; /* no worker starts once stopped */
	pthread_mutex_unlock(&lp.mu);
	/* Only the leader can be in read(2) with cancellation enabled; the
	 * others exit on stop, a pending cancel never acting on them. */
	for (unsigned i = 0; i < n; i++)
		pthread_cancel(lp.tid[i]);
	for (unsigned i = 0; i < n; i++)
		pthread_join(lp.tid[i], NULL);
	free(lp.tid);
	pthread_cond_destroy(&lp.cv);
	pthread_mutex_destroy(&lp.mu);
	sem_destroy(&lp.done);
	return rc;
}

int fs_session_loop(struct fuse_session *se, int single, unsigned max_threads, fs_fast_fn fast,
		    void *arg)
{
	if (single)
		return fuse_session_loop(se);
	return lf_loop(se, max_threads, fast, arg);
}
