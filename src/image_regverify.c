/* SPDX-License-Identifier: MIT */
/*
 * A registry layer blob whose every byte is checked before it is used
 * (DESIGN §3): the reader's per-file sha256 covers only files read whole
 * from their first byte, and a registry (or what is between) can serve
 * other bytes to any later Range read, which would then be decoded into
 * the span cache. So a read fetches whole REGV_CHUNK chunks, each checked
 * against its sha256 in CACHE/layers/<hex>.chunks before any of its bytes
 * are returned (a mismatch: -EIO, logged). A few verified chunks are
 * kept, so the reader's forward reads cost one fetch a chunk.
 * Hand-written: it is a byte source over the registry's (registry.h).
 *
 * Who makes the sums: the index pass (index.c's input tap), which reads
 * the blob once in order and hashes it for the digest check anyway; it
 * writes the .chunks file only when the blob matched its digest, before
 * the index itself, so there is no second hashing of the blob here. The
 * index artifact (idxart.h) can install them too. They are read at the
 * first read (or at ocifs_image_blob_arm()), not when the source is
 * made, since both appear after the image opened; once known they stay.
 *
 * Without sums, the only reads served unchecked are in order from byte 0
 * (a pass: the index build, a digest check, whose own sha256 of the whole
 * blob is what guards them); any other read is -EIO, logged. A trusted
 * index never meets that case: layer.c trusts a registry layer's index
 * only beside a well-formed .chunks (else the layer is passed again) and
 * arms the source with it at open, so a .chunks lost later changes nothing.
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
	uint64_t frontier;      /* without sums: reads so far cover [0, frontier) */
	int refused;            /* an out-of-order read without sums was logged */
	struct regv_slot slot[REGV_SLOTS];
	uint64_t tick;
};

static uint64_t chunk_len(const struct regv *v, uint64_t idx)
{
	uint64_t end = (idx + 1) * REGV_CHUNK;

	return (end > v->base->size ? v->base->size : end) - idx * REGV_CHUNK;
}

/* The .chunks record of this blob, if it is one (v->mu held). Tried at
 * every read until the sums are known: the record may appear after the
 * source was made (the index artifact installs it before the layers open,
 * another process's pass writes it), and a failed open costs next to
 * nothing beside a registry request. */
static void load_sums(struct regv *v)
{
	size_t ml = strlen(OCIFS_IDXART_CHUNKS_MAGIC), sl = v->nchunks * OCIFS_SHA256_LEN;
	unsigned char *rec;
	int fd = v->path && !v->load_bad ? ocifs_cache_open_read(v->path) : -1;
	ssize_t got;

	if (fd < 0)
		return;
	rec = malloc(ml + sl + 1);
	got = rec ? read(fd, rec, ml + sl + 1) : -1;
	close(fd);
	if (got >= 0 && ocifs_idxart_chunks_fit(rec, (size_t)got, v->base->size) &&
	    (v->sums = malloc(sl ? sl : 1))) {
		memcpy(v->sums, rec + ml, sl);
	} else if (got >= 0) {
		log_warn("cache %s: malformed; rebuilt at the next pass over the layer", v->path);
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
		log_err("%s: bytes %llu-%llu do not match the blob's chunk sums (its verified "
			"pass or index artifact): refused (EIO)", v->base->name, (unsigned long long)(idx * REGV_CHUNK),
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
		/* in order from 0 (a pass, guarded by its digest check), or
		 * nothing: no byte is served unchecked to any other reader */
		pthread_mutex_lock(&v->mu);
		int in_order = off <= v->frontier, say = !in_order && !v->refused;
		v->refused |= say;
		pthread_mutex_unlock(&v->mu);
		if (!in_order) {
			if (say)
				log_err("%s: no chunk sums for a read at %llu (cache %s missing): refused "
					"(EIO); the next open of the layer passes it again", src->name,
					(unsigned long long)off, v->path ? v->path : "none");
			return -EIO;
		}
		rc = ocifs_src_pread(v->base, out, n, off, got);
		if (!rc) {
			pthread_mutex_lock(&v->mu);
			if (off + *got > v->frontier)
				v->frontier = off + *got;
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
	free(v->sums);
	free(v->path);
	pthread_mutex_destroy(&v->mu);
	free(v);
}

static void regv_advise_whole(struct ocifs_src *src, int whole)
{
	struct regv *v = src->priv;

	ocifs_src_advise_whole(v->base, whole);
}

static const struct ocifs_src_ops regv_ops = {
	.pread = regv_pread,
	.destroy = regv_destroy,
	.advise_whole = regv_advise_whole,
};

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
	rc = ocifs_src_new(&regv_ops, v, base->size, base->name, out);
	if (rc)
		regv_destroy(&(struct ocifs_src){ .priv = v });
	return rc;
}

int ocifs_image_blob_arm(struct ocifs_src *blob)
{
	struct regv *v = blob->ops == &regv_ops ? blob->priv : NULL;
	int rc;

	if (!v)
		return 0;
	pthread_mutex_lock(&v->mu);
	v->load_bad = 0; /* asked: look again (a pass may have rewritten it) */
	if (!v->sums)
		load_sums(v);
	rc = v->sums ? 0 : -ENOENT;
	pthread_mutex_unlock(&v->mu);
	return rc;
}
