/* SPDX-License-Identifier: MIT */
/*
 * lchange.h as a library (the report and `explain` call it without the
 * CLI), over the forensics image of tests/gen/mkdifflayers.py:
 *  - ocifs_view_open_prefix() of every layer is the session's (cached)
 *    view inode for inode, and of 0 layers the bare root;
 *  - ocifs_lchange_layer() with no callback gives the same statistics as
 *    with one, and these count the callbacks; changes come depth-first,
 *    parents first, names in byte order; a callback's non-zero return
 *    stops the walk and is returned; layer numbers out of range -EINVAL;
 *  - ocifs_lchange_views() of a view against itself is empty, and of the
 *    views of layers 1..n-1 and 1..n has the layer diff's paths;
 *  - ocifs_lchange_history(): a path no layer has calls nothing; in_view;
 *    a path above the root -EINVAL; what the callback returns stops it;
 *  - the names of kinds and the what list (cut to its buffer).
 * What each change says is checked against umoci's trees by t21/t22.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_oci.h"
#include "lchange.h"
#include "session.h"
#include "tap.h"

struct rec {
	size_t n, kinds[4], stop_at;
	char **paths;
	uint64_t bytes[4];
	int bad_order;
};

/* a before b in component order (parents first, names by strcmp)? */
static int before(const char *a, const char *b)
{
	while (*a && *b) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		int c = memcmp(a, b, la < lb ? la : lb);
		if (c || la != lb)
			return c ? c < 0 : la < lb;
		a += la + (a[la] == '/');
		b += lb + (b[lb] == '/');
	}
	return !*a && *b;
}

static int rec_cb(void *ctx, const struct ocifs_chg *c)
{
	struct rec *r = ctx;
	char **p = realloc(r->paths, (r->n + 1) * sizeof(*p));

	if (!p)
		abort();
	r->paths = p;
	if (r->n && !before(r->paths[r->n - 1] + 1, c->path + 1))
		r->bad_order = 1;
	r->paths[r->n++] = strdup(c->path);
	r->kinds[c->kind]++;
	if (c->kind == OCIFS_CHG_ADDED && S_ISREG(c->new.mode))
		r->bytes[c->kind] += c->new.size;
	if (c->kind == OCIFS_CHG_REMOVED)
		r->bytes[c->kind] += c->old.size;
	return r->stop_at && r->n == r->stop_at ? 7 : 0;
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->paths[i]);
	free(r->paths);
	memset(r, 0, sizeof(*r));
}

/* Two views the same inode for inode (attributes, names, targets)? */
static int same_views(const struct ocifs_view *a, const struct ocifs_view *b)
{
	uint64_t n = ocifs_view_inodes(a);
	char pa[4096], pb[4096];

	if (n != ocifs_view_inodes(b))
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		struct ocifs_vattr x, y;
		memset(&x, 0, sizeof(x)); /* padding */
		memset(&y, 0, sizeof(y));
		if (ocifs_view_getattr(a, i, &x) || ocifs_view_getattr(b, i, &y) ||
		    x.mode != y.mode || x.nlink != y.nlink || x.uid != y.uid || x.gid != y.gid ||
		    x.mtime_ns != y.mtime_ns || x.size != y.size || x.rdev != y.rdev ||
		    x.layer != y.layer || ocifs_view_path(a, i, pa, sizeof(pa)) ||
		    ocifs_view_path(b, i, pb, sizeof(pb)) || strcmp(pa, pb))
			return 0;
	}
	return 1;
}

static int hist_cb(void *ctx, const struct ocifs_hist *h)
{
	size_t *n = ctx;

	(void)h;
	return ++*n == 2 ? 9 : 0;
}

static void check(struct ocifs_session *s)
{
	size_t nl = s->nlayers;
	struct ocifs_view *v = NULL, *lo = NULL;
	struct ocifs_chg_stats st, st2;
	struct rec r = { 0 };
	size_t hn = 0;
	int in_view = -1, rc;
	uint32_t cnt = 1;

	ok(nl == 3, "the image has 3 layers (%zu)", nl);
	rc = ocifs_view_open_prefix(s->img, s->layers, nl, &v);
	ok(!rc && same_views(v, s->view), "the in-memory view of every layer is the cached one");
	ok(!rc && ocifs_view_nlayers(v) == nl, "... and says it has %zu layers", nl);
	ocifs_view_free(v);
	v = NULL;
	rc = ocifs_view_open_prefix(s->img, s->layers, 0, &v);
	ok(!rc && ocifs_view_inodes(v) == 1 && !ocifs_view_dir_size(v, OCIFS_VIEW_ROOT, &cnt) &&
	   cnt == 0, "the view of no layer is the bare root");
	ocifs_view_free(v);
	v = NULL;
	is_int(ocifs_view_open_prefix(s->img, s->layers, nl + 1, &v), -EINVAL,
	       "a prefix past the top: -EINVAL");

	for (unsigned n = 1; n <= nl; n++) {
		rc = ocifs_lchange_layer(s, n, NULL, NULL, &st);
		ok(!rc && st.added + st.modified + st.removed > 0,
		   "layer %u: statistics alone (%llu added, %llu modified, %llu removed)", n,
		   (unsigned long long)st.added, (unsigned long long)st.modified,
		   (unsigned long long)st.removed);
		rc = ocifs_lchange_layer(s, n, rec_cb, &r, &st2);
		ok(!rc && !memcmp(&st, &st2, sizeof(st)), "layer %u: the same with a callback", n);
		ok(r.kinds[OCIFS_CHG_ADDED] == st.added && r.kinds[OCIFS_CHG_MODIFIED] == st.modified &&
		   r.kinds[OCIFS_CHG_REMOVED] == st.removed &&
		   r.bytes[OCIFS_CHG_ADDED] == st.added_bytes &&
		   r.bytes[OCIFS_CHG_REMOVED] == st.removed_bytes,
		   "layer %u: they count the callbacks and their bytes", n);
		ok(!r.bad_order, "layer %u: depth-first, parents first, names in byte order", n);
		/* the views of 1..n-1 and 1..n: the layer diff's paths, but an
		 * added directory is one change */
		if (!ocifs_view_open_prefix(s->img, s->layers, n - 1, &lo) &&
		    !ocifs_view_open_prefix(s->img, s->layers, n, &v)) {
			struct rec rv = { 0 };
			size_t j = 0, miss = 0;
			rc = ocifs_lchange_views(lo, v, rec_cb, &rv, &st2);
			for (size_t i = 0; i < r.n; i++) { /* rv's paths: a subsequence */
				if (j < rv.n && !strcmp(r.paths[i], rv.paths[j]))
					j++;
				else if (!j || strncmp(r.paths[i], rv.paths[j - 1],
						       strlen(rv.paths[j - 1])))
					miss++; /* only below an added directory */
			}
			ok(!rc && j == rv.n && !miss && st2.modified == st.modified &&
			   st2.removed == st.removed && st2.removed_bytes == st.removed_bytes,
			   "layer %u: the view diff of 1..%u and 1..%u agrees (%zu changes)", n, n - 1, n,
			   rv.n);
			rec_free(&rv);
		} else {
			ok(0, "layer %u: prefix views", n);
		}
		ocifs_view_free(lo);
		ocifs_view_free(v);
		lo = v = NULL;
		rec_free(&r);
	}
	{
		struct ocifs_chg_stats all[3], one;
		int same = ocifs_lchange_layers_stats(s, all) == 0;
		for (unsigned n = 1; n <= nl && n <= 3 && same; n++)
			same = !ocifs_lchange_layer(s, n, NULL, NULL, &one) &&
			       !memcmp(&one, &all[n - 1], sizeof(one));
		ok(same, "every layer's statistics at once equal each layer's own");
	}
	r.stop_at = 2;
	is_int(ocifs_lchange_layer(s, 1, rec_cb, &r, NULL), 7, "a callback's return stops the walk");
	is_int((int)r.n, 2, "... after that call");
	rec_free(&r);
	is_int(ocifs_lchange_layer(s, 0, rec_cb, &r, &st), -EINVAL, "layer 0: -EINVAL");
	is_int(ocifs_lchange_layer(s, (unsigned)nl + 1, rec_cb, &r, &st), -EINVAL,
	       "layer past the top: -EINVAL");
	ok(r.n == 0, "... and no callback");
	rc = ocifs_lchange_views(s->view, s->view, rec_cb, &r, &st);
	ok(!rc && r.n == 0 && st.added + st.modified + st.removed == 0,
	   "a view against itself: nothing");

	rc = ocifs_lchange_history(s, "/no/such/thing", hist_cb, &hn, &in_view);
	ok(!rc && hn == 0 && in_view == 0, "history of a path no layer has: 0, no callback");
	rc = ocifs_lchange_history(s, "op/b", NULL, NULL, &in_view);
	ok(!rc && in_view == 0, "history of a path whited out: not in the view");
	rc = ocifs_lchange_history(s, "/etc/passwd", NULL, NULL, &in_view);
	ok(!rc && in_view == 1, "history of a path in the view");
	is_int(ocifs_lchange_history(s, "/op/b", hist_cb, &hn, NULL), 9,
	       "a history callback's return stops it");
	is_int(ocifs_lchange_history(s, "../etc", hist_cb, &hn, NULL), -EINVAL,
	       "a path above the root: -EINVAL");
}

int main(void)
{
	const char *src = getenv("OCIFS_SRCDIR"), *tmp = fz_tmp();
	struct ocifs_session_opts so = { .img = { .platform = "linux/amd64" } };
	struct ocifs_session *s = NULL;
	struct fz_part parts[3];
	void *bufs[3] = { 0 };
	char cmd[2048], path[1024], dir[512], buf[64];
	int rc;

	if (!src)
		src = ".";
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/gen/mkdifflayers.py' '%s/L'", src, tmp);
	if (!ok(system(cmd) == 0, "tests/gen/mkdifflayers.py ran"))
		return done_testing();
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/L/L%zu.tar", tmp, i + 1);
		if (!(bufs[i] = tap_slurp(path, &parts[i].n)))
			abort();
		parts[i].p = bufs[i];
	}
	snprintf(dir, sizeof(dir), "%s/img", tmp);
	rc = fz_layout_of_layers(dir, parts, 3);
	if (!rc)
		rc = ocifs_session_open(dir, &so, &s);
	if (ok(!rc, "the forensics image opens (%s)", strerror(-rc)))
		check(s);
	ocifs_session_close(s);
	for (size_t i = 0; i < 3; i++)
		free(bufs[i]);

	is_str(ocifs_chg_what(OCIFS_CHG_CONTENT | OCIFS_CHG_MODE | OCIFS_CHG_XATTRS, buf, sizeof(buf)),
	       "content,mode,xattrs", "what: a comma list in a fixed order");
	is_str(ocifs_chg_what(OCIFS_CHG_WHITEOUT, buf, sizeof(buf)), "whiteout", "what: whiteout");
	is_str(ocifs_chg_what(OCIFS_CHG_CONTENT | OCIFS_CHG_MODE, buf, 10), "content",
	       "what: cut at a name that does not fit, still terminated");
	is_str(ocifs_chg_kind_name(OCIFS_CHG_REMOVED), "removed", "kind names");
	is_str(ocifs_hist_kind_name(OCIFS_HIST_SAME), "unchanged", "history kind names");
	return done_testing();
}
