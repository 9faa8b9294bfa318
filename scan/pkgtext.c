/* SPDX-License-Identifier: MIT */
/*
 * The package parsers' shared text helpers (pkgtext.h). The RFC 822
 * header reader is hand-written because Python's core metadata is a
 * relaxed dialect (no folding rules beyond a leading blank, bytes of
 * any encoding, no MIME) that no mail library on the build reads as
 * importlib.metadata does, and the rest is a few lines each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "pkgtext.h"

int ocifs_pkg_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t k;
		unsigned min;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		unsigned cp = c & (0x3fu >> k);
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

char *ocifs_pkg_text(const char *s, size_t n, int *bad)
{
	char *d;

	if (ocifs_pkg_utf8(s, n)) {
		if ((d = malloc(n + 1))) {
			memcpy(d, s, n);
			d[n] = '\0';
		}
		return d;
	}
	if (bad)
		*bad = 1;
	size_t need = ocifs_esc_buf(NULL, 0, s, n, OCIFS_ESC_KEEP_SPACE);
	if ((d = malloc(need + 1)))
		ocifs_esc_buf(d, need + 1, s, n, OCIFS_ESC_KEEP_SPACE);
	return d;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char *ocifs_pkg_text_trim(const char *s, size_t n, int *bad)
{
	while (n && blank(*s)) {
		s++;
		n--;
	}
	while (n && blank(s[n - 1]))
		n--;
	return ocifs_pkg_text(s, n, bad);
}

int ocifs_strv_take(struct ocifs_strv *l, char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

int ocifs_strv_add(struct ocifs_strv *l, const char *s, size_t n, size_t max, int *bad)
{
	if (l->n >= max)
		return 1;
	char *d = ocifs_pkg_text(s, n, bad);
	return d ? ocifs_strv_take(l, d) : -ENOMEM;
}

int ocifs_strv_has(const struct ocifs_strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

void ocifs_strv_fini(struct ocifs_strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct ocifs_strv){ 0 };
}

int ocifs_pkg_line(const char *buf, size_t len, size_t *off, const char **line, size_t *n)
{
	if (*off >= len)
		return 0;
	const char *s = buf + *off;
	const char *nl = memchr(s, '\n', len - *off);
	size_t l = nl ? (size_t)(nl - s) : len - *off;

	*off += l + (nl ? 1 : 0);
	if (l && s[l - 1] == '\r')
		l--;
	*line = s;
	*n = l;
	return 1;
}

int ocifs_pkg_read(const struct ocifs_rd *rd, unsigned long long size, size_t cap,
		   const char **buf, size_t *len, char **owned, int *cut)
{
	size_t n = rd->size < cap ? (size_t)rd->size : cap;
	int rc;

	*owned = NULL;
	*cut = size > n;
	if (rd->mem) {
		*buf = (const char *)rd->mem;
		*len = n;
		return 0;
	}
	char *b = malloc(n ? n : 1);
	if (!b)
		return -ENOMEM;
	if ((rc = ocifs_rd_upto(rd, b, n, 0, len))) {
		free(b);
		return rc;
	}
	if (*len < n)
		*cut = 1;
	*buf = *owned = b;
	return 0;
}

int ocifs_pkg_headers(const char *buf, size_t len,
		      int (*cb)(void *ctx, const char *name, size_t nlen, const char *value,
				size_t vlen),
		      void *ctx, size_t *bad_lines)
{
	size_t off = 0, n;
	const char *line;

	*bad_lines = 0;
	if (!ocifs_pkg_line(buf, len, &off, &line, &n))
		return 0;
	for (;;) {
		if (!n)
			return 0; /* the body begins */
		const char *colon = memchr(line, ':', n);
		if (!colon || colon == line || blank(*line)) {
			(*bad_lines)++;
			if (!ocifs_pkg_line(buf, len, &off, &line, &n))
				return 0;
			continue;
		}
		size_t nlen = (size_t)(colon - line);
		const char *v = colon + 1;
		const char *end = line + n;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		/* continuation lines: a blank first */
		int more;
		while ((more = ocifs_pkg_line(buf, len, &off, &line, &n)) && n &&
		       (*line == ' ' || *line == '\t'))
			end = line + n;
		int rc = cb(ctx, colon - nlen, nlen, v, (size_t)(end - v));
		if (rc)
			return rc;
		if (!more)
			return 0;
	}
}

struct ocifs_pkgrec *ocifs_pkglist_add(struct ocifs_pkglist *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ocifs_pkgrec *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	struct ocifs_pkgrec *r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

void ocifs_pkglist_fini(struct ocifs_pkglist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct ocifs_pkgrec *r = &l->v[i];
		free(r->namespace_);
		free(r->name);
		free(r->version);
		free(r->extra);
		ocifs_strv_fini(&r->licenses);
		ocifs_strv_fini(&r->depends);
		ocifs_strv_fini(&r->files);
	}
	free(l->v);
	*l = (struct ocifs_pkglist){ 0 };
}
