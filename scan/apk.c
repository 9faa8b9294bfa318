/* SPDX-License-Identifier: MIT */
/*
 * The parser of apk's installed database (apk.h). Hand-written: the
 * format is a line-oriented key:value text that apk-tools itself reads
 * with its own C code (apk_db_index_read); no library on the build
 * reads it, and Debian ships no apk-tools to link against.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apk.h"

static void pkg_fini(struct ocifs_apk_pkg *p)
{
	char **s[] = { &p->name, &p->version, &p->arch, &p->origin, &p->license,
		       &p->description, &p->url, &p->maintainer, &p->commit,
		       &p->build_time, &p->installed_size };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free(*s[i]);
	ocifs_strv_fini(&p->depends);
	ocifs_strv_fini(&p->provides);
	ocifs_strv_fini(&p->files);
	memset(p, 0, sizeof(*p));
}

void ocifs_apk_db_fini(struct ocifs_apk_db *db)
{
	for (size_t i = 0; i < db->npkgs; i++)
		pkg_fini(&db->pkgs[i]);
	free(db->pkgs);
	memset(db, 0, sizeof(*db));
}

static int set(char **slot, const char *v, size_t n, int *bad)
{
	char *d = ocifs_pkg_text(v, n, bad);

	if (!d)
		return -ENOMEM;
	free(*slot);
	*slot = d;
	return 0;
}

/* The names of a space-separated dependency (stop at "<>=~") or
 * provides (stop at "=") list; conflicts ("!name") are no dependency. */
static int names(struct ocifs_apk_pkg *p, struct ocifs_strv *l, const char *v, size_t n,
		 const char *stop)
{
	size_t i = 0;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		size_t s = i;
		while (i < n && v[i] != ' ' && v[i] != '\t')
			i++;
		if (s == i || v[s] == '!')
			continue;
		size_t e = s;
		while (e < i && !strchr(stop, v[e]))
			e++;
		if (e == s)
			continue;
		int rc = ocifs_strv_add(l, v + s, e - s, OCIFS_APK_MAX_LIST, &p->bad_text);
		if (rc < 0)
			return rc;
		if (rc)
			p->cut = 1;
	}
	return 0;
}

struct parse {
	struct ocifs_apk_db *db;
	unsigned flags;
	struct ocifs_apk_pkg cur;
	int open;               /* cur has a line */
	const char *dir;        /* the last F line's value */
	size_t dirlen;
	size_t files;           /* kept over all packages */
};

/* End the current block: keep cur if it has a name. */
static int block_end(struct parse *ps)
{
	struct ocifs_apk_db *db = ps->db;

	if (!ps->open)
		return 0;
	ps->open = 0;
	ps->dir = NULL;
	ps->dirlen = 0;
	if (!ps->cur.name || !*ps->cur.name || db->npkgs >= OCIFS_APK_MAX_PKGS) {
		if (!ps->cur.name || !*ps->cur.name)
			db->nameless++;
		else
			db->cut = 1;
		pkg_fini(&ps->cur);
		return 0;
	}
	if (db->npkgs == db->cap) {
		size_t cap = db->cap ? 2 * db->cap : 64;
		struct ocifs_apk_pkg *n = realloc(db->pkgs, cap * sizeof(*n));
		if (!n) {
			pkg_fini(&ps->cur);
			return -ENOMEM;
		}
		db->pkgs = n;
		db->cap = cap;
	}
	db->pkgs[db->npkgs++] = ps->cur;
	memset(&ps->cur, 0, sizeof(ps->cur));
	return 0;
}

static int add_file(struct parse *ps, const char *v, size_t n)
{
	struct ocifs_apk_pkg *p = &ps->cur;

	if (ps->files >= OCIFS_APK_MAX_FILES) {
		p->cut = ps->db->cut = 1;
		return 0;
	}
	size_t len = 1 + ps->dirlen + (ps->dirlen ? 1 : 0) + n;
	char *raw = malloc(len);
	if (!raw)
		return -ENOMEM;
	raw[0] = '/';
	if (ps->dirlen) { /* an R before any F is at the root */
		memcpy(raw + 1, ps->dir, ps->dirlen);
		raw[1 + ps->dirlen] = '/';
	}
	memcpy(raw + len - n, v, n);
	int rc = ocifs_strv_add(&p->files, raw, len, SIZE_MAX, &p->bad_text);
	free(raw);
	if (rc == 0)
		ps->files++;
	return rc < 0 ? rc : 0;
}

static int line(struct parse *ps, const char *s, size_t n)
{
	struct ocifs_apk_pkg *p = &ps->cur;
	char **slot = NULL;

	if (n < 2 || s[1] != ':') {
		ps->db->bad_lines++;
		return 0;
	}
	ps->open = 1;
	const char *v = s + 2;
	size_t vn = n - 2;
	switch (s[0]) {
	case 'P': slot = &p->name; break;
	case 'V': slot = &p->version; break;
	default:
		if (ps->flags & OCIFS_APK_NAMES_ONLY)
			return 0;
	}
	switch (s[0]) {
	case 'A': slot = &p->arch; break;
	case 'o': slot = &p->origin; break;
	case 'L': slot = &p->license; break;
	case 'T': slot = &p->description; break;
	case 'U': slot = &p->url; break;
	case 'm': slot = &p->maintainer; break;
	case 'c': slot = &p->commit; break;
	case 't': slot = &p->build_time; break;
	case 'I': slot = &p->installed_size; break;
	case 'D': return names(p, &p->depends, v, vn, "<>=~");
	case 'p': return names(p, &p->provides, v, vn, "=");
	case 'F':
		ps->dir = v;
		ps->dirlen = vn;
		while (ps->dirlen && ps->dir[ps->dirlen - 1] == '/')
			ps->dirlen--;
		return 0;
	case 'R': return add_file(ps, v, vn);
	default: break;
	}
	return slot ? set(slot, v, vn, &p->bad_text) : 0;
}

int ocifs_apk_parse(const char *buf, size_t len, unsigned flags, struct ocifs_apk_db *db)
{
	struct parse ps = { .db = db, .flags = flags };
	size_t off = 0, n;
	const char *s;
	int rc = 0;

	while (!rc && ocifs_pkg_line(buf, len, &off, &s, &n))
		rc = n ? line(&ps, s, n) : block_end(&ps);
	if (!rc)
		rc = block_end(&ps);
	pkg_fini(&ps.cur);
	return rc;
}
