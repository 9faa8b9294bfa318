/* SPDX-License-Identifier: MIT */
/*
 * The apk cataloger (pass 1, the whole database): every package of
 * Alpine's (and Wolfi's, Chainguard's) /lib/apk/db/installed as a
 * component of purl type "apk" -- name, version, qualifiers arch= and
 * upstream= (the origin, when it differs from the name, as Syft writes
 * it; sbom.c adds the namespace and distro= from os-release), license,
 * depends/provides names, the files it installed -- attributed to the
 * layer that brought its current version through each layer's own copy
 * of the database (attrib.h). Parsing is scan/apk.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apk.h"
#include "attrib.h"
#include "catalog.h"

#define APK_DB_MAX (64u << 20)  /* bytes of a database read (a big one has ~5 MB) */

static int apk_match(const char *path, uint32_t magic)
{
	(void)magic;
	return !strcmp(path, "/lib/apk/db/installed") || !strcmp(path, "/usr/lib/apk/db/installed");
}

/* Feed one layer's copy of the database to the attribution. */
static int apk_layer(void *ctx, uint32_t layer, const char *buf, size_t len)
{
	struct ocifs_attrib *a = ctx;
	struct ocifs_apk_db db = { 0 };
	int rc;

	if (!buf)
		return 0; /* too big or unreadable: explains nothing */
	if ((rc = ocifs_apk_parse(buf, len, OCIFS_APK_NAMES_ONLY, &db)) == 0) {
		ocifs_attrib_layer(a, layer);
		for (size_t i = 0; i < db.npkgs && !rc; i++)
			rc = ocifs_attrib_add(a, db.pkgs[i].name, db.pkgs[i].version);
	}
	ocifs_apk_db_fini(&db);
	return rc;
}

struct props {
	struct ocifs_prop v[8];
	size_t n;
};

static void prop(struct props *p, const char *name, const char *value)
{
	if (value && *value)
		p->v[p->n++] = (struct ocifs_prop){ (char *)name, (char *)value };
}

static int emit_pkg(struct ocifs_emit *e, const char *path, const struct ocifs_apk_pkg *p,
		    uint32_t layer)
{
	char *quals = NULL, *lic[1] = { p->license };
	struct props pr = { .n = 0 };
	size_t ql = 0;
	int rc;

	/* arch=A&upstream=O */
	if (p->arch)
		ql += strlen("arch=") + strlen(p->arch) + 1;
	int up = p->origin && *p->origin && strcmp(p->origin, p->name);
	if (up)
		ql += strlen("upstream=") + strlen(p->origin) + 1;
	if (ql) {
		if (!(quals = malloc(ql + 1)))
			return -ENOMEM;
		quals[0] = '\0';
		if (p->arch) {
			strcat(quals, "arch=");
			strcat(quals, p->arch);
		}
		if (up) {
			if (p->arch)
				strcat(quals, "&");
			strcat(quals, "upstream=");
			strcat(quals, p->origin);
		}
	}
	prop(&pr, "ocifs:apk:origin", p->origin);
	prop(&pr, "ocifs:apk:maintainer", p->maintainer);
	prop(&pr, "ocifs:apk:commit", p->commit);
	prop(&pr, "ocifs:apk:build_time", p->build_time);
	prop(&pr, "ocifs:apk:installed_size", p->installed_size);
	if (!p->version)
		prop(&pr, "ocifs:error", "apk: the entry has no version (V:)");
	else if (p->bad_text)
		prop(&pr, "ocifs:error", "apk: bytes that are not UTF-8 (escaped as \\ooo)");
	else if (p->cut)
		prop(&pr, "ocifs:error", "apk: a list of the entry was cut at its bound");

	struct ocifs_component c = {
		.type = "apk",
		.name = p->name,
		.version = p->version,
		.qualifiers = quals,
		.kind = "library",
		.layer = layer,
		.source = (char *)path,
		.files = p->files.v,
		.nfiles = p->files.n,
		.licenses = lic,
		.nlicenses = p->license && *p->license ? 1 : 0,
		.depends = p->depends.v,
		.ndepends = p->depends.n,
		.provides = p->provides.v,
		.nprovides = p->provides.n,
		.props = pr.v,
		.nprops = pr.n,
	};
	rc = ocifs_emit_component(e, &c);
	free(quals);
	return rc;
}

static int apk_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		       struct ocifs_emit *e)
{
	const struct ocifs_catalog_env *env = ocifs_emit_env(e);
	struct ocifs_mfile *f = ocifs_emit_file(e);
	struct ocifs_apk_db db = { 0 };
	struct ocifs_attrib *a = NULL;
	const char *buf;
	char *owned;
	size_t len;
	int cut, rc;

	(void)tree;
	if ((rc = ocifs_pkg_read(rd, f->size, APK_DB_MAX, &buf, &len, &owned, &cut)))
		return rc;
	if ((rc = ocifs_apk_parse(buf, len, 0, &db)))
		goto out;
	if (env && env->layer_versions && (rc = ocifs_attrib_new(&a)) == 0) {
		rc = env->layer_versions(env->layer_ctx, f->path, APK_DB_MAX, apk_layer, a);
		if (rc == -ENOMEM)
			goto out;
		rc = 0;
	}
	if (rc)
		goto out;
	for (size_t i = 0; i < db.npkgs && !rc; i++) {
		const struct ocifs_apk_pkg *p = &db.pkgs[i];
		rc = emit_pkg(e, f->path, p, ocifs_attrib_layer_of(a, p->name, p->version, f->layer));
	}
	if (!rc && cut)
		ocifs_emit_error(e, "apk: database read up to its 64 MiB bound", -EFBIG);
	else if (!rc && (db.bad_lines || db.nameless || db.cut))
		ocifs_emit_error(e, "apk: lines that are no entry field, entries without a name, "
				 "or entries past a bound were skipped", -EBADMSG);
out:
	ocifs_apk_db_fini(&db);
	ocifs_attrib_free(a);
	free(owned);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_apk = {
	.name = "apk",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = apk_match,
	.analyze = apk_analyze,
};
