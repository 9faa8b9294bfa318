/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the merged-view builder (src/view_build.c) over a sequence
 * of layers, through the real path: the input split on FZ_SEP into up to
 * 8 uncompressed tar layers, written as an OCI layout, opened, each layer
 * indexed (src/index.c, idxdb.c), the view built and then walked
 * (fuzz_oci.h): whiteouts, opaque dirs, file/dir replacement, hardlinks,
 * ".." escapes, implicit parents. The cache lives in the private temp dir
 * and is emptied for every input.
 */
#include "fuzz_oci.h"
#include "cache.h"
#include "image.h"
#include "layer.h"
#include "view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[8];
	struct ocifs_image_opts o = { .platform = "linux/amd64" };
	struct ocifs_image *img = NULL;
	struct ocifs_layer *layers[8] = { 0 };
	struct ocifs_view *v = NULL;
	char dir[320], *cache = NULL;
	size_t n = fz_split(data, size, parts, 8);
	int rc;

	fz_tmp();
	if (ocifs_cache_open_dir(&cache))
		abort();
	fz_clear(cache);
	free(cache);
	if (ocifs_cache_open_dir(&cache)) /* recreate its subdirs */
		abort();
	fz_path(dir, sizeof(dir), "layout");
	if (fz_layout_of_layers(dir, parts, n))
		goto out;
	rc = ocifs_image_open(dir, &o, &img);
	FZ_ASSERT(rc == 0); /* we wrote a valid layout */
	struct ocifs_layer_opts lo = { .cache_dir = cache, .span = 65536 };
	for (size_t i = 0; i < img->nlayers; i++) {
		rc = ocifs_layer_open(img, i, &lo, &layers[i]);
		FZ_ASSERT(rc <= 0);
		if (rc)
			goto out;
	}
	if (ocifs_view_open(img, layers, cache, &v) == 0) {
		struct ocifs_view_stats st;
		ocifs_view_stats(v, &st);
		FZ_ASSERT(st.inodes == ocifs_view_inodes(v) && st.inodes >= 1);
		fz_walk_view(v);
		ocifs_view_free(v);
	}
out:
	for (size_t i = 0; i < 8; i++)
		ocifs_layer_close(layers[i]);
	ocifs_image_free(img);
	free(cache);
	return 0;
}
