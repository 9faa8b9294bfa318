/* SPDX-License-Identifier: MIT */
/*
 * ld.so.cache parsing (glibc elf/cache.c and dl-cache.c are the
 * reference). New-format layout:
 *   "glibc-ld.so.cache" "1.1", u32 nlibs, u32 len_strings, u8 flags,
 *   3 pad, u32 extension_offset, 3 x u32 unused, then nlibs entries of
 *   { i32 flags; u32 key, value; u32 osversion; u64 hwcap } and the
 *   strings; key/value are offsets from the start of the new header.
 * An old-format file ("ld.so-1.7.0", u32 nlibs, 12-byte entries) may
 * come first; the new header then follows it, 8-byte aligned.
 * Only native-endian caches are read (ldconfig writes the host's).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "ldcache.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define NEW_HDR 48u
#define NEW_ENTRY 24u

/* glibc sysdeps/.../dl-cache.h _DL_CACHE_DEFAULT_ID values */
#define FLAG_X8664_LIB64 0x0300u
#define FLAG_AARCH64_LIB64 0x0a00u
#define FLAG_POWERPC_LIB64 0x0500u
#define FLAG_S390_LIB64 0x0400u
#define FLAG_RISCV_FLOAT_ABI_DOUBLE 0x1000u /* with the 64-bit ABI */
#define FLAG_ARM_LIBHF 0x0900u

int ocifs_ldcache_parse(const void *data, size_t len, struct ocifs_ldcache *out)
{
	size_t base = 0, nlibs;
	char *buf;

	memset(out, 0, sizeof(*out));
	/* the old header: the magic with its NUL (12 bytes), then u32 nlibs */
	if (len >= sizeof(OLD_MAGIC) + 4 && !memcmp(data, OLD_MAGIC, sizeof(OLD_MAGIC) - 1)) {
		size_t old_n = ocifs_host32((const char *)data + 12);
		if (old_n > len / 12)
			return -EBADMSG;
		base = (16 + old_n * 12 + 7) & ~(size_t)7;
	}
	if (base > len || len - base < NEW_HDR ||
	    memcmp((const char *)data + base, NEW_MAGIC, sizeof(NEW_MAGIC) - 1))
		return -EBADMSG;
	nlibs = ocifs_host32((const char *)data + base + 20);
	if (nlibs > (len - base - NEW_HDR) / NEW_ENTRY)
		return -EBADMSG;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, data, len);
	buf[len] = '\0'; /* every string below ends by the end of the copy */
	out->v = calloc(nlibs ? nlibs : 1, sizeof(*out->v));
	if (!out->v) {
		free(buf);
		return -ENOMEM;
	}
	out->buf = buf;
	out->len = len;
	for (size_t i = 0; i < nlibs; i++) {
		const char *e = buf + base + NEW_HDR + i * NEW_ENTRY;
		uint32_t key = ocifs_host32(e + 4), value = ocifs_host32(e + 8);
		if (key >= len - base || value >= len - base) {
			ocifs_ldcache_fini(out);
			return -EBADMSG;
		}
		struct ocifs_ldcache_entry *x = &out->v[out->n++];
		x->flags = ocifs_host32(e);
		x->name = buf + base + key;
		x->path = buf + base + value;
		memcpy(&x->hwcap, e + 16, 8);
	}
	return 0;
}

void ocifs_ldcache_fini(struct ocifs_ldcache *c)
{
	free(c->buf);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

uint32_t ocifs_ldcache_flags_for(int elf_class, unsigned machine)
{
	uint32_t arch;

	switch (machine) {
	case EM_X86_64:
		arch = elf_class == 64 ? FLAG_X8664_LIB64 : 0x0800u; /* x32 */
		break;
	case EM_AARCH64:
		arch = FLAG_AARCH64_LIB64;
		break;
	case EM_PPC64:
		arch = FLAG_POWERPC_LIB64;
		break;
	case EM_S390:
		arch = elf_class == 64 ? FLAG_S390_LIB64 : 0;
		break;
	case EM_RISCV:
		arch = elf_class == 64 ? FLAG_RISCV_FLOAT_ABI_DOUBLE : 0;
		break;
	case EM_ARM:
		arch = FLAG_ARM_LIBHF;
		break;
	case EM_386:
		arch = 0;
		break;
	default:
		return 0;
	}
	return OCIFS_LDC_ELF_LIBC6 | arch;
}

int ocifs_ldcache_lookup(const struct ocifs_ldcache *c, const char *soname, uint32_t flags,
			 const char **path)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct ocifs_ldcache_entry *e = &c->v[i];
		/* glibc's _dl_cache_check_flags: the ABI's own id, or plain ELF
		 * (1), whose class the loader checks when it opens the file */
		if (e->hwcap == 0 && (e->flags == flags || e->flags == 1) &&
		    !strcmp(e->name, soname)) {
			*path = e->path;
			return 0;
		}
	}
	return -ENOENT;
}

const char *ocifs_ldcache_arch_name(uint32_t flags)
{
	switch (flags & OCIFS_LDC_ARCH_MASK) {
	case FLAG_X8664_LIB64:
		return "x86-64";
	case FLAG_AARCH64_LIB64:
		return "AArch64";
	case FLAG_POWERPC_LIB64:
		return "64bit";
	case FLAG_S390_LIB64:
		return "64bit";
	case FLAG_ARM_LIBHF:
		return "hard-float";
	case 0x0800u:
		return "x32";
	default:
		return "";
	}
}
