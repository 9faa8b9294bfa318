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

#include "extent.h"
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

struct ocifs_layer;        /* opaque (layer_priv.h) */
struct ocifs_idxdb;


/** Open layer i (0-based) of img: reuse or build its index. Threads may
 *  open different layers of one img at once (the session does): each
 *  writes only its own descriptor img->layers[i] (the digest, when the
 *  format lacks it); sources, the cache's files (per-digest flock, unique
 *  temporaries, atomic renames), log, trace are thread-safe; each layer has
 *  its own SQLite connection (SQLITE_OPEN_NOMUTEX: one thread each); and
 *  o->progress is called from each opener's threads, so it must lock. */
int ocifs_layer_open(struct ocifs_image *img, size_t i, const struct ocifs_layer_opts *o,
		     struct ocifs_layer **out);
void ocifs_layer_close(struct ocifs_layer *l);

/* What others may know of an open layer. */
unsigned ocifs_layer_num(const struct ocifs_layer *l); /* 1-based */
struct ocifs_layer_desc *ocifs_layer_desc(const struct ocifs_layer *l); /* the image's */
/** The blob the layer is read from (the splice path pins its fd). */
struct ocifs_src *ocifs_layer_blob(const struct ocifs_layer *l);
enum ocifs_comp ocifs_layer_comp(const struct ocifs_layer *l);
uint64_t ocifs_layer_usize(const struct ocifs_layer *l); /* uncompressed stream */
uint64_t ocifs_layer_entries(const struct ocifs_layer *l);
/** The path of the layer's index file (the view keys its cache by its
 *  identity), or NULL. */
const char *ocifs_layer_db_path(const struct ocifs_layer *l);
/** The image file the layer belongs to, as messages name it. */
const char *ocifs_layer_image(const struct ocifs_layer *l);
/** The layer's checkpoints (borrowed; ck->n == 0 for plain tar, or when
 *  they could not be loaded: logged, and cursors fail with -EIO). Loaded
 *  from the index on the first call (or first cursor, or restart cost),
 *  not at open, so a warm open costs the same for any image size; thread-
 *  safe. For a zstd layer with big frames it is the newest snapshot of a
 *  list the lazy shadow grows at run time (zshadow.h): call again to see
 *  newer checkpoints. Every pointer returned stays valid until
 *  ocifs_layer_close(). */
const struct ocifs_ckpts *ocifs_layer_ckpts(const struct ocifs_layer *l);
/** Bytes a new cursor decodes to reach stream offset uoff: from the
 *  checkpoint at or before it (loads the checkpoints on first use). */
uint64_t ocifs_layer_restart_cost(const struct ocifs_layer *l, uint64_t uoff);
struct ocifs_zshadow;
/** The layer's lazy shadow (zshadow.h: stats, wait), or NULL when it has
 *  none (not zstd, no frame over 2 spans). For tests and benchmarks. */
struct ocifs_zshadow *ocifs_layer_zshadow(const struct ocifs_layer *l);

/* What opening it did (for the CLI's summary line). */
struct ocifs_layer_open_info {
	int built;                /* this open built the index */
	int rehashed;             /* the blob was re-hashed */
	uint64_t skipped;         /* tar entries the index left out */
	struct ocifs_index_stats stats; /* when built */
};
void ocifs_layer_open_info(const struct ocifs_layer *l, struct ocifs_layer_open_info *out);

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
/** Read file data through cursor c (of this layer): bytes [off, off+n)
 *  of extent x's logical content (sparse holes read as zeros). 0 and
 *  *got (< n only at EOF) or -errno. Shared reading of view files goes
 *  through the reader (reader.h); this is the bare primitive. */
int ocifs_layer_read(struct ocifs_layer *l, struct ocifs_zcursor *c,
		     const struct ocifs_extent *x, void *buf, size_t n, uint64_t off,
		     size_t *got);

/** The regular file at path (relative or "/"-rooted, normalized) as this
 *  layer's own tar holds it, at most max bytes: 0 and *buf malloc'd
 *  (NUL-terminated, *len without it); -ENOENT (not in this layer),
 *  -EINVAL (not a regular file or hard link to one), -EFBIG (larger than
 *  max), or a read error. Does not follow symlinks and ignores every
 *  other layer: a forensic read of one layer (the SBOM's attribution of
 *  a package database to the layer that changed it). Thread-safe (one
 *  lock per process around the layer's index). */
int ocifs_layer_slurp(struct ocifs_layer *l, const char *path, size_t max, char **buf,
		      size_t *len);

/** Run fn(ctx, db) with the layer's index open (ocifs_layer_db: checked,
 *  rebuilt if bad), holding the process-wide lock ocifs_layer_slurp()
 *  holds, so that threads sharing a layer (a mount's requests, its
 *  document builder) never share the connection. The connection is
 *  closed afterwards unless it was open before. fn's result, or the
 *  open's error. */
int ocifs_layer_with_db(struct ocifs_layer *l, int (*fn)(void *ctx, struct ocifs_idxdb *db),
			void *ctx);

#endif
