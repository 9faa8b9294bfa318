/* SPDX-License-Identifier: MIT */
/*
 * The span cache: decompressed blocks of layer streams, shared by every
 * open file, so random reads of compressed layers (and of small files
 * packed next to each other in one layer) do not restart the decoder at
 * a checkpoint each time. Keyed by (layer, block number), where a block
 * is an aligned run of the layer's uncompressed stream.
 *
 * The budget is split over independent shards, each with its own lock,
 * hash table and LRU list, so readers of different files rarely meet on
 * a lock and never hold one while decoding: a miss is decoded by the
 * caller, outside any lock, then inserted. Spans are refcounted, so a
 * hit is copied out after the shard lock is released.
 *
 * Buffers: spans of one reader come from a span pool (ocifs_spanpool),
 * a free list of block-sized buffers, so a stream of blocks recycles the
 * same few buffers instead of a fresh 256 KiB malloc per block (above
 * glibc's mmap threshold, every one of them an mmap, page faults on
 * each of its pages and a munmap). The pool keeps at most `keep` free
 * buffers; the rest go back to malloc.
 *
 * Slabs: a run of blocks decoded in one go (a read-ahead unit) can take
 * its spans as slices of one contiguous buffer, so a decoder writes a
 * whole run (a zstd frame) straight into place instead of block by
 * block through its own buffer. A slab goes back to the pool when its
 * last span is released; the pool keeps free slabs up to twice `keep`
 * blocks' worth (units end in bursts; a fresh slab is page faults). A
 * slab span is meant to live briefly (a read-ahead job, a reply): one
 * left in the span cache would pin its whole slab, so the cache is
 * given standalone copies (ocifs_span_copy).
 *
 * The reader (reader.h) owns one per view; nothing else uses it.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef OCIFS_SRC_SPANCACHE_H
#define OCIFS_SRC_SPANCACHE_H
#include <stddef.h>
#include <stdint.h>

struct ocifs_span {
	struct ocifs_span *hnext;          /* hash chain; protected by shard lock */
	struct ocifs_span *prev, *next;    /* LRU list, head = most recent; ditto */
	uint32_t layer;                 /* key: layer number */
	uint64_t blk;                   /* key: block number in that layer */
	struct ocifs_spanpool *pool;    /* where data goes back, or NULL: freed */
	int refs;                       /* atomic */
	int cold;                       /* inserted cold: evicted first, never
					 * promoted by hits, only by keep (set
					 * before insert, then under the shard lock) */
	size_t len;                     /* bytes in data (< block at stream end) */
	size_t served;                  /* atomic: bytes of it readers took (a
					 * hint: ocifs_span_served) */
	struct ocifs_slab *slab;        /* data is a slice of this, or NULL */
	unsigned char *data;            /* after this header, or in slab */
};

struct ocifs_spancache;

/** A cache of at most `bytes` (rounded to whole blocks, at least one per
 *  shard) of `block`-sized spans, of which at most cold_max (0: all of
 *  them) in cold ones. */
int ocifs_spancache_new(uint64_t bytes, uint64_t cold_max, size_t block,
			struct ocifs_spancache **out);
void ocifs_spancache_free(struct ocifs_spancache *c);
size_t ocifs_spancache_block(const struct ocifs_spancache *c);

/** The cached span for (layer, blk) with a reference the caller drops
 *  with ocifs_span_unref(), or NULL. */
struct ocifs_span *ocifs_spancache_get(struct ocifs_spancache *c, uint32_t layer, uint64_t blk);

/** Is (layer, blk) cached? A hint only (no hit or miss counted): it may
 *  be evicted right after. */
int ocifs_spancache_has(struct ocifs_spancache *c, uint32_t layer, uint64_t blk);

/** A new span of len bytes, one reference, not yet cached. */
int ocifs_span_new(uint32_t layer, uint64_t blk, size_t len, struct ocifs_span **out);

struct ocifs_spanpool;
/** A pool of spans with room for `block` bytes, keeping at most keep
 *  free ones. 0 or -ENOMEM. */
int ocifs_spanpool_new(size_t block, unsigned keep, struct ocifs_spanpool **out);
/** Free the pool; every span taken from it must have been released. */
void ocifs_spanpool_free(struct ocifs_spanpool *p);
/** Like ocifs_span_new (len <= the pool's block), the buffer recycled:
 *  its bytes are not cleared. */
int ocifs_spanpool_get(struct ocifs_spanpool *p, uint32_t layer, uint64_t blk, size_t len,
		       struct ocifs_span **out);
/** A slab of n spans for blocks blk0..blk0+n-1 of layer, len bytes in
 *  all (the last span holds len - (n-1) x block), each span with one
 *  reference in spans[0..n), their data one contiguous buffer starting
 *  at spans[0]->data. 0 or -ENOMEM (-EINVAL: len does not fit n blocks). */
int ocifs_spanpool_slab(struct ocifs_spanpool *p, uint32_t layer, uint64_t blk0, size_t n,
			size_t len, struct ocifs_span **spans);
/** A standalone copy of s (same key and bytes) from the pool: for
 *  keeping a slab span beyond its slab's life. 0 or -ENOMEM. */
int ocifs_span_copy(struct ocifs_spanpool *p, const struct ocifs_span *s,
		    struct ocifs_span **out);
/** Readers took n more bytes of s (counted atomically; a hint). */
void ocifs_span_served(struct ocifs_span *s, size_t n);
struct ocifs_spanpool_stats {
	uint64_t reused, allocated;     /* blocks served from free buffers or
					 * slabs, by malloc */
	unsigned free;                  /* buffers on the free list now */
};
void ocifs_spanpool_stats(struct ocifs_spanpool *p, struct ocifs_spanpool_stats *st);

/** Cache s (the cache takes its own reference; the caller keeps its
 *  one). If another thread cached the same key first, s is left out.
 *  cold: a block of a sequential stream, wanted again only briefly; it
 *  goes at the old end of the LRU list and hits do not move it, so a
 *  long sequential read cannot flush the blocks random readers reuse. */
void ocifs_spancache_insert(struct ocifs_spancache *c, struct ocifs_span *s, int cold);

void ocifs_span_unref(struct ocifs_span *s);

/** The span for (layer, blk) will be wanted again: if cached, make it
 *  hot (the most recently used). 1 if it was cached, 0 if not. */
int ocifs_spancache_keep(struct ocifs_spancache *c, uint32_t layer, uint64_t blk);

struct ocifs_spancache_stats {
	uint64_t hits, misses, bytes, spans;
	uint64_t cold_bytes;            /* of bytes, in cold spans */
};
void ocifs_spancache_stats(struct ocifs_spancache *c, struct ocifs_spancache_stats *st);

#endif
