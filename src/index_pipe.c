/* SPDX-License-Identifier: MIT */
/*
 * The index pass's chunk ring (see index_pipe.h). Chunks are numbered
 * from 0 in stream order; chunk k lives in slot k % nslots. Three
 * counters, guarded by mu, say where each thread is:
 *
 *   made:   chunks the producer has published (len[] set)
 *   hashed: chunks the hasher is done with
 *   taken:  chunks the reader is done with
 *
 * The producer may fill chunk `made` once made - min(hashed, taken) <
 * nslots; the hasher and the reader may use chunk k once k < made. Only
 * the thread that owns a slot's state touches its bytes, so the bytes
 * themselves need no lock: the producer writes a slot no one reads, the
 * two consumers only read.
 *
 * The side ring (the compressed bytes, for o.side_sha) is hashed by the
 * hasher thread, or, in ride mode (o.side_ride: all three hashes are
 * pairable), by the reader itself: its blocks ride along the paired
 * hash of the file data (ocifs_sha_update2_ride), where they cost about
 * half of a pass of their own, and no hasher thread runs at all. The
 * reader hashes side bytes alone only when the side ring is full (the
 * producer may be waiting for a slot) and at the end.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "index_pipe.h"

#define PIPE_CHUNK (256u << 10)
#define PIPE_SLOTS 16u
#define SIDE_SLOTS 4u
#define SIDE_CHUNK (1u << 20)

struct ocifs_index_pipe {
	struct ocifs_index_pipe_opts o;
	unsigned char **buf;    /* [nslots] of o.chunk bytes */
	size_t *len;            /* [nslots], set by the producer before made++ */
	pthread_mutex_t mu;
	pthread_cond_t cv_free; /* the producer waits for a free slot */
	pthread_cond_t cv_made; /* the consumers wait for a chunk */
	uint64_t made, hashed, taken;   /* guarded by mu */
	int eof, err, stop;             /* guarded by mu */
	int pdone;                      /* the producer ended (mu) */
	/* the side ring: bytes of ocifs_index_pipe_side() for o.side_sha */
	unsigned char *side_buf[SIDE_SLOTS];
	size_t side_len[SIDE_SLOTS];
	uint64_t side_made, side_hashed; /* guarded by mu */
	pthread_t th_prod, th_hash;
	int have_prod, have_hash, sync_init;
	int hash_main;          /* the hasher takes the chunks (o.sha) */
	int ride;               /* the reader hashes the side ring */
	/* the reader's own */
	uint64_t cur;           /* chunk being read (== taken) */
	size_t pos;             /* in chunk cur */
	int holding;            /* chunk cur is available to the reader */
	uint64_t off;           /* bytes handed out */
	uint64_t cur_start;     /* stream offset of chunk cur's first byte */
	uint64_t isha_off;      /* o.inline_sha has taken the bytes before it
				 * (>= cur_start while chunk cur is held) */
	/* ride mode, the reader's: side chunk side_cur (== side_hashed),
	 * held when side_holding, side_pos bytes of it hashed */
	uint64_t side_cur;
	size_t side_pos;
	int side_holding;
	uint64_t side_taken;    /* side bytes hashed: o.side_sha's offset */
};

/* Ride mode: the next side bytes not hashed yet, *q and how many (up to
 * the end of a chunk); 0 when none has been produced yet. */
static size_t side_peek(struct ocifs_index_pipe *p, const unsigned char **q)
{
	unsigned slot;

	*q = NULL;
	if (!p->side_holding) {
		pthread_mutex_lock(&p->mu);
		p->side_holding = p->side_cur < p->side_made;
		pthread_mutex_unlock(&p->mu);
		if (!p->side_holding)
			return 0;
		p->side_pos = 0;
	}
	slot = (unsigned)(p->side_cur % SIDE_SLOTS);
	*q = p->side_buf[slot] + p->side_pos;
	return p->side_len[slot] - p->side_pos;
}

/* Ride mode: k more side bytes were hashed; a used-up chunk goes back
 * to the producer at once. */
static void side_used(struct ocifs_index_pipe *p, size_t k)
{
	p->side_pos += k;
	p->side_taken += k;
	if (p->side_pos < p->side_len[p->side_cur % SIDE_SLOTS])
		return;
	pthread_mutex_lock(&p->mu);
	p->side_hashed = ++p->side_cur;
	pthread_cond_signal(&p->cv_free);
	pthread_mutex_unlock(&p->mu);
	p->side_holding = 0;
}

/* Ride mode: hash the side chunks there are now, alone (at most `max`);
 * 1 if there was any. */
static int side_drain(struct ocifs_index_pipe *p, unsigned max)
{
	const unsigned char *q;
	size_t n;
	int any = 0;

	while (max-- && (n = side_peek(p, &q)) != 0) {
		ocifs_sha_update(p->o.side_sha, q, n);
		side_used(p, n);
		any = 1;
	}
	return any;
}

/* Ride mode, mu held: whether the producer may be waiting for a side
 * slot (then the reader frees one before it waits or reads on). */
static int side_full(const struct ocifs_index_pipe *p)
{
	return p->side_made - p->side_hashed >= SIDE_SLOTS;
}

/* o.inline_sha takes the stream up to upto (<= the end of chunk cur,
 * which the reader holds). */
static void pipe_catch_up(struct ocifs_index_pipe *p, uint64_t upto)
{
	if (!p->o.inline_sha || p->isha_off >= upto)
		return;
	ocifs_sha_update(p->o.inline_sha,
			 p->buf[p->cur % p->o.nslots] + (p->isha_off - p->cur_start),
			 (size_t)(upto - p->isha_off));
	p->isha_off = upto;
}

/* The oldest chunk either consumer still needs; mu held. */
static uint64_t pipe_low(const struct ocifs_index_pipe *p)
{
	if (!p->hash_main || p->taken < p->hashed)
		return p->taken;
	return p->hashed;
}

static void *pipe_producer(void *arg)
{
	struct ocifs_index_pipe *p = arg;

	ocifs_log_hold_attach(p->o.hold);
	for (;;) {
		unsigned char *b;
		size_t len = 0, got = 0;
		unsigned slot;
		int rc = 0;

		pthread_mutex_lock(&p->mu);
		while (p->made - pipe_low(p) >= p->o.nslots && !p->stop)
			pthread_cond_wait(&p->cv_free, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		slot = (unsigned)(p->made % p->o.nslots);
		pthread_mutex_unlock(&p->mu);

		b = p->buf[slot];
		do {
			rc = p->o.produce(p->o.ctx, b + len, p->o.chunk - len, &got);
			len += got;
		} while (!rc && got && len < p->o.chunk);

		pthread_mutex_lock(&p->mu);
		if (len) { /* bytes before an error are handed out too */
			p->len[slot] = len;
			p->made++;
		}
		if (rc)
			p->err = rc;
		else if (len < p->o.chunk)
			p->eof = 1;
		pthread_cond_broadcast(&p->cv_made);
		pthread_mutex_unlock(&p->mu);
		if (rc || len < p->o.chunk)
			break;
	}
	pthread_mutex_lock(&p->mu);
	p->pdone = 1;
	pthread_cond_broadcast(&p->cv_made);
	pthread_mutex_unlock(&p->mu);
	ocifs_log_hold_attach(NULL);
	return NULL;
}

void ocifs_index_pipe_side(struct ocifs_index_pipe *p, const void *buf, size_t n)
{
	const unsigned char *b = buf;

	if (!p->have_hash && !p->ride) { /* no hasher thread (it could not start) */
		ocifs_sha_update(p->o.side_sha, buf, n);
		return;
	}
	if (p->ride) {
		/* The reader is behind (half the ring waits for it) and has
		 * hashed every side byte so far: then it has the more work of
		 * the two, and these bytes are hashed here, where they lie. */
		pthread_mutex_lock(&p->mu);
		int here = p->side_hashed == p->side_made && p->made - p->taken >= p->o.nslots / 2;
		pthread_mutex_unlock(&p->mu);
		if (here) {
			ocifs_sha_update(p->o.side_sha, buf, n);
			p->side_taken += n; /* the reader reads it once it holds
					     * a later chunk: after mu */
			return;
		}
	}
	while (n) {
		size_t k = n < SIDE_CHUNK ? n : SIDE_CHUNK;
		unsigned slot;

		pthread_mutex_lock(&p->mu);
		while (p->side_made - p->side_hashed >= SIDE_SLOTS && !p->stop)
			pthread_cond_wait(&p->cv_free, &p->mu);
		if (p->stop) { /* the result is thrown away */
			pthread_mutex_unlock(&p->mu);
			return;
		}
		slot = (unsigned)(p->side_made % SIDE_SLOTS);
		pthread_mutex_unlock(&p->mu);
		memcpy(p->side_buf[slot], b, k);
		pthread_mutex_lock(&p->mu);
		p->side_len[slot] = k;
		p->side_made++;
		pthread_cond_broadcast(&p->cv_made);
		pthread_mutex_unlock(&p->mu);
		b += k;
		n -= k;
	}
}

static void *pipe_hasher(void *arg)
{
	struct ocifs_index_pipe *p = arg;
	uint64_t k = 0, ks = 0;

	ocifs_log_hold_attach(p->o.hold);
	for (;;) {
		int side;

		pthread_mutex_lock(&p->mu);
		for (;;) {
			if (p->stop)
				goto out;
			if ((side = ks < p->side_made) || (p->hash_main && k < p->made))
				break;
			if (p->pdone && ks == p->side_made && (!p->hash_main || k == p->made))
				goto out; /* all taken */
			pthread_cond_wait(&p->cv_made, &p->mu);
		}
		pthread_mutex_unlock(&p->mu);
		if (side) { /* first: the producer may be waiting for its slot */
			unsigned slot = (unsigned)(ks % SIDE_SLOTS);
			ocifs_sha_update(p->o.side_sha, p->side_buf[slot], p->side_len[slot]);
			pthread_mutex_lock(&p->mu);
			p->side_hashed = ++ks;
			pthread_cond_signal(&p->cv_free);
			pthread_mutex_unlock(&p->mu);
			continue;
		}
		unsigned slot = (unsigned)(k % p->o.nslots);
		ocifs_sha_update(p->o.sha, p->buf[slot], p->len[slot]);
		k++;
		pthread_mutex_lock(&p->mu);
		uint64_t low = pipe_low(p);
		p->hashed = k;
		if (pipe_low(p) != low) /* a slot came free */
			pthread_cond_signal(&p->cv_free);
		pthread_mutex_unlock(&p->mu);
	}
out:
	pthread_mutex_unlock(&p->mu);
	ocifs_log_hold_attach(NULL);
	return NULL;
}

/* The reader's next bytes: up to n at *out in chunk cur. 0 and *got (0 at
 * the end) or the producer's error. */
static int pipe_next(struct ocifs_index_pipe *p, const unsigned char **out, size_t n, size_t *got)
{
	unsigned slot = (unsigned)(p->cur % p->o.nslots);
	size_t take;

	*got = 0;
	if (p->holding && p->pos == p->len[slot]) { /* done with it: give it back */
		int full;

		pipe_catch_up(p, p->cur_start + p->len[slot]);
		p->cur_start += p->len[slot];
		pthread_mutex_lock(&p->mu);
		uint64_t low = pipe_low(p);
		p->taken = ++p->cur;
		if (pipe_low(p) != low) /* a slot came free */
			pthread_cond_signal(&p->cv_free);
		full = p->ride && side_full(p);
		pthread_mutex_unlock(&p->mu);
		p->holding = 0;
		slot = (unsigned)(p->cur % p->o.nslots);
		if (full)
			side_drain(p, 1);
	}
	if (!p->holding) {
		pthread_mutex_lock(&p->mu);
		while (p->cur == p->made && !p->err && !p->eof) {
			if (p->ride && side_full(p)) {
				pthread_mutex_unlock(&p->mu);
				side_drain(p, 1);
				pthread_mutex_lock(&p->mu);
				continue;
			}
			pthread_cond_wait(&p->cv_made, &p->mu);
		}
		if (p->cur == p->made) {
			int err = p->err;
			pthread_mutex_unlock(&p->mu);
			return err;
		}
		pthread_mutex_unlock(&p->mu);
		p->holding = 1;
		p->pos = 0;
	}
	take = p->len[slot] - p->pos;
	if (take > n)
		take = n;
	*out = p->buf[slot] + p->pos;
	p->pos += take;
	p->off += take;
	*got = take;
	return 0;
}

void ocifs_index_pipe_pair(struct ocifs_index_pipe *p, uint64_t off, const void *q, size_t n,
			   struct ocifs_sha *also)
{
	const unsigned char *b = q;
	size_t lead = 0;

	if (!p->o.inline_sha) {
		ocifs_sha_update(also, q, n);
		return;
	}
	pipe_catch_up(p, off); /* what lies between: headers, padding */
	if (p->isha_off > off) /* already in: released with their chunk */
		lead = p->isha_off - off < n ? (size_t)(p->isha_off - off) : n;
	ocifs_sha_update(also, b, lead);
	b += lead;
	n -= lead;
	if (p->ride && n >= 64) { /* the side bytes ride along */
		const unsigned char *cq;
		size_t cn = side_peek(p, &cq), k;

		if (cn && p->side_taken % 64) { /* back to a block boundary */
			k = 64 - (size_t)(p->side_taken % 64);
			k = k < cn ? k : cn;
			ocifs_sha_update(p->o.side_sha, cq, k);
			side_used(p, k);
			cn = side_peek(p, &cq);
		}
		k = ocifs_sha_update2_ride(p->o.inline_sha, also, b, n, p->o.side_sha, cq, cn);
		if (k)
			side_used(p, k);
	} else {
		ocifs_sha_update2(p->o.inline_sha, also, b, n);
	}
	if (p->isha_off < off + n)
		p->isha_off = off + n;
}

static int pipe_read(void *ctx, void *buf, size_t n, size_t *got)
{
	const unsigned char *q;
	int rc = pipe_next(ctx, &q, n, got);

	if (!rc && *got)
		memcpy(buf, q, *got);
	return rc;
}

static int pipe_peek(void *ctx, const void **out, size_t n, size_t *got)
{
	const unsigned char *q = NULL;
	int rc = pipe_next(ctx, &q, n, got);

	*out = q;
	return rc;
}

void ocifs_index_pipe_stream(struct ocifs_index_pipe *p, struct ocifs_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->read = pipe_read;
	s->peek = pipe_peek;
	s->ctx = p;
}

uint64_t ocifs_index_pipe_offset(const struct ocifs_index_pipe *p)
{
	return p->off;
}

/* Join whichever threads run. */
static void pipe_join(struct ocifs_index_pipe *p)
{
	if (p->have_prod)
		pthread_join(p->th_prod, NULL);
	if (p->have_hash)
		pthread_join(p->th_hash, NULL);
	p->have_prod = p->have_hash = 0;
}

int ocifs_index_pipe_finish(struct ocifs_index_pipe *p)
{
	int err;

	if (p->holding)
		pipe_catch_up(p, p->off);
	pipe_join(p); /* the hasher ends once it hashed chunk made - 1 */
	if (p->ride) /* the producer is gone: what is left of the side */
		side_drain(p, UINT_MAX);
	pthread_mutex_lock(&p->mu);
	err = p->err;
	pthread_mutex_unlock(&p->mu);
	return err;
}

void ocifs_index_pipe_free(struct ocifs_index_pipe *p)
{
	if (!p)
		return;
	if (p->sync_init) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv_free);
		pthread_cond_broadcast(&p->cv_made);
		pthread_mutex_unlock(&p->mu);
		pipe_join(p);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv_free);
		pthread_cond_destroy(&p->cv_made);
	}
	for (unsigned i = 0; p->buf && i < p->o.nslots; i++)
		free(p->buf[i]);
	for (unsigned i = 0; i < SIDE_SLOTS; i++)
		free(p->side_buf[i]);
	free(p->buf);
	free(p->len);
	free(p);
}

int ocifs_index_pipe_start(const struct ocifs_index_pipe_opts *o, struct ocifs_index_pipe **out)
{
	struct ocifs_index_pipe *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (o->sha && o->inline_sha) {
		free(p);
		return -EINVAL;
	}
	if (!p)
		return -ENOMEM;
	p->o = *o;
	if (!p->o.chunk)
		p->o.chunk = PIPE_CHUNK;
	if (p->o.nslots < 2)
		p->o.nslots = o->nslots ? 2 : PIPE_SLOTS;
	p->buf = calloc(p->o.nslots, sizeof(*p->buf));
	p->len = calloc(p->o.nslots, sizeof(*p->len));
	if (!p->buf || !p->len)
		goto nomem;
	for (unsigned i = 0; i < p->o.nslots; i++)
		if (!(p->buf[i] = malloc(p->o.chunk)))
			goto nomem;
	for (unsigned i = 0; p->o.side_sha && i < SIDE_SLOTS; i++)
		if (!(p->side_buf[i] = malloc(SIDE_CHUNK)))
			goto nomem;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_free, NULL);
	pthread_cond_init(&p->cv_made, NULL);
	p->sync_init = 1;
	/* before the threads read them */
	p->hash_main = p->o.sha != NULL;
	p->ride = p->o.side_ride && p->o.side_sha && p->o.inline_sha;
	p->have_hash = p->o.sha || (p->o.side_sha && !p->ride);
	if (p->have_hash && pthread_create(&p->th_hash, NULL, pipe_hasher, p) != 0) {
		p->have_hash = 0;
		ocifs_index_pipe_free(p);
		return -EAGAIN;
	}
	*out = p; /* produce() may use it from now on */
	if (pthread_create(&p->th_prod, NULL, pipe_producer, p) != 0) {
		*out = NULL;
		ocifs_index_pipe_free(p);
		return -EAGAIN;
	}
	p->have_prod = 1;
	return 0;
nomem:
	ocifs_index_pipe_free(p);
	return -ENOMEM;
}
