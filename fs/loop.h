/* SPDX-License-Identifier: MIT */
/*
 * The FUSE session loop ocifs serves with (loop.c): one thread (mount -s)
 * or libfuse's pool of up to max_threads. Apart from fs.h because it
 * needs libfuse's 3.12 API for the thread limit.
 */
#ifndef OCIFS_FS_LOOP_H
#define OCIFS_FS_LOOP_H

struct fuse_session;

/** Serve se until unmounted or signalled: on this thread alone if single,
 *  else on libfuse's worker pool of at most max_threads (0: libfuse's
 *  default, 10). Returns fuse_session_loop*()'s value: 0, -errno or a
 *  signal number. */
int fs_session_loop(struct fuse_session *se, int single, unsigned max_threads);

#endif
