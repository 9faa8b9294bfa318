/* SPDX-License-Identifier: MIT */
/*
 * UPX-packed ELF: detection and in-memory unpacking.
 *
 * A packed main executable (UPX 3.x .. 5.x, "linux/amd64" etc.) is laid
 * out as follows; every offset below comes from the hostile file and is
 * checked before use:
 *
 *   Ehdr + Phdrs (+ copied PT_NOTEs) of the packed file
 *   l_info   checksum, "UPX!", lsize (loader size), version, format
 *   p_info   progid, original file size, block size
 *   b_info + data   the original Ehdr+Phdrs ("header block"), then each
 *                   PT_LOAD's file bytes (the first one after the
 *                   header), in program-header order, in blocks of at
 *                   most the block size; padded to 4
 *   loader   lsize bytes of stub (holds "$Id: UPX x.yz ...")
 *   b_info + data   the gaps: bytes between each PT_LOAD and the next
 *                   one in the file, or EOF (section headers, symbols)
 *   b_info {0, "UPX!"}   end of blocks; padded to 4
 *   PackHeader  "UPX!" version format method level u_adler c_adler
 *               u_len c_len u_file_size filter cto n_mru checksum
 *   overlay offset (of p_info)
 *
 * A b_info is sz_unc, sz_cpr, method, filter id, cto8, unused; a block
 * with sz_cpr == sz_unc is stored. adler32 over all compressed bytes and
 * over all unpacked bytes, in block order, must equal the PackHeader's
 * c_adler/u_adler: that is what `upx -t` checks, and so do we.
 * LZMA blocks carry UPX's 2-byte properties (pb; lp<<4|lc) and no size:
 * liblzma's raw LZMA1 decoder runs until the known output size is full.
 *
 * Hand-written, not libelf (scan/elfinfo.c reads ELF with libelf): the
 * l_info/p_info/b_info/PackHeader structures are UPX's, not ELF's; the
 * packed file's few header fields are read from the same first page the
 * l_info search scans right after its program headers, with UPX's own
 * acceptance rules (headers where UPX writes them); and the original
 * Ehdr/Phdrs are checked in the unpacked header block before the rest of
 * the image exists, to decide where each block goes.
 */
#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "upx.h"
#include "upx_priv.h"

#define UPX_MAGIC 0x21585055u           /* "UPX!" little-endian */
#define UPX_HEAD_READ 8192u             /* l_info lies within the first page(s) */
#define UPX_TAIL_READ (64u << 10)       /* trailer + "$Id" search window */
#define UPX_TRAILER 36u                 /* 32-byte PackHeader + overlay offset */
#define UPX_HDR_BLOCK_MAX (64u << 10)   /* original Ehdr + Phdrs */
#define UPX_SCAN_MAX (1u << 20)         /* search window for the gap blocks */

struct upx_layout {
	int cls, be;            /* 32/64; big-endian */
	unsigned machine;
	int has_dynamic;        /* packed file has PT_DYNAMIC: a shared library */
	int has_linfo, has_trailer;
	uint64_t linfo;         /* offset of l_info */
	unsigned lsize;
	uint64_t overlay;       /* offset of p_info */
	unsigned version, format, method, level, filter;
	uint32_t u_adler, c_adler, u_file_size;
	uint32_t orig_size, blocksize;
	int has_pinfo;
};

const char *ocifs_upx_method_name(unsigned m)
{
	if (m >= UPX_M_NRV2B_LE32 && m <= UPX_M_NRV2B_LE16)
		return "NRV2B";
	if (m >= UPX_M_NRV2D_LE32 && m <= UPX_M_NRV2D_LE16)
		return "NRV2D";
	if (m >= UPX_M_NRV2E_LE32 && m <= UPX_M_NRV2E_LE16)
		return "NRV2E";
	if (m == UPX_M_LZMA)
		return "LZMA";
	return "unknown";
}

/* Set u->error (replacing an earlier one). -ENOMEM if it cannot be kept. */
static int __attribute__((format(printf, 2, 3))) upx_why(struct ocifs_upx *u, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ocifs_scan_verror(&u->error, 1, 256, fmt, ap);
	va_end(ap);
	return rc;
}

static const unsigned char *memfind(const unsigned char *h, size_t hl, const char *n, size_t nl)
{
	for (size_t i = 0; nl <= hl && i <= hl - nl; i++)
		if (h[i] == (unsigned char)n[0] && !memcmp(h + i, n, nl))
			return h + i;
	return NULL;
}

/* "$Id: UPX 4.02 Copyright ..." anywhere in buf → u->version. */
static void upx_find_version(struct ocifs_upx *u, const unsigned char *buf, size_t n)
{
	const unsigned char *p = memfind(buf, n, "$Id: UPX ", 9);
	size_t k = 0;

	if (!p)
		return;
	p += 9;
	while (k + 1 < sizeof(u->version) && (size_t)(p - buf) + k < n &&
	       ((p[k] >= '0' && p[k] <= '9') || p[k] == '.'))
		k++;
	if (k && p[0] >= '0' && p[0] <= '9') {
		memcpy(u->version, p, k);
		u->version[k] = '\0';
	}
}

/* PackHeader checksum (version > 9): bytes 4..30 summed mod 251. */
static int upx_ph_valid(const unsigned char *p)
{
	unsigned c = 0;

	for (int i = 4; i < 31; i++)
		c += p[i];
	return p[4] > 9 && p[5] != 0 && p[5] != 128 && (c % 251) == p[31];
}

/* The ELF headers and l_info. 0 (lay->cls 0: not ELF), or an errno. */
static int upx_scan_head(const struct ocifs_rd *rd, struct upx_layout *lay)
{
	unsigned char *h = malloc(UPX_HEAD_READ);
	size_t n = 0, phentsize, phnum;
	uint64_t phoff, phend;
	int rc;

	if (!h)
		return -ENOMEM;
	rc = ocifs_rd_upto(rd, h, UPX_HEAD_READ, 0, &n);
	if (rc || n < 52 || memcmp(h, "\177ELF", 4) || (h[4] != 1 && h[4] != 2) ||
	    (h[5] != 1 && h[5] != 2))
		goto out;
	lay->cls = h[4] == 2 ? 64 : 32;
	lay->be = h[5] == 2;
	lay->machine = ocifs_get16(h + 18, lay->be);
	if (lay->cls == 64) {
		if (n < 64)
			goto not_elf;
		phoff = ocifs_get64(h + 32, lay->be);
		phentsize = ocifs_get16(h + 54, lay->be);
		phnum = ocifs_get16(h + 56, lay->be);
	} else {
		phoff = ocifs_get32(h + 28, lay->be);
		phentsize = ocifs_get16(h + 42, lay->be);
		phnum = ocifs_get16(h + 44, lay->be);
	}
	if (phentsize != (lay->cls == 64 ? 56u : 32u) || phoff > n || phnum * phentsize > n - phoff)
		goto out; /* headers not where UPX puts them: not packed by it */
	phend = phoff + phnum * phentsize;
	for (size_t i = 0; i < phnum; i++)
		if (ocifs_get32(h + phoff + i * phentsize, lay->be) == 2) /* PT_DYNAMIC */
			lay->has_dynamic = 1;
	/* l_info: first "UPX!" (at l_info + 4) after the program headers */
	for (uint64_t p = phend; p + 12 <= n && p < phend + 4096; p++) {
		if (ocifs_get32(h + p + 4, 0) == UPX_MAGIC && h[p + 10] && h[p + 11]) {
			lay->has_linfo = 1;
			lay->linfo = p;
			lay->lsize = ocifs_get16(h + p + 8, lay->be);
			lay->version = h[p + 10];
			lay->format = h[p + 11];
			break;
		}
	}
	goto out;
not_elf:
	lay->cls = 0;
out:
	free(h);
	return rc;
}

/* The PackHeader near EOF (upx allows a zero-filled last page) and the
 * "$Id" string if it is in the tail. */
static int upx_scan_tail(const struct ocifs_rd *rd, struct upx_layout *lay, struct ocifs_upx *u)
{
	size_t want = rd->size < UPX_TAIL_READ ? (size_t)rd->size : UPX_TAIL_READ, n = 0;
	uint64_t base = rd->size - want;
	unsigned char *t = malloc(want ? want : 1);
	size_t end, from;
	int rc;

	if (!t)
		return -ENOMEM;
	rc = ocifs_rd_upto(rd, t, want, base, &n);
	if (rc)
		goto out;
	end = n;
	while (end > 0 && !t[end - 1] && n - end < 8192)
		end--;
	from = end > UPX_TRAILER + 8 ? end - UPX_TRAILER - 8 : 0;
	for (size_t p = from; p + UPX_TRAILER <= n && p < end; p++) {
		if (ocifs_get32(t + p, 0) != UPX_MAGIC || !upx_ph_valid(t + p))
			continue;
		uint32_t ovl = ocifs_get32(t + p + 32, lay->be);

		if (ovl + 24ull > rd->size)
			continue;
		lay->has_trailer = 1;
		lay->overlay = ovl;
		lay->version = t[p + 4];
		lay->format = t[p + 5];
		lay->method = t[p + 6];
		lay->level = t[p + 7];
		lay->u_adler = ocifs_get32(t + p + 8, 0);
		lay->c_adler = ocifs_get32(t + p + 12, 0);
		lay->u_file_size = ocifs_get32(t + p + 24, 0);
		lay->filter = t[p + 28];
		break;
	}
	upx_find_version(u, t, n);
out:
	free(t);
	return rc;
}

/* Detection into lay and u (u zeroed first). */
static int upx_scan(const struct ocifs_rd *rd, struct upx_layout *lay, struct ocifs_upx *u)
{
	unsigned char pi[24];
	uint64_t pinfo;
	int rc;

	ocifs_upx_fini(u);
	memset(lay, 0, sizeof(*lay));
	u->method_name = "unknown";
	u->packed_size = rd->size;
	rc = upx_scan_head(rd, lay);
	if (rc || !lay->cls)
		return rc;
	if (!lay->has_linfo)
		return 0; /* a lone trailer-like tail is not evidence enough */
	rc = upx_scan_tail(rd, lay, u);
	if (rc)
		return rc;
	u->packed = 1;
	u->has_trailer = lay->has_trailer;
	u->header_version = lay->version;
	u->format = lay->format;
	/* p_info: at the overlay offset, which is right after l_info */
	pinfo = lay->has_trailer ? lay->overlay : lay->linfo + 12;
	if (ocifs_rd_full(rd, pi, sizeof(pi), pinfo) == 0) {
		lay->has_pinfo = 1;
		lay->orig_size = ocifs_get32(pi + 4, lay->be);
		lay->blocksize = ocifs_get32(pi + 8, lay->be);
		u->original_size = lay->orig_size;
		u->blocksize = lay->blocksize;
		if (!lay->has_trailer)
			lay->method = pi[12 + 8]; /* the header block's method */
	}
	u->method = lay->method;
	u->method_name = ocifs_upx_method_name(lay->method);
	u->level = lay->level;
	u->filter = lay->filter;
	if (!lay->has_trailer)
		return upx_why(u, "no UPX PackHeader near the end of the file (truncated?)");
	return 0;
}

int ocifs_upx_detect(const struct ocifs_rd *rd, struct ocifs_upx *out)
{
	struct upx_layout lay;

	memset(out, 0, sizeof(*out));
	return upx_scan(rd, &lay, out);
}

/* ---- unpacking ---- */

struct upx_ctx {
	const struct ocifs_rd *rd;
	struct ocifs_upx *u;
	const struct upx_layout *lay;
	unsigned char *out;     /* orig_size bytes */
	unsigned char *cbuf;    /* one block's compressed bytes */
	uint64_t total;         /* bytes unpacked */
	uint32_t u_adler, c_adler;
};

/* Raw LZMA1 with UPX's 2-byte properties, exactly dlen bytes out. */
static int upx_lzma(struct upx_ctx *c, const unsigned char *src, size_t slen, unsigned char *dst,
		    size_t dlen)
{
	lzma_options_lzma opt;
	lzma_filter filters[2];
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;
	int rc = 0;

	if (slen < 3)
		return upx_why(c->u, "LZMA block too short") ? -ENOMEM : -EBADMSG;
	memset(&opt, 0, sizeof(opt));
	opt.pb = src[0] & 7;
	opt.lp = src[1] >> 4;
	opt.lc = src[1] & 15;
	if (opt.pb > 4 || opt.lp > 4 || opt.lc > 8 || (src[0] >> 3) != opt.lc + opt.lp)
		return upx_why(c->u, "bad LZMA properties %02x %02x", src[0], src[1]) ? -ENOMEM
										       : -EBADMSG;
	if (opt.lc + opt.lp > LZMA_LCLP_MAX)
		return upx_why(c->u, "LZMA lc+lp %u > 4 not supported by liblzma",
			       opt.lc + opt.lp) ? -ENOMEM : -EOPNOTSUPP;
	opt.dict_size = dlen < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN : (uint32_t)dlen;
	filters[0].id = LZMA_FILTER_LZMA1;
	filters[0].options = &opt;
	filters[1].id = LZMA_VLI_UNKNOWN;
	filters[1].options = NULL;
	r = lzma_raw_decoder(&s, filters);
	if (r != LZMA_OK) {
		lzma_end(&s);
		if (r == LZMA_MEM_ERROR)
			return -ENOMEM;
		return upx_why(c->u, "liblzma refused the LZMA options (%d)", (int)r) ? -ENOMEM
										       : -EOPNOTSUPP;
	}
	s.next_in = src + 2;
	s.avail_in = slen - 2;
	s.next_out = dst;
	s.avail_out = dlen;
	for (;;) {
		size_t in0 = s.avail_in, out0 = s.avail_out;

		r = lzma_code(&s, LZMA_RUN);
		if (!s.avail_out)
			break;
		if (r == LZMA_MEM_ERROR) {
			rc = -ENOMEM;
			break;
		}
		if (r != LZMA_OK || (s.avail_in == in0 && s.avail_out == out0)) {
			rc = upx_why(c->u, "corrupt LZMA block (%zu of %zu bytes decoded, liblzma %d)",
				     dlen - s.avail_out, dlen, (int)r) ? -ENOMEM : -EBADMSG;
			break;
		}
	}
	lzma_end(&s);
	return rc;
}

/* Read and decode the block at *pos into out[dst..), at most want bytes
 * (exactly want if exact); advance *pos, return its size in *got. */
static int upx_block(struct upx_ctx *c, uint64_t *pos, uint64_t dst, uint64_t want, int exact,
		     uint32_t *got)
{
	const struct upx_layout *L = c->lay;
	unsigned char bi[12];
	uint32_t sz_unc, sz_cpr;
	unsigned method, ftid;
	int rc = ocifs_rd_full(c->rd, bi, sizeof(bi), *pos);

	if (rc == -EIO)
		return upx_why(c->u, "truncated at block header %#llx", (unsigned long long)*pos)
			       ? -ENOMEM : -EBADMSG;
	if (rc)
		return rc;
	sz_unc = ocifs_get32(bi, L->be);
	sz_cpr = ocifs_get32(bi + 4, L->be);
	method = bi[8];
	ftid = bi[9];
	if (!sz_unc || !sz_cpr || sz_cpr > sz_unc || sz_unc > L->blocksize || sz_unc > want ||
	    (exact && sz_unc != want) || dst > L->orig_size || sz_unc > L->orig_size - dst)
		return upx_why(c->u, "bad b_info at %#llx: sz_unc %u, sz_cpr %u (%llu wanted)",
			       (unsigned long long)*pos, sz_unc, sz_cpr,
			       (unsigned long long)want) ? -ENOMEM : -EBADMSG;
	if (*pos + 12 + sz_cpr > c->rd->size)
		return upx_why(c->u, "truncated: block at %#llx runs past the end of the file",
			       (unsigned long long)*pos) ? -ENOMEM : -EBADMSG;
	rc = ocifs_rd_full(c->rd, c->cbuf, sz_cpr, *pos + 12);
	if (rc)
		return rc == -EIO ? (upx_why(c->u, "truncated block at %#llx",
					     (unsigned long long)*pos) ? -ENOMEM : -EBADMSG) : rc;
	c->c_adler = ocifs_upx_adler32(c->c_adler, c->cbuf, sz_cpr);
	if (sz_cpr == sz_unc) {
		memcpy(c->out + dst, c->cbuf, sz_unc);
	} else {
		if (method == UPX_M_LZMA)
			rc = upx_lzma(c, c->cbuf, sz_cpr, c->out + dst, sz_unc);
		else if (ocifs_upx_nrv_known(method))
			rc = ocifs_upx_nrv_decode(method, c->cbuf, sz_cpr, c->out + dst, sz_unc) == 0 ? 0
				: (upx_why(c->u, "corrupt %s block at %#llx",
					   ocifs_upx_method_name(method), (unsigned long long)*pos)
					   ? -ENOMEM : -EBADMSG);
		else
			rc = upx_why(c->u, "compression method %u (%s) not supported", method,
				     ocifs_upx_method_name(method)) ? -ENOMEM : -EOPNOTSUPP;
		if (rc)
			return rc;
		if (ftid && ocifs_upx_unfilter(c->out + dst, sz_unc, ftid, bi[10]))
			return upx_why(c->u, "filter %#x not supported", ftid) ? -ENOMEM
										 : -EOPNOTSUPP;
	}
	c->u_adler = ocifs_upx_adler32(c->u_adler, c->out + dst, sz_unc);
	c->total += sz_unc;
	*pos += 12 + sz_cpr;
	*got = sz_unc;
	return 0;
}

/* Decode an extent of want bytes at out[dst..) block by block. */
static int upx_extent(struct upx_ctx *c, uint64_t *pos, uint64_t dst, uint64_t want)
{
	while (want) {
		uint32_t got = 0;
		int rc = upx_block(c, pos, dst, want, 0, &got);

		if (rc)
			return rc;
		dst += got;
		want -= got;
	}
	return 0;
}

/* Program header k of the original file (in out): type, offset, filesz. */
static void upx_phdr(const struct upx_ctx *c, uint64_t phoff, size_t k, uint32_t *type,
		     uint64_t *off, uint64_t *fsz)
{
	const struct upx_layout *L = c->lay;
	const unsigned char *p = c->out + phoff + k * (L->cls == 64 ? 56 : 32);

	*type = ocifs_get32(p, L->be);
	*off = L->cls == 64 ? ocifs_get64(p + 8, L->be) : ocifs_get32(p + 4, L->be);
	*fsz = L->cls == 64 ? ocifs_get64(p + 32, L->be) : ocifs_get32(p + 16, L->be);
}

/* Bytes between PT_LOAD k and the closest PT_LOAD after it in the file,
 * or EOF (find_LOAD_gap in UPX). */
static uint64_t upx_gap(const struct upx_ctx *c, uint64_t phoff, size_t phnum, size_t k)
{
	uint32_t t;
	uint64_t off, fsz, hi, lo = c->lay->orig_size;

	upx_phdr(c, phoff, k, &t, &off, &fsz);
	if (t != 1)
		return 0;
	hi = off + fsz;
	for (size_t j = 0; j < phnum; j++) {
		uint64_t o2, f2;

		if (j == k)
			continue;
		upx_phdr(c, phoff, j, &t, &o2, &f2);
		if (t == 1 && o2 >= hi && o2 < lo)
			lo = o2;
	}
	return lo > hi ? lo - hi : 0;
}

/* Find the first gap block (sz_unc == want0) or, with want0 0, the end
 * marker: right after the loader, else by a bounded scan. */
static int upx_find_after_loader(struct upx_ctx *c, uint64_t pos, uint64_t want0, uint64_t *at)
{
	const struct upx_layout *L = c->lay;
	uint64_t start = (pos + 3) & ~3ull, cand = start + L->lsize;
	size_t n = 0;
	unsigned char *w;
	int rc;

	if (start >= c->rd->size)
		goto fail;
	n = c->rd->size - start < UPX_SCAN_MAX ? (size_t)(c->rd->size - start) : UPX_SCAN_MAX;
	w = malloc(n);
	if (!w)
		return -ENOMEM;
	rc = ocifs_rd_full(c->rd, w, n, start);
	if (rc) {
		free(w);
		return rc == -EIO ? -EBADMSG : rc;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t q = pass ? 0 : cand - start; q + 12 <= n; q += 4) {
			uint32_t su = ocifs_get32(w + q, L->be), sc = ocifs_get32(w + q + 4, L->be);
			unsigned bm = w[q + 8];
			/* the candidate after the loader needs a plausible b_info;
			 * anywhere else a strict one (known method, or stored) */
			int strict = pass && (sc < su ? !(bm == UPX_M_LZMA || ocifs_upx_nrv_known(bm))
						      : ocifs_get32(w + q + 8, 0) != 0);
			int hit = want0 ? (su == want0 && sc && sc <= su && !strict &&
					   start + q + 12 + sc <= c->rd->size)
					: (su == 0 && ocifs_get32(w + q + 4, 0) == UPX_MAGIC);

			if (hit) {
				if (!c->u->version[0])
					upx_find_version(c->u, w, (size_t)q);
				*at = start + q;
				free(w);
				return 0;
			}
			if (!pass)
				break;
		}
	}
	free(w);
fail:
	return upx_why(c->u, "cannot find the %s after the loader",
		       want0 ? "blocks" : "end-of-blocks marker") ? -ENOMEM : -EBADMSG;
}

static int upx_unpack_layout(struct upx_ctx *c)
{
	const struct upx_layout *L = c->lay;
	uint64_t pos = L->overlay + 12, phoff, gap_total = 0, first_gap = 0;
	size_t ehsize = L->cls == 64 ? 64 : 52, phent = L->cls == 64 ? 56 : 32, phnum;
	uint32_t hdrlen = 0;
	unsigned char m[12];
	int rc, first = 1;

	/* the original Ehdr + Phdrs */
	rc = upx_block(c, &pos, 0, L->orig_size < UPX_HDR_BLOCK_MAX ? L->orig_size
								    : UPX_HDR_BLOCK_MAX, 0, &hdrlen);
	if (rc)
		return rc;
	phoff = L->cls == 64 ? ocifs_get64(c->out + 32, L->be) : ocifs_get32(c->out + 28, L->be);
	phnum = ocifs_get16(c->out + (L->cls == 64 ? 56 : 44), L->be);
	if (hdrlen < ehsize || memcmp(c->out, "\177ELF", 4) ||
	    c->out[4] != (L->cls == 64 ? 2 : 1) || c->out[5] != (L->be ? 2 : 1) ||
	    ocifs_get16(c->out + 18, L->be) != L->machine || phoff > hdrlen ||
	    ocifs_get16(c->out + (L->cls == 64 ? 54 : 42), L->be) != phent ||
	    phnum * phent > hdrlen - phoff)
		return upx_why(c->u, "the unpacked ELF header is corrupt") ? -ENOMEM : -EBADMSG;
	/* each PT_LOAD's bytes, the first one's after the headers */
	for (size_t k = 0; k < phnum; k++) {
		uint32_t t;
		uint64_t off, fsz;

		upx_phdr(c, phoff, k, &t, &off, &fsz);
		if (t != 1)
			continue;
		if (off > L->orig_size || fsz > L->orig_size - off)
			return upx_why(c->u, "PT_LOAD %zu beyond the original size", k) ? -ENOMEM
											 : -EBADMSG;
		if (first) {
			if (off != 0 || fsz < hdrlen)
				return upx_why(c->u, "first PT_LOAD does not hold the ELF header")
					       ? -ENOMEM : -EOPNOTSUPP;
			off = hdrlen;
			fsz -= hdrlen;
			first = 0;
		}
		rc = upx_extent(c, &pos, off, fsz);
		if (rc)
			return rc;
	}
	if (first)
		return upx_why(c->u, "no PT_LOAD in the unpacked ELF header") ? -ENOMEM : -EBADMSG;
	/* the gaps, compressed after the loader */
	for (size_t k = 0; k < phnum; k++) {
		uint64_t g = upx_gap(c, phoff, phnum, k);

		if (g && !gap_total)
			first_gap = g < L->blocksize ? g : L->blocksize;
		gap_total += g;
	}
	rc = upx_find_after_loader(c, pos, first_gap, &pos);
	if (rc)
		return rc;
	for (size_t k = 0; k < phnum; k++) {
		uint32_t t;
		uint64_t off, fsz, g = upx_gap(c, phoff, phnum, k);

		if (!g)
			continue;
		upx_phdr(c, phoff, k, &t, &off, &fsz);
		rc = upx_extent(c, &pos, off + fsz, g);
		if (rc)
			return rc;
	}
	rc = ocifs_rd_full(c->rd, m, sizeof(m), pos);
	if (rc && rc != -EIO)
		return rc;
	if (rc || ocifs_get32(m, L->be) != 0 || ocifs_get32(m + 4, 0) != UPX_MAGIC)
		return upx_why(c->u, "no end-of-blocks marker at %#llx", (unsigned long long)pos)
			       ? -ENOMEM : -EBADMSG;
	if (c->total != L->orig_size)
		return upx_why(c->u, "blocks hold %llu bytes, the original has %u",
			       (unsigned long long)c->total, L->orig_size) ? -ENOMEM : -EBADMSG;
	if (c->u_adler != L->u_adler || c->c_adler != L->c_adler)
		return upx_why(c->u, "checksum mismatch (adler32 %08x/%08x, PackHeader %08x/%08x)",
			       c->u_adler, c->c_adler, L->u_adler, L->c_adler) ? -ENOMEM
										: -EBADMSG;
	return 0;
}

int ocifs_upx_unpack(const struct ocifs_rd *rd, struct ocifs_upx *u, size_t max,
		     unsigned char **img, size_t *len)
{
	struct upx_layout lay;
	struct upx_ctx c;
	int rc;

	*img = NULL;
	*len = 0;
	rc = upx_scan(rd, &lay, u);
	if (rc)
		return rc;
	if (!u->packed)
		return upx_why(u, "not UPX-packed") ? -ENOMEM : -EINVAL;
	if (!lay.has_trailer)
		return -EBADMSG; /* error set by upx_scan */
	if (lay.be)
		rc = upx_why(u, "big-endian ELF not supported");
	else if (lay.version < 12)
		rc = upx_why(u, "UPX format version %u (8-byte b_info) not supported", lay.version);
	else if (lay.has_dynamic)
		rc = upx_why(u, "packed shared library not supported");
	else
		rc = 1;
	if (rc != 1)
		return rc ? -ENOMEM : -EOPNOTSUPP;
	if (!lay.has_pinfo || lay.orig_size != lay.u_file_size || lay.orig_size < rd->size ||
	    !lay.blocksize || lay.blocksize > lay.orig_size)
		return upx_why(u, "p_info corrupt (size %u, block size %u, PackHeader size %u)",
			       lay.orig_size, lay.blocksize, lay.u_file_size) ? -ENOMEM : -EBADMSG;
	if (lay.orig_size > max)
		return upx_why(u, "original size %u exceeds the limit of %zu bytes", lay.orig_size,
			       max) ? -ENOMEM : -EFBIG;
	memset(&c, 0, sizeof(c));
	c.rd = rd;
	c.u = u;
	c.lay = &lay;
	c.u_adler = c.c_adler = 1;
	c.out = calloc(lay.orig_size, 1);
	c.cbuf = malloc(lay.blocksize);
	if (!c.out || !c.cbuf) {
		rc = -ENOMEM;
		goto err;
	}
	rc = upx_unpack_layout(&c);
	if (rc)
		goto err;
	free(u->error);
	u->error = NULL;
	free(c.cbuf);
	*img = c.out;
	*len = lay.orig_size;
	return 0;
err:
	if (rc == -ENOMEM && !u->error)
		upx_why(u, "out of memory");
	free(c.out);
	free(c.cbuf);
	return rc;
}

void ocifs_upx_fini(struct ocifs_upx *u)
{
	free(u->error);
	memset(u, 0, sizeof(*u));
}
