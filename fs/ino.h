/* SPDX-License-Identifier: MIT */
/*
 * FUSE inode numbers (STYLE 28), in one place. Every number is derived,
 * never allocated, so nothing is counted and forget is a no-op:
 *
 *   1                        the view's root (view inode 0)
 *   n + OCIFS_INO_BASE       view inode n >= 1 (a view has < 2^32 inodes,
 *                            so these stay far below bit 63); unchanged
 *                            since the first release, so st_ino of an
 *                            image's files is stable across versions
 *   2 .. OCIFS_INO_BASE      reserved (never answered)
 *   bit 63 set               virtual, three fields below it:
 *
 *     63  62......56  55..........40  39...................0
 *     1   class (7)   sub (16)        id (40: 10^12 entries)
 *
 *   FS_VCLASS_NODE   the fixed virtual nodes: sub 0, id 0 the /.ocifs
 *                    directory, id 1 + k generated document k (the row
 *                    of scan/docs.h)
 *   FS_VCLASS_TREE   a generated tree: sub says which (e.g. the layer of
 *                    /.ocifs/layers/N-<digest>/), id is its entry (e.g.
 *                    the layer index's row), so a tree of millions of
 *                    entries maps without a table
 *   FS_VCLASS_META   sub 0: id 0 /.ocifs/layers, id 1 /.ocifs/image, id
 *                    2 + k the file k of /.ocifs/image (fs/layers.c)
 *
 * No libfuse here, so unit tests can include it.
 */
#ifndef OCIFS_FS_INO_H
#define OCIFS_FS_INO_H
#include <errno.h>
#include <stdint.h>

#define OCIFS_INO_BASE 16       /* view inode n >= 1 is FUSE n + 16 */
#define FS_INO_ROOT 1           /* = FUSE_ROOT_ID */
#define FS_INO_VIEW_ROOT 0      /* = OCIFS_VIEW_ROOT */

#define FS_INO_VIRT (1ull << 63)
#define FS_VINO_CLASS_SHIFT 56
#define FS_VINO_CLASS_MAX 0x7fu
#define FS_VINO_SUB_SHIFT 40
#define FS_VINO_SUB_MAX 0xffffu
#define FS_VINO_ID_MAX ((1ull << 40) - 1)

enum fs_vclass {
	FS_VCLASS_NODE = 0,     /* /.ocifs and its documents */
	FS_VCLASS_TREE = 1,     /* a generated tree's entries */
	FS_VCLASS_META = 2,     /* /.ocifs/layers, /.ocifs/image and its files */
};

/** View inode -> FUSE inode. */
static inline uint64_t fs_fuse_ino(uint64_t vino)
{
	return vino == FS_INO_VIEW_ROOT ? FS_INO_ROOT : vino + OCIFS_INO_BASE;
}

/** FUSE inode -> view inode of a view of ninodes inodes: 0, or -ENOENT
 *  (reserved, virtual or out of range). */
static inline int fs_ino_view(uint64_t ino, uint64_t ninodes, uint64_t *vino)
{
	if (ino == FS_INO_ROOT) {
		*vino = FS_INO_VIEW_ROOT;
		return 0;
	}
	if (ino <= OCIFS_INO_BASE || ino & FS_INO_VIRT || ino - OCIFS_INO_BASE >= ninodes)
		return -ENOENT;
	*vino = ino - OCIFS_INO_BASE;
	return 0;
}

/** The virtual inode (class, sub, id); the fields must be within their
 *  maxima (checked by the caller, or FS_VINO_*_MAX). */
static inline uint64_t fs_vino(unsigned cls, unsigned sub, uint64_t id)
{
	return FS_INO_VIRT | (uint64_t)(cls & FS_VINO_CLASS_MAX) << FS_VINO_CLASS_SHIFT |
	       (uint64_t)(sub & FS_VINO_SUB_MAX) << FS_VINO_SUB_SHIFT | (id & FS_VINO_ID_MAX);
}

/** Split a virtual inode: 0, or -ENOENT if ino is not virtual. */
static inline int fs_vino_split(uint64_t ino, unsigned *cls, unsigned *sub, uint64_t *id)
{
	if (!(ino & FS_INO_VIRT))
		return -ENOENT;
	*cls = (unsigned)(ino >> FS_VINO_CLASS_SHIFT) & FS_VINO_CLASS_MAX;
	*sub = (unsigned)(ino >> FS_VINO_SUB_SHIFT) & FS_VINO_SUB_MAX;
	*id = ino & FS_VINO_ID_MAX;
	return 0;
}

#endif
