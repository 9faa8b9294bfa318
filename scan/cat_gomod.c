/* SPDX-License-Identifier: MIT */
/*
 * The Go module cataloger (pass 1, after the ELF cataloger, no bytes of
 * its own): the build info cat_elf read from each Go binary (also out of
 * a UPX-packed or stripped one) as components, the way Trivy's gobinary
 * parser reports them, so that Trivy reading our SBOM finds what it
 * finds in the image:
 *  - the main module ("application", the binary's file and sha256; its
 *    version: gover.h), depending on every module below and stdlib;
 *  - "stdlib" at the toolchain's version ("v1.22.3");
 *  - every `dep` module ("library"), a replaced one (`=>`) as its
 *    replacement, a "(devel)" version as none.
 * Purls pkg:golang/NAMESPACE/NAME@VERSION: the module path split at its
 * last '/' (the writer joins them again for the CycloneDX name); each
 * component provides its whole path, which the main module's depends
 * name (sbom.c prefers the candidate of the same binary). A Go
 * binary without build info gets stdlib alone when its toolchain
 * version is known (its own component is sbom.c's, as for any binary
 * no package owns). Each name of a hard-linked binary is reported (the
 * later ones from finish()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "gover.h"

#define GO_MAX_PROPS 64         /* build settings reported per binary */

struct props {
	struct ocifs_prop p[GO_MAX_PROPS + 8];
	char *owned[GO_MAX_PROPS + 8];  /* names we allocated */
	size_t n;
};

static void prop(struct props *ps, const char *name, const char *value, char *owned)
{
	if (!value || ps->n >= sizeof(ps->p) / sizeof(ps->p[0])) {
		free(owned);
		return;
	}
	ps->owned[ps->n] = owned;
	ps->p[ps->n].name = (char *)name;
	ps->p[ps->n++].value = (char *)value;
}

static void props_fini(struct props *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->owned[i]);
	ps->n = 0;
}

static int gomod_match(const char *path, uint32_t magic)
{
	(void)path;
	return (magic & OCIFS_EF_ELF) != 0;
}

/* The purl fields of module path: namespace up to the last '/' (into
 * buf), name after it. */
static void split_path(const char *path, char *buf, size_t cap, char **ns, const char **name)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	*ns = NULL;
	*name = path;
	if (!slash || n == 0 || n >= cap)
		return;
	memcpy(buf, path, n);
	buf[n] = '\0';
	*ns = buf;
	*name = slash + 1;
}

/* The component of a module (or stdlib); depends/files/props set by the
 * caller. */
static int emit_mod(struct ocifs_emit *e, const struct ocifs_mfile *f, const char *path,
		    const char *version, const char *kind, struct ocifs_component *c)
{
	char ns[4096];
	const char *name;

	split_path(path, ns, sizeof(ns), &c->namespace_, &name);
	c->provides = (char **)&path;   /* depends name modules by path */
	c->nprovides = 1;
	c->type = "golang";
	c->name = (char *)name;
	c->version = (char *)version;
	c->kind = (char *)kind;
	c->layer = f->layer;
	c->source = f->path;
	return ocifs_emit_component(e, c);
}

static const char *setting(const struct ocifs_goinfo *g, const char *key)
{
	for (size_t i = 0; i < g->nsettings; i++)
		if (g->settings[i].key && !strcmp(g->settings[i].key, key))
			return g->settings[i].value;
	return NULL;
}

/* The properties of the binary's main module. */
static void binary_props(struct props *ps, const struct ocifs_mfile *b, const struct ocifs_goinfo *g)
{
	const struct ocifs_elf *elf = b->unpacked ? &b->upx_elf : &b->elf;

	prop(ps, "ocifs:go:toolchain", g->version, NULL);
	prop(ps, "ocifs:go:package", g->path, NULL);
	prop(ps, "ocifs:go:buildinfo", g->how, NULL);
	if (b->unpacked)
		prop(ps, "ocifs:go:upx", "1", NULL);
	if (elf->stripped)
		prop(ps, "ocifs:go:stripped", "1", NULL);
	prop(ps, "ocifs:error", g->error, NULL);
	for (size_t i = 0; i < g->nsettings && i < GO_MAX_PROPS; i++) {
		char *name;
		if (!g->settings[i].key || !g->settings[i].value ||
		    asprintf(&name, "ocifs:go:setting:%s", g->settings[i].key) < 0)
			continue;
		prop(ps, name, g->settings[i].value, name);
	}
}

static int emit_stdlib(struct ocifs_emit *e, const struct ocifs_mfile *f, const char *goversion,
		       const char **stdlib_out)
{
	struct ocifs_component c = { 0 };
	char *v = ocifs_go_stdlib_version(goversion);
	int rc;

	*stdlib_out = NULL;
	if (!v)
		return goversion && *goversion ? -ENOMEM : 0;
	struct ocifs_prop tp = { "ocifs:go:toolchain", (char *)goversion };
	c.props = &tp;
	c.nprops = 1;
	rc = emit_mod(e, f, "stdlib", v, "library", &c);
	free(v);
	if (!rc)
		*stdlib_out = "stdlib";
	return rc;
}

static int emit_deps(struct ocifs_emit *e, const struct ocifs_mfile *f, const struct ocifs_goinfo *g,
		     char **names, size_t *nnames)
{
	for (size_t i = 0; i < g->ndeps; i++) {
		const struct ocifs_gomod *d = &g->deps[i];
		const char *path = d->path, *ver = d->version, *sum = d->sum;
		char *replaces = NULL;
		struct ocifs_prop pr[2];
		struct ocifs_component c = { 0 };
		int rc;

		if (!path || !*path)
			continue;       /* old Go: an empty dep line (Trivy skips it) */
		if (d->rep_path) {
			if (asprintf(&replaces, "%s@%s", path, ver ? ver : "") < 0)
				return -ENOMEM;
			path = d->rep_path;
			ver = d->rep_version;
			sum = d->rep_sum;
		}
		c.props = pr;
		if (sum && *sum)
			pr[c.nprops++] = (struct ocifs_prop){ "ocifs:go:sum", (char *)sum };
		if (replaces)
			pr[c.nprops++] = (struct ocifs_prop){ "ocifs:go:replaces", replaces };
		rc = emit_mod(e, f, path, ocifs_go_mod_version(ver), "library", &c);
		free(replaces);
		if (rc)
			return rc;
		names[(*nnames)++] = (char *)path;
	}
	return 0;
}

/* The components of binary f (its bytes analyzed in b). */
static int gomod_binary(struct ocifs_emit *e, const struct ocifs_mfile *f, const struct ocifs_mfile *b)
{
	const struct ocifs_goinfo *g;
	const char *stdlib = NULL;
	char **names = NULL;
	size_t nnames = 0;
	int rc;

	if (!f || !b || !b->is_elf || !b->go.is_go)
		return 0;
	g = &b->go;
	if ((rc = emit_stdlib(e, f, g->version, &stdlib)))
		return rc;
	if (!g->has_buildinfo)
		return 0;
	if (!(names = calloc(g->ndeps + 1, sizeof(*names))))
		return -ENOMEM;
	if (stdlib)
		names[nnames++] = (char *)stdlib;
	if ((rc = emit_deps(e, f, g, names, &nnames)) || !g->main.path || !*g->main.path) {
		free(names);
		return rc;
	}

	/* the main module: the binary */
	struct ocifs_component c = { 0 };
	struct props ps = { .n = 0 };
	char *file = f->path;
	char *ver = ocifs_go_main_version(g->main.path, g->main.version, setting(g, "-ldflags"));

	binary_props(&ps, b, g);
	c.props = ps.p;
	c.nprops = ps.n;
	c.files = &file;
	c.nfiles = 1;
	c.depends = names;
	c.ndepends = nnames;
	if ((f->magic | b->magic) & OCIFS_EF_HASHED) {
		memcpy(c.sha256, (f->magic & OCIFS_EF_HASHED ? f : b)->sha256, sizeof(c.sha256));
		c.has_sha256 = 1;
	}
	rc = emit_mod(e, f, g->main.path, ver, "application", &c);
	free(ver);
	props_fini(&ps);
	free(names);
	return rc;
}

static int gomod_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			 struct ocifs_emit *e)
{
	(void)rd;
	(void)tree;
	return gomod_binary(e, ocifs_emit_file(e), ocifs_emit_bytes(e));
}

/* Every later name of a hard-linked binary is a binary of its own (as
 * Trivy, which walks paths, reports it): analyze() saw the first. */
static int gomod_finish(struct ocifs_model *m, void *state, struct ocifs_emit *e)
{
	int rc = 0;

	(void)state;
	for (size_t i = 0; i < m->nfiles && !rc; i++)
		if (m->files[i].primary)
			rc = gomod_binary(e, &m->files[i], ocifs_model_bytes(m, &m->files[i]));
	return rc;
}

const struct ocifs_cataloger ocifs_cat_gomod = {
	.name = "gomod",
	.pass = 1,
	.want = 0,
	.match = gomod_match,
	.analyze = gomod_analyze,
	.finish = gomod_finish,
};
