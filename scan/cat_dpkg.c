/* SPDX-License-Identifier: MIT */
/*
 * The dpkg cataloger (pass 1, every byte): Debian packages from
 * /var/lib/dpkg/status and distroless /var/lib/dpkg/status.d/ files,
 * with the files each owns (info/PKG[:ARCH].list, else its .md5sums;
 * status.d/PKG.md5sums for distroless) and the licenses of its
 * /usr/share/doc/PKG/copyright (followed where PKG is a symlink to
 * another package's directory), the sha256 of its .deb
 * where /var/lib/dpkg/available records it (as Trivy reads it). Pass 1 keeps what
 * each matched file says (dpkg.h parses it); finish() joins them into
 * one component per installed package, attributed to the layer that
 * brought its current version (attrib.h over each layer's own copy of
 * the status file; a status.d file's own layer).
 *
 * Components: type "deb", namespace NULL (sbom.c fills in the distro),
 * version without its epoch, qualifiers arch=, epoch= (not 0) and
 * upstream=SRC[@SRCVERSION] when a Source field is present: the purl as
 * Trivy writes it, plus Syft's upstream qualifier.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "catalog.h"
#include "dpkg.h"
#include "hashtab.h"
#include "hex.h"

#define DPKG_STATUS "/var/lib/dpkg/status"
#define DPKG_AVAILABLE "/var/lib/dpkg/available"
#define DPKG_STATUSD "/var/lib/dpkg/status.d/"
#define DPKG_INFO "/var/lib/dpkg/info/"
#define DPKG_DOC "/usr/share/doc/"
#define DPKG_DB_MAX (64u << 20)         /* bytes of a status file read */
#define DPKG_LIST_MAX (16u << 20)       /* of a .list or .md5sums */
#define DPKG_COPYRIGHT_MAX (1u << 20)   /* of a copyright file */
#define DPKG_ERR_CAP 512

enum kind { K_NONE, K_STATUS, K_STATUSD, K_STATUSD_MD5, K_LIST, K_MD5, K_COPYRIGHT, K_AVAILABLE };

/* One status file's packages. */
struct dbfile {
	char *path;
	uint32_t layer;
	int statusd;
	struct ocifs_dpkg_db db;
};

/* One list of files or licenses, by key (a package name, "name:arch",
 * or a status.d file's name). */
struct strs {
	char **v;
	size_t n;
};

struct dpkg_state {
	pthread_mutex_t lock;
	const struct ocifs_catalog_env *env;
	/* protected by lock: */
	struct dbfile *dbs;
	size_t ndbs, dbcap;
	struct strs *lists;             /* every kept list, by index */
	size_t nlists, lcap;
	struct ocifs_strmap by_list;    /* info/KEY.list -> lists[] */
	struct ocifs_strmap by_md5;     /* info/KEY.md5sums -> lists[] */
	struct ocifs_strmap by_sdmd5;   /* status.d/KEY.md5sums -> lists[] */
	struct ocifs_strmap by_lic;     /* doc/KEY/copyright -> lists[] */
	struct ocifs_strmap by_sha;     /* "name\tversion" of available -> sha[] */
	unsigned char (*sha)[32];       /* each .deb's SHA256 */
	size_t nsha, shacap;
};

static int has_suffix(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);

	return n >= l && !memcmp(s + n - l, suf, l);
}

/* What path is, and in *key, *klen the name it is keyed by. */
static enum kind classify(const char *path, const char **key, size_t *klen)
{
	size_t n;

	if (!strcmp(path, DPKG_STATUS))
		return K_STATUS;
	if (!strcmp(path, DPKG_AVAILABLE))
		return K_AVAILABLE;
	if (!strncmp(path, DPKG_STATUSD, sizeof(DPKG_STATUSD) - 1)) {
		*key = path + sizeof(DPKG_STATUSD) - 1;
		n = strlen(*key);
		if (!n || strchr(*key, '/'))
			return K_NONE;
		if (has_suffix(*key, n, ".md5sums")) {
			*klen = n - 8;
			return K_STATUSD_MD5;
		}
		*klen = n;
		return K_STATUSD;
	}
	if (!strncmp(path, DPKG_INFO, sizeof(DPKG_INFO) - 1)) {
		*key = path + sizeof(DPKG_INFO) - 1;
		n = strlen(*key);
		if (strchr(*key, '/'))
			return K_NONE;
		if (has_suffix(*key, n, ".list") && n > 5) {
			*klen = n - 5;
			return K_LIST;
		}
		if (has_suffix(*key, n, ".md5sums") && n > 8) {
			*klen = n - 8;
			return K_MD5;
		}
		return K_NONE;
	}
	if (!strncmp(path, DPKG_DOC, sizeof(DPKG_DOC) - 1)) {
		const char *s = path + sizeof(DPKG_DOC) - 1, *slash = strchr(s, '/');
		if (!slash || slash == s || strcmp(slash, "/copyright"))
			return K_NONE;
		*key = s;
		*klen = (size_t)(slash - s);
		return K_COPYRIGHT;
	}
	return K_NONE;
}

static int dpkg_match(const char *path, uint32_t magic)
{
	const char *key;
	size_t klen;

	(void)magic;
	return classify(path, &key, &klen) != K_NONE;
}

static int dpkg_init(const struct ocifs_catalog_env *env, void **state)
{
	struct dpkg_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->env = env;
	*state = s;
	return 0;
}

static void strs_free(struct strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void dpkg_fini(void *state)
{
	struct dpkg_state *s = state;

	if (!s)
		return;
	for (size_t i = 0; i < s->ndbs; i++) {
		free(s->dbs[i].path);
		ocifs_dpkg_db_fini(&s->dbs[i].db);
	}
	free(s->dbs);
	for (size_t i = 0; i < s->nlists; i++)
		strs_free(&s->lists[i]);
	free(s->lists);
	ocifs_strmap_fini(&s->by_list);
	ocifs_strmap_fini(&s->by_md5);
	ocifs_strmap_fini(&s->by_sdmd5);
	ocifs_strmap_fini(&s->by_lic);
	ocifs_strmap_fini(&s->by_sha);
	free(s->sha);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Record a problem of the file being analyzed (the first one wins). */
static void __attribute__((format(printf, 2, 3))) file_error(struct ocifs_emit *e,
							      const char *fmt, ...)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	ocifs_scan_verror(&f->error, 0, DPKG_ERR_CAP, fmt, ap);
	va_end(ap);
}

/* Keep list l under key in map (the first file of a key wins; with
 * several layers' names the view holds one). Takes l on success. */
static int keep_list(struct dpkg_state *s, struct ocifs_strmap *map, const char *key,
		     size_t klen, struct strs *l)
{
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (ocifs_strmap_get(map, key, klen, NULL))
		goto out;
	if (s->nlists == s->lcap) {
		size_t cap = s->lcap ? 2 * s->lcap : 256;
		struct strs *n = realloc(s->lists, cap * sizeof(*n));
		if (!n) {
			rc = -ENOMEM;
			goto out;
		}
		s->lists = n;
		s->lcap = cap;
	}
	rc = ocifs_strmap_put(map, key, klen, s->nlists, NULL);
	if (rc >= 0) {
		s->lists[s->nlists++] = *l;
		*l = (struct strs){ 0 };
		rc = 0;
	}
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int keep_db(struct dpkg_state *s, const struct ocifs_mfile *f, int statusd,
		   struct ocifs_dpkg_db *db)
{
	char *path = strdup(f->path);
	int rc = 0;

	if (!path)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	if (s->ndbs == s->dbcap) {
		size_t cap = s->dbcap ? 2 * s->dbcap : 16;
		struct dbfile *n = realloc(s->dbs, cap * sizeof(*n));
		if (!n) {
			rc = -ENOMEM;
			goto out;
		}
		s->dbs = n;
		s->dbcap = cap;
	}
	s->dbs[s->ndbs++] = (struct dbfile){ path, f->layer, statusd, *db };
	memset(db, 0, sizeof(*db));
	path = NULL;
out:
	pthread_mutex_unlock(&s->lock);
	free(path);
	return rc;
}

/* "name\tversion" into buf (cut to size). */
static const char *sha_key(char *buf, size_t size, const char *name, const char *version)
{
	snprintf(buf, size, "%s\t%s", name, version ? version : "");
	return buf;
}

/* The SHA256 fields of the available file (the .debs dpkg knew of). */
static int keep_shas(struct dpkg_state *s, const struct ocifs_dpkg_db *db)
{
	char key[8192];
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < db->n && rc >= 0; i++) {
		const struct ocifs_dpkg_pkg *p = &db->pkgs[i];
		unsigned char d[32];
		size_t j;
		if (!p->sha256 || strlen(p->sha256) != 64)
			continue;
		for (j = 0; j < 32; j++) {
			int hi = ocifs_hex_val(p->sha256[2 * j]), lo = ocifs_hex_val(p->sha256[2 * j + 1]);
			if (hi < 0 || lo < 0)
				break;
			d[j] = (unsigned char)(hi << 4 | lo);
		}
		if (j < 32)
			continue;
		if (s->nsha == s->shacap) {
			size_t cap = s->shacap ? 2 * s->shacap : 256;
			unsigned char(*n)[32] = realloc(s->sha, cap * sizeof(*n));
			if (!n) {
				rc = -ENOMEM;
				break;
			}
			s->sha = n;
			s->shacap = cap;
		}
		sha_key(key, sizeof(key), p->name, p->version);
		rc = ocifs_strmap_put(&s->by_sha, key, strlen(key), s->nsha, NULL);
		if (rc > 0)
			memcpy(s->sha[s->nsha++], d, 32);
	}
	pthread_mutex_unlock(&s->lock);
	return rc < 0 ? rc : 0;
}

/* The bytes of rd, at most max: *buf (rd's own memory when it holds
 * them all, else a copy in *own, to be freed), *len; *cut when the file
 * is longer. */
static int read_bytes(const struct ocifs_rd *rd, size_t max, const char **buf, char **own,
		      size_t *len, int *cut)
{
	size_t want = rd->size > max ? max : (size_t)rd->size;
	char *b;
	int rc;

	*own = NULL;
	*cut = rd->size > max;
	if (rd->mem) {
		*buf = (const char *)rd->mem;
		*len = want;
		return 0;
	}
	if (!(b = malloc(want ? want : 1)))
		return -ENOMEM;
	if ((rc = ocifs_rd_upto(rd, b, want, 0, len))) {
		free(b);
		return rc;
	}
	*buf = *own = b;
	return 0;
}

static int dpkg_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			struct ocifs_emit *e)
{
	struct dpkg_state *s = ocifs_emit_state(e);
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	const char *key = NULL, *buf;
	size_t klen = 0, len, max;
	char *own = NULL;
	int cut, rc;
	enum kind k;

	(void)tree;
	if (!s || !f || !rd || (k = classify(f->path, &key, &klen)) == K_NONE)
		return 0;
	max = k == K_STATUS || k == K_STATUSD || k == K_AVAILABLE ? DPKG_DB_MAX
	      : k == K_COPYRIGHT	       ? DPKG_COPYRIGHT_MAX
					       : DPKG_LIST_MAX;
	if ((rc = read_bytes(rd, max, &buf, &own, &len, &cut)))
		return rc;
	if (cut)
		file_error(e, "dpkg: longer than %zu bytes: the rest ignored", max);
	switch (k) {
	case K_STATUS:
	case K_STATUSD: {
		struct ocifs_dpkg_db db;
		rc = ocifs_dpkg_parse(buf, len, k == K_STATUSD ? OCIFS_DPKG_NOSTATUS_INSTALLED : 0,
				      &db);
		if (!rc && db.error)
			file_error(e, "dpkg: %s", db.error);
		if (!rc)
			rc = keep_db(s, f, k == K_STATUSD, &db);
		ocifs_dpkg_db_fini(&db);
		break;
	}
	case K_LIST:
	case K_MD5:
	case K_STATUSD_MD5: {
		struct ocifs_dpkg_files fl;
		rc = k == K_LIST ? ocifs_dpkg_parse_list(buf, len, &fl)
				 : ocifs_dpkg_parse_md5sums(buf, len, &fl);
		if (!rc && fl.error)
			file_error(e, "dpkg: %s", fl.error);
		if (!rc) {
			struct strs l = { fl.paths, fl.n };
			rc = keep_list(s, k == K_LIST ? &s->by_list
					  : k == K_MD5 ? &s->by_md5
						       : &s->by_sdmd5,
				       key, klen, &l);
			fl.paths = l.v; /* NULL when kept */
			fl.n = l.n;
		}
		ocifs_dpkg_files_fini(&fl);
		break;
	}
	case K_AVAILABLE: {
		struct ocifs_dpkg_db db;
		rc = ocifs_dpkg_parse(buf, len, 0, &db);
		if (!rc)
			rc = keep_shas(s, &db);
		ocifs_dpkg_db_fini(&db);
		break;
	}
	case K_COPYRIGHT: {
		struct strs l = { 0 };
		rc = ocifs_dpkg_copyright(buf, len, &l.v, &l.n);
		if (!rc && l.n)
			rc = keep_list(s, &s->by_lic, key, klen, &l);
		strs_free(&l);
		break;
	}
	case K_NONE:
		break;
	}
	free(own);
	return rc;
}

/* --- finish: one component per installed package ----------------------- */

/* "name:arch" into buf (cut to size). */
static const char *arch_key(char *buf, size_t size, const struct ocifs_dpkg_pkg *p)
{
	snprintf(buf, size, "%s:%s", p->name, p->arch ? p->arch : "");
	return buf;
}

static int attrib_copy(void *ctx, uint32_t layer, const char *buf, size_t len)
{
	struct ocifs_attrib *a = ctx;
	struct ocifs_dpkg_db db;
	char key[8192];
	int rc;

	if (!buf)
		return 0; /* unreadable or too big: explains nothing */
	ocifs_attrib_layer(a, layer);
	if ((rc = ocifs_dpkg_parse(buf, len, 0, &db)) == 0)
		for (size_t i = 0; i < db.n && !rc; i++)
			if (db.pkgs[i].installed)
				rc = ocifs_attrib_add(a, arch_key(key, sizeof(key), &db.pkgs[i]),
						      db.pkgs[i].version);
	ocifs_dpkg_db_fini(&db);
	return rc;
}

static const struct strs *lookup(const struct dpkg_state *s, const struct ocifs_strmap *map,
				 const char *key)
{
	size_t i;

	return ocifs_strmap_get(map, key, strlen(key), &i) ? &s->lists[i] : NULL;
}

/* The files of p (of status file d). */
static const struct strs *files_of(const struct dpkg_state *s, const struct dbfile *d,
				   const struct ocifs_dpkg_pkg *p, const char *akey)
{
	const struct strs *l;

	if (d->statusd) {
		const char *base = strrchr(d->path, '/') + 1;
		if ((l = lookup(s, &s->by_sdmd5, p->name)) || (l = lookup(s, &s->by_sdmd5, akey)))
			return l;
		return lookup(s, &s->by_sdmd5, base);
	}
	if ((l = lookup(s, &s->by_list, akey)) || (l = lookup(s, &s->by_list, p->name)))
		return l;
	if ((l = lookup(s, &s->by_md5, akey)) || (l = lookup(s, &s->by_md5, p->name)))
		return l;
	return NULL;
}

/* Add property name = value to c (props has room). */
static void prop(struct ocifs_component *c, const char *name, const char *value)
{
	if (value)
		c->props[c->nprops++] = (struct ocifs_prop){ (char *)name, (char *)value };
}

/* The licenses of p: its /usr/share/doc/NAME/copyright, or where that
 * directory is a symlink (libstdc++6 -> gcc-12-base), its target's. */
static const struct strs *licenses_of(const struct dpkg_state *s, const struct ocifs_dpkg_pkg *p)
{
	const struct ocifs_tree *t = s->env ? s->env->tree : NULL;
	const struct strs *l = lookup(s, &s->by_lic, p->name);
	const char *key;
	char *path = NULL, *real = NULL;
	size_t klen, i;

	if (l || !t || !t->realpath)
		return l;
	if (asprintf(&path, DPKG_DOC "%s/copyright", p->name) < 0)
		return NULL;
	if (t->realpath(t->ctx, path, &real) == 0 && classify(real, &key, &klen) == K_COPYRIGHT &&
	    ocifs_strmap_get(&s->by_lic, key, klen, &i))
		l = &s->lists[i];
	free(real);
	free(path);
	return l;
}

static int emit_pkg(struct ocifs_emit *e, const struct dpkg_state *s, const struct dbfile *d,
		    const struct ocifs_dpkg_pkg *p, const char *akey, uint32_t layer)
{
	const struct strs *files = files_of(s, d, p, akey);
	const struct strs *lic = licenses_of(s, p);
	const char *epoch = NULL, *ver = NULL;
	size_t elen = 0;
	struct ocifs_prop props[5];
	char *q = NULL, *up = NULL;
	int rc;

	if (p->version)
		ver = ocifs_dpkg_split_epoch(p->version, &epoch, &elen);
	while (elen > 1 && *epoch == '0')
		epoch++, elen--;
	if (elen == 1 && *epoch == '0')
		elen = 0;
	if (p->source) {
		if (p->source_version)
			rc = asprintf(&up, "%s@%s", p->source, p->source_version);
		else
			rc = asprintf(&up, "%s", p->source);
		if (rc < 0)
			return -ENOMEM;
	}
	rc = asprintf(&q, "%s%s%s%s%.*s%s%s", p->arch ? "arch=" : "", p->arch ? p->arch : "",
		      p->arch && elen ? "&" : "", elen ? "epoch=" : "", (int)elen, epoch ? epoch : "",
		      up && (p->arch || elen) ? "&upstream=" : up ? "upstream=" : "", up ? up : "");
	free(up);
	if (rc < 0)
		return -ENOMEM;
	struct ocifs_component c = {
		.type = "deb",
		.name = p->name,
		.version = (char *)ver,
		.qualifiers = *q ? q : NULL,
		.kind = "library",
		.layer = layer,
		.source = d->path,
		.files = files ? files->v : NULL,
		.nfiles = files ? files->n : 0,
		.licenses = lic ? lic->v : NULL,
		.nlicenses = lic ? lic->n : 0,
		.depends = p->depends,
		.ndepends = p->ndepends,
		.provides = p->provides,
		.nprovides = p->nprovides,
		.props = props,
	};
	prop(&c, "ocifs:dpkg:source", p->source);
	prop(&c, "ocifs:dpkg:source_version", p->source_version);
	prop(&c, "ocifs:dpkg:maintainer", p->maintainer);
	if (p->status && ocifs_dpkg_installed(p->status) && strcmp(p->status, "install ok installed"))
		prop(&c, "ocifs:dpkg:status", p->status);
	prop(&c, "ocifs:error", p->error);
	char skey[8192];
	size_t si;
	sha_key(skey, sizeof(skey), p->name, p->version);
	if (ocifs_strmap_get(&s->by_sha, skey, strlen(skey), &si)) {
		memcpy(c.sha256, s->sha[si], 32);
		c.has_sha256 = 1;
	}
	rc = ocifs_emit_component(e, &c);
	free(q);
	return rc;
}

static int dpkg_finish(struct ocifs_model *m, void *state, struct ocifs_emit *e)
{
	struct dpkg_state *s = state;
	const struct ocifs_catalog_env *env = s ? s->env : NULL;
	struct ocifs_attrib *a = NULL;
	char akey[8192];
	int rc = 0;

	(void)m;
	if (!s || !s->ndbs)
		return 0;
	for (size_t i = 0; i < s->ndbs && !rc; i++) {
		const struct dbfile *d = &s->dbs[i];
		struct ocifs_strmap seen = { 0 };
		if (!d->statusd && env && env->layer_versions && !a) {
			if ((rc = ocifs_attrib_new(&a)))
				break;
			rc = env->layer_versions(env->layer_ctx, DPKG_STATUS, DPKG_DB_MAX,
						 attrib_copy, a);
			if (rc)
				break;
		}
		for (size_t j = 0; j < d->db.n && !rc; j++) {
			const struct ocifs_dpkg_pkg *p = &d->db.pkgs[j];
			uint32_t layer = d->layer;
			if (!p->installed)
				continue;
			arch_key(akey, sizeof(akey), p);
			rc = ocifs_strmap_put(&seen, akey, strlen(akey), j, NULL);
			if (rc <= 0)
				continue; /* listed twice: dpkg keeps one */
			if (!d->statusd)
				layer = ocifs_attrib_layer_of(a, akey, p->version, d->layer);
			rc = emit_pkg(e, s, d, p, akey, layer);
		}
		ocifs_strmap_fini(&seen);
	}
	ocifs_attrib_free(a);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_dpkg = {
	.name = "dpkg",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = dpkg_match,
	.init = dpkg_init,
	.analyze = dpkg_analyze,
	.finish = dpkg_finish,
	.fini = dpkg_fini,
};
