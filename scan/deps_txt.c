/* SPDX-License-Identifier: MIT */
/*
 * Selecting files of a deps.json document and printing them as JSON or
 * as deps.txt: per file one summary line, then the libraries as lddtree
 * draws them (each object under the first one that needed it), Go build
 * info, UPX, Rust packages, or the script's interpreter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "deps_priv.h"

#define TXT_MAX_DEPTH 64

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static int jbool(struct json_object *o, const char *k)
{
	struct json_object *v = jget(o, k);

	return v && json_object_get_boolean(v);
}

/* Print the libraries needed by `by` at depth d, then theirs. */
static void txt_libs(FILE *out, struct json_object *libs, const char *by, int d)
{
	size_t n = json_object_array_length(libs);

	if (d > TXT_MAX_DEPTH)
		return;
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(libs, i);
		const char *nb = jstr(l, "needed_by"), *path = jstr(l, "path");
		if (!nb || strcmp(nb, by) || jint(l, "depth") != d)
			continue;
		fprintf(out, "%*s%s => %s", 2 * d, "", jstr(l, "name") ?: "?",
			path ? path : "not found");
		if (path)
			fprintf(out, " [%s]", jstr(l, "rule") ?: "?");
		fputc('\n', out);
		if (path && strcmp(path, by))
			txt_libs(out, libs, path, d + 1);
	}
}

static void txt_go(FILE *out, struct json_object *g, const char *ind)
{
	struct json_object *m = jget(g, "main"), *deps = jget(g, "deps"), *set = jget(g, "settings");

	fprintf(out, "%sgo %s%s\n", ind, jstr(g, "version") ?: "(version unknown)",
		jbool(g, "build_info") ? "" : " (no build info)");
	if (jstr(g, "path"))
		fprintf(out, "%s  path  %s\n", ind, jstr(g, "path"));
	if (m)
		fprintf(out, "%s  mod   %s %s %s\n", ind, jstr(m, "path") ?: "", jstr(m, "version") ?: "",
			jstr(m, "sum") ?: "");
	for (size_t i = 0; deps && i < json_object_array_length(deps); i++) {
		struct json_object *d = json_object_array_get_idx(deps, i), *r = jget(d, "replace");
		fprintf(out, "%s  dep   %s %s %s\n", ind, jstr(d, "path") ?: "", jstr(d, "version") ?: "",
			jstr(d, "sum") ?: "");
		if (r)
			fprintf(out, "%s  =>    %s %s %s\n", ind, jstr(r, "path") ?: "",
				jstr(r, "version") ?: "", jstr(r, "sum") ?: "");
	}
	if (set && json_object_is_type(set, json_type_object)) {
		struct json_object_iterator it = json_object_iter_begin(set);
		struct json_object_iterator end = json_object_iter_end(set);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			fprintf(out, "%s  build %s=%s\n", ind, json_object_iter_peek_name(&it),
				json_object_get_string(json_object_iter_peek_value(&it)));
	}
}

static void txt_file(FILE *out, struct json_object *f)
{
	const char *path = jstr(f, "path") ?: "?", *kind = jstr(f, "kind") ?: "?";
	struct json_object *libs = jget(f, "libraries"), *g = jget(f, "go"), *u = jget(f, "upx");
	struct json_object *rust = jget(f, "rust");

	if (!strcmp(kind, "script")) {
		fprintf(out, "%s (script, layer %lld): #!%s%s%s => %s [%s]\n", path,
			(long long)jint(f, "layer"), jstr(f, "interpreter") ?: "",
			jstr(f, "interpreter_arg") ? " " : "", jstr(f, "interpreter_arg") ?: "",
			jstr(f, "interpreter_path") ?: "not found", jstr(f, "rule") ?: "?");
		return;
	}
	fprintf(out, "%s (%s, %lld-bit %s, %s, %s%s, layer %lld)\n", path, kind,
		(long long)jint(f, "class"), jstr(f, "machine") ?: "?", jstr(f, "link") ?: "?",
		jstr(f, "libc") ?: "?", jbool(f, "stripped") ? ", stripped" : "",
		(long long)jint(f, "layer"));
	if (jstr(f, "soname"))
		fprintf(out, "  soname %s\n", jstr(f, "soname"));
	if (jstr(f, "interp"))
		fprintf(out, "  interpreter %s\n", jstr(f, "interp"));
	if (jstr(f, "rpath"))
		fprintf(out, "  rpath %s\n", jstr(f, "rpath"));
	if (jstr(f, "runpath"))
		fprintf(out, "  runpath %s\n", jstr(f, "runpath"));
	if (u)
		fprintf(out, "  upx %s %s, %lld -> %lld bytes%s%s\n", jstr(u, "version") ?: "?",
			jstr(u, "method_name") ?: "?", (long long)jint(u, "packed_size"),
			(long long)jint(u, "original_size"),
			jbool(u, "unpacked") ? ", unpacked" : ", not unpacked: ",
			jbool(u, "unpacked") ? "" : jstr(u, "reason") ?: "?");
	if (libs && json_object_is_type(libs, json_type_array))
		txt_libs(out, libs, path, 1);
	if (g)
		txt_go(out, g, "  ");
	if (rust && jget(rust, "packages")) {
		struct json_object *p = jget(rust, "packages");
		for (size_t i = 0; i < json_object_array_length(p); i++) {
			struct json_object *k = json_object_array_get_idx(p, i);
			fprintf(out, "  rust %s %s (%s)\n", jstr(k, "name") ?: "?",
				jstr(k, "version") ?: "?", jstr(k, "source") ?: "?");
		}
	}
	if (jstr(f, "error"))
		fprintf(out, "  error: %s\n", jstr(f, "error"));
	if (jstr(f, "elf_error"))
		fprintf(out, "  error: %s\n", jstr(f, "elf_error"));
}

int ocifs_deps_select(const char *json, size_t len,
		      int (*keep)(void *ctx, const char *path, int unresolved), void *ctx,
		      int as_text, char **out, size_t *out_len)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *doc = NULL, *files, *sel = NULL;
	char *buf = NULL;
	size_t blen = 0;
	FILE *fp = NULL;
	int rc = -EBADMSG;

	if (!tok)
		return -ENOMEM;
	doc = json_tokener_parse_ex(tok, json, (int)len);
	if (!doc || !(files = jget(doc, "files")) || !json_object_is_type(files, json_type_array))
		goto out;
	rc = -ENOMEM;
	if (!(sel = json_object_new_array()))
		goto out;
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *f = json_object_array_get_idx(files, i), *u = jget(f, "unresolved");
		int unres = u && json_object_is_type(u, json_type_array) &&
			    json_object_array_length(u) > 0;
		if (!keep || keep(ctx, jstr(f, "path") ?: "", unres))
			json_object_array_add(sel, json_object_get(f));
	}
	if (!as_text) {
		json_object_object_add(doc, "files", sel);
		sel = NULL;
		const char *s = json_object_to_json_string_ext(
			doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				     JSON_C_TO_STRING_NOSLASHESCAPE);
		if (!s || !(buf = malloc(strlen(s) + 2)))
			goto out;
		blen = strlen(s);
		memcpy(buf, s, blen);
		buf[blen++] = '\n';
		buf[blen] = '\0';
	} else {
		if (!(fp = open_memstream(&buf, &blen)))
			goto out;
		for (size_t i = 0; i < json_object_array_length(sel); i++)
			txt_file(fp, json_object_array_get_idx(sel, i));
		if (fclose(fp)) {
			fp = NULL;
			goto out;
		}
		fp = NULL;
	}
	*out = buf;
	*out_len = blen;
	buf = NULL;
	rc = 0;
out:
	if (fp)
		fclose(fp);
	free(buf);
	json_object_put(sel);
	json_object_put(doc);
	json_tokener_free(tok);
	return rc;
}
