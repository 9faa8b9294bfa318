/* SPDX-License-Identifier: MIT */
/*
 * What the push (idxart.c) and the pull (idxart_pull.c) of the index
 * artifact share.
 */
#ifndef OCIFS_SRC_IDXART_PRIV_H
#define OCIFS_SRC_IDXART_PRIV_H
#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <zstd.h>
#include <stddef.h>
#include <string.h>

#include "idxart.h"
#include "registry.h"
#include "trace.h"

#define IDXART_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define IDXART_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define IDXART_EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define IDXART_MAX_CANDIDATES 16
#define IDXART_MAX_FETCHES (2 * IDXART_MAX_CANDIDATES) /* manifests asked for */
#define IDXART_MANIFEST_MAX (1u << 20)
/* the size of a blob's .chunks file */
#define IDXART_CHUNKS_LEN(size)                                                          \
	(strlen(OCIFS_IDXART_CHUNKS_MAGIC) +                                             \
	 ((uint64_t)(size) + OCIFS_IDXART_CHUNK - 1) / OCIFS_IDXART_CHUNK * OCIFS_SHA256_LEN)
/* the largest index accepted for a layer blob of size bytes (an index
 * larger than its layer is no use to anyone) */
#define IDXART_DB_MAX(size) ((uint64_t)(64u << 20) + (uint64_t)(size))
/* the largest merged view accepted, compressed or not, beside indexes
 * of dbbytes bytes (Debian's: 1.8 MB beside a 2.9 MB index) */
#define IDXART_VIEW_MAX(dbbytes) ((uint64_t)(16u << 20) + 2 * (uint64_t)(dbbytes))

/** The whole file path (at most max bytes: -EFBIG), NUL-terminated. */
int idxart_read_file(const char *path, size_t max, char **buf, size_t *len);
/** Is layer i the first with its digest (the artifact lists each once)? */
int idxart_first_of(const struct ocifs_image *img, size_t i);
/** The blob digests of an artifact's layers, space-separated (malloc'd). */
char *idxart_blob_list(json_object *layers);

/* An index artifact among the referrers of an image manifest. */
struct idxart_cand {
	char digest[OCIFS_DIGEST_STRLEN + 1];
	char created[40];       /* its created annotation, "" if none */
	json_object *manifest;  /* parsed, fetched by digest */
};
/** The ocifs index artifacts referring to subject (at most
 *  IDXART_MAX_CANDIDATES, each fetched by digest, at most
 *  IDXART_MAX_FETCHES fetched, from the list's end; ones that are not an
 *  artifact of ours for this subject are left out), newest first. */
int idxart_candidates(struct ocifs_registry *r, const char *subject, struct idxart_cand **out,
		      size_t *n);
void idxart_candidates_free(struct idxart_cand *c, size_t n);

/** o's member key when it is a string, else NULL (o may be NULL). */
const char *idxart_jstr(json_object *o, const char *key);

/* A zstd frame decompressed as its bytes come (idxart_fetch.c): at most
 * max bytes, into the file fd or (fd < 0) appended to *mem (malloc'd,
 * *mlen bytes); one frame and nothing after it. */
struct idxart_unz {
	ZSTD_DCtx *dc;
	char *out;
	size_t cap;
	uint64_t total, max;
	int fd;
	char **mem;
	size_t *mlen, mcap;
	int ended, full, rc;
};
int idxart_unz_init(struct idxart_unz *u, uint64_t max, int fd, char **mem, size_t *mlen);
/** 0, or the first error (-EBADMSG not zstd or data after the frame,
 *  -EFBIG past max, a write's -errno), which later calls return. */
int idxart_unz_feed(struct idxart_unz *u, const void *p, size_t n);
/** After the last bytes: 0 when one whole frame came, else its error. */
int idxart_unz_end(struct idxart_unz *u);
/** Start over (the file emptied). */
void idxart_unz_restart(struct idxart_unz *u);
void idxart_unz_fini(struct idxart_unz *u);

/* One blob of an artifact fetched on a thread of its own (idxart_fetch.c),
 * checked against its descriptor's digest and size (at most max bytes):
 * kept whole in buf, or (zfd >= 0) decompressed into the file zfd as it
 * arrives, at most zmax bytes. */
struct idxart_get {
	struct ocifs_registry *r;
	json_object *desc;
	uint64_t max;
	const char *span;       /* its trace span's name */
	int zfd;
	uint64_t zmax;
	char *buf;              /* zfd < 0: the blob */
	size_t len;
	/* zfd < 0 and decode_max set: the blob (one zstd frame) decoded
	 * too, at most decode_max bytes, into dec (malloc'd, declen bytes);
	 * drc its result: 0, -EBADMSG, -EFBIG past decode_max, -ENOMEM */
	uint64_t decode_max;
	char *dec;
	size_t declen;
	int drc;
	int rc;                 /* the fetch: 0 or -errno, why says it */
	int zrc;                /* with rc 0 and zfd >= 0: the decompression's */
	char why[256];
	struct idxart_unz unz;
	pthread_t th;
	int started, done;      /* done: started once (the caller's flag) */
	ocifs_span parent;
};
/** Fetch g (set r, desc, max, span, zfd, zmax) on a thread when thread
 *  is set and one starts, else here. */
void idxart_get_start(struct idxart_get *g, int thread);
void idxart_get_wait(struct idxart_get *g);
/** Decompress z (one zstd frame), at most max bytes, into *mem
 *  (malloc'd, *mlen bytes; the caller frees it whatever the result). */
int idxart_unzstd_mem(const char *z, size_t zlen, uint64_t max, char **mem, size_t *mlen);
/** Wait, and free the blob. */
void idxart_get_fini(struct idxart_get *g);

#endif
