/* SPDX-License-Identifier: MIT */
/*
 * scan/jsonw.c against its oracle, json-c itself: the same documents
 * built as json-c trees and printed with PRETTY | SPACED | NOSLASHESCAPE
 * must equal jsonw's bytes -- every byte value in strings, empty and
 * nested containers at several depths, null, booleans, int64 extremes,
 * a pre-rendered object re-indented (jsonw_raw) -- since deps.json's
 * bytes must not change with the writer.
 *
 * The surrogateescape mode against Python's
 * bytes.decode("utf-8", "surrogateescape") (the expected strings below
 * were printed by Python 3.11 from these bytes), and, for every string
 * of one or two bytes and every three-byte string from a lead byte
 * E0..F4, that the output is UTF-8 json-c's validating parser accepts
 * and that undoing the \udcXX escapes gives back the bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonw.h"
#include "tap.h"

#define FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

struct out {
	char *buf;
	size_t len;
	FILE *fp;
	struct ocifs_jsonw w;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->fp = open_memstream(&o->buf, &o->len);
	ocifs_jsonw_init(&o->w, o->fp);
}

/* Compare o's bytes to json-c's rendering of j (consumed). */
static void same(struct out *o, struct json_object *j, const char *what)
{
	const char *want = json_object_to_json_string_ext(j, FLAGS);

	fclose(o->fp);
	ok(o->w.err == 0 && o->w.level == 0 && want && o->buf && !strcmp(o->buf, want), "%s", what);
	if (want && o->buf && strcmp(o->buf, want))
		diag("jsonw:\n%s\njson-c:\n%s", o->buf, want);
	free(o->buf);
	json_object_put(j);
}

static void all_bytes(void)
{
	char s[256];
	struct out o;

	for (int i = 1; i < 256; i++)
		s[i - 1] = (char)i;
	s[255] = '\0';
	out_open(&o);
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_kstr(&o.w, "every byte", s);
	ocifs_jsonw_kstr(&o.w, "k\"ey/\\\n", "a/b \"c\" \t\b\f\r");
	ocifs_jsonw_key(&o.w, "cut");
	ocifs_jsonw_strn(&o.w, "abcdef", 3);
	ocifs_jsonw_kstr(&o.w, "null", NULL);
	ocifs_jsonw_kstr(&o.w, "empty", "");
	ocifs_jsonw_end_obj(&o.w);

	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "every byte", json_object_new_string(s));
	json_object_object_add(j, "k\"ey/\\\n", json_object_new_string("a/b \"c\" \t\b\f\r"));
	json_object_object_add(j, "cut", json_object_new_string_len("abcdef", 3));
	json_object_object_add(j, "null", NULL);
	json_object_object_add(j, "empty", json_object_new_string(""));
	same(&o, j, "strings: every byte value, escapes in keys, a cut string, null, empty");
}

static void containers(void)
{
	struct out o;

	out_open(&o);
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_key(&o.w, "e_obj");
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_end_obj(&o.w);
	ocifs_jsonw_key(&o.w, "e_arr");
	ocifs_jsonw_arr(&o.w);
	ocifs_jsonw_end_arr(&o.w);
	ocifs_jsonw_key(&o.w, "nums");
	ocifs_jsonw_arr(&o.w);
	ocifs_jsonw_int(&o.w, INT64_MIN);
	ocifs_jsonw_int(&o.w, -1);
	ocifs_jsonw_int(&o.w, 0);
	ocifs_jsonw_int(&o.w, INT64_MAX);
	ocifs_jsonw_bool(&o.w, 1);
	ocifs_jsonw_bool(&o.w, 0);
	ocifs_jsonw_null(&o.w);
	ocifs_jsonw_arr(&o.w);
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_key(&o.w, "deep");
	ocifs_jsonw_arr(&o.w);
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_end_obj(&o.w);
	ocifs_jsonw_end_arr(&o.w);
	ocifs_jsonw_end_obj(&o.w);
	ocifs_jsonw_end_arr(&o.w);
	ocifs_jsonw_end_arr(&o.w);
	ocifs_jsonw_kint(&o.w, "last", 7);
	ocifs_jsonw_end_obj(&o.w);

	struct json_object *j = json_object_new_object(), *n = json_object_new_array();
	struct json_object *in = json_object_new_array(), *d = json_object_new_object();
	struct json_object *da = json_object_new_array();
	json_object_object_add(j, "e_obj", json_object_new_object());
	json_object_object_add(j, "e_arr", json_object_new_array());
	json_object_array_add(n, json_object_new_int64(INT64_MIN));
	json_object_array_add(n, json_object_new_int64(-1));
	json_object_array_add(n, json_object_new_int(0));
	json_object_array_add(n, json_object_new_int64(INT64_MAX));
	json_object_array_add(n, json_object_new_boolean(1));
	json_object_array_add(n, json_object_new_boolean(0));
	json_object_array_add(n, NULL);
	json_object_array_add(da, json_object_new_object());
	json_object_object_add(d, "deep", da);
	json_object_array_add(in, d);
	json_object_array_add(n, in);
	json_object_object_add(j, "nums", n);
	json_object_object_add(j, "last", json_object_new_int(7));
	same(&o, j, "containers: empty at two depths, nested four deep, int64 extremes, bools, null");

	/* a top-level array, and an empty top-level object */
	out_open(&o);
	ocifs_jsonw_arr(&o.w);
	ocifs_jsonw_str(&o.w, "x");
	ocifs_jsonw_end_arr(&o.w);
	j = json_object_new_array();
	json_object_array_add(j, json_object_new_string("x"));
	same(&o, j, "a top-level array");
	out_open(&o);
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_end_obj(&o.w);
	same(&o, json_object_new_object(), "an empty top-level object");
}

/* A parsed object rendered at level 0, then placed three levels deep. */
static void raw(void)
{
	static const char *const src[] = {
		"{\"type\":\"deb\",\"n\":[1,{\"a\":{}}],\"e\":[],\"s\":\"x\\ny/z\"}",
		"{}",
		"[1,[2,[3]]]",
	};

	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		struct json_object *p = json_tokener_parse(src[i]);
		const char *pretty = json_object_to_json_string_ext(p, FLAGS);
		struct out o;

		out_open(&o);
		ocifs_jsonw_obj(&o.w);
		ocifs_jsonw_key(&o.w, "a");
		ocifs_jsonw_arr(&o.w);
		ocifs_jsonw_obj(&o.w);
		ocifs_jsonw_key(&o.w, "note");
		ocifs_jsonw_raw(&o.w, pretty);
		ocifs_jsonw_kint(&o.w, "after", 1);
		ocifs_jsonw_end_obj(&o.w);
		ocifs_jsonw_end_arr(&o.w);
		ocifs_jsonw_end_obj(&o.w);

		struct json_object *j = json_object_new_object(), *a = json_object_new_array();
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "note", json_object_get(p));
		json_object_object_add(e, "after", json_object_new_int(1));
		json_object_array_add(a, e);
		json_object_object_add(j, "a", a);
		char what[128];
		snprintf(what, sizeof(what), "raw: %s re-indented three levels deep", src[i]);
		same(&o, j, what);
		json_object_put(p);
	}
}

/* Misuse is reported, not silently written. */
static void misuse(void)
{
	struct out o;

	out_open(&o);
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_key(&o.w, "k");
	ocifs_jsonw_end_obj(&o.w); /* a key without its value */
	fclose(o.fp);
	ok(o.w.err, "a key without a value is an error");
	free(o.buf);
	out_open(&o);
	ocifs_jsonw_end_arr(&o.w); /* nothing open */
	fclose(o.fp);
	ok(o.w.err, "closing what is not open is an error");
	free(o.buf);
	out_open(&o);
	for (int i = 0; i < OCIFS_JSONW_DEPTH + 1; i++)
		ocifs_jsonw_arr(&o.w);
	fclose(o.fp);
	ok(o.w.err, "nesting deeper than OCIFS_JSONW_DEPTH is an error");
	free(o.buf);
}

/* The body of a top-level JSON string of s[0..n) in surrogateescape
 * mode (malloc'd, without the quotes), the writer's err in *err. */
static char *se_body(const char *s, size_t n, int *err)
{
	struct out o;
	char *b;

	out_open(&o);
	o.w.surrogateescape = 1;
	ocifs_jsonw_strn(&o.w, s, n);
	fclose(o.fp);
	*err = o.w.err;
	if (!o.buf || o.len < 2)
		return o.buf;
	b = strndup(o.buf + 1, o.len - 2);
	free(o.buf);
	return b;
}

static const struct {
	const char *in, *want, *what;
} se_cases[] = {
	{ "caf\303\251 \342\202\254 \360\237\230\200",
	  "caf\303\251 \342\202\254 \360\237\230\200",
	  "valid 2-, 3- and 4-byte sequences kept" },
	{ "\300\257 \340\200\257 \360\200\200\257",
	  "\\udcc0\\udcaf \\udce0\\udc80\\udcaf \\udcf0\\udc80\\udc80\\udcaf",
	  "overlong forms of /" },
	{ "a\200b\277",
	  "a\\udc80b\\udcbf",
	  "lone continuation bytes" },
	{ "\342\202",
	  "\\udce2\\udc82",
	  "a truncated sequence at the end" },
	{ "\342\202x\360\237\230",
	  "\\udce2\\udc82x\\udcf0\\udc9f\\udc98",
	  "truncated sequences before a byte and at the end" },
	{ "\355\240\200\355\262\200",
	  "\\udced\\udca0\\udc80\\udced\\udcb2\\udc80",
	  "surrogates encoded in UTF-8 (ED A0 80, ED B2 80)" },
	{ "\364\220\200\200 \365\200\200\200 \377\376",
	  "\\udcf4\\udc90\\udc80\\udc80 \\udcf5\\udc80\\udc80\\udc80 \\udcff\\udcfe",
	  "past U+10FFFF, F5..FF" },
	{ "\364\217\277\277 \357\277\277 \355\237\277 \356\200\200 \302\200",
	  "\364\217\277\277 \357\277\277 \355\237\277 \356\200\200 \302\200",
	  "the valid edges: U+10FFFF, U+FFFF, U+D7FF, U+E000, U+0080" },
	{ "\001\037\"\\/\012\177",
	  "\\u0001\\u001f\\\"\\\\/\\n\177",
	  "controls and quotes escaped as json-c does, DEL kept" },
};

static void surrogateescape_cases(void)
{
	for (size_t i = 0; i < sizeof(se_cases) / sizeof(se_cases[0]); i++) {
		int err;
		char *got = se_body(se_cases[i].in, strlen(se_cases[i].in), &err);

		ok(!err && got && !strcmp(got, se_cases[i].want), "surrogateescape: %s", se_cases[i].what);
		if (got && strcmp(got, se_cases[i].want))
			diag("got  %s\nwant %s", got, se_cases[i].want);
		free(got);
	}

	/* keys too (a label's name is as untrusted as its value) */
	struct out o;
	out_open(&o);
	o.w.surrogateescape = 1;
	ocifs_jsonw_obj(&o.w);
	ocifs_jsonw_kstr(&o.w, "k\377", "v\300");
	ocifs_jsonw_end_obj(&o.w);
	fclose(o.fp);
	ok(o.buf && !strcmp(o.buf, "{\n  \"k\\udcff\": \"v\\udcc0\"\n}"), "surrogateescape: keys too");
	free(o.buf);

	/* off by default: the bytes as json-c writes them */
	out_open(&o);
	ocifs_jsonw_str(&o.w, "\377");
	fclose(o.fp);
	ok(o.buf && !strcmp(o.buf, "\"\377\""), "without surrogateescape the bytes pass as they are");
	free(o.buf);
}

/* Undo the escapes of a string body: \udcXX -> byte XX, the JSON
 * escapes jsonw writes, other bytes as they are. -1 on anything else. */
static ssize_t se_undo(const char *b, char *out)
{
	size_t n = 0;

	for (const char *p = b; *p; p++) {
		unsigned v;
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'b': out[n++] = '\b'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'f': out[n++] = '\f'; break;
		case '"': case '\\': out[n++] = *p; break;
		case 'u':
			if (sscanf(p + 1, "%4x", &v) != 1 || !((v >= 0xdc80 && v <= 0xdcff) || v < 0x20))
				return -1;
			out[n++] = (char)(v & 0xff);
			p += 4;
			break;
		default:
			return -1;
		}
	}
	return (ssize_t)n;
}

/* Is the JSON text valid (json-c, UTF-8 validated) and does it undo to s? */
static int se_roundtrip(const unsigned char *s, size_t n)
{
	char doc[64], back[16];
	int err, good;
	char *b = se_body((const char *)s, n, &err);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j;

	if (!b || !tok) {
		free(b);
		json_tokener_free(tok);
		return 0;
	}
	snprintf(doc, sizeof(doc), "\"%s\"", b);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, doc, (int)strlen(doc) + 1);
	ssize_t m = se_undo(b, back);
	good = !err && j && m == (ssize_t)n && !memcmp(back, s, n);
	json_object_put(j);
	json_tokener_free(tok);
	free(b);
	return good;
}

static void surrogateescape_all(void)
{
	unsigned char s[3];
	size_t bad = 0, tried = 0;

	for (unsigned a = 1; a < 256; a++) {
		s[0] = (unsigned char)a;
		tried++, bad += !se_roundtrip(s, 1);
		for (unsigned b = 1; b < 256; b++) {
			s[1] = (unsigned char)b;
			tried++, bad += !se_roundtrip(s, 2);
		}
	}
	for (unsigned a = 0xe0; a <= 0xf4; a++)
		for (unsigned b = 0x70; b < 0x100; b++)
			for (unsigned c = 0x70; c < 0x100; c++) {
				s[0] = (unsigned char)a, s[1] = (unsigned char)b, s[2] = (unsigned char)c;
				tried++, bad += !se_roundtrip(s, 3);
			}
	ok(!bad, "surrogateescape: %zu of %zu short strings valid UTF-8 JSON that undoes to the bytes",
	   tried - bad, tried);
}

int main(void)
{
	all_bytes();
	containers();
	raw();
	misuse();
	surrogateescape_cases();
	surrogateescape_all();
	return done_testing();
}
