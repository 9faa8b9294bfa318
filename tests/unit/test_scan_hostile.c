/* SPDX-License-Identifier: MIT */
/*
 * The /.deps analyzer against hostile inputs (issue #9): a build that is
 * cancelled or runs out of time stops promptly with -EINTR / -ETIMEDOUT;
 * ld.so.conf include fan-out and huge directory lists; objects with many
 * missing NEEDED and a huge RUNPATH stay within a probe budget and say
 * they were truncated. Results are checked, never timings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include "cache.h"
#include "deps.h"
#include "image.h"
#include "layer.h"
#include "view.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "ldso_oracle.h" /* ldso_write_so, ldso_put, ldso_elf_of */
#pragma GCC diagnostic pop
#include "ldconf.h"
#include "log.h"
#include "tap.h"

static char root[] = "/tmp/ocifs-scan-hostile.XXXXXX";

/* --- the library search's stop hook ----------------------------------- */

struct stopper {
	unsigned calls, after;
	int err;
};

static int stop_after(void *ctx)
{
	struct stopper *s = ctx;

	return ++s->calls > s->after ? s->err : 0;
}

/* /many: 50 NEEDED not in the image, a RUNPATH of 2000 directories. */
static int write_many(const char *path, size_t nneeded, size_t ndirs)
{
	char **need = calloc(nneeded, sizeof(*need)), *rp = malloc(ndirs * 16 + 1), full[4096];
	size_t o = 0;
	int rc = -1;

	if (!need || !rp)
		goto out;
	for (size_t i = 0; i < nneeded; i++)
		if (asprintf(&need[i], "libmissing%zu.so.1", i) < 0)
			goto out;
	rp[0] = '\0';
	for (size_t i = 0; i < ndirs; i++)
		o += (size_t)sprintf(rp + o, "%s/opt/d%zu", i ? ":" : "", i);
	snprintf(full, sizeof(full), "%s%s", root, path);
	rc = ldso_write_so(full, "/lib64/ld-linux-x86-64.so.2", NULL, (const char *const *)need,
			   nneeded, NULL, rp);
out:
	for (size_t i = 0; need && i < nneeded; i++)
		free(need[i]);
	free(need);
	free(rp);
	return rc;
}

static int resolve_with(const char *path, const struct ocifs_ldso_opts *o,
			struct ocifs_ldso_result *r)
{
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_ldso *l;
	struct ocifs_elf e;
	char full[4096];
	int rc;

	memset(r, 0, sizeof(*r));
	t.ctx = root;
	snprintf(full, sizeof(full), "%s%s", root, path);
	if (ocifs_ldso_new(&t, o, &l) != 0)
		return -ENOMEM;
	if ((rc = ldso_elf_of(full, &e)) == 0)
		rc = ocifs_ldso_resolve(l, path, &e, r);
	ocifs_elf_fini(&e);
	ocifs_ldso_free(l);
	return rc;
}

static void stop_tests(void)
{
	struct ocifs_ldso_result r;
	struct stopper s = { 0, 10, -EINTR };
	struct ocifs_ldso_opts o = { .stop = stop_after, .stop_ctx = &s };

	is_int(resolve_with("/usr/bin/many", &o, &r), -EINTR, "stop hook: resolution returns -EINTR");
	ok(s.calls == 11, "stop hook: polled once per probe, none after it said stop (%u calls)",
	   s.calls);
	ok(r.n == 0 && !r.libs && !r.note, "stop hook: no partial result");
	ocifs_ldso_result_fini(&r);
	s = (struct stopper){ 0, 0, -ETIMEDOUT };
	is_int(resolve_with("/usr/bin/many", &o, &r), -ETIMEDOUT, "stop hook: -ETIMEDOUT passed through");
	ocifs_ldso_result_fini(&r);
	s = (struct stopper){ 0, ~0u, -EINTR };
	is_int(resolve_with("/usr/bin/many", &o, &r), 0, "stop hook never firing: resolved");
	ok(s.calls > 50, "stop hook: polled during the search (%u calls)", s.calls);
	ocifs_ldso_result_fini(&r);
}

/* 3000 libraries, each needing the next 256: every NEEDED after the
 * first few is "loaded", and that check was a walk over every loaded
 * object and its names (3000 x 256 x 3000). */
static void wide_tests(void)
{
	enum { NLIB = 3000, FAN = 256 };
	char **names = calloc(NLIB, sizeof(*names)), path[4200];
	const char **need = calloc(FAN, sizeof(*need));
	struct ocifs_ldso_result r;
	int good = names && need;

	for (int i = 0; good && i < NLIB; i++)
		good = asprintf(&names[i], "libw%d.so", i) > 0;
	snprintf(path, sizeof(path), "%s/w", root);
	good = good && mkdir(path, 0755) == 0;
	for (int i = 0; good && i < NLIB; i++) {
		for (int j = 0; j < FAN; j++)
			need[j] = names[(i + 1 + j) % NLIB];
		snprintf(path, sizeof(path), "%s/w/%s", root, names[i]);
		good = ldso_write_so(path, NULL, names[i], need, FAN, NULL, NULL) == 0;
	}
	for (int j = 0; j < FAN; j++)
		need[j] = names[j];
	snprintf(path, sizeof(path), "%s/usr/bin/wide", root);
	good = good && ldso_write_so(path, "/lib64/ld-linux-x86-64.so.2", NULL, need, FAN, "/w",
				     NULL) == 0;
	if (ok(good, "wide: %d libraries of %d NEEDED each", NLIB, FAN)) {
		is_int(resolve_with("/usr/bin/wide", NULL, &r), 0, "wide: resolved");
		size_t loaded = 0;
		for (size_t i = 0; i < r.nneeded; i++)
			loaded += !strcmp(r.needed[i].rule, "loaded");
		ok(r.n == NLIB && r.nunresolved == 0 && !r.truncated && loaded == 0,
		   "wide: each library once, all found (%zu)", r.n);
		ocifs_ldso_result_fini(&r);
	}
	for (int i = 0; names && i < NLIB; i++)
		free(names[i]);
	free(names);
	free(need);
}

/* --- the deps build's cancellation and deadline ------------------------ */

struct canceller {
	unsigned calls, after;  /* calls: atomic (the build's threads poll) */
	unsigned sleep_us;      /* per call: makes time pass for the deadline */
};

static int cancel_after(void *ctx)
{
	struct canceller *c = ctx;

	if (c->sleep_us) {
		struct timespec ts = { 0, (long)c->sleep_us * 1000 };
		nanosleep(&ts, NULL);
	}
	return __atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED) > c->after;
}

static void deps_cancel_tests(void)
{
	char dir[4200], *cache = NULL;
	struct ocifs_image *img = NULL;
	struct ocifs_layer **layers = NULL;
	struct ocifs_view *v = NULL;
	char *json = NULL;
	size_t len = 0;

	snprintf(dir, sizeof(dir), "%s/img", root);
	/* 40 ELFs, each with 20 NEEDED found nowhere and 100 RUNPATH dirs */
	if (!ok(tap_sh("cd '%s' && python3 \"$OCIFS_SRCDIR/tests/gen/mkmanyelf.py\" gen 40 20 100 && "
		       "(cd gen && tar -cf ../l.tar .) && bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && "
		       "mkoci %s l.tar' >/dev/null", root, dir) == 0, "deps: an image of 40 ELFs") ||
	    !ok(ocifs_image_open(dir, NULL, &img) == 0, "deps: the image opens"))
		return;
	setenv("XDG_CACHE_HOME", root, 1);
	if (!ok(ocifs_cache_open_dir(&cache) == 0, "deps: a cache directory")) {
		ocifs_image_free(img);
		return;
	}
	struct ocifs_layer_opts lo = { .cache_dir = cache };
	layers = calloc(img->nlayers, sizeof(*layers));
	int rc = layers ? 0 : -ENOMEM;
	for (size_t i = 0; i < img->nlayers && !rc; i++)
		rc = ocifs_layer_open(img, i, &lo, &layers[i]);
	if (!rc)
		rc = ocifs_view_open(img, layers, cache, &v);
	if (!ok(rc == 0, "deps: the view opens"))
		goto out;

	struct canceller c = { 0, 0, 0 };
	struct ocifs_deps_opts o = { .cache_dir = cache, .threads = 1, .cancelled = cancel_after,
				     .cancel_ctx = &c };
	is_int(ocifs_deps_json(img, v, &o, &json, &len, NULL), -EINTR, "deps: cancelled at once: -EINTR");
	ok(!json && c.calls == 1, "deps: nothing returned, polled once (%u)", c.calls);
	c = (struct canceller){ 0, 300, 0 };
	is_int(ocifs_deps_json(img, v, &o, &json, &len, NULL), -EINTR,
	       "deps: cancelled mid-search: -EINTR");
	ok(!json && c.calls == 301, "deps: polled per file and probe, none after stop (%u)", c.calls);
	o.threads = 2;
	c = (struct canceller){ 0, 300, 0 };
	is_int(ocifs_deps_json(img, v, &o, &json, &len, NULL), -EINTR, "deps: 2 threads: -EINTR");
	ok(c.calls >= 301 && c.calls <= 303, "deps: 2 threads stop at once (%u polls)", c.calls);
	/* a deadline: each poll sleeps 2 ms, the limit is 1 ms */
	c = (struct canceller){ 0, ~0u, 2000 };
	o.timeout_ms = 1;
	is_int(ocifs_deps_json(img, v, &o, &json, &len, NULL), -ETIMEDOUT,
	       "deps: past the deadline: -ETIMEDOUT");
	ok(!json && c.calls <= 3, "deps: stopped at the next poll (%u)", c.calls);
	/* nothing was cached by the stopped builds; a full one works */
	c = (struct canceller){ 0, ~0u, 0 };
	o.timeout_ms = 0;
	struct ocifs_deps_stats st;
	ok(ocifs_deps_json(img, v, &o, &json, &len, &st) == 0 && json && !st.from_cache &&
	   st.elf == 40, "deps: not cancelled: the document, built (not from a cache)");
	ok(c.calls > 300, "deps: polled %u times during a full build", c.calls);
	free(json);
	json = NULL;
	ok(ocifs_deps_json(img, v, NULL, &json, &len, NULL) == 0 && json,
	   "deps: NULL options still work");
	free(json);
out:
	ocifs_view_free(v);
	for (size_t i = 0; layers && i < img->nlayers; i++)
		if (layers[i])
			ocifs_layer_close(layers[i]);
	free(layers);
	ocifs_image_free(img);
	free(cache);
}

int main(void)
{
	char cmd[4200];

	ocifs_log_threshold = OCIFS_LOG_ERR; /* hostile inputs warn by design */
	if (!mkdtemp(root))
		return ok(0, "mkdtemp"), done_testing();
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/usr/bin %s/etc %s/lib64 %s/opt", root, root, root,
		 root);
	if (!ok(tap_sh("%s", cmd) == 0 && write_many("/usr/bin/many", 50, 2000) == 0,
		"hostile tree"))
		return done_testing();
	stop_tests();
	wide_tests();
	deps_cancel_tests();
	tap_sh("rm -rf '%s'", root);
	return done_testing();
}
