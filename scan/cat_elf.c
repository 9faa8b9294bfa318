/* SPDX-License-Identifier: MIT */
/*
 * The ELF cataloger (pass 1, every byte): elfinfo's headers, then UPX
 * (unpacked in memory when it can be), and of the image that runs the
 * Go build info, the cargo-auditable crates and the FDO package note.
 * The only place the pipeline calls these analyzers.
 */
#include <errno.h>
#include <stdlib.h>

#include "catalog.h"
#include "log.h"

#define ELF_MAX_UNPACK (128u << 20)     /* UPX: largest original file */

static int elf_match(const char *path, uint32_t magic)
{
	(void)path;
	return (magic & OCIFS_EF_ELF) != 0;
}

/* The analyzers only record bad input (scan/rd.h); say it once here. */
static void log_problem(const struct ocifs_mfile *f, const char *what, const char *error)
{
	if (error)
		log_warn("%s: %s%s", f->path, what, error);
}

static void analyze_elf_image(struct ocifs_mfile *f, const struct ocifs_rd *rd,
			      const struct ocifs_elf *e)
{
	if (e->is_go || e->link == OCIFS_ELF_STATIC || e->link == OCIFS_ELF_STATIC_PIE)
		ocifs_goinfo_read(rd, e, &f->go);
	ocifs_rustaudit_read(rd, e, &f->rust);
	log_problem(f, "", f->rust.error);
	ocifs_pkgnote_read(rd, e, &f->note);
	log_problem(f, "", f->note.error);
}

static void analyze_upx(struct ocifs_mfile *f, const struct ocifs_rd *rd)
{
	unsigned char *img = NULL;
	size_t len = 0;
	int rc;

	if (ocifs_upx_detect(rd, &f->upx) || !f->upx.packed)
		return;
	if ((rc = ocifs_upx_unpack(rd, &f->upx, ELF_MAX_UNPACK, &img, &len))) {
		if (rc == -EBADMSG)
			log_problem(f, "UPX: ", f->upx.error ? f->upx.error : "corrupt");
		return;
	}
	struct ocifs_rd_mem m = { img, len };
	struct ocifs_rd urd = { ocifs_rd_mem_read, &m, len, f->path, img };
	rc = ocifs_elf_analyze(&urd, &f->upx_elf);
	log_problem(f, "ELF: ", f->upx_elf.error);
	if (rc == 0) {
		f->unpacked = 1;
		analyze_elf_image(f, &urd, &f->upx_elf);
	}
	free(img);
}

/* The headers through the keeping reader (pass 2's library search reads
 * them again), UPX, Go, Rust and the note through rd (the same bytes,
 * not kept). Not ELF after all (or analysis failed: the error says why):
 * is_elf stays 0. */
static int elf_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		       struct ocifs_emit *e)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);
	const struct ocifs_rd *keeping = ocifs_emit_keeping(e);
	int rc = ocifs_elf_analyze(keeping ? keeping : rd, &f->elf);

	(void)tree;
	log_problem(f, "ELF: ", f->elf.error);
	if (rc) {
		if (rc != -EINVAL)
			ocifs_emit_error(e, "ELF analysis", rc);
		ocifs_elf_fini(&f->elf);
		return 0;
	}
	f->is_elf = 1;
	analyze_upx(f, rd);
	if (!f->unpacked)
		analyze_elf_image(f, rd, &f->elf);
	return 0;
}

const struct ocifs_cataloger ocifs_cat_elf = {
	.name = "elf",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = elf_match,
	.analyze = elf_analyze,
};
