/* SPDX-License-Identifier: MIT */
/*
 * The JSON package manifests of two language ecosystems, read with
 * json-c: PHP Composer's vendor/composer/installed.json (Composer 1: an
 * array of packages; Composer 2: {"packages": [...]}) and .NET's
 * *.deps.json (the "libraries" of type "package", their dependencies
 * from "targets"). Bytes in, records out (pkgtext.h): no tree, no emit.
 */
#ifndef OCIFS_SCAN_PKGJSON_H
#define OCIFS_SCAN_PKGJSON_H
#include <stddef.h>

#include "pkgtext.h"

#define OCIFS_PKGJSON_MAX_PKGS (1u << 16)  /* packages kept of one file */
#define OCIFS_PKGJSON_MAX_LIST 4096u       /* licenses / depends of one package */

/** Composer: namespace_ the vendor, name the package ("vendor/pkg";
 *  a name without "/" has no namespace), version as written, licenses,
 *  depends the "require" names other than platform packages (php,
 *  ext-*, lib-*, composer-*), extra "true" for a Composer 2 dev
 *  package; no files (installed.json lists none: its "install-path" is
 *  a directory, which sbom.c does not count as a file). 0 or -ENOMEM;
 *  bad input sets l->error. */
int ocifs_composer_parse(const char *buf, size_t len, struct ocifs_pkglist *l);

/** .NET: name and version from the "Name/Version" key of each library
 *  of type "package", depends the names of its dependencies in
 *  "targets", extra its "sha512". 0 or -ENOMEM; bad input sets
 *  l->error. */
int ocifs_dotnet_parse(const char *buf, size_t len, struct ocifs_pkglist *l);

#endif
