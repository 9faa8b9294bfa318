/* SPDX-License-Identifier: MIT */
/*
 * Generated documents and their cache: one key derivation, one loader
 * and one store for everything ocifs makes from an image and keeps on
 * disk (the merged view, deps.json, and what comes after: sbom, trace).
 *
 * A document kind (struct ocifs_doc_kind) says where its files live and
 * how a loaded file is checked; ocifs_doc_get() answers a request from
 * the cache or builds, stores and answers it:
 *
 *   key  = sha256(tag, [build-id], manifest digest, layer digests
 *                 [+ diff_ids], extra)
 *   file = <cache>/<subdir>/<hex of key><ext>
 *
 * tag is "ocifs-<name> <version> schema <schema>\n" followed by the
 * build-id of the running program for kinds whose bytes depend on the
 * analyzing code (OCIFS_DOC_KEY_PROGRAM: a rebuilt ocifs does not trust
 * what an older build wrote), or "ocifs-<name>-<schema>\n" for kinds
 * whose bytes are fixed by their schema alone (the view).
 *
 * Loading never follows a symlink; a file that fails the kind's frame
 * check is -ESTALE, logged once ("cache ... is unusable; rebuilding
 * it") and rebuilt. Builders of the same document (threads, or a mount
 * and `ocifs deps`) serialize on "<subdir>/<hex>.lock": the second one waits and
 * then loads what the first one stored, so a document is built once and
 * written whole (temp file + rename, cache.h).
 */
#ifndef OCIFS_SRC_DOC_H
#define OCIFS_SRC_DOC_H
#include <stddef.h>

#include "image.h"

#define OCIFS_DOC_KEY_PROGRAM 1u  /* key the ocifs version and build-id */
#define OCIFS_DOC_KEY_DIFF_IDS 2u /* key each layer's diff_id too */

struct ocifs_doc_kind {
	const char *name;       /* "view", "deps": the key tag, log lines */
	int schema;             /* the file format's version */
	unsigned key_flags;     /* OCIFS_DOC_KEY_* */
	const char *subdir;     /* cache file <cache>/<subdir>/<hex><ext> */
	const char *ext;
	int map;                /* load by mmap (read-only, shared with the
				 * page cache); else read into a malloc'd,
				 * NUL-terminated buffer */
	/** Frame check of the bytes of a loaded file: 0, or -ESTALE for a
	 *  corrupt or foreign file. ctx is the request's. NULL: any bytes
	 *  are good. Must not log. */
	int (*check)(void *ctx, const void *data, size_t len);
	/** Optional (with check and memo): the O(1) check of a file that
	 *  passed check before and has not changed since. After check
	 *  passes, the loader records the file's identity (device, inode,
	 *  size, mtime and ctime: rewriting or replacing the file changes
	 *  one of them, and no one can set ctime back) with the kind's memo
	 *  in "<file>.ok" (beside it, in the same owner-only cache); a later
	 *  load of the same unchanged file calls quick instead of check
	 *  (once the file's ctime is older than the stamp's: a change in
	 *  the tick of the stamp would not show in ctime).
	 *  quick must still check what can change while the file does not
	 *  (what the document was built from) and what its O(1) use needs;
	 *  when it fails, check decides. memo: what check found that quick
	 *  needs back (at most OCIFS_DOC_MEMO_MAX bytes written to buf; the
	 *  length, 0 for nothing to keep). Neither may log. */
	int (*quick)(void *ctx, const void *data, size_t len, const void *memo, size_t memo_len);
	size_t (*memo)(void *ctx, void *buf, size_t cap);
};

#define OCIFS_DOC_MEMO_MAX 64

/* The bytes of a document. */
struct ocifs_doc {
	void *data;             /* mapped or malloc'd, see mapped */
	size_t len;
	int mapped;             /* data is an mmap of len bytes */
	int from_cache;         /* loaded, not built by this call */
	int checked_quick;      /* loaded unchanged since a full check:
				 * the kind's quick check passed */
};

/** Release d's bytes (munmap or free); d is zeroed. NULL-safe. */
void ocifs_doc_release(struct ocifs_doc *d);

/** The cache key of kind k for img (see the top of this file), extra
 *  (may be NULL) hashed last. 0 or -ENOMEM. Thread-safe. */
int ocifs_doc_key(const struct ocifs_doc_kind *k, const struct ocifs_image *img,
		  const void *extra, size_t extra_len, unsigned char key[32]);

/** malloc'd "<cache_dir>/<subdir>/<hex><ext>" for key. 0 or -ENOMEM. */
int ocifs_doc_path(const struct ocifs_doc_kind *k, const char *cache_dir,
		   const unsigned char key[32], char **out);

/** Load the cache file at path (never through a symlink) and check it
 *  with k->check(ctx, ...) (or k->quick, see there): 0 and *out filled
 *  (from_cache set, checked_quick when quick did),
 *  -ENOENT (no such file, or it cannot be opened), -ESTALE (a symlink,
 *  not a regular file, empty, or failing the check), -ENOMEM. Not
 *  logged. */
int ocifs_doc_load(const struct ocifs_doc_kind *k, const char *path, void *ctx,
		   struct ocifs_doc *out);

/** What one call of ocifs_doc_get() makes. */
struct ocifs_doc_req {
	const struct ocifs_doc_kind *kind;
	const struct ocifs_image *img;  /* the key's manifest and layers */
	const char *cache_dir;          /* NULL: built, never cached */
	const void *extra;              /* more key bytes, or NULL */
	size_t extra_len;
	void *ctx;                      /* passed to check and build */
	/** Build the document: 0 and *data malloc'd (*len bytes, with a NUL
	 *  after them for a kind that is not mapped), or a negative errno
	 *  (returned as it is). */
	int (*build)(void *ctx, void **data, size_t *len);
	/** Polled (every few ms) while another builder holds the document's
	 *  lock: nonzero gives up with -EINTR. NULL: wait as long as it
	 *  takes. */
	int (*cancelled)(void *cancel_ctx);
	void *cancel_ctx;
};

/** The document r asks for: loaded from the cache, or built (waiting
 *  first for a builder of the same document in another thread or
 *  process, then loading what it stored), stored and returned. A kind
 *  that maps its files is returned as the mapping of the stored file,
 *  checked again (or as the built bytes, checked, if it cannot be
 *  stored). 0 and *out, or the build's error, -EINTR (r->cancelled), or
 *  -ESTALE (built bytes failing the check, logged). A cache that cannot
 *  be written is logged as a warning, not an error. Thread-safe. */
int ocifs_doc_get(const struct ocifs_doc_req *r, struct ocifs_doc *out);

#endif
