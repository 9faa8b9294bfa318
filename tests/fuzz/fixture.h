/* SPDX-License-Identifier: MIT */
/*
 * A fixed two-layer image for the targets that fuzz a cache file of it
 * (fuzz_view_load, fuzz_idxdb): written and indexed once per process.
 */
#ifndef OCIFS_TESTS_FUZZ_FIXTURE_H
#define OCIFS_TESTS_FUZZ_FIXTURE_H
#include "fuzz_oci.h"
#include "cache.h"
#include "image.h"
#include "layer.h"

struct fz_fixture {
	struct ocifs_image *img;
	char *cache;            /* the cache dir */
	struct ocifs_layer_opts lo;
};

static inline int fz_fixture_open(struct fz_fixture *fx)
{
	struct ocifs_image_opts o = { .platform = "linux/amd64" };
	struct fz_tar t[2];
	struct fz_part parts[2];
	char dir[320], big[3000];
	int rc;

	memset(big, 'x', sizeof(big));
	if (fz_tar_begin(&t[0]) || fz_tar_begin(&t[1]))
		return -ENOMEM;
	fz_tar_add(&t[0], "etc/", '5', NULL, NULL, 0);
	fz_tar_add(&t[0], "etc/passwd", '0', NULL, "root:x:0:0::/root:/bin/sh\n", 26);
	fz_tar_add(&t[0], "etc/big", '0', NULL, big, sizeof(big));
	fz_tar_add(&t[0], "etc/hard", '1', "etc/passwd", NULL, 0);
	fz_tar_add(&t[0], "bin/sh", '0', NULL, "\177ELF\2\1\1", 7);
	fz_tar_add(&t[0], "lib", '2', "usr/lib", NULL, 0);
	fz_tar_end(&t[0]);
	fz_tar_add(&t[1], "etc/.wh.big", '0', NULL, NULL, 0);
	fz_tar_add(&t[1], "usr/lib/.wh..wh..opq", '0', NULL, NULL, 0);
	fz_tar_add(&t[1], "usr/lib/libc.so.6", '0', NULL, "#!/bin/sh\n", 10);
	fz_tar_end(&t[1]);
	parts[0] = (struct fz_part){ (const uint8_t *)t[0].buf, t[0].len };
	parts[1] = (struct fz_part){ (const uint8_t *)t[1].buf, t[1].len };
	fz_path(dir, sizeof(dir), "fixture");
	rc = fz_layout_of_layers(dir, parts, 2);
	free(t[0].buf);
	free(t[1].buf);
	if (!rc)
		rc = ocifs_image_open(dir, &o, &fx->img);
	if (!rc)
		rc = ocifs_cache_open_dir(&fx->cache);
	fx->lo = (struct ocifs_layer_opts){ .cache_dir = fx->cache, .span = 65536 };
	return rc;
}

/** With FUZZ_SEED_OUT set, copy the cache file at path there (how
 *  mkseeds.sh gets seeds that match the fixture exactly). */
static inline void fz_fixture_dump(const char *path)
{
	const char *to = getenv("FUZZ_SEED_OUT");
	char cmd[2200];

	if (!to)
		return;
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, to);
	if (system(cmd) != 0)
		abort();
}

#endif
