/* SPDX-License-Identifier: MIT */
/*
 * Seekable zstd (the zstd back end of zio.h). The decode pass records a
 * checkpoint at frame starts (thinned so a stream of tiny frames keeps a
 * small index), and cursors restart decoding at the nearest one.
 *
 * A frame cannot be entered mid-way, so a layer that is one big frame
 * (what most tools write) would cost a decode from its start for every
 * random read. For such frames the pass writes a shadow copy: the frame's
 * output re-compressed (level 1) as independent span-sized frames in
 * <shadow_dir>/<key>.shadow.zst, with OCIFS_CK_SHADOW checkpoints pointing
 * into it. A frame is big when its header says its content is over 2
 * spans; when the header has no size, it becomes big once its output
 * passes 2 spans, and those first 2 spans are then decoded again from the
 * blob (a throwaway cursor) to catch the shadow up - which costs nothing
 * on streams of many small unsized frames (zstd:chunked, seekable zstd).
 *
 * After a shadowed frame the next frame start always gets a checkpoint,
 * so a cursor leaving the shadow knows where to resume in the blob.
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
#include <zstd.h>
#include <zstd_errors.h>

#include "bytes.h"
#include "cache.h"
#include "log.h"
#include "zio.h"

#define PASS_INBUF (1u << 20)     /* pass: large sequential reads */
#define CUR_INBUF (128u << 10)    /* cursor: reads after a restart */
#define SCRATCH (128u << 10)      /* cursor: output decoded and discarded */
#define SHADOW_OUTBUF (1u << 20)
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

/* Decode into out[0..n) until it is full or the frame ends (*fend = 1). */
static int zin_decode(ZSTD_DCtx *d, struct zin *z, void *out, size_t n, size_t *got, int *fend)
{
	ZSTD_outBuffer ob = { out, n, 0 };

	*fend = 0;
	*got = 0;
	while (ob.pos < ob.size) {
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
	const struct ocifs_ckpts *ck;
	struct ocifs_src *in;
	struct ocifs_src *shadow; /* opened when first needed */
	ZSTD_DCtx *dctx;
	struct zin z;             /* reads in or shadow */
	int valid;                /* upos and the decoder state agree */
	int in_frame;
	size_t ci;                /* checkpoint of the last restart */
	uint64_t upos;            /* uncompressed offset of the next byte */
	uint64_t decoded;
	unsigned char *scratch;
};

static void zcur_free(void *st)
{
	struct zcur *c = st;

	if (!c)
		return;
	if (c->shadow)
		ocifs_src_unref(c->shadow);
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

/* Restart decoding at checkpoint j, in the blob or in the shadow. */
static int zcur_restart(struct zcur *c, size_t j)
{
	const struct ocifs_ckpt *k = &c->ck->v[j];
	int shadow = (k->flags & OCIFS_CK_SHADOW) != 0;

	if (shadow && !c->shadow) { /* missing: -ESTALE, the cache rebuilds */
		int rc = -ESTALE;

		if (!c->ck->shadow)
			log_err("%s: index has shadow checkpoints but no shadow", c->in->name);
		else
			rc = ocifs_src_file_open(c->ck->shadow, &c->shadow); /* logs */
		if (rc)
			return rc == -ENOENT ? -ESTALE : rc;
	}
	zin_seek(&c->z, shadow ? c->shadow : c->in, k->coff);
	ZSTD_DCtx_reset(c->dctx, ZSTD_reset_session_only);
	c->ci = j;
	c->upos = k->uoff;
	c->in_frame = 0;
	c->valid = 1;
	return 0;
}

/* Produce the next n bytes into out (NULL: discard); n stays within
 * usize. Errors in the shadow are -ESTALE: the cache layer rebuilds. */
static int zcur_decode(struct zcur *c, unsigned char *out, uint64_t n)
{
	while (n) {
		int shadow = c->z.src != c->in, fend, end, rc;
		size_t k, want = n < SCRATCH || out ? (size_t)n : SCRATCH;
		uint64_t fcs;

		if (!c->in_frame) {
			rc = zin_next_frame(&c->z, &fcs, &end);
			if (!rc && end)
				rc = truncated(&c->z);
			if (rc)
				return shadow ? -ESTALE : rc;
			c->in_frame = 1;
		}
		rc = zin_decode(c->dctx, &c->z, out ? out : c->scratch, want, &k, &fend);
		if (rc)
			return shadow ? -ESTALE : rc;
		c->upos += k;
		c->decoded += k;
		n -= k;
		out = out ? out + k : NULL;
		if (!fend)
			continue;
		c->in_frame = 0;
		if (!shadow)
			continue; /* the blob's next frame follows */
		/* a shadow frame ended: the next checkpoint starts right here */
		if (c->ci + 1 < c->ck->n && c->ck->v[c->ci + 1].uoff == c->upos)
			(void)zcur_restart(c, c->ci + 1); /* cannot fail: shadow is open */
		else if (c->upos != c->ck->usize) {
			log_err("%s: shadow frame ends at %llu, where no checkpoint starts",
				c->ck->shadow, (unsigned long long)c->upos);
			return -ESTALE;
		}
	}
	return 0;
}

static int zcur_pread(void *st, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct zcur *c = st;
	const struct ocifs_ckpts *ck = c->ck;
	size_t j;
	int rc;

	*got = 0;
	if (off >= ck->usize || n == 0)
		return 0;
	if (ck->n == 0) {
		log_err("%s: zstd index has no checkpoints", c->in->name);
		return -ESTALE;
	}
	if (n > ck->usize - off)
		n = (size_t)(ck->usize - off);
	/* go on from where we are unless a checkpoint lies in between */
	j = ocifs_ckpts_find(ck, off);
	rc = 0;
	if (!c->valid || c->upos > off || c->upos < ck->v[j].uoff)
		rc = zcur_restart(c, j);
	if (!rc)
		rc = zcur_decode(c, NULL, off - c->upos);
	if (!rc)
		rc = zcur_decode(c, buf, n);
	if (rc) {
		c->valid = 0;
		return rc;
	}
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
	int force_ck;             /* a shadowed frame just ended */
	uint64_t fr_coff, fr_uoff; /* start of the current frame */
	int fr_maybe_big;         /* no size in its header: may become big */
	/* the shadow writer; final == NULL: no shadow wanted */
	char *final;
	int sfd;                  /* -1 until the first big frame (= ct.fd) */
	struct ocifs_cache_tmp ct; /* the shadow's temp file */
	int shadowing;            /* the current frame goes to the shadow */
	ZSTD_CCtx *cctx;
	unsigned char *obuf;
	size_t olen;              /* compressed bytes waiting in obuf */
	uint64_t soff;            /* shadow bytes emitted (written + obuf) */
	uint64_t sfill;           /* bytes in the current shadow frame */
	uint64_t su;              /* uncompressed offset of the next shadow byte */
};

static int shadow_flush(struct zpass *p)
{
	for (size_t done = 0; done < p->olen;) {
		ssize_t w = write(p->sfd, p->obuf + done, p->olen - done);

		if (w < 0 && errno != EINTR) {
			int rc = -errno;
			log_err("%s: write: %s", p->ct.path, strerror(-rc));
			return rc;
		}
		done += w > 0 ? (size_t)w : 0;
	}
	p->olen = 0;
	return 0;
}

/* Feed the shadow compressor; ZSTD_e_end closes the shadow frame. */
static int shadow_compress(struct zpass *p, const void *data, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer ib = { data, n, 0 };

	for (;;) {
		ZSTD_outBuffer ob = { p->obuf, SHADOW_OUTBUF, p->olen };
		size_t r = ZSTD_compressStream2(p->cctx, &ob, &ib, mode);
		int rc;

		p->soff += ob.pos - p->olen;
		p->olen = ob.pos;
		if (ZSTD_isError(r)) {
			log_err("%s: zstd compress: %s", p->ct.path, ZSTD_getErrorName(r));
			return -EIO;
		}
		if (mode == ZSTD_e_end ? r == 0 : ib.pos == ib.size)
			return 0;
		if ((rc = shadow_flush(p)) != 0) /* make room */
			return rc;
	}
}

/* Append output (at offset p->su) to the shadow, cutting it into span-
 * sized frames; each shadow frame start is a checkpoint. */
static int shadow_feed(struct zpass *p, const unsigned char *data, size_t n)
{
	while (n) {
		size_t take = n < p->span - p->sfill ? n : (size_t)(p->span - p->sfill);
		int rc;

		if (p->sfill == 0) {
			struct ocifs_ckpt k = { .coff = p->soff, .uoff = p->su,
						.flags = OCIFS_CK_SHADOW | OCIFS_CK_MEMBER };
			if ((rc = ocifs_ckpts_push(&p->ck, &k)) != 0)
				return rc;
		}
		if ((rc = shadow_compress(p, data, take, ZSTD_e_continue)) != 0)
			return rc;
		p->sfill += take;
		p->su += take;
		data += take;
		n -= take;
		if (p->sfill == p->span) {
			if ((rc = shadow_compress(p, NULL, 0, ZSTD_e_end)) != 0)
				return rc;
			p->sfill = 0;
		}
	}
	return 0;
}

/* The current frame is big: shadow it from its start. A shadow that
 * cannot be created is not an error, only slower random reads. */
static int shadow_begin(struct zpass *p)
{
	if (p->sfd < 0) {
		if (ocifs_cache_tmp_open(p->final, &p->ct) != 0) { /* logged */
			log_warn("%s: no shadow copy; random reads of %s will be slow", p->final,
				 p->in->name);
			free(p->final);
			p->final = NULL;
			return 0;
		}
		p->sfd = p->ct.fd;
		p->cctx = ZSTD_createCCtx();
		p->obuf = malloc(SHADOW_OUTBUF);
		if (!p->cctx || !p->obuf)
			return -ENOMEM;
		if (ZSTD_isError(ZSTD_CCtx_setParameter(p->cctx, ZSTD_c_compressionLevel, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(p->cctx, ZSTD_c_checksumFlag, 1)))
			return -EINVAL;
	}
	/* the shadow's first checkpoint replaces the frame's own */
	if (p->ck.n && p->ck.v[p->ck.n - 1].uoff == p->fr_uoff &&
	    !(p->ck.v[p->ck.n - 1].flags & OCIFS_CK_SHADOW))
		p->ck.n--;
	p->shadowing = 1;
	p->su = p->fr_uoff;
	p->sfill = 0;
	return 0;
}

/* An unsized frame passed 2 spans: shadow it, decoding again from the
 * blob what it produced before the current output. */
static int shadow_catch_up(struct zpass *p)
{
	struct ocifs_ckpt k = { .coff = p->fr_coff, .uoff = p->fr_uoff, .flags = OCIFS_CK_MEMBER };
	struct ocifs_ckpts tmp = { .comp = OCIFS_COMP_ZSTD, .usize = p->uoff, .n = 1, .v = &k,
				   .window_max = p->z.wmax };
	unsigned char *buf = NULL;
	void *cur = NULL;
	int rc = shadow_begin(p);

	if (rc || !p->shadowing)
		return rc;
	rc = zcur_new(p->in, &tmp, &cur);
	if (!rc && !(buf = malloc(SCRATCH)))
		rc = -ENOMEM;
	while (!rc && p->su < p->uoff) {
		size_t got;

		rc = zcur_pread(cur, buf, SCRATCH, p->su, &got);
		if (!rc)
			rc = shadow_feed(p, buf, got);
	}
	free(buf);
	zcur_free(cur);
	return rc;
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
	p->fr_maybe_big = p->final && fcs == ZSTD_CONTENTSIZE_UNKNOWN;
	if (p->ck.n == 0 || p->force_ck || p->uoff - p->ck.v[p->ck.n - 1].uoff >= p->span / 4) {
		struct ocifs_ckpt k = { .coff = p->fr_coff, .uoff = p->uoff, .flags = OCIFS_CK_MEMBER };

		if ((rc = ocifs_ckpts_push(&p->ck, &k)) != 0)
			return rc;
		p->force_ck = 0;
	}
	if (p->final && fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs > 2 * p->span)
		return shadow_begin(p);
	return 0;
}

/* After a frame's last byte: close the last, short shadow frame. */
static int pass_frame_end(struct zpass *p)
{
	int rc = 0;

	p->in_frame = 0;
	if (!p->shadowing)
		return 0;
	if (p->sfill)
		rc = shadow_compress(p, NULL, 0, ZSTD_e_end);
	p->sfill = 0;
	p->shadowing = 0;
	p->force_ck = 1;
	return rc;
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
		if (!rc && p->fr_maybe_big && !p->shadowing && p->uoff + k - p->fr_uoff > 2 * p->span) {
			p->fr_maybe_big = 0;
			rc = shadow_catch_up(p);
		}
		if (!rc && p->shadowing)
			rc = shadow_feed(p, out + done, k);
		p->uoff += k;
		done += k;
		if (!rc && fend)
			rc = pass_frame_end(p);
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
	if (p->sfd >= 0) /* not finished: leave nothing behind */
		ocifs_cache_tmp_abort(&p->ct);
	ZSTD_freeDCtx(p->dctx);
	ZSTD_freeCCtx(p->cctx);
	ocifs_ckpts_fini(&p->ck);
	free(p->z.buf);
	free(p->obuf);
	free(p->final);
	free(p);
}

static char *path_join(const char *dir, const char *key, const char *suffix)
{
	size_t n = strlen(dir) + strlen(key) + strlen(suffix) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s%s", dir, key, suffix);
	return s;
}

static int zpass_new(struct ocifs_src *in, const struct ocifs_zpass_opts *o, void **st)
{
	struct zpass *p = calloc(1, sizeof(*p));
	int rc = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->in = in;
	p->sfd = -1;
	p->ct.dfd = p->ct.fd = -1;
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
	if (o->shadow_dir && o->key) {
		p->final = path_join(o->shadow_dir, o->key, ".shadow.zst");
		if (!p->final)
			goto err;
	}
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
	if (!rc && p->sfd >= 0) { /* publish the shadow */
		rc = shadow_flush(p);
		if (!rc && !(p->ck.shadow = strdup(p->final)))
			rc = -ENOMEM;
		if (!rc) {
			rc = ocifs_cache_tmp_commit(&p->ct); /* fsync + rename, logged */
			p->sfd = -1;
		}
	}
	if (rc)
		return rc; /* zpass_free removes the temp */
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
