/* SPDX-License-Identifier: MIT */
/*
 * The image session (session.h): the cache directory, the image, its
 * layers (indexed with a progress bar, one summary line each on request)
 * and the merged view, opened in that order and closed in reverse. The
 * command line, the mount and the analyzers all start here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "idxart.h"
#include "imageref.h"
#include "log.h"
#include "mountinfo.h"
#include "progress.h"
#include "session.h"
#include "spool.h"
#include "trace.h"

/*
 * The progress bar and the summary lines of one open_layers(). Opened in
 * parallel, the workers call on_progress() and layer_done() at once: mu
 * guards every field below it, and both the bar and the summary lines are
 * written under it, so they never interleave. One bar counts the bytes
 * of all layers (done[] holds each one's part); the summary lines come
 * out in layer order, each once every layer before it is done.
 */
struct open_ui {
	struct ocifs_progress bar;
	char label[32];
	size_t nlayers;         /* the image's */
	pthread_mutex_t mu;
	size_t first, n;        /* the layers opened: first .. first + n - 1 */
	uint64_t *done;         /* [n] bytes so far of each; NULL sequential */
	size_t finished;        /* layers done */
};

/* The bar of a parallel open, over every layer's bytes; ui->mu held. */
static void draw_locked(struct open_ui *ui)
{
	uint64_t sum = 0;

	for (size_t k = 0; k < ui->n; k++)
		sum += ui->done[k];
	snprintf(ui->label, sizeof(ui->label), "layers %zu/%zu", ui->finished, ui->n);
	ocifs_progress_update(&ui->bar, ui->label, sum);
}

static void on_progress(void *ctx, unsigned num, uint64_t done, uint64_t total)
{
	struct open_ui *ui = ctx;

	(void)total;
	if (!ui->done) {
		snprintf(ui->label, sizeof(ui->label), "layer %u/%zu", num, ui->nlayers);
		ocifs_progress_update(&ui->bar, ui->label, done);
		return;
	}
	pthread_mutex_lock(&ui->mu);
	ui->done[num - 1 - ui->first] = done;
	draw_locked(ui);
	pthread_mutex_unlock(&ui->mu);
}

/* The line `ocifs index` prints for a layer just opened. */
static void report(FILE *f, struct ocifs_layer *l, size_t n, double secs)
{
	char a[16], b[16], c[16], r[16];
	struct ocifs_layer_open_info li;
	const struct ocifs_index_stats *s = &li.stats;
	/* ASCII outside a UTF-8 locale, as the progress bar above it */
	const char *ell = ocifs_locale_is_utf8() ? "…" : "...";

	ocifs_layer_open_info(l, &li);
	if (li.built) {
		fprintf(f, "layer %u/%zu %.19s%s %-4s %s -> %s, %" PRIu64 " entries, %" PRIu64
		        " checkpoints, index %s (%.2f%%), %.2f s, %s/s\n",
		        ocifs_layer_num(l), n, ocifs_layer_desc(l)->digest, ell, ocifs_comp_name(s->comp),
		        ocifs_human(s->csize, a),
		        ocifs_human(s->usize, b), s->entries, s->ckpts, ocifs_human(s->index_bytes, c),
		        s->usize ? 100.0 * (double)s->index_bytes / (double)s->usize : 0.0, secs,
		        ocifs_human(secs > 0 ? (uint64_t)((double)s->usize / secs) : 0, r));
		if (s->skipped)
			fprintf(f, "  %" PRIu64 " entries skipped: their paths leave the root\n",
			        s->skipped);
	} else {
		fprintf(f, "layer %u/%zu %.19s%s %-4s %s, %" PRIu64 " entries, cached%s\n",
		        ocifs_layer_num(l), n, ocifs_layer_desc(l)->digest, ell,
		        ocifs_comp_name(ocifs_layer_comp(l)), ocifs_human(ocifs_layer_usize(l), b),
		        ocifs_layer_entries(l), li.rehashed ? ", blob re-verified" : "");
	}
}

/* What opening layer i did, on its span (l NULL: it failed with rc). */
static void trace_layer(ocifs_span sp, struct ocifs_image *img, size_t i, struct ocifs_layer *l,
			int rc)
{
	struct ocifs_layer_open_info li;

	if (!sp)
		return;
	ocifs_trace_int(sp, "ocifs.layer", (int64_t)i + 1);
	ocifs_trace_str(sp, "ocifs.digest", img->layers[i].digest);
	ocifs_trace_int(sp, "ocifs.bytes.compressed",
			(int64_t)(img->layers[i].blob ? img->layers[i].blob->size : img->layers[i].size));
	if (l) {
		ocifs_layer_open_info(l, &li);
		ocifs_trace_str(sp, "ocifs.compression", ocifs_comp_name(ocifs_layer_comp(l)));
		ocifs_trace_int(sp, "ocifs.bytes.uncompressed", (int64_t)ocifs_layer_usize(l));
		ocifs_trace_int(sp, "ocifs.entries", (int64_t)ocifs_layer_entries(l));
		ocifs_trace_str(sp, "ocifs.index", li.built ? "built" : "reused");
		ocifs_trace_int(sp, "ocifs.rehashed", li.rehashed);
		if (li.skipped)
			ocifs_trace_int(sp, "ocifs.entries.skipped", (int64_t)li.skipped);
	} else {
		ocifs_trace_error(sp, strerror(-rc));
	}
	ocifs_trace_end(sp);
}

/*
 * The parallel opener: workers take the next layer number from next and
 * open it; after a failure, none takes another (the layers before it are
 * all taken already, so the lowest failing one is always found, as the
 * sequential open would). rc[k] and t[k] belong to the worker that took
 * layer first + k until it marks it done under ui.mu; s->layers[k] too.
 */
struct par_open {
	struct ocifs_session *s;
	const struct ocifs_session_opts *o;
	struct ocifs_layer_opts lo; /* its ctx: &ui */
	struct open_ui ui;
	ocifs_span parent;      /* the session's span, for "index layer N" */
	atomic_size_t next;     /* 0-based, relative to ui.first */
	atomic_int stop;        /* a layer failed */
	int *rc;                /* [n] */
	double *secs;           /* [n] wall time of each */
	unsigned char *ready;   /* [n] done (guarded by ui.mu) */
	size_t printed;         /* summary lines written (guarded by ui.mu) */
};

/* Layer first + k is done: mark it, and write the summary lines of the
 * layers done in a row from the first not written yet, up to a failure. */
static void layer_done(struct par_open *p, size_t k)
{
	struct open_ui *ui = &p->ui;
	uint64_t size = p->s->img->layers[ui->first + k].size;

	pthread_mutex_lock(&ui->mu);
	ui->done[k] = size;
	ui->finished++;
	p->ready[k] = 1;
	if (p->o->progress)
		draw_locked(ui);
	while (p->printed < ui->n && p->ready[p->printed] && !p->rc[p->printed]) {
		if (p->o->summary) {
			if (p->o->progress)
				ocifs_progress_end(&ui->bar);
			report(p->o->summary, p->s->layers[p->printed], ui->nlayers,
			       p->secs[p->printed]);
			fflush(p->o->summary);
		}
		p->printed++;
	}
	pthread_mutex_unlock(&ui->mu);
}

static void *par_worker(void *arg)
{
	struct par_open *p = arg;
	struct ocifs_image *img = p->s->img;

	while (!atomic_load(&p->stop)) {
		size_t k = atomic_fetch_add(&p->next, 1);
		if (k >= p->ui.n)
			break;
		size_t i = p->ui.first + k;
		double t0 = ocifs_now();
		ocifs_span sp = ocifs_trace_beginf(p->parent, "index layer %zu", i + 1);
		int rc = ocifs_layer_open(img, i, &p->lo, &p->s->layers[k]);
		trace_layer(sp, img, i, rc ? NULL : p->s->layers[k], rc);
		p->rc[k] = rc;
		p->secs[k] = ocifs_now() - t0;
		if (rc)
			atomic_store(&p->stop, 1);
		layer_done(p, k);
	}
	return NULL;
}

/*
 * After a failure, layer s->layers[k] is one the sequential open would
 * not have reached: close it and, if this open built its index, remove
 * that again (under the layer's cache lock), so that a failed open leaves
 * the cache as it did before layers were opened at once. An index that
 * was there before, or that a layer below bad (the same blob) uses, is
 * kept.
 */
static void forget_layer(struct ocifs_session *s, size_t k, size_t bad)
{
	struct ocifs_layer *l = s->layers[k];
	struct ocifs_layer_open_info li;
	const char *digest;
	char *path = NULL;
	int lock;

	if (!l)
		return;
	ocifs_layer_open_info(l, &li);
	digest = ocifs_layer_desc(l)->digest;
	for (size_t j = 0; j < bad && li.built; j++) /* the same blob, reached */
		if (s->layers[j] && !strcmp(ocifs_layer_desc(s->layers[j])->digest, digest))
			li.built = 0;
	if (li.built && ocifs_cache_layer_path(s->cache_dir, digest, ".db", &path) == 0 &&
	    (lock = ocifs_cache_lock(s->cache_dir, digest)) >= 0) {
		ocifs_layer_close(l);
		l = NULL;
		unlink(path);
		ocifs_cache_unlock(lock);
	}
	free(path);
	ocifs_layer_close(l);
	s->layers[k] = NULL;
}

/* Open layers [first, first + n) on up to nthreads threads (this one
 * among them). */
static int open_parallel(struct ocifs_session *s, const struct ocifs_session_opts *o,
			 const struct ocifs_layer_opts *lo, struct open_ui *ui, size_t nthreads)
{
	struct par_open p = { .s = s, .o = o, .lo = *lo, .ui = *ui,
			      .parent = ocifs_trace_current() };
	pthread_t *th = calloc(nthreads, sizeof(*th));
	size_t started = 0;
	int rc = -ENOMEM;

	p.ui.done = calloc(ui->n, sizeof(*p.ui.done));
	p.rc = calloc(ui->n, sizeof(*p.rc));
	p.secs = calloc(ui->n, sizeof(*p.secs));
	p.ready = calloc(ui->n, 1);
	atomic_init(&p.next, 0);
	atomic_init(&p.stop, 0);
	if (!th || !p.ui.done || !p.rc || !p.secs || !p.ready)
		goto out;
	if (o->progress)
		p.lo.ctx = &p.ui;
	pthread_mutex_init(&p.ui.mu, NULL);
	/* a thread that cannot be made leaves its share to the others */
	for (size_t t = 1; t < nthreads; t++)
		if (pthread_create(&th[started], NULL, par_worker, &p) == 0)
			started++;
	par_worker(&p);
	for (size_t t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&p.ui.mu);
	if (o->progress)
		ocifs_progress_end(&p.ui.bar);
	rc = 0;
	size_t bad = 0;
	while (bad < ui->n && !(rc = p.rc[bad]))
		bad++;
	for (size_t k = bad + 1; k < ui->n; k++)
		forget_layer(s, k, bad);
out:
	free(th);
	free(p.ui.done);
	free(p.rc);
	free(p.secs);
	free(p.ready);
	return rc;
}

/* How many layers to open at once: one per online CPU this process may
 * run on (taskset, cgroup cpusets), at least 1, at most n. */
static size_t open_threads(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t t = cpus > 1 ? (size_t)cpus : 1;
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1 &&
	    (size_t)CPU_COUNT(&set) < t)
		t = (size_t)CPU_COUNT(&set);

	return t < n ? t : n;
}

/*
 * Open layers [first, first + n) of s->img into s->layers[0..n). The
 * progress bar (a no-op unless stderr is a terminal) counts the bytes of
 * those layers; a layer's line goes to o->summary once it and the layers
 * before it are open. Several layers are opened at once (open_parallel)
 * when there are several CPUs: each layer's index build (a decoder, a
 * hasher and a tar reader thread, index.c) keeps about two cores busy,
 * but waits on its rings now and then, and the layers' files' SQLite
 * work does not overlap otherwise. On a failure the result is the error
 * of the lowest-numbered failing layer.
 */
static int open_layers(struct ocifs_session *s, const struct ocifs_session_opts *o,
		       size_t first, size_t n)
{
	struct ocifs_image *img = s->img;
	struct open_ui ui = { .nlayers = img->nlayers, .first = first, .n = n };
	uint64_t total = 0;
	size_t nthreads = open_threads(n);
	int rc = 0;

	s->layers = calloc(n + 1, sizeof(*s->layers));
	if (!s->layers)
		return -ENOMEM;
	s->nlayers = n;
	for (size_t i = first; i < first + n; i++)
		total += img->layers[i].size;
	if (o->progress)
		ocifs_progress_init(&ui.bar, total);
	struct ocifs_layer_opts lo = {
		.cache_dir = s->cache_dir, .verify = o->verify,
		.progress = o->progress ? on_progress : NULL,
	};
	if (nthreads > 1)
		return open_parallel(s, o, &lo, &ui, nthreads);
	lo.ctx = o->progress ? &ui : NULL;
	for (size_t i = first; i < first + n && !rc; i++) {
		uint64_t size = img->layers[i].size;
		double t0 = ocifs_now();
		ocifs_span sp = ocifs_trace_beginf(0, "index layer %zu", i + 1);

		rc = ocifs_layer_open(img, i, &lo, &s->layers[i - first]);
		trace_layer(sp, img, i, rc ? NULL : s->layers[i - first], rc);
		if (o->progress) {
			on_progress(&ui, (unsigned)i + 1, size, size);
			ocifs_progress_next(&ui.bar, size);
			ocifs_progress_end(&ui.bar);
		}
		if (!rc && o->summary)
			report(o->summary, s->layers[i - first], img->nlayers, ocifs_now() - t0);
	}
	return rc;
}

/* The cache: the one asked for, or (unless o->need_cache) a private
 * temporary one when that cannot be made or written. A cache that is
 * refused (a symlink, another user's) is an error: someone may have
 * planted it, and the user should know. */
static int open_cache(struct ocifs_session *s, const struct ocifs_session_opts *o)
{
	char why[1024];
	int rc = ocifs_cache_open_flags(o->cache_dir, o->defer_sweep ? OCIFS_CACHE_NO_SWEEP : 0,
					&s->cache_dir, why, sizeof(why));

	if (!rc || rc == -ENOMEM)
		return rc;
	if (o->need_cache || rc == -ELOOP || rc == -EPERM) {
		log_err("cache: %s (choose another with --cache-dir DIR)", why);
		return rc;
	}
	rc = ocifs_cache_open_temp(&s->cache_dir);
	if (!rc) {
		s->temp_cache = 1;
		log_warn("cache: %s; using a temporary cache in %s, removed afterwards "
			 "(--cache-dir DIR chooses another)", why, s->cache_dir);
	}
	return rc;
}

/* Spool stream fd (named name) into the cache; *file is the spool file. */
static int spool(struct ocifs_session *s, int fd, const char *name, const char **file)
{
	int rc;

	if (!(s->spool = calloc(1, sizeof(*s->spool))))
		return -ENOMEM;
	rc = ocifs_spool_stream(s->cache_dir, fd, name, s->spool);
	if (rc) {
		free(s->spool);
		s->spool = NULL;
		return rc;
	}
	*file = ocifs_spool_path(s->spool);
	return 0;
}

/* Where the image named by r lives: *file to open and *name for
 * messages; a stream is spooled first. */
static int locate(struct ocifs_session *s, const char *ref, const struct ocifs_imageref *r,
		  const char **file, const char **name)
{
	struct stat st;
	int fd, rc;

	*file = *name = r->path;
	if (r->kind == OCIFS_REF_STDIN || !strcmp(r->path, "/dev/stdin")) {
		*name = "stdin";
		if (fstat(STDIN_FILENO, &st) < 0) {
			rc = -errno;
			log_err("stdin: %s", strerror(-rc));
			return rc;
		}
		if (S_ISREG(st.st_mode)) { /* `< FILE`: read it in place */
			*file = "/dev/stdin";
			return 0;
		}
		return spool(s, STDIN_FILENO, "stdin", file);
	}
	if (stat(r->path, &st) < 0) {
		rc = -errno;
		if (rc == -ENOENT && r->kind == OCIFS_REF_PATH && ocifs_imageref_looks_like_name(ref)) {
			const char *base = strrchr(ref, '/') ? strrchr(ref, '/') + 1 : ref;
			int blen = (int)strcspn(base, ":@");
			log_err("no file \"%s\"; save the image first (docker save %s -o %.*s.tar) or "
				"name an archive with docker-archive:FILE[:NAME:TAG]", ref, ref, blen, base);
		} else {
			ocifs_log_path_err(r->path, r->path, rc); /* a dead mount: names it */
		}
		return rc;
	}
	if (S_ISFIFO(st.st_mode)) {
		fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			log_err("%s: %s", r->path, strerror(-rc));
			return rc;
		}
		rc = spool(s, fd, r->path, file);
		close(fd);
		return rc;
	}
	if (r->kind == OCIFS_REF_OCI_DIR && !S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory (oci: names an OCI layout directory; an archive is "
			"oci-archive:FILE)", ref);
		return -EINVAL;
	}
	if ((r->kind == OCIFS_REF_OCI_ARCHIVE || r->kind == OCIFS_REF_DOCKER_ARCHIVE) &&
	    S_ISDIR(st.st_mode)) {
		log_err("%s: a directory, not an archive (an OCI layout directory is oci:DIR)", ref);
		return -EINVAL;
	}
	return 0;
}

/* The image options for r: its reference selects the image as --image
 * does; both at once is a usage error. */
static int select_image(const char *ref, const struct ocifs_imageref *r,
			const struct ocifs_session_opts *o, struct ocifs_image_opts *io)
{
	*io = o->img;
	if (io->image && *io->image == '@') {
		log_err("--image %s: --image counts from 1 (1 = first); skopeo's 0-based @N is "
			"written docker-archive:FILE:@N", io->image);
		return -OCIFS_EUSAGE;
	}
	if (r->select && io->image) {
		log_err("%s names the image already; drop --image %s", ref, io->image);
		return -OCIFS_EUSAGE;
	}
	if (r->select)
		io->image = r->select;
	return 0;
}

int ocifs_session_open(const char *ref, const struct ocifs_session_opts *o,
		       struct ocifs_session **out)
{
	struct ocifs_session *s = calloc(1, sizeof(*s));
	struct ocifs_view_shipped sv = { .data = NULL }; /* the artifact's view */
	struct ocifs_imageref r = { 0 };
	struct ocifs_image_opts io;
	const char *file = NULL;
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	ocifs_span sp = ocifs_trace_begin("session", 0), op = 0;
	ocifs_trace_str(sp, "ocifs.image", ref);
	rc = ocifs_imageref_parse(ref, &r);
	if (!rc && r.kind == OCIFS_REF_UNSUPPORTED)
		rc = ocifs_imageref_unsupported(&r, ref);
	if (!rc)
		rc = select_image(ref, &r, o, &io);
	/* The cache directory next: it is checked (owner, mode, symlinks,
	 * writable) whatever is asked of the image. */
	if (!rc)
		rc = open_cache(s, o);
	if (!rc) {
		op = ocifs_trace_begin("open", sp);
		/* A registry blob's chunk sums live beside its index, in a
		 * temporary cache too: without them no Range read is served. */
		io.cache_dir = s->cache_dir;
		io.outer_rebuild = o->verify;
		if (r.kind == OCIFS_REF_REGISTRY) /* fetched, nothing to locate */
			rc = ocifs_image_open_registry(r.path, &io, &s->img);
		else
			rc = locate(s, ref, &r, &file, &io.name);
		/* A compressed archive's listing is cached, unless the file
		 * is a fresh spool or the cache goes away with the process. */
		io.cache_dir = s->spool || s->temp_cache ? NULL : s->cache_dir;
		if (!rc && !s->img)
			rc = ocifs_image_open(file, &io, &s->img);
		if (!rc) {
			ocifs_trace_str(op, "ocifs.manifest", s->img->manifest_digest);
			ocifs_trace_int(op, "ocifs.layers", (int64_t)s->img->nlayers);
			if (s->img->platform)
				ocifs_trace_str(op, "ocifs.platform", s->img->platform);
		} else {
			ocifs_trace_error(op, strerror(-rc));
		}
		ocifs_trace_end(op);
	}
	/* The image holds its own descriptors of a spooled file now. */
	if (s->spool) {
		int kr = ocifs_spool_release(s->spool, !rc && (o->keep_spool || o->spool_named));
		rc = rc ? rc : kr;
		s->spool_kept = o->keep_spool ? s->spool->kept : NULL;
	}
	ocifs_imageref_fini(&r);
	if (rc || o->no_layers)
		goto out;
	/* A registry image's missing layer indexes from its index artifact
	 * (idxart.h); into a temporary cache too, which spares this process
	 * reading every layer. */
	if (s->img->format == OCIFS_FMT_REGISTRY && !o->verify &&
	    !o->no_artifact) {
		unsigned got;
		ocifs_span as = ocifs_trace_begin("index artifact", sp);
		/* the view it ships, when the whole view is opened here */
		rc = ocifs_idxart_pull(s->img, s->cache_dir, 0, &got,
				       o->no_view || o->layer ? NULL : &sv);
		ocifs_trace_int(as, "ocifs.layers.installed", got);
		ocifs_trace_end(as);
		if (rc)
			goto out;
	}
	if (o->layer) {
		if (o->layer > s->img->nlayers) {
			log_err("%s: no layer %u (the image has %zu; layers are numbered from 1)",
				ref, o->layer, s->img->nlayers);
			rc = -EINVAL;
			goto out;
		}
		rc = open_layers(s, o, o->layer - 1, 1);
		goto out;
	}
	rc = open_layers(s, o, 0, s->img->nlayers);
	if (!rc && !o->no_view) {
		ocifs_span vs = ocifs_trace_begin("build view", sp);
		rc = ocifs_view_open_shipped(s->img, s->layers, s->cache_dir, &sv, &s->view);
		struct ocifs_view_stats st;
		if (!rc && (ocifs_view_stats(s->view, &st), st.from_artifact))
			log_info("%s: the merged view from the index artifact", ref);
		if (!rc && vs) {
			ocifs_trace_int(vs, "ocifs.inodes", (int64_t)st.inodes);
			ocifs_trace_int(vs, "ocifs.entries", (int64_t)st.names);
			ocifs_trace_int(vs, "ocifs.whiteouts", (int64_t)st.whiteouts);
			ocifs_trace_str(vs, "ocifs.view", st.from_cache      ? "cache"
							  : st.from_artifact ? "artifact"
									     : "built");
		} else if (rc) {
			ocifs_trace_error(vs, strerror(-rc));
		}
		ocifs_trace_end(vs);
	}
out:
	free(sv.data); /* not taken (an error, --layer): ocifs_view_open_shipped frees */
	if (rc)
		ocifs_trace_error(sp, strerror(-rc));
	ocifs_trace_end(sp);
	if (rc) {
		ocifs_session_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ocifs_session_close(struct ocifs_session *s)
{
	if (!s)
		return;
	ocifs_view_free(s->view);
	for (size_t i = 0; s->layers && i < s->nlayers; i++)
		ocifs_layer_close(s->layers[i]);
	free(s->layers);
	ocifs_image_free(s->img);
	if (s->spool) {
		if (s->spool->kept && !s->spool_kept && !s->handed_off)
			unlink(s->spool->kept); /* named for the mount's life */
		ocifs_spool_fini(s->spool);
		free(s->spool);
	}
	if (s->temp_cache && !s->handed_off)
		ocifs_cache_remove_tree(s->cache_dir);
	free(s->cache_dir);
	free(s);
}

void ocifs_session_handoff(struct ocifs_session *s)
{
	if (s)
		s->handed_off = 1;
}
