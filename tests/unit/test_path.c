/* SPDX-License-Identifier: MIT */
/*
 * path.c: the one normal form of a path inside an image (path.h), in
 * place and joined to a directory, including every way a path can try
 * to leave the root.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "tap.h"

static void test_normalize(void)
{
	static const struct {
		const char *in, *out; /* out NULL: rejected */
	} cases[] = {
		{ "", "" },                       /* empty: the root */
		{ "/", "" },                      { ".", "" },
		{ "./", "" },                     { "//", "" },
		{ "a", "a" },                     { "a/b", "a/b" },
		{ "./a/b", "a/b" },               /* leading ./ */
		{ "/a//b/", "a/b" },              /* leading /, //, trailing / */
		{ "a/b/", "a/b" },                { "a///b////", "a/b" },
		{ "a/./b/.", "a/b" },             { "././a", "a" },
		{ "a/../b", "b" },                { "a/b/../../c", "c" },
		{ "a/b/..", "a" },                { "a/..", "" },
		{ "a/b/c/../../d/", "a/d" },      { "a/../b/../c", "c" },
		{ "..", NULL },                   /* escapes above the root */
		{ "/..", NULL },                  { "../etc/passwd", NULL },
		{ "a/../../x", NULL },            { "./../a", NULL },
		{ "a/b/../../..", NULL },         { "//../a", NULL },
		{ "..a/b..", "..a/b.." },         /* dots inside a name are a name */
		{ "...", "..." },                 { "x/.wh..wh..opq", "x/.wh..wh..opq" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		int rc;

		strcpy(buf, cases[i].in);
		rc = ocifs_path_normalize(buf);
		if (cases[i].out)
			ok(rc == 0 && !strcmp(buf, cases[i].out),
			   "normalize \"%s\" -> \"%s\" (got %s%s%s)", cases[i].in, cases[i].out,
			   rc ? "error" : "\"", rc ? "" : buf, rc ? "" : "\"");
		else
			is_int(rc, -EINVAL, "normalize \"%s\": leaves the root", cases[i].in);
	}
}

static void test_join(void)
{
	static const struct {
		const char *dir, *in, *out; /* out NULL: rejected */
	} cases[] = {
		{ NULL, "", "" },                 { NULL, "./a//b/", "a/b" },
		{ NULL, "/etc/passwd", "etc/passwd" },
		{ "", "a", "a" },                 { "usr/lib", "libc.so", "usr/lib/libc.so" },
		{ "usr/lib", "../bin/sh", "usr/bin/sh" },
		{ "usr/lib", "/abs", "usr/lib/abs" }, /* relative to dir even with a "/" */
		{ "usr/lib", "../../..", NULL },  { "a", "../..", NULL },
		{ NULL, "..", NULL },             { "a", "..", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = ocifs_path_join(cases[i].dir, cases[i].in);

		if (cases[i].out)
			ok(got && !strcmp(got, cases[i].out), "join \"%s\" + \"%s\" -> \"%s\" (got %s)",
			   cases[i].dir ? cases[i].dir : "(root)", cases[i].in, cases[i].out,
			   got ? got : "NULL");
		else
			ok(!got, "join \"%s\" + \"%s\": leaves the root",
			   cases[i].dir ? cases[i].dir : "(root)", cases[i].in);
		free(got);
	}
}

int main(void)
{
	test_normalize();
	test_join();
	return done_testing();
}
