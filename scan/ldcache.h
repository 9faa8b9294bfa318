/* SPDX-License-Identifier: MIT */
/*
 * The image's /etc/ld.so.cache, parsed as glibc's loader reads it (the
 * "glibc-ld.so.cache1.1" format, alone or after the old "ld.so-1.7.0"
 * table), so library lookups can use it exactly like ld.so does.
 */
#ifndef OCIFS_SCAN_LDCACHE_H
#define OCIFS_SCAN_LDCACHE_H
#include <stddef.h>
#include <stdint.h>

/* Entry flags (glibc elf/ldconfig.h): type in the low byte, the
 * architecture/ABI requirement in the next. */
#define OCIFS_LDC_TYPE_MASK 0x00ffu
#define OCIFS_LDC_ELF_LIBC6 0x0003u
#define OCIFS_LDC_ARCH_MASK 0xff00u

struct ocifs_ldcache_entry {
	const char *name;       /* SONAME, e.g. "libc.so.6" */
	const char *path;       /* e.g. "/lib/x86_64-linux-gnu/libc.so.6" */
	uint32_t flags;
	uint64_t hwcap;         /* 0 for the baseline entry */
};

struct ocifs_ldcache {
	char *buf;              /* private copy of the file */
	size_t len;
	size_t n;
	struct ocifs_ldcache_entry *v; /* in file order (sorted as ldconfig wrote) */
};

/** Parse a cache file's bytes (copied). 0, -EBADMSG (not a cache, or
 *  offsets outside the file), -ENOMEM. */
int ocifs_ldcache_parse(const void *buf, size_t len, struct ocifs_ldcache *out);
void ocifs_ldcache_fini(struct ocifs_ldcache *c);

/** The flags an ELF of this class/machine needs in the cache (glibc's
 *  _DL_CACHE_DEFAULT_ID), or 0 if unknown. */
uint32_t ocifs_ldcache_flags_for(int elf_class, unsigned machine);
/** ld.so's lookup: the first baseline entry named `soname` with exactly
 *  `flags` (from ocifs_ldcache_flags_for) or plain-ELF flags (1), as
 *  glibc accepts both; the caller still checks the file's class and
 *  machine. 0 and *path, or -ENOENT. */
int ocifs_ldcache_lookup(const struct ocifs_ldcache *c, const char *soname, uint32_t flags,
			 const char **path);
/** "x86-64", "AArch64", "" ... as ldconfig -p prints inside "(libc6,...)". */
const char *ocifs_ldcache_arch_name(uint32_t flags);

#endif
