/* SPDX-License-Identifier: MIT */
/*
 * The SBOM's dependency graph (sbom_priv.h): package Depends resolved by
 * name, then Provides, within an ecosystem -- the candidate whose source
 * shares the longest prefix with the depender's first, as node_modules
 * and a Go binary's own modules resolve -- and every ELF's component ->
 * the components owning the libraries ld.so loads for it, with the
 * libraries not found kept as "NAME (needed by PATH)".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "sbom_priv.h"

static int add_dep(struct sbom *s, struct sbom_comp *from, size_t to)
{
	if (&s->comps[to] == from)
		return 0;
	for (size_t i = 0; i < from->ndeps; i++)
		if (from->deps[i] == to)
			return 0;
	if (from->ndeps == from->dcap) {
		size_t cap = from->dcap ? 2 * from->dcap : 4;
		size_t *n = realloc(from->deps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		from->deps = n;
		from->dcap = cap;
	}
	from->deps[from->ndeps++] = to;
	s->edges++;
	return 0;
}

/* Names (and provides) of each ecosystem: "type\nname" -> the first
 * entry of a chain of candidates. */
struct names {
	struct ocifs_strmap map;
	struct cand {
		size_t comp, next;      /* next: 1 + index, 0 = end */
	} *c;
	size_t n, cap;
};

static int names_add(struct names *nm, const char *type, const char *name, size_t comp)
{
	char *key;
	size_t head;
	int rc;

	if (!type || !name || !*name)
		return 0;
	if (asprintf(&key, "%s\n%s", type, name) < 0)
		return -ENOMEM;
	if (nm->n == nm->cap) {
		size_t cap = nm->cap ? 2 * nm->cap : 256;
		struct cand *c = realloc(nm->c, cap * sizeof(*c));
		if (!c) {
			free(key);
			return -ENOMEM;
		}
		nm->c = c;
		nm->cap = cap;
	}
	nm->c[nm->n] = (struct cand){ comp, 0 };
	rc = ocifs_strmap_put(&nm->map, key, strlen(key), nm->n, &head);
	free(key);
	if (rc < 0)
		return rc;
	if (rc == 0) { /* append to the chain */
		size_t i = head;
		while (nm->c[i].next)
			i = nm->c[i].next - 1;
		nm->c[i].next = nm->n + 1;
	}
	nm->n++;
	return 0;
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a && b && a[n] && a[n] == b[n])
		n++;
	return n;
}

/* The best candidate for dependency `name` of comp `from`: 1 and *to. */
static int names_find(const struct sbom *s, const struct names *nm, const char *type,
		      const char *name, size_t nlen, const struct sbom_comp *from, size_t *to)
{
	char *key;
	size_t i, best = SIZE_MAX, best_len = 0;

	if (asprintf(&key, "%s\n%.*s", type, (int)nlen, name) < 0)
		return 0;
	int found = ocifs_strmap_get(&nm->map, key, strlen(key), &i);
	free(key);
	if (!found)
		return 0;
	for (;;) {
		size_t l = common_prefix(s->comps[nm->c[i].comp].c->source, from->c->source);
		if (best == SIZE_MAX || l > best_len) {
			best = nm->c[i].comp;
			best_len = l;
		}
		if (!nm->c[i].next)
			break;
		i = nm->c[i].next - 1;
	}
	*to = best;
	return 1;
}

/* Package Depends: each alternative "a | b" by name, then provides. */
int ocifs_sbom_package_edges(struct sbom *s)
{
	struct names byname = { 0 }, byprov = { 0 };
	int rc = 0;

	for (size_t i = 0; i < s->ncomps && !rc; i++) {
		const struct ocifs_component *c = s->comps[i].c;
		rc = names_add(&byname, c->type, c->name, i);
		for (size_t k = 0; k < c->nprovides && !rc; k++)
			rc = names_add(&byprov, c->type, c->provides[k], i);
	}
	for (size_t i = 0; i < s->ncomps && !rc; i++) {
		struct sbom_comp *sc = &s->comps[i];
		for (size_t k = 0; k < sc->c->ndepends && !rc; k++) {
			const char *d = sc->c->depends[k];
			size_t to;
			while (*d) { /* alternatives: the first one present */
				size_t n = strcspn(d, "|");
				const char *a = d, *next = d[n] ? d + n + 1 : d + n;
				while (n && (*a == ' ' || *a == '\t'))
					a++, n--;
				while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
					n--;
				if (n && (names_find(s, &byname, sc->c->type, a, n, sc, &to) ||
					  names_find(s, &byprov, sc->c->type, a, n, sc, &to))) {
					rc = add_dep(s, sc, to);
					break;
				}
				d = next;
			}
		}
	}
	ocifs_strmap_fini(&byname.map);
	free(byname.c);
	ocifs_strmap_fini(&byprov.map);
	free(byprov.c);
	return rc;
}

static int add_unresolved(struct sbom_comp *sc, const char *lib, const char *by)
{
	char *u, **n;

	if (asprintf(&u, "%s (needed by %s)", lib, by) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < sc->nunresolved; i++)
		if (!strcmp(sc->unresolved[i], u)) {
			free(u);
			return 0;
		}
	if (!(n = realloc(sc->unresolved, (sc->nunresolved + 1) * sizeof(*n)))) {
		free(u);
		return -ENOMEM;
	}
	sc->unresolved = n;
	sc->unresolved[sc->nunresolved++] = u;
	return 0;
}

/* Every ELF's component -> the owners of the libraries it loads. */
int ocifs_sbom_elf_edges(struct sbom *s, const struct ocifs_model *m, const struct sbom_own *o)
{
	int rc = 0;

	for (size_t i = 0; i < m->nfiles && !rc; i++) {
		const struct ocifs_mfile *f = &m->files[i];
		size_t from, to;

		if (!f->resolved || !ocifs_sbom_owner(o, f->path, &from))
			continue;
		for (size_t k = 0; k < f->libs.nneeded && !rc; k++) {
			const struct ocifs_ldso_lib *l = &f->libs.needed[k];
			char *real = NULL;
			if (!l->path) {
				rc = add_unresolved(&s->comps[from], l->name, f->path);
				continue;
			}
			if (ocifs_sbom_owner(o, l->path, &to) ||
			    (!o->tree->realpath(o->tree->ctx, l->path, &real) && ocifs_sbom_owner(o, real, &to)))
				rc = add_dep(s, &s->comps[from], to);
			free(real);
		}
		for (size_t k = 0; k < f->libs.n && !rc; k++) /* deeper libraries not found */
			if (!f->libs.libs[k].path && f->libs.libs[k].depth > 1)
				rc = add_unresolved(&s->comps[from], f->libs.libs[k].name, f->path);
		if (!rc && f->libs.missing_interp)
			rc = add_unresolved(&s->comps[from], f->libs.missing_interp, f->path);
	}
	return rc;
}

