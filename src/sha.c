/* SPDX-License-Identifier: MIT */
/*
 * sha256 via OpenSSL EVP (uses SHA-NI/AVX2 where the CPU has them: this is
 * on the cold path of every byte of every layer) and digest strings.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "log.h"
#include "sha.h"
#include "src.h"

struct ocifs_sha {
	EVP_MD_CTX *ctx;
};

int ocifs_sha_new(struct ocifs_sha **out)
{
	struct ocifs_sha *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void ocifs_sha_update(struct ocifs_sha *h, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(h->ctx, p, n);
}

void ocifs_sha_final(struct ocifs_sha *h, unsigned char out[OCIFS_SHA256_LEN])
{
	unsigned int len = OCIFS_SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &len);
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void ocifs_sha_free(struct ocifs_sha *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int ocifs_sha256(const void *p, size_t n, unsigned char out[OCIFS_SHA256_LEN])
{
	unsigned int len = OCIFS_SHA256_LEN;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) ? 0 : -ENOMEM;
}

void ocifs_digest_format(const unsigned char d[OCIFS_SHA256_LEN], char *buf)
{
	memcpy(buf, "sha256:", 7);
	ocifs_hex_encode(buf + 7, d, OCIFS_SHA256_LEN);
	buf[OCIFS_DIGEST_STRLEN] = '\0';
}

int ocifs_digest_parse(const char *s, unsigned char out[OCIFS_SHA256_LEN])
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != OCIFS_DIGEST_STRLEN)
		return -EINVAL;
	for (int i = 0; i < OCIFS_SHA256_LEN; i++) {
		int hi = ocifs_hex_val_lower(s[7 + 2 * i]), lo = ocifs_hex_val_lower(s[8 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int ocifs_digest_valid(const char *s)
{
	unsigned char d[OCIFS_SHA256_LEN];

	return ocifs_digest_parse(s, d) == 0;
}

int ocifs_sha256_src(struct ocifs_src *s, void (*progress)(void *ctx, uint64_t done),
		     void *ctx, char out[OCIFS_DIGEST_STRLEN + 1])
{
	struct ocifs_sha *h;
	unsigned char *buf, d[OCIFS_SHA256_LEN];
	uint64_t off = 0;
	size_t got;
	int rc = ocifs_sha_new(&h);

	if (rc)
		return rc;
	buf = malloc(1 << 20);
	if (!buf) {
		ocifs_sha_free(h);
		return -ENOMEM;
	}
	do {
		rc = ocifs_src_pread(s, buf, 1 << 20, off, &got);
		if (rc)
			break;
		ocifs_sha_update(h, buf, got);
		off += got;
		if (progress && (off & ((16u << 20) - 1)) == 0)
			progress(ctx, off);
	} while (got);
	if (!rc) {
		ocifs_sha_final(h, d);
		ocifs_digest_format(d, out);
	} else {
		log_err("%s: %s", s->name, strerror(-rc));
	}
	free(buf);
	ocifs_sha_free(h);
	return rc;
}
