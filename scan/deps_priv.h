/* SPDX-License-Identifier: MIT */
/* Shared by deps.c (analysis) and deps_json.c / deps_txt.c (output). */
#ifndef OCIFS_SCAN_DEPS_PRIV_H
#define OCIFS_SCAN_DEPS_PRIV_H
#include <json-c/json.h>
#include <stdint.h>

#include "elfinfo.h"
#include "goinfo.h"
#include "ldso.h"
#include "rustaudit.h"
#include "script.h"
#include "upx.h"

/* One analyzed file. */
struct deps_file {
	char *path;             /* one name in the view (each name has its own) */
	size_t primary;         /* 0, or 1 + the index of the name of the same
				 * inode that holds the analysis (hard links) */
	uint64_t ino, size, data_off;
	uint32_t layer, eflags;
	unsigned char sha256[32];
	int is_elf, is_script;
	struct ocifs_elf elf;
	struct ocifs_goinfo go;         /* of the unpacked image when UPX-packed */
	struct ocifs_upx upx;
	int unpacked;                   /* upx_elf below is valid */
	struct ocifs_elf upx_elf;
	struct ocifs_rustaudit rust;
	struct ocifs_pkgnote note;
	int resolved;                   /* libs is valid */
	struct ocifs_ldso_result libs;
	struct ocifs_script script;
	unsigned char *head;            /* scripts: the first bytes, until pass 2 */
	size_t head_len;
	char *error;                    /* read error, etc. */
};

/** The JSON object of one name (deps.json "files" element): its path
 *  and library search from f, the analysis of its bytes from p (f
 *  itself, or the first name of the same inode). NULL on ENOMEM.
 *  layer_digest: the digest of f->layer. */
struct json_object *deps_file_json(const struct deps_file *f, const struct deps_file *p,
				   const char *layer_digest);

#endif
