/* SPDX-License-Identifier: MIT */
/*
 * The FUSE session loop (loop.h): single-threaded (mount -s) or a worker
 * pool bounded by -o max_threads=N. libfuse sets a pool's maximum only
 * through the 3.12 loop config API, so this file alone asks for it; on
 * an older libfuse, max_threads is ignored with a warning.
 */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <errno.h>

#include "loop.h"
#include "log.h"

#define IDLE_THREADS 10

int fs_session_loop(struct fuse_session *se, int single, unsigned max_threads)
{
#if FUSE_MAKE_VERSION(FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION) >= FUSE_MAKE_VERSION(3, 12)
	struct fuse_loop_config *cfg;
	int rc;

	if (single)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	if (max_threads) {
		fuse_loop_cfg_set_max_threads(cfg, max_threads);
		fuse_loop_cfg_set_idle_threads(cfg, max_threads < IDLE_THREADS ? max_threads
									  : IDLE_THREADS);
	} else {
		fuse_loop_cfg_set_idle_threads(cfg, IDLE_THREADS);
	}
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
#else
	struct fuse_loop_config cfg = { .clone_fd = 0, .max_idle_threads = IDLE_THREADS };

	if (single)
		return fuse_session_loop(se);
	if (max_threads)
		log_warn("-o max_threads=%u ignored: libfuse before 3.12 cannot bound its threads",
			 max_threads);
	return fuse_session_loop_mt(se, &cfg);
#endif
}
