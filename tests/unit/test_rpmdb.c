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
	tap_sh("rm -rf %s", tmp);
	return done_testing();
}
