/* SPDX-License-Identifier: MIT */
/*
 * An installed npm package's package.json (node_modules/NAME/package.json
 * or node_modules/@SCOPE/NAME/package.json): its name, version, declared
 * licenses ("license": "MIT", {"type": "MIT"}, or the legacy "licenses"
 * array of either) and the names of what it depends on ("dependencies"
 * and "optionalDependencies"), plus where in a path such a file sits
 * (an installed package, or a package.json outside node_modules).
 *
 * Pure: bytes in, a record out; never logs; JSON through json-c (depth
 * and UTF-8 checked); a broken file gives one reason in error.
 */
#ifndef OCIFS_SCAN_NPM_H
#define OCIFS_SCAN_NPM_H
#include <stddef.h>

struct ocifs_npm_pkg {
	char *name, *version;   /* as declared ("@scope/name"); NULL when absent */
	char **licenses;
	size_t nlicenses;
	char **depends;         /* package names, in file order */
	size_t ndepends;
	char *error;            /* why the file was not read whole, or NULL */
};

/** Parse package.json bytes buf[0..len) into *p (zeroed first; free with
 *  ocifs_npm_fini whatever the return). 0 (a broken file: p->error), or
 *  -ENOMEM. */
int ocifs_npm_parse(const char *buf, size_t len, struct ocifs_npm_pkg *p);
void ocifs_npm_fini(struct ocifs_npm_pkg *p);

/** Is path ".../node_modules/NAME/package.json" or ".../node_modules/
 *  @SCOPE/NAME/package.json"? If so and name is not NULL, *name points
 *  into path at "NAME/package.json" or "@SCOPE/NAME/package.json" (the
 *  package's name as its directory says, up to the last '/'). */
int ocifs_npm_path(const char *path, const char **name);

/** Is path a package.json outside every node_modules directory (an
 *  application's own, or a package a distribution installed, e.g.
 *  /usr/share/nodejs/NAME/package.json)? Trivy and Syft report such a
 *  file when it names a package and a version. */
int ocifs_npm_root(const char *path);

/** Split a package name "@scope/name" into the purl namespace "@scope"
 *  (malloc'd into *ns, NULL when unscoped) and *base (pointing into
 *  name). 0, -ENOMEM. */
int ocifs_npm_split(const char *name, char **ns, const char **base);

#endif
