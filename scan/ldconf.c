/* SPDX-License-Identifier: MIT */
/* ld.so.conf parsing with includes; see ldconf.h. */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "ldconf.h"

#define MAX_DEPTH 16          /* ldconfig has no limit; loops must end */
#define MAX_CONF (1u << 20)   /* bytes per file */
#define MAX_FILES 4096        /* files read per parse */
#define MAX_BYTES (16u << 20) /* bytes read per parse */
#define MAX_DIRS (1u << 20)   /* directories kept */

struct parse {
	const struct ocifs_tree *t;
	struct ocifs_ldconf *out;
	char *stack[MAX_DEPTH]; /* files being read, for loop detection */
	int depth;
	struct ocifs_strmap files; /* every file read once */
	struct ocifs_strmap dirs;  /* out->dirs, for the duplicate check */
	size_t bytes;           /* read so far */
	int cut;                /* a work bound was hit (noted once) */
};

static void note(struct parse *p, const char *what, const char *arg)
{
	char *n = NULL;

	if (p->out->note)
		return; /* the first one says enough */
	if (asprintf(&n, "%s: %s", arg, what) >= 0)
		p->out->note = n;
}

/* Note once that a bound cut the work short. */
static void cut(struct parse *p, const char *what, const char *arg)
{
	if (!p->cut++)
		note(p, what, arg);
}

/* Append d[0..len) unless already there: a hash set, so that a file of
 * 100k directories costs linear time. 0 or -ENOMEM. */
static int add_dir(struct parse *p, const char *d, size_t len)
{
	struct ocifs_ldconf *c = p->out;

	while (len > 1 && d[len - 1] == '/')
		len--;
	if (ocifs_strmap_get(&p->dirs, d, len, NULL))
		return 0;
	if (c->n >= MAX_DIRS) {
		cut(p, "too many directories: the rest ignored", d);
		return 0;
	}
	if (!(c->n & (c->n - 1))) { /* grow at powers of two */
		char **v = realloc(c->dirs, (c->n ? 2 * c->n : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->dirs = v;
	}
	if (!(c->dirs[c->n] = strndup(d, len)))
		return -ENOMEM;
	if (ocifs_strmap_put(&p->dirs, d, len, c->n, NULL) < 0) {
		free(c->dirs[c->n]);
		return -ENOMEM;
	}
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
	/* Each file once: ldconfig reads a file again at every include, but
	 * a second reading only adds directories already listed (duplicates
	 * are dropped), so the list is the same, and an include fan-out
	 * costs linear time instead of exponential. */
	if (ocifs_strmap_get(&p->files, path, strlen(path), NULL))
		return 0;
	if (p->depth == MAX_DEPTH) {
		note(p, "includes nested too deeply", path);
		return 0;
	}
	if (p->files.n >= MAX_FILES || p->bytes >= MAX_BYTES) {
		cut(p, "too many included files: the rest ignored", path);
		return 0;
	}
	if (ocifs_strmap_put(&p->files, path, strlen(path), 0, NULL) < 0)
		return -ENOMEM;
	rc = p->t->read_file(p->t->ctx, path, MAX_CONF, &buf, &len);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		if (p->depth > 0)
			note(p, "included but cannot be read", path);
		return 0;
	}
	p->bytes += len;
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
			rc = add_dir(p, line, k);
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
	ocifs_strmap_fini(&p.files);
	ocifs_strmap_fini(&p.dirs);
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
