/* SPDX-License-Identifier: MIT */
/*
 * dpkg's control-file format, file lists and DEP-5 copyright files (see
 * dpkg.h). Hand-written: the format is a few lines of RFC 822-like
 * stanzas (deb-control(5), deb822(5)) and the only library that reads
 * it, libdpkg, is not packaged as a shared library (it is a static
 * archive for dpkg's own tools) and parses a whole admin directory, not
 * bytes of one layer's copy.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dpkg.h"
#include "hashtab.h"

#define DPKG_MAX_PKGS (1u << 20)        /* stanzas kept per file */
#define DPKG_MAX_SHORT 4096             /* bytes of a name, version, ... */
#define DPKG_MAX_LONG (1u << 20)        /* bytes of a Depends or Provides */
#define DPKG_MAX_ITEMS 8192             /* entries of a Depends or Provides */
#define DPKG_MAX_PATHS (4u << 20)       /* paths of one file list */
#define DPKG_MAX_PATH 4096              /* bytes of one path */
#define DPKG_MAX_LICENSES 1024          /* licenses of one copyright file */
#define DPKG_ERR_CAP 512

/* The first problem wins; the reason cut to DPKG_ERR_CAP bytes. */
static void __attribute__((format(printf, 2, 3))) dpkg_err(char **slot, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	if (*slot)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s && strlen(s) >= DPKG_ERR_CAP)
		s[DPKG_ERR_CAP - 1] = '\0';
	*slot = s;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim blanks of [*s, *e). */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/* --- stanzas ---------------------------------------------------------- */

enum { F_PACKAGE, F_VERSION, F_ARCH, F_SOURCE, F_MAINT, F_STATUS, F_PREDEPENDS, F_DEPENDS,
       F_PROVIDES, F_SHA256, F_N };

static const struct {
	const char *name;
	size_t max;
} fields[F_N] = {
	[F_PACKAGE] = { "Package", DPKG_MAX_SHORT },
	[F_VERSION] = { "Version", DPKG_MAX_SHORT },
	[F_ARCH] = { "Architecture", DPKG_MAX_SHORT },
	[F_SOURCE] = { "Source", DPKG_MAX_SHORT },
	[F_MAINT] = { "Maintainer", DPKG_MAX_SHORT },
	[F_STATUS] = { "Status", DPKG_MAX_SHORT },
	[F_PREDEPENDS] = { "Pre-Depends", DPKG_MAX_LONG },
	[F_DEPENDS] = { "Depends", DPKG_MAX_LONG },
	[F_PROVIDES] = { "Provides", DPKG_MAX_LONG },
	[F_SHA256] = { "SHA256", DPKG_MAX_SHORT },
};

/* A stanza being read: where each field of interest's value lies in the
 * buffer (from after the colon to the end of its last continuation line). */
struct stanza {
	const char *vs[F_N], *ve[F_N];
	int any;                /* it has a field at all */
	size_t line;            /* its first line */
	int cur;                /* the field continuation lines extend, or -1 */
};

/* The value of field f, continuation lines folded into single spaces:
 * a malloc'd string, or NULL when absent or too long (*toolong set). */
static char *field_value(const struct stanza *st, int f, int *toolong, int *nomem)
{
	const char *s = st->vs[f], *e = st->ve[f];
	char *out, *o;

	if (!s)
		return NULL;
	trim(&s, &e);
	if ((size_t)(e - s) > fields[f].max) {
		*toolong = 1;
		return NULL;
	}
	if (!(out = malloc((size_t)(e - s) + 1))) {
		*nomem = 1;
		return NULL;
	}
	o = out;
	while (s < e) {
		if (*s == '\n' || *s == '\r') {
			while (s < e && is_blank(*s))
				s++;
			*o++ = ' ';
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

int ocifs_dpkg_installed(const char *status)
{
	static const char *const on_disk[] = { "installed", "half-installed", "unpacked",
					       "half-configured", "triggers-awaited",
					       "triggers-pending" };
	const char *w = NULL, *p = status;
	size_t wl = 0;
	int words = 0;

	if (!status)
		return 0;
	/* the third word: want, error flag, state */
	while (*p && words < 3) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && !is_blank(*p))
			p++;
		wl = (size_t)(p - w);
		words++;
	}
	if (words != 3)
		return 0;
	for (size_t i = 0; i < sizeof(on_disk) / sizeof(on_disk[0]); i++)
		if (strlen(on_disk[i]) == wl && !memcmp(on_disk[i], w, wl))
			return 1;
	return 0;
}

const char *ocifs_dpkg_split_epoch(const char *v, const char **epoch, size_t *elen)
{
	size_t i = 0;

	*epoch = v;
	*elen = 0;
	while (v[i] >= '0' && v[i] <= '9')
		i++;
	if (i == 0 || v[i] != ':')
		return v;
	*elen = i;
	return v + i + 1;
}

/* A growing list of strings, duplicates dropped through a set. */
struct strlist {
	char **v;
	size_t n, cap;
	struct ocifs_strmap seen;
};

/* Add s[0..len) unless there: 0, 1 if full, -ENOMEM. */
static int strlist_add(struct strlist *l, const char *s, size_t len, size_t max)
{
	int rc;

	if (ocifs_strmap_get(&l->seen, s, len, NULL))
		return 0;
	if (l->n >= max)
		return 1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		char **nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strndup(s, len)))
		return -ENOMEM;
	rc = ocifs_strmap_put(&l->seen, s, len, l->n, NULL);
	if (rc < 0) {
		free(l->v[l->n]);
		return rc;
	}
	l->n++;
	return 0;
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	ocifs_strmap_fini(&l->seen);
	memset(l, 0, sizeof(*l));
}

/* Hand l's strings to *v, *n (NULL when empty). */
static void strlist_take(struct strlist *l, char ***v, size_t *n)
{
	if (l->n) {
		*v = l->v;
		*n = l->n;
	} else {
		free(l->v);
	}
	l->v = NULL;
	l->n = l->cap = 0;
	ocifs_strmap_fini(&l->seen);
}

/* One alternative of a relation ("libc6:any (>= 2.34) [amd64] <!nocheck>")
 * reduced to its name: appended to buf at *o. */
static void relation_name(const char *s, const char *e, char *buf, size_t *o)
{
	const char *p = s;

	trim(&s, &e);
	for (p = s; p < e && *p != '(' && *p != '[' && *p != '<' && !is_blank(*p); p++)
		;
	e = p;
	for (p = s; p < e && *p != ':'; p++)
		;
	e = p;
	memcpy(buf + *o, s, (size_t)(e - s));
	*o += (size_t)(e - s);
}

/* Split a relationship field into l: items at ',', alternatives at '|'
 * joined as "a | b". 0, 1 if l filled up, -ENOMEM. */
static int relations(const char *v, struct strlist *l)
{
	size_t len = strlen(v);
	char *buf = malloc(len * 3 + 4); /* each '|' may become " | " */
	const char *p = v, *end = v + len;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (p < end && !rc) {
		const char *ie = memchr(p, ',', (size_t)(end - p));
		size_t o = 0;
		if (!ie)
			ie = end;
		for (const char *a = p; a < ie;) {
			const char *ae = memchr(a, '|', (size_t)(ie - a));
			size_t before = o;
			if (!ae)
				ae = ie;
			if (o)
				memcpy(buf + o, " | ", 3), o += 3;
			size_t at = o;
			relation_name(a, ae, buf, &o);
			if (o == at)
				o = before; /* an empty alternative */
			a = ae + (ae < ie);
		}
		if (o)
			rc = strlist_add(l, buf, o, DPKG_MAX_ITEMS);
		p = ie + 1;
	}
	free(buf);
	return rc;
}

static void pkg_fini(struct ocifs_dpkg_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->source);
	free(p->source_version);
	free(p->maintainer);
	free(p->status);
	free(p->sha256);
	for (size_t i = 0; i < p->ndepends; i++)
		free(p->depends[i]);
	free(p->depends);
	for (size_t i = 0; i < p->nprovides; i++)
		free(p->provides[i]);
	free(p->provides);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

/* "name (version)" of a Source field into p. 0 or -ENOMEM. */
static int source_field(char *v, struct ocifs_dpkg_pkg *p)
{
	char *open = strchr(v, '('), *close;
	const char *s = v, *e = open ? open : v + strlen(v);

	trim(&s, &e);
	if (s == e)
		return 0;
	if (!(p->source = strndup(s, (size_t)(e - s))))
		return -ENOMEM;
	if (open && (close = strchr(open, ')'))) {
		s = open + 1;
		e = close;
		trim(&s, &e);
		if (s < e && !(p->source_version = strndup(s, (size_t)(e - s))))
			return -ENOMEM;
	}
	return 0;
}

/* The package of a finished stanza into db (skipped without Package). */
static int stanza_end(struct stanza *st, unsigned flags, struct ocifs_dpkg_db *db, size_t *cap)
{
	struct ocifs_dpkg_pkg p = { 0 };
	struct strlist l = { 0 };
	int toolong = 0, nomem = 0, rc = 0;
	char *v;

	if (!st->any)
		return 0;
	p.name = field_value(st, F_PACKAGE, &toolong, &nomem);
	if (nomem)
		return -ENOMEM;
	if (!p.name || !*p.name) {
		dpkg_err(&db->error, "line %zu: stanza without %sPackage field: skipped", st->line,
			 toolong ? "a usable " : "a ");
		free(p.name);
		return 0;
	}
	if (db->n >= DPKG_MAX_PKGS) {
		dpkg_err(&db->error, "more than %u packages: the rest ignored", DPKG_MAX_PKGS);
		free(p.name);
		return 0;
	}
	p.version = field_value(st, F_VERSION, &toolong, &nomem);
	p.arch = field_value(st, F_ARCH, &toolong, &nomem);
	p.maintainer = field_value(st, F_MAINT, &toolong, &nomem);
	p.status = field_value(st, F_STATUS, &toolong, &nomem);
	p.sha256 = field_value(st, F_SHA256, &toolong, &nomem);
	if (nomem)
		goto nomem;
	if ((v = field_value(st, F_SOURCE, &toolong, &nomem))) {
		rc = source_field(v, &p);
		free(v);
		if (rc)
			goto nomem;
	}
	for (int f = F_PREDEPENDS; f <= F_PROVIDES && !nomem; f++) {
		if ((v = field_value(st, f, &toolong, &nomem))) {
			rc = relations(v, &l);
			free(v);
			if (rc < 0)
				goto nomem;
			if (rc > 0)
				dpkg_err(&p.error, "%s: more than %u entries: the rest ignored",
					 fields[f].name, DPKG_MAX_ITEMS);
		}
		if (f == F_DEPENDS) /* Pre-Depends and Depends in one list */
			strlist_take(&l, &p.depends, &p.ndepends);
		else if (f == F_PROVIDES)
			strlist_take(&l, &p.provides, &p.nprovides);
	}
	if (nomem)
		goto nomem;
	if (toolong)
		dpkg_err(&p.error, "a field longer than its limit was ignored");
	if (!p.version)
		dpkg_err(&p.error, "no Version field");
	p.installed = p.status ? ocifs_dpkg_installed(p.status)
			       : (flags & OCIFS_DPKG_NOSTATUS_INSTALLED) != 0;
	if (db->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		struct ocifs_dpkg_pkg *np = realloc(db->pkgs, nc * sizeof(*np));
		if (!np)
			goto nomem;
		db->pkgs = np;
		*cap = nc;
	}
	db->pkgs[db->n++] = p;
	return 0;
nomem:
	strlist_free(&l);
	pkg_fini(&p);
	return -ENOMEM;
}

int ocifs_dpkg_parse(const char *buf, size_t len, unsigned flags, struct ocifs_dpkg_db *db)
{
	struct stanza st = { .cur = -1 };
	const char *p = buf, *end = buf + len;
	size_t cap = 0, line = 0;
	int rc = 0;

	memset(db, 0, sizeof(*db));
	while (p < end && !rc) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e;
		if (!le)
			le = end;
		line++;
		e = le;
		if (e > s && e[-1] == '\r')
			e--;
		p = le + (le < end);
		if (s == e) {
			/* a blank line ends the stanza */
			rc = stanza_end(&st, flags, db, &cap);
			st = (struct stanza){ .cur = -1 };
			continue;
		}
		if (*s == ' ' || *s == '\t') {
			if (st.cur >= 0)
				st.ve[st.cur] = e;
			else if (!st.any)
				dpkg_err(&db->error, "line %zu: continuation line outside a field",
					 line);
			continue;
		}
		if (*s == '#' && !st.any)
			continue; /* deb822 comment */
		const char *colon = memchr(s, ':', (size_t)(e - s));
		if (!colon) {
			dpkg_err(&db->error, "line %zu: not a field: ignored", line);
			st.cur = -1;
			continue;
		}
		if (!st.any)
			st.line = line;
		st.any = 1;
		st.cur = -1;
		for (int f = 0; f < F_N; f++) {
			size_t nl = strlen(fields[f].name);
			if ((size_t)(colon - s) != nl || strncasecmp(s, fields[f].name, nl))
				continue;
			if (st.vs[f]) {
				dpkg_err(&db->error, "line %zu: duplicate %s field: the first kept",
					 line, fields[f].name);
				break;
			}
			st.vs[f] = colon + 1;
			st.ve[f] = e;
			st.cur = f;
			break;
		}
	}
	if (!rc)
		rc = stanza_end(&st, flags, db, &cap);
	return rc;
}

void ocifs_dpkg_db_fini(struct ocifs_dpkg_db *db)
{
	for (size_t i = 0; i < db->n; i++)
		pkg_fini(&db->pkgs[i]);
	free(db->pkgs);
	free(db->error);
	memset(db, 0, sizeof(*db));
}

/* --- file lists -------------------------------------------------------- */

/* Add path s[0..len) ("/"-rooted unless root is set: then "/" is
 * prefixed) to f. 0, -ENOMEM. */
static int files_add(struct ocifs_dpkg_files *f, size_t *cap, const char *s, size_t len,
		     int root)
{
	char *d;

	if (len > DPKG_MAX_PATH) {
		dpkg_err(&f->error, "a path longer than %u bytes: skipped", DPKG_MAX_PATH);
		return 0;
	}
	if (f->n >= DPKG_MAX_PATHS) {
		dpkg_err(&f->error, "more than %u paths: the rest ignored", DPKG_MAX_PATHS);
		return 0;
	}
	if (f->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		char **np = realloc(f->paths, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		f->paths = np;
		*cap = nc;
	}
	if (!(d = malloc(len + 2)))
		return -ENOMEM;
	if (root)
		d[0] = '/';
	memcpy(d + (root != 0), s, len);
	d[len + (root != 0)] = '\0';
	f->paths[f->n++] = d;
	return 0;
}

static int parse_paths(const char *buf, size_t len, int md5, struct ocifs_dpkg_files *out)
{
	const char *p = buf, *end = buf + len;
	size_t cap = 0, line = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (p < end && !rc) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e;
		if (!le)
			le = end;
		e = le;
		p = le + (le < end);
		line++;
		if (e > s && e[-1] == '\r')
			e--;
		if (s == e)
			continue;
		if (md5) {
			/* "<md5 hex> <space> <space or '*'> path" (md5sum's format) */
			const char *q = s;
			while (q < e && !is_blank(*q))
				q++;
			if (q + 2 > e || *q != ' ' || (q[1] != ' ' && q[1] != '*')) {
				dpkg_err(&out->error, "line %zu: not \"md5sum  path\": skipped",
					 line);
				continue;
			}
			s = q + 2;
			while (s < e && *s == '/')
				s++; /* relative to the root, a few write "/x" */
			if (s < e)
				rc = files_add(out, &cap, s, (size_t)(e - s), 1);
			continue;
		}
		if (e - s == 2 && s[0] == '/' && s[1] == '.')
			continue; /* the root, as dpkg writes it */
		rc = files_add(out, &cap, s, (size_t)(e - s), *s != '/');
	}
	return rc;
}

int ocifs_dpkg_parse_list(const char *buf, size_t len, struct ocifs_dpkg_files *out)
{
	return parse_paths(buf, len, 0, out);
}

int ocifs_dpkg_parse_md5sums(const char *buf, size_t len, struct ocifs_dpkg_files *out)
{
	return parse_paths(buf, len, 1, out);
}

void ocifs_dpkg_files_fini(struct ocifs_dpkg_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->error);
	memset(f, 0, sizeof(*f));
}

/* --- copyright --------------------------------------------------------- */

/* SPDX ids Debian writes under another name or case (the DEP-5 short
 * names of copyright-format 1.0 and common variants); the GPL family
 * is handled by gnu_spdx. */
static const struct {
	const char *debian, *spdx;
} spdx_names[] = {
	{ "Apache-2.0", "Apache-2.0" }, { "Apache-2", "Apache-2.0" },
	{ "Apache-1.1", "Apache-1.1" }, { "Apache-1.0", "Apache-1.0" },
	{ "Artistic", "Artistic-1.0-Perl" }, { "Artistic-1.0", "Artistic-1.0" },
	{ "Artistic-2.0", "Artistic-2.0" }, { "BSD-2-clause", "BSD-2-Clause" },
	{ "BSD-3-clause", "BSD-3-Clause" }, { "BSD-4-clause", "BSD-4-Clause" },
	{ "BSL-1.0", "BSL-1.0" }, { "CC0-1.0", "CC0-1.0" }, { "CC0", "CC0-1.0" },
	{ "CC-BY-3.0", "CC-BY-3.0" }, { "CC-BY-4.0", "CC-BY-4.0" },
	{ "CC-BY-SA-3.0", "CC-BY-SA-3.0" }, { "CC-BY-SA-4.0", "CC-BY-SA-4.0" },
	{ "curl", "curl" }, { "Expat", "MIT" }, { "MIT", "MIT" }, { "X11", "X11" },
	{ "ISC", "ISC" }, { "Zlib", "Zlib" }, { "MPL-1.1", "MPL-1.1" },
	{ "MPL-2.0", "MPL-2.0" }, { "MPL-2", "MPL-2.0" }, { "OpenSSL", "OpenSSL" },
	{ "PSF-2", "PSF-2.0" }, { "Python-2.0", "Python-2.0" }, { "FSFAP", "FSFAP" },
	{ "FSFUL", "FSFUL" }, { "FSFULLR", "FSFULLR" }, { "OFL-1.1", "OFL-1.1" },
	{ "Unlicense", "Unlicense" }, { "WTFPL", "WTFPL" }, { "ZPL-2.1", "ZPL-2.1" },
	{ "Unicode-DFS-2016", "Unicode-DFS-2016" }, { "LPPL-1.3c", "LPPL-1.3c" },
	{ "Sleepycat", "Sleepycat" }, { "MIT-0", "MIT-0" }, { "0BSD", "0BSD" },
	{ "BSD-2-Clause-FreeBSD", "BSD-2-Clause-FreeBSD" }, { "EPL-1.0", "EPL-1.0" },
	{ "EPL-2.0", "EPL-2.0" }, { "CDDL-1.0", "CDDL-1.0" }, { "Ruby", "Ruby" },
	{ "bzip2-1.0.6", "bzip2-1.0.6" }, { "libpng", "Libpng" }, { "IJG", "IJG" },
	{ "PostgreSQL", "PostgreSQL" }, { "Beerware", "Beerware" }, { "TCL", "TCL" },
};

/* GPL-2 / GPL-2.0 / GPL-2+ / LGPL-2.1+ / GFDL-1.3 (and the -only /
 * -or-later spellings) -> the SPDX id, written into out. 1 or 0. */
static int gnu_spdx(const char *s, size_t len, char *out, size_t outsz)
{
	static const char *const fam[] = { "LGPL", "AGPL", "GFDL", "GPL" };
	const char *p = NULL, *v, *e = s + len;
	int later = 0;
	size_t fl = 0;

	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		fl = strlen(fam[i]);
		if (len > fl + 1 && !strncasecmp(s, fam[i], fl) && s[fl] == '-') {
			p = fam[i];
			break;
		}
	}
	if (!p)
		return 0;
	v = s + fl + 1;
	if (e - v > 9 && !strncasecmp(e - 9, "-or-later", 9)) {
		later = 1;
		e -= 9;
	} else if (e - v > 5 && !strncasecmp(e - 5, "-only", 5)) {
		e -= 5;
	} else if (e > v && e[-1] == '+') {
		later = 1;
		e--;
	}
	/* the version: N or N.N */
	const char *q = v, *minor = "0";
	size_t major, ml = 1;
	while (q < e && *q >= '0' && *q <= '9')
		q++;
	major = (size_t)(q - v);
	if (!major || major > 2)
		return 0;
	if (q < e && *q == '.') {
		minor = ++q;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
		ml = (size_t)(q - minor);
		if (!ml || ml > 2)
			return 0;
	}
	if (q != e)
		return 0;
	snprintf(out, outsz, "%s-%.*s.%.*s-%s", p, (int)major, v, (int)ml, minor,
		 later ? "or-later" : "only");
	return 1;
}

const char *ocifs_dpkg_spdx(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(spdx_names) / sizeof(spdx_names[0]); i++)
		if (strlen(spdx_names[i].debian) == len &&
		    !strncasecmp(spdx_names[i].debian, name, len))
			return spdx_names[i].spdx;
	return NULL;
}

/* Add one license name (trimmed, mapped) to l. */
static int license_add(struct strlist *l, const char *s, const char *e)
{
	char gnu[64];
	const char *id;

	trim(&s, &e);
	while (e > s && e[-1] == '.')
		e--; /* at the end of a sentence */
	if (s == e || (e - s == 4 && !strncasecmp(s, "none", 4)))
		return 0;
	if (gnu_spdx(s, (size_t)(e - s), gnu, sizeof(gnu)))
		return strlist_add(l, gnu, strlen(gnu), DPKG_MAX_LICENSES);
	if ((id = ocifs_dpkg_spdx(s, (size_t)(e - s))))
		return strlist_add(l, id, strlen(id), DPKG_MAX_LICENSES);
	if (e - s > 256)
		e = s + 256;
	return strlist_add(l, s, (size_t)(e - s), DPKG_MAX_LICENSES);
}

/* Find the earliest of " or ", " and ", "," in [s, e) (case-insensitive
 * words): its start and *sl its length, or NULL. */
static const char *license_sep(const char *s, const char *e, size_t *sl)
{
	for (const char *p = s; p < e; p++) {
		if (*p == ',') {
			*sl = 1;
			return p;
		}
		if (*p != ' ')
			continue;
		if (e - p >= 4 && !strncasecmp(p, " or ", 4)) {
			*sl = 4;
			return p;
		}
		if (e - p >= 5 && !strncasecmp(p, " and ", 5)) {
			*sl = 5;
			return p;
		}
	}
	return NULL;
}

/* A License synopsis ("GPL-2+ or Artistic", "BSD-3-clause (modified)"). */
static int license_synopsis(struct strlist *l, const char *s, const char *e)
{
	const char *paren = memchr(s, '(', (size_t)(e - s));
	int rc = 0;

	if (paren)
		e = paren;
	while (s < e && rc == 0) {
		size_t sl = 0;
		const char *sep = license_sep(s, e, &sl);
		const char *pe = sep ? sep : e;
		/* "GPL-2+ with OpenSSL exception": one license, kept whole */
		rc = license_add(l, s, pe);
		s = sep ? sep + sl : e;
	}
	return rc;
}

static int is_lic_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '.' || c == '+' || c == '-';
}

int ocifs_dpkg_copyright(const char *buf, size_t len, char ***lic, size_t *nlic)
{
	static const char common[] = "/usr/share/common-licenses/";
	struct strlist l = { 0 };
	const char *p = buf, *end = buf + len;
	int machine = 0, first = 1, rc = 0;

	*lic = NULL;
	*nlic = 0;
	/* machine-readable: the header stanza has a Format field */
	for (const char *q = buf; q < end && first;) {
		const char *le = memchr(q, '\n', (size_t)(end - q));
		if (!le)
			le = end;
		if (le == q || (le - q == 1 && *q == '\r'))
			first = 0;
		else if ((le - q > 7 && !strncasecmp(q, "Format:", 7)) ||
			 (le - q > 21 && !strncasecmp(q, "Format-Specification:", 21)))
			machine = 1;
		q = le + 1;
	}
	while (p < end && rc >= 0) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		const char *s = p;
		if (!le)
			le = end;
		p = le + 1;
		if (machine) {
			if (le - s >= 8 && !strncasecmp(s, "License:", 8))
				rc = license_synopsis(&l, s + 8, le);
			continue;
		}
		for (const char *c = s; c < le;) {
			const char *m = memmem(c, (size_t)(le - c), common, sizeof(common) - 1);
			const char *n, *ne;
			if (!m)
				break;
			n = ne = m + sizeof(common) - 1;
			while (ne < le && is_lic_char(*ne))
				ne++;
			while (ne > n && (ne[-1] == '.' || ne[-1] == '-' || ne[-1] == '_'))
				ne--;
			if (ne > n && (rc = license_add(&l, n, ne)) != 0)
				break;
			c = ne > m ? ne : m + 1;
		}
	}
	if (rc < 0) {
		strlist_free(&l);
		return rc;
	}
	strlist_take(&l, lic, nlic);
	return 0;
}
