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
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "index_pipe.h"

#define PIPE_CHUNK (256u << 10)
#define PIPE_SLOTS 16u

struct ocifs_index_pipe {
	struct ocifs_index_pipe_opts o;
	unsigned char **buf;    /* [nslots] of o.chunk bytes */
	size_t *len;            /* [nslots], set by the producer before made++ */
	pthread_mutex_t mu;
	pthread_cond_t cv_free; /* the producer waits for a free slot */
	pthread_cond_t cv_made; /* the consumers wait for a chunk */
	uint64_t made, hashed, taken;   /* guarded by mu */
	int eof, err, stop;             /* guarded by mu */
	pthread_t th_prod, th_hash;
	int have_prod, have_hash, sync_init;
	/* the reader's own */
	uint64_t cur;           /* chunk being read (== taken) */
	size_t pos;             /* in chunk cur */
	int holding;            /* chunk cur is available to the reader */
	uint64_t off;           /* bytes handed out */
};

/* The oldest chunk either consumer still needs; mu held. */
static uint64_t pipe_low(const struct ocifs_index_pipe *p)
{
	if (!p->have_hash || p->taken < p->hashed)
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
	ocifs_log_hold_attach(NULL);
	return NULL;
}

static void *pipe_hasher(void *arg)
{
	struct ocifs_index_pipe *p = arg;
	uint64_t k = 0;

	ocifs_log_hold_attach(p->o.hold);
	for (;;) {
		unsigned slot;

		pthread_mutex_lock(&p->mu);
		while (k == p->made && !p->eof && !p->err && !p->stop)
			pthread_cond_wait(&p->cv_made, &p->mu);
		if (k == p->made || p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		slot = (unsigned)(k % p->o.nslots);
		ocifs_sha_update(p->o.sha, p->buf[slot], p->len[slot]);
		k++;
		pthread_mutex_lock(&p->mu);
		uint64_t low = pipe_low(p);
		p->hashed = k;
		if (pipe_low(p) != low) /* a slot came free */
			pthread_cond_signal(&p->cv_free);
		pthread_mutex_unlock(&p->mu);
	}
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
		pthread_mutex_lock(&p->mu);
		uint64_t low = pipe_low(p);
		p->taken = ++p->cur;
		if (pipe_low(p) != low) /* a slot came free */
			pthread_cond_signal(&p->cv_free);
		pthread_mutex_unlock(&p->mu);
		p->holding = 0;
		slot = (unsigned)(p->cur % p->o.nslots);
	}
	if (!p->holding) {
		pthread_mutex_lock(&p->mu);
		while (p->cur == p->made && !p->err && !p->eof)
			pthread_cond_wait(&p->cv_made, &p->mu);
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

	pipe_join(p); /* the hasher ends once it hashed chunk made - 1 */
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
	free(p->buf);
	free(p->len);
	free(p);
}

int ocifs_index_pipe_start(const struct ocifs_index_pipe_opts *o, struct ocifs_index_pipe **out)
{
	struct ocifs_index_pipe *p = calloc(1, sizeof(*p));

	*out = NULL;
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
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_free, NULL);
	pthread_cond_init(&p->cv_made, NULL);
	p->sync_init = 1;
	p->have_hash = p->o.sha != NULL; /* before the producer reads it */
	if (p->have_hash && pthread_create(&p->th_hash, NULL, pipe_hasher, p) != 0) {
		p->have_hash = 0;
		ocifs_index_pipe_free(p);
		return -EAGAIN;
	}
	if (pthread_create(&p->th_prod, NULL, pipe_producer, p) != 0) {
		ocifs_index_pipe_free(p);
		return -EAGAIN;
	}
	p->have_prod = 1;
	*out = p;
	return 0;
nomem:
	ocifs_index_pipe_free(p);
	return -ENOMEM;
}
