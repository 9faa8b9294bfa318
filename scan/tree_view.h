/* SPDX-License-Identifier: MIT */
/*
 * struct ocifs_tree (tree.h) over the merged view: paths resolved
 * chroot-style (absolute symlink targets from the image root, ".." never
 * above it, at most 40 symlinks per lookup as Linux allows, then -ELOOP),
 * files read through the tree's own reader (src/reader.h).
 *
 * A caller that already read a file (the pipeline reads each ELF once,
 * in layer order) keeps the bytes an analysis needed for later opens of
 * the same file (the library search re-reads the same headers):
 * ocifs_tree_view_keep, so compressed layers are not decompressed twice.
 * Why exact ranges here and not the reader's span cache: the ranges are
 * a few KiB scattered over every ELF of the image, and holding them as
 * whole aligned span blocks cost /.deps 20-25 % more CPU and memory on
 * compressed layers (measured for issue #10); every other read of file
 * data goes through the reader.
 */
#ifndef OCIFS_SCAN_TREE_VIEW_H
#define OCIFS_SCAN_TREE_VIEW_H
#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "tree.h"
#include "view.h"

struct ocifs_tree_view;

/** A tree over v (borrowed; must outlive it). 0 or -ENOMEM. */
int ocifs_tree_view_new(const struct ocifs_view *v, struct ocifs_tree_view **out);
void ocifs_tree_view_free(struct ocifs_tree_view *tv);
/** The tree interface; valid as long as tv. Thread-safe. */
const struct ocifs_tree *ocifs_tree_view_tree(struct ocifs_tree_view *tv);

/** Resolve path (absolute or relative to the root) chroot-style, as
 *  ocifs_view_find (view.h) does: follow also resolves a symlink in the
 *  last component. 0 and *ino, with the
 *  canonical path in *canon if canon is not NULL (malloc'd); -ENOENT,
 *  -ENOTDIR, -ELOOP, -ENAMETOOLONG, -ENOMEM. Thread-safe. */
int ocifs_tree_view_resolve(struct ocifs_tree_view *tv, const char *path, int follow,
			    uint64_t *ino, char **canon);

/** Keep a copy of bytes [off, off+n) of regular file ino (buf): later
 *  reads of the tree's files that lie inside one kept range are served
 *  from it. Nothing is kept for files of uncompressed layers (read
 *  again in place for less). 0 or -ENOMEM. Thread-safe. */
int ocifs_tree_view_keep(struct ocifs_tree_view *tv, uint64_t ino, const void *buf, uint64_t off,
			 size_t n);

/** The reader the tree's files read through (valid as long as tv), for
 *  reading by inode. Thread-safe. */
struct ocifs_reader *ocifs_tree_view_reader(struct ocifs_tree_view *tv);

#endif
