/* SPDX-License-Identifier: MIT */
/*
 * One layer's own tree (see ltree.h): built in one pass over the layer's
 * index rows in tar order, then laid out (link counts, each directory's
 * children sorted) and never changed again.
 *
 * Names (lt_node: parent, name, inode) and inodes (lt_ino, indexed by
 * the row id) are kept apart, so hard-linked names share one inode. A
 * hash on (parent node, name) finds children, during the build and
 * after it; the sibling lists are only for removing a replaced subtree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "hashtab.h"
#include "idxdb.h"
#include "log.h"
#include "ltree.h"
#include "tar.h"
#include "view.h"

#define NONE UINT32_MAX
/* During the build, inodes from SYN up are the made-up directories (row
 * ids stay below OCIFS_HTAB_MAX); afterwards they follow the last row. */
#define SYN (1u << 31)
_Static_assert(OCIFS_HTAB_MAX <= SYN, "row ids stay below SYN");
_Static_assert(NONE == OCIFS_HTAB_NONE, "child_find() returns the table's NONE");

struct lt_node {
	uint32_t parent;        /* node, NONE for the root */
	uint32_t name;          /* pool offset */
	uint32_t ino;           /* inode id */
	uint32_t first_child, next, prev; /* build: sibling list (unsorted) */
	uint32_t kfirst, kn;    /* after: a directory's children in kids[] */
	uint32_t dead;
};

struct lt_ino {
	uint32_t mode;          /* 0: not an inode (yet) */
	uint32_t nlink;         /* after the build; 0: no name reaches it */
	uint64_t uid, gid;
	int64_t mtime_ns;
	uint64_t size, data_off, data_len;
	uint32_t devmajor, devminor;
	uint32_t link;          /* symlink target: pool offset */
	uint32_t node;          /* a directory's one name */
	uint32_t sp_first, nsp; /* sparse map in sp[] */
	uint32_t x_first, nx;   /* xattrs in x[] */
	uint32_t flags;         /* OCIFS_EF_* of its row */
	unsigned char sha256[32];
};

struct lt_xattr {
	uint32_t key, val, len; /* pool offsets; val is len bytes */
};

struct ocifs_ltree {
	struct ocifs_layer *layer;
	struct lt_node *n;
	size_t nn, ncap;
	struct lt_ino *i;       /* by id: 0 root, 1..rows, then made-up dirs */
	size_t ni, icap;
	struct lt_ino *syn;     /* build: made-up dirs, inode SYN + k */
	size_t nsyn, syncap;
	uint32_t *kids;         /* live names but the root, by (parent, name) */
	size_t nkids;
	char *pool;
	size_t plen, pcap;
	struct ocifs_htab ht;   /* (parent, name) -> node */
	struct lt_xattr *x;
	size_t nx, xcap;
	struct ocifs_sparse *sp;
	size_t nsp, spcap;
	struct ocifs_idxdb *db; /* during the build */
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

static int pool_add(struct ocifs_ltree *t, const void *s, size_t len, uint32_t *off)
{
	if (t->plen + len + 1 > UINT32_MAX)
		return -E2BIG;
	if (t->plen + len + 1 > t->pcap) {
		size_t nc = t->pcap ? t->pcap * 2 : 65536;
		while (nc < t->plen + len + 1)
			nc *= 2;
		char *p = realloc(t->pool, nc);
		if (!p)
			return -ENOMEM;
		t->pool = p;
		t->pcap = nc;
	}
	if (len)
		memcpy(t->pool + t->plen, s, len);
	t->pool[t->plen + len] = '\0';
	*off = (uint32_t)t->plen;
	t->plen += len + 1;
	return 0;
}

static struct lt_ino *ino_at(const struct ocifs_ltree *t, uint32_t ino)
{
	return ino >= SYN ? &t->syn[ino - SYN] : &t->i[ino];
}

static uint64_t hkey(uint32_t parent, const char *name, size_t len)
{
	return ocifs_fnv1a_seed(OCIFS_FNV1A_INIT ^ parent, name, len);
}

struct child_key {
	const struct ocifs_ltree *t;
	uint32_t parent;
	const char *name;
	size_t len;
};

static int child_eq(const void *ctx, uint32_t id)
{
	const struct child_key *k = ctx;
	const struct lt_node *nd = &k->t->n[id];
	const char *nm = k->t->pool + nd->name;

	return nd->parent == k->parent && strncmp(nm, k->name, k->len) == 0 && nm[k->len] == '\0';
}

static uint32_t child_find(const struct ocifs_ltree *t, uint32_t parent, const char *name,
			   size_t len)
{
	struct child_key k = { t, parent, name, len };

	return ocifs_htab_find(&t->ht, hkey(parent, name, len), child_eq, &k);
}

static int is_dir(const struct ocifs_ltree *t, uint32_t node)
{
	return S_ISDIR(ino_at(t, t->n[node].ino)->mode);
}

/* A new name under parent for inode ino. */
static int new_name(struct ocifs_ltree *t, uint32_t parent, const char *name, size_t len,
		    uint32_t ino, uint32_t *out)
{
	uint32_t off, id;
	int rc;

	if (t->nn >= OCIFS_HTAB_MAX)
		return -E2BIG;
	GROW(t->n, t->nn, t->ncap);
	if ((rc = pool_add(t, name, len, &off)))
		return rc;
	id = (uint32_t)t->nn;
	if (parent != NONE &&
	    (rc = ocifs_htab_add(&t->ht, hkey(parent, name, len), id, NULL, NULL, NULL)) < 0)
		return rc;
	t->nn++;
	t->n[id] = (struct lt_node){ .parent = parent, .name = off, .ino = ino,
				     .first_child = NONE, .next = NONE, .prev = NONE };
	if (parent != NONE) {
		struct lt_node *p = &t->n[parent];
		t->n[id].next = p->first_child;
		if (p->first_child != NONE)
			t->n[p->first_child].prev = id;
		p->first_child = id;
	}
	if (S_ISDIR(ino_at(t, ino)->mode))
		ino_at(t, ino)->node = id;
	*out = id;
	return 0;
}

/* Remove a name and, for a directory, everything below it. */
static void remove_name(struct ocifs_ltree *t, uint32_t id)
{
	struct lt_node *nd = &t->n[id];
	const char *nm = t->pool + nd->name;

	while (nd->first_child != NONE)
		remove_name(t, nd->first_child);
	if (nd->parent != NONE)
		(void)ocifs_htab_del(&t->ht, hkey(nd->parent, nm, strlen(nm)), id);
	if (nd->prev != NONE)
		t->n[nd->prev].next = nd->next;
	else if (nd->parent != NONE)
		t->n[nd->parent].first_child = nd->next;
	if (nd->next != NONE)
		t->n[nd->next].prev = nd->prev;
	nd->dead = 1;
	nd->first_child = nd->next = nd->prev = NONE;
}

/* An inode for a directory no row describes (yet). */
static int made_up_dir(struct ocifs_ltree *t, uint32_t *ino)
{
	if (t->nsyn >= OCIFS_HTAB_MAX)
		return -E2BIG;
	GROW(t->syn, t->nsyn, t->syncap);
	t->syn[t->nsyn] = (struct lt_ino){ .mode = S_IFDIR | 0755, .size = OCIFS_VIEW_DIR_SIZE,
					   .flags = OCIFS_EF_IMPLICIT };
	*ino = SYN + (uint32_t)t->nsyn++;
	return 0;
}

/* The directory at path (normalized, len bytes). With make, missing
 * parts are made (0755 root, until their row comes) and non-directories
 * in the way replaced, as the merged view does; without, NONE if any
 * part is missing. */
static int walk_dir(struct ocifs_ltree *t, const char *path, size_t len, int make, uint32_t *out)
{
	uint32_t cur = 0, ino;
	size_t k = 0;
	int rc;

	while (k < len) {
		size_t e = k;
		while (e < len && path[e] != '/')
			e++;
		if (e == k || (e - k == 1 && path[k] == '.') ||
		    (e - k == 2 && path[k] == '.' && path[k + 1] == '.')) {
			*out = NONE; /* not normalized: a damaged index */
			return 0;
		}
		uint32_t c = child_find(t, cur, path + k, e - k);
		if (c != NONE && !is_dir(t, c)) {
			if (!make) {
				*out = NONE;
				return 0;
			}
			remove_name(t, c);
			c = NONE;
		}
		if (c == NONE) {
			if (!make) {
				*out = NONE;
				return 0;
			}
			if ((rc = made_up_dir(t, &ino)) ||
			    (rc = new_name(t, cur, path + k, e - k, ino, &c)))
				return rc;
		}
		cur = c;
		k = e + 1;
	}
	*out = cur;
	return 0;
}

static uint32_t find_path(const struct ocifs_ltree *t, const char *path)
{
	uint32_t cur = 0;

	while (*path && cur != NONE) {
		const char *e = strchr(path, '/');
		size_t len = e ? (size_t)(e - path) : strlen(path);
		if (!is_dir(t, cur))
			return NONE;
		cur = child_find(t, cur, path, len);
		path += len + (e ? 1 : 0);
	}
	return cur;
}

static int copy_xattr(void *ctx, const char *key, const void *val, size_t len)
{
	struct ocifs_ltree *t = ctx;
	uint32_t k, v;
	int rc;

	if (len > UINT32_MAX)
		return -E2BIG;
	GROW(t->x, t->nx, t->xcap);
	if ((rc = pool_add(t, key, strlen(key), &k)) || (rc = pool_add(t, val, len, &v)))
		return rc;
	t->x[t->nx++] = (struct lt_xattr){ .key = k, .val = v, .len = (uint32_t)len };
	return 0;
}

/* Inode `ino` takes the attributes of row e. */
static int set_attrs(struct ocifs_ltree *t, uint32_t ino, const struct ocifs_entry *e)
{
	struct lt_ino *a = &t->i[ino];
	uint32_t type = ocifs_tar_mode(e->type);
	int rc;

	*a = (struct lt_ino){ .mode = type | (e->mode & 07777), .uid = e->uid, .gid = e->gid,
			      .mtime_ns = e->mtime_ns, .flags = e->flags, .node = a->node };
	if (S_ISREG(type)) {
		a->size = e->size;
		a->data_off = e->data_off;
		a->data_len = e->data_len;
		if (e->flags & OCIFS_EF_HASHED)
			memcpy(a->sha256, e->sha256, sizeof(a->sha256));
		if (e->nsparse > UINT32_MAX - t->nsp)
			return -E2BIG;
		a->sp_first = (uint32_t)t->nsp;
		for (size_t k = 0; k < e->nsparse; k++) {
			GROW(t->sp, t->nsp, t->spcap);
			t->sp[t->nsp++] = e->sparse[k];
		}
		a = &t->i[ino];
		a->nsp = (uint32_t)e->nsparse;
	} else if (S_ISLNK(type)) {
		const char *l = e->link ? e->link : "";
		if ((rc = pool_add(t, l, strlen(l), &a->link)))
			return rc;
		a->size = strlen(l);
	} else if (S_ISCHR(type) || S_ISBLK(type)) {
		a->devmajor = e->devmajor;
		a->devminor = e->devminor;
	} else if (S_ISDIR(type)) {
		a->size = OCIFS_VIEW_DIR_SIZE;
	}
	if (e->flags & OCIFS_EF_XATTR) {
		size_t first = t->nx;
		rc = ocifs_idxdb_xattrs(t->db, e->id, copy_xattr, t);
		if (rc)
			return rc;
		if (t->nx > UINT32_MAX)
			return -E2BIG;
		t->i[ino].x_first = (uint32_t)first;
		t->i[ino].nx = (uint32_t)(t->nx - first);
	}
	return 0;
}

/* Apply row e (in tar order). */
static int apply(struct ocifs_ltree *t, const struct ocifs_entry *e)
{
	uint32_t parent, cur, id = (uint32_t)e->id, node;
	size_t nlen = strlen(e->name);
	int rc;

	if (!*e->dir && !*e->name) { /* the tar's "./": the root's metadata */
		if (e->type == '5' && !(e->flags & OCIFS_EF_IMPLICIT))
			return set_attrs(t, OCIFS_LTREE_ROOT, e);
		return 0;
	}
	if (!nlen || strchr(e->name, '/') || !strcmp(e->name, ".") || !strcmp(e->name, ".."))
		return 0; /* not a name: a damaged index */
	if (e->flags & OCIFS_EF_IMPLICIT) {
		/* A directory the tar never lists: it takes the place of the
		 * one made for its children, if that is still there. */
		if ((rc = walk_dir(t, e->dir, strlen(e->dir), 0, &parent)) || parent == NONE)
			return rc;
		cur = child_find(t, parent, e->name, nlen);
		if (cur == NONE || !is_dir(t, cur) || t->n[cur].ino < SYN)
			return 0;
		t->n[cur].ino = id; /* the made-up inode is left without a name */
		t->i[id].node = cur;
		return set_attrs(t, id, e);
	}
	if ((rc = walk_dir(t, e->dir, strlen(e->dir), 1, &parent)) || parent == NONE)
		return rc;
	cur = child_find(t, parent, e->name, nlen);
	if (e->type == '1') {
		uint32_t tg = e->link ? find_path(t, e->link) : NONE;
		if (tg == NONE || is_dir(t, tg))
			return 0; /* as extraction: no such file to link to */
		if (cur == tg)
			return 0;
		if (cur != NONE)
			remove_name(t, cur);
		return new_name(t, parent, e->name, nlen, t->n[tg].ino, &node);
	}
	uint32_t type = ocifs_tar_mode(e->type);
	if (!type)
		return 0; /* a tar type with no file behind it */
	if (S_ISDIR(type) && cur != NONE && is_dir(t, cur)) {
		/* a directory again: same children, the later metadata */
		t->i[id].node = cur;
		if ((rc = set_attrs(t, id, e)))
			return rc;
		t->n[cur].ino = id;
		return 0;
	}
	if (cur != NONE)
		remove_name(t, cur);
	if ((rc = set_attrs(t, id, e)))
		return rc;
	return new_name(t, parent, e->name, nlen, id, &node);
}

static int row_cb(void *ctx, const struct ocifs_entry *e)
{
	struct ocifs_ltree *t = ctx;

	/* ids are dense, from 1, in order: the next slot */
	if (e->id < 1 || (uint64_t)e->id != t->ni || t->ni >= OCIFS_HTAB_MAX) {
		log_err("layer %u: index row %lld out of order", ocifs_layer_num(t->layer),
			(long long)e->id);
		return -EBADMSG;
	}
	GROW(t->i, t->ni, t->icap);
	memset(&t->i[t->ni++], 0, sizeof(t->i[0]));
	return apply(t, e);
}

static int build_cb(void *ctx, struct ocifs_idxdb *db)
{
	struct ocifs_ltree *t = ctx;
	uint32_t root;
	int rc;

	GROW(t->i, t->ni, t->icap);
	t->i[OCIFS_LTREE_ROOT] = (struct lt_ino){ .mode = S_IFDIR | 0755,
						  .size = OCIFS_VIEW_DIR_SIZE,
						  .flags = OCIFS_EF_IMPLICIT };
	t->ni = 1;
	if ((rc = new_name(t, NONE, "", 0, OCIFS_LTREE_ROOT, &root)))
		return rc;
	t->db = db;
	rc = ocifs_idxdb_foreach(db, row_cb, t);
	t->db = NULL;
	return rc;
}

/* The made-up directories take the ids after the last row. */
static int renumber(struct ocifs_ltree *t)
{
	size_t base = t->ni;

	if (base + t->nsyn > OCIFS_HTAB_MAX)
		return -E2BIG;
	for (size_t k = 0; k < t->nsyn; k++) {
		GROW(t->i, t->ni, t->icap);
		t->i[t->ni++] = t->syn[k];
	}
	for (size_t k = 0; k < t->nn; k++)
		if (t->n[k].ino >= SYN)
			t->n[k].ino = (uint32_t)(base + t->n[k].ino - SYN);
	free(t->syn);
	t->syn = NULL;
	t->nsyn = t->syncap = 0;
	return 0;
}

static int cmp_kids(const void *a, const void *b, void *ctx)
{
	const struct ocifs_ltree *t = ctx;
	const struct lt_node *x = &t->n[*(const uint32_t *)a], *y = &t->n[*(const uint32_t *)b];

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return strcmp(t->pool + x->name, t->pool + y->name);
}

/* Link counts and each directory's sorted children. */
static int lay_out(struct ocifs_ltree *t)
{
	for (size_t k = 0; k < t->ni; k++) {
		t->i[k].nlink = 0;
		if (!S_ISDIR(t->i[k].mode))
			t->i[k].node = NONE;
	}
	t->kids = malloc((t->nn ? t->nn : 1) * sizeof(*t->kids));
	if (!t->kids)
		return -ENOMEM;
	for (uint32_t k = 0; k < t->nn; k++) {
		struct lt_node *nd = &t->n[k];
		struct lt_ino *a = &t->i[nd->ino];

		nd->kfirst = nd->kn = 0;
		if (nd->dead)
			continue;
		if (S_ISDIR(a->mode)) {
			a->nlink += 2;
			if (nd->parent != NONE)
				t->i[t->n[nd->parent].ino].nlink++;
		} else {
			a->nlink++;
		}
		if (nd->parent != NONE)
			t->kids[t->nkids++] = k;
	}
	qsort_r(t->kids, t->nkids, sizeof(*t->kids), cmp_kids, t);
	for (size_t k = 0; k < t->nkids;) {
		uint32_t p = t->n[t->kids[k]].parent;
		size_t e = k;
		while (e < t->nkids && t->n[t->kids[e]].parent == p)
			e++;
		t->n[p].kfirst = (uint32_t)k;
		t->n[p].kn = (uint32_t)(e - k);
		k = e;
	}
	return 0;
}

int ocifs_ltree_build(struct ocifs_layer *l, struct ocifs_ltree **out)
{
	struct ocifs_ltree *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	t->layer = l;
	rc = ocifs_layer_with_db(l, build_cb, t);
	if (!rc)
		rc = renumber(t);
	if (!rc)
		rc = lay_out(t);
	if (rc) {
		ocifs_ltree_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void ocifs_ltree_free(struct ocifs_ltree *t)
{
	if (!t)
		return;
	free(t->n);
	free(t->i);
	free(t->syn);
	free(t->kids);
	free(t->pool);
	ocifs_htab_fini(&t->ht);
	free(t->x);
	free(t->sp);
	free(t);
}

struct ocifs_layer *ocifs_ltree_layer(const struct ocifs_ltree *t)
{
	return t->layer;
}

uint64_t ocifs_ltree_ids(const struct ocifs_ltree *t)
{
	return t->ni;
}

/* Inode id, if some name reaches it; else NULL. */
static const struct lt_ino *ino_of(const struct ocifs_ltree *t, uint64_t id)
{
	return id < t->ni && t->i[id].nlink ? &t->i[id] : NULL;
}

int ocifs_ltree_getattr(const struct ocifs_ltree *t, uint64_t id, struct ocifs_ltree_attr *a)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i)
		return -ENOENT;
	*a = (struct ocifs_ltree_attr){ .mode = i->mode, .nlink = i->nlink, .uid = i->uid,
					.gid = i->gid, .mtime_ns = i->mtime_ns, .size = i->size,
					.flags = i->flags };
	if (S_ISCHR(i->mode) || S_ISBLK(i->mode))
		a->rdev = makedev(i->devmajor, i->devminor);
	return 0;
}

/* The node of directory id: 0, -ENOENT or -ENOTDIR. */
static int dir_node(const struct ocifs_ltree *t, uint64_t id, uint32_t *node)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i)
		return -ENOENT;
	if (!S_ISDIR(i->mode) || i->node == NONE)
		return -ENOTDIR;
	*node = i->node;
	return 0;
}

int ocifs_ltree_lookup(const struct ocifs_ltree *t, uint64_t dir, const char *name,
		       uint64_t *id)
{
	uint32_t node, c;
	int rc = dir_node(t, dir, &node);

	if (rc)
		return rc;
	c = child_find(t, node, name, strlen(name));
	if (c == NONE)
		return -ENOENT;
	*id = t->n[c].ino;
	return 0;
}

int ocifs_ltree_parent(const struct ocifs_ltree *t, uint64_t dir, uint64_t *parent)
{
	uint32_t node;
	int rc = dir_node(t, dir, &node);

	if (rc)
		return rc;
	*parent = t->n[node].parent == NONE ? OCIFS_LTREE_ROOT : t->n[t->n[node].parent].ino;
	return 0;
}

int ocifs_ltree_dir_size(const struct ocifs_ltree *t, uint64_t dir, uint32_t *n)
{
	uint32_t node;
	int rc = dir_node(t, dir, &node);

	if (!rc)
		*n = t->n[node].kn;
	return rc;
}

int ocifs_ltree_dir_entry(const struct ocifs_ltree *t, uint64_t dir, uint32_t i,
			  const char **name, uint64_t *id)
{
	uint32_t node;
	int rc = dir_node(t, dir, &node);

	if (rc)
		return rc;
	if (i >= t->n[node].kn)
		return -ENOENT;
	const struct lt_node *c = &t->n[t->kids[t->n[node].kfirst + i]];
	*name = t->pool + c->name;
	*id = c->ino;
	return 0;
}

int ocifs_ltree_readlink(const struct ocifs_ltree *t, uint64_t id, const char **target)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i || !S_ISLNK(i->mode))
		return -EINVAL;
	*target = t->pool + i->link;
	return 0;
}

int ocifs_ltree_data(const struct ocifs_ltree *t, uint64_t id, struct ocifs_extent *x)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i || !S_ISREG(i->mode))
		return -EINVAL;
	*x = (struct ocifs_extent){ .size = i->size, .data_off = i->data_off,
				    .data_len = i->data_len, .nsparse = i->nsp,
				    .sparse = i->nsp ? &t->sp[i->sp_first] : NULL };
	return 0;
}

int ocifs_ltree_file_facts(const struct ocifs_ltree *t, uint64_t id, uint32_t *flags,
			   unsigned char sha256[32])
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i || !S_ISREG(i->mode))
		return -EINVAL;
	*flags = i->flags & (OCIFS_EF_ELF | OCIFS_EF_ZIP | OCIFS_EF_SCRIPT | OCIFS_EF_HASHED);
	if (sha256 && (i->flags & OCIFS_EF_HASHED))
		memcpy(sha256, i->sha256, 32);
	return 0;
}

int ocifs_ltree_xattr_count(const struct ocifs_ltree *t, uint64_t id, uint32_t *n)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i)
		return -ENOENT;
	*n = i->nx;
	return 0;
}

int ocifs_ltree_xattr_entry(const struct ocifs_ltree *t, uint64_t id, uint32_t k,
			    const char **key, const void **val, size_t *len)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i || k >= i->nx)
		return -ENOENT;
	const struct lt_xattr *x = &t->x[i->x_first + k];
	*key = t->pool + x->key;
	*val = t->pool + x->val;
	*len = x->len;
	return 0;
}
