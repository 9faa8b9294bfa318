/* SPDX-License-Identifier: MIT */
/*
 * The Java cataloger (pass 1, whole files): every *.jar, *.war, *.ear,
 * *.par, *.jpi and *.hpi of the view is read by java.h (pom.properties,
 * MANIFEST.MF, nested archives) and each Maven artifact found becomes a
 * component: pkg:maven/GROUP/ARTIFACT@VERSION, kind "library", the
 * archive's layer, source the archive ("/app.jar!/BOOT-INF/lib/x.jar"
 * for a nested one), the sha256 of the archive it identifies. What
 * could not be read is the file's error and each component's
 * "ocifs:error".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include "archive_walk.h"
#include "catalog.h"
#include "java.h"
#include "log.h"

static int java_match(const char *path, uint32_t magic)
{
	static const char *const ext[] = { ".jar", ".war", ".ear", ".par", ".jpi", ".hpi" };
	size_t n = strlen(path);

	(void)magic; /* a jar may carry a launch script before its zip data */
	if (n < 5)
		return 0;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (!strcasecmp(path + n - 4, ext[i]))
			return 1;
	return 0;
}

static int java_emit(struct ocifs_emit *e, const struct ocifs_mfile *f,
		     const struct ocifs_java_pkg *p, const char *error)
{
	char *files[1] = { f->path }, *source;
	struct ocifs_prop props[2] = {
		{ "ocifs:java:origin", (char *)p->origin },
		{ "ocifs:error", (char *)error },
	};
	int rc;

	if (asprintf(&source, "%s%s", f->path, p->where) < 0)
		return -ENOMEM;
	struct ocifs_component c = {
		.type = "maven",
		.namespace_ = p->group,
		.name = p->artifact,
		.version = p->version,
		.kind = "library",
		.layer = f->layer,
		.source = source,
		.files = files,
		.nfiles = 1,
		.has_sha256 = p->has_sha256,
		.props = props,
		.nprops = error ? 2 : 1,
	};
	memcpy(c.sha256, p->sha256, sizeof(c.sha256));
	rc = ocifs_emit_component(e, &c);
	free(source);
	return rc;
}

/* Without libarchive every jar would come out empty: say so once a
 * process, when the first archive is wanted. */
static pthread_once_t unavailable_once = PTHREAD_ONCE_INIT;

static void warn_unavailable(void)
{
	const char *why = ocifs_archive_unavailable();

	if (why)
		log_warn("java: libarchive cannot be loaded (%s): the contents of jar, war and "
			 "ear files are not analyzed", why);
}

static int java_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			struct ocifs_emit *e)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);
	const struct ocifs_mfile *b = ocifs_emit_bytes(e);
	const struct ocifs_catalog_env *env = ocifs_emit_env(e);
	struct ocifs_java_opts o;
	struct ocifs_java_result r;
	int rc;

	(void)tree;
	pthread_once(&unavailable_once, warn_unavailable);
	ocifs_java_opts_default(&o);
	if (env) {
		o.budget.stop = env->stop;
		o.budget.stop_ctx = env->stop_ctx;
	}
	if (b->magic & OCIFS_EF_HASHED)
		o.sha256 = b->sha256;
	rc = ocifs_java_scan(rd, f->path, &o, &r);
	for (size_t i = 0; !rc && i < r.npkgs; i++)
		rc = java_emit(e, f, &r.pkgs[i], r.error);
	if (r.error && !f->error && asprintf(&f->error, "java: %s", r.error) < 0)
		f->error = NULL;
	/* nothing found and a reason (a cut or garbage archive, libarchive
	 * not loadable): the file's skip reason */
	if (!rc && !r.npkgs && r.error)
		ocifs_emit_skip(e, NULL, "java: %s", r.error);
	ocifs_java_result_fini(&r);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_java = {
	.name = "java",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = java_match,
	.analyze = java_analyze,
};
