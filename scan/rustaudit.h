/* SPDX-License-Identifier: MIT */
/*
 * Embedded package metadata of an ELF file:
 *  - the Rust dependency list cargo-auditable writes into the .dep-v0
 *    section (zlib-compressed JSON, auditable-serde's VersionInfo:
 *    {"packages":[{"name","version","source","kind"?,"dependencies"?,
 *    "root"?}], "format"?}), inflated with an output cap (zip bombs) and
 *    validated as auditable-serde does (types, index range, one root,
 *    no cycles);
 *  - the FDO packaging metadata note (owner "FDO", type 0xcafe1a7e, a
 *    NUL-terminated JSON object; systemd's "package metadata for
 *    executable files"), found by SHT_NOTE section or, without section
 *    headers, by walking the PT_NOTE segments.
 * Both read only the bytes they need through the struct ocifs_rd, each
 * size capped: the input is hostile.
 */
#ifndef OCIFS_SCAN_RUSTAUDIT_H
#define OCIFS_SCAN_RUSTAUDIT_H
#include <stddef.h>
#include <stdint.h>

#include "elfinfo.h"
#include "rd.h"

#define OCIFS_RUSTAUDIT_MAX_JSON (8u << 20)    /* decompressed cap (cargo-auditable's own limit) */
#define OCIFS_PKGNOTE_TYPE 0xcafe1a7eu

struct ocifs_rust_pkg {
	char *name, *version, *source; /* as written ("crates.io", "local", "git", "registry", ...) */
	char *kind;             /* "runtime" (also when absent: the format's default) or "build" */
	int root;               /* "root": true */
	size_t ndeps;
	size_t *deps;           /* indices into pkgs[], each < n (guaranteed) */
};

struct ocifs_rustaudit {
	int found;              /* a .dep-v0 section exists (even if its data is bad) */
	size_t n;
	struct ocifs_rust_pkg *pkgs;
	uint32_t format;        /* the "format" revision, 0 when absent */
	char *error;            /* NULL, or why the data is bad (see ocifs_rustaudit_read) */
};

/** Read the cargo-auditable data of the ELF file behind rd, already
 *  analyzed into e, into *out (which need not be initialised).
 *  Returns 0 (out->found 0 when there is no .dep-v0 section), -ENOMEM,
 *  or the reader's error other than a short read. Bad data sets
 *  out->error: a section past the end of the file
 *  or SHT_NOBITS, a broken or truncated zlib stream, more than
 *  OCIFS_RUSTAUDIT_MAX_JSON bytes inflated, invalid JSON (strict, UTF-8)
 *  or wrong types -- then out->pkgs holds the packages before the first
 *  bad one (their deps cut to those) -- or a dependency cycle or several
 *  root packages, where all packages are kept. Call ocifs_rustaudit_fini
 *  whatever the result. Thread-safe (no shared state). */
int ocifs_rustaudit_read(const struct ocifs_rd *rd, const struct ocifs_elf *e,
			 struct ocifs_rustaudit *out);

/** Free everything a owns and zero it. Safe on a zeroed struct. */
void ocifs_rustaudit_fini(struct ocifs_rustaudit *a);

struct ocifs_pkgnote {
	int found;              /* an FDO 0xcafe1a7e note exists */
	char *json;             /* the validated JSON object, re-serialized compact; NULL if invalid */
	char *type, *name, *version; /* "type", "name", "version", or NULL if absent */
	char *arch;             /* "architecture" */
	char *cpe;              /* "osCpe" */
	char *error;            /* NULL, or why the note is bad */
};

/** Read the FDO packaging metadata note of the ELF file behind rd
 *  (analyzed into e) into *out (which need not be initialised): the
 *  first FDO note of type 0xcafe1a7e in the SHT_NOTE sections, else in
 *  the PT_NOTE segments. Its desc is taken up to its first NUL and must
 *  be one JSON object (strict, UTF-8, nothing but whitespace after it).
 *  Returns 0 (out->found 0 if there is none), -ENOMEM, or the reader's
 *  error other than a short read. Bad data sets out->error: an invalid
 *  JSON or not an object (json NULL), or a known key whose value is not
 *  a string (json kept, that field NULL). A note running past its area
 *  ends the search in that area (as readelf does). Call
 *  ocifs_pkgnote_fini whatever the result. Thread-safe. */
int ocifs_pkgnote_read(const struct ocifs_rd *rd, const struct ocifs_elf *e,
		       struct ocifs_pkgnote *out);

/** Free everything n owns and zero it. Safe on a zeroed struct. */
void ocifs_pkgnote_fini(struct ocifs_pkgnote *n);

#endif
