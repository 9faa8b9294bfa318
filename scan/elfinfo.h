/* SPDX-License-Identifier: MIT */
/*
 * ELF analysis: class, machine, type, how it is linked (static,
 * static-pie, dynamic, shared library), PT_INTERP, the dynamic section
 * (NEEDED, SONAME, RPATH, RUNPATH, FLAGS, FLAGS_1), the GNU build-id,
 * whether it is stripped, and the libc flavour. Headers are read through
 * a struct ocifs_rd with partial reads (never the whole file) and decoded
 * by libelf, every offset and count from the file checked against the
 * file size and caps first: the input is hostile. The result is the
 * file's one parse: goinfo, rustaudit/pkgnote and the library search
 * take it instead of reading the headers again. The dynamic section is found through PT_DYNAMIC
 * and its strings through DT_STRTAB mapped by the PT_LOAD segments, so
 * files without section headers work; .dynamic/.dynstr are the fallback.
 */
#ifndef OCIFS_SCAN_ELFINFO_H
#define OCIFS_SCAN_ELFINFO_H
#include <stddef.h>
#include <stdint.h>

#include "rd.h"

enum ocifs_elf_link {
	OCIFS_ELF_STATIC,       /* no PT_INTERP, not a PIE with PT_DYNAMIC */
	OCIFS_ELF_STATIC_PIE,   /* ET_DYN, PT_DYNAMIC, no PT_INTERP, a PIE */
	OCIFS_ELF_DYNAMIC,      /* PT_INTERP */
	OCIFS_ELF_SHARED_LIB,   /* ET_DYN, no PT_INTERP, not a PIE */
	OCIFS_ELF_OBJECT_OTHER, /* ET_REL, ET_CORE, anything else */
};

enum ocifs_libc {
	OCIFS_LIBC_NONE,        /* no libc: Go, relocatable objects */
	OCIFS_LIBC_GLIBC,
	OCIFS_LIBC_MUSL,
	OCIFS_LIBC_UNKNOWN,
};

/* A program header (all of them, in file order). */
struct ocifs_elf_seg {
	uint32_t type, flags;   /* PT_*, PF_* */
	uint64_t offset, vaddr, filesz, memsz, align;
};

/* A section header; name points into the analysis' own copy of
 * .shstrtab ("" when out of range). */
struct ocifs_elf_sec {
	const char *name;
	uint32_t type, link, info;
	uint64_t flags, addr, offset, size, align, entsize;
};

struct ocifs_elf {
	int cls;                /* 32 or 64; 0 if the class byte is invalid */
	int data;               /* ELFDATA2LSB or ELFDATA2MSB */
	unsigned machine;       /* EM_* */
	const char *machine_name; /* "x86_64", "aarch64", ... or "unknown"; static string */
	unsigned type;          /* ET_* */
	uint64_t entry;
	enum ocifs_elf_link link;
	char *interp;           /* PT_INTERP or NULL */
	enum ocifs_libc libc;
	const char *libc_how;   /* why libc was chosen ("interp", "ABI tag note", ...); static */
	char **needed;          /* DT_NEEDED in order */
	size_t nneeded;
	char *soname, *rpath, *runpath; /* or NULL */
	uint64_t flags, flags_1; /* DT_FLAGS, DT_FLAGS_1 (0 if absent) */
	char build_id[65];      /* hex GNU build-id (first 32 bytes), "" if none */
	int is_go;              /* a Go note / .go.buildinfo / .gopclntab seen */
	int stripped;           /* no SHT_SYMTAB (also without section headers) */
	int has_sections;       /* section headers present and valid */
	int has_dynamic;        /* PT_DYNAMIC (or .dynamic) parsed */
	uint64_t size;          /* file size */
	struct ocifs_elf_seg *segs;
	size_t nsegs;
	struct ocifs_elf_sec *secs;
	size_t nsecs;
	char *shstrtab;         /* backing store for secs[].name */
	char *error;            /* NULL, or why analysis stopped early */
};

/** Analyze the ELF file behind rd into *out (which need not be
 *  initialised).
 *  Returns 0 on success, also when the file is malformed and only
 *  partially analyzed: out->error then says why (nothing is logged);
 *  -EINVAL if the file is not ELF (no magic;
 *  nothing logged); -ENOMEM; or the reader's error other than a short
 *  read. Call ocifs_elf_fini() whatever the result. Thread-safe (no
 *  shared state). */
int ocifs_elf_analyze(const struct ocifs_rd *rd, struct ocifs_elf *out);

/** Free everything out owns and zero it. Safe on a zeroed struct. */
void ocifs_elf_fini(struct ocifs_elf *e);

/** "static", "static-pie", "dynamic", "shared-lib", "other". */
const char *ocifs_elf_link_name(enum ocifs_elf_link l);
/** "none", "glibc", "musl", "unknown". */
const char *ocifs_libc_name(enum ocifs_libc c);
/** Name of an EM_* value ("x86_64", "aarch64", "i386", ...), "unknown". */
const char *ocifs_elf_machine_name(unsigned machine);

/** The first section called name, or NULL (also without sections). */
const struct ocifs_elf_sec *ocifs_elf_section(const struct ocifs_elf *e, const char *name);

/** Map a virtual address to a file offset through the PT_LOAD segments.
 *  0 with *off and *avail (bytes from there to the end of that
 *  segment's file image, within the file), or -ENOENT if no segment's
 *  file image holds vaddr. */
int ocifs_elf_vaddr_to_off(const struct ocifs_elf *e, uint64_t vaddr, uint64_t *off,
			   uint64_t *avail);

/** Read exactly n bytes at virtual address vaddr (they must lie in one
 *  PT_LOAD segment's file image): 0, -ENOENT (not mapped, or runs past
 *  the segment), or the reader's error (-EIO if the file is short). */
int ocifs_elf_read_vaddr(const struct ocifs_elf *e, const struct ocifs_rd *rd, uint64_t vaddr,
			 void *buf, size_t n);

/** Decode an unsigned integer of 2, 4 or 8 bytes (n) in the file's byte
 *  order. Other n return 0. */
uint64_t ocifs_elf_uint(const struct ocifs_elf *e, const void *p, size_t n);

#endif
