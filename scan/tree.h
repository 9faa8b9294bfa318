/* SPDX-License-Identifier: MIT */
/*
 * Access to the image's file tree for analyses that follow paths (config
 * files, library search): read a whole file, list a directory. Paths are
 * absolute within the image; the provider resolves them chroot-style (no
 * escaping the root) and follows symlinks with loop detection. The merged
 * view provides one; tests provide one over a plain directory.
 */
#ifndef OCIFS_SCAN_TREE_H
#define OCIFS_SCAN_TREE_H
#include <stddef.h>

struct ocifs_tree {
	/* The whole file at path (max bytes): 0 and a malloc'd buffer
	 * (NUL-terminated, len without the NUL), -ENOENT, -EISDIR, -EFBIG. */
	int (*read_file)(void *ctx, const char *path, size_t max, char **buf, size_t *len);
	/* Names in directory path (not "." or ".."), in any order; a
	 * non-zero cb return stops and is returned. -ENOENT, -ENOTDIR. */
	int (*list_dir)(void *ctx, const char *path,
			int (*cb)(void *cbctx, const char *name), void *cbctx);
	void *ctx;
};

/** A tree over a host directory (for tests): ctx is the root path. Does
 *  not confine symlinks; use only on trees the caller built. */
extern const struct ocifs_tree ocifs_tree_hostdir_ops;

#endif
