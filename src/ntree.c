/* SPDX-License-Identifier: MIT */
/*
 * A tree of names under construction (see ntree.h): the string pool,
 * the nodes and their (parent, name) hash, the walks over paths, and
 * the xattr and sparse arrays that the view builder and one layer's
 * tree both fill from index rows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ntree.h"

#define NONE OCIFS_NTREE_NONE

void ocifs_ntree_init(struct ocifs_ntree *t, const struct ocifs_ntree_ops *ops, void *owner)
{
	*t = (struct ocifs_ntree){ .ops = ops, .owner = owner };
}

void ocifs_ntree_fini(struct ocifs_ntree *t)
{
	free(t->n);
	free(t->pool);
	ocifs_htab_fini(&t->ht);
	free(t->x);
	free(t->sp);
	t->n = NULL;
	t->pool = NULL;
	t->x = NULL;
	t->sp = NULL;
	t->nn = t->ncap = t->plen = t->pcap = t->nx = t->xcap = t->nsp = t->spcap = 0;
}

int ocifs_ntree_str(struct ocifs_ntree *t, const void *s, size_t len, uint32_t *off)
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

static uint64_t hkey(uint32_t parent, const char *name, size_t len)
{
	return ocifs_fnv1a_seed(OCIFS_FNV1A_INIT ^ parent, name, len);
}

struct child_key {
	const struct ocifs_ntree *t;
	uint32_t parent;
	const char *name;
	size_t len;
};

static int child_eq(const void *ctx, uint32_t id)
{
	const struct child_key *k = ctx;
	const struct ocifs_ntree_node *nd = &k->t->n[id];
	const char *nm = k->t->pool + nd->name;

	return nd->parent == k->parent && strncmp(nm, k->name, k->len) == 0 && nm[k->len] == '\0';
}

uint32_t ocifs_ntree_child(const struct ocifs_ntree *t, uint32_t parent, const char *name,
			   size_t len)
{
	struct child_key k = { t, parent, name, len };

	return ocifs_htab_find(&t->ht, hkey(parent, name, len), child_eq, &k);
}

int ocifs_ntree_add(struct ocifs_ntree *t, uint32_t parent, const char *name, size_t len,
		    uint32_t ino, uint32_t *out)
{
	uint32_t off, id;
	int rc;

	if (t->nn >= OCIFS_HTAB_MAX)
		return -E2BIG;
	OCIFS_GROW(t->n, t->nn, t->ncap);
	if ((rc = ocifs_ntree_str(t, name, len, &off)))
		return rc;
	id = (uint32_t)t->nn;
	if (parent != NONE &&
	    (rc = ocifs_htab_add(&t->ht, hkey(parent, name, len), id, NULL, NULL, NULL)) < 0)
		return rc;
	t->nn++;
	t->n[id] = (struct ocifs_ntree_node){ .parent = parent, .name = off, .ino = ino,
					      .first_child = NONE, .next = NONE, .prev = NONE };
	if (parent != NONE) {
		struct ocifs_ntree_node *p = &t->n[parent];
		t->n[id].next = p->first_child;
		if (p->first_child != NONE)
			t->n[p->first_child].prev = id;
		p->first_child = id;
	}
	*out = id;
	return 0;
}

void ocifs_ntree_remove(struct ocifs_ntree *t, uint32_t id)
{
	struct ocifs_ntree_node *nd = &t->n[id];
	const char *nm = t->pool + nd->name;

	while (nd->first_child != NONE)
		ocifs_ntree_remove(t, nd->first_child);
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

int ocifs_ntree_is_dir(const struct ocifs_ntree *t, uint32_t node)
{
	return t->ops->is_dir(t->owner, t->n[node].ino);
}

uint32_t ocifs_ntree_find(const struct ocifs_ntree *t, const char *path)
{
	uint32_t cur = 0;

	while (*path && cur != NONE) {
		const char *e = strchr(path, '/');
		size_t len = e ? (size_t)(e - path) : strlen(path);
		if (!ocifs_ntree_is_dir(t, cur))
			return NONE;
		cur = ocifs_ntree_child(t, cur, path, len);
		path += len + (e ? 1 : 0);
	}
	return cur;
}

static int not_a_name(const char *s, size_t len)
{
	return len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.');
}

int ocifs_ntree_dir(struct ocifs_ntree *t, const char *path, size_t len, int make,
		    uint32_t *out)
{
	uint32_t cur = 0, ino;
	size_t k = 0;
	int rc;

	*out = NONE;
	while (k < len) {
		size_t e = k;
		while (e < len && path[e] != '/')
			e++;
		if (t->strict && not_a_name(path + k, e - k))
			return 0;
		uint32_t c = ocifs_ntree_child(t, cur, path + k, e - k);
		if (c != NONE && !ocifs_ntree_is_dir(t, c)) {
			if (!make)
				return 0;
			ocifs_ntree_remove(t, c);
			c = NONE;
		}
		if (c == NONE) {
			if (!make)
				return 0;
			if ((rc = t->ops->mkdir(t->owner, &ino)) ||
			    (rc = ocifs_ntree_add(t, cur, path + k, e - k, ino, &c)))
				return rc;
		}
		cur = c;
		k = e + 1;
	}
	*out = cur;
	return 0;
}

static int copy_xattr(void *ctx, const char *key, const void *val, size_t len)
{
	struct ocifs_ntree *t = ctx;
	uint32_t k, v;
	int rc;

	if (len > UINT32_MAX)
		return -E2BIG;
	OCIFS_GROW(t->x, t->nx, t->xcap);
	if ((rc = ocifs_ntree_str(t, key, strlen(key), &k)) ||
	    (rc = ocifs_ntree_str(t, val, len, &v)))
		return rc;
	t->x[t->nx++] = (struct ocifs_ntree_xattr){ .key = k, .val = v, .len = (uint32_t)len };
	return 0;
}

int ocifs_ntree_xattrs(struct ocifs_ntree *t, struct ocifs_idxdb *db, int64_t id,
		       uint32_t *first)
{
	size_t at = t->nx;
	int rc = ocifs_idxdb_xattrs(db, id, copy_xattr, t);

	if (rc)
		return rc;
	if (t->nx > UINT32_MAX)
		return -E2BIG;
	*first = (uint32_t)at;
	return 0;
}

int ocifs_ntree_sparse(struct ocifs_ntree *t, const struct ocifs_sparse *sp, size_t n,
		       uint32_t *first)
{
	if (n > UINT32_MAX - t->nsp)
		return -E2BIG;
	*first = (uint32_t)t->nsp;
	for (size_t k = 0; k < n; k++) {
		OCIFS_GROW(t->sp, t->nsp, t->spcap);
		t->sp[t->nsp++] = sp[k];
	}
	return 0;
}
