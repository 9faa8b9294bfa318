/* SPDX-License-Identifier: MIT */
/*
 * scan/jsonw.c against its oracle, json-c itself: the same documents
 * built as json-c trees and printed with PRETTY | SPACED | NOSLASHESCAPE
 * must equal jsonw's bytes -- every byte value in strings, empty and
 * nested containers at several depths, null, booleans, int64 extremes,
 * a pre-rendered object re-indented (jsonw_raw) -- since deps.json's
 * bytes must not change with the writer.
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

int main(void)
{
	all_bytes();
	containers();
	raw();
	misuse();
	return done_testing();
}
