/* SPDX-License-Identifier: MIT */
/*
 * A SQLite database of the image (rpm's rpmdb.sqlite), read from a
 * copy in memory: never a file or a VFS over the image, read-only, no
 * extension loading, no trusted schema, bounded work. scan/sqlitedb.c
 * is the one file of scan/ that includes <sqlite3.h> (catalog.h).
 */
#ifndef OCIFS_SCAN_SQLITEDB_H
#define OCIFS_SCAN_SQLITEDB_H
#include <stddef.h>

/** Run query (a constant SELECT of the caller's) over the database
 *  whose file bytes are buf[0..len) (copied; a WAL-mode header is read
 *  as a rollback-journal one, the -wal file is not there) and call
 *  cb(ctx, p, n) with the first column of each row as a blob (NULL
 *  and 0 when SQL NULL). 0 when every row was handed over, a non-zero
 *  cb return (which stops), -ENOMEM; a database that cannot be read
 *  (not SQLite, corrupt, no such table, the work budget spent) returns
 *  0 with *error (malloc'd) saying why, after the rows read so far. */
int ocifs_sqlitedb_blobs(const unsigned char *buf, size_t len, const char *query,
			 int (*cb)(void *ctx, const unsigned char *p, size_t n), void *ctx,
			 char **error);

#endif
