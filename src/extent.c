/* SPDX-License-Identifier: MIT */
/* Logical file offsets onto the layer stream (see extent.h). */
#include <errno.h>
#include <string.h>

#include "extent.h"

int ocifs_extent_read(const struct ocifs_extent *x, char *buf, size_t n, uint64_t off,
		      int (*rd)(void *ctx, char *buf, size_t n, uint64_t uoff), void *ctx)
{
	uint64_t packed = 0;
	int rc;

	if (!x->nsparse) {
		if (off + n > x->data_len)
			return -EIO;
		return rd(ctx, buf, n, x->data_off + off);
	}
	/* Sparse: walk the map; holes are zeros, data is stored packed. */
	memset(buf, 0, n);
	for (size_t i = 0; i < x->nsparse; i++) {
		const struct ocifs_sparse *s = &x->sparse[i];
		uint64_t lo = off > s->off ? off : s->off;
		uint64_t hi = off + n < s->off + s->len ? off + n : s->off + s->len;

		if (lo < hi) {
			uint64_t at = packed + (lo - s->off);
			if (at + (hi - lo) > x->data_len)
				return -EIO;
			rc = rd(ctx, buf + (lo - off), (size_t)(hi - lo), x->data_off + at);
			if (rc)
				return rc;
		}
		packed += s->len;
	}
	return 0;
}
