/* SPDX-License-Identifier: MIT */
/* Private between view.c (loading, queries) and view_build.c (building). */
#ifndef OCIFS_SRC_VIEW_PRIV_H
#define OCIFS_SRC_VIEW_PRIV_H
#include "view.h"

/** Replay img's layers and write the view file to path (atomically).
 *  key identifies what it was built from and is stored in the header. */
int view_build(struct ocifs_image *img, struct ocifs_layer **layers, const unsigned char key[32],
	       const char *path);

#endif
