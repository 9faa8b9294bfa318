/* SPDX-License-Identifier: MIT */
/*
 * readdir and readdirplus: one body with a `plus` flag (passthrough_ll).
 * Offsets are stable positions, so a directory can be listed in pieces
 * and resumed anywhere: 0 is ".", 1 is "..", k + 2 is child k in the
 * view's (sorted) order. Each entry carries the offset of the next one.
 *
 * A name longer than NAME_MAX (255 bytes) cannot be looked up through the
 * kernel, and one over the kernel's FUSE_NAME_MAX makes it reject the
 * whole reply (EIO, and every later entry lost): such names are left out
 * of listings, keeping their offsets, and fs_dir_warn_long() names them
 * once at mount.
 *
 * A directory's st_blksize is the getdents buffer its whole listing fits
 * in (fs_dir_blksize): glibc's opendir sizes its buffer from it (32 KiB
 * at least, 1 MiB at most) and Linux >= 6.16 asks READDIRPLUS for as much
 * as that buffer holds, so a big directory is one request, not one per
 * 32 KiB (a READDIRPLUS entry is ~170 bytes, 8x what getdents returns).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"

#define FS_LONG_WARN_MAX 20 /* names warned about one by one, then a count */
/* One READDIRPLUS entry is struct fuse_entry_out (128 bytes) and struct
 * fuse_dirent (24) before the name, padded to 8 bytes (the kernel's ABI). */
#define FS_DIRENTPLUS_HEAD 152u
#define FS_DIRENTPLUS_MAX (FS_DIRENTPLUS_HEAD + NAME_MAX + 1u)
#define FS_DIR_BLK_MIN 4096u	      /* what every other inode says */
#define FS_DIR_BLK_GLIBC (32u << 10)  /* glibc's buffer when st_blksize is less */
#define FS_DIR_BLK_MAX (1u << 20)     /* glibc's largest; the kernel's max_pages (fs_op_init) */
#define FS_DIR_ROOT_SLACK 1024u	      /* the root's virtual names (/.ocifs, /.deps, ...) */

blksize_t fs_dir_blksize(const struct ocifs_view *v, uint64_t vdir)
{
	uint32_t n;
	size_t need, blk;

	if (ocifs_view_dir_size(v, vdir, &n))
		return FS_DIR_BLK_MIN;
	/* "." and "..", and the root's virtual names, then the children */
	need = 2 * (FS_DIRENTPLUS_HEAD + 8) + (vdir == OCIFS_VIEW_ROOT ? FS_DIR_ROOT_SLACK : 0);
	if (need + (size_t)n * FS_DIRENTPLUS_MAX <= FS_DIR_BLK_GLIBC)
		return FS_DIR_BLK_MIN; /* fits whatever the names: no need to look */
	for (uint32_t i = 0; i < n && need <= FS_DIR_BLK_MAX; i++) {
		const char *name;
		uint64_t child;

		if (ocifs_view_dir_entry(v, vdir, i, &name, &child))
			break;
		need += (FS_DIRENTPLUS_HEAD + strlen(name) + 7) & ~(size_t)7;
	}
	if (need <= FS_DIR_BLK_GLIBC)
		return FS_DIR_BLK_MIN;
	for (blk = FS_DIR_BLK_GLIBC; blk < need && blk < FS_DIR_BLK_MAX; blk <<= 1)
		;
	return (blksize_t)blk;
}

void fs_dir_warn_long(const struct ocifs_view *v)
{
	uint64_t n = ocifs_view_inodes(v), found = 0;
	char dir[512];

	for (uint64_t ino = 0; ino < n; ino++) {
		struct ocifs_vattr a;
		uint32_t k;

		if (ocifs_view_getattr(v, ino, &a) || !S_ISDIR(a.mode) ||
		    ocifs_view_dir_size(v, ino, &k))
			continue;
		for (uint32_t i = 0; i < k; i++) {
			const char *name;
			uint64_t child;
			size_t len;

			if (ocifs_view_dir_entry(v, ino, i, &name, &child) ||
			    (len = strlen(name)) <= NAME_MAX)
				continue;
			if (found++ < FS_LONG_WARN_MAX) {
				if (ocifs_view_path(v, ino, dir, sizeof(dir)))
					snprintf(dir, sizeof(dir), "...");
				log_warn("%s%s%.32s...: a name of %zu bytes (more than %d): "
					 "not listed by readdir, and no path reaches it",
					 dir, strcmp(dir, "/") ? "/" : "", name, len, NAME_MAX);
			}
		}
	}
	if (found > FS_LONG_WARN_MAX)
		log_warn("%llu more names longer than %d bytes not listed",
			 (unsigned long long)(found - FS_LONG_WARN_MAX), NAME_MAX);
}

int fs_dir_fill(struct ocifs_fs *fs, fuse_req_t req, uint64_t vdir, size_t size, off_t off,
		int plus, char **out, size_t *outlen)
{
	uint32_t n;
	size_t used = 0;
	char *buf;
	int rc = ocifs_view_dir_size(fs->view, vdir, &n);

	*out = NULL;
	*outlen = 0;
	if (rc)
		return rc;
	if (off < 0)
		return -EINVAL;
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	uint32_t nv = 0; /* virtual root entries listed after the real ones */
	if (vdir == OCIFS_VIEW_ROOT && fs->opts.show_virtual) {
		struct fuse_entry_param ve;
		const char *vn;
		while (fs_virt_root_entry(fs, nv, &vn, &ve) == 0)
			nv++;
	}
	for (uint64_t pos = (uint64_t)off; pos < (uint64_t)n + 2 + nv; pos++) {
		struct fuse_entry_param e;
		const char *name;
		uint64_t vino;

		memset(&e, 0, sizeof(e));
		if (pos < 2) {
			name = pos == 0 ? "." : "..";
			vino = vdir;
			if (pos == 1)
				rc = ocifs_view_parent(fs->view, vdir, &vino);
			/* "." and "..": attributes only, no entry (ino 0), so
			 * the kernel takes no reference for them. */
			e.attr.st_ino = fs_fuse_ino(vino);
			e.attr.st_mode = S_IFDIR;
		} else if (pos >= (uint64_t)n + 2) {
			rc = fs_virt_root_entry(fs, (uint32_t)(pos - n - 2), &name, &e);
			if (!plus)
				e.ino = 0;
		} else {
			rc = ocifs_view_dir_entry(fs->view, vdir, (uint32_t)(pos - 2), &name, &vino);
			if (!rc && strlen(name) > NAME_MAX)
				continue; /* see the top of this file */
			if (!rc)
				rc = plus ? fs_entry(fs, vino, &e) : fs_stat(fs, vino, &e.attr);
		}
		if (rc || !fs_dir_add(req, buf, size, &used, name, &e, plus, (off_t)(pos + 1)))
			break;
	}
	return fs_dir_done(rc, buf, used, out, outlen);
}

int fs_dir_add(fuse_req_t req, char *buf, size_t size, size_t *used, const char *name,
	       const struct fuse_entry_param *e, int plus, off_t next)
{
	size_t ent;

	if (plus)
		ent = fuse_add_direntry_plus(req, buf + *used, size - *used, name, e, next);
	else
		ent = fuse_add_direntry(req, buf + *used, size - *used, name, &e->attr, next);
	if (ent > size - *used)
		return 0;
	*used += ent;
	return 1;
}

int fs_dir_done(int rc, char *buf, size_t used, char **out, size_t *outlen)
{
	if (rc && used == 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = used;
	return 0;
}
