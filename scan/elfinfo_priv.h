/* SPDX-License-Identifier: MIT */
/*
 * Shared between scan/elfinfo.c (headers, sections, segments, dynamic
 * section, notes) and scan/elflibc.c (the libc flavour). Not a public
 * header.
 */
#ifndef OCIFS_SCAN_ELFINFO_PRIV_H
#define OCIFS_SCAN_ELFINFO_PRIV_H
#include <stddef.h>
#include <stdint.h>

#include <libelf.h>

#include "elfinfo.h"
#include "elfmap.h"

/* One analysis in progress. */
struct elf_ctx {
	const struct ocifs_rd *rd;
	struct ocifs_elf *e;
	uint64_t phoff, shoff;
	unsigned phentsize, shentsize, shstrndx;
	size_t phnum, shnum;
	int abi_tag;            /* NT_GNU_ABI_TAG seen (glibc's crt1) */
	struct ocifs_elfmap m;  /* the bytes libelf reads, filled as needed */
	Elf *hdr;               /* libelf over the file header alone */
	Elf *elf;               /* libelf over the file, once the tables passed */
	int sections_ok, segments_ok; /* tables libelf may see */
	char seg_err[128];      /* why the program headers were refused */
};

/** Read n bytes at off, which the caller checked lie within the file.
 *  0, 1 if the file turned out shorter (truncated: e->error set and
 *  logged), or a negative errno from the reader. */
int ocifs_elf_read(struct elf_ctx *c, void *buf, size_t n, uint64_t off, const char *what);

/** The machine name refined by class and byte order where that is how
 *  distributions name the architecture (static string). */
const char *ocifs_elf_arch(const struct ocifs_elf *e);

/** Set e->libc and e->libc_how, once the interpreter, the dynamic
 *  section, the notes and the link type are known: from the interpreter,
 *  DT_NEEDED or the soname; for static files from the ABI tag note or a
 *  signature scan of the file. 0, -ENOMEM, or the reader's error. */
int ocifs_elf_libc(struct elf_ctx *c);

#endif
