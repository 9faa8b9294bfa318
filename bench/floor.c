/* SPDX-License-Identifier: MIT */
/*
 * floor NCPUS BLOB...: the CPU a cold `ocifs index` of these layer blobs
 * cannot avoid, measured on this machine with the libraries ocifs uses,
 * and the wall time that leaves on NCPUS cores. DESIGN §3/§4 make the
 * index pass, for every layer:
 *   - decompress the blob (libzstd / zlib, streaming, as ocifs does),
 *   - sha256 the compressed bytes (the blob digest),
 *   - sha256 the uncompressed stream (the diff_id),
 *   - sha256 every regular file, i.e. nearly the whole stream once more.
 * Each part is timed by this thread's CPU clock, best of 3; the blob is
 * read into memory first and the uncompressed bytes are hashed as they
 * are decoded (cache-hot), so every number is on the low side: a floor.
 * The two hashes of the uncompressed bytes are timed both as two EVP
 * updates and as one paired pass (ocifs_sha_update2, sha.h: what the
 * index does where the CPU has the SHA extensions), and all three hashes
 * as one pass with the compressed bytes riding along the pair
 * (ocifs_sha_update2_ride: what the index does since session 10, the
 * blob's blocks in the SHA unit's idle cycles); the cheapest counts.
 *
 * Prints key=value lines: decode_s, sha_c_s, sha_u_s (one EVP pass over
 * the uncompressed bytes), sha_u2_s (both hashes in one paired pass),
 * sha_3_s (the three in one pass, the blob riding), usize,
 * hash_s = min(sha_c + min(2 sha_u, sha_u2), sha_3), cpu_s = decode +
 * hash_s, chain_s = the longest part that cannot be split (one layer's
 * decode or one of its hash streams), floor_s = max(cpu_s / NCPUS,
 * chain_s). Not counted, so the floor stays a floor: reading the blob,
 * the tar headers, the SQLite rows and the file written (about 0.04 s of
 * CPU for the 369 MB Debian layer, bench/RESULTS.md "Session 10"), and
 * process start-up. Written for the benchmark only; not installed.
 * Links libocifs.a for sha.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "sha.h"

#define OUT (256u << 10) /* the index pass's chunk */
#define TRIALS 3

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "floor: %s: %s\n", what, why);
	exit(1);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	size_t cap = 0, n;

	if (!f)
		die(path, strerror(errno));
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : (1u << 24);
			if (!(b = realloc(b, cap)))
				die(path, "out of memory");
		}
		n = fread(b + *len, 1, cap - *len, f);
		if (!n)
			break;
		*len += n;
	}
	if (ferror(f))
		die(path, "read error");
	fclose(f);
	return b;
}

/* Decode blob; for every chunk of output call sink (NULL: nothing). */
typedef void (*sink_fn)(void *ctx, const unsigned char *p, size_t n);

static uint64_t decode(const char *name, const unsigned char *b, size_t len, unsigned char *out,
		       sink_fn sink, void *ctx)
{
	uint64_t total = 0;

	if (len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
		ZSTD_DCtx *d = ZSTD_createDCtx();
		ZSTD_inBuffer ib = { b, len, 0 };

		if (!d)
			die(name, "ZSTD_createDCtx");
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { out, OUT, 0 };
			size_t r = ZSTD_decompressStream(d, &ob, &ib);
			if (ZSTD_isError(r))
				die(name, ZSTD_getErrorName(r));
			if (sink)
				sink(ctx, out, ob.pos);
			total += ob.pos;
			if (!ob.pos && !r)
				break;
		}
		for (;;) { /* flush what the last call kept */
			ZSTD_outBuffer ob = { out, OUT, 0 };
			ZSTD_inBuffer none = { NULL, 0, 0 };
			size_t r = ZSTD_decompressStream(d, &ob, &none);
			if (ZSTD_isError(r))
				die(name, ZSTD_getErrorName(r));
			if (sink)
				sink(ctx, out, ob.pos);
			total += ob.pos;
			if (!ob.pos)
				break;
		}
		ZSTD_freeDCtx(d);
	} else if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		z_stream z;
		int rc = Z_OK;

		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, 15 + 16) != Z_OK)
			die(name, "inflateInit2");
		z.next_in = (unsigned char *)b;
		z.avail_in = (uInt)len;
		while (rc != Z_STREAM_END || z.avail_in) {
			if (rc == Z_STREAM_END) /* another member */
				inflateReset(&z);
			z.next_out = out;
			z.avail_out = OUT;
			rc = inflate(&z, Z_NO_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END)
				die(name, "inflate failed");
			if (sink)
				sink(ctx, out, OUT - z.avail_out);
			total += OUT - z.avail_out;
		}
		inflateEnd(&z);
	} else { /* uncompressed */
		for (size_t off = 0; off < len; off += OUT) {
			size_t k = len - off < OUT ? len - off : OUT;
			memcpy(out, b + off, k);
			if (sink)
				sink(ctx, out, k);
			total += k;
		}
	}
	return total;
}

struct hashed {
	EVP_MD_CTX *md;
	double cpu;
};

static void hash_sink(void *ctx, const unsigned char *p, size_t n)
{
	struct hashed *h = ctx;
	double t0 = now();

	EVP_DigestUpdate(h->md, p, n);
	h->cpu += now() - t0;
}

struct paired {
	struct ocifs_sha *a, *b;
	double cpu;
};

static void pair_sink(void *ctx, const unsigned char *p, size_t n)
{
	struct paired *h = ctx;
	double t0 = now();

	ocifs_sha_update2(h->a, h->b, p, n);
	h->cpu += now() - t0;
}

/* the pair, and the blob's bytes riding along (rest: alone, at the end) */
struct triple {
	struct ocifs_sha *a, *b, *c;
	const unsigned char *blob;
	size_t len, at;
	double cpu;
};

static void triple_sink(void *ctx, const unsigned char *p, size_t n)
{
	struct triple *h = ctx;
	double t0 = now();

	h->at += ocifs_sha_update2_ride(h->a, h->b, p, n, h->c, h->blob + h->at, h->len - h->at);
	h->cpu += now() - t0;
}

int main(int argc, char **argv)
{
	double dec = 0, shc = 0, shu = 0, shu2 = 0, sh3 = 0, chain = 0;
	struct paired pr = { NULL, NULL, 0 };
	struct triple tr = { 0 };
	uint64_t usize = 0;
	unsigned char *out = malloc(OUT), dg[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	long ncpu;

	if (argc < 3 || (ncpu = strtol(argv[1], NULL, 10)) < 1) {
		fprintf(stderr, "usage: floor NCPUS BLOB...\n");
		return 2;
	}
	if (!out || !md || ocifs_sha_new_pairable(&pr.a) || ocifs_sha_new_pairable(&pr.b) ||
	    ocifs_sha_new_pairable(&tr.a) || ocifs_sha_new_pairable(&tr.b) ||
	    ocifs_sha_new_pairable(&tr.c))
		die("floor", "out of memory");
	for (int i = 2; i < argc; i++) {
		size_t len;
		unsigned char *b = slurp(argv[i], &len);
		double bd = 1e9, bc = 1e9, bu = 1e9, bu2 = 1e9, b3 = 1e9;
		uint64_t u = 0;

		for (int t = 0; t < TRIALS; t++) {
			struct hashed h = { md, 0 };
			double t0 = now();

			u = decode(argv[i], b, len, out, NULL, NULL);
			if (now() - t0 < bd)
				bd = now() - t0;
			t0 = now();
			EVP_DigestInit_ex(md, EVP_sha256(), NULL);
			for (size_t off = 0; off < len; off += 1u << 20)
				EVP_DigestUpdate(md, b + off, len - off < (1u << 20) ? len - off : (1u << 20));
			EVP_DigestFinal_ex(md, dg, NULL);
			if (now() - t0 < bc)
				bc = now() - t0;
			EVP_DigestInit_ex(md, EVP_sha256(), NULL);
			decode(argv[i], b, len, out, hash_sink, &h);
			EVP_DigestFinal_ex(md, dg, NULL);
			if (h.cpu < bu)
				bu = h.cpu;
			pr.cpu = 0;
			decode(argv[i], b, len, out, pair_sink, &pr);
			ocifs_sha_final(pr.a, dg);
			ocifs_sha_final(pr.b, dg);
			if (pr.cpu < bu2)
				bu2 = pr.cpu;
			tr.blob = b;
			tr.len = len;
			tr.at = 0;
			tr.cpu = 0;
			decode(argv[i], b, len, out, triple_sink, &tr);
			t0 = now();
			ocifs_sha_update(tr.c, b + tr.at, len - tr.at);
			tr.cpu += now() - t0;
			ocifs_sha_final(tr.a, dg);
			ocifs_sha_final(tr.b, dg);
			ocifs_sha_final(tr.c, dg);
			if (tr.cpu < b3)
				b3 = tr.cpu;
		}
		free(b);
		dec += bd;
		shc += bc;
		shu += bu;
		shu2 += bu2;
		sh3 += b3;
		usize += u;
		if (bd > chain)
			chain = bd;
		if (bu > chain)
			chain = bu;
		if (bc > chain)
			chain = bc;
	}
	double hash = shc + (2 * shu < shu2 ? 2 * shu : shu2);
	double cpu = dec + (sh3 < hash ? sh3 : hash);
	double fl = cpu / (double)ncpu > chain ? cpu / (double)ncpu : chain;

	printf("blobs=%d\nusize=%llu\ndecode_s=%.4f\nsha_c_s=%.4f\nsha_u_s=%.4f\nsha_u2_s=%.4f\n",
	       argc - 2, (unsigned long long)usize, dec, shc, shu, shu2);
	printf("sha_3_s=%.4f\nhash_s=%.4f\n", sh3, sh3 < hash ? sh3 : hash);
	printf("cpu_s=%.4f\nchain_s=%.4f\nncpu=%ld\nfloor_s=%.4f\n", cpu, chain, ncpu, fl);
	EVP_MD_CTX_free(md);
	ocifs_sha_free(pr.a);
	ocifs_sha_free(pr.b);
	ocifs_sha_free(tr.a);
	ocifs_sha_free(tr.b);
	ocifs_sha_free(tr.c);
	free(out);
	return 0;
}
