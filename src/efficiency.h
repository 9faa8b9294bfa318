/* SPDX-License-Identifier: MIT */
/*
 * Wasted bytes and dive's efficiency score, from the layer indexes alone
 * (paths, types and tar header sizes; no file is read).
 *
 * The definitions are dive's (github.com/wagoodman/dive, filetree/
 * efficiency.go and image/analysis.go), reimplemented:
 *  - each layer is a tree of its tar entries (implicit parents included,
 *    `.wh..wh..*` entries never added); only its leaves count;
 *  - a leaf's path is its own, a whiteout's the path it deletes; each
 *    path keeps the sum (cumulative) and the least of its sizes over the
 *    layers that hold it; a file's size is its tar header size, a
 *    whiteout's is the sum of every size in the subtree it deletes when
 *    that is a directory in dive's stack of the layers below (which
 *    applies whiteouts but ignores opaque markers), else 0;
 *  - score = sum of least sizes / sum of cumulative sizes (1 when 0);
 *  - a path held by two or more layers is inefficient; wasted bytes are
 *    the sum of their cumulative sizes (every copy, the last included);
 *  - image size = sum of every layer's tar header sizes; user size the
 *    same without the first layer; user-wasted ratio = wasted / user.
 * dive quirks kept so the numbers match: a whiteout of a path absent from
 * the stack below ends that layer's walk (its later leaves, in dive's
 * name order, are not counted) and leaves that path a least size of -1.
 *
 * Beside dive's numbers: per layer, the bytes it wrote that a later layer
 * overwrote or deleted (a file's size counted against the layer whose
 * copy was replaced or whited out), and for each inefficient path the
 * layers that held it.
 *
 * Linear in the entries but for sorting: each layer's entries are sorted
 * once (dive's visiting order); a whiteout's subtree is summed just
 * before the same layer removes it, so every stacked node is summed at
 * most once per time it is added.
 */
#ifndef OCIFS_SRC_EFFICIENCY_H
#define OCIFS_SRC_EFFICIENCY_H
#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* One layer's version of an inefficient path. */
struct ocifs_eff_holder {
	size_t layer;           /* 0-based */
	int whiteout;           /* this layer deletes the path */
	int64_t bytes;          /* what dive counted for it (a whiteout: the
				 * subtree it deletes, or 0 for a file) */
};

/* A path held by two or more layers (dive's "inefficient file"). */
struct ocifs_eff_file {
	char *path;             /* "/root/saved.txt", as dive prints it */
	size_t count;           /* copies (layers holding it) */
	int64_t bytes;          /* cumulative size: dive's sizeBytes */
	size_t nholders;        /* == count */
	struct ocifs_eff_holder *holders; /* in layer order */
};

struct ocifs_eff_layer {
	uint64_t size_bytes;    /* sum of its tar header sizes (dive's size) */
	uint64_t wasted_bytes;  /* written here, replaced or deleted later */
	uint64_t entries;       /* tar entries (implicit dirs not counted) */
	uint64_t nodes;         /* nodes of dive's tree of it (implicit
				 * parents in, the root and .wh..wh.* out):
				 * the length of dive's export fileList */
	int walk_stopped;       /* dive's walk of this layer stopped at a
				 * whiteout of a path absent below */
};

struct ocifs_efficiency {
	double score;             /* dive's efficiency, 0..1 */
	uint64_t size_bytes;      /* every layer */
	uint64_t user_size_bytes; /* every layer but the first */
	uint64_t wasted_bytes;    /* sum of files[].bytes */
	double user_wasted_ratio; /* wasted / user size; with no user bytes
				   * INFINITY (wasted bytes) or NAN (none),
				   * as dive's float division gives */
	size_t nlayers;
	struct ocifs_eff_layer *layers; /* image order */
	size_t nfiles;
	struct ocifs_eff_file *files; /* dive's order: cumulative size
				       * descending; ties: the path that became
				       * inefficient last first (dive's order
				       * when it sorts up to 12 paths) */
};

/** Compute everything for the layers of an open session (opened with
 *  every layer: opts.layer 0, no_layers 0; the view is not used). 0, or
 *  a negative errno (logged, naming the layer's index). *out is freed
 *  with ocifs_efficiency_free(). */
int ocifs_efficiency_compute(struct ocifs_session *s, struct ocifs_efficiency **out);
void ocifs_efficiency_free(struct ocifs_efficiency *e);

#endif
