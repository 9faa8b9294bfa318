/* SPDX-License-Identifier: MIT */
/*
 * The SBOM as a cached document (src/doc.h): its kind
 * (sbom/<key>.cdx.json, keyed by the program and SOURCE_DATE_EPOCH),
 * frame check, and ocifs_sbom_cdx(), the cached face of
 * ocifs_sbom_build().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "doc_build.h"
#include "sbom.h"
#include "sbom_priv.h"

#define CDX_HEAD "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n"

/* Frame only (written whole by rename; whoever derives SPDX parses it
 * in full). data is NUL-terminated. */
static int sbom_check(void *ctx, const void *data, size_t n)
{
	const char *b = data;

	(void)ctx;
	if (n <= sizeof(CDX_HEAD) || memcmp(b, CDX_HEAD, sizeof(CDX_HEAD) - 1) ||
	    strcmp(b + n - 2, "}\n") || !strstr(b, "\n  \"dependencies\": ["))
		return -ESTALE;
	return 0;
}

const struct ocifs_doc_kind ocifs_sbom_kind = {
	.name = "sbom",
	.schema = OCIFS_SBOM_SCHEMA,
	.key_flags = OCIFS_DOC_KEY_PROGRAM,
	.subdir = "sbom",
	.ext = ".cdx.json",
	.check = sbom_check,
};

struct sbom_req {
	struct ocifs_image *img;
	const struct ocifs_view *v;
	const struct ocifs_sbom_opts *o;
	struct ocifs_sbom_stats *st;
};

static int sbom_make(void *ctx, unsigned timeout_ms, char **cdx, size_t *len)
{
	const struct sbom_req *r = ctx;
	struct ocifs_sbom_opts o = *r->o;

	o.cache_dir = NULL;
	o.timeout_ms = timeout_ms;
	return ocifs_sbom_build(r->img, r->v, &o, cdx, len, r->st);
}

int ocifs_sbom_cdx(struct ocifs_image *img, const struct ocifs_view *v,
		   const struct ocifs_sbom_opts *o, char **cdx, size_t *len,
		   struct ocifs_sbom_stats *st)
{
	struct ocifs_sbom_stats local;
	struct sbom_req sr = { .img = img, .v = v, .o = o };
	double t0 = ocifs_now();
	char epoch[32];
	int rc, from_cache;

	if (!o || !o->cache_dir)
		return ocifs_sbom_build(img, v, o, cdx, len, st);
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	sr.st = st;
	ocifs_sbom_epoch(epoch); /* a document with a timestamp is another document */
	struct ocifs_doc_job j = {
		.kind = &ocifs_sbom_kind, .img = img, .cache_dir = o->cache_dir,
		.extra = epoch, .extra_len = strlen(epoch),
		.cancelled = o->cancelled, .cancel_ctx = o->cancel_ctx, .timeout_ms = o->timeout_ms,
		.build = sbom_make, .ctx = &sr,
	};
	if ((rc = ocifs_doc_job_run(&j, cdx, len, &from_cache)))
		return rc;
	st->from_cache = from_cache;
	st->secs = ocifs_now() - t0;
	return 0;
}
