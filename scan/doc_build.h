/* SPDX-License-Identifier: MIT */
/*
 * A generated document of scan/ (deps.json, the SBOM) through the
 * document cache (src/doc.h) within a deadline: loaded, or built once
 * under the cache's lock while waiting builders poll cancellation and
 * the deadline, and given what is left of the deadline when they build.
 */
#ifndef OCIFS_SCAN_DOC_BUILD_H
#define OCIFS_SCAN_DOC_BUILD_H
#include <stddef.h>

#include "doc.h"
#include "image.h"

struct ocifs_doc_job {
	const struct ocifs_doc_kind *kind;
	struct ocifs_image *img;
	const char *cache_dir;          /* NULL: build, never cached */
	const void *extra;              /* more key bytes, or NULL */
	size_t extra_len;
	int (*cancelled)(void *cancel_ctx); /* NULL: never */
	void *cancel_ctx;
	unsigned timeout_ms;            /* 0: none */
	/** Build the document now, within timeout_ms (0: none): 0 and a
	 *  malloc'd NUL-terminated *buf, or a negative errno. */
	int (*build)(void *ctx, unsigned timeout_ms, char **buf, size_t *len);
	void *ctx;
};

/** The document j asks for. 0 and *buf (malloc'd, NUL-terminated,
 *  *len without it), *from_cache (may be NULL); the build's error,
 *  -EINTR (cancelled) or -ETIMEDOUT (the deadline passed, also while
 *  waiting for another builder). */
int ocifs_doc_job_run(const struct ocifs_doc_job *j, char **buf, size_t *len, int *from_cache);

#endif
