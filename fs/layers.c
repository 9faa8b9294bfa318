/* SPDX-License-Identifier: MIT */
/*
 * The forensic part of /.ocifs/ (DESIGN §8):
 *
 *   /.ocifs/layers/N-<digest>/   layer N's own tree as its tar holds it
 *                                (src/ltree.h): whiteout and opaque
 *                                markers as the empty files they are,
 *                                files later layers delete still there.
 *                                <digest> is the first 12 hex digits of
 *                                the blob digest (else the diff_id).
 *   /.ocifs/image/               manifest.json, config.json, index.json:
 *                                the bytes whose digests were verified
 *                                (index.json only when the image has one)
 *
 * A layer's tree is built by the first request that needs it (a lookup
 * of N-<digest>, or any inode of it) and kept until unmount; a failed
 * build is logged once and its error returned from then on. Listing
 * /.ocifs/layers builds nothing (its entries carry no attributes, so
 * the kernel looks each one up when it needs them).
 *
 * Inodes (ino.h): FS_VCLASS_META for the two directories and the image
 * files; FS_VCLASS_TREE, sub = the 0-based layer, id = the tree's inode
 * id (its index row; 0 the tree's root), so hard links of a layer share
 * st_ino. Files of a tree are read through fs/read.c like the view's
 * (splice for uncompressed blobs, else the reader's span cache, the
 * first full read checked against the index's sha256; a file failing it
 * fails with EIO from then on: verdict[] per layer). The
 * directories and image files are owned and moded like /.ocifs
 * (0500/0400, 0555/0444 with -o public_virtual); a tree's entries keep
 * the tar's modes and owners (with the uid=/gid= overrides), and the
 * kernel checks them (default_permissions).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"
#include "ltree.h"

#define LAY_ID_LAYERS 0
#define LAY_ID_IMAGE 1
#define LAY_ID_FILE0 2

/* The files of /.ocifs/image, by number. */
static const char *const img_names[] = { "manifest.json", "config.json", "index.json" };
#define IMG_NFILES (sizeof(img_names) / sizeof(img_names[0]))

struct lay_slot {
	pthread_mutex_t lock;           /* held while building */
	struct ocifs_ltree *t;          /* atomic: set once, when built */
	unsigned char *verdict;         /* by inode id, once built: its file's
					 * sha256 check (OCIFS_READER_*) */
	int err;                        /* under lock: the build failed */
	char name[48];                  /* "N-<12 hex>" */
};

struct fs_layers {
	struct ocifs_image *img;        /* borrowed */
	struct ocifs_view *view;        /* borrowed */
	size_t n;                       /* layers served (inode sub fits) */
	struct lay_slot *slot;
};

int fs_layers_new(struct ocifs_image *img, struct ocifs_view *view, struct fs_layers **out)
{
	struct fs_layers *L = calloc(1, sizeof(*L));

	if (!L)
		return -ENOMEM;
	L->n = ocifs_view_nlayers(view);
	if (L->n > FS_VINO_SUB_MAX + 1ul) {
		log_warn("/.ocifs/layers: only the first %lu of %zu layers are served",
			 FS_VINO_SUB_MAX + 1ul, L->n);
		L->n = FS_VINO_SUB_MAX + 1ul;
	}
	L->slot = calloc(L->n ? L->n : 1, sizeof(*L->slot));
	if (!L->slot) {
		free(L);
		return -ENOMEM;
	}
	for (size_t k = 0; k < L->n; k++) {
		const struct ocifs_layer_desc *d = &img->layers[k];
		const char *dg = *d->digest ? d->digest : d->diff_id, *hex = strchr(dg, ':');

		pthread_mutex_init(&L->slot[k].lock, NULL);
		snprintf(L->slot[k].name, sizeof(L->slot[k].name), "%zu-%.12s", k + 1,
			 hex ? hex + 1 : dg);
	}
	L->img = img;
	L->view = view;
	*out = L;
	return 0;
}

void fs_layers_free(struct fs_layers *L)
{
	if (!L)
		return;
	for (size_t k = 0; k < L->n; k++) {
		ocifs_ltree_free(L->slot[k].t);
		free(L->slot[k].verdict);
		pthread_mutex_destroy(&L->slot[k].lock);
	}
	free(L->slot);
	free(L);
}

/* Layer k's tree, built on first use. */
static int lay_tree(struct ocifs_fs *fs, unsigned k, const struct ocifs_ltree **out)
{
	struct fs_layers *L = fs->layers;
	struct lay_slot *s = &L->slot[k];
	struct ocifs_ltree *t = __atomic_load_n(&s->t, __ATOMIC_ACQUIRE);
	int rc;

	if (t) {
		*out = t;
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	t = s->t;
	rc = s->err;
	if (!t && !rc) {
		rc = ocifs_ltree_build(ocifs_view_layer(L->view, k), &t);
		if (!rc && !(s->verdict = calloc(ocifs_ltree_ids(t), 1))) {
			ocifs_ltree_free(t);
			rc = -ENOMEM;
		}
		if (rc) {
			log_err("/.ocifs/layers/%s: cannot list the layer: %s", s->name,
				strerror(-rc));
			if (rc != -ENOMEM)
				s->err = rc; /* for good: the index will not change */
		} else {
			__atomic_store_n(&s->t, t, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (!rc)
		*out = t;
	return rc;
}

/* Image file k's bytes: 0, or -ENOENT (the image has none). */
static int img_file(const struct ocifs_image *img, size_t k, const char **buf, size_t *len)
{
	const char *b = k == 0 ? img->manifest_json : k == 1 ? img->config_json
				     : k == 2 ? img->index_json : NULL;
	size_t n = k == 0 ? img->manifest_len : k == 1 ? img->config_len : img->index_len;

	if (!b)
		return -ENOENT;
	*buf = b;
	*len = n;
	return 0;
}

int fs_lay_node(const struct ocifs_fs *fs, fuse_ino_t ino, struct fs_node *n)
{
	const struct fs_layers *L = fs->layers;
	const char *b;
	unsigned cls, sub;
	uint64_t id;
	size_t len;

	if (!L || fs_vino_split(ino, &cls, &sub, &id))
		return -ENOENT;
	memset(n, 0, sizeof(*n));
	n->ino = ino;
	if (cls == FS_VCLASS_TREE && sub < L->n) {
		n->cls = FS_NODE_LTREE;
		n->layer = sub;
		n->id = id;
		return 0;
	}
	if (cls != FS_VCLASS_META || sub)
		return -ENOENT;
	if (id == LAY_ID_LAYERS) {
		n->cls = FS_NODE_LDIR;
	} else if (id == LAY_ID_IMAGE) {
		n->cls = FS_NODE_IDIR;
	} else if (id - LAY_ID_FILE0 < IMG_NFILES &&
		   img_file(L->img, (size_t)(id - LAY_ID_FILE0), &b, &len) == 0) {
		n->cls = FS_NODE_IFILE;
		n->doc = (size_t)(id - LAY_ID_FILE0);
	} else {
		return -ENOENT;
	}
	return 0;
}

/* A directory or image file of layers.c: owned and moded like /.ocifs. */
static int meta_stat(struct ocifs_fs *fs, const struct fs_node *n, struct stat *st)
{
	const struct fs_layers *L = fs->layers;
	const char *b;
	size_t len;

	fs_vnode_stat(fs, n->ino, n->cls != FS_NODE_IFILE, st);
	if (n->cls == FS_NODE_IFILE) {
		if (img_file(L->img, n->doc, &b, &len))
			return -ENOENT;
		st->st_nlink = 1;
		st->st_size = (off_t)len;
	} else {
		st->st_nlink = 2 + (n->cls == FS_NODE_LDIR ? L->n : 0); /* 2 + subdirs */
		st->st_size = OCIFS_VIEW_DIR_SIZE;
	}
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

static int tree_stat(struct ocifs_fs *fs, unsigned k, uint64_t id, struct stat *st)
{
	const struct ocifs_ltree *t;
	struct ocifs_ltree_attr a;
	int rc = lay_tree(fs, k, &t);

	if (!rc)
		rc = ocifs_ltree_getattr(t, id, &a);
	if (rc)
		return rc;
	fs_attr_stat(fs, fs_vino(FS_VCLASS_TREE, k, id),
		     &(struct ocifs_vattr){ .mode = a.mode, .nlink = a.nlink, .uid = a.uid,
					    .gid = a.gid, .mtime_ns = a.mtime_ns, .size = a.size,
					    .rdev = a.rdev },
		     st);
	return 0;
}

int fs_lay_stat(struct ocifs_fs *fs, const struct fs_node *n, struct stat *st)
{
	if (n->cls == FS_NODE_LTREE)
		return tree_stat(fs, n->layer, n->id, st);
	return meta_stat(fs, n, st);
}

/* A full entry for node n (ino its FUSE inode). */
static int lay_entry(struct ocifs_fs *fs, fuse_ino_t ino, struct fuse_entry_param *e)
{
	struct fs_node n;
	int rc = fs_lay_node(fs, ino, &n);

	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->attr_timeout = fs->opts.timeout;
	e->entry_timeout = fs->opts.timeout;
	return rc ? rc : fs_lay_stat(fs, &n, &e->attr);
}

int fs_lay_ocifs_entry(struct ocifs_fs *fs, uint32_t k, const char **name,
		       struct fuse_entry_param *e)
{
	if (k >= FS_LAY_OCIFS_N)
		return -ENOENT;
	*name = k == 0 ? "image" : "layers";
	return lay_entry(fs, fs_vino(FS_VCLASS_META, 0, k == 0 ? LAY_ID_IMAGE : LAY_ID_LAYERS), e);
}

int fs_lay_ocifs_lookup(struct ocifs_fs *fs, const char *name, struct fuse_entry_param *e)
{
	const char *nm;

	for (uint32_t k = 0; k < FS_LAY_OCIFS_N; k++)
		if (fs_lay_ocifs_entry(fs, k, &nm, e) == 0 && !strcmp(nm, name))
			return 0;
	return -ENOENT;
}

int fs_lay_lookup(struct ocifs_fs *fs, const struct fs_node *dir, const char *name,
		  struct fuse_entry_param *e)
{
	const struct fs_layers *L = fs->layers;
	const struct ocifs_ltree *t;
	uint64_t id;
	int rc;

	switch (dir->cls) {
	case FS_NODE_LDIR:
		for (size_t k = 0; k < L->n; k++)
			if (!strcmp(L->slot[k].name, name))
				return lay_entry(fs, fs_vino(FS_VCLASS_TREE, (unsigned)k,
							     OCIFS_LTREE_ROOT), e);
		return -ENOENT;
	case FS_NODE_IDIR:
		for (size_t k = 0; k < IMG_NFILES; k++)
			if (!strcmp(img_names[k], name))
				return lay_entry(fs, fs_vino(FS_VCLASS_META, 0, LAY_ID_FILE0 + k), e);
		return -ENOENT;
	case FS_NODE_LTREE:
		if ((rc = lay_tree(fs, dir->layer, &t)) ||
		    (rc = ocifs_ltree_lookup(t, dir->id, name, &id)))
			return rc;
		return lay_entry(fs, fs_vino(FS_VCLASS_TREE, dir->layer, id), e);
	default:
		return -ENOTDIR;
	}
}

int fs_lay_readlink(struct ocifs_fs *fs, const struct fs_node *n, const char **target)
{
	const struct ocifs_ltree *t;
	int rc;

	if (n->cls != FS_NODE_LTREE)
		return -EINVAL;
	rc = lay_tree(fs, n->layer, &t);
	return rc ? rc : ocifs_ltree_readlink(t, n->id, target);
}

int fs_lay_opendir(struct ocifs_fs *fs, const struct fs_node *n)
{
	struct stat st;
	int rc = fs_lay_stat(fs, n, &st);

	return rc ? rc : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Entry i (from 2) of directory n: its name and entry, 1 past the last,
 * 0 for a name left out (longer than NAME_MAX, see dir.c). */
static int dir_child(struct ocifs_fs *fs, const struct fs_node *n, const struct ocifs_ltree *t,
		     uint64_t i, int plus, const char **name, struct fuse_entry_param *e, int *rc)
{
	const struct fs_layers *L = fs->layers;
	const char *b;
	uint64_t id;
	size_t len;

	*rc = 0;
	if (n->cls == FS_NODE_LDIR) {
		if (i >= L->n)
			return 1;
		/* no attributes: listing builds no tree (the kernel looks
		 * the entry up when it wants them) */
		*name = L->slot[i].name;
		e->attr.st_ino = fs_vino(FS_VCLASS_TREE, (unsigned)i, OCIFS_LTREE_ROOT);
		e->attr.st_mode = S_IFDIR;
		return 2;
	}
	if (n->cls == FS_NODE_IDIR) {
		if (i >= IMG_NFILES)
			return 1;
		if (img_file(L->img, i, &b, &len))
			return 0;
		*name = img_names[i];
		*rc = lay_entry(fs, fs_vino(FS_VCLASS_META, 0, LAY_ID_FILE0 + i), e);
		return 2;
	}
	*rc = ocifs_ltree_dir_entry(t, n->id, (uint32_t)i, name, &id);
	if (*rc == -ENOENT) {
		*rc = 0;
		return 1;
	}
	if (*rc || strlen(*name) > NAME_MAX)
		return *rc ? 2 : 0;
	*rc = plus ? lay_entry(fs, fs_vino(FS_VCLASS_TREE, n->layer, id), e)
		   : tree_stat(fs, n->layer, id, &e->attr);
	return 2;
}

int fs_lay_dir_fill(struct ocifs_fs *fs, fuse_req_t req, const struct fs_node *n, size_t size,
		    off_t off, int plus, char **out, size_t *outlen)
{
	const struct ocifs_ltree *t = NULL;
	uint64_t up = fs_vino(FS_VCLASS_NODE, 0, 0); /* /.ocifs */
	size_t used = 0;
	char *buf;
	int rc = fs_lay_opendir(fs, n);

	*out = NULL;
	*outlen = 0;
	if (rc)
		return rc;
	if (off < 0)
		return -EINVAL;
	if (n->cls == FS_NODE_LTREE) {
		if ((rc = lay_tree(fs, n->layer, &t)) || (rc = ocifs_ltree_parent(t, n->id, &up)))
			return rc;
		up = n->id == OCIFS_LTREE_ROOT ? fs_vino(FS_VCLASS_META, 0, LAY_ID_LAYERS)
					       : fs_vino(FS_VCLASS_TREE, n->layer, up);
	}
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	for (uint64_t pos = (uint64_t)off;; pos++) {
		struct fuse_entry_param e;
		const char *name;
		int more = 2;

		memset(&e, 0, sizeof(e));
		if (pos < 2) {
			name = pos ? ".." : ".";
			e.attr.st_ino = pos ? up : n->ino;
			e.attr.st_mode = S_IFDIR;
		} else {
			more = dir_child(fs, n, t, pos - 2, plus, &name, &e, &rc);
		}
		if (rc || more == 1)
			break;
		if (!more)
			continue;
		if (!fs_dir_add(req, buf, size, &used, name, &e, plus, (off_t)(pos + 1)))
			break;
	}
	return fs_dir_done(rc, buf, used, out, outlen);
}

int fs_lay_open(struct ocifs_fs *fs, const struct fs_node *n, struct fs_file **f)
{
	const struct ocifs_ltree *t;
	struct ocifs_extent x;
	unsigned char sha[32];
	uint32_t flags;
	struct stat st;
	int rc = fs_lay_stat(fs, n, &st);

	*f = NULL;
	if (rc)
		return rc;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (n->cls == FS_NODE_IFILE)
		return 0;
	if ((rc = lay_tree(fs, n->layer, &t)) || (rc = ocifs_ltree_data(t, n->id, &x)) ||
	    (rc = ocifs_ltree_file_facts(t, n->id, &flags, sha)))
		return rc;
	/* checked against the index's sha256 as the view's files are */
	return fs_file_open_extent(fs, ocifs_ltree_layer(t), &x,
				   flags & OCIFS_EF_HASHED ? sha : NULL,
				   &fs->layers->slot[n->layer].verdict[n->id], f);
}

int fs_lay_read(struct ocifs_fs *fs, const struct fs_node *n, size_t size, off_t off,
		const char **buf, size_t *len)
{
	const char *p;
	size_t sz;

	if (n->cls != FS_NODE_IFILE)
		return n->cls == FS_NODE_LTREE ? -EINVAL : -EISDIR;
	if (img_file(fs->layers->img, n->doc, &p, &sz))
		return -ENOENT;
	if (off < 0)
		return -EINVAL;
	*buf = p;
	*len = 0;
	if ((uint64_t)off < sz) {
		*buf = p + off;
		*len = sz - (size_t)off < size ? sz - (size_t)off : size;
	}
	return 0;
}

static int tree_xentry(const void *ctx, uint64_t id, uint32_t i, const char **key,
		       const void **val, size_t *len)
{
	return ocifs_ltree_xattr_entry(ctx, id, i, key, val, len);
}

/* The xattr source of n: a tree's entry has its PAX records and the
 * virtual ones of its own layer; the others have none. */
static int lay_xsrc(struct ocifs_fs *fs, const struct fs_node *n, struct fs_xsrc *s)
{
	const struct ocifs_ltree *t;
	struct ocifs_ltree_attr a;
	uint32_t flags;
	int rc;

	memset(s, 0, sizeof(*s));
	s->layer = OCIFS_VIEW_NO_LAYER;
	if (n->cls != FS_NODE_LTREE) {
		struct stat st;
		return fs_lay_stat(fs, n, &st);
	}
	if ((rc = lay_tree(fs, n->layer, &t)) || (rc = ocifs_ltree_getattr(t, n->id, &a)) ||
	    (rc = ocifs_ltree_xattr_count(t, n->id, &s->n)))
		return rc;
	s->entry = tree_xentry;
	s->ctx = t;
	s->id = n->id;
	if (!(a.flags & OCIFS_EF_IMPLICIT))
		s->layer = n->layer;
	if (S_ISREG(a.mode) && ocifs_ltree_file_facts(t, n->id, &flags, s->sha256) == 0)
		s->hashed = !!(flags & OCIFS_EF_HASHED);
	return 0;
}

int fs_lay_xattr_get(struct ocifs_fs *fs, const struct fs_node *n, const char *name,
		     char *scratch, size_t cap, const void **val, size_t *len)
{
	struct fs_xsrc s;
	int rc = lay_xsrc(fs, n, &s);

	return rc ? rc : fs_xattr_src_get(fs, &s, name, scratch, cap, val, len);
}

int fs_lay_xattr_list(struct ocifs_fs *fs, const struct fs_node *n, char **buf, size_t *len)
{
	struct fs_xsrc s;
	int rc = lay_xsrc(fs, n, &s);

	*buf = NULL;
	*len = 0;
	return rc ? rc : fs_xattr_src_list(fs, &s, buf, len);
}
