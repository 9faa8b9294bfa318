/* SPDX-License-Identifier: MIT */
/*
 * One layer's own tree, exactly as its tar holds it (DESIGN §8,
 * /.ocifs/layers/N-<digest>/): no other layer applied, whiteout files
 * (.wh.NAME) and opaque markers (.wh..wh..opq) kept as the empty regular
 * files they are, so a file a later layer deletes stays readable.
 *
 * Within the layer, entries apply in tar order as extraction does: the
 * last entry for a path wins (a directory over a directory takes the
 * later metadata, anything else replaces what was there, subtree and
 * all), a hard link shares the inode its target has at that point of
 * the tar, and directories the tar never lists (the index's
 * OCIFS_EF_IMPLICIT rows) are 0755 root directories dated 0, as the
 * merged view shows them.
 *
 * Built once per layer from its index (one ocifs_idxdb_foreach, under
 * ocifs_layer_with_db) into a few arrays and a string pool: no malloc
 * per entry, no SQLite query per request. Lookups by (parent, name) go
 * through an ocifs_htab; each directory's children are kept sorted, so
 * readdir offsets are stable positions.
 *
 * Inode ids are the index's row ids (struct ocifs_entry.id), the root
 * is OCIFS_LTREE_ROOT (0, with the attributes of the tar's "./" entry
 * if it has one), and a hard link is its target's row. A directory
 * created for an entry before the index's implicit row for it comes
 * takes that row; the few that never get one (their path was replaced
 * later) are numbered after the last row. An id names an inode only
 * while some name in the tree reaches it; others are -ENOENT.
 *
 * Thread-safety: once built, the tree is immutable and every function
 * may be called from any number of threads without locks.
 */
#ifndef OCIFS_SRC_LTREE_H
#define OCIFS_SRC_LTREE_H
#include <stddef.h>
#include <stdint.h>

#include "extent.h"
#include "facts.h"
#include "layer.h"

#define OCIFS_LTREE_ROOT 0

struct ocifs_ltree_attr {
	uint32_t mode;          /* S_IFMT type | 07777 (symlinks: as the tar) */
	uint32_t nlink;         /* names in this layer (dirs: 2 + subdirs) */
	uint64_t uid, gid;
	int64_t mtime_ns;
	uint64_t size;          /* regular: bytes; symlink: target length;
				 * directory: OCIFS_VIEW_DIR_SIZE */
	uint64_t rdev;          /* makedev(major, minor) for devices */
	uint32_t flags;         /* the row's OCIFS_EF_* (IMPLICIT: not in
				 * the tar) */
};

struct ocifs_ltree;

/** Build layer l's tree from its index (l borrowed; must outlive the
 *  tree). 0, -ENOMEM, -E2BIG (more than 2^30 entries or 4 GiB of
 *  names), -EBADMSG (rows not numbered 1, 2, ... in order: a damaged
 *  index, logged), or the index's error (logged where detected). */
int ocifs_ltree_build(struct ocifs_layer *l, struct ocifs_ltree **out);
void ocifs_ltree_free(struct ocifs_ltree *t);
struct ocifs_layer *ocifs_ltree_layer(const struct ocifs_ltree *t);
/** Inode ids are below this. */
uint64_t ocifs_ltree_ids(const struct ocifs_ltree *t);

/** Attributes of inode id: 0, or -ENOENT (no such inode). */
int ocifs_ltree_getattr(const struct ocifs_ltree *t, uint64_t id, struct ocifs_ltree_attr *a);
/** Child `name` of directory dir: 0 and *id, -ENOENT or -ENOTDIR. */
int ocifs_ltree_lookup(const struct ocifs_ltree *t, uint64_t dir, const char *name,
		       uint64_t *id);
/** Parent of directory dir (the root's is the root): 0, -ENOENT, -ENOTDIR. */
int ocifs_ltree_parent(const struct ocifs_ltree *t, uint64_t dir, uint64_t *parent);
/** Number of children of directory dir (sorted by name). */
int ocifs_ltree_dir_size(const struct ocifs_ltree *t, uint64_t dir, uint32_t *n);
/** Child i of directory dir: its name (borrowed from the tree) and
 *  inode. -ENOENT when i >= size. */
int ocifs_ltree_dir_entry(const struct ocifs_ltree *t, uint64_t dir, uint32_t i,
			  const char **name, uint64_t *id);
/** A symlink's target (borrowed): 0 or -EINVAL (not a symlink). */
int ocifs_ltree_readlink(const struct ocifs_ltree *t, uint64_t id, const char **target);
/** Where a regular file's bytes are in the layer's stream (the sparse
 *  map borrowed from the tree): 0 or -EINVAL (not a regular file). */
int ocifs_ltree_data(const struct ocifs_ltree *t, uint64_t id, struct ocifs_extent *x);
/** As ocifs_view_file_facts: OCIFS_EF_ELF/_ZIP/_SCRIPT/_HASHED, and the
 *  sha256 when _HASHED (sha256 may be NULL). -EINVAL if not regular. */
int ocifs_ltree_file_facts(const struct ocifs_ltree *t, uint64_t id, uint32_t *flags,
			   unsigned char sha256[32]);
/** The entry's PAX xattrs (SCHILY.xattr.*): count, and entry i (key and
 *  value borrowed from the tree). */
int ocifs_ltree_xattr_count(const struct ocifs_ltree *t, uint64_t id, uint32_t *n);
int ocifs_ltree_xattr_entry(const struct ocifs_ltree *t, uint64_t id, uint32_t i,
			    const char **key, const void **val, size_t *len);

#endif
