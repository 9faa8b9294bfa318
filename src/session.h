/* SPDX-License-Identifier: MIT */
/*
 * An image session: the one way every subcommand, the mount and the
 * analyzers get at an image. It opens, in order, the image (manifest and
 * config, verified), the cache directory, every layer (reusing or
 * building its index) and the merged view, and closes them in reverse.
 *
 *   image -> layers -> index -> view -> (fs/ FUSE | scan/ analysis)
 *
 * Everything in a session is immutable once open and safe to share
 * between threads; readers of file data take their own cursors.
 */
#ifndef OCIFS_SRC_SESSION_H
#define OCIFS_SRC_SESSION_H
#include <stddef.h>
#include <stdio.h>

#include "image.h"
#include "layer.h"
#include "view.h"

struct ocifs_session_opts {
	struct ocifs_image_opts img; /* platform, index entry, limits */
	const char *cache_dir;  /* NULL: ocifs_cache_open_dir()'s default */
	int verify;             /* re-hash every blob even if known */
	int no_view;            /* open the image and its layers only */
	int progress;           /* a progress bar on stderr when it is a tty */
	FILE *summary;          /* one line per layer opened, or NULL */
};

struct ocifs_session {
	struct ocifs_image *img;
	struct ocifs_layer **layers; /* nlayers of them, in image order */
	size_t nlayers;
	struct ocifs_view *view;     /* NULL with opts.no_view */
	char *cache_dir;             /* the resolved cache root (owned) */
};

/** Open the image named ref (a path to a docker/oci archive or an OCI
 *  layout directory) with everything below it. On error everything
 *  opened is closed again, one line naming the file and the reason was
 *  logged, and *out is NULL. 0 or a negative errno (err.h). */
int ocifs_session_open(const char *ref, const struct ocifs_session_opts *o,
		       struct ocifs_session **out);
void ocifs_session_close(struct ocifs_session *s);

#endif
