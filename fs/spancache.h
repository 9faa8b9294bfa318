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
 * Thread-safety: every function may be called from any thread.
 */
#ifndef OCIFS_FS_SPANCACHE_H
#define OCIFS_FS_SPANCACHE_H
#include <stddef.h>
#include <stdint.h>

struct fs_span {
	struct fs_span *hnext;          /* hash chain; protected by shard lock */
	struct fs_span *prev, *next;    /* LRU list, head = most recent; ditto */
	uint32_t layer;                 /* key: layer number */
	uint64_t blk;                   /* key: block number in that layer */
	int refs;                       /* atomic */
	int cold;                       /* inserted cold: evicted first, never
					 * promoted by hits (set before insert) */
	size_t len;                     /* bytes in data (< block at stream end) */
	unsigned char data[];
};

struct fs_spancache;

/** A cache of at most `bytes` (rounded to whole blocks, at least one per
 *  shard) of `block`-sized spans. */
int fs_spancache_new(uint64_t bytes, size_t block, struct fs_spancache **out);
void fs_spancache_free(struct fs_spancache *c);
size_t fs_spancache_block(const struct fs_spancache *c);

/** The cached span for (layer, blk) with a reference the caller drops
 *  with fs_span_unref(), or NULL. */
struct fs_span *fs_spancache_get(struct fs_spancache *c, uint32_t layer, uint64_t blk);

/** A new span of len bytes, one reference, not yet cached. */
int fs_span_new(uint32_t layer, uint64_t blk, size_t len, struct fs_span **out);

/** Cache s (the cache takes its own reference; the caller keeps its
 *  one). If another thread cached the same key first, s is left out.
 *  cold: a block of a sequential stream, wanted again only briefly; it
 *  goes at the old end of the LRU list and hits do not move it, so a
 *  long sequential read cannot flush the blocks random readers reuse. */
void fs_spancache_insert(struct fs_spancache *c, struct fs_span *s, int cold);

void fs_span_unref(struct fs_span *s);

struct fs_spancache_stats {
	uint64_t hits, misses, bytes, spans;
};
void fs_spancache_stats(struct fs_spancache *c, struct fs_spancache_stats *st);

#endif
