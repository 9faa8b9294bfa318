/* SPDX-License-Identifier: MIT */
/* ld.so.conf parsing with includes; see ldconf.h. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldconf.h"

#define MAX_DEPTH 16        /* ldconfig has no limit; loops must end */
#define MAX_CONF (1u << 20) /* bytes per file */

struct parse {
	const struct ocifs_tree *t;
	struct ocifs_ldconf *out;
	char *stack[MAX_DEPTH]; /* files being read, for loop detection */
	int depth;
};

static void note(struct parse *p, const char *what, const char *arg)
{
	char *n = NULL;

	if (p->out->note)
		return; /* the first one says enough */
	if (asprintf(&n, "%s: %s", arg, what) >= 0)
		p->out->note = n;
}

static int add_dir(struct ocifs_ldconf *c, const char *d, size_t len)
{
	while (len > 1 && d[len - 1] == '/')
		len--;
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->dirs[i]) == len && !strncmp(c->dirs[i], d, len))
			return 0;
	char **v = realloc(c->dirs, (c->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->dirs = v;
	if (!(v[c->n] = strndup(d, len)))
		return -ENOMEM;
	c->n++;
	return 0;
}

static int parse_file(struct parse *p, const char *path);

struct glob_ctx {
	const char *pattern;
	char **names;
	size_t n;
	int rc;
};

static int glob_cb(void *ctx, const char *name)
{
	struct glob_ctx *g = ctx;

	if (fnmatch(g->pattern, name, FNM_PERIOD) != 0)
		return 0;
	char **v = realloc(g->names, (g->n + 1) * sizeof(*v));
	if (!v || !(v[g->n] = strdup(name))) {
		if (v)
			g->names = v;
		return g->rc = -ENOMEM;
	}
	g->names = v;
	g->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* include PATTERN: glob on the last component (what real configs use). */
static int include(struct parse *p, const char *from, const char *pat)
{
	char *full = NULL, *slash;
	struct glob_ctx g = { 0 };
	int rc = 0;

	if (pat[0] == '/') {
		full = strdup(pat);
	} else {
		const char *s = strrchr(from, '/');
		if (asprintf(&full, "%.*s/%s", s ? (int)(s - from) : 0, from, pat) < 0)
			full = NULL;
	}
	if (!full)
		return -ENOMEM;
	slash = strrchr(full, '/');
	*slash = '\0';
	g.pattern = slash + 1;
	if (!strpbrk(g.pattern, "*?[")) { /* a plain file name */
		*slash = '/';
		rc = parse_file(p, full);
		free(full);
		return rc;
	}
	if (p->t->list_dir(p->t->ctx, *full ? full : "/", glob_cb, &g) < 0 && g.rc == 0)
		note(p, "include: no such directory", pat);
	rc = g.rc;
	if (g.n)
		qsort(g.names, g.n, sizeof(*g.names), cmp_str);
	for (size_t i = 0; i < g.n && !rc; i++) {
		char *f = NULL;
		if (asprintf(&f, "%s/%s", full, g.names[i]) < 0)
			rc = -ENOMEM;
		else
			rc = parse_file(p, f);
		free(f);
	}
	for (size_t i = 0; i < g.n; i++)
		free(g.names[i]);
	free(g.names);
	free(full);
	return rc;
}

static int parse_file(struct parse *p, const char *path)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int rc;

	for (int i = 0; i < p->depth; i++)
		if (!strcmp(p->stack[i], path)) {
			note(p, "include loop: not followed again", path);
			return 0;
		}
	if (p->depth == MAX_DEPTH) {
		note(p, "includes nested too deeply", path);
		return 0;
	}
	rc = p->t->read_file(p->t->ctx, path, MAX_CONF, &buf, &len);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		if (p->depth > 0)
			note(p, "included but cannot be read", path);
		return 0;
	}
	p->stack[p->depth++] = (char *)path;
	for (line = strtok_r(buf, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line += strspn(line, " \t\r");
		if (!strncmp(line, "include", 7) && (line[7] == ' ' || line[7] == '\t')) {
			char *arg = line + 7, *tok, *s2 = NULL;
			for (tok = strtok_r(arg, " \t\r", &s2); tok && !rc; tok = strtok_r(NULL, " \t\r", &s2))
				rc = include(p, path, tok);
			continue;
		}
		if (!strncmp(line, "hwcap", 5) && (line[5] == ' ' || line[5] == '\t'))
			continue;
		/* One directory per line, as glibc's ldconfig reads it: an old
		 * "DIR=TYPE" suffix dropped, trailing blanks and '/' trimmed. */
		size_t k = strcspn(line, "=");
		while (k && strchr(" \t\r", line[k - 1]))
			k--;
		if (k && line[0] == '/')
			rc = add_dir(p->out, line, k);
	}
	p->depth--;
	free(buf);
	return rc;
}

int ocifs_ldconf_parse(const struct ocifs_tree *t, const char *path, struct ocifs_ldconf *out)
{
	struct parse p = { .t = t, .out = out };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_file(&p, path);
	if (rc)
		ocifs_ldconf_fini(out);
	return rc;
}

void ocifs_ldconf_fini(struct ocifs_ldconf *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->dirs[i]);
	free(c->dirs);
	free(c->note);
	memset(c, 0, sizeof(*c));
}
