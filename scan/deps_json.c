/* SPDX-License-Identifier: MIT */
/*
 * deps.json (schema in ocifs-deps(5)) rendered straight from the model:
 * streamed through jsonw (the bytes json-c wrote when the document was a
 * json-c tree, without holding that tree: a document of thousands of
 * ELF files no longer costs hundreds of MB).
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "deps_priv.h"
#include "facts.h"
#include "jsonw.h"
#include "pipeline.h"

/* Output per file is bounded: a hostile object (a RUNPATH of thousands
 * of directories, thousands of libraries) is shown in part, and its
 * "truncated" array says what was cut. */
#define DEPS_MAX_STR 1024u      /* bytes of rpath / runpath shown */
#define DEPS_MAX_LIBS 512u      /* libraries shown */
#define DEPS_MAX_NEEDED 128u    /* DT_NEEDED entries shown */
#define DEPS_MAX_MISSING 16u    /* libraries not found shown (in each list) */

#define NOTES_MAX 12

/* The "truncated" notes of one object: all known before it is written
 * (the array sits where its first note was made). */
struct notes {
	char msg[NOTES_MAX][160];
	size_t n;
};

static void note(struct notes *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct notes *t, const char *fmt, ...)
{
	va_list ap;

	if (t->n == NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(t->msg[t->n++], sizeof(t->msg[0]), fmt, ap);
	va_end(ap);
}

static void put_notes(struct ocifs_jsonw *w, const struct notes *t, size_t from)
{
	ocifs_jsonw_key(w, "truncated");
	ocifs_jsonw_arr(w);
	for (size_t i = from; i < t->n; i++)
		ocifs_jsonw_str(w, t->msg[i]);
	ocifs_jsonw_end_arr(w);
}

/* How much of a search path string is shown: all, or up to a ':'. */
static size_t path_list_keep(const char *s)
{
	size_t n = s ? strlen(s) : 0, keep;

	if (n <= DEPS_MAX_STR)
		return n;
	keep = DEPS_MAX_STR;
	while (keep > 0 && s[keep] != ':')
		keep--;
	return keep;
}

/* A search path string, cut at a ':' to at most DEPS_MAX_STR bytes. 1
 * if it was cut. */
static int put_path_list(struct ocifs_jsonw *w, const char *k, const char *s)
{
	size_t n = s ? strlen(s) : 0, keep = path_list_keep(s);

	ocifs_jsonw_key(w, k);
	if (!s)
		ocifs_jsonw_null(w);
	else
		ocifs_jsonw_strn(w, s, keep);
	return keep < n;
}

static void path_list_note(struct notes *t, const char *k, const char *s)
{
	size_t n = s ? strlen(s) : 0, keep = path_list_keep(s);

	if (keep < n)
		note(t, "%s: the first %zu of %zu bytes", k, keep, n);
}

static const char *elf_type_name(unsigned t)
{
	switch (t) {
	case ET_EXEC: return "exec";
	case ET_DYN: return "dyn";
	case ET_REL: return "rel";
	case ET_CORE: return "core";
	default: return "other";
	}
}

/* Flag bits by the names readelf -d prints. */
static void flag_names(struct ocifs_jsonw *w, const char *k, uint64_t v, const uint64_t *bits,
		       const char *const *names, size_t n)
{
	char other[32];

	ocifs_jsonw_key(w, k);
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < n; i++)
		if (v & bits[i]) {
			ocifs_jsonw_str(w, names[i]);
			v &= ~bits[i];
		}
	if (v) {
		snprintf(other, sizeof(other), "0x%llx", (unsigned long long)v);
		ocifs_jsonw_str(w, other);
	}
	ocifs_jsonw_end_arr(w);
}

static void put_flags(struct ocifs_jsonw *w, uint64_t v)
{
	static const uint64_t b[] = { DF_ORIGIN, DF_SYMBOLIC, DF_TEXTREL, DF_BIND_NOW,
				      DF_STATIC_TLS };
	static const char *const n[] = { "ORIGIN", "SYMBOLIC", "TEXTREL", "BIND_NOW",
					 "STATIC_TLS" };

	flag_names(w, "flags", v, b, n, sizeof(b) / sizeof(b[0]));
}

static void put_flags_1(struct ocifs_jsonw *w, uint64_t v)
{
	static const uint64_t b[] = { DF_1_NOW, DF_1_GLOBAL, DF_1_GROUP, DF_1_NODELETE,
				      DF_1_LOADFLTR, DF_1_INITFIRST, DF_1_NOOPEN, DF_1_ORIGIN,
				      DF_1_DIRECT, DF_1_INTERPOSE, DF_1_NODEFLIB, DF_1_NODUMP,
				      DF_1_CONFALT, DF_1_ENDFILTEE, DF_1_DISPRELDNE,
				      DF_1_DISPRELPND, DF_1_NODIRECT, DF_1_IGNMULDEF,
				      DF_1_NOKSYMS, DF_1_NOHDR, DF_1_EDITED, DF_1_NORELOC,
				      DF_1_SYMINTPOSE, DF_1_GLOBAUDIT, DF_1_SINGLETON, DF_1_PIE };
	static const char *const n[] = { "NOW", "GLOBAL", "GROUP", "NODELETE", "LOADFLTR",
					 "INITFIRST", "NOOPEN", "ORIGIN", "DIRECT", "INTERPOSE",
					 "NODEFLIB", "NODUMP", "CONFALT", "ENDFILTEE",
					 "DISPRELDNE", "DISPRELPND", "NODIRECT", "IGNMULDEF",
					 "NOKSYMS", "NOHDR", "EDITED", "NORELOC", "SYMINTPOSE",
					 "GLOBAUDIT", "SINGLETON", "PIE" };

	flag_names(w, "flags_1", v, b, n, sizeof(b) / sizeof(b[0]));
}

/* Where an object's "truncated" array goes: after the first field that
 * was cut, as json-c placed it when the array was made on first use. */
enum { AT_NONE, AT_RPATH, AT_RUNPATH, AT_END };

/* The notes of e's fields (rpath, runpath) and where they start. */
static int elf_notes(const struct ocifs_elf *e, struct notes *t)
{
	size_t n0 = t->n, n1;
	int at;

	path_list_note(t, "rpath", e->rpath);
	at = t->n > n0 ? AT_RPATH : AT_NONE;
	n1 = t->n;
	path_list_note(t, "runpath", e->runpath);
	if (at == AT_NONE && t->n > n1)
		at = AT_RUNPATH;
	return at;
}

/* The ELF fields, shared by the file itself and a UPX-unpacked image;
 * the notes t are written where at says. */
static void elf_fields(struct ocifs_jsonw *w, const struct ocifs_elf *e, const struct notes *t,
		       int at)
{
	ocifs_jsonw_kint(w, "class", e->cls);
	ocifs_jsonw_kstr(w, "byte_order", e->data == ELFDATA2MSB ? "big" : "little");
	ocifs_jsonw_kstr(w, "machine", e->machine_name);
	ocifs_jsonw_kstr(w, "type", elf_type_name(e->type));
	ocifs_jsonw_kstr(w, "link", ocifs_elf_link_name(e->link));
	ocifs_jsonw_kstr(w, "interp", e->interp);
	ocifs_jsonw_kstr(w, "libc", ocifs_libc_name(e->libc));
	ocifs_jsonw_kstr(w, "soname", e->soname);
	put_path_list(w, "rpath", e->rpath);
	if (at == AT_RPATH)
		put_notes(w, t, 0);
	put_path_list(w, "runpath", e->runpath);
	if (at == AT_RUNPATH)
		put_notes(w, t, 0);
	put_flags(w, e->flags);
	put_flags_1(w, e->flags_1);
	ocifs_jsonw_kstr(w, "build_id", e->build_id[0] ? e->build_id : NULL);
	ocifs_jsonw_kbool(w, "stripped", e->stripped);
	ocifs_jsonw_kbool(w, "section_headers", e->has_sections);
	if (e->error)
		ocifs_jsonw_kstr(w, "elf_error", e->error);
}

static void put_mod(struct ocifs_jsonw *w, const struct ocifs_gomod *m)
{
	ocifs_jsonw_obj(w);
	ocifs_jsonw_kstr(w, "path", m->path);
	ocifs_jsonw_kstr(w, "version", m->version);
	ocifs_jsonw_kstr(w, "sum", m->sum && *m->sum ? m->sum : NULL);
	if (m->rep_path) {
		ocifs_jsonw_key(w, "replace");
		ocifs_jsonw_obj(w);
		ocifs_jsonw_kstr(w, "path", m->rep_path);
		ocifs_jsonw_kstr(w, "version",
				 m->rep_version && *m->rep_version ? m->rep_version : NULL);
		ocifs_jsonw_kstr(w, "sum", m->rep_sum && *m->rep_sum ? m->rep_sum : NULL);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_obj(w);
}

struct setting_ix {
	const char *key;
	size_t i;
};

static int by_key(const void *a, const void *b)
{
	const struct setting_ix *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* Build settings as a JSON object: a key given twice keeps its first
 * place and takes its last value (as json-c's object_add did). */
static void put_settings(struct ocifs_jsonw *w, const struct ocifs_goinfo *g)
{
	size_t n = g->nsettings;
	struct setting_ix *ix = n ? calloc(n, sizeof(*ix)) : NULL;
	size_t *last = n ? calloc(n, sizeof(*last)) : NULL; /* [i]: value index, SIZE_MAX: skip */

	ocifs_jsonw_key(w, "settings");
	ocifs_jsonw_obj(w);
	if (n && (!ix || !last)) {
		w->err = 1; /* ENOMEM */
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ix[i] = (struct setting_ix){ g->settings[i].key ? g->settings[i].key : "", i };
	if (n > 1)
		qsort(ix, n, sizeof(*ix), by_key);
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && !strcmp(ix[a].key, ix[b].key); b++)
			last[ix[b].i] = SIZE_MAX;
		last[ix[a].i] = ix[b - 1].i;
	}
	for (size_t i = 0; i < n; i++)
		if (last[i] != SIZE_MAX)
			ocifs_jsonw_kstr(w, g->settings[i].key ? g->settings[i].key : "",
					 g->settings[last[i]].value);
out:
	ocifs_jsonw_end_obj(w);
	free(ix);
	free(last);
}

static void put_go(struct ocifs_jsonw *w, const struct ocifs_goinfo *g)
{
	ocifs_jsonw_key(w, "go");
	ocifs_jsonw_obj(w);
	ocifs_jsonw_kstr(w, "version", g->version);
	ocifs_jsonw_kbool(w, "build_info", g->has_buildinfo);
	ocifs_jsonw_kstr(w, "path", g->path);
	ocifs_jsonw_key(w, "main");
	if (g->main.path)
		put_mod(w, &g->main);
	else
		ocifs_jsonw_null(w);
	ocifs_jsonw_key(w, "deps");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < g->ndeps; i++)
		put_mod(w, &g->deps[i]);
	ocifs_jsonw_end_arr(w);
	put_settings(w, g);
	ocifs_jsonw_kstr(w, "how", g->how);
	if (g->error)
		ocifs_jsonw_kstr(w, "error", g->error);
	ocifs_jsonw_end_obj(w);
}

static void put_upx(struct ocifs_jsonw *w, const struct ocifs_mfile *f)
{
	const struct ocifs_upx *u = &f->upx;

	ocifs_jsonw_key(w, "upx");
	ocifs_jsonw_obj(w);
	ocifs_jsonw_kstr(w, "version", u->version[0] ? u->version : NULL);
	ocifs_jsonw_kint(w, "format", (int)u->format);
	ocifs_jsonw_kint(w, "method", (int)u->method);
	ocifs_jsonw_kstr(w, "method_name", u->method_name);
	ocifs_jsonw_kint(w, "packed_size", (int64_t)u->packed_size);
	ocifs_jsonw_kint(w, "original_size", (int64_t)u->original_size);
	ocifs_jsonw_kbool(w, "unpacked", f->unpacked);
	if (u->error)
		ocifs_jsonw_kstr(w, "reason", u->error);
	if (f->unpacked) {
		struct notes t = { .n = 0 };
		int at = elf_notes(&f->upx_elf, &t);
		ocifs_jsonw_key(w, "elf");
		ocifs_jsonw_obj(w);
		elf_fields(w, &f->upx_elf, &t, at);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_obj(w);
}

static void put_rust(struct ocifs_jsonw *w, const struct ocifs_rustaudit *a)
{
	ocifs_jsonw_key(w, "rust");
	ocifs_jsonw_obj(w);
	ocifs_jsonw_key(w, "packages");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < a->n; i++) {
		const struct ocifs_rust_pkg *p = &a->pkgs[i];
		ocifs_jsonw_obj(w);
		ocifs_jsonw_kstr(w, "name", p->name);
		ocifs_jsonw_kstr(w, "version", p->version);
		ocifs_jsonw_kstr(w, "source", p->source);
		if (p->kind)
			ocifs_jsonw_kstr(w, "kind", p->kind);
		if (p->root)
			ocifs_jsonw_kbool(w, "root", 1);
		ocifs_jsonw_key(w, "dependencies");
		ocifs_jsonw_arr(w);
		for (size_t k = 0; k < p->ndeps; k++)
			ocifs_jsonw_int(w, (int64_t)p->deps[k]);
		ocifs_jsonw_end_arr(w);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
	if (a->error)
		ocifs_jsonw_kstr(w, "error", a->error);
	ocifs_jsonw_end_obj(w);
}

/* The note's own JSON object (any keys, any nesting: json-c renders it,
 * jsonw indents it), with our "error" added as json-c's object_add did. */
static void put_note(struct ocifs_jsonw *w, const struct ocifs_pkgnote *n)
{
	struct json_object *o = n->json ? json_tokener_parse(n->json) : NULL;
	const char *s;

	if (!o)
		o = json_object_new_object();
	if (o && n->error)
		json_object_object_add(o, "error", json_object_new_string(n->error));
	ocifs_jsonw_key(w, "package_note");
	s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE)
	      : NULL;
	if (s)
		ocifs_jsonw_raw(w, s);
	else
		ocifs_jsonw_null(w);
	json_object_put(o);
}

/* How many entries of needed[] and libs[] are shown (a capped number of
 * those not found in each), and how many of needed[] were not found. */
static void libs_count(const struct ocifs_ldso_result *r, size_t *shown, size_t *nmiss,
		       size_t *nlibs)
{
	size_t miss = 0, lmiss = 0;

	*shown = *nmiss = *nlibs = 0;
	for (size_t i = 0; i < r->nneeded && *shown < DEPS_MAX_NEEDED; i++)
		if (r->needed[i].path || miss++ < DEPS_MAX_MISSING)
			(*shown)++;
	for (size_t i = 0; i < r->nneeded; i++)
		*nmiss += !r->needed[i].path;
	for (size_t k = 0; k < r->n && *nlibs < DEPS_MAX_LIBS; k++)
		if (r->libs[k].path || lmiss++ < DEPS_MAX_MISSING)
			(*nlibs)++;
}

/* The "truncated" notes of a resolved name's library fields. */
static void libs_notes(const struct ocifs_mfile *f, struct notes *t)
{
	const struct ocifs_ldso_result *r = &f->libs;
	size_t shown, nmiss, nlibs;

	libs_count(r, &shown, &nmiss, &nlibs);
	if (shown < r->nneeded)
		note(t, "needed: %zu of %zu shown (%zu not found)", shown, r->nneeded, nmiss);
	if (nlibs < r->n)
		note(t, "libraries: %zu of %zu shown (%zu not found, at most %u of them shown)", nlibs,
		     r->n, r->nunresolved, DEPS_MAX_MISSING);
	if (r->truncated & OCIFS_LDSO_CUT_DIRS)
		note(t, "search: a search list was cut (too many directories)");
	if (r->truncated & OCIFS_LDSO_CUT_NEEDED)
		note(t, "search: DT_NEEDED entries of an object left out (too many)");
	if (r->truncated & OCIFS_LDSO_CUT_OBJS)
		note(t, "search: stopped (too many loaded objects)");
	if (r->truncated & OCIFS_LDSO_CUT_PROBES)
		note(t, "search: stopped (its budget of files tried is spent)");
	if (r->truncated & OCIFS_LDSO_CUT_IMAGE)
		note(t, "search: the image's budget of files tried is spent");
}

/* The library fields of a resolved name: needed, libraries (the
 * entries libs_count counts), unresolved, ldso_note. */
static void libs_fields(struct ocifs_jsonw *w, const struct ocifs_mfile *f)
{
	const struct ocifs_ldso_result *r = &f->libs;
	size_t shown = 0, miss = 0, lmiss = 0, nlibs = 0;

	ocifs_jsonw_key(w, "needed");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < r->nneeded && shown < DEPS_MAX_NEEDED; i++) {
		const struct ocifs_ldso_lib *l = &r->needed[i];
		if (!l->path && miss++ >= DEPS_MAX_MISSING)
			continue;
		shown++;
		ocifs_jsonw_obj(w);
		ocifs_jsonw_kstr(w, "name", l->name);
		ocifs_jsonw_kstr(w, "path", l->path);
		ocifs_jsonw_kstr(w, "rule", l->rule);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_key(w, "libraries");
	ocifs_jsonw_arr(w);
	for (size_t k = 0; k < r->n && nlibs < DEPS_MAX_LIBS; k++) {
		const struct ocifs_ldso_lib *l = &r->libs[k];
		if (!l->path && lmiss++ >= DEPS_MAX_MISSING)
			continue;
		nlibs++;
		ocifs_jsonw_obj(w);
		ocifs_jsonw_kstr(w, "name", l->name);
		ocifs_jsonw_kstr(w, "path", l->path);
		ocifs_jsonw_kstr(w, "rule", l->rule);
		ocifs_jsonw_kstr(w, "needed_by",
				 l->needed_by == OCIFS_LDSO_MAIN || l->needed_by >= r->n
					 ? f->path
					 : r->libs[l->needed_by].path);
		ocifs_jsonw_kint(w, "depth", (int)l->depth);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_key(w, "unresolved");
	ocifs_jsonw_arr(w);
	lmiss = nlibs = 0;
	for (size_t k = 0; k < r->n && nlibs < DEPS_MAX_LIBS; k++) {
		const struct ocifs_ldso_lib *l = &r->libs[k];
		if (!l->path && lmiss++ >= DEPS_MAX_MISSING)
			continue;
		nlibs++;
		if (!l->path)
			ocifs_jsonw_str(w, l->name);
	}
	if (r->missing_interp)  /* what execve(2) itself would not find */
		ocifs_jsonw_str(w, r->missing_interp);
	ocifs_jsonw_end_arr(w);
	if (r->note)
		ocifs_jsonw_kstr(w, "ldso_note", r->note);
}

/* Not searched (static, or analysis stopped): the names only. */
static void unresolved_fields(struct ocifs_jsonw *w, const struct ocifs_elf *e)
{
	ocifs_jsonw_key(w, "needed");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < e->nneeded && i < DEPS_MAX_NEEDED; i++) {
		ocifs_jsonw_obj(w);
		ocifs_jsonw_kstr(w, "name", e->needed[i]);
		ocifs_jsonw_kstr(w, "path", NULL);
		ocifs_jsonw_kstr(w, "rule", NULL);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_key(w, "libraries");
	ocifs_jsonw_arr(w);
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_key(w, "unresolved");
	ocifs_jsonw_arr(w);
	ocifs_jsonw_end_arr(w);
}

static void script_fields(struct ocifs_jsonw *w, const struct ocifs_script *s)
{
	ocifs_jsonw_kstr(w, "interpreter", s->interp);
	ocifs_jsonw_kstr(w, "interpreter_arg", s->arg);
	ocifs_jsonw_kstr(w, "program", s->program);
	ocifs_jsonw_kstr(w, "interpreter_path", s->resolved);
	ocifs_jsonw_kstr(w, "rule", s->rule);
	if (s->error)
		ocifs_jsonw_kstr(w, "script_error", s->error);
}

/* One name's element of "files": its path and library search from f,
 * the analysis of its bytes from p (f itself, or the first name of the
 * same inode). */
static void put_file(struct ocifs_jsonw *w, const struct ocifs_mfile *f,
		     const struct ocifs_mfile *p, const char *layer_digest)
{
	char hex[65];

	ocifs_jsonw_obj(w);
	ocifs_jsonw_kstr(w, "path", f->path);
	ocifs_jsonw_kstr(w, "kind", p->is_elf ? "elf" : p->is_script ? "script" : "unknown");
	ocifs_jsonw_kint(w, "layer", (int)f->layer + 1); /* 1 = bottom, as --layer */
	ocifs_jsonw_kstr(w, "layer_digest", layer_digest);
	ocifs_jsonw_kint(w, "size", (int64_t)f->size);
	if (f->magic & OCIFS_EF_HASHED) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", f->sha256[i]);
		ocifs_jsonw_kstr(w, "sha256", hex);
	}
	if (p->is_elf) {
		const struct ocifs_elf *le = p->unpacked ? &p->upx_elf : &p->elf;
		struct notes t = { .n = 0 };
		int at = elf_notes(&p->elf, &t);
		if (f->resolved)
			libs_notes(f, &t);
		else if (le->nneeded > DEPS_MAX_NEEDED)
			note(&t, "needed: the first %u of %zu shown", DEPS_MAX_NEEDED, le->nneeded);
		if (at == AT_NONE && t.n)
			at = AT_END;
		elf_fields(w, &p->elf, &t, at);
		if (f->resolved)
			libs_fields(w, f);
		else
			unresolved_fields(w, le);
		if (at == AT_END)
			put_notes(w, &t, 0);
		if (p->go.is_go)
			put_go(w, &p->go);
		if (p->upx.packed)
			put_upx(w, p);
		if (p->rust.found || p->rust.error)
			put_rust(w, &p->rust);
		if (p->note.found || p->note.error)
			put_note(w, &p->note);
	} else if (p->is_script) {
		script_fields(w, &p->script);
	}
	if (p->error)
		ocifs_jsonw_kstr(w, "error", p->error);
	ocifs_jsonw_end_obj(w);
}

static int by_path(const void *a, const void *b)
{
	const struct ocifs_mfile *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

static void summary(const struct ocifs_model *m, struct ocifs_deps_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct ocifs_mfile *f = &m->files[i], *p = ocifs_model_bytes(m, f);
		st->files += p->is_elf || p->is_script;
		st->elf += p->is_elf;
		st->scripts += p->is_script;
		st->go += p->go.is_go != 0;
		st->upx += p->upx.packed != 0;
		st->unresolved += f->resolved && (f->libs.nunresolved || f->libs.missing_interp);
		st->errors += p->error || (p->is_elf && p->elf.error);
	}
}

int ocifs_deps_json_write(const struct ocifs_model *m, const struct ocifs_image *img, char **json,
			  size_t *len, struct ocifs_deps_stats *st)
{
	const struct ocifs_mfile **sorted = calloc(m->nfiles ? m->nfiles : 1, sizeof(*sorted));
	const char *llp = ocifs_pipeline_env(img, "LD_LIBRARY_PATH");
	struct ocifs_jsonw w;
	char *buf = NULL;
	size_t blen = 0;
	FILE *fp = sorted ? open_memstream(&buf, &blen) : NULL;

	if (!fp) {
		free(sorted);
		return -ENOMEM;
	}
	summary(m, st);
	ocifs_jsonw_init(&w, fp);
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kint(&w, "schema", OCIFS_DEPS_SCHEMA);
	ocifs_jsonw_kstr(&w, "ocifs_version", PACKAGE_VERSION);
	ocifs_jsonw_key(&w, "image");
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kstr(&w, "manifest", img->manifest_digest);
	ocifs_jsonw_kstr(&w, "platform", img->platform);
	ocifs_jsonw_kstr(&w, "ld_library_path", llp);
	ocifs_jsonw_end_obj(&w);
	ocifs_jsonw_key(&w, "summary");
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kint(&w, "files", (int64_t)st->files);
	ocifs_jsonw_kint(&w, "elf", (int64_t)st->elf);
	ocifs_jsonw_kint(&w, "scripts", (int64_t)st->scripts);
	ocifs_jsonw_kint(&w, "go", (int64_t)st->go);
	ocifs_jsonw_kint(&w, "upx", (int64_t)st->upx);
	ocifs_jsonw_kint(&w, "unresolved", (int64_t)st->unresolved);
	ocifs_jsonw_kint(&w, "errors", (int64_t)st->errors);
	ocifs_jsonw_end_obj(&w);
	for (size_t i = 0; i < m->nfiles; i++)
		sorted[i] = &m->files[i];
	qsort(sorted, m->nfiles, sizeof(*sorted), by_path);
	ocifs_jsonw_key(&w, "files");
	ocifs_jsonw_arr(&w);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct ocifs_mfile *f = sorted[i], *p = ocifs_model_bytes(m, f);
		if (!p->is_elf && !p->is_script && !p->error)
			continue; /* flagged by magic, but not ELF after all */
		put_file(&w, f, p, f->layer < img->nlayers ? img->layers[f->layer].digest : "");
	}
	ocifs_jsonw_end_arr(&w);
	ocifs_jsonw_end_obj(&w);
	fputc('\n', fp);
	free(sorted);
	int bad = ferror(fp); /* a failed write (ENOMEM growing the buffer) */
	if (fclose(fp) || bad || w.err || w.level) {
		free(buf);
		return -ENOMEM;
	}
	*json = buf;
	*len = blen;
	return 0;
}
