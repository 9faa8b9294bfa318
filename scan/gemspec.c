/* SPDX-License-Identifier: MIT */
/*
 * The gemspec reader (gemspec.h). Hand-written: no Ruby parser on the
 * build, and running Ruby on an image's files is out of the question;
 * Gem::Specification#to_ruby writes one assignment a line with string
 * literals ("x", 'x', %q<x>, each maybe .freeze), which is all this
 * reads.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gemspec.h"

/* A Ruby string literal at *p (before end): its bytes unescaped into a
 * malloc'd string through ocifs_pkg_text, *p moved past it. NULL with
 * *p unchanged when there is none; *nomem on ENOMEM. */
static char *literal(const char **p, const char *end, int *bad, int *nomem)
{
	const char *s = *p;
	char open, close;

	if (s < end && (*s == '"' || *s == '\'')) {
		open = close = *s++;
	} else if (end - s >= 3 && s[0] == '%' && (s[1] == 'q' || s[1] == 'Q')) {
		open = s[2];
		close = open == '<' ? '>' : open == '{' ? '}' : open == '(' ? ')' :
			open == '[' ? ']' : open;
		if (isalnum((unsigned char)open) || isspace((unsigned char)open))
			return NULL;
		s += 3;
	} else {
		return NULL;
	}
	char *raw = malloc((size_t)(end - s) + 1);
	size_t n = 0;
	if (!raw) {
		*nomem = 1;
		return NULL;
	}
	int depth = 0;
	for (; s < end; s++) {
		if (*s == '\\' && s + 1 < end) {
			raw[n++] = *++s;
			continue;
		}
		if (*s == close && !depth)
			break;
		if (open != close && *s == open)
			depth++;
		else if (open != close && *s == close)
			depth--;
		raw[n++] = *s;
	}
	if (s >= end) {
		free(raw); /* unterminated */
		return NULL;
	}
	*p = s + 1;
	char *t = ocifs_pkg_text(raw, n, bad);
	free(raw);
	if (!t)
		*nomem = 1;
	return t;
}

/* The first literal at or after *p on the line. */
static char *first_literal(const char *p, const char *end, int *bad, int *nomem)
{
	for (; p < end; p++) {
		const char *q = p;
		char *t = literal(&q, end, bad, nomem);
		if (t || *nomem)
			return t;
		if (*p == '#')
			break; /* a comment */
	}
	return NULL;
}

/* "IDENT.attr" at the start of the line (after blanks): the position
 * after attr, or NULL. */
static const char *attr(const char *s, const char *end, const char *name)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end || !(isalpha((unsigned char)*s) || *s == '_'))
		return NULL;
	while (s < end && (isalnum((unsigned char)*s) || *s == '_'))
		s++;
	size_t n = strlen(name);
	if (s >= end || *s != '.' || (size_t)(end - s - 1) < n || memcmp(s + 1, name, n))
		return NULL;
	s += 1 + n;
	if (s < end && (isalnum((unsigned char)*s) || *s == '_'))
		return NULL; /* a longer name */
	return s;
}

/* "IDENT.attr = RHS": the RHS, or NULL. */
static const char *assign(const char *s, const char *end, const char *name)
{
	if (!(s = attr(s, end, name)))
		return NULL;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end || *s != '=' || (s + 1 < end && (s[1] == '=' || s[1] == '~')))
		return NULL;
	return s + 1;
}

static int set(char **slot, const char *rhs, const char *end, int *bad)
{
	int nomem = 0;

	if (*slot)
		return 0;
	*slot = first_literal(rhs, end, bad, &nomem);
	return nomem ? -ENOMEM : 0;
}

/* Every literal of the line into l (licenses = [...]). */
static int all(struct ocifs_strv *l, const char *p, const char *end, int *bad)
{
	int nomem = 0;

	while (p < end) {
		const char *q = p;
		char *t = literal(&q, end, bad, &nomem);
		if (nomem)
			return -ENOMEM;
		if (!t) {
			if (*p == '#')
				break;
			p++;
			continue;
		}
		p = q;
		if (l->n >= OCIFS_GEM_MAX_LIST || ocifs_strv_has(l, t))
			free(t);
		else if (ocifs_strv_take(l, t))
			return -ENOMEM;
	}
	return 0;
}

static int dep(struct ocifs_strv *l, const char *p, const char *end, int *bad)
{
	int nomem = 0;
	char *t = first_literal(p, end, bad, &nomem);

	if (!t)
		return nomem ? -ENOMEM : 0;
	if (l->n >= OCIFS_GEM_MAX_LIST || ocifs_strv_has(l, t)) {
		free(t);
		return 0;
	}
	return ocifs_strv_take(l, t);
}

int ocifs_gemspec_parse(const char *buf, size_t len, struct ocifs_pkgrec *r, const char **why)
{
	struct ocifs_strv plain = { 0 }; /* add_dependency names */
	int kinds = 0;                   /* a runtime/development kind was named */
	size_t off = 0, n;
	const char *s, *v;
	int rc = 0;

	*why = NULL;
	while (!rc && ocifs_pkg_line(buf, len, &off, &s, &n)) {
		const char *end = s + n;
		if ((v = assign(s, end, "name")))
			rc = set(&r->name, v, end, &r->bad_text);
		else if ((v = assign(s, end, "version")))
			rc = set(&r->version, v, end, &r->bad_text);
		else if ((v = assign(s, end, "licenses")) || (v = assign(s, end, "license")))
			rc = all(&r->licenses, v, end, &r->bad_text);
		else if ((v = attr(s, end, "add_runtime_dependency"))) {
			kinds = 1;
			rc = dep(&r->depends, v, end, &r->bad_text);
		} else if (attr(s, end, "add_development_dependency"))
			kinds = 1;
		else if ((v = attr(s, end, "add_dependency")))
			rc = dep(&plain, v, end, &r->bad_text);
	}
	if (!rc && !kinds) {
		ocifs_strv_fini(&r->depends);
		r->depends = plain;
		plain = (struct ocifs_strv){ 0 };
	}
	ocifs_strv_fini(&plain);
	if (!rc && !r->name)
		*why = "no `name =` assignment";
	else if (!rc && !r->version)
		*why = "no `version =` assignment";
	return rc;
}
