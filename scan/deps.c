/* SPDX-License-Identifier: MIT */
/*
 * /.deps (see deps.h): the pipeline (pipeline.h) with the /.deps
 * catalogers -- ELF (with UPX, Go, Rust, package note), scripts, the
 * library search -- over the merged view, rendered by deps_json.c. The
 * cached document (deps_doc.c) is made by ocifs_deps_build().
 */
#include <errno.h>
#include <string.h>

#include "clock.h"
#include "deps.h"
#include "deps_priv.h"
#include "log.h"
#include "pipeline.h"

/* The catalogers of /.deps, in run order. */
static const struct ocifs_cataloger *const deps_cats[] = {
	&ocifs_cat_elf,
	&ocifs_cat_script,
	&ocifs_cat_ldso,
};

int ocifs_deps_build(struct ocifs_image *img, const struct ocifs_view *v,
		     const struct ocifs_deps_opts *o, char **json, size_t *len,
		     struct ocifs_deps_stats *st)
{
	struct ocifs_pipeline_opts po = { .cats = deps_cats,
					  .ncats = sizeof(deps_cats) / sizeof(deps_cats[0]) };
	struct ocifs_deps_stats local;
	struct ocifs_model m;
	double t0 = ocifs_now();
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (o)
		ocifs_pipeline_limits(&po, o->threads, o->cancelled, o->cancel_ctx, o->timeout_ms, t0);
	rc = ocifs_pipeline_run(img, v, &po, &m);
	if (rc == 0) {
		double t = ocifs_now();
		rc = ocifs_deps_json_write(&m, img, json, len, st);
		log_dbg("deps: %zu files, document %.3f s", m.nfiles, ocifs_now() - t);
	}
	ocifs_model_fini(&m);
	st->secs = ocifs_now() - t0;
	return rc;
}

int ocifs_deps_one(struct ocifs_image *img, const struct ocifs_view *v, const char *path,
		   struct ocifs_model *m)
{
	struct ocifs_pipeline_opts po = { .cats = deps_cats,
					  .ncats = sizeof(deps_cats) / sizeof(deps_cats[0]),
					  .threads = 1, .only = path };

	return ocifs_pipeline_run(img, v, &po, m);
}
