/* SPDX-License-Identifier: MIT */
/*
 * Wasted bytes and dive's efficiency score from the layer indexes
 * (efficiency.h says the definitions). This file owns the three
 * structures that computation needs:
 *  - a layer's own tree (struct ltree): its entries by path, which are
 *    leaves, sorted in dive's visiting order (children by name, so a
 *    path sorts as its components: '/' below every other byte);
 *  - dive's stack of the layers below (struct stk): nodes by path with
 *    parent/child links, so a whiteout sums and removes a subtree in the
 *    time of its size; removed nodes stay in the path map, dead, and come
 *    back alive when a later layer adds the path again;
 *  - the per-path tallies (struct pent) and the layers holding each.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "efficiency.h"
#include "grow.h"
#include "hashtab.h"
#include "idxdb.h"
#include "layer.h"
#include "log.h"

#define NONE UINT32_MAX
#define WH ".wh."
#define WHLEN 4
#define WHWH ".wh..wh.."
#define WHWHLEN 9
#define OPQ ".wh..wh..opq"

struct u32v {
	uint32_t *v;
	size_t n, cap;
};

static int u32_push(struct u32v *s, uint32_t x)
{
	OCIFS_GROW(s->v, s->n, s->cap);
	s->v[s->n++] = x;
	return 0;
}

/* ---------- a layer's own tree ---------- */

struct lnode {
	uint64_t size;
	unsigned char isdir, leaf, whiteout;
};

struct ltree {
	struct ocifs_strmap m;  /* path ("a/b") -> node number (same as m's) */
	struct lnode *n;
	size_t nn, cap;
	struct ocifs_strmap opqdirs; /* dirs holding .wh..wh..opq */
	uint64_t fsize, entries;
	char *buf;
	size_t bcap;
};

static void ltree_fini(struct ltree *t)
{
	ocifs_strmap_fini(&t->m);
	ocifs_strmap_fini(&t->opqdirs);
	free(t->n);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* 1 if some component of p[0..n) starts with ".wh..wh.." (dive never adds
 * such a path, nor anything below it). */
static int has_whwh(const char *p, size_t n)
{
	for (size_t i = 0; i + WHWHLEN <= n; i++)
		if ((i == 0 || p[i - 1] == '/') && !memcmp(p + i, WHWH, WHWHLEN))
			return 1;
	return 0;
}

static int strbuf(char **buf, size_t *cap, size_t need)
{
	char *q;

	if (need <= *cap)
		return 0;
	q = realloc(*buf, need + 256);
	if (!q)
		return -ENOMEM;
	*buf = q;
	*cap = need + 256;
	return 0;
}

static int ltree_entry(void *vc, const struct ocifs_entry *e)
{
	struct ltree *t = vc;
	int implicit = (e->flags & OCIFS_EF_IMPLICIT) != 0;
	size_t dl = strlen(e->dir), nl = strlen(e->name), len, old;
	struct lnode *n;
	int rc;

	if (!dl && !nl)
		return 0; /* "./": dive cleans it to "." and skips it */
	if (!implicit) {
		t->fsize += e->size; /* dive's layer size: every header */
		t->entries++;
	}
	if (strbuf(&t->buf, &t->bcap, dl + nl + 2))
		return -ENOMEM;
	len = dl ? (size_t)sprintf(t->buf, "%s/%s", e->dir, e->name) : (size_t)sprintf(t->buf, "%s", e->name);
	if (!implicit && !strcmp(e->name, OPQ) && !has_whwh(e->dir, dl)) {
		rc = ocifs_strmap_put(&t->opqdirs, e->dir, dl, 0, NULL);
		if (rc < 0)
			return rc;
	}
	if (has_whwh(t->buf, len))
		return 0;
	rc = ocifs_strmap_put(&t->m, t->buf, len, t->nn, &old);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		OCIFS_GROW(t->n, t->nn, t->cap);
		n = &t->n[t->nn++];
	} else {
		n = &t->n[old]; /* the last entry for a path wins */
	}
	n->size = implicit ? 0 : e->size; /* dive: an implicit parent has no info */
	n->isdir = !implicit && e->type == '5';
	n->leaf = 1;
	n->whiteout = !strncmp(e->name, WH, WHLEN);
	return 0;
}

/* Paths compared as their components are: '/' sorts below every byte. */
static int pathcmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned ca = (unsigned char)*a, cb = (unsigned char)*b;
		ca = ca == '/' ? 1 : ca ? ca + 1 : 0;
		cb = cb == '/' ? 1 : cb ? cb + 1 : 0;
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (!ca)
			return 0;
	}
}

struct ord {
	const char *k;
	uint32_t i;
};

static int ord_cmp(const void *a, const void *b)
{
	return pathcmp(((const struct ord *)a)->k, ((const struct ord *)b)->k);
}

/* Leaves, then dive's order (pre-order by name) into *ordp. */
static int ltree_order(struct ltree *t, struct ord **ordp)
{
	struct ord *o;

	for (size_t i = 0; i < t->nn; i++) {
		const char *k = ocifs_strmap_key(&t->m, i), *sl = strrchr(k, '/');
		size_t pi;
		if (sl && ocifs_strmap_get(&t->m, k, (size_t)(sl - k), &pi))
			t->n[pi].leaf = 0;
	}
	o = malloc((t->nn ? t->nn : 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < t->nn; i++)
		o[i] = (struct ord){ ocifs_strmap_key(&t->m, i), (uint32_t)i };
	qsort(o, t->nn, sizeof(*o), ord_cmp);
	*ordp = o;
	return 0;
}

/* ---------- dive's stack of the layers below ---------- */

struct snode {
	uint32_t parent, child, next, prev;
	uint64_t size;
	uint32_t owner;             /* layer whose entry set it */
	unsigned char isdir, alive;
	unsigned char gone, allgone; /* its bytes / its subtree's bytes are
				      * already counted as wasted (an opaque
				      * dir above hid them; dive keeps them) */
};

struct stk {
	struct ocifs_strmap m;   /* path -> node; "" is the root, node 0 */
	struct snode *n;
	size_t nn, cap;
};

/* Per-path tallies (dive's EfficiencyData) and the layers holding it. */
struct pent {
	int64_t cum, min;
	size_t count;
	uint32_t first, last;    /* struct occ chain */
};

struct occ {
	uint32_t layer, next;
	int64_t bytes;
	int whiteout;
};

struct ctx {
	struct stk st;
	struct ocifs_strmap pm;  /* path -> pent */
	struct pent *p;
	size_t np, pcap;
	struct occ *o;
	size_t no, ocap;
	struct u32v ineff;       /* pents in the order they reached two copies */
	struct u32v dfs, chain;
	struct ocifs_eff_layer *layers;
	char *buf;
	size_t bcap;
};

static uint32_t s_find(const struct stk *s, const char *p, size_t n)
{
	size_t i;

	if (!ocifs_strmap_get(&s->m, p, n, &i) || !s->n[i].alive)
		return NONE;
	return (uint32_t)i;
}

/* The node record for p[0..n), created dead if new. */
static int s_rec(struct stk *s, const char *p, size_t n, uint32_t *out)
{
	size_t old;
	int rc = ocifs_strmap_put(&s->m, p, n, s->nn, &old);

	if (rc < 0)
		return rc;
	if (rc == 0) {
		*out = (uint32_t)old;
		return 0;
	}
	OCIFS_GROW(s->n, s->nn, s->cap);
	s->n[s->nn] = (struct snode){ .parent = NONE, .child = NONE, .next = NONE, .prev = NONE };
	*out = (uint32_t)s->nn++;
	return 0;
}

static void s_link(struct stk *s, uint32_t i, uint32_t parent)
{
	struct snode *x = &s->n[i];

	x->parent = parent;
	x->prev = NONE;
	x->next = s->n[parent].child;
	if (x->next != NONE)
		s->n[x->next].prev = i;
	s->n[parent].child = i;
	x->child = NONE;
	x->alive = 1;
	x->gone = x->allgone = 0;
}

static void s_unlink(struct stk *s, uint32_t i)
{
	struct snode *x = &s->n[i];

	if (x->prev != NONE)
		s->n[x->prev].next = x->next;
	else
		s->n[x->parent].child = x->next;
	if (x->next != NONE)
		s->n[x->next].prev = x->prev;
	x->prev = x->next = NONE;
}

/* dive's AddPath: set p's info, creating missing parents (no info). */
static int s_set(struct ctx *c, const char *p, size_t n, uint64_t size, int isdir, uint32_t k)
{
	struct stk *s = &c->st;
	uint32_t i, a;
	int rc;

	if (!n)
		return 0; /* the root keeps no info */
	c->chain.n = 0;
	/* walk up to the first live ancestor, remembering the dead ones */
	for (size_t len = n;;) {
		const char *sl;
		if ((rc = s_rec(s, p, len, &i)))
			return rc;
		if (s->n[i].alive)
			break;
		if ((rc = u32_push(&c->chain, i)))
			return rc;
		sl = memrchr(p, '/', len);
		len = sl ? (size_t)(sl - p) : 0;
		if (!len) {
			i = 0;
			break;
		}
	}
	/* i is live: bring the chain to life below it, topmost first */
	for (size_t j = c->chain.n; j-- > 0;) {
		uint32_t d = c->chain.v[j];
		s_link(s, d, i);
		s->n[d].size = 0;
		s->n[d].isdir = 0;
		s->n[d].owner = k;
		i = d;
	}
	if ((rc = s_rec(s, p, n, &i)))
		return rc;
	if (!c->chain.n) { /* it was live: its old bytes are replaced */
		struct snode *x = &s->n[i];
		if (x->owner != k && !x->gone)
			c->layers[x->owner].wasted_bytes += x->size;
		x->gone = x->allgone = 0;
	}
	s->n[i].size = size;
	s->n[i].isdir = (unsigned char)isdir;
	s->n[i].owner = k;
	/* something below is no longer hidden */
	for (a = s->n[i].parent; a != NONE && s->n[a].allgone; a = s->n[a].parent)
		s->n[a].allgone = 0;
	return 0;
}

/* Sum of every size in i's subtree (dive's whiteout of a directory). */
static int s_sum(struct ctx *c, uint32_t i, int64_t *sum)
{
	struct stk *s = &c->st;
	int64_t t = 0;
	int rc;

	c->dfs.n = 0;
	if ((rc = u32_push(&c->dfs, i)))
		return rc;
	while (c->dfs.n) {
		uint32_t x = c->dfs.v[--c->dfs.n];
		t += (int64_t)s->n[x].size;
		for (uint32_t ch = s->n[x].child; ch != NONE; ch = s->n[ch].next)
			if ((rc = u32_push(&c->dfs, ch)))
				return rc;
	}
	*sum = t;
	return 0;
}

/* dive's RemovePath: i and its subtree leave the stack; bytes of other
 * layers still counted live are wasted. */
static int s_remove(struct ctx *c, uint32_t i, uint32_t k)
{
	struct stk *s = &c->st;
	int rc;

	if (i == 0)
		return 0; /* dive cannot remove the root */
	s_unlink(s, i);
	c->dfs.n = 0;
	if ((rc = u32_push(&c->dfs, i)))
		return rc;
	while (c->dfs.n) {
		uint32_t x = c->dfs.v[--c->dfs.n];
		struct snode *xn = &s->n[x];
		if (xn->owner != k && !xn->gone)
			c->layers[xn->owner].wasted_bytes += xn->size;
		for (uint32_t ch = xn->child; ch != NONE; ch = s->n[ch].next)
			if ((rc = u32_push(&c->dfs, ch)))
				return rc;
		xn->alive = 0;
		xn->child = NONE;
	}
	return 0;
}

/* An opaque dir in layer k hides what the layers below put under it:
 * their bytes are wasted (dive's stack keeps the nodes, so do we). */
static int s_opaque(struct ctx *c, const char *d, size_t n)
{
	struct stk *s = &c->st;
	uint32_t i = n ? s_find(s, d, n) : 0;
	int rc;

	if (i == NONE)
		return 0;
	c->dfs.n = 0;
	for (uint32_t ch = s->n[i].child; ch != NONE; ch = s->n[ch].next)
		if (!s->n[ch].allgone && (rc = u32_push(&c->dfs, ch)))
			return rc;
	while (c->dfs.n) {
		uint32_t x = c->dfs.v[--c->dfs.n];
		struct snode *xn = &s->n[x];
		if (!xn->gone)
			c->layers[xn->owner].wasted_bytes += xn->size;
		xn->gone = xn->allgone = 1;
		for (uint32_t ch = xn->child; ch != NONE; ch = s->n[ch].next)
			if (!s->n[ch].allgone && (rc = u32_push(&c->dfs, ch)))
				return rc;
	}
	return 0;
}

/* ---------- one layer ---------- */

/* The path a whiteout node deletes: its path without ".wh." (dive's
 * Path()), into c->buf; *tn is the length to look up in the stack (a
 * trailing "/" of a bare ".wh." dropped, as dive's GetNode does). */
static int wh_path(struct ctx *c, const char *k, size_t *n, size_t *tn)
{
	const char *sl = strrchr(k, '/');
	size_t dl = sl ? (size_t)(sl - k + 1) : 0, kl = strlen(k);

	if (strbuf(&c->buf, &c->bcap, kl + 1))
		return -ENOMEM;
	memcpy(c->buf, k, dl);
	memcpy(c->buf + dl, k + dl + WHLEN, kl - dl - WHLEN + 1);
	*n = kl - WHLEN;
	*tn = (*n && c->buf[*n - 1] == '/') ? *n - 1 : *n;
	return 0;
}

/* dive's Efficiency() visitor over layer k's leaves, in its order. */
static int visit_layer(struct ctx *c, struct ltree *t, const struct ord *o, uint32_t k)
{
	for (size_t j = 0; j < t->nn; j++) {
		const struct lnode *ln = &t->n[o[j].i];
		const char *key = o[j].k;
		size_t kn = strlen(key), tn = 0, pi;
		int64_t bytes;
		struct pent *pe;
		int rc;

		if (!ln->leaf)
			continue;
		if (ln->whiteout) {
			if ((rc = wh_path(c, key, &kn, &tn)))
				return rc;
			key = c->buf;
		}
		rc = ocifs_strmap_put(&c->pm, key, kn, c->np, &pi);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			OCIFS_GROW(c->p, c->np, c->pcap);
			pi = c->np++;
			c->p[pi] = (struct pent){ .min = -1, .first = NONE, .last = NONE };
		}
		if (ln->whiteout) {
			uint32_t si = s_find(&c->st, key, tn);
			if (si == NONE) {
				/* dive's GetNode fails: the visit of this layer ends */
				c->layers[k].walk_stopped = 1;
				return 0;
			}
			bytes = 0;
			if (c->st.n[si].isdir && (rc = s_sum(c, si, &bytes)))
				return rc;
		} else {
			bytes = (int64_t)ln->size;
		}
		pe = &c->p[pi];
		pe->cum += bytes;
		if (pe->min < 0 || bytes < pe->min)
			pe->min = bytes;
		OCIFS_GROW(c->o, c->no, c->ocap);
		c->o[c->no] = (struct occ){ k, NONE, bytes, ln->whiteout };
		if (pe->last != NONE)
			c->o[pe->last].next = (uint32_t)c->no;
		else
			pe->first = (uint32_t)c->no;
		pe->last = (uint32_t)c->no++;
		if (++pe->count == 2 && (rc = u32_push(&c->ineff, (uint32_t)pi)))
			return rc;
	}
	return 0;
}

/* dive's Stack(): layer k's nodes children first, in name order; with
 * raw, the first layer's tree itself (whiteouts kept as plain nodes). */
static int stack_layer(struct ctx *c, struct ltree *t, const struct ord *o, uint32_t k, int raw)
{
	struct u32v open = { 0 };
	int rc = 0;

	for (size_t j = 0; j <= t->nn && !rc; j++) {
		/* close the open nodes that are not ancestors of o[j] */
		while (open.n && !rc) {
			const struct ord *top = &o[open.v[open.n - 1]];
			size_t tl = strlen(top->k);
			if (j < t->nn && !strncmp(o[j].k, top->k, tl) && o[j].k[tl] == '/')
				break;
			open.n--;
			const struct lnode *ln = &t->n[top->i];
			if (ln->whiteout && !raw) {
				size_t n, tn;
				uint32_t si;
				if ((rc = wh_path(c, top->k, &n, &tn)))
					break;
				si = s_find(&c->st, c->buf, tn);
				if (si != NONE)
					rc = s_remove(c, si, k);
			} else {
				rc = s_set(c, top->k, tl, ln->size, ln->isdir, k);
			}
		}
		if (j < t->nn && !rc)
			rc = u32_push(&open, (uint32_t)j);
	}
	free(open.v);
	return rc;
}

static int load_layer(struct ocifs_session *s, size_t k, struct ltree *t)
{
	struct ocifs_idxdb *db;
	int rc = ocifs_layer_db(s->layers[k], &db);

	if (rc)
		return rc;
	rc = ocifs_idxdb_foreach(db, ltree_entry, t);
	ocifs_layer_db_close(s->layers[k]);
	if (rc)
		log_err("%s: layer %zu: reading its index: %s", s->img->path, k + 1, strerror(-rc));
	return rc;
}

static int do_layer(struct ctx *c, struct ocifs_session *s, size_t k)
{
	struct ltree t = { 0 };
	struct ord *o = NULL;
	int rc;

	if ((rc = load_layer(s, k, &t)) || (rc = ltree_order(&t, &o)))
		goto out;
	c->layers[k].size_bytes = t.fsize;
	c->layers[k].entries = t.entries;
	c->layers[k].nodes = t.nn;
	if (k == 0 && (rc = stack_layer(c, &t, o, 0, 1))) /* dive: the first tree, copied */
		goto out;
	if ((rc = visit_layer(c, &t, o, (uint32_t)k)))
		goto out;
	for (size_t i = 0; k > 0 && i < t.opqdirs.n && !rc; i++)
		rc = s_opaque(c, ocifs_strmap_key(&t.opqdirs, i), t.opqdirs.e[i].len);
	if (!rc)
		rc = stack_layer(c, &t, o, (uint32_t)k, 0);
out:
	free(o);
	ltree_fini(&t);
	return rc;
}

/* ---------- results ---------- */

struct rank {
	int64_t cum;
	size_t order;
	uint32_t pi;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->cum != y->cum)
		return x->cum < y->cum ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int results(struct ctx *c, struct ocifs_efficiency *e)
{
	int64_t minsum = 0, cumsum = 0;
	struct rank *r;
	size_t n = c->ineff.n;

	for (size_t i = 0; i < c->np; i++) {
		minsum += c->p[i].min;
		cumsum += c->p[i].cum;
	}
	e->score = cumsum == 0 ? 1.0 : (double)minsum / (double)cumsum;
	for (size_t i = 0; i < e->nlayers; i++) {
		e->size_bytes += e->layers[i].size_bytes;
		if (i)
			e->user_size_bytes += e->layers[i].size_bytes;
	}
	r = malloc((n ? n : 1) * sizeof(*r));
	e->files = calloc(n ? n : 1, sizeof(*e->files));
	if (!r || !e->files) {
		free(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = (struct rank){ c->p[c->ineff.v[i]].cum, i, c->ineff.v[i] };
	qsort(r, n, sizeof(*r), rank_cmp); /* dive: ascending; shown reversed */
	for (size_t i = 0; i < n; i++) {
		const struct pent *pe = &c->p[r[n - 1 - i].pi];
		struct ocifs_eff_file *f = &e->files[e->nfiles];
		const char *k = ocifs_strmap_key(&c->pm, r[n - 1 - i].pi);
		size_t h = 0;

		f->path = malloc(strlen(k) + 2);
		f->holders = calloc(pe->count, sizeof(*f->holders));
		if (!f->path || !f->holders) {
			free(f->path);
			free(f->holders);
			free(r);
			return -ENOMEM;
		}
		e->nfiles++;
		f->path[0] = '/';
		strcpy(f->path + 1, k);
		f->count = pe->count;
		f->bytes = pe->cum;
		for (uint32_t oi = pe->first; oi != NONE; oi = c->o[oi].next)
			f->holders[h++] = (struct ocifs_eff_holder){ c->o[oi].layer,
								     c->o[oi].whiteout,
								     c->o[oi].bytes };
		f->nholders = h;
		e->wasted_bytes += (uint64_t)pe->cum;
	}
	free(r);
	if (e->user_size_bytes)
		e->user_wasted_ratio = (double)e->wasted_bytes / (double)e->user_size_bytes;
	else /* Go's float division by zero, as dive does it */
		e->user_wasted_ratio = e->wasted_bytes ? INFINITY : NAN;
	return 0;
}

int ocifs_efficiency_compute(struct ocifs_session *s, struct ocifs_efficiency **out)
{
	struct ctx c = { 0 };
	struct ocifs_efficiency *e;
	uint32_t root;
	int rc;

	*out = NULL;
	if (!s->layers || s->nlayers != s->img->nlayers) {
		log_err("%s: efficiency needs every layer of the image", s->img->path);
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->nlayers = s->nlayers;
	e->layers = calloc(s->nlayers ? s->nlayers : 1, sizeof(*e->layers));
	rc = e->layers ? s_rec(&c.st, "", 0, &root) : -ENOMEM;
	if (!rc) {
		c.st.n[root].alive = 1;
		c.layers = e->layers;
	}
	for (size_t k = 0; k < s->nlayers && !rc; k++)
		rc = do_layer(&c, s, k);
	if (!rc)
		rc = results(&c, e);
	ocifs_strmap_fini(&c.st.m);
	free(c.st.n);
	ocifs_strmap_fini(&c.pm);
	free(c.p);
	free(c.o);
	free(c.ineff.v);
	free(c.dfs.v);
	free(c.chain.v);
	free(c.buf);
	if (rc) {
		if (rc == -ENOMEM)
			log_err("%s: efficiency: out of memory", s->img->path);
		ocifs_efficiency_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void ocifs_efficiency_free(struct ocifs_efficiency *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nfiles; i++) {
		free(e->files[i].path);
		free(e->files[i].holders);
	}
	free(e->files);
	free(e->layers);
	free(e);
}
