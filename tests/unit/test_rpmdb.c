/* SPDX-License-Identifier: MIT */
/*
 * rpm databases (rpmdb.h, rpmhdr.h, sqlitedb.h) against rpm itself: the
 * corpus's one database per backend ($OCIFS_CORPUS/pkgdb/rpm, see its
 * README) read by us must list what `rpm --dbpath DIR -qa` lists
 * (Debian's rpm reads SQLite, and Berkeley DB through bdb_ro) --
 * name, epoch, version-release, arch, source rpm, license, vendor, and
 * every package's files, provides and requires -- and the NDB one what
 * its expected.tsv (go-rpmdb's test table) says. Then hostile input:
 * truncated and mutated header blobs, a bdb overflow chain that loops,
 * an ndb with bogus offsets, a file that is no database, a SQLite file
 * that is not an rpmdb: no crash, a reason, never a package invented.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "rpmdb.h"
#include "rpmhdr.h"
#include "tap.h"

/* What a walk found: every header's lines in the oracle's formats. */
struct walk {
	FILE *pkgs, *files, *provides, *requires; /* NULL: not written */
	size_t blobs, packages, bad;
	char *first_bad;
	size_t max_blob;
};

static const char *orn(const char *s)
{
	return s ? s : "(none)";
}

static int walk_cb(void *ctx, const unsigned char *blob, size_t len)
{
	struct walk *w = ctx;
	struct ocifs_rpmhdr h;
	int rc = ocifs_rpmhdr_parse(blob, len, 0, &h);

	w->blobs++;
	if (len > w->max_blob)
		w->max_blob = len;
	if (rc) {
		ocifs_rpmhdr_fini(&h);
		return rc;
	}
	if (h.error) {
		if (!w->bad++)
			w->first_bad = strdup(h.error);
	}
	if (h.name) {
		char epoch[16] = "(none)";
		w->packages++;
		if (h.has_epoch)
			snprintf(epoch, sizeof(epoch), "%u", h.epoch);
		if (w->pkgs)
			fprintf(w->pkgs, "%s\t%s\t%s-%s\t%s\t%s\t%s\t%s\n", h.name, epoch,
				orn(h.version), orn(h.release), orn(h.arch), orn(h.sourcerpm),
				orn(h.license), orn(h.vendor));
		for (size_t i = 0; w->files && i < h.nfiles; i++)
			fprintf(w->files, "%s.%s\t%s\n", h.name, orn(h.arch), h.files[i]);
		for (size_t i = 0; w->provides && i < h.nprovides; i++)
			fprintf(w->provides, "%s.%s\t%s\n", h.name, orn(h.arch), h.provides[i]);
		for (size_t i = 0; w->requires && i < h.nrequires; i++)
			fprintf(w->requires, "%s.%s\t%s\n", h.name, orn(h.arch), h.requires[i]);
	}
	ocifs_rpmhdr_fini(&h);
	return 0;
}

static void walk_fini(struct walk *w)
{
	free(w->first_bad);
	memset(w, 0, sizeof(*w));
}

/* Sorted files a and b are equal (sort -u on both); diag the difference. */
static void same_lines(const char *tmp, const char *a, const char *b, const char *what)
{
	int rc = tap_sh("cd %s && LC_ALL=C sort -u %s >%s.s && LC_ALL=C sort -u %s >%s.s && "
			"diff %s.s %s.s >%s.diff", tmp, a, a, b, b, a, b, what);
	if (rc)
		tap_sh("head -8 %s/%s.diff | sed 's/^/# /'", tmp, what);
	ok(rc == 0, "%s equal rpm's", what);
}

/* The corpus database at dir/name read by us and by `rpm --dbpath`. */
static void against_rpm(const char *corpus, const char *dir, const char *name, const char *define,
			size_t want_pkgs, const char *tmp)
{
	char path[1024], db[1200];
	struct walk w = { 0 };
	char *error = NULL;
	size_t len = 0;
	unsigned char *buf;

	snprintf(path, sizeof(path), "%s/pkgdb/rpm/%s/%s", corpus, dir, name);
	if (!(buf = tap_slurp(path, &len))) {
		skip("%s not there (the shared corpus)", path);
		return;
	}
	snprintf(db, sizeof(db), "%s/%s", tmp, dir);
	if (tap_sh("mkdir -p %s && cp %s %s/ && chmod u+w %s/%s", db, path, db, db, name)) {
		ok(0, "%s: copy for rpm", dir);
		free(buf);
		return;
	}
	char f[4][1300];
	const char *fn[4] = { "pkgs", "files", "provides", "requires" };
	FILE **fp[4] = { &w.pkgs, &w.files, &w.provides, &w.requires };
	for (int i = 0; i < 4; i++) {
		snprintf(f[i], sizeof(f[i]), "%s/%s.ours.%s", tmp, dir, fn[i]);
		*fp[i] = fopen(f[i], "w");
	}
	int rc = ocifs_rpmdb_each(buf, len, walk_cb, &w, &error);
	for (int i = 0; i < 4; i++)
		if (*fp[i])
			fclose(*fp[i]);
	is_int(rc, 0, "%s: walk", dir);
	ok(!error, "%s: no database error (%s)", dir, error ? error : "none");
	is_int(w.bad, 0, "%s: every header parses (%s)", dir, w.first_bad ? w.first_bad : "yes");
	is_int(w.packages, want_pkgs, "%s: %zu packages", dir, w.packages);

	/* rpm's lines; requires as rpm lists them, less what rpmhdr.h drops */
	char pre[1500];
	snprintf(pre, sizeof(pre), "rpm --dbpath %s %s -qa --qf", db, define);
	/* each list as "@NAME.ARCH" then one item a line, prefixed by awk
	 * (rpm refuses a scalar beside some arrays in one iteration) */
	const char *pfx = "awk '/^@/ { p = substr($0, 2); next } { print p \"\\t\" $0 }'";
	rc = tap_sh("cd %s && %s '%%{NAME}\\t%%{EPOCH}\\t%%{VERSION}-%%{RELEASE}\\t%%{ARCH}\\t"
		    "%%{SOURCERPM}\\t%%{LICENSE}\\t%%{VENDOR}\\n' >%s.rpm.pkgs 2>/dev/null && "
		    "%s '@%%{NAME}.%%{ARCH}\\n[%%{FILENAMES}\\n]' 2>/dev/null | %s >%s.rpm.files && "
		    "%s '@%%{NAME}.%%{ARCH}\\n[%%{PROVIDENAME}\\n]' 2>/dev/null | %s >%s.rpm.provides && "
		    "%s '@%%{NAME}.%%{ARCH}\\n[%%{REQUIRENAME}\\n]' 2>/dev/null | %s | "
		    "grep -v -P '\\t(rpmlib\\(|\\()' >%s.rpm.requires",
		    tmp, pre, dir, pre, pfx, dir, pre, pfx, dir, pre, pfx, dir);
	ok(rc == 0, "%s: rpm -qa ran", dir);
	for (int i = 0; i < 4; i++) {
		char a[300], b[300], what[300];
		snprintf(a, sizeof(a), "%s.ours.%s", dir, fn[i]);
		snprintf(b, sizeof(b), "%s.rpm.%s", dir, fn[i]);
		snprintf(what, sizeof(what), "%s-%s", dir, fn[i]);
		same_lines(tmp, a, b, what);
	}
	if (tap_sh("test $(wc -l <%s/%s.rpm.pkgs) -eq %zu", tmp, dir, want_pkgs))
		ok(0, "%s: rpm itself lists %zu packages", dir, want_pkgs);
	free(error);
	walk_fini(&w);
	free(buf);
}

/* The NDB database against expected.tsv (epoch name version release
 * arch sourcerpm license vendor; epoch "-" for none). */
static void against_tsv(const char *corpus, const char *tmp)
{
	char path[1024], ours[1100];
	struct walk w = { 0 };
	char *error = NULL;
	size_t len = 0;
	unsigned char *buf;

	snprintf(path, sizeof(path), "%s/pkgdb/rpm/sle15-bci-ndb/Packages.db", corpus);
	if (!(buf = tap_slurp(path, &len))) {
		skip("%s not there (the shared corpus)", path);
		return;
	}
	is_int(ocifs_rpmdb_kind(buf, len), OCIFS_RPMDB_NDB, "ndb: recognised by its magic");
	snprintf(ours, sizeof(ours), "%s/ndb.ours.pkgs", tmp);
	w.pkgs = fopen(ours, "w");
	int rc = ocifs_rpmdb_each(buf, len, walk_cb, &w, &error);
	if (w.pkgs)
		fclose(w.pkgs);
	is_int(rc, 0, "ndb: walk");
	ok(!error, "ndb: no database error (%s)", error ? error : "none");
	is_int(w.bad, 0, "ndb: every header parses (%s)", w.first_bad ? w.first_bad : "yes");
	is_int(w.packages, 35, "ndb: %zu packages, as expected.tsv", w.packages);
	rc = tap_sh("cd %s && tail -n +2 %s/pkgdb/rpm/sle15-bci-ndb/expected.tsv | "
		    "awk -F'\\t' -v OFS='\\t' '{ if ($1 == \"-\") $1 = \"(none)\"; "
		    "print $2, $1, $3 \"-\" $4, $5, $6, $7, $8 }' >ndb.tsv.pkgs",
		    tmp, corpus);
	ok(rc == 0, "ndb: expected.tsv read");
	same_lines(tmp, "ndb.ours.pkgs", "ndb.tsv.pkgs", "ndb-pkgs");
	free(error);
	walk_fini(&w);
	free(buf);
}


/* --- hostile input ------------------------------------------------------ */

/* Count what a walk of buf hands over and how many headers parse. */
static int hostile_walk(const unsigned char *buf, size_t len, struct walk *w, char **error)
{
	memset(w, 0, sizeof(*w));
	*error = NULL;
	return ocifs_rpmdb_each(buf, len, walk_cb, w, error);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* First header blob of a database, copied. */
static int first_blob(void *ctx, const unsigned char *blob, size_t len)
{
	unsigned char **out = ctx;

	if (!(*out = malloc(len + 4)))
		return -ENOMEM;
	memcpy(*out + 4, blob, len);
	memcpy(*out, &len, 4 < sizeof(len) ? 4 : sizeof(len));
	return 1;
}

/* Truncations and mutations of a real header never crash, never leak
 * (valgrind/ASan), and every cut header says why. */
static void hostile_headers(const unsigned char *db, size_t dblen)
{
	unsigned char *blob = NULL, *copy;
	uint32_t len32 = 0;
	char *error = NULL;
	size_t bad_cut = 0, named = 0;

	if (ocifs_rpmdb_each(db, dblen, first_blob, &blob, &error) != 1 || !blob) {
		ok(0, "a header to mutate");
		free(error);
		return;
	}
	free(error);
	memcpy(&len32, blob, 4);
	size_t len = len32;
	const unsigned char *h = blob + 4;
	if (!(copy = malloc(len))) {
		free(blob);
		return;
	}
	for (size_t cut = 0; cut < len; cut += cut < 512 ? 1 : 61) {
		struct ocifs_rpmhdr r;
		memcpy(copy, h, cut);
		if (ocifs_rpmhdr_parse(copy, cut, 0, &r) || !r.error || r.name)
			bad_cut++;
		ocifs_rpmhdr_fini(&r);
	}
	is_int(bad_cut, 0, "every truncated header: no package, a reason");
	for (int i = 0; i < 3000; i++) {
		struct ocifs_rpmhdr r;
		memcpy(copy, h, len);
		for (int k = 1 + (int)(rnd() % 8); k > 0; k--) {
			size_t at = rnd() % len;
			/* mostly the index (counts, offsets), sometimes the data */
			if (rnd() % 4 && len > 8)
				at = rnd() % (len < 8 + 16 * 64 ? len : 8 + 16 * 64);
			copy[at] = (unsigned char)rnd();
		}
		if (ocifs_rpmhdr_parse(copy, len, 0, &r) == 0 && r.name)
			named++;
		ocifs_rpmhdr_fini(&r);
	}
	ok(1, "3000 mutated headers parsed without a crash (%zu still name a package)", named);

	/* crafted: huge counts, a directory index out of range */
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff };
	struct ocifs_rpmhdr r;
	ocifs_rpmhdr_parse(huge, sizeof(huge), 0, &r);
	ok(r.error && !r.name, "huge index and data counts: rejected (%s)", r.error ? r.error : "no");
	ocifs_rpmhdr_fini(&r);
	/* il 3: NAME "x", BASENAMES ["a"], DIRINDEXES [7], DIRNAMES ["/d/"] */
	unsigned char crafted[8 + 4 * 16 + 16] = { 0, 0, 0, 4, 0, 0, 0, 16 };
	const uint32_t ent[4][4] = { { 1000, 6, 0, 1 }, { 1117, 8, 2, 1 }, { 1116, 4, 4, 1 },
				     { 1118, 8, 8, 1 } };
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 4; k++)
			for (int b = 0; b < 4; b++)
				crafted[8 + 16 * i + 4 * k + b] = (unsigned char)(ent[i][k] >> (24 - 8 * b));
	memcpy(crafted + 8 + 64, "x\0a\0\0\0\0\7/d/\0\0\0\0\0", 16);
	is_int(ocifs_rpmhdr_parse(crafted, sizeof(crafted), 0, &r), 0, "crafted header: parsed");
	ok(r.name && !strcmp(r.name, "x") && r.nfiles == 0 && r.error &&
	   strstr(r.error, "directory index"),
	   "a directory index out of range: the package, no such file, a reason (%s)",
	   r.error ? r.error : "none");
	ocifs_rpmhdr_fini(&r);
	/* the same with a string array whose count runs off the data */
	crafted[8 + 16 + 15] = 200;
	ocifs_rpmhdr_parse(crafted, sizeof(crafted), 0, &r);
	ok(r.name && r.error && strstr(r.error, "BASENAMES"), "BASENAMES count beyond the data: a reason (%s)",
	   r.error ? r.error : "none");
	ocifs_rpmhdr_fini(&r);
	free(copy);
	free(blob);
}

static void put32(unsigned char *p, uint32_t v, int be)
{
	for (int b = 0; b < 4; b++)
		p[b] = (unsigned char)(be ? v >> (24 - 8 * b) : v >> (8 * b));
}

/* A Berkeley DB whose overflow chains loop, and one cut in half. */
static void hostile_bdb(const unsigned char *db, size_t len)
{
	unsigned char *c = malloc(len);
	struct walk w;
	char *error;
	uint32_t psize = ocifs_le32(db + 20);

	if (!c)
		return;
	memcpy(c, db, len);
	/* every overflow page: 1 byte used, its next page itself */
	for (size_t pg = 1; (pg + 1) * psize <= len; pg++) {
		unsigned char *p = c + pg * psize;
		if (p[25] == 7) {
			put32(p + 16, (uint32_t)pg, 0);
			p[22] = 1;
			p[23] = 0;
		}
	}
	is_int(hostile_walk(c, len, &w, &error), 0, "bdb, looping overflow chain: the walk returns");
	ok(error && strstr(error, "loops"), "bdb, looping overflow chain: the loop is named (%s)",
	   error ? error : "none");
	is_int(w.packages, 0, "bdb, looping overflow chain: no package made up");
	free(error);
	walk_fini(&w);
	is_int(hostile_walk(db, len / 2, &w, &error), 0, "bdb cut in half: the walk returns");
	ok(error != NULL, "bdb cut in half: a reason (%s)", error ? error : "none");
	free(error);
	walk_fini(&w);
	free(c);
}

/* An NDB whose slots point outside the file, or at no blob. */
static void hostile_ndb(const unsigned char *db, size_t len)
{
	unsigned char *c = malloc(len);
	struct walk w;
	char *error;
	size_t slots = 0;

	if (!c)
		return;
	memcpy(c, db, len);
	for (size_t off = 32; off + 16 <= 4096 * (size_t)ocifs_le32(db + 12); off += 16) {
		if (ocifs_le32(c + off + 4) == 0)
			continue;
		/* alternately: far outside, into the slot pages, a huge count */
		uint32_t v = ++slots % 3 == 0 ? 0xffffffffu : slots % 3 == 1 ? 3 : 0;
		if (v)
			put32(c + off + 8, v, 0);
		else
			put32(c + off + 12, 0xfffffff0u, 0);
	}
	is_int(hostile_walk(c, len, &w, &error), 0, "ndb, bogus block offsets: the walk returns");
	ok(error && strstr(error, "outside the file"), "ndb, bogus block offsets: a reason (%s)",
	   error ? error : "none");
	is_int(w.packages, 0, "ndb, bogus block offsets: no package made up");
	free(error);
	walk_fini(&w);
	memcpy(c, db, len);
	put32(c + 12, 5000, 0);
	is_int(hostile_walk(c, len, &w, &error), 0, "ndb, 5000 slot pages: the walk returns");
	ok(error && strstr(error, "slot pages"), "ndb, 5000 slot pages: a reason (%s)",
	   error ? error : "none");
	free(error);
	walk_fini(&w);
	free(c);
}

/* SQLite files that are no rpmdb: garbage behind the magic, another
 * schema, rows that are no headers, a database cut in half. */
static void hostile_sqlite(const unsigned char *db, size_t len, const char *tmp)
{
	unsigned char junk[4096];
	struct walk w;
	char *error, path[512];
	size_t n = 0;
	unsigned char *buf;

	memcpy(junk, "SQLite format 3", 16);
	for (size_t i = 16; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rnd();
	is_int(hostile_walk(junk, sizeof(junk), &w, &error), 0, "sqlite magic then garbage: returns");
	ok(error != NULL && w.blobs == 0, "sqlite magic then garbage: a reason (%s)", error ? error : "none");
	free(error);
	walk_fini(&w);
	is_int(hostile_walk(db, len / 2, &w, &error), 0, "rpmdb.sqlite cut in half: returns");
	ok(w.bad == 0, "rpmdb.sqlite cut in half: what it hands over still parses (%zu of 129, %s)",
	   w.packages, error ? error : "no error");
	free(error);
	walk_fini(&w);
	snprintf(path, sizeof(path), "%s/other.sqlite", tmp);
	if (tap_sh("python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); "
		   "d.execute(\"create table Other (x)\"); d.commit()' %s", path) ||
	    !(buf = tap_slurp(path, &n))) {
		skip("python3's sqlite3 module, to write a database");
		return;
	}
	is_int(hostile_walk(buf, n, &w, &error), 0, "a SQLite database without Packages: returns");
	ok(error && strstr(error, "no such table"), "a SQLite database without Packages: a reason (%s)",
	   error ? error : "none");
	free(error);
	walk_fini(&w);
	free(buf);
	snprintf(path, sizeof(path), "%s/rows.sqlite", tmp);
	if (tap_sh("python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); "
		   "d.execute(\"create table Packages (hnum integer primary key, blob)\"); "
		   "d.executemany(\"insert into Packages (blob) values (?)\", "
		   "[(None,), (42,), (\"text\",), (b\"\\0\\0\\0\\1\\0\\0\\0\\0\",), (b\"\\xff\" * 64,)]); "
		   "d.commit()' %s", path) ||
	    !(buf = tap_slurp(path, &n))) {
		ok(0, "a Packages table of junk rows");
		return;
	}
	is_int(hostile_walk(buf, n, &w, &error), 0, "Packages rows that are no headers: returns");
	ok(w.blobs == 5 && w.packages == 0 && !error,
	   "Packages rows that are no headers: 5 handed over, no package (%zu, %zu)", w.blobs, w.packages);
	free(error);
	walk_fini(&w);
	free(buf);
	/* Packages as a view of endless rows: the work budget ends it */
	snprintf(path, sizeof(path), "%s/endless.sqlite", tmp);
	if (tap_sh("python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); "
		   "d.execute(\"create view Packages as with recursive c(x) as (select 1 union all "
		   "select x + 1 from c) select zeroblob(10) as blob from c\"); d.commit()' %s", path) ||
	    !(buf = tap_slurp(path, &n))) {
		ok(0, "a Packages view of endless rows");
		return;
	}
	is_int(hostile_walk(buf, n, &w, &error), 0, "Packages, a view of endless rows: returns");
	ok(error && strstr(error, "work budget") && w.packages == 0,
	   "Packages, a view of endless rows: stopped by the work budget after %zu rows (%s)", w.blobs,
	   error ? error : "none");
	free(error);
	walk_fini(&w);
	free(buf);
}

static void hostile(const char *corpus, const char *tmp)
{
	static const char *const dbs[] = { "sle15-bci-ndb/Packages.db", "libuuid-bdb/Packages",
					   "cbl-mariner-2.0/rpmdb.sqlite" };
	unsigned char *buf[3];
	size_t len[3];
	char path[1024];

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/pkgdb/rpm/%s", corpus, dbs[i]);
		buf[i] = tap_slurp(path, &len[i]);
	}
	if (!buf[0] || !buf[1] || !buf[2]) {
		skip("the corpus databases, to mutate");
	} else {
		hostile_headers(buf[0], len[0]);
		hostile_bdb(buf[1], len[1]);
		hostile_ndb(buf[0], len[0]);
		hostile_sqlite(buf[2], len[2], tmp);
	}
	static const unsigned char text[] = "this is no database at all, just text\n";
	struct walk w;
	char *error;
	is_int(hostile_walk(text, sizeof(text), &w, &error), 0, "text: returns");
	ok(error && strstr(error, "not an rpm database"), "text: a reason (%s)", error ? error : "none");
	free(error);
	walk_fini(&w);
	for (int i = 0; i < 3; i++)
		free(buf[i]);
}

int main(void)
{
	const char *corpus = getenv("OCIFS_CORPUS");
	char tmp[] = "/tmp/ocifs-test-rpmdb.XXXXXX";

	corpus = corpus ? corpus : "/work/shared/corpus";
	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	if (tap_sh("command -v rpm >/dev/null 2>&1")) {
		skip("rpm not installed: no oracle for the SQLite and Berkeley DB databases");
	} else {
		against_rpm(corpus, "cbl-mariner-2.0", "rpmdb.sqlite", "", 129, tmp);
		against_rpm(corpus, "libuuid-bdb", "Packages", "--define '_db_backend bdb_ro'", 1, tmp);
	}
	against_tsv(corpus, tmp);
	hostile(corpus, tmp);
	tap_sh("rm -rf %s", tmp);
	return done_testing();
}
