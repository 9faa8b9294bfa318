/* SPDX-License-Identifier: MIT */
/*
 * The language catalogers' common last step: one record of a manifest
 * parser (pkgtext.h's struct ocifs_pkgrec) emitted as a component of
 * purl type `type`, CycloneDX kind "library", found in file source
 * (its layer), with the parser's reason as an "ocifs:error" property.
 */
#ifndef OCIFS_SCAN_PKGEMIT_H
#define OCIFS_SCAN_PKGEMIT_H
#include "catalog.h"
#include "pkgtext.h"

/** Emit r. extra_prop names the property carrying r->extra (NULL: none);
 *  error is a reason to record on it (NULL: none; a non-UTF-8 value adds
 *  its own). 0 or -ENOMEM. */
int ocifs_pkg_emit(struct ocifs_emit *e, const char *type, const struct ocifs_pkgrec *r,
		   const struct ocifs_mfile *source, const char *extra_prop, const char *error);

/** A whole manifest file of many packages (composer's installed.json,
 *  .NET's deps.json): read rd (at most cap bytes), parse it with parse,
 *  emit every record as `type` (extra_prop as ocifs_pkg_emit), and
 *  record the parser's reason ("<eco>: ...") on the file and on each
 *  component. 0 or a negative errno. */
int ocifs_pkg_analyze_list(const struct ocifs_rd *rd, struct ocifs_emit *e, size_t cap,
			   int (*parse)(const char *buf, size_t len, struct ocifs_pkglist *l),
			   const char *eco, const char *type, const char *extra_prop);

/** A malloc'd "<eco>: <why>" for a parser's error, NULL if none or ENOMEM. */
char *ocifs_pkg_reason(const char *eco, const char *why);

#endif
