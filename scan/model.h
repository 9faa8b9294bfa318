/* SPDX-License-Identifier: MIT */
/*
 * The pipeline's typed model of an image (what catalogers fill in and
 * writers render): one record per name of every file a cataloger
 * matched -- where it lives (path, inode, layer, size, the magic flags
 * and sha256 of the layer index) and what the analyzers found in its
 * bytes (ELF, UPX, Go, Rust, package note, script) and per name (the
 * libraries ld.so would load for it) -- and the components catalogers
 * report (a package, a module, a binary: type, name, version, the purl
 * fields, the files it owns, the layer that brought it, properties).
 *
 * Hard links: each name has its own record; the analysis of the bytes
 * is held by the first name of the inode (the "bytes" record, see
 * ocifs_model_bytes), per-name results (the library search, whose
 * $ORIGIN depends on the name) by every record.
 *
 * Plain data: the writers read it directly. Built by pipeline.c; nothing
 * in it is shared with other threads once ocifs_pipeline_run returned.
 */
#ifndef OCIFS_SCAN_MODEL_H
#define OCIFS_SCAN_MODEL_H
#include <stddef.h>
#include <stdint.h>

#include "elfinfo.h"
#include "goinfo.h"
#include "ldso.h"
#include "rustaudit.h"
#include "script.h"
#include "upx.h"

/* One name of a file the pipeline looked at. */
struct ocifs_mfile {
	/* --- where it is (the pipeline) --- */
	char *path;             /* the name in the view */
	size_t primary;         /* 0, or 1 + the index of the record of the same
				 * inode that holds the analysis of the bytes */
	uint64_t ino, size, data_off;
	uint32_t layer;         /* 0 = bottom */
	uint32_t magic;         /* OCIFS_EF_* of the layer index */
	unsigned char sha256[32]; /* valid with OCIFS_EF_HASHED in magic */
	uint64_t catalogers;    /* bit i: catalogers[i] matched it */
	/* --- what its bytes are (the bytes record only) --- */
	int is_elf, is_script;
	struct ocifs_elf elf;
	struct ocifs_goinfo go;         /* of the unpacked image when UPX-packed */
	struct ocifs_upx upx;
	int unpacked;                   /* upx_elf below is valid */
	struct ocifs_elf upx_elf;
	struct ocifs_rustaudit rust;
	struct ocifs_pkgnote note;
	struct ocifs_script script;
	/* --- per name --- */
	int resolved;                   /* libs is valid */
	struct ocifs_ldso_result libs;
	char *error;                    /* the first problem (read error, ...) */
	char *skipped;                  /* why a cataloger that wanted it made
					 * nothing of it (the first reason,
					 * ocifs_emit_skip), or NULL */
	/* --- the pipeline's, between its passes --- */
	unsigned char *head_;           /* the first head_len_ bytes, read in pass 1 */
	size_t head_len_;
	int read_ok_;                   /* pass 1 read the bytes */
};

/* A name = value property of a component. */
struct ocifs_prop {
	char *name, *value;
};

/* What a cataloger reports: a package, a module, a binary. The purl is
 * pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS#SUBPATH (fields NULL when
 * absent, unescaped: the writer escapes). */
struct ocifs_component {
	const char *cataloger;  /* the name of the cataloger that emitted it (static) */
	char *type;             /* purl type: "deb", "apk", "rpm", "golang", "cargo",
				 * "pypi", "npm", "maven", "gem", "composer", "nuget",
				 * or "generic" for a binary of no package */
	char *namespace_, *name, *version;
	char *qualifiers;       /* "arch=amd64&distro=debian-12", or NULL */
	char *subpath;
	char *kind;             /* CycloneDX type: "library", "application",
				 * "operating-system", ... */
	uint32_t layer;         /* the layer that brought its current version
				 * (0 = bottom): a package database entry's
				 * from ocifs_attrib (attrib.h), a file's from
				 * its mfile */
	char *source;           /* where it was found, "/"-rooted: the
				 * database or metadata file, the binary; a
				 * member of an archive as "/app.jar!/BOOT-INF/
				 * lib/x.jar" */
	char **files;           /* paths it owns, "/"-rooted, as its package
				 * database lists them (directories and paths
				 * no longer in the view included: sbom.c
				 * filters them against the view) */
	size_t nfiles;
	char **licenses;        /* as declared: SPDX ids or expressions
				 * ("GPL-2.0-or-later", "MIT OR Apache-2.0"),
				 * else the declared free text */
	size_t nlicenses;
	char **depends;         /* what it needs, by name within its own
				 * ecosystem (its type): a dpkg/apk/rpm package
				 * or virtual name (alternatives "a | b" kept as
				 * one string; version constraints and ":arch"
				 * stripped), an npm package name, a Go module
				 * path; sbom.c resolves them to components by
				 * name and provides */
	size_t ndepends;
	char **provides;        /* names it provides (dpkg Provides, apk
				 * provides incl. so:/cmd:, rpm PROVIDENAME) */
	size_t nprovides;
	unsigned char sha256[32];       /* with has_sha256: of the binary or
					 * archive the component is */
	int has_sha256;
	struct ocifs_prop *props;       /* names "ocifs:..." (see ocifs-sbom(5)),
					 * each listed there */
	size_t nprops;
	/* the pipeline's order: emitted by catalogers[cat_] analyzing
	 * files[origin_] (SIZE_MAX: from finish), seq_-th of that call */
	size_t cat_, origin_, seq_;
};

struct ocifs_model {
	struct ocifs_mfile *files;      /* in layer-stream order */
	size_t nfiles;
	struct ocifs_component *comps;  /* by cataloger, then file, then emission */
	size_t ncomps;
};

/** The record holding the analysis of f's bytes: f itself, or the first
 *  name of the same inode. */
static inline const struct ocifs_mfile *ocifs_model_bytes(const struct ocifs_model *m,
							   const struct ocifs_mfile *f)
{
	return f->primary ? &m->files[f->primary - 1] : f;
}

/** Free everything m owns (files, components) and zero it. */
void ocifs_model_fini(struct ocifs_model *m);
/** Free what c owns and zero it. */
void ocifs_component_fini(struct ocifs_component *c);

#endif
