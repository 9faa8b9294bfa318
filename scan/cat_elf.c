/* SPDX-License-Identifier: MIT */
/*
 * The ELF cataloger (pass 1, every byte): elfinfo's headers, then UPX
 * (unpacked in memory when it can be), and of the image that runs the
 * Go build info, the cargo-auditable crates and the FDO package note.
 * The only place the pipeline calls these analyzers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static void analyze_elf_image(struct ocifs_emit *em, struct ocifs_mfile *f,
			      const struct ocifs_rd *rd, const struct ocifs_elf *e)
{
	if (e->is_go || e->link == OCIFS_ELF_STATIC || e->link == OCIFS_ELF_STATIC_PIE)
		ocifs_goinfo_read(rd, e, &f->go);
	if (f->go.is_go && !f->go.has_buildinfo)
		ocifs_emit_skip(em, NULL, "Go binary (%s) without build info: no modules known%s%s",
				f->go.version ? f->go.version : "toolchain version unknown",
				f->go.error ? ": " : "", f->go.error ? f->go.error : "");
	ocifs_rustaudit_read(rd, e, &f->rust);
	log_problem(f, "", f->rust.error);
	ocifs_pkgnote_read(rd, e, &f->note);
	log_problem(f, "", f->note.error);
}

static void analyze_upx(struct ocifs_emit *em, struct ocifs_mfile *f, const struct ocifs_rd *rd)
{
	unsigned char *img = NULL;
	size_t len = 0;
	int rc;

	if (ocifs_upx_detect(rd, &f->upx) || !f->upx.packed)
		return;
	if ((rc = ocifs_upx_unpack(rd, &f->upx, ELF_MAX_UNPACK, &img, &len))) {
		if (rc == -EBADMSG)
			log_problem(f, "UPX: ", f->upx.error ? f->upx.error : "corrupt");
		ocifs_emit_skip(em, NULL, "UPX-packed, unpacking failed: %s; the packed stub "
				"analyzed instead", f->upx.error ? f->upx.error : strerror(-rc));
		return;
	}
	struct ocifs_rd_mem m = { img, len };
	struct ocifs_rd urd = { ocifs_rd_mem_read, &m, len, f->path, img };
	rc = ocifs_elf_analyze(&urd, &f->upx_elf);
	log_problem(f, "ELF: ", f->upx_elf.error);
	if (rc == 0) {
		f->unpacked = 1;
		analyze_elf_image(em, f, &urd, &f->upx_elf);
	} else {
		ocifs_emit_skip(em, NULL, "UPX-packed, but what it unpacks to is not ELF: %s",
				f->upx_elf.error ? f->upx_elf.error : strerror(-rc));
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
		ocifs_emit_skip(e, NULL, "ELF magic, but not an ELF file it can read: %s",
				f->elf.error ? f->elf.error : rc == -EINVAL ? "no ELF header"
									: strerror(-rc));
		if (rc != -EINVAL)
			ocifs_emit_error(e, "ELF analysis", rc);
		ocifs_elf_fini(&f->elf);
		return 0;
	}
	if (f->elf.error)
		ocifs_emit_skip(e, NULL, "malformed ELF, analyzed only in part: %s", f->elf.error);
	f->is_elf = 1;
	analyze_upx(e, f, rd);
	if (!f->unpacked)
		analyze_elf_image(e, f, rd, &f->elf);
	return 0;
}

const struct ocifs_cataloger ocifs_cat_elf = {
	.name = "elf",
	.pass = 1,
	.want = OCIFS_CAT_WHOLE,
	.match = elf_match,
	.analyze = elf_analyze,
};
