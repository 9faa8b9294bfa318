/* SPDX-License-Identifier: MIT */
/*
 * What makes a layer index file safe to query, and the checks of what it
 * holds (idxdb.h). An index may come from outside (an index artifact,
 * idxart_pull.c) or be a cache file someone changed, so before any query
 * of its tables the connection gets SQLite's defensive settings (no
 * views, triggers, extensions or writable schema; functions in the schema
 * untrusted; tight limits on SQL length, expression depth, ...), and its
 * sqlite_master must be exactly what ocifs creates: the expected rows are
 * those of an empty in-memory index made from the same CREATE statements
 * (idxdb.c), so the two cannot drift. A file from outside is also bounded
 * in VM steps, in proportion to its size, so no query of it can run
 * forever. Then the rows: validate (tar layout) and diff (two indexes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idxdb_priv.h"
#include "log.h"

/* ---- defensive settings ---- */

/* Progress-handler granularity in VM instructions, and the budget of a
 * foreign file in calls: a floor for a tiny file plus one per
 * IDXDB_BYTES_PER_CALL of file. The pull's checks of a real index (Debian's
 * 2.9 MB) use 1/199 of it (test_idxdb_check with OCIFS_T_IDXDB=FILE).
 * PRAGMA quick_check is one VM instruction, not bounded here, but it is
 * linear in the file, whose size the pull bounds. */
#define IDXDB_STEP 1000
#define IDXDB_CALLS_FLOOR 20000u
#define IDXDB_BYTES_PER_CALL 16u

static int progress(void *ctx)
{
	struct ocifs_idxdb *d = ctx;

	if (!d->budget)
		return 1;
	d->budget--;
	return 0;
}

/* Our own SQL is at most ~1.5 KB, 10 deep, one UNION, 19 columns. */
static const struct {
	int id, val;
} limits[] = {
	{ SQLITE_LIMIT_LENGTH, 64 << 20 },      /* strings, blobs (sparse maps) */
	{ SQLITE_LIMIT_SQL_LENGTH, 16 << 10 },  /* also each schema entry */
	{ SQLITE_LIMIT_COLUMN, 64 },
	{ SQLITE_LIMIT_EXPR_DEPTH, 100 },
	{ SQLITE_LIMIT_COMPOUND_SELECT, 4 },
	{ SQLITE_LIMIT_VDBE_OP, 25000 },
	{ SQLITE_LIMIT_FUNCTION_ARG, 8 },
	{ SQLITE_LIMIT_ATTACHED, 0 },
	{ SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 64 },
	{ SQLITE_LIMIT_VARIABLE_NUMBER, 32 },
	{ SQLITE_LIMIT_TRIGGER_DEPTH, 1 },
	{ SQLITE_LIMIT_WORKER_THREADS, 0 },
};

int idxdb_harden(struct ocifs_idxdb *d, int foreign, char *why, size_t cap)
{
	static const int off[] = {
		SQLITE_DBCONFIG_TRUSTED_SCHEMA, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
		SQLITE_DBCONFIG_ENABLE_TRIGGER, SQLITE_DBCONFIG_ENABLE_VIEW,
		SQLITE_DBCONFIG_ENABLE_FKEY,
	};
	sqlite3_stmt *st = NULL;
	int64_t pages = -1, psize = -1;
	struct stat sb;
	int rc = 0;

	if (sqlite3_db_config(d->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK) {
		snprintf(why, cap, "cannot make its connection defensive");
		return -ESTALE;
	}
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (sqlite3_db_config(d->db, off[i], 0, NULL) != SQLITE_OK) {
			snprintf(why, cap, "cannot make its connection defensive (%d)", off[i]);
			return -ESTALE;
		}
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		sqlite3_limit(d->db, limits[i].id, limits[i].val);
	if (!foreign)
		return 0;
	/* A file made by ocifs (journal off, never grown after) is exactly
	 * its pages: a truncated file or a header claiming more is refused
	 * before SQLite reads past what there is. */
	if (stat(d->path, &sb) != 0) {
		snprintf(why, cap, "cannot stat it: %s", strerror(errno));
		return -ESTALE;
	}
	if (sqlite3_prepare_v2(d->db, "PRAGMA page_count", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, cap, "not a whole SQLite file: %s", sqlite3_errmsg(d->db));
		sqlite3_finalize(st);
		return -ESTALE;
	}
	pages = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(d->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		psize = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (pages <= 0 || psize <= 0 || pages * psize != (int64_t)sb.st_size) {
		snprintf(why, cap, "not a whole SQLite file (%lld pages of %lld bytes, %lld bytes)",
			 (long long)pages, (long long)psize, (long long)sb.st_size);
		return -ESTALE;
	}
	d->budget = IDXDB_CALLS_FLOOR + (uint64_t)sb.st_size / IDXDB_BYTES_PER_CALL;
	sqlite3_progress_handler(d->db, IDXDB_STEP, progress, d);
	return rc;
}

/* ---- sqlite_master against ocifs's own ---- */

#define SCHEMA_MAX 16

struct schema_row {
	char *col[4]; /* type, name, tbl_name, sql (NULL for none) */
};

static struct schema_row want[SCHEMA_MAX];
static size_t nwant;
static int want_rc = -ENOMEM;
static pthread_once_t want_once = PTHREAD_ONCE_INIT;

static const char master_sql[] =
	"SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name LIMIT 64";

/* The rows of an empty index made now from the same statements. */
static void want_init(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(db, idxdb_schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, idxdb_index_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, master_sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("the index schema does not build: %s", db ? sqlite3_errmsg(db) : "no memory");
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW && nwant < SCHEMA_MAX) {
		for (int c = 0; c < 4; c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			if (v && !(want[nwant].col[c] = strdup(v)))
				goto out;
		}
		nwant++;
	}
	want_rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int idxdb_schema_check(struct ocifs_idxdb *d, char *why, size_t cap)
{
	unsigned char seen[SCHEMA_MAX] = { 0 };
	sqlite3_stmt *st = NULL;
	int rc = 0, step = SQLITE_DONE;

	pthread_once(&want_once, want_init);
	if (want_rc)
		return want_rc;
	if (sqlite3_prepare_v2(d->db, master_sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(why, cap, "its schema does not load (%s)", sqlite3_errmsg(d->db));
		return -ESTALE;
	}
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = idxdb_col_text(st, 0), *name = idxdb_col_text(st, 1);
		size_t i = 0;
		while (i < nwant && !same(want[i].col[1], name))
			i++;
		if (i == nwant) {
			snprintf(why, cap, "an extra %s %.40s", type ? type : "entry",
				 name ? name : "");
			rc = -ESTALE;
			break;
		}
		for (int c = 0; c < 4; c++)
			if (c != 1 && !same(want[i].col[c], idxdb_col_text(st, c))) {
				snprintf(why, cap, "the %s %.40s is not defined as ocifs defines it",
					 type ? type : "entry", name);
				rc = -ESTALE;
				break;
			}
		seen[i] = 1;
	}
	if (!rc && step != SQLITE_DONE) {
		snprintf(why, cap, "its schema does not read (%s)", sqlite3_errmsg(d->db));
		rc = -ESTALE;
	}
	for (size_t i = 0; !rc && i < nwant; i++)
		if (!seen[i]) {
			snprintf(why, cap, "no %s %s", want[i].col[0], want[i].col[1]);
			rc = -ESTALE;
		}
	sqlite3_finalize(st);
	return rc;
}

/* ---- the rows ---- */

/* Rows that break the layout of a tar stream: headers and data 512-byte
 * aligned, each member's data after its header and inside the layer,
 * members in stream order without overlapping, a plain file's stored
 * length equal to its size, implicit directories last and empty; and
 * every one of those columns an integer (SQLite stores what a writer
 * gives it: a NULL or a text would pass comparisons it should fail).
 * One scan in rowid order, the checks in C: the same rules as one SQL
 * statement with a window function (lag() over the stream) cost ten
 * times as much, and every index from outside, and every cached index
 * the view is built from, is checked. */
static const char validate_sql[] =
	"SELECT id, type, flags, size, hdr_off, data_off, data_len FROM entries ORDER BY id";

/* What is wrong with the member in row (columns of validate_sql), given
 * where the previous one ends, or NULL. */
static const char *member_bad(const int64_t *c, int64_t prev_end, int64_t usize)
{
	int64_t type = c[1], flags = c[2], size = c[3], hdr = c[4], off = c[5], len = c[6], end;

	if (hdr % 512 || off % 512)
		return "offset not 512-aligned";
	if (len && (hdr > INT64_MAX - 512 || off < hdr + 512))
		return "data before its header";
	if (len < 0 || size < 0)
		return "negative size";
	if (__builtin_add_overflow(off, len, &end) || end > usize)
		return "data past the end of the layer";
	if (hdr < prev_end)
		return "overlaps the previous member";
	if (type == 48 && !(flags & OCIFS_EF_SPARSE) && len != size)
		return "size differs from data length";
	return NULL;
}

void ocifs_idxdb_set_usize(struct ocifs_idxdb *d, uint64_t usize)
{
	d->usize = usize;
}

int ocifs_idxdb_validate(struct ocifs_idxdb *d, uint64_t usize, unsigned flags)
{
	/* usize as the statement bound it: past INT64_MAX, nothing fits */
	int64_t lim = usize > INT64_MAX ? -1 : (int64_t)usize, prev_end = 0;
	int64_t bad_id = 0, first_implicit = 0, last_member = 0, odd_implicit = 0;
	int implicit = 0, odd = 0; /* seen: an implicit directory, one not empty */
	const char *bad = NULL;
	sqlite3_stmt *st;
	int rc = 0, step = SQLITE_DONE;

	if (sqlite3_prepare_v2(d->db, validate_sql, -1, &st, NULL) != SQLITE_OK)
		return idxdb_err(d, "prepare");
	while (!bad && (step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t c[7];
		for (int i = 0; i < 7; i++) {
			if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
				bad = "a column that is not an integer";
				break;
			}
			c[i] = sqlite3_column_int64(st, i);
		}
		bad_id = sqlite3_column_int64(st, 0);
		if (bad)
			break;
		if (c[2] & OCIFS_EF_IMPLICIT) { /* out of the stream: checked below */
			if (!implicit++)
				first_implicit = c[0];
			if (!odd && (c[1] != 53 || c[6] != 0)) {
				odd = 1;
				odd_implicit = c[0];
			}
			continue;
		}
		if ((bad = member_bad(c, prev_end, lim)) != NULL)
			break;
		/* its end rounded up to a block (saturated: lim may be huge) */
		if (__builtin_add_overflow(c[5] + c[6], (512 - c[6] % 512) % 512, &prev_end))
			prev_end = INT64_MAX;
		last_member = c[0];
	}
	if (!bad && step == SQLITE_DONE) {
		/* the first implicit directory before the last member (then
		 * the first of them is), else the first one not empty */
		if (implicit && first_implicit < last_member)
			bad_id = first_implicit;
		else
			bad_id = odd_implicit;
		if ((implicit && first_implicit < last_member) || odd)
			bad = "implicit directory out of place";
	}
	if (bad) {
		if (d->foreign)
			snprintf(d->why, sizeof(d->why), "entry %lld: %s", (long long)bad_id, bad);
		else if (!(flags & OCIFS_IDXDB_QUIET))
			log_warn("cache %s is inconsistent (entry %lld: %s); rebuilding it", d->path,
				 (long long)bad_id, bad);
		rc = -ESTALE;
	} else if (step != SQLITE_DONE) {
		rc = idxdb_err(d, "validate");
	}
	sqlite3_finalize(st);
	if (!rc)
		d->usize = usize;
	return rc;
}

/* What ocifs_idxdb_diff() compares, row by row in a fixed order. */
static const char *const diff_sql[] = {
	"SELECT " ENTRY_COLS " FROM entries ORDER BY id",
	"SELECT entry, key, value FROM xattrs ORDER BY entry, rowid",
	"SELECT seq, coff, uoff, bits, flags, window FROM ckpts ORDER BY seq",
	"SELECT key, value FROM meta WHERE key <> 'ocifs_version' ORDER BY key",
};
static const char *const diff_what[] = { "entries", "xattrs", "ckpts", "meta" };

static int col_equal(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
	int t = sqlite3_column_type(a, i), n;

	if (t != sqlite3_column_type(b, i) || t == SQLITE_NULL)
		return t == sqlite3_column_type(b, i);
	if (t == SQLITE_INTEGER)
		return sqlite3_column_int64(a, i) == sqlite3_column_int64(b, i);
	n = sqlite3_column_bytes(a, i); /* text, blob (no floats in this schema) */
	return n == sqlite3_column_bytes(b, i) &&
	       (n == 0 || !memcmp(sqlite3_column_blob(a, i), sqlite3_column_blob(b, i), (size_t)n));
}

int ocifs_idxdb_diff(struct ocifs_idxdb *a, struct ocifs_idxdb *b, char *what, size_t len)
{
	int rc = 0;

	*what = '\0';
	for (size_t q = 0; q < sizeof(diff_sql) / sizeof(diff_sql[0]) && !rc; q++) {
		sqlite3_stmt *sa = NULL, *sb = NULL;
		if (sqlite3_prepare_v2(a->db, diff_sql[q], -1, &sa, NULL) != SQLITE_OK) {
			rc = idxdb_err(a, "prepare");
		} else if (sqlite3_prepare_v2(b->db, diff_sql[q], -1, &sb, NULL) != SQLITE_OK) {
			rc = idxdb_err(b, "prepare");
		}
		for (int64_t row = 1; !rc; row++) {
			int ra = sqlite3_step(sa), rb = sqlite3_step(sb);
			if (ra != SQLITE_ROW && ra != SQLITE_DONE) {
				rc = idxdb_err(a, diff_what[q]);
				break;
			}
			if (rb != SQLITE_ROW && rb != SQLITE_DONE) {
				rc = idxdb_err(b, diff_what[q]);
				break;
			}
			if (ra == SQLITE_DONE && rb == SQLITE_DONE)
				break;
			if (ra != rb) {
				snprintf(what, len, "%s: %s rows", diff_what[q],
					 ra == SQLITE_DONE ? "missing" : "extra");
				rc = 1;
				break;
			}
			for (int i = 0; i < sqlite3_column_count(sa); i++) {
				if (col_equal(sa, sb, i))
					continue;
				if (q == 0)
					snprintf(what, len, "entry %lld (%s%s%s): %s",
						 (long long)sqlite3_column_int64(sa, 0),
						 idxdb_col_text(sa, 1) ? idxdb_col_text(sa, 1) : "",
						 idxdb_col_text(sa, 1) && *idxdb_col_text(sa, 1) ? "/" : "",
						 idxdb_col_text(sa, 2) ? idxdb_col_text(sa, 2) : "",
						 sqlite3_column_name(sa, i));
				else
					snprintf(what, len, "%s row %lld: %s", diff_what[q],
						 (long long)row, sqlite3_column_name(sa, i));
				rc = 1;
				break;
			}
		}
		sqlite3_finalize(sa);
		sqlite3_finalize(sb);
	}
	return rc;
}

