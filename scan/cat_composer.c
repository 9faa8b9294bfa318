/* SPDX-License-Identifier: MIT */
/*
 * The PHP Composer cataloger (pass 1, the whole file up to a bound):
 * every package of a vendor/composer/installed.json as a component of
 * purl type "composer" (pkg:composer/VENDOR/NAME@VERSION, as Trivy and
 * Syft write it), its licenses, the packages it requires (platform
 * packages left out), in the file's layer.
 * Parsing is scan/pkgjson.c's.
 */
#include <errno.h>
#include <stdlib.h>
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
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	struct ocifs_pkglist l = { 0 };
	char *owned, *why = NULL;
	const char *buf;
	size_t len;
	int cut, rc;

	(void)tree;
	if ((rc = ocifs_pkg_read(rd, f->size, COMPOSER_MAX, &buf, &len, &owned, &cut)))
		return rc;
	rc = ocifs_composer_parse(buf, len, &l);
	free(owned);
	if (cut && !l.error)
		l.error = "file read up to its 32 MiB bound";
	if (!rc && l.error && !(why = ocifs_pkg_reason("composer", l.error)))
		rc = -ENOMEM;
	for (size_t i = 0; i < l.n && !rc; i++)
		rc = ocifs_pkg_emit(e, "composer", &l.v[i], f, "ocifs:composer:dev", why);
	if (!rc && why)
		ocifs_emit_error(e, why, -EBADMSG);
	free(why);
	ocifs_pkglist_fini(&l);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_composer = {
	.name = "composer",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = composer_match,
	.analyze = composer_analyze,
};
