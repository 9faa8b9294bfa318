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

/** A malloc'd "<eco>: <why>" for a parser's error, NULL if none or ENOMEM. */
char *ocifs_pkg_reason(const char *eco, const char *why);

#endif
