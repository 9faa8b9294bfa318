/* SPDX-License-Identifier: MIT */
/* Private between view.c (loading, queries), view_build.c (building),
 * view_mem.c (the mapped file's pages) and view_ship.c (a view from the
 * index artifact). */
#ifndef OCIFS_SRC_VIEW_PRIV_H
#define OCIFS_SRC_VIEW_PRIV_H
#include "view.h"

/** Replay img's first nlayers layers (all of them: img->nlayers) into
 *  the bytes of a view file: *out malloc'd, *out_len bytes (the document
 *  cache stores it, doc.h). key identifies what it was built from and is
 *  stored in the header. */
int ocifs_view_build(struct ocifs_image *img, struct ocifs_layer **layers, size_t nlayers,
		     const unsigned char key[32], void **out, size_t *out_len);

/** Every index of the view file data (len bytes) checked as the loader
 *  does (view.c: header with key and nlayers, sections, every inode's
 *  references, every file's bytes inside its layer): 0 or -ESTALE. */
int view_check_bytes(struct ocifs_layer **layers, size_t nlayers, const unsigned char key[32],
		     const void *data, size_t len);
/** The view file data (which passed view_check_bytes) is a tree: 0, or
 *  -ESTALE with why[cap] saying what is wrong (view_ship.c). */
int view_tree_check(const void *data, size_t len, char *why, size_t cap);
/** The shipped view sv as the view file of key (the indexes it was built
 *  from, as they are here): its bytes into *out (taken from sv) when it
 *  passes view_check_bytes and view_tree_check; else one warning naming
 *  sv->from, sv->data freed, and -ESTALE. (view_ship.c) */
int view_ship_take(struct ocifs_view_shipped *sv, const unsigned char key[32],
		   struct ocifs_layer **layers, size_t nlayers, void **out, size_t *len);

#endif
