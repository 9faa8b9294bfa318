/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes: the PAX SCHILY.xattr.* records kept for each
 * inode (of the merged view, or of a layer's own tree), served as they
 * are, and three virtual ones (DESIGN §8):
 *
 *   user.ocifs.layer         "N DIGEST": the 1-based layer the inode
 *                            came from and that layer's blob digest
 *   user.ocifs.layer.digest  "DIGEST" alone
 *   user.ocifs.sha256        64 hex digits: a regular file's sha256,
 *                            from its layer's index
 *
 * A directory no layer lists has no user.ocifs.layer*, a file whose
 * index holds no sha256 no user.ocifs.sha256 (ENODATA). listxattr lists
 * the virtual names an inode has, after its own, so `getfattr -d -m
 * user.ocifs` shows them (an image's own record of the same name wins
 * and is listed once). Copies that keep xattrs (cp -a, rsync -X, tar
 * --xattrs) therefore carry user.ocifs.* along: compare trees without
 * them (tests/gen/treesum.py does).
 *
 * The handlers in ops.c do the size probing (size 0 asks for the
 * length) and ERANGE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "hex.h"

/* The virtual names, in listing order. */
static const char *const xattr_virt[] = { OCIFS_XATTR_LAYER, OCIFS_XATTR_LAYER_DIGEST,
					  OCIFS_XATTR_SHA256 };
#define XATTR_NVIRT (sizeof(xattr_virt) / sizeof(xattr_virt[0]))

/* The digest layer k is known by: its blob's, else its diff_id. */
static const char *layer_digest(const struct ocifs_fs *fs, uint32_t k)
{
	const struct ocifs_layer_desc *d = &fs->img->layers[k];

	return *d->digest ? d->digest : d->diff_id;
}

/* Does s have virtual name v (an index into xattr_virt)? */
static int has_virt(const struct ocifs_fs *fs, const struct fs_xsrc *s, size_t v)
{
	if (v == 2)
		return s->hashed;
	return s->layer != OCIFS_VIEW_NO_LAYER && s->layer < fs->img->nlayers &&
	       *layer_digest(fs, s->layer);
}

/* Value of virtual name v into buf. */
static int virt_value(const struct ocifs_fs *fs, const struct fs_xsrc *s, size_t v, char *buf,
		      size_t cap, size_t *len)
{
	int n;

	if (!has_virt(fs, s, v))
		return -ENODATA;
	if (v == 2) {
		if (cap < 2 * sizeof(s->sha256))
			return -ERANGE;
		ocifs_hex_encode(buf, s->sha256, sizeof(s->sha256));
		*len = 2 * sizeof(s->sha256);
		return 0;
	}
	if (v == 0)
		n = snprintf(buf, cap, "%u %s", s->layer + 1, layer_digest(fs, s->layer));
	else
		n = snprintf(buf, cap, "%s", layer_digest(fs, s->layer));
	if (n < 0 || (size_t)n >= cap)
		return -ERANGE;
	*len = (size_t)n;
	return 0;
}

/* Is name one of s's PAX records? 1 and its value, 0, or an error. */
static int pax_find(const struct fs_xsrc *s, const char *name, const void **val, size_t *len)
{
	for (uint32_t i = 0; i < s->n; i++) {
		const char *key;
		int rc = s->entry(s->ctx, s->id, i, &key, val, len);

		if (rc)
			return rc;
		if (!strcmp(key, name))
			return 1;
	}
	return 0;
}

int fs_xattr_src_get(const struct ocifs_fs *fs, const struct fs_xsrc *s, const char *name,
		     char *scratch, size_t cap, const void **val, size_t *len)
{
	int rc = pax_find(s, name, val, len);

	if (rc)
		return rc < 0 ? rc : 0;
	for (size_t v = 0; v < XATTR_NVIRT; v++)
		if (!strcmp(name, xattr_virt[v])) {
			*val = scratch;
			return virt_value(fs, s, v, scratch, cap, len);
		}
	return -ENODATA;
}

int fs_xattr_src_list(const struct ocifs_fs *fs, const struct fs_xsrc *s, char **out,
		      size_t *outlen)
{
	int own[XATTR_NVIRT] = { 0 }; /* an image's own record of that name */
	size_t total = 0, at = 0;
	const char *key;
	const void *val;
	size_t len;
	char *buf;
	int rc = 0;

	*out = NULL;
	*outlen = 0;
	for (uint32_t i = 0; !rc && i < s->n; i++) {
		rc = s->entry(s->ctx, s->id, i, &key, &val, &len);
		if (rc)
			return rc;
		total += strlen(key) + 1;
		for (size_t v = 0; v < XATTR_NVIRT; v++)
			own[v] |= !strcmp(key, xattr_virt[v]);
	}
	for (size_t v = 0; v < XATTR_NVIRT; v++)
		if (!own[v] && has_virt(fs, s, v))
			total += strlen(xattr_virt[v]) + 1;
	if (!total)
		return 0;
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n; i++) {
		size_t k;

		rc = s->entry(s->ctx, s->id, i, &key, &val, &len);
		if (rc) {
			free(buf);
			return rc;
		}
		k = strlen(key) + 1;
		memcpy(buf + at, key, k);
		at += k;
	}
	for (size_t v = 0; v < XATTR_NVIRT; v++) {
		if (own[v] || !has_virt(fs, s, v))
			continue;
		memcpy(buf + at, xattr_virt[v], strlen(xattr_virt[v]) + 1);
		at += strlen(xattr_virt[v]) + 1;
	}
	*out = buf;
	*outlen = total;
	return 0;
}

static int view_entry(const void *ctx, uint64_t ino, uint32_t i, const char **key,
		      const void **val, size_t *len)
{
	return ocifs_view_xattr_entry(ctx, ino, i, key, val, len);
}

/* The xattr source of view inode vino. */
static int view_src(const struct ocifs_fs *fs, uint64_t vino, struct fs_xsrc *s)
{
	struct ocifs_vattr a;
	uint32_t flags;
	int rc = ocifs_view_getattr(fs->view, vino, &a);

	memset(s, 0, sizeof(*s));
	if (!rc)
		rc = ocifs_view_xattr_count(fs->view, vino, &s->n);
	if (rc)
		return rc;
	s->entry = view_entry;
	s->ctx = fs->view;
	s->id = vino;
	s->layer = a.layer;
	if (S_ISREG(a.mode) && ocifs_view_file_facts(fs->view, vino, &flags, s->sha256) == 0)
		s->hashed = !!(flags & OCIFS_EF_HASHED);
	return 0;
}

int fs_xattr_get(const struct ocifs_fs *fs, uint64_t vino, const char *name, char *scratch,
		 size_t cap, const void **val, size_t *len)
{
	struct fs_xsrc s;
	int rc = view_src(fs, vino, &s);

	return rc ? rc : fs_xattr_src_get(fs, &s, name, scratch, cap, val, len);
}

int fs_xattr_list(const struct ocifs_fs *fs, uint64_t vino, char **out, size_t *outlen)
{
	struct fs_xsrc s;
	int rc = view_src(fs, vino, &s);

	*out = NULL;
	*outlen = 0;
	return rc ? rc : fs_xattr_src_list(fs, &s, out, outlen);
}
