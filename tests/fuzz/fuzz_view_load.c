/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the view file loader (src/view.c view_validate and the
 * queries that trust it afterwards). The input is a view file
 * (views/<key>.view) of a fixed two-layer image (fixture.h); its identity
 * fields (key, file_size, nlayers) are patched to match so that
 * everything else reaches the validator. A file that loads is checked as
 * a view from outside is (view_ship.c: a tree) and walked in full
 * (fuzz_oci.h), reading file data through the real layers. One that does
 * not load is rebuilt, as ocifs does.
 */
#include <dirent.h>
#include <stddef.h>

#include "fixture.h"
#include "view_fmt.h"
#include "view_priv.h"

static struct fz_fixture fx;
static struct ocifs_layer *layers[2];
static char view_path[1024];
static unsigned char view_key[32];

/* Open the layers and build the view once to learn its file name and key. */
static void setup(void)
{
	char views[600];
	struct ocifs_view *v;
	struct dirent *d;
	DIR *dp;

	if (fz_fixture_open(&fx))
		abort();
	for (size_t i = 0; i < 2; i++)
		if (ocifs_layer_open(fx.img, i, &fx.lo, &layers[i]))
			abort();
	if (ocifs_view_open(fx.img, layers, fx.cache, &v))
		abort();
	ocifs_view_free(v);
	snprintf(views, sizeof(views), "%s/views", fx.cache);
	dp = opendir(views);
	while (dp && (d = readdir(dp)))
		if (strstr(d->d_name, ".view"))
			snprintf(view_path, sizeof(view_path), "%s/%s", views, d->d_name);
	if (dp)
		closedir(dp);
	int fd = open(view_path, O_RDONLY);
	if (fd < 0 || pread(fd, view_key, 32, offsetof(struct view_hdr, key)) != 32)
		abort();
	close(fd);
	fz_fixture_dump(view_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_view *v;
	struct view_hdr h;
	uint8_t *buf;

	fz_tmp();
	if (!view_path[0])
		setup();
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		memcpy(h.key, view_key, 32);
		h.file_size = size;
		h.nlayers = 2;
		memcpy(buf, &h, sizeof(h));
	}
	if (fz_write(view_path, buf, size))
		abort();
	free(buf);
	if (ocifs_view_open(fx.img, layers, fx.cache, &v) == 0) {
		const void *d;
		size_t n;
		char why[160];
		if (ocifs_view_mapping(v, &d, &n) == 0)
			(void)view_tree_check(d, n, why, sizeof(why));
		fz_walk_view(v);
		ocifs_view_free(v);
	}
	return 0;
}
