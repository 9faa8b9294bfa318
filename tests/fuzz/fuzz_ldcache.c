/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the ld.so.cache parser (scan/ldcache.c), old and new
 * formats, then lookups of a few sonames for the common architectures.
 * Every entry's strings must point into the parser's copy of the file.
 */
#include "fuzz.h"
#include "ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "libc.so.6", "libm.so.6", "", "libz.so.1" };
	struct ocifs_ldcache c;
	const char *path;

	fz_tmp();
	memset(&c, 0, sizeof(c));
	if (ocifs_ldcache_parse(data, size, &c) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			FZ_ASSERT(c.v[i].name >= c.buf && c.v[i].name <= c.buf + c.len);
			FZ_ASSERT(c.v[i].path >= c.buf && c.v[i].path <= c.buf + c.len);
			FZ_ASSERT(strlen(c.v[i].name) <= c.len && strlen(c.v[i].path) <= c.len);
			ocifs_ldcache_arch_name(c.v[i].flags);
		}
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			ocifs_ldcache_lookup(&c, names[i], ocifs_ldcache_flags_for(64, 62), &path);
			ocifs_ldcache_lookup(&c, names[i], ocifs_ldcache_flags_for(32, 3), &path);
			ocifs_ldcache_lookup(&c, names[i], ocifs_ldcache_flags_for(64, 183), &path);
		}
	}
	ocifs_ldcache_fini(&c);
	return 0;
}
