/* SPDX-License-Identifier: MIT */
/*
 * FUSE inode numbers (fs/ino.h): view inodes keep the numbers they
 * always had (root 1, n + 16), the reserved ones answer nothing, and the
 * virtual namespace (bit 63 | class | sub | id) round-trips without
 * touching view inodes, up to the field maxima.
 */
#include <stdint.h>

#include "ino.h"
#include "tap.h"

int main(void)
{
	uint64_t v = 99, n = 1000;
	unsigned cls, sub;
	uint64_t id;

	is_int((long long)fs_fuse_ino(0), 1, "view root is FUSE inode 1");
	is_int((long long)fs_fuse_ino(1), 17, "view inode 1 is 17");
	is_int((long long)fs_fuse_ino(999), 1015, "view inode 999 is 1015");
	ok(fs_ino_view(1, n, &v) == 0 && v == 0, "FUSE 1 -> view root");
	ok(fs_ino_view(1015, n, &v) == 0 && v == 999, "FUSE 1015 -> view 999 (the last)");
	ok(fs_ino_view(1016, n, &v) == -ENOENT, "past the last view inode: ENOENT");
	int reserved = 0;
	for (uint64_t i = 2; i <= OCIFS_INO_BASE; i++)
		reserved += fs_ino_view(i, n, &v) == -ENOENT;
	is_int(reserved, OCIFS_INO_BASE - 1, "2..16 are reserved");
	ok(fs_ino_view(0, n, &v) == -ENOENT, "0 is no inode");
	uint64_t big = fs_fuse_ino(UINT32_MAX - 1);
	ok(!(big & FS_INO_VIRT) && fs_ino_view(big, (uint64_t)UINT32_MAX, &v) == 0 &&
		   v == UINT32_MAX - 1,
	   "the largest view inode stays clear of the virtual bit");

	static const struct {
		unsigned cls, sub;
		uint64_t id;
	} c[] = {
		{ FS_VCLASS_NODE, 0, 0 },
		{ FS_VCLASS_NODE, 0, 1 },
		{ FS_VCLASS_TREE, 1, 12345678901ull },
		{ FS_VCLASS_TREE, FS_VINO_SUB_MAX, FS_VINO_ID_MAX },
		{ FS_VINO_CLASS_MAX, 7, 3 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t ino = fs_vino(c[i].cls, c[i].sub, c[i].id);
		ok(ino & FS_INO_VIRT && fs_vino_split(ino, &cls, &sub, &id) == 0 &&
			   cls == c[i].cls && sub == c[i].sub && id == c[i].id &&
			   fs_ino_view(ino, UINT64_MAX, &v) == -ENOENT,
		   "virtual (%u, %u, %llu) round-trips and is no view inode", c[i].cls, c[i].sub,
		   (unsigned long long)c[i].id);
	}
	ok(fs_vino(1, 2, 3) != fs_vino(1, 3, 2) && fs_vino(0, 0, 1) != fs_vino(1, 0, 1) &&
		   fs_vino(0, 1, 0) != fs_vino(0, 0, 1),
	   "the fields do not overlap");
	ok(fs_vino_split(1015, &cls, &sub, &id) == -ENOENT, "a view inode is not virtual");
	ok(fs_vino_split(1, &cls, &sub, &id) == -ENOENT, "nor is the root");
	return done_testing();
}
