/* SPDX-License-Identifier: MIT */
/* A manifest record emitted as a component (pkgemit.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgemit.h"

int ocifs_pkg_emit(struct ocifs_emit *e, const char *type, const struct ocifs_pkgrec *r,
		   const struct ocifs_mfile *source, const char *extra_prop, const char *error)
{
	struct ocifs_prop props[2];
	size_t np = 0;

	if (!r->name || !*r->name)
		return 0;
	if (extra_prop && r->extra)
		props[np++] = (struct ocifs_prop){ (char *)extra_prop, r->extra };
	if (!error && r->bad_text)
		error = "bytes that are not UTF-8 (escaped as \\ooo)";
	if (!error && !r->version)
		error = "no version";
	if (error)
		props[np++] = (struct ocifs_prop){ "ocifs:error", (char *)error };
	/* "vendor/name" as a provided name, so that the dependencies of a
	 * namespaced ecosystem (composer's require keys) resolve by it */
	char *full = NULL;
	if (r->namespace_ && asprintf(&full, "%s/%s", r->namespace_, r->name) < 0)
		return -ENOMEM;
	struct ocifs_component c = {
		.type = (char *)type,
		.namespace_ = r->namespace_,
		.name = r->name,
		.version = r->version,
		.kind = "library",
		.layer = source->layer,
		.source = source->path,
		.files = r->files.v,
		.nfiles = r->files.n,
		.licenses = r->licenses.v,
		.nlicenses = r->licenses.n,
		.depends = r->depends.v,
		.ndepends = r->depends.n,
		.provides = full ? &full : NULL,
		.nprovides = full ? 1 : 0,
		.props = props,
		.nprops = np,
	};
	int rc = ocifs_emit_component(e, &c);

	free(full);
	return rc;
}

char *ocifs_pkg_reason(const char *eco, const char *why)
{
	char *s;

	if (!why)
		return NULL;
	return asprintf(&s, "%s: %s", eco, why) < 0 ? NULL : s;
}

int ocifs_pkg_analyze_list(const struct ocifs_rd *rd, struct ocifs_emit *e, size_t cap,
			   int (*parse)(const char *buf, size_t len, struct ocifs_pkglist *l),
			   const char *eco, const char *type, const char *extra_prop)
{
	const struct ocifs_mfile *f = ocifs_emit_file(e);
	struct ocifs_pkglist l = { 0 };
	char *owned, *why = NULL, bound[64];
	const char *buf;
	size_t len;
	int cut, rc;

	if ((rc = ocifs_pkg_read(rd, f->size, cap, &buf, &len, &owned, &cut)))
		return rc;
	rc = parse(buf, len, &l);
	free(owned);
	snprintf(bound, sizeof(bound), "file read up to its %zu MiB bound", cap >> 20);
	if (cut && !l.error)
		l.error = bound;
	if (!rc && l.error && !(why = ocifs_pkg_reason(eco, l.error)))
		rc = -ENOMEM;
	for (size_t i = 0; i < l.n && !rc; i++)
		rc = ocifs_pkg_emit(e, type, &l.v[i], f, extra_prop, why);
	if (!rc && why)
		ocifs_emit_error(e, why, -EBADMSG);
	free(why);
	ocifs_pkglist_fini(&l);
	return rc;
}
