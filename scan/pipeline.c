/* SPDX-License-Identifier: MIT */
/*
 * The pipeline (see pipeline.h): collect, then two passes over the files
 * some cataloger matched (the layer index flagged their magic):
 *  1. read: in layer-stream order, so one forward cursor per thread
 *     decompresses each layer about once; each small file is read whole
 *     (or as much as its catalogers want) and analyzed from memory, a
 *     bigger one (or a sparse one: its size says nothing of its data) is
 *     analyzed in place, reading only the ranges the catalogers ask for,
 *     so memory stays bounded. The first 4 KiB of every file, and what
 *     the catalogers read through the keeping reader (the ELF headers),
 *     are kept in the tree's read cache (up to a total);
 *  2. the catalogers that follow paths (the library search of every
 *     dynamic object, the interpreter of every script): they open other
 *     files through the tree and so hit that cache instead of
 *     decompressing again.
 * Both passes run on `threads` threads over contiguous slices. The file
 * reading below (view, layer cursor) is the only place the pipeline
 * touches layer data; catalogers see rd.h and tree.h only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "layer.h"
#include "log.h"
#include "pipeline.h"
#include "pipeline_priv.h"
#include "reader.h"
#include "trace.h"
#include "tree_view.h"

#define PIPE_MAX_SLURP (4u << 20)       /* bigger files are read in place */
#define PIPE_KEEP_MAX (8u << 20)        /* bytes kept per file for pass 2 */
#define PIPE_KEEP_RANGES 4096u          /* ranges kept per file */
#define PIPE_KEEP_TOTAL (256u << 20)    /* bytes kept for all files */
#define PIPE_HEAD_KEEP 4096u            /* head of every file kept */
#define PIPE_MAX_THREADS 8u


const char *ocifs_pipeline_env(const struct ocifs_image *img, const char *key)
{
	size_t kl = strlen(key);

	for (char **e = img->env; e && *e; e++)
		if (!strncmp(*e, key, kl) && (*e)[kl] == '=')
			return *e + kl + 1;
	return NULL;
}

/* Should the build stop? 0, or -EINTR (cancelled) or -ETIMEDOUT
 * (deadline passed), sticky. Also the catalogers' stop hook. */
static int pipe_stop(void *ctx)
{
	struct pipe *p = ctx;
	int rc = atomic_load_explicit(&p->stop, memory_order_relaxed);

	if (rc)
		return rc;
	if (p->cancelled && p->cancelled(p->cancel_ctx))
		rc = -EINTR;
	else if (p->deadline > 0 && ocifs_now() >= p->deadline)
		rc = -ETIMEDOUT;
	if (rc)
		atomic_store_explicit(&p->stop, rc, memory_order_relaxed);
	return rc;
}

/* --- a reader that keeps what it read -------------------------------- */

struct rec_range {
	uint64_t off;
	size_t n;
};

/* Reads through under and keeps each new range in the tree's read cache
 * (what pass 2 will read of this file again). */
struct rec_rd {
	const struct ocifs_rd *under;
	struct pipe *p;
	uint64_t ino;
	struct rec_range *v;
	size_t nv, cap, bytes;
	int full;               /* stopped keeping: a per-file or total bound */
};

static int rec_read(void *ctx, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct rec_rd *r = ctx;
	int rc = r->under->read_at(r->under->ctx, buf, n, off, got);

	if (rc || !*got || r->full)
		return rc;
	for (size_t i = 0; i < r->nv; i++)
		if (off >= r->v[i].off && *got <= r->v[i].n && off - r->v[i].off <= r->v[i].n - *got)
			return 0;
	if (r->bytes + *got > PIPE_KEEP_MAX || r->nv == PIPE_KEEP_RANGES ||
	    atomic_fetch_add(&r->p->kept, *got) + *got > PIPE_KEEP_TOTAL) {
		r->full = 1;
		return 0;
	}
	if (r->nv == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct rec_range *nv = realloc(r->v, cap * sizeof(*nv));
		if (!nv) {
			r->full = 1; /* keeping is an optimization only */
			return 0;
		}
		r->v = nv;
		r->cap = cap;
	}
	r->v[r->nv++] = (struct rec_range){ off, *got };
	r->bytes += *got;
	if (ocifs_tree_view_keep(r->p->tv, r->ino, buf, off, *got))
		r->full = 1; /* keeping is an optimization only */
	return 0;
}

/* --- the emit handle (catalog.h) ------------------------------------- */

struct ocifs_mfile *ocifs_emit_file(struct ocifs_emit *e)
{
	return e->file == SIZE_MAX ? NULL : &e->p->m->files[e->file];
}

const struct ocifs_mfile *ocifs_emit_bytes(struct ocifs_emit *e)
{
	const struct ocifs_mfile *f = ocifs_emit_file(e);

	return f ? ocifs_model_bytes(e->p->m, f) : NULL;
}

void *ocifs_emit_state(struct ocifs_emit *e)
{
	return e->p->state[e->cat];
}

const struct ocifs_catalog_env *ocifs_emit_env(struct ocifs_emit *e)
{
	return e->p->env;
}

const struct ocifs_rd *ocifs_emit_keeping(struct ocifs_emit *e)
{
	return e->keeping;
}

static void set_error(struct ocifs_mfile *f, const char *what, int rc)
{
	if (!f->error && asprintf(&f->error, "%s: %s", what, strerror(-rc)) < 0)
		f->error = NULL;
}

void ocifs_emit_error(struct ocifs_emit *e, const char *what, int rc)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);

	if (f)
		set_error(f, what, rc);
}

static char *dup_or_null(const char *s, int *bad)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*bad = 1;
	return d;
}

static char **dup_list(char *const *l, size_t n, size_t *out_n, int *bad)
{
	char **d;

	*out_n = 0;
	if (!n || *bad)
		return NULL;
	if (!(d = calloc(n, sizeof(*d)))) {
		*bad = 1;
		return NULL;
	}
	*out_n = n;
	for (size_t i = 0; i < n && !*bad; i++)
		d[i] = dup_or_null(l[i], bad);
	return d;
}

int ocifs_emit_component(struct ocifs_emit *e, const struct ocifs_component *c)
{
	struct ocifs_component n = { 0 };
	struct pipe *p = e->p;
	int bad = 0;

	n.cataloger = p->cats[e->cat]->name;
	n.type = dup_or_null(c->type, &bad);
	n.namespace_ = dup_or_null(c->namespace_, &bad);
	n.name = dup_or_null(c->name, &bad);
	n.version = dup_or_null(c->version, &bad);
	n.qualifiers = dup_or_null(c->qualifiers, &bad);
	n.subpath = dup_or_null(c->subpath, &bad);
	n.kind = dup_or_null(c->kind, &bad);
	n.layer = c->layer;
	n.source = dup_or_null(c->source, &bad);
	n.files = dup_list(c->files, c->nfiles, &n.nfiles, &bad);
	n.licenses = dup_list(c->licenses, c->nlicenses, &n.nlicenses, &bad);
	n.depends = dup_list(c->depends, c->ndepends, &n.ndepends, &bad);
	n.provides = dup_list(c->provides, c->nprovides, &n.nprovides, &bad);
	memcpy(n.sha256, c->sha256, sizeof(n.sha256));
	n.has_sha256 = c->has_sha256;
	if (c->nprops && !bad) {
		if ((n.props = calloc(c->nprops, sizeof(*n.props))))
			n.nprops = c->nprops;
		else
			bad = 1;
		for (size_t i = 0; i < n.nprops && !bad; i++) {
			n.props[i].name = dup_or_null(c->props[i].name, &bad);
			n.props[i].value = dup_or_null(c->props[i].value, &bad);
		}
	}
	n.cat_ = e->cat;
	n.origin_ = e->file;
	n.seq_ = e->seq++;
	pthread_mutex_lock(&p->lock);
	if (!bad && p->m->ncomps == p->ccap) {
		size_t cap = p->ccap ? 2 * p->ccap : 64;
		struct ocifs_component *nc = realloc(p->m->comps, cap * sizeof(*nc));
		if (nc) {
			p->m->comps = nc;
			p->ccap = cap;
		} else {
			bad = 1;
		}
	}
	if (!bad)
		p->m->comps[p->m->ncomps++] = n;
	pthread_mutex_unlock(&p->lock);
	if (bad) {
		ocifs_component_fini(&n);
		return -ENOMEM;
	}
	return 0;
}

/* The catalogers' env->layer_versions: each layer's own copy of path. */
static int layer_versions(void *ctx, const char *path, size_t max,
			  int (*cb)(void *cbctx, uint32_t layer, const char *buf, size_t len),
			  void *cbctx)
{
	const struct pipe *p = ctx;
	size_t n = ocifs_view_nlayers(p->v);
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		struct ocifs_layer *l = ocifs_view_layer(p->v, i);
		char *buf = NULL;
		size_t len = 0;
		int r = l ? ocifs_layer_slurp(l, path, max, &buf, &len) : -ENOENT;

		if (r == -ENOMEM)
			return r;
		if (r != -ENOENT && r != -EINVAL)
			rc = cb(cbctx, (uint32_t)i, r ? NULL : buf, r ? 0 : len);
		free(buf);
	}
	return rc;
}

/* --- pass 1: read each file and run its catalogers ------------------- */


/* Run the pass-n catalogers of file i (rd: its bytes, or NULL). */
static void run_cats(struct pipe *p, size_t i, unsigned pass, const struct ocifs_rd *rd,
		     const struct ocifs_rd *keeping)
{
	struct ocifs_mfile *f = &p->m->files[i];

	for (size_t k = 0; k < p->ncats; k++) {
		const struct ocifs_cataloger *c = p->cats[k];
		if (c->pass != pass || !wants(f, k))
			continue;
		if (f->primary && !(c->flags & OCIFS_CAT_EACH_NAME))
			continue;
		if (c->want && !rd)
			continue; /* its bytes could not be read */
		struct ocifs_emit e = { p, k, i, keeping, 0 };
		int had = f->error != NULL, on = ocifs_trace_on();
		int64_t t0 = on ? ocifs_now_ns() : 0;
		int rc = c->analyze(c->want ? rd : NULL, p->tree, &e);
		if (rc)
			set_error(f, c->name, rc);
		if (on)
			atomic_fetch_add(&p->busy_ns[k], (uint64_t)(ocifs_now_ns() - t0));
		/* a database or file this cataloger could not read (whole) */
		if (!had && f->error && !f->skipped)
			ocifs_emit_skip(&e, NULL, "%s", f->error);
	}
}

/* Run the pass-1 catalogers of file i over plain (its bytes), keeping
 * its head first (what library and interpreter searches read of every
 * file), then hold the head pass 2 wants. */
static void analyze_bytes(struct pipe *p, size_t i, const struct ocifs_rd *plain, size_t head)
{
	struct ocifs_mfile *f = &p->m->files[i];
	struct rec_rd rec = { .under = plain, .p = p, .ino = f->ino };
	struct ocifs_rd rd = { rec_read, &rec, plain->size, f->path, plain->mem };
	unsigned char keep[PIPE_HEAD_KEEP];
	size_t got;

	ocifs_rd_upto(&rd, keep, sizeof(keep), 0, &got);
	run_cats(p, i, 1, plain, &rd);
	free(rec.v);
	f->read_ok_ = 1;
	if (head) {
		if (!(f->head_ = malloc(head))) {
			set_error(f, "read", -ENOMEM);
			f->read_ok_ = 0;
		} else if (ocifs_rd_upto(plain, f->head_, head, 0, &f->head_len_)) {
			f->read_ok_ = 0;
		}
	}
}

/* Bytes file f's catalogers want in pass 1 (*all) and hold for pass 2
 * (*head), at most its size. */
static void file_wants(const struct pipe *p, const struct ocifs_mfile *f, size_t *all,
		       size_t *head)
{
	*all = *head = 0;
	for (size_t k = 0; k < p->ncats; k++) {
		const struct ocifs_cataloger *c = p->cats[k];
		if (!wants(f, k))
			continue;
		size_t w = c->want;
		if (c->pass != 1) {
			if (w > OCIFS_CAT_HEAD_MAX)
				w = OCIFS_CAT_HEAD_MAX;
			if (w > *head)
				*head = w;
		}
		if (w > *all)
			*all = w;
	}
	if (*all > f->size)
		*all = (size_t)f->size;
	if (*head > f->size)
		*head = (size_t)f->size;
}

/* Read file i (as much as its catalogers want) through the tree's
 * reader (files in stream order: its parked cursors carry on from one
 * file to the next), then analyze it. */
static void read_one(struct pipe *p, size_t i)
{
	struct ocifs_mfile *f = &p->m->files[i];
	struct ocifs_rfile *rf;
	size_t want, head, got = 0;
	unsigned char *buf;
	int rc;

	file_wants(p, f, &want, &head);
	if (want > PIPE_MAX_SLURP) {
		/* too big to hold: analyze in place through the tree */
		struct ocifs_tree_file tf;
		if ((rc = p->tree->open_file(p->tree->ctx, f->path, &tf))) {
			set_error(f, "open", rc);
			return;
		}
		analyze_bytes(p, i, &tf.rd, head);
		p->tree->close_file(p->tree->ctx, &tf);
		return;
	}
	if ((rc = ocifs_reader_open_direct(ocifs_tree_view_reader(p->tv), f->ino, &rf))) {
		set_error(f, "view", rc);
		return;
	}
	buf = malloc(want ? want : 1);
	rc = buf ? ocifs_rfile_read(rf, buf, want, 0, &got) : -ENOMEM;
	ocifs_rfile_close(rf);
	if (rc || got != want) {
		set_error(f, "read", rc ? rc : -EIO);
	} else {
		struct ocifs_rd_mem m = { buf, want };
		struct ocifs_rd plain = { ocifs_rd_mem_read, &m, want, f->path, buf };
		analyze_bytes(p, i, &plain, head);
	}
	free(buf);
}

/* --- the passes ------------------------------------------------------ */

struct slice {
	struct pipe *p;
	size_t lo, hi;
	unsigned pass;
};

/* Pass 2 of file i: its catalogers over the head pass 1 held. The head
 * of a hard-linked inode is kept for its later names only when one of
 * their catalogers reads it (else it is freed here, and they never look). */
static void pass2_one(struct pipe *p, size_t i)
{
	struct ocifs_mfile *f = &p->m->files[i];
	const struct ocifs_mfile *b = ocifs_model_bytes(p->m, f);
	struct ocifs_rd_mem m = { NULL, 0 };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, 0, f->path, NULL };
	int each = 0; /* a cataloger of every name reads the bytes */

	for (size_t k = 0; k < p->ncats; k++)
		each |= wants(f, k) && p->cats[k]->pass == 2 && p->cats[k]->want &&
			(p->cats[k]->flags & OCIFS_CAT_EACH_NAME);
	if ((!f->primary || each) && b->read_ok_ && b->head_) {
		m = (struct ocifs_rd_mem){ b->head_, b->head_len_ };
		rd.size = b->head_len_;
	}
	run_cats(p, i, 2, m.p ? &rd : NULL, NULL);
	if (!f->primary && !each) {
		free(f->head_);
		f->head_ = NULL;
	}
}

static void *slice_run(void *arg)
{
	struct slice *s = arg;
	struct pipe *p = s->p;

	for (size_t i = s->lo; i < s->hi && !pipe_stop(p); i++) {
		if (s->pass == 1) {
			if (!p->m->files[i].primary)
				read_one(p, i);
		} else {
			pass2_one(p, i);
		}
	}
	return NULL;
}

static void run_pass(struct pipe *p, unsigned threads, unsigned pass)
{
	struct slice s[PIPE_MAX_THREADS] = { { 0 } };
	pthread_t t[PIPE_MAX_THREADS];
	int started[PIPE_MAX_THREADS] = { 0 };
	size_t n = p->m->nfiles;

	if (threads > PIPE_MAX_THREADS)
		threads = PIPE_MAX_THREADS;
	if (threads > n)
		threads = (unsigned)n;
	if (threads < 1)
		threads = 1;
	for (unsigned k = 0; k < threads; k++) {
		s[k] = (struct slice){ p, n * k / threads, n * (k + 1) / threads, pass };
		if (k > 0)
			started[k] = pthread_create(&t[k], NULL, slice_run, &s[k]) == 0;
	}
	slice_run(&s[0]);
	for (unsigned k = 1; k < threads; k++)
		if (started[k])
			pthread_join(t[k], NULL);
		else
			slice_run(&s[k]);
}

/* --- collecting the files -------------------------------------------- */

static int by_stream(const void *a, const void *b)
{
	const struct ocifs_mfile *x = a, *y = b;

	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	if (x->data_off != y->data_off)
		return x->data_off < y->data_off ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Add path (a regular file, inode ino) if a cataloger matches it. */
static int add_file(struct pipe *p, const char *path, uint64_t ino)
{
	struct ocifs_vattr a;
	struct ocifs_layer *l;
	struct ocifs_extent x;
	unsigned char sha[32];
	uint64_t cats = 0;
	uint32_t fl;

	if (ocifs_view_getattr(p->v, ino, &a) || !S_ISREG(a.mode) ||
	    ocifs_view_file_facts(p->v, ino, &fl, sha))
		return 0;
	for (size_t k = 0; k < p->ncats; k++)
		if (p->cats[k]->match(path, fl))
			cats |= 1ull << k;
	if (!cats && p->want_exec)
		ocifs_pipe_not_candidate(p, path, &a);
	if (!cats || ocifs_view_data(p->v, ino, &l, &x))
		return 0;
	if (p->m->nfiles == p->fcap) {
		size_t nc = p->fcap ? 2 * p->fcap : 256;
		struct ocifs_mfile *nf = realloc(p->m->files, nc * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		p->m->files = nf;
		p->fcap = nc;
	}
	struct ocifs_mfile *f = &p->m->files[p->m->nfiles];
	memset(f, 0, sizeof(*f));
	if (!(f->path = strdup(path)))
		return -ENOMEM;
	p->m->nfiles++;
	f->ino = ino;
	f->size = a.size;
	f->layer = a.layer;
	f->magic = fl;
	f->catalogers = cats;
	f->data_off = x.data_off;
	memcpy(f->sha256, sha, 32);
	return 0;
}

struct collecting {
	struct pipe *p;
	size_t seen;            /* names walked: pipe_stop() every 4096 */
};

static int collect_name(void *ctx, const char *path, uint64_t ino, const struct ocifs_vattr *a)
{
	struct collecting *c = ctx;
	int rc;

	if (!(++c->seen & 4095) && (rc = pipe_stop(c->p)))
		return rc;
	return S_ISREG(a->mode) ? add_file(c->p, path, ino) : 0;
}

/* Every name of every matched file: a depth-first walk of the view (its
 * directories form a tree: each has one name). Names deeper than
 * PATH_MAX are left out: no program can be run by such a path. Then the
 * files in layer-stream order; the names of one inode (hard links) end
 * up next to each other, the first of them analyzed for all. */
static int collect(struct pipe *p)
{
	struct ocifs_model *m = p->m;
	int rc;

	if (p->only) {
		uint64_t ino;
		return ocifs_view_resolve(p->v, p->only, &ino) ? 0 : add_file(p, p->only, ino);
	}
	struct collecting c = { p, 0 };
	if ((rc = pipe_stop(p)) || (rc = ocifs_view_walk(p->v, collect_name, &c)))
		return rc;
	if (m->nfiles) /* m->files is NULL in an image without a matched file */
		qsort(m->files, m->nfiles, sizeof(*m->files), by_stream);
	/* primary: 1 + the index of the name analyzed for this one */
	for (size_t i = 1; i < m->nfiles; i++)
		if (m->files[i].ino == m->files[i - 1].ino)
			m->files[i].primary = m->files[i - 1].primary ? m->files[i - 1].primary : i;
	return 0;
}

/* --- the run --------------------------------------------------------- */

static int by_emission(const void *a, const void *b)
{
	const struct ocifs_component *x = a, *y = b;

	if (x->cat_ != y->cat_)
		return x->cat_ < y->cat_ ? -1 : 1;
	if (x->origin_ != y->origin_)
		return x->origin_ < y->origin_ ? -1 : 1;
	return x->seq_ < y->seq_ ? -1 : x->seq_ > y->seq_;
}

/* init() of the catalogers of pass n. */
static int init_pass(struct pipe *p, unsigned pass, const struct ocifs_catalog_env *env)
{
	int rc;

	for (size_t k = 0; k < p->ncats; k++)
		if (p->cats[k]->pass == pass && p->cats[k]->init &&
		    (rc = p->cats[k]->init(env, &p->state[k])))
			return rc;
	return 0;
}

static void free_heads(struct ocifs_model *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].head_);
		m->files[i].head_ = NULL;
		m->files[i].head_len_ = 0;
	}
}

int ocifs_pipeline_run(struct ocifs_image *img, const struct ocifs_view *v,
		       const struct ocifs_pipeline_opts *o, struct ocifs_model *m)
{
	struct pipe p = { .img = img, .v = v, .m = m };
	unsigned threads = o->threads ? o->threads : 2;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!o->ncats || o->ncats > 64)
		return -EINVAL;
	p.cats = o->cats;
	p.ncats = o->ncats;
	p.cancelled = o->cancelled;
	p.cancel_ctx = o->cancel_ctx;
	p.deadline = o->deadline;
	p.only = o->only;
	atomic_init(&p.stop, 0);
	atomic_init(&p.kept, 0);
	if ((rc = pthread_mutex_init(&p.lock, NULL)))
		return -rc;
	if ((rc = ocifs_tree_view_new(v, &p.tv)))
		goto out_lock;
	p.tree = ocifs_tree_view_tree(p.tv);
	struct ocifs_catalog_env env = {
		.tree = p.tree,
		.path_env = ocifs_pipeline_env(img, "PATH"),
		.ld_library_path = ocifs_pipeline_env(img, "LD_LIBRARY_PATH"),
		.stop = pipe_stop,
		.stop_ctx = &p,
		.layer_versions = layer_versions,
		.layer_ctx = &p,
		.nlayers = (uint32_t)ocifs_view_nlayers(v),
	};
	p.env = &env;
	ocifs_pipe_trace_open(&p, threads);
	double t0 = ocifs_now();
	if ((rc = collect(&p)) || (rc = init_pass(&p, 1, &env)))
		goto out;
	double t1 = ocifs_now();
	run_pass(&p, threads, 1);
	double t2 = ocifs_now();
	if ((rc = pipe_stop(&p)) || (rc = init_pass(&p, 2, &env)))
		goto out;
	run_pass(&p, threads, 2);
	double t3 = ocifs_now();
	if ((rc = pipe_stop(&p)))
		goto out;
	free_heads(m);
	for (size_t k = 0; k < p.ncats && !rc; k++)
		if (p.cats[k]->finish) {
			struct ocifs_emit e = { &p, k, SIZE_MAX, NULL, 0 };
			rc = p.cats[k]->finish(m, p.state[k], &e);
		}
	if (m->ncomps)
		qsort(m->comps, m->ncomps, sizeof(*m->comps), by_emission);
	log_dbg("pipeline: %zu files; collect %.3f s, pass 1 %.3f s, pass 2 %.3f s", m->nfiles,
		t1 - t0, t2 - t1, t3 - t2);
out:
	ocifs_pipe_trace_close(&p, rc);
	free_heads(m);
	for (size_t k = 0; k < p.ncats; k++)
		if (p.state[k] && p.cats[k]->fini)
			p.cats[k]->fini(p.state[k]);
	ocifs_tree_view_free(p.tv);
out_lock:
	pthread_mutex_destroy(&p.lock);
	return rc;
}

/* --- the model ------------------------------------------------------- */

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
}

void ocifs_component_fini(struct ocifs_component *c)
{
	free(c->type);
	free(c->namespace_);
	free(c->name);
	free(c->version);
	free(c->qualifiers);
	free(c->subpath);
	free(c->kind);
	free(c->source);
	free_list(c->files, c->nfiles);
	free_list(c->licenses, c->nlicenses);
	free_list(c->depends, c->ndepends);
	free_list(c->provides, c->nprovides);
	for (size_t i = 0; c->props && i < c->nprops; i++) {
		free(c->props[i].name);
		free(c->props[i].value);
	}
	free(c->props);
	memset(c, 0, sizeof(*c));
}

static void mfile_fini(struct ocifs_mfile *f)
{
	free(f->path);
	ocifs_elf_fini(&f->elf);
	ocifs_goinfo_fini(&f->go);
	ocifs_upx_fini(&f->upx);
	ocifs_elf_fini(&f->upx_elf);
	ocifs_rustaudit_fini(&f->rust);
	ocifs_pkgnote_fini(&f->note);
	if (f->resolved)
		ocifs_ldso_result_fini(&f->libs);
	ocifs_script_fini(&f->script);
	free(f->head_);
	free(f->error);
	free(f->skipped);
}

void ocifs_model_fini(struct ocifs_model *m)
{
	for (size_t i = 0; i < m->nfiles; i++)
		mfile_fini(&m->files[i]);
	free(m->files);
	for (size_t i = 0; i < m->ncomps; i++)
		ocifs_component_fini(&m->comps[i]);
	free(m->comps);
	memset(m, 0, sizeof(*m));
}
