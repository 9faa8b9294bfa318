/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: Java archives (scan/java.c over scan/archive.c, libarchive's
 * seekable zip reader): pom.properties, MANIFEST.MF, nested jars, the
 * central-directory bound and every budget. The input is a jar; it is read
 * twice, from memory (zero-copy callbacks) and through read_at only (the
 * path of a big jar read in place), with small limits so one input stays
 * within the fuzzer's time and memory. Both reads must give the same
 * packages, and each package a non-empty group, artifact and version, a
 * "!/"-path, a sha256 only for an archive's own identity.
 */
#include "fuzz.h"
#include "java.h"

static void scan(const uint8_t *data, size_t size, int mem, struct ocifs_java_result *r)
{
	struct ocifs_rd_mem m = { data, size };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, size, "/fuzz.jar", mem ? data : NULL };
	struct ocifs_java_opts o;

	ocifs_java_opts_default(&o);
	o.member_max = 1u << 20;
	o.budget.bytes = 8u << 20;
	o.budget.entries = 4096;
	o.budget.cd_entries = 4096;
	o.budget.cd_bytes = 1u << 20;
	FZ_ASSERT(ocifs_java_scan(&rd, "/fuzz-1.0.jar", &o, r) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_java_result a, b;

	scan(data, size, 1, &a);
	scan(data, size, 0, &b);
	FZ_ASSERT(a.npkgs == b.npkgs);
	for (size_t i = 0; i < a.npkgs; i++) {
		const struct ocifs_java_pkg *p = &a.pkgs[i], *q = &b.pkgs[i];
		FZ_ASSERT(*p->group && *p->artifact && *p->version);
		FZ_ASSERT(!*p->where || !strncmp(p->where, "!/", 2));
		FZ_ASSERT(!p->has_sha256 || p->own);
		FZ_ASSERT(!strcmp(p->group, q->group) && !strcmp(p->artifact, q->artifact) &&
			  !strcmp(p->version, q->version) && !strcmp(p->where, q->where));
	}
	FZ_ASSERT(!a.error == !b.error);
	ocifs_java_result_fini(&a);
	ocifs_java_result_fini(&b);
	return 0;
}
