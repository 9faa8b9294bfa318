/* SPDX-License-Identifier: MIT */
/*
 * An installed gem's specification (GEM_HOME/specifications/NAME-VERSION.gemspec):
 * the Ruby source RubyGems writes with Gem::Specification#to_ruby, read
 * the way Trivy and Syft read it -- by its assignments, not by running
 * Ruby: `s.name = "x"`, `s.version = "1.2"`, `s.license(s) = ...`, and
 * the runtime dependencies (`s.add_runtime_dependency(%q<x>...)`, or
 * `s.add_dependency` in a spec that names no runtime/development kind,
 * since to_ruby's fallback branch repeats every dependency, development
 * ones included, as add_dependency). Bytes in, a record out.
 */
#ifndef OCIFS_SCAN_GEMSPEC_H
#define OCIFS_SCAN_GEMSPEC_H
#include <stddef.h>

#include "pkgtext.h"

#define OCIFS_GEM_MAX_LIST 1024u        /* licenses / dependencies kept */

/** Parse buf[0..len) into *r (zero it first; free its fields whatever
 *  the result, e.g. as one record of a struct ocifs_pkglist). 0 or
 *  -ENOMEM; *why (static) says what was missing or odd, else NULL. */
int ocifs_gemspec_parse(const char *buf, size_t len, struct ocifs_pkgrec *r, const char **why);

#endif
