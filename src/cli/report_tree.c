/* SPDX-License-Identifier: MIT */
/*
 * The report's merged tree: the names of the merged view depth first in
 * name order (at most a cap of them), each with the layer that supplied
 * it and the earlier layers that listed a version of it. The versions
 * come from one pass over every layer's index (ocifs_idxdb_foreach),
 * looking each row's path up in a hash of the tree's paths: linear in
 * the entries of the image, no file read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idxdb.h"
#include "layer.h"
#include "log.h"
#include "report.h"

#define NONE UINT32_MAX

struct frame {
	uint64_t dir;
	uint32_t i, n;
	size_t plen;                    /* length of the dir's path in buf */
};

struct pathbuf {
	char *p;
	size_t len, cap;
};

static int pb_reserve(struct pathbuf *b, size_t need)
{
	char *p;
	size_t cap = b->cap ? b->cap : 256;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int add_node(struct rpt_tree *t, const struct rpt_node *nd, const char *path, size_t len)
{
	int rc;

	if (t->nn == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct rpt_node *n = realloc(t->n, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->n = n;
		t->cap = cap;
	}
	/* paths in a view are unique: entry i of the map is node i */
	if ((rc = ocifs_strmap_put(&t->paths, path, len, t->nn, NULL)) < 0)
		return rc;
	if (rc == 0)
		return -EEXIST;
	t->n[t->nn++] = *nd;
	return 0;
}

/* Depth first over the view, in each directory's (name) order. */
static int walk(const struct ocifs_view *v, size_t max, struct rpt_tree *t)
{
	struct frame *st = NULL;
	struct pathbuf pb = { 0 };
	size_t sp = 0, scap = 0;
	uint32_t n;
	int rc;

	if ((rc = ocifs_view_dir_size(v, OCIFS_VIEW_ROOT, &n)))
		return rc;
	if ((rc = pb_reserve(&pb, 1)))
		return rc;
	st = malloc(16 * sizeof(*st));
	if (!st) {
		free(pb.p);
		return -ENOMEM;
	}
	scap = 16;
	st[sp++] = (struct frame){ .dir = OCIFS_VIEW_ROOT, .n = n };
	while (sp && !rc) {
		struct frame *f = &st[sp - 1];
		size_t plen = f->plen, nlen, len;
		struct ocifs_vattr a;
		const char *name;
		uint64_t ino;

		if (f->i == f->n) {
			sp--;
			continue;
		}
		if ((rc = ocifs_view_dir_entry(v, f->dir, f->i++, &name, &ino)) ||
		    (rc = ocifs_view_getattr(v, ino, &a)))
			break;
		t->total++;
		nlen = strlen(name);
		len = plen + (plen ? 1 : 0) + nlen;
		if ((rc = pb_reserve(&pb, len + 1)))
			break;
		if (plen)
			pb.p[plen] = '/';
		memcpy(pb.p + len - nlen, name, nlen + 1);
		if (!t->cut && t->nn < max && t->paths.plen + len < RPT_TREE_PATH_BYTES) {
			struct rpt_node nd = { .depth = (uint32_t)(sp - 1), .mode = a.mode,
					       .layer = a.layer, .size = a.size,
					       .first = NONE, .last = NONE };
			if (S_ISLNK(a.mode) && ocifs_view_readlink(v, ino, &nd.link))
				nd.link = NULL;
			if ((rc = add_node(t, &nd, pb.p, len)))
				break;
		} else {
			t->cut = 1;
		}
		if (!S_ISDIR(a.mode))
			continue;
		if ((rc = ocifs_view_dir_size(v, ino, &n)))
			break;
		if (sp == scap) {
			struct frame *ns = realloc(st, 2 * scap * sizeof(*st));
			if (!ns) {
				rc = -ENOMEM;
				break;
			}
			st = ns;
			scap *= 2;
		}
		st[sp++] = (struct frame){ .dir = ino, .n = n, .plen = len };
	}
	free(st);
	free(pb.p);
	return rc;
}

struct pass {
	struct rpt_tree *t;
	uint32_t layer;                 /* 0-based */
	struct pathbuf pb;
	int rc;
};

/* One row of layer p->layer: note it as a version of its path. */
static int on_entry(void *ctx, const struct ocifs_entry *e)
{
	struct pass *p = ctx;
	struct rpt_tree *t = p->t;
	size_t dl = strlen(e->dir), nl = strlen(e->name), len, node;
	struct rpt_node *nd;

	if ((e->flags & OCIFS_EF_IMPLICIT) || !nl)
		return 0;
	len = dl + (dl ? 1 : 0) + nl;
	if ((p->rc = pb_reserve(&p->pb, len + 1)))
		return 1;
	memcpy(p->pb.p, e->dir, dl);
	if (dl)
		p->pb.p[dl] = '/';
	memcpy(p->pb.p + len - nl, e->name, nl);
	if (!ocifs_strmap_get(&t->paths, p->pb.p, len, &node))
		return 0;
	nd = &t->n[node];
	if (nd->last != NONE && t->ver[nd->last].layer == p->layer)
		return 0; /* listed twice in one layer: one version */
	if (t->nver == t->vcap) {
		size_t cap = t->vcap ? t->vcap * 2 : 1024;
		struct rpt_ver *v = realloc(t->ver, cap * sizeof(*v));
		if (!v) {
			p->rc = -ENOMEM;
			return 1;
		}
		t->ver = v;
		t->vcap = cap;
	}
	if (t->nver >= NONE) {
		p->rc = -E2BIG;
		return 1;
	}
	t->ver[t->nver] = (struct rpt_ver){ .layer = p->layer, .next = NONE };
	if (nd->last == NONE)
		nd->first = (uint32_t)t->nver;
	else
		t->ver[nd->last].next = (uint32_t)t->nver;
	nd->last = (uint32_t)t->nver++;
	return 0;
}

int rpt_tree_build(struct ocifs_session *s, size_t max, struct rpt_tree *t)
{
	struct pass p = { .t = t };
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = walk(s->view, max, t))) {
		log_err("report: %s: cannot walk the merged tree: %s", s->img->path, strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < s->nlayers && !rc; i++) {
		struct ocifs_idxdb *db;

		if ((rc = ocifs_layer_db(s->layers[i], &db)))
			break; /* logged */
		p.layer = (uint32_t)i;
		rc = ocifs_idxdb_foreach(db, on_entry, &p);
		if (p.rc)
			rc = p.rc;
		ocifs_layer_db_close(s->layers[i]);
		if (rc)
			log_err("report: %s: layer %zu: cannot read its index: %s", s->img->path,
				i + 1, strerror(rc < 0 ? -rc : EIO));
	}
	free(p.pb.p);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

void rpt_tree_fini(struct rpt_tree *t)
{
	free(t->n);
	free(t->ver);
	ocifs_strmap_fini(&t->paths);
	memset(t, 0, sizeof(*t));
}
