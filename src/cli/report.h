/* SPDX-License-Identifier: MIT */
/*
 * `ocifs report`: what the report shows, gathered once (report.c,
 * report_tree.c, report_scan.c) and then written as one self-contained
 * HTML page (report_html.c). The writer only formats this model: every
 * number and string it prints is here, so the page is a pure function
 * of the image (deterministic: no clock, no host name, no cache state).
 *
 * Strings borrowed from the session (image, history) or from the parsed
 * documents (deps.json, the CycloneDX SBOM) stay valid while the model
 * lives; everything else is owned by it.
 */
#ifndef OCIFS_SRC_CLI_REPORT_H
#define OCIFS_SRC_CLI_REPORT_H
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "efficiency.h"
#include "hashtab.h"
#include "lchange.h"
#include "session.h"

/* The merged tree shows at most this many entries (names, depth first
 * in name order); the page says where it was cut. ocifs.1 documents it. */
#define RPT_TREE_MAX 50000u
/* ... and only as long as their paths (each written once in the page)
 * total at most this many bytes: deep trees repeat long prefixes. */
#define RPT_TREE_PATH_BYTES (16u << 20)
/* Components of the SBOM listed at most (all are counted). */
#define RPT_COMP_MAX 20000u
/* Paths several layers hold (dive's inefficient files) listed at most. */
#define RPT_INEFF_MAX 100u
/* Files named under one group of the /.deps summary at most. */
#define RPT_GROUP_FILES_MAX 200u

struct rpt_layer {
	unsigned num;                   /* 1-based */
	const struct ocifs_layer_desc *desc;
	const struct ocifs_history *hist; /* or NULL */
	uint64_t usize, entries;        /* uncompressed tar stream, its entries */
	int have_chg;                   /* chg filled (ocifs_lchange_layer) */
	struct ocifs_chg_stats chg;
	int have_waste;                 /* wasted filled */
	uint64_t wasted;                /* bytes of this layer a later one
					 * overwrote or deleted */
};

/* One name of the merged tree, in depth-first name order (its path:
 * entry i of rpt_tree.paths). */
struct rpt_node {
	uint32_t depth;                 /* 0: a child of the root */
	uint32_t mode;
	uint32_t layer;                 /* 0-based, OCIFS_VIEW_NO_LAYER */
	uint64_t size;
	const char *link;               /* symlink target (in the view) */
	uint32_t first, last;           /* earlier versions: a chain in
					 * rpt_tree.ver, UINT32_MAX = none */
};

struct rpt_ver {
	uint32_t layer;                 /* 0-based layer listing the path */
	uint32_t next;                  /* UINT32_MAX: the end */
};

struct rpt_tree {
	struct rpt_node *n;
	size_t nn, cap;
	uint64_t total;                 /* names in the whole merged tree */
	int cut;                        /* nn < total: the page says so */
	struct ocifs_strmap paths;      /* entry i: node i's path, relative
					 * to the root (as the indexes
					 * store it) */
	struct rpt_ver *ver;
	size_t nver, vcap;
};

/* A name and the files under it (deps summary groups). */
struct rpt_group {
	const char *key;                /* borrowed from the JSON */
	const char **files;             /* borrowed paths, in document order */
	size_t nfiles, cap;
	size_t count;                   /* files counted (nfiles <= count) */
};

struct rpt_groups {
	struct ocifs_strmap idx;        /* key -> position in g */
	struct rpt_group *g;
	size_t n, cap;
};

struct rpt_comp {
	const char *name, *version, *type, *purl, *cataloger; /* borrowed */
};

struct rpt_comp_layer {
	unsigned layer;                 /* 1-based; 0: no ocifs:layer */
	struct rpt_comp *c;
	size_t n, cap;
};

struct rpt_scan {
	json_object *deps;              /* deps.json, parsed (owned) */
	int64_t files, elf, scripts, go, upx, unresolved, errors;
	struct rpt_groups link;         /* ELF link kind ("script" too) */
	struct rpt_groups unres;        /* unresolved library -> needing files */
	struct rpt_groups gover;        /* Go version -> binaries */
	const char *deps_error;         /* why there is no deps summary */
	json_object *sbom;              /* CycloneDX, parsed (owned) */
	struct rpt_comp_layer *cl;      /* by layer, ascending (0 last) */
	size_t ncl;
	size_t ncomp, shown;            /* components, listed */
	const char *sbom_error;
};

struct rpt {
	struct ocifs_session *s;
	const char *image_arg;          /* as given on the command line */
	struct rpt_layer *layers;       /* s->img->nlayers */
	size_t nlayers;
	uint64_t csize, usize;          /* totals of the layers */
	struct ocifs_efficiency *eff;   /* dive's numbers (owned), or NULL */
	struct rpt_tree tree;
	struct rpt_scan scan;
};

/* report_tree.c */
/** The merged tree of s->view (at most max names) with, for each name,
 *  the earlier layers that listed a version of it (one pass over every
 *  layer's index). 0 or a negative errno (logged). */
int rpt_tree_build(struct ocifs_session *s, size_t max, struct rpt_tree *t);
void rpt_tree_fini(struct rpt_tree *t);

/* report_scan.c */
/** The /.deps summary and the SBOM's components by layer, through the
 *  document cache; a document that cannot be made is noted in
 *  *_error (and logged), not fatal. 0 or -ENOMEM. */
int rpt_scan_build(struct ocifs_session *s, struct rpt_scan *sc);
void rpt_scan_fini(struct rpt_scan *sc);

/* report_html.c */
/** Write the page to f. 0, or -EIO when f failed. */
int rpt_html_write(const struct rpt *r, FILE *f);

#endif
