/* SPDX-License-Identifier: MIT */
/*
 * Access to the image's file tree for analyses that follow paths (config
 * files, library search, shebang interpreters): read a whole file, list a
 * directory, open a file for partial reads, canonicalize a path. Paths
 * are absolute within the image; the provider resolves them chroot-style
 * (absolute symlink targets start at the image root, ".." never climbs
 * above it) and follows symlinks with loop detection (-ELOOP). The merged
 * view provides one (tree_view.c); tests provide one over a host
 * directory (tree_hostdir.c).
 */
#ifndef OCIFS_SCAN_TREE_H
#define OCIFS_SCAN_TREE_H
#include <stddef.h>
#include <stdint.h>

#include "rd.h"

/* An open regular file of the tree. */
struct ocifs_tree_file {
	struct ocifs_rd rd;     /* reads its bytes; rd.name is the path as asked */
	uint64_t id;            /* the file's identity: two paths with the same
				 * id are the same file (ld.so's dev/ino check) */
	void *priv_;            /* provider's state */
};

struct ocifs_tree {
	/* The whole file at path (max bytes): 0 and a malloc'd buffer
	 * (NUL-terminated, len without the NUL), -ENOENT, -EISDIR, -EFBIG. */
	int (*read_file)(void *ctx, const char *path, size_t max, char **buf, size_t *len);
	/* Names in directory path (not "." or ".."), in any order; a
	 * non-zero cb return stops and is returned. -ENOENT, -ENOTDIR. */
	int (*list_dir)(void *ctx, const char *path,
			int (*cb)(void *cbctx, const char *name), void *cbctx);
	/* Open the regular file at path for reads through f->rd: 0, -ENOENT,
	 * -ENOTDIR, -ELOOP, -EISDIR, -EINVAL (not a regular file), -ENOMEM.
	 * On 0, close it with close_file. Thread-safe: each open file has
	 * its own state. */
	int (*open_file)(void *ctx, const char *path, struct ocifs_tree_file *f);
	void (*close_file)(void *ctx, struct ocifs_tree_file *f);
	/* The canonical path of path (every symlink resolved, "/"-rooted,
	 * no "." or ".."): 0 and a malloc'd string, -ENOENT, -ENOTDIR,
	 * -ELOOP, -ENOMEM. The last component must exist. */
	int (*realpath)(void *ctx, const char *path, char **out);
	void *ctx;
};

/** A tree over a host directory (for tests): ctx is the root path (a
 *  const char *). Symlinks are confined to the root as in a chroot
 *  (openat2 RESOLVE_IN_ROOT). */
extern const struct ocifs_tree ocifs_tree_hostdir_ops;

#endif
