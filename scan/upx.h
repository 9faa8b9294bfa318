/* SPDX-License-Identifier: MIT */
/*
 * UPX-packed ELF executables: detection (l_info after the program
 * headers, PackHeader trailer near EOF) and in-memory unpacking to the
 * original file bytes, as `upx -d` writes them: NRV2B/2D/2E (our own
 * bounds-checked decoders) and LZMA (liblzma's raw LZMA1 decoder with
 * UPX's 2-byte property header), x86 call/jump filters reversed, every
 * block and the adler32 checksums of the PackHeader verified. Packed
 * shared libraries, big-endian files and pre-2003 formats are detected
 * but not unpacked (error says why).
 */
#ifndef OCIFS_SCAN_UPX_H
#define OCIFS_SCAN_UPX_H
#include <stddef.h>
#include <stdint.h>

#include "rd.h"

struct ocifs_upx {
	int packed;              /* UPX structures found */
	char version[16];        /* UPX version that packed it, e.g. "4.02"; "" if unknown (from the "$Id: UPX x.yz" string of the stub) */
	unsigned format;         /* UPX format id (UPX_F_LINUX_ELF_amd64 = 22 ...) */
	unsigned method;         /* 2 NRV2B_LE32, 5 NRV2D_LE32, 8 NRV2E_LE32, 14 LZMA, ... */
	const char *method_name; /* "NRV2B", "NRV2D", "NRV2E", "LZMA", "unknown" (static) */
	uint64_t packed_size;    /* the packed file's size */
	uint64_t original_size;  /* p_info's original file size */
	char *error;             /* why it could not be unpacked, or NULL (the
				  * "reason" key of deps.json) */
	/* additions */
	unsigned header_version; /* PackHeader/l_info format version byte (13: UPX 3.x, 14: 4.x+) */
	unsigned level;          /* compression level (1..10) from the PackHeader */
	unsigned filter;         /* PackHeader filter id (0: none; 0x46/0x49 x86) */
	uint64_t blocksize;      /* p_info block size */
	int has_trailer;         /* the PackHeader + overlay offset near EOF was found */
};

/** Detect UPX in the ELF file behind rd and fill *out (which need not be
 *  initialised). Reads only the headers and the last few KiB.
 *  Returns 0 (out->packed tells; out->error may already say why an
 *  unpack cannot work, e.g. no trailer), -ENOMEM, or the reader's error.
 *  A non-ELF or short file is simply not packed. Never logs more than
 *  one line. Call ocifs_upx_fini() whatever the result. Thread-safe. */
int ocifs_upx_detect(const struct ocifs_rd *rd, struct ocifs_upx *out);

/** Unpack into a malloc'd buffer holding the original ELF file (max: cap
 *  on its size). u must come from ocifs_upx_detect() on the same rd (it
 *  is detected again if u->packed is 0). On success *img (caller frees)
 *  and *len are set and u->version is filled from the stub if it was
 *  unknown. Returns 0, -EOPNOTSUPP (method, filter or layout not
 *  supported), -EBADMSG (corrupt: bad block, bad checksum, truncated),
 *  -EFBIG (original larger than max), -ENOMEM, or the reader's error;
 *  u->error is set on every failure (replacing an earlier one). Never
 *  logs more than one line. Thread-safe (no shared state). */
int ocifs_upx_unpack(const struct ocifs_rd *rd, struct ocifs_upx *u, size_t max,
		     unsigned char **img, size_t *len);

/** "NRV2B", "NRV2D", "NRV2E", "LZMA", "unknown" for a UPX method id. */
const char *ocifs_upx_method_name(unsigned method);

/** Free what u owns (error) and zero it. Safe on a zeroed struct. */
void ocifs_upx_fini(struct ocifs_upx *u);

#endif
