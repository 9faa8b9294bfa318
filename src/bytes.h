/* SPDX-License-Identifier: MIT */
/*
 * Unaligned integers in a stated byte order, read from bytes of a file:
 * the one copy for zstd frames (src/zstdidx.c), ld.so.cache
 * (scan/ldcache.c), UPX (scan/upx.c), Go build info (scan/goinfo.c) and
 * ELF (scan/elfinfo.c, scan/rustaudit.c).
 */
#ifndef OCIFS_BYTES_H
#define OCIFS_BYTES_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t ocifs_le16(const void *p)
{
	const unsigned char *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t ocifs_le32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t ocifs_le64(const void *p)
{
	const unsigned char *b = p;

	return ocifs_le32(b) | (uint64_t)ocifs_le32(b + 4) << 32;
}

static inline uint16_t ocifs_be16(const void *p)
{
	const unsigned char *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t ocifs_be32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static inline uint64_t ocifs_be64(const void *p)
{
	const unsigned char *b = p;

	return (uint64_t)ocifs_be32(b) << 32 | ocifs_be32(b + 4);
}

/** 16, 32 or 64 bits in big- (be) or little-endian order. */
static inline uint16_t ocifs_get16(const void *p, int be)
{
	return be ? ocifs_be16(p) : ocifs_le16(p);
}

static inline uint32_t ocifs_get32(const void *p, int be)
{
	return be ? ocifs_be32(p) : ocifs_le32(p);
}

static inline uint64_t ocifs_get64(const void *p, int be)
{
	return be ? ocifs_be64(p) : ocifs_le64(p);
}

/** 32 bits in this host's byte order (ld.so.cache is written so). */
static inline uint32_t ocifs_host32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/** An unsigned integer of n bytes (1..8) in big- (be) or little-endian
 *  order. */
static inline uint64_t ocifs_uint(const void *p, size_t n, int be)
{
	const unsigned char *b = p;
	uint64_t v = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		v = v << 8 | b[be ? i : n - 1 - i];
	return v;
}

#endif
