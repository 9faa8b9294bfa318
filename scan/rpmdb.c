/* SPDX-License-Identifier: MIT */
/*
 * Which rpm database backend a file is, by its magic, and the walk of
 * its header blobs through that backend (rpmdb.h). The SQLite one is
 * `SELECT blob FROM Packages` through sqlitedb.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "bytes.h"
#include "rd.h"
#include "rpmdb.h"
#include "sqlitedb.h"

enum ocifs_rpmdb_kind ocifs_rpmdb_kind(const unsigned char *buf, size_t len)
{
	if (len >= 16 && !memcmp(buf, "SQLite format 3", 16))
		return OCIFS_RPMDB_SQLITE;
	if (len >= 4 && !memcmp(buf, "RpmP", 4))
		return OCIFS_RPMDB_NDB;
	if (len >= 16 && (ocifs_le32(buf + 12) == 0x061561u || ocifs_be32(buf + 12) == 0x061561u))
		return OCIFS_RPMDB_BDB;
	return OCIFS_RPMDB_UNKNOWN;
}

const char *ocifs_rpmdb_kind_name(enum ocifs_rpmdb_kind k)
{
	switch (k) {
	case OCIFS_RPMDB_SQLITE:
		return "sqlite";
	case OCIFS_RPMDB_BDB:
		return "bdb";
	case OCIFS_RPMDB_NDB:
		return "ndb";
	default:
		return "unknown";
	}
}

static int rpmdb_unknown(char **error)
{
	if (!*error && !(*error = strdup("not an rpm database (neither SQLite, Berkeley DB hash nor NDB)")))
		return -ENOMEM;
	return 0;
}

int ocifs_rpmdb_each(const unsigned char *buf, size_t len, ocifs_rpmdb_cb cb, void *ctx,
		     char **error)
{
	switch (ocifs_rpmdb_kind(buf, len)) {
	case OCIFS_RPMDB_SQLITE:
		return ocifs_sqlitedb_blobs(buf, len, "SELECT blob FROM Packages", cb, ctx, error);
	case OCIFS_RPMDB_BDB:
		return ocifs_rpm_bdb_each(buf, len, cb, ctx, error);
	case OCIFS_RPMDB_NDB:
		return ocifs_rpm_ndb_each(buf, len, cb, ctx, error);
	default:
		return rpmdb_unknown(error);
	}
}

int ocifs_rpmdb_err(char **error, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ocifs_scan_verror(error, 0, 256, fmt, ap);
	va_end(ap);
	return rc;
}
