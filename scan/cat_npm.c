/* SPDX-License-Identifier: MIT */
/*
 * The npm cataloger (pass 1, at most 4 MiB of each file): every
 * installed package of the view, node_modules/NAME/package.json and
 * node_modules/@SCOPE/NAME/package.json at any depth (npm.h), becomes a
 * component pkg:npm/%40SCOPE/NAME@VERSION (namespace "@SCOPE", as Trivy
 * and Syft spell it), kind "library", its package.json's layer, its
 * licenses and its dependencies by name. A package.json that is valid
 * but names no package (no name or version: a test fixture laid out like
 * a package) gives nothing; a broken or oversized one gives the package
 * its directory names, without version, with "ocifs:error".
 *
 * A package.json outside every node_modules directory (an application's
 * own, a package a distribution installed under /usr/share/nodejs) is a
 * component too when it names a package and a version, as Trivy and
 * Syft report it, marked "ocifs:npm:root"; a broken one there is no
 * package (many tools keep JSON under that name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "npm.h"

#define NPM_READ_MAX (4u << 20) /* bytes of a package.json read */

static int npm_match(const char *path, uint32_t magic)
{
	(void)magic;
	return ocifs_npm_path(path, NULL) || ocifs_npm_root(path);
}

static int npm_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		       struct ocifs_emit *e)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);
	struct ocifs_npm_pkg p;
	char *buf = NULL, *dirname = NULL, *ns = NULL, *files[1] = { f->path };
	const char *at, *base;
	size_t got = 0;
	int rc;

	(void)tree;
	if (!ocifs_npm_path(f->path, &at)) {
		if (!ocifs_npm_root(f->path))
			return 0;
		at = NULL; /* a package only if it says so, whole */
	}
	/* rd holds all of a big file when another cataloger wants it whole */
	size_t want = rd->size < NPM_READ_MAX ? (size_t)rd->size : NPM_READ_MAX;
	if (!(buf = malloc(want + 1)))
		return -ENOMEM;
	if ((rc = ocifs_rd_upto(rd, buf, want, 0, &got))) {
		free(buf);
		return rc;
	}
	if ((rc = ocifs_npm_parse(buf, got, &p)))
		goto out;
	if (f->size > got) {
		free(p.error);
		p.error = NULL;
		if (asprintf(&p.error, "package.json is %llu bytes, more than the %u read",
			     (unsigned long long)f->size, NPM_READ_MAX) < 0) {
			p.error = NULL;
			rc = -ENOMEM;
			goto out;
		}
	}
	if (!at && (p.error || !p.name || !p.version))
		goto out; /* outside node_modules: maybe no package at all */
	if (!p.error && (!p.name || !p.version))
		goto out; /* not an installed package */
	if (!p.name) {
		/* the name its directory says: "NAME" or "@SCOPE/NAME" */
		if (!(dirname = strndup(at, strlen(at) - sizeof("/package.json") + 1))) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if ((rc = ocifs_npm_split(p.name ? p.name : dirname, &ns, &base)))
		goto out;
	struct ocifs_prop props[2], *pp = props;
	if (!at)
		*pp++ = (struct ocifs_prop){ "ocifs:npm:root", "true" };
	if (p.error)
		*pp++ = (struct ocifs_prop){ "ocifs:error", p.error };
	struct ocifs_component c = {
		.type = "npm",
		.namespace_ = ns,
		.name = (char *)base,
		.version = p.version,
		.kind = "library",
		.layer = f->layer,
		.source = f->path,
		.files = files,
		.nfiles = 1,
		.licenses = p.licenses,
		.nlicenses = p.nlicenses,
		.depends = p.depends,
		.ndepends = p.ndepends,
		.props = props,
		.nprops = (size_t)(pp - props),
	};
	rc = ocifs_emit_component(e, &c);
	if (p.error && !f->error && asprintf(&f->error, "npm: %s", p.error) < 0)
		f->error = NULL;
out:
	ocifs_npm_fini(&p);
	free(ns);
	free(dirname);
	free(buf);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_npm = {
	.name = "npm",
	.pass = 1,
	.want = NPM_READ_MAX,
	.match = npm_match,
	.analyze = npm_analyze,
};
