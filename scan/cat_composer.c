/* SPDX-License-Identifier: MIT */
/*
 * The PHP Composer cataloger (pass 1, the whole file up to a bound):
 * every package of a vendor/composer/installed.json as a component of
 * purl type "composer" (pkg:composer/VENDOR/NAME@VERSION, as Trivy and
 * Syft write it), its licenses, the packages it requires (platform
 * packages left out), in the file's layer.
 * Parsing is scan/pkgjson.c's.
 */
#include <string.h>

#include "catalog.h"
#include "pkgemit.h"
#include "pkgjson.h"

#define COMPOSER_MAX (32u << 20)        /* bytes of an installed.json read */

static int composer_match(const char *path, uint32_t magic)
{
	static const char suf[] = "/vendor/composer/installed.json";
	size_t n = strlen(path);

	(void)magic;
	return n >= sizeof(suf) - 1 && !strcmp(path + n - (sizeof(suf) - 1), suf);
}

static int composer_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			    struct ocifs_emit *e)
{
	(void)tree;
	return ocifs_pkg_analyze_list(rd, e, COMPOSER_MAX, ocifs_composer_parse, "composer",
				      "composer", "ocifs:composer:dev");
}

const struct ocifs_cataloger ocifs_cat_composer = {
	.name = "composer",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = composer_match,
	.analyze = composer_analyze,
};
