/* SPDX-License-Identifier: MIT */
/*
 * The indexing pass: one streaming read of a layer blob that, at once,
 * hashes the compressed bytes (blob digest), decompresses them recording
 * checkpoints, hashes the uncompressed stream (diff_id), parses the tar,
 * hashes every regular file and notes its magic, and writes all of it to
 * a new SQLite index (idxdb.h) that is renamed into the cache only when
 * both digests matched. Decompression runs on its own thread so the two
 * halves of the work overlap on two cores.
 */
#ifndef OCIFS_SRC_INDEX_H
#define OCIFS_SRC_INDEX_H
#include <stdint.h>

#include "cache.h"
#include "image.h"

struct ocifs_index_opts {
	const char *cache_dir;
	const char *image;              /* the image file, named in messages */
	uint64_t span;                  /* checkpoint distance, 0 = default */
	uint64_t zstd_window_max;       /* 0 = default (zio.h) */
	/* called now and then with compressed bytes consumed so far */
	void (*progress)(void *ctx, uint64_t cdone);
	void *ctx;
	/* Not NULL: leave the new index in this temp file instead of
	 * renaming it into place (verify compares it with the cached one);
	 * the caller commits or aborts it. */
	struct ocifs_cache_tmp *keep;
};

struct ocifs_index_stats {
	enum ocifs_comp comp;
	uint64_t csize, usize;
	uint64_t entries;               /* tar members indexed */
	uint64_t skipped;               /* members whose path left the root */
	uint64_t index_bytes;           /* size of the index file */
	uint64_t ckpts;
};

/** Index layer `ld` (number `num`, 1-based, used in messages). The caller
 *  holds the cache lock for ld->digest (ocifs_cache_lock) when the digest
 *  is known. On success the index is at the final cache path; if
 *  ld->digest was "" it is filled in. Errors: -EILSEQ digest mismatch,
 *  -EBADMSG bad tar/codec data, -EIO truncated, each logged as one line
 *  naming the layer. No file is left behind on error. */
int ocifs_index_build(struct ocifs_layer_desc *ld, unsigned num,
		      const struct ocifs_index_opts *o, struct ocifs_index_stats *st);

#endif
