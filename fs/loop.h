/* SPDX-License-Identifier: MIT */
/*
 * The FUSE session loop ocifs serves with (loop.c): one thread (mount -s)
 * or a leader/followers pool of up to max_threads. Apart from fs.h
 * because it reads the kernel's request header (linux/fuse.h).
 */
#ifndef OCIFS_FS_LOOP_H
#define OCIFS_FS_LOOP_H

#include <stdint.h>

struct fuse_session;

/** Does the metadata of FUSE inode nodeid answer without waiting (so the
 *  thread that read a request for it may serve it in place)? */
typedef int (*fs_fast_fn)(void *arg, uint64_t nodeid);

/** Serve se until unmounted or signalled: on this thread alone if single
 *  (libfuse's fuse_session_loop), else on a pool of at most max_threads
 *  workers (0: 10) whose leader serves the metadata requests fast(arg,
 *  nodeid) allows in place. Returns 0, -errno (the device failed) or,
 *  when single, a signal number. */
int fs_session_loop(struct fuse_session *se, int single, unsigned max_threads, fs_fast_fn fast,
		    void *arg);

#endif
