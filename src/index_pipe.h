/* SPDX-License-Identifier: MIT */
/*
 * The index pass's pipeline (index.c): a ring of decoded chunks between
 * two or three threads (three without side_ride), so one layer's work
 * spreads over two cores.
 *
 *   producer thread: produce() fills chunks (decompression; the blob's
 *                    sha256 is taken inside produce, on the compressed side)
 *   hasher thread:   sha256 of every chunk in order (the diff_id), when
 *                    opts.sha is set, and of the bytes produce() hands to
 *                    ocifs_index_pipe_side() (the blob digest) unless
 *                    opts.side_ride gives those to the calling thread
 *   calling thread:  reads the same chunks through a struct ocifs_stream,
 *                    by copy (read) or by reference (peek): the tar reader
 *                    and the per-file hashes; with opts.inline_sha instead,
 *                    the diff_id too, paired with the file hashes
 *
 * A chunk is reused once the hasher and the reader are both done with it,
 * so memory is nslots * chunk whatever the stream's size; every wait is on
 * a condition variable. Not thread-safe beyond that split: one reader.
 */
#ifndef OCIFS_SRC_INDEX_PIPE_H
#define OCIFS_SRC_INDEX_PIPE_H
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "sha.h"
#include "src.h"

struct ocifs_index_pipe_opts {
	/* 0 and *got (0 = end of stream) or a negative errno (logged by
	 * produce itself); called on the producer thread only. */
	int (*produce)(void *ctx, void *buf, size_t n, size_t *got);
	void *ctx;
	/* NULL: no hasher thread. Otherwise updated with every byte, in
	 * order, on the hasher thread; the caller reads it after finish(). */
	struct ocifs_sha *sha;
	/* Or (not both): updated on the calling thread with every byte, in
	 * order, as the reader leaves each chunk, or sooner through
	 * ocifs_index_pipe_pair(), which hashes bytes into it and another
	 * context in one pass (ocifs_sha_update2). Complete after finish(). */
	struct ocifs_sha *inline_sha;
	/* Not NULL: the bytes produce() passes to ocifs_index_pipe_side()
	 * (the compressed input) are copied to a small ring of their own and
	 * hashed into it on the hasher thread. Complete after finish(). */
	struct ocifs_sha *side_sha;
	/* With inline_sha and side_sha, all three pairable (sha.h): the
	 * calling thread hashes the side bytes too, riding along the paired
	 * hashes of ocifs_index_pipe_pair (ocifs_sha_update2_ride); no
	 * hasher thread. */
	int side_ride;
	/* Both threads attach it (log lines held until the caller decides). */
	struct ocifs_log_hold *hold;
	size_t chunk;                   /* bytes; 0 = 256 KiB */
	unsigned nslots;                /* >= 2; 0 = 16 */
};

struct ocifs_index_pipe;

/** Allocate the ring and start the threads; *out is set before the
 *  producer starts (produce may use it). 0, -EINVAL (sha and inline_sha
 *  both set), -ENOMEM or -EAGAIN. */
int ocifs_index_pipe_start(const struct ocifs_index_pipe_opts *o, struct ocifs_index_pipe **out);
/** The reader's side: read() copies, peek() hands out a pointer to up to
 *  n bytes of a chunk, valid until the next call on the stream. Chunks
 *  produced before an error are all handed out first; then the producer's
 *  error. Calling thread only. */
void ocifs_index_pipe_stream(struct ocifs_index_pipe *p, struct ocifs_stream *s);
/** Producer thread only (from produce): hand n bytes to side_sha. Waits
 *  while the side ring is full; returns at once after a stop. */
void ocifs_index_pipe_side(struct ocifs_index_pipe *p, const void *buf, size_t n);
/** Bytes handed out to the reader so far. */
uint64_t ocifs_index_pipe_offset(const struct ocifs_index_pipe *p);
/** The stream's bytes [off, off + n), handed out already and at q (the
 *  reader's copy or the ring's), go into `also`; inline_sha takes the
 *  stream up to off + n, the same bytes in the same pass where it had not
 *  taken them yet. Without inline_sha, just an update of `also`. Calling
 *  thread only; off at or after the start of the last chunk handed out. */
void ocifs_index_pipe_pair(struct ocifs_index_pipe *p, uint64_t off, const void *q, size_t n,
			   struct ocifs_sha *also);
/** After the reader got the end of the stream: wait for the hasher to
 *  finish (o->sha is then complete) and join both threads. 0 or the
 *  producer's error. */
int ocifs_index_pipe_finish(struct ocifs_index_pipe *p);
/** Stop both threads (at any time, e.g. after a tar error), join them,
 *  free everything. NULL is a no-op. */
void ocifs_index_pipe_free(struct ocifs_index_pipe *p);

#endif
