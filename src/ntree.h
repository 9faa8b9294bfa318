/* SPDX-License-Identifier: MIT */
/*
 * A tree of names under construction, as the merged-view builder
 * (view_build.c) and one layer's own tree (ltree.c) grow it from index
 * rows. It owns what the two have in common:
 *   - a string pool (names, symlink targets, xattr keys and values);
 *   - the names: nodes (parent, name, inode) with unsorted sibling lists,
 *     so a name can be removed with its subtree;
 *   - a hash (parent node, name) -> node, over ocifs_htab;
 *   - adding and removing a name, finding a path, walking to a directory
 *     with the missing parts made (implicit parents);
 *   - the xattrs and sparse maps of index rows, copied into two arrays.
 * Inodes belong to the owner: the tree holds an inode as a number and
 * asks the owner (struct ocifs_ntree_ops) whether it is a directory and
 * for the inode of a directory it has to make. What a layer's entries
 * mean (whiteouts, last entry wins, hard links) stays with the owner.
 *
 * Not thread-safe while it grows; lookups may be shared once it stops.
 */
#ifndef OCIFS_SRC_NTREE_H
#define OCIFS_SRC_NTREE_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "extent.h"
#include "grow.h" /* OCIFS_GROW, for ntree's users too */
#include "hashtab.h"
#include "idxdb.h"

#define OCIFS_NTREE_NONE OCIFS_HTAB_NONE /* no node */

struct ocifs_ntree_node {
	uint32_t parent;        /* node, OCIFS_NTREE_NONE for the root */
	uint32_t name;          /* pool offset */
	uint32_t ino;           /* the owner's inode */
	uint32_t first_child, next, prev; /* sibling list (unsorted) */
	uint32_t dead;          /* removed */
};

/* An xattr: key and value in the pool (the value is len bytes). The
 * view file stores these as they are (struct view_xattr, view_fmt.h:
 * view_build.c asserts the layout is the same). */
struct ocifs_ntree_xattr {
	uint32_t key, val, len;
	uint32_t pad;           /* 0 */
};

struct ocifs_ntree_ops {
	/** 1 if the owner's inode ino is a directory. */
	int (*is_dir)(const void *owner, uint32_t ino);
	/** A new directory's inode, for a missing part of a path. */
	int (*mkdir)(void *owner, uint32_t *ino);
};

/* Zeroed but for ops and owner (ocifs_ntree_init), it is empty. */
struct ocifs_ntree {
	struct ocifs_ntree_node *n;
	size_t nn, ncap;
	char *pool;
	size_t plen, pcap;
	struct ocifs_htab ht;   /* (parent, name) -> node */
	struct ocifs_ntree_xattr *x;
	size_t nx, xcap;
	struct ocifs_sparse *sp;
	size_t nsp, spcap;
	const struct ocifs_ntree_ops *ops;
	void *owner;
	int strict;             /* a path part "", "." or ".." is not there */
};

void ocifs_ntree_init(struct ocifs_ntree *t, const struct ocifs_ntree_ops *ops, void *owner);
void ocifs_ntree_fini(struct ocifs_ntree *t);

/** Copy s[0..len) and a NUL into the pool: 0 and its offset, -ENOMEM,
 *  or -E2BIG past 4 GiB. */
int ocifs_ntree_str(struct ocifs_ntree *t, const void *s, size_t len, uint32_t *off);

/** Child `name` (len bytes) of node parent, or OCIFS_NTREE_NONE. */
uint32_t ocifs_ntree_child(const struct ocifs_ntree *t, uint32_t parent, const char *name,
			   size_t len);

/** A new name under parent (OCIFS_NTREE_NONE: the root) for inode ino:
 *  0 and its node, -ENOMEM or -E2BIG (more than OCIFS_HTAB_MAX names).
 *  The caller has checked the name is not there. */
int ocifs_ntree_add(struct ocifs_ntree *t, uint32_t parent, const char *name, size_t len,
		    uint32_t ino, uint32_t *out);

/** Remove a name and, for a directory, everything below it. */
void ocifs_ntree_remove(struct ocifs_ntree *t, uint32_t node);

/** 1 if the name's inode is a directory. */
int ocifs_ntree_is_dir(const struct ocifs_ntree *t, uint32_t node);

/** The name at a normalized path (from the root, node 0), or
 *  OCIFS_NTREE_NONE; no symlinks followed. */
uint32_t ocifs_ntree_find(const struct ocifs_ntree *t, const char *path);

/** The directory at path (normalized, len bytes). With make, missing
 *  parts are made (ops->mkdir) and non-directories in the way removed;
 *  without, *out is OCIFS_NTREE_NONE if a part is missing or not a
 *  directory. With t->strict a part "", "." or ".." gives NONE too.
 *  0, or the error of making a part. */
int ocifs_ntree_dir(struct ocifs_ntree *t, const char *path, size_t len, int make,
		    uint32_t *out);

/** Copy index row id's xattrs (read from db, open) to the end of t->x:
 *  0 and where they start, or the index's error, -ENOMEM, -E2BIG. */
int ocifs_ntree_xattrs(struct ocifs_ntree *t, struct ocifs_idxdb *db, int64_t id,
		       uint32_t *first);

/** Copy a row's sparse map (n runs) to the end of t->sp: 0 and where it
 *  starts, -ENOMEM or -E2BIG. */
int ocifs_ntree_sparse(struct ocifs_ntree *t, const struct ocifs_sparse *sp, size_t n,
		       uint32_t *first);

#endif
