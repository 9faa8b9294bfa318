/* SPDX-License-Identifier: MIT */
/*
 * scan/dpkg.c, the parser of dpkg's databases: hand-made stanzas
 * (continuation lines, field case, epochs, Source versions, relation
 * syntax), then dpkg itself as the oracle -- which states dpkg-query -W
 * lists, and every package of a real status file (this machine's, and
 * the Debian root of tests/lib.sh's debian_root when the fixtures hold
 * it) name for name, version for version, with architecture, source
 * and maintainer; the file lists against `dpkg-query -L`; DEP-5
 * copyright files; hostile input (truncation, garbage, a 10 MB line,
 * non-UTF-8 bytes, a huge Depends) never crashing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpkg.h"
#include "tap.h"

static int parse(const char *s, unsigned flags, struct ocifs_dpkg_db *db)
{
	return ocifs_dpkg_parse(s, strlen(s), flags, db);
}

static const struct ocifs_dpkg_pkg *find(const struct ocifs_dpkg_db *db, const char *name,
					 const char *arch)
{
	for (size_t i = 0; i < db->n; i++)
		if (!strcmp(db->pkgs[i].name, name) &&
		    (!arch || (db->pkgs[i].arch && !strcmp(db->pkgs[i].arch, arch))))
			return &db->pkgs[i];
	return NULL;
}

/* The strings of v joined by "," for comparisons. */
static const char *join(char **v, size_t n)
{
	static char buf[4096];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < sizeof(buf) - 1; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "," : "", v[i]);
	return buf;
}

static void hand_made(void)
{
	static const char st[] =
		"Package: libfoo1\n"
		"status: install ok installed\n"     /* field names are case-insensitive */
		"Version: 1:2.3-4+b1\n"
		"Architecture: amd64\n"
		"Multi-Arch: same\n"
		"Source: foo (2.3-4)\n"
		"Maintainer: Foo Team <foo@example.org>\n"
		"Pre-Depends: libc6 (>= 2.34)\n"
		"Depends: libbar2:any (>= 1.0) | libbar1 [amd64],\n"
		" libbaz <!nocheck>,\n"
		"\tlibc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0\n"
		"Provides: foo-api (= 2), virtual-foo\n"
		"Description: a library\n"
		" with a long description\n"
		" .\n"
		" Package: not-a-package\n"
		"\n"
		"\n"
		"Package: foo-tools\r\n"
		"Status: install ok half-configured\r\n"
		"Version: 0:1.0\r\n"
		"Architecture: all\r\n"
		"\r\n"
		"Package: gone\n"
		"Status: deinstall ok config-files\n"
		"Version: 3.0\n"
		"\n"
		"Package: nostatus\n"
		"Version: 1\n";
	struct ocifs_dpkg_db db;
	const struct ocifs_dpkg_pkg *p;
	const char *ep;
	size_t el;

	is_int(parse(st, 0, &db), 0, "hand-made status parses");
	is_int(db.n, 4, "four stanzas: the description's \"Package:\" is a continuation");
	ok(db.error == NULL, "no problem recorded (%s)", db.error ? db.error : "");
	p = find(&db, "libfoo1", NULL);
	if (!ok(p != NULL, "libfoo1 found"))
		goto out;
	is_str(p->version, "1:2.3-4+b1", "version as written");
	is_str(ocifs_dpkg_split_epoch(p->version, &ep, &el), "2.3-4+b1", "version without epoch");
	ok(el == 1 && *ep == '1', "epoch 1");
	is_str(p->arch, "amd64", "architecture");
	is_str(p->source, "foo", "source name");
	is_str(p->source_version, "2.3-4", "source version from the parentheses");
	is_str(p->maintainer, "Foo Team <foo@example.org>", "maintainer");
	is_str(p->status, "install ok installed", "status");
	ok(p->installed, "installed");
	is_str(join(p->depends, p->ndepends),
	       "libc6,libbar2 | libbar1,libbaz,debconf | debconf-2.0",
	       "Pre-Depends then Depends over continuation lines: constraints, :any, [arch], "
	       "<profile> stripped, alternatives kept, libc6 once");
	is_str(join(p->provides, p->nprovides), "foo-api,virtual-foo", "provides");
	p = find(&db, "foo-tools", NULL);
	if (ok(p != NULL, "CRLF stanza found")) {
		ok(p->installed, "half-configured counts as installed");
		is_str(p->version, "0:1.0", "CRLF stripped from the version");
		ok(p->source == NULL && p->ndepends == 0, "no Source, no Depends");
		ocifs_dpkg_split_epoch(p->version, &ep, &el);
		ok(el == 1 && *ep == '0', "epoch 0 is split off too");
	}
	p = find(&db, "gone", NULL);
	ok(p && !p->installed, "config-files is not installed");
	p = find(&db, "nostatus", NULL);
	ok(p && !p->installed, "no Status in a status file: not installed (as dpkg)");
	ocifs_dpkg_db_fini(&db);
	is_int(parse(st, OCIFS_DPKG_NOSTATUS_INSTALLED, &db), 0, "reparse as status.d");
	p = find(&db, "nostatus", NULL);
	ok(p && p->installed, "no Status in a status.d file: installed (distroless)");
	ok(p && !p->error, "no problem recorded for it");
out:
	ocifs_dpkg_db_fini(&db);

	is_str(ocifs_dpkg_split_epoch("2.0", &ep, &el), "2.0", "no epoch");
	ok(el == 0, "no epoch length");
	is_str(ocifs_dpkg_split_epoch("a:1", &ep, &el), "a:1", "a non-numeric epoch is not one");
}

/* Run cmd and return its output (malloc'd), or NULL when it failed. */
static char *run(const char *cmd)
{
	int st;
	char *out = tap_run(cmd, &st);

	if (st != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int have_dpkg(void)
{
	return system("command -v dpkg-query >/dev/null 2>&1") == 0;
}

/* An admin directory dpkg-query accepts around status bytes: dir/status. */
static int admindir(const char *dir, const char *status, size_t len)
{
	char p[PATH_MAX + 16];
	FILE *f;

	snprintf(p, sizeof(p), "%s/info", dir);
	mkdir(dir, 0755);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/updates", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/status", dir);
	if (!(f = fopen(p, "w")))
		return -1;
	fwrite(status, 1, len, f);
	return fclose(f);
}

/* Which states dpkg-query -W lists, against ocifs_dpkg_installed. */
static void states_oracle(const char *tmp)
{
	static const char *const states[] = {
		"install ok installed", "install ok half-configured", "install ok unpacked",
		"install reinstreq half-installed", "install ok triggers-pending",
		"install ok triggers-awaited", "deinstall ok installed", "hold ok installed",
		"deinstall ok config-files", "purge ok not-installed", "unknown ok not-installed",
	};
	char st[8192], dir[PATH_MAX], cmd[PATH_MAX + 256], want[4096] = "", got[4096] = "";
	size_t o = 0, n = sizeof(states) / sizeof(states[0]);
	struct ocifs_dpkg_db db;
	char *out;

	for (size_t i = 0; i < n; i++) {
		int extra = strstr(states[i], "triggers-pending") ? 1 : strstr(states[i], "awaited") ? 2 : 0;
		o += (size_t)snprintf(st + o, sizeof(st) - o,
				      "Package: p%zu\nStatus: %s\nVersion: 1.%zu\n"
				      "Maintainer: m <m@example.org>\nArchitecture: all\n"
				      "Description: d\n%s\n",
				      i, states[i], i,
				      extra == 1 ? "Triggers-Pending: t\n"
				      : extra == 2 ? "Triggers-Awaited: p0\n" : "");
	}
	snprintf(dir, sizeof(dir), "%s/states", tmp);
	if (admindir(dir, st, o))
		return (void)ok(0, "admin directory for the states");
	/* config-files packages are listed by dpkg-query but own nothing
	 * but conffiles: the cataloger leaves them out, so does this list */
	snprintf(cmd, sizeof(cmd),
		 "dpkg-query --admindir='%s' -W -f '${db:Status-Status} ${Package}\\n' 2>/dev/null"
		 " | awk '$1 != \"config-files\" {print $2}' | sort | tr '\\n' ' '", dir);
	if (!(out = run(cmd)))
		return (void)ok(0, "dpkg-query lists the states");
	snprintf(want, sizeof(want), "%s", out);
	free(out);
	if (parse(st, 0, &db) == 0) {
		size_t g = 0;
		/* p0..p10 sort as dpkg-query sorts them with sort(1) */
		char *names[64];
		size_t nn = 0;
		for (size_t i = 0; i < db.n && nn < 64; i++)
			if (db.pkgs[i].installed)
				names[nn++] = db.pkgs[i].name;
		for (size_t i = 0; i < nn; i++)
			for (size_t j = i + 1; j < nn; j++)
				if (strcmp(names[i], names[j]) > 0) {
					char *t = names[i];
					names[i] = names[j];
					names[j] = t;
				}
		for (size_t i = 0; i < nn; i++)
			g += (size_t)snprintf(got + g, sizeof(got) - g, "%s ", names[i]);
	}
	ocifs_dpkg_db_fini(&db);
	is_str(got, want, "installed states are those dpkg-query -W lists (config-files aside)");
	diag("installed: %s", got);
}

/* Every package of a real status file against dpkg-query on it. */
static void status_oracle(const char *admin, const char *what)
{
	char path[PATH_MAX], cmd[PATH_MAX + 512];
	size_t len, o = 0, bad = 0, cap;
	struct ocifs_dpkg_db db;
	char *buf, *want, *got;

	snprintf(path, sizeof(path), "%s/status", admin);
	if (!(buf = tap_slurp(path, &len)))
		return (void)skip("%s: no %s", what, path);
	snprintf(cmd, sizeof(cmd),
		 "dpkg-query --admindir='%s' -W -f '${db:Status-Status}\\t${Package}\\t${Version}\\t"
		 "${Architecture}\\t${source:Package}\\t${source:Version}\\t${Maintainer}\\n' "
		 "2>/dev/null | grep -v '^config-files' | cut -f2- | LC_ALL=C sort",
		 admin);
	want = run(cmd);
	if (!ok(want != NULL, "%s: dpkg-query lists %s", what, admin)) {
		free(buf);
		return;
	}
	is_int(ocifs_dpkg_parse(buf, len, 0, &db), 0, "%s: status parses", what);
	ok(db.error == NULL, "%s: no problem recorded (%s)", what, db.error ? db.error : "");
	cap = len + 1;
	got = malloc(cap);
	for (size_t i = 0; got && i < db.n; i++) {
		const struct ocifs_dpkg_pkg *p = &db.pkgs[i];
		if (!p->installed)
			continue;
		o += (size_t)snprintf(got + o, cap - o, "%s\t%s\t%s\t%s\t%s\t%s\n", p->name,
				      p->version ? p->version : "", p->arch ? p->arch : "",
				      p->source ? p->source : p->name,
				      p->source_version ? p->source_version : p->version,
				      p->maintainer ? p->maintainer : "");
		bad += p->error != NULL;
	}
	if (got) {
		/* sort our lines as sort(1) does under LC_ALL=C */
		char *sorted = NULL;
		char tmpl[] = "/tmp/ocifs-test-dpkg-lines.XXXXXX";
		int fd = mkstemp(tmpl);
		if (fd >= 0) {
			if (write(fd, got, o) == (ssize_t)o) {
				snprintf(cmd, sizeof(cmd), "LC_ALL=C sort '%s'", tmpl);
				sorted = run(cmd);
			}
			close(fd);
			unlink(tmpl);
		}
		ok(sorted && !strcmp(sorted, want),
		   "%s: name, version, arch, source, source version, maintainer of every "
		   "package equal dpkg-query -W's", what);
		if (sorted && strcmp(sorted, want))
			diag("ours:\n%.2000s\ndpkg-query:\n%.2000s", sorted, want);
		free(sorted);
	}
	is_int(bad, 0, "%s: no stanza problem", what);
	diag("%s: %zu packages", what, db.n);
	free(got);
	free(want);
	free(buf);
	ocifs_dpkg_db_fini(&db);
}

/* info/PKG.list of a few packages against `dpkg-query -L`. */
static void list_oracle(const char *admin, const char *what)
{
	static const char *const pkgs[] = { "dpkg", "coreutils", "libc6", "bash", "tar" };
	char path[PATH_MAX], cmd[PATH_MAX + 256];
	int checked = 0;

	for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
		struct ocifs_dpkg_files fl, md;
		size_t len, o = 0, mlen;
		char *buf, *want, *got, *mbuf;
		snprintf(path, sizeof(path), "%s/info/%s.list", admin, pkgs[i]);
		if (!(buf = tap_slurp(path, &len))) {
			snprintf(path, sizeof(path), "%s/info/%s:amd64.list", admin, pkgs[i]);
			if (!(buf = tap_slurp(path, &len)))
				continue;
		}
		snprintf(cmd, sizeof(cmd), "dpkg-query --admindir='%s' -L '%s' 2>/dev/null | grep -vx '/\\.'",
			 admin, pkgs[i]);
		want = run(cmd);
		is_int(ocifs_dpkg_parse_list(buf, len, &fl), 0, "%s: %s.list parses", what, pkgs[i]);
		got = calloc(1, len + 1);
		for (size_t j = 0; got && j < fl.n; j++)
			o += (size_t)snprintf(got + o, len + 1 - o, "%s\n", fl.paths[j]);
		ok(want && got && !strcmp(got, want), "%s: %s.list equals dpkg-query -L (%zu paths)",
		   what, pkgs[i], fl.n);
		/* the .md5sums lists the package's regular files: each in the .list */
		memcpy(path + strlen(path) - 5, ".md5sums", 9);
		if ((mbuf = tap_slurp(path, &mlen))) {
			size_t missing = 0;
			is_int(ocifs_dpkg_parse_md5sums(mbuf, mlen, &md), 0, "%s: %s.md5sums parses",
			       what, pkgs[i]);
			for (size_t j = 0; j < md.n; j++) {
				size_t k = 0;
				while (k < fl.n && strcmp(fl.paths[k], md.paths[j]))
					k++;
				missing += k == fl.n;
			}
			ok(md.n > 0 && missing == 0 && !md.error,
			   "%s: the %zu paths of %s.md5sums are in its .list", what, md.n, pkgs[i]);
			ocifs_dpkg_files_fini(&md);
			free(mbuf);
		}
		ocifs_dpkg_files_fini(&fl);
		free(got);
		free(want);
		free(buf);
		checked++;
	}
	ok(checked > 0, "%s: file lists compared", what);
}

static const char *lics(const char *text)
{
	char **v = NULL;
	size_t n = 0;
	static char buf[4096];

	if (ocifs_dpkg_copyright(text, strlen(text), &v, &n))
		return "(error)";
	snprintf(buf, sizeof(buf), "%s", join(v, n));
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return buf;
}

static void copyright(void)
{
	is_str(lics("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
		    "Upstream-Name: foo\n\n"
		    "Files: *\nCopyright: 2020 X\nLicense: GPL-2+\n\n"
		    "Files: lib/*\nLicense: LGPL-2.1 or BSD-3-clause\n\n"
		    "Files: doc/*\nLicense: GFDL-1.3+ and CC0\n\n"
		    "Files: x/*\nLicense: Expat (modified)\n\n"
		    "Files: y/*\nLicense: GPL-2+ with OpenSSL exception\n\n"
		    "License: GPL-2+\n On Debian systems, the full text ... see\n"
		    " /usr/share/common-licenses/GPL-2.\n"
		    "License: Apache-2.0\nLicense: public-domain\nlicense: gpl-3.0+\n"),
	       "GPL-2.0-or-later,LGPL-2.1-only,BSD-3-Clause,GFDL-1.3-or-later,CC0-1.0,MIT,"
	       "GPL-2+ with OpenSSL exception,Apache-2.0,public-domain,GPL-3.0-or-later",
	       "DEP-5: License synopses split, mapped to SPDX, deduplicated, in order");
	is_str(lics("This is foo, packaged by X.\n\nCopyright: 1999 Y\n\n"
		    "On Debian systems, the complete text of the GNU General Public License\n"
		    "can be found in `/usr/share/common-licenses/GPL-3'. And of the LGPL in\n"
		    "/usr/share/common-licenses/LGPL-2.1.  License: none\n"),
	       "GPL-3.0-only,LGPL-2.1-only",
	       "not machine-readable: the common-licenses it names (a License: line is text)");
	is_str(lics(""), "", "empty copyright: no license");
	is_str(lics("Format: x\n\nLicense:\nLicense: ,, or \n"), "", "empty synopses: none");
	is_str(ocifs_dpkg_spdx("bsd-2-CLAUSE", 12), "BSD-2-Clause", "spdx lookup is case-insensitive");
}

static void hostile(void)
{
	struct ocifs_dpkg_db db;
	const struct ocifs_dpkg_pkg *p;
	size_t big = 10u << 20;
	char *b;

	/* truncated mid-field, then mid-name */
	is_int(parse("Package: a\nStatus: install ok installed\nVersion: 1.0\nDepends: libc6 (>= 2", 0,
		     &db), 0, "truncated Depends");
	p = find(&db, "a", NULL);
	ok(p && p->installed && p->ndepends == 1 && !strcmp(p->depends[0], "libc6"),
	   "truncated stanza: its package as far as it goes");
	ocifs_dpkg_db_fini(&db);
	/* no Package: skipped with a reason, the next stanza kept */
	is_int(parse("Version: 1\nStatus: install ok installed\n\nPackage: b\n"
		     "Status: install ok installed\nVersion: 2\n", 0, &db), 0, "stanza without Package");
	ok(db.n == 1 && !strcmp(db.pkgs[0].name, "b") && db.error && strstr(db.error, "Package"),
	   "the stanza without Package skipped with a reason (%s)", db.error ? db.error : "");
	ocifs_dpkg_db_fini(&db);
	/* garbage bytes */
	b = malloc(big + 64);
	for (size_t i = 0; i < 1u << 20; i++)
		b[i] = (char)((i * 2654435761u) >> 13);
	is_int(ocifs_dpkg_parse(b, 1u << 20, 0, &db), 0, "1 MiB of garbage parses");
	ocifs_dpkg_db_fini(&db);
	/* a 10 MB single line, as a field and as a Depends */
	memcpy(b, "Package: huge\nStatus: install ok installed\nVersion: 1\nDepends: ", 63);
	for (size_t i = 63; i < big + 63; i++)
		b[i] = (char)('a' + i % 26);
	is_int(ocifs_dpkg_parse(b, big + 63, 0, &db), 0, "10 MB Depends line");
	p = find(&db, "huge", NULL);
	ok(p && p->installed && p->ndepends == 0 && p->error,
	   "the over-long Depends ignored with a reason, the package kept");
	ocifs_dpkg_db_fini(&db);
	memcpy(b, "Package: ", 9);
	memset(b + 9, 'x', 63 - 9);
	is_int(ocifs_dpkg_parse(b, big, 0, &db), 0, "10 MB Package line");
	ok(db.n == 0 && db.error, "an over-long name: stanza skipped with a reason");
	ocifs_dpkg_db_fini(&db);
	/* a 60000-item Depends with duplicates and cycles: capped, deduplicated */
	{
		size_t o = (size_t)sprintf(b, "Package: c\nStatus: install ok installed\nVersion: 1\n"
						  "Depends: c, d");
		for (size_t i = 0; i < 60000; i++)
			o += (size_t)sprintf(b + o, ", p%zu | c", i % 20000);
		b[o++] = '\n';
		is_int(ocifs_dpkg_parse(b, o, 0, &db), 0, "60000-item cyclic Depends");
		p = find(&db, "c", NULL);
		ok(p && p->ndepends == 8192 && !strcmp(p->depends[0], "c") && p->error,
		   "capped at 8192 distinct entries with a reason (%zu)", p ? p->ndepends : 0);
		ocifs_dpkg_db_fini(&db);
	}
	free(b);
	/* non-UTF-8 bytes pass through as written */
	is_int(parse("Package: caf\xe9\xff\nStatus: install ok installed\nVersion: 1\xc3\n", 0, &db),
	       0, "non-UTF-8 name");
	ok(db.n == 1 && !strcmp(db.pkgs[0].name, "caf\xe9\xff") &&
		   !strcmp(db.pkgs[0].version, "1\xc3"),
	   "non-UTF-8 name and version kept byte for byte");
	ocifs_dpkg_db_fini(&db);
	/* NUL bytes and lone continuation lines */
	{
		static const char z[] = " x\n\0\0Package: n\0x\n";
		is_int(ocifs_dpkg_parse(z, sizeof(z) - 1, 0, &db), 0, "NULs and strays");
	}
	ocifs_dpkg_db_fini(&db);
	{
		struct ocifs_dpkg_files fl;
		static const char m[] = "zz\nabc  /x\nd41d8cd98f00b204e9800998ecf8427e  usr/y\n"
					"d41d8cd98f00b204e9800998ecf8427e *usr/z\n";
		is_int(ocifs_dpkg_parse_md5sums(m, sizeof(m) - 1, &fl), 0, "md5sums with a bad line");
		is_str(join(fl.paths, fl.n), "/x,/usr/y,/usr/z", "md5sums paths rooted");
		ok(fl.error != NULL, "the bad line noted");
		ocifs_dpkg_files_fini(&fl);
	}
}

int main(void)
{
	char tmp[] = "/tmp/ocifs-test-dpkg.XXXXXX", root[PATH_MAX], dir[PATH_MAX];

	hand_made();
	copyright();
	hostile();
	if (!have_dpkg()) {
		skip("dpkg-query is needed for the oracle checks");
		return done_testing();
	}
	if (!mkdtemp(tmp))
		return ok(0, "mkdtemp"), done_testing();
	states_oracle(tmp);
	/* this machine's status, copied first: others may run apt meanwhile */
	{
		char host[PATH_MAX];
		size_t len;
		char *st = tap_slurp("/var/lib/dpkg/status", &len);
		snprintf(host, sizeof(host), "%s/host", tmp);
		if (st && admindir(host, st, len) == 0)
			status_oracle(host, "this machine");
		else
			skip("this machine has no readable /var/lib/dpkg/status");
		free(st);
	}
	list_oracle("/var/lib/dpkg", "this machine");
	if (!tap_debian_root(dir, sizeof(dir)) &&
	    snprintf(root, sizeof(root), "%s/rootfs/var/lib/dpkg", dir) < (int)sizeof(root) &&
	    access(root, R_OK) == 0) {
		status_oracle(root, "Debian root");
		list_oracle(root, "Debian root");
	} else {
		skip("no Debian root (tests/lib.sh debian_root: needs root and Debian's mirror)");
	}
	tap_sh("rm -rf '%s'", tmp);
	return done_testing();
}
