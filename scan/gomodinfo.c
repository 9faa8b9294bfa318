/* SPDX-License-Identifier: MIT */
/*
 * The modinfo text of Go build info, parsed as debug.ParseBuildInfo
 * does: `path`, `mod`, `dep`, `=>` and `build` lines, tab-separated, with
 * Go-quoted build keys and values. Also the small helpers that
 * scan/goinfo.c shares (scan/goinfo_priv.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goinfo.h"
#include "goinfo_priv.h"
#include "hex.h"

/* ---- shared with goinfo.c (goinfo_priv.h) ---- */

int ocifs_goinfo_set_error(struct ocifs_goinfo *g, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ocifs_scan_verror(&g->error, 0, 256, fmt, ap);
	va_end(ap);
	return rc;
}

char *ocifs_goinfo_dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void ocifs_goinfo_mod_fini(struct ocifs_gomod *m)
{
	free(m->path);
	free(m->version);
	free(m->sum);
	free(m->rep_path);
	free(m->rep_version);
	free(m->rep_sum);
	memset(m, 0, sizeof(*m));
}

/* ---- Go string literals ---- */

static size_t put_utf8(char *o, uint32_t r)
{
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	size_t n = r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4;

	for (size_t i = n - 1; i > 0; i--, r >>= 6)
		o[i] = (char)(0x80 | (r & 0x3f));
	o[0] = (char)(lead[n] | r);
	return n;
}

/* Go's strconv.QuotedPrefix + Unquote: decode the quoted string at the
 * start of s[0..n) ("..." with Go escapes, or `raw`). Sets *used to its
 * length in s and *out to a new string; -EINVAL if malformed. */
static int go_unquote(const char *s, size_t n, size_t *used, char **out)
{
	char q, *o, *p;
	size_t i = 1;

	if (n < 2 || (s[0] != '"' && s[0] != '`'))
		return -EINVAL;
	q = s[0];
	p = o = malloc(n);
	if (!o)
		return -ENOMEM;
	while (i < n && s[i] != q) {
		unsigned char c = (unsigned char)s[i];

		if (q == '`') {
			if (c != '\r')
				*p++ = (char)c;
			i++;
			continue;
		}
		if (c == '\n')
			goto bad;
		if (c != '\\') {
			*p++ = (char)c;
			i++;
			continue;
		}
		if (++i >= n)
			goto bad;
		c = (unsigned char)s[i++];
		if (c && strchr("abfnrtv\\\"", c)) {
			*p++ = "\a\b\f\n\r\t\v\\\""[strchr("abfnrtv\\\"", c) - "abfnrtv\\\""];
			continue;
		}
		switch (c) {
		case 'x': case 'u': case 'U': {
			size_t nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			uint32_t r = 0;

			if (n - i < nd)
				goto bad;
			for (size_t k = 0; k < nd; k++) {
				int h = ocifs_hex_val((unsigned char)s[i++]);
				if (h < 0)
					goto bad;
				r = r << 4 | (uint32_t)h;
			}
			if (c == 'x')
				*p++ = (char)r;
			else if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000))
				goto bad;
			else
				p += put_utf8(p, r);
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				uint32_t r = (uint32_t)(c - '0');
				if (n - i < 2)
					goto bad;
				for (int k = 0; k < 2; k++, i++) {
					if (s[i] < '0' || s[i] > '7')
						goto bad;
					r = r << 3 | (uint32_t)(s[i] - '0');
				}
				if (r > 255)
					goto bad;
				*p++ = (char)r;
				break;
			}
			goto bad;
		}
	}
	if (i >= n)
		goto bad;
	*p = '\0';
	*used = i + 1;
	*out = o;
	return 0;
bad:
	free(o);
	return -EINVAL;
}

/* ---- modinfo lines ---- */

/* Split s[0..n) at tabs into at most 3 fields; returns the field count
 * (4 means "more than 3"). */
static int split3(const char *s, size_t n, const char *f[3], size_t fl[3])
{
	int k = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '\t')
			continue;
		if (k == 3)
			return 4;
		f[k] = s + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	return k;
}

static int set3(char **a, char **b, char **c, const char *f[3], const size_t fl[3], int k)
{
	*a = ocifs_goinfo_dupn(f[0], fl[0]);
	*b = ocifs_goinfo_dupn(f[1], fl[1]);
	*c = k == 3 ? ocifs_goinfo_dupn(f[2], fl[2]) : ocifs_goinfo_dupn("", 0);
	return *a && *b && *c ? 0 : -ENOMEM;
}

static int parse_build(const char *kv, size_t n, struct ocifs_goinfo *g)
{
	struct ocifs_gosetting *st, *ns;
	char *key = NULL, *val = NULL;
	size_t used = 0;
	const char *eq;
	int rc;

	if (n < 1)
		return ocifs_goinfo_set_error(g, "build line missing '='"), 1;
	if (kv[0] == '=')
		return ocifs_goinfo_set_error(g, "build line with missing key"), 1;
	if (kv[0] == '"' || kv[0] == '`') {
		rc = go_unquote(kv, n, &used, &key);
		if (rc == -ENOMEM)
			return rc;
		if (rc || used >= n || kv[used] != '=')
			return ocifs_goinfo_set_error(g, "invalid quoted key in build line"), free(key), 1;
		eq = kv + used;
	} else {
		eq = memchr(kv, '=', n);
		if (!eq)
			return ocifs_goinfo_set_error(g, "build line missing '='"), 1;
		if (!(key = ocifs_goinfo_dupn(kv, (size_t)(eq - kv))))
			return -ENOMEM;
		if (strpbrk(key, " \t\r\"`"))
			return ocifs_goinfo_set_error(g, "unquoted key must be quoted"), free(key), 1;
	}
	eq++;
	n -= (size_t)(eq - kv);
	if (n && (eq[0] == '"' || eq[0] == '`')) {
		rc = go_unquote(eq, n, &used, &val);
		if (!rc && used != n) {
			free(val);
			val = NULL;
			rc = -EINVAL;
		}
		if (rc) {
			free(key);
			return rc == -ENOMEM ? rc : (ocifs_goinfo_set_error(g, "invalid quoted value in build line"), 1);
		}
	} else if (!(val = ocifs_goinfo_dupn(eq, n))) {
		free(key);
		return -ENOMEM;
	}
	ns = realloc(g->settings, (g->nsettings + 1) * sizeof(*ns));
	if (!ns) {
		free(key);
		free(val);
		return -ENOMEM;
	}
	g->settings = ns;
	st = &ns[g->nsettings++];
	st->key = key;
	st->value = val;
	return 0;
}

/* debug.ParseBuildInfo over unwrapped modinfo. 0, -ENOMEM, or 1 after
 * recording a syntax error. */
int ocifs_goinfo_parse_lines(const char *s, size_t len, struct ocifs_goinfo *g)
{
	struct ocifs_gomod *last = NULL;
	const char *f[3];
	size_t fl[3];

	while (len) {
		const char *nl = memchr(s, '\n', len), *l = s;
		size_t n;
		int k, rc = 0;

		if (!nl)
			break;
		n = (size_t)(nl - s);
		len -= n + 1;
		s = nl + 1;
		if (n >= 5 && !memcmp(l, "path\t", 5)) {
			free(g->path);
			if (!(g->path = ocifs_goinfo_dupn(l + 5, n - 5)))
				return -ENOMEM;
		} else if ((n >= 4 && !memcmp(l, "mod\t", 4)) || (n >= 4 && !memcmp(l, "dep\t", 4))) {
			struct ocifs_gomod *m;

			k = split3(l + 4, n - 4, f, fl);
			if (k != 2 && k != 3)
				return ocifs_goinfo_set_error(g, "expected 2 or 3 columns; got %d", k), 1;
			if (l[0] == 'm') {
				m = &g->main;
				ocifs_goinfo_mod_fini(m);
			} else {
				m = realloc(g->deps, (g->ndeps + 1) * sizeof(*m));
				if (!m)
					return -ENOMEM;
				g->deps = m;
				m = &m[g->ndeps++];
				memset(m, 0, sizeof(*m));
			}
			last = m;
			rc = set3(&m->path, &m->version, &m->sum, f, fl, k);
		} else if (n >= 3 && !memcmp(l, "=>\t", 3)) {
			k = split3(l + 3, n - 3, f, fl);
			if (k != 3)
				return ocifs_goinfo_set_error(g, "expected 3 columns for replacement; got %d", k), 1;
			if (!last)
				return ocifs_goinfo_set_error(g, "replacement with no module on previous line"), 1;
			rc = set3(&last->rep_path, &last->rep_version, &last->rep_sum, f, fl, k);
			last = NULL;
		} else if (n >= 6 && !memcmp(l, "build\t", 6)) {
			rc = parse_build(l + 6, n - 6, g);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int ocifs_goinfo_parse_modinfo(const char *modinfo, size_t len, struct ocifs_goinfo *out)
{
	int rc;

	/* Wrapped in sentinels: the text ends with '\n' 16 bytes before the
	 * end, which then is binary. */
	if (len >= 33 && modinfo[len - 17] == '\n' && modinfo[len - 1] != '\n') {
		modinfo += 16;
		len -= 32;
	}
	rc = ocifs_goinfo_parse_lines(modinfo, len, out);
	return rc < 0 ? rc : 0;
}

