/* SPDX-License-Identifier: MIT */
/*
 * An indexed layer, ready to read: finds or builds the layer's cache
 * (rebuilding a corrupt or stale one with a warning), trusts a cached
 * verification only for the same file identity (else re-hashes the blob),
 * and reads file contents by offset through the checkpoints. This is the
 * API the merged view and the CLI use; nothing above it sees SQLite,
 * zlib or zstd.
 */
#ifndef OCIFS_SRC_LAYER_H
#define OCIFS_SRC_LAYER_H
#include <stdint.h>

#include "idxdb.h"
#include "image.h"
#include "index.h"
#include "zio.h"

enum ocifs_cache_state {
	OCIFS_CACHE_MISSING = 0,  /* not indexed yet */
	OCIFS_CACHE_READY = 1,    /* indexed and verified for this file */
	OCIFS_CACHE_UNVERIFIED = 2, /* indexed, blob not yet verified here */
	OCIFS_CACHE_STALE = 3,    /* present but unusable: will be rebuilt */
};

struct ocifs_layer_opts {
	const char *cache_dir;
	int verify;               /* re-hash even if the identity is known */
	uint64_t span;            /* checkpoint distance for new indexes */
	void (*progress)(void *ctx, unsigned num, uint64_t cdone, uint64_t ctotal);
	void *ctx;
};

struct ocifs_layer {
	unsigned num;             /* 1-based position in the image */
	struct ocifs_layer_desc *desc; /* borrowed from the image */
	struct ocifs_idxdb *db;   /* NULL, or open: see ocifs_layer_db() */
	char *db_path;
	char *cache_dir;          /* for a rebuild found necessary later */
	uint64_t span;
	int validated;            /* the index's rows were checked (or built) */
	struct ocifs_ckpts ck;
	enum ocifs_comp comp;
	uint64_t usize, entries, skipped;
	struct ocifs_src *shadow_src;
	int built;                /* 1 if this open built the index */
	int rehashed;             /* 1 if the blob was re-hashed */
	struct ocifs_index_stats stats; /* when built */
	int quiet;                /* probing: no warnings */
	uint64_t wmax;            /* zstd window limit (image opts), 0 = default */
};

/** Open layer i (0-based) of img: reuse or build its index. */
int ocifs_layer_open(struct ocifs_image *img, size_t i, const struct ocifs_layer_opts *o,
		     struct ocifs_layer **out);
void ocifs_layer_close(struct ocifs_layer *l);

/** The layer's index, for reading rows: an open layer holds no database
 *  connection (a thousand layers would hold a thousand fds), so this
 *  opens it on first use. Its rows are checked once against the layer
 *  (ocifs_idxdb_validate); an inconsistent index is rebuilt (warning
 *  naming the file). For the calling thread only; close it with
 *  ocifs_layer_db_close() when done. */
int ocifs_layer_db(struct ocifs_layer *l, struct ocifs_idxdb **db);
void ocifs_layer_db_close(struct ocifs_layer *l);

struct ocifs_layer_info {
	enum ocifs_cache_state state;
	enum ocifs_comp comp;     /* from the blob's magic */
	uint64_t usize, entries;  /* from the cache; 0 when missing */
};

/** What is known of layer i without building or hashing anything. */
void ocifs_layer_peek(struct ocifs_image *img, size_t i, const char *cache_dir,
		      struct ocifs_layer_info *info);
const char *ocifs_cache_state_name(enum ocifs_cache_state s);

/** A cursor for reading this layer's files (one per thread/open file). */
int ocifs_layer_cursor(struct ocifs_layer *l, struct ocifs_zcursor **out);
/** Map logical bytes [off, off+n) of entry e (n already within its size)
 *  onto the layer's uncompressed stream: holes of a sparse file are
 *  zero-filled in buf, and rd(ctx, buf + k, len, stream offset) is called
 *  for each stored run. 0, rd's first error, or -EIO when the entry's map
 *  points past its stored data. */
int ocifs_entry_read(const struct ocifs_entry *e, char *buf, size_t n, uint64_t off,
		     int (*rd)(void *ctx, char *buf, size_t n, uint64_t uoff), void *ctx);
/** Read file data: bytes [off, off+n) of entry e's logical content
 *  (sparse holes read as zeros). 0 and *got (< n only at EOF) or -errno. */
int ocifs_layer_read(struct ocifs_layer *l, struct ocifs_zcursor *c,
		     const struct ocifs_entry *e, void *buf, size_t n, uint64_t off,
		     size_t *got);

#endif
