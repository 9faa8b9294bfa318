/* SPDX-License-Identifier: MIT */
/*
 * Virtual files (DESIGN §8): /.ocifs/deps.json (aliased at /.deps) and
 * /.ocifs/deps.txt, made by scan/deps.c the first time one is looked up
 * (so st_size is exact from the first reply) and cached on disk, so a
 * warm mount answers from a file read. The image's own files win: a
 * real /.deps or /.ocifs hides the alias. Not listed in the root unless
 * -o show_virtual, so a scanner walking the tree sees exactly the image.
 * Likewise the per-file xattr user.ocifs.layer answers getxattr but is
 * not listed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deps.h"
#include "fs.h"
#include "log.h"

/* A generated document's life: IDLE until someone needs it, PENDING
 * once asked for, BUILDING while the builder thread makes it, DONE with
 * a result (buf) or an error (err). Only the builder moves a document
 * out of PENDING/BUILDING; a document is never rebuilt. */
enum virt_state { VS_IDLE, VS_PENDING, VS_BUILDING, VS_DONE };

enum { VD_JSON, VD_TXT, VD_N };

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
	char *cache_dir;
	unsigned timeout_ms;            /* -o deps_timeout, 0 = none */
	uid_t uid;                      /* owner of the virtual files */
	gid_t gid;
	int public;                     /* -o public_virtual: 0444, not 0400 */
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* broadcast on every state change,
					 * on interrupts and on stop */
	struct virt_doc doc[VD_N];      /* protected by lock */
	pthread_t builder;              /* valid while builder_live */
	int builder_live;               /* protected by lock: created, not
					 * yet joined */
	int builder_busy;               /* protected by lock: still looping */
	int stop;                       /* atomic: unmounting, builds stop */
	char *gate;                     /* OCIFS_TEST_DEPS_GATE, or NULL */
	int64_t mtime_ns;
};

/* How long past -o deps_timeout a waiter trusts the build to stop by
 * itself (its cancel hook is polled every few ms) before it gives up on
 * it, and how long an unmount waits for a build told to stop. */
#define VIRT_GRACE_NS (5 * 1000000000ll)

static int64_t virt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct virt_node {
	fuse_ino_t ino, parent;
	const char *name;
};

static const struct virt_node virt_nodes[] = {
	{ FS_INO_VDIR, FUSE_ROOT_ID, ".ocifs" },
	{ FS_INO_DEPS_JSON, FUSE_ROOT_ID, ".deps" },
	{ FS_INO_DEPS_JSON, FS_INO_VDIR, "deps.json" },
	{ FS_INO_DEPS_TXT, FS_INO_VDIR, "deps.txt" },
};
#define VIRT_NNODES (sizeof(virt_nodes) / sizeof(virt_nodes[0]))

int fs_virt_new(struct ocifs_image *img, struct ocifs_view *view, const char *cache_dir,
		const struct fs_opts *o, struct fs_virt **out)
{
	struct fs_virt *v = calloc(1, sizeof(*v));
	struct ocifs_vattr a;

	pthread_condattr_t ca;
	const char *gate = getenv("OCIFS_TEST_DEPS_GATE");

	if (!v || (cache_dir && !(v->cache_dir = strdup(cache_dir))) ||
	    (gate && *gate && !(v->gate = strdup(gate)))) {
		if (v)
			free(v->cache_dir);
		free(v);
		return -ENOMEM;
	}
	v->img = img;
	v->view = view;
	v->timeout_ms = o->deps_timeout_ms;
	v->uid = o->set_uid ? o->uid : getuid();
	v->gid = o->set_gid ? o->gid : getgid();
	v->public = o->public_virtual;
	if (ocifs_view_getattr(view, OCIFS_VIEW_ROOT, &a) == 0)
		v->mtime_ns = a.mtime_ns;
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
	for (int64_t end = virt_now() + VIRT_GRACE_NS; v->builder_busy && virt_now() < end;) {
		struct timespec ts = { .tv_sec = end / 1000000000, .tv_nsec = end % 1000000000 };
		pthread_cond_timedwait(&v->cond, &v->lock, &ts);
	}
	if (v->builder_busy) {
		/* A build that ignores its cancel hook would use the view
		 * after the caller frees it: the mount is gone already, so
		 * end the process rather than wait forever or crash. */
		log_err("/.ocifs: the deps build does not stop; exiting without it");
		_exit(1);
	}
	pthread_mutex_unlock(&v->lock);
	if (v->builder_live)
		pthread_join(v->builder, NULL);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v->gate);
	free(v->cache_dir);
	for (int i = 0; i < VD_N; i++)
		free(v->doc[i].buf);
	free(v);
}

static int virt_cancelled(void *ctx)
{
	struct fs_virt *v = ctx;

	return __atomic_load_n(&v->stop, __ATOMIC_RELAXED);
}

/* Test hook (OCIFS_TEST_DEPS_GATE=FILE): the deps build waits for FILE
 * to exist, as a slow build would, still stopping on cancel and at its
 * deadline. It lets tests hold a build "in progress" without timing. */
static int virt_gate(struct fs_virt *v)
{
	int64_t end = virt_now() + (int64_t)v->timeout_ms * 1000000;

	while (access(v->gate, F_OK) != 0) {
		struct timespec ts = { 0, 20 * 1000000 };

		if (virt_cancelled(v))
			return -EINTR;
		if (v->timeout_ms && virt_now() >= end)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Make document d (called by the builder, without the lock). */
static int virt_make(struct fs_virt *v, int d, char **buf, size_t *len)
{
	struct ocifs_deps_opts o = {
		.cache_dir = v->cache_dir,
		.cancelled = virt_cancelled,
		.cancel_ctx = v,
		.timeout_ms = v->timeout_ms,
	};
	int rc;

	if (d == VD_JSON) {
		rc = v->gate ? virt_gate(v) : 0;
		if (!rc)
			rc = ocifs_deps_json(v->img, v->view, &o, buf, len, NULL);
		if (rc == -ETIMEDOUT)
			log_err("/.ocifs: deps generation stopped after %u s (-o deps_timeout); "
				"/.deps fails with EIO", v->timeout_ms / 1000);
		else if (rc && rc != -EINTR)
			log_err("/.ocifs: cannot generate deps: %s", strerror(-rc));
		return rc;
	}
	/* deps.txt from deps.json, which is DONE and read-only by now */
	rc = ocifs_deps_select(v->doc[VD_JSON].buf, v->doc[VD_JSON].len, NULL, NULL, 1, buf, len);
	if (rc)
		log_err("/.ocifs/deps.txt: cannot render deps: %s", strerror(-rc));
	return rc;
}

/* The builder thread: makes every PENDING document in turn (deps.txt
 * only after deps.json), holding the lock only to move states, so that
 * nothing a lookup, readdir or getattr of another file needs is ever
 * held while a document is generated. */
static void *virt_builder(void *arg)
{
	struct fs_virt *v = arg;

	pthread_mutex_lock(&v->lock);
	for (;;) {
		struct virt_doc *json = &v->doc[VD_JSON], *txt = &v->doc[VD_TXT];
		int d = -1, rc;
		char *buf = NULL;
		size_t len = 0;

		if (json->state == VS_PENDING) {
			d = VD_JSON;
		} else if (txt->state == VS_PENDING && json->state == VS_DONE) {
			if (json->err) {
				txt->err = json->err;
				txt->state = VS_DONE;
				pthread_cond_broadcast(&v->cond);
				continue;
			}
			d = VD_TXT;
		}
		if (d < 0 || virt_cancelled(v))
			break;
		v->doc[d].state = VS_BUILDING;
		v->doc[d].started = virt_now();
		pthread_mutex_unlock(&v->lock);
		rc = virt_make(v, d, &buf, &len);
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

/* Ask for document d (and what it is made from); start the builder if
 * it is not running. Called with the lock held. */
static int virt_kick(struct fs_virt *v, int d)
{
	int rc;

	if (d == VD_TXT && v->doc[VD_JSON].state == VS_IDLE)
		v->doc[VD_JSON].state = VS_PENDING;
	if (v->doc[d].state == VS_IDLE)
		v->doc[d].state = VS_PENDING;
	if (v->builder_busy || v->doc[d].state == VS_DONE || virt_cancelled(v))
		return 0;
	if (v->builder_live) {
		pthread_join(v->builder, NULL); /* finished: it cleared busy */
		v->builder_live = 0;
	}
	rc = pthread_create(&v->builder, NULL, virt_builder, v);
	if (rc) {
		log_err("/.ocifs: cannot start the deps builder: %s", strerror(rc));
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
static int virt_wait(struct fs_virt *v, fuse_req_t req, int d)
{
	int rc = 0;

	if (req)
		fuse_req_interrupt_func(req, virt_interrupt, v);
	pthread_mutex_lock(&v->lock);
	rc = virt_kick(v, d);
	while (!rc && v->doc[d].state != VS_DONE) {
		struct virt_doc *json = &v->doc[VD_JSON], *b;
		int64_t now = virt_now(), wake = now + 1000000000; /* a tick too,
					* so that no wake-up can be lost */
		struct timespec ts;

		if ((req && fuse_req_interrupted(req)) || virt_cancelled(v)) {
			rc = -EINTR;
			break;
		}
		if (d == VD_TXT && json->state == VS_DONE && json->err) {
			rc = json->err;
			break;
		}
		b = json->state != VS_DONE ? json : &v->doc[d]; /* being built */
		if (b->state == VS_BUILDING && v->timeout_ms &&
		    now - b->started > (int64_t)v->timeout_ms * 1000000 + VIRT_GRACE_NS) {
			/* The build overran its deadline without stopping:
			 * fail the document now; its result is discarded. */
			log_err("/.ocifs: deps generation still running after %u s (-o deps_timeout); "
				"/.deps fails with EIO", v->timeout_ms / 1000);
			b->err = -ETIMEDOUT;
			b->state = VS_DONE;
			pthread_cond_broadcast(&v->cond);
			continue;
		}
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

static int virt_doc_of(fuse_ino_t ino)
{
	return ino == FS_INO_DEPS_TXT ? VD_TXT : VD_JSON;
}

/* Attributes of virtual inode ino. With wait, the document is made
 * first (st_size exact); without, a document not made yet shows size 0
 * and *ready is 0 (the caller must not let the kernel cache that). */
static int virt_attr(struct ocifs_fs *fs, fuse_req_t req, fuse_ino_t ino, int wait,
		     struct stat *st, int *ready)
{
	struct fs_virt *v = fs->virt;
	struct virt_doc *doc;
	int rc;

	memset(st, 0, sizeof(*st));
	*ready = 1;
	st->st_ino = ino;
	st->st_uid = v->uid;
	st->st_gid = v->gid;
	st->st_blksize = 4096;
	st->st_mtim.tv_sec = (time_t)(v->mtime_ns / 1000000000);
	st->st_mtim.tv_nsec = (long)(v->mtime_ns % 1000000000);
	if (st->st_mtim.tv_nsec < 0) {
		st->st_mtim.tv_nsec += 1000000000;
		st->st_mtim.tv_sec--;
	}
	st->st_atim = st->st_ctim = st->st_mtim;
	switch (ino) {
	case FS_INO_VDIR:
		st->st_mode = S_IFDIR | (v->public ? 0555 : 0500);
		st->st_nlink = 2;
		st->st_size = OCIFS_VIEW_DIR_SIZE;
		st->st_blocks = OCIFS_VIEW_DIR_SIZE / 512;
		return 0;
	case FS_INO_DEPS_JSON:
	case FS_INO_DEPS_TXT:
		doc = &v->doc[virt_doc_of(ino)];
		st->st_mode = S_IFREG | (v->public ? 0444 : 0400);
		st->st_nlink = ino == FS_INO_DEPS_JSON ? 2 : 1;
		if (wait) {
			if ((rc = virt_wait(v, req, virt_doc_of(ino))))
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
	default:
		return -ENOENT;
	}
}

int fs_virt_stat(struct ocifs_fs *fs, fuse_req_t req, fuse_ino_t ino, struct stat *st)
{
	int ready;

	return virt_attr(fs, req, ino, 1, st, &ready);
}

/* An entry that never waits for a document: until it is made, its
 * attributes carry timeout 0, so the kernel asks again (getattr, which
 * waits outside any directory lock) before it uses st_size. With kick,
 * the document's generation starts now. */
static int virt_entry(struct ocifs_fs *fs, fuse_ino_t ino, int kick, struct fuse_entry_param *e)
{
	struct fs_virt *v = fs->virt;
	int ready, rc;

	memset(e, 0, sizeof(e[0]));
	e->ino = ino;
	e->attr_timeout = fs->opts.timeout;
	e->entry_timeout = fs->opts.timeout;
	rc = virt_attr(fs, NULL, ino, 0, &e->attr, &ready);
	if (!rc && !ready) {
		e->attr_timeout = 0;
		if (kick) {
			pthread_mutex_lock(&v->lock);
			rc = virt_kick(v, virt_doc_of(ino));
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

int fs_virt_lookup(struct ocifs_fs *fs, fuse_ino_t parent, const char *name,
		   struct fuse_entry_param *e)
{
	for (size_t i = 0; i < VIRT_NNODES; i++) {
		const struct virt_node *n = &virt_nodes[i];
		if (n->parent != parent || strcmp(n->name, name))
			continue;
		if (parent == FUSE_ROOT_ID && virt_hidden(fs, name))
			return -ENOENT;
		return virt_entry(fs, n->ino, 1, e);
	}
	return -ENOENT;
}

int fs_virt_read(struct ocifs_fs *fs, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 const char **buf, size_t *len)
{
	struct fs_virt *v = fs->virt;
	const char *p;
	size_t n;
	int rc;

	if (ino == FS_INO_VDIR)
		return -EISDIR;
	if (ino != FS_INO_DEPS_JSON && ino != FS_INO_DEPS_TXT)
		return -ENOENT;
	if ((rc = virt_wait(v, req, virt_doc_of(ino))))
		return rc;
	p = v->doc[virt_doc_of(ino)].buf;
	n = v->doc[virt_doc_of(ino)].len;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= n) {
		*buf = p;
		*len = 0;
		return 0;
	}
	*buf = p + off;
	*len = n - (size_t)off < size ? n - (size_t)off : size;
	return 0;
}

int fs_virt_root_entry(struct ocifs_fs *fs, uint32_t k, const char **name,
		       struct fuse_entry_param *e)
{
	for (size_t i = 0; i < VIRT_NNODES; i++) {
		const struct virt_node *n = &virt_nodes[i];
		if (n->parent != FUSE_ROOT_ID || virt_hidden(fs, n->name))
			continue;
		if (k--)
			continue;
		*name = n->name;
		return virt_entry(fs, n->ino, 0, e);
	}
	return -ENOENT;
}

int fs_virt_dir_fill(struct ocifs_fs *fs, fuse_req_t req, size_t size, off_t off, int plus,
		     char **out, size_t *outlen)
{
	size_t used = 0, k = 0;
	char *buf;
	int rc = 0;

	*out = NULL;
	*outlen = 0;
	if (off < 0)
		return -EINVAL;
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	/* offsets: 0 ".", 1 "..", 2 + k the k-th child of /.ocifs */
	for (size_t i = 0; i < VIRT_NNODES + 2; i++) {
		struct fuse_entry_param e;
		const char *name;

		memset(&e, 0, sizeof(e));
		if (i < 2) {
			name = i ? ".." : ".";
			e.attr.st_ino = i ? FUSE_ROOT_ID : FS_INO_VDIR;
			e.attr.st_mode = S_IFDIR;
		} else if (virt_nodes[i - 2].parent == FS_INO_VDIR) {
			name = virt_nodes[i - 2].name;
			if ((rc = virt_entry(fs, virt_nodes[i - 2].ino, 0, &e)))
				break;
		} else {
			continue;
		}
		if ((off_t)k++ < off)
			continue;
		if (!fs_dir_add(req, buf, size, &used, name, &e, plus, (off_t)k))
			break;
	}
	return fs_dir_done(rc, buf, used, out, outlen);
}

int fs_virt_xattr(struct ocifs_fs *fs, uint64_t vino, const char *name, char *buf, size_t cap,
		  size_t *len)
{
	struct ocifs_image *img = fs->virt->img;
	struct ocifs_vattr a;
	int n, rc;

	if (strcmp(name, OCIFS_XATTR_LAYER))
		return -ENODATA;
	if ((rc = ocifs_view_getattr(fs->view, vino, &a)))
		return rc;
	if (a.layer == OCIFS_VIEW_NO_LAYER || a.layer >= img->nlayers)
		return -ENODATA; /* a directory no layer lists */
	n = snprintf(buf, cap, "%u %s", a.layer + 1, img->layers[a.layer].digest);
	if (n < 0 || (size_t)n >= cap)
		return -ERANGE;
	*len = (size_t)n;
	return 0;
}
