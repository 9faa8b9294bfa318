/* SPDX-License-Identifier: MIT */
/*
 * Python's installed-distribution metadata (the core metadata of
 * https://packaging.python.org/en/latest/specifications/core-metadata/
 * in *.dist-info/METADATA and *.egg-info/PKG-INFO, the RECORD of a
 * wheel install, an egg's installed-files.txt and requires.txt). Bytes
 * in, records out (no tree, no emit): what the Python cataloger
 * (cat_python.c) and the fuzzer use.
 */
#ifndef OCIFS_SCAN_PYMETA_H
#define OCIFS_SCAN_PYMETA_H
#include <stddef.h>

#include "pkgtext.h"

#define OCIFS_PY_MAX_LIST 4096u         /* licenses / requirements kept */
#define OCIFS_PY_MAX_FILES (1u << 18)   /* files kept of one distribution */

struct ocifs_pymeta {
	char *name;             /* Name, as declared */
	char *version;          /* Version */
	char *summary;          /* Summary */
	struct ocifs_strv licenses;  /* License-Expression, else a one-line
				      * License, else the license classifiers */
	struct ocifs_strv requires;  /* Requires-Dist names without an extra marker */
	int bad_text;           /* a value was not UTF-8 (escaped) */
	size_t bad_lines;       /* header lines that are no field */
};

/** Parse a METADATA / PKG-INFO file into *m (zero it first; free it
 *  with ocifs_pymeta_fini whatever the result). 0 or -ENOMEM. */
int ocifs_pymeta_parse(const char *buf, size_t len, struct ocifs_pymeta *m);
void ocifs_pymeta_fini(struct ocifs_pymeta *m);

/** The name of a requirement (PEP 508 "name [extras] (spec) ; marker",
 *  also the older "name (spec)"): *n bytes at the returned pointer, 0
 *  when the requirement has an "extra" marker or no name. */
const char *ocifs_py_req_name(const char *s, size_t len, size_t *n);

/** The purl name of a distribution name, as Trivy writes it: lowercase,
 *  "_" as "-" (malloc'd; NULL on ENOMEM). */
char *ocifs_py_purl_name(const char *name);

/* Which list file: paths in RECORD (CSV, relative to the directory
 * holding the .dist-info) or installed-files.txt (one a line, relative
 * to the .egg-info directory); requires.txt (requirements outside the
 * "[extra]" sections: at the top and in "[:marker]" sections). */
enum ocifs_py_list { OCIFS_PY_RECORD, OCIFS_PY_INSTALLED_FILES, OCIFS_PY_REQUIRES };

/** Append to out what the list file buf[0..len) names: for the two
 *  file lists "/"-rooted normal paths (base is the "/"-rooted directory
 *  they are relative to; a path that climbs above the root is
 *  dropped and counted in *bad), for requires.txt the requirement names.
 *  0 or -ENOMEM. */
int ocifs_py_list_parse(enum ocifs_py_list kind, const char *buf, size_t len, const char *base,
			struct ocifs_strv *out, size_t *bad, int *bad_text);

#endif
