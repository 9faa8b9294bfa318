/* SPDX-License-Identifier: MIT */
/*
 * dpkg's databases as bytes: the control-file stanzas of
 * var/lib/dpkg/status (and of distroless var/lib/dpkg/status.d/ files),
 * the file lists info/PKG.list and *.md5sums, and the licenses a
 * machine-readable (DEP-5) usr/share/doc/PKG/copyright declares.
 *
 * Pure: bytes in, records out; no tree, no emit, never logs (scan/rd.h).
 * Bad input is never a failure of the call: what could be read is
 * returned, with one human-readable `error` saying what was skipped or
 * cut. Every size and count is capped, so hostile input costs bounded
 * memory and linear time.
 */
#ifndef OCIFS_SCAN_DPKG_H
#define OCIFS_SCAN_DPKG_H
#include <stddef.h>

/* flags of ocifs_dpkg_parse */
#define OCIFS_DPKG_NOSTATUS_INSTALLED 1u /* a stanza without Status is
					  * installed (status.d: distroless
					  * writes no dpkg state machine);
					  * dpkg itself reads it as
					  * not-installed */

/* One package stanza. */
struct ocifs_dpkg_pkg {
	char *name;             /* Package */
	char *version;          /* Version as written ("1:2.3-4"), or NULL */
	char *arch;             /* Architecture, or NULL */
	char *source;           /* Source's package name, or NULL if absent */
	char *source_version;   /* the "(version)" of Source, or NULL */
	char *maintainer;       /* or NULL */
	char *status;           /* the Status field as written, or NULL */
	char *sha256;           /* the SHA256 field (of the .deb: the
				 * available file has it), or NULL */
	int installed;          /* listed by `dpkg-query -W` and present: its
				 * status is not not-installed nor
				 * config-files (see ocifs_dpkg_installed) */
	char **depends;         /* Pre-Depends then Depends: one entry per
				 * comma-separated item, alternatives kept
				 * as "a | b", version constraints, arch
				 * qualifiers ":any" and [arch]/<profile>
				 * restrictions stripped, duplicates dropped */
	size_t ndepends;
	char **provides;        /* Provides, stripped the same way */
	size_t nprovides;
	char *error;            /* what was wrong with this stanza, or NULL */
};

struct ocifs_dpkg_db {
	struct ocifs_dpkg_pkg *pkgs; /* in file order; stanzas without a
				      * Package field are skipped */
	size_t n;
	char *error;            /* the first problem of the file, or NULL */
};

/** Parse the stanzas of buf[0..len) (no NUL needed) into *db, which
 *  need not be initialised (free it with ocifs_dpkg_db_fini whatever
 *  the result). 0 or -ENOMEM. */
int ocifs_dpkg_parse(const char *buf, size_t len, unsigned flags, struct ocifs_dpkg_db *db);
void ocifs_dpkg_db_fini(struct ocifs_dpkg_db *db);

/** Whether a Status value means the package is on disk as
 *  `dpkg-query -W` lists it, config-files excepted (only conffiles are
 *  left of such a package): its third word (the state) is one of
 *  installed, half-installed, unpacked, half-configured,
 *  triggers-awaited, triggers-pending. NULL is not installed. */
int ocifs_dpkg_installed(const char *status);

/** The epoch of a Debian version: the digits before the first ':'
 *  (*epoch pointed at them, *elen their length, 0 when there is no
 *  epoch) and the version without it, as the return value (a pointer
 *  into v). */
const char *ocifs_dpkg_split_epoch(const char *v, const char **epoch, size_t *elen);

/* A list of paths (a .list or .md5sums file). */
struct ocifs_dpkg_files {
	char **paths;           /* "/"-rooted, in file order ("/." dropped) */
	size_t n;
	char *error;            /* what was cut or skipped, or NULL */
};

/** info/PKG.list: one path per line. 0 or -ENOMEM; *out need not be
 *  initialised (ocifs_dpkg_files_fini frees it). */
int ocifs_dpkg_parse_list(const char *buf, size_t len, struct ocifs_dpkg_files *out);
/** PKG.md5sums: "<32 hex>  path" per line, path relative to the root.
 *  As ocifs_dpkg_parse_list. */
int ocifs_dpkg_parse_md5sums(const char *buf, size_t len, struct ocifs_dpkg_files *out);
void ocifs_dpkg_files_fini(struct ocifs_dpkg_files *f);

/** The licenses of a copyright file: for a machine-readable one (its
 *  first stanza has a Format field) the synopsis of every License field,
 *  split at " or ", " and " and ",", each mapped to its SPDX id where
 *  Debian's short name has one ("GPL-2+" -> "GPL-2.0-or-later", "Expat"
 *  -> "MIT"), else kept as written; for any other file the licenses it
 *  names under /usr/share/common-licenses/ (as Trivy reads them).
 *  Duplicates dropped, in order of appearance. 0 and *lic (NULL when
 *  none; free each and the array), or -ENOMEM. */
int ocifs_dpkg_copyright(const char *buf, size_t len, char ***lic, size_t *nlic);

/** The SPDX id of a license short name as Debian writes it ("GPL-2+",
 *  "BSD-3-clause", "Expat", case-insensitive), or NULL. */
const char *ocifs_dpkg_spdx(const char *name, size_t len);

#endif
