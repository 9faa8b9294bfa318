/* SPDX-License-Identifier: MIT */
/*
 * Java archives (java.h): the Maven identity of a jar and of every jar
 * inside it, from pom.properties and MANIFEST.MF. Both are small text
 * formats (java.util.Properties lines, the JAR manifest's "Name: value"
 * lines folded at 72 bytes) that no library of ours reads; the zip
 * container is libarchive's, through archive_walk.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "java.h"
#include "sha.h"

#define JAVA_PROPS_MAX (64u << 10)      /* a pom.properties read */
#define JAVA_MANIFEST_MAX (1u << 20)    /* a MANIFEST.MF read */
#define JAVA_FIELD_MAX 512u             /* longer values are not names */
#define JAVA_PKGS_MAX 100000u           /* packages of one top archive */
#define JAVA_ERR_CAP 512u

void ocifs_java_opts_default(struct ocifs_java_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->depth = 3;
	o->member_max = 64u << 20;
	o->budget.bytes = 512u << 20;
	o->budget.entries = 200000;
	o->budget.cd_entries = 100000;
	o->budget.cd_bytes = 32u << 20;
}

void ocifs_java_result_fini(struct ocifs_java_result *r)
{
	for (size_t i = 0; i < r->npkgs; i++) {
		free(r->pkgs[i].group);
		free(r->pkgs[i].artifact);
		free(r->pkgs[i].version);
		free(r->pkgs[i].where);
	}
	free(r->pkgs);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static void java_error(struct ocifs_java_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ocifs_scan_verror(&r->error, 0, JAVA_ERR_CAP, fmt, ap);
	va_end(ap);
}

/* --- the text formats ------------------------------------------------ */

/* The manifest attributes an identity is made of. */
enum { M_IMPL_TITLE, M_IMPL_VERSION, M_IMPL_VENDOR, M_IMPL_VENDOR_ID, M_SPEC_TITLE,
       M_SPEC_VERSION, M_SPEC_VENDOR, M_BUNDLE_NAME, M_BUNDLE_VERSION, M_BUNDLE_SYMBOLIC,
       M_N };
static const char *const manifest_keys[M_N] = {
	"Implementation-Title", "Implementation-Version", "Implementation-Vendor",
	"Implementation-Vendor-Id", "Specification-Title", "Specification-Version",
	"Specification-Vendor", "Bundle-Name", "Bundle-Version", "Bundle-SymbolicName",
};

/* Is s[0..n) well-formed UTF-8 (no overlong form, surrogate or code
 * point past U+10FFFF)? What a component carries must be: the SBOM is
 * JSON. */
static int utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p++, k;
		uint32_t v;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, v = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, v = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, v = c & 0x07;
		else
			return 0;
		if ((size_t)(end - p) < k)
			return 0;
		for (unsigned i = 0; i < k; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			v = v << 6 | (*p & 0x3f);
		}
		if ((k == 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
		    (k == 3 && (v < 0x10000 || v > 0x10ffff)))
			return 0;
	}
	return 1;
}

/* s[0..n) without leading and trailing blanks, as a new string, or NULL
 * when empty, too long or not UTF-8. */
static char *trim_dup(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (!n || n > JAVA_FIELD_MAX || memchr(s, '\0', n) || !utf8_ok(s, n))
		return NULL;
	return strndup(s, n);
}

/* One unfolded main-section attribute line of a manifest into m[]
 * (the first occurrence wins; a "%variable" value is no value). */
static void manifest_attr(const char *line, size_t n, char **m)
{
	const char *colon = memchr(line, ':', n);

	if (!colon)
		return;
	size_t klen = (size_t)(colon - line);
	for (int k = 0; k < M_N; k++) {
		if (m[k] || strlen(manifest_keys[k]) != klen || memcmp(line, manifest_keys[k], klen))
			continue;
		const char *v = colon + 1;
		size_t vn = n - klen - 1;
		while (vn && (*v == ' ' || *v == '\t')) {
			v++;
			vn--;
		}
		if (vn && *v != '%')
			m[k] = trim_dup(v, vn);
		return;
	}
}

/* The main section of a MANIFEST.MF (up to its first empty line), lines
 * ended by CRLF, LF or CR, continuation lines starting with one space. */
static int manifest_parse(const char *p, size_t n, char **m)
{
	char *line = malloc(n + 1);
	size_t ll = 0, i = 0;

	if (!line)
		return -ENOMEM;
	while (i <= n) {
		size_t s = i;
		while (i < n && p[i] != '\n' && p[i] != '\r')
			i++;
		size_t e = i;
		if (i < n && p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			i++;
		i++;
		if (e == s) /* the main section ends */
			break;
		if (p[s] == ' ') {
			memcpy(line + ll, p + s + 1, e - s - 1);
			ll += e - s - 1;
			continue;
		}
		if (ll)
			manifest_attr(line, ll, m);
		memcpy(line, p + s, e - s);
		ll = e - s;
	}
	if (ll)
		manifest_attr(line, ll, m);
	free(line);
	return 0;
}

/* groupId, artifactId, version of pom.properties (lines "key=value",
 * trimmed, as Trivy reads them). */
static void props_parse(const char *p, size_t n, char **g, char **a, char **v)
{
	static const char *const keys[3] = { "groupId=", "artifactId=", "version=" };
	char **out[3] = { g, a, v };
	size_t i = 0;

	while (i < n) {
		size_t s = i;
		while (i < n && p[i] != '\n' && p[i] != '\r')
			i++;
		size_t e = i++;
		while (s < e && (p[s] == ' ' || p[s] == '\t'))
			s++;
		for (int k = 0; k < 3; k++) {
			size_t kl = strlen(keys[k]);
			if (e - s > kl && !memcmp(p + s, keys[k], kl)) {
				free(*out[k]); /* the last one wins */
				*out[k] = trim_dup(p + s + kl, e - s - kl);
			}
		}
	}
}

/* --- one archive ----------------------------------------------------- */

struct jwalk {
	struct ocifs_java_result *r;
	const struct ocifs_java_opts *o;
	struct ocifs_archive_budget *b;
	unsigned depth;         /* of this archive: 0 the top one */
	const char *where;      /* "" or "!/a.jar!/b.jar" */
	char *file_artifact, *file_version; /* from its file name, or NULL */
	size_t first;           /* its packages are r->pkgs[first..] */
	size_t nprops;          /* pom.properties naming an artifact */
	int found_own;
	char *m[M_N];           /* its manifest's attributes */
	int seen_manifest;
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int ends_with_ci(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcasecmp(s + n - m, suf);
}

/* Is name a nested archive Trivy walks into? */
static int is_nested(const char *name)
{
	return ends_with_ci(name, ".jar") || ends_with_ci(name, ".war") ||
	       ends_with_ci(name, ".ear");
}

/* "artifact-1.2.3.jar" -> artifact, version, by Trivy's file-name rule
 * ^([a-zA-Z0-9._-]*[^-*])-(\d\S*).jar$ (greedy: the last "-<digit>"
 * that leaves a valid name). Both NULL when the name does not fit. */
static void file_props(const char *path, char **artifact, char **version)
{
	const char *b = base_name(path);
	size_t n = strlen(b);

	*artifact = *version = NULL;
	if (n < 4 || strcasecmp(b + n - 4, ".jar"))
		return;
	n -= 4;
	for (size_t vs = 0; vs < n; vs++) /* no blank in the version part */
		if (b[vs] == ' ' || (b[vs] >= '\t' && b[vs] <= '\r'))
			return; /* \S fails wherever the split is (the name part
				 * cannot hold one either) */
	for (size_t d = n; d-- > 1;) {
		if (b[d] != '-' || d + 1 >= n || b[d + 1] < '0' || b[d + 1] > '9' ||
		    b[d - 1] == '-' || b[d - 1] == '*')
			continue;
		int ok = 1;
		for (size_t c = 0; c + 1 < d && ok; c++)
			ok = (b[c] >= 'a' && b[c] <= 'z') || (b[c] >= 'A' && b[c] <= 'Z') ||
			     (b[c] >= '0' && b[c] <= '9') || b[c] == '.' || b[c] == '_' ||
			     b[c] == '-';
		if (!ok)
			continue;
		*artifact = strndup(b, d);
		*version = strndup(b + d + 1, n - d - 1);
		if (!*artifact || !*version) {
			free(*artifact);
			free(*version);
			*artifact = *version = NULL;
		}
		return;
	}
}

/* Add a package (takes g, a, v). 0, -ENOMEM; a duplicate (same
 * group, artifact, version in the same archive) is dropped. */
static int add_pkg(struct jwalk *w, char *g, char *a, char *v, const char *origin, int own)
{
	struct ocifs_java_result *r = w->r;

	for (size_t i = w->first; i < r->npkgs; i++) {
		struct ocifs_java_pkg *q = &r->pkgs[i];
		if (!strcmp(q->group, g) && !strcmp(q->artifact, a) && !strcmp(q->version, v) &&
		    !strcmp(q->where, w->where)) {
			q->own |= own;
			free(g);
			free(a);
			free(v);
			return 0;
		}
	}
	if (r->npkgs >= JAVA_PKGS_MAX) {
		java_error(r, "more than %u Java packages", JAVA_PKGS_MAX);
		free(g);
		free(a);
		free(v);
		return 0;
	}
	if (r->npkgs == r->cap_) {
		size_t nc = r->cap_ ? r->cap_ * 2 : 8;
		struct ocifs_java_pkg *np = realloc(r->pkgs, nc * sizeof(*np));
		if (!np)
			goto nomem;
		r->pkgs = np;
		r->cap_ = nc;
	}
	struct ocifs_java_pkg *p = &r->pkgs[r->npkgs];
	memset(p, 0, sizeof(*p));
	if (!(p->where = strdup(w->where)))
		goto nomem;
	p->group = g;
	p->artifact = a;
	p->version = v;
	p->origin = origin;
	p->own = own;
	r->npkgs++;
	return 0;
nomem:
	free(g);
	free(a);
	free(v);
	return -ENOMEM;
}

static int walk_archive(const struct ocifs_rd *rd, const char *name, struct jwalk *parent_or_top,
			const char *where, unsigned depth, const unsigned char *sha);

static int on_props(struct jwalk *w, struct ocifs_archive_walk *aw, const char *name)
{
	unsigned char *buf;
	size_t len;
	char *g = NULL, *a = NULL, *v = NULL;
	int rc = ocifs_archive_read(aw, JAVA_PROPS_MAX, &buf, &len);

	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		java_error(w->r, "%s!/%s: %s", w->where, name,
			   rc == -EBADMSG ? ocifs_archive_strerror(aw) : strerror(-rc));
		return rc == -EINTR || rc == -EDQUOT ? 1 : 0;
	}
	props_parse((const char *)buf, len, &g, &a, &v);
	free(buf);
	if (!g || !a || !v) {
		free(g);
		free(a);
		free(v);
		return 0;
	}
	int own = w->file_artifact && !strcmp(w->file_artifact, a) &&
		  !strcmp(w->file_version, v);
	w->found_own |= own;
	w->nprops++;
	return add_pkg(w, g, a, v, "pom.properties", own);
}

static int on_manifest(struct jwalk *w, struct ocifs_archive_walk *aw)
{
	unsigned char *buf;
	size_t len;
	int rc = ocifs_archive_read(aw, JAVA_MANIFEST_MAX, &buf, &len);

	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		java_error(w->r, "%s!/META-INF/MANIFEST.MF: %s", w->where,
			   rc == -EBADMSG ? ocifs_archive_strerror(aw) : strerror(-rc));
		return rc == -EINTR || rc == -EDQUOT ? 1 : 0;
	}
	w->seen_manifest = 1;
	rc = manifest_parse((const char *)buf, len, w->m);
	free(buf);
	return rc;
}

static int on_nested(struct jwalk *w, struct ocifs_archive_walk *aw,
		     const struct ocifs_archive_entry *e)
{
	unsigned char *buf, sha[32];
	size_t len;
	char *where;
	int rc;

	if (w->depth >= w->o->depth) {
		java_error(w->r, "%s!/%s: archives nested more than %u deep", w->where, e->name,
			   w->o->depth);
		return 0;
	}
	if (e->size != UINT64_MAX && e->size > w->o->member_max) {
		java_error(w->r, "%s!/%s: %llu bytes, more than %zu", w->where, e->name,
			   (unsigned long long)e->size, w->o->member_max);
		return 0;
	}
	rc = ocifs_archive_read(aw, w->o->member_max, &buf, &len);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		java_error(w->r, "%s!/%s: %s", w->where, e->name,
			   rc == -EBADMSG ? ocifs_archive_strerror(aw)
			   : rc == -EFBIG ? "more than the member limit"
			   : rc == -EDQUOT ? "decompressed-bytes budget spent" : strerror(-rc));
		return rc == -EINTR || rc == -EDQUOT ? 1 : 0;
	}
	size_t wl = strlen(w->where) + strlen(e->name) + 3;
	if (!(where = malloc(wl))) {
		free(buf);
		return -ENOMEM;
	}
	snprintf(where, wl, "%s!/%s", w->where, e->name);
	ocifs_sha256(buf, len, sha);
	struct ocifs_rd_mem m = { buf, len };
	struct ocifs_rd sub = { ocifs_rd_mem_read, &m, len, where, buf };
	rc = walk_archive(&sub, e->name, w, where, w->depth + 1, sha);
	free(where);
	free(buf);
	return rc;
}

static int on_entry(void *ctx, const struct ocifs_archive_entry *ent,
		    struct ocifs_archive_walk *aw)
{
	struct jwalk *w = ctx;
	struct ocifs_archive_entry clean = *ent;
	const struct ocifs_archive_entry *e = ent;
	char *copy = NULL;
	int rc = 0;

	if (!ent->regular)
		return 0;
	if (!utf8_ok(ent->name, strlen(ent->name))) {
		/* a name that ends up in a source path or a reason: each
		 * byte that is not UTF-8 becomes '?' */
		if (!(copy = strdup(ent->name)))
			return -ENOMEM;
		for (unsigned char *c = (unsigned char *)copy; *c; c++)
			if (*c >= 0x80 && !utf8_ok((const char *)c, 1))
				*c = '?';
		clean.name = copy;
		e = &clean;
	}
	const char *b = base_name(e->name);
	if (!strcmp(b, "pom.properties"))
		rc = on_props(w, aw, e->name);
	else if (!strcmp(e->name, "META-INF/MANIFEST.MF") && !w->seen_manifest)
		rc = on_manifest(w, aw);
	else if (is_nested(e->name))
		rc = on_nested(w, aw, e);
	free(copy);
	return rc;
}

/* The archive's own identity from its manifest (Trivy's choice of
 * attributes), added when no pom.properties named the archive. */
static int manifest_pkg(struct jwalk *w)
{
	char **m = w->m, *g = NULL, *a, *v;
	const char *gs;

	if ((gs = m[M_IMPL_VENDOR_ID])) {
		g = strdup(gs);
	} else if ((gs = m[M_BUNDLE_SYMBOLIC])) {
		size_t n = strcspn(gs, ";"), d = n;
		while (d && gs[d - 1] != '.')
			d--;
		g = trim_dup(gs, d ? d - 1 : n);
	} else if ((gs = m[M_IMPL_VENDOR]) || (gs = m[M_SPEC_VENDOR])) {
		g = strdup(gs);
	}
	const char *as = m[M_IMPL_TITLE] ? m[M_IMPL_TITLE] : m[M_SPEC_TITLE] ? m[M_SPEC_TITLE]
										: m[M_BUNDLE_NAME];
	const char *vs = m[M_IMPL_VERSION] ? m[M_IMPL_VERSION]
			 : m[M_SPEC_VERSION] ? m[M_SPEC_VERSION] : m[M_BUNDLE_VERSION];
	if (!g || !as || !vs) {
		free(g);
		return 0;
	}
	a = strdup(as);
	v = strdup(vs);
	if (!a || !v) {
		free(g);
		free(a);
		free(v);
		return -ENOMEM;
	}
	return add_pkg(w, g, a, v, "MANIFEST.MF", 1);
}

static int walk_archive(const struct ocifs_rd *rd, const char *name, struct jwalk *parent,
			const char *where, unsigned depth, const unsigned char *sha)
{
	struct jwalk w = { .r = parent->r, .o = parent->o, .b = parent->b, .depth = depth,
			   .where = where };
	int rc;

	w.first = w.r->npkgs;
	file_props(name, &w.file_artifact, &w.file_version);
	char *err = NULL;
	rc = ocifs_archive_walk(rd, w.b, on_entry, &w, &err);
	if (err) /* a nested archive's reason names it */
		java_error(w.r, "%s%s%s", where, *where ? ": " : "", err);
	free(err);
	if (rc >= 0) {
		/* a name without a version: its one pom.properties is its own */
		if (!w.found_own && !w.file_artifact && w.nprops == 1) {
			for (size_t i = w.first; i < w.r->npkgs; i++)
				if (!strcmp(w.r->pkgs[i].where, where) &&
				    !strcmp(w.r->pkgs[i].origin, "pom.properties")) {
					w.r->pkgs[i].own = 1;
					w.found_own = 1;
				}
		}
		rc = w.found_own ? 0 : manifest_pkg(&w);
	}
	if (rc >= 0 && sha) {
		for (size_t i = w.first; i < w.r->npkgs; i++)
			if (w.r->pkgs[i].own && !strcmp(w.r->pkgs[i].where, where)) {
				memcpy(w.r->pkgs[i].sha256, sha, 32);
				w.r->pkgs[i].has_sha256 = 1;
			}
	}
	for (int k = 0; k < M_N; k++)
		free(w.m[k]);
	free(w.file_artifact);
	free(w.file_version);
	return rc < 0 ? rc : 0;
}

int ocifs_java_scan(const struct ocifs_rd *rd, const char *name, const struct ocifs_java_opts *o,
		    struct ocifs_java_result *r)
{
	struct ocifs_archive_budget b = o->budget;
	struct jwalk top = { .r = r, .o = o, .b = &b };
	unsigned char sha[32];
	const unsigned char *s = o->sha256;

	memset(r, 0, sizeof(*r));
	if (!s && rd->mem) {
		ocifs_sha256(rd->mem, (size_t)rd->size, sha);
		s = sha;
	}
	return walk_archive(rd, name, &top, "", 0, s);
}
