/* SPDX-License-Identifier: MIT */
/*
 * The table of generated documents (docs.h) and the glue from a row to
 * the code that makes it.
 */
#include <stddef.h>

#include "deps.h"
#include "docs.h"
#include "sbom.h"
#include "trace_otlp.h"

static int docs_deps_json(const struct ocifs_docs_ctx *c, char **buf, size_t *len)
{
	struct ocifs_deps_opts o = {
		.cache_dir = c->cache_dir,
		.cancelled = c->cancelled,
		.cancel_ctx = c->cancel_ctx,
		.timeout_ms = c->timeout_ms,
	};

	return ocifs_deps_json(c->img, c->view, &o, buf, len, NULL);
}

static int docs_deps_txt(const char *json, size_t len, char **buf, size_t *out_len)
{
	return ocifs_deps_select(json, len, NULL, NULL, 1, buf, out_len);
}

static int docs_sbom_cdx(const struct ocifs_docs_ctx *c, char **buf, size_t *len)
{
	struct ocifs_sbom_opts o = {
		.cache_dir = c->cache_dir,
		.cancelled = c->cancelled,
		.cancel_ctx = c->cancel_ctx,
		.timeout_ms = c->timeout_ms,
	};

	return ocifs_sbom_cdx(c->img, c->view, &o, buf, len, NULL);
}

/* The mount's own trace so far (live: the session's spans, then every
 * document built since). */
static int docs_trace_json(const struct ocifs_docs_ctx *c, char **buf, size_t *len)
{
	(void)c;
	return ocifs_trace_otlp(buf, len);
}

static const struct ocifs_docs_row docs_rows[] = {
	{ "deps.json", ".deps", "deps", "application/json", &ocifs_deps_kind, -1,
	  docs_deps_json, NULL, 0 },
	{ "deps.txt", NULL, "deps.txt", "text/plain; charset=utf-8", NULL, 0, NULL,
	  docs_deps_txt, 0 },
	{ "sbom.cdx.json", ".sbom", "sbom", "application/vnd.cyclonedx+json", &ocifs_sbom_kind, -1,
	  docs_sbom_cdx, NULL, 0 },
	{ "sbom.spdx.json", NULL, "sbom.spdx.json", "application/spdx+json", NULL, 2, NULL,
	  ocifs_sbom_spdx, 0 },
	{ "trace.json", NULL, "trace", "application/json", NULL, -1, docs_trace_json, NULL, 1 },
};

const struct ocifs_docs_row *ocifs_docs_table(size_t *n)
{
	*n = sizeof(docs_rows) / sizeof(docs_rows[0]);
	return docs_rows;
}
