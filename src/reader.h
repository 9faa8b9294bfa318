/* SPDX-License-Identifier: MIT */
/*
 * The reader: the one engine every consumer reads view files through
 * (the FUSE mount's copy path, the analyzers' tree, `ocifs cat`). Per
 * view it shares a span cache of decoded layer blocks (spancache.h) and
 * the decoder cursors that closed files left parked, per layer; per open
 * file it keeps a forward cursor. A block is decoded once, by whichever
 * file missed it; a sequential reader's cursor just continues (its
 * blocks enter the cache cold), random readers share the hot blocks, and
 * a file that would restart its decoder at a checkpoint takes a parked
 * cursor that gets there sooner. With cache_size 0 reads go straight to
 * the file's cursor. With readahead, a file read sequentially has the
 * units after the one it reads decoded on worker threads (readahead.h),
 * with or without a cache.
 *
 * Thread-safety: everything may be called from any thread; one open
 * file may be read by several threads (its reads are serialized). Locks
 * shared between files are held for pointer moves only, never while
 * decoding.
 */
#ifndef OCIFS_SRC_READER_H
#define OCIFS_SRC_READER_H
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "extent.h"
#include "layer.h"
#include "view.h"

#define OCIFS_READER_BLOCK (256u << 10) /* default span block */
#define OCIFS_READER_AHEAD (16u << 20)  /* read-ahead of the mount and cat */

struct ocifs_reader_opts {
	uint64_t cache_size;    /* span cache budget in bytes; 0: no cache
				 * (each file reads through its cursor) */
	uint64_t cold_max;      /* of it, at most this in cold blocks (of
				 * sequential streams); 0: a quarter of
				 * cache_size */
	size_t block;           /* span block (aligned run of a layer's
				 * stream); 0: OCIFS_READER_BLOCK */
	int hashck;             /* check a file read whole and in order
				 * against its sha256 (ocifs_view_hashck) */
	uint64_t readahead;     /* bytes a sequential reader of a compressed
				 * layer has decoded ahead on other threads
				 * (readahead.h); 0: none. All readers together
				 * hold at most twice this, beside cache_size */
	unsigned ra_threads;    /* read-ahead workers; 0: online CPUs */
	uint64_t ra_unit;       /* checkpoints merged below this; 0: default */
};

struct ocifs_reader;
struct ocifs_rfile;

/** A reader of v's files (v borrowed; must outlive it). cache_size is
 *  raised to one block when smaller. 0, -ENOMEM or -EINVAL. */
int ocifs_reader_new(const struct ocifs_view *v, const struct ocifs_reader_opts *o,
		     struct ocifs_reader **out);
/** Frees the reader and closes the files still open through it. */
void ocifs_reader_free(struct ocifs_reader *r);

/** Open regular file ino: 0, -ENOENT, -EINVAL (not a regular file),
 *  -ENOMEM. */
int ocifs_reader_open(struct ocifs_reader *r, uint64_t ino, struct ocifs_rfile **out);
/** Like ocifs_reader_open, for a caller that reads the file once, in
 *  order (a whole-file slurp): its reads decode straight into the
 *  caller's buffer through the file's own cursor (parked cursors still
 *  carry on from file to file) and put nothing in the span cache, which
 *  would only cost a copy and an allocation per block. */
int ocifs_reader_open_direct(struct ocifs_reader *r, uint64_t ino, struct ocifs_rfile **out);
/* Verdicts of the sha256 check of a file opened by extent. */
#define OCIFS_READER_UNCHECKED 0
#define OCIFS_READER_OK 1       /* matched once: not hashed again */
#define OCIFS_READER_BAD 2      /* did not: every read fails with -EIO */

/** Like ocifs_reader_open, for bytes the view does not name: extent x
 *  (borrowed, with its sparse map; must outlive the file) of layer l,
 *  one of the view's layers (a file of that layer's own tree, ltree.h).
 *  Reads share the span cache and parked cursors. With hashck, sha256
 *  (the file's digest from its index) and verdict (a byte the caller
 *  keeps per file, OCIFS_READER_UNCHECKED at first), a read of the whole
 *  file in order is checked as the view's files are, and the verdict
 *  stored there (atomically): a file found BAD fails every later open
 *  and read with -EIO. sha256 and verdict may be NULL (no check). 0,
 *  -EINVAL (not a layer of the view), -EIO (BAD), -ENOMEM. */
int ocifs_reader_open_extent(struct ocifs_reader *r, struct ocifs_layer *l,
			     const struct ocifs_extent *x, const unsigned char *sha256,
			     unsigned char *verdict, struct ocifs_rfile **out);
/** Bytes [off, off+n) of the file: 0 and *got (< n only at its end),
 *  or -EIO (the layer's stream is short or corrupt, or with hashck the
 *  file failed its sha256), -ENOMEM, a codec error. Never short
 *  otherwise. */
int ocifs_rfile_read(struct ocifs_rfile *f, void *buf, size_t n, uint64_t off, size_t *got);
/* Bytes handed out where the reader holds them (ocifs_rfile_readv). */
#define OCIFS_RVEC_MAX 16
struct ocifs_span;
struct ocifs_rvec {
	size_t n;                               /* pieces */
	struct iovec iov[OCIFS_RVEC_MAX];
	struct ocifs_span *pin[OCIFS_RVEC_MAX]; /* what keeps iov[i] alive */
};
/** Like ocifs_rfile_read without the copy: the bytes as pieces of the
 *  reader's decoded blocks, pinned until ocifs_rvec_release() (a FUSE
 *  reply writes them straight from there). -EAGAIN when the file is not
 *  read through blocks (no cache, a plain layer, holes) or the read
 *  needs more than OCIFS_RVEC_MAX pieces: use ocifs_rfile_read. */
int ocifs_rfile_readv(struct ocifs_rfile *f, size_t n, uint64_t off, struct ocifs_rvec *v,
		      size_t *got);
void ocifs_rvec_release(struct ocifs_rvec *v);
/** Where the file's bytes are (borrowed, valid while f is open). */
const struct ocifs_extent *ocifs_rfile_extent(const struct ocifs_rfile *f);
struct ocifs_layer *ocifs_rfile_layer(const struct ocifs_rfile *f);
/** Close (NULL: nothing); its cursor is parked for the next file. */
void ocifs_rfile_close(struct ocifs_rfile *f);

struct ocifs_reader_stats {
	uint64_t hits, misses;  /* span cache lookups */
	uint64_t bytes, spans;  /* cached now */
	uint64_t cold_bytes;    /* of bytes, cold */
	int cursors;            /* live decoder cursors (of files) */
	/* read-ahead (readahead.h's ocifs_ra_stats) */
	uint64_t ra_queued, ra_inline, ra_cancelled, ra_failed, ra_errors, ra_blocks, ra_served,
		ra_waits, ra_bytes, ra_peak;
	unsigned ra_jobs, ra_threads;
	/* span buffers: reused from the pool, newly allocated */
	uint64_t buf_reused, buf_allocated;
};
void ocifs_reader_stats(struct ocifs_reader *r, struct ocifs_reader_stats *st);

#endif
