/* SPDX-License-Identifier: MIT */
/*
 * Building a merged view: replay the layers' indexes bottom to top with
 * the applier semantics of DESIGN §6, then write the flat view file.
 *
 * The build tree has names (ntree.h: parent, name, inode, and the hash
 * on (parent, name) that finds children) and inodes (binode: attributes
 * and data location), so hardlinked names share one inode. Per layer:
 *   1. whiteouts and opaque markers hide what the *lower* layers put there
 *      (applied before the layer's own entries, so they never hide those);
 *   2. the layer's entries are applied in tar order: parents are created
 *      (or a non-directory in the way replaced) as 0755 root dirs, a dir
 *      over a dir merges with the upper metadata, anything else replaces
 *      what was there (with its subtree), hardlinks take their target's
 *      inode, and a later entry for the same path wins.
 * Then names are laid out breadth-first with each directory's children
 * sorted, which numbers the inodes deterministically.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cache.h"
#include "esc.h"
#include "idxdb.h"
#include "log.h"
#include "ntree.h"
#include "view.h"
#include "view_fmt.h"
#include "view_priv.h"

#define NONE OCIFS_NTREE_NONE
_Static_assert(sizeof(struct ocifs_ntree_xattr) == sizeof(struct view_xattr) &&
		       offsetof(struct ocifs_ntree_xattr, key) == offsetof(struct view_xattr, key) &&
		       offsetof(struct ocifs_ntree_xattr, val) == offsetof(struct view_xattr, val) &&
		       offsetof(struct ocifs_ntree_xattr, len) == offsetof(struct view_xattr, len),
	       "the tree's xattrs are written to the view file as they are");

struct binode {
	struct view_inode a;      /* attributes; layout fields filled at write */
	uint32_t nnames;
	int64_t entry_id;
	uint32_t x_first, x_n;    /* build xattr list */
	uint32_t sp_first;        /* build sparse list */
};

struct build {
	struct ocifs_ntree t;     /* names, pool, xattrs, sparse maps */
	struct binode *i;
	size_t ni, icap;
	uint64_t whiteouts, escapes, bad_links;
	uint32_t layer;
};

static int new_inode(struct build *b, uint32_t mode, uint32_t *ino)
{
	OCIFS_GROW(b->i, b->ni, b->icap);
	memset(&b->i[b->ni], 0, sizeof(b->i[b->ni]));
	b->i[b->ni].a.mode = mode;
	b->i[b->ni].a.layer = OCIFS_VIEW_NO_LAYER;
	b->i[b->ni].a.link = 0; /* pool offset 0 is "" */
	*ino = (uint32_t)b->ni++;
	return 0;
}

static int ino_is_dir(const void *owner, uint32_t ino)
{
	const struct build *b = owner;

	return S_ISDIR(b->i[ino].a.mode);
}

/* A directory made for a path's missing part: 0755 root. */
static int implicit_dir(void *owner, uint32_t *ino)
{
	return new_inode(owner, S_IFDIR | 0755, ino);
}

static const struct ocifs_ntree_ops build_ops = { .is_dir = ino_is_dir, .mkdir = implicit_dir };

struct layer_ctx {
	struct build *b;
	struct ocifs_idxdb *db; /* the layer's index, open */
	int pass;       /* 1: whiteouts (not of the bottom layer), 2: entries */
	char path[8192];
};

static int full_path(struct layer_ctx *c, const struct ocifs_entry *e)
{
	int n = *e->dir ? snprintf(c->path, sizeof(c->path), "%s/%s", e->dir, e->name)
			: snprintf(c->path, sizeof(c->path), "%s", e->name);
	return (n < 0 || (size_t)n >= sizeof(c->path)) ? -ENAMETOOLONG : n;
}

static int apply_whiteout(struct layer_ctx *c, const struct ocifs_entry *e)
{
	struct build *b = c->b;
	struct ocifs_ntree *t = &b->t;
	uint32_t dir = *e->dir ? ocifs_ntree_find(t, e->dir) : 0;

	b->whiteouts++;
	if (dir == NONE || !ocifs_ntree_is_dir(t, dir))
		return 0; /* nothing below to hide */
	if (strcmp(e->name, ".wh..wh..opq") == 0) {
		while (t->n[dir].first_child != NONE)
			ocifs_ntree_remove(t, t->n[dir].first_child);
		return 0;
	}
	if (strncmp(e->name, ".wh..wh.", 8) == 0)
		return 0; /* other reserved metadata: ignored */
	const char *victim = e->name + 4;
	uint32_t v = ocifs_ntree_child(t, dir, victim, strlen(victim));
	if (v != NONE)
		ocifs_ntree_remove(t, v);
	return 0;
}

static int set_attrs(struct layer_ctx *c, uint32_t ino, const struct ocifs_entry *e)
{
	struct build *b = c->b;
	struct binode *bi = &b->i[ino];
	uint32_t type = ocifs_tar_mode(e->type);
	int rc;

	bi->a.mode = type | (e->mode & 07777);
	bi->a.uid = e->uid;
	bi->a.gid = e->gid;
	bi->a.mtime_ns = e->mtime_ns;
	bi->a.layer = b->layer;
	bi->entry_id = e->id;
	bi->a.size = 0;
	bi->a.nsparse = 0;
	bi->a.eflags = 0;
	bi->x_n = 0;
	if (S_ISREG(type)) {
		bi->a.size = e->size;
		bi->a.data_off = e->data_off;
		bi->a.data_len = e->data_len;
		bi->a.eflags = e->flags & (OCIFS_EF_ELF | OCIFS_EF_ZIP | OCIFS_EF_SCRIPT |
					   OCIFS_EF_HASHED);
		if (e->flags & OCIFS_EF_HASHED)
			memcpy(bi->a.sha256, e->sha256, sizeof(bi->a.sha256));
		if (e->nsparse) {
			if ((rc = ocifs_ntree_sparse(&b->t, e->sparse, e->nsparse, &bi->sp_first)))
				return rc;
			bi->a.nsparse = (uint32_t)e->nsparse;
		}
	} else if (S_ISLNK(type)) {
		const char *t = e->link ? e->link : "";
		if ((rc = ocifs_ntree_str(&b->t, t, strlen(t), &bi->a.link)))
			return rc;
		bi->a.size = strlen(t);
	} else if (S_ISCHR(type) || S_ISBLK(type)) {
		bi->a.rdev = makedev(e->devmajor, e->devminor);
	}
	if (e->flags & OCIFS_EF_XATTR) {
		rc = ocifs_ntree_xattrs(&b->t, c->db, e->id, &bi->x_first); /* db open */
		if (rc)
			return rc;
		bi->x_n = (uint32_t)(b->t.nx - bi->x_first);
	}
	return 0;
}

static int apply_entry(struct layer_ctx *c, const struct ocifs_entry *e)
{
	struct build *b = c->b;
	struct ocifs_ntree *t = &b->t;
	uint32_t parent, cur, ino, id;
	int rc, plen;

	if (!*e->dir && !*e->name) { /* the layer's "./" entry: root metadata */
		if (e->type == '5' && !(e->flags & OCIFS_EF_IMPLICIT))
			return set_attrs(c, t->n[0].ino, e);
		return 0;
	}
	/* missing parents: 0755 root dirs; non-directories in the way replaced */
	if ((rc = ocifs_ntree_dir(t, e->dir, strlen(e->dir), 1, &parent)))
		return rc;
	cur = ocifs_ntree_child(t, parent, e->name, strlen(e->name));
	if (e->type == '1') {
		if ((plen = full_path(c, e)) < 0)
			return plen;
		uint32_t tg = e->link ? ocifs_ntree_find(t, e->link) : NONE;
		if (tg == NONE || ocifs_ntree_is_dir(t, tg)) {
			char *ep = NULL, *el = NULL; /* tar names: untrusted bytes */
			ocifs_esc_name(c->path, &ep);
			ocifs_esc_name(e->link ? e->link : "?", &el);
			log_warn("layer %u: hardlink %s -> %s: no such file; skipped", b->layer + 1,
				 ep ? ep : "?", el ? el : "?");
			free(ep);
			free(el);
			b->bad_links++;
			return 0;
		}
		if (cur == tg)
			return 0;
		ino = t->n[tg].ino;
		if (cur != NONE)
			ocifs_ntree_remove(t, cur);
		return ocifs_ntree_add(t, parent, e->name, strlen(e->name), ino, &id);
	}
	uint32_t type = ocifs_tar_mode(e->type);
	if (!type) {
		char *ep = NULL;
		if ((plen = full_path(c, e)) >= 0 && !ocifs_esc_name(c->path, &ep))
			log_warn("layer %u: %s: tar type '%c' not supported; skipped", b->layer + 1,
				 ep, e->type);
		free(ep);
		return 0;
	}
	if (S_ISDIR(type) && cur != NONE && ocifs_ntree_is_dir(t, cur)) {
		if (e->flags & OCIFS_EF_IMPLICIT)
			return 0; /* not in the tar: keep the lower metadata */
		return set_attrs(c, t->n[cur].ino, e);
	}
	if (cur != NONE)
		ocifs_ntree_remove(t, cur);
	if ((rc = new_inode(b, type | 0755, &ino)) ||
	    (rc = ocifs_ntree_add(t, parent, e->name, strlen(e->name), ino, &id)))
		return rc;
	if (e->flags & OCIFS_EF_IMPLICIT)
		return 0; /* a new implicit dir: 0755 root */
	return set_attrs(c, ino, e);
}

static int layer_cb(void *ctx, const struct ocifs_entry *e)
{
	struct layer_ctx *c = ctx;
	int wh = strncmp(e->name, ".wh.", 4) == 0;

	if (c->pass == 1)
		return wh ? apply_whiteout(c, e) : 0;
	if (wh && c->b->layer == 0) /* the bottom layer's: nothing below */
		c->b->whiteouts++;
	return wh ? 0 : apply_entry(c, e);
}

static void build_free(struct build *b)
{
	ocifs_ntree_fini(&b->t);
	free(b->i);
}

static int cmp_names(const void *a, const void *b, void *pool)
{
	const struct ocifs_ntree_node *x = *(const struct ocifs_ntree_node *const *)a;
	const struct ocifs_ntree_node *y = *(const struct ocifs_ntree_node *const *)b;

	return strcmp((const char *)pool + x->name, (const char *)pool + y->name);
}

/* Lay the tree out breadth-first into one malloc'd view file image. */
static int write_view(struct build *b, size_t nlayers, const unsigned char key[32], void **out,
		      size_t *out_len)
{
	const struct ocifs_ntree *t = &b->t;
	struct view_hdr h = { 0 };
	struct view_inode *ino = NULL;
	struct view_dirent *de = NULL;
	const struct ocifs_ntree_node **kids = NULL;
	uint32_t *newino = NULL, *queue = NULL;
	size_t nde = 0, nino = 0, qh = 0, qt = 0;
	int rc = -ENOMEM;
	char *buf = NULL;

	newino = malloc(b->ni * sizeof(*newino));
	ino = calloc(b->ni, sizeof(*ino));
	de = calloc(t->nn + 1, sizeof(*de));
	queue = malloc((t->nn + 1) * sizeof(*queue));
	kids = malloc((t->nn + 1) * sizeof(*kids));
	if (!newino || !ino || !de || !queue || !kids)
		goto out;
	for (size_t k = 0; k < b->ni; k++)
		newino[k] = NONE;
	/* root */
	newino[t->n[0].ino] = 0;
	ino[0] = b->i[t->n[0].ino].a;
	ino[0].name = 0;
	ino[0].parent = 0;
	nino = 1;
	de[0] = (struct view_dirent){ .name = 0, .ino = 0 }; /* placeholder for root */
	nde = 1;
	queue[qt++] = 0;
	while (qh < qt) {
		uint32_t dn = queue[qh++], dino = newino[t->n[dn].ino];
		size_t nk = 0;
		for (uint32_t c = t->n[dn].first_child; c != NONE; c = t->n[c].next)
			kids[nk++] = &t->n[c];
		qsort_r(kids, nk, sizeof(*kids), cmp_names, t->pool);
		ino[dino].first_child = (uint32_t)nde;
		ino[dino].nchildren = (uint32_t)nk;
		uint32_t subdirs = 0;
		for (size_t k = 0; k < nk; k++) {
			uint32_t bi = kids[k]->ino, id = (uint32_t)(kids[k] - t->n);
			if (newino[bi] == NONE) {
				newino[bi] = (uint32_t)nino;
				ino[nino] = b->i[bi].a;
				ino[nino].name = (uint32_t)nde;
				ino[nino].parent = dino;
				ino[nino].xattr = b->i[bi].x_first;
				ino[nino].nxattr = b->i[bi].x_n;
				ino[nino].sparse = b->i[bi].sp_first;
				ino[nino].nlink = 0;
				nino++;
			}
			ino[newino[bi]].nlink++;
			de[nde++] = (struct view_dirent){ .name = kids[k]->name, .ino = newino[bi] };
			if (S_ISDIR(b->i[bi].a.mode)) {
				subdirs++;
				queue[qt++] = id;
			}
		}
		ino[dino].nlink = 2 + subdirs;
	}
	ino[0].xattr = b->i[t->n[0].ino].x_first;
	ino[0].nxattr = b->i[t->n[0].ino].x_n;
	/* pad the pool so the next section stays 8-byte aligned */
	size_t pool_size = (t->plen + 8) & ~(size_t)7;
	memcpy(h.magic, VIEW_MAGIC, 8);
	h.version = VIEW_VERSION;
	h.nlayers = (uint32_t)nlayers;
	h.ninodes = nino;
	h.ndirents = nde;
	h.nsparse = t->nsp;
	h.nxattrs = t->nx;
	h.pool_size = pool_size;
	h.off_inodes = sizeof(h);
	h.off_dirents = h.off_inodes + nino * sizeof(*ino);
	h.off_sparse = h.off_dirents + nde * sizeof(*de);
	h.off_xattrs = h.off_sparse + t->nsp * sizeof(struct ocifs_sparse);
	h.off_pool = h.off_xattrs + t->nx * sizeof(struct view_xattr);
	h.file_size = h.off_pool + pool_size;
	h.whiteouts = b->whiteouts;
	h.escapes = b->escapes;
	h.bad_links = b->bad_links;
	memcpy(h.key, key, 32);
	buf = calloc(1, h.file_size);
	if (!buf)
		goto out;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + h.off_inodes, ino, nino * sizeof(*ino));
	memcpy(buf + h.off_dirents, de, nde * sizeof(*de));
	if (t->nsp)
		memcpy(buf + h.off_sparse, t->sp, t->nsp * sizeof(struct ocifs_sparse));
	if (t->nx)
		memcpy(buf + h.off_xattrs, t->x, t->nx * sizeof(struct view_xattr));
	if (t->plen)
		memcpy(buf + h.off_pool, t->pool, t->plen);
	*out = buf;
	*out_len = h.file_size;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	free(newino);
	free(ino);
	free(de);
	free(queue);
	free(kids);
	return rc;
}

int ocifs_view_build(struct ocifs_image *img, struct ocifs_layer **layers, size_t nlayers,
		     const unsigned char key[32], void **out, size_t *out_len)
{
	struct build b = { 0 };
	struct layer_ctx *c = NULL;
	uint32_t root_ino, root;
	uint32_t empty;
	int rc;

	ocifs_ntree_init(&b.t, &build_ops, &b);
	if ((rc = ocifs_ntree_str(&b.t, "", 0, &empty)) ||
	    (rc = new_inode(&b, S_IFDIR | 0755, &root_ino)) ||
	    (rc = ocifs_ntree_add(&b.t, NONE, "", 0, root_ino, &root)))
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	c->b = &b;
	for (size_t i = 0; i < nlayers && i < img->nlayers; i++) {
		struct ocifs_layer_open_info li;
		ocifs_layer_open_info(layers[i], &li);
		b.layer = (uint32_t)i;
		b.escapes += li.skipped;
		rc = ocifs_layer_db(layers[i], &c->db); /* checked, rebuilt if bad */
		/* Whiteouts hide what the layers below put there: the bottom
		 * layer's hide nothing (pass 2 counts them). The others' come
		 * from a query of them alone, not a second walk of the rows. */
		c->pass = 1;
		if (!rc && i > 0)
			rc = ocifs_idxdb_foreach_whiteout(c->db, layer_cb, c);
		c->pass = 2;
		if (!rc)
			rc = ocifs_idxdb_foreach(c->db, layer_cb, c);
		ocifs_layer_db_close(layers[i]); /* one connection at a time */
		if (rc)
			goto out;
	}
	rc = write_view(&b, nlayers < img->nlayers ? nlayers : img->nlayers, key, out, out_len);
out:
	free(c);
	build_free(&b);
	return rc;
}
