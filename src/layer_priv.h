/* SPDX-License-Identifier: MIT */
/* Private to layer.c: an open layer (layer.h keeps it opaque). */
#ifndef OCIFS_SRC_LAYER_PRIV_H
#define OCIFS_SRC_LAYER_PRIV_H
#include "idxdb.h"
#include "layer.h"

struct ocifs_layer {
	unsigned num;             /* 1-based position in the image */
	const char *image;        /* the image file (borrowed), for messages */
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

#endif
