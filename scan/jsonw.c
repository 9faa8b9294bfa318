/* SPDX-License-Identifier: MIT */
/* The streaming JSON writer (see jsonw.h); formats as json-c 0.16's
 * json_object_*_to_json_string and json_escape_str do. */
#include <inttypes.h>
#include <string.h>

#include "jsonw.h"

void ocifs_jsonw_init(struct ocifs_jsonw *w, FILE *fp)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
}

static void indent(struct ocifs_jsonw *w, int level)
{
	for (int i = 0; i < level; i++)
		fputs("  ", w->fp);
}

/* Before a member or an element of the current container: the
 * separator after an earlier one, the newline and the indent. */
static void next_child(struct ocifs_jsonw *w)
{
	if (w->level == 0)
		return;
	if (w->had[w->level])
		fputs(",\n", w->fp);
	w->had[w->level] = 1;
	indent(w, w->level);
}

/* Before a value: after a key nothing more, in an array a new element. */
static void pre_value(struct ocifs_jsonw *w)
{
	if (w->keyed)
		w->keyed = 0;
	else
		next_child(w);
}

static void open_c(struct ocifs_jsonw *w, const char *br)
{
	pre_value(w);
	fputs(br, w->fp);
	fputc('\n', w->fp);
	if (w->level == OCIFS_JSONW_DEPTH) {
		w->err = 1;
		return;
	}
	w->had[++w->level] = 0;
}

static void close_c(struct ocifs_jsonw *w, const char *br)
{
	if (w->level == 0 || w->keyed) {
		w->err = 1;
		return;
	}
	if (w->had[w->level])
		fputc('\n', w->fp);
	w->level--;
	indent(w, w->level);
	fputs(br, w->fp);
}

void ocifs_jsonw_obj(struct ocifs_jsonw *w)
{
	open_c(w, "{");
}

void ocifs_jsonw_arr(struct ocifs_jsonw *w)
{
	open_c(w, "[");
}

void ocifs_jsonw_end_obj(struct ocifs_jsonw *w)
{
	close_c(w, "}");
}

void ocifs_jsonw_end_arr(struct ocifs_jsonw *w)
{
	close_c(w, "]");
}

size_t ocifs_jsonw_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0; /* a continuation byte, C0/C1 (overlong), F5..FF */
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* json_escape_str with JSON_C_TO_STRING_NOSLASHESCAPE; with se, a byte
 * that starts no valid UTF-8 sequence as \udcXX (surrogateescape). */
static void escape(FILE *fp, const char *s, size_t n, int se)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		char u[7];
		size_t l;
		switch (c) {
		case '\b': e = "\\b"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\f': e = "\\f"; break;
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		default:
			if (se && c >= 0x80 && (l = ocifs_jsonw_utf8_len((const unsigned char *)s + i, n - i))) {
				i += l - 1; /* a valid sequence, kept as it is */
			} else if (c < ' ' || (se && c >= 0x80)) {
				memcpy(u, c < ' ' ? "\\u00" : "\\udc", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 0xf];
				u[6] = '\0';
				e = u;
			}
		}
		if (!e)
			continue;
		fwrite(s + start, 1, i - start, fp);
		fputs(e, fp);
		start = i + 1;
	}
	fwrite(s + start, 1, n - start, fp);
}

void ocifs_jsonw_key(struct ocifs_jsonw *w, const char *k)
{
	if (w->keyed)
		w->err = 1;
	next_child(w);
	fputc('"', w->fp);
	escape(w->fp, k, strlen(k), w->surrogateescape);
	fputs("\": ", w->fp);
	w->keyed = 1;
}

void ocifs_jsonw_strn(struct ocifs_jsonw *w, const char *s, size_t n)
{
	pre_value(w);
	fputc('"', w->fp);
	escape(w->fp, s, n, w->surrogateescape);
	fputc('"', w->fp);
}

void ocifs_jsonw_str(struct ocifs_jsonw *w, const char *s)
{
	if (!s)
		ocifs_jsonw_null(w);
	else
		ocifs_jsonw_strn(w, s, strlen(s));
}

void ocifs_jsonw_int(struct ocifs_jsonw *w, int64_t v)
{
	pre_value(w);
	fprintf(w->fp, "%" PRId64, v);
}

void ocifs_jsonw_bool(struct ocifs_jsonw *w, int v)
{
	pre_value(w);
	fputs(v ? "true" : "false", w->fp);
}

void ocifs_jsonw_null(struct ocifs_jsonw *w)
{
	pre_value(w);
	fputs("null", w->fp);
}

void ocifs_jsonw_raw(struct ocifs_jsonw *w, const char *pretty)
{
	pre_value(w);
	for (const char *p = pretty; *p; p++) {
		fputc(*p, w->fp);
		if (*p == '\n')
			indent(w, w->level);
	}
}
