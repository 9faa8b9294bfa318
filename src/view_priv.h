/* SPDX-License-Identifier: MIT */
/* Private between view.c (loading, queries) and view_build.c (building). */
#ifndef OCIFS_SRC_VIEW_PRIV_H
#define OCIFS_SRC_VIEW_PRIV_H
#include "view.h"

/** Replay img's first nlayers layers (all of them: img->nlayers) into
 *  the bytes of a view file: *out malloc'd, *out_len bytes (the document
 *  cache stores it, doc.h). key identifies what it was built from and is
 *  stored in the header. */
int ocifs_view_build(struct ocifs_image *img, struct ocifs_layer **layers, size_t nlayers,
		     const unsigned char key[32], void **out, size_t *out_len);

#endif
