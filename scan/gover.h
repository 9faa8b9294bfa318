/* SPDX-License-Identifier: MIT */
/*
 * The versions a Go binary's SBOM components carry, derived from its
 * build info as Trivy's gobinary parser derives them (so that Trivy
 * reading our SBOM finds the packages it finds in the image):
 *  - the standard library: "stdlib" at "v" + the toolchain version
 *    without "go" and without a " X:experiment" suffix;
 *  - a module at "(devel)" has no version;
 *  - the main module at "(devel)" takes the version stamped with
 *    `-ldflags -X pkg.version=SEMVER` when exactly one such flag of the
 *    best category names one (Trivy's ParseLDFlags).
 * Pure string functions: no emit, no tree.
 */
#ifndef OCIFS_SCAN_GOVER_H
#define OCIFS_SCAN_GOVER_H

/** Is v a semantic version as golang.org/x/mod/semver.IsValid has it
 *  ("v1", "v1.2", "v1.2.3-pre.1+build")? */
int ocifs_go_semver_valid(const char *v);

/** The stdlib version of a toolchain version ("go1.22.3 X:boringcrypto"
 *  -> "v1.22.3"): malloc'd, or NULL (no version, or no memory). */
char *ocifs_go_stdlib_version(const char *goversion);

/** The version a module at version is reported with: NULL for "(devel)"
 *  or "", else version itself (not copied). */
const char *ocifs_go_mod_version(const char *version);

/** The main module's version: its version unless "(devel)" or empty,
 *  else the one the -ldflags build setting (ldflags, or NULL) stamps
 *  (-X KEY=SEMVER, KEY ending in ".version" or ".ver"): malloc'd, or
 *  NULL when there is none (or no memory). main_path is the module path
 *  (its "/cmd/" keys are preferred). */
char *ocifs_go_main_version(const char *main_path, const char *version, const char *ldflags);

#endif
