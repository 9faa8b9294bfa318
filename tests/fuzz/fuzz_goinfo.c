/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: Go build info (scan/goinfo.c, gomodinfo.c): the input as a
 * binary parsed by scan/elfinfo.c (ELF sections, writable-segment scan, the build info blob and
 * its varint strings), and, when it starts with "modinfo\n", the rest as
 * a modinfo text block for the line parser alone.
 */
#include "fuzz.h"
#include "elfinfo.h"
#include "goinfo.h"

static void check(const struct ocifs_goinfo *g)
{
	for (size_t i = 0; i < g->ndeps; i++)
		FZ_ASSERT(g->deps[i].path && g->deps[i].version);
	for (size_t i = 0; i < g->nsettings; i++)
		FZ_ASSERT(g->settings[i].key && g->settings[i].value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_rd_mem m = { data, size };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, size, "fuzz", NULL };
	struct ocifs_goinfo g;
	struct ocifs_elf e;

	fz_tmp();
	memset(&g, 0, sizeof(g));
	if (size >= 8 && !memcmp(data, "modinfo\n", 8)) {
		ocifs_goinfo_parse_modinfo((const char *)data + 8, size - 8, &g);
		check(&g);
		ocifs_goinfo_fini(&g);
		return 0;
	}
	if (ocifs_elf_analyze(&rd, &e) == 0)
		ocifs_goinfo_read(&rd, &e, &g);
	ocifs_elf_fini(&e);
	check(&g);
	ocifs_goinfo_fini(&g);
	return 0;
}
