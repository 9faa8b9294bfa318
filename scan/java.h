/* SPDX-License-Identifier: MIT */
/*
 * What a Java archive (jar, war, ear, jpi, hpi) is made of, read the way
 * Trivy's jar parser reads it: every META-INF/maven/.../pom.properties
 * names a Maven artifact (the archive's own, or one shaded into it);
 * when none names the archive itself (by its file name "artifact-
 * version.jar", or, for a name without a version, the only one there),
 * META-INF/MANIFEST.MF's main section does (Implementation-Vendor-Id or
 * Bundle-SymbolicName as the group, Implementation-Title, Specification-
 * Title or Bundle-Name as the artifact, Implementation-, Specification-
 * or Bundle-Version). Nested archives (Spring Boot BOOT-INF/lib/ jars,
 * WEB-INF/lib/ jars, an ear's wars) are read into memory and walked in
 * turn, bounded by depth, member size and one budget for the whole top
 * archive (archive_walk.h).
 *
 * Pure: bytes in (an rd), records out; never logs; a damaged or hostile
 * archive gives what could be read plus one reason in error.
 */
#ifndef OCIFS_SCAN_JAVA_H
#define OCIFS_SCAN_JAVA_H
#include <stddef.h>
#include <stdint.h>

#include "archive_walk.h"
#include "rd.h"

struct ocifs_java_pkg {
	char *group, *artifact, *version;
	char *where;            /* the archive it was found in, below the top
				 * one: "" (the top archive itself) or
				 * "!/BOOT-INF/lib/x.jar" (one "!/member" per
				 * level) */
	const char *origin;     /* "pom.properties" or "MANIFEST.MF" (static) */
	int own;                /* the identity of the archive at where (not an
				 * artifact shaded into it) */
	unsigned char sha256[32]; /* with has_sha256: of the archive at where
				   * (own packages only) */
	int has_sha256;
};

struct ocifs_java_opts {
	unsigned depth;         /* archive levels walked below the top one */
	size_t member_max;      /* biggest nested archive read into memory */
	struct ocifs_archive_budget budget; /* for the whole top archive */
	const unsigned char *sha256; /* the top archive's, or NULL: computed
				      * when rd holds it in memory */
};

struct ocifs_java_result {
	struct ocifs_java_pkg *pkgs;
	size_t npkgs, cap_;
	char *error;            /* the first reason something was not read */
};

/** Read the archive rd, whose file name is name (its directory may be
 *  included), into *r (zeroed first; free with ocifs_java_result_fini
 *  whatever the return). 0 (problems in the data are in r->error),
 *  -ENOMEM, or rd's read error. */
int ocifs_java_scan(const struct ocifs_rd *rd, const char *name, const struct ocifs_java_opts *o,
		    struct ocifs_java_result *r);
void ocifs_java_result_fini(struct ocifs_java_result *r);

/** The default limits (depth 4, 64 MiB members, 512 MiB decompressed,
 *  200000 entries, central directories of 100000 entries / 32 MiB). */
void ocifs_java_opts_default(struct ocifs_java_opts *o);

#endif
