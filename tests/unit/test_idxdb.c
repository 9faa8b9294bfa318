/* SPDX-License-Identifier: MIT */
/*
 * The SQLite layer index: write/read round trip, last-entry-wins listing,
 * checkpoints, corrupt and foreign files rejected as stale, rows that
 * break the tar layout caught by validate and diff of two indexes (path
 * normalization: test_path.c). The indexes, built once all rows are in,
 * exist in the finished file and serve the lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idxdb.h"
#include "index.h"
#include "log.h"
#include "tap.h"

static int count_cb(void *ctx, const struct ocifs_entry *e)
{
	char *names = ctx;

	strcat(names, e->name);
	strcat(names, e->type == '5' ? "/," : ",");
	return 0;
}

/* An index of a 3-member tar (dir, 600-byte file, 10-byte file) laid
 * out as a tar stream would be; `bad` tampers with one row. */
static struct ocifs_idxdb *layout_db(const char *path, int bad)
{
	struct ocifs_idxdb *db;
	struct ocifs_entry e = { .dir = "", .name = "d", .type = '5', .mode = 0755,
				 .hdr_off = 0, .data_off = 512 };

	unlink(path);
	if (ocifs_idxdb_create(path, &db))
		return NULL;
	ocifs_idxdb_add(db, &e, NULL, 0);
	e.dir = "d";
	e.name = "a";
	e.type = '0';
	e.hdr_off = 512;
	e.data_off = 1024;
	e.size = e.data_len = 600;
	ocifs_idxdb_add(db, &e, NULL, 0);
	e.name = "b";
	e.hdr_off = 2048;
	e.data_off = bad == 1 ? 1024 : 2560; /* 1: points into a's data */
	e.size = e.data_len = bad == 2 ? 9 : 10; /* 2: consistent, but wrong */
	ocifs_idxdb_add(db, &e, NULL, 0);
	ocifs_idxdb_finish(db);
	return ocifs_idxdb_open(path, 0, &db) ? NULL : db;
}

static void test_validate_diff(const char *dir)
{
	char p0[256], p1[256], p2[256], what[128];
	struct ocifs_idxdb *good, *bad, *subtle;

	snprintf(p0, sizeof(p0), "%s/good.db", dir);
	snprintf(p1, sizeof(p1), "%s/bad.db", dir);
	snprintf(p2, sizeof(p2), "%s/subtle.db", dir);
	good = layout_db(p0, 0);
	bad = layout_db(p1, 1);
	subtle = layout_db(p2, 2);
	ok(good && bad && subtle, "layout indexes written");
	if (!good || !bad || !subtle)
		return;
	is_int(ocifs_idxdb_validate(good, 3072, OCIFS_IDXDB_QUIET), 0, "a tar layout validates");
	is_int(ocifs_idxdb_validate(good, 2048, OCIFS_IDXDB_QUIET), -ESTALE,
	       "data past the end of the layer: stale");
	is_int(ocifs_idxdb_validate(bad, 3072, OCIFS_IDXDB_QUIET), -ESTALE,
	       "data_off inside another member: stale");
	is_int(ocifs_idxdb_validate(subtle, 3072, OCIFS_IDXDB_QUIET), 0,
	       "a consistent tamper passes the layout check");
	is_int(ocifs_idxdb_diff(good, good, what, sizeof(what)), 0, "diff of an index with itself");
	is_int(ocifs_idxdb_diff(good, subtle, what, sizeof(what)), 1, "diff finds the tamper");
	is_str(what, "entry 3 (d/b): size", "diff names the row and column");
	ocifs_idxdb_close(good);
	ocifs_idxdb_close(bad);
	ocifs_idxdb_close(subtle);
	unlink(p0);
	unlink(p1);
	unlink(p2);
}

/* 1 if the file at path has both indexes and the lookup's query uses one */
static int has_indexes(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = 0, used = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type='index' AND"
			       " name IN ('entries_by_name', 'xattrs_by_entry')", -1, &st,
			       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id FROM entries WHERE dir='etc'"
			       " AND name='passwd' ORDER BY id DESC LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);
		used |= d && strstr(d, "entries_by_name") != NULL;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n == 2 && used;
}

int main(void)
{
	char dir[] = "/tmp/ocifs-idxdb.XXXXXX", path[256], names[256] = "";
	struct ocifs_idxdb *db;
	struct ocifs_entry e = { 0 }, got;
	struct ocifs_xattr x = { .key = "user.k", .val = (unsigned char *)"v\0w", .len = 3 };
	struct ocifs_sparse sp[2] = { { 0, 10 }, { 100, 5 } };
	struct ocifs_ckpts ck = { 0 }, ck2 = { 0 };
	struct ocifs_ckpt c0 = { 0 }, c1 = { .coff = 50, .uoff = 4096, .bits = 3, .flags = 0 };
	char *v;

	ocifs_log_threshold = OCIFS_LOG_ERR - 1; /* expected warnings stay quiet */
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/x.db", dir);
	ok(ocifs_idxdb_create(path, &db) == 0, "create");
	e.dir = "";
	e.name = "etc";
	e.type = '5';
	e.mode = 0755;
	ok(ocifs_idxdb_add(db, &e, NULL, 0) == 0, "add dir");
	e.dir = "etc";
	e.name = "passwd";
	e.type = '0';
	e.size = 5;
	e.data_off = 1024;
	e.data_len = 5;
	e.mode = 0644;
	e.uid = 4000000000u;
	e.mtime_ns = -1234567890123LL;
	e.flags = OCIFS_EF_HASHED | OCIFS_EF_SCRIPT;
	memset(e.sha256, 0xab, sizeof(e.sha256));
	ok(ocifs_idxdb_add(db, &e, &x, 1) == 0, "add file with xattr");
	e.name = "passwd"; /* a later entry for the same path wins */
	e.size = 105;
	e.data_off = 2048;
	e.data_len = 15;
	e.nsparse = 2;
	e.sparse = sp;
	e.flags = OCIFS_EF_SPARSE;
	ok(ocifs_idxdb_add(db, &e, NULL, 0) == 0, "add sparse file, same path");
	e.nsparse = 0;
	e.name = "motd";
	e.type = '2';
	e.link = "/x/../y";
	ok(ocifs_idxdb_add(db, &e, NULL, 0) == 0, "add symlink");
	c1.window = malloc(7);
	memcpy(c1.window, "window!", 7);
	c1.wlen = 7;
	ocifs_ckpts_push(&ck, &c0);
	ocifs_ckpts_push(&ck, &c1);
	ok(ocifs_idxdb_put_ckpts(db, &ck) == 0, "put checkpoints");
	ok(ocifs_idxdb_set_meta(db, "digest", "sha256:x") == 0, "meta");
	ok(ocifs_idxdb_set_meta_u64(db, "usize", 12345678901ULL) == 0, "meta u64");
	ok(ocifs_idxdb_finish(db) == 0, "finish");

	ok(ocifs_idxdb_open(path, OCIFS_IDXDB_CHECK, &db) == 0, "open read-only");
	ok(ocifs_idxdb_lookup(db, "etc/passwd", &got) == 0, "lookup");
	is_int(got.size, 105, "last entry wins");
	is_int(got.nsparse, 2, "sparse map kept");
	is_int(got.sparse[1].off, 100, "sparse offset");
	ocifs_entry_fini(&got);
	ok(ocifs_idxdb_lookup(db, "etc/motd", &got) == 0 && got.link &&
		   strcmp(got.link, "/x/../y") == 0, "symlink target verbatim");
	ocifs_entry_fini(&got);
	is_int(ocifs_idxdb_lookup(db, "etc/nope", &got), -ENOENT, "missing path");
	ok(ocifs_idxdb_list(db, "etc", count_cb, names) == 0, "list");
	is_str(names, "motd,passwd,", "one name per child, sorted");
	names[0] = '\0';
	ocifs_idxdb_list(db, "", count_cb, names);
	is_str(names, "etc/,", "root listing");
	ok(ocifs_idxdb_load_ckpts(db, &ck2) == 0 && ck2.n == 2 && ck2.v[1].bits == 3 &&
		   ck2.v[1].wlen == 7 && memcmp(ck2.v[1].window, "window!", 7) == 0,
	   "checkpoints round trip");
	ok(ocifs_idxdb_meta(db, "digest", &v) == 0 && strcmp(v, "sha256:x") == 0, "meta read");
	free(v);
	uint64_t u = 0;
	ok(ocifs_idxdb_meta_u64(db, "usize", &u) == 0 && u == 12345678901ULL, "meta u64 read");
	is_int(ocifs_idxdb_count(db), 4, "count");
	ocifs_idxdb_close(db);
	ok(has_indexes(path), "the finished file has both indexes; lookups search entries_by_name");
	ocifs_ckpts_fini(&ck);
	ocifs_ckpts_fini(&ck2);

	/* A truncated/garbage file must be reported stale, not crash. */
	int fd = open(path, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, "garbage!", 8, 0) == 8, "corrupt the header");
	close(fd);
	is_int(ocifs_idxdb_open(path, OCIFS_IDXDB_QUIET | OCIFS_IDXDB_CHECK, &db), -ESTALE, "corrupt file is stale");
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	is_int(ocifs_idxdb_open(path, OCIFS_IDXDB_QUIET | OCIFS_IDXDB_CHECK, &db), -ESTALE, "empty file is stale");
	unlink(path);
	test_validate_diff(dir);
	rmdir(dir);
	return done_testing();
}
