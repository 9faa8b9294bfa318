/* SPDX-License-Identifier: MIT */
/*
 * The bytes libelf reads, without holding the file: an anonymous
 * MAP_NORESERVE mapping of the file's size in which only the ranges
 * asked for are filled in, through the struct ocifs_rd. Pages never
 * filled read as zeros and cost no memory, so a file of any size is
 * parsed with libelf (elf_memory) while only its headers and tables are
 * resident. Used by scan/elfinfo.c; one per analysis, not shared (each
 * thread reuses its mapping from one analysis to the next).
 *
 * A file already in memory (rd->mem) is not copied: p points at its
 * bytes, and the ranges asked for are still read through rd (whose
 * reader may keep them) into a scratch buffer. Whoever must write to
 * the bytes libelf sees calls ocifs_elfmap_own first, which gives p a
 * private copy. (Bytes never asked for then hold the file's bytes, not
 * zeros; the analysis hands libelf only ranges it filled, and test_elf
 * checks that both ways agree on every mutant.)
 */
#ifndef OCIFS_SCAN_ELFMAP_H
#define OCIFS_SCAN_ELFMAP_H
#include <stddef.h>
#include <stdint.h>

#include "rd.h"

struct ocifs_elfmap {
	const struct ocifs_rd *rd;
	unsigned char *p;       /* rd->size bytes, filled on demand */
	size_t len;             /* of the mapping: at least rd->size */
	size_t dirty;           /* resident bytes zeroed by earlier files */
	struct { uint64_t off, n; } *have;     /* ranges filled */
	size_t nhave, cap;
	int borrowed;           /* p is rd->mem: read-only */
	unsigned char *own;     /* malloc'd private copy of rd->mem, or NULL */
};

/** Map rd's size (nothing filled yet): 0, -EFBIG (not addressable),
 *  -ENOMEM. */
int ocifs_elfmap_init(struct ocifs_elfmap *m, const struct ocifs_rd *rd);

/** Fill [off, off+n), which the caller checked lies within the file,
 *  unless already filled: 0, -EIO if the file turned out shorter, or the
 *  reader's error. */
int ocifs_elfmap_need(struct ocifs_elfmap *m, uint64_t off, uint64_t n);

/** Make p writable: a borrowed file gets a private copy of all its
 *  bytes (a mapping stays as it is). 0 or -ENOMEM. */
int ocifs_elfmap_own(struct ocifs_elfmap *m);

/** Unmap and zero. Safe on a zeroed struct. */
void ocifs_elfmap_fini(struct ocifs_elfmap *m);

#endif
