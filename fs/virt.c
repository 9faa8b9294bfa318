/* SPDX-License-Identifier: MIT */
/*
 * Virtual files (DESIGN §8), driven by the table of generated documents
 * (scan/docs.h): /.ocifs/<name> for every row, and the row's alias in
 * the root (/.deps). A document is made the first time it is looked up
 * (so st_size is exact from the first reply) by one builder thread, in
 * table order, a derived row after the row it comes from; built rows go
 * through the document cache, so a warm mount answers from a file read.
 * The image's own files win: a real /.deps or /.ocifs hides the alias.
 * Not listed in the root unless -o show_virtual, so a scanner walking
 * the tree sees exactly the image.
 *
 * Inodes (ino.h): FS_VCLASS_NODE, id 0 the directory /.ocifs, id 1 + k
 * the document of row k. The directories image/ and layers/ of /.ocifs
 * are fs/layers.c's, listed after the documents.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "docs.h"
#include "fs.h"
#include "log.h"
#include "trace.h"

#define VIRT_DIR_NAME ".ocifs"
#define VIRT_DIR_ID 0

/* A generated document's life: IDLE until someone needs it, PENDING
 * once asked for, BUILDING while the builder thread makes it, DONE with
 * a result (buf) or an error (err). Only the builder moves a document
 * out of PENDING/BUILDING; a document is never rebuilt. */
enum virt_state { VS_IDLE, VS_PENDING, VS_BUILDING, VS_DONE };

struct virt_doc {
	enum virt_state state;          /* protected by fs_virt.lock */
	int err;                        /* likewise */
	char *buf;                      /* once DONE: read-only until free */
	size_t len;
	int64_t started;                /* CLOCK_MONOTONIC ns it went BUILDING */
};

struct fs_virt {
	struct ocifs_image *img;        /* borrowed */
	struct ocifs_view *view;        /* borrowed */
	const struct ocifs_docs_row *rows; /* the table, static */
	size_t nrows;
	char *cache_dir;
	unsigned timeout_ms;            /* -o deps_timeout, 0 = none */
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* broadcast on every state change,
					 * on interrupts and on stop */
	struct virt_doc *doc;           /* nrows, protected by lock */
	pthread_t builder;              /* valid while builder_live */
	int builder_live;               /* protected by lock: created, not
					 * yet joined */
	int builder_busy;               /* protected by lock: still looping */
	int stop;                       /* atomic: unmounting, builds stop */
	char *gate;                     /* OCIFS_TEST_DEPS_GATE, or NULL */
	/* live rows (the trace): the generation their buf was made at, and
	 * the bufs they replaced (a read may still be sending one; freed at
	 * unmount; one per change of the trace that was looked at) */
	uint64_t *live_gen;             /* nrows, protected by lock */
	char **retired;
	size_t nretired;
	ocifs_span span;                /* the mount's span: builds go under it */
};

/* How long past -o deps_timeout a waiter trusts the build to stop by
 * itself (its cancel hook is polled every few ms) before it gives up on
 * it, and how long an unmount waits for a build told to stop. */
#define VIRT_GRACE_NS (5 * 1000000000ll)

static fuse_ino_t virt_dir_ino(void)
{
	return fs_vino(FS_VCLASS_NODE, 0, VIRT_DIR_ID);
}

static fuse_ino_t virt_doc_ino(size_t k)
{
	return fs_vino(FS_VCLASS_NODE, 0, 1 + (uint64_t)k);
}

int fs_virt_new(struct ocifs_image *img, struct ocifs_view *view, const char *cache_dir,
		const struct fs_opts *o, struct fs_virt **out)
{
	struct fs_virt *v = calloc(1, sizeof(*v));
	pthread_condattr_t ca;
	const char *gate = getenv("OCIFS_TEST_DEPS_GATE");

	if (v) {
		v->rows = ocifs_docs_table(&v->nrows);
		v->doc = calloc(v->nrows, sizeof(*v->doc));
		v->live_gen = calloc(v->nrows, sizeof(*v->live_gen));
	}
	if (!v || !v->doc || !v->live_gen || (cache_dir && !(v->cache_dir = strdup(cache_dir))) ||
	    (gate && *gate && !(v->gate = strdup(gate)))) {
		if (v) {
			free(v->cache_dir);
			free(v->doc);
			free(v->live_gen);
		}
		free(v);
		return -ENOMEM;
	}
	v->img = img;
	v->view = view;
	v->timeout_ms = o->deps_timeout_ms;
	v->span = ocifs_trace_current();
	pthread_mutex_init(&v->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = v;
	return 0;
}

void fs_virt_free(struct fs_virt *v)
{
	if (!v)
		return;
	/* A build still running stops at its next file (the cancel hook). */
	__atomic_store_n(&v->stop, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&v->lock);
	pthread_cond_broadcast(&v->cond);
	for (int64_t end = ocifs_now_ns() + VIRT_GRACE_NS; v->builder_busy && ocifs_now_ns() < end;) {
		struct timespec ts = { .tv_sec = end / 1000000000, .tv_nsec = end % 1000000000 };
		pthread_cond_timedwait(&v->cond, &v->lock, &ts);
	}
	if (v->builder_busy) {
		/* A build that ignores its cancel hook would use the view
		 * after the caller frees it: the mount is gone already, so
		 * end the process rather than wait forever or crash. */
		log_err("/.ocifs: a document build does not stop; exiting without it");
		_exit(1);
	}
	pthread_mutex_unlock(&v->lock);
	if (v->builder_live)
		pthread_join(v->builder, NULL);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v->gate);
	free(v->cache_dir);
	for (size_t i = 0; i < v->nrows; i++)
		free(v->doc[i].buf);
	free(v->doc);
	for (size_t i = 0; i < v->nretired; i++)
		free(v->retired[i]);
	free(v->retired);
	free(v->live_gen);
	free(v);
}

int fs_virt_node(const struct fs_virt *v, fuse_ino_t ino, struct fs_node *n)
{
	unsigned cls, sub;
	uint64_t id;

	if (fs_vino_split(ino, &cls, &sub, &id) || cls != FS_VCLASS_NODE || sub ||
	    id > v->nrows)
		return -ENOENT;
	memset(n, 0, sizeof(*n));
	n->ino = ino;
	n->cls = id == VIRT_DIR_ID ? FS_NODE_VDIR : FS_NODE_VDOC;
	n->doc = id == VIRT_DIR_ID ? 0 : (size_t)(id - 1);
	return 0;
}

static int virt_cancelled(void *ctx)
{
	struct fs_virt *v = ctx;

	return __atomic_load_n(&v->stop, __ATOMIC_RELAXED);
}

/* Test hook (OCIFS_TEST_DEPS_GATE=FILE): a build waits for FILE to
 * exist, as a slow build would, still stopping on cancel and at its
 * deadline. It lets tests hold a build "in progress" without timing. */
static int virt_gate(struct fs_virt *v)
{
	int64_t end = ocifs_now_ns() + (int64_t)v->timeout_ms * 1000000;

	while (access(v->gate, F_OK) != 0) {
		struct timespec ts = { 0, 20 * 1000000 };

		if (virt_cancelled(v))
			return -EINTR;
		if (v->timeout_ms && ocifs_now_ns() >= end)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* The root alias of row k, else its path in /.ocifs/, for log lines. */
static void virt_shown(const struct ocifs_docs_row *row, char *buf, size_t cap)
{
	if (row->alias)
		snprintf(buf, cap, "/%s", row->alias);
	else
		snprintf(buf, cap, "/" VIRT_DIR_NAME "/%s", row->name);
}

/* Make document d (called by the builder, without the lock; the row it
 * derives from is DONE without error, so read-only). */
static int virt_make(struct fs_virt *v, size_t d, char **buf, size_t *len)
{
	const struct ocifs_docs_row *row = &v->rows[d];
	struct ocifs_docs_ctx c = {
		.img = v->img,
		.view = v->view,
		.cache_dir = v->cache_dir,
		.cancelled = virt_cancelled,
		.cancel_ctx = v,
		.timeout_ms = v->timeout_ms,
	};
	char shown[128];
	int rc;

	virt_shown(row, shown, sizeof(shown));
	if (row->from >= 0) {
		ocifs_span sp = ocifs_trace_begin("write document", 0);
		ocifs_trace_str(sp, "ocifs.document", row->what);
		rc = row->derive(v->doc[row->from].buf, v->doc[row->from].len, buf, len);
		if (rc) {
			log_err("%s: cannot render %s: %s", shown, row->what, strerror(-rc));
			ocifs_trace_error(sp, strerror(-rc));
		} else {
			ocifs_trace_int(sp, "ocifs.bytes", (int64_t)*len);
			ocifs_trace_str(sp, "ocifs.source", "derived");
		}
		ocifs_trace_end(sp);
		return rc;
	}
	rc = v->gate ? virt_gate(v) : 0;
	if (!rc)
		rc = row->build(&c, buf, len);
	if (rc == -ETIMEDOUT)
		log_err("/" VIRT_DIR_NAME ": %s generation stopped after %u s (-o deps_timeout); "
			"%s fails with EIO", row->what, v->timeout_ms / 1000, shown);
	else if (rc && rc != -EINTR)
		log_err("/" VIRT_DIR_NAME ": cannot generate %s: %s", row->what, strerror(-rc));
	return rc;
}

/* The next document the builder can make (lock held): the first PENDING
 * row whose source is DONE; a source's error is the row's (DONE at
 * once). -1 when none is left. */
static long virt_next(struct fs_virt *v)
{
	for (int again = 1; again;) {
		again = 0;
		for (size_t k = 0; k < v->nrows; k++) {
			struct virt_doc *d = &v->doc[k];
			int from = v->rows[k].from;
			if (d->state != VS_PENDING)
				continue;
			if (from < 0)
				return (long)k;
			if (v->doc[from].state != VS_DONE)
				continue;
			if (!v->doc[from].err)
				return (long)k;
			d->err = v->doc[from].err;
			d->state = VS_DONE;
			pthread_cond_broadcast(&v->cond);
			again = 1;
		}
	}
	return -1;
}

/* The builder thread: makes every PENDING document in turn, holding the
 * lock only to move states, so that nothing a lookup, readdir or getattr
 * of another file needs is ever held while a document is generated. */
static void *virt_builder(void *arg)
{
	struct fs_virt *v = arg;

	ocifs_trace_adopt(v->span); /* its builds are the mount's */
	pthread_mutex_lock(&v->lock);
	for (;;) {
		long d = virt_next(v);
		char *buf = NULL;
		size_t len = 0;
		int rc;

		if (d < 0 || virt_cancelled(v))
			break;
		v->doc[d].state = VS_BUILDING;
		v->doc[d].started = ocifs_now_ns();
		pthread_mutex_unlock(&v->lock);
		rc = virt_make(v, (size_t)d, &buf, &len);
		pthread_mutex_lock(&v->lock);
		if (v->doc[d].state != VS_BUILDING) {
			free(buf); /* a waiter gave up on it (virt_wait) */
			continue;
		}
		v->doc[d].buf = buf;
		v->doc[d].len = len;
		v->doc[d].err = rc;
		v->doc[d].state = VS_DONE;
		pthread_cond_broadcast(&v->cond);
	}
	v->builder_busy = 0;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

/* Ask for document d and what it is made from; start the builder if it
 * is not running. Called with the lock held. */
static int virt_kick(struct fs_virt *v, size_t d)
{
	int rc;

	for (long k = (long)d; k >= 0; k = v->rows[k].from)
		if (v->doc[k].state == VS_IDLE)
			v->doc[k].state = VS_PENDING;
	if (v->builder_busy || v->doc[d].state == VS_DONE || virt_cancelled(v))
		return 0;
	if (v->builder_live) {
		pthread_join(v->builder, NULL); /* finished: it cleared busy */
		v->builder_live = 0;
	}
	rc = pthread_create(&v->builder, NULL, virt_builder, v);
	if (rc) {
		log_err("/" VIRT_DIR_NAME ": cannot start the document builder: %s", strerror(rc));
		return -rc;
	}
	v->builder_live = v->builder_busy = 1;
	return 0;
}

/* A FUSE interrupt of a request waiting in virt_wait(): wake it. */
static void virt_interrupt(fuse_req_t req, void *data)
{
	struct fs_virt *v = data;

	pthread_mutex_lock(&v->lock);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

/* Wait until document d is DONE: 0 or its error, -EINTR when request req
 * (may be NULL) is interrupted or the mount is going away. Waiting
 * holds no lock a lookup needs, and the build goes on without the
 * waiter: an interrupted reader's retry finds the document further along
 * or done. The build's own deadline (-o deps_timeout) ends every wait. */
static int virt_wait(struct fs_virt *v, fuse_req_t req, size_t d)
{
	int rc = 0;

	if (req)
		fuse_req_interrupt_func(req, virt_interrupt, v);
	pthread_mutex_lock(&v->lock);
	rc = virt_kick(v, d);
	while (!rc && v->doc[d].state != VS_DONE) {
		int64_t now = ocifs_now_ns(), wake = now + 1000000000; /* a tick too,
					* so that no wake-up can be lost */
		struct timespec ts;
		int waiting = 1;

		if ((req && fuse_req_interrupted(req)) || virt_cancelled(v)) {
			rc = -EINTR;
			break;
		}
		for (long k = v->rows[d].from; k >= 0 && !rc; k = v->rows[k].from)
			if (v->doc[k].state == VS_DONE && v->doc[k].err)
				rc = v->doc[k].err; /* what d is made from failed */
		for (long k = (long)d; k >= 0 && !rc && waiting; k = v->rows[k].from) {
			struct virt_doc *b = &v->doc[k];
			if (b->state != VS_BUILDING || !v->timeout_ms ||
			    now - b->started <= (int64_t)v->timeout_ms * 1000000 + VIRT_GRACE_NS)
				continue;
			/* The build overran its deadline without stopping:
			 * fail the document now; its result is discarded. */
			char shown[128];
			virt_shown(&v->rows[k], shown, sizeof(shown));
			log_err("/" VIRT_DIR_NAME ": %s generation still running after %u s "
				"(-o deps_timeout); %s fails with EIO",
				v->rows[k].what, v->timeout_ms / 1000, shown);
			b->err = -ETIMEDOUT;
			b->state = VS_DONE;
			pthread_cond_broadcast(&v->cond);
			waiting = 0;
		}
		if (rc || !waiting)
			continue;
		ts.tv_sec = wake / 1000000000;
		ts.tv_nsec = wake % 1000000000;
		pthread_cond_timedwait(&v->cond, &v->lock, &ts);
	}
	if (!rc)
		rc = v->doc[d].err;
	pthread_mutex_unlock(&v->lock);
	if (req)
		fuse_req_interrupt_func(req, NULL, NULL);
	return rc;
}

/* A live row (the trace): made again now if what it shows changed since
 * it was last made; the buf it replaces is kept until unmount (a read
 * may be sending it). 0 or the build's error. */
static int virt_live(struct fs_virt *v, size_t d)
{
	uint64_t gen = ocifs_trace_generation();
	char *buf = NULL, **nr;
	size_t len = 0;
	int rc = 0;

	pthread_mutex_lock(&v->lock);
	if (v->doc[d].state == VS_DONE && !v->doc[d].err && v->live_gen[d] == gen)
		goto out;
	if (!(nr = realloc(v->retired, (v->nretired + 1) * sizeof(*nr)))) {
		rc = -ENOMEM;
		goto out;
	}
	v->retired = nr;
	struct ocifs_docs_ctx c = { .img = v->img, .view = v->view, .cache_dir = v->cache_dir };
	if ((rc = v->rows[d].build(&c, &buf, &len)))
		goto out;
	if (v->doc[d].buf)
		v->retired[v->nretired++] = v->doc[d].buf;
	v->doc[d].buf = buf;
	v->doc[d].len = len;
	v->doc[d].err = 0;
	v->doc[d].state = VS_DONE;
	v->live_gen[d] = gen;
out:
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int fs_virt_live(const struct fs_virt *v, const struct fs_node *n)
{
	return n->cls == FS_NODE_VDOC && n->doc < v->nrows && v->rows[n->doc].live;
}

/* Attributes of virtual node n. With wait, the document is made first
 * (st_size exact); without, a document not made yet shows size 0 and
 * *ready is 0 (the caller must not let the kernel cache that). */
static int virt_attr(struct ocifs_fs *fs, fuse_req_t req, const struct fs_node *n, int wait,
		     struct stat *st, int *ready)
{
	struct fs_virt *v = fs->virt;
	struct virt_doc *doc;
	int rc;

	*ready = 1;
	fs_vnode_stat(fs, n->ino, n->cls == FS_NODE_VDIR, st);
	if (n->cls == FS_NODE_VDIR) {
		st->st_nlink = 2 + FS_LAY_OCIFS_N; /* image/, layers/ */
		st->st_size = OCIFS_VIEW_DIR_SIZE;
		st->st_blocks = OCIFS_VIEW_DIR_SIZE / 512;
		return 0;
	}
	if (n->cls != FS_NODE_VDOC || n->doc >= v->nrows)
		return -ENOENT;
	doc = &v->doc[n->doc];
	st->st_nlink = v->rows[n->doc].alias ? 2 : 1;
	if (v->rows[n->doc].live) {
		if ((rc = virt_live(v, n->doc)))
			return rc;
	} else if (wait) {
		if ((rc = virt_wait(v, req, n->doc)))
			return rc;
	} else {
		pthread_mutex_lock(&v->lock);
		*ready = doc->state == VS_DONE;
		rc = *ready ? doc->err : 0;
		pthread_mutex_unlock(&v->lock);
		if (rc)
			return rc;
		if (!*ready)
			return 0;
	}
	st->st_size = (off_t)doc->len;
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

int fs_virt_stat(struct ocifs_fs *fs, fuse_req_t req, const struct fs_node *n, struct stat *st)
{
	int ready;

	return virt_attr(fs, req, n, 1, st, &ready);
}

/* An entry that never waits for a document: until it is made, its
 * attributes carry timeout 0, so the kernel asks again (getattr, which
 * waits outside any directory lock) before it uses st_size. With kick,
 * the document's generation starts now. */
static int virt_entry(struct ocifs_fs *fs, fuse_ino_t ino, int kick, struct fuse_entry_param *e)
{
	struct fs_virt *v = fs->virt;
	struct fs_node n;
	int ready, rc = fs_virt_node(v, ino, &n);

	memset(e, 0, sizeof(e[0]));
	e->ino = ino;
	e->attr_timeout = fs->opts.timeout;
	e->entry_timeout = fs->opts.timeout;
	if (!rc)
		rc = virt_attr(fs, NULL, &n, 0, &e->attr, &ready);
	if (!rc && fs_virt_live(v, &n))
		e->attr_timeout = e->entry_timeout = 0; /* it changes */
	if (!rc && !ready) {
		e->attr_timeout = 0;
		if (kick) {
			pthread_mutex_lock(&v->lock);
			rc = virt_kick(v, n.doc);
			pthread_mutex_unlock(&v->lock);
		}
	}
	return rc;
}

/* Does the image itself have this name in the root? */
static int virt_hidden(const struct ocifs_fs *fs, const char *name)
{
	uint64_t ino;

	return ocifs_view_lookup(fs->view, OCIFS_VIEW_ROOT, name, &ino) == 0;
}

/* The k-th entry of the root's virtual names (/.ocifs, then the aliases
 * in table order): 0 and its name and inode, or -ENOENT past the last. */
static int virt_root_name(const struct fs_virt *v, size_t k, const char **name, fuse_ino_t *ino)
{
	if (k == 0) {
		*name = VIRT_DIR_NAME;
		*ino = virt_dir_ino();
		return 0;
	}
	for (size_t i = 0; i < v->nrows; i++) {
		if (!v->rows[i].alias || --k)
			continue;
		*name = v->rows[i].alias;
		*ino = virt_doc_ino(i);
		return 0;
	}
	return -ENOENT;
}

int fs_virt_lookup(struct ocifs_fs *fs, const struct fs_node *dir, const char *name,
		   struct fuse_entry_param *e)
{
	const struct fs_virt *v = fs->virt;
	const char *nm;
	fuse_ino_t ino;

	if (dir->cls == FS_NODE_VDOC)
		return -ENOTDIR;
	if (dir->cls == FS_NODE_VDIR) {
		for (size_t i = 0; i < v->nrows; i++)
			if (!strcmp(v->rows[i].name, name))
				return virt_entry(fs, virt_doc_ino(i), 1, e);
		return fs_lay_ocifs_lookup(fs, name, e);
	}
	if (dir->vino != OCIFS_VIEW_ROOT)
		return -ENOENT;
	for (size_t k = 0; virt_root_name(v, k, &nm, &ino) == 0; k++)
		if (!strcmp(nm, name))
			return virt_hidden(fs, name) ? -ENOENT : virt_entry(fs, ino, 1, e);
	return -ENOENT;
}

int fs_virt_read(struct ocifs_fs *fs, fuse_req_t req, const struct fs_node *n, size_t size,
		 off_t off, const char **buf, size_t *len)
{
	struct fs_virt *v = fs->virt;
	const char *p;
	size_t sz;
	int rc;

	if (n->cls == FS_NODE_VDIR)
		return -EISDIR;
	if (n->cls != FS_NODE_VDOC || n->doc >= v->nrows)
		return -ENOENT;
	if (v->rows[n->doc].live) {
		if ((rc = virt_live(v, n->doc)))
			return rc;
		pthread_mutex_lock(&v->lock);
		p = v->doc[n->doc].buf;
		sz = v->doc[n->doc].len;
		pthread_mutex_unlock(&v->lock);
	} else {
		if ((rc = virt_wait(v, req, n->doc)))
			return rc;
		p = v->doc[n->doc].buf;
		sz = v->doc[n->doc].len;
	}
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= sz) {
		*buf = p;
		*len = 0;
		return 0;
	}
	*buf = p + off;
	*len = sz - (size_t)off < size ? sz - (size_t)off : size;
	return 0;
}

int fs_virt_root_entry(struct ocifs_fs *fs, uint32_t k, const char **name,
		       struct fuse_entry_param *e)
{
	const char *nm;
	fuse_ino_t ino;

	for (size_t i = 0; virt_root_name(fs->virt, i, &nm, &ino) == 0; i++) {
		if (virt_hidden(fs, nm) || k--)
			continue;
		*name = nm;
		return virt_entry(fs, ino, 0, e);
	}
	return -ENOENT;
}

int fs_virt_dir_fill(struct ocifs_fs *fs, fuse_req_t req, size_t size, off_t off, int plus,
		     char **out, size_t *outlen)
{
	const struct fs_virt *v = fs->virt;
	size_t used = 0;
	char *buf;
	int rc = 0;

	*out = NULL;
	*outlen = 0;
	if (off < 0)
		return -EINVAL;
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	/* offsets: 0 ".", 1 "..", 2 + k the document of row k, then
	 * layers.c's entries */
	for (uint64_t i = (uint64_t)off; i < v->nrows + 2 + FS_LAY_OCIFS_N; i++) {
		struct fuse_entry_param e;
		const char *name;

		memset(&e, 0, sizeof(e));
		if (i < 2) {
			name = i ? ".." : ".";
			e.attr.st_ino = i ? FUSE_ROOT_ID : virt_dir_ino();
			e.attr.st_mode = S_IFDIR;
		} else if (i < v->nrows + 2) {
			name = v->rows[i - 2].name;
			if ((rc = virt_entry(fs, virt_doc_ino(i - 2), 0, &e)))
				break;
		} else if ((rc = fs_lay_ocifs_entry(fs, (uint32_t)(i - 2 - v->nrows), &name, &e))) {
			break;
		}
		if (!fs_dir_add(req, buf, size, &used, name, &e, plus, (off_t)(i + 1)))
			break;
	}
	return fs_dir_done(rc, buf, used, out, outlen);
}
