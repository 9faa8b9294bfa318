/* SPDX-License-Identifier: MIT */
/*
 * idxdb_check.c: an index whose sqlite_master is not exactly what ocifs
 * creates (a view shadowing a table, a trigger, an extra table, a changed
 * or missing index, a recursive view) is refused by a checked or foreign
 * open with the difference named; the defensive settings keep a planted
 * view from running even without the check; a foreign handle's queries
 * are bounded in VM steps (a recursive query stops) while the real checks
 * of an index use a small part of the bound. Rows that break the tar
 * layout, or hold a NULL, a text or a real where ocifs writes integers,
 * are refused by validate with the row and the reason named. With
 * OCIFS_T_IDXDB=FILE (an
 * index in a cache) it prints what the checks of that index use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idxdb_priv.h"
#include "log.h"
#include "tap.h"

static int make_index(const char *path)
{
	struct ocifs_idxdb *db;
	struct ocifs_entry e = { .dir = "", .name = "d", .type = '5', .mode = 0755,
				 .hdr_off = 0, .data_off = 512 };
	struct ocifs_ckpt c = { 0 };
	struct ocifs_ckpts ck = { .v = &c, .n = 1 };

	unlink(path);
	if (ocifs_idxdb_create(path, &db))
		return -1;
	ocifs_idxdb_add(db, &e, NULL, 0);
	e.dir = "d";
	e.name = "a";
	e.type = '0';
	e.hdr_off = 512;
	e.data_off = 1024;
	e.size = e.data_len = 600;
	ocifs_idxdb_add(db, &e, NULL, 0);
	ocifs_idxdb_put_ckpts(db, &ck);
	ocifs_idxdb_set_meta_u64(db, "usize", 4096);
	return ocifs_idxdb_finish(db);
}

/* A copy of src at dst changed by sql (with the sqlite3 API: a writer
 * that is not ocifs). */
static int mutate(const char *src, const char *dst, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	if (tap_sh("cp '%s' '%s'", src, dst))
		return -1;
	rc = sqlite3_open(dst, &db) == SQLITE_OK &&
	     sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	if (rc)
		diag("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

/* The progress-handler calls the checks of the pull (idxart_pull.c) use. */
static uint64_t checks_cost(const char *path, uint64_t *budget)
{
	struct ocifs_idxdb *db;
	struct ocifs_ckpts ck = { 0 };
	char why[200], *v = NULL;
	uint64_t usize = 0, left;

	if (ocifs_idxdb_open_foreign(path, why, sizeof(why), &db)) {
		diag("%s: %s", path, why);
		return UINT64_MAX;
	}
	*budget = db->budget; /* after quick_check: one opcode, not counted */
	ocifs_idxdb_meta(db, "digest", &v);
	free(v);
	if (ocifs_idxdb_meta_u64(db, "usize", &usize) == 0)
		ocifs_idxdb_validate(db, usize, OCIFS_IDXDB_QUIET);
	ocifs_idxdb_load_ckpts(db, &ck);
	ocifs_ckpts_fini(&ck);
	left = db->budget;
	ocifs_idxdb_close(db);
	return *budget - left;
}

int main(void)
{
	static const struct {
		const char *what, *sql, *why;
	} bad[] = {
		{ "a view shadowing a table",
		  "ALTER TABLE entries RENAME TO zz; CREATE VIEW entries AS SELECT * FROM zz;",
		  "the view entries is not defined as ocifs defines it" },
		{ "a trigger", "CREATE TRIGGER t AFTER INSERT ON meta BEGIN SELECT 1; END;",
		  "an extra trigger t" },
		{ "an extra table", "CREATE TABLE zzz(x);", "an extra table zzz" },
		{ "an index defined otherwise",
		  "DROP INDEX entries_by_name; CREATE INDEX entries_by_name ON entries(name);",
		  "the index entries_by_name is not defined as ocifs defines it" },
		{ "an index missing", "DROP INDEX xattrs_by_entry;",
		  "no index xattrs_by_entry" },
		{ "a recursive view",
		  "CREATE VIEW v AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
		  " SELECT x FROM c;",
		  "an extra view v" },
	};
	char dir[] = "/tmp/ocifs-idxdbck.XXXXXX", good[256], path[256], why[200];
	struct ocifs_idxdb *db = NULL;
	struct ocifs_entry e;
	uint64_t budget = 0, used;

	ocifs_log_threshold = OCIFS_LOG_ERR;
	if (!mkdtemp(dir))
		return 1;
	snprintf(good, sizeof(good), "%s/good.db", dir);
	snprintf(path, sizeof(path), "%s/bad.db", dir);
	ok(make_index(good) == 0, "an index made");
	ok(ocifs_idxdb_open(good, OCIFS_IDXDB_CHECK, &db) == 0, "checked open: its schema is ocifs's");
	ocifs_idxdb_close(db);
	ok(ocifs_idxdb_open_foreign(good, why, sizeof(why), &db) == 0 && !*ocifs_idxdb_why(db),
	   "foreign open of it");
	ocifs_idxdb_close(db);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mutate(good, path, bad[i].sql)) {
			ok(0, "%s: made", bad[i].what);
			continue;
		}
		is_int(ocifs_idxdb_open(path, OCIFS_IDXDB_QUIET | OCIFS_IDXDB_CHECK, &db), -ESTALE,
		       "%s: checked open refuses it", bad[i].what);
		*why = '\0';
		is_int(ocifs_idxdb_open_foreign(path, why, sizeof(why), &db), -ESTALE,
		       "%s: foreign open refuses it", bad[i].what);
		is_str(why, bad[i].why, "%s: the difference named", bad[i].what);
	}

	/* Not checked (a trusted cache file): the view is not run. */
	mutate(good, path, "ALTER TABLE entries RENAME TO e2; CREATE VIEW entries AS"
			   " SELECT id, dir, 'evil' AS name, type, mode, uid, gid, mtime_ns, size,"
			   " hdr_off, data_off, data_len, rdev, link, uname, gname, flags, sha256,"
			   " sparse FROM e2;");
	if (ocifs_idxdb_open(path, OCIFS_IDXDB_QUIET, &db) == 0) {
		int rc = ocifs_idxdb_lookup(db, "d/evil", &e);
		ok(rc != 0 && rc != -ENOENT, "unchecked: a view is never run (lookup: %s)", strerror(-rc));
		if (!rc)
			ocifs_entry_fini(&e);
		ocifs_idxdb_close(db);
	} else {
		ok(1, "unchecked: refused at open");
	}

	/* A foreign handle's queries are bounded. */
	if (ocifs_idxdb_open_foreign(good, why, sizeof(why), &db) == 0) {
		sqlite3_stmt *st = NULL;
		int step = sqlite3_prepare_v2(db->db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
						      " SELECT x + 1 FROM c) SELECT count(*) FROM c",
					      -1, &st, NULL);
		if (step == SQLITE_OK)
			step = sqlite3_step(st);
		is_int(step, SQLITE_INTERRUPT, "foreign: an endless query is stopped by its bound");
		ok(db->budget == 0, "its budget spent");
		sqlite3_finalize(st);
		ocifs_idxdb_close(db);
	} else {
		ok(0, "foreign open: %s", why);
	}
	/* The rows: each change of the good index refused by validate (the
	 * layer is 4096 bytes; d is entry 1: header at 0, no data; d/a entry
	 * 2: header at 512, 600 bytes of data at 1024). */
	static const struct {
		const char *what, *sql, *why;
	} rows[] = {
		{ "a member over the one before", "UPDATE entries SET hdr_off = 0 WHERE name = 'a'",
		  "entry 2: overlaps the previous member" },
		{ "an offset not 512-aligned", "UPDATE entries SET data_off = 1000 WHERE name = 'a'",
		  "entry 2: offset not 512-aligned" },
		{ "data before its header", "UPDATE entries SET data_off = 512 WHERE name = 'a'",
		  "entry 2: data before its header" },
		{ "a negative size", "UPDATE entries SET size = -5 WHERE name = 'a'",
		  "entry 2: negative size" },
		{ "data past the layer", "UPDATE entries SET data_off = 3584 WHERE name = 'a'",
		  "entry 2: data past the end of the layer" },
		{ "an offset that overflows", "UPDATE entries SET data_off = 9223372036854775296,"
		  " hdr_off = 9223372036854774784 WHERE name = 'a'",
		  "entry 2: data past the end of the layer" },
		{ "a size not its data's", "UPDATE entries SET size = 601 WHERE name = 'a'",
		  "entry 2: size differs from data length" },
		{ "an implicit directory before a member", "UPDATE entries SET flags = 8 WHERE id = 1",
		  "entry 1: implicit directory out of place" },
		{ "an implicit directory with data",
		  "INSERT INTO entries VALUES (9, '', 'z', 53, 493, 0, 0, 0, 0, 0, 0, 512, 0,"
		  " NULL, NULL, NULL, 8, NULL, NULL)",
		  "entry 9: implicit directory out of place" },
		/* SQLite keeps what a writer stores: these passed comparisons
		 * written for integers */
		{ "a NULL flags", "UPDATE entries SET flags = NULL, hdr_off = 0 WHERE name = 'a'",
		  "entry 2: a column that is not an integer" },
		{ "a text offset", "UPDATE entries SET hdr_off = 'x' WHERE name = 'a'",
		  "entry 2: a column that is not an integer" },
		{ "a real offset", "UPDATE entries SET data_off = 1024.5 WHERE name = 'a'",
		  "entry 2: a column that is not an integer" },
	};
	if (ocifs_idxdb_open_foreign(good, why, sizeof(why), &db) == 0) {
		is_int(ocifs_idxdb_validate(db, 4096, OCIFS_IDXDB_QUIET), 0, "rows: the good index fits");
		ocifs_idxdb_close(db);
	} else {
		ok(0, "rows: foreign open: %s", why);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (mutate(good, path, rows[i].sql)) {
			ok(0, "%s: made", rows[i].what);
			continue;
		}
		if (ocifs_idxdb_open_foreign(path, why, sizeof(why), &db)) {
			ok(0, "%s: foreign open: %s", rows[i].what, why);
			continue;
		}
		is_int(ocifs_idxdb_validate(db, 4096, OCIFS_IDXDB_QUIET), -ESTALE, "%s: refused",
		       rows[i].what);
		is_str(ocifs_idxdb_why(db), rows[i].why, "%s: the row and reason named", rows[i].what);
		ocifs_idxdb_close(db);
	}

	used = checks_cost(good, &budget);
	ok(used * 20 < budget, "the checks of the small index use %llu of its %llu calls",
	   (unsigned long long)used, (unsigned long long)budget);
	const char *big = getenv("OCIFS_T_IDXDB");
	if (big) {
		used = checks_cost(big, &budget);
		diag("%s: the checks use %llu of %llu progress calls (1/%llu)", big,
		     (unsigned long long)used, (unsigned long long)budget,
		     (unsigned long long)(used ? budget / used : 0));
	}
	unlink(good);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
