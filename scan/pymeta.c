/* SPDX-License-Identifier: MIT */
/*
 * The parser of Python's installed-distribution metadata (pymeta.h).
 * Hand-written: the C libraries on the build read neither Python's
 * core-metadata header dialect (see pkgtext.c) nor PEP 508 requirement
 * names, and a RECORD needs only its first CSV field.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "path.h"
#include "pymeta.h"

#define PY_LICENSE_LINE_MAX 256u /* a longer License value is license text */

void ocifs_pymeta_fini(struct ocifs_pymeta *m)
{
	free(m->name);
	free(m->version);
	free(m->summary);
	ocifs_strv_fini(&m->licenses);
	ocifs_strv_fini(&m->requires);
	memset(m, 0, sizeof(*m));
}

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

const char *ocifs_py_req_name(const char *s, size_t len, size_t *n)
{
	size_t i = 0, e;

	*n = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (e = i; e < len && is_name_char(s[e]); e++)
		;
	const char *semi = memchr(s + e, ';', len - e);
	if (semi) {
		/* an "extra" marker: only with that extra installed */
		const char *m = semi + 1, *end = s + len;
		for (; m + 5 <= end; m++)
			if (!memcmp(m, "extra", 5) && (m == semi + 1 || !is_name_char(m[-1])) &&
			    (m + 5 == end || !is_name_char(m[5])))
				return s;
	}
	*n = e - i;
	return s + i;
}

char *ocifs_py_purl_name(const char *name)
{
	char *d = strdup(name);

	for (char *p = d; p && *p; p++)
		*p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	return d;
}

struct hdr {
	struct ocifs_pymeta *m;
	struct ocifs_strv classifiers;
	char *license, *expression;
};

static int field(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && !strncasecmp(name, want, nlen);
}

static int set(char **slot, const char *v, size_t n, int *bad)
{
	if (*slot)
		return 0; /* the first wins, as email.message.get() */
	return (*slot = ocifs_pkg_text_trim(v, n, bad)) ? 0 : -ENOMEM;
}

static int on_field(void *ctx, const char *name, size_t nlen, const char *v, size_t vn)
{
	struct hdr *h = ctx;
	struct ocifs_pymeta *m = h->m;

	if (field(name, nlen, "Name"))
		return set(&m->name, v, vn, &m->bad_text);
	if (field(name, nlen, "Version"))
		return set(&m->version, v, vn, &m->bad_text);
	if (field(name, nlen, "Summary"))
		return set(&m->summary, v, vn, &m->bad_text);
	if (field(name, nlen, "License-Expression"))
		return set(&h->expression, v, vn, &m->bad_text);
	if (field(name, nlen, "License")) {
		if (memchr(v, '\n', vn) || vn > PY_LICENSE_LINE_MAX)
			return 0; /* the license's text, not its name */
		return set(&h->license, v, vn, &m->bad_text);
	}
	if (field(name, nlen, "Classifier")) {
		static const char pre[] = "License :: ";
		if (vn <= sizeof(pre) - 1 || memcmp(v, pre, sizeof(pre) - 1))
			return 0;
		/* the last " :: " segment: "License :: OSI Approved :: MIT License" */
		size_t s = sizeof(pre) - 1;
		for (size_t i = s; i + 4 <= vn; i++)
			if (!memcmp(v + i, " :: ", 4))
				s = i + 4;
		if (vn - s == 12 && !memcmp(v + s, "OSI Approved", 12))
			return 0;
		int rc = ocifs_strv_add(&h->classifiers, v + s, vn - s, OCIFS_PY_MAX_LIST,
					&m->bad_text);
		return rc < 0 ? rc : 0;
	}
	if (field(name, nlen, "Requires-Dist")) {
		size_t n;
		const char *r = ocifs_py_req_name(v, vn, &n);
		if (!n)
			return 0;
		char *d = ocifs_pkg_text(r, n, &m->bad_text);
		if (!d)
			return -ENOMEM;
		if (m->requires.n >= OCIFS_PY_MAX_LIST || ocifs_strv_has(&m->requires, d)) {
			free(d);
			return 0;
		}
		return ocifs_strv_take(&m->requires, d);
	}
	return 0;
}

int ocifs_pymeta_parse(const char *buf, size_t len, struct ocifs_pymeta *m)
{
	struct hdr h = { .m = m };
	int rc = ocifs_pkg_headers(buf, len, on_field, &h, &m->bad_lines);

	if (rc)
		goto out;
	/* License-Expression, else License (not "UNKNOWN"), else classifiers */
	if (h.expression && *h.expression) {
		rc = ocifs_strv_take(&m->licenses, h.expression);
		h.expression = NULL;
	} else if (h.license && *h.license && strcmp(h.license, "UNKNOWN")) {
		rc = ocifs_strv_take(&m->licenses, h.license);
		h.license = NULL;
	} else {
		m->licenses = h.classifiers;
		h.classifiers = (struct ocifs_strv){ 0 };
	}
out:
	free(h.expression);
	free(h.license);
	ocifs_strv_fini(&h.classifiers);
	return rc;
}

/* The first field of a CSV line (RFC 4180 quoting) into a malloc'd
 * string, NULL on ENOMEM. */
static char *csv_first(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	size_t o = 0, i = 0;

	if (!d)
		return NULL;
	if (n && s[0] == '"') {
		for (i = 1; i < n; i++) {
			if (s[i] == '"') {
				if (i + 1 < n && s[i + 1] == '"')
					i++;
				else
					break;
			}
			d[o++] = s[i];
		}
	} else {
		for (; i < n && s[i] != ','; i++)
			d[o++] = s[i];
	}
	d[o] = '\0';
	return d;
}

static int add_path(const char *base, const char *rel, struct ocifs_strv *out, size_t *bad,
		    int *bad_text)
{
	size_t bl = strlen(base), rl = strlen(rel);
	char *p = malloc(bl + rl + 3);
	int rc;

	if (!p)
		return -ENOMEM;
	if (rel[0] == '/') {
		memcpy(p, rel, rl + 1);
	} else {
		memcpy(p, base, bl);
		p[bl] = '/';
		memcpy(p + bl + 1, rel, rl + 1);
	}
	if (ocifs_path_normalize(p)) {
		free(p); /* climbs above the root */
		(*bad)++;
		return 0;
	}
	size_t l = strlen(p);
	memmove(p + 1, p, l + 1);
	p[0] = '/';
	rc = ocifs_strv_add(out, p, l + 1, OCIFS_PY_MAX_FILES, bad_text);
	free(p);
	if (rc == 1)
		(*bad)++;
	return rc < 0 ? rc : 0;
}

int ocifs_py_list_parse(enum ocifs_py_list kind, const char *buf, size_t len, const char *base,
			struct ocifs_strv *out, size_t *bad, int *bad_text)
{
	size_t off = 0, n;
	const char *s;
	int rc = 0;

	int extra = 0; /* requires.txt: in an "[extra]" section */

	while (!rc && ocifs_pkg_line(buf, len, &off, &s, &n)) {
		if (kind == OCIFS_PY_REQUIRES) {
			if (n && s[0] == '[') {
				/* "[:marker]" holds environment-marker requirements
				 * (kept, as a marker of Requires-Dist is); "[x]" and
				 * "[x:marker]" an extra's */
				extra = n < 2 || s[1] != ':';
				continue;
			}
			if (extra)
				continue;
			size_t nn;
			const char *r = ocifs_py_req_name(s, n, &nn);
			if (!nn)
				continue;
			char *d = ocifs_pkg_text(r, nn, bad_text);
			if (!d)
				return -ENOMEM;
			if (out->n >= OCIFS_PY_MAX_LIST || ocifs_strv_has(out, d))
				free(d);
			else
				rc = ocifs_strv_take(out, d);
			continue;
		}
		if (!n)
			continue;
		char *rel = kind == OCIFS_PY_RECORD ? csv_first(s, n) : strndup(s, n);
		if (!rel)
			return -ENOMEM;
		if (*rel)
			rc = add_path(base, rel, out, bad, bad_text);
		free(rel);
	}
	return rc;
}
