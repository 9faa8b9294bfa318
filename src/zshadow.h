/* SPDX-License-Identifier: MIT */
/*
 * The lazy shadow of a zstd layer: random access into frames much larger
 * than a span, paid for only where a file is actually read at random.
 *
 * A zstd frame cannot be entered mid-way, so a read far into a big frame
 * decodes it from its start. When a cursor (zstdidx.c) finds itself
 * decoding more than 2 spans to reach a read, it asks for that range here
 * and goes on decoding. One background thread per layer (started on the
 * first request, joined at close) decodes the frame from its start (or
 * from where it stopped last time, if that is behind the range), re-
 * compresses the span-sized chunks that were asked for (zstd level 1) and
 * appends them to the layer's shadow file in the cache; the next read of
 * that range restarts in the shadow, at most a span before it.
 *
 * Only the chunks asked for are made, not the whole frame: the decode
 * from the frame's start has to be paid either way, but compressing and
 * storing the rest would bring back the ~40 % of the layer on disk that
 * the eager shadow of old cost. A cursor that decodes past the middle of
 * a chunk asks for the next one if it is missing: it is reading on.
 *
 * The file, layers/<hex>.zshadow, is append-only: a 32-byte header
 * ("OCIFSZS1", usize, csize, FNV-1a of those), then records of a 72-byte
 * header ("ZSCK", 0, uoff, ulen, clen, sha256 of the ulen uncompressed
 * bytes, FNV-1a of the 64 bytes before) and clen bytes of one zstd frame.
 * Appends take the flock() of layers/<hex>.zshadow.lock, so mounts of the
 * same layer in several processes share it; the data is written before its
 * record header, so a crash mid-write leaves an invalid tail, which
 * readers ignore and the next writer cuts off. Nothing valid is ever
 * rewritten. The sha256 is taken of bytes decoded from the blob, which the
 * layer verified; each chunk is decoded and checked against it once a
 * process before its first use, and a chunk that fails (or fails later)
 * is never used again: the read falls back to the blob. Never wrong bytes.
 *
 * Checkpoints are published as snapshots: an immutable struct ocifs_ckpts
 * (the layer's own, plus one OCIFS_CK_SHADOW checkpoint per chunk, with
 * .live pointing here), replaced by a newer one after each chunk (an
 * atomic pointer, release/acquire). Old snapshots are kept until close, so
 * a pointer from ocifs_zshadow_ckpts() stays valid until then.
 *
 * Thread safety: every function may be called from any thread, except
 * open/close. z->mu guards the request queue and the chunk table (the
 * worker is its only writer); readers see chunks only through snapshots.
 * Memory: the queue is capped; the worker holds a span-sized output
 * buffer and one decoder and one encoder while it lives.
 */
#ifndef OCIFS_SRC_ZSHADOW_H
#define OCIFS_SRC_ZSHADOW_H
#include <stddef.h>
#include <stdint.h>

#include "zio.h"

struct ocifs_zshadow;

struct ocifs_zshadow_stats {
	uint64_t loaded;          /* chunks found in the file (other processes') */
	uint64_t made;            /* chunks this process made */
	uint64_t verified;        /* chunks checked good before their first use */
	uint64_t bad;             /* chunks that failed: reads went to the blob */
	uint64_t requests;        /* chunks asked for */
	uint64_t file_bytes;      /* the shadow file's size as last seen */
};

/** 1 if base (a zstd layer's checkpoints) has a gap of more than 2 spans,
 *  i.e. a frame a lazy shadow would help with. */
int ocifs_zshadow_wanted(const struct ocifs_ckpts *base, uint64_t span);

/** The lazy shadow of blob, whose checkpoints from its index are base
 *  (borrowed: must outlive it; base->live stays NULL), in the file path
 *  (it need not exist; it is created on the first chunk). Reads what the
 *  file already holds; starts no thread. span: 0 = OCIFS_SPAN_DEFAULT.
 *  Takes a reference on blob. 0 or -ENOMEM. */
int ocifs_zshadow_open(struct ocifs_src *blob, const struct ocifs_ckpts *base,
		       const char *path, uint64_t span, struct ocifs_zshadow **out);
/** Stop and join the worker (it gives up mid-chunk, and while waiting for
 *  another process's lock), free every snapshot. No cursor may be using
 *  one any more. */
void ocifs_zshadow_close(struct ocifs_zshadow *z);

/** The newest snapshot (valid until close). */
const struct ocifs_ckpts *ocifs_zshadow_ckpts(struct ocifs_zshadow *z);
uint64_t ocifs_zshadow_span(const struct ocifs_zshadow *z);
/** Ask for the chunks holding [off, off + n); returns at once. Chunks that exist, and offsets within a span of one of the
 *  layer's own checkpoints, are not queued. */
void ocifs_zshadow_request(struct ocifs_zshadow *z, uint64_t off, size_t n);
/** 0 if the shadow checkpoint j of snapshot snap may be used: checked
 *  (decoded, sha256 compared) on its first use in this process. -EIO
 *  (logged once) if it failed. */
int ocifs_zshadow_chunk_ok(struct ocifs_zshadow *z, const struct ocifs_ckpts *snap, size_t j);
/** A read of checkpoint j's frame failed after its check: never again. */
void ocifs_zshadow_chunk_bad(struct ocifs_zshadow *z, const struct ocifs_ckpts *snap, size_t j);
/** The shadow file as a source (borrowed; valid until close). Only
 *  called for a snapshot that has shadow checkpoints. */
struct ocifs_src *ocifs_zshadow_src(struct ocifs_zshadow *z);
/** Block until every chunk asked for so far is made (or given up). */
void ocifs_zshadow_wait(struct ocifs_zshadow *z);
void ocifs_zshadow_stats(struct ocifs_zshadow *z, struct ocifs_zshadow_stats *out);

#endif
