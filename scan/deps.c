/* SPDX-License-Identifier: MIT */
/*
 * /.deps analysis (see deps.h). Three passes over the view's ELF and
 * script files (the layer index flagged them by magic):
 *  1. read: in layer-stream order, so one forward cursor per thread
 *     decompresses each layer about once; each small file is read whole
 *     and analyzed from memory (ELF headers, UPX unpack, Go build info,
 *     cargo-auditable, package note), a bigger one (or a sparse one: its
 *     size says nothing of its data) is analyzed in place, reading only
 *     the ranges the analyzers ask for, so memory stays bounded. The
 *     byte ranges the ELF analysis touched, and the first 4 KiB of every
 *     file, are kept in the tree's read cache (up to a total);
 *  2. resolve: the library search of every dynamic object and the
 *     interpreter of every script, which open other files through the
 *     tree and so hit that cache instead of decompressing again;
 *  3. write: one JSON document, files sorted by path, cached on disk.
 * Both passes run on `threads` threads over contiguous slices.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "deps.h"
#include "deps_priv.h"
#include "idxdb.h"
#include "log.h"
#include "sha.h"
#include "tree_view.h"

#define DEPS_MAX_SLURP (4u << 20)       /* bigger files are read in place */
#define DEPS_MAX_UNPACK (128u << 20)    /* UPX: largest original file */
#define DEPS_SCRIPT_HEAD 4096u          /* bytes of a script read */
#define DEPS_KEEP_MAX (8u << 20)        /* bytes kept per file for ldso */
#define DEPS_KEEP_RANGES 4096u          /* ranges kept per file */
#define DEPS_KEEP_TOTAL (256u << 20)    /* bytes kept for all files */
#define DEPS_HEAD_KEEP 4096u            /* head of every file kept */
#define DEPS_IMAGE_PROBES (10u << 20)   /* files tried by all library searches */

struct deps_run {
	struct ocifs_image *img;
	const struct ocifs_view *v;
	struct ocifs_tree_view *tv;
	const struct ocifs_tree *tree;
	struct ocifs_ldso *ldso;
	const char *path_env;
	struct deps_file *f;
	size_t n;
	int (*cancelled)(void *ctx);
	void *cancel_ctx;
	double deadline;        /* CLOCK_MONOTONIC seconds, 0: none */
	atomic_int stop;        /* 0, -EINTR or -ETIMEDOUT: the build stops */
	atomic_size_t kept;     /* bytes kept in the tree's read cache */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Should the build stop? 0, or -EINTR (cancelled) or -ETIMEDOUT
 * (deadline passed), sticky. Also the library search's stop hook. */
static int deps_stop(void *ctx)
{
	struct deps_run *r = ctx;
	int rc = atomic_load_explicit(&r->stop, memory_order_relaxed);

	if (rc)
		return rc;
	if (r->cancelled && r->cancelled(r->cancel_ctx))
		rc = -EINTR;
	else if (r->deadline > 0 && now() >= r->deadline)
		rc = -ETIMEDOUT;
	if (rc)
		atomic_store_explicit(&r->stop, rc, memory_order_relaxed);
	return rc;
}

/* --- a reader that keeps what it read -------------------------------- */

struct rec_range {
	uint64_t off;
	size_t n;
};

/* Reads through under and keeps each new range in the tree's read cache
 * (what the library search will read of this file again). */
struct rec_rd {
	const struct ocifs_rd *under;
	struct deps_run *run;
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
	if (r->bytes + *got > DEPS_KEEP_MAX || r->nv == DEPS_KEEP_RANGES ||
	    atomic_fetch_add(&r->run->kept, *got) + *got > DEPS_KEEP_TOTAL) {
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
	if (ocifs_tree_view_keep(r->run->tv, r->ino, buf, off, *got))
		r->full = 1;
	return 0;
}

/* --- pass 1: read and analyze each file ------------------------------ */

static void set_error(struct deps_file *f, const char *what, int rc)
{
	if (!f->error && asprintf(&f->error, "%s: %s", what, strerror(-rc)) < 0)
		f->error = NULL;
}

/* The analyzers only record bad input (scan/rd.h); say it once here. */
static void log_problem(const struct deps_file *f, const char *what, const char *error)
{
	if (error)
		log_warn("%s: %s%s", f->path, what, error);
}

static void analyze_elf_image(struct deps_file *f, const struct ocifs_rd *rd,
			      const struct ocifs_elf *e)
{
	if (e->is_go || e->link == OCIFS_ELF_STATIC || e->link == OCIFS_ELF_STATIC_PIE)
		ocifs_goinfo_read(rd, e, &f->go);
	ocifs_rustaudit_read(rd, e, &f->rust);
	log_problem(f, "", f->rust.error);
	ocifs_pkgnote_read(rd, e, &f->note);
	log_problem(f, "", f->note.error);
}

static void analyze_upx(struct deps_file *f, const struct ocifs_rd *rd)
{
	unsigned char *img = NULL;
	size_t len = 0;
	int rc;

	if (ocifs_upx_detect(rd, &f->upx) || !f->upx.packed)
		return;
	if ((rc = ocifs_upx_unpack(rd, &f->upx, DEPS_MAX_UNPACK, &img, &len))) {
		if (rc == -EBADMSG)
			log_problem(f, "UPX: ", f->upx.error ? f->upx.error : "corrupt");
		return;
	}
	struct ocifs_rd_mem m = { img, len };
	struct ocifs_rd urd = { ocifs_rd_mem_read, &m, len, f->path };
	rc = ocifs_elf_analyze(&urd, &f->upx_elf);
	log_problem(f, "ELF: ", f->upx_elf.error);
	if (rc == 0) {
		f->unpacked = 1;
		analyze_elf_image(f, &urd, &f->upx_elf);
	}
	free(img);
}

/* The ELF analysis of f's headers through rd, then UPX, Go, Rust and
 * the package note through plain (the same bytes, unrecorded). 1 if f
 * is an ELF file, 0 if not (or analysis failed: f->error says why). */
static int analyze_elf(struct deps_file *f, const struct ocifs_rd *rd,
		       const struct ocifs_rd *plain)
{
	int rc = ocifs_elf_analyze(rd, &f->elf);

	log_problem(f, "ELF: ", f->elf.error);
	if (rc) {
		if (rc != -EINVAL)
			set_error(f, "ELF analysis", rc);
		ocifs_elf_fini(&f->elf);
		return 0;
	}
	f->is_elf = 1;
	analyze_upx(f, plain);
	if (!f->unpacked)
		analyze_elf_image(f, plain, &f->elf);
	return 1;
}

/* The ELF analysis of f through plain, keeping what it reads (its head
 * first: what the library and interpreter searches read of every file). */
static void analyze_kept(struct deps_run *r, struct deps_file *f, const struct ocifs_rd *plain)
{
	struct rec_rd rec = { .under = plain, .run = r, .ino = f->ino };
	struct ocifs_rd rd = { rec_read, &rec, plain->size, f->path };
	unsigned char head[DEPS_HEAD_KEEP];
	size_t got;

	ocifs_rd_upto(&rd, head, sizeof(head), 0, &got);
	analyze_elf(f, &rd, plain);
	free(rec.v);
}

static void analyze_buf(struct deps_run *r, struct deps_file *f, const unsigned char *buf,
			size_t len)
{
	struct ocifs_rd_mem m = { buf, len };
	struct ocifs_rd plain = { ocifs_rd_mem_read, &m, len, f->path };

	if (f->eflags & OCIFS_EF_ELF) {
		analyze_kept(r, f, &plain);
	} else if (f->eflags & OCIFS_EF_SCRIPT) {
		ocifs_tree_view_keep(r->tv, f->ino, buf, 0,
				     len < DEPS_HEAD_KEEP ? len : DEPS_HEAD_KEEP);
		/* analyzed in pass 2, once every interpreter's head is kept */
		f->is_script = 1;
		f->head_len = len < DEPS_SCRIPT_HEAD ? len : DEPS_SCRIPT_HEAD;
		if (!(f->head = malloc(f->head_len ? f->head_len : 1)))
			set_error(f, "read", -ENOMEM);
		else
			memcpy(f->head, buf, f->head_len);
	}
}

/* Read file f whole (or its head, for scripts) through cursor *cur of
 * the file's layer, then analyze it. */
static void read_one(struct deps_run *r, struct deps_file *f, struct ocifs_layer **cl,
		     struct ocifs_zcursor **cur)
{
	struct ocifs_layer *l;
	struct ocifs_entry e;
	size_t want, done = 0;
	unsigned char *buf;
	int rc;

	if ((rc = ocifs_view_data(r->v, f->ino, &l, &e))) {
		set_error(f, "view", rc);
		return;
	}
	if (l != *cl) {
		ocifs_zcursor_free(*cur);
		*cur = NULL;
		*cl = l;
		if ((rc = ocifs_layer_cursor(l, cur))) {
			set_error(f, "layer cursor", rc);
			return;
		}
	}
	want = (size_t)f->size;
	if (!(f->eflags & OCIFS_EF_ELF) && want > DEPS_SCRIPT_HEAD)
		want = DEPS_SCRIPT_HEAD;
	if (want > DEPS_MAX_SLURP) {
		/* too big to hold: analyze in place through the tree */
		struct ocifs_tree_file tf;
		if ((rc = r->tree->open_file(r->tree->ctx, f->path, &tf))) {
			set_error(f, "open", rc);
			return;
		}
		analyze_kept(r, f, &tf.rd);
		r->tree->close_file(r->tree->ctx, &tf);
		return;
	}
	buf = malloc(want ? want : 1);
	if (!buf) {
		set_error(f, "read", -ENOMEM);
		return;
	}
	while (done < want) {
		size_t got = 0;
		rc = ocifs_layer_read(l, *cur, &e, buf + done, want - done, done, &got);
		if (rc || !got) {
			set_error(f, "read", rc ? rc : -EIO);
			break;
		}
		done += got;
	}
	if (done == want)
		analyze_buf(r, f, buf, want);
	free(buf);
}

/* Does f need the library search? Dynamic executables and libraries. */
static int deps_wants_ldso(const struct deps_file *f)
{
	const struct ocifs_elf *e = f->unpacked ? &f->upx_elf : &f->elf;

	return e->link == OCIFS_ELF_DYNAMIC || e->link == OCIFS_ELF_SHARED_LIB || e->nneeded;
}

struct slice {
	struct deps_run *r;
	size_t lo, hi;
	int pass;
};

static void *slice_run(void *arg)
{
	struct slice *s = arg;
	struct deps_run *r = s->r;
	struct ocifs_layer *cl = NULL;
	struct ocifs_zcursor *cur = NULL;

	for (size_t i = s->lo; i < s->hi && !deps_stop(r); i++) {
		struct deps_file *f = &r->f[i];
		const struct deps_file *p = f->primary ? &r->f[f->primary - 1] : f;
		if (s->pass == 1) {
			if (!f->primary)
				read_one(r, f, &cl, &cur);
		} else if (f->primary) {
			if (p->is_elf && deps_wants_ldso(p) &&
			    ocifs_ldso_resolve(r->ldso, f->path, p->unpacked ? &p->upx_elf : &p->elf,
					       &f->libs) == 0)
				f->resolved = 1;
		} else if (f->is_script && f->head) {
			struct ocifs_rd_mem m = { f->head, f->head_len };
			struct ocifs_rd srd = { ocifs_rd_mem_read, &m, f->head_len, f->path };
			int rc = ocifs_script_analyze(&srd, r->tree, r->path_env, &f->script);
			if (rc)
				set_error(f, "script analysis", rc);
			free(f->head);
			f->head = NULL;
		} else if (f->is_elf && deps_wants_ldso(f)) {
			const struct ocifs_elf *e = f->unpacked ? &f->upx_elf : &f->elf;
			int rc = ocifs_ldso_resolve(r->ldso, f->path, e, &f->libs);
			if (rc == 0)
				f->resolved = 1;
			else if (rc == -ENOMEM)
				set_error(f, "library resolution", rc);
		}
	}
	ocifs_zcursor_free(cur);
	return NULL;
}

static void run_pass(struct deps_run *r, unsigned threads, int pass)
{
	struct slice s[8] = { { 0 } };
	pthread_t t[8];
	int started[8] = { 0 };

	if (threads > 8)
		threads = 8;
	if (threads > r->n)
		threads = (unsigned)r->n;
	if (threads < 1)
		threads = 1;
	for (unsigned k = 0; k < threads; k++) {
		s[k] = (struct slice){ r, r->n * k / threads, r->n * (k + 1) / threads, pass };
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
	const struct deps_file *x = a, *y = b;

	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	if (x->data_off != y->data_off)
		return x->data_off < y->data_off ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int by_path(const void *a, const void *b)
{
	const struct deps_file *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/* Add path (a regular file, inode ino) if the index flagged its magic. */
static int add_file(struct deps_run *r, size_t *cap, const char *path, uint64_t ino)
{
	struct ocifs_vattr a;
	struct ocifs_layer *l;
	struct ocifs_entry e;
	unsigned char sha[32];
	uint32_t fl;

	if (ocifs_view_getattr(r->v, ino, &a) || !S_ISREG(a.mode) ||
	    ocifs_view_file_facts(r->v, ino, &fl, sha) ||
	    !(fl & (OCIFS_EF_ELF | OCIFS_EF_SCRIPT)) || ocifs_view_data(r->v, ino, &l, &e))
		return 0;
	if (r->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 256;
		struct deps_file *nf = realloc(r->f, nc * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		r->f = nf;
		*cap = nc;
	}
	struct deps_file *f = &r->f[r->n];
	memset(f, 0, sizeof(*f));
	if (!(f->path = strdup(path)))
		return -ENOMEM;
	r->n++;
	f->ino = ino;
	f->size = a.size;
	f->layer = a.layer;
	f->eflags = fl;
	f->data_off = e.data_off;
	memcpy(f->sha256, sha, 32);
	return 0;
}

/* Every name of every flagged file: a depth-first walk of the view (its
 * directories form a tree: each has one name). Names deeper than
 * PATH_MAX are left out: no program can be run by such a path. Then the
 * files in layer-stream order; the names of one inode (hard links) end
 * up next to each other, the first of them analyzed for all. */
static int collect(struct deps_run *r)
{
	struct frame {
		uint64_t dir;
		uint32_t i, n;
		size_t plen;
	} *st = NULL;
	size_t depth = 0, cap = 0, scap = 0;
	char path[PATH_MAX];
	int rc = 0;

	path[0] = '\0';
	if (!(st = malloc(64 * sizeof(*st))))
		return -ENOMEM;
	scap = 64;
	st[0] = (struct frame){ OCIFS_VIEW_ROOT, 0, 0, 0 };
	if (ocifs_view_dir_size(r->v, OCIFS_VIEW_ROOT, &st[0].n) == 0)
		depth = 1;
	for (size_t seen = 0; depth; seen++) {
		if (!(seen & 4095) && (rc = deps_stop(r)))
			break;
		if (depth == scap) {
			size_t nc = 2 * scap;
			struct frame *ns = realloc(st, nc * sizeof(*ns));
			if (!ns) {
				rc = -ENOMEM;
				break;
			}
			st = ns;
			scap = nc;
		}
		struct frame *fr = &st[depth - 1];
		if (fr->i == fr->n) {
			depth--;
			continue;
		}
		const char *name;
		uint64_t ino;
		struct ocifs_vattr a;
		if (ocifs_view_dir_entry(r->v, fr->dir, fr->i++, &name, &ino) ||
		    ocifs_view_getattr(r->v, ino, &a))
			continue;
		size_t nl = strlen(name);
		if (fr->plen + 1 + nl >= sizeof(path))
			continue;
		path[fr->plen] = '/';
		memcpy(path + fr->plen + 1, name, nl + 1);
		if (S_ISDIR(a.mode)) {
			uint32_t n = 0;
			if (ocifs_view_dir_size(r->v, ino, &n) || !n)
				continue;
			st[depth++] = (struct frame){ ino, 0, n, fr->plen + 1 + nl };
		} else if (S_ISREG(a.mode) && (rc = add_file(r, &cap, path, ino))) {
			break;
		}
	}
	free(st);
	if (rc)
		return rc;
	if (r->n) /* r->f is NULL in an image without ELF or script */
		qsort(r->f, r->n, sizeof(*r->f), by_stream);
	/* primary: 1 + the index of the name analyzed for this one */
	for (size_t i = 1; i < r->n; i++)
		if (r->f[i].ino == r->f[i - 1].ino)
			r->f[i].primary = r->f[i - 1].primary ? r->f[i - 1].primary : i;
	return 0;
}

static void file_fini(struct deps_file *f)
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
	free(f->head);
	free(f->error);
}

/* --- the document ---------------------------------------------------- */

static const char *env_get(struct ocifs_image *img, const char *key)
{
	size_t kl = strlen(key);

	for (char **e = img->env; e && *e; e++)
		if (!strncmp(*e, key, kl) && (*e)[kl] == '=')
			return *e + kl + 1;
	return NULL;
}

static int add_summary(struct json_object *doc, const struct deps_run *r,
		       struct ocifs_deps_stats *st)
{
	struct json_object *s = json_object_new_object();

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < r->n; i++) {
		const struct deps_file *f = &r->f[i], *p = f->primary ? &r->f[f->primary - 1] : f;
		st->files += p->is_elf || p->is_script;
		st->elf += p->is_elf;
		st->scripts += p->is_script;
		st->go += p->go.is_go != 0;
		st->upx += p->upx.packed != 0;
		st->unresolved += f->resolved && f->libs.nunresolved;
		st->errors += p->error || (p->is_elf && p->elf.error);
	}
	if (!s)
		return -ENOMEM;
	json_object_object_add(s, "files", json_object_new_int64((int64_t)st->files));
	json_object_object_add(s, "elf", json_object_new_int64((int64_t)st->elf));
	json_object_object_add(s, "scripts", json_object_new_int64((int64_t)st->scripts));
	json_object_object_add(s, "go", json_object_new_int64((int64_t)st->go));
	json_object_object_add(s, "upx", json_object_new_int64((int64_t)st->upx));
	json_object_object_add(s, "unresolved", json_object_new_int64((int64_t)st->unresolved));
	json_object_object_add(s, "errors", json_object_new_int64((int64_t)st->errors));
	json_object_object_add(doc, "summary", s);
	return 0;
}

static int build_doc(struct deps_run *r, struct ocifs_deps_stats *st, struct json_object **out)
{
	struct json_object *doc = json_object_new_object(), *im = json_object_new_object();
	struct json_object *files = json_object_new_array();
	struct deps_file **sorted = calloc(r->n ? r->n : 1, sizeof(*sorted));
	const char *llp = env_get(r->img, "LD_LIBRARY_PATH");
	int rc = -ENOMEM;

	if (!doc || !im || !files || !sorted)
		goto err;
	json_object_object_add(doc, "schema", json_object_new_int(OCIFS_DEPS_SCHEMA));
	json_object_object_add(doc, "ocifs_version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(im, "manifest", json_object_new_string(r->img->manifest_digest));
	json_object_object_add(im, "platform",
			       r->img->platform ? json_object_new_string(r->img->platform) : NULL);
	json_object_object_add(im, "ld_library_path", llp ? json_object_new_string(llp) : NULL);
	json_object_object_add(doc, "image", im);
	im = NULL;
	if ((rc = add_summary(doc, r, st)))
		goto err;
	for (size_t i = 0; i < r->n; i++)
		sorted[i] = &r->f[i];
	qsort(sorted, r->n, sizeof(*sorted), by_path);
	for (size_t i = 0; i < r->n; i++) {
		const struct deps_file *f = sorted[i], *p = f->primary ? &r->f[f->primary - 1] : f;
		if (!p->is_elf && !p->is_script && !p->error)
			continue; /* flagged by magic, but not ELF after all */
		const char *ld = f->layer < r->img->nlayers ? r->img->layers[f->layer].digest : "";
		struct json_object *o = deps_file_json(f, p, ld);
		if (!o) {
			rc = -ENOMEM;
			goto err;
		}
		json_object_array_add(files, o);
	}
	json_object_object_add(doc, "files", files);
	free(sorted);
	*out = doc;
	return 0;
err:
	json_object_put(im);
	json_object_put(files);
	json_object_put(doc);
	free(sorted);
	return rc;
}

static int analyze(struct ocifs_image *img, const struct ocifs_view *v,
		   const struct ocifs_deps_opts *o, double t_start, struct json_object **doc,
		   struct ocifs_deps_stats *st)
{
	struct deps_run r = { .img = img, .v = v };
	struct ocifs_ldso_opts lo = { 0 };
	unsigned threads = o && o->threads ? o->threads : 2;
	int rc;

	atomic_init(&r.stop, 0);
	atomic_init(&r.kept, 0);
	if (o) {
		r.cancelled = o->cancelled;
		r.cancel_ctx = o->cancel_ctx;
		if (o->timeout_ms)
			r.deadline = t_start + o->timeout_ms / 1e3;
	}
	lo.stop = deps_stop;
	lo.stop_ctx = &r;
	lo.image_probes = DEPS_IMAGE_PROBES;

	r.path_env = env_get(img, "PATH");
	lo.ld_library_path = env_get(img, "LD_LIBRARY_PATH");
	if ((rc = ocifs_tree_view_new(v, &r.tv)))
		return rc;
	r.tree = ocifs_tree_view_tree(r.tv);
	double t0 = now();
	if ((rc = collect(&r)))
		goto out;
	double t1 = now();
	run_pass(&r, threads, 1);
	double t2 = now();
	if ((rc = deps_stop(&r)) || (rc = ocifs_ldso_new(r.tree, &lo, &r.ldso)))
		goto out;
	run_pass(&r, threads, 2);
	double t3 = now();
	if ((rc = deps_stop(&r)))
		goto out;
	rc = build_doc(&r, st, doc);
	log_dbg("deps: %zu files; collect %.3f s, read+analyze %.3f s, resolve %.3f s, document %.3f s",
		r.n, t1 - t0, t2 - t1, t3 - t2, now() - t3);
out:
	for (size_t i = 0; i < r.n; i++)
		file_fini(&r.f[i]);
	free(r.f);
	ocifs_ldso_free(r.ldso);
	ocifs_tree_view_free(r.tv);
	return rc;
}

/* --- the cache ------------------------------------------------------- */

/* The GNU build-id of the running program, so that a rebuilt ocifs
 * (whose analysis may differ within one version number) does not trust
 * documents an older build wrote. */
static int self_note(struct dl_phdr_info *info, size_t size, void *ctx)
{
	unsigned char *id = ctx;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		size_t off = 0;

		if (ph->p_type != PT_NOTE)
			continue;
		while (off + sizeof(ElfW(Nhdr)) <= ph->p_memsz) {
			const ElfW(Nhdr) *nh = (const void *)(p + off);
			size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;
			const unsigned char *d = p + off + sizeof(*nh) + name;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(p + off + sizeof(*nh), "GNU", 4) &&
			    off + sizeof(*nh) + name + nh->n_descsz <= ph->p_memsz) {
				id[0] = (unsigned char)(nh->n_descsz < 32 ? nh->n_descsz : 32);
				memcpy(id + 1, d, id[0]);
				return 1;
			}
			off += sizeof(*nh) + name + desc;
		}
	}
	return 1; /* the first object is the program itself */
}

static int cache_path(struct ocifs_image *img, const char *dir, char **out)
{
	char hex[OCIFS_DIGEST_STRLEN + 1], tag[64];
	unsigned char key[32];
	struct ocifs_sha *h;
	int rc = ocifs_sha_new(&h);

	if (rc)
		return rc;
	unsigned char self[33] = { 0 };

	snprintf(tag, sizeof(tag), "ocifs-deps %s schema %d\n", PACKAGE_VERSION, OCIFS_DEPS_SCHEMA);
	ocifs_sha_update(h, tag, strlen(tag));
	dl_iterate_phdr(self_note, self);
	ocifs_sha_update(h, self, sizeof(self));
	ocifs_sha_update(h, img->manifest_digest, strlen(img->manifest_digest));
	for (size_t i = 0; i < img->nlayers; i++) {
		ocifs_sha_update(h, "\n", 1);
		ocifs_sha_update(h, img->layers[i].digest, strlen(img->layers[i].digest));
	}
	ocifs_sha_final(h, key);
	ocifs_sha_free(h);
	ocifs_digest_format(key, hex);
	return asprintf(out, "%s/deps/%s.json", dir, hex + 7) < 0 ? -ENOMEM : 0;
}

/* The cached document, if it looks like one this build wrote: 0,
 * -ENOENT, -ESTALE. Only its frame is checked (the schema line first,
 * the closing brace last, a files array): the file was renamed into
 * place whole, and a full parse would cost more than the rest of a warm
 * open. Its bytes are served as they are; whoever parses them (deps.txt,
 * PATH selection) parses them in full. */
static int cache_load(const char *path, char **json, size_t *len)
{
	char head[64];
	int fd = ocifs_cache_open_read(path); /* never through a symlink */
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *b = NULL;
	long n;
	int rc = -ESTALE, hl;

	if (!fp) {
		if (fd >= 0)
			close(fd);
		return fd == -ELOOP ? -ESTALE : -ENOENT;
	}
	hl = snprintf(head, sizeof(head), "{\n  \"schema\": %d,\n", OCIFS_DEPS_SCHEMA);
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > hl + 2 && n < (1L << 30) &&
	    fseek(fp, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) &&
	    fread(b, 1, (size_t)n, fp) == (size_t)n) {
		b[n] = '\0';
		if (!memcmp(b, head, (size_t)hl) && !strcmp(b + n - 2, "}\n") &&
		    strstr(b, "\n  \"files\": [")) {
			*json = b;
			*len = (size_t)n;
			b = NULL;
			rc = 0;
		}
	}
	free(b);
	fclose(fp);
	return rc;
}

int ocifs_deps_json(struct ocifs_image *img, const struct ocifs_view *v,
		    const struct ocifs_deps_opts *o, char **json, size_t *len,
		    struct ocifs_deps_stats *st)
{
	struct ocifs_deps_stats local;
	struct json_object *doc = NULL;
	char *path = NULL;
	double t0 = now();
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (o && o->cache_dir) {
		if ((rc = cache_path(img, o->cache_dir, &path)))
			return rc;
		rc = cache_load(path, json, len);
		if (rc == 0) {
			st->from_cache = 1;
			st->secs = now() - t0;
			free(path);
			return 0;
		}
		if (rc == -ESTALE)
			log_warn("cache %s is unusable; rebuilding it", path);
	}
	rc = analyze(img, v, o, t0, &doc, st);
	if (rc)
		goto out;
	const char *s = json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t sl = s ? strlen(s) : 0;
	if (!s || !(*json = malloc(sl + 2))) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(*json, s, sl);
	(*json)[sl++] = '\n';
	(*json)[sl] = '\0';
	*len = sl;
	if (path && ocifs_cache_write_atomic(path, *json, sl))
		log_warn("%s: cannot write the deps cache", path);
	st->secs = now() - t0;
out:
	json_object_put(doc);
	free(path);
	return rc;
}
