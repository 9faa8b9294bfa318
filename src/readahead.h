/* SPDX-License-Identifier: MIT */
/*
 * Read-ahead on the checkpoint grid: while a sequential reader consumes
 * one part of a compressed layer, the next parts are decoded on other
 * threads. Every run of the stream that starts at a checkpoint decodes
 * on its own (zio.h), so the parts -- "units", runs of span blocks from
 * one checkpoint to the next -- decode in parallel. The reader
 * (reader.c) owns one engine and is its only user.
 *
 * Units. Blocks are the span cache's (block-aligned runs of a layer's
 * uncompressed stream); a unit starts at the first block at or after a
 * checkpoint (decoding starts at that checkpoint: less than a block
 * thrown away) and ends where the next unit starts. Checkpoints closer
 * than `unit` bytes are merged into one unit (a unit starts at the first
 * checkpoint block of each `unit`-sized cell); a run with no checkpoint
 * for more than 16 units (a single big zstd frame) gets one unit at its
 * start and none after: nothing there can start without decoding
 * everything before it, so the reader's own cursor reads it, as before.
 *
 * Jobs. A job decodes one unit into one slab of spans from the reader's
 * span pool (spancache.h), zstd in runs from one blob checkpoint to the
 * next, each run in one decoder call straight into the slab (frames
 * whole in a run skip the decoder's own buffer and copy), gzip block by
 * block; each run published when done; a run that fails is decoded
 * again block by block, so its blocks before the damage are still
 * served. A job is queued by an owner (an open file) reading
 * sequentially, at most `ahead` bytes past the owner's position, and all
 * jobs together hold at most `max` bytes (reserved when queued, released
 * when freed). Any
 * reader that needs a block of a job takes it from there: a block done
 * is shared, a block being decoded is waited for (never decoded twice at
 * once), a job still queued is run by the reader itself rather than
 * waiting for a busy worker. A job that fails (corrupt or short stream)
 * records its error at the block it failed on: readers of that block or
 * later ones of the unit get the error, readers of earlier blocks their
 * bytes, other units are untouched. Jobs the owner has read past (by a
 * little slack, for reads the kernel delivers out of order) are retired
 * through the retire callback (the reader puts copies of the blocks
 * nobody read whole in the span cache, cold); when the owner jumps elsewhere or closes, its jobs are
 * cancelled: queued ones dropped, running ones stop at the next run.
 *
 * Threads. A pool of `threads` workers (0: online CPUs, at least 1),
 * created when the first job is queued and joined by ocifs_ra_free(),
 * which cancels whatever is in flight. Each worker keeps one cursor of
 * the layer it last decoded, freed after a second idle.
 *
 * Locking. One mutex (ra->lock) guards the job list, every job's state,
 * references and published spans, and the counters; a job's cancel flag
 * is also read without it (atomically) by its runner between runs. A
 * condition variable wakes workers (work), another readers waiting for a
 * block (done). Nobody decodes with the lock held: a worker or inline reader
 * decodes a run outside it and publishes it under it. Lock order:
 * reader file lock -> ra->lock -> span pool lock; retired spans are
 * handed to the callback after ra->lock is released.
 *
 * Memory: at most `max` bytes of decoded blocks in jobs, beside the span
 * cache's budget; once retired they count in the cache's cold budget.
 */
#ifndef OCIFS_SRC_READAHEAD_H
#define OCIFS_SRC_READAHEAD_H
#include <stddef.h>
#include <stdint.h>

#include "layer.h"
#include "spancache.h"

#define OCIFS_RA_AHEAD_DEFAULT (16u << 20)   /* bytes ahead of a reader */
#define OCIFS_RA_UNIT_DEFAULT (1u << 20)     /* checkpoints merged below this */

struct ocifs_ra_opts {
	size_t block;           /* span block */
	uint64_t ahead;         /* bytes decoded ahead of one reader (> 0) */
	uint64_t max;           /* all jobs together; 0: 2 x ahead */
	uint64_t unit;          /* 0: OCIFS_RA_UNIT_DEFAULT */
	unsigned threads;       /* 0: online CPUs */
	struct ocifs_spanpool *pool;    /* where spans come from (borrowed) */
	/* a block a retired job decoded (the callee takes the reference) */
	void (*retire)(void *ctx, struct ocifs_span *s);
	void *ctx;
};

struct ocifs_ra;
struct ocifs_ra_job;

int ocifs_ra_new(const struct ocifs_ra_opts *o, struct ocifs_ra **out);
/** Cancel every job, join the workers, free. No caller may be inside. */
void ocifs_ra_free(struct ocifs_ra *ra);

/** Owner reads block blk of layer l sequentially, and the stream it
 *  reads ends before block end: retire its jobs it is past, queue the
 *  units after blk's (up to `ahead` bytes, not past end). */
void ocifs_ra_advance(struct ocifs_ra *ra, const void *owner, struct ocifs_layer *l,
		      uint64_t blk, uint64_t end);
/** Cancel all of owner's jobs (it jumped elsewhere, or closes). */
void ocifs_ra_drop(struct ocifs_ra *ra, const void *owner);
/** Does owner have jobs? */
int ocifs_ra_owns(struct ocifs_ra *ra, const void *owner);

/** Block blk of layer l from a job: 1 and *out (a reference); 0 when no
 *  job has it (the caller decodes it itself); a negative errno when the
 *  job failed at or before it; or 2 and *run: a queued job the caller
 *  claimed, to decode now with ocifs_ra_run(), then ask again. Waits
 *  while a block is being decoded elsewhere. */
int ocifs_ra_get(struct ocifs_ra *ra, struct ocifs_layer *l, uint64_t blk,
		 struct ocifs_span **out, struct ocifs_ra_job **run);
/** Is block blk of l in a job (a hint: the job may end right after)? */
int ocifs_ra_covers(struct ocifs_ra *ra, const struct ocifs_layer *l, uint64_t blk);
/** Stream offset of job j's first block (the caller readies a cursor
 *  for it). */
uint64_t ocifs_ra_job_start(const struct ocifs_ra *ra, const struct ocifs_ra_job *j);
/** Decode claimed job j through cursor c (of j's layer; NULL: the job
 *  fails with cerr, the error getting one) and release the claim: 0 and
 *  *pos where the cursor stopped, or the job's error (the cursor is then
 *  mid-way through garbage: free it). */
int ocifs_ra_run(struct ocifs_ra *ra, struct ocifs_ra_job *j, struct ocifs_zcursor *c, int cerr,
		 uint64_t *pos);

struct ocifs_ra_stats {
	uint64_t queued;        /* jobs queued */
	uint64_t inline_runs;   /* of them run by a reader */
	uint64_t cancelled;     /* dropped before their end */
	uint64_t failed;        /* stopped by a decode error */
	uint64_t errors;        /* reads given a failed job's error */
	uint64_t blocks;        /* blocks decoded */
	uint64_t served;        /* blocks handed to readers */
	uint64_t waits;         /* readers that waited for a block */
	uint64_t bytes, peak;   /* reserved by jobs now, at most */
	unsigned jobs, threads; /* jobs findable now, workers started */
};
void ocifs_ra_stats(struct ocifs_ra *ra, struct ocifs_ra_stats *st);

#endif
