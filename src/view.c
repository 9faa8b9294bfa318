/* SPDX-License-Identifier: MIT */
/*
 * The merged view at run time: find or build the view file through the
 * document cache (doc.h: views/<key>.view, key = sha256 of the format
 * version, the manifest digest and every layer's digests), map it,
 * validate it once (every index, once per file: a file unchanged since
 * it passed is checked in O(layers) at the next load, doc.h's quick),
 * then answer lookups (and walks) from the mapping with no locks. See
 * view.h for the API, view_fmt.h for the file and view_build.c for the
 * semantics.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc.h"
#include "log.h"
#include "progress.h"
#include "view.h"
#include "view_fmt.h"
#include "view_priv.h"

/* What the full validation counts while it walks every inode and name,
 * so that a mount of a view loaded unchanged since (doc.h, quick) needs
 * no walk of its own: statfs's blocks, the directory count of the
 * stats, and whether any name is too long for readdir. */
struct view_memo {
	uint64_t blocks;        /* 4 KiB blocks of regular file data */
	uint64_t dirs;
	uint64_t long_names;    /* names longer than NAME_MAX */
};

struct ocifs_view {
	struct ocifs_doc doc;     /* the view file's bytes (doc.h) */
	void *map;                /* = doc.data while open */
	size_t map_len;
	const struct view_hdr *h;
	const struct view_inode *ino;
	const struct view_dirent *de;
	const struct ocifs_sparse *sp;
	const struct view_xattr *x;
	const char *pool;
	struct ocifs_layer **layers;
	size_t nlayers;
	int from_cache;
	int from_artifact;        /* the view the index artifact shipped */
	double build_secs;
	unsigned char *hash_ok;   /* bit per inode: bytes matched its sha256 */
	unsigned char *hash_bad;  /* ... or did not: every read fails (both
				   * set atomically) */
	struct view_memo sum;     /* found by the full validation, or kept
				   * with its stamp (doc.h, quick) */
};

static int in_range(uint64_t off, uint64_t count, uint64_t size, uint64_t total)
{
	return off <= total && count <= (total - off) / (size ? size : 1);
}

/* A regular file's bytes must lie inside its layer's stream, in one
 * 512-aligned run as the tar stored them (sparse: the packed runs and
 * the map within the file's size). */
static int view_data_bad(const struct ocifs_view *v, const struct view_inode *n)
{
	const struct ocifs_layer *l = v->layers ? v->layers[n->layer] : NULL;
	uint64_t packed = 0;

	if (n->data_off % 512 || n->data_off + n->data_len < n->data_off ||
	    (l && n->data_off + n->data_len > ocifs_layer_usize(l)) ||
	    (!n->nsparse && n->data_len != n->size))
		return 1;
	for (uint32_t i = 0; i < n->nsparse; i++) {
		const struct ocifs_sparse *sp = &v->sp[n->sparse + i];
		if (sp->off + sp->len < sp->off || sp->off + sp->len > n->size ||
		    sp->len > n->data_len - packed)
			return 1;
		packed += sp->len;
	}
	return 0;
}

/* The header checked against key and the file's size, and v's section
 * pointers set: O(1), what every load needs (view_validate does it
 * first; a view unchanged since its validation needs no more). */
static int view_map_header(struct ocifs_view *v, const unsigned char key[32], size_t nlayers)
{
	const struct view_hdr *h = v->map;
	uint64_t total = v->map_len;

	if (total < sizeof(*h) || memcmp(h->magic, VIEW_MAGIC, 8) || h->version != VIEW_VERSION ||
	    h->file_size != total || memcmp(h->key, key, 32) || h->nlayers != nlayers)
		return -ESTALE;
	if (!in_range(h->off_inodes, h->ninodes, sizeof(struct view_inode), total) ||
	    !in_range(h->off_dirents, h->ndirents, sizeof(struct view_dirent), total) ||
	    !in_range(h->off_sparse, h->nsparse, sizeof(struct ocifs_sparse), total) ||
	    !in_range(h->off_xattrs, h->nxattrs, sizeof(struct view_xattr), total) ||
	    !in_range(h->off_pool, h->pool_size, 1, total) || h->ninodes == 0 ||
	    h->ndirents == 0 || h->pool_size == 0 || h->ninodes > UINT32_MAX ||
	    h->ndirents > UINT32_MAX || h->pool_size > UINT32_MAX ||
	    ((h->off_inodes | h->off_dirents | h->off_sparse | h->off_xattrs) & 7))
		return -ESTALE;
	v->h = h;
	v->ino = (const void *)((const char *)v->map + h->off_inodes);
	v->de = (const void *)((const char *)v->map + h->off_dirents);
	v->sp = (const void *)((const char *)v->map + h->off_sparse);
	v->x = (const void *)((const char *)v->map + h->off_xattrs);
	v->pool = (const char *)v->map + h->off_pool;
	if (v->pool[h->pool_size - 1] != '\0' || !S_ISDIR(v->ino[0].mode))
		return -ESTALE;
	return 0;
}

/* Every index in the file checked once, so queries need no checks
 * beyond "ino < ninodes"; v->sum counted on the way. */
static int view_validate(struct ocifs_view *v, const unsigned char key[32], size_t nlayers)
{
	const struct view_hdr *h;
	struct view_memo sum = { 0 };
	int rc = view_map_header(v, key, nlayers);

	if (rc)
		return rc;
	h = v->h;
	for (uint64_t i = 0; i < h->ndirents; i++) {
		if (v->de[i].name >= h->pool_size || v->de[i].ino >= h->ninodes)
			return -ESTALE;
		/* (the pool ends in a NUL: checked above) */
		sum.long_names += strlen(v->pool + v->de[i].name) > NAME_MAX;
	}
	for (uint64_t i = 0; i < h->nxattrs; i++)
		if (v->x[i].key >= h->pool_size || v->x[i].val > h->pool_size ||
		    v->x[i].len > h->pool_size - v->x[i].val)
			return -ESTALE;
	for (uint64_t i = 0; i < h->ninodes; i++) {
		const struct view_inode *n = &v->ino[i];
		if (n->name >= h->ndirents || n->parent >= h->ninodes || n->link >= h->pool_size ||
		    (n->layer != OCIFS_VIEW_NO_LAYER && n->layer >= nlayers) ||
		    n->xattr > h->nxattrs || n->nxattr > h->nxattrs - n->xattr)
			return -ESTALE;
		if (S_ISDIR(n->mode) && (n->first_child > h->ndirents ||
					 n->nchildren > h->ndirents - n->first_child))
			return -ESTALE;
		if (!S_ISDIR(n->mode) && n->nchildren)
			return -ESTALE;
		if (S_ISREG(n->mode) && n->layer == OCIFS_VIEW_NO_LAYER)
			return -ESTALE;
		if (n->nsparse && (n->sparse > h->nsparse || n->nsparse > h->nsparse - n->sparse))
			return -ESTALE;
		if (S_ISREG(n->mode) && view_data_bad(v, n))
			return -ESTALE;
		if (S_ISREG(n->mode))
			sum.blocks += (n->size + 4095) / 4096;
		sum.dirs += S_ISDIR(n->mode) != 0;
	}
	v->sum = sum;
	return 0;
}

/* The key a view is checked against: its name key plus the identity of
 * every layer's index file. A view built from an index that was replaced
 * since (rebuilt as corrupt, or by verify as tampered with) is rebuilt. */
static int view_full_key(const unsigned char name_key[32], struct ocifs_layer **layers,
			 size_t n, unsigned char key[32])
{
	struct ocifs_sha *h;
	int rc = ocifs_sha_new(&h);

	if (rc)
		return rc;
	ocifs_sha_update(h, name_key, 32);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		uint64_t id[5] = { 0 };
		if (ocifs_layer_db_path(layers[i]) && stat(ocifs_layer_db_path(layers[i]), &st) == 0) {
			id[0] = st.st_dev;
			id[1] = st.st_ino;
			id[2] = (uint64_t)st.st_size;
			id[3] = (uint64_t)st.st_mtim.tv_sec;
			id[4] = (uint64_t)st.st_mtim.tv_nsec;
		}
		ocifs_sha_update(h, id, sizeof(id));
	}
	ocifs_sha_final(h, key);
	ocifs_sha_free(h);
	return 0;
}

/* What checking and building a view needs (the document request's ctx). */
struct view_req {
	struct ocifs_view *v;
	struct ocifs_image *img;
	struct ocifs_layer **layers;
	unsigned char name_key[32];
	struct ocifs_view_shipped *sv; /* a view from outside, or NULL */
};

/* The view's frame check (doc.h): the whole file validated against the
 * indexes as they are now; on success v's section pointers are set. */
static int view_check(void *ctx, const void *data, size_t len)
{
	struct view_req *r = ctx;
	unsigned char key[32];
	int rc = view_full_key(r->name_key, r->layers, r->img->nlayers, key);

	if (rc)
		return rc;
	r->v->map = (void *)data;
	r->v->map_len = len;
	rc = view_validate(r->v, key, r->img->nlayers);
	r->v->map = NULL;
	return rc;
}

/* The check of a view file unchanged since view_check passed on it
 * (doc.h, quick): what it was built from (the indexes as they are now:
 * the key) and the header, with the counts kept from the walk. */
static int view_quick(void *ctx, const void *data, size_t len, const void *memo, size_t memo_len)
{
	struct view_req *r = ctx;
	unsigned char key[32];
	int rc;

	if (memo_len != sizeof(struct view_memo))
		return -ESTALE;
	if ((rc = view_full_key(r->name_key, r->layers, r->img->nlayers, key)))
		return rc;
	r->v->map = (void *)data;
	r->v->map_len = len;
	rc = view_map_header(r->v, key, r->img->nlayers);
	r->v->map = NULL;
	if (!rc)
		memcpy(&r->v->sum, memo, sizeof(r->v->sum));
	return rc;
}

static size_t view_memo_get(void *ctx, void *buf, size_t cap)
{
	struct view_req *r = ctx;

	if (cap < sizeof(r->v->sum))
		return 0;
	memcpy(buf, &r->v->sum, sizeof(r->v->sum));
	return sizeof(r->v->sum);
}

/* Build the view file. Building may rebuild a bad index: the view is
 * keyed by the indexes it was really built from, so if they changed
 * under the build it is built once more from the new ones. */
static int view_make(void *ctx, void **data, size_t *len)
{
	struct view_req *r = ctx;
	unsigned char before[32], after[32];
	int rc = 0;

	/* the shipped view, bound to the indexes as they are here */
	if (r->sv && r->sv->data && !view_full_key(r->name_key, r->layers, r->img->nlayers, before) &&
	    view_ship_take(r->sv, before, r->layers, r->img->nlayers, data, len) == 0) {
		r->v->from_artifact = 1;
		return 0;
	}
	for (int tries = 0; tries < 2; tries++) {
		if ((rc = view_full_key(r->name_key, r->layers, r->img->nlayers, before)) ||
		    (rc = ocifs_view_build(r->img, r->layers, r->img->nlayers, before, data, len)) ||
		    (rc = view_full_key(r->name_key, r->layers, r->img->nlayers, after)) ||
		    !memcmp(before, after, 32))
			break;
		free(*data);
		*data = NULL;
	}
	return rc;
}

/* views/<hex>.view: the name key is the format version, the manifest
 * digest and every layer's digest and diff_id (no program build-id:
 * the bytes of a view are fixed by VIEW_VERSION). */
static const struct ocifs_doc_kind view_kind = {
	.name = "view",
	.schema = VIEW_VERSION,
	.key_flags = OCIFS_DOC_KEY_DIFF_IDS,
	.subdir = "views",
	.ext = ".view",
	.map = 1,
	.check = view_check,
	.quick = view_quick,
	.memo = view_memo_get,
};

int view_check_bytes(struct ocifs_layer **layers, size_t nlayers, const unsigned char key[32],
		     const void *data, size_t len)
{
	struct ocifs_view v = { .map = (void *)data, .map_len = len, .layers = layers,
				.nlayers = nlayers };

	return view_validate(&v, key, nlayers);
}

int ocifs_view_name_key(struct ocifs_image *img, unsigned char key[32])
{
	return ocifs_doc_key(&view_kind, img, NULL, 0, key);
}

int ocifs_view_open(struct ocifs_image *img, struct ocifs_layer **layers, const char *cache_dir,
		    struct ocifs_view **out)
{
	return ocifs_view_open_shipped(img, layers, cache_dir, NULL, out);
}

int ocifs_view_open_shipped(struct ocifs_image *img, struct ocifs_layer **layers,
			    const char *cache_dir, struct ocifs_view_shipped *sv,
			    struct ocifs_view **out)
{
	struct ocifs_view *v = calloc(1, sizeof(*v));
	struct view_req vr = { .v = v, .img = img, .layers = layers, .sv = sv };
	struct ocifs_doc_req r = {
		.kind = &view_kind, .img = img, .cache_dir = cache_dir, .ctx = &vr,
		.build = view_make,
	};
	double t0 = ocifs_now();
	int rc;

	if (!v) {
		rc = -ENOMEM;
		goto err;
	}
	v->layers = layers;
	v->nlayers = img->nlayers;
	if ((rc = ocifs_doc_key(&view_kind, img, NULL, 0, vr.name_key)))
		goto err;
	rc = ocifs_doc_get(&r, &v->doc);
	if (sv) { /* taken, or not needed: the cache had the view */
		free(sv->data);
		sv->data = NULL;
	}
	if (rc) {
		log_err("%s: cannot build the merged view: %s", img->path, strerror(-rc));
		goto err;
	}
	v->map = v->doc.data;
	v->map_len = v->doc.len;
	v->from_cache = v->doc.from_cache;
	if (!v->from_cache)
		v->build_secs = ocifs_now() - t0;
	v->hash_ok = calloc(v->h->ninodes / 8 + 1, 1);
	v->hash_bad = calloc(v->h->ninodes / 8 + 1, 1);
	if (!v->hash_ok || !v->hash_bad) {
		free(v->hash_ok);
		free(v->hash_bad);
		ocifs_doc_release(&v->doc);
		rc = -ENOMEM;
		goto err;
	}
	*out = v;
	return 0;
err:
	if (sv) {
		free(sv->data);
		sv->data = NULL;
	}
	free(v);
	return rc;
}

int ocifs_view_open_prefix(struct ocifs_image *img, struct ocifs_layer **layers, size_t n,
			   struct ocifs_view **out)
{
	static const unsigned char key[32]; /* never stored: no identity */
	struct ocifs_view *v;
	void *data = NULL;
	size_t len = 0;
	double t0 = ocifs_now();
	int rc;

	if (n > img->nlayers)
		return -EINVAL;
	if (!(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	v->layers = layers;
	v->nlayers = n;
	if ((rc = ocifs_view_build(img, layers, n, key, &data, &len)))
		goto err;
	v->doc = (struct ocifs_doc){ .data = data, .len = len }; /* owned: freed */
	v->map = data;
	v->map_len = len;
	if ((rc = view_validate(v, key, n))) /* sets the section pointers */
		goto err_doc;
	v->build_secs = ocifs_now() - t0;
	v->hash_ok = calloc(v->h->ninodes / 8 + 1, 1);
	v->hash_bad = calloc(v->h->ninodes / 8 + 1, 1);
	if (!v->hash_ok || !v->hash_bad) {
		rc = -ENOMEM;
		goto err_doc;
	}
	*out = v;
	return 0;
err_doc:
	free(v->hash_ok);
	free(v->hash_bad);
	ocifs_doc_release(&v->doc);
	data = NULL;
err:
	free(data);
	free(v);
	return rc;
}

void ocifs_view_free(struct ocifs_view *v)
{
	if (!v)
		return;
	ocifs_doc_release(&v->doc);
	free(v->hash_ok);
	free(v->hash_bad);
	free(v);
}

int ocifs_view_mapping(const struct ocifs_view *v, const void **data, size_t *len)
{
	if (!v || !v->doc.mapped || !v->doc.len)
		return -ENOENT;
	*data = v->doc.data;
	*len = v->doc.len;
	return 0;
}

void ocifs_view_stats(const struct ocifs_view *v, struct ocifs_view_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->inodes = v->h->ninodes;
	st->names = v->h->ndirents - 1;
	st->dirs = v->sum.dirs;
	st->whiteouts = v->h->whiteouts;
	st->escapes = v->h->escapes;
	st->bad_links = v->h->bad_links;
	st->from_cache = v->from_cache;
	st->from_artifact = v->from_artifact;
	st->build_secs = v->build_secs;
}

uint64_t ocifs_view_inodes(const struct ocifs_view *v)
{
	return v->h->ninodes;
}

uint64_t ocifs_view_blocks(const struct ocifs_view *v)
{
	return v->sum.blocks;
}

uint64_t ocifs_view_long_names(const struct ocifs_view *v)
{
	return v->sum.long_names;
}

int ocifs_view_checked_quick(const struct ocifs_view *v)
{
	return v->doc.checked_quick;
}

static const struct view_inode *inode(const struct ocifs_view *v, uint64_t ino)
{
	return ino < v->h->ninodes ? &v->ino[ino] : NULL;
}

int ocifs_view_getattr(const struct ocifs_view *v, uint64_t ino, struct ocifs_vattr *a)
{
	const struct view_inode *n = inode(v, ino);

	if (!n)
		return -ENOENT;
	a->ino = ino;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->uid = n->uid;
	a->gid = n->gid;
	a->mtime_ns = n->mtime_ns;
	a->size = n->size;
	/* As every Linux filesystem (and umoci unpack) shows them: a
	 * symlink's permission bits are 0777 whatever the tar header says
	 * (they mean nothing), and a directory is one 4 KiB block. */
	if (S_ISLNK(n->mode))
		a->mode = S_IFLNK | 0777;
	else if (S_ISDIR(n->mode))
		a->size = OCIFS_VIEW_DIR_SIZE;
	a->rdev = n->rdev;
	a->layer = n->layer;
	return 0;
}

int ocifs_view_lookup(const struct ocifs_view *v, uint64_t parent, const char *name, uint64_t *ino)
{
	const struct view_inode *d = inode(v, parent);
	uint32_t lo, hi;

	if (!d)
		return -ENOENT;
	if (!S_ISDIR(d->mode))
		return -ENOTDIR;
	lo = d->first_child;
	hi = d->first_child + d->nchildren;
	while (lo < hi) { /* children are sorted by strcmp */
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, v->pool + v->de[mid].name);
		if (c == 0) {
			*ino = v->de[mid].ino;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

int ocifs_view_resolve(const struct ocifs_view *v, const char *path, uint64_t *ino)
{
	uint64_t cur = OCIFS_VIEW_ROOT;
	char name[4096];

	while (*path) {
		const char *e = strchr(path, '/');
		size_t len = e ? (size_t)(e - path) : strlen(path);
		if (len >= sizeof(name))
			return -ENAMETOOLONG;
		if (len && !(len == 1 && path[0] == '.')) {
			if (len == 2 && path[0] == '.' && path[1] == '.')
				return -EINVAL;
			memcpy(name, path, len);
			name[len] = '\0';
			int rc = ocifs_view_lookup(v, cur, name, &cur);
			if (rc)
				return rc;
		}
		path += len + (e ? 1 : 0);
	}
	*ino = cur;
	return 0;
}

int ocifs_view_parent(const struct ocifs_view *v, uint64_t dir, uint64_t *parent)
{
	const struct view_inode *n = inode(v, dir);

	if (!n)
		return -ENOENT;
	*parent = n->parent;
	return 0;
}

int ocifs_view_readlink(const struct ocifs_view *v, uint64_t ino, const char **target)
{
	const struct view_inode *n = inode(v, ino);

	if (!n)
		return -ENOENT;
	if (!S_ISLNK(n->mode))
		return -EINVAL;
	*target = v->pool + n->link;
	return 0;
}

int ocifs_view_dir_size(const struct ocifs_view *v, uint64_t dir, uint32_t *count)
{
	const struct view_inode *n = inode(v, dir);

	if (!n)
		return -ENOENT;
	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	*count = n->nchildren;
	return 0;
}

int ocifs_view_dir_entry(const struct ocifs_view *v, uint64_t dir, uint32_t i, const char **name,
			 uint64_t *ino)
{
	const struct view_inode *n = inode(v, dir);

	if (!n)
		return -ENOENT;
	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	if (i >= n->nchildren)
		return -ENOENT;
	*name = v->pool + v->de[n->first_child + i].name;
	*ino = v->de[n->first_child + i].ino;
	return 0;
}

int ocifs_view_xattr_count(const struct ocifs_view *v, uint64_t ino, uint32_t *count)
{
	const struct view_inode *n = inode(v, ino);

	if (!n)
		return -ENOENT;
	*count = n->nxattr;
	return 0;
}

int ocifs_view_xattr_entry(const struct ocifs_view *v, uint64_t ino, uint32_t i, const char **key,
			   const void **val, size_t *len)
{
	const struct view_inode *n = inode(v, ino);

	if (!n)
		return -ENOENT;
	if (i >= n->nxattr)
		return -ENOENT;
	const struct view_xattr *x = &v->x[n->xattr + i];
	*key = v->pool + x->key;
	*val = v->pool + x->val;
	*len = x->len;
	return 0;
}

int ocifs_view_has_xattr(const struct ocifs_view *v, const char *key)
{
	for (uint64_t i = 0; i < v->h->nxattrs; i++)
		if (!strcmp(v->pool + v->x[i].key, key))
			return 1;
	return 0;
}

int ocifs_view_data(const struct ocifs_view *v, uint64_t ino, struct ocifs_layer **layer,
		    struct ocifs_extent *x)
{
	const struct view_inode *n = inode(v, ino);

	if (!n)
		return -ENOENT;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	*x = (struct ocifs_extent){ .size = n->size, .data_off = n->data_off,
				    .data_len = n->data_len, .nsparse = n->nsparse,
				    .sparse = n->nsparse ? &v->sp[n->sparse] : NULL };
	*layer = v->layers[n->layer];
	return 0;
}

size_t ocifs_view_nlayers(const struct ocifs_view *v)
{
	return v->nlayers;
}

struct ocifs_layer *ocifs_view_layer(const struct ocifs_view *v, size_t i)
{
	return v->layers && i < v->nlayers ? v->layers[i] : NULL;
}

int ocifs_view_file_facts(const struct ocifs_view *v, uint64_t ino, uint32_t *flags,
			  unsigned char sha256[32])
{
	const struct view_inode *n = inode(v, ino);

	if (!n)
		return -ENOENT;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	*flags = n->eflags;
	if (sha256)
		memcpy(sha256, n->sha256, 32);
	return 0;
}

int ocifs_view_path(const struct ocifs_view *v, uint64_t ino, char *buf, size_t len)
{
	uint64_t steps = 0;
	size_t need = 0, pos;

	if (!inode(v, ino))
		return -ENOENT;
	/* the length first, walking up (as deep as the tree is: a walk
	 * longer than the view has inodes is a cycle), then the names
	 * written backwards from the end */
	for (uint64_t cur = ino; cur != OCIFS_VIEW_ROOT; cur = v->ino[cur].parent) {
		if (++steps > v->h->ninodes || !inode(v, v->ino[cur].parent))
			return -ELOOP;
		need += 1 + strlen(v->pool + v->de[v->ino[cur].name].name);
	}
	if (len < 2 || need + 1 > len)
		return -ENAMETOOLONG;
	if (!need) {
		strcpy(buf, "/");
		return 0;
	}
	buf[need] = '\0';
	pos = need;
	for (uint64_t cur = ino; cur != OCIFS_VIEW_ROOT; cur = v->ino[cur].parent) {
		const char *nm = v->pool + v->de[v->ino[cur].name].name;
		size_t nl = strlen(nm);
		pos -= nl;
		memcpy(buf + pos, nm, nl);
		buf[--pos] = '/';
	}
	return 0;
}

static int bit_get(const unsigned char *bits, uint64_t i)
{
	return (__atomic_load_n(&bits[i / 8], __ATOMIC_RELAXED) >> (i % 8)) & 1;
}

static void bit_set(unsigned char *bits, uint64_t i)
{
	__atomic_or_fetch(&bits[i / 8], (unsigned char)(1u << (i % 8)), __ATOMIC_RELAXED);
}

void ocifs_view_hashck_begin(const struct ocifs_view *v, uint64_t ino, struct ocifs_view_hashck *h)
{
	const struct view_inode *n = inode(v, ino);

	memset(h, 0, sizeof(*h));
	if (!n || !S_ISREG(n->mode))
		return;
	h->ino = ino;
	h->on = 1;
	if (!(n->eflags & OCIFS_EF_HASHED) || bit_get(v->hash_ok, ino))
		return;
	if (ocifs_sha_new(&h->sha))
		h->sha = NULL; /* unchecked: only slower to catch */
}

int ocifs_view_hashck_update(const struct ocifs_view *v, struct ocifs_view_hashck *h,
			     const void *buf, size_t n, uint64_t off)
{
	const struct view_inode *in;
	unsigned char got[OCIFS_SHA256_LEN];
	char path[512];

	if (h->on && bit_get(v->hash_bad, h->ino))
		return -EIO; /* a retry must not get the bytes either */
	if (!h->sha || off != h->pos || !n) {
		if (h->sha && off > h->pos) /* not read in order: give up */
			ocifs_view_hashck_end(h);
		return 0;
	}
	in = &v->ino[h->ino];
	ocifs_sha_update(h->sha, buf, n);
	h->pos += n;
	if (h->pos < in->size)
		return 0;
	ocifs_sha_final(h->sha, got);
	ocifs_view_hashck_end(h);
	if (memcmp(got, in->sha256, sizeof(got)) == 0) {
		bit_set(v->hash_ok, h->ino);
		return 0;
	}
	bit_set(v->hash_bad, h->ino);
	if (ocifs_view_path(v, h->ino, path, sizeof(path)))
		snprintf(path, sizeof(path), "inode %llu", (unsigned long long)h->ino);
	log_err("%s: %s: content does not match the sha256 its layer index recorded (layer %u); "
		"the image or the cache was changed since it was indexed: run ocifs verify",
		ocifs_layer_image(v->layers[in->layer]), path, ocifs_layer_num(v->layers[in->layer]));
	return -EIO;
}

void ocifs_view_hashck_end(struct ocifs_view_hashck *h)
{
	ocifs_sha_free(h->sha);
	h->sha = NULL;
}
