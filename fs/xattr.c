/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes: the PAX SCHILY.xattr.* records the view kept for
 * each inode, served as they are. The handlers in ops.c do the size
 * probing (size 0 asks for the length) and ERANGE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

int fs_xattr_get(const struct ocifs_fs *fs, uint64_t vino, const char *name, const void **val,
		 size_t *len)
{
	uint32_t n;
	int rc = ocifs_view_xattr_count(fs->view, vino, &n);

	for (uint32_t i = 0; !rc && i < n; i++) {
		const char *key;

		rc = ocifs_view_xattr_entry(fs->view, vino, i, &key, val, len);
		if (!rc && !strcmp(key, name))
			return 0;
	}
	return rc ? rc : -ENODATA;
}

int fs_xattr_list(const struct ocifs_fs *fs, uint64_t vino, char **out, size_t *outlen)
{
	uint32_t n;
	size_t total = 0, at = 0;
	const char *key;
	const void *val;
	size_t len;
	char *buf;
	int rc = ocifs_view_xattr_count(fs->view, vino, &n);

	*out = NULL;
	*outlen = 0;
	for (uint32_t i = 0; !rc && i < n; i++) {
		rc = ocifs_view_xattr_entry(fs->view, vino, i, &key, &val, &len);
		if (!rc)
			total += strlen(key) + 1;
	}
	if (rc || !total)
		return rc;
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		size_t k;

		rc = ocifs_view_xattr_entry(fs->view, vino, i, &key, &val, &len);
		if (rc) {
			free(buf);
			return rc;
		}
		k = strlen(key) + 1;
		memcpy(buf + at, key, k);
		at += k;
	}
	*out = buf;
	*outlen = total;
	return 0;
}
