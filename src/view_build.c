/* SPDX-License-Identifier: MIT */
/*
 * Building a merged view: replay the layers' indexes bottom to top with
 * the applier semantics of DESIGN §6, then write the flat view file.
 *
 * The build tree has names (bnode: parent, name, inode) and inodes
 * (binode: attributes and data location), so hardlinked names share one
 * inode. A hash on (parent, name) finds children. Per layer:
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
#include "hashtab.h"
#include "idxdb.h"
#include "log.h"
#include "view.h"
#include "view_fmt.h"
#include "view_priv.h"

#define NONE UINT32_MAX
_Static_assert(NONE == OCIFS_HTAB_NONE, "child_find() returns the table's NONE");

struct bnode {
	uint32_t parent, name, ino;
	uint32_t first_child, next, prev; /* sibling list (unsorted) */
	uint32_t dead;
};

struct binode {
	struct view_inode a;      /* attributes; layout fields filled at write */
	uint32_t nnames;
	int64_t entry_id;
	uint32_t x_first, x_n;    /* build xattr list */
	uint32_t sp_first;        /* build sparse list */
};

struct build {
	struct bnode *n;
	size_t nn, ncap;
	struct binode *i;
	size_t ni, icap;
	char *pool;
	size_t plen, pcap;
	struct ocifs_htab ht;     /* (parent, name) -> bnode index */
	struct view_xattr *x;
	size_t nx, xcap;
	struct ocifs_sparse *sp;
	size_t nsp, spcap;
	uint64_t whiteouts, escapes, bad_links;
	uint32_t layer;
};

#define GROW(arr, n, cap)                                                        \
	do {                                                                     \
		if ((n) == (cap)) {                                              \
			size_t nc_ = (cap) ? (cap) * 2 : 256;                    \
			void *p_ = realloc((arr), nc_ * sizeof(*(arr)));        \
			if (!p_)                                                 \
				return -ENOMEM;                                  \
			(arr) = p_;                                              \
			(cap) = nc_;                                             \
		}                                                                \
	} while (0)

static int pool_add(struct build *b, const void *s, size_t len, uint32_t *off)
{
	if (b->plen + len + 1 > UINT32_MAX)
		return -EFBIG;
	if (b->plen + len + 1 > b->pcap) {
		size_t nc = b->pcap ? b->pcap * 2 : 65536;
		while (nc < b->plen + len + 1)
			nc *= 2;
		char *p = realloc(b->pool, nc);
		if (!p)
			return -ENOMEM;
		b->pool = p;
		b->pcap = nc;
	}
	if (len)
		memcpy(b->pool + b->plen, s, len);
	b->pool[b->plen + len] = '\0';
	*off = (uint32_t)b->plen;
	b->plen += len + 1;
	return 0;
}

static uint64_t hkey(uint32_t parent, const char *name, size_t len)
{
	return ocifs_fnv1a_seed(OCIFS_FNV1A_INIT ^ parent, name, len);
}

struct child_key {
	const struct build *b;
	uint32_t parent;
	const char *name;
	size_t len;
};

static int child_eq(const void *ctx, uint32_t id)
{
	const struct child_key *k = ctx;
	const struct bnode *nd = &k->b->n[id];
	const char *nm = k->b->pool + nd->name;

	return nd->parent == k->parent && strncmp(nm, k->name, k->len) == 0 && nm[k->len] == '\0';
}

/* Find child `name` (len bytes) of bnode parent: index or NONE. */
static uint32_t child_find(const struct build *b, uint32_t parent, const char *name, size_t len)
{
	struct child_key k = { b, parent, name, len };

	return ocifs_htab_find(&b->ht, hkey(parent, name, len), child_eq, &k);
}

static void hash_del(struct build *b, uint32_t id)
{
	const char *nm = b->pool + b->n[id].name;

	if (b->n[id].parent != NONE)
		(void)ocifs_htab_del(&b->ht, hkey(b->n[id].parent, nm, strlen(nm)), id);
}

static int new_inode(struct build *b, uint32_t mode, uint32_t *ino)
{
	GROW(b->i, b->ni, b->icap);
	memset(&b->i[b->ni], 0, sizeof(b->i[b->ni]));
	b->i[b->ni].a.mode = mode;
	b->i[b->ni].a.layer = OCIFS_VIEW_NO_LAYER;
	b->i[b->ni].a.link = 0; /* pool offset 0 is "" */
	*ino = (uint32_t)b->ni++;
	return 0;
}

/* A new name under parent pointing at ino. */
static int new_name(struct build *b, uint32_t parent, const char *name, size_t len, uint32_t ino,
		    uint32_t *out)
{
	uint32_t off, id;
	int rc;

	GROW(b->n, b->nn, b->ncap);
	if ((rc = pool_add(b, name, len, &off)))
		return rc;
	id = (uint32_t)b->nn;
	if (parent != NONE &&
	    (rc = ocifs_htab_add(&b->ht, hkey(parent, name, len), id, NULL, NULL, NULL)) < 0)
		return rc;
	b->nn++;
	b->n[id] = (struct bnode){ .parent = parent, .name = off, .ino = ino,
				   .first_child = NONE, .next = NONE, .prev = NONE };
	if (parent != NONE) {
		struct bnode *p = &b->n[parent];
		b->n[id].next = p->first_child;
		if (p->first_child != NONE)
			b->n[p->first_child].prev = id;
		p->first_child = id;
	}
	*out = id;
	return 0;
}

/* Remove a name and, for a directory, everything below it. */
static void remove_name(struct build *b, uint32_t id)
{
	struct bnode *nd = &b->n[id];

	while (nd->first_child != NONE)
		remove_name(b, nd->first_child);
	hash_del(b, id);
	if (nd->prev != NONE)
		b->n[nd->prev].next = nd->next;
	else if (nd->parent != NONE)
		b->n[nd->parent].first_child = nd->next;
	if (nd->next != NONE)
		b->n[nd->next].prev = nd->prev;
	nd->dead = 1;
	nd->first_child = nd->next = nd->prev = NONE;
}

static int is_dir(const struct build *b, uint32_t id)
{
	return S_ISDIR(b->i[b->n[id].ino].a.mode);
}

/* The directory at path (normalized, len bytes), creating missing parts as
 * 0755 root dirs and replacing non-directories in the way. */
static int ensure_dir(struct build *b, const char *path, size_t len, uint32_t *out)
{
	uint32_t cur = 0, ino;
	size_t k = 0;
	int rc;

	while (k < len) {
		size_t e = k;
		while (e < len && path[e] != '/')
			e++;
		uint32_t c = child_find(b, cur, path + k, e - k);
		if (c != NONE && !is_dir(b, c)) {
			remove_name(b, c);
			c = NONE;
		}
		if (c == NONE) {
			if ((rc = new_inode(b, S_IFDIR | 0755, &ino)) ||
			    (rc = new_name(b, cur, path + k, e - k, ino, &c)))
				return rc;
		}
		cur = c;
		k = e + 1;
	}
	*out = cur;
	return 0;
}

/* The name at a normalized path, or NONE (no symlinks followed). */
static uint32_t find_path(const struct build *b, const char *path)
{
	uint32_t cur = 0;

	while (*path && cur != NONE) {
		const char *e = strchr(path, '/');
		size_t len = e ? (size_t)(e - path) : strlen(path);
		if (!is_dir(b, cur))
			return NONE;
		cur = child_find(b, cur, path, len);
		path += len + (e ? 1 : 0);
	}
	return cur;
}

struct layer_ctx {
	struct build *b;
	struct ocifs_idxdb *db; /* the layer's index, open */
	int pass;       /* 1: whiteouts, 2: entries */
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
	uint32_t dir = *e->dir ? find_path(b, e->dir) : 0;

	b->whiteouts++;
	if (dir == NONE || !is_dir(b, dir))
		return 0; /* nothing below to hide */
	if (strcmp(e->name, ".wh..wh..opq") == 0) {
		while (b->n[dir].first_child != NONE)
			remove_name(b, b->n[dir].first_child);
		return 0;
	}
	if (strncmp(e->name, ".wh..wh.", 8) == 0)
		return 0; /* other reserved metadata: ignored */
	const char *victim = e->name + 4;
	uint32_t v = child_find(b, dir, victim, strlen(victim));
	if (v != NONE)
		remove_name(b, v);
	return 0;
}

static int copy_xattrs_cb(void *ctx, const char *key, const void *val, size_t len)
{
	struct build *b = ctx;
	uint32_t k, v;
	int rc;

	GROW(b->x, b->nx, b->xcap);
	if ((rc = pool_add(b, key, strlen(key), &k)) || (rc = pool_add(b, val, len, &v)))
		return rc;
	b->x[b->nx++] = (struct view_xattr){ .key = k, .val = v, .len = (uint32_t)len };
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
			bi->sp_first = (uint32_t)b->nsp;
			for (size_t k = 0; k < e->nsparse; k++) {
				GROW(b->sp, b->nsp, b->spcap);
				b->sp[b->nsp++] = e->sparse[k];
			}
			bi->a.nsparse = (uint32_t)e->nsparse;
		}
	} else if (S_ISLNK(type)) {
		const char *t = e->link ? e->link : "";
		if ((rc = pool_add(b, t, strlen(t), &bi->a.link)))
			return rc;
		bi->a.size = strlen(t);
	} else if (S_ISCHR(type) || S_ISBLK(type)) {
		bi->a.rdev = makedev(e->devmajor, e->devminor);
	}
	if (e->flags & OCIFS_EF_XATTR) {
		bi->x_first = (uint32_t)b->nx;
		rc = ocifs_idxdb_xattrs(c->db, e->id, copy_xattrs_cb, b); /* open */
		if (rc)
			return rc;
		bi = &b->i[ino]; /* no realloc of i here, but stay safe */
		bi->x_n = (uint32_t)(b->nx - bi->x_first);
	}
	return 0;
}

static int apply_entry(struct layer_ctx *c, const struct ocifs_entry *e)
{
	struct build *b = c->b;
	uint32_t parent, cur, ino, id;
	int rc, plen;

	if (!*e->dir && !*e->name) { /* the layer's "./" entry: root metadata */
		if (e->type == '5' && !(e->flags & OCIFS_EF_IMPLICIT))
			return set_attrs(c, b->n[0].ino, e);
		return 0;
	}
	if ((rc = ensure_dir(b, e->dir, strlen(e->dir), &parent)))
		return rc;
	cur = child_find(b, parent, e->name, strlen(e->name));
	if (e->type == '1') {
		if ((plen = full_path(c, e)) < 0)
			return plen;
		uint32_t t = e->link ? find_path(b, e->link) : NONE;
		if (t == NONE || is_dir(b, t)) {
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
		if (cur == t)
			return 0;
		ino = b->n[t].ino;
		if (cur != NONE)
			remove_name(b, cur);
		return new_name(b, parent, e->name, strlen(e->name), ino, &id);
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
	if (S_ISDIR(type) && cur != NONE && is_dir(b, cur)) {
		if (e->flags & OCIFS_EF_IMPLICIT)
			return 0; /* not in the tar: keep the lower metadata */
		return set_attrs(c, b->n[cur].ino, e);
	}
	if (cur != NONE)
		remove_name(b, cur);
	if ((rc = new_inode(b, type | 0755, &ino)) ||
	    (rc = new_name(b, parent, e->name, strlen(e->name), ino, &id)))
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
	return wh ? 0 : apply_entry(c, e);
}

static void build_free(struct build *b)
{
	free(b->n);
	free(b->i);
	free(b->pool);
	ocifs_htab_fini(&b->ht);
	free(b->x);
	free(b->sp);
}

static int cmp_names(const void *a, const void *b, void *pool)
{
	const struct bnode *x = *(const struct bnode *const *)a, *y = *(const struct bnode *const *)b;
	return strcmp((const char *)pool + x->name, (const char *)pool + y->name);
}

/* Lay the tree out breadth-first into one malloc'd view file image. */
static int write_view(struct build *b, size_t nlayers, const unsigned char key[32], void **out,
		      size_t *out_len)
{
	struct view_hdr h = { 0 };
	struct view_inode *ino = NULL;
	struct view_dirent *de = NULL;
	struct bnode **kids = NULL;
	uint32_t *newino = NULL, *queue = NULL;
	size_t nde = 0, nino = 0, qh = 0, qt = 0;
	int rc = -ENOMEM;
	char *buf = NULL;

	newino = malloc(b->ni * sizeof(*newino));
	ino = calloc(b->ni, sizeof(*ino));
	de = calloc(b->nn + 1, sizeof(*de));
	queue = malloc((b->nn + 1) * sizeof(*queue));
	kids = malloc((b->nn + 1) * sizeof(*kids));
	if (!newino || !ino || !de || !queue || !kids)
		goto out;
	for (size_t k = 0; k < b->ni; k++)
		newino[k] = NONE;
	/* root */
	newino[b->n[0].ino] = 0;
	ino[0] = b->i[b->n[0].ino].a;
	ino[0].name = 0;
	ino[0].parent = 0;
	nino = 1;
	de[0] = (struct view_dirent){ .name = 0, .ino = 0 }; /* placeholder for root */
	nde = 1;
	queue[qt++] = 0;
	while (qh < qt) {
		uint32_t dn = queue[qh++], dino = newino[b->n[dn].ino];
		size_t nk = 0;
		for (uint32_t c = b->n[dn].first_child; c != NONE; c = b->n[c].next)
			kids[nk++] = &b->n[c];
		qsort_r(kids, nk, sizeof(*kids), cmp_names, b->pool);
		ino[dino].first_child = (uint32_t)nde;
		ino[dino].nchildren = (uint32_t)nk;
		uint32_t subdirs = 0;
		for (size_t k = 0; k < nk; k++) {
			uint32_t bi = kids[k]->ino, id = (uint32_t)(kids[k] - b->n);
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
	ino[0].xattr = b->i[b->n[0].ino].x_first;
	ino[0].nxattr = b->i[b->n[0].ino].x_n;
	/* pad the pool so the next section stays 8-byte aligned */
	size_t pool_size = (b->plen + 8) & ~(size_t)7;
	memcpy(h.magic, VIEW_MAGIC, 8);
	h.version = VIEW_VERSION;
	h.nlayers = (uint32_t)nlayers;
	h.ninodes = nino;
	h.ndirents = nde;
	h.nsparse = b->nsp;
	h.nxattrs = b->nx;
	h.pool_size = pool_size;
	h.off_inodes = sizeof(h);
	h.off_dirents = h.off_inodes + nino * sizeof(*ino);
	h.off_sparse = h.off_dirents + nde * sizeof(*de);
	h.off_xattrs = h.off_sparse + b->nsp * sizeof(struct ocifs_sparse);
	h.off_pool = h.off_xattrs + b->nx * sizeof(struct view_xattr);
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
	if (b->nsp)
		memcpy(buf + h.off_sparse, b->sp, b->nsp * sizeof(struct ocifs_sparse));
	if (b->nx)
		memcpy(buf + h.off_xattrs, b->x, b->nx * sizeof(struct view_xattr));
	if (b->plen)
		memcpy(buf + h.off_pool, b->pool, b->plen);
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

	if ((rc = pool_add(&b, "", 0, &empty)) || (rc = new_inode(&b, S_IFDIR | 0755, &root_ino)) ||
	    (rc = new_name(&b, NONE, "", 0, root_ino, &root)))
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
		for (c->pass = 1; c->pass <= 2 && !rc; c->pass++)
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
