/* SPDX-License-Identifier: MIT */
/*
 * rpm's package databases, the three backends Trivy and Syft read: the
 * SQLite rpmdb.sqlite (rpm >= 4.16, Fedora 33+, RHEL 9, CBL-Mariner),
 * the Berkeley DB hash Packages (RHEL/CentOS <= 8: rpm_bdb.c) and the
 * NDB Packages.db (SUSE: rpm_ndb.c). Each hands every package header
 * blob it stores to a callback (rpmhdr.h parses them). Pure: bytes in
 * memory, no locks, no writes; bounded by the file (every page or
 * block offset checked, chains cut at the page count); bad structure
 * is recorded in *error (rd.h's rule: malloc'd, the first reason),
 * after the blobs that could be read.
 */
#ifndef OCIFS_SCAN_RPMDB_H
#define OCIFS_SCAN_RPMDB_H
#include <stddef.h>

enum ocifs_rpmdb_kind {
	OCIFS_RPMDB_UNKNOWN = 0,
	OCIFS_RPMDB_SQLITE,
	OCIFS_RPMDB_BDB,
	OCIFS_RPMDB_NDB,
};

/* cb(ctx, blob, len) once per stored header; a non-zero return stops
 * the walk and is returned. */
typedef int (*ocifs_rpmdb_cb)(void *ctx, const unsigned char *blob, size_t len);

/** The backend buf[0..len) is, by its magic (not its name). */
enum ocifs_rpmdb_kind ocifs_rpmdb_kind(const unsigned char *buf, size_t len);

/** "sqlite", "bdb", "ndb" or "unknown". */
const char *ocifs_rpmdb_kind_name(enum ocifs_rpmdb_kind k);

/** Every header blob of the database buf[0..len), whichever backend
 *  it is: 0 (with *error when it is none of them or is damaged), a
 *  non-zero cb return, or -ENOMEM. */
int ocifs_rpmdb_each(const unsigned char *buf, size_t len, ocifs_rpmdb_cb cb, void *ctx,
		     char **error);

/** The same for one backend (rpm_bdb.c, rpm_ndb.c). */
/** Record a backend's first reason in *error (scan/rd.h rule, 256 bytes). */
int ocifs_rpmdb_err(char **error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int ocifs_rpm_bdb_each(const unsigned char *buf, size_t len, ocifs_rpmdb_cb cb, void *ctx,
		       char **error);
int ocifs_rpm_ndb_each(const unsigned char *buf, size_t len, ocifs_rpmdb_cb cb, void *ctx,
		       char **error);

#endif
