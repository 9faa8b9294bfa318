/* SPDX-License-Identifier: MIT */
/*
 * A registry blob as a byte source (ocifs_src). A read at an arbitrary
 * offset is one Range request (cut short, it asks again for the rest);
 * reads that continue where the previous one ended (the first, verifying
 * pass over a layer) are served from a streaming GET, driven through
 * libcurl's multi interface and paused when its buffer is full. A pass
 * announced as whole (ocifs_src_advise_whole: the index build, a hash of
 * the blob) is one streaming GET of the rest of the blob. Otherwise the
 * stream asks for a window, not for the rest of the blob: 1 MiB, doubling
 * while the reader keeps up, to 64 MiB; so a reader that stops (a file
 * read to its end) leaves at most as many bytes unread in flight as it
 * read, while an unannounced pass costs a few requests (8 for 137 MB). A
 * Range answered with 200 is read through to the offset and remembered
 * (every later read of the registry then streams). A stream that is cut
 * short is resumed by a Range from where it stopped (counted as a retry).
 * Thread-safe: one lock per source around its stream.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry_priv.h"
#include "src.h"

#define STREAM_BUF (1u << 20)       /* bytes a stream holds ahead of its reader */
#define STREAM_SKIP_MAX (4u << 20)  /* a forward gap read through, not a new request */
#define STREAM_WIN_MIN (1ull << 20)  /* a fresh stream's window */
#define STREAM_WIN_MAX (64ull << 20) /* the window after it doubled */
#define STREAM_SNIFF_MAX 64u         /* a first read this small is a sniff */

struct blob;

struct blob_stream {
	struct blob *b;
	CURLM *m;
	CURL *h;
	struct curl_slist *hdrs;
	struct reg_resp resp;
	char ebuf[CURL_ERROR_SIZE];
	char *url;
	uint64_t req_off;       /* the Range asked for: [req_off, req_end) */
	uint64_t req_end;
	uint64_t pos;           /* offset of the next byte the transfer delivers */
	char *buf;              /* bytes [pos - (tail - head), pos) at buf[head..tail) */
	size_t head, tail, cap;
	int checked, paused, done, err;
	CURLcode result;
};

struct blob {
	struct ocifs_registry *r;
	char digest[OCIFS_DIGEST_STRLEN + 1];
	char path[512];
	pthread_mutex_t mu;
	struct blob_stream *st; /* under mu */
	_Atomic uint64_t last_end; /* where the last read ended */
	uint64_t size;
	uint64_t win;           /* the next stream's window (under mu) */
	int whole;              /* a whole pass was announced: streams ask
				 * for the rest of the blob (under mu) */
};

/* The answer to a Range for off: 206 must start at off; 200 is the
 * whole blob (the registry ignores Range). *pos: offset of its first byte. */
static int body_start(struct blob *b, const char *crange, uint64_t off, uint64_t *pos)
{
	struct ocifs_registry *r = b->r;
	unsigned long long s, e;

	if (!crange) {
		*pos = 0;
		if (off > 0 && !atomic_exchange(&r->range_ignored, 1))
			log_warn("registry %s: ignores Range requests; blobs are read from their start",
				 r->name);
		return 0;
	}
	if (sscanf(crange, "bytes %llu-%llu", &s, &e) != 2 || s != off || e < s) {
		log_err("registry %s: blob %s: asked for bytes from %" PRIu64
			", got Content-Range \"%s\"", r->name, b->digest, off, crange);
		return -EPROTO;
	}
	*pos = s;
	return 0;
}

/* ---- one bounded Range request ---- */

#define WIN_RESUME_MIN (64u << 10) /* an attempt cut after this much starts the retries over */

struct win {
	struct blob *b;
	struct reg_resp *p;
	char *dst;
	size_t n, got;
	size_t got_before;      /* got when this attempt began */
	uint64_t off, pos;
	int started, err;
	char range[48];         /* what this attempt asks for: the rest */
};

/* Before each attempt: ask for what is still missing, so a cut
 * connection costs only the bytes it did not bring. */
static void win_reset(void *ctx)
{
	struct win *w = ctx;

	w->started = 0;
	w->err = 0;
	w->got_before = w->got;
	snprintf(w->range, sizeof(w->range), "%" PRIu64 "-%" PRIu64, w->off + w->got,
		 w->off + w->n - 1);
}

static int win_progressed(void *ctx)
{
	const struct win *w = ctx;

	return w->got - w->got_before >= WIN_RESUME_MIN;
}

static size_t win_write(char *p, size_t sz, size_t nitems, void *ctx)
{
	struct win *w = ctx;
	size_t n = sz * nitems, from, k;
	uint64_t want = w->off + w->got;

	if (!w->started) {
		w->err = body_start(w->b, w->p->content_range, w->off + w->got, &w->pos);
		if (w->err < 0)
			return 0;
		w->started = 1;
	}
	if (w->pos + n > want && w->pos <= want) {
		from = (size_t)(want - w->pos);
		k = n - from;
		if (k > w->n - w->got)
			k = w->n - w->got;
		memcpy(w->dst + w->got, p + from, k);
		w->got += k;
	}
	w->pos += n;
	/* A 200 (Range ignored) has the rest of the blob to come: stop once
	 * we have ours (err 0). A 206 ends by itself, and reading it to the
	 * end keeps its connection for the next request. */
	if (w->got == w->n && !w->p->content_range)
		return 0;
	return n;
}

static int range_read(struct blob *b, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	struct win w = { .b = b, .p = &p, .dst = buf, .n = n, .off = off };
	char what[OCIFS_DIGEST_STRLEN + 96];
	int rc;

	snprintf(what, sizeof(what), "blob %s bytes %" PRIu64 "-%" PRIu64, b->digest, off,
		 off + n - 1);
	q.path = b->path;
	q.range = w.range; /* written by win_reset before each attempt */
	q.write = win_write;
	q.reset = win_reset;
	q.progressed = win_progressed;
	q.ctx = &w;
	q.stop_err = &w.err;
	q.what = what;
	rc = reg_request(b->r, &q, &p);
	reg_resp_fini(&p);
	*got = w.got;
	if (rc == 0 && w.err == 0 && w.got < n) {
		/* A whole answer (its Content-Length), but not all of the
		 * range inside the blob that it was asked: a short read here
		 * would read as the blob's end. */
		log_err("registry %s: blob %s: asked for bytes %" PRIu64 "-%" PRIu64
			", the answer ended after %zu", b->r->name, b->digest, off, off + n - 1, w.got);
		return -EPROTO;
	}
	return rc < 0 ? rc : w.err;
}

/* ---- the sequential stream ---- */

static size_t st_write(char *p, size_t sz, size_t nitems, void *ctx)
{
	struct blob_stream *st = ctx;
	size_t n = sz * nitems, skip = 0, keep;
	long code = 0;

	if (!st->checked) {
		curl_easy_getinfo(st->h, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code >= 300) {
			/* An error answer: its message, handled when done. */
			size_t k = sizeof(st->resp.err) - 1 - st->resp.errlen;

			memcpy(st->resp.err + st->resp.errlen, p, k < n ? k : n);
			st->resp.errlen += k < n ? k : n;
			st->resp.err[st->resp.errlen] = 0;
			return n;
		}
		st->err = body_start(st->b, st->resp.content_range, st->req_off, &st->pos);
		if (st->err < 0)
			return 0;
		st->checked = 1;
	}
	if (st->pos < st->req_off)
		skip = st->req_off - st->pos < n ? (size_t)(st->req_off - st->pos) : n;
	keep = n - skip;
	if (keep && st->tail > st->head && st->tail - st->head + keep > STREAM_BUF) {
		st->paused = 1;
		return CURL_WRITEFUNC_PAUSE; /* curl hands the same bytes again */
	}
	if (st->head == st->tail)
		st->head = st->tail = 0;
	if (st->tail + keep > st->cap) {
		if (st->head) {
			memmove(st->buf, st->buf + st->head, st->tail - st->head);
			st->tail -= st->head;
			st->head = 0;
		}
		if (st->tail + keep > st->cap) {
			size_t nc = st->tail + keep + STREAM_BUF / 4;
			char *nb = realloc(st->buf, nc);

			if (!nb) {
				st->err = -ENOMEM;
				return 0;
			}
			st->buf = nb;
			st->cap = nc;
		}
	}
	if (keep) /* none while a 200 is skipped through to the offset */
		memcpy(st->buf + st->tail, p + skip, keep);
	st->tail += keep;
	st->pos += n;
	atomic_fetch_add(&st->b->r->st_bytes_in, n);
	return n;
}

static void stream_close(struct blob_stream *st)
{
	if (!st)
		return;
	if (st->h) {
		reg_count_connects(st->b->r, st->h);
		curl_multi_remove_handle(st->m, st->h);
		curl_easy_cleanup(st->h);
	}
	/* with its connections: kept when the transfer ended, else closed */
	reg_multi_put(st->b->r, st->m);
	curl_slist_free_all(st->hdrs);
	reg_resp_fini(&st->resp);
	free(st->url);
	free(st->buf);
	free(st);
}

static int stream_open(struct blob *b, uint64_t off, struct blob_stream **out)
{
	struct ocifs_registry *r = b->r;
	struct blob_stream *st = calloc(1, sizeof(*st));
	char range[32], *auth = NULL;
	int rc;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	st->b = b;
	st->req_off = off;
	st->req_end = !b->whole && b->size - off > b->win ? off + b->win : b->size;
	st->pos = off;
	rc = reg_auth_header(r, 0, &auth);
	if (rc < 0) {
		free(st);
		return rc;
	}
	st->m = reg_multi(r);
	st->h = reg_easy(r, &st->resp);
	st->hdrs = auth ? curl_slist_append(NULL, auth) : NULL;
	free(auth);
	if (asprintf(&st->url, "%s://%s%s", reg_scheme(r), r->n.host, b->path) < 0)
		st->url = NULL;
	if (!st->m || !st->h || !st->url || (auth && !st->hdrs)) {
		stream_close(st);
		return -ENOMEM;
	}
	if (st->req_end < b->size)
		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off, st->req_end - 1);
	else
		snprintf(range, sizeof(range), "%" PRIu64 "-", off);
	curl_easy_setopt(st->h, CURLOPT_URL, st->url);
	curl_easy_setopt(st->h, CURLOPT_HTTPHEADER, st->hdrs);
	curl_easy_setopt(st->h, CURLOPT_RANGE, range);
	curl_easy_setopt(st->h, CURLOPT_ERRORBUFFER, st->ebuf);
	curl_easy_setopt(st->h, CURLOPT_WRITEFUNCTION, st_write);
	curl_easy_setopt(st->h, CURLOPT_WRITEDATA, st);
	st->resp.content_length = -1;
	if (curl_multi_add_handle(st->m, st->h) != CURLM_OK) {
		stream_close(st);
		return -ENOMEM;
	}
	atomic_fetch_add(&r->st_requests, 1);
	atomic_fetch_add(&r->st_range, 1);
	*out = st;
	return 0;
}

/* Drive the transfer until it delivers bytes or ends. */
static int stream_pump(struct blob_stream *st)
{
	int running = 0;
	CURLMsg *msg;
	int left;

	if (st->paused) {
		st->paused = 0;
		curl_easy_pause(st->h, CURLPAUSE_CONT); /* may deliver at once */
		if (st->tail > st->head || st->paused)
			return 0;
	}
	for (;;) {
		if (curl_multi_perform(st->m, &running) != CURLM_OK)
			return -EIO;
		while ((msg = curl_multi_info_read(st->m, &left))) {
			if (msg->msg == CURLMSG_DONE) {
				st->done = 1;
				st->result = msg->data.result;
				curl_easy_getinfo(st->h, CURLINFO_RESPONSE_CODE, &st->resp.status);
			}
		}
		if (st->done || st->tail > st->head || st->paused || st->err)
			return 0;
		if (curl_multi_poll(st->m, NULL, 0, 1000, NULL) != CURLM_OK)
			return -EIO;
	}
}

/* After the transfer ended without the bytes wanted: what next. 1: open
 * a new stream (after a backoff when *attempt says so); or -errno. */
static int stream_ended(struct blob *b, struct blob_stream *st, unsigned *attempt,
			int *renewed, const char *what)
{
	struct ocifs_registry *r = b->r;

	if (st->err)
		return st->err;
	if (st->result != CURLE_OK && st->result != CURLE_WRITE_ERROR) {
		if (!reg_curl_retryable(st->result) || *attempt >= r->retries)
			return reg_curl_err(r, st->result, what, st->ebuf);
		log_dbg("registry %s: %s: %s at %" PRIu64 ", resuming", r->name, what,
			*st->ebuf ? st->ebuf : curl_easy_strerror(st->result), st->pos);
		reg_backoff(r, (*attempt)++, NULL);
		return 1;
	}
	if (!st->checked) {
		if (st->resp.status == 401 && !*renewed) {
			int rc = reg_auth_challenge(r, st->resp.www_auth, 0, what);

			*renewed = 1;
			return rc < 0 ? rc : 1;
		}
		if (reg_status_retryable(st->resp.status) && *attempt < r->retries) {
			reg_backoff(r, (*attempt)++, &st->resp);
			return 1;
		}
		return reg_status_err(r, &st->resp, what);
	}
	/* Ended cleanly but short of the size: a dropped connection. */
	if (*attempt >= r->retries) {
		log_err("registry %s: %s: the stream ended at %" PRIu64 " of %" PRIu64, r->name,
			what, st->pos, b->size);
		return -EIO;
	}
	reg_backoff(r, (*attempt)++, NULL);
	return 1;
}

/* Did st end cleanly at the end of the window it asked for? */
static int window_done(const struct blob_stream *st)
{
	return st->checked && st->done && st->result == CURLE_OK && st->resp.content_range &&
	       st->pos == st->req_end;
}

/* Close b's stream (read to its end); the next one gets twice the window
 * when this one was read through its own. */
static void stream_retire(struct blob *b)
{
	if (window_done(b->st) && !b->whole)
		b->win = b->win < STREAM_WIN_MAX ? 2 * b->win : STREAM_WIN_MAX;
	stream_close(b->st);
	b->st = NULL;
}

/* Under b->mu: n bytes at off from the stream, opening or reopening it. */
static int stream_read(struct blob *b, char *dst, size_t n, uint64_t off, size_t *got)
{
	char what[OCIFS_DIGEST_STRLEN + 16];
	unsigned attempt = 0;
	int renewed = 0, rc;

	snprintf(what, sizeof(what), "blob %s", b->digest);
	*got = 0;
	while (*got < n) {
		struct blob_stream *st = b->st;
		uint64_t want = off + *got;

		if (st && st->checked &&
		    (want < st->pos - (st->tail - st->head) ||
		     (want > st->pos + STREAM_SKIP_MAX && !atomic_load(&b->r->range_ignored)))) {
			stream_close(st);
			b->st = st = NULL;
			b->win = STREAM_WIN_MIN; /* a jump: start small again */
		}
		if (!st) {
			rc = stream_open(b, want, &b->st);
			if (rc < 0)
				return rc;
			st = b->st;
		}
		if (st->tail > st->head) {
			uint64_t lo = st->pos - (st->tail - st->head);

			if (want >= st->pos) {
				st->head = st->tail; /* all before want */
			} else {
				size_t from = (size_t)(want - lo), k = st->tail - st->head - from;

				if (k > n - *got)
					k = n - *got;
				memcpy(dst + *got, st->buf + st->head + from, k);
				*got += k;
				st->head += from + k;
				attempt = 0; /* progress */
				continue;
			}
		}
		if (!st->done) {
			rc = stream_pump(st);
			if (rc < 0)
				return rc;
			continue;
		}
		if (st->checked && st->result == CURLE_OK && st->pos >= b->size)
			break; /* the end of the blob */
		if (window_done(st)) { /* the next window, twice as big */
			stream_retire(b);
			continue;
		}
		rc = stream_ended(b, st, &attempt, &renewed, what);
		stream_close(st);
		b->st = NULL;
		if (rc < 0)
			return rc;
	}
	/* A stream read to its end gives its buffer back at once. */
	if (b->st && b->st->done && b->st->head == b->st->tail)
		stream_retire(b);
	return 0;
}

static int blob_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct blob *b = s->priv;
	int rc, stream;

	*got = 0;
	if (off >= b->size || n == 0)
		return 0;
	if (n > b->size - off)
		n = (size_t)(b->size - off);
	pthread_mutex_lock(&b->mu);
	/* A sniff of the first bytes (a compression's magic) before any
	 * stream is a Range of its own and leaves the start at 0: the pass
	 * that follows from 0 is then one stream, not a short one closed by
	 * the jump back to 0. */
	if (off == 0 && n <= STREAM_SNIFF_MAX && !b->st && !atomic_load(&b->r->range_ignored)) {
		pthread_mutex_unlock(&b->mu);
		return range_read(b, buf, n, off, got);
	}
	stream = off == atomic_load(&b->last_end) || atomic_load(&b->r->range_ignored) ||
		 (b->st && off >= b->st->pos - (b->st->tail - b->st->head) &&
		  off <= b->st->pos + STREAM_SKIP_MAX);
	if (stream) {
		rc = stream_read(b, buf, n, off, got);
		atomic_store(&b->last_end, off + *got);
		pthread_mutex_unlock(&b->mu);
		return rc;
	}
	pthread_mutex_unlock(&b->mu);
	rc = range_read(b, buf, n, off, got);
	if (rc == 0)
		atomic_store(&b->last_end, off + *got);
	return rc;
}

static void blob_advise_whole(struct ocifs_src *s, int whole)
{
	struct blob *b = s->priv;

	pthread_mutex_lock(&b->mu);
	b->whole = whole;
	b->win = STREAM_WIN_MIN; /* the reads after a pass start small */
	pthread_mutex_unlock(&b->mu);
}

static void blob_destroy(struct ocifs_src *s)
{
	struct blob *b = s->priv;

	stream_close(b->st);
	pthread_mutex_destroy(&b->mu);
	ocifs_registry_unref(b->r);
	free(b);
}

static const struct ocifs_src_ops blob_ops = {
	.pread = blob_pread,
	.destroy = blob_destroy,
	.advise_whole = blob_advise_whole,
};

static int blob_head(struct ocifs_registry *r, const char *path, const char *digest,
		     int64_t *size)
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	char what[OCIFS_DIGEST_STRLEN + 16];
	int rc;

	snprintf(what, sizeof(what), "blob %s", digest);
	q.method = "HEAD";
	q.path = path;
	q.what = what;
	rc = reg_request(r, &q, &p);
	if (rc == 0 && p.content_length < 0) {
		log_err("registry %s: %s: HEAD without a Content-Length", r->name, what);
		rc = -EPROTO;
	}
	*size = p.content_length;
	reg_resp_fini(&p);
	return rc;
}

int ocifs_registry_blob_size(struct ocifs_registry *r, const char *digest, int64_t *size)
{
	char path[512];

	if (!ocifs_digest_valid(digest)) {
		log_err("registry %s: blob %s: not a sha256 digest", r->name, digest);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", r->n.repo, digest);
	return blob_head(r, path, digest, size);
}

int ocifs_registry_blob_src(struct ocifs_registry *r, const char *digest, int64_t size,
			    struct ocifs_src **out)
{
	struct blob *b;
	char name[600];
	int rc;

	*out = NULL;
	if (!ocifs_digest_valid(digest)) {
		log_err("registry %s: blob %s: not a sha256 digest", r->name, digest);
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->digest, sizeof(b->digest), "%s", digest);
	snprintf(b->path, sizeof(b->path), "/v2/%s/blobs/%s", r->n.repo, digest);
	if (size < 0) {
		rc = blob_head(r, b->path, digest, &size);
		if (rc < 0) {
			free(b);
			return rc;
		}
	}
	b->size = (uint64_t)size;
	b->win = STREAM_WIN_MIN;
	b->r = ocifs_registry_ref(r);
	pthread_mutex_init(&b->mu, NULL);
	snprintf(name, sizeof(name), "%s@%s", r->name, digest);
	rc = ocifs_src_new(&blob_ops, b, b->size, name, out);
	if (rc < 0) {
		pthread_mutex_destroy(&b->mu);
		ocifs_registry_unref(b->r);
		free(b);
	}
	return rc;
}
