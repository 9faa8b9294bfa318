/* SPDX-License-Identifier: MIT */
/*
 * Where a regular file's bytes are in its layer: a run of the layer's
 * uncompressed (tar) stream, plus, for a sparse file, the map of the
 * data runs packed one after another in that run (holes read as zeros).
 * The view hands these out (ocifs_view_data); the reader, the layer and
 * the index map logical file offsets onto the stream through them.
 */
#ifndef OCIFS_SRC_EXTENT_H
#define OCIFS_SRC_EXTENT_H
#include <stddef.h>
#include <stdint.h>

/* One data run of a sparse file; the runs are stored packed, in order. */
struct ocifs_sparse {
	uint64_t off;           /* logical offset in the file */
	uint64_t len;           /* bytes of data stored for it */
};

struct ocifs_extent {
	uint64_t size;          /* logical size: what a reader sees */
	uint64_t data_off;      /* first stored byte, in the uncompressed stream */
	uint64_t data_len;      /* bytes stored from there (== size unless sparse) */
	size_t nsparse;         /* 0: not sparse */
	const struct ocifs_sparse *sparse; /* nsparse runs (borrowed), or NULL */
};

/** Map logical bytes [off, off+n) of x (n already within its size) onto
 *  the stream: holes of a sparse file are zero-filled in buf, and
 *  rd(ctx, buf + k, len, stream offset) is called for each stored run.
 *  0, rd's first error, or -EIO when the map points past the stored data. */
int ocifs_extent_read(const struct ocifs_extent *x, char *buf, size_t n, uint64_t off,
		      int (*rd)(void *ctx, char *buf, size_t n, uint64_t uoff), void *ctx);

#endif
