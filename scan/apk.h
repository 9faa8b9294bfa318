/* SPDX-License-Identifier: MIT */
/*
 * Alpine's installed-package database, /lib/apk/db/installed (the
 * format of https://wiki.alpinelinux.org/wiki/Apk_spec, "Installed
 * Database"): one block of "X:value" lines per package, blocks
 * separated by an empty line. Bytes in, packages out (no tree, no
 * emit): what the apk cataloger (cat_apk.c) and the fuzzer use.
 */
#ifndef OCIFS_SCAN_APK_H
#define OCIFS_SCAN_APK_H
#include <stddef.h>
#include <stdint.h>

#include "pkgtext.h"

#define OCIFS_APK_MAX_PKGS (1u << 18)      /* packages kept of one database */
#define OCIFS_APK_MAX_FILES (1u << 20)     /* files kept over all packages */
#define OCIFS_APK_MAX_LIST 4096u           /* depends / provides of one package */

/* One package. Strings are valid UTF-8 (pkgtext.h escapes anything
 * else and then sets bad_text); NULL when its line is absent. */
struct ocifs_apk_pkg {
	char *name;             /* P */
	char *version;          /* V */
	char *arch;             /* A */
	char *origin;           /* o: the source package (aport) */
	char *license;          /* L, as written */
	char *description;      /* T */
	char *url;              /* U */
	char *maintainer;       /* m */
	char *commit;           /* c: the aports commit it was built from */
	char *build_time;       /* t: seconds since the epoch, as written */
	char *installed_size;   /* I: bytes, as written */
	struct ocifs_strv depends;  /* D: names, constraints and conflicts ("!x") dropped */
	struct ocifs_strv provides; /* p: names, "=version" dropped */
	struct ocifs_strv files;    /* R under the last F, "/"-rooted */
	int bad_text;           /* a value was not UTF-8 (escaped) */
	int cut;                /* a list hit its bound */
};

struct ocifs_apk_db {
	struct ocifs_apk_pkg *pkgs;
	size_t npkgs, cap;
	size_t bad_lines;       /* lines that are no "X:value" */
	size_t nameless;        /* blocks without a P line (dropped) */
	int cut;                /* a bound dropped packages or files */
};

#define OCIFS_APK_NAMES_ONLY 1u /* only P and V (attribution of a layer's copy) */

/** Parse buf[0..len) into *db (zero it first; free it with
 *  ocifs_apk_db_fini whatever the result). 0 or -ENOMEM; bad input is
 *  counted in db, never an error. */
int ocifs_apk_parse(const char *buf, size_t len, unsigned flags, struct ocifs_apk_db *db);
void ocifs_apk_db_fini(struct ocifs_apk_db *db);

#endif
