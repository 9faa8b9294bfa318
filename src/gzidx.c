/* SPDX-License-Identifier: MIT */
/*
 * Seekable gzip, after zlib's examples/zran.c. The index pass inflates a
 * gzip blob once, member by member, and about every `span` output bytes
 * records a checkpoint at a deflate block boundary: the byte and bit
 * where the next block starts, its uncompressed offset, and the 32 KiB of
 * output before it (all the history later blocks can refer to), stored
 * deflate-compressed. A cursor resumes at a checkpoint with a raw
 * inflater primed with those bits and that window; member starts are
 * checkpoints without a window. Multi-member blobs, trailing zero padding
 * and CRC/ISIZE checks are handled here; caching decoded data is not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "log.h"
#include "sha.h"
#include "zio.h"

#define GZ_WINDOW 32768u           /* deflate's longest back-reference */
#define GZ_PASS_IBUF (256u << 10)  /* pass input reads: big, sequential */
#define GZ_CUR_IBUF (64u << 10)    /* cursor input reads: random, smaller */
#define GZ_CHUNK_MAX (1u << 30)    /* per inflate() call: fits a uInt */
/* A cursor a little short of the best checkpoint keeps decoding instead
 * of restarting: a restart inflates a window first, about as costly. */
#define GZ_RESTART_COST (64u << 10)
#define GZ_TRAILER 8u              /* CRC32 + ISIZE after each member */

#define WB_GZIP (15 + 16) /* windowBits: gzip wrapper, header and CRC checked */
#define WB_RAW (-15)      /* windowBits: bare deflate */

typedef unsigned long long ull; /* for printf */

/*
 * Input, shared by pass and cursor: a z_stream fed from a buffer of the
 * blob. The pass hands every byte to on_input as it is read.
 */
struct gz_in {
	struct ocifs_src *src;   /* borrowed */
	z_stream zs;
	int zs_ok;               /* zs initialised */
	unsigned char *buf;
	size_t cap;              /* size of buf */
	uint64_t end;            /* compressed offset just past buf's bytes */
	void (*on_input)(void *ctx, const void *p, size_t n);
	void *ctx;
};

static int in_init(struct gz_in *r, struct ocifs_src *src, size_t cap)
{
	r->src = src;
	r->cap = cap;
	r->buf = malloc(cap);
	if (!r->buf || inflateInit2(&r->zs, WB_GZIP) != Z_OK)
		return -ENOMEM;
	r->zs_ok = 1;
	return 0;
}

static void in_fini(struct gz_in *r)
{
	if (r->zs_ok)
		inflateEnd(&r->zs);
	free(r->buf);
}

/* Compressed offset of the next unconsumed input byte. */
static uint64_t in_coff(const struct gz_in *r)
{
	return r->end - r->zs.avail_in;
}

/* Read more input behind the unconsumed bytes (moved to the front).
 * At the end of the blob: 1 if eof_ok, else -EIO (truncated). */
static int in_fill(struct gz_in *r, int eof_ok)
{
	size_t keep = r->zs.avail_in, got;
	int rc;

	if (keep && r->zs.next_in != r->buf)
		memmove(r->buf, r->zs.next_in, keep);
	r->zs.next_in = r->buf;
	rc = ocifs_src_pread(r->src, r->buf + keep, r->cap - keep, r->end, &got);
	if (rc) {
		log_err("%s: read at %llu: %s", r->src->name, (ull)r->end, strerror(-rc));
		return rc;
	}
	if (!got) {
		if (eof_ok)
			return 1;
		log_err("%s: truncated gzip: input ends at offset %llu", r->src->name,
			(ull)r->end);
		return -EIO;
	}
	if (r->on_input)
		r->on_input(r->ctx, r->buf + keep, got);
	r->end += got;
	r->zs.avail_in = (uInt)(keep + got);
	return 0;
}

/* Map an inflate() failure to an errno, logging it. */
static int in_zerr(struct gz_in *r, int ret)
{
	if (ret == Z_MEM_ERROR) {
		log_err("%s: out of memory inflating", r->src->name);
		return -ENOMEM;
	}
	log_err("%s: corrupt gzip data near offset %llu: %s", r->src->name,
		(ull)in_coff(r), r->zs.msg ? r->zs.msg : "inflate error");
	return -EBADMSG;
}

/*
 * The index pass.
 *
 * inflate(..., Z_BLOCK) returns at every deflate block boundary; there
 * zs.data_type has bit 7 set, bit 6 clear (not past the last block) and
 * its low 3 bits count the unused bits of the last byte consumed. Such a
 * boundary, or a member start, is a *candidate*. Taking the first
 * candidate a span after the last checkpoint would leave gaps of up to a
 * span plus one block (blocks can be hundreds of KiB), so the pass also
 * remembers the latest candidate past half a span (`pend`, its window
 * copied into `win`) and, once a candidate lies a full span out, records
 * `pend` instead. Gaps thus stay within [span/2, span] unless one block
 * alone is longer than span/2. Windows come from inflateGetDictionary().
 */
enum pass_state {
	PS_BETWEEN, /* before a member header, zero padding or the end */
	PS_MEMBER,  /* inside a member */
	PS_PADDING, /* after a zero byte following a member: zeros only */
	PS_DONE,
};

struct cand {
	uint64_t coff;  /* compressed offset where decoding resumes */
	uint64_t uoff;  /* uncompressed offset there */
	unsigned bits;  /* unused bits of the byte at coff-1 */
	unsigned flags; /* OCIFS_CK_MEMBER or 0 */
	uInt wl;        /* bytes of window in pass.win (0 for members) */
};

struct gz_pass {
	struct gz_in r;        /* gzip-mode inflater, reset per member */
	uint64_t span;
	z_stream def;          /* raw deflater compressing windows */
	int def_ok;
	unsigned char *win;    /* GZ_WINDOW: the pending candidate's window */
	unsigned char *cwin;   /* cwin_cap: a window, compressed */
	uLong cwin_cap;
	uint64_t upos;         /* uncompressed bytes produced so far */
	uint64_t member_uoff;  /* upos where the current member started */
	uint64_t members;      /* members started */
	struct cand pend;      /* latest candidate past half a span */
	int pend_ok;
	enum pass_state state;
	int err;               /* sticky: the first error, already logged */
	struct ocifs_ckpts ck;
};

/* Append candidate c as a checkpoint; a mid-member one takes its window
 * from win, compressed. */
static int pass_push(struct gz_pass *p, const struct cand *c)
{
	struct ocifs_ckpt ck = {
		.coff = c->coff, .uoff = c->uoff, .bits = c->bits, .flags = c->flags,
	};
	int rc;

	if (c->wl) {
		deflateReset(&p->def);
		p->def.next_in = p->win;
		p->def.avail_in = c->wl;
		p->def.next_out = p->cwin;
		p->def.avail_out = (uInt)p->cwin_cap;
		if (deflate(&p->def, Z_FINISH) != Z_STREAM_END) {
			log_err("%s: compressing a gzip checkpoint window failed", p->r.src->name);
			return -ENOMEM;
		}
		ck.wlen = (uint32_t)(p->cwin_cap - p->def.avail_out);
		ck.window = malloc(ck.wlen);
		if (!ck.window)
			return -ENOMEM;
		memcpy(ck.window, p->cwin, ck.wlen);
	}
	rc = ocifs_ckpts_push(&p->ck, &ck);
	if (rc)
		free(ck.window);
	return rc;
}

/* A place where decoding could restart, at upos (see the block above). */
static int pass_candidate(struct gz_pass *p, unsigned bits, unsigned flags)
{
	struct cand c = { in_coff(&p->r), p->upos, bits, flags, 0 };
	uint64_t last;

	if (!p->ck.n) /* the first member start: uoff 0 */
		return pass_push(p, &c);
	last = p->ck.v[p->ck.n - 1].uoff;
	if (p->upos - last >= p->span && p->pend_ok) {
		int rc = pass_push(p, &p->pend);
		if (rc)
			return rc;
		p->pend_ok = 0;
		last = p->pend.uoff;
	}
	if (p->upos - last < p->span / 2)
		return 0;
	if (!(flags & OCIFS_CK_MEMBER)) { /* this member's last <= 32 KiB */
		c.wl = GZ_WINDOW;
		if (inflateGetDictionary(&p->r.zs, p->win, &c.wl) != Z_OK || c.wl > GZ_WINDOW) {
			log_err("%s: cannot read the gzip window at %llu", p->r.src->name,
				(ull)c.uoff);
			return -EINVAL;
		}
	}
	if (p->upos - last >= p->span) /* one block covered half a span */
		return pass_push(p, &c);
	p->pend = c;
	p->pend_ok = 1;
	return 0;
}

/* End of stream: don't leave a tail longer than a span uncovered. */
static int pass_end(struct gz_pass *p)
{
	p->state = PS_DONE;
	if (p->pend_ok && p->upos - p->ck.v[p->ck.n - 1].uoff > p->span) {
		p->pend_ok = 0;
		return pass_push(p, &p->pend);
	}
	return 0;
}

/* PS_MEMBER: inflate up to the next block boundary or the end of output. */
static int pass_inflate(struct gz_pass *p)
{
	z_stream *zs = &p->r.zs;
	uInt before = zs->avail_out;
	int ret;

	if (!zs->avail_in) {
		int rc = in_fill(&p->r, 0);
		if (rc)
			return rc;
	}
	ret = inflate(zs, Z_BLOCK);
	p->upos += before - zs->avail_out;
	if (ret == Z_STREAM_END) { /* zlib checked the CRC32 and ISIZE */
		p->state = PS_BETWEEN;
		return 0;
	}
	if (ret != Z_OK && ret != Z_BUF_ERROR) /* BUF_ERROR: needs input */
		return in_zerr(&p->r, ret);
	if ((zs->data_type & 128) && !(zs->data_type & 64) && p->upos > p->member_uoff)
		return pass_candidate(p, (unsigned)zs->data_type & 7, 0);
	return 0;
}

/* PS_BETWEEN: a member header (1f 8b), zero padding, or the end. */
static int pass_next_member(struct gz_pass *p)
{
	z_stream *zs = &p->r.zs;
	int rc = 0;

	while (zs->avail_in < 2 && !rc)
		rc = in_fill(&p->r, 1);
	if (rc < 0)
		return rc;
	if (!zs->avail_in) {
		if (p->members)
			return pass_end(p);
		log_err("%s: truncated gzip: empty input", p->r.src->name);
		return -EIO;
	}
	if (p->members && zs->next_in[0] == 0) {
		p->state = PS_PADDING;
		return 0;
	}
	if (zs->avail_in < 2 || zs->next_in[0] != 0x1f || zs->next_in[1] != 0x8b) {
		if (p->members)
			log_err("%s: trailing garbage after gzip member at offset %llu",
				p->r.src->name, (ull)in_coff(&p->r));
		else
			log_err("%s: not gzip (no 1f 8b magic at offset 0)", p->r.src->name);
		return -EBADMSG;
	}
	if (p->members && inflateReset(zs) != Z_OK)
		return -EINVAL;
	rc = pass_candidate(p, 0, OCIFS_CK_MEMBER);
	p->members++;
	p->member_uoff = p->upos;
	p->state = PS_MEMBER;
	return rc;
}

/* PS_PADDING: some tools pad with zeros; anything else is garbage. */
static int pass_padding(struct gz_pass *p)
{
	z_stream *zs = &p->r.zs;

	if (!zs->avail_in) {
		int rc = in_fill(&p->r, 1);
		if (rc)
			return rc < 0 ? rc : pass_end(p);
	}
	for (uInt i = 0; i < zs->avail_in; i++) {
		if (zs->next_in[i]) {
			log_err("%s: trailing garbage after gzip member at offset %llu",
				p->r.src->name, (ull)(in_coff(&p->r) + i));
			return -EBADMSG;
		}
	}
	zs->next_in += zs->avail_in;
	zs->avail_in = 0;
	return 0;
}

static void gz_pass_free(void *st)
{
	struct gz_pass *p = st;

	if (!p)
		return;
	in_fini(&p->r);
	if (p->def_ok)
		deflateEnd(&p->def);
	free(p->win);
	free(p->cwin);
	ocifs_ckpts_fini(&p->ck);
	free(p);
}

static int gz_pass_new(struct ocifs_src *in, const struct ocifs_zpass_opts *o, void **st)
{
	struct gz_pass *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->r.on_input = o->on_input;
	p->r.ctx = o->ctx;
	p->span = o->span ? o->span : OCIFS_SPAN_DEFAULT;
	p->state = PS_BETWEEN;
	if (in_init(&p->r, in, GZ_PASS_IBUF))
		goto err;
	if (deflateInit2(&p->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, WB_RAW, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		goto err;
	p->def_ok = 1;
	p->cwin_cap = deflateBound(&p->def, GZ_WINDOW);
	p->win = malloc(GZ_WINDOW);
	p->cwin = malloc(p->cwin_cap);
	if (!p->win || !p->cwin)
		goto err;
	*st = p;
	return 0;
err:
	gz_pass_free(p);
	return -ENOMEM;
}

static int gz_pass_read(void *st, void *buf, size_t n, size_t *got)
{
	struct gz_pass *p = st;
	z_stream *zs = &p->r.zs;
	int rc = 0;

	*got = 0;
	if (p->err)
		return p->err;
	zs->next_out = buf;
	zs->avail_out = (uInt)(n < GZ_CHUNK_MAX ? n : GZ_CHUNK_MAX);
	n = zs->avail_out;
	while (!rc && zs->avail_out && p->state != PS_DONE) {
		if (p->state == PS_MEMBER)
			rc = pass_inflate(p);
		else if (p->state == PS_BETWEEN)
			rc = pass_next_member(p);
		else
			rc = pass_padding(p);
	}
	if (rc)
		return p->err = rc;
	*got = n - zs->avail_out;
	return 0;
}

static int gz_pass_finish(void *st, struct ocifs_ckpts *out)
{
	struct gz_pass *p = st;

	if (p->err)
		return p->err;
	if (p->state != PS_DONE) {
		log_err("%s: gzip index requested before the end of the stream", p->r.src->name);
		return -EINVAL;
	}
	*out = p->ck;
	out->comp = OCIFS_COMP_GZIP;
	out->csize = p->r.end;
	out->usize = p->upos;
	memset(&p->ck, 0, sizeof(p->ck));
	return 0;
}

/*
 * Cursors. The decoder is either a gzip-mode inflater started at a member
 * header (zlib checks that member's CRC) or a raw one resumed mid-member
 * (no CRC: the pass checked it). When a raw stream ends, the member's
 * 8-byte trailer is skipped by hand; the next member is then read in
 * gzip mode. Checkpoints may come from an untrusted cache file, so each
 * is checked before use and a window may not inflate to over 32 KiB. A
 * window that fails its sum (ck->wsum) or does not inflate costs a
 * restart from an earlier checkpoint (the first is a member start, which
 * needs no window), not the read.
 */
enum cur_state {
	CS_DEAD,    /* no usable decoder position */
	CS_MEMBER,  /* inside a member's deflate data (or header) */
	CS_BETWEEN, /* after a member: trailer to skip, then a member or end */
	CS_END,     /* end of the gzip stream */
};

struct gz_cur {
	struct gz_in r;
	const struct ocifs_ckpts *ck;  /* borrowed */
	int raw;                /* r.zs is a raw inflater */
	unsigned skip;          /* trailer bytes still to skip (CS_BETWEEN) */
	enum cur_state state;
	unsigned char *wbuf;    /* GZ_WINDOW: dictionary, then discard space */
	uint64_t pos;           /* uncompressed offset of the next output byte */
	uint64_t decoded;       /* uncompressed bytes produced, ever */
};

/* Inflate a checkpoint's stored window into wbuf; *wl = its length.
 * -EILSEQ (logged): the window fails its sum or does not inflate. */
static int cur_load_window(struct gz_cur *c, const struct ocifs_ckpt *ck, uInt *wl)
{
	unsigned char sum[OCIFS_SHA256_LEN];
	z_stream *zs = &c->r.zs;
	int rc;

	*wl = 0;
	if (!ck->wlen)
		return 0;
	if (ck->wsum) { /* a cached record's window, checked at first use */
		if ((rc = ocifs_sha256(ck->window, ck->wlen, sum)))
			return rc;
		if (memcmp(sum, ck->wsum, sizeof(sum))) {
			log_warn("%s: the cached window of the gzip checkpoint at %llu fails its"
				 " checksum; decoding from an earlier checkpoint",
				 c->r.src->name, (ull)ck->uoff);
			return -EILSEQ;
		}
	}
	if (inflateReset2(zs, WB_RAW) != Z_OK)
		return -EINVAL;
	zs->next_in = ck->window;
	zs->avail_in = ck->wlen;
	zs->next_out = c->wbuf;
	zs->avail_out = GZ_WINDOW;
	if (inflate(zs, Z_FINISH) != Z_STREAM_END || zs->avail_in) {
		log_warn("%s: gzip checkpoint at %llu has a corrupt window; decoding from an"
			 " earlier checkpoint", c->r.src->name, (ull)ck->uoff);
		return -EILSEQ;
	}
	*wl = GZ_WINDOW - zs->avail_out;
	return 0;
}

/* Position the decoder at checkpoint k. */
static int cur_restart(struct gz_cur *c, size_t k)
{
	const struct ocifs_ckpt *ck = &c->ck->v[k];
	z_stream *zs = &c->r.zs;

	c->state = CS_DEAD;
	if (ck->coff > c->r.src->size || ck->bits > 7 || (ck->bits && !ck->coff) ||
	    (ck->wlen && !ck->window) || ck->uoff > c->ck->usize) {
		log_err("%s: bad gzip checkpoint %zu", c->r.src->name, k);
		return -ESTALE;
	}
	c->raw = !(ck->flags & OCIFS_CK_MEMBER);
	if (!c->raw) {
		if (inflateReset2(zs, WB_GZIP) != Z_OK)
			return -EINVAL;
	} else {
		unsigned char b;
		uInt wl;
		int rc = cur_load_window(c, ck, &wl);

		if (rc)
			return rc;
		if (inflateReset2(zs, WB_RAW) != Z_OK)
			return -EINVAL;
		if (ck->bits) { /* the block starts inside the byte at coff-1 */
			rc = ocifs_src_pread_full(c->r.src, &b, 1, ck->coff - 1);
			if (rc)
				return rc;
			inflatePrime(zs, (int)ck->bits, b >> (8 - ck->bits));
		}
		if (wl && inflateSetDictionary(zs, c->wbuf, wl) != Z_OK)
			return -EINVAL;
	}
	c->r.end = ck->coff; /* the input restarts there */
	zs->next_in = c->r.buf;
	zs->avail_in = 0;
	c->pos = ck->uoff;
	c->state = CS_MEMBER;
	return 0;
}

/* CS_BETWEEN: skip a raw member's trailer, then start the next member
 * in gzip mode, or stop at the end or at zero padding. */
static int cur_between(struct gz_cur *c)
{
	z_stream *zs = &c->r.zs;
	int rc = 0;

	while (c->skip) {
		uInt k;

		if (!zs->avail_in && (rc = in_fill(&c->r, 0)))
			return rc;
		k = zs->avail_in < c->skip ? zs->avail_in : c->skip;
		zs->next_in += k;
		zs->avail_in -= k;
		c->skip -= k;
	}
	if (!zs->avail_in && (rc = in_fill(&c->r, 1)) < 0)
		return rc;
	if (!zs->avail_in || zs->next_in[0] == 0) {
		/* the end, or padding (the pass checked it is all zeros) */
		c->state = CS_END;
		return 0;
	}
	if (inflateReset2(zs, WB_GZIP) != Z_OK)
		return -EINVAL;
	c->raw = 0;
	c->state = CS_MEMBER;
	return 0;
}

/* Decode exactly n (<= GZ_CHUNK_MAX) bytes into out, or fail. */
static int cur_produce(struct gz_cur *c, unsigned char *out, size_t n)
{
	z_stream *zs = &c->r.zs;
	size_t done;
	int rc = 0;

	zs->next_out = out;
	zs->avail_out = (uInt)n;
	while (!rc && zs->avail_out) {
		if (c->state == CS_MEMBER) {
			int ret;
			if (!zs->avail_in && (rc = in_fill(&c->r, 0)))
				break;
			ret = inflate(zs, Z_NO_FLUSH);
			if (ret == Z_STREAM_END) { /* a raw member leaves its trailer */
				c->state = CS_BETWEEN;
				c->skip = c->raw ? GZ_TRAILER : 0;
			} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
				rc = in_zerr(&c->r, ret);
			}
		} else if (c->state == CS_BETWEEN) {
			rc = cur_between(c);
		} else {
			log_err("%s: gzip data ends at %llu, before the indexed size %llu",
				c->r.src->name, (ull)(c->pos + n - zs->avail_out),
				(ull)c->ck->usize);
			rc = -ESTALE;
		}
	}
	done = n - zs->avail_out;
	c->pos += done;
	c->decoded += done;
	return rc;
}

/* Put the decoder at uncompressed offset off (< usize). */
static int cur_seek(struct gz_cur *c, uint64_t off)
{
	size_t k = ocifs_ckpts_find(c->ck, off);
	uint64_t kuoff = c->ck->v[k].uoff;
	int rc;

	/* Keep going if the decoder is at or past the best checkpoint, or so
	 * close before it that a restart would not pay. */
	if (c->state == CS_DEAD || c->state == CS_END || c->pos > off ||
	    (c->pos < kuoff && kuoff - c->pos > GZ_RESTART_COST)) {
		rc = cur_restart(c, k);
		while (rc == -EILSEQ && k > 0) /* a bad window: an earlier one */
			rc = cur_restart(c, --k);
		if (rc)
			return rc == -EILSEQ ? -ESTALE : rc;
	}
	while (c->pos < off) { /* decode and discard */
		uint64_t left = off - c->pos;

		rc = cur_produce(c, c->wbuf, left < GZ_WINDOW ? (size_t)left : GZ_WINDOW);
		if (rc)
			return rc;
	}
	return 0;
}

static int gz_cur_pread(void *st, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct gz_cur *c = st;
	size_t done = 0;
	int rc;

	*got = 0;
	if (off >= c->ck->usize || !n)
		return 0;
	if (n > c->ck->usize - off)
		n = (size_t)(c->ck->usize - off);
	rc = cur_seek(c, off);
	while (!rc && done < n) {
		size_t chunk = n - done < GZ_CHUNK_MAX ? n - done : GZ_CHUNK_MAX;

		rc = cur_produce(c, (unsigned char *)buf + done, chunk);
		done += chunk;
	}
	if (rc) {
		c->state = CS_DEAD;
		return rc;
	}
	*got = n;
	return 0;
}

static uint64_t gz_cur_decoded(const void *st)
{
	const struct gz_cur *c = st;

	return c->decoded;
}

static void gz_cur_free(void *st)
{
	struct gz_cur *c = st;

	if (!c)
		return;
	in_fini(&c->r);
	free(c->wbuf);
	free(c);
}

static int gz_cur_new(struct ocifs_src *in, const struct ocifs_ckpts *ck, void **st)
{
	struct gz_cur *c;

	if (ck->usize && (!ck->n || ck->v[0].uoff != 0)) {
		log_err("%s: gzip index has no checkpoint at offset 0", in->name);
		return -ESTALE;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ck = ck;
	c->state = CS_DEAD;
	c->wbuf = malloc(GZ_WINDOW);
	if (!c->wbuf || in_init(&c->r, in, GZ_CUR_IBUF)) {
		gz_cur_free(c);
		return -ENOMEM;
	}
	*st = c;
	return 0;
}

const struct ocifs_zcodec ocifs_gz_codec = {
	.pass_new = gz_pass_new,
	.pass_read = gz_pass_read,
	.pass_finish = gz_pass_finish,
	.pass_free = gz_pass_free,
	.cur_new = gz_cur_new,
	.cur_pread = gz_cur_pread,
	.cur_decoded = gz_cur_decoded,
	.cur_free = gz_cur_free,
};
