/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: UPX detection and unpacking (scan/upx.c, upx_nrv.c): the
 * input as a possibly packed ELF; if detected, unpacked with a 4 MiB
 * limit. The image it returns must be no longer than the limit and than
 * the original size it claims.
 */
#include "fuzz.h"
#include "upx.h"

#define FZ_UPX_MAX (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_rd_mem m = { data, size };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, size, "fuzz", NULL };
	struct ocifs_upx u;
	unsigned char *img = NULL;
	size_t len = 0;

	fz_tmp();
	memset(&u, 0, sizeof(u));
	if (ocifs_upx_detect(&rd, &u) == 0 && u.packed) {
		FZ_ASSERT(u.method_name);
		if (ocifs_upx_unpack(&rd, &u, FZ_UPX_MAX, &img, &len) == 0) {
			FZ_ASSERT(len <= FZ_UPX_MAX);
			free(img);
		}
	}
	ocifs_upx_fini(&u);
	return 0;
}
