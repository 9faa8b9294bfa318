/* SPDX-License-Identifier: MIT */
/*
 * The cataloger interface: how an analysis plugs into the pipeline
 * (pipeline.h) that walks the merged view. A cataloger says which files
 * it wants (match: path and the layer index's magic flags, cheap, called
 * for every regular file), how many of their bytes (want), and in which
 * pass it runs; analyze() reads them through rd.h / tree.h only and
 * writes what it found into the model (model.h) through the emit handle:
 * facts of the file, or components. A cataloger is one file holding one
 * `const struct ocifs_cataloger`, listed by one line in catalogers.c.
 *
 * Passes:
 *  1  the files in layer-stream order, one forward cursor per thread:
 *     rd holds the bytes (a small file slurped, a big one read in place);
 *  2  after every pass-1 analysis of every file: the library search and
 *     anything that follows paths to other files (their heads are kept);
 *     rd holds the first `want` bytes read in pass 1 (want must be at
 *     most OCIFS_CAT_HEAD_MAX), or is NULL when want is 0.
 * Within a pass the catalogers of one file run in table order; files run
 * on several threads at once, so analyze() may only write the emit
 * handle's file record and its own per-thread-safe state.
 *
 * Where package databases and archives are read (decided for issue #11):
 *  - SQLite (rpmdb.sqlite) is read by scan/sqlitedb.c only, the one file
 *    of scan/ that includes <sqlite3.h>: it opens a database from a memory
 *    buffer (sqlite3_deserialize, read-only, no VFS over the image, no
 *    extension loading, a page and time budget) and hands rows to the rpm
 *    cataloger. src/idxdb.c stays the only SQLite user of src/.
 *  - zip/jar/war/ear (and any other archive) are read by scan/archive.c
 *    only, the one file of scan/ that includes <archive.h>: libarchive
 *    over a struct ocifs_rd (archive_read_open callbacks), entry names
 *    and sizes capped, nesting (Spring Boot BOOT-INF/lib) bounded by
 *    depth and total bytes. libocifs_scan is compiled with
 *    LIBARCHIVE_CFLAGS and every program linking it links LIBARCHIVE_LIBS.
 *  Catalogers never include either library's header themselves.
 */
#ifndef OCIFS_SCAN_CATALOG_H
#define OCIFS_SCAN_CATALOG_H
#include <stddef.h>
#include <stdint.h>

#include "facts.h" /* OCIFS_EF_*: the magic flags match() sees */
#include "model.h"
#include "rd.h"
#include "tree.h"

#define OCIFS_CAT_WHOLE SIZE_MAX        /* want: every byte */
#define OCIFS_CAT_HEAD_MAX (64u << 10)  /* want of a pass-2 cataloger */

/* flags */
#define OCIFS_CAT_EACH_NAME 1u  /* analyze every name of a hard-linked inode,
				 * not only the first (per-name results) */

/* What the pipeline offers a cataloger's init(). */
struct ocifs_catalog_env {
	const struct ocifs_tree *tree;  /* the image's files */
	const char *path_env;           /* the image config's PATH, or NULL */
	const char *ld_library_path;    /* its LD_LIBRARY_PATH, or NULL */
	/* 0 to go on, or -EINTR / -ETIMEDOUT once the build must stop
	 * (sticky, cheap, thread-safe): poll it in long loops. */
	int (*stop)(void *stop_ctx);
	void *stop_ctx;
	/* The layers' own copies of a file, for attribution (attrib.h):
	 * cb(cbctx, layer, buf, len) for each layer (0 = bottom, in order)
	 * whose own tar holds a regular file at path (as that layer names
	 * it: no symlink followed), its bytes (at most max; a larger or
	 * unreadable copy is passed as buf NULL). 0, a non-zero cb return,
	 * or -ENOMEM. Thread-safe; reads each copy (cheap for a database
	 * of a few MB, never call it per file of the tree). */
	int (*layer_versions)(void *ctx, const char *path, size_t max,
			      int (*cb)(void *cbctx, uint32_t layer, const char *buf, size_t len),
			      void *cbctx);
	void *layer_ctx;
	uint32_t nlayers;
};

struct ocifs_emit;

struct ocifs_cataloger {
	const char *name;
	unsigned pass;          /* 1 or 2 */
	unsigned flags;         /* OCIFS_CAT_* */
	size_t want;            /* bytes of each file analyze() reads through rd:
				 * 0 (rd NULL), a head, or OCIFS_CAT_WHOLE */
	/** Does the cataloger want the regular file at path (as the view
	 *  names it, "/"-rooted) whose magic flags are magic? Cheap, pure,
	 *  thread-safe. */
	int (*match)(const char *path, uint32_t magic);
	/** Optional: called once before the cataloger's pass, single-
	 *  threaded. 0 and *state (handed to analyze through the emit
	 *  handle, and to finish and fini), or a negative errno that stops
	 *  the build. */
	int (*init)(const struct ocifs_catalog_env *env, void **state);
	/** One file: read it through rd (see want) and tree, record what it
	 *  is through e. 0, or a negative errno recorded as the file's
	 *  error ("<name>: <strerror>"); a problem in the data is recorded
	 *  by the cataloger itself (ocifs_emit_error, or its facts). */
	int (*analyze)(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
		       struct ocifs_emit *e);
	/** Optional: once after every pass, single-threaded, over the whole
	 *  model (components from every cataloger's files: e.g. binaries no
	 *  package owns). Emits through e like analyze (no file). */
	int (*finish)(struct ocifs_model *m, void *state, struct ocifs_emit *e);
	/** Optional: free state. */
	void (*fini)(void *state);
};

/** The record of the name being analyzed: its facts are the
 *  cataloger's to fill in. NULL in finish(). */
struct ocifs_mfile *ocifs_emit_file(struct ocifs_emit *e);
/** The record holding the analysis of the bytes (the file itself, or
 *  for a later name of a hard-linked inode the first one). */
const struct ocifs_mfile *ocifs_emit_bytes(struct ocifs_emit *e);
/** The cataloger's state from init(), or NULL. */
void *ocifs_emit_state(struct ocifs_emit *e);
/** Pass 1: the same bytes as rd, through a reader that keeps what it
 *  reads (bounded) for the later passes' reads through the tree (the
 *  library search reads headers again). NULL in pass 2. */
const struct ocifs_rd *ocifs_emit_keeping(struct ocifs_emit *e);
/** Record "what: strerror(-rc)" as the file's error unless it has one. */
void ocifs_emit_error(struct ocifs_emit *e, const char *what, int rc);
/** The file was a candidate (match() wanted it) but the cataloger makes
 *  nothing of it, and why ("ELF magic, but not ELF: truncated", "UPX:
 *  unpacking failed: ..."): kept as the file's `skipped` (the first
 *  reason) and, when tracing, a "skip" event on the cataloger's span.
 *  path NULL: the file being analyzed (in finish(): the path it is
 *  about). The analyzers stay pure: catalogers call this. */
void ocifs_emit_skip(struct ocifs_emit *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** What the pipeline offered init() (the tree, the layers' copies). */
const struct ocifs_catalog_env *ocifs_emit_env(struct ocifs_emit *e);
/** Add a component to the model: c is copied deeply (its cataloger, cat_,
 *  origin_ and seq_ are set by the pipeline), so it may live on the
 *  caller's stack. Thread-safe. 0 or -ENOMEM. */
int ocifs_emit_component(struct ocifs_emit *e, const struct ocifs_component *c);

/* The registry: every cataloger of ocifs, in the order they run (a new
 * cataloger is one line in catalogers.c). */
extern const struct ocifs_cataloger *const ocifs_catalogers[];
extern const size_t ocifs_ncatalogers;

/* The catalogers of /.deps (deps.c runs these three). */
extern const struct ocifs_cataloger ocifs_cat_elf;      /* ELF, UPX, Go, Rust, package note */
extern const struct ocifs_cataloger ocifs_cat_script;   /* #! interpreters */
extern const struct ocifs_cataloger ocifs_cat_ldso;     /* libraries of each dynamic object */

/* The SBOM runs every cataloger of the registry: those and these. */
extern const struct ocifs_cataloger ocifs_cat_os;       /* /etc/os-release */
extern const struct ocifs_cataloger ocifs_cat_dpkg;     /* Debian packages (dpkg status, status.d) */
extern const struct ocifs_cataloger ocifs_cat_rpm;      /* rpm databases (all three backends) */
extern const struct ocifs_cataloger ocifs_cat_apk;      /* Alpine /lib/apk/db/installed */
extern const struct ocifs_cataloger ocifs_cat_python;   /* NAME.dist-info, NAME.egg-info */
extern const struct ocifs_cataloger ocifs_cat_npm;      /* node_modules package.json */
extern const struct ocifs_cataloger ocifs_cat_java;     /* jar/war/ear, nested jars */
extern const struct ocifs_cataloger ocifs_cat_gem;      /* specifications/NAME.gemspec */
extern const struct ocifs_cataloger ocifs_cat_composer; /* vendor/composer/installed.json */
extern const struct ocifs_cataloger ocifs_cat_dotnet;   /* NAME.deps.json */
extern const struct ocifs_cataloger ocifs_cat_gomod;    /* Go modules of a Go binary's build info */
extern const struct ocifs_cataloger ocifs_cat_rust;     /* Rust crates of cargo-auditable data */

#endif
