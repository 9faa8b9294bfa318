/* SPDX-License-Identifier: MIT */
/*
 * The per-layer SQLite index (schema in man/ocifs-cache.5). One file per
 * compressed layer blob; written once by index.c into a temp file, then
 * only ever opened read-only. The only file that includes <sqlite3.h>.
 *
 * Paths are stored normalized (no leading "/" or "./", no "." or ".."
 * components, no trailing "/") split into dir and name; the layer root
 * itself, when the tar has a "./" entry, has dir "" and name "".
 * Implicit parents (directories the tar never lists) are stored too,
 * flagged OCIFS_EF_IMPLICIT, so every directory can be listed.
 *
 * Reader handles are not thread-safe: open one per thread.
 */
#ifndef OCIFS_SRC_IDXDB_H
#define OCIFS_SRC_IDXDB_H
#include <stddef.h>
#include <stdint.h>

#include "extent.h"
#include "facts.h" /* OCIFS_EF_*, in flags */
#include "sha.h"
#include "tar.h"
#include "zio.h"

#define OCIFS_IDXDB_SCHEMA 1


/* One row. In callbacks, strings point into SQLite's buffers and are
 * valid only during the call; ocifs_idxdb_lookup() returns copies that
 * ocifs_entry_fini() frees. */
struct ocifs_entry {
	int64_t id;             /* order in the tar, 1-based; implicit dirs last */
	const char *dir;        /* parent path, "" at top level */
	const char *name;       /* last component; "" for the root entry */
	char type;              /* tar typeflag, see tar.h */
	uint32_t mode;          /* 07777 bits */
	uint64_t uid, gid;
	int64_t mtime_ns;       /* ns since the epoch */
	uint64_t size;          /* logical size */
	uint64_t hdr_off, data_off, data_len; /* in the uncompressed stream */
	uint32_t devmajor, devminor;
	const char *link;       /* symlink target as stored; hardlink target
				 * normalized; NULL otherwise */
	const char *uname, *gname;
	uint32_t flags;         /* OCIFS_EF_* */
	unsigned char sha256[OCIFS_SHA256_LEN];
	size_t nsparse;
	const struct ocifs_sparse *sparse;
	void *owned_;           /* private: storage of a copied entry */
};

void ocifs_entry_fini(struct ocifs_entry *e);

/** Where row e's data is (the extent borrows e's sparse map). */
static inline void ocifs_entry_extent(const struct ocifs_entry *e, struct ocifs_extent *x)
{
	*x = (struct ocifs_extent){ .size = e->size, .data_off = e->data_off,
				    .data_len = e->data_len, .nsparse = e->nsparse,
				    .sparse = e->sparse };
}

struct ocifs_idxdb;

/* --- writing (index.c) --- */
/** Create a new index at path: a new or empty file (in the cache, one
 *  the caller just created exclusively with ocifs_cache_tmp_open); a
 *  symlink there is refused. */
int ocifs_idxdb_create(const char *path, struct ocifs_idxdb **out);
/** Append an entry; e->id is ignored (rows are numbered in order). */
int ocifs_idxdb_add(struct ocifs_idxdb *db, const struct ocifs_entry *e,
		    const struct ocifs_xattr *x, size_t nx);
int ocifs_idxdb_put_ckpts(struct ocifs_idxdb *db, const struct ocifs_ckpts *ck);
int ocifs_idxdb_set_meta(struct ocifs_idxdb *db, const char *key, const char *val);
int ocifs_idxdb_set_meta_u64(struct ocifs_idxdb *db, const char *key, uint64_t val);
/** Commit, fsync and close (db is freed in all cases). */
int ocifs_idxdb_finish(struct ocifs_idxdb *db);

/* --- reading --- */
#define OCIFS_IDXDB_QUIET 1u /* no warning when unusable */
#define OCIFS_IDXDB_CHECK 2u /* compare the schema, run PRAGMA quick_check (reads every page) */

/** Open read-only. -ESTALE (with a warning naming the file and reason,
 *  unless OCIFS_IDXDB_QUIET) if it is not a valid index of this schema
 *  or, with OCIFS_IDXDB_CHECK, has a sqlite_master other than what
 *  ocifs creates or fails quick_check. Defensive settings (no views,
 *  triggers, extensions; tight limits) are on before any query. */
int ocifs_idxdb_open(const char *path, unsigned flags, struct ocifs_idxdb **out);
/** Open a file from outside (an index artifact's, idxart_pull.c) as
 *  OCIFS_IDXDB_CHECK does, and more: defensive settings before any query,
 *  sqlite_master exactly what ocifs creates (no view, trigger or extra
 *  table or index, no changed definition), every later query bounded in
 *  VM steps by the file's size. Nothing is logged: -ESTALE with the
 *  reason in why[cap]; later errors of the handle in ocifs_idxdb_why(). */
int ocifs_idxdb_open_foreign(const char *path, char *why, size_t cap, struct ocifs_idxdb **out);
/** A foreign handle's first error ("" if none). */
const char *ocifs_idxdb_why(const struct ocifs_idxdb *db);
/** malloc'd meta value, or -ENOENT. */
int ocifs_idxdb_meta(struct ocifs_idxdb *db, const char *key, char **val);
int ocifs_idxdb_meta_u64(struct ocifs_idxdb *db, const char *key, uint64_t *val);
int ocifs_idxdb_load_ckpts(struct ocifs_idxdb *db, struct ocifs_ckpts *out);
/** The last entry for path (normalized). 0, or -ENOENT. */
int ocifs_idxdb_lookup(struct ocifs_idxdb *db, const char *path, struct ocifs_entry *out);

typedef int (*ocifs_entry_cb)(void *ctx, const struct ocifs_entry *e);
/** Children of dir (normalized, "" = root) in name order, one per name
 *  (the last entry for that name wins). A non-zero cb return stops and
 *  is returned. */
int ocifs_idxdb_list(struct ocifs_idxdb *db, const char *dir, ocifs_entry_cb cb, void *ctx);
/** Every entry in id (tar) order. */
int ocifs_idxdb_foreach(struct ocifs_idxdb *db, ocifs_entry_cb cb, void *ctx);
/** The entries whose name starts with ".wh." (whiteouts, opaque
 *  markers), in id order: the rows SQLite skips are never decoded. */
int ocifs_idxdb_foreach_whiteout(struct ocifs_idxdb *db, ocifs_entry_cb cb, void *ctx);
/** xattrs of entry id: cb(ctx, key, value, len). */
int ocifs_idxdb_xattrs(struct ocifs_idxdb *db, int64_t id,
		       int (*cb)(void *ctx, const char *key, const void *val, size_t len),
		       void *ctx);
uint64_t ocifs_idxdb_count(struct ocifs_idxdb *db);
/** Check every row against the layout of a tar stream of usize bytes
 *  (aligned offsets, data inside the layer, members in order without
 *  overlap, sizes consistent; one SQL scan). 0, or -ESTALE with a warning
 *  naming the file and the first bad entry (unless OCIFS_IDXDB_QUIET).
 *  Afterwards rows read back are also bounds-checked against usize. */
int ocifs_idxdb_validate(struct ocifs_idxdb *db, uint64_t usize, unsigned flags);
/** Compare two indexes row by row (entries, xattrs, checkpoints, meta
 *  but for ocifs_version). 0 if equal, 1 and a description of the first
 *  difference in what[len] ("entry 5 (etc/passwd): data_off"), or an
 *  error. */
int ocifs_idxdb_diff(struct ocifs_idxdb *a, struct ocifs_idxdb *b, char *what, size_t len);
/** Bounds-check rows read back against usize without a full scan. */
void ocifs_idxdb_set_usize(struct ocifs_idxdb *db, uint64_t usize);
void ocifs_idxdb_close(struct ocifs_idxdb *db);

#endif
