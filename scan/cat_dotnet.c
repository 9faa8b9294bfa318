/* SPDX-License-Identifier: MIT */
/*
 * The .NET cataloger (pass 1, the whole file up to a bound): every
 * library of type "package" in an application's *.deps.json as a
 * component of purl type "nuget" (pkg:nuget/NAME@VERSION, as Trivy and
 * Syft write it), with the packages it depends on and its sha512, in
 * the file's layer. Parsing is scan/pkgjson.c's.
 */
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
	(void)tree;
	return ocifs_pkg_analyze_list(rd, e, DOTNET_MAX, ocifs_dotnet_parse, "dotnet", "nuget",
				      "ocifs:nuget:sha512");
}

const struct ocifs_cataloger ocifs_cat_dotnet = {
	.name = "dotnet",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = dotnet_match,
	.analyze = dotnet_analyze,
};
