/* SPDX-License-Identifier: MIT */
/*
 * The cache directory (--cache-dir, $OCIFS_CACHE_DIR, $XDG_CACHE_HOME/ocifs,
 * default ~/.cache/ocifs):
 *   layers/<hex>.db           one SQLite index per compressed layer blob
 *   layers/<hex>.zshadow      lazy shadow of big zstd frames, append-only
 *                             (zshadow.h); .zshadow.lock while appending
 *   layers/<hex>.lock         flock()ed while that layer is being indexed
 *   ids/<hash>                "this file identity holds blob <digest>,
 *                              verified": lets a warm open skip re-hashing
 *   outer/<hash>.idx          listing of a gzip/zstd archive file, keyed
 *                             by its (dev, ino) (outeridx.c)
 *   views/<hex>.view, deps/<hex>.json   per-image documents (doc.h)
 *   views/<hex>.lock, deps/<hex>.lock    flock()ed while one is built
 *   spool/stdin.tmp.<pid>.<rand>  an image read from stdin (spool.h),
 *                             unlinked once open; spool/stdin-<…>.tar
 *                             one kept with `mount --keep`
 * Everything is written to a temp name and rename()d into place, so a
 * killed process never leaves a half-written file under a final name.
 *
 * The cache may be shared with, or planted by, someone else: the root and
 * its subdirectories must be real directories (not symlinks) owned by the
 * caller, mode 0700; temp files are created exclusively (O_EXCL, never
 * through a symlink) under an unguessable name, "<final>.tmp.<pid>.<rand>",
 * in a directory opened with O_DIRECTORY|O_NOFOLLOW, and renamed within
 * that directory fd. The pid in the name lets ocifs_cache_open_dir()
 * remove the temp files of processes that died (kill -9) mid-write.
 */
#ifndef OCIFS_SRC_CACHE_H
#define OCIFS_SRC_CACHE_H
#include <stddef.h>

#include "image.h"

/** Resolve the cache root -- want (--cache-dir), else $OCIFS_CACHE_DIR,
 *  else $XDG_CACHE_HOME/ocifs, else ~/.cache/ocifs -- create it and its
 *  subdirectories (0700), refuse a symlink or a directory owned by
 *  another user, make sure a file can be created in it, and remove temp
 *  files whose writer is gone. *out: its malloc'd absolute path. On
 *  failure nothing is logged (why NULL: logged) but why (cap bytes) says
 *  "DIR: reason"; a symlink is -ELOOP, another user's directory -EPERM
 *  (refusals), the rest says the directory cannot be made or written. */
int ocifs_cache_open(const char *want, char **out, char *why, size_t cap);
/** ocifs_cache_open() with flags: OCIFS_CACHE_NO_SWEEP leaves the temp
 *  files of dead writers for a later ocifs_cache_sweep() (reading every
 *  subdirectory is work proportional to the whole cache; a warm mount
 *  defers it to its daemon's exit). */
#define OCIFS_CACHE_NO_SWEEP 1u
int ocifs_cache_open_flags(const char *want, unsigned flags, char **out, char *why, size_t cap);
/** Remove the temp files of writers that are gone from every subdirectory
 *  of the cache root dir (what ocifs_cache_open() does). Errors ignored. */
void ocifs_cache_sweep(const char *dir);
/** ocifs_cache_open(NULL, out, NULL, 0): the default cache, logged. */
int ocifs_cache_open_dir(char **out);
/** A private cache for this process alone (the fallback when the cache
 *  cannot be written): a mkdtemp() directory under /dev/shm (memory),
 *  else $TMPDIR or /tmp, set up as ocifs_cache_open() does. The owner
 *  removes it with ocifs_cache_remove_tree(). Logs on failure. */
int ocifs_cache_open_temp(char **out);
/** Remove the directory tree dir (never following a symlink, never
 *  crossing a mount point); errors are ignored. */
void ocifs_cache_remove_tree(const char *dir);

/** Create (0700) subdirectory name of the cache root dir if it is
 *  missing, refusing (logged) a symlink or one owned by another user:
 *  0 or -errno. For document kinds with a directory of their own. */
int ocifs_cache_subdir(const char *dir, const char *name);

/** malloc'd "<dir>/layers/<hex><suffix>" for digest "sha256:<hex>". */
int ocifs_cache_layer_path(const char *dir, const char *digest, const char *suffix,
			   char **out);

/** Take the per-layer indexing lock (blocks while another process holds
 *  it). Returns an fd to pass to ocifs_cache_unlock(), or -errno. Removes
 *  temp files a killed indexer left for this layer. */
int ocifs_cache_lock(const char *dir, const char *digest);
void ocifs_cache_unlock(int fd);
/** Take an exclusive flock() on the lock file path (created 0600; a
 *  symlink planted there is replaced, never followed): an fd to close,
 *  or -errno (not logged). With cancelled, the lock is polled every few
 *  ms and cancelled(ctx) nonzero gives up with -EINTR; without, it
 *  blocks. */
int ocifs_cache_lock_file(const char *path, int (*cancelled)(void *ctx), void *ctx);

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

/* A temp file that becomes the cache file `final` on commit. */
struct ocifs_cache_tmp {
	int dfd;                /* final's directory, O_DIRECTORY|O_NOFOLLOW */
	int fd;                 /* the temp file, O_RDWR */
	char *path;             /* full temp path (SQLite opens by path) */
	const char *name;       /* temp name in dfd (points into path) */
	char *final;            /* final name in dfd */
};

/** Create a new, empty temp file for cache path `final` (mode 0600,
 *  O_CREAT|O_EXCL|O_NOFOLLOW, "<final>.tmp.<pid>.<random>"). 0 or
 *  -errno, logged with the path. On error *t needs no cleanup. */
int ocifs_cache_tmp_open(const char *final, struct ocifs_cache_tmp *t);
/** 0 if t->name still names the file t->fd refers to (nobody swapped it
 *  for a symlink or another file since it was created), else -EPERM. */
int ocifs_cache_tmp_check(const struct ocifs_cache_tmp *t);
/** fsync, check, rename into place, release. On error the temp file is
 *  removed. t is released in all cases. */
int ocifs_cache_tmp_commit(struct ocifs_cache_tmp *t);
/** Remove the temp file and release t (no-op on a released/zeroed t
 *  with dfd = fd = -1). */
void ocifs_cache_tmp_abort(struct ocifs_cache_tmp *t);

/** Write all len bytes of buf to fd (a cache file being written, e.g. a
 *  temp's t->fd), resuming after EINTR and short writes: 0 or -errno
 *  (-EIO if write() makes no progress); not logged. */
int ocifs_cache_write_fd(int fd, const void *buf, size_t len);

/** Open a cache file for reading without following a symlink at its
 *  last component: fd or -errno (not logged). */
int ocifs_cache_open_read(const char *path);

#endif
