/* SPDX-License-Identifier: MIT */
/*
 * sha256 (sha_ni.c on a CPU with the SHA extensions, else OpenSSL's EVP
 * interface), plus digest-string helpers. "sha256:<64 hex>" is the only
 * algorithm accepted.
 */
#ifndef OCIFS_SRC_SHA_H
#define OCIFS_SRC_SHA_H
#include <stddef.h>
#include <stdint.h>

#define OCIFS_SHA256_LEN 32
#define OCIFS_DIGEST_STRLEN 71 /* "sha256:" + 64 hex */

struct ocifs_sha;

int ocifs_sha_new(struct ocifs_sha **out);
void ocifs_sha_update(struct ocifs_sha *h, const void *p, size_t n);
/** Finish into out[32]; the context is reset and can be reused. */
void ocifs_sha_final(struct ocifs_sha *h, unsigned char out[OCIFS_SHA256_LEN]);
void ocifs_sha_free(struct ocifs_sha *h);
/** A context that ocifs_sha_update2 can pair with another: on a CPU with
 *  the SHA extensions it is hashed by sha_ni.c (the same digests);
 *  elsewhere the same as ocifs_sha_new. Used with the calls above. */
int ocifs_sha_new_pairable(struct ocifs_sha **out);
/** 1 when pairable contexts really pair (this CPU has the extensions,
 *  and OCIFS_SHA_NI is not "0" in the environment). */
int ocifs_sha_pairs(void);
/** a and b both take p[0..n), as ocifs_sha_update(a) then (b) would. When
 *  both are pairable and at the same offset within a 64-byte block (two
 *  streams that took the same bytes since a block boundary: the diff_id
 *  and a file's hash, the file's data starting on a 512-byte boundary of
 *  the tar), one pass over the bytes computes both: about 1.6x the speed
 *  of two updates. Not thread-safe: a and b belong to the caller's thread. */
void ocifs_sha_update2(struct ocifs_sha *a, struct ocifs_sha *b, const void *p, size_t n);
/** ocifs_sha_update2(a, b, p, n), and c -- a third stream, e.g. the
 *  compressed blob's -- takes the first bytes of cq[0..cn) in the same
 *  pass: as many whole blocks as the pair hashes whole blocks of p, when
 *  all three are pairable and c is at a block boundary (else none).
 *  Returns the bytes of cq that c took (a multiple of 64); the caller
 *  gives c the rest later. About half the cost of hashing them alone. */
size_t ocifs_sha_update2_ride(struct ocifs_sha *a, struct ocifs_sha *b, const void *p, size_t n,
			      struct ocifs_sha *c, const void *cq, size_t cn);

struct ocifs_src;
/** sha256 of a whole source as "sha256:hex"; progress (may be NULL) is
 *  called every 16 MiB. 0 or -errno (logged, naming the source). */
int ocifs_sha256_src(struct ocifs_src *s, void (*progress)(void *ctx, uint64_t done),
		     void *ctx, char out[OCIFS_DIGEST_STRLEN + 1]);
/** One-shot helper. */
int ocifs_sha256(const void *p, size_t n, unsigned char out[OCIFS_SHA256_LEN]);
/** "sha256:hex" into buf[OCIFS_DIGEST_STRLEN + 1]. */
void ocifs_digest_format(const unsigned char d[OCIFS_SHA256_LEN], char *buf);
/** Parse "sha256:hex" (64 lowercase hex); -EINVAL if malformed or another
 *  algorithm. Safe to use the hex part as a file name afterwards. */
int ocifs_digest_parse(const char *s, unsigned char out[OCIFS_SHA256_LEN]);
/** Check a digest string without decoding it. */
int ocifs_digest_valid(const char *s);

#endif
