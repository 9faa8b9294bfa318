/* SPDX-License-Identifier: MIT */
/*
 * The Ruby gem cataloger (pass 1, the whole file up to a bound): each
 * installed gem's specifications/NAME-VERSION.gemspec as a component of
 * purl type "gem" (pkg:gem/NAME@VERSION, as Trivy and Syft write it),
 * its licenses and runtime dependencies, in the file's layer. Parsing
 * is scan/gemspec.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "gemspec.h"
#include "pkgemit.h"

#define GEMSPEC_MAX (1u << 20)  /* bytes of a gemspec read (they have a few KB) */

static int gem_match(const char *path, uint32_t magic)
{
	size_t n = strlen(path);

	(void)magic;
	return n > 8 && !strcmp(path + n - 8, ".gemspec") && strstr(path, "/specifications/");
}

static int gem_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		       struct ocifs_emit *e)
{
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	struct ocifs_pkglist l = { 0 };
	struct ocifs_pkgrec *r;
	const char *buf, *why = NULL;
	char *owned, *reason = NULL;
	size_t len;
	int cut, rc;

	(void)tree;
	if ((rc = ocifs_pkg_read(rd, f->size, GEMSPEC_MAX, &buf, &len, &owned, &cut)))
		return rc;
	if (!(r = ocifs_pkglist_add(&l)))
		rc = -ENOMEM;
	else
		rc = ocifs_gemspec_parse(buf, len, r, &why);
	free(owned);
	if (!rc && cut && !why)
		why = "file read up to its 1 MiB bound";
	if (!rc && why && !(reason = ocifs_pkg_reason("gem", why)))
		rc = -ENOMEM;
	if (!rc)
		rc = ocifs_pkg_emit(e, "gem", r, f, NULL, reason);
	if (!rc && reason)
		ocifs_emit_error(e, reason, -EBADMSG);
	free(reason);
	ocifs_pkglist_fini(&l);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_gem = {
	.name = "gem",
	.pass = 1,
	.want = GEMSPEC_MAX,
	.match = gem_match,
	.analyze = gem_analyze,
};
