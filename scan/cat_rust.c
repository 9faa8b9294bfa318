/* SPDX-License-Identifier: MIT */
/*
 * The Rust crate cataloger (pass 1, after the ELF cataloger, no bytes of
 * its own): the cargo-auditable dependency list cat_elf read from an ELF
 * file (also out of a UPX-packed one) as components, as Trivy's
 * rustbinary parser reports them: every crate of kind "runtime" (build
 * dependencies are not in the binary), pkg:cargo/NAME@VERSION, the root
 * crate an "application" owning the binary, the others "library". A
 * crate depends on its runtime dependencies, named "NAME@VERSION" (a
 * binary may hold two versions of one crate), which each crate also
 * provides, so that sbom.c resolves them by provides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

static int rust_match(const char *path, uint32_t magic)
{
	(void)path;
	return (magic & OCIFS_EF_ELF) != 0;
}

static int is_runtime(const struct ocifs_rust_pkg *p)
{
	return !p->kind || strcmp(p->kind, "build") != 0;
}

static char *ident(const struct ocifs_rust_pkg *p)
{
	char *s;

	return asprintf(&s, "%s@%s", p->name ? p->name : "", p->version ? p->version : "") < 0 ? NULL : s;
}

/* The component of pkgs[i]; ids[] holds every crate's "NAME@VERSION". */
static int emit_crate(struct ocifs_emit *e, const struct ocifs_mfile *f, const struct ocifs_mfile *b,
		      const struct ocifs_rustaudit *a, size_t i, char **ids)
{
	const struct ocifs_rust_pkg *p = &a->pkgs[i];
	struct ocifs_component c = { 0 };
	struct ocifs_prop pr[3];
	char *file = f->path, **deps = NULL;
	int rc;

	if (p->ndeps && !(deps = calloc(p->ndeps, sizeof(*deps))))
		return -ENOMEM;
	for (size_t k = 0; k < p->ndeps; k++)
		if (p->deps[k] < a->n && is_runtime(&a->pkgs[p->deps[k]]))
			deps[c.ndepends++] = ids[p->deps[k]];
	c.type = "cargo";
	c.name = p->name;
	c.version = p->version;
	c.kind = p->root ? "application" : "library";
	c.layer = f->layer;
	c.source = f->path;
	c.depends = deps;
	c.provides = &ids[i];
	c.nprovides = 1;
	c.props = pr;
	if (p->source)
		pr[c.nprops++] = (struct ocifs_prop){ "ocifs:rust:source", p->source };
	if (p->root) {
		c.files = &file;
		c.nfiles = 1;
		if ((f->magic | b->magic) & OCIFS_EF_HASHED) {
			memcpy(c.sha256, (f->magic & OCIFS_EF_HASHED ? f : b)->sha256, sizeof(c.sha256));
			c.has_sha256 = 1;
		}
		if (b->unpacked)
			pr[c.nprops++] = (struct ocifs_prop){ "ocifs:rust:upx", "1" };
		if (a->error)
			pr[c.nprops++] = (struct ocifs_prop){ "ocifs:error", a->error };
	}
	rc = ocifs_emit_component(e, &c);
	free(deps);
	return rc;
}

/* The crates of binary f (its bytes analyzed in b). */
static int rust_binary(struct ocifs_emit *e, const struct ocifs_mfile *f, const struct ocifs_mfile *b)
{
	const struct ocifs_rustaudit *a;
	char **ids;
	int rc = 0;

	if (!f || !b || !b->is_elf || !b->rust.found || !b->rust.n)
		return 0;
	a = &b->rust;
	if (!(ids = calloc(a->n, sizeof(*ids))))
		return -ENOMEM;
	for (size_t i = 0; i < a->n && !rc; i++)
		if (!(ids[i] = ident(&a->pkgs[i])))
			rc = -ENOMEM;
	for (size_t i = 0; i < a->n && !rc; i++)
		if (is_runtime(&a->pkgs[i]) && a->pkgs[i].name && a->pkgs[i].version)
			rc = emit_crate(e, f, b, a, i, ids);
	for (size_t i = 0; i < a->n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

static int rust_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			struct ocifs_emit *e)
{
	(void)rd;
	(void)tree;
	return rust_binary(e, ocifs_emit_file(e), ocifs_emit_bytes(e));
}

/* Every later name of a hard-linked binary, as cat_gomod does. */
static int rust_finish(struct ocifs_model *m, void *state, struct ocifs_emit *e)
{
	int rc = 0;

	(void)state;
	for (size_t i = 0; i < m->nfiles && !rc; i++)
		if (m->files[i].primary)
			rc = rust_binary(e, &m->files[i], ocifs_model_bytes(m, &m->files[i]));
	return rc;
}

const struct ocifs_cataloger ocifs_cat_rust = {
	.name = "rust",
	.pass = 1,
	.want = 0,
	.match = rust_match,
	.analyze = rust_analyze,
	.finish = rust_finish,
};
