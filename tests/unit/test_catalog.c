/* SPDX-License-Identifier: MIT */
/*
 * The cataloger interface (scan/catalog.h) and the pipeline that runs it
 * (scan/pipeline.h), with toy catalogers over a two-layer test image:
 * match() sees every regular file once with the index's magic flags,
 * analyze() gets exactly the bytes it asked for (whole file in pass 1,
 * a head in pass 2), once per inode or once per name, errors land in
 * the file's record, components are copied and ordered by cataloger,
 * then layer-stream order, then emission; finish() sees the whole model;
 * cancellation stops the run.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "catalog.h"
#include "image.h"
#include "layer.h"
#include "log.h"
#include "pipeline.h"
#include "tap.h"
#include "view.h"

static char root[] = "/tmp/ocifs-test-catalog.XXXXXX";

/* --- what match() saw (called single-threaded, during the walk) ------ */

#define SEEN_MAX 64
static struct {
	char path[256];
	uint32_t magic;
} seen[SEEN_MAX];
static size_t nseen;

static const uint32_t *seen_magic(const char *path)
{
	for (size_t i = 0; i < nseen; i++)
		if (!strcmp(seen[i].path, path))
			return &seen[i].magic;
	return NULL;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

/* --- toy 1: pass 1, whole files named *.toy ---------------------------- */

static atomic_int toy_calls;

static int toy_match(const char *path, uint32_t magic)
{
	if (nseen < SEEN_MAX) {
		snprintf(seen[nseen].path, sizeof(seen[0].path), "%s", path);
		seen[nseen++].magic = magic;
	}
	return ends_with(path, ".toy");
}

/* A component per line of the file ("name version"), and one more with
 * the file's size; a file starting with "fail" is an error. */
static int toy_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		       struct ocifs_emit *e)
{
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	char buf[512], name[128], version[128], size[32];
	size_t got = 0;

	(void)tree;
	atomic_fetch_add(&toy_calls, 1);
	if (!rd || rd->size != f->size || ocifs_rd_upto(rd, buf, sizeof(buf) - 1, 0, &got) ||
	    got != f->size)
		return -EPROTO; /* not the whole file: the test sees the error */
	buf[got] = '\0';
	if (!strncmp(buf, "fail", 4))
		return -EIO;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%127s %127s", name, version) != 2)
			continue;
		char *files[] = { f->path };
		struct ocifs_prop props[] = { { "toy:line", line } };
		struct ocifs_component c = { .type = "generic", .name = name, .version = version,
					     .kind = "library", .layer = f->layer, .files = files,
					     .nfiles = 1, .props = props, .nprops = 1 };
		if (ocifs_emit_component(e, &c))
			return -ENOMEM;
	}
	snprintf(size, sizeof(size), "%llu", (unsigned long long)f->size);
	struct ocifs_component c = { .type = "generic", .name = "size", .version = size };
	return ocifs_emit_component(e, &c);
}

/* The whole model at the end: one component naming how many records. */
static int toy_finish(struct ocifs_model *m, void *state, struct ocifs_emit *e)
{
	char n[32];

	snprintf(n, sizeof(n), "%zu", m->nfiles);
	struct ocifs_component c = { .type = "generic", .name = "files", .version = n };
	return state == NULL && !ocifs_emit_file(e) ? ocifs_emit_component(e, &c) : -EINVAL;
}

static const struct ocifs_cataloger toy = {
	.name = "toy",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = toy_match,
	.analyze = toy_analyze,
	.finish = toy_finish,
};

/* --- toy 2: pass 2, the first 4 bytes of scripts, every name ----------- */

static int head_match(const char *path, uint32_t magic)
{
	(void)path;
	return (magic & OCIFS_EF_SCRIPT) != 0;
}

static int head_init(const struct ocifs_catalog_env *env, void **state)
{
	*state = (void *)env->tree; /* something to see in analyze */
	return 0;
}

static int head_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			struct ocifs_emit *e)
{
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	char buf[8] = { 0 };
	size_t got = 0;

	if (!rd || ocifs_emit_state(e) != tree || ocifs_emit_keeping(e) ||
	    ocifs_rd_upto(rd, buf, sizeof(buf), 0, &got))
		return -EPROTO;
	char *files[] = { f->path };
	struct ocifs_component c = { .type = "generic", .name = f->path, .version = buf,
				     .files = files, .nfiles = 1,
				     .layer = ocifs_emit_bytes(e)->layer };
	return got == 4 ? ocifs_emit_component(e, &c) : -EPROTO;
}

static const struct ocifs_cataloger head = {
	.name = "head",
	.pass = 2,
	.flags = OCIFS_CAT_EACH_NAME,
	.want = 4,
	.match = head_match,
	.init = head_init,
	.analyze = head_analyze,
};

/* --- the image --------------------------------------------------------- */

static int cancel_now(void *ctx)
{
	(void)ctx;
	return 1;
}

static const struct ocifs_component *comp(const struct ocifs_model *m, size_t i)
{
	return i < m->ncomps ? &m->comps[i] : NULL;
}

static const char *cname(const struct ocifs_model *m, size_t i)
{
	const struct ocifs_component *c = comp(m, i);

	return c && c->name ? c->name : "(none)";
}

static void run_tests(struct ocifs_image *img, const struct ocifs_view *v)
{
	const struct ocifs_cataloger *const cats[] = { &toy, &head };
	struct ocifs_pipeline_opts o = { .cats = cats, .ncats = 2, .threads = 2 };
	struct ocifs_model m;

	ok(ocifs_pipeline_run(img, v, &o, &m) == 0, "the pipeline runs two toy catalogers");
	/* match: every regular file once, with its magic; no directory */
	ok(nseen == 8, "match: called for each of the 8 regular files (%zu)", nseen);
	const uint32_t *mg;
	ok((mg = seen_magic("/bin/tool")) && (*mg & OCIFS_EF_ELF) && !(*mg & OCIFS_EF_SCRIPT),
	   "match: an ELF file comes with OCIFS_EF_ELF");
	ok((mg = seen_magic("/bin/run.sh")) && (*mg & OCIFS_EF_SCRIPT),
	   "match: a #! file comes with OCIFS_EF_SCRIPT");
	ok((mg = seen_magic("/data/a.toy")) && !(*mg & (OCIFS_EF_ELF | OCIFS_EF_SCRIPT)),
	   "match: a text file has no magic flag");
	ok(!seen_magic("/data") && !seen_magic("/bin"), "match: never a directory");
	ok(!seen_magic("/data/old.toy"), "match: a whited-out file is not offered");
	/* the model: the matched names only, in layer-stream order */
	ok(m.nfiles == 6, "model: the 6 matched names (%zu)", m.nfiles);
	int order = 1;
	for (size_t i = 1; i < m.nfiles; i++)
		order &= m.files[i - 1].layer <= m.files[i].layer;
	ok(order, "model: in layer order");
	/* pass 1 once per inode (hard link), the whole bytes (else -EPROTO) */
	is_int(atomic_load(&toy_calls), 3, "pass 1: once per inode (a.toy, b.toy, bad.toy)");
	/* components: toy's in stream order (a.toy in layer 1, then b.toy =
	 * c.toy in layer 2), each file's in emission order, finish last;
	 * then head's, one per name of run.sh */
	is_str(cname(&m, 0), "alpha", "component 0: a.toy's first line");
	is_str(cname(&m, 1), "beta", "component 1: a.toy's second line (emission order)");
	is_str(cname(&m, 2), "size", "component 2: a.toy's size");
	ok(comp(&m, 2) && !strcmp(comp(&m, 2)->version, "19"), "  a.toy is 19 bytes");
	is_str(cname(&m, 3), "gamma", "component 3: b.toy's (layer 2) after a.toy's");
	is_str(cname(&m, 5), "files", "component 5: finish()'s, last of toy's");
	ok(comp(&m, 5) && !strcmp(comp(&m, 5)->version, "6") && comp(&m, 5)->origin_ == SIZE_MAX,
	   "  finish() saw the whole model");
	const struct ocifs_component *c0 = comp(&m, 0);
	ok(c0 && !strcmp(c0->cataloger, "toy") && !strcmp(c0->type, "generic") &&
	   !strcmp(c0->kind, "library") && c0->nfiles == 1 && !strcmp(c0->files[0], "/data/a.toy") &&
	   c0->nprops == 1 && !strcmp(c0->props[0].value, "alpha 1.0") && c0->layer == 0,
	   "component: copied with its files, properties and layer");
	ok(m.ncomps == 8 && !strcmp(comp(&m, 6)->cataloger, "head") &&
	   !strcmp(comp(&m, 7)->cataloger, "head"),
	   "pass 2, every name: a component per name of the hard-linked script (%zu)", m.ncomps);
	ok(m.ncomps == 8 && !strcmp(comp(&m, 6)->version, "#!/b") &&
	   !strcmp(comp(&m, 7)->version, "#!/b"), "pass 2: the 4-byte head");
	/* an analyze() error lands in the file's record */
	const struct ocifs_mfile *bad = NULL;
	for (size_t i = 0; i < m.nfiles; i++)
		if (!strcmp(m.files[i].path, "/data/bad.toy"))
			bad = &m.files[i];
	ok(bad && bad->error && !strcmp(bad->error, "toy: Input/output error"),
	   "an analyze() error is the file's error (%s)", bad && bad->error ? bad->error : "none");
	int others = 1;
	for (size_t i = 0; i < m.nfiles; i++)
		others &= &m.files[i] == bad || !m.files[i].error;
	ok(others, "no other file has an error (each toy got what it wanted)");
	ocifs_model_fini(&m);
	ok(!m.files && !m.comps && !m.nfiles, "ocifs_model_fini empties the model");

	o.cancelled = cancel_now;
	is_int(ocifs_pipeline_run(img, v, &o, &m), -EINTR, "cancelled: -EINTR");
	ocifs_model_fini(&m);
	o.cancelled = NULL;
	o.ncats = 0;
	is_int(ocifs_pipeline_run(img, v, &o, &m), -EINVAL, "no cataloger: -EINVAL");
	ocifs_model_fini(&m);
}

int main(void)
{
	struct ocifs_image *img = NULL;
	struct ocifs_layer **layers = NULL;
	struct ocifs_view *v = NULL;
	char dir[4200], *cache = NULL;
	int rc;

	ocifs_log_threshold = OCIFS_LOG_ERR;
	if (!mkdtemp(root))
		return ok(0, "mkdtemp"), done_testing();
	snprintf(dir, sizeof(dir), "%s/img", root);
	/* layer 1: a.toy, an ELF, old.toy (whited out later); layer 2: b.toy
	 * hard-linked as c.toy, bad.toy, a script hard-linked twice */
	if (!ok(tap_sh("cd '%s' && mkdir -p l1/data l1/bin l2/data l2/bin && "
		       "printf 'alpha 1.0\\nbeta 2.0\\n' >l1/data/a.toy && "
		       "printf 'old 0\\n' >l1/data/old.toy && "
		       "printf '\\177ELF\\002\\001\\001' >l1/bin/tool && "
		       "printf 'gamma 3\\n' >l2/data/b.toy && ln l2/data/b.toy l2/data/c.toy && "
		       "printf 'fail\\n' >l2/data/bad.toy && touch l2/data/.wh.old.toy && "
		       "printf '#!/bin/sh\\necho\\n' >l2/bin/run.sh && ln l2/bin/run.sh l2/bin/go.sh && "
		       "printf 'plain\\n' >l2/data/readme && "
		       "(cd l1 && tar -cf ../l1.tar .) && (cd l2 && tar -cf ../l2.tar .) && "
		       "bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && mkoci %s l1.tar l2.tar' >/dev/null",
		       root, dir) == 0,
		"a two-layer test image") ||
	    !ok(ocifs_image_open(dir, NULL, &img) == 0, "the image opens"))
		goto out;
	setenv("XDG_CACHE_HOME", root, 1);
	if (!ok(ocifs_cache_open_dir(&cache) == 0, "a cache directory"))
		goto out;
	struct ocifs_layer_opts lo = { .cache_dir = cache };
	layers = calloc(img->nlayers, sizeof(*layers));
	rc = layers ? 0 : -ENOMEM;
	for (size_t i = 0; i < img->nlayers && !rc; i++)
		rc = ocifs_layer_open(img, i, &lo, &layers[i]);
	if (!rc)
		rc = ocifs_view_open(img, layers, cache, &v);
	if (ok(rc == 0, "the view opens"))
		run_tests(img, v);
out:
	ocifs_view_free(v);
	for (size_t i = 0; layers && img && i < img->nlayers; i++)
		if (layers[i])
			ocifs_layer_close(layers[i]);
	free(layers);
	ocifs_image_free(img);
	free(cache);
	tap_sh("rm -rf '%s'", root);
	return done_testing();
}
