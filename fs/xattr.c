/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes: the PAX SCHILY.xattr.* records the view kept for
 * each inode, served as they are, and the virtual user.ocifs.layer
 * (answered by getxattr, not listed, so a copy of the tree is exact).
 * The handlers in ops.c do the size probing (size 0 asks for the
 * length) and ERANGE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

/* user.ocifs.layer of view inode vino: "N DIGEST" into buf. */
static int xattr_layer(const struct ocifs_fs *fs, uint64_t vino, char *buf, size_t cap,
		       size_t *len)
{
	struct ocifs_vattr a;
	int n, rc = ocifs_view_getattr(fs->view, vino, &a);

	if (rc)
		return rc;
	if (a.layer == OCIFS_VIEW_NO_LAYER || a.layer >= fs->img->nlayers)
		return -ENODATA; /* a directory no layer lists */
	n = snprintf(buf, cap, "%u %s", a.layer + 1, fs->img->layers[a.layer].digest);
	if (n < 0 || (size_t)n >= cap)
		return -ERANGE;
	*len = (size_t)n;
	return 0;
}

int fs_xattr_get(const struct ocifs_fs *fs, uint64_t vino, const char *name, char *scratch,
		 size_t cap, const void **val, size_t *len)
{
	uint32_t n;
	int rc = ocifs_view_xattr_count(fs->view, vino, &n);

	for (uint32_t i = 0; !rc && i < n; i++) {
		const char *key;

		rc = ocifs_view_xattr_entry(fs->view, vino, i, &key, val, len);
		if (!rc && !strcmp(key, name))
			return 0;
	}
	if (rc)
		return rc;
	if (strcmp(name, OCIFS_XATTR_LAYER))
		return -ENODATA;
	*val = scratch;
	return xattr_layer(fs, vino, scratch, cap, len);
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
