/* SPDX-License-Identifier: MIT */
/*
 * The operating system of an image, from os-release(5) (and the
 * distribution's own version file where it is more precise), and how
 * the package URLs of its packages are spelled: the purl namespace and
 * `distro=` qualifier Trivy writes for deb, apk and rpm packages
 * (namespace = the distribution family; distro = "family-version", for
 * apk the version alone).
 */
#ifndef OCIFS_SCAN_OSREL_H
#define OCIFS_SCAN_OSREL_H
#include <stddef.h>

struct ocifs_osrel {
	char *id, *id_like, *version_id, *codename, *pretty_name, *name;
	const char *family;     /* static: "debian", "redhat", "sles", ...,
				 * or id itself when unknown; NULL without id */
	char *version;          /* the family's version as Trivy reports it:
				 * /etc/debian_version, /etc/alpine-release
				 * when given, else VERSION_ID */
};

/** Parse an os-release file (KEY=value lines, values optionally in
 *  single or double quotes with backslash escapes) into *o (zeroed
 *  first); ver_file, if not NULL, is the distribution's version file
 *  (/etc/debian_version, /etc/alpine-release) whose first line, if it
 *  starts with a digit, refines the version. 0, -ENOMEM, -ENOENT (no
 *  ID). */
int ocifs_osrel_parse(const char *buf, size_t len, const char *ver_file,
		      struct ocifs_osrel *o);
void ocifs_osrel_fini(struct ocifs_osrel *o);

/** The purl namespace of purl_type ("deb", "apk", "rpm") packages of
 *  family (NULL when packages of that type don't belong to it). */
const char *ocifs_osrel_namespace(const char *family, const char *purl_type);

/** The `distro=` qualifier value: malloc'd, or NULL (-ENOMEM or no
 *  version). */
char *ocifs_osrel_distro(const char *family, const char *version, const char *purl_type);

#endif
