/* SPDX-License-Identifier: MIT */
/*
 * SQLite databases of the image, from memory (sqlitedb.h): the one file
 * of scan/ that includes <sqlite3.h>. The bytes are copied into a buffer
 * SQLite owns and deserialized into an in-memory connection opened
 * read-only, with extension loading off, the schema untrusted (no SQL
 * functions from views or triggers), defensive mode on and a progress
 * handler that stops a statement after a fixed amount of work: a
 * hostile file costs bounded time and the memory of its copy.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "sqlitedb.h"

#define SQLDB_PROGRESS_OPS 1000         /* VM steps between progress calls */
#define SQLDB_MAX_CALLS 20000u          /* 20M steps: about a second, ~1M rows */
#define SQLDB_ERR_CAP 256

struct budget {
	unsigned calls;
};

static int sqldb_progress(void *ctx)
{
	struct budget *b = ctx;

	return ++b->calls > SQLDB_MAX_CALLS;
}

static int __attribute__((format(printf, 2, 3))) sqldb_err(char **error, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ocifs_scan_verror(error, 0, SQLDB_ERR_CAP, fmt, ap);
	va_end(ap);
	return rc;
}

/* The connection over a copy of buf: 0 and *out, or -ENOMEM / a
 * recorded reason (0 and *out NULL). */
static int sqldb_open(const unsigned char *buf, size_t len, sqlite3 **out, char **error)
{
	unsigned char *copy;
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	if (len < 100 || memcmp(buf, "SQLite format 3", 16))
		return sqldb_err(error, "not a SQLite database");
	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return rc == SQLITE_NOMEM ? -ENOMEM : sqldb_err(error, "sqlite: %s", sqlite3_errstr(rc));
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
#endif
	if (!(copy = sqlite3_malloc64(len))) {
		sqlite3_close(db);
		return -ENOMEM;
	}
	memcpy(copy, buf, len);
	/* bytes 18 and 19 = 2: WAL mode, which an in-memory database cannot
	 * open; the checkpointed pages are all there is without the -wal
	 * file, so read them as a rollback-journal database */
	if (copy[18] == 2 || copy[19] == 2)
		copy[18] = copy[19] = 1;
	rc = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				 SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return rc == SQLITE_NOMEM ? -ENOMEM : sqldb_err(error, "sqlite: %s", sqlite3_errstr(rc));
	}
	*out = db;
	return 0;
}

int ocifs_sqlitedb_blobs(const unsigned char *buf, size_t len, const char *query,
			 int (*cb)(void *ctx, const unsigned char *p, size_t n), void *ctx,
			 char **error)
{
	struct budget b = { 0 };
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int rc;

	if ((rc = sqldb_open(buf, len, &db, error)) || !db)
		return rc;
	sqlite3_progress_handler(db, SQLDB_PROGRESS_OPS, sqldb_progress, &b);
	rc = sqlite3_prepare_v2(db, query, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = rc == SQLITE_NOMEM ? -ENOMEM : sqldb_err(error, "sqlite: %s", sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);
		if (!p && sqlite3_errcode(db) == SQLITE_NOMEM) {
			rc = -ENOMEM;
			goto out;
		}
		if ((rc = cb(ctx, p, p && n > 0 ? (size_t)n : 0)))
			goto out;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc == SQLITE_NOMEM)
		rc = -ENOMEM;
	else if (rc == SQLITE_INTERRUPT)
		rc = sqldb_err(error, "sqlite: work budget spent, rows left unread");
	else
		rc = sqldb_err(error, "sqlite: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
