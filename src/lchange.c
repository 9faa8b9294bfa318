/* SPDX-License-Identifier: MIT */
/*
 * What layers did to the tree, by comparing merged views (lchange.h):
 * the layer diff (the view of layers 1..n-1 against that of 1..n, both
 * built with the view's own rules, so no merge rule is repeated here)
 * and the diff of two images' views. Both are one walk of the two trees
 * in step, each directory's sorted children merged by name: linear in
 * the entries of both. Why a path vanished in a layer diff (whiteout,
 * opaque directory, replaced parent) comes from layer n's own rows.
 * History of one path: lchange_hist.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idxdb.h"
#include "lchange.h"
#include "log.h"

#define NO_DIR UINT64_MAX /* no directory on that side of a walk frame */

/* Layer n's whiteout and opaque markers ("dir/.wh.name"), sorted. */
struct markers {
	char **v;
	size_t n, cap;
};

struct walk {
	const struct ocifs_view *a, *b;
	uint64_t *under_a, *under_b;  /* bytes of regular files under a dir */
	int collapse_added;           /* view diff: one entry per added dir */
	int layer_diff;               /* removal reasons wanted */
	struct markers mk;
	struct ocifs_idxdb *db;       /* layer n's index (layer diff) */
	ocifs_chg_cb cb;
	void *ctx;
	struct ocifs_chg_stats st;
	char *path;                   /* the current path, "/"-rooted */
	size_t plen, pcap;
	char *marker;                 /* scratch for a removal's marker */
	size_t mcap;
};

/* --- names ---------------------------------------------------------------- */

const char *ocifs_chg_kind_name(enum ocifs_chg_kind k)
{
	switch (k) {
	case OCIFS_CHG_ADDED: return "added";
	case OCIFS_CHG_MODIFIED: return "modified";
	case OCIFS_CHG_REMOVED: return "removed";
	}
	return "?";
}

const char *ocifs_hist_kind_name(enum ocifs_hist_kind k)
{
	switch (k) {
	case OCIFS_HIST_ADDED: return "added";
	case OCIFS_HIST_MODIFIED: return "modified";
	case OCIFS_HIST_SAME: return "unchanged";
	case OCIFS_HIST_WHITEOUT: return "whiteout";
	case OCIFS_HIST_OPAQUE: return "opaque";
	case OCIFS_HIST_REPLACED: return "replaced";
	}
	return "?";
}

const char *ocifs_chg_what(uint32_t what, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} t[] = {
		{ OCIFS_CHG_CONTENT, "content" }, { OCIFS_CHG_TYPE, "type" },
		{ OCIFS_CHG_MODE, "mode" },       { OCIFS_CHG_OWNER, "owner" },
		{ OCIFS_CHG_XATTRS, "xattrs" },   { OCIFS_CHG_MTIME, "mtime" },
		{ OCIFS_CHG_WHITEOUT, "whiteout" }, { OCIFS_CHG_OPAQUE, "opaque" },
		{ OCIFS_CHG_REPLACED, "replaced" },
	};
	size_t pos = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!(what & t[i].bit))
			continue;
		int n = snprintf(buf + pos, len - pos, "%s%s", pos ? "," : "", t[i].name);
		if (n < 0 || (size_t)n >= len - pos) {
			buf[pos] = '\0'; /* whole names only */
			break;
		}
		pos += (size_t)n;
	}
	return buf;
}

/* --- the two trees -------------------------------------------------------- */

/* Bytes of the regular files under each directory of v (every name
 * counts), by inode: a directory's inode is above its parent's (the view
 * numbers them breadth-first), so one pass from the top inode down sums
 * every subtree. */
static int bytes_under(const struct ocifs_view *v, uint64_t **out)
{
	uint64_t n = ocifs_view_inodes(v);
	uint64_t *s = calloc(n ? n : 1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (uint64_t d = 0; d < n; d++) {
		uint32_t cnt;
		if (ocifs_view_dir_size(v, d, &cnt))
			continue;
		for (uint32_t i = 0; i < cnt; i++) {
			struct ocifs_vattr ca;
			const char *nm;
			uint64_t c;
			if (!ocifs_view_dir_entry(v, d, i, &nm, &c) && !ocifs_view_getattr(v, c, &ca) &&
			    S_ISREG(ca.mode))
				s[d] += ca.size;
		}
	}
	for (uint64_t d = n; d-- > 1;) {
		struct ocifs_vattr a;
		uint64_t p;
		if (!ocifs_view_getattr(v, d, &a) && S_ISDIR(a.mode) && !ocifs_view_parent(v, d, &p) &&
		    p < d)
			s[p] += s[d];
	}
	*out = s;
	return 0;
}

static void side_of(const struct ocifs_view *v, const uint64_t *under, uint64_t ino,
		    struct ocifs_chg_side *sd)
{
	struct ocifs_vattr a;
	uint32_t fl = 0;

	memset(sd, 0, sizeof(*sd));
	if (ocifs_view_getattr(v, ino, &a))
		return;
	sd->present = 1;
	sd->mode = a.mode;
	sd->uid = a.uid;
	sd->gid = a.gid;
	sd->mtime_ns = a.mtime_ns;
	sd->layer = a.layer == OCIFS_VIEW_NO_LAYER ? 0 : a.layer + 1;
	if (S_ISREG(a.mode)) {
		sd->size = a.size;
		if (!ocifs_view_file_facts(v, ino, &fl, sd->sha256) && (fl & OCIFS_EF_HASHED))
			sd->has_sha = 1;
	} else if (S_ISDIR(a.mode)) {
		sd->size = under[ino];
	} else if (S_ISLNK(a.mode)) {
		(void)ocifs_view_readlink(v, ino, &sd->link);
	}
}

/* Is xattr (key, val) of ino in v? */
static int has_xattr(const struct ocifs_view *v, uint64_t ino, const char *key, const void *val,
		     size_t len)
{
	uint32_t n = 0;

	(void)ocifs_view_xattr_count(v, ino, &n);
	for (uint32_t i = 0; i < n; i++) {
		const char *k;
		const void *x;
		size_t l;
		if (!ocifs_view_xattr_entry(v, ino, i, &k, &x, &l) && !strcmp(k, key) && l == len &&
		    !memcmp(x, val, len))
			return 1;
	}
	return 0;
}

/* Both ways, so sets with the same count but other members differ. */
static int xattrs_differ(const struct ocifs_view *a, uint64_t ia, const struct ocifs_view *b,
			 uint64_t ib)
{
	uint32_t na = 0, nb = 0;

	(void)ocifs_view_xattr_count(a, ia, &na);
	(void)ocifs_view_xattr_count(b, ib, &nb);
	if (na != nb)
		return 1;
	for (uint32_t i = 0; i < na; i++) {
		const char *k;
		const void *x;
		size_t l;
		if (ocifs_view_xattr_entry(a, ia, i, &k, &x, &l) || !has_xattr(b, ib, k, x, l))
			return 1;
	}
	return 0;
}

/* What differs between the same path on both sides (OCIFS_CHG_* bits). */
static uint32_t compare(const struct walk *w, uint64_t ia, uint64_t ib,
			const struct ocifs_chg_side *o, const struct ocifs_chg_side *n)
{
	struct ocifs_vattr aa, ab;
	uint32_t what = 0;

	if ((o->mode & S_IFMT) != (n->mode & S_IFMT))
		return OCIFS_CHG_TYPE;
	(void)ocifs_view_getattr(w->a, ia, &aa);
	(void)ocifs_view_getattr(w->b, ib, &ab);
	if (S_ISREG(o->mode)) {
		if (o->size != n->size ||
		    (o->has_sha && n->has_sha && memcmp(o->sha256, n->sha256, sizeof(o->sha256))))
			what |= OCIFS_CHG_CONTENT;
	} else if (S_ISLNK(o->mode)) {
		if (strcmp(o->link ? o->link : "", n->link ? n->link : ""))
			what |= OCIFS_CHG_CONTENT;
	} else if (S_ISCHR(o->mode) || S_ISBLK(o->mode)) {
		if (aa.rdev != ab.rdev)
			what |= OCIFS_CHG_CONTENT;
	}
	if ((o->mode & 07777) != (n->mode & 07777))
		what |= OCIFS_CHG_MODE;
	if (o->uid != n->uid || o->gid != n->gid)
		what |= OCIFS_CHG_OWNER;
	if (xattrs_differ(w->a, ia, w->b, ib))
		what |= OCIFS_CHG_XATTRS;
	if (!what && o->mtime_ns != n->mtime_ns)
		what = OCIFS_CHG_MTIME;
	return what;
}

static int path_push(struct walk *w, const char *name, size_t *saved)
{
	size_t nl = strlen(name), need = w->plen + 1 + nl + 1;

	if (need > w->pcap) {
		size_t nc = w->pcap ? w->pcap : 256;
		while (nc < need)
			nc *= 2;
		char *p = realloc(w->path, nc);
		if (!p)
			return -ENOMEM;
		w->path = p;
		w->pcap = nc;
	}
	*saved = w->plen;
	if (w->plen != 1) /* "/" alone: the root */
		w->path[w->plen++] = '/';
	memcpy(w->path + w->plen, name, nl + 1);
	w->plen += nl;
	return 0;
}

static void path_pop(struct walk *w, size_t saved)
{
	w->plen = saved;
	w->path[saved] = '\0';
}

static int emit(struct walk *w, struct ocifs_chg *c)
{
	c->path = w->path;
	switch (c->kind) {
	case OCIFS_CHG_ADDED:
		w->st.added++;
		if (S_ISREG(c->new.mode) || (S_ISDIR(c->new.mode) && w->collapse_added))
			w->st.added_bytes += c->new.size;
		break;
	case OCIFS_CHG_MODIFIED:
		w->st.modified++;
		if (S_ISREG(c->new.mode))
			w->st.modified_bytes += c->new.size;
		break;
	case OCIFS_CHG_REMOVED:
		w->st.removed++;
		if (S_ISREG(c->old.mode) || S_ISDIR(c->old.mode))
			w->st.removed_bytes += c->old.size;
		break;
	}
	return w->cb ? w->cb(w->ctx, c) : 0;
}

/* --- why a path vanished (layer diff) -------------------------------------- */

static int mk_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int mk_has(const struct markers *m, const char *s)
{
	return m->n && bsearch(&s, m->v, m->n, sizeof(*m->v), mk_cmp) != NULL;
}

static int mk_row(void *ctx, const struct ocifs_entry *e)
{
	struct markers *m = ctx;
	char *s;

	if (strncmp(e->name, ".wh.", 4))
		return 0;
	if (asprintf(&s, "%s%s%s", e->dir, *e->dir ? "/" : "", e->name) < 0)
		return -ENOMEM;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 64;
		char **p = realloc(m->v, nc * sizeof(*p));
		if (!p) {
			free(s);
			return -ENOMEM;
		}
		m->v = p;
		m->cap = nc;
	}
	m->v[m->n++] = s;
	return 0;
}

static void mk_free(struct markers *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
}

/* w->marker = "/" + the first len bytes of the normalized path + tail. */
static int set_marker(struct walk *w, size_t len, const char *mid, const char *tail)
{
	size_t need = 1 + len + strlen(mid) + strlen(tail) + 1;

	if (need > w->mcap) {
		char *p = realloc(w->marker, need);
		if (!p)
			return -ENOMEM;
		w->marker = p;
		w->mcap = need;
	}
	snprintf(w->marker, need, "/%.*s%s%s", (int)len, w->path + 1, mid, tail);
	return 0;
}

/* Why w->path (in a, not in b) is gone after layer n: a whiteout of it
 * or of a parent, an opaque parent, or a parent the layer listed as a
 * non-directory (then made a directory again). *marker: the entry. */
static int why_removed(struct walk *w, uint32_t *how, const char **marker)
{
	const char *p = w->path + 1; /* normalized */
	size_t plen = w->plen - 1;
	int rc;

	*marker = NULL;
	*how = OCIFS_CHG_REPLACED;
	/* whiteouts: of the path, then of each parent upwards */
	for (size_t end = plen; end > 0;) {
		size_t slash = end;
		while (slash > 0 && p[slash - 1] != '/')
			slash--;
		if ((rc = set_marker(w, slash, ".wh.", "")) < 0)
			return rc;
		/* marker = "/dir/.wh." + name */
		size_t ml = strlen(w->marker), need = ml + (end - slash) + 1;
		if (need > w->mcap) {
			char *q = realloc(w->marker, need);
			if (!q)
				return -ENOMEM;
			w->marker = q;
			w->mcap = need;
		}
		memcpy(w->marker + ml, p + slash, end - slash);
		w->marker[ml + end - slash] = '\0';
		if (mk_has(&w->mk, w->marker + 1)) {
			*how = OCIFS_CHG_WHITEOUT;
			*marker = w->marker;
			return 0;
		}
		end = slash ? slash - 1 : 0;
	}
	/* opaque markers in each parent, nearest first; then the root */
	for (size_t end = plen; end > 0;) {
		while (end > 0 && p[end - 1] != '/')
			end--;
		size_t dlen = end ? end - 1 : 0;
		if ((rc = set_marker(w, dlen, dlen ? "/" : "", ".wh..wh..opq")) < 0)
			return rc;
		if (mk_has(&w->mk, w->marker + 1)) {
			*how = OCIFS_CHG_OPAQUE;
			*marker = w->marker;
			return 0;
		}
		end = dlen;
	}
	/* a parent the layer listed as something else than a directory */
	for (size_t end = plen; end > 0 && w->db;) {
		while (end > 0 && p[end - 1] != '/')
			end--;
		if (!end)
			break;
		end--;
		struct ocifs_entry e;
		if ((rc = set_marker(w, end, "", "")) < 0)
			return rc;
		if (ocifs_idxdb_lookup(w->db, w->marker + 1, &e) == 0) {
			int nondir = e.type != '5';
			ocifs_entry_fini(&e);
			if (nondir) {
				*marker = w->marker;
				return 0;
			}
		}
	}
	return 0;
}

/* --- the walk ------------------------------------------------------------- */

/* One directory being walked: the children of a's ia and b's ib, merged
 * by name; either may be NO_DIR (no directory on that side). */
struct wframe {
	uint64_t ia, ib;
	uint32_t na, nb, i, j;
	char *parent_path; /* a's children under a replaced directory */
	size_t saved;      /* the path's length before the current child */
};

static int frame_open(struct walk *w, struct wframe *f, uint64_t ia, uint64_t ib)
{
	memset(f, 0, sizeof(*f));
	f->ia = ia;
	f->ib = ib;
	if (ia != NO_DIR && ocifs_view_dir_size(w->a, ia, &f->na))
		f->na = 0;
	if (ib != NO_DIR && ocifs_view_dir_size(w->b, ib, &f->nb))
		f->nb = 0;
	if (f->na && ib == NO_DIR && !(f->parent_path = strdup(w->path)))
		return -ENOMEM;
	return 0;
}

/* b's path at ib is new: ADDED; *down is set when its children follow
 * (a directory, unless collapse_added). */
static int add_node(struct walk *w, uint64_t ib, int *down)
{
	struct ocifs_chg c = { .kind = OCIFS_CHG_ADDED };
	int rc;

	side_of(w->b, w->under_b, ib, &c.new);
	if ((rc = emit(w, &c)))
		return rc;
	*down = S_ISDIR(c.new.mode) && !w->collapse_added;
	return 0;
}

/* a's path at ia is gone: one entry (a directory with the bytes under
 * it). parent_replaced: its parent became a non-directory in b. */
static int remove_tree(struct walk *w, uint64_t ia, const char *parent_replaced)
{
	struct ocifs_chg c = { .kind = OCIFS_CHG_REMOVED };
	int rc;

	side_of(w->a, w->under_a, ia, &c.old);
	if (w->layer_diff) {
		if (parent_replaced) {
			c.what = OCIFS_CHG_REPLACED;
			c.marker = parent_replaced;
		} else if ((rc = why_removed(w, &c.what, &c.marker)) < 0) {
			return rc;
		}
	}
	return emit(w, &c);
}

/* Both trees from the root, depth first, each directory's children merged
 * by name. The directories being walked are a stack on the heap, not the
 * C stack: a tar may nest directories deeper than PATH_MAX allows a path
 * to be named, and such a layer is still diffed in full. */
static int walk_tree(struct walk *w)
{
	struct wframe *st = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!(st = malloc(16 * sizeof(*st))))
		return -ENOMEM;
	cap = 16;
	if ((rc = frame_open(w, &st[0], OCIFS_VIEW_ROOT, OCIFS_VIEW_ROOT)))
		goto out;
	n = 1;
	while (n && !rc) {
		struct wframe *f = &st[n - 1];
		const char *an = NULL, *bn = NULL;
		uint64_t ca = 0, cb = 0, da = NO_DIR, db = NO_DIR;
		int c, down = 0;

		if (f->i < f->na && ocifs_view_dir_entry(w->a, f->ia, f->i, &an, &ca))
			an = NULL;
		if (f->j < f->nb && ocifs_view_dir_entry(w->b, f->ib, f->j, &bn, &cb))
			bn = NULL;
		if (!an && !bn) { /* this directory is done: back to its parent */
			free(f->parent_path);
			if (--n)
				path_pop(w, st[n - 1].saved);
			continue;
		}
		c = !an ? 1 : !bn ? -1 : strcmp(an, bn);
		if ((rc = path_push(w, c <= 0 ? an : bn, &f->saved)))
			break;
		if (c < 0) {
			rc = remove_tree(w, ca, f->parent_path);
			f->i++;
		} else if (c > 0) {
			rc = add_node(w, cb, &down);
			db = cb;
			f->j++;
		} else {
			struct ocifs_chg ch = { .kind = OCIFS_CHG_MODIFIED };
			side_of(w->a, w->under_a, ca, &ch.old);
			side_of(w->b, w->under_b, cb, &ch.new);
			ch.what = compare(w, ca, cb, &ch.old, &ch.new);
			if (ch.what)
				rc = emit(w, &ch);
			down = S_ISDIR(ch.old.mode) || S_ISDIR(ch.new.mode);
			da = S_ISDIR(ch.old.mode) ? ca : NO_DIR;
			db = S_ISDIR(ch.new.mode) ? cb : NO_DIR;
			f->i++;
			f->j++;
		}
		if (rc)
			break;
		if (!down) {
			path_pop(w, f->saved);
			continue;
		}
		if (n == cap) {
			struct wframe *g = realloc(st, 2 * cap * sizeof(*st));
			if (!g) {
				rc = -ENOMEM;
				break;
			}
			st = g;
			cap *= 2;
		}
		if ((rc = frame_open(w, &st[n], da, db)))
			break;
		n++;
	}
out:
	while (n)
		free(st[--n].parent_path);
	free(st);
	return rc;
}

static int walk_views(struct walk *w)
{
	int rc;

	if ((rc = bytes_under(w->a, &w->under_a)) || (rc = bytes_under(w->b, &w->under_b)))
		return rc;
	w->pcap = 256;
	if (!(w->path = malloc(w->pcap)))
		return -ENOMEM;
	strcpy(w->path, "/");
	w->plen = 1;
	return walk_tree(w);
}

static void walk_fini(struct walk *w)
{
	free(w->under_a);
	free(w->under_b);
	free(w->path);
	free(w->marker);
	mk_free(&w->mk);
}

/* --- the entry points ----------------------------------------------------- */

int ocifs_lchange_views(const struct ocifs_view *a, const struct ocifs_view *b, ocifs_chg_cb cb,
			void *ctx, struct ocifs_chg_stats *st)
{
	struct walk w = { .a = a, .b = b, .collapse_added = 1, .cb = cb, .ctx = ctx };
	int rc = walk_views(&w);

	if (st)
		*st = w.st;
	walk_fini(&w);
	return rc;
}

/* Layer n's diff between the views lower (1..n-1) and upper (1..n). */
static int layer_diff(struct ocifs_session *s, unsigned n, const struct ocifs_view *lower,
		      const struct ocifs_view *upper, ocifs_chg_cb cb, void *ctx,
		      struct ocifs_chg_stats *st)
{
	struct ocifs_layer *l = s->layers[n - 1];
	struct walk w = { .layer_diff = 1, .cb = cb, .ctx = ctx, .a = lower, .b = upper };
	int rc;

	/* layer n's markers, then its index stays open for the rare lookup
	 * of a parent it replaced */
	if ((rc = ocifs_layer_db(l, &w.db)))
		goto out;
	if ((rc = ocifs_idxdb_foreach(w.db, mk_row, &w.mk)))
		goto out_db;
	if (w.mk.n)
		qsort(w.mk.v, w.mk.n, sizeof(*w.mk.v), mk_cmp);
	rc = walk_views(&w);
	if (st)
		*st = w.st;
out_db:
	ocifs_layer_db_close(l);
out:
	walk_fini(&w);
	return rc;
}

static int session_ok(const struct ocifs_session *s)
{
	return s->img && s->layers && s->nlayers == s->img->nlayers;
}

/* The view of the first n layers: the session's own for all of them. */
static int prefix(struct ocifs_session *s, size_t n, struct ocifs_view **built,
		  const struct ocifs_view **v)
{
	int rc;

	*built = NULL;
	if (n == s->img->nlayers && s->view) {
		*v = s->view;
		return 0;
	}
	rc = ocifs_view_open_prefix(s->img, s->layers, n, built);
	*v = *built;
	return rc;
}

int ocifs_lchange_layer(struct ocifs_session *s, unsigned n, ocifs_chg_cb cb, void *ctx,
			struct ocifs_chg_stats *st)
{
	struct ocifs_view *lower = NULL, *upper = NULL;
	const struct ocifs_view *lv, *uv;
	int rc;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!session_ok(s) || n < 1 || n > s->img->nlayers)
		return -EINVAL;
	if (!(rc = prefix(s, n - 1, &lower, &lv)) && !(rc = prefix(s, n, &upper, &uv)))
		rc = layer_diff(s, n, lv, uv, cb, ctx, st);
	ocifs_view_free(lower);
	ocifs_view_free(upper);
	return rc;
}

int ocifs_lchange_layers_stats(struct ocifs_session *s, struct ocifs_chg_stats *st)
{
	struct ocifs_view *lower = NULL, *upper = NULL;
	const struct ocifs_view *lv, *uv;
	int rc;

	if (!session_ok(s))
		return -EINVAL;
	memset(st, 0, s->nlayers * sizeof(*st));
	if ((rc = prefix(s, 0, &lower, &lv)))
		return rc;
	for (size_t n = 1; n <= s->nlayers && !rc; n++) {
		if (!(rc = prefix(s, n, &upper, &uv)))
			rc = layer_diff(s, (unsigned)n, lv, uv, NULL, NULL, &st[n - 1]);
		ocifs_view_free(lower); /* layer n's upper view is n+1's lower */
		lower = upper;
		lv = uv;
		upper = NULL;
	}
	ocifs_view_free(lower);
	return rc;
}
