/* SPDX-License-Identifier: MIT */
/*
 * deps.json as a cached document (src/doc.h): its kind (deps/<key>.json,
 * keyed by the program's version and build-id) and frame check, and
 * ocifs_deps_json(), the cached face of ocifs_deps_build() (doc_build.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deps.h"
#include "doc.h"
#include "doc_build.h"

/* Only the frame of a cached document is checked (the schema line
 * first, the closing brace last, a files array): it was renamed into
 * place whole, and a full parse would cost more than the rest of a warm
 * open. Its bytes are served as they are; whoever parses them (deps.txt,
 * PATH selection) parses them in full. data is NUL-terminated. */
static int deps_check(void *ctx, const void *data, size_t n)
{
	const char *b = data;
	char head[64];
	int hl = snprintf(head, sizeof(head), "{\n  \"schema\": %d,\n", OCIFS_DEPS_SCHEMA);

	(void)ctx;
	if (n <= (size_t)hl + 2 || memcmp(b, head, (size_t)hl) || strcmp(b + n - 2, "}\n") ||
	    !strstr(b, "\n  \"files\": ["))
		return -ESTALE;
	return 0;
}

const struct ocifs_doc_kind ocifs_deps_kind = {
	.name = "deps",
	.schema = OCIFS_DEPS_SCHEMA,
	.key_flags = OCIFS_DOC_KEY_PROGRAM,
	.subdir = "deps",
	.ext = ".json",
	.check = deps_check,
};

struct deps_req {
	struct ocifs_image *img;
	const struct ocifs_view *v;
	const struct ocifs_deps_opts *o;
	struct ocifs_deps_stats *st;
};

static int deps_make(void *ctx, unsigned timeout_ms, char **json, size_t *len)
{
	const struct deps_req *r = ctx;
	struct ocifs_deps_opts o = *r->o;

	o.cache_dir = NULL;
	o.timeout_ms = timeout_ms;
	return ocifs_deps_build(r->img, r->v, &o, json, len, r->st);
}

int ocifs_deps_json(struct ocifs_image *img, const struct ocifs_view *v,
		    const struct ocifs_deps_opts *o, char **json, size_t *len,
		    struct ocifs_deps_stats *st)
{
	struct ocifs_deps_stats local;
	double t0 = ocifs_now();
	struct deps_req dr = { .img = img, .v = v, .o = o };
	int rc, from_cache;

	if (!o || !o->cache_dir)
		return ocifs_deps_build(img, v, o, json, len, st);
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	dr.st = st;
	struct ocifs_doc_job j = {
		.kind = &ocifs_deps_kind, .img = img, .cache_dir = o->cache_dir,
		.cancelled = o->cancelled, .cancel_ctx = o->cancel_ctx, .timeout_ms = o->timeout_ms,
		.build = deps_make, .ctx = &dr,
	};
	if ((rc = ocifs_doc_job_run(&j, json, len, &from_cache)))
		return rc;
	st->from_cache = from_cache;
	st->secs = ocifs_now() - t0;
	return 0;
}
