/* SPDX-License-Identifier: MIT */
/*
 * The libc flavour of an analyzed ELF file: from the interpreter,
 * DT_NEEDED or the soname; for a static file, glibc's NT_GNU_ABI_TAG
 * note, else a bounded signature scan of the file body (a byte search
 * through the reader, not an ELF structure: no libelf here). And the
 * names of what elfinfo found: machine, link type, libc.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "elfinfo_priv.h"

#define ELF_SCAN_MAX (64u << 20)        /* libc signature scan of static files */
#define ELF_SCAN_CHUNK (1u << 20)

static int elf_has(const unsigned char *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

/*
 * libc of a static binary, by signature, over the first ELF_SCAN_MAX
 * bytes. glibc's crt1 always brings the NT_GNU_ABI_TAG note (checked
 * before we get here). Then, strongest first: Go's build-info magic
 * means no libc; glibc's "GLIBC_PRIVATE" / "GNU C Library" strings;
 * musl's strerror table, which starts with "No error information"; the
 * bare word "glibc" (could be any program's text); and failing all that,
 * the "/dev/null" musl's start-up code opens, a weak sign of musl.
 * Anything else is unknown.
 */
static int elf_static_libc(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	uint64_t end = ELF_SCAN_MAX;
	const size_t keep = 32;
	int glibc = 0, glibc_word = 0, musl = 0, devnull = 0, rc = 0;
	unsigned char *buf = malloc(ELF_SCAN_CHUNK + keep);
	size_t have = 0;

	if (!buf)
		return -ENOMEM;
	if (e->size < end)
		end = e->size;
	for (uint64_t off = 0; off < end && !glibc && !e->is_go;) {
		size_t n = end - off < ELF_SCAN_CHUNK ? (size_t)(end - off) : ELF_SCAN_CHUNK;

		if ((rc = ocifs_elf_read(c, buf + have, n, off, "file body")))
			break;
		have += n;
		off += n;
		glibc = elf_has(buf, have, "GLIBC_PRIVATE") || elf_has(buf, have, "GNU C Library");
		glibc_word |= elf_has(buf, have, "glibc");
		e->is_go |= elf_has(buf, have, "\xff Go buildinf:");
		musl |= elf_has(buf, have, "No error information");
		devnull |= elf_has(buf, have, "/dev/null");
		if (have > keep) {
			memmove(buf, buf + have - keep, keep);
			have = keep;
		}
	}
	free(buf);
	if (rc)
		return rc < 0 ? rc : 0;
	if (e->is_go) {
		e->libc = OCIFS_LIBC_NONE;
		e->libc_how = "Go build info";
	} else if (glibc || (glibc_word && !musl)) {
		e->libc = OCIFS_LIBC_GLIBC;
		e->libc_how = glibc ? "glibc strings" : "glibc word (weak)";
	} else if (musl || devnull) {
		e->libc = OCIFS_LIBC_MUSL;
		e->libc_how = musl ? "musl strerror table" : "musl start-up string (weak)";
	}
	return 0;
}

int ocifs_elf_libc(struct elf_ctx *c)
{
	struct ocifs_elf *e = c->e;
	const char *in = e->interp;

	e->libc = OCIFS_LIBC_UNKNOWN;
	e->libc_how = "no evidence";
	if (e->is_go && e->link != OCIFS_ELF_DYNAMIC) {
		e->libc = OCIFS_LIBC_NONE;
		e->libc_how = "Go";
		return 0;
	}
	if (e->link == OCIFS_ELF_OBJECT_OTHER) {
		e->libc = OCIFS_LIBC_NONE;
		e->libc_how = "not linked";
		return 0;
	}
	if (in && strstr(in, "ld-musl")) {
		e->libc = OCIFS_LIBC_MUSL;
		e->libc_how = "interpreter";
		return 0;
	}
	for (size_t i = 0; i < e->nneeded; i++) {
		const char *n = e->needed[i];

		if (strcmp(n, "libc.so.6") == 0 || strncmp(n, "ld-linux", 8) == 0) {
			e->libc = OCIFS_LIBC_GLIBC;
			e->libc_how = "needed";
			return 0;
		}
		if (strncmp(n, "libc.musl-", 10) == 0 || strcmp(n, "libc.so") == 0) {
			e->libc = OCIFS_LIBC_MUSL;
			e->libc_how = "needed";
			return 0;
		}
	}
	if ((in && (strstr(in, "ld-linux") || strstr(in, "/ld64.so"))) ||
	    (e->soname && (strcmp(e->soname, "libc.so.6") == 0 || strncmp(e->soname, "ld-linux", 8) == 0))) {
		e->libc = OCIFS_LIBC_GLIBC;
		e->libc_how = in ? "interpreter" : "soname";
		return 0;
	}
	if (e->link != OCIFS_ELF_STATIC && e->link != OCIFS_ELF_STATIC_PIE)
		return 0;
	if (c->abi_tag) {
		e->libc = OCIFS_LIBC_GLIBC;
		e->libc_how = "ABI tag note";
		return 0;
	}
	return elf_static_libc(c);
}

static const struct {
	unsigned em;
	const char *name;
} elf_machines[] = {
	{ EM_386, "i386" }, { EM_X86_64, "x86_64" }, { EM_AARCH64, "aarch64" }, { EM_ARM, "arm" },
	{ EM_PPC, "ppc" }, { EM_PPC64, "ppc64" }, { EM_S390, "s390" }, { EM_RISCV, "riscv" },
	{ EM_MIPS, "mips" }, { EM_LOONGARCH, "loongarch" }, { EM_SPARC, "sparc" },
	{ EM_SPARCV9, "sparc64" }, { EM_IA_64, "ia64" }, { EM_68K, "m68k" }, { EM_SH, "sh" },
	{ EM_ALPHA, "alpha" }, { EM_PARISC, "hppa" },
};

const char *ocifs_elf_machine_name(unsigned machine)
{
	for (size_t i = 0; i < sizeof(elf_machines) / sizeof(elf_machines[0]); i++)
		if (elf_machines[i].em == machine)
			return elf_machines[i].name;
	return "unknown";
}

/* elfinfo_priv.h */
const char *ocifs_elf_arch(const struct ocifs_elf *e)
{
	int le = e->data == ELFDATA2LSB, w64 = e->cls == 64;

	switch (e->machine) {
	case EM_PPC64: return le ? "ppc64le" : "ppc64";
	case EM_S390: return w64 ? "s390x" : "s390";
	case EM_RISCV: return w64 ? "riscv64" : "riscv32";
	case EM_MIPS: return w64 ? (le ? "mips64el" : "mips64") : (le ? "mipsel" : "mips");
	case EM_LOONGARCH: return w64 ? "loongarch64" : "loongarch32";
	case EM_ARM: return le ? "arm" : "armeb";
	default: return ocifs_elf_machine_name(e->machine);
	}
}

const char *ocifs_elf_link_name(enum ocifs_elf_link l)
{
	static const char *const names[] = { "static", "static-pie", "dynamic", "shared-lib" };

	return (unsigned)l < 4 ? names[l] : "other";
}

const char *ocifs_libc_name(enum ocifs_libc c)
{
	static const char *const names[] = { "none", "glibc", "musl" };

	return (unsigned)c < 3 ? names[c] : "unknown";
}
