/* SPDX-License-Identifier: MIT */
/*
 * Sparse maps of the GNU dialects (see tar.h): the old header's
 * descriptors and extension blocks, and the 1.0 map stored in front of
 * the data. PAX 0.0/0.1 maps come from pax.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pax.h"
#include "tar_priv.h"

int ocifs_tar_sparse_add(struct ocifs_tar *t, int64_t off, int64_t len)
{
	struct ocifs_tar_entry *e = &t->e;
	int rc = ocifs_pax_sparse_push(&e->sparse, &e->nsparse, &t->sparse_cap, off, len);

	return rc == -EBADMSG ? tar_bad(t, "bad sparse map entry %zu", e->nsparse) : rc;
}

int ocifs_tar_sparse_old(struct ocifs_tar *t, const unsigned char *p, int n)
{
	for (; n > 0 && p[0]; n--, p += 24) {
		int64_t off, len;
		int rc;

		if (ocifs_tar_num(p, 12, &off) || ocifs_tar_num(p + 12, 12, &len))
			return tar_bad(t, "bad GNU sparse map field");
		rc = ocifs_tar_sparse_add(t, off, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* One "decimal\n" line of a GNU 1.0 sparse map at the start of the data,
 * skipping '#' lines (libarchive does); *left counts stored bytes. */
static int tar_map_line(struct ocifs_tar *t, uint64_t *left, int64_t *out)
{
	for (;;) {
		size_t lim = *left < 100 ? (size_t)*left : 100, n, i;
		const char *p, *nl;
		int64_t v = 0;
		int rc = ocifs_tar_fill(t, lim), comment;

		if (rc)
			return rc;
		n = t->end - t->pos < lim ? t->end - t->pos : lim;
		p = (const char *)t->buf + t->pos;
		nl = memchr(p, '\n', n);
		if (!nl && n < lim)
			return ocifs_tar_fail(t, -EIO, "truncated GNU sparse map");
		if (!nl)
			return tar_bad(t, "bad GNU sparse map");
		n = (size_t)(nl - p) + 1;
		comment = p[0] == '#';
		for (i = 0; !comment && i + 1 < n; i++) {
			if (p[i] < '0' || p[i] > '9' || v > (INT64_MAX - (p[i] - '0')) / 10)
				return tar_bad(t, "bad GNU sparse map");
			v = v * 10 + (p[i] - '0');
		}
		if (!comment && n == 1)
			return tar_bad(t, "bad GNU sparse map");
		ocifs_tar_consume(t, n);
		*left -= n;
		if (!comment) {
			*out = v;
			return 0;
		}
	}
}

int ocifs_tar_sparse_10(struct ocifs_tar *t, uint64_t *stored)
{
	uint64_t left = *stored, pad;
	int64_t n, off, len;
	int rc = tar_map_line(t, &left, &n);

	if (rc)
		return rc;
	if (n > (int64_t)OCIFS_PAX_MAX_SPARSE)
		return tar_bad(t, "sparse map too long");
	t->e.nsparse = 0;
	while (n-- > 0) {
		if ((rc = tar_map_line(t, &left, &off)) || (rc = tar_map_line(t, &left, &len)) ||
		    (rc = ocifs_tar_sparse_add(t, off, len)))
			return rc;
	}
	pad = TAR_PAD(*stored - left);
	if (pad > left)
		return tar_bad(t, "GNU sparse map larger than the entry");
	rc = ocifs_tar_skip(t, pad);
	*stored = left - pad;
	return rc;
}
