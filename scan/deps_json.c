/* SPDX-License-Identifier: MIT */
/* One file's element of deps.json (schema in ocifs-deps(5)). */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deps_priv.h"
#include "idxdb.h"

/* Output per file is bounded: a hostile object (a RUNPATH of thousands
 * of directories, thousands of libraries) is shown in part, and its
 * "truncated" array says what was cut. */
#define DEPS_MAX_STR 1024u      /* bytes of rpath / runpath shown */
#define DEPS_MAX_LIBS 512u      /* libraries shown */
#define DEPS_MAX_NEEDED 128u    /* DT_NEEDED entries shown */
#define DEPS_MAX_MISSING 16u    /* libraries not found shown (in each list) */

/* Append a reason to o's "truncated" array (created on first use). */
static void cut_note(struct json_object *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cut_note(struct json_object *o, const char *fmt, ...)
{
	struct json_object *a;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json_object_object_get_ex(o, "truncated", &a)) {
		if (!(a = json_object_new_array()))
			return;
		json_object_object_add(o, "truncated", a);
	}
	json_object_array_add(a, json_object_new_string(msg));
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void put(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static void put_str(struct json_object *o, const char *k, const char *s)
{
	put(o, k, str_or_null(s));
}

/* A search path string, cut at a ':' to at most DEPS_MAX_STR bytes. */
static void put_path_list(struct json_object *o, const char *k, const char *s)
{
	size_t n = s ? strlen(s) : 0, keep = n;

	if (n <= DEPS_MAX_STR) {
		put_str(o, k, s);
		return;
	}
	keep = DEPS_MAX_STR;
	while (keep > 0 && s[keep] != ':')
		keep--;
	put(o, k, json_object_new_string_len(s, (int)keep));
	cut_note(o, "%s: the first %zu of %zu bytes", k, keep, n);
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
static struct json_object *flag_names(uint64_t v, const uint64_t *bits, const char *const *names,
				      size_t n)
{
	struct json_object *a = json_object_new_array();
	char other[32];

	for (size_t i = 0; a && i < n; i++)
		if (v & bits[i]) {
			json_object_array_add(a, json_object_new_string(names[i]));
			v &= ~bits[i];
		}
	if (a && v) {
		snprintf(other, sizeof(other), "0x%llx", (unsigned long long)v);
		json_object_array_add(a, json_object_new_string(other));
	}
	return a;
}

static struct json_object *flags_json(uint64_t v)
{
	static const uint64_t b[] = { DF_ORIGIN, DF_SYMBOLIC, DF_TEXTREL, DF_BIND_NOW,
				      DF_STATIC_TLS };
	static const char *const n[] = { "ORIGIN", "SYMBOLIC", "TEXTREL", "BIND_NOW",
					 "STATIC_TLS" };

	return flag_names(v, b, n, sizeof(b) / sizeof(b[0]));
}

static struct json_object *flags_1_json(uint64_t v)
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

	return flag_names(v, b, n, sizeof(b) / sizeof(b[0]));
}

/* The ELF fields, shared by the file itself and a UPX-unpacked image. */
static void elf_fields(struct json_object *o, const struct ocifs_elf *e)
{
	put(o, "class", json_object_new_int(e->cls));
	put_str(o, "byte_order", e->data == ELFDATA2MSB ? "big" : "little");
	put_str(o, "machine", e->machine_name);
	put_str(o, "type", elf_type_name(e->type));
	put_str(o, "link", ocifs_elf_link_name(e->link));
	put_str(o, "interp", e->interp);
	put_str(o, "libc", ocifs_libc_name(e->libc));
	put_str(o, "soname", e->soname);
	put_path_list(o, "rpath", e->rpath);
	put_path_list(o, "runpath", e->runpath);
	put(o, "flags", flags_json(e->flags));
	put(o, "flags_1", flags_1_json(e->flags_1));
	put_str(o, "build_id", e->build_id[0] ? e->build_id : NULL);
	put(o, "stripped", json_object_new_boolean(e->stripped));
	put(o, "section_headers", json_object_new_boolean(e->has_sections));
	if (e->error)
		put_str(o, "elf_error", e->error);
}

static struct json_object *mod_json(const struct ocifs_gomod *m)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	put_str(o, "path", m->path);
	put_str(o, "version", m->version);
	put_str(o, "sum", m->sum && *m->sum ? m->sum : NULL);
	if (m->rep_path) {
		struct json_object *r = json_object_new_object();
		put_str(r, "path", m->rep_path);
		put_str(r, "version", m->rep_version && *m->rep_version ? m->rep_version : NULL);
		put_str(r, "sum", m->rep_sum && *m->rep_sum ? m->rep_sum : NULL);
		put(o, "replace", r);
	}
	return o;
}

static struct json_object *go_json(const struct ocifs_goinfo *g)
{
	struct json_object *o = json_object_new_object(), *deps, *set;

	if (!o)
		return NULL;
	put_str(o, "version", g->version);
	put(o, "build_info", json_object_new_boolean(g->has_buildinfo));
	put_str(o, "path", g->path);
	put(o, "main", g->main.path ? mod_json(&g->main) : NULL);
	deps = json_object_new_array();
	for (size_t i = 0; deps && i < g->ndeps; i++)
		json_object_array_add(deps, mod_json(&g->deps[i]));
	put(o, "deps", deps);
	set = json_object_new_object();
	for (size_t i = 0; set && i < g->nsettings; i++)
		put_str(set, g->settings[i].key, g->settings[i].value);
	put(o, "settings", set);
	put_str(o, "how", g->how);
	if (g->error)
		put_str(o, "error", g->error);
	return o;
}

static struct json_object *upx_json(const struct deps_file *f)
{
	const struct ocifs_upx *u = &f->upx;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	put_str(o, "version", u->version[0] ? u->version : NULL);
	put(o, "format", json_object_new_int((int)u->format));
	put(o, "method", json_object_new_int((int)u->method));
	put_str(o, "method_name", u->method_name);
	put(o, "packed_size", json_object_new_int64((int64_t)u->packed_size));
	put(o, "original_size", json_object_new_int64((int64_t)u->original_size));
	put(o, "unpacked", json_object_new_boolean(f->unpacked));
	if (u->error)
		put_str(o, "reason", u->error);
	if (f->unpacked) {
		struct json_object *e = json_object_new_object();
		if (e)
			elf_fields(e, &f->upx_elf);
		put(o, "elf", e);
	}
	return o;
}

static struct json_object *rust_json(const struct ocifs_rustaudit *a)
{
	struct json_object *o = json_object_new_object(), *pk = json_object_new_array();

	for (size_t i = 0; o && pk && i < a->n; i++) {
		const struct ocifs_rust_pkg *p = &a->pkgs[i];
		struct json_object *j = json_object_new_object(), *d = json_object_new_array();
		put_str(j, "name", p->name);
		put_str(j, "version", p->version);
		put_str(j, "source", p->source);
		if (p->kind)
			put_str(j, "kind", p->kind);
		if (p->root)
			put(j, "root", json_object_new_boolean(1));
		for (size_t k = 0; d && k < p->ndeps; k++)
			json_object_array_add(d, json_object_new_int64((int64_t)p->deps[k]));
		put(j, "dependencies", d);
		json_object_array_add(pk, j);
	}
	put(o, "packages", pk);
	if (a->error)
		put_str(o, "error", a->error);
	return o;
}

static struct json_object *note_json(const struct ocifs_pkgnote *n)
{
	struct json_object *o = n->json ? json_tokener_parse(n->json) : NULL;

	if (!o)
		o = json_object_new_object();
	if (o && n->error)
		put_str(o, "error", n->error);
	return o;
}

static void libs_fields(struct json_object *o, const struct deps_file *f)
{
	const struct ocifs_ldso_result *r = &f->libs;
	struct json_object *needed = json_object_new_array(), *libs = json_object_new_array();
	struct json_object *unres = json_object_new_array();

	size_t shown = 0, miss = 0, nmiss = 0, lmiss = 0;

	for (size_t i = 0; needed && i < r->nneeded && shown < DEPS_MAX_NEEDED; i++) {
		const struct ocifs_ldso_lib *l = &r->needed[i];
		if (!l->path && miss++ >= DEPS_MAX_MISSING)
			continue;
		shown++;
		struct json_object *n = json_object_new_object();
		put_str(n, "name", l->name);
		put_str(n, "path", l->path);
		put_str(n, "rule", l->rule);
		json_object_array_add(needed, n);
	}
	for (size_t i = 0; i < r->nneeded; i++)
		nmiss += !r->needed[i].path;
	for (size_t k = 0, n = 0; libs && k < r->n && n < DEPS_MAX_LIBS; k++) {
		const struct ocifs_ldso_lib *l = &r->libs[k];
		if (!l->path && lmiss++ >= DEPS_MAX_MISSING)
			continue;
		n++;
		struct json_object *j = json_object_new_object();
		put_str(j, "name", l->name);
		put_str(j, "path", l->path);
		put_str(j, "rule", l->rule);
		put_str(j, "needed_by", l->needed_by == OCIFS_LDSO_MAIN || l->needed_by >= r->n
					? f->path : r->libs[l->needed_by].path);
		put(j, "depth", json_object_new_int((int)l->depth));
		json_object_array_add(libs, j);
		if (!l->path && unres)
			json_object_array_add(unres, json_object_new_string(l->name));
	}
	put(o, "needed", needed);
	put(o, "libraries", libs);
	put(o, "unresolved", unres);
	if (r->note)
		put_str(o, "ldso_note", r->note);
	if (shown < r->nneeded)
		cut_note(o, "needed: %zu of %zu shown (%zu not found)", shown, r->nneeded, nmiss);
	if (json_object_array_length(libs) < r->n)
		cut_note(o, "libraries: %zu of %zu shown (%zu not found, at most %u of them shown)",
			 json_object_array_length(libs), r->n, r->nunresolved, DEPS_MAX_MISSING);
	if (r->truncated & OCIFS_LDSO_CUT_DIRS)
		cut_note(o, "search: a search list was cut (too many directories)");
	if (r->truncated & OCIFS_LDSO_CUT_NEEDED)
		cut_note(o, "search: DT_NEEDED entries of an object left out (too many)");
	if (r->truncated & OCIFS_LDSO_CUT_OBJS)
		cut_note(o, "search: stopped (too many loaded objects)");
	if (r->truncated & OCIFS_LDSO_CUT_PROBES)
		cut_note(o, "search: stopped (its budget of files tried is spent)");
	if (r->truncated & OCIFS_LDSO_CUT_IMAGE)
		cut_note(o, "search: the image's budget of files tried is spent");
}

/* Not searched (static, or analysis stopped): the names only. */
static void unresolved_fields(struct json_object *o, const struct ocifs_elf *e)
{
	struct json_object *needed = json_object_new_array();

	for (size_t i = 0; needed && i < e->nneeded && i < DEPS_MAX_NEEDED; i++) {
		struct json_object *n = json_object_new_object();
		put_str(n, "name", e->needed[i]);
		put(n, "path", NULL);
		put(n, "rule", NULL);
		json_object_array_add(needed, n);
	}
	put(o, "needed", needed);
	put(o, "libraries", json_object_new_array());
	put(o, "unresolved", json_object_new_array());
	if (e->nneeded > DEPS_MAX_NEEDED)
		cut_note(o, "needed: the first %u of %zu shown", DEPS_MAX_NEEDED, e->nneeded);
}

static void script_fields(struct json_object *o, const struct ocifs_script *s)
{
	put_str(o, "interpreter", s->interp);
	put_str(o, "interpreter_arg", s->arg);
	put_str(o, "program", s->program);
	put_str(o, "interpreter_path", s->resolved);
	put_str(o, "rule", s->rule);
	if (s->error)
		put_str(o, "script_error", s->error);
}

struct json_object *deps_file_json(const struct deps_file *f, const struct deps_file *p,
				   const char *layer_digest)
{
	struct json_object *o = json_object_new_object();
	char hex[65];

	if (!o)
		return NULL;
	put_str(o, "path", f->path);
	put_str(o, "kind", p->is_elf ? "elf" : p->is_script ? "script" : "unknown");
	put(o, "layer", json_object_new_int((int)f->layer + 1)); /* 1 = bottom, as --layer */
	put_str(o, "layer_digest", layer_digest);
	put(o, "size", json_object_new_int64((int64_t)f->size));
	if (f->eflags & OCIFS_EF_HASHED) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", f->sha256[i]);
		put_str(o, "sha256", hex);
	}
	if (p->is_elf) {
		elf_fields(o, &p->elf);
		if (f->resolved)
			libs_fields(o, f);
		else
			unresolved_fields(o, p->unpacked ? &p->upx_elf : &p->elf);
		if (p->go.is_go)
			put(o, "go", go_json(&p->go));
		if (p->upx.packed)
			put(o, "upx", upx_json(p));
		if (p->rust.found || p->rust.error)
			put(o, "rust", rust_json(&p->rust));
		if (p->note.found || p->note.error)
			put(o, "package_note", note_json(&p->note));
	} else if (p->is_script) {
		script_fields(o, &p->script);
	}
	if (p->error)
		put_str(o, "error", p->error);
	return o;
}
