/* SPDX-License-Identifier: MIT */
/*
 * Selecting files of a deps.json document and printing them as JSON or
 * as deps.txt: per file one summary line, then the libraries as lddtree
 * draws them (each object under the first one that needed it), Go build
 * info, UPX, Rust packages, or the script's interpreter.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "deps.h"
#include "esc.h"

#define TXT_MAX_DEPTH 64

/* Every string of the document came from the image: escape it as ls -b
 * does so that no control character reaches the terminal and no newline
 * forges a line. */
static void txt_put(FILE *out, const char *s, unsigned flags)
{
	char buf[1024];
	size_t n = strlen(s), need = ocifs_esc_buf(buf, sizeof(buf), s, n, flags);
	char *big = need < sizeof(buf) ? NULL : malloc(need + 1);

	if (big)
		ocifs_esc_buf(big, need + 1, s, n, flags);
	fputs(big ? big : buf, out); /* ENOMEM: the escape cut short */
	free(big);
}

/* fprintf for deps.txt: "%s" prints a name escaped (spaces too), "%t" a
 * message escaped (spaces kept), "%r" our own text raw, "%*s" pads with
 * spaces, "%lld" a long long; every other byte of fmt as it is. NULL
 * strings print "?". */
static void txt_pf(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		const char *s;
		if (*p != '%') {
			fputc(*p, out);
			continue;
		}
		p++;
		if (*p == 'r') {
			s = va_arg(ap, const char *);
			fputs(s ? s : "?", out);
		} else if (*p == 's' || *p == 't') {
			s = va_arg(ap, const char *);
			txt_put(out, s ? s : "?", *p == 't' ? OCIFS_ESC_KEEP_SPACE : 0);
		} else if (!strncmp(p, "*s", 2)) {
			int w = va_arg(ap, int);
			(void)va_arg(ap, const char *);
			fprintf(out, "%*s", w, "");
			p++;
		} else if (!strncmp(p, "lld", 3)) {
			fprintf(out, "%lld", va_arg(ap, long long));
			p += 2;
		} else {
			fputc('%', out);
			if (!*p)
				break;
			fputc(*p, out);
		}
	}
	va_end(ap);
}

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
		txt_pf(out, "%*s%s => ", 2 * d, "", jstr(l, "name"));
		if (path)
			txt_pf(out, "%s [%t]", path, jstr(l, "rule"));
		else
			txt_pf(out, "not found");
		fputc('\n', out);
		if (path && strcmp(path, by))
			txt_libs(out, libs, path, d + 1);
	}
}

static void txt_go(FILE *out, struct json_object *g, const char *ind)
{
	struct json_object *m = jget(g, "main"), *deps = jget(g, "deps"), *set = jget(g, "settings");

	txt_pf(out, "%rgo %s%r\n", ind, jstr(g, "version") ?: "(version unknown)",
		jbool(g, "build_info") ? "" : " (no build info)");
	if (jstr(g, "path"))
		txt_pf(out, "%r  path  %s\n", ind, jstr(g, "path"));
	if (m)
		txt_pf(out, "%r  mod   %s %s %s\n", ind, jstr(m, "path") ?: "", jstr(m, "version") ?: "",
			jstr(m, "sum") ?: "");
	for (size_t i = 0; deps && i < json_object_array_length(deps); i++) {
		struct json_object *d = json_object_array_get_idx(deps, i), *r = jget(d, "replace");
		txt_pf(out, "%r  dep   %s %s %s\n", ind, jstr(d, "path") ?: "", jstr(d, "version") ?: "",
			jstr(d, "sum") ?: "");
		if (r)
			txt_pf(out, "%r  =>    %s %s %s\n", ind, jstr(r, "path") ?: "",
				jstr(r, "version") ?: "", jstr(r, "sum") ?: "");
	}
	if (set && json_object_is_type(set, json_type_object)) {
		struct json_object_iterator it = json_object_iter_begin(set);
		struct json_object_iterator end = json_object_iter_end(set);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			txt_pf(out, "%r  build %s=%t\n", ind, json_object_iter_peek_name(&it),
				json_object_get_string(json_object_iter_peek_value(&it)));
	}
}

/* Does the JSON array a hold the string s? */
static int listed(struct json_object *a, const char *s)
{
	if (!a || !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(a, i));
		if (v && !strcmp(v, s))
			return 1;
	}
	return 0;
}

static void txt_file(FILE *out, struct json_object *f)
{
	const char *path = jstr(f, "path") ?: "?", *kind = jstr(f, "kind") ?: "?";
	struct json_object *libs = jget(f, "libraries"), *g = jget(f, "go"), *u = jget(f, "upx");
	struct json_object *rust = jget(f, "rust");

	if (!strcmp(kind, "script")) {
		const char *ip = jstr(f, "interpreter_path"), *err = jstr(f, "script_error");
		txt_pf(out, "%s (script, layer %lld): #!%s%r%s => ", path,
		       (long long)jint(f, "layer"), jstr(f, "interpreter") ?: "",
		       jstr(f, "interpreter_arg") ? " " : "", jstr(f, "interpreter_arg") ?: "");
		/* the JSON's reason, not a bare "not found" (e.g. ELOOP) */
		if (ip)
			txt_pf(out, "%s", ip);
		else
			txt_pf(out, "not found%r%t", err ? ": " : "", err ? err : "");
		txt_pf(out, " [%t]\n", jstr(f, "rule"));
		if (ip && err)
			txt_pf(out, "  error: %t\n", err);
		return;
	}
	txt_pf(out, "%s (%s, %lld-bit %s, %s, %s%r, layer %lld)\n", path, kind,
		(long long)jint(f, "class"), jstr(f, "machine") ?: "?", jstr(f, "link") ?: "?",
		jstr(f, "libc") ?: "?", jbool(f, "stripped") ? ", stripped" : "",
		(long long)jint(f, "layer"));
	if (jstr(f, "soname"))
		txt_pf(out, "  soname %s\n", jstr(f, "soname"));
	if (jstr(f, "interp"))
		txt_pf(out, "  interpreter %s%r\n", jstr(f, "interp"),
		       listed(jget(f, "unresolved"), jstr(f, "interp")) ? " => not found" : "");
	if (jstr(f, "rpath"))
		txt_pf(out, "  rpath %s\n", jstr(f, "rpath"));
	if (jstr(f, "runpath"))
		txt_pf(out, "  runpath %s\n", jstr(f, "runpath"));
	if (u)
		txt_pf(out, "  upx %s %s, %lld -> %lld bytes%r%t\n", jstr(u, "version") ?: "?",
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
			txt_pf(out, "  rust %s %s (%s)\n", jstr(k, "name") ?: "?",
				jstr(k, "version") ?: "?", jstr(k, "source") ?: "?");
		}
	}
	if (jstr(f, "error"))
		txt_pf(out, "  error: %t\n", jstr(f, "error"));
	struct json_object *cut = jget(f, "truncated");
	for (size_t i = 0; cut && json_object_is_type(cut, json_type_array) &&
			   i < json_object_array_length(cut); i++)
		txt_pf(out, "  truncated: %t\n",
		       json_object_get_string(json_object_array_get_idx(cut, i)));
	if (jstr(f, "elf_error"))
		txt_pf(out, "  error: %t\n", jstr(f, "elf_error"));
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
