/* SPDX-License-Identifier: MIT */
/*
 * Fetching the index artifact's blobs (idxart_pull.c): each on a thread
 * of its own, so the chunk sums, an index and the merged view travel at
 * once (the registry client is thread-safe: a thread takes its own
 * handle and connection from the client's pool), and an index is
 * decompressed into its file as its bytes arrive, so the decode overlaps
 * the transfer. Every blob is checked against its descriptor's digest
 * and size by the client; what it decompressed is used only when that
 * check passed, and a blob that does not match its digest is said so
 * even when its bytes did not decompress either. zstd's streaming API
 * does the decoding; the bounds and the one-frame rule are ours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "idxart_priv.h"
#include "log.h"
#include "trace.h"

int idxart_unz_init(struct idxart_unz *u, uint64_t max, int fd, char **mem, size_t *mlen)
{
	*u = (struct idxart_unz){ .max = max, .fd = fd, .mem = mem, .mlen = mlen };
	u->cap = ZSTD_DStreamOutSize();
	u->dc = ZSTD_createDCtx();
	u->out = malloc(u->cap);
	if (!u->dc || !u->out) {
		idxart_unz_fini(u);
		return -ENOMEM;
	}
	ZSTD_DCtx_setParameter(u->dc, ZSTD_d_windowLogMax, 24); /* the push's level 9 uses 2^22 */
	return 0;
}

void idxart_unz_fini(struct idxart_unz *u)
{
	ZSTD_freeDCtx(u->dc);
	free(u->out);
	u->dc = NULL;
	u->out = NULL;
}

/* n more bytes out: into the file, or appended to *mem (doubling, never
 * past max) */
static int unz_emit(struct idxart_unz *u, size_t n)
{
	u->total += n;
	if (u->total > u->max)
		return -EFBIG;
	if (u->fd >= 0)
		return ocifs_cache_write_fd(u->fd, u->out, n);
	if (*u->mlen + n > u->mcap) {
		size_t want = u->mcap ? 2 * u->mcap : u->cap;
		want = want < *u->mlen + n ? *u->mlen + n : want;
		want = want > u->max ? (size_t)u->max : want;
		char *nb = realloc(*u->mem, want);
		if (!nb)
			return -ENOMEM;
		*u->mem = nb;
		u->mcap = want;
	}
	memcpy(*u->mem + *u->mlen, u->out, n);
	*u->mlen += n;
	return 0;
}

int idxart_unz_feed(struct idxart_unz *u, const void *p, size_t n)
{
	ZSTD_inBuffer in = { p, n, 0 };

	while (!u->rc) {
		ZSTD_outBuffer o = { u->out, u->cap, 0 };
		if (u->ended && in.pos < in.size) { /* one frame, nothing after it */
			u->rc = -EBADMSG;
			break;
		}
		if (in.pos == in.size && !u->full)
			break;
		size_t ret = ZSTD_decompressStream(u->dc, &o, &in);
		if (ZSTD_isError(ret)) {
			u->rc = -EBADMSG;
			break;
		}
		u->full = o.pos == o.size; /* more may be buffered inside */
		u->rc = unz_emit(u, o.pos);
		if (!ret)
			u->ended = 1;
		if (in.pos == in.size && !u->full)
			break;
	}
	return u->rc;
}

int idxart_unz_end(struct idxart_unz *u)
{
	return u->rc ? u->rc : u->ended ? 0 : -EBADMSG; /* cut short */
}

void idxart_unz_restart(struct idxart_unz *u)
{
	ZSTD_DCtx_reset(u->dc, ZSTD_reset_session_only);
	u->total = 0;
	u->rc = u->ended = u->full = 0;
	if (u->fd >= 0 && (ftruncate(u->fd, 0) || lseek(u->fd, 0, SEEK_SET) < 0))
		u->rc = -errno;
	if (u->fd < 0)
		*u->mlen = 0;
}

int idxart_unzstd_mem(const char *z, size_t zlen, uint64_t max, char **mem, size_t *mlen)
{
	struct idxart_unz u;
	int rc = idxart_unz_init(&u, max, -1, mem, mlen);

	if (!rc && !(rc = idxart_unz_feed(&u, z, zlen)))
		rc = idxart_unz_end(&u);
	idxart_unz_fini(&u);
	return rc;
}

static int get_sink(void *ctx, const void *p, size_t n)
{
	struct idxart_get *g = ctx;

	if (g->zfd < 0) { /* kept whole; the client bounds it by its size */
		memcpy(g->buf + g->len, p, n);
		g->len += n;
		return 0;
	}
	/* A decode error is not the transfer's: the digest is still checked,
	 * and a blob that is not its pusher's is said so first. */
	(void)idxart_unz_feed(&g->unz, p, n);
	return 0;
}

static void get_restart(void *ctx)
{
	struct idxart_get *g = ctx;

	g->len = 0;
	if (g->zfd >= 0)
		idxart_unz_restart(&g->unz);
}

static void get_run(struct idxart_get *g)
{
	const char *dg = idxart_jstr(g->desc, "digest");
	json_object *v;
	int64_t size = json_object_object_get_ex(g->desc, "size", &v) ? json_object_get_int64(v) : -1;
	ocifs_span sp = ocifs_trace_begin(g->span, g->parent);

	if (!dg || !ocifs_digest_valid(dg) || size < 0 || (uint64_t)size > g->max) {
		snprintf(g->why, sizeof(g->why), "a malformed or too large blob descriptor");
		g->rc = -EBADMSG;
		goto out;
	}
	if (g->zfd < 0 && !(g->buf = malloc((size_t)size + 1))) {
		g->rc = -ENOMEM;
		goto out;
	}
	if (g->zfd >= 0 && (g->rc = idxart_unz_init(&g->unz, g->zmax, g->zfd, NULL, NULL)) != 0)
		goto out;
	/* the client's own error line is held: the caller's one line says it */
	struct ocifs_log_hold hold = { .have = 0 };
	ocifs_log_hold_attach(&hold);
	g->rc = ocifs_registry_get_blob_to(g->r, dg, (uint64_t)size, get_sink, get_restart, g);
	int held = hold.have;
	ocifs_log_hold_release(&hold, 0, NULL);
	if (g->rc == -EILSEQ || (g->rc && !held))
		snprintf(g->why, sizeof(g->why), "blob %.19s…: %s", dg,
			 g->rc == -EILSEQ ? "does not match its digest" : strerror(-g->rc));
	else if (g->rc) /* the client's words (an HTTP status...) */
		snprintf(g->why, sizeof(g->why), "%.200s", hold.msg);
	else if (g->zfd >= 0)
		g->zrc = idxart_unz_end(&g->unz);
	if (g->zfd >= 0)
		idxart_unz_fini(&g->unz);
	if (g->rc) {
		free(g->buf);
		g->buf = NULL;
		g->len = 0;
	} else if (g->zfd < 0 && g->decode_max) {
		ocifs_span dsp = ocifs_trace_begin("decompress view", sp);
		g->drc = idxart_unzstd_mem(g->buf, g->len, g->decode_max, &g->dec, &g->declen);
		ocifs_trace_end(dsp);
	}
out:
	if (g->rc)
		ocifs_trace_error(sp, g->why[0] ? g->why : strerror(-g->rc));
	ocifs_trace_end(sp);
}

static void *get_thread(void *arg)
{
	get_run(arg);
	return NULL;
}

void idxart_get_start(struct idxart_get *g, int thread)
{
	g->parent = ocifs_trace_current();
	g->started = thread && pthread_create(&g->th, NULL, get_thread, g) == 0;
	if (!g->started) /* no thread to be had: here, and done when this returns */
		get_run(g);
}

void idxart_get_wait(struct idxart_get *g)
{
	if (g->started)
		pthread_join(g->th, NULL);
	g->started = 0;
}

void idxart_get_fini(struct idxart_get *g)
{
	idxart_get_wait(g);
	free(g->buf);
	free(g->dec);
	g->buf = g->dec = NULL;
	g->len = g->declen = 0;
}
