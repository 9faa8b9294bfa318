/* SPDX-License-Identifier: MIT */
/*
 * On-disk (and in-memory) format of a merged view, private to view*.c.
 * One flat file: header, then arrays, then a string pool. It is mmap'd
 * read-only and used in place, so everything is fixed-size, 8-byte
 * aligned and referenced by index or pool offset. The file is untrusted
 * (the cache may be shared): view.c validates every index on load.
 */
#ifndef OCIFS_SRC_VIEW_FMT_H
#define OCIFS_SRC_VIEW_FMT_H
#include <stdint.h>

#define VIEW_MAGIC "OCIFSVW\0"
#define VIEW_VERSION 2u

struct view_hdr {
	char magic[8];
	uint32_t version;
	uint32_t nlayers;
	uint64_t ninodes, ndirents, nsparse, nxattrs, pool_size;
	uint64_t off_inodes, off_dirents, off_sparse, off_xattrs, off_pool;
	uint64_t file_size;
	uint64_t whiteouts, escapes, bad_links; /* build statistics */
	unsigned char key[32];                 /* what the view was built from */
};

struct view_inode {
	uint32_t mode;          /* S_IFMT | 07777 */
	uint32_t nlink;
	uint64_t uid, gid;
	int64_t mtime_ns;
	uint64_t size;
	uint64_t rdev;
	uint64_t data_off, data_len; /* regular files: in the layer stream */
	uint32_t layer;         /* or OCIFS_VIEW_NO_LAYER */
	uint32_t nsparse;
	uint64_t sparse;        /* index of the first sparse segment */
	uint32_t link;          /* symlinks: pool offset of the target */
	uint32_t first_child;   /* dirs: index of the first dirent */
	uint32_t nchildren;     /* dirs: dirents, sorted by name */
	uint32_t name;          /* dirent index of its first name (root: 0) */
	uint32_t parent;        /* inode of the dir holding its first name */
	uint32_t xattr, nxattr; /* first xattr index, count */
	uint32_t eflags;        /* regular files: OCIFS_EF_ELF/ZIP/SCRIPT/HASHED */
	unsigned char sha256[32]; /* regular files with OCIFS_EF_HASHED */
};

struct view_dirent {
	uint32_t name;          /* pool offset, NUL-terminated */
	uint32_t ino;
};

struct view_xattr {
	uint32_t key;           /* pool offset, NUL-terminated */
	uint32_t val;           /* pool offset */
	uint32_t len;
	uint32_t pad;
};

/* struct ocifs_sparse (tar.h) is stored as is: two uint64_t. */

#endif
