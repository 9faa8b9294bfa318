/* SPDX-License-Identifier: MIT */
/*
 * Between the SBOM's build (sbom.c: the model made whole -- purls,
 * files checked against the view, ownership, binaries of no package,
 * the dependency graph, layers) and its CycloneDX writer (sbom_cdx.c).
 */
#ifndef OCIFS_SCAN_SBOM_PRIV_H
#define OCIFS_SCAN_SBOM_PRIV_H
#include <stddef.h>

#include "image.h"
#include "model.h"

struct sbom_layer {
	const char *digest, *diff_id;   /* borrowed from the image */
	char *created_by;               /* config history, or NULL */
};

struct sbom_comp {
	const struct ocifs_component *c; /* in the model */
	char *purl;                     /* or NULL (the operating system) */
	char *bom_ref;                  /* unique in the document */
	const char **files;             /* c->files the view has (not dirs) */
	size_t nfiles;
	size_t missing;                 /* c->files the view no longer has */
	size_t *deps;                   /* indices of components it depends on */
	size_t ndeps, dcap;
	char **unresolved;              /* "NAME (needed by PATH)" */
	size_t nunresolved;
	int os_package;                 /* deb, apk or rpm */
};

struct sbom {
	const struct ocifs_image *img;
	char *name;                     /* the image's name, for its purl */
	char *purl;                     /* pkg:oci/... */
	struct sbom_layer *layers;
	size_t nlayers;
	struct sbom_comp *comps;        /* sorted */
	size_t ncomps;
	char timestamp[32];             /* from SOURCE_DATE_EPOCH, or "" */
	size_t edges;
};

/** Render s as the CycloneDX 1.6 JSON document of sbom.h. 0, -ENOMEM. */
int ocifs_sbom_cdx_write(const struct sbom *s, char **out, size_t *len);

/** SOURCE_DATE_EPOCH as "YYYY-MM-DDTHH:MM:SSZ" into buf (32 bytes), or
 *  "" when unset or not a number. */
void ocifs_sbom_epoch(char buf[32]);

#endif
