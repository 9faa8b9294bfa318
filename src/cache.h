/* SPDX-License-Identifier: MIT */
/*
 * The cache directory ($XDG_CACHE_HOME/ocifs, default ~/.cache/ocifs):
 *   layers/<hex>.db           one SQLite index per compressed layer blob
 *   layers/<hex>.shadow.zst   seekable copy of big zstd frames (zio.h)
 *   layers/<hex>.lock         flock()ed while that layer is being indexed
 *   ids/<hash>                "this file identity holds blob <digest>,
 *                              verified": lets a warm open skip re-hashing
 * Everything is written to a temp name and rename()d into place, so a
 * killed process never leaves a half-written file under a final name.
 */
#ifndef OCIFS_SRC_CACHE_H
#define OCIFS_SRC_CACHE_H
#include "image.h"

/** Resolve and create (0700) the cache root and its subdirectories.
 *  *out is malloc'd. */
int ocifs_cache_open_dir(char **out);

/** malloc'd "<dir>/layers/<hex><suffix>" for digest "sha256:<hex>". */
int ocifs_cache_layer_path(const char *dir, const char *digest, const char *suffix,
			   char **out);

/** Take the per-layer indexing lock (blocks while another process holds
 *  it). Returns an fd to pass to ocifs_cache_unlock(), or -errno. Removes
 *  temp files a killed indexer left for this layer. */
int ocifs_cache_lock(const char *dir, const char *digest);
void ocifs_cache_unlock(int fd);

/** Look up the verified digest of the blob at `id` (with blob size
 *  `size`). 0 and digest filled, or -ENOENT. *stamp_ns (if not NULL)
 *  gets the time the record was written. */
int ocifs_cache_id_get(const char *dir, const struct ocifs_fileid *id, uint64_t size,
		       char digest[OCIFS_DIGEST_STRLEN + 1], int64_t *stamp_ns);
/** Record that `id` was verified to hold `digest`. */
int ocifs_cache_id_put(const char *dir, const struct ocifs_fileid *id, uint64_t size,
		       const char *digest);

/** Write `len` bytes to `path` atomically (temp + fsync + rename). */
int ocifs_cache_write_atomic(const char *path, const void *buf, size_t len);

#endif
