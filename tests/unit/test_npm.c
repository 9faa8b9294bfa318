/* SPDX-License-Identifier: MIT */
/*
 * package.json of installed npm packages (scan/npm.c): which paths are
 * installed packages (scoped, nested, and the look-alikes that are
 * not), the fields as npm documents them (license as a string, an
 * object, the legacy licenses array; dependencies and
 * optionalDependencies by name), and hostile files: not JSON,
 * truncated, not an object, invalid UTF-8, nested beyond the depth
 * limit, huge dependency lists -- a reason each, never a crash. The
 * `npm install` / `npm ls` oracle is tests/cli/t17-sbom-npm-java.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npm.h"
#include "tap.h"

static void test_paths(void)
{
	static const struct {
		const char *path, *name; /* name NULL: not a package */
	} cases[] = {
		{ "/app/node_modules/express/package.json", "express/package.json" },
		{ "/node_modules/@types/node/package.json", "@types/node/package.json" },
		{ "/a/node_modules/x/node_modules/y/package.json", "y/package.json" },
		{ "/a/node_modules/@s/x/node_modules/@t/y/package.json", "@t/y/package.json" },
		{ "/a/node_modules/x/test/fixtures/package.json", NULL },
		{ "/a/node_modules/x/lib/package.json", NULL },
		{ "/a/node_modules/@types/package.json", NULL },
		{ "/a/node_modules/.bin/package.json", NULL },
		{ "/a/node_modules/package.json", NULL },
		{ "/a/my_node_modules/x/package.json", NULL },
		{ "/a/node_modules/x/package.json.bak", NULL },
		{ "/app/package.json", NULL },
		{ "/a/node_modules/@/x/package.json", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = NULL;
		int m = ocifs_npm_path(cases[i].path, &name);
		if (cases[i].name)
			ok(m && name && !strcmp(name, cases[i].name), "path %s: package %s", cases[i].path,
			   cases[i].name);
		else
			ok(!m, "path %s: not a package", cases[i].path);
	}

	static const struct {
		const char *path;
		int root;
	} roots[] = {
		{ "/app/package.json", 1 },
		{ "/usr/share/nodejs/acorn/package.json", 1 },
		{ "/package.json", 1 },
		{ "/app/node_modules/x/package.json", 0 },
		{ "/node_modules/x/test/package.json", 0 },
		{ "/app/my_node_modules/x/package.json", 1 },
		{ "/app/node_modules_old/package.json", 1 },
		{ "/app/package.jsonx", 0 },
	};
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		is_int(ocifs_npm_root(roots[i].path), roots[i].root, "root %s", roots[i].path);

	char *ns;
	const char *base;
	ok(!ocifs_npm_split("@babel/core", &ns, &base) && ns && !strcmp(ns, "@babel") &&
	   !strcmp(base, "core"), "split: @babel/core");
	free(ns);
	ok(!ocifs_npm_split("lodash", &ns, &base) && !ns && !strcmp(base, "lodash"), "split: lodash");
}

static int parse(const char *s, struct ocifs_npm_pkg *p)
{
	return ocifs_npm_parse(s, strlen(s), p);
}

static void test_fields(void)
{
	struct ocifs_npm_pkg p;

	is_int(parse("{\"name\":\"@types/node\",\"version\":\"20.1.0\",\"license\":\"MIT\","
		     "\"dependencies\":{\"undici-types\":\"~5.26.4\",\"a\":\"1\"},"
		     "\"optionalDependencies\":{\"fsevents\":\"2\",\"a\":\"1\"}}", &p), 0, "parsed");
	is_str(p.name, "@types/node", "name");
	is_str(p.version, "20.1.0", "version");
	ok(p.nlicenses == 1 && !strcmp(p.licenses[0], "MIT"), "license string");
	ok(p.ndepends == 3 && !strcmp(p.depends[0], "undici-types") && !strcmp(p.depends[1], "a") &&
	   !strcmp(p.depends[2], "fsevents"), "dependencies then optional ones, deduplicated");
	ok(!p.error, "no error");
	ocifs_npm_fini(&p);

	parse("{\"name\":\"x\",\"version\":\"1.0.0\",\"license\":{\"type\":\"ISC\",\"url\":\"u\"}}", &p);
	ok(p.nlicenses == 1 && !strcmp(p.licenses[0], "ISC"), "license object");
	ocifs_npm_fini(&p);
	parse("{\"name\":\"x\",\"version\":\"1.0.0\",\"licenses\":[{\"type\":\"MIT\"},{\"type\":"
	      "\"Apache-2.0\"},\"BSD-3-Clause\",{\"nope\":1},[\"deep\"]]}", &p);
	ok(p.nlicenses == 3 && !strcmp(p.licenses[1], "Apache-2.0") &&
	   !strcmp(p.licenses[2], "BSD-3-Clause"), "legacy licenses array");
	ocifs_npm_fini(&p);
	parse("{\"name\":5,\"version\":[\"1\"],\"dependencies\":[\"a\"]}", &p);
	ok(!p.name && !p.version && !p.ndepends && !p.error, "wrong types ignored, not an error");
	ocifs_npm_fini(&p);
}

static void test_hostile(void)
{
	static const struct {
		const char *what, *json;
	} bad[] = {
		{ "not JSON", "name = x\nversion = 1\n" },
		{ "truncated", "{\"name\":\"x\",\"version\":\"1" },
		{ "not an object", "[\"name\",\"x\"]" },
		{ "invalid UTF-8", "{\"name\":\"x\xff\xfe\",\"version\":\"1\"}" },
		{ "empty", "" },
	};
	struct ocifs_npm_pkg p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(parse(bad[i].json, &p), 0, "%s: no failure of the call", bad[i].what);
		ok(p.error != NULL, "%s: reason (%s)", bad[i].what, p.error ? p.error : "none");
		ocifs_npm_fini(&p);
	}

	/* nested far beyond the depth limit */
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 64);
	size_t n = (size_t)sprintf(deep, "{\"name\":\"x\",\"version\":\"1\",\"a\":");
	for (size_t i = 0; i < depth; i++)
		deep[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	is_int(ocifs_npm_parse(deep, n, &p), 0, "deep nesting: no failure of the call");
	ok(p.error && strstr(p.error, "deep"), "deep nesting: reason (%s)", p.error ? p.error : "");
	ocifs_npm_fini(&p);
	free(deep);

	/* 10000 dependencies: the first 4096 kept, a reason */
	char *many = malloc(10000 * 16 + 64), *w = many;
	w += sprintf(w, "{\"name\":\"x\",\"version\":\"1\",\"dependencies\":{");
	for (int i = 0; i < 10000; i++)
		w += sprintf(w, "%s\"d%d\":\"1\"", i ? "," : "", i);
	w += sprintf(w, "}}");
	ocifs_npm_parse(many, (size_t)(w - many), &p);
	ok(p.ndepends == 4096 && p.error && p.version, "many dependencies: capped with a reason (%s)",
	   p.error ? p.error : "none");
	ocifs_npm_fini(&p);
	free(many);

	/* a dependency cycle is only names here: a depends on b, b on a */
	parse("{\"name\":\"a\",\"version\":\"1\",\"dependencies\":{\"b\":\"1\",\"a\":\"1\"}}", &p);
	ok(p.ndepends == 2 && !p.error, "self and cyclic dependencies kept as names");
	ocifs_npm_fini(&p);
}

int main(void)
{
	test_paths();
	test_fields();
	test_hostile();
	return done_testing();
}
