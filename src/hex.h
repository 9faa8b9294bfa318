/* SPDX-License-Identifier: MIT */
/*
 * Hex digits, both ways: the one copy for digests (src/sha.c), PAX
 * percent-escapes (src/pax.c), Go string escapes (scan/gomodinfo.c) and
 * ELF build ids (scan/elfinfo.c).
 */
#ifndef OCIFS_HEX_H
#define OCIFS_HEX_H
#include <stddef.h>

/** Write n bytes as 2n lowercase hex digits at dst (no NUL added). */
static inline void ocifs_hex_encode(char *dst, const unsigned char *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 15];
	}
}

/** The value of hex digit c (either case), or -1. */
static inline int ocifs_hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/** The value of lowercase hex digit c, or -1 (digests are lowercase). */
static inline int ocifs_hex_val_lower(int c)
{
	return c >= 'A' && c <= 'F' ? -1 : ocifs_hex_val(c);
}

#endif
