/* SPDX-License-Identifier: MIT */
/*
 * Library resolution as the image's own dynamic loader does it, inside
 * the image: every DT_NEEDED of an ELF, transitively, in the loader's
 * breadth-first load order, each object once, with the path the loader
 * would open and the rule that found it. glibc (elf/dl-load.c,
 * dl-cache.c, 2.36 as in Debian 12) and musl (ldso/dynlink.c) rules; the
 * flavour follows the interpreter (ld-musl-* is musl) or, for a shared
 * library analyzed on its own, its libc. Files are read only through a
 * struct ocifs_tree. Nothing is executed.
 *
 * Assumptions (the loader decides these at run time from the CPU and
 * the environment; we cannot): the CPU is baseline x86-64 (no
 * glibc-hwcaps/x86-64-vN subdirectories, unless opts->hwcaps_level);
 * $PLATFORM is the kernel's AT_PLATFORM for the machine ("x86_64", glibc
 * on Intel Haswell+ says "haswell"); the process is not setuid; the
 * working directory is "/"; glibc's legacy hwcap subdirectories (tls/,
 * x86_64/, $PLATFORM/) are searched as 2.36 does; $LIB and the default
 * directories follow the image's layout (Debian multiarch when
 * /lib/TRIPLET or /usr/lib/TRIPLET is a directory, else lib32/lib64/lib).
 * The main object's $ORIGIN is the directory of its canonical path (the
 * kernel's /proc/self/exe); ldd uses the path as given, which is the same
 * for canonical paths.
 */
#ifndef OCIFS_SCAN_LDSO_H
#define OCIFS_SCAN_LDSO_H
#include <stddef.h>
#include <stdint.h>

#include "elfinfo.h"
#include "tree.h"

#define OCIFS_LDSO_MAIN SIZE_MAX  /* needed_by of the analyzed file's own NEEDED */

struct ocifs_ldso_opts {
	const char *ld_library_path; /* image config Env LD_LIBRARY_PATH, or NULL */
	const char *platform;        /* value for $PLATFORM; NULL: derived from the ELF
				      * machine ("x86_64", "aarch64", "i686"...) */
	unsigned hwcaps_level;       /* x86-64 ISA level the CPU is assumed to have:
				      * 0/1 baseline (default), 2..4 also search
				      * glibc-hwcaps/x86-64-v{N..2} and use such
				      * ld.so.cache entries */
	/* Polled before every file probe of a resolution (it must be cheap
	 * and thread-safe): 0 to go on, or a negative errno that stops the
	 * resolution, which then returns it (e.g. -EINTR, -ETIMEDOUT).
	 * NULL: never stopped. */
	int (*stop)(void *stop_ctx);
	void *stop_ctx;
	/* Files tried by all resolutions of this resolver together (the
	 * image's budget; each resolution also has its own): once spent,
	 * every search stops at once, marked OCIFS_LDSO_CUT_IMAGE. Which
	 * files are cut then depends on the order threads reach them.
	 * 0: no image budget. */
	size_t image_probes;
};

struct ocifs_ldso;

/** A resolver over tree t (which must outlive it). Reads /etc/ld.so.cache,
 *  /etc/ld.so.conf (for notes only: ld.so never reads it) and
 *  /etc/ld-musl-*.path once; a missing or corrupt file is not an error
 *  (resolutions note it where it matters). o may be NULL; its strings
 *  are copied. Returns 0 and *out (free with ocifs_ldso_free), -ENOMEM. */
int ocifs_ldso_new(const struct ocifs_tree *t, const struct ocifs_ldso_opts *o,
		   struct ocifs_ldso **out);
/** Free l and its cache of analyzed files. NULL is fine. */
void ocifs_ldso_free(struct ocifs_ldso *l);

struct ocifs_ldso_lib {
	char *name;          /* as the NEEDED entry says */
	char *path;          /* as ld.so names the loaded object (ldd's "=> PATH"),
			      * NULL if not found */
	const char *rule;    /* static: "direct" (NEEDED with '/'), "loaded" (an
			      * already loaded object matched; only in needed[]),
			      * "rpath", "ld_library_path", "runpath",
			      * "ld.so.cache", "default", "musl-path",
			      * "musl-default", "not found" */
	size_t needed_by;    /* index in libs[] of the object that needed it;
			      * OCIFS_LDSO_MAIN for the analyzed file itself */
	unsigned depth;      /* 1 = NEEDED of the analyzed file */
};

struct ocifs_ldso_result {
	size_t n;
	struct ocifs_ldso_lib *libs; /* every object once, load order (BFS), the
				      * interpreter not included; a NEEDED not
				      * found is one entry per needing object, as
				      * ldd prints it */
	size_t nunresolved;          /* entries of libs[] with path NULL */
	char *missing_interp;        /* the file's PT_INTERP when it names no
				      * loadable ELF file (the kernel refuses to
				      * run the file); else NULL */
	size_t nneeded;
	struct ocifs_ldso_lib *needed; /* the analyzed file's own NEEDED, in order,
					* each with what satisfied it (also
					* "loaded": e.g. the interpreter, or a
					* repeated name); needed_by MAIN, depth 1 */
	const char *flavour;         /* static: "glibc", "musl", or "none" (static,
				      * not dynamic, or nothing needed) */
	char *note;          /* skipped candidates (wrong class...), loops, limits;
			      * NULL if none */
	unsigned truncated;  /* OCIFS_LDSO_CUT_*: which bound cut the search short
			      * (the result is then partial); 0 if none */
};

/* ocifs_ldso_result.truncated bits: the bound that was hit. */
#define OCIFS_LDSO_CUT_DIRS 1u    /* a search list cut (directories per list) */
#define OCIFS_LDSO_CUT_PROBES 2u  /* the resolution's file budget spent */
#define OCIFS_LDSO_CUT_OBJS 4u    /* loaded objects per resolution */
#define OCIFS_LDSO_CUT_NEEDED 8u  /* DT_NEEDED entries per object */
#define OCIFS_LDSO_CUT_IMAGE 16u  /* the image's file budget spent */

/** Resolve the libraries of the file at path (its path in the image) whose
 *  analysis (elfinfo) is e. *out need not be initialised; release it with
 *  ocifs_ldso_result_fini whatever the return. Returns 0 (problems and
 *  limits go to out->note: the input is hostile, every search is
 *  bounded), -ENOMEM, or the error opts->stop returned. Thread-safe: several threads may resolve on the
 *  same l at once (the analysis cache is shared under a mutex). */
int ocifs_ldso_resolve(struct ocifs_ldso *l, const char *path, const struct ocifs_elf *e,
		       struct ocifs_ldso_result *out);
/** Free what r owns and zero it. Safe on a zeroed struct. */
void ocifs_ldso_result_fini(struct ocifs_ldso_result *r);

#endif
