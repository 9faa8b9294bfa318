/* SPDX-License-Identifier: MIT */
/*
 * A registry layer blob whose every byte is checked before it is used
 * (DESIGN §3): the reader's per-file sha256 covers only files read whole
 * from their first byte, and a registry (or what is between) can serve
 * other bytes to any later Range read, which would then be decoded into
 * the span cache. So the first pass over the blob (the index build, which
 * reads it in order and checks its digest) also records the sha256 of
 * every REGV_CHUNK bytes, stored as CACHE/layers/<hex>.chunks only when
 * the whole blob matched its digest; afterwards a read fetches whole
 * chunks, each checked against its sum before any of its bytes are
 * returned (a mismatch: -EIO, logged). A few verified chunks
 * are kept, so the reader's forward reads cost one fetch a chunk.
 * Hand-written: it is a byte source over the registry's (registry.h).
 *
 * Without sums (no cache dir, a pass that did not reach the end, a
 * .chunks file lost or malformed) reads go through unchecked, as the
 * reader's own check allows; the next full pass writes them. The sums
 * are read at the first read, not when the source is made: the index
 * artifact (idxart.h) installs them after the image opened.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "idxart.h"
#include "image_priv.h"
#include "log.h"

#define REGV_CHUNK OCIFS_IDXART_CHUNK
#define REGV_SLOTS 8
#define REGV_MAGIC OCIFS_IDXART_CHUNKS_MAGIC

struct regv_slot {
	uint64_t idx;           /* chunk number, or UINT64_MAX: empty */
	unsigned char *buf;     /* its REGV_CHUNK bytes (less at the end) */
	uint64_t used;          /* for LRU */
};

struct regv {
	struct ocifs_src *base;
	char digest[OCIFS_DIGEST_STRLEN + 1];
	char *path;             /* the .chunks file, or NULL */
	int load_bad;           /* it was malformed: not read again */
	uint64_t nchunks;
	pthread_mutex_t mu;     /* everything below */
	unsigned char *sums;    /* nchunks * 32, once known */
	/* the learning pass (sums not known yet) */
	struct ocifs_sha *all, *one;
	unsigned char *learn;   /* nchunks * 32 */
	uint64_t learned;       /* bytes hashed in order from 0 */
	int learn_dead;         /* ENOMEM: give up learning */
	struct regv_slot slot[REGV_SLOTS];
	uint64_t tick;
};

static uint64_t chunk_len(const struct regv *v, uint64_t idx)
{
	uint64_t end = (idx + 1) * REGV_CHUNK;

	return (end > v->base->size ? v->base->size : end) - idx * REGV_CHUNK;
}

/* bytes [off, off + n) were read in order: hash the part past v->learned */
static void learn(struct regv *v, const unsigned char *p, size_t n, uint64_t off)
{
	if (v->sums || v->learn_dead || off > v->learned || off + n <= v->learned)
		return;
	p += v->learned - off;
	n -= (size_t)(v->learned - off);
	while (n) {
		uint64_t in = v->learned % REGV_CHUNK, take = REGV_CHUNK - in;
		if (take > n)
			take = n;
		ocifs_sha_update(v->all, p, take);
		ocifs_sha_update(v->one, p, take);
		v->learned += take;
		p += take;
		n -= take;
		if (v->learned % REGV_CHUNK == 0 || v->learned == v->base->size)
			ocifs_sha_final(v->one, v->learn + (v->learned - 1) / REGV_CHUNK * OCIFS_SHA256_LEN);
	}
	if (v->learned == v->base->size) {
		unsigned char d[OCIFS_SHA256_LEN];
		char got[OCIFS_DIGEST_STRLEN + 1];
		ocifs_sha_final(v->all, d);
		ocifs_digest_format(d, got);
		v->learn_dead = 1;
		if (strcmp(got, v->digest))
			return; /* the layer's own check reports it */
		v->sums = v->learn;
		v->learn = NULL;
		if (v->path) {
			size_t ml = strlen(REGV_MAGIC), sl = v->nchunks * OCIFS_SHA256_LEN;
			char *rec = malloc(ml + sl);
			if (rec) {
				memcpy(rec, REGV_MAGIC, ml);
				memcpy(rec + ml, v->sums, sl);
				(void)ocifs_cache_write_atomic(v->path, rec, ml + sl); /* best effort */
				free(rec);
			}
		}
	}
}

/* The .chunks record of this blob, if it is one (v->mu held). Tried at
 * every read until the sums are known: the record may appear after the
 * source was made (the index artifact installs it before the layers open,
 * another process's pass writes it), and a failed open costs next to
 * nothing beside a registry request. */
static void load_sums(struct regv *v)
{
	size_t ml = strlen(REGV_MAGIC), sl = v->nchunks * OCIFS_SHA256_LEN;
	unsigned char *rec;
	int fd = v->path && !v->load_bad ? ocifs_cache_open_read(v->path) : -1;
	ssize_t got;

	if (fd < 0)
		return;
	rec = malloc(ml + sl + 1);
	got = rec ? read(fd, rec, ml + sl + 1) : -1;
	close(fd);
	if (got == (ssize_t)(ml + sl) && !memcmp(rec, REGV_MAGIC, ml) &&
	    (v->sums = malloc(sl ? sl : 1))) {
		memcpy(v->sums, rec + ml, sl);
		v->learn_dead = 1; /* nothing left to learn */
	} else if (got >= 0) {
		log_warn("cache %s: malformed; rebuilt at the next full read", v->path);
		v->load_bad = 1;
	}
	free(rec);
}

/* Chunk idx, fetched and checked (v->mu not held), in a new buffer. */
static int get_chunk(struct regv *v, uint64_t idx, unsigned char **out)
{
	unsigned char d[OCIFS_SHA256_LEN], *buf;
	uint64_t len = chunk_len(v, idx);
	int rc;

	buf = malloc(REGV_CHUNK);
	if (!buf)
		return -ENOMEM;
	rc = ocifs_src_pread_full(v->base, buf, len, idx * REGV_CHUNK);
	if (!rc && (rc = ocifs_sha256(buf, len, d)) == 0 &&
	    memcmp(d, v->sums + idx * OCIFS_SHA256_LEN, OCIFS_SHA256_LEN)) {
		log_err("%s: bytes %llu-%llu do not match what the first read of this blob "
			"hashed: refused (EIO)", v->base->name, (unsigned long long)(idx * REGV_CHUNK),
			(unsigned long long)(idx * REGV_CHUNK + len - 1));
		rc = -EIO;
	}
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

static int regv_pread(struct ocifs_src *src, void *out, size_t n, uint64_t off, size_t *got)
{
	struct regv *v = src->priv;
	unsigned char *dst = out;
	int rc = 0;

	*got = 0;
	if (off >= src->size)
		return 0;
	if (n > src->size - off)
		n = (size_t)(src->size - off);
	pthread_mutex_lock(&v->mu);
	if (!v->sums)
		load_sums(v);
	int checked = v->sums != NULL;
	pthread_mutex_unlock(&v->mu);
	if (!checked) {
		rc = ocifs_src_pread(v->base, out, n, off, got);
		if (!rc) {
			pthread_mutex_lock(&v->mu);
			learn(v, out, *got, off);
			pthread_mutex_unlock(&v->mu);
		}
		return rc;
	}
	while (*got < n) {
		uint64_t at = off + *got, idx = at / REGV_CHUNK, in = at % REGV_CHUNK;
		uint64_t take = chunk_len(v, idx) - in;
		unsigned char *buf;

		if (take > n - *got)
			take = n - *got;
		/* copy under the lock: a cached slot's buffer is reused only
		 * by an insert, which takes the lock too */
		pthread_mutex_lock(&v->mu);
		int i = 0;
		while (i < REGV_SLOTS && v->slot[i].idx != idx)
			i++;
		if (i < REGV_SLOTS) {
			v->slot[i].used = ++v->tick;
			memcpy(dst + *got, v->slot[i].buf + in, take);
			pthread_mutex_unlock(&v->mu);
			*got += take;
			continue;
		}
		pthread_mutex_unlock(&v->mu);
		rc = get_chunk(v, idx, &buf);
		if (rc)
			return rc;
		memcpy(dst + *got, buf + in, take);
		*got += take;
		pthread_mutex_lock(&v->mu);
		struct regv_slot *lru = &v->slot[0];
		for (i = 1; i < REGV_SLOTS; i++)
			if (v->slot[i].used < lru->used)
				lru = &v->slot[i];
		free(lru->buf);
		lru->buf = buf;
		lru->idx = idx;
		lru->used = ++v->tick;
		pthread_mutex_unlock(&v->mu);
	}
	return 0;
}

static void regv_destroy(struct ocifs_src *src)
{
	struct regv *v = src->priv;

	for (int i = 0; i < REGV_SLOTS; i++)
		free(v->slot[i].buf);
	ocifs_src_unref(v->base);
	ocifs_sha_free(v->all);
	ocifs_sha_free(v->one);
	free(v->learn);
	free(v->sums);
	free(v->path);
	pthread_mutex_destroy(&v->mu);
	free(v);
}

static const struct ocifs_src_ops regv_ops = { .pread = regv_pread, .destroy = regv_destroy };

int ocifs_img_regverify_new(struct ocifs_src *base, const char *digest, const char *cache_dir,
			    struct ocifs_src **out)
{
	struct regv *v = calloc(1, sizeof(*v));
	int rc;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->mu, NULL);
	v->base = ocifs_src_ref(base);
	snprintf(v->digest, sizeof(v->digest), "%s", digest);
	v->nchunks = (base->size + REGV_CHUNK - 1) / REGV_CHUNK;
	for (int i = 0; i < REGV_SLOTS; i++)
		v->slot[i].idx = UINT64_MAX;
	if (cache_dir && ocifs_cache_layer_path(cache_dir, digest, ".chunks", &v->path))
		v->path = NULL;
	/* the sums are read at the first read (load_sums) */
	if ((ocifs_sha_new(&v->all) || ocifs_sha_new(&v->one) ||
			 !(v->learn = calloc(v->nchunks ? v->nchunks : 1, OCIFS_SHA256_LEN))))
		v->learn_dead = 1;
	rc = ocifs_src_new(&regv_ops, v, base->size, base->name, out);
	if (rc)
		regv_destroy(&(struct ocifs_src){ .priv = v });
	return rc;
}
