/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the documents derived from the CycloneDX document
 * (sbom_derive.h). The license expression check is a small recursive
 * descent over SPDX 2.3 Annex D's grammar: no C library for SPDX
 * expressions is packaged here, and only the syntax is needed (is the
 * text usable as licenseDeclared, or must it become a LicenseRef).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sbom_derive.h"

#define EXPR_MAX_DEPTH 32

int ocifs_sbom_parse_cdx(const char *cdx, size_t len, json_object **out)
{
	struct json_tokener *tok;
	json_object *o, *fmt;

	*out = NULL;
	if (!cdx || len > (size_t)0x7fffffff)
		return -EBADMSG;
	if (!(tok = json_tokener_new_ex(64)))
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, cdx, (int)len);
	if (o && json_tokener_get_parse_end(tok) < len) {
		/* only whitespace may follow */
		for (size_t i = json_tokener_get_parse_end(tok); i < len && o; i++)
			if (!isspace((unsigned char)cdx[i])) {
				json_object_put(o);
				o = NULL;
			}
	}
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "bomFormat", &fmt) ||
	    !json_object_is_type(fmt, json_type_string) ||
	    strcmp(json_object_get_string(fmt), "CycloneDX")) {
		json_object_put(o);
		return -EBADMSG;
	}
	*out = o;
	return 0;
}

/* --- SPDX license expressions ------------------------------------------ */

struct lex {
	const char *p;
	char tok[256];          /* the current token: "(", ")", a word */
	int bad;
};

static int idchar(int c)
{
	return isalnum(c) || c == '-' || c == '.';
}

static void next(struct lex *l)
{
	size_t n = 0;

	while (*l->p == ' ')
		l->p++;
	if (*l->p == '(' || *l->p == ')') {
		l->tok[n++] = *l->p++;
	} else {
		while (*l->p && *l->p != ' ' && *l->p != '(' && *l->p != ')') {
			if (n + 1 >= sizeof(l->tok)) {
				l->bad = 1;
				break;
			}
			l->tok[n++] = *l->p++;
		}
	}
	l->tok[n] = '\0';
}

static int is_id(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!idchar((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_op(const char *s)
{
	return !strcmp(s, "AND") || !strcmp(s, "OR") || !strcmp(s, "WITH");
}

/* simple-expression: id ["+"] | LicenseRef-id | DocumentRef-id:LicenseRef-id */
static int simple(const char *t)
{
	size_t n = strlen(t);
	const char *colon = strchr(t, ':');

	if (!n || is_op(t) || !strcmp(t, "(") || !strcmp(t, ")"))
		return 0;
	if (colon)
		return !strncmp(t, "DocumentRef-", 12) && is_id(t + 12, (size_t)(colon - t - 12)) &&
		       !strncmp(colon + 1, "LicenseRef-", 11) && is_id(colon + 12, strlen(colon + 12));
	if (!strncmp(t, "LicenseRef-", 11))
		return is_id(t + 11, n - 11);
	if (t[n - 1] == '+')
		n--;
	return is_id(t, n);
}

static int compound(struct lex *l, int depth);

/* term := "(" compound ")" | simple [WITH exception] */
static int term(struct lex *l, int depth)
{
	if (!strcmp(l->tok, "(")) {
		next(l);
		if (!compound(l, depth + 1) || strcmp(l->tok, ")"))
			return 0;
		next(l);
		return 1;
	}
	if (!simple(l->tok))
		return 0;
	next(l);
	if (!strcmp(l->tok, "WITH")) {
		next(l);
		if (!is_id(l->tok, strlen(l->tok)) || is_op(l->tok))
			return 0;
		next(l);
	}
	return 1;
}

/* compound := term ((AND | OR) term)* (precedence does not matter for the
 * syntax) */
static int compound(struct lex *l, int depth)
{
	if (depth > EXPR_MAX_DEPTH || !term(l, depth))
		return 0;
	while (!strcmp(l->tok, "AND") || !strcmp(l->tok, "OR")) {
		next(l);
		if (!term(l, depth))
			return 0;
	}
	return 1;
}

int ocifs_spdx_expr_valid(const char *expr)
{
	struct lex l = { .p = expr };

	if (!expr)
		return 0;
	for (const char *p = expr; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return 0;       /* tabs, newlines, non-ASCII */
	next(&l);
	return compound(&l, 0) && !l.tok[0] && !l.bad;
}

/* --- creation time ----------------------------------------------------- */

static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		*out = *out * 10 + (s[i] - '0');
	}
	return 1;
}

static void format(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
	    !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* RFC 3339 "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm)" as UTC into out: 1, or 0. */
static int rfc3339(const char *s, char out[32])
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return 0;
		p += 6;
	} else {
		return 0;
	}
	if (*p)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec > 59 ? 59 : sec;
	format(timegm(&tm) - sign * (oh * 3600 + om * 60), out);
	return 1;
}

void ocifs_spdx_created(const char *cdx_timestamp, const char *image_created, char out[32])
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	if (sde && *sde && strspn(sde, "0123456789") == strlen(sde) && strlen(sde) <= 12) {
		format((time_t)strtoll(sde, NULL, 10), out);
		return;
	}
	if (rfc3339(cdx_timestamp, out) || rfc3339(image_created, out))
		return;
	snprintf(out, 32, "1970-01-01T00:00:00Z");
}
