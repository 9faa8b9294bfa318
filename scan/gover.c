/* SPDX-License-Identifier: MIT */
/*
 * Versions of a Go binary's components (gover.h). The -ldflags reading
 * follows Trivy's ParseLDFlags, which hands strings.Fields of the
 * setting to a pflag set knowing only the shorthand -X (a StringToString
 * flag, unknown flags whitelisted): the same token rules are spelled out
 * here (no C library parses Go's flag syntax), including pflag's quirks
 * (an unknown "-abc" cluster skips one following non-flag word per
 * letter, a letter 'h' means help and fails the parse, a value with
 * several '=' is read as one CSV record), since a different parse would
 * give a different version than Trivy's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gover.h"

#define LD_MAX_TOKENS 4096
#define LD_MAX_PAIRS 1024

/* --- semver (golang.org/x/mod/semver.IsValid) ----------------------- */

/* Digits without a leading zero (unless "0"): their length, or 0. */
static size_t num(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	if (n > 1 && s[0] == '0')
		return 0;
	return n;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty; numeric ones
 * without a leading zero when prerelease. Length consumed, or 0. */
static size_t idents(const char *s, int prerelease)
{
	size_t i = 0;

	for (;;) {
		size_t st = i;
		int digits = 1;
		while (isalnum((unsigned char)s[i]) || s[i] == '-') {
			if (!isdigit((unsigned char)s[i]))
				digits = 0;
			i++;
		}
		if (i == st)
			return 0;
		if (prerelease && digits && i - st > 1 && s[st] == '0')
			return 0;
		if (s[i] != '.')
			return i;
		i++;
	}
}

int ocifs_go_semver_valid(const char *v)
{
	size_t n;

	if (!v || *v++ != 'v' || !(n = num(v)))
		return 0;
	v += n;
	if (!*v)
		return 1;               /* "v1" */
	if (*v++ != '.' || !(n = num(v)))
		return 0;
	v += n;
	if (!*v)
		return 1;               /* "v1.2" */
	if (*v++ != '.' || !(n = num(v)))
		return 0;
	v += n;
	if (*v == '-') {
		if (!(n = idents(++v, 1)))
			return 0;
		v += n;
	}
	if (*v == '+') {
		if (!(n = idents(++v, 0)))
			return 0;
		v += n;
	}
	return *v == '\0';
}

/* --- stdlib and module versions --------------------------------------- */

char *ocifs_go_stdlib_version(const char *goversion)
{
	size_t n;
	char *v;

	if (!goversion || !*goversion)
		return NULL;
	if (!strncmp(goversion, "go", 2))
		goversion += 2;
	n = strcspn(goversion, " ");
	if (!(v = malloc(n + 2)))
		return NULL;
	v[0] = 'v';
	memcpy(v + 1, goversion, n);
	v[n + 1] = '\0';
	return v;
}

const char *ocifs_go_mod_version(const char *version)
{
	if (!version || !*version || !strcmp(version, "(devel)"))
		return NULL;
	return version;
}

/* --- -ldflags -X ------------------------------------------------------ */

struct pairs {
	char *k[LD_MAX_PAIRS], *v[LD_MAX_PAIRS];
	size_t n;
};

static void pairs_fini(struct pairs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->k[i]);
		free(p->v[i]);
	}
	p->n = 0;
}

/* One "k=v" into the map (a later key replaces an earlier one): 0, -EINVAL
 * (no '='), -ENOMEM, -E2BIG. */
static int pair_add(struct pairs *p, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	char *k, *v;

	if (!eq)
		return -EINVAL;
	if (!(k = strndup(s, (size_t)(eq - s))) || !(v = strndup(eq + 1, n - (size_t)(eq - s) - 1))) {
		free(k);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (!strcmp(p->k[i], k)) {
			free(p->v[i]);
			p->v[i] = v;
			free(k);
			return 0;
		}
	}
	if (p->n == LD_MAX_PAIRS) {
		free(k);
		free(v);
		return -E2BIG;
	}
	p->k[p->n] = k;
	p->v[p->n++] = v;
	return 0;
}

/* pflag's stringToString Set: one '=': the value with '"' trimmed off
 * both ends; several: one encoding/csv record of k=v fields. */
static int x_set(struct pairs *p, const char *val)
{
	size_t len = strlen(val), eqs = 0;
	int rc = 0;

	for (size_t i = 0; i < len; i++)
		eqs += val[i] == '=';
	if (eqs == 0)
		return -EINVAL;
	if (eqs == 1) {
		size_t a = 0, b = len;
		while (a < b && val[a] == '"')
			a++;
		while (b > a && val[b - 1] == '"')
			b--;
		return pair_add(p, val + a, b - a);
	}
	char *field = malloc(len + 1);
	if (!field)
		return -ENOMEM;
	for (size_t i = 0; !rc;) {
		size_t n = 0;
		if (val[i] == '"') {
			for (i++;; i++) {
				if (!val[i]) {
					rc = -EINVAL;   /* extraneous or missing " */
					break;
				}
				if (val[i] == '"') {
					if (val[i + 1] != '"')
						break;
					i++;
				}
				field[n++] = val[i];
			}
			if (rc)
				break;
			i++;
			if (val[i] && val[i] != ',') {
				rc = -EINVAL;
				break;
			}
		} else {
			for (; val[i] && val[i] != ','; i++) {
				if (val[i] == '"') {
					rc = -EINVAL;   /* bare " in a non-quoted field */
					break;
				}
				field[n++] = val[i];
			}
			if (rc)
				break;
		}
		rc = pair_add(p, field, n);
		if (!val[i])
			break;
		i++;
	}
	free(field);
	return rc;
}

static int is_flag(const char *t)
{
	return t[0] == '-';
}

/* The -X values of strings.Fields(ldflags) as pflag parses them: 0 and the
 * map, or an error (Trivy then finds no version). */
static int x_flags(const char *ldflags, struct pairs *p)
{
	char *buf = strdup(ldflags), *tok[LD_MAX_TOKENS], *save = NULL;
	size_t nt = 0;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (char *t = strtok_r(buf, " \t\n\v\f\r", &save); t && nt < LD_MAX_TOKENS;
	     t = strtok_r(NULL, " \t\n\v\f\r", &save))
		tok[nt++] = t;
	for (size_t i = 0; i < nt && !rc;) {
		const char *t = tok[i++];
		if (!is_flag(t) || !t[1])
			continue;       /* an argument */
		if (t[1] == '-') {
			if (!t[2])
				break;  /* "--": the rest are arguments */
			if (!strcmp(t + 2, "help") || !strncmp(t + 2, "help=", 5))
				rc = -EINVAL;
			else if (!strchr(t, '=') && i < nt && !is_flag(tok[i]))
				i++;    /* an unknown flag's value */
			continue;
		}
		for (const char *s = t + 1; *s && !rc;) {
			if (*s == 'X') {
				if (s[1] == '=' && s[2])
					rc = x_set(p, s + 2);
				else if (s[1])
					rc = x_set(p, s + 1);
				else if (i < nt)
					rc = x_set(p, tok[i++]);
				else
					rc = -EINVAL;
				break;
			}
			if (*s == 'h') {
				rc = -EINVAL;   /* pflag: help requested */
				break;
			}
			if (s[1] == '=' && s[2])
				break;          /* "-f=arg" */
			if (i < nt && !is_flag(tok[i]))
				i++;
			s++;
		}
	}
	free(buf);
	return rc;
}

static int ends_with_ci(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcasecmp(s + n - m, suf);
}

/* Trivy's versionPrefix: the part after the last '/' (when not at 0), up
 * to its first '.', is one of its default prefixes (case-insensitive). */
static int default_prefix(const char *key)
{
	static const char *const pre[] = { "main", "common", "version", "cmd" };
	const char *s = strrchr(key, '/'), *dot;
	size_t n;

	s = s && s != key ? s + 1 : key;
	dot = strchr(s, '.');
	n = dot ? (size_t)(dot - s) : strlen(s);
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strlen(pre[i]) == n && !strncasecmp(s, pre[i], n))
			return 1;
	return 0;
}

static int valid_semver_loose(const char *v)
{
	char *w;
	int ok;

	if (ocifs_go_semver_valid(v))
		return 1;
	if (!(w = malloc(strlen(v) + 2)))
		return 0;
	w[0] = 'v';
	strcpy(w + 1, v);
	ok = ocifs_go_semver_valid(w);
	free(w);
	return ok;
}

char *ocifs_go_main_version(const char *main_path, const char *version, const char *ldflags)
{
	struct pairs *p;
	const char *found[3] = { NULL, NULL, NULL };
	size_t count[3] = { 0, 0, 0 };
	char *out = NULL;

	if ((version = ocifs_go_mod_version(version)))
		return strdup(version);
	if (!ldflags || !main_path || !(p = calloc(1, sizeof(*p))))
		return NULL;
	if (x_flags(ldflags, p) == 0) {
		size_t plen = strlen(main_path);
		for (size_t i = 0; i < p->n; i++) {
			const char *k = p->k[i];
			char *v = p->v[i];
			size_t vl = strlen(v);
			while (*k == '\'')
				k++;
			while (vl && v[vl - 1] == '\'')
				v[--vl] = '\0';
			if (!(ends_with_ci(k, ".version") || ends_with_ci(k, ".ver")) ||
			    !valid_semver_loose(v))
				continue;
			int cat = !strncmp(k, main_path, plen) && !strncmp(k + plen, "/cmd/", 5) ? 0 :
				  default_prefix(k) ? 1 : 2;
			found[cat] = v;
			count[cat]++;
		}
		for (int c = 0; c < 3; c++) {
			if (!count[c])
				continue;
			if (count[c] == 1)
				out = strdup(found[c]);
			break;
		}
	}
	pairs_fini(p);
	free(p);
	return out;
}
