/* SPDX-License-Identifier: MIT */
/* Private between view.c (loading, queries), view_build.c (building) and
 * view_mem.c (the mapped file's pages). */
#ifndef OCIFS_SRC_VIEW_PRIV_H
#define OCIFS_SRC_VIEW_PRIV_H
#include "view.h"

/** Replay img's first nlayers layers (all of them: img->nlayers) into
 *  the bytes of a view file: *out malloc'd, *out_len bytes (the document
 *  cache stores it, doc.h). key identifies what it was built from and is
 *  stored in the header. */
int ocifs_view_build(struct ocifs_image *img, struct ocifs_layer **layers, size_t nlayers,
		     const unsigned char key[32], void **out, size_t *out_len);

/** The view file's mapping (page-aligned): 0, or -ENOENT for a view that
 *  is not a mapped file (built in memory, or read into memory). */
int ocifs_view_mapping(const struct ocifs_view *v, const void **data, size_t *len);

#endif
