/* SPDX-License-Identifier: MIT */
/*
 * Go build information of an ELF binary, read as `go version -m` reads it
 * (debug/buildinfo): the inline (Go >= 1.18) and pointer (older) formats,
 * by section or by scanning the writable segment; without build info, a
 * Go binary is still recognised by its pclntab and runtime version string.
 */
#ifndef OCIFS_SCAN_GOINFO_H
#define OCIFS_SCAN_GOINFO_H
#include <stddef.h>

#include "elfinfo.h"
#include "rd.h"

struct ocifs_gomod {
	char *path, *version, *sum;     /* sum may be "" */
	char *rep_path, *rep_version, *rep_sum; /* the `=>` replacement, or NULLs */
};

struct ocifs_gosetting {
	char *key, *value;      /* "CGO_ENABLED" "0", "-ldflags" "-s -w", "vcs.revision" ... */
};

struct ocifs_goinfo {
	int is_go;              /* 1 if a Go binary (build info or pclntab evidence) */
	int has_buildinfo;      /* the build info blob was found and decoded */
	char *version;          /* "go1.19.8", or NULL if unknown */
	char *path;             /* main package path, or NULL */
	struct ocifs_gomod main; /* main module (all NULL without a `mod` line) */
	size_t ndeps;
	struct ocifs_gomod *deps;
	size_t nsettings;
	struct ocifs_gosetting *settings;
	char *how;              /* "section .go.buildinfo", "writable segment scan", ... */
	char *error;            /* why analysis stopped early, or NULL */
};

/** Analyze the ELF file behind rd, whose headers ocifs_elf_analyze()
 *  parsed into elf. 0 (out->is_go may be 0), -ENOMEM, -EINVAL if elf is
 *  not an ELF analysis (no class). Problems in the data are described in
 *  out->error. Call ocifs_goinfo_fini() whatever the result. */
int ocifs_goinfo_read(const struct ocifs_rd *rd, const struct ocifs_elf *elf,
		      struct ocifs_goinfo *out);

/** Parse a modinfo string (sentinels already stripped, or not: a blob
 *  that carries them is unwrapped) into out->path/main/deps/settings,
 *  appending. 0, -ENOMEM; malformed lines stop parsing and set
 *  out->error (as debug.ParseBuildInfo would fail). */
int ocifs_goinfo_parse_modinfo(const char *modinfo, size_t len, struct ocifs_goinfo *out);

void ocifs_goinfo_fini(struct ocifs_goinfo *g);

#endif
