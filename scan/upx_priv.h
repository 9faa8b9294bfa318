/* SPDX-License-Identifier: MIT */
/*
 * Shared between scan/upx.c (structures, layout, LZMA through liblzma)
 * and scan/upx_nrv.c (the NRV2B/2D/2E decoders, UPX's x86 call/jump
 * filters, adler32). Not a public header.
 */
#ifndef OCIFS_SCAN_UPX_PRIV_H
#define OCIFS_SCAN_UPX_PRIV_H
#include <stddef.h>
#include <stdint.h>

/* UPX compression method ids (b_info.b_method, PackHeader method). */
enum {
	UPX_M_NRV2B_LE32 = 2, UPX_M_NRV2B_8 = 3, UPX_M_NRV2B_LE16 = 4,
	UPX_M_NRV2D_LE32 = 5, UPX_M_NRV2D_8 = 6, UPX_M_NRV2D_LE16 = 7,
	UPX_M_NRV2E_LE32 = 8, UPX_M_NRV2E_8 = 9, UPX_M_NRV2E_LE16 = 10,
	UPX_M_LZMA = 14,
};

/** 1 if method is one of the nine NRV2B/2D/2E variants. */
int ocifs_upx_nrv_known(unsigned method);

/** Decode one NRV block of method into exactly dlen bytes at dst from
 *  slen bytes at src. Every input read and output write (and every
 *  back-reference) is bounds-checked. 0, -EBADMSG (corrupt, truncated,
 *  or not exactly dlen bytes), -EOPNOTSUPP (not an NRV method).
 *  Thread-safe (no state). */
int ocifs_upx_nrv_decode(unsigned method, const unsigned char *src, size_t slen, unsigned char *dst,
			 size_t dlen);

/** 1 if the x86 call/jump filter ftid can be reversed by ocifs_upx_unfilter. */
int ocifs_upx_filter_known(unsigned ftid);

/** Reverse filter ftid (0x24..0x26, 0x36, 0x46, 0x49: UPX's "cto" call
 *  trick on E8/E9 and, for 0x49, 0F 8x Jcc; b_cto8 is cto8) in place
 *  on a decoded block. 0, or -EOPNOTSUPP for another filter. */
int ocifs_upx_unfilter(unsigned char *buf, size_t len, unsigned ftid, unsigned cto8);

/** zlib-compatible adler32, continued from a (1 to start). */
uint32_t ocifs_upx_adler32(uint32_t a, const unsigned char *p, size_t n);

#endif
