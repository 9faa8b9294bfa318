/* SPDX-License-Identifier: MIT */
/*
 * An image read from a stream (stdin, a pipe, a FIFO): the bytes are
 * copied once into a private file of the cache directory, and the image
 * is opened from there like any archive file.
 *
 *   <cache>/spool/stdin-<time>-<pid>.tar.tmp.<pid>.<random>
 *
 * created 0600 with O_EXCL|O_NOFOLLOW (cache.h's temp files, so the
 * cache's sweep removes the file of a spooler killed mid-copy). Once the
 * session has opened the image (which holds its own descriptors of the
 * file), ocifs_spool_release() unlinks the name: the bytes live exactly
 * as long as the command, and nothing is left behind even after a
 * kill -9. With keep the file is renamed to its final name (without
 * ".tmp.…", so no sweep takes it) and stays; the mount does that too
 * (it refuses to read from a deleted file) and its daemon removes the
 * file when it is unmounted (session.h: spool_named).

 * The copy is one sequential pass of large write()s; the open that
 * follows reads the file back from the page cache (it was just written)
 * and verifies every blob there: the manifest and config at open, the
 * layers while they are indexed. A short or garbage stream is found by
 * that open and reported under the name "stdin".
 */
#ifndef OCIFS_SRC_SPOOL_H
#define OCIFS_SRC_SPOOL_H
#include <stdint.h>

#include "cache.h"

struct ocifs_spool {
	struct ocifs_cache_tmp tmp; /* the file being / been written */
	char *kept;                 /* its final path once kept, else NULL */
	uint64_t bytes;             /* bytes copied */
};

/** Copy all of fd (named name in messages, e.g. "stdin") into a new
 *  spool file under cache_dir. 0, or -errno logged as one line naming
 *  name: an empty stream (-EBADMSG), a terminal (-EINVAL), a read or
 *  write error. On error nothing is left on disk. */
int ocifs_spool_stream(const char *cache_dir, int fd, const char *name, struct ocifs_spool *sp);
/** The spool file's path while it exists (to open the image from). */
const char *ocifs_spool_path(const struct ocifs_spool *sp);
/** Drop the name: unlink it, or with keep rename it to its final name
 *  (then sp->kept is that path). 0 or -errno (logged). */
int ocifs_spool_release(struct ocifs_spool *sp, int keep);
/** Release everything (unlinking the file if it still has a temp name). */
void ocifs_spool_fini(struct ocifs_spool *sp);

#endif
