/* SPDX-License-Identifier: MIT */
/*
 * The history of one path (lchange.h): for each layer, bottom to top, a
 * handful of index lookups (the path, the whiteout of it and of each
 * parent, an opaque marker in each parent, a parent listed as a
 * non-directory), never a scan, and the layer's event against the
 * path's state after the layers below it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "idxdb.h"
#include "lchange.h"
#include "path.h"

struct xa {
	char *key;
	void *val;
	size_t len;
};

/* One version of the path, owned. */
struct state {
	struct ocifs_chg_side sd;
	uint64_t rdev;
	char *link;
	struct xa *x;
	size_t nx, xcap;
};

static void state_fini(struct state *s)
{
	free(s->link);
	for (size_t i = 0; i < s->nx; i++) {
		free(s->x[i].key);
		free(s->x[i].val);
	}
	free(s->x);
	memset(s, 0, sizeof(*s));
}

static int xa_add(void *ctx, const char *key, const void *val, size_t len)
{
	struct state *s = ctx;

	if (s->nx == s->xcap) {
		size_t nc = s->xcap ? s->xcap * 2 : 4;
		struct xa *p = realloc(s->x, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->x = p;
		s->xcap = nc;
	}
	struct xa *x = &s->x[s->nx];
	x->key = strdup(key);
	x->val = malloc(len ? len : 1);
	if (!x->key || !x->val) {
		free(x->key);
		free(x->val);
		return -ENOMEM;
	}
	memcpy(x->val, val, len);
	x->len = len;
	s->nx++;
	return 0;
}

static int xa_has(const struct state *s, const struct xa *x)
{
	for (size_t i = 0; i < s->nx; i++)
		if (!strcmp(s->x[i].key, x->key) && s->x[i].len == x->len &&
		    !memcmp(s->x[i].val, x->val, x->len))
			return 1;
	return 0;
}

/* The regular file a hard link of layer i names: the last entry for
 * target in layer i or, failing that, in the nearest layer below that
 * has one (the view links to the version of the tree below the link).
 * *db_out: the index it came from, open (close layer *li_out's). */
static int link_target(struct ocifs_session *s, size_t i, struct ocifs_idxdb *db,
		       const char *target, struct ocifs_entry *tgt, size_t *li_out)
{
	for (size_t j = i + 1; j-- > 0;) {
		struct ocifs_idxdb *dj = db;
		int rc;
		if (j != i && (rc = ocifs_layer_db(s->layers[j], &dj)))
			return rc;
		rc = ocifs_idxdb_lookup(dj, target, tgt);
		if (rc == 0 && (tgt->type == '0' || tgt->type == '7')) {
			*li_out = j;
			return 0;
		}
		if (rc == 0)
			ocifs_entry_fini(tgt);
		if (j != i)
			ocifs_layer_db_close(s->layers[j]);
		if (rc != 0 && rc != -ENOENT)
			return rc;
		if (rc == 0)
			return -ENOENT; /* not a regular file there: a broken link */
	}
	return -ENOENT;
}

/* The state row e of layer i (index db) gives the path; a hard link
 * takes its target's attributes. */
static int state_of(struct ocifs_session *s_, size_t i, struct ocifs_idxdb *db,
		    const struct ocifs_entry *row, unsigned layer, struct state *s)
{
	struct ocifs_entry tgt = { 0 };
	const struct ocifs_entry *e = row;
	size_t tl = i;
	int rc;

	memset(s, 0, sizeof(*s));
	if (row->type == '1' && row->link && link_target(s_, i, db, row->link, &tgt, &tl) == 0)
		e = &tgt;
	else
		tl = i;
	uint32_t type = e->type == '1' ? S_IFREG : ocifs_tar_mode(e->type);
	s->sd.present = 1;
	s->sd.layer = layer;
	s->sd.mode = S_ISLNK(type) ? (S_IFLNK | 0777) : (type | (e->mode & 07777));
	s->sd.uid = e->uid;
	s->sd.gid = e->gid;
	s->sd.mtime_ns = e->mtime_ns;
	if (row->flags & OCIFS_EF_IMPLICIT) { /* a parent the tar never listed */
		s->sd.mode = S_IFDIR | 0755;
		s->sd.uid = s->sd.gid = 0;
		s->sd.mtime_ns = 0;
	}
	if (S_ISREG(type)) {
		s->sd.size = e->size;
		if (e->flags & OCIFS_EF_HASHED) {
			s->sd.has_sha = 1;
			memcpy(s->sd.sha256, e->sha256, sizeof(s->sd.sha256));
		}
	}
	if (S_ISCHR(type) || S_ISBLK(type))
		s->rdev = makedev(e->devmajor, e->devminor);
	rc = 0;
	if ((S_ISLNK(type) || row->type == '1') && row->link && !(s->link = strdup(row->link)))
		rc = -ENOMEM;
	s->sd.link = s->link;
	if (!rc && (e->flags & OCIFS_EF_XATTR)) {
		struct ocifs_idxdb *dx = db;
		if (tl != i && (rc = ocifs_layer_db(s_->layers[tl], &dx)))
			goto out;
		rc = ocifs_idxdb_xattrs(dx, e->id, xa_add, s);
	}
out:
	if (tl != i)
		ocifs_layer_db_close(s_->layers[tl]);
	ocifs_entry_fini(&tgt);
	if (rc)
		state_fini(s);
	return rc;
}

static uint32_t state_cmp(const struct state *o, const struct state *n)
{
	uint32_t what = 0;

	if ((o->sd.mode & S_IFMT) != (n->sd.mode & S_IFMT))
		return OCIFS_CHG_TYPE;
	if (S_ISREG(o->sd.mode) &&
	    (o->sd.size != n->sd.size ||
	     (o->sd.has_sha && n->sd.has_sha && memcmp(o->sd.sha256, n->sd.sha256, 32))))
		what |= OCIFS_CHG_CONTENT;
	if (S_ISLNK(o->sd.mode) && strcmp(o->link ? o->link : "", n->link ? n->link : ""))
		what |= OCIFS_CHG_CONTENT;
	if ((S_ISCHR(o->sd.mode) || S_ISBLK(o->sd.mode)) && o->rdev != n->rdev)
		what |= OCIFS_CHG_CONTENT;
	if ((o->sd.mode & 07777) != (n->sd.mode & 07777))
		what |= OCIFS_CHG_MODE;
	if (o->sd.uid != n->sd.uid || o->sd.gid != n->sd.gid)
		what |= OCIFS_CHG_OWNER;
	int xd = o->nx != n->nx;
	for (size_t i = 0; i < o->nx && !xd; i++)
		xd = !xa_has(n, &o->x[i]);
	if (xd)
		what |= OCIFS_CHG_XATTRS;
	if (!what && o->sd.mtime_ns != n->sd.mtime_ns)
		what = OCIFS_CHG_MTIME;
	return what;
}

/* Does layer db hold the row at path (normalized)? 1 (and *type), 0,
 * or an error. */
static int has_row(struct ocifs_idxdb *db, const char *path, char *type, uint32_t *flags)
{
	struct ocifs_entry e;
	int rc = ocifs_idxdb_lookup(db, path, &e);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (type)
		*type = e.type;
	if (flags)
		*flags = e.flags;
	ocifs_entry_fini(&e);
	return 1;
}

/* What layer db does to path p (normalized, not ""): the marker that
 * hides it ("/"-rooted into buf) and its kind, or 0. */
static int hider(struct ocifs_idxdb *db, const char *p, char *buf, size_t cap,
		 enum ocifs_hist_kind *kind)
{
	size_t plen = strlen(p);
	char type = 0;
	uint32_t fl = 0;
	int rc;

	/* a whiteout of the path or of a parent */
	for (size_t end = plen; end > 0;) {
		size_t slash = end;
		while (slash > 0 && p[slash - 1] != '/')
			slash--;
		if ((size_t)snprintf(buf, cap, "/%.*s.wh.%.*s", (int)slash, p, (int)(end - slash),
				     p + slash) >= cap)
			return -ENAMETOOLONG;
		if ((rc = has_row(db, buf + 1, NULL, NULL)) != 0) {
			*kind = OCIFS_HIST_WHITEOUT;
			return rc;
		}
		end = slash ? slash - 1 : 0;
	}
	/* an opaque parent */
	for (size_t end = plen; end > 0;) {
		while (end > 0 && p[end - 1] != '/')
			end--;
		size_t dlen = end ? end - 1 : 0;
		if ((size_t)snprintf(buf, cap, "/%.*s%s.wh..wh..opq", (int)dlen, p,
				     dlen ? "/" : "") >= cap)
			return -ENAMETOOLONG;
		if ((rc = has_row(db, buf + 1, NULL, NULL)) != 0) {
			*kind = OCIFS_HIST_OPAQUE;
			return rc;
		}
		end = dlen;
	}
	/* a parent listed as something else than a directory */
	for (size_t end = plen; end > 0;) {
		while (end > 0 && p[end - 1] != '/')
			end--;
		if (!end)
			break;
		end--;
		if ((size_t)snprintf(buf, cap, "/%.*s", (int)end, p) >= cap)
			return -ENAMETOOLONG;
		rc = has_row(db, buf + 1, &type, &fl);
		if (rc < 0)
			return rc;
		if (rc && type != '5') {
			*kind = OCIFS_HIST_REPLACED;
			return 1;
		}
	}
	return 0;
}

/* Layer i's event for p, given the state below it (*cur, updated). */
static int layer_event(struct ocifs_session *s, size_t i, const char *p, struct state *cur,
		       char *buf, size_t cap, ocifs_hist_cb cb, void *ctx)
{
	const struct ocifs_history *hi = ocifs_image_layer_history(s->img, i);
	struct ocifs_hist h = { .layer = (unsigned)i + 1, .created_by = hi ? hi->created_by : NULL };
	struct ocifs_idxdb *db;
	struct ocifs_entry e;
	struct state nw = { 0 };
	int rc;

	if ((rc = ocifs_layer_db(s->layers[i], &db)))
		return rc;
	rc = ocifs_idxdb_lookup(db, p, &e);
	if (rc == 0 && strncmp(e.name, ".wh.", 4) != 0 &&
	    !((e.flags & OCIFS_EF_IMPLICIT) && cur->sd.present && S_ISDIR(cur->sd.mode))) {
		rc = state_of(s, i, db, &e, h.layer, &nw);
		ocifs_entry_fini(&e);
		if (rc)
			goto out;
		if (!cur->sd.present) {
			h.kind = OCIFS_HIST_ADDED;
		} else {
			h.what = state_cmp(cur, &nw);
			h.kind = h.what ? OCIFS_HIST_MODIFIED : OCIFS_HIST_SAME;
		}
		h.st = nw.sd;
		rc = cb ? cb(ctx, &h) : 0;
		state_fini(cur);
		*cur = nw;
		goto out;
	}
	if (rc == 0)
		ocifs_entry_fini(&e);
	else if (rc != -ENOENT)
		goto out;
	rc = 0;
	if (!*p && !cur->sd.present) {
		/* the root, which a tar need not list: there from the first
		 * layer on, as the implicit parent a layer's index makes of
		 * any directory it does not list (state_of) */
		cur->sd = (struct ocifs_chg_side){ .present = 1, .layer = h.layer,
						   .mode = S_IFDIR | 0755 };
		h.kind = OCIFS_HIST_ADDED;
		h.st = cur->sd;
		rc = cb ? cb(ctx, &h) : 0;
		goto out;
	}
	if (!cur->sd.present || !*p)
		goto out;
	enum ocifs_hist_kind kind;
	if ((rc = hider(db, p, buf, cap, &kind)) <= 0)
		goto out;
	h.kind = kind;
	h.marker = buf;
	rc = cb ? cb(ctx, &h) : 0;
	state_fini(cur);
out:
	ocifs_layer_db_close(s->layers[i]);
	return rc;
}

int ocifs_lchange_history(struct ocifs_session *s, const char *path, ocifs_hist_cb cb, void *ctx,
			  int *in_view)
{
	struct state cur = { 0 };
	char *p, *buf = NULL;
	size_t cap;
	int rc = 0;

	if (in_view)
		*in_view = 0;
	if (!s->img || !s->layers || s->nlayers != s->img->nlayers)
		return -EINVAL;
	if (!(p = strdup(path)))
		return -ENOMEM;
	if (ocifs_path_normalize(p)) {
		free(p);
		return -EINVAL;
	}
	cap = strlen(p) + 32;
	if (!(buf = malloc(cap))) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nlayers && !rc; i++)
		rc = layer_event(s, i, p, &cur, buf, cap, cb, ctx);
	if (!rc && in_view) {
		uint64_t ino;
		*in_view = s->view ? ocifs_view_resolve(s->view, p, &ino) == 0 : cur.sd.present;
	}
	state_fini(&cur);
	free(buf);
	free(p);
	return rc;
}
