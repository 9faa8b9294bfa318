/* SPDX-License-Identifier: MIT */
/*
 * The .NET cataloger (pass 1, the whole file up to a bound): every
 * library of type "package" in an application's *.deps.json as a
 * component of purl type "nuget" (pkg:nuget/NAME@VERSION, as Trivy and
 * Syft write it), with the packages it depends on and its sha512, in
 * the file's layer. Parsing is scan/pkgjson.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "pkgemit.h"
#include "pkgjson.h"

#define DOTNET_MAX (32u << 20)  /* bytes of a deps.json read */

static int dotnet_match(const char *path, uint32_t magic)
{
	size_t n = strlen(path);

	(void)magic;
	return n > 10 && !strcmp(path + n - 10, ".deps.json") && path[n - 11] != '/';
}

static int dotnet_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			  struct ocifs_emit *e)
{
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	struct ocifs_pkglist l = { 0 };
	char *owned, *why = NULL;
	const char *buf;
	size_t len;
	int cut, rc;

	(void)tree;
	if ((rc = ocifs_pkg_read(rd, f->size, DOTNET_MAX, &buf, &len, &owned, &cut)))
		return rc;
	rc = ocifs_dotnet_parse(buf, len, &l);
	free(owned);
	if (cut && !l.error)
		l.error = "file read up to its 32 MiB bound";
	if (!rc && l.error && !(why = ocifs_pkg_reason("dotnet", l.error)))
		rc = -ENOMEM;
	for (size_t i = 0; i < l.n && !rc; i++)
		rc = ocifs_pkg_emit(e, "nuget", &l.v[i], f, "ocifs:nuget:sha512", why);
	if (!rc && why)
		ocifs_emit_error(e, why, -EBADMSG);
	free(why);
	ocifs_pkglist_fini(&l);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_dotnet = {
	.name = "dotnet",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = dotnet_match,
	.analyze = dotnet_analyze,
};
