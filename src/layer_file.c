/* SPDX-License-Identifier: MIT */
/*
 * One file of a layer alone, and the layer's index for a caller beside
 * others (see layer.h): what the scanners read from one layer (a package
 * database, a config) without a merged view. Split from layer.c, which
 * owns opening a layer and its reads through cursors.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "layer_priv.h"
#include "path.h"

/* The layer's index connection belongs to one thread at a time: every
 * reader that may run beside others (slurp, ocifs_layer_with_db) takes
 * this lock around it. */
static pthread_mutex_t slurp_lock = PTHREAD_MUTEX_INITIALIZER;

static int slurp_entry(struct ocifs_layer *l, const struct ocifs_entry *e, size_t max,
		       char **buf, size_t *len)
{
	struct ocifs_extent x;
	struct ocifs_zcursor *c = NULL;
	size_t got = 0;
	char *b;
	int rc;

	if (e->size > max)
		return -EFBIG;
	if (!(b = malloc((size_t)e->size + 1)))
		return -ENOMEM;
	ocifs_entry_extent(e, &x);
	rc = ocifs_layer_cursor(l, &c);
	if (!rc)
		rc = ocifs_layer_read(l, c, &x, b, (size_t)e->size, 0, &got);
	ocifs_zcursor_free(c);
	if (!rc && got != e->size)
		rc = -EIO;
	if (rc) {
		free(b);
		return rc;
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

int ocifs_layer_slurp(struct ocifs_layer *l, const char *path, size_t max, char **buf,
		      size_t *len)
{
	struct ocifs_entry e = { 0 };
	struct ocifs_idxdb *db;
	char *p = strdup(path);
	int rc, had;

	*buf = NULL;
	*len = 0;
	if (!p)
		return -ENOMEM;
	if (ocifs_path_normalize(p)) {
		free(p);
		return -ENOENT;
	}
	pthread_mutex_lock(&slurp_lock);
	had = l->db != NULL;
	rc = ocifs_layer_db(l, &db);
	if (!rc)
		rc = ocifs_idxdb_lookup(db, p, &e);
	if (!rc && e.type == '1') { /* a hard link: its target, in this layer */
		char *t = e.link ? strdup(e.link) : NULL;
		ocifs_entry_fini(&e);
		memset(&e, 0, sizeof(e));
		rc = t ? ocifs_idxdb_lookup(db, t, &e) : -ENOMEM;
		free(t);
	}
	if (!rc && e.type != '0')
		rc = -EINVAL;
	if (!rc)
		rc = slurp_entry(l, &e, max, buf, len);
	if (!had)
		ocifs_layer_db_close(l);
	pthread_mutex_unlock(&slurp_lock);
	ocifs_entry_fini(&e);
	free(p);
	return rc;
}

int ocifs_layer_with_db(struct ocifs_layer *l, int (*fn)(void *ctx, struct ocifs_idxdb *db),
			void *ctx)
{
	struct ocifs_idxdb *db;
	int rc, had;

	pthread_mutex_lock(&slurp_lock);
	had = l->db != NULL;
	rc = ocifs_layer_db(l, &db);
	if (!rc)
		rc = fn(ctx, db);
	if (!had)
		ocifs_layer_db_close(l);
	pthread_mutex_unlock(&slurp_lock);
	return rc;
}
