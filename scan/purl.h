/* SPDX-License-Identifier: MIT */
/*
 * Package URLs (https://github.com/package-url/purl-spec): the one
 * place a component's purl is spelled. Segments of the namespace, the
 * name, the version, qualifier values and subpath segments are
 * percent-encoded except for the unreserved characters and ':';
 * qualifiers are sorted by key, empty values dropped; a PyPI name is
 * lower-cased with "_" as "-" (the spec's rule, as Trivy writes it).
 */
#ifndef OCIFS_SCAN_PURL_H
#define OCIFS_SCAN_PURL_H

/** "pkg:TYPE/NS/NAME@VERSION?Q#SUB" from the unescaped parts (ns,
 *  version, qualifiers "k=v&k=v" and subpath may be NULL). malloc'd, or
 *  NULL when type or name is NULL/empty or on ENOMEM. */
char *ocifs_purl(const char *type, const char *ns, const char *name, const char *version,
		 const char *qualifiers, const char *subpath);

/** qualifiers ("k=v&k=v", may be NULL) with k=v added, replacing an
 *  existing k: malloc'd, or NULL on ENOMEM. */
char *ocifs_purl_qualifier_set(const char *qualifiers, const char *k, const char *v);

#endif
