/* SPDX-License-Identifier: MIT */
/*
 * Shared by idxdb.c (storage: writing and reading rows) and idxdb_check.c
 * (what makes a file safe to query, and the checks of what it holds).
 * Only these two include <sqlite3.h>.
 */
#ifndef OCIFS_SRC_IDXDB_PRIV_H
#define OCIFS_SRC_IDXDB_PRIV_H
#include <sqlite3.h>

#include "idxdb.h"

struct ocifs_idxdb {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *ins_entry, *ins_xattr; /* writer */
	sqlite3_stmt *q_lookup, *q_list, *q_xattr; /* reader, prepared lazily */
	int64_t next_id;
	uint64_t usize;         /* uncompressed layer size; 0 = not known yet */
	int foreign;            /* from outside: errors kept in why, not logged */
	uint64_t budget;        /* foreign: progress-handler calls left */
	char why[160];          /* foreign: the first error */
};

#define ENTRY_COLS "id, dir, name, type, mode, uid, gid, mtime_ns, size, hdr_off," \
	" data_off, data_len, rdev, link, uname, gname, flags, sha256, sparse"

/* The schema: tables made by ocifs_idxdb_create, indexes by _finish. */
extern const char idxdb_schema_sql[], idxdb_index_sql[];

/** Log (or, foreign, keep) SQLite's error for what; -errno. */
int idxdb_err(struct ocifs_idxdb *d, const char *what);
const char *idxdb_col_text(sqlite3_stmt *st, int i);

/** Right after sqlite3_open_v2, before any query: defensive settings and
 *  limits; with foreign, a bound on VM steps proportional to the file's
 *  size and its page count checked against its size. 0, or -ESTALE with
 *  why[cap] set. */
int idxdb_harden(struct ocifs_idxdb *d, int foreign, char *why, size_t cap);
/** Compare sqlite_master with what ocifs itself creates. 0, -ESTALE with
 *  the first difference in why[cap], or -ENOMEM. */
int idxdb_schema_check(struct ocifs_idxdb *d, char *why, size_t cap);

#endif
