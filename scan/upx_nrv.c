/* SPDX-License-Identifier: MIT */
/*
 * The UCL/NRV decoders UPX uses (NRV2B, NRV2D, NRV2E, each with 8-,
 * LE16- and LE32-bit bit buffers), written from the format: a stream of
 * MSB-first flag bits interleaved with literal bytes. A 1 bit is a
 * literal; a 0 bit starts a match whose offset high part is an Elias
 * gamma-like code (value 2 = "reuse the last offset"), followed by an
 * offset low byte and a length code. Offset high part 0xffffff with low
 * byte 0xff ends the stream. NRV2D/2E fold one length bit into the
 * offset's lowest bit; 2E has a three-way short length code.
 *
 * Input is hostile: every read of the bit buffer and of literal/offset
 * bytes, every output write and every back-reference is checked; the
 * gamma codes are capped so a stream of zeros cannot spin. The result
 * must be exactly the expected length.
 *
 * Also here: reversing UPX's x86 "cto" call/jump filters, and adler32
 * (UPX's checksums), so scan/ needs no zlib.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "upx_priv.h"

/* No valid stream has a gamma-coded offset high part above the end
 * marker's 0xffffff + 3, nor a length above the output size. */
#define NRV_MOFF_MAX 0x1000002u

struct nrv_bits {
	const unsigned char *src;
	size_t slen, ilen;
	uint32_t bb;            /* current bit buffer */
	unsigned bc;            /* bits left in bb */
	unsigned width;         /* 8, 16 or 32 */
	int err;                /* input overrun */
};

static inline unsigned nrv_getbit(struct nrv_bits *r)
{
	if (!r->bc) {
		size_t n = r->width / 8;

		if (r->slen - r->ilen < n) {
			r->err = 1;
			return 0;
		}
		const unsigned char *p = r->src + r->ilen;
		if (n == 1)
			r->bb = p[0];
		else if (n == 2)
			r->bb = ocifs_le16(p);
		else
			r->bb = ocifs_le32(p);
		r->ilen += n;
		r->bc = r->width;
	}
	r->bc--;
	return (r->bb >> r->bc) & 1;
}

static inline int nrv_byte(struct nrv_bits *r, unsigned *b)
{
	if (r->ilen >= r->slen)
		return -EBADMSG;
	*b = r->src[r->ilen++];
	return 0;
}

/* Elias-gamma-style length: v = 1; do v = 2v + bit while !bit. */
static int nrv_gamma(struct nrv_bits *r, size_t *v, size_t cap)
{
	size_t x = *v;

	do {
		x = x * 2 + nrv_getbit(r);
		if (r->err || x > cap)
			return -EBADMSG;
	} while (!nrv_getbit(r));
	if (r->err)
		return -EBADMSG;
	*v = x;
	return 0;
}

int ocifs_upx_nrv_known(unsigned method)
{
	return method >= UPX_M_NRV2B_LE32 && method <= UPX_M_NRV2E_LE16;
}

int ocifs_upx_nrv_decode(unsigned method, const unsigned char *src, size_t slen, unsigned char *dst,
			 size_t dlen)
{
	static const unsigned widths[3] = { 32, 8, 16 }; /* LE32, _8, LE16 */
	struct nrv_bits r = { src, slen, 0, 0, 0, 0, 0 };
	unsigned kind;          /* 0 NRV2B, 1 NRV2D, 2 NRV2E */
	size_t olen = 0, last_off = 1;
	size_t len_cap = dlen + 8;

	if (!ocifs_upx_nrv_known(method))
		return -EOPNOTSUPP;
	kind = (method - UPX_M_NRV2B_LE32) / 3;
	r.width = widths[(method - UPX_M_NRV2B_LE32) % 3];

	for (;;) {
		size_t moff = 1, mlen = 0, total;
		unsigned b;

		while (nrv_getbit(&r)) {
			if (nrv_byte(&r, &b) || olen >= dlen)
				return -EBADMSG;
			dst[olen++] = (unsigned char)b;
		}
		if (r.err)
			return -EBADMSG;
		/* offset high part */
		if (kind == 0) {
			if (nrv_gamma(&r, &moff, NRV_MOFF_MAX))
				return -EBADMSG;
		} else {
			for (;;) {
				moff = moff * 2 + nrv_getbit(&r);
				if (nrv_getbit(&r))
					break;
				moff = (moff - 1) * 2 + nrv_getbit(&r);
				if (r.err || moff > NRV_MOFF_MAX)
					return -EBADMSG;
			}
			if (r.err || moff > NRV_MOFF_MAX)
				return -EBADMSG;
		}
		if (moff == 2) {
			moff = last_off;
			if (kind != 0)
				mlen = nrv_getbit(&r);
		} else {
			if (nrv_byte(&r, &b))
				return -EBADMSG;
			if (moff - 3 == 0xffffffu && b == 0xff)
				break;  /* end of stream */
			moff = (moff - 3) * 256 + b;
			if (kind != 0) {
				mlen = (~moff) & 1;
				moff >>= 1;
			}
			last_off = ++moff;
		}
		/* length */
		if (kind != 2) {
			/* NRV2B: two length bits; NRV2D: the offset gave the first */
			if (kind == 0)
				mlen = nrv_getbit(&r);
			mlen = mlen * 2 + nrv_getbit(&r);
			if (!mlen) {
				mlen = 1;
				if (nrv_gamma(&r, &mlen, len_cap))
					return -EBADMSG;
				mlen += 2;
			}
			mlen += moff > (kind == 0 ? 0xd00u : 0x500u);
		} else {
			if (mlen) {
				mlen = 1 + nrv_getbit(&r);
			} else if (nrv_getbit(&r)) {
				mlen = 3 + nrv_getbit(&r);
			} else {
				mlen = 1;
				if (nrv_gamma(&r, &mlen, len_cap))
					return -EBADMSG;
				mlen += 3;
			}
			mlen += moff > 0x500;
		}
		if (r.err)
			return -EBADMSG;
		/* copy mlen + 1 bytes from moff back (may overlap) */
		total = mlen + 1;
		if (moff > olen || total > dlen - olen)
			return -EBADMSG;
		{
			unsigned char *d = dst + olen;
			const unsigned char *s = d - moff;

			if (moff >= total)
				memcpy(d, s, total);
			else
				for (size_t i = 0; i < total; i++)
					d[i] = s[i];
		}
		olen += total;
	}
	return olen == dlen ? 0 : -EBADMSG;
}

/* ---- filters ---- */

int ocifs_upx_filter_known(unsigned ftid)
{
	switch (ftid) {
	case 0x24: case 0x25: case 0x26: case 0x36: case 0x46: case 0x49:
		return 1;
	default:
		return 0;
	}
}

/*
 * The cto filters replaced the rel32 of a CALL (E8) / JMP (E9) / Jcc
 * (0F 80..8F, filter 0x49 only) whose target lies in the block by the
 * big-endian absolute target with cto8 in the top byte. Undo: where the
 * opcode matches and the next byte is cto8, rel32 = be32 - pos - 1 -
 * (cto8 << 24), and skip the operand. A Jcc right after a rewritten
 * operand is not one (its 0F would be operand bytes): lastcall.
 */
int ocifs_upx_unfilter(unsigned char *b, size_t len, unsigned ftid, unsigned cto8)
{
	int e8 = ftid != 0x25, e9 = ftid != 0x24, jcc = ftid == 0x49;
	uint32_t cto = (uint32_t)(cto8 & 0xff) << 24;
	size_t lastcall = 0;

	if (!ocifs_upx_filter_known(ftid))
		return -EOPNOTSUPP;
	if (len < 5)
		return 0;
	for (size_t ic = 0; ic < len - 5; ic++) {
		unsigned c = b[ic];
		int hit = (e8 && c == 0xe8) || (e9 && c == 0xe9) ||
			  (jcc && ic != lastcall && ic > 0 && b[ic - 1] == 0x0f && c >= 0x80 &&
			   c <= 0x8f);

		if (!hit || b[ic + 1] != (cto8 & 0xff))
			continue;
		uint32_t jc = ocifs_be32(b + ic + 1);
		uint32_t v = jc - (uint32_t)ic - 1 - cto;

		b[ic + 1] = (unsigned char)v;
		b[ic + 2] = (unsigned char)(v >> 8);
		b[ic + 3] = (unsigned char)(v >> 16);
		b[ic + 4] = (unsigned char)(v >> 24);
		ic += 4;
		lastcall = ic + 1;
	}
	return 0;
}

uint32_t ocifs_upx_adler32(uint32_t a, const unsigned char *p, size_t n)
{
	uint32_t s1 = a & 0xffff, s2 = a >> 16;

	while (n) {
		size_t k = n < 5552 ? n : 5552; /* largest n without overflow */

		n -= k;
		while (k--) {
			s1 += *p++;
			s2 += s1;
		}
		s1 %= 65521;
		s2 %= 65521;
	}
	return s2 << 16 | s1;
}
