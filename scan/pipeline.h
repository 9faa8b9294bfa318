/* SPDX-License-Identifier: MIT */
/*
 * The pipeline: walks the merged view once, feeds every regular file to
 * the catalogers (catalog.h) that match it and collects what they found
 * into the model (model.h). How it reads (the design /.deps was tuned
 * for; see pipeline.c): files in layer-stream order so one forward
 * cursor per thread decompresses each layer about once, small files
 * slurped, big ones analyzed in place, the ranges the analyses read kept
 * for the later passes, every pass on `threads` threads over contiguous
 * slices, cancellation and a deadline polled per file.
 */
#ifndef OCIFS_SCAN_PIPELINE_H
#define OCIFS_SCAN_PIPELINE_H
#include <stddef.h>

#include "catalog.h"
#include "image.h"
#include "model.h"
#include "view.h"

struct ocifs_pipeline_opts {
	const struct ocifs_cataloger *const *cats; /* run in this order (at most 64) */
	size_t ncats;
	unsigned threads;       /* 0: 2; at most 8 are used */
	int (*cancelled)(void *cancel_ctx); /* see ocifs_deps_opts; NULL: never */
	void *cancel_ctx;
	double deadline;        /* ocifs_now() seconds; 0: none */
	const char *only;       /* NULL: every file; else this path alone (as
				 * the view names it, "/"-rooted, no symlink
				 * followed): `ocifs explain`'s analysis of one
				 * file, the same as in the whole run */
};

/** The limits of a document build in o: threads, cancellation, and a
 *  deadline timeout_ms (0: none) after t0 (ocifs_now() seconds). */
static inline void ocifs_pipeline_limits(struct ocifs_pipeline_opts *o, unsigned threads,
					 int (*cancelled)(void *), void *cancel_ctx,
					 unsigned timeout_ms, double t0)
{
	o->threads = threads;
	o->cancelled = cancelled;
	o->cancel_ctx = cancel_ctx;
	o->deadline = timeout_ms ? t0 + timeout_ms / 1e3 : 0;
}

/** Run the catalogers o->cats over img's merged view v into *m (which need
 *  not be initialised; free it with ocifs_model_fini whatever the
 *  result). 0, -ENOMEM, -EINVAL (no or too many catalogers), -EINTR
 *  (cancelled), -ETIMEDOUT (deadline passed), or a cataloger init()'s
 *  error. What a file's analysis could not do is recorded in the model
 *  (mfile.error), not returned. Thread-safe with respect to other views. */
int ocifs_pipeline_run(struct ocifs_image *img, const struct ocifs_view *v,
		       const struct ocifs_pipeline_opts *o, struct ocifs_model *m);

/** The value of variable key in the image config's Env, or NULL. */
const char *ocifs_pipeline_env(const struct ocifs_image *img, const char *key);

#endif
