/* SPDX-License-Identifier: MIT */
/* Fuzz target: zstd frame index build and resume (src/zstdidx.c);
 * see zio_target.h. */
#define FZ_COMP OCIFS_COMP_ZSTD
#define FZ_ZSTD 1
#include "zio_target.h"
