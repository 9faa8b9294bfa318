/* SPDX-License-Identifier: MIT */
/*
 * sha256 block functions on the x86 SHA extensions, for sha.c's pairable
 * contexts: one state over n 64-byte blocks, or two states over the same
 * blocks at once (the diff_id and a file's hash during indexing).
 */
#ifndef OCIFS_SRC_SHA_NI_H
#define OCIFS_SRC_SHA_NI_H
#include <stddef.h>
#include <stdint.h>

/** 1 when this CPU has the SHA extensions (and SSSE3/SSE4.1) and the
 *  functions below may be called; 0 elsewhere (other architectures too). */
int ocifs_sha_ni_available(void);
/** Compress n blocks of p into state s (8 words, FIPS 180-4 order). */
void ocifs_sha_ni_blocks(uint32_t s[8], const unsigned char *p, size_t n);
/** The same for two states over the same blocks: the message schedule is
 *  computed once and the two states' rounds interleave. */
void ocifs_sha_ni_blocks2(uint32_t a[8], uint32_t b[8], const unsigned char *p, size_t n);

/** Two states over the blocks of p as blocks2, and a third over as many
 *  blocks of q (another stream, e.g. the compressed blob) in the same
 *  loop: its rounds fill what is left of the idle cycles, so it costs
 *  about half of a pass of its own (measured on the bench machine: 3.4
 *  GB/s of state updates against 3.1 for blocks2 and 2.0 for blocks). */
void ocifs_sha_ni_blocks3(uint32_t a[8], uint32_t b[8], const unsigned char *p, uint32_t c[8],
			  const unsigned char *q, size_t n);
#endif
