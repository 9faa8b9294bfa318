/* SPDX-License-Identifier: MIT */
/*
 * One layer's own tree (see ltree.h): built in one pass over the layer's
 * index rows in tar order, then laid out (link counts, each directory's
 * children sorted) and never changed again.
 *
 * Names (ntree.h: parent, name, inode, and the hash on (parent node,
 * name) that finds children, during the build and after it) and inodes
 * (lt_ino, indexed by the row id) are kept apart, so hard-linked names
 * share one inode. The sibling lists are only for removing a replaced
 * subtree; after the build each directory's children are a sorted run
 * of kids[].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "idxdb.h"
#include "log.h"
#include "ltree.h"
#include "ntree.h"
#include "tar.h"
#include "view.h"

#define NONE OCIFS_NTREE_NONE
/* During the build, inodes from SYN up are the made-up directories (row
 * ids stay below OCIFS_HTAB_MAX); afterwards they follow the last row. */
#define SYN (1u << 31)
_Static_assert(OCIFS_HTAB_MAX <= SYN, "row ids stay below SYN");

struct lt_ino {
	uint32_t mode;          /* 0: not an inode (yet) */
	uint32_t nlink;         /* after the build; 0: no name reaches it */
	uint64_t uid, gid;
	int64_t mtime_ns;
	uint64_t size, data_off, data_len;
	uint32_t devmajor, devminor;
	uint32_t link;          /* symlink target: pool offset */
	uint32_t node;          /* after: a directory's one name */
	uint32_t kfirst, kn;    /* after: a directory's children in kids[] */
	uint32_t sp_first, nsp; /* sparse map in nt.sp[] */
	uint32_t x_first, nx;   /* xattrs in nt.x[] */
	uint32_t flags;         /* OCIFS_EF_* of its row */
	unsigned char sha256[32];
};

struct ocifs_ltree {
	struct ocifs_layer *layer;
	struct ocifs_ntree nt;  /* names, pool, xattrs, sparse maps */
	struct lt_ino *i;       /* by id: 0 root, 1..rows, then made-up dirs */
	size_t ni, icap;
	struct lt_ino *syn;     /* build: made-up dirs, inode SYN + k */
	size_t nsyn, syncap;
	uint32_t *kids;         /* live names but the root, by (parent, name) */
	size_t nkids;
	struct ocifs_idxdb *db; /* during the build */
};

static struct lt_ino *ino_at(const struct ocifs_ltree *t, uint32_t ino)
{
	return ino >= SYN ? &t->syn[ino - SYN] : &t->i[ino];
}

static int ino_is_dir(const void *owner, uint32_t ino)
{
	return S_ISDIR(ino_at(owner, ino)->mode);
}

/* An inode for a directory no row describes (yet). */
static int made_up_dir(void *owner, uint32_t *ino)
{
	struct ocifs_ltree *t = owner;

	if (t->nsyn >= OCIFS_HTAB_MAX)
		return -E2BIG;
	OCIFS_GROW(t->syn, t->nsyn, t->syncap);
	t->syn[t->nsyn] = (struct lt_ino){ .mode = S_IFDIR | 0755, .size = OCIFS_VIEW_DIR_SIZE,
					   .flags = OCIFS_EF_IMPLICIT };
	*ino = SYN + (uint32_t)t->nsyn++;
	return 0;
}

static const struct ocifs_ntree_ops lt_ops = { .is_dir = ino_is_dir, .mkdir = made_up_dir };

/* Inode `ino` takes the attributes of row e. */
static int set_attrs(struct ocifs_ltree *t, uint32_t ino, const struct ocifs_entry *e)
{
	struct lt_ino *a = &t->i[ino];
	uint32_t type = ocifs_tar_mode(e->type);
	int rc;

	*a = (struct lt_ino){ .mode = type | (e->mode & 07777), .uid = e->uid, .gid = e->gid,
			      .mtime_ns = e->mtime_ns, .flags = e->flags };
	if (S_ISREG(type)) {
		a->size = e->size;
		a->data_off = e->data_off;
		a->data_len = e->data_len;
		if (e->flags & OCIFS_EF_HASHED)
			memcpy(a->sha256, e->sha256, sizeof(a->sha256));
		if ((rc = ocifs_ntree_sparse(&t->nt, e->sparse, e->nsparse, &a->sp_first)))
			return rc;
		a->nsp = (uint32_t)e->nsparse;
	} else if (S_ISLNK(type)) {
		const char *l = e->link ? e->link : "";
		if ((rc = ocifs_ntree_str(&t->nt, l, strlen(l), &a->link)))
			return rc;
		a->size = strlen(l);
	} else if (S_ISCHR(type) || S_ISBLK(type)) {
		a->devmajor = e->devmajor;
		a->devminor = e->devminor;
	} else if (S_ISDIR(type)) {
		a->size = OCIFS_VIEW_DIR_SIZE;
	}
	if (e->flags & OCIFS_EF_XATTR) {
		if ((rc = ocifs_ntree_xattrs(&t->nt, t->db, e->id, &a->x_first)))
			return rc;
		a->nx = (uint32_t)(t->nt.nx - a->x_first);
	}
	return 0;
}

/* Apply row e (in tar order). */
static int apply(struct ocifs_ltree *t, const struct ocifs_entry *e)
{
	struct ocifs_ntree *nt = &t->nt;
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
		if ((rc = ocifs_ntree_dir(nt, e->dir, strlen(e->dir), 0, &parent)) || parent == NONE)
			return rc;
		cur = ocifs_ntree_child(nt, parent, e->name, nlen);
		if (cur == NONE || !ocifs_ntree_is_dir(nt, cur) || nt->n[cur].ino < SYN)
			return 0;
		nt->n[cur].ino = id; /* the made-up inode is left without a name */
		return set_attrs(t, id, e);
	}
	/* missing parents made up, non-directories in the way replaced, as
	 * the merged view does */
	if ((rc = ocifs_ntree_dir(nt, e->dir, strlen(e->dir), 1, &parent)) || parent == NONE)
		return rc;
	cur = ocifs_ntree_child(nt, parent, e->name, nlen);
	if (e->type == '1') {
		uint32_t tg = e->link ? ocifs_ntree_find(nt, e->link) : NONE;
		if (tg == NONE || ocifs_ntree_is_dir(nt, tg))
			return 0; /* as extraction: no such file to link to */
		if (cur == tg)
			return 0;
		if (cur != NONE)
			ocifs_ntree_remove(nt, cur);
		return ocifs_ntree_add(nt, parent, e->name, nlen, nt->n[tg].ino, &node);
	}
	uint32_t type = ocifs_tar_mode(e->type);
	if (!type)
		return 0; /* a tar type with no file behind it */
	if (S_ISDIR(type) && cur != NONE && ocifs_ntree_is_dir(nt, cur)) {
		/* a directory again: same children, the later metadata */
		if ((rc = set_attrs(t, id, e)))
			return rc;
		nt->n[cur].ino = id;
		return 0;
	}
	if (cur != NONE)
		ocifs_ntree_remove(nt, cur);
	if ((rc = set_attrs(t, id, e)))
		return rc;
	return ocifs_ntree_add(nt, parent, e->name, nlen, id, &node);
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
	OCIFS_GROW(t->i, t->ni, t->icap);
	memset(&t->i[t->ni++], 0, sizeof(t->i[0]));
	return apply(t, e);
}

static int build_cb(void *ctx, struct ocifs_idxdb *db)
{
	struct ocifs_ltree *t = ctx;
	uint32_t root;
	int rc;

	OCIFS_GROW(t->i, t->ni, t->icap);
	t->i[OCIFS_LTREE_ROOT] = (struct lt_ino){ .mode = S_IFDIR | 0755,
						  .size = OCIFS_VIEW_DIR_SIZE,
						  .flags = OCIFS_EF_IMPLICIT };
	t->ni = 1;
	if ((rc = ocifs_ntree_add(&t->nt, NONE, "", 0, OCIFS_LTREE_ROOT, &root)))
		return rc;
	t->db = db;
	rc = ocifs_idxdb_foreach(db, row_cb, t);
	t->db = NULL;
	return rc;
}

/* The made-up directories take the ids after the last row. */
static int renumber(struct ocifs_ltree *t)
{
	struct ocifs_ntree *nt = &t->nt;
	size_t base = t->ni;

	if (base + t->nsyn > OCIFS_HTAB_MAX)
		return -E2BIG;
	for (size_t k = 0; k < t->nsyn; k++) {
		OCIFS_GROW(t->i, t->ni, t->icap);
		t->i[t->ni++] = t->syn[k];
	}
	for (size_t k = 0; k < nt->nn; k++)
		if (nt->n[k].ino >= SYN)
			nt->n[k].ino = (uint32_t)(base + nt->n[k].ino - SYN);
	free(t->syn);
	t->syn = NULL;
	t->nsyn = t->syncap = 0;
	return 0;
}

static int cmp_kids(const void *a, const void *b, void *ctx)
{
	const struct ocifs_ntree *nt = ctx;
	const struct ocifs_ntree_node *x = &nt->n[*(const uint32_t *)a];
	const struct ocifs_ntree_node *y = &nt->n[*(const uint32_t *)b];

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return strcmp(nt->pool + x->name, nt->pool + y->name);
}

/* Link counts, each directory's one name and its sorted children. */
static int lay_out(struct ocifs_ltree *t)
{
	const struct ocifs_ntree *nt = &t->nt;

	for (size_t k = 0; k < t->ni; k++) {
		t->i[k].nlink = 0;
		t->i[k].node = NONE;
		t->i[k].kfirst = t->i[k].kn = 0;
	}
	t->kids = malloc((nt->nn ? nt->nn : 1) * sizeof(*t->kids));
	if (!t->kids)
		return -ENOMEM;
	for (uint32_t k = 0; k < nt->nn; k++) {
		const struct ocifs_ntree_node *nd = &nt->n[k];
		struct lt_ino *a = &t->i[nd->ino];

		if (nd->dead)
			continue;
		if (S_ISDIR(a->mode)) {
			a->nlink += 2;
			a->node = k; /* no hard links to directories: the one name */
			if (nd->parent != NONE)
				t->i[nt->n[nd->parent].ino].nlink++;
		} else {
			a->nlink++;
		}
		if (nd->parent != NONE)
			t->kids[t->nkids++] = k;
	}
	qsort_r(t->kids, t->nkids, sizeof(*t->kids), cmp_kids, (void *)nt);
	for (size_t k = 0; k < t->nkids;) {
		uint32_t p = nt->n[t->kids[k]].parent;
		struct lt_ino *pi = &t->i[nt->n[p].ino];
		size_t e = k;
		while (e < t->nkids && nt->n[t->kids[e]].parent == p)
			e++;
		pi->kfirst = (uint32_t)k;
		pi->kn = (uint32_t)(e - k);
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
	ocifs_ntree_init(&t->nt, &lt_ops, t);
	t->nt.strict = 1; /* a damaged index's "", "." or ".." parts: not there */
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
	ocifs_ntree_fini(&t->nt);
	free(t->i);
	free(t->syn);
	free(t->kids);
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
	c = ocifs_ntree_child(&t->nt, node, name, strlen(name));
	if (c == NONE)
		return -ENOENT;
	*id = t->nt.n[c].ino;
	return 0;
}

int ocifs_ltree_parent(const struct ocifs_ltree *t, uint64_t dir, uint64_t *parent)
{
	uint32_t node;
	int rc = dir_node(t, dir, &node);

	if (rc)
		return rc;
	const struct ocifs_ntree_node *nd = &t->nt.n[node];

	*parent = nd->parent == NONE ? OCIFS_LTREE_ROOT : t->nt.n[nd->parent].ino;
	return 0;
}

int ocifs_ltree_dir_size(const struct ocifs_ltree *t, uint64_t dir, uint32_t *n)
{
	uint32_t node;
	int rc = dir_node(t, dir, &node);

	if (!rc)
		*n = t->i[dir].kn;
	return rc;
}

int ocifs_ltree_dir_entry(const struct ocifs_ltree *t, uint64_t dir, uint32_t i,
			  const char **name, uint64_t *id)
{
	uint32_t node;
	int rc = dir_node(t, dir, &node);

	if (rc)
		return rc;
	if (i >= t->i[dir].kn)
		return -ENOENT;
	const struct ocifs_ntree_node *c = &t->nt.n[t->kids[t->i[dir].kfirst + i]];
	*name = t->nt.pool + c->name;
	*id = c->ino;
	return 0;
}

int ocifs_ltree_readlink(const struct ocifs_ltree *t, uint64_t id, const char **target)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i || !S_ISLNK(i->mode))
		return -EINVAL;
	*target = t->nt.pool + i->link;
	return 0;
}

int ocifs_ltree_data(const struct ocifs_ltree *t, uint64_t id, struct ocifs_extent *x)
{
	const struct lt_ino *i = ino_of(t, id);

	if (!i || !S_ISREG(i->mode))
		return -EINVAL;
	*x = (struct ocifs_extent){ .size = i->size, .data_off = i->data_off,
				    .data_len = i->data_len, .nsparse = i->nsp,
				    .sparse = i->nsp ? &t->nt.sp[i->sp_first] : NULL };
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
	const struct ocifs_ntree_xattr *x = &t->nt.x[i->x_first + k];
	*key = t->nt.pool + x->key;
	*val = t->nt.pool + x->val;
	*len = x->len;
	return 0;
}
