/* SPDX-License-Identifier: MIT */
/*
 * Seekable zstd (the zstd back end of zio.h). The decode pass records a
 * checkpoint at frame starts (thinned so a stream of tiny frames keeps a
 * small index), and cursors restart decoding at the nearest one.
 *
 * A frame cannot be entered mid-way, so a layer that is one big frame
 * (what most tools write) is one long gap between checkpoints. The pass
 * does not pay for that up front (it would cost a re-compression of the
 * whole layer and ~40 % of it on disk): it only puts a checkpoint at the
 * start of every frame over 2 spans and at the frame after it. A cursor
 * that must decode more than 2 spans to reach a read asks the layer's
 * lazy shadow (zshadow.h) for that range; once made in the background,
 * it shows up as OCIFS_CK_SHADOW checkpoints in a newer snapshot of the
 * checkpoints, which cursors pick up at their next restart.
 *
 * Every frame header's window is checked against the window limit (zio.h)
 * before the decoder sees it, so the error names the sizes; the decoder's
 * own ZSTD_d_windowLogMax is the backstop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* for ZSTD_d_stableOutBuffer (zstd >= 1.4.4: an experimental parameter
 * of the stable setParameter call, refused by a library without it) */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "bytes.h"
#include "log.h"
#include "zio.h"
#include "zshadow.h"

#define PASS_INBUF (1u << 20)     /* pass: large sequential reads */
#define CUR_INBUF (128u << 10)    /* cursor: reads after a restart */
#define SCRATCH (128u << 10)      /* cursor: output decoded and discarded */
#define SPAN_MIN 4096u
#define FRAME_HDR_MAX 18          /* ZSTD_FRAMEHEADERSIZE_MAX (static-only API) */

/* --- buffered compressed input, from the blob or from the shadow --- */

struct zin {
	struct ocifs_src *src;
	unsigned char *buf;
	size_t cap, len, at;      /* buf[at..len) is unread */
	uint64_t off;             /* input offset of buf[0] */
	int eof;                  /* nothing after off + len */
	uint64_t wmax;            /* window limit, bytes */
	uint64_t wseen;           /* largest window passed */
	void (*on_input)(void *ctx, const void *p, size_t n);
	void *ctx;
};

static uint64_t zin_pos(const struct zin *z)
{
	return z->off + z->at;
}

static int truncated(const struct zin *z)
{
	log_err("%s: truncated zstd data at offset %llu", z->src->name,
		(unsigned long long)(z->off + z->len));
	return -EIO;
}

/* Make `want` unread bytes available (fewer only at the end of input).
 * Every byte is read, and shown to on_input, exactly once. */
static int zin_fill(struct zin *z, size_t want)
{
	while (z->len - z->at < want && !z->eof) {
		size_t got;
		int rc;

		if (z->at) { /* move the unread tail to the front */
			memmove(z->buf, z->buf + z->at, z->len - z->at);
			z->off += z->at;
			z->len -= z->at;
			z->at = 0;
		}
		rc = ocifs_src_pread(z->src, z->buf + z->len, z->cap - z->len, z->off + z->len, &got);
		if (rc) {
			log_err("%s: read at %llu: %s", z->src->name,
				(unsigned long long)(z->off + z->len), strerror(-rc));
			return rc;
		}
		if (got && z->on_input)
			z->on_input(z->ctx, z->buf + z->len, got);
		z->len += got;
		z->eof = got == 0;
	}
	return 0;
}

/* Continue reading src at pos (keeps the buffer when pos lies in it). */
static void zin_seek(struct zin *z, struct ocifs_src *src, uint64_t pos)
{
	if (src == z->src && pos >= z->off && pos <= z->off + z->len) {
		z->at = (size_t)(pos - z->off);
		return;
	}
	z->src = src;
	z->off = pos;
	z->len = z->at = 0;
	z->eof = 0;
}

static int window_refused(const struct zin *z, uint64_t window)
{
	char w[40] = "", lim[32];

	if (window) {
		w[0] = ' ';
		ocifs_zstd_window_str(window, w + 1, sizeof(w) - 1);
	}
	ocifs_zstd_window_str(z->wmax, lim, sizeof(lim));
	log_err("%s: zstd window%s exceeds the %s limit (raise it with --zstd-window-max)",
		z->src->name, w, lim);
	return -EOPNOTSUPP;
}

/* The window a frame header at p asks for (RFC 8878 3.1.1.1.2): the
 * Window_Descriptor, or the content size in a single-segment frame. 0
 * when the header is too short to say (the decoder reports that). */
static uint64_t frame_window(const unsigned char *p, size_t avail, uint64_t fcs)
{
	uint64_t base;

	if (avail < 6)
		return 0;
	if (p[4] & 0x20) /* Single_Segment_flag: no descriptor */
		return fcs == ZSTD_CONTENTSIZE_UNKNOWN ? 0 : fcs;
	base = 1ull << (10 + (p[5] >> 3));
	return base + (base >> 3) * (p[5] & 7);
}

/*
 * At a frame boundary: pass over skippable frames and stop at the next
 * zstd frame (*fcs: its content size or ZSTD_CONTENTSIZE_UNKNOWN), or at
 * the clean end of the input (*end = 1). Anything else is -EBADMSG.
 */
static int zin_next_frame(struct zin *z, uint64_t *fcs, int *end)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	*end = 0;
	for (;;) {
		int rc = zin_fill(z, FRAME_HDR_MAX);
		size_t avail = z->len - z->at;
		const unsigned char *p = z->buf + z->at;

		if (rc || avail == 0) {
			*end = !rc;
			return rc;
		}
		if (avail < 4 && memcmp(p, magic, avail) == 0)
			return truncated(z);
		if (avail >= 4 && ocifs_le32(p) == ZSTD_MAGICNUMBER) {
			unsigned long long s = ZSTD_getFrameContentSize(p, avail);
			uint64_t w;
			/* a short header is left for the decoder to report */
			*fcs = s == ZSTD_CONTENTSIZE_ERROR ? ZSTD_CONTENTSIZE_UNKNOWN : s;
			w = frame_window(p, avail, *fcs);
			if (w > z->wmax)
				return window_refused(z, w);
			z->wseen = w > z->wseen ? w : z->wseen;
			return 0;
		}
		if (avail < 4 || (ocifs_le32(p) & ZSTD_MAGIC_SKIPPABLE_MASK) != ZSTD_MAGIC_SKIPPABLE_START) {
			log_err("%s: offset %llu: not a zstd frame%s", z->src->name,
				(unsigned long long)zin_pos(z), zin_pos(z) ? " (trailing garbage)" : "");
			return -EBADMSG;
		}
		if (avail < 8)
			return truncated(z);
		for (uint64_t left = 8 + (uint64_t)ocifs_le32(p + 4); left;) {
			size_t take = z->len - z->at < left ? z->len - z->at : (size_t)left;

			z->at += take;
			left -= take;
			if (left && (rc = zin_fill(z, 1)) != 0)
				return rc;
			if (left && z->at == z->len)
				return truncated(z);
		}
	}
}

/* Decode into out[0..n) until it is full or the frame ends (*fend = 1);
 * whole (stable output mode: the frame fits in n): until the frame ends,
 * with the same output buffer throughout, as that mode requires. */
static int zin_decode_to(ZSTD_DCtx *d, struct zin *z, void *out, size_t n, int whole,
			 size_t *got, int *fend)
{
	ZSTD_outBuffer ob = { out, n, 0 };

	*fend = 0;
	*got = 0;
	while (ob.pos < ob.size || whole) {
		int rc = z->at == z->len ? zin_fill(z, 1) : 0;
		ZSTD_inBuffer ib = { z->buf + z->at, z->len - z->at, 0 };
		size_t before = ob.pos, r;

		if (rc)
			return rc;
		r = ZSTD_decompressStream(d, &ob, &ib);
		z->at += ib.pos;
		if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
			return window_refused(z, 0); /* not reached: checked at the header */
		if (ZSTD_isError(r)) {
			log_err("%s: corrupt zstd data near offset %llu: %s", z->src->name,
				(unsigned long long)zin_pos(z), ZSTD_getErrorName(r));
			return -EBADMSG;
		}
		if (r == 0) {
			*fend = 1;
			break;
		}
		if (ib.size == 0 && ob.pos == before) /* input ended mid-frame */
			return truncated(z);
	}
	*got = ob.pos;
	return 0;
}

static int zin_decode(ZSTD_DCtx *d, struct zin *z, void *out, size_t n, size_t *got, int *fend)
{
	return zin_decode_to(d, z, out, n, 0, got, fend);
}

/* A decoder whose memory is the window the data asks for, up to wmax
 * (rounded up to a power of two: windowLogMax is a log). */
static int dctx_new(uint64_t wmax, ZSTD_DCtx **out)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	int wlog = 10;

	if (!d)
		return -ENOMEM;
	while (wlog < 31 && (1ull << wlog) < wmax)
		wlog++;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, wlog))) {
		ZSTD_freeDCtx(d);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

/* --- cursors --- */

struct zcur {
	const struct ocifs_ckpts *ck; /* the snapshot ci indexes */
	struct ocifs_src *in;
	ZSTD_DCtx *dctx;
	struct zin z;             /* reads in or the shadow file */
	int valid;                /* upos and the decoder state agree */
	int in_frame;
	int shadow;               /* decoding a shadow frame (ck->v[ci]) */
	int halfway;              /* ... and passed its middle */
	size_t ci;                /* checkpoint of the last restart */
	uint64_t upos;            /* uncompressed offset of the next byte */
	uint64_t decoded;
	unsigned char *scratch;
	int stable;               /* dctx writes straight into the caller's
				   * buffer (ZSTD_d_stableOutBuffer) */
	int no_stable;            /* the library refused that mode */
};

static void zcur_free(void *st)
{
	struct zcur *c = st;

	if (!c)
		return;
	ZSTD_freeDCtx(c->dctx);
	free(c->z.buf);
	free(c->scratch);
	free(c);
}

static int zcur_new(struct ocifs_src *in, const struct ocifs_ckpts *ck, void **st)
{
	struct zcur *c = calloc(1, sizeof(*c));
	int rc = -ENOMEM;

	if (!c)
		return -ENOMEM;
	c->ck = ck;
	c->in = in;
	c->z.cap = CUR_INBUF;
	c->z.buf = malloc(CUR_INBUF);
	c->z.wmax = ck->window_max ? ck->window_max : OCIFS_ZSTD_WINDOW_DEFAULT;
	c->scratch = malloc(SCRATCH);
	if (c->z.buf && c->scratch)
		rc = dctx_new(c->z.wmax, &c->dctx);
	if (rc) {
		zcur_free(c);
		return rc;
	}
	*st = c;
	return 0;
}

/* The checkpoint to restart at for off: the last one at or before it from
 * which decoding reaches off -- a blob checkpoint, or a shadow frame that
 * holds off and passed its check (zshadow.h verifies it on first use). */
static size_t restart_point(const struct ocifs_ckpts *ck, uint64_t off)
{
	size_t j = ocifs_ckpts_find(ck, off);

	while (j > 0 && (ck->v[j].flags & OCIFS_CK_SHADOW) &&
	       (off >= ck->v[j].uoff + ck->v[j].ulen || !ck->live ||
		ocifs_zshadow_chunk_ok(ck->live, ck, j) != 0))
		j--;
	return j;
}

/* Move to the newest published snapshot; a cursor inside a shadow frame
 * finds that frame's checkpoint in it (snapshots only ever gain frames). */
static void zcur_refresh(struct zcur *c)
{
	const struct ocifs_ckpts *now = ocifs_zshadow_ckpts(c->ck->live);
	const struct ocifs_ckpt *k = &c->ck->v[c->ci];
	size_t j;

	if (now == c->ck)
		return;
	if (c->valid && c->shadow) {
		c->valid = 0;
		for (j = ocifs_ckpts_find(now, k->uoff); now->v[j].uoff == k->uoff; j--) {
			if ((now->v[j].flags & OCIFS_CK_SHADOW) && now->v[j].coff == k->coff) {
				c->ci = j;
				c->valid = 1;
				break;
			}
			if (j == 0)
				break;
		}
	}
	c->ck = now;
}

/* Restart decoding at checkpoint j, in the blob or in the shadow file. */
static void zcur_restart(struct zcur *c, size_t j)
{
	const struct ocifs_ckpts *ck = c->ck;
	const struct ocifs_ckpt *k = &ck->v[j];

	c->shadow = (k->flags & OCIFS_CK_SHADOW) != 0;
	zin_seek(&c->z, c->shadow ? ocifs_zshadow_src(ck->live) : c->in, k->coff);
	ZSTD_DCtx_reset(c->dctx, ZSTD_reset_session_only);
	c->ci = j;
	c->upos = k->uoff;
	c->in_frame = 0;
	c->valid = 1;
	c->halfway = 0;
}

/* Decoding passed the middle of the shadow frame: a reader that got here
 * reads on, so have the next frame made if it is missing. */
static void zcur_halfway(struct zcur *c)
{
	const struct ocifs_ckpts *ck = c->ck;
	const struct ocifs_ckpt *k = &ck->v[c->ci];
	uint64_t end = k->uoff + k->ulen;

	c->halfway = 1;
	if (end < ck->usize && (c->ci + 1 >= ck->n || ck->v[c->ci + 1].uoff != end))
		ocifs_zshadow_request(ck->live, end, 1);
}

/* Restart for off, going on from where the cursor is when that is
 * closer; a long way to decode inside a big frame asks the lazy shadow
 * for the range (made in the background, for the next read). */
static void zcur_seek(struct zcur *c, uint64_t off, size_t n)
{
	const struct ocifs_ckpts *ck = c->ck;
	size_t j = restart_point(ck, off);
	uint64_t from;

	if (!c->valid || c->upos > off || c->upos < ck->v[j].uoff)
		zcur_restart(c, j);
	from = c->upos;
	if (ck->live && off - from > 2 * ocifs_zshadow_span(ck->live))
		ocifs_zshadow_request(ck->live, off, n);
}

static int zcur_decode(struct zcur *c, unsigned char *out, uint64_t n);

/* A shadow frame ended at upos: go on from the checkpoint that starts
 * there, or else from the best one before it (decoding up to upos). */
static int zcur_leave_shadow(struct zcur *c, uint64_t more)
{
	uint64_t at = c->upos;

	if (c->ck->live)
		zcur_refresh(c);
	c->valid = 0; /* a shadow frame ended: nothing to continue */
	zcur_seek(c, at, more > SIZE_MAX ? SIZE_MAX : (size_t)more);
	return zcur_decode(c, NULL, at - c->upos);
}

/* Direct decoding (issue #14): a frame that fits whole in what the
 * caller asked for is decoded straight into its buffer (stable output
 * mode) instead of through the decoder's window buffer and a copy --
 * ~9 % fewer instructions for a multi-frame layer read ahead in whole
 * runs. Where the frame ends comes from its content size, or else from
 * the index: the next blob checkpoint is a frame start, so every frame
 * before it ends there at the latest. A frame longer than that fails as
 * corrupt, as the index says it cannot be. Returns the bytes the frame
 * starting at upos may need, or UINT64_MAX: more than n, or unknown. */
static uint64_t frame_room(const struct zcur *c, uint64_t n, uint64_t fcs)
{
	const struct ocifs_ckpts *ck = c->ck;
	size_t j;

	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN)
		return fcs <= n ? fcs : UINT64_MAX;
	for (j = ocifs_ckpts_find(ck, c->upos); j < ck->n && ck->v[j].uoff <= c->upos + n; j++)
		if (ck->v[j].uoff > c->upos && !(ck->v[j].flags & OCIFS_CK_SHADOW))
			return ck->v[j].uoff - c->upos;
	return j >= ck->n && ck->usize - c->upos <= n ? ck->usize - c->upos : UINT64_MAX;
}

/* At a frame start (the decoder between frames): switch the output mode
 * when it changes. 0, or -1 when the library has no stable mode. */
static int zcur_mode(struct zcur *c, int stable)
{
	if (c->stable == stable)
		return 0;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(c->dctx, ZSTD_d_stableOutBuffer, stable))) {
		c->no_stable = 1;
		return -1;
	}
	c->stable = stable;
	return 0;
}

/* Produce the next n bytes into out (NULL: discard); n stays within
 * usize. */
static int zcur_decode(struct zcur *c, unsigned char *out, uint64_t n)
{
	while (n) {
		int fend, end, rc;
		size_t k, want = n < SCRATCH || out ? (size_t)n : SCRATCH;
		uint64_t fcs;

		if (!c->in_frame) {
			uint64_t room;

			rc = zin_next_frame(&c->z, &fcs, &end);
			if (!rc && end)
				rc = truncated(&c->z);
			if (rc)
				return rc;
			c->in_frame = 1;
			room = out && !c->shadow && !c->no_stable ? frame_room(c, n, fcs) : UINT64_MAX;
			if (zcur_mode(c, room != UINT64_MAX) == 0 && c->stable)
				want = (size_t)room; /* this frame, in one call */
		}
		rc = zin_decode_to(c->dctx, &c->z, out ? out : c->scratch, want, c->stable, &k,
				   &fend);
		if (rc)
			return rc;
		if (c->shadow && c->upos + k > c->ck->v[c->ci].uoff + c->ck->v[c->ci].ulen) {
			log_err("%s: shadow frame at %llu is longer than its record",
				c->z.src->name, (unsigned long long)c->ck->v[c->ci].coff);
			return -EBADMSG;
		}
		c->upos += k;
		c->decoded += k;
		n -= k;
		out = out ? out + k : NULL;
		if (c->shadow && !c->halfway &&
		    c->upos - c->ck->v[c->ci].uoff > c->ck->v[c->ci].ulen / 2)
			zcur_halfway(c);
		if (!fend)
			continue;
		c->in_frame = 0;
		if (!c->shadow)
			continue; /* the blob's next frame follows */
		if (c->upos != c->ck->v[c->ci].uoff + c->ck->v[c->ci].ulen) {
			log_err("%s: shadow frame at %llu is shorter than its record",
				c->z.src->name, (unsigned long long)c->ck->v[c->ci].coff);
			return -EBADMSG;
		}
		if (n && (rc = zcur_leave_shadow(c, n)) != 0)
			return rc;
		if (!n)
			c->valid = 0; /* the next read picks its checkpoint */
	}
	return 0;
}

static int zcur_pread(void *st, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct zcur *c = st;
	int rc, tries = 0;

	*got = 0;
	if (off >= c->ck->usize || n == 0)
		return 0;
	if (c->ck->n == 0 || (c->ck->v[0].flags & OCIFS_CK_SHADOW)) {
		log_err("%s: zstd index has no checkpoint at its start", c->in->name);
		return -ESTALE;
	}
	if (n > c->ck->usize - off)
		n = (size_t)(c->ck->usize - off);
	do {
		if (c->ck->live)
			zcur_refresh(c);
		zcur_seek(c, off, n);
		rc = zcur_decode(c, NULL, off - c->upos);
		if (!rc)
			rc = zcur_decode(c, buf, n);
		if (rc) {
			c->valid = 0;
			/* a shadow frame that fails after its check: never
			 * use it again, read the blob instead */
			if (!c->shadow || !c->ck->live)
				return rc;
			ocifs_zshadow_chunk_bad(c->ck->live, c->ck, c->ci);
		}
	} while (rc && ++tries < 3);
	if (rc)
		return rc;
	*got = n;
	return 0;
}

static uint64_t zcur_decoded(const void *st)
{
	return ((const struct zcur *)st)->decoded;
}

/* --- the pass --- */

struct zpass {
	struct ocifs_src *in;
	ZSTD_DCtx *dctx;
	struct zin z;
	uint64_t span;
	uint64_t uoff;            /* output so far */
	struct ocifs_ckpts ck;
	int in_frame, eof, err;
	int force_ck;             /* a big frame just ended */
	uint64_t fr_coff, fr_uoff; /* start of the current frame */
	int fr_big;               /* the current frame is over 2 spans */
};

/* A big frame must begin at a checkpoint: it is the place cursors and
 * zshadow.h decode such a frame from. An unsized frame is found big only
 * once its output passes 2 spans; its checkpoint is added then (it still
 * sorts last: checkpoints are only made at frame starts). */
static int mark_big(struct zpass *p)
{
	struct ocifs_ckpt k = { .coff = p->fr_coff, .uoff = p->fr_uoff, .flags = OCIFS_CK_MEMBER };

	p->fr_big = 1;
	if (p->ck.n && p->ck.v[p->ck.n - 1].uoff == p->fr_uoff)
		return 0;
	return ocifs_ckpts_push(&p->ck, &k);
}

/* At a frame boundary: find the next frame and decide its checkpoint. */
static int pass_frame_start(struct zpass *p)
{
	uint64_t fcs = 0;
	int end, rc = zin_next_frame(&p->z, &fcs, &end);

	if (rc)
		return rc;
	if (end) {
		p->eof = 1;
		return zin_pos(&p->z) == 0 ? truncated(&p->z) : 0; /* an empty blob */
	}
	p->in_frame = 1;
	p->fr_coff = zin_pos(&p->z);
	p->fr_uoff = p->uoff;
	p->fr_big = 0;
	if (p->ck.n == 0 || p->force_ck || p->uoff - p->ck.v[p->ck.n - 1].uoff >= p->span / 4) {
		struct ocifs_ckpt k = { .coff = p->fr_coff, .uoff = p->uoff, .flags = OCIFS_CK_MEMBER };

		if ((rc = ocifs_ckpts_push(&p->ck, &k)) != 0)
			return rc;
		p->force_ck = 0;
	}
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs > 2 * p->span)
		return mark_big(p);
	return 0;
}

static int zpass_read(void *st, void *buf, size_t n, size_t *got)
{
	struct zpass *p = st;
	unsigned char *out = buf;
	size_t done = 0, k;
	int rc = p->err, fend;

	*got = 0;
	while (!rc && done < n && !p->eof) {
		if (!p->in_frame) {
			rc = pass_frame_start(p);
			continue;
		}
		rc = zin_decode(p->dctx, &p->z, out + done, n - done, &k, &fend);
		p->uoff += k;
		done += k;
		if (!rc && !p->fr_big && p->uoff - p->fr_uoff > 2 * p->span)
			rc = mark_big(p);
		if (!rc && fend) {
			p->in_frame = 0;
			p->force_ck = p->fr_big; /* where the gap ends */
		}
	}
	if (rc) {
		p->err = rc; /* sticky, logged once */
		return rc;
	}
	*got = done;
	return 0;
}

static void zpass_free(void *st)
{
	struct zpass *p = st;

	if (!p)
		return;
	ZSTD_freeDCtx(p->dctx);
	ocifs_ckpts_fini(&p->ck);
	free(p->z.buf);
	free(p);
}

static int zpass_new(struct ocifs_src *in, const struct ocifs_zpass_opts *o, void **st)
{
	struct zpass *p = calloc(1, sizeof(*p));
	int rc = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->in = in;
	p->span = o->span ? o->span : OCIFS_SPAN_DEFAULT;
	if (p->span < SPAN_MIN)
		p->span = SPAN_MIN;
	p->ck.comp = OCIFS_COMP_ZSTD;
	p->z.src = in;
	p->z.cap = PASS_INBUF;
	p->z.on_input = o->on_input;
	p->z.ctx = o->ctx;
	p->z.wmax = o->window_max ? o->window_max : OCIFS_ZSTD_WINDOW_DEFAULT;
	p->ck.window_max = p->z.wmax;
	p->z.buf = malloc(PASS_INBUF);
	if (!p->z.buf)
		goto err;
	rc = dctx_new(p->z.wmax, &p->dctx);
	if (rc)
		goto err;
	*st = p;
	return 0;
err:
	zpass_free(p);
	return rc;
}

static int zpass_finish(void *st, struct ocifs_ckpts *out)
{
	struct zpass *p = st;
	int rc = 0;

	if (!p->eof || p->err) {
		log_err("%s: zstd pass finished before the end of the stream", p->in->name);
		return p->err ? p->err : -EINVAL;
	}
	if (p->ck.n == 0) { /* only skippable frames: nothing to decode */
		struct ocifs_ckpt k = { .flags = OCIFS_CK_MEMBER };
		rc = ocifs_ckpts_push(&p->ck, &k);
	}
	if (rc)
		return rc;
	p->ck.window = p->z.wseen;
	p->ck.csize = zin_pos(&p->z);
	p->ck.usize = p->uoff;
	*out = p->ck;
	memset(&p->ck, 0, sizeof(p->ck));
	return 0;
}

const struct ocifs_zcodec ocifs_zstd_codec = {
	.pass_new = zpass_new,
	.pass_read = zpass_read,
	.pass_finish = zpass_finish,
	.pass_free = zpass_free,
	.cur_new = zcur_new,
	.cur_pread = zcur_pread,
	.cur_decoded = zcur_decoded,
	.cur_free = zcur_free,
};
