/* SPDX-License-Identifier: MIT */
/*
 * The Python cataloger (pass 1, a bounded head of each file): every
 * installed distribution -- a *.dist-info directory (METADATA, RECORD),
 * a *.egg-info directory (PKG-INFO, installed-files.txt, requires.txt)
 * or file, an unzipped egg's EGG-INFO/PKG-INFO (a zipped .egg is not
 * read) -- as a component of purl type "pypi" named as declared (as
 * Trivy names it; purl.c spells the purl's name lower case with "_" as
 * "-", which the component also provides, and its requirements are
 * spelled so, so that they resolve), with its version,
 * licenses, the distributions it requires and the files it installed,
 * in the layer of its metadata file. The files of one distribution are
 * matched separately (and in any order, on several threads): they meet
 * in the state under its directory, and finish() emits the components,
 * sorted by directory. Parsing is scan/pymeta.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "hashtab.h"
#include "pymeta.h"

#define PY_FILE_MAX (4u << 20)  /* bytes of a metadata or list file read */
#define PY_MAX_DISTS (1u << 18) /* distributions kept of one image */

enum py_kind { PY_META, PY_RECORD, PY_INSTALLED, PY_REQUIRES, PY_NONE };

struct pyrec {
	char *dir;              /* the .dist-info / .egg-info (dir or file) */
	char *source;           /* its metadata file */
	uint32_t layer;         /* the metadata file's */
	int has_meta;
	struct ocifs_pymeta meta;
	struct ocifs_strv files, requires;
	size_t bad_paths;       /* file list entries dropped */
	int bad_text;
	int cut;                /* a file was longer than PY_FILE_MAX */
};

struct pystate {
	pthread_mutex_t lock;
	struct ocifs_strmap dirs;       /* dir -> index in recs */
	struct pyrec *recs;
	size_t n, cap;
};

static int ends(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);

	return n >= m && !memcmp(s + n - m, suf, m);
}

/* What path is, and the length of its distribution's directory. */
static enum py_kind classify(const char *path, size_t *dirlen)
{
	static const struct {
		const char *suffix, *dirsuf;
		enum py_kind kind;
	} t[] = {
		{ "/METADATA", ".dist-info", PY_META },
		{ "/RECORD", ".dist-info", PY_RECORD },
		{ "/PKG-INFO", ".egg-info", PY_META },
		{ "/PKG-INFO", "/EGG-INFO", PY_META },  /* an unzipped .egg */
		{ "/installed-files.txt", ".egg-info", PY_INSTALLED },
		{ "/requires.txt", ".egg-info", PY_REQUIRES },
	};
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t s = strlen(t[i].suffix);
		if (ends(path, n, t[i].suffix) && ends(path, n - s, t[i].dirsuf)) {
			*dirlen = n - s;
			return t[i].kind;
		}
	}
	if (ends(path, n, ".egg-info")) {
		*dirlen = n; /* an egg-info file is its PKG-INFO */
		return PY_META;
	}
	return PY_NONE;
}

static int py_match(const char *path, uint32_t magic)
{
	size_t d;

	(void)magic;
	return classify(path, &d) != PY_NONE;
}

static int py_init(const struct ocifs_catalog_env *env, void **state)
{
	struct pystate *s = calloc(1, sizeof(*s));

	(void)env;
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*state = s;
	return 0;
}

static void rec_fini(struct pyrec *r)
{
	free(r->dir);
	free(r->source);
	ocifs_pymeta_fini(&r->meta);
	ocifs_strv_fini(&r->files);
	ocifs_strv_fini(&r->requires);
}

static void py_fini(void *state)
{
	struct pystate *s = state;

	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		rec_fini(&s->recs[i]);
	free(s->recs);
	ocifs_strmap_fini(&s->dirs);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The record of dir (added if new), under the lock; NULL on ENOMEM. */
static struct pyrec *rec_of(struct pystate *s, const char *dir, size_t len)
{
	size_t i;

	if (ocifs_strmap_get(&s->dirs, dir, len, &i))
		return &s->recs[i];
	if (s->n >= PY_MAX_DISTS)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct pyrec *n = realloc(s->recs, cap * sizeof(*n));
		if (!n)
			return NULL;
		s->recs = n;
		s->cap = cap;
	}
	struct pyrec *r = &s->recs[s->n];
	memset(r, 0, sizeof(*r));
	if (!(r->dir = strndup(dir, len)))
		return NULL;
	if (ocifs_strmap_put(&s->dirs, dir, len, s->n, NULL) < 0) {
		free(r->dir);
		return NULL;
	}
	s->n++;
	return r;
}

/* Move the strings of from to the end of to (from is emptied). */
static int strv_move(struct ocifs_strv *to, struct ocifs_strv *from)
{
	int rc = 0;

	for (size_t i = 0; i < from->n; i++) {
		if (!rc && !ocifs_strv_has(to, from->v[i]))
			rc = ocifs_strv_take(to, from->v[i]);
		else
			free(from->v[i]);
	}
	free(from->v);
	*from = (struct ocifs_strv){ 0 };
	return rc;
}

static int py_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		      struct ocifs_emit *e)
{
	struct pystate *s = ocifs_emit_state(e);
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	struct ocifs_pymeta meta = { 0 };
	struct ocifs_strv list = { 0 };
	size_t dirlen, bad = 0;
	const char *buf;
	char *owned, *base = NULL;
	size_t len;
	int cut, bad_text = 0, rc;
	enum py_kind k = classify(f->path, &dirlen);

	(void)tree;
	if (k == PY_NONE)
		return 0;
	if ((rc = ocifs_pkg_read(rd, f->size, PY_FILE_MAX, &buf, &len, &owned, &cut)))
		return rc;
	if (k == PY_META) {
		rc = ocifs_pymeta_parse(buf, len, &meta);
	} else {
		/* RECORD is relative to the directory holding the .dist-info */
		size_t bl = dirlen;
		if (k == PY_RECORD)
			while (bl && f->path[bl - 1] != '/')
				bl--;
		if (!(base = strndup(f->path, bl)))
			rc = -ENOMEM;
		else
			rc = ocifs_py_list_parse(k == PY_REQUIRES ? OCIFS_PY_REQUIRES :
						 k == PY_RECORD ? OCIFS_PY_RECORD :
						 OCIFS_PY_INSTALLED_FILES,
						 buf, len, base, &list, &bad, &bad_text);
	}
	free(owned);
	free(base);
	if (rc)
		goto out;

	pthread_mutex_lock(&s->lock);
	struct pyrec *r = rec_of(s, f->path, dirlen);
	if (!r) {
		rc = s->n >= PY_MAX_DISTS ? -E2BIG : -ENOMEM;
	} else if (k == PY_META) {
		if (!r->has_meta && (r->source = strdup(f->path))) {
			r->has_meta = 1;
			r->meta = meta;
			memset(&meta, 0, sizeof(meta));
			r->layer = f->layer;
		} else if (!r->has_meta) {
			rc = -ENOMEM;
		}
	} else {
		rc = strv_move(k == PY_REQUIRES ? &r->requires : &r->files, &list);
		r->bad_paths += bad;
	}
	if (r) {
		r->cut |= cut;
		r->bad_text |= bad_text;
	}
	pthread_mutex_unlock(&s->lock);
out:
	ocifs_pymeta_fini(&meta);
	ocifs_strv_fini(&list);
	return rc;
}

/* Name and version from a directory "name-version.dist-info" (or
 * .egg-info, or "name-version-pyX.Y.egg/EGG-INFO") when the metadata
 * has none. */
static void from_dir(const char *dir, char **name, char **version)
{
	size_t end = strlen(dir);

	if (end >= 9 && !strcmp(dir + end - 9, "/EGG-INFO"))
		end -= 9;
	const char *b = dir + end;
	while (b > dir && b[-1] != '/')
		b--;
	size_t n = end - (size_t)(b - dir);
	for (size_t i = n; i > 0; i--)
		if (b[i - 1] == '.') {
			n = i - 1; /* the ".dist-info" / ".egg" suffix */
			break;
		}
	const char *dash = memchr(b, '-', n);
	*name = strndup(b, dash ? (size_t)(dash - b) : n);
	if (!dash) {
		*version = NULL;
		return;
	}
	const char *v = dash + 1;
	const char *vend = memchr(v, '-', n - (size_t)(v - b)); /* "-pyX.Y" */
	*version = strndup(v, vend ? (size_t)(vend - v) : n - (size_t)(v - b));
}

static int emit_rec(struct ocifs_emit *e, struct pyrec *r)
{
	struct ocifs_pymeta *m = &r->meta;
	char *dname = NULL, *dver = NULL, *pname = NULL;
	struct ocifs_prop props[1];
	size_t np = 0;
	const char *err = NULL;
	int rc = -ENOMEM;

	if (!m->name || !*m->name || !m->version) {
		from_dir(r->dir, &dname, &dver);
		err = "python: the metadata names no Name or Version (taken from the directory)";
	}
	const char *name = m->name && *m->name ? m->name : dname;
	const char *version = m->version ? m->version : dver;
	if (!name)
		goto out; /* ENOMEM */
	if (!*name) {
		rc = 0; /* nothing to call it */
		goto out;
	}
	if (!(pname = ocifs_py_purl_name(name)))
		goto out;
	if (!err && r->cut)
		err = "python: a metadata file was read up to its 4 MiB bound";
	if (!err && (r->bad_text || m->bad_text))
		err = "python: bytes that are not UTF-8 (escaped as \\ooo)";
	if (!err && (r->bad_paths || m->bad_lines))
		err = "python: file list entries or metadata lines were skipped";
	if (err)
		props[np++] = (struct ocifs_prop){ "ocifs:error", (char *)err };
	/* what it requires, spelled as the purl spells names (purl.c); the
	 * component provides its own name so spelled, so they resolve */
	if ((rc = strv_move(&r->requires, &m->requires)))
		goto out;
	for (size_t i = 0; i < r->requires.n; i++) {
		char *d = ocifs_py_purl_name(r->requires.v[i]);
		if (!d) {
			rc = -ENOMEM;
			goto out;
		}
		free(r->requires.v[i]);
		r->requires.v[i] = d;
	}
	struct ocifs_component c = {
		.type = "pypi",
		.name = (char *)name,           /* as declared, as Trivy names it */
		.version = (char *)version,
		.kind = "library",
		.layer = r->layer,
		.source = r->source,
		.files = r->files.v,
		.nfiles = r->files.n,
		.licenses = m->licenses.v,
		.nlicenses = m->licenses.n,
		.depends = r->requires.v,
		.ndepends = r->requires.n,
		.provides = &pname,
		.nprovides = 1,
		.props = props,
		.nprops = np,
	};
	rc = ocifs_emit_component(e, &c);
out:
	free(dname);
	free(dver);
	free(pname);
	return rc;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct pyrec *)a)->dir, ((const struct pyrec *)b)->dir);
}

static int py_finish(struct ocifs_model *m, void *state, struct ocifs_emit *e)
{
	struct pystate *s = state;
	int rc = 0;

	(void)m;
	if (s->n > 1) /* the map is not used again */
		qsort(s->recs, s->n, sizeof(*s->recs), cmp_rec);
	for (size_t i = 0; i < s->n && !rc; i++)
		if (s->recs[i].has_meta)
			rc = emit_rec(e, &s->recs[i]);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_python = {
	.name = "python",
	.pass = 1,
	.want = PY_FILE_MAX,
	.match = py_match,
	.init = py_init,
	.analyze = py_analyze,
	.finish = py_finish,
	.fini = py_fini,
};
