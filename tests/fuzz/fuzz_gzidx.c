/* SPDX-License-Identifier: MIT */
/* Fuzz target: gzip checkpoint index build and resume (src/gzidx.c);
 * see zio_target.h. */
#define FZ_COMP OCIFS_COMP_GZIP
#define FZ_ZSTD 0
#include "zio_target.h"
