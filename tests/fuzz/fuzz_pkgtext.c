/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the package manifest parsers of the SBOM's apk, Python,
 * gem, Composer and .NET catalogers (scan/apk.c, pymeta.c, gemspec.c,
 * pkgjson.c over pkgtext.c), every one over the same input (one file:
 * an apk database, a METADATA, a RECORD, a gemspec, a JSON manifest).
 * Whatever the bytes, every string they return is valid UTF-8 without
 * NUL (what the JSON writers need), every path is "/"-rooted, and the
 * lists stay within their bounds.
 */
#include "fuzz.h"

#include "apk.h"
#include "gemspec.h"
#include "pkgjson.h"
#include "pymeta.h"

static void text(const char *s)
{
	if (s)
		FZ_ASSERT(ocifs_pkg_utf8(s, strlen(s)));
}

static void strv(const struct ocifs_strv *l, int paths, size_t max)
{
	FZ_ASSERT(l->n <= max);
	for (size_t i = 0; i < l->n; i++) {
		text(l->v[i]);
		if (paths)
			FZ_ASSERT(l->v[i][0] == '/');
	}
}

static void rec(const struct ocifs_pkgrec *r)
{
	text(r->namespace_);
	text(r->name);
	text(r->version);
	text(r->extra);
	strv(&r->licenses, 0, SIZE_MAX);
	strv(&r->depends, 0, SIZE_MAX);
	strv(&r->files, 1, SIZE_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct ocifs_apk_db db = { 0 };
	struct ocifs_pymeta m = { 0 };
	struct ocifs_pkglist l = { 0 };
	struct ocifs_strv files = { 0 };
	const char *why;
	size_t bad = 0;
	int bt = 0;

	for (unsigned flags = 0; flags < 2; flags++) {
		if (ocifs_apk_parse(buf, size, flags ? OCIFS_APK_NAMES_ONLY : 0, &db) == 0) {
			FZ_ASSERT(db.npkgs <= OCIFS_APK_MAX_PKGS);
			for (size_t i = 0; i < db.npkgs; i++) {
				const struct ocifs_apk_pkg *p = &db.pkgs[i];
				FZ_ASSERT(p->name && *p->name);
				text(p->name);
				text(p->version);
				text(p->arch);
				text(p->origin);
				text(p->license);
				strv(&p->depends, 0, OCIFS_APK_MAX_LIST);
				strv(&p->provides, 0, OCIFS_APK_MAX_LIST);
				strv(&p->files, 1, OCIFS_APK_MAX_FILES);
			}
		}
		ocifs_apk_db_fini(&db);
	}

	if (ocifs_pymeta_parse(buf, size, &m) == 0) {
		text(m.name);
		text(m.version);
		strv(&m.licenses, 0, OCIFS_PY_MAX_LIST + 1);
		strv(&m.requires, 0, OCIFS_PY_MAX_LIST);
		if (m.name) {
			char *pn = ocifs_py_purl_name(m.name);
			text(pn);
			free(pn);
		}
	}
	ocifs_pymeta_fini(&m);
	for (int k = OCIFS_PY_RECORD; k <= OCIFS_PY_REQUIRES; k++) {
		if (ocifs_py_list_parse((enum ocifs_py_list)k, buf, size, "/usr/lib/python3/x",
					&files, &bad, &bt) == 0)
			strv(&files, k != OCIFS_PY_REQUIRES, OCIFS_PY_MAX_FILES);
		ocifs_strv_fini(&files);
	}

	struct ocifs_pkgrec *r = ocifs_pkglist_add(&l);
	if (r && ocifs_gemspec_parse(buf, size, r, &why) == 0)
		rec(r);
	ocifs_pkglist_fini(&l);
	if (ocifs_composer_parse(buf, size, &l) == 0) {
		FZ_ASSERT(l.n <= OCIFS_PKGJSON_MAX_PKGS);
		for (size_t i = 0; i < l.n; i++)
			rec(&l.v[i]);
	}
	ocifs_pkglist_fini(&l);
	if (ocifs_dotnet_parse(buf, size, &l) == 0)
		for (size_t i = 0; i < l.n; i++)
			rec(&l.v[i]);
	ocifs_pkglist_fini(&l);
	return 0;
}
