/* SPDX-License-Identifier: MIT */
/*
 * An image session: the one way every subcommand, the mount and the
 * analyzers get at an image. It opens, in order, the cache directory
 * (checked first, whatever else is asked), the image (manifest and
 * config, verified), every layer (reusing or building its index) and the
 * merged view, and closes them in reverse. Options open less: the image
 * alone (inspect), one layer (ls/cat --layer), no view (index, verify).
 * Several layers are opened at once, on one thread per CPU (at most one
 * per layer; session.c's open_parallel: workers take layer numbers from
 * an atomic counter, the progress bar and summary lines are written under
 * one mutex, summaries in layer order); ocifs_layer_open is safe to call
 * for different layers of one image at once (layer.h).
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

#include "err.h"
#include "image.h"
#include "layer.h"
#include "view.h"

struct ocifs_session_opts {
	struct ocifs_image_opts img; /* platform, index entry, limits */
	const char *cache_dir;  /* --cache-dir; NULL: $OCIFS_CACHE_DIR, then
				 * the XDG default (ocifs_cache_open()) */
	int need_cache;         /* the cache must be writable (index, verify):
				 * else fail naming it and --cache-dir. 0: a
				 * cache that cannot be written is replaced,
				 * with a warning, by a private temporary one
				 * (ocifs_cache_open_temp()) removed at close */
	int keep_spool;         /* keep the file an image read from stdin was
				 * spooled to (s->spool_kept says where) */
	int spool_named;        /* the mount: that file keeps its name until
				 * the session is closed (by the daemon, see
				 * ocifs_session_handoff()), since the mount
				 * refuses to read a blob whose file was
				 * deleted; else it is unlinked once open */
	int verify;             /* re-hash every blob even if known */
	int no_artifact;        /* docker://: never fetch layer indexes from
				 * the image's index artifact (idxart.h) */
	int defer_sweep;        /* leave dead writers' temp files in the
				 * cache for ocifs_cache_sweep() (the mount:
				 * its daemon sweeps when it exits) */
	int no_view;            /* open the image and its layers only */
	int no_layers;          /* open the image only (no layers, no view) */
	unsigned layer;         /* 1-based: open this layer alone (no view);
				 * 0: every layer. Out of range: -EINVAL, logged */
	int progress;           /* a progress bar on stderr when it is a tty */
	FILE *summary;          /* one line per layer opened (the lines
				 * `ocifs index` prints), or NULL */
};

struct ocifs_session {
	struct ocifs_image *img;
	struct ocifs_layer **layers; /* nlayers of them, in image order */
	size_t nlayers;              /* img->nlayers; 1 with opts.layer (then
				      * layers[0] is that layer); 0 and NULL
				      * with opts.no_layers */
	struct ocifs_view *view;     /* NULL with no_view, no_layers, layer */
	char *cache_dir;             /* the resolved cache root (owned) */
	int temp_cache;              /* cache_dir is private and temporary:
				      * removed by ocifs_session_close() */
	struct ocifs_spool *spool;   /* the image came from a stream, or NULL */
	const char *spool_kept;      /* where it was kept (keep_spool), or NULL */
	int handed_off;              /* ocifs_session_handoff() was called */
};

/** Open the image named ref (imageref.h: a path to a docker/oci archive
 *  or an OCI layout directory, a docker-archive:/oci-archive:/oci:
 *  transport name, or "-", /dev/stdin or a FIFO: a stream spooled into
 *  the cache) with everything below it. On error everything opened is
 *  closed again, one line naming the file and the reason was logged, and
 *  *out is NULL. 0 or a negative errno (err.h): -ENOENT no such image,
 *  -EBADMSG a malformed one, -EILSEQ a digest mismatch, -EINVAL
 *  opts.layer out of range, -EOPNOTSUPP a transport not supported (yet),
 *  -OCIFS_EUSAGE contradictory arguments (a reference in ref and
 *  --image). *out is the caller's, freed with ocifs_session_close()
 *  (which takes NULL). */
int ocifs_session_open(const char *ref, const struct ocifs_session_opts *o,
		       struct ocifs_session **out);
/** This process hands the session's temporary files (a private cache, a
 *  spooled image) to another one -- the mount daemon it forked --, which
 *  removes them when it closes its copy: this process's close leaves
 *  them. */
void ocifs_session_handoff(struct ocifs_session *s);
void ocifs_session_close(struct ocifs_session *s);

#endif
