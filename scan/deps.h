/* SPDX-License-Identifier: MIT */
/*
 * /.deps: every ELF and script of the merged view analyzed (elfinfo,
 * ldso, goinfo, upx, rustaudit, script), as one JSON document
 * (deps.json, schema in ocifs-deps(5)) and an lddtree-like text
 * (deps.txt). Built on first use and cached on disk under
 * <cache>/deps/<key>.json, key = sha256 of the ocifs version, the schema,
 * the build-id of the running ocifs (a rebuilt analyzer may answer
 * differently), the manifest digest and every layer digest, so a warm
 * read is a file read.
 */
#ifndef OCIFS_SCAN_DEPS_H
#define OCIFS_SCAN_DEPS_H
#include <stddef.h>

#include "doc.h"
#include "image.h"
#include "view.h"

#define OCIFS_DEPS_SCHEMA 1

/* deps.json's document kind: <cache>/deps/<key>.json, keyed by the
 * program (version and build-id), checked by its frame (deps_doc.c). */
extern const struct ocifs_doc_kind ocifs_deps_kind;

struct ocifs_deps_opts {
	const char *cache_dir;  /* NULL: neither read nor write the cache */
	unsigned threads;       /* 0: 2 */
	/* Cancellation of a build, polled by every build thread before each
	 * file and each library probe (so at least every few milliseconds):
	 * cancelled(cancel_ctx) nonzero stops the build with -EINTR. It is
	 * called concurrently from the build's threads: make it cheap and
	 * thread-safe (an atomic load). NULL: never cancelled. */
	int (*cancelled)(void *cancel_ctx);
	void *cancel_ctx;
	/* 0: no limit; else the build stops with -ETIMEDOUT once it has run
	 * this long (checked as often as cancelled). */
	unsigned timeout_ms;
};

struct ocifs_deps_stats {
	size_t files, elf, scripts, go, upx, unresolved, errors;
	int from_cache;
	double secs;
};

/** The deps.json document of img's merged view v: loaded from the cache
 *  or built (and then cached); a build of the same document going on in
 *  another thread or process is waited for (polling o->cancelled and
 *  o->timeout_ms) and its result loaded. *json is malloc'd (NUL-terminated, *len
 *  without it); st may be NULL; o may be NULL (defaults). 0, -ENOMEM, a
 *  read error of the view (logged), or, with nothing returned or cached,
 *  -EINTR (o->cancelled said so) or -ETIMEDOUT (o->timeout_ms passed);
 *  those two are not logged. Files that cannot be analyzed are reported
 *  in the document, not as errors. Thread-safe with respect to other
 *  views. */
int ocifs_deps_json(struct ocifs_image *img, const struct ocifs_view *v,
		    const struct ocifs_deps_opts *o, char **json, size_t *len,
		    struct ocifs_deps_stats *st);

/** The deps.json document of img's merged view v, built now (no cache
 *  is read or written; o->cache_dir is ignored): the pipeline with the
 *  /.deps catalogers, rendered from its model. *json is malloc'd
 *  (NUL-terminated, *len without it); st may be NULL; o may be NULL.
 *  0, -ENOMEM, a read error of the view, -EINTR or -ETIMEDOUT (see
 *  ocifs_deps_json; nothing returned then). Thread-safe with respect to
 *  other views. */
int ocifs_deps_build(struct ocifs_image *img, const struct ocifs_view *v,
		     const struct ocifs_deps_opts *o, char **json, size_t *len,
		     struct ocifs_deps_stats *st);

/** The /.deps analysis of the one file at path ("/"-rooted, as the view
 *  names it, no symlink followed) into *m (free it with
 *  ocifs_model_fini whatever the result): the same catalogers as the
 *  whole document, so the same verdict, with each file's `skipped`
 *  reason. m->nfiles is 0 when no /.deps cataloger wants the file. 0 or
 *  as ocifs_deps_build. */
struct ocifs_model;
int ocifs_deps_one(struct ocifs_image *img, const struct ocifs_view *v, const char *path,
		   struct ocifs_model *m);

/** Select from a deps.json document the files keep() accepts (keep NULL:
 *  all; unresolved is 1 when the file has a library ld.so would not
 *  find) and print them as JSON (as_text 0: the same document with only
 *  those files) or as the lddtree-like text of deps.txt (as_text 1). 0 and
 *  a malloc'd string, -EBADMSG if json is not a deps document, -ENOMEM. */
int ocifs_deps_select(const char *json, size_t len,
		      int (*keep)(void *ctx, const char *path, int unresolved), void *ctx,
		      int as_text, char **out, size_t *out_len);

#endif
