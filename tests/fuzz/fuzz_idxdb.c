/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the layer-index loader. The input is the SQLite cache file
 * (layers/<digest>.db, schema in man/ocifs-cache.5) of the first layer of
 * a fixed two-layer image (fixture.h), which a shared or damaged cache
 * could hold. ocifs_layer_open() must either reject it (and rebuild) or
 * load it; then every entry is listed, looked up and read through the
 * layer (offsets, sizes and sparse maps from the file are untrusted),
 * its xattrs and checkpoints loaded, and the merged view built from it
 * and walked.
 */
#include "fixture.h"
#include "idxdb.h"
#include "view.h"

static struct fz_fixture fx;
static char db_path[1024];

struct walk {
	struct ocifs_layer *l;
	struct ocifs_idxdb *db;
	struct ocifs_zcursor *c;
	unsigned n;
};

static int xattr_cb(void *ctx, const char *key, const void *val, size_t len)
{
	(void)ctx;
	(void)val;
	FZ_ASSERT(key && len < (1u << 30));
	return 0;
}

static int entry_cb(void *ctx, const struct ocifs_entry *e)
{
	static char buf[4096];
	struct walk *w = ctx;
	size_t got;

	if (++w->n > 2000)
		return 1;
	FZ_ASSERT(e->dir && e->name);
	if (e->flags & OCIFS_EF_XATTR)
		ocifs_idxdb_xattrs(w->db, e->id, xattr_cb, NULL); /* open while walking */
	if (e->type == '0' && w->c) {
		struct ocifs_extent x;
		ocifs_entry_extent(e, &x);
		if (ocifs_layer_read(w->l, w->c, &x, buf, sizeof(buf), 0, &got) == 0)
			FZ_ASSERT(got <= sizeof(buf));
		if (e->size > 2 && ocifs_layer_read(w->l, w->c, &x, buf, 2, e->size - 2, &got) == 0)
			FZ_ASSERT(got <= 2);
	}
	return 0;
}

static void setup(void)
{
	struct ocifs_layer *l;
	char *p;

	if (fz_fixture_open(&fx))
		abort();
	for (size_t i = 0; i < 2; i++) {
		if (ocifs_layer_open(fx.img, i, &fx.lo, &l))
			abort();
		ocifs_layer_close(l);
	}
	if (ocifs_cache_layer_path(fx.cache, fx.img->layers[0].digest, ".db", &p))
		abort();
	snprintf(db_path, sizeof(db_path), "%s", p);
	free(p);
	fz_fixture_dump(db_path);

}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_layer *layers[2] = { 0 };
	struct ocifs_view *v;
	struct ocifs_idxdb *db;
	struct ocifs_entry e;
	char views[600];
	int rc;

	fz_tmp();
	if (!db_path[0])
		setup();
	if (fz_write(db_path, data, size))
		abort();
	snprintf(views, sizeof(views), "%s/views", fx.cache);
	fz_clear(views);
	for (size_t i = 0; i < 2; i++) {
		rc = ocifs_layer_open(fx.img, i, &fx.lo, &layers[i]);
		FZ_ASSERT(rc <= 0);
		if (rc)
			goto out;
	}
	/* the rows are validated when the index is first opened for them */
	if (ocifs_layer_db(layers[0], &db) == 0) {
		struct walk w = { layers[0], db, NULL, 0 };
		ocifs_layer_cursor(layers[0], &w.c);
		ocifs_idxdb_foreach(db, entry_cb, &w);
		w.n = 0;
		ocifs_idxdb_list(db, "", entry_cb, &w);
		w.n = 0;
		ocifs_idxdb_list(db, "etc", entry_cb, &w);
		if (ocifs_idxdb_lookup(db, "etc/passwd", &e) == 0) {
			entry_cb(&w, &e);
			ocifs_entry_fini(&e);
		}
		ocifs_zcursor_free(w.c);
		ocifs_layer_db_close(layers[0]);
	}
	if (ocifs_view_open(fx.img, layers, fx.cache, &v) == 0) {
		fz_walk_view(v);
		ocifs_view_free(v);
	}
out:
	for (size_t i = 0; i < 2; i++)
		ocifs_layer_close(layers[i]);
	return 0;
}
