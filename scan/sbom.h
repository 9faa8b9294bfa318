/* SPDX-License-Identifier: MIT */
/*
 * /.sbom: every package, language package and binary of the merged
 * view, the layer that brought each one and what links to what, as a
 * CycloneDX 1.6 JSON document (the SBOM's one full serialization: the
 * cached document, /.ocifs/sbom.cdx.json, alias /.sbom) from which the
 * SPDX 2.3 JSON document (/.ocifs/sbom.spdx.json) and the table of
 * `ocifs sbom --format table` are derived. Properties are named
 * "ocifs:..." and each is listed in ocifs-sbom(5).
 *
 * Deterministic: the same image gives the same bytes (serial number
 * and SPDX namespace derived from the manifest digest, every array
 * sorted, no timestamp unless SOURCE_DATE_EPOCH is set, which is then
 * part of the cache key).
 *
 * The CycloneDX shape the derivations read (sbom_cdx.c writes it):
 *   metadata.component: the image, bom-ref "image", type "container",
 *     purl pkg:oci/NAME@sha256:...?arch=...&repository_url=..., hashes
 *     [SHA-256 of the manifest], properties ocifs:image:created,
 *     ocifs:image:config_digest, ocifs:image:platform, ocifs:layer:N:digest,
 *     ocifs:layer:N:created_by (N 1-based);
 *   components[]: bom-ref (unique), type, name, version, group (maven
 *     groupId, npm scope, Go module host path is not split), purl,
 *     licenses [{license:{id}} | {license:{name}} | {expression}], hashes
 *     [SHA-256], properties (ocifs:layer = N, ocifs:layer:digest,
 *     ocifs:layer:created_by, ocifs:cataloger, ocifs:source, and the
 *     cataloger's own), evidence.occurrences[].location (its files);
 *   dependencies[]: {ref, dependsOn[]}: "image" -> every component;
 *     package -> its Depends; Go main module -> its modules; an ELF's
 *     component -> the components owning the libraries it resolves to.
 */
#ifndef OCIFS_SCAN_SBOM_H
#define OCIFS_SCAN_SBOM_H
#include <stddef.h>

#include "doc.h"
#include "image.h"
#include "view.h"

#define OCIFS_SBOM_SCHEMA 1

/* The CycloneDX document's kind: <cache>/sbom/<key>.cdx.json, keyed by
 * the program and SOURCE_DATE_EPOCH. */
extern const struct ocifs_doc_kind ocifs_sbom_kind;

struct ocifs_sbom_opts {
	const char *cache_dir;  /* NULL: neither read nor write the cache */
	unsigned threads;       /* 0: 2 */
	int (*cancelled)(void *cancel_ctx); /* as ocifs_deps_opts */
	void *cancel_ctx;
	unsigned timeout_ms;    /* 0: no limit; else -ETIMEDOUT after */
};

struct ocifs_sbom_stats {
	size_t components;      /* in the document, the image excluded */
	size_t packages;        /* of an OS package database */
	size_t binaries;        /* ELF files no package owns */
	size_t edges;           /* dependsOn entries */
	int from_cache;
	double secs;
};

/** The CycloneDX document of img's merged view v, built now (no cache
 *  read or written). *cdx malloc'd (NUL-terminated, *len without it);
 *  st and o may be NULL. 0, -ENOMEM, a read error of the view, -EINTR
 *  or -ETIMEDOUT (nothing returned then). Thread-safe with respect to
 *  other views. */
int ocifs_sbom_build(struct ocifs_image *img, const struct ocifs_view *v,
		     const struct ocifs_sbom_opts *o, char **cdx, size_t *len,
		     struct ocifs_sbom_stats *st);

/** The same, loaded from the cache or built and cached (concurrent
 *  builders build once; see ocifs_deps_json). */
int ocifs_sbom_cdx(struct ocifs_image *img, const struct ocifs_view *v,
		   const struct ocifs_sbom_opts *o, char **cdx, size_t *len,
		   struct ocifs_sbom_stats *st);

/** The SPDX 2.3 JSON document equivalent to the CycloneDX document cdx
 *  (as ocifs_sbom_cdx returns it): 0 and a malloc'd NUL-terminated
 *  *out, -EBADMSG if cdx is not such a document, -ENOMEM. */
int ocifs_sbom_spdx(const char *cdx, size_t len, char **out, size_t *out_len);

/** A text table of cdx's components (one line each: name, version,
 *  type, layer, purl), as `ocifs sbom --format table` prints it: as
 *  ocifs_sbom_spdx. */
int ocifs_sbom_table(const char *cdx, size_t len, char **out, size_t *out_len);

#endif
