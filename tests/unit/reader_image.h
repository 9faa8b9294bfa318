/* SPDX-License-Identifier: MIT */
/*
 * For test_reader.c and test_readahead.c: the OCI layout both read, built
 * in memory with zlib and libzstd: layer 1 gzip (one member), layer 2
 * zstd (one frame, or frames of a given size as pzstd and zstd:chunked
 * cut them), each holding n generated files whose content the test keeps
 * (the oracle every read is compared with). Static helpers, like
 * tests/tap.h.
 */
#ifndef OCIFS_TESTS_READER_IMAGE_H
#define OCIFS_TESTS_READER_IMAGE_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "cache.h"
#include "image.h"
#include "layer.h"
#include "sha.h"
#include "tap.h"
#include "view.h"

struct rimg_file {
	char path[32];
	unsigned char *data;
	size_t len;
};

static uint64_t rimg_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Compressible but not trivially: words from a small set, with noise. */
static void rimg_fill(unsigned char *p, size_t n, uint64_t seed)
{
	static const char *const w[] = { "alpha ", "beta ", "gamma ", "delta\n", "eps ", "zeta " };
	size_t i = 0;

	while (i < n) {
		uint64_t r = rimg_next(&seed);
		const char *s = w[r % 6];
		for (; *s && i < n; s++)
			p[i++] = (unsigned char)(r & 0x100000 ? (uint64_t)(unsigned char)*s ^ (r >> 32 & 0x7)
							 : (uint64_t)(unsigned char)*s);
	}
}

static int rimg_put_blob(const char *dir, const void *p, size_t n,
			 char digest[OCIFS_DIGEST_STRLEN + 1])
{
	unsigned char d[OCIFS_SHA256_LEN];
	char path[700];
	FILE *f;

	ocifs_sha256(p, n, d);
	ocifs_digest_format(d, digest);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, digest + 7);
	if (!(f = fopen(path, "wb")))
		return -errno;
	fwrite(p, 1, n, f);
	return fclose(f) ? -EIO : 0;
}

static size_t rimg_gzip(const void *p, size_t n, unsigned char **out)
{
	z_stream z = { 0 };
	size_t cap = compressBound((uLong)n) + 64;

	*out = malloc(cap);
	if (!*out || deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	deflateEnd(&z);
	return z.total_out;
}

/* Set before rimg_make: zstd frames without their content size in the
 * header, as pzstd and other streaming compressors write them. */
static int rimg_zstd_nosize;

/* Frames of `frame` bytes each (0: one frame). */
static size_t rimg_zstd(const unsigned char *p, size_t n, size_t frame, unsigned char **out)
{
	size_t step = frame ? frame : n ? n : 1;
	size_t cap = ZSTD_compressBound(n) + (n / step + 1) * 64, len = 0;
	ZSTD_CCtx *cc = ZSTD_createCCtx();

	if (!(*out = malloc(cap)) || !cc ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, !rimg_zstd_nosize)))
		abort();
	for (size_t off = 0; off < n || (n == 0 && off == 0); off += step) {
		size_t k = n - off < step ? n - off : step;
		size_t r = ZSTD_compress2(cc, *out + len, cap - len, p + off, k);
		if (ZSTD_isError(r))
			abort();
		len += r;
		if (n == 0)
			break;
	}
	ZSTD_freeCCtx(cc);
	return len;
}

/* The OCI layout dir/: layer 1 gzip, layer 2 zstd (frames of zframe
 * bytes; 0: one frame), n files each, sizes[i] bytes, at l<L>/f<I>; the
 * files go to files[l * n + i] (content freed by the caller); blob[l],
 * when not NULL, gets the path of layer l's blob. 0 or -errno. */
static int rimg_make(const char *dir, size_t n, const size_t *sizes, size_t zframe,
		     struct rimg_file *files, char (*blob)[600])
{
	char ld[2][OCIFS_DIGEST_STRLEN + 1], diff[2][OCIFS_DIGEST_STRLEN + 1];
	char cd[OCIFS_DIGEST_STRLEN + 1], md[OCIFS_DIGEST_STRLEN + 1], path[700];
	size_t blen[2], cl, ml;
	char cfg[1024], man[2048];
	int rc = 0;

	if (mkdir(dir, 0755) || snprintf(path, sizeof(path), "%s/blobs", dir) < 0 || mkdir(path, 0755))
		return -errno;
	snprintf(path, sizeof(path), "%s/blobs/sha256", dir);
	if (mkdir(path, 0755))
		return -errno;
	for (int l = 0; l < 2; l++) {
		static const char end[1024]; /* two zero blocks close a tar */
		unsigned char *t, *z, d[OCIFS_SHA256_LEN];
		size_t tl, zl;
		FILE *f = open_memstream((char **)&t, &tl);

		if (!f)
			abort();
		for (size_t i = 0; i < n; i++) {
			struct rimg_file *fl = &files[(size_t)l * n + i];
			snprintf(fl->path, sizeof(fl->path), "l%d/f%zu", l, i);
			fl->len = sizes[i];
			if (!(fl->data = malloc(fl->len ? fl->len : 1)))
				abort();
			rimg_fill(fl->data, fl->len, 1000 * (uint64_t)l + (uint64_t)i + 1);
			tap_tar_member(f, fl->path, '0', 0644, 1600000000, NULL, fl->data, fl->len);
		}
		fwrite(end, 1, sizeof(end), f);
		fclose(f);
		ocifs_sha256(t, tl, d); /* the diff_id: of the uncompressed tar */
		ocifs_digest_format(d, diff[l]);
		zl = l == 0 ? rimg_gzip(t, tl, &z) : rimg_zstd(t, tl, zframe, &z);
		rc = rc ? rc : rimg_put_blob(dir, z, zl, ld[l]);
		blen[l] = zl;
		free(t);
		free(z);
		if (blob)
			snprintf(blob[l], 600, "%s/blobs/sha256/%s", dir, ld[l] + 7);
	}
	cl = (size_t)snprintf(cfg, sizeof(cfg),
			      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":"
			      "{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}", diff[0], diff[1]);
	rc = rc ? rc : rimg_put_blob(dir, cfg, cl, cd);
	ml = (size_t)snprintf(man, sizeof(man),
			      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			      "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
			      "\"digest\":\"%s\",\"size\":%zu},\"layers\":["
			      "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu},"
			      "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"%s\",\"size\":%zu}]}",
			      cd, cl, ld[0], blen[0], ld[1], blen[1]);
	rc = rc ? rc : rimg_put_blob(dir, man, ml, md);
	snprintf(path, sizeof(path), "%s/oci-layout", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("{\"imageLayoutVersion\":\"1.0.0\"}", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/index.json", dir);
	if (!(f = fopen(path, "w")))
		return -errno;
	fprintf(f, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
		   "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu}]}",
		md, ml);
	fclose(f);
	return rc;
}

/* The image opened as the tests read it: a temporary directory holding
 * the layout (img/) and XDG_CACHE_HOME (cache/), the image, its two
 * layers indexed with a checkpoint every `span` bytes, and the view. */
struct rimg {
	char tmp[64], dir[80];
	char blob[2][600];              /* the layers' blob files */
	char *cache;
	struct ocifs_image *img;
	struct ocifs_layer *layers[2];
	struct ocifs_view *v;
};

/* rimg_make's image (n files of sizes[] a layer, into files; zstd frames
 * of zframe bytes) in a new temporary directory named after prefix,
 * opened: 0 or -errno (what is open is closed by rimg_close). */
static int rimg_open(struct rimg *m, const char *prefix, size_t n, const size_t *sizes,
		     size_t zframe, uint64_t span, struct rimg_file *files)
{
	struct ocifs_image_opts io = { .platform = "linux/amd64" };
	char cache_env[96];
	int rc;

	memset(m, 0, sizeof(*m));
	snprintf(m->tmp, sizeof(m->tmp), "/tmp/%s.XXXXXX", prefix);
	if (!mkdtemp(m->tmp))
		abort();
	snprintf(m->dir, sizeof(m->dir), "%s/img", m->tmp);
	snprintf(cache_env, sizeof(cache_env), "%s/cache", m->tmp);
	setenv("XDG_CACHE_HOME", cache_env, 1);
	rc = rimg_make(m->dir, n, sizes, zframe, files, m->blob);
	rc = rc ? rc : ocifs_image_open(m->dir, &io, &m->img);
	rc = rc ? rc : ocifs_cache_open_dir(&m->cache);
	struct ocifs_layer_opts lo = { .cache_dir = m->cache, .span = span };
	for (size_t i = 0; !rc && i < 2; i++)
		rc = ocifs_layer_open(m->img, i, &lo, &m->layers[i]);
	return rc ? rc : ocifs_view_open(m->img, m->layers, m->cache, &m->v);
}

/* Close what rimg_open opened, free the n files of each layer and remove
 * the temporary directory. */
static void rimg_close(struct rimg *m, struct rimg_file *files, size_t n)
{
	char cmd[600];

	ocifs_view_free(m->v);
	for (size_t i = 0; i < 2; i++)
		ocifs_layer_close(m->layers[i]);
	ocifs_image_free(m->img);
	free(m->cache);
	for (size_t i = 0; i < 2 * n; i++)
		free(files[i].data);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->tmp);
	if (system(cmd))
		diag("could not remove %s", m->tmp);
}

#endif
