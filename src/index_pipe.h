/* SPDX-License-Identifier: MIT */
/*
 * The index pass's pipeline (index.c): a ring of decoded chunks between
 * three threads, so one layer's work spreads over two cores.
 *
 *   producer thread: produce() fills chunks (decompression; the blob's
 *                    sha256 is taken inside produce, on the compressed side)
 *   hasher thread:   sha256 of every chunk in order (the diff_id)
 *   calling thread:  reads the same chunks through a struct ocifs_stream,
 *                    by copy (read) or by reference (peek): the tar reader
 *                    and the per-file hashes
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
	/* Both threads attach it (log lines held until the caller decides). */
	struct ocifs_log_hold *hold;
	size_t chunk;                   /* bytes; 0 = 256 KiB */
	unsigned nslots;                /* >= 2; 0 = 16 */
};

struct ocifs_index_pipe;

/** Allocate the ring and start the threads. 0, -ENOMEM or -EAGAIN. */
int ocifs_index_pipe_start(const struct ocifs_index_pipe_opts *o, struct ocifs_index_pipe **out);
/** The reader's side: read() copies, peek() hands out a pointer to up to
 *  n bytes of a chunk, valid until the next call on the stream. Chunks
 *  produced before an error are all handed out first; then the producer's
 *  error. Calling thread only. */
void ocifs_index_pipe_stream(struct ocifs_index_pipe *p, struct ocifs_stream *s);
/** Bytes handed out to the reader so far. */
uint64_t ocifs_index_pipe_offset(const struct ocifs_index_pipe *p);
/** After the reader got the end of the stream: wait for the hasher to
 *  finish (o->sha is then complete) and join both threads. 0 or the
 *  producer's error. */
int ocifs_index_pipe_finish(struct ocifs_index_pipe *p);
/** Stop both threads (at any time, e.g. after a tar error), join them,
 *  free everything. NULL is a no-op. */
void ocifs_index_pipe_free(struct ocifs_index_pipe *p);

#endif
