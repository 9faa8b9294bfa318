/* SPDX-License-Identifier: MIT */
/*
 * Package URL spelling (purl.h). Hand-written: a few dozen lines of
 * percent-encoding and sorting that no design-card library offers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "purl.h"

static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == '~' || c == ':';
}

/* Append s percent-encoded (keep_slash: '/' separates segments). */
static void put_enc(FILE *f, const char *s, int keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (plain(*p) || (keep_slash && *p == '/'))
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
}

struct qual {
	const char *k, *v;
	size_t kl, vl;
};

static int by_key(const void *a, const void *b)
{
	const struct qual *x = a, *y = b;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(x->k, y->k, n);

	return c ? c : (x->kl > y->kl) - (x->kl < y->kl);
}

/* Split "k=v&k=v" into q (at most max), n set; entries point into s. */
static size_t split_quals(const char *s, struct qual *q, size_t max)
{
	size_t n = 0;

	while (s && *s && n < max) {
		const char *amp = strchr(s, '&'), *end = amp ? amp : s + strlen(s);
		const char *eq = memchr(s, '=', (size_t)(end - s));
		if (eq && eq > s && end > eq + 1)
			q[n++] = (struct qual){ s, eq + 1, (size_t)(eq - s), (size_t)(end - eq - 1) };
		s = amp ? amp + 1 : end;
	}
	return n;
}

#define QUAL_MAX 32

char *ocifs_purl(const char *type, const char *ns, const char *name, const char *version,
		 const char *qualifiers, const char *subpath)
{
	struct qual q[QUAL_MAX];
	char *buf = NULL;
	size_t len = 0, nq;
	FILE *f;

	if (!type || !*type || !name || !*name || !(f = open_memstream(&buf, &len)))
		return NULL;
	fputs("pkg:", f);
	for (const char *t = type; *t; t++) /* the type is lower case */
		fputc(*t >= 'A' && *t <= 'Z' ? *t - 'A' + 'a' : *t, f);
	fputc('/', f);
	if (ns && *ns) {
		put_enc(f, ns, 1);
		fputc('/', f);
	}
	if (!strcasecmp(type, "pypi")) {
		/* the spec's and Trivy's PyPI name: lower case, "_" as "-" */
		for (const char *c = name; *c; c++) {
			char o = *c == '_' ? '-' : *c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c;
			char one[2] = { o, '\0' };
			put_enc(f, one, 0);
		}
	} else {
		put_enc(f, name, 0);
	}
	if (version && *version) {
		fputc('@', f);
		put_enc(f, version, 0);
	}
	nq = split_quals(qualifiers, q, QUAL_MAX);
	qsort(q, nq, sizeof(*q), by_key);
	for (size_t i = 0; i < nq; i++) {
		char *v = strndup(q[i].v, q[i].vl);
		fputc(i ? '&' : '?', f);
		for (size_t k = 0; k < q[i].kl; k++)
			fputc(q[i].k[k] >= 'A' && q[i].k[k] <= 'Z' ? q[i].k[k] - 'A' + 'a' : q[i].k[k], f);
		fputc('=', f);
		if (v)
			put_enc(f, v, 1); /* '/' stays readable: repository_url */
		free(v);
	}
	if (subpath && *subpath) {
		fputc('#', f);
		put_enc(f, subpath, 1);
	}
	if (fclose(f) || !buf) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *ocifs_purl_qualifier_set(const char *qualifiers, const char *k, const char *v)
{
	struct qual q[QUAL_MAX];
	size_t n = split_quals(qualifiers, q, QUAL_MAX), kl = strlen(k);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int first = 1;

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (q[i].kl == kl && !memcmp(q[i].k, k, kl))
			continue;
		fprintf(f, "%s%.*s=%.*s", first ? "" : "&", (int)q[i].kl, q[i].k, (int)q[i].vl,
			q[i].v);
		first = 0;
	}
	fprintf(f, "%s%s=%s", first ? "" : "&", k, v);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
