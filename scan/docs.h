/* SPDX-License-Identifier: MIT */
/*
 * The generated documents of an image, one row each: what /.ocifs/
 * serves (and aliases in the root), how each is made, and from what.
 * A new document (/.sbom, trace.json) is one row here plus its build
 * function; fs/virt.c serves whatever this table lists.
 *
 * A row is either built (build(), usually through the document cache of
 * src/doc.h, its kind named in the row) or derived from an earlier row's
 * bytes (derive(), cheap and not cached: deps.txt from deps.json).
 */
#ifndef OCIFS_SCAN_DOCS_H
#define OCIFS_SCAN_DOCS_H
#include <stddef.h>

#include "doc.h"
#include "image.h"
#include "view.h"

/* What a document is made from, and when to stop making it. */
struct ocifs_docs_ctx {
	struct ocifs_image *img;
	const struct ocifs_view *view;
	const char *cache_dir;          /* NULL: no cache */
	/* Polled by long builds: nonzero stops them with -EINTR. */
	int (*cancelled)(void *cancel_ctx);
	void *cancel_ctx;
	unsigned timeout_ms;            /* 0: none; else -ETIMEDOUT after */
};

struct ocifs_docs_row {
	const char *name;               /* its file name in /.ocifs/ */
	const char *alias;              /* the same file in the root, unless
					 * the image has that name; or NULL */
	const char *what;               /* what log lines call it */
	const char *content_type;       /* media type of its bytes */
	const struct ocifs_doc_kind *kind; /* its cache (schema, file name,
					 * key), or NULL when not cached */
	int from;                       /* -1: built; else derived from row
					 * `from` (an earlier row) */
	/** Build it: 0 and *buf malloc'd (NUL-terminated, *len without
	 *  it), or -EINTR/-ETIMEDOUT (c said so, not logged) or another
	 *  negative errno. */
	int (*build)(const struct ocifs_docs_ctx *c, char **buf, size_t *len);
	/** Derive it from the bytes of row `from`: as build. */
	int (*derive)(const char *src, size_t src_len, char **buf, size_t *len);
	int live;                       /* made again (by build, cheap, never
					 * cached) whenever it is looked up and
					 * has changed: the mount's own trace */
};

/** The table (*n rows), static and immutable. */
const struct ocifs_docs_row *ocifs_docs_table(size_t *n);

#endif
