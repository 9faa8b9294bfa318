/* SPDX-License-Identifier: MIT */
/*
 * The package parsers of the apk, Python, gem, Composer and .NET
 * catalogers, bytes in, records out: the formats as their tools write
 * them (apk's installed database per the Apk_spec wiki page, Python's
 * core metadata / RECORD / requires.txt, Gem::Specification#to_ruby,
 * Composer 1 and 2, .NET deps.json), and hostile input -- every prefix
 * of a database (truncation at each byte), garbage, bytes that are not
 * UTF-8, JSON nested past the bound -- gives what can be read and a
 * reason, never a crash or a leak (run under valgrind / ASan).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk.h"
#include "gemspec.h"
#include "pkgjson.h"
#include "pkgtext.h"
#include "pymeta.h"
#include "tap.h"

/* The strings of l joined by ",". */
static const char *join(const struct ocifs_strv *l)
{
	static char buf[4096];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "," : "", l->v[i]);
	return buf;
}

static void test_text(void)
{
	int bad = 0;
	char *s;

	ok(ocifs_pkg_utf8("Ter\xc3\xa4s", 6), "valid UTF-8");
	ok(!ocifs_pkg_utf8("\xc0\xaf", 2), "an overlong form is not UTF-8");
	ok(!ocifs_pkg_utf8("\xed\xa0\x80", 3), "a surrogate is not UTF-8");
	ok(!ocifs_pkg_utf8("a\0b", 3), "a NUL byte is refused");
	ok(!ocifs_pkg_utf8("\xe2\x82", 2), "a cut sequence is not UTF-8");
	s = ocifs_pkg_text("caf\xe9 \\x", 7, &bad);
	is_str(s, "caf\\351 \\\\x", "invalid bytes escaped as \\ooo, then backslashes doubled");
	ok(bad == 1, "and flagged");
	free(s);
	bad = 0;
	s = ocifs_pkg_text_trim("  a\\b \r\n", 8, &bad);
	is_str(s, "a\\b", "valid text kept as it is, blanks trimmed");
	ok(bad == 0, "not flagged");
	free(s);

	const char *buf = "a\r\nb\n\nc", *line;
	size_t off = 0, n, k = 0;
	char got[16] = "";
	while (ocifs_pkg_line(buf, strlen(buf), &off, &line, &n))
		k += (size_t)snprintf(got + k, sizeof(got) - k, "[%.*s]", (int)n, line);
	is_str(got, "[a][b][][c]", "lines: CRLF, empty line, no final newline");
}

/* --- apk ------------------------------------------------------------- */

static const char apk_db[] =
	"C:Q1x6WFRxtCFOJEJVxd3X43cgTKiZQ=\n"
	"P:busybox\nV:1.36.1-r2\nA:x86_64\nS:500000\nI:942080\n"
	"T:Size optimized toolbox\nU:https://busybox.net/\nL:GPL-2.0-only\no:busybox\n"
	"m:Natanael Copa <ncopa@alpinelinux.org>\nt:1572089028\nc:bad6ce21\n"
	"D:so:libc.musl-x86_64.so.1 !busybox-extras musl>=1.2 /bin/sh zlib~1.3\n"
	"p:/bin/sh cmd:busybox=1.36.1-r2 cmd:sh=1.36.1-r2\n"
	"F:bin\nR:busybox\na:0:0:755\nZ:Q1DQ3KVbIxZzKZzfCmi3c/X8esHRQ=\nR:sh\n"
	"F:etc/network/\nR:dad\n"
	"\n"
	"C:Q1AAAA=\nP:ssl_client\nV:1.36.1-r2\nA:x86_64\no:busybox\nL:GPL-2.0-only\n"
	"F:usr/bin\nR:ssl_client\n\n";

static void test_apk(void)
{
	struct ocifs_apk_db db = { 0 };

	ok(ocifs_apk_parse(apk_db, sizeof(apk_db) - 1, 0, &db) == 0, "apk: parses");
	if (!ok(db.npkgs == 2, "apk: two packages"))
		goto out;
	const struct ocifs_apk_pkg *p = &db.pkgs[0];
	is_str(p->name, "busybox", "apk: P");
	is_str(p->version, "1.36.1-r2", "apk: V");
	is_str(p->arch, "x86_64", "apk: A");
	is_str(p->origin, "busybox", "apk: o");
	is_str(p->license, "GPL-2.0-only", "apk: L");
	is_str(p->maintainer, "Natanael Copa <ncopa@alpinelinux.org>", "apk: m");
	is_str(p->build_time, "1572089028", "apk: t");
	is_str(join(&p->depends), "so:libc.musl-x86_64.so.1,musl,/bin/sh,zlib",
	       "apk: D names, constraints and conflicts dropped");
	is_str(join(&p->provides), "/bin/sh,cmd:busybox,cmd:sh", "apk: p names, versions dropped");
	is_str(join(&p->files), "/bin/busybox,/bin/sh,/etc/network/dad", "apk: R under the last F");
	is_str(db.pkgs[1].origin, "busybox", "apk: a subpackage's origin");
	is_str(join(&db.pkgs[1].files), "/usr/bin/ssl_client", "apk: its files");
	ok(!db.bad_lines && !db.nameless && !db.cut, "apk: nothing skipped");
out:
	ocifs_apk_db_fini(&db);

	/* every prefix: no crash, the packages of the complete blocks at least */
	int mono = 1;
	for (size_t n = 0; n < sizeof(apk_db); n++) {
		struct ocifs_apk_db d = { 0 };
		char *cut = malloc(n ? n : 1);
		memcpy(cut, apk_db, n);
		if (ocifs_apk_parse(cut, n, 0, &d) || d.npkgs > 2 ||
		    (n > strlen(apk_db) - 50 && d.npkgs < 1))
			mono = 0;
		ocifs_apk_db_fini(&d);
		free(cut);
	}
	ok(mono, "apk: every prefix of the database parses (ASan/valgrind watch the bytes)");

	static const char junk[] = "garbage line\nP\n:\nV:1\n\nP:\xff\xfeodd\nV:2\n\nP:x\n";
	struct ocifs_apk_db j = { 0 };
	ok(ocifs_apk_parse(junk, sizeof(junk) - 1, 0, &j) == 0, "apk: garbage parses");
	ok(j.npkgs == 2 && j.bad_lines == 3 && j.nameless == 1,
	   "apk: two entries, three bad lines, one entry without a name");
	if (j.npkgs == 2) {
		is_str(j.pkgs[0].name, "\\377\\376odd", "apk: a non-UTF-8 name escaped");
		ok(j.pkgs[0].bad_text, "apk: and flagged");
		ok(!j.pkgs[1].version, "apk: the last entry has no version");
	}
	ocifs_apk_db_fini(&j);

	struct ocifs_apk_db nm = { 0 };
	ok(ocifs_apk_parse(apk_db, sizeof(apk_db) - 1, OCIFS_APK_NAMES_ONLY, &nm) == 0 &&
	   nm.npkgs == 2 && nm.pkgs[0].version && !nm.pkgs[0].files.n && !nm.pkgs[0].arch,
	   "apk: names only: P and V, nothing else");
	ocifs_apk_db_fini(&nm);
}

/* --- Python ------------------------------------------------------------ */

static const char metadata[] =
	"Metadata-Version: 2.1\n"
	"Name: PyYAML_Ext\n"
	"Version: 6.0\n"
	"Summary: YAML parser and emitter for Python\n"
	"License: MIT\n"
	"Classifier: License :: OSI Approved :: MIT License\n"
	"Requires-Dist: attrs (>=17.4.0)\n"
	"Requires-Dist: importlib-metadata ; python_version < \"3.8\"\n"
	"Requires-Dist: pytest ; extra == 'test'\n"
	"Requires-Dist: pkg.sub[extra1,extra2]>=1.0\n"
	"requires-dist: attrs\n"
	"\n"
	"Requires-Dist: not-a-header (the body)\n";

static void test_python(void)
{
	struct ocifs_pymeta m = { 0 };

	ok(ocifs_pymeta_parse(metadata, sizeof(metadata) - 1, &m) == 0, "python: parses");
	is_str(m.name, "PyYAML_Ext", "python: Name as declared");
	is_str(m.version, "6.0", "python: Version");
	is_str(join(&m.licenses), "MIT", "python: License before classifiers");
	is_str(join(&m.requires), "attrs,importlib-metadata,pkg.sub",
	       "python: Requires-Dist names (extras dropped, markers kept, once each, body ignored)");
	char *pn = ocifs_py_purl_name(m.name);
	is_str(pn, "pyyaml-ext", "python: the purl name (lowercase, _ as -)");
	free(pn);
	ocifs_pymeta_fini(&m);

	static const char cls[] =
		"Name: a\nVersion: 1\nLicense: UNKNOWN\n"
		"Classifier: License :: OSI Approved :: BSD License\n"
		"Classifier: License :: OSI Approved\n"
		"Classifier: License :: Public Domain\n"
		"Classifier: Programming Language :: Python\n";
	ok(ocifs_pymeta_parse(cls, sizeof(cls) - 1, &m) == 0, "python: classifiers parse");
	is_str(join(&m.licenses), "BSD License,Public Domain",
	       "python: UNKNOWN falls back to the license classifiers' last segment");
	ocifs_pymeta_fini(&m);

	static const char expr[] =
		"Name: b\nVersion: 2\nLicense: Copyright (c) the authors\n"
		"        Permission is hereby granted...\n"
		"License-Expression: MIT OR Apache-2.0\n";
	ok(ocifs_pymeta_parse(expr, sizeof(expr) - 1, &m) == 0, "python: an expression parses");
	is_str(join(&m.licenses), "MIT OR Apache-2.0", "python: License-Expression wins");
	ocifs_pymeta_fini(&m);

	static const char text[] = "Name: c\nVersion: 3\nLicense: Copyright (c)\n  more text\n";
	ok(ocifs_pymeta_parse(text, sizeof(text) - 1, &m) == 0 && !m.licenses.n,
	   "python: a License that is the license's text is no license name");
	ocifs_pymeta_fini(&m);

	static const char bad[] = "garbage\n\x01\x02\nName: caf\xe9\nVersion 1.0\n";
	ok(ocifs_pymeta_parse(bad, sizeof(bad) - 1, &m) == 0, "python: garbage parses");
	is_str(m.name, "caf\\351", "python: a non-UTF-8 name escaped");
	ok(m.bad_text && m.bad_lines == 3 && !m.version, "python: flagged, three bad lines, no version");
	ocifs_pymeta_fini(&m);

	static const char record[] =
		"yaml/__init__.py,sha256=abc,12\n"
		"\"odd,name.py\",,\n"
		"../../../bin/pyyaml-tool,sha256=x,1\n"
		"/etc/abs.conf,,\n"
		"../../../../../../../../escape,,\n"
		"PyYAML-6.0.dist-info/RECORD,,\n";
	struct ocifs_strv files = { 0 };
	size_t nbad = 0;
	int bt = 0;
	ok(ocifs_py_list_parse(OCIFS_PY_RECORD, record, sizeof(record) - 1,
			       "/usr/lib/python3/dist-packages", &files, &nbad, &bt) == 0,
	   "python: RECORD parses");
	is_str(join(&files),
	       "/usr/lib/python3/dist-packages/yaml/__init__.py,"
	       "/usr/lib/python3/dist-packages/odd,name.py,/usr/bin/pyyaml-tool,/etc/abs.conf,"
	       "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD",
	       "python: RECORD paths (CSV quoting, .., absolute) resolved");
	ok(nbad == 1, "python: a path above the root dropped and counted");
	ocifs_strv_fini(&files);

	static const char req[] = "pycairo>=1.16.0\nsix\n\n[crypto]\ncryptography>=3.4.0\n"
				  "[:python_version < \"3\"]\nhttplib2\n[test:python_version < \"3\"]\nmock\n";
	ok(ocifs_py_list_parse(OCIFS_PY_REQUIRES, req, sizeof(req) - 1, "/", &files, &nbad, &bt) ==
		   0,
	   "python: requires.txt parses");
	is_str(join(&files), "pycairo,six,httplib2",
	       "python: requires.txt outside [extra] sections ([:marker] kept)");
	ocifs_strv_fini(&files);
}

/* --- gem --------------------------------------------------------------- */

static void test_gem(void)
{
	static const char spec[] =
		"# -*- encoding: utf-8 -*-\n"
		"Gem::Specification.new do |s|\n"
		"  s.name = \"rack\".freeze\n"
		"  s.version = \"2.2.22\"\n"
		"  s.name_suffix = \"nope\"\n"
		"  s.licenses = [\"MIT\".freeze, %q{Ruby}.freeze]\n"
		"  if s.respond_to? :add_runtime_dependency then\n"
		"    s.add_runtime_dependency(%q<rake>.freeze, [\">= 0\"])\n"
		"    s.add_development_dependency(%q<minitest>.freeze, [\"~> 5.0\"])\n"
		"  else\n"
		"    s.add_dependency(%q<rake>.freeze, [\">= 0\"])\n"
		"    s.add_dependency(%q<minitest>.freeze, [\"~> 5.0\"])\n"
		"  end\n"
		"end\n";
	struct ocifs_pkgrec r = { 0 };
	struct ocifs_pkglist l = { 0 };
	const char *why;

	ok(ocifs_gemspec_parse(spec, sizeof(spec) - 1, &r, &why) == 0 && !why, "gem: parses");
	is_str(r.name, "rack", "gem: name");
	is_str(r.version, "2.2.22", "gem: version");
	is_str(join(&r.licenses), "MIT,Ruby", "gem: licenses (\"x\" and %%q{x})");
	is_str(join(&r.depends), "rake", "gem: runtime dependencies only");
	/* hand r to a list to free it */
	*ocifs_pkglist_add(&l) = r;

	static const char old[] = "Gem::Specification.new do |spec|\n"
				  "  spec.name    = 'a\\'b'\n"
				  "  spec.version = '1.0'\n"
				  "  spec.license = 'MIT'\n"
				  "  spec.add_dependency 'json', '>= 2'\n"
				  "  spec.add_dependency(%q(x(y)z))\n"
				  "end\n";
	struct ocifs_pkgrec *o = ocifs_pkglist_add(&l);
	ok(ocifs_gemspec_parse(old, sizeof(old) - 1, o, &why) == 0 && !why, "gem: a hand-written spec");
	is_str(o->name, "a'b", "gem: an escaped quote");
	is_str(join(&o->depends), "json,x(y)z",
	       "gem: add_dependency when no kind is named (nested delimiters)");

	static const char bad[] = "s.name = \"unterminated\ns.version = %q\n\xff.name = 1\n";
	struct ocifs_pkgrec *b = ocifs_pkglist_add(&l);
	ok(ocifs_gemspec_parse(bad, sizeof(bad) - 1, b, &why) == 0, "gem: garbage parses");
	ok(!b->name && why && strstr(why, "name"), "gem: no name, and the reason says so");
	ocifs_pkglist_fini(&l);
}

/* --- Composer and .NET ------------------------------------------------- */

static void test_json(void)
{
	static const char c2[] =
		"{\"packages\": [\n"
		" {\"name\": \"monolog/monolog\", \"version\": \"3.5.0\", \"license\": [\"MIT\"],\n"
		"  \"require\": {\"php\": \">=8.1\", \"ext-json\": \"*\", \"psr/log\": \"^3\",\n"
		"              \"composer-runtime-api\": \"^2\", \"lib-pcre\": \"*\"}},\n"
		" {\"name\": \"phpunit/phpunit\", \"version\": \"10.5.1\", \"license\": \"BSD-3-Clause\"},\n"
		" {\"version\": \"1\"}\n"
		"], \"dev\": true, \"dev-package-names\": [\"phpunit/phpunit\"]}";
	struct ocifs_pkglist l = { 0 };

	ok(ocifs_composer_parse(c2, sizeof(c2) - 1, &l) == 0 && !l.error, "composer 2: parses");
	if (ok(l.n == 2, "composer 2: two named packages")) {
		is_str(l.v[0].namespace_, "monolog", "composer: vendor as namespace");
		is_str(l.v[0].name, "monolog", "composer: name");
		is_str(l.v[0].version, "3.5.0", "composer: version");
		is_str(join(&l.v[0].depends), "psr/log", "composer: require without platform packages");
		ok(!l.v[0].extra, "composer: not a dev package");
		is_str(l.v[1].extra, "true", "composer: a dev package");
		is_str(join(&l.v[1].licenses), "BSD-3-Clause", "composer: a license string");
	}
	ocifs_pkglist_fini(&l);

	static const char c1[] = "[{\"name\": \"twig/twig\", \"version\": \"v1.44.7\"}]";
	ok(ocifs_composer_parse(c1, sizeof(c1) - 1, &l) == 0 && l.n == 1 &&
	   !strcmp(l.v[0].version, "v1.44.7"), "composer 1: a list of packages");
	ocifs_pkglist_fini(&l);

	ok(ocifs_composer_parse(c2, 100, &l) == 0 && l.n == 0 && l.error &&
	   strstr(l.error, "truncated"), "composer: truncated JSON: nothing, with a reason");
	ocifs_pkglist_fini(&l);
	ok(ocifs_composer_parse("{\"x\": 1}", 8, &l) == 0 && l.n == 0 && l.error,
	   "composer: an object without packages: a reason");
	ocifs_pkglist_fini(&l);
	char deep[4096];
	memset(deep, '[', sizeof(deep));
	ok(ocifs_composer_parse(deep, sizeof(deep), &l) == 0 && l.n == 0 && l.error,
	   "composer: nesting past the depth bound: a reason, no recursion");
	ocifs_pkglist_fini(&l);

	static const char dn[] =
		"{\"targets\": {\".NETCoreApp,Version=v8.0\": {\n"
		"   \"App/1.0.0\": {\"dependencies\": {\"Serilog\": \"3.1.1\"}},\n"
		"   \"Serilog.Sinks.Console/5.0.1\": {\"dependencies\": {\"Serilog\": \"3.1.1\"}}}},\n"
		" \"libraries\": {\n"
		"   \"App/1.0.0\": {\"type\": \"project\"},\n"
		"   \"Serilog/3.1.1\": {\"type\": \"package\", \"sha512\": \"sha512-P6G4\"},\n"
		"   \"Serilog.Sinks.Console/5.0.1\": {\"type\": \"package\"},\n"
		"   \"NoVersion\": {\"type\": \"package\"},\n"
		"   \"Ref/1.0\": {\"type\": \"reference\"}}}";
	ok(ocifs_dotnet_parse(dn, sizeof(dn) - 1, &l) == 0, ".NET: parses");
	if (ok(l.n == 2, ".NET: the two libraries of type package")) {
		is_str(l.v[0].name, "Serilog", ".NET: name");
		is_str(l.v[0].version, "3.1.1", ".NET: version");
		is_str(l.v[0].extra, "sha512-P6G4", ".NET: sha512");
		is_str(join(&l.v[1].depends), "Serilog", ".NET: dependencies from targets");
	}
	ok(l.error && strstr(l.error, "Name/Version"), ".NET: a key without a version: a reason");
	ocifs_pkglist_fini(&l);

	static const char junk[] = "\x89PNG\r\n\x1a\n\0\0garbage";
	ok(ocifs_dotnet_parse(junk, sizeof(junk) - 1, &l) == 0 && l.n == 0 && l.error,
	   ".NET: garbage: nothing, with a reason");
	ocifs_pkglist_fini(&l);
}

int main(void)
{
	test_text();
	test_apk();
	test_python();
	test_gem();
	test_json();
	return done_testing();
}
