/* SPDX-License-Identifier: MIT */
/*
 * The tar header checksum test (src/tar.c's tar_cksum_ok, through
 * ocifs_tar_looks_like): random 512-byte blocks with the checksum field set
 * to the unsigned byte sum, the signed one (old BSD/Solaris writers), a
 * sum off by a little, or garbage, judged against a byte-by-byte reference
 * of the rule; plus the extremes (every byte 0xff, every byte 0x80, a
 * field of NULs).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "tar.h"

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* the sums with the field counted as spaces */
static void sums(const unsigned char *h, long *us, long *ss)
{
	*us = *ss = 0;
	for (size_t i = 0; i < 512; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		*us += c;
		*ss += (signed char)c;
	}
}

/* the rule, spelled out: an octal field (spaces and NULs around it)
 * equal to either sum; an all-zero block is an end marker */
static int reference(const unsigned char *h)
{
	long us, ss, want = 0;
	size_t i = 148, digits = 0;
	int zero = 1;

	for (size_t k = 0; k < 512; k++)
		zero &= !h[k];
	if (zero)
		return 1;
	for (size_t k = 148; k < 156; k++)
		if (h[k] != ' ' && h[k] && (h[k] < '0' || h[k] > '7'))
			return 0;
	while (i < 156 && h[i] == ' ')
		i++;
	while (i < 156 && h[i] >= '0' && h[i] <= '7') {
		want = want * 8 + (h[i] - '0');
		i++;
		digits++;
	}
	while (i < 156 && (h[i] == ' ' || !h[i]))
		i++;
	if (i != 156 || !digits)
		return -1; /* not a plain field: the reader's number parser decides */
	sums(h, &us, &ss);
	return want == us || want == ss;
}

static void set_field(unsigned char *h, long v)
{
	char f[16];

	snprintf(f, sizeof(f), "%06lo", v & 0777777);
	memcpy(h + 148, f, 6);
	h[154] = 0;
	h[155] = ' ';
}

int main(void)
{
	unsigned char h[512];
	long us, ss;
	int bad = 0, checked = 0, high = 0, signed_only = 0;

	for (int n = 0; n < 20000; n++) {
		int mode = (int)(rng() % 4), dense = (int)(rng() % 3);

		for (size_t i = 0; i < 512; i++) {
			uint64_t r = rng();
			/* text-like headers, binary ones, and mostly-zero ones */
			h[i] = dense == 0 ? (unsigned char)(' ' + r % 95) :
			       dense == 1 ? (unsigned char)r : (r % 8 ? 0 : (unsigned char)r);
		}
		sums(h, &us, &ss);
		high += us != ss;
		switch (mode) {
		case 0: set_field(h, us); break;
		case 1: set_field(h, ss); signed_only += us != ss; break;
		case 2: set_field(h, us + 1 + (long)(rng() % 3)); break;
		default: memcpy(h + 148, "12x4567 ", 8); break;
		}
		int want = reference(h);
		if (want < 0)
			continue;
		checked++;
		if (ocifs_tar_looks_like(h, 512) != want) {
			if (bad++ < 5)
				diag("block %d (mode %d): got %d, want %d", n, mode,
				     ocifs_tar_looks_like(h, 512), want);
		}
	}
	ok(bad == 0, "%d random headers judged as the byte-by-byte rule (%d wrong)", checked, bad);
	ok(high > 1000 && signed_only > 1000, "the signed sum was exercised (%d, %d)", high,
	   signed_only);

	memset(h, 0xff, 512);
	sums(h, &us, &ss);
	set_field(h, us);
	ok(ocifs_tar_looks_like(h, 512) == 1, "all 0xff, unsigned sum");
	set_field(h, ss); /* negative: no octal field can hold it */
	ok(ocifs_tar_looks_like(h, 512) == 0 && reference(h) == 0, "all 0xff, signed sum");
	memset(h, 0x80, 512);
	sums(h, &us, &ss);
	set_field(h, us);
	ok(ocifs_tar_looks_like(h, 512) == 1, "all 0x80, unsigned sum");
	set_field(h, us - 1);
	ok(ocifs_tar_looks_like(h, 512) == 0, "all 0x80, unsigned sum - 1");
	memset(h, 0, 512);
	ok(ocifs_tar_looks_like(h, 512) == 1, "a zero block is an end marker");
	h[0] = 'a';
	ok(ocifs_tar_looks_like(h, 512) == 0, "a field of NULs is no checksum");
	ok(ocifs_tar_looks_like(h, 100) == 0, "a short block is no header");
	return done_testing();
}
