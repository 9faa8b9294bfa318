/* SPDX-License-Identifier: MIT */
/*
 * SQLite storage of one layer's index: entries, xattrs, checkpoints and a
 * meta table. All SQL lives here. Files are built with journaling off
 * (safe: the caller renames a finished temp file into place) and opened
 * read-only and immutable afterwards. A cache file is untrusted input:
 * every column read back is range-checked before use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idxdb_priv.h"
#include "log.h"

const char idxdb_schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE TABLE entries("
	" id INTEGER PRIMARY KEY,"  /* tar order, 1-based */
	" dir TEXT NOT NULL,"       /* normalized parent path */
	" name TEXT NOT NULL,"
	" type INTEGER NOT NULL,"   /* tar typeflag byte */
	" mode INTEGER, uid INTEGER, gid INTEGER,"
	" mtime_ns INTEGER,"
	" size INTEGER,"            /* logical size */
	" hdr_off INTEGER, data_off INTEGER, data_len INTEGER," /* uncompressed stream */
	" rdev INTEGER,"            /* major << 32 | minor */
	" link TEXT, uname TEXT, gname TEXT,"
	" flags INTEGER,"
	" sha256 BLOB,"
	" sparse BLOB);"            /* little-endian (off, len) u64 pairs */
	"CREATE TABLE xattrs(entry INTEGER NOT NULL, key TEXT NOT NULL, value BLOB);"
	"CREATE TABLE ckpts(seq INTEGER PRIMARY KEY, coff INTEGER, uoff INTEGER,"
	" bits INTEGER, flags INTEGER, window BLOB);";

static const char ins_entry_sql[] =
	"INSERT INTO entries(" ENTRY_COLS ") VALUES"
	" (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)";
/* Made by ocifs_idxdb_finish, once every row is in: one sort instead of a
 * b-tree insert a row. */
const char idxdb_index_sql[] =
	"CREATE INDEX entries_by_name ON entries(dir, name, id);"
	"CREATE INDEX xattrs_by_entry ON xattrs(entry);";
static const char ins_xattr_sql[] = "INSERT INTO xattrs(entry, key, value) VALUES (?1,?2,?3)";
static const char lookup_sql[] =
	"SELECT " ENTRY_COLS " FROM entries WHERE dir=?1 AND name=?2 ORDER BY id DESC LIMIT 1";
static const char list_sql[] =
	"SELECT " ENTRY_COLS " FROM entries e WHERE dir=?1 AND name<>'' AND id="
	" (SELECT max(id) FROM entries WHERE dir=e.dir AND name=e.name) ORDER BY name";
static const char all_sql[] = "SELECT " ENTRY_COLS " FROM entries ORDER BY id";
/* GLOB compares the name as text, up to a NUL, as strncmp does */
static const char wh_sql[] =
	"SELECT " ENTRY_COLS " FROM entries WHERE name GLOB '.wh.*' ORDER BY id";
static const char xattr_sql[] = "SELECT key, value FROM xattrs WHERE entry=?1 ORDER BY rowid";

/* SQLite's message, with the OS error behind it when there is one
 * ("unable to open database file" alone hides EMFILE, EACCES...). */
static const char *db_msg(struct ocifs_idxdb *d, char *buf, size_t len)
{
	int e = d->db ? sqlite3_system_errno(d->db) : 0;

	if (!e)
		return d->db ? sqlite3_errmsg(d->db) : "out of memory";
	snprintf(buf, len, "%s: %s", sqlite3_errmsg(d->db), strerror(e));
	return buf;
}

int idxdb_err(struct ocifs_idxdb *d, const char *what)
{
	char buf[256];
	int e = d->db ? sqlite3_system_errno(d->db) : 0;

	if (d->foreign) { /* the caller says what is wrong with it, once */
		if (!*d->why)
			snprintf(d->why, sizeof(d->why), "%s: %s", what,
				 !d->budget ? "too much work to check it"
					 : db_msg(d, buf, sizeof(buf)));
		return -ESTALE;
	}
	log_err("cache %s: %s: %s", d->path, what, db_msg(d, buf, sizeof(buf)));
	return e == EMFILE || e == ENFILE || e == ENOSPC || e == EACCES ? -e : -EIO;
}

/* What is wrong with a row: a warning, or for a foreign file the why. */
__attribute__((format(printf, 2, 3))) static void idxdb_bad(struct ocifs_idxdb *d, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!d->foreign)
		log_warn("cache %s: %s", d->path, msg);
	else if (!*d->why)
		snprintf(d->why, sizeof(d->why), "%s", msg);
}

static void idxdb_free(struct ocifs_idxdb *d)
{
	if (!d)
		return;
	sqlite3_finalize(d->ins_entry);
	sqlite3_finalize(d->ins_xattr);
	sqlite3_finalize(d->q_lookup);
	sqlite3_finalize(d->q_list);
	sqlite3_finalize(d->q_xattr);
	sqlite3_close(d->db);
	free(d->path);
	free(d);
}

static struct ocifs_idxdb *idxdb_alloc(const char *path)
{
	struct ocifs_idxdb *d = calloc(1, sizeof(*d));

	if (d && !(d->path = strdup(path))) {
		free(d);
		d = NULL;
	}
	return d;
}

int ocifs_idxdb_create(const char *path, struct ocifs_idxdb **out)
{
	struct ocifs_idxdb *d = idxdb_alloc(path);
	char pragma[64];
	int rc;

	if (!d)
		return -ENOMEM;
	/* NOMUTEX: the writer is one thread's (index.c's calling thread), so
	 * SQLite's per-call connection mutex is pure cost (a lock and an
	 * unlock around every bind, step and reset: ~10 % of an insert). */
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = idxdb_err(d, "create");
		goto err;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d;", OCIFS_IDXDB_SCHEMA);
	if (sqlite3_exec(d->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			 "PRAGMA page_size=4096;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(d->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(d->db, "BEGIN;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(d->db, idxdb_schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = idxdb_err(d, "schema");
		goto err;
	}
	if (sqlite3_prepare_v2(d->db, ins_entry_sql, -1, &d->ins_entry, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, ins_xattr_sql, -1, &d->ins_xattr, NULL) != SQLITE_OK) {
		rc = idxdb_err(d, "prepare");
		goto err;
	}
	d->next_id = 1;
	*out = d;
	return 0;
err:
	idxdb_free(d);
	return rc;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int ocifs_idxdb_add(struct ocifs_idxdb *d, const struct ocifs_entry *e,
		    const struct ocifs_xattr *x, size_t nx)
{
	sqlite3_stmt *st = d->ins_entry;
	unsigned char *sp = NULL;
	int64_t id = d->next_id;
	int rc = 0;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, e->dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (unsigned char)e->type);
	sqlite3_bind_int64(st, 5, e->mode);
	sqlite3_bind_int64(st, 6, (int64_t)e->uid);
	sqlite3_bind_int64(st, 7, (int64_t)e->gid);
	sqlite3_bind_int64(st, 8, e->mtime_ns);
	sqlite3_bind_int64(st, 9, (int64_t)e->size);
	sqlite3_bind_int64(st, 10, (int64_t)e->hdr_off);
	sqlite3_bind_int64(st, 11, (int64_t)e->data_off);
	sqlite3_bind_int64(st, 12, (int64_t)e->data_len);
	sqlite3_bind_int64(st, 13, (int64_t)((uint64_t)e->devmajor << 32 | e->devminor));
	bind_text_or_null(st, 14, e->link);
	bind_text_or_null(st, 15, e->uname);
	bind_text_or_null(st, 16, e->gname);
	sqlite3_bind_int64(st, 17, e->flags | (nx ? OCIFS_EF_XATTR : 0));
	if (e->flags & OCIFS_EF_HASHED)
		sqlite3_bind_blob(st, 18, e->sha256, OCIFS_SHA256_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 18);
	if (e->nsparse) {
		sp = malloc(e->nsparse * 16);
		if (!sp)
			return -ENOMEM;
		for (size_t i = 0; i < e->nsparse; i++)
			for (int b = 0; b < 8; b++) {
				sp[16 * i + b] = (unsigned char)(e->sparse[i].off >> (8 * b));
				sp[16 * i + 8 + b] = (unsigned char)(e->sparse[i].len >> (8 * b));
			}
		sqlite3_bind_blob(st, 19, sp, (int)(e->nsparse * 16), SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 19);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = idxdb_err(d, "insert entry");
	sqlite3_clear_bindings(st);
	free(sp);
	for (size_t i = 0; !rc && i < nx; i++) {
		sqlite3_reset(d->ins_xattr);
		sqlite3_bind_int64(d->ins_xattr, 1, id);
		sqlite3_bind_text(d->ins_xattr, 2, x[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_blob(d->ins_xattr, 3, x[i].val, (int)x[i].len, SQLITE_STATIC);
		if (sqlite3_step(d->ins_xattr) != SQLITE_DONE)
			rc = idxdb_err(d, "insert xattr");
	}
	if (!rc)
		d->next_id++;
	return rc;
}

int ocifs_idxdb_put_ckpts(struct ocifs_idxdb *d, const struct ocifs_ckpts *ck)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(d->db, "INSERT INTO ckpts(seq, coff, uoff, bits, flags, window)"
			       " VALUES (?1,?2,?3,?4,?5,?6)", -1, &st, NULL) != SQLITE_OK)
		return idxdb_err(d, "prepare ckpts");
	for (size_t i = 0; i < ck->n && !rc; i++) {
		const struct ocifs_ckpt *c = &ck->v[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (int64_t)i);
		sqlite3_bind_int64(st, 2, (int64_t)c->coff);
		sqlite3_bind_int64(st, 3, (int64_t)c->uoff);
		sqlite3_bind_int64(st, 4, c->bits);
		sqlite3_bind_int64(st, 5, c->flags);
		if (c->window)
			sqlite3_bind_blob(st, 6, c->window, (int)c->wlen, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 6);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = idxdb_err(d, "insert ckpt");
	}
	sqlite3_finalize(st);
	return rc;
}

int ocifs_idxdb_set_meta(struct ocifs_idxdb *d, const char *key, const char *val)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return idxdb_err(d, "prepare meta");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	bind_text_or_null(st, 2, val);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = idxdb_err(d, "insert meta");
	sqlite3_finalize(st);
	return rc;
}

int ocifs_idxdb_set_meta_u64(struct ocifs_idxdb *d, const char *key, uint64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	return ocifs_idxdb_set_meta(d, key, buf);
}

int ocifs_idxdb_finish(struct ocifs_idxdb *d)
{
	int rc = 0;

	sqlite3_finalize(d->ins_entry);
	sqlite3_finalize(d->ins_xattr);
	d->ins_entry = d->ins_xattr = NULL;
	if (sqlite3_exec(d->db, idxdb_index_sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = idxdb_err(d, "create the indexes");
	else if (sqlite3_exec(d->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
		rc = idxdb_err(d, "commit");
	if (sqlite3_close(d->db) != SQLITE_OK && !rc)
		rc = -EIO;
	d->db = NULL;
	idxdb_free(d);
	return rc;
}

/* "file:" URI with the characters that mean something in a URI escaped. */
static char *path_uri(const char *path)
{
	size_t n = strlen(path);
	char *u = malloc(3 * n + 32), *p = u;

	if (!u)
		return NULL;
	p += sprintf(p, "file:");
	for (const char *s = path; *s; s++) {
		if (*s == '%' || *s == '?' || *s == '#')
			p += sprintf(p, "%%%02X", (unsigned char)*s);
		else
			*p++ = *s;
	}
	strcpy(p, "?immutable=1");
	return u;
}

/* Open path read-only; foreign: a file from outside (errors not logged,
 * every query bounded). -ESTALE with the reason in why[cap]. */
static int open_db(const char *path, unsigned flags, int foreign, char *why, size_t cap,
		   struct ocifs_idxdb **out)
{
	struct ocifs_idxdb *d = idxdb_alloc(path);
	sqlite3_stmt *st = NULL;
	char *uri;
	int rc = -ESTALE;

	*why = '\0';
	if (!d)
		return -ENOMEM;
	d->foreign = foreign;
	uri = path_uri(path);
	if (!uri) {
		idxdb_free(d);
		return -ENOMEM;
	}
	if (sqlite3_open_v2(uri, &d->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
			    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		int e = sqlite3_system_errno(d->db);
		if (e == EMFILE || e == ENFILE) { /* not the file's fault: say so */
			log_err("cache %s: cannot open: %s", path, strerror(e));
			rc = -e;
			goto out;
		}
		char buf[256];
		snprintf(why, cap, "%s", db_msg(d, buf, sizeof(buf)));
		goto out;
	}
	/* before anything reads its tables */
	if ((rc = idxdb_harden(d, foreign, why, cap)) != 0)
		goto out;
	rc = -ESTALE;
	if (sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, cap, "%s", sqlite3_errmsg(d->db));
		goto out;
	}
	if (sqlite3_column_int(st, 0) != OCIFS_IDXDB_SCHEMA) {
		snprintf(why, cap, "schema version differs");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* A file this cache trusts (no CHECK) was made by this ocifs: the
	 * defensive settings suffice, and the comparison's one-time cost
	 * (an in-memory index built: ~1.5 M instructions) stays off warm
	 * mounts. */
	if ((flags & OCIFS_IDXDB_CHECK) && (rc = idxdb_schema_check(d, why, cap)) != 0)
		goto out;
	rc = -ESTALE;
	if ((flags & OCIFS_IDXDB_CHECK) &&
	    (sqlite3_prepare_v2(d->db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
	     sqlite3_step(st) != SQLITE_ROW ||
	     strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)) {
		snprintf(why, cap, "failed its integrity check%s",
			 foreign && !d->budget ? " (too much work)" : "");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(uri);
	if (rc)
		idxdb_free(d);
	else
		*out = d;
	return rc;
}

int ocifs_idxdb_open(const char *path, unsigned flags, struct ocifs_idxdb **out)
{
	char why[256];
	int rc = open_db(path, flags, 0, why, sizeof(why), out);

	if (rc == -ESTALE && !(flags & OCIFS_IDXDB_QUIET))
		log_warn("cache %s is unusable (%s); rebuilding it", path, *why ? why : "?");
	return rc;
}

int ocifs_idxdb_open_foreign(const char *path, char *why, size_t cap, struct ocifs_idxdb **out)
{
	return open_db(path, OCIFS_IDXDB_CHECK, 1, why, cap, out);
}

const char *ocifs_idxdb_why(const struct ocifs_idxdb *d)
{
	return d->why;
}

int ocifs_idxdb_meta(struct ocifs_idxdb *d, const char *key, char **val)
{
	sqlite3_stmt *st;
	int rc = -ENOENT;

	if (sqlite3_prepare_v2(d->db, "SELECT value FROM meta WHERE key=?1", -1, &st, NULL) != SQLITE_OK)
		return idxdb_err(d, "meta");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		*val = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *val ? 0 : -ENOMEM;
	}
	sqlite3_finalize(st);
	return rc;
}

int ocifs_idxdb_meta_u64(struct ocifs_idxdb *d, const char *key, uint64_t *val)
{
	char *s, *end;
	int rc = ocifs_idxdb_meta(d, key, &s);

	if (rc)
		return rc;
	errno = 0;
	*val = strtoull(s, &end, 10);
	rc = (errno || *end || end == s) ? -ESTALE : 0;
	free(s);
	return rc;
}

int ocifs_idxdb_load_ckpts(struct ocifs_idxdb *d, struct ocifs_ckpts *out)
{
	sqlite3_stmt *st;
	uint64_t prev = 0;
	int rc = 0, step;

	if (sqlite3_prepare_v2(d->db, "SELECT coff, uoff, bits, flags, window FROM ckpts"
			       " ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return idxdb_err(d, "ckpts");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct ocifs_ckpt c = { 0 };
		int wlen = sqlite3_column_bytes(st, 4);
		c.coff = (uint64_t)sqlite3_column_int64(st, 0);
		c.uoff = (uint64_t)sqlite3_column_int64(st, 1);
		c.bits = (uint32_t)sqlite3_column_int64(st, 2);
		c.flags = (uint32_t)sqlite3_column_int64(st, 3);
		/* shadow checkpoints are made at run time, never stored */
		if (c.bits > 7 || c.uoff < prev || (out->n == 0 && c.uoff != 0) ||
		    wlen > (1 << 20) || (c.flags & OCIFS_CK_SHADOW)) {
			idxdb_bad(d, "bad checkpoint %zu", out->n);
			rc = -ESTALE;
			break;
		}
		prev = c.uoff;
		if (wlen > 0) {
			c.window = malloc((size_t)wlen);
			if (!c.window) {
				rc = -ENOMEM;
				break;
			}
			memcpy(c.window, sqlite3_column_blob(st, 4), (size_t)wlen);
			c.wlen = (uint32_t)wlen;
		}
		rc = ocifs_ckpts_push(out, &c);
		if (rc) {
			free(c.window);
			break;
		}
	}
	if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = idxdb_err(d, "ckpts");
	if (!rc && out->n == 0) {
		idxdb_bad(d, "no checkpoints");
		rc = -ESTALE;
	}
	sqlite3_finalize(st);
	if (rc)
		ocifs_ckpts_fini(out);
	return rc;
}

const char *idxdb_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Fill e from the current row; strings borrowed from the statement.
 * The sparse map is decoded into *sp (caller frees). */
static int row_to_entry(struct ocifs_idxdb *d, sqlite3_stmt *st, struct ocifs_entry *e,
			struct ocifs_sparse **sp)
{
	int nsp = sqlite3_column_bytes(st, 18);
	const unsigned char *b;

	memset(e, 0, sizeof(*e));
	*sp = NULL;
	e->id = sqlite3_column_int64(st, 0);
	e->dir = idxdb_col_text(st, 1);
	e->name = idxdb_col_text(st, 2);
	e->type = (char)sqlite3_column_int(st, 3);
	e->mode = (uint32_t)sqlite3_column_int64(st, 4) & 07777;
	e->uid = (uint64_t)sqlite3_column_int64(st, 5);
	e->gid = (uint64_t)sqlite3_column_int64(st, 6);
	e->mtime_ns = sqlite3_column_int64(st, 7);
	e->size = (uint64_t)sqlite3_column_int64(st, 8);
	e->hdr_off = (uint64_t)sqlite3_column_int64(st, 9);
	e->data_off = (uint64_t)sqlite3_column_int64(st, 10);
	e->data_len = (uint64_t)sqlite3_column_int64(st, 11);
	uint64_t rdev = (uint64_t)sqlite3_column_int64(st, 12);
	e->devmajor = (uint32_t)(rdev >> 32);
	e->devminor = (uint32_t)rdev;
	e->link = idxdb_col_text(st, 13);
	e->uname = idxdb_col_text(st, 14);
	e->gname = idxdb_col_text(st, 15);
	e->flags = (uint32_t)sqlite3_column_int64(st, 16);
	if ((e->flags & OCIFS_EF_HASHED) && sqlite3_column_bytes(st, 17) == OCIFS_SHA256_LEN)
		memcpy(e->sha256, sqlite3_column_blob(st, 17), OCIFS_SHA256_LEN);
	else
		e->flags &= ~OCIFS_EF_HASHED;
	if (!e->dir || !e->name || e->data_off + e->data_len < e->data_off ||
	    e->data_off % 512 || e->hdr_off % 512 ||
	    (d->usize && e->data_off + e->data_len > d->usize) ||
	    (e->type == '0' && !(e->flags & OCIFS_EF_SPARSE) && e->data_len != e->size) ||
	    (e->data_len && e->data_off < e->hdr_off + 512))
		goto bad;
	if (nsp > 0) {
		uint64_t packed = 0;
		if (nsp % 16)
			goto bad;
		b = sqlite3_column_blob(st, 18);
		*sp = calloc((size_t)nsp / 16, sizeof(**sp));
		if (!*sp)
			return -ENOMEM;
		for (int i = 0; i < nsp / 16; i++) {
			for (int k = 0; k < 8; k++) {
				(*sp)[i].off |= (uint64_t)b[16 * i + k] << (8 * k);
				(*sp)[i].len |= (uint64_t)b[16 * i + 8 + k] << (8 * k);
			}
			if ((*sp)[i].off + (*sp)[i].len < (*sp)[i].off ||
			    (*sp)[i].off + (*sp)[i].len > e->size)
				goto bad;
			packed += (*sp)[i].len;
		}
		if (packed > e->data_len)
			goto bad;
		e->nsparse = (size_t)nsp / 16;
		e->sparse = *sp;
	}
	return 0;
bad:
	free(*sp);
	*sp = NULL;
	idxdb_bad(d, "entry %lld is corrupt", (long long)e->id);
	return -ESTALE;
}

static int run_rows(struct ocifs_idxdb *d, sqlite3_stmt *st, ocifs_entry_cb cb, void *ctx)
{
	struct ocifs_entry e;
	struct ocifs_sparse *sp;
	int rc = 0, step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = row_to_entry(d, st, &e, &sp);
		if (!rc)
			rc = cb(ctx, &e);
		free(sp);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = idxdb_err(d, "query");
	sqlite3_reset(st);
	return rc;
}

static int prepare_lazy(struct ocifs_idxdb *d, sqlite3_stmt **st, const char *sql)
{
	if (!*st && sqlite3_prepare_v2(d->db, sql, -1, st, NULL) != SQLITE_OK)
		return idxdb_err(d, "prepare");
	sqlite3_reset(*st);
	return 0;
}

/* Deep copy of a borrowed entry into one allocation. */
static int copy_entry(void *ctx, const struct ocifs_entry *e)
{
	struct ocifs_entry *out = ctx;
	const char *strs[] = { e->dir, e->name, e->link, e->uname, e->gname };
	size_t len = e->nsparse * sizeof(struct ocifs_sparse);
	char *p;

	for (size_t i = 0; i < 5; i++)
		len += strs[i] ? strlen(strs[i]) + 1 : 0;
	*out = *e;
	out->owned_ = malloc(len + 1);
	if (!out->owned_)
		return -ENOMEM;
	p = out->owned_;
	if (e->nsparse) {
		memcpy(p, e->sparse, e->nsparse * sizeof(struct ocifs_sparse));
		out->sparse = (const struct ocifs_sparse *)p;
		p += e->nsparse * sizeof(struct ocifs_sparse);
	}
	const char **dst[] = { &out->dir, &out->name, &out->link, &out->uname, &out->gname };
	for (size_t i = 0; i < 5; i++) {
		if (!strs[i])
			continue;
		size_t n = strlen(strs[i]) + 1;
		memcpy(p, strs[i], n);
		*dst[i] = p;
		p += n;
	}
	return 1; /* stop after the first row */
}

void ocifs_entry_fini(struct ocifs_entry *e)
{
	free(e->owned_);
	memset(e, 0, sizeof(*e));
}

int ocifs_idxdb_lookup(struct ocifs_idxdb *d, const char *path, struct ocifs_entry *out)
{
	const char *slash = strrchr(path, '/');
	int rc = prepare_lazy(d, &d->q_lookup, lookup_sql);

	if (rc)
		return rc;
	if (slash)
		sqlite3_bind_text(d->q_lookup, 1, path, (int)(slash - path), SQLITE_TRANSIENT);
	else
		sqlite3_bind_text(d->q_lookup, 1, "", 0, SQLITE_STATIC);
	sqlite3_bind_text(d->q_lookup, 2, slash ? slash + 1 : path, -1, SQLITE_TRANSIENT);
	memset(out, 0, sizeof(*out));
	rc = run_rows(d, d->q_lookup, copy_entry, out);
	if (rc == 1)
		return 0;
	return rc ? rc : -ENOENT;
}

int ocifs_idxdb_list(struct ocifs_idxdb *d, const char *dir, ocifs_entry_cb cb, void *ctx)
{
	int rc = prepare_lazy(d, &d->q_list, list_sql);

	if (rc)
		return rc;
	sqlite3_bind_text(d->q_list, 1, dir, -1, SQLITE_TRANSIENT);
	return run_rows(d, d->q_list, cb, ctx);
}

static int foreach_sql(struct ocifs_idxdb *d, const char *sql, ocifs_entry_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return idxdb_err(d, "prepare");
	rc = run_rows(d, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int ocifs_idxdb_foreach(struct ocifs_idxdb *d, ocifs_entry_cb cb, void *ctx)
{
	return foreach_sql(d, all_sql, cb, ctx);
}

int ocifs_idxdb_foreach_whiteout(struct ocifs_idxdb *d, ocifs_entry_cb cb, void *ctx)
{
	return foreach_sql(d, wh_sql, cb, ctx);
}

int ocifs_idxdb_xattrs(struct ocifs_idxdb *d, int64_t id,
		       int (*cb)(void *ctx, const char *key, const void *val, size_t len),
		       void *ctx)
{
	int rc = prepare_lazy(d, &d->q_xattr, xattr_sql), step;

	if (rc)
		return rc;
	sqlite3_bind_int64(d->q_xattr, 1, id);
	while ((step = sqlite3_step(d->q_xattr)) == SQLITE_ROW) {
		const char *k = idxdb_col_text(d->q_xattr, 0);
		if (!k)
			continue;
		rc = cb(ctx, k, sqlite3_column_blob(d->q_xattr, 1),
			(size_t)sqlite3_column_bytes(d->q_xattr, 1));
		if (rc)
			break;
	}
	sqlite3_reset(d->q_xattr);
	return rc;
}

uint64_t ocifs_idxdb_count(struct ocifs_idxdb *d)
{
	sqlite3_stmt *st;
	uint64_t n = 0;

	if (sqlite3_prepare_v2(d->db, "SELECT count(*) FROM entries WHERE NOT (flags & ?1)",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int(st, 1, OCIFS_EF_IMPLICIT);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

void ocifs_idxdb_close(struct ocifs_idxdb *d)
{
	idxdb_free(d);
}
