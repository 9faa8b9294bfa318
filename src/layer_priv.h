/* SPDX-License-Identifier: MIT */
/* Private to layer.c and layer_file.c: an open layer (layer.h keeps it opaque). */
#ifndef OCIFS_SRC_LAYER_PRIV_H
#define OCIFS_SRC_LAYER_PRIV_H
#include <pthread.h>
#include <stdatomic.h>

#include "idxdb.h"
#include "layer.h"
#include "zshadow.h"

struct ocifs_layer {
	unsigned num;             /* 1-based position in the image */
	const char *image;        /* the image file (borrowed), for messages */
	struct ocifs_layer_desc *desc; /* borrowed from the image */
	struct ocifs_idxdb *db;   /* NULL, or open: see ocifs_layer_db() */
	char *db_path;
	char *cache_dir;          /* for a rebuild found necessary later */
	uint64_t span;
	int validated;            /* the index's rows were checked (or built) */
	/* The checkpoints are loaded on first need (ocifs_layer_ckpts, a
	 * cursor, a restart cost), once, under ck_mu: ck_state 0 = not yet,
	 * 1 = loaded (release/acquire: readers of ck/zs check it first),
	 * < 0 = the load failed with that errno. Loaded at open only when the
	 * index is untrusted (its checkpoints are checked like its rows). */
	pthread_mutex_t ck_mu;
	atomic_int ck_state;
	struct ocifs_ckpts ck;    /* the index's own (live == NULL) */
	struct ocifs_zshadow *zs; /* zstd with big frames: the lazy shadow */
	int opened;               /* ocifs_layer_open succeeded: ck may be shared */
	enum ocifs_comp comp;
	uint64_t usize, entries, skipped;
	int built;                /* 1 if this open built the index */
	int rehashed;             /* 1 if the blob was re-hashed */
	struct ocifs_index_stats stats; /* when built */
	int quiet;                /* probing: no warnings */
	int verifying;            /* opened by verify: its pass re-makes
				   * the chunk sums, so none are needed */
	uint64_t wmax;            /* zstd window limit (image opts), 0 = default */
};

#endif
