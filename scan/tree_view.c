/* SPDX-License-Identifier: MIT */
/* struct ocifs_tree over the merged view; see tree_view.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "tree_view.h"


/* The reader's span cache holds the blocks of files read in place (too
 * big to read whole) and of files pass 2 opens that pass 1 did not keep;
 * what an analysis keeps for the library search (about 10 KiB a file)
 * is held by the tree view itself (ocifs_tree_view_keep). */
#define TV_CACHE (256u << 20)
#define TV_COLD (8u << 20)
#define TV_BLOCK (4u << 10)

struct tv_range {
	uint64_t off;
	size_t n;
	unsigned char *bytes;
};

struct tv_kept {
	size_t n, cap;
	struct tv_range *v;
};

struct ocifs_tree_view {
	struct ocifs_tree tree;
	const struct ocifs_view *view;
	struct ocifs_reader *reader;
	uint64_t ninodes;
	pthread_mutex_t lock;
	struct tv_kept **kept;  /* per inode, NULL if nothing kept; protected by lock */
};

struct tv_file {
	struct ocifs_tree_view *tv;
	uint64_t ino;
	struct ocifs_rfile *f;
	char *name;
};

/* Served from the kept ranges? 1 (copied), 0 (not kept). */
static int tv_from_kept(struct ocifs_tree_view *tv, uint64_t ino, void *buf, size_t n,
			uint64_t off)
{
	int hit = 0;

	pthread_mutex_lock(&tv->lock);
	const struct tv_kept *k = tv->kept ? tv->kept[ino] : NULL;
	for (size_t i = 0; k && i < k->n && !hit; i++) {
		const struct tv_range *r = &k->v[i];
		if (off >= r->off && n <= r->n && off - r->off <= r->n - n) {
			memcpy(buf, r->bytes + (off - r->off), n);
			hit = 1;
		}
	}
	pthread_mutex_unlock(&tv->lock);
	return hit;
}

int ocifs_tree_view_keep(struct ocifs_tree_view *tv, uint64_t ino, const void *buf, uint64_t off,
			 size_t n)
{
	struct tv_range r = { .off = off, .n = n };
	struct ocifs_extent x;
	struct ocifs_layer *l;
	int rc = 0;

	if (ino >= tv->ninodes || !n)
		return 0;
	/* an uncompressed layer is read again in place for less than a copy */
	if (ocifs_view_data(tv->view, ino, &l, &x) || ocifs_layer_comp(l) == OCIFS_COMP_NONE)
		return 0;
	r.bytes = malloc(n);
	if (!r.bytes)
		return -ENOMEM;
	memcpy(r.bytes, buf, n);
	pthread_mutex_lock(&tv->lock);
	if (!tv->kept && !(tv->kept = calloc((size_t)tv->ninodes, sizeof(*tv->kept))))
		rc = -ENOMEM;
	struct tv_kept *k = rc ? NULL : tv->kept[ino];
	if (!rc && !k && !(k = tv->kept[ino] = calloc(1, sizeof(*k))))
		rc = -ENOMEM;
	if (!rc && k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 4;
		struct tv_range *v = realloc(k->v, cap * sizeof(*v));
		if (v) {
			k->v = v;
			k->cap = cap;
		} else {
			rc = -ENOMEM;
		}
	}
	if (!rc)
		k->v[k->n++] = r;
	pthread_mutex_unlock(&tv->lock);
	if (rc)
		free(r.bytes);
	return rc;
}

int ocifs_tree_view_resolve(struct ocifs_tree_view *tv, const char *path, int follow,
			    uint64_t *ino, char **canon)
{
	struct ocifs_view_found f;
	int rc = ocifs_view_find(tv->view, path, follow ? OCIFS_VIEW_FOLLOW : 0, &f, canon);

	if (!rc)
		*ino = f.ino;
	return rc;
}

static int tv_read(void *ctx, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct tv_file *f = ctx;
	const struct ocifs_extent *x = ocifs_rfile_extent(f->f);

	if (off < x->size && n && n <= x->size - off &&
	    tv_from_kept(f->tv, f->ino, buf, n, off)) {
		*got = n;
		return 0;
	}
	return ocifs_rfile_read(f->f, buf, n, off, got);
}

/* Resolve to a regular file: 0 and *ino, or -errno. */
static int tv_regular(struct ocifs_tree_view *tv, const char *path, uint64_t *ino,
		      struct ocifs_vattr *a)
{
	int rc = ocifs_tree_view_resolve(tv, path, 1, ino, NULL);

	if (!rc)
		rc = ocifs_view_getattr(tv->view, *ino, a);
	if (!rc && S_ISDIR(a->mode))
		rc = -EISDIR;
	else if (!rc && !S_ISREG(a->mode))
		rc = -EINVAL;
	return rc;
}

static int tv_open_file(void *ctx, const char *path, struct ocifs_tree_file *tf)
{
	struct ocifs_tree_view *tv = ctx;
	struct ocifs_vattr a;
	struct tv_file *f;
	uint64_t ino;
	int rc;

	memset(tf, 0, sizeof(*tf));
	if ((rc = tv_regular(tv, path, &ino, &a)))
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->name = strdup(path))) {
		free(f);
		return -ENOMEM;
	}
	f->tv = tv;
	f->ino = ino;
	if ((rc = ocifs_reader_open(tv->reader, ino, &f->f))) {
		free(f->name);
		free(f);
		return rc;
	}
	tf->rd.read_at = tv_read;
	tf->rd.ctx = f;
	tf->rd.size = a.size;
	tf->rd.name = f->name;
	tf->id = ino;
	tf->priv_ = f;
	return 0;
}

static void tv_close_file(void *ctx, struct ocifs_tree_file *tf)
{
	struct tv_file *f = tf->priv_;

	(void)ctx;
	if (f) {
		ocifs_rfile_close(f->f);
		free(f->name);
		free(f);
	}
	memset(tf, 0, sizeof(*tf));
}

static int tv_read_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct ocifs_tree_file f;
	size_t size;
	char *b;
	int rc;

	if ((rc = tv_open_file(ctx, path, &f)))
		return rc;
	size = (size_t)f.rd.size;
	if (f.rd.size > max) {
		tv_close_file(ctx, &f);
		return -EFBIG;
	}
	b = malloc(size + 1);
	if (!b)
		rc = -ENOMEM;
	else
		rc = ocifs_rd_full(&f.rd, b, size, 0);
	tv_close_file(ctx, &f);
	if (rc) {
		free(b);
		return rc;
	}
	b[size] = '\0';
	*buf = b;
	*len = size;
	return 0;
}

static int tv_list_dir(void *ctx, const char *path, int (*cb)(void *cbctx, const char *name),
		       void *cbctx)
{
	struct ocifs_tree_view *tv = ctx;
	uint64_t dir, child;
	uint32_t n;
	int rc;

	if ((rc = ocifs_tree_view_resolve(tv, path, 1, &dir, NULL)))
		return rc;
	if ((rc = ocifs_view_dir_size(tv->view, dir, &n)))
		return rc;
	for (uint32_t i = 0; i < n && !rc; i++) {
		const char *name;
		if (!(rc = ocifs_view_dir_entry(tv->view, dir, i, &name, &child)))
			rc = cb(cbctx, name);
	}
	return rc;
}

static int tv_realpath(void *ctx, const char *path, char **out)
{
	uint64_t ino;

	return ocifs_tree_view_resolve(ctx, path, 1, &ino, out);
}

int ocifs_tree_view_new(const struct ocifs_view *v, struct ocifs_tree_view **out)
{
	struct ocifs_tree_view *tv = calloc(1, sizeof(*tv));
	struct ocifs_reader_opts ro = { .cache_size = TV_CACHE, .cold_max = TV_COLD,
					.block = TV_BLOCK };
	int rc;

	if (!tv)
		return -ENOMEM;
	if ((rc = ocifs_reader_new(v, &ro, &tv->reader))) {
		free(tv);
		return rc;
	}
	tv->view = v;
	tv->ninodes = ocifs_view_inodes(v);
	pthread_mutex_init(&tv->lock, NULL);
	tv->tree = (struct ocifs_tree){ .read_file = tv_read_file, .list_dir = tv_list_dir,
					.open_file = tv_open_file, .close_file = tv_close_file,
					.realpath = tv_realpath, .ctx = tv };
	*out = tv;
	return 0;
}

void ocifs_tree_view_free(struct ocifs_tree_view *tv)
{
	if (!tv)
		return;
	if (ocifs_log_threshold >= OCIFS_LOG_DBG) {
		struct ocifs_reader_stats st;
		ocifs_reader_stats(tv->reader, &st);
		log_dbg("tree view: %llu hits, %llu misses, %llu spans (%llu bytes, %llu cold) at "
			"the end", (unsigned long long)st.hits, (unsigned long long)st.misses,
			(unsigned long long)st.spans, (unsigned long long)st.bytes,
			(unsigned long long)st.cold_bytes);
	}
	ocifs_reader_free(tv->reader);
	for (uint64_t i = 0; tv->kept && i < tv->ninodes; i++) {
		struct tv_kept *k = tv->kept[i];
		for (size_t j = 0; k && j < k->n; j++)
			free(k->v[j].bytes);
		if (k)
			free(k->v);
		free(k);
	}
	free(tv->kept);
	pthread_mutex_destroy(&tv->lock);
	free(tv);
}

const struct ocifs_tree *ocifs_tree_view_tree(struct ocifs_tree_view *tv)
{
	return &tv->tree;
}

struct ocifs_reader *ocifs_tree_view_reader(struct ocifs_tree_view *tv)
{
	return tv->reader;
}
