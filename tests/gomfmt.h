/* SPDX-License-Identifier: MIT */
/*
 * `go version -m` output rebuilt from a struct ocifs_goinfo, to compare
 * scan/goinfo's result with what the real Go tool prints, and the small
 * helpers that needs (a growing string buffer, a command's output).
 * Static helpers, like tests/tap.h; include tap.h first.
 */
#ifndef OCIFS_TESTS_GOMFMT_H
#define OCIFS_TESTS_GOMFMT_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "goinfo.h"
#include "tap.h"

/* The file's ELF parse, then the Go analysis over it, as deps does. */
static inline int goinfo_of(const struct ocifs_rd *rd, struct ocifs_goinfo *g)
{
	struct ocifs_elf e;
	int rc = ocifs_elf_analyze(rd, &e);

	if (rc)
		memset(g, 0, sizeof(*g));
	else
		rc = ocifs_goinfo_read(rd, &e, g);
	ocifs_elf_fini(&e);
	return rc;
}

/* A growing NUL-terminated string; sb_add aborts when out of memory. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static inline void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s ? s : "", s ? strlen(s) : 0);
}

/* strconv.Quote, enough for ASCII and valid UTF-8 passed through */
static inline void sb_quoted(struct sbuf *b, const char *s, const char *special)
{
	if (*s && !strpbrk(s, special)) {
		sb_str(b, s);
		return;
	}
	sb_str(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[8];
		const char *esc = strchr("\a\b\f\n\r\t\v", c);

		if (c == '"' || c == '\\')
			snprintf(e, sizeof(e), "\\%c", c);
		else if (c && esc)
			snprintf(e, sizeof(e), "\\%c", "abfnrtv"[esc - "\a\b\f\n\r\t\v"]);
		else if (c < 0x20 || c == 0x7f)
			snprintf(e, sizeof(e), "\\x%02x", c);
		else
			snprintf(e, sizeof(e), "%c", c);
		sb_str(b, e);
	}
	sb_str(b, "\"");
}

static inline void fmt_mod(struct sbuf *b, const char *word, const char *p, const char *v,
			   const char *s, const struct ocifs_gomod *m)
{
	sb_str(b, word);
	sb_str(b, "\t");
	sb_str(b, p);
	sb_str(b, "\t");
	sb_str(b, v);
	if (m && m->rep_path) {
		sb_str(b, "\n");
		fmt_mod(b, "=>", m->rep_path, m->rep_version, m->rep_sum, NULL);
	} else {
		sb_str(b, "\t");
		sb_str(b, s);
	}
	sb_str(b, "\n");
}

/* debug.BuildInfo.String() of our result, printed as go version -m does */
static inline char *format_go(const char *file, const struct ocifs_goinfo *g)
{
	struct sbuf b = { 0 }, o = { 0 };

	sb_str(&b, "");
	if (g->path) {
		sb_str(&b, "path\t");
		sb_str(&b, g->path);
		sb_str(&b, "\n");
	}
	if (g->main.path && (*g->main.path || *g->main.version || *g->main.sum || g->main.rep_path))
		fmt_mod(&b, "mod", g->main.path, g->main.version, g->main.sum, &g->main);
	for (size_t i = 0; i < g->ndeps; i++)
		fmt_mod(&b, "dep", g->deps[i].path, g->deps[i].version, g->deps[i].sum, &g->deps[i]);
	for (size_t i = 0; i < g->nsettings; i++) {
		sb_str(&b, "build\t");
		if (!*g->settings[i].key || strpbrk(g->settings[i].key, "= \t\r\n\"`"))
			sb_quoted(&b, g->settings[i].key, "= \t\r\n\"`");
		else
			sb_str(&b, g->settings[i].key);
		sb_str(&b, "=");
		if (*g->settings[i].value)
			sb_quoted(&b, g->settings[i].value, " \t\r\n\"`");
		sb_str(&b, "\n");
	}
	sb_str(&o, file);
	sb_str(&o, ": ");
	sb_str(&o, g->version);
	sb_str(&o, "\n");
	if (b.len) {
		sb_str(&o, "\t");
		for (size_t i = 0; i + 1 < b.len; i++)
			sb_add(&o, b.p[i] == '\n' ? "\n\t" : b.p + i, b.p[i] == '\n' ? 2 : 1);
		sb_str(&o, "\n");
	}
	free(b.p);
	return o.p;
}

/* The standard output of sh -c cmd (caller frees), NULL if it failed. */
static inline char *run(const char *cmd)
{
	struct sbuf b = { 0 };
	char buf[4096];
	size_t n;
	FILE *p = popen(cmd, "r");

	if (!p)
		return NULL;
	sb_str(&b, "");
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sb_add(&b, buf, n);
	if (pclose(p) != 0) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* diag() where got first differs from want */
static inline void first_diff(const char *got, const char *want)
{
	size_t line = 1;

	while (*got && *got == *want) {
		if (*got == '\n')
			line++;
		got++, want++;
	}
	diag("  first difference at line %zu: got \"%.60s\", want \"%.60s\"", line, got, want);
}

#endif
