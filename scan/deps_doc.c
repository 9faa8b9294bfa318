/* SPDX-License-Identifier: MIT */
/*
 * deps.json as a cached document (src/doc.h): its kind (deps/<key>.json,
 * keyed by the program's version and build-id) and frame check, and
 * ocifs_deps_json(), the cached face of ocifs_deps_build().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deps.h"
#include "doc.h"

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
	double deadline;        /* 0: none */
};

/* Waiting for another builder ends as a build would: on cancel, or at
 * the deadline. */
static int deps_give_up(void *ctx)
{
	const struct deps_req *r = ctx;

	return (r->o->cancelled && r->o->cancelled(r->o->cancel_ctx)) ||
	       (r->deadline && ocifs_now() >= r->deadline);
}

static int deps_make(void *ctx, void **data, size_t *len)
{
	const struct deps_req *r = ctx;
	struct ocifs_deps_opts o = *r->o;
	char *json = NULL;
	int rc;

	o.cache_dir = NULL;
	if (r->deadline) { /* what is left of it after waiting for the lock */
		double left = r->deadline - ocifs_now();
		if (left <= 0)
			return -ETIMEDOUT;
		o.timeout_ms = left * 1e3 < 1 ? 1 : (unsigned)(left * 1e3);
	}
	rc = ocifs_deps_build(r->img, r->v, &o, &json, len, r->st);
	*data = json;
	return rc;
}

int ocifs_deps_json(struct ocifs_image *img, const struct ocifs_view *v,
		    const struct ocifs_deps_opts *o, char **json, size_t *len,
		    struct ocifs_deps_stats *st)
{
	struct ocifs_deps_stats local;
	double t0 = ocifs_now();
	struct deps_req dr = { .img = img, .v = v, .o = o };
	struct ocifs_doc_req r = {
		.kind = &ocifs_deps_kind, .img = img, .ctx = &dr, .build = deps_make,
	};
	struct ocifs_doc d;
	int rc;

	if (!o || !o->cache_dir)
		return ocifs_deps_build(img, v, o, json, len, st);
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	dr.st = st;
	if (o->timeout_ms)
		dr.deadline = t0 + o->timeout_ms / 1e3;
	r.cache_dir = o->cache_dir;
	if (o->cancelled || o->timeout_ms) {
		r.cancelled = deps_give_up;
		r.cancel_ctx = &dr;
	}
	rc = ocifs_doc_get(&r, &d);
	if (rc == -EINTR && dr.deadline && !(o->cancelled && o->cancelled(o->cancel_ctx)))
		rc = -ETIMEDOUT; /* gave up waiting at the deadline */
	if (rc)
		return rc;
	*json = d.data;
	*len = d.len;
	st->from_cache = d.from_cache;
	st->secs = ocifs_now() - t0;
	return 0;
}
