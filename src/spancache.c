/* SPDX-License-Identifier: MIT */
/*
 * The span cache (see spancache.h): N shards, each a chained hash table
 * plus two intrusive lists under one mutex, with a byte budget of
 * total/N: an LRU list of hot spans and a FIFO of cold ones (blocks of
 * sequential streams), which are evicted first, and past their own
 * budget (cold_max/N) even when the shard has room. The shard of a key comes from a 64-bit mix of (layer, blk), so
 * neighbouring blocks of one file spread over shards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/mman.h>

#include "spancache.h"

/* 16 shards: enough that a handful of concurrent readers almost never
 * share a lock on a 2-16 core machine, few enough that a 64 MiB budget
 * still holds 16 blocks per shard. */
#define SPAN_SHARDS_MAX 16

struct span_shard {
	pthread_mutex_t lock;
	struct ocifs_span **buckets;       /* protected by lock */
	size_t nbuckets;                /* power of two */
	struct ocifs_span hot;             /* LRU list sentinel, head = most recent;
					 * protected by lock */
	struct ocifs_span cold;            /* FIFO of cold spans, head = newest;
					 * protected by lock */
	size_t bytes, cap;              /* protected by lock */
	size_t cold_bytes, cold_cap;    /* of them cold; protected by lock */
	uint64_t hits, misses, spans;   /* protected by lock */
};

struct ocifs_spancache {
	size_t block;
	unsigned nshards;
	struct span_shard shards[];
};

static uint64_t span_hash(uint32_t layer, uint64_t blk)
{
	uint64_t x = blk ^ ((uint64_t)layer << 48) ^ ((uint64_t)layer * 0x9e3779b97f4a7c15ull);

	/* splitmix64 finalizer */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

int ocifs_spancache_new(uint64_t bytes, uint64_t cold_max, size_t block,
			struct ocifs_spancache **out)
{
	struct ocifs_spancache *c;
	uint64_t nblocks;
	unsigned n;

	if (!block || bytes < block)
		return -EINVAL;
	nblocks = bytes / block;
	n = nblocks < SPAN_SHARDS_MAX ? (unsigned)nblocks : SPAN_SHARDS_MAX;
	c = calloc(1, sizeof(*c) + n * sizeof(c->shards[0]));
	if (!c)
		return -ENOMEM;
	c->block = block;
	c->nshards = n;
	for (unsigned i = 0; i < n; i++) {
		struct span_shard *s = &c->shards[i];
		uint64_t per = nblocks / n;
		size_t nb = 16;

		while (nb < 2 * per && nb < (1u << 20))
			nb <<= 1;
		s->buckets = calloc(nb, sizeof(*s->buckets));
		if (!s->buckets) {
			c->nshards = i;
			ocifs_spancache_free(c);
			return -ENOMEM;
		}
		s->nbuckets = nb;
		s->cap = (size_t)(per * block);
		s->cold_cap = s->cap;
		if (cold_max && cold_max / n < s->cap)
			s->cold_cap = cold_max / n > block ? (size_t)(cold_max / n) : block;
		s->hot.prev = s->hot.next = &s->hot;
		s->cold.prev = s->cold.next = &s->cold;
		pthread_mutex_init(&s->lock, NULL);
	}
	*out = c;
	return 0;
}

struct ocifs_spanpool {
	pthread_mutex_t lock;
	size_t block;
	unsigned keep;
	struct ocifs_span *free;        /* chained through hnext; protected by lock */
	unsigned nfree;                 /* protected by lock */
	struct ocifs_slab *slabs;       /* free slabs; protected by lock */
	size_t slab_blocks;             /* blocks they hold; protected by lock */
	uint64_t reused, allocated;     /* protected by lock */
};

/* One contiguous buffer cut into cap spans (spancache.h, "Slabs"). */
struct ocifs_slab {
	struct ocifs_spanpool *pool;
	struct ocifs_slab *next;        /* the pool's free list */
	int refs;                       /* atomic: spans not yet released */
	size_t cap;                     /* blocks mem holds */
	unsigned char *mem;             /* cap x block bytes */
	struct ocifs_span span[];       /* cap headers */
};

/* A slab's buffer. Of 2 MiB and more (a read-ahead unit of 8 MiB): huge
 * pages where the kernel has them on request (transparent_hugepage =
 * madvise), so a fresh slab costs a fault per 2 MiB, not per 4 KiB. */
#define SLAB_HUGE (2u << 20)
static unsigned char *slab_mem(size_t len)
{
	void *m = NULL;

	if (len < SLAB_HUGE)
		return malloc(len);
	if (posix_memalign(&m, SLAB_HUGE, (len + SLAB_HUGE - 1) & ~(size_t)(SLAB_HUGE - 1)))
		return NULL;
	(void)madvise(m, len, MADV_HUGEPAGE); /* a hint: fine if refused */
	return m;
}

static void slab_free(struct ocifs_slab *sl)
{
	free(sl->mem);
	free(sl);
}

int ocifs_spanpool_new(size_t block, unsigned keep, struct ocifs_spanpool **out)
{
	struct ocifs_spanpool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->block = block;
	p->keep = keep;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void ocifs_spanpool_free(struct ocifs_spanpool *p)
{
	if (!p)
		return;
	while (p->free) {
		struct ocifs_span *s = p->free;
		p->free = s->hnext;
		free(s);
	}
	while (p->slabs) {
		struct ocifs_slab *sl = p->slabs;
		p->slabs = sl->next;
		slab_free(sl);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int ocifs_spanpool_get(struct ocifs_spanpool *p, uint32_t layer, uint64_t blk, size_t len,
		       struct ocifs_span **out)
{
	struct ocifs_span *s;

	if (len > p->block)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if ((s = p->free)) {
		p->free = s->hnext;
		p->nfree--;
		p->reused++;
	} else {
		p->allocated++;
	}
	pthread_mutex_unlock(&p->lock);
	if (!s && !(s = malloc(sizeof(*s) + p->block)))
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->data = (unsigned char *)(s + 1);
	s->pool = p;
	s->layer = layer;
	s->blk = blk;
	s->len = len;
	s->refs = 1;
	*out = s;
	return 0;
}

int ocifs_spanpool_slab(struct ocifs_spanpool *p, uint32_t layer, uint64_t blk0, size_t n,
			size_t len, struct ocifs_span **spans)
{
	struct ocifs_slab *sl = NULL, **best = NULL;

	if (!n || len > n * p->block || len <= (n - 1) * p->block)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	/* the smallest free slab that fits */
	for (struct ocifs_slab **pp = &p->slabs; *pp; pp = &(*pp)->next)
		if ((*pp)->cap >= n && (!best || (*pp)->cap < (*best)->cap))
			best = pp;
	if (best) {
		sl = *best;
		*best = sl->next;
		p->slab_blocks -= sl->cap;
		p->reused += n;
	} else {
		p->allocated += n;
	}
	pthread_mutex_unlock(&p->lock);
	if (!sl) {
		if (!(sl = malloc(sizeof(*sl) + n * sizeof(sl->span[0]))))
			return -ENOMEM;
		if (!(sl->mem = slab_mem(n * p->block))) {
			free(sl);
			return -ENOMEM;
		}
		sl->cap = n;
		sl->pool = p;
	}
	sl->next = NULL;
	sl->refs = (int)n;
	for (size_t i = 0; i < n; i++) {
		struct ocifs_span *s = &sl->span[i];

		memset(s, 0, sizeof(*s));
		s->layer = layer;
		s->blk = blk0 + i;
		s->len = len - i * p->block < p->block ? len - i * p->block : p->block;
		s->refs = 1;
		s->slab = sl;
		s->data = sl->mem + i * p->block;
		spans[i] = s;
	}
	return 0;
}

/* The last span of sl was released: back to the free list, or freed. */
static void slab_put(struct ocifs_slab *sl)
{
	struct ocifs_spanpool *p = sl->pool;

	if (__atomic_sub_fetch(&sl->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->slab_blocks + sl->cap <= 2 * (size_t)p->keep) {
		sl->next = p->slabs;
		p->slabs = sl;
		p->slab_blocks += sl->cap;
		sl = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (sl)
		slab_free(sl);
}

int ocifs_span_copy(struct ocifs_spanpool *p, const struct ocifs_span *s, struct ocifs_span **out)
{
	int rc = ocifs_spanpool_get(p, s->layer, s->blk, s->len, out);

	if (!rc)
		memcpy((*out)->data, s->data, s->len);
	return rc;
}

void ocifs_span_served(struct ocifs_span *s, size_t n)
{
	__atomic_add_fetch(&s->served, n, __ATOMIC_RELAXED);
}

void ocifs_spanpool_stats(struct ocifs_spanpool *p, struct ocifs_spanpool_stats *st)
{
	pthread_mutex_lock(&p->lock);
	*st = (struct ocifs_spanpool_stats){ .reused = p->reused, .allocated = p->allocated,
					     .free = p->nfree };
	pthread_mutex_unlock(&p->lock);
}

void ocifs_span_unref(struct ocifs_span *s)
{
	struct ocifs_spanpool *p;

	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (s->slab) {
		slab_put(s->slab);
		return;
	}
	if ((p = s->pool)) {
		pthread_mutex_lock(&p->lock);
		if (p->nfree < p->keep) {
			s->hnext = p->free;
			p->free = s;
			p->nfree++;
			s = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	free(s);
}

void ocifs_spancache_free(struct ocifs_spancache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nshards; i++) {
		struct span_shard *s = &c->shards[i];

		for (int k = 0; k < 2; k++) {
			struct ocifs_span *end = k ? &s->cold : &s->hot, *p = end->next;

			while (p != end) {
				struct ocifs_span *next = p->next;
				ocifs_span_unref(p);
				p = next;
			}
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(c);
}

size_t ocifs_spancache_block(const struct ocifs_spancache *c)
{
	return c->block;
}

int ocifs_span_new(uint32_t layer, uint64_t blk, size_t len, struct ocifs_span **out)
{
	struct ocifs_span *s = malloc(sizeof(*s) + len);

	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->data = (unsigned char *)(s + 1);
	s->layer = layer;
	s->blk = blk;
	s->len = len;
	s->refs = 1;
	*out = s;
	return 0;
}

static struct span_shard *shard_of(struct ocifs_spancache *c, uint64_t h)
{
	return &c->shards[h % c->nshards];
}

static struct ocifs_span **bucket_of(struct span_shard *s, uint64_t h, unsigned nshards)
{
	return &s->buckets[(h / nshards) & (s->nbuckets - 1)];
}

static void lru_unlink(struct ocifs_span *p)
{
	p->prev->next = p->next;
	p->next->prev = p->prev;
}

static void lru_push_head(struct ocifs_span *list, struct ocifs_span *p)
{
	p->prev = list;
	p->next = list->next;
	list->next->prev = p;
	list->next = p;
}

/* The span (layer, blk) of shard s, or NULL; s->lock held. */
static struct ocifs_span *span_find(const struct ocifs_spancache *c, struct span_shard *s,
				    uint64_t h, uint32_t layer, uint64_t blk)
{
	struct ocifs_span *p;

	for (p = *bucket_of(s, h, c->nshards); p; p = p->hnext)
		if (p->layer == layer && p->blk == blk)
			break;
	return p;
}

struct ocifs_span *ocifs_spancache_get(struct ocifs_spancache *c, uint32_t layer, uint64_t blk)
{
	uint64_t h = span_hash(layer, blk);
	struct span_shard *s = shard_of(c, h);
	struct ocifs_span *p;

	pthread_mutex_lock(&s->lock);
	p = span_find(c, s, h, layer, blk);
	if (p) {
		if (!p->cold) {
			lru_unlink(p);
			lru_push_head(&s->hot, p);
		}
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
		s->hits++;
	} else {
		s->misses++;
	}
	pthread_mutex_unlock(&s->lock);
	return p;
}

/* Remove p from the table and the list; the caller drops the cache's
 * reference after unlocking. */
static void shard_remove(struct ocifs_spancache *c, struct span_shard *s, struct ocifs_span *p)
{
	struct ocifs_span **pp = bucket_of(s, span_hash(p->layer, p->blk), c->nshards);

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	lru_unlink(p);
	s->bytes -= p->len;
	if (p->cold)
		s->cold_bytes -= p->len;
	s->spans--;
}

void ocifs_spancache_insert(struct ocifs_spancache *c, struct ocifs_span *n, int cold)
{
	uint64_t h = span_hash(n->layer, n->blk);
	struct span_shard *s = shard_of(c, h);
	struct ocifs_span **b, *p, *evicted = NULL;

	pthread_mutex_lock(&s->lock);
	b = bucket_of(s, h, c->nshards);
	for (p = *b; p; p = p->hnext)
		if (p->layer == n->layer && p->blk == n->blk)
			break;
	if (!p) {
		__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
		n->hnext = *b;
		*b = n;
		n->cold = cold;
		lru_push_head(cold ? &s->cold : &s->hot, n);
		s->bytes += n->len;
		if (cold)
			s->cold_bytes += n->len;
		s->spans++;
		/* Evict the oldest cold span first, then the least recently
		 * used hot one; never the span just added. Evicted spans are
		 * chained through hnext and freed after unlocking. */
		while (s->bytes > s->cap || s->cold_bytes > s->cold_cap) {
			if (s->cold.prev != &s->cold && s->cold.prev != n)
				p = s->cold.prev;
			else if (s->bytes > s->cap)
				p = s->hot.prev;
			else
				break;
			if (p == &s->hot || p == n)
				break;
			shard_remove(c, s, p);
			p->hnext = evicted;
			evicted = p;
		}
	}
	pthread_mutex_unlock(&s->lock);
	while (evicted) {
		p = evicted->hnext;
		ocifs_span_unref(evicted);
		evicted = p;
	}
}

/* Is (layer, blk) cached? With promote, a cold span becomes hot and
 * moves to the head of the hot list. */
static int span_touch(struct ocifs_spancache *c, uint32_t layer, uint64_t blk, int promote)
{
	uint64_t h = span_hash(layer, blk);
	struct span_shard *s = shard_of(c, h);
	struct ocifs_span *p;

	pthread_mutex_lock(&s->lock);
	p = span_find(c, s, h, layer, blk);
	if (p && promote) {
		if (p->cold) {
			p->cold = 0;
			s->cold_bytes -= p->len;
		}
		lru_unlink(p);
		lru_push_head(&s->hot, p);
	}
	pthread_mutex_unlock(&s->lock);
	return p != NULL;
}

int ocifs_spancache_has(struct ocifs_spancache *c, uint32_t layer, uint64_t blk)
{
	return span_touch(c, layer, blk, 0);
}

int ocifs_spancache_keep(struct ocifs_spancache *c, uint32_t layer, uint64_t blk)
{
	return span_touch(c, layer, blk, 1);
}

void ocifs_spancache_stats(struct ocifs_spancache *c, struct ocifs_spancache_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < c->nshards; i++) {
		struct span_shard *s = &c->shards[i];

		pthread_mutex_lock(&s->lock);
		st->hits += s->hits;
		st->misses += s->misses;
		st->bytes += s->bytes;
		st->spans += s->spans;
		st->cold_bytes += s->cold_bytes;
		pthread_mutex_unlock(&s->lock);
	}
}
