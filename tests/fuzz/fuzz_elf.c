/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ELF analysis (scan/elfinfo.c, elflibc.c) over the input as
 * a file read through a callback: headers, segments, sections, dynamic
 * table, notes, interpreter and libc detection; then the vaddr helpers
 * on what it found. Every string it returns must be NUL-terminated and
 * every segment/section it keeps is checked against the file size where
 * the API promises it.
 */
#include "fuzz.h"
#include "elfinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_rd_mem m = { data, size };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, size, "fuzz", NULL };
	struct ocifs_elf e;
	unsigned char buf[64];
	uint64_t off, avail;

	fz_tmp();
	memset(&e, 0, sizeof(e));
	ocifs_elf_analyze(&rd, &e);
	FZ_ASSERT(ocifs_elf_link_name(e.link) && ocifs_libc_name(e.libc));
	if (e.interp)
		FZ_ASSERT(strlen(e.interp) <= size);
	for (size_t i = 0; i < e.nneeded; i++)
		FZ_ASSERT(e.needed[i] && strlen(e.needed[i]) <= size);
	if (e.soname)
		FZ_ASSERT(strlen(e.soname) <= size);
	for (size_t i = 0; i < e.nsecs; i++)
		FZ_ASSERT(e.secs[i].name && strlen(e.secs[i].name) <= size);
	FZ_ASSERT(strlen(e.build_id) <= 64);
	ocifs_elf_section(&e, ".dynamic");
	for (size_t i = 0; i < e.nsegs && i < 16; i++) {
		uint64_t va = e.segs[i].vaddr;
		if (ocifs_elf_vaddr_to_off(&e, va, &off, &avail) == 0)
			FZ_ASSERT(off <= size && avail <= size - off); /* "within the file" */
		ocifs_elf_read_vaddr(&e, &rd, va, buf, sizeof(buf));
	}
	ocifs_elf_read_vaddr(&e, &rd, e.entry, buf, sizeof(buf));
	ocifs_elf_fini(&e);
	return 0;
}
