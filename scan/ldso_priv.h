/* SPDX-License-Identifier: MIT */
/*
 * Private to the resolver: ldso.c (setup, a resolution, results, helpers
 * of both searches), ldso_cache.c (the shared cache of analyzed files,
 * notes), ldso_glibc.c and ldso_musl.c (the two loaders' searches).
 */
#ifndef OCIFS_SCAN_LDSO_PRIV_H
#define OCIFS_SCAN_LDSO_PRIV_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hashtab.h"
#include "ldcache.h"
#include "ldconf.h"
#include "ldso.h"

#define LDSO_NONE SIZE_MAX
#define LDSO_MAX_OBJS 4096     /* objects per resolution (ld.so has no limit) */
#define LDSO_MAX_PROBES 200000 /* files tried per resolution */
#define LDSO_MAX_DIRS 256      /* directories per search list */
#define LDSO_MAX_NEEDED 256    /* DT_NEEDED entries followed per object */
#define LDSO_MAX_PATH 4096     /* PATH_MAX: longer names fail to open */
#define LDSO_MAX_NOTE 8192     /* bytes of notes per resolution */
#define LDSO_MAX_MUSL 16       /* /etc/ld-musl-*.path files */
#define LDSO_MAX_SUB 16        /* hwcaps subdirectories per directory */
#define LDSO_MAX_ELEMS 4096    /* search list elements looked at (duplicates too) */

/* Verdicts on a candidate file, and results of a search list. */
enum { LDSO_FOUND, LDSO_SKIP, LDSO_STOP, LDSO_FATAL };

/* What a file of the image is to a loader; immutable once published. */
struct ldso_ana {
	uint64_t id;            /* ocifs_tree_file.id */
	int bad;                /* 0; -ENOEXEC not ELF; else why it cannot be read */
	int cls, data;
	unsigned machine, type;
	uint64_t flags_1;
	char *soname, *rpath, *runpath;
	char **needed;
	size_t nneeded;
};

/* A path as probed: the tree's answer and, when a file, its analysis. */
struct ldso_pent {
	char *path;
	int err;                /* 0 or the tree's -errno (-ENOENT, -EISDIR, -ELOOP...) */
	struct ldso_ana *a;     /* when err == 0 */
};

/* Owned elements in the order kept, found through a hash index. */
struct ldso_tab {
	void **v;
	size_t n, cap;
	struct ocifs_htab ix;   /* key hash -> index in v */
};

struct ldso_musl {
	char arch[32];          /* from /etc/ld-musl-ARCH.path */
	int rc;                 /* 0 or why it could not be read */
	char *text;
};

struct ocifs_ldso {
	const struct ocifs_tree *t;
	char *llp, *platform;
	unsigned level;
	int cache_rc;           /* 0, -ENOENT (no cache), -EBADMSG (corrupt)... */
	struct ocifs_ldcache cache;
	struct ocifs_ldconf conf;
	struct ldso_musl musl[LDSO_MAX_MUSL];
	size_t nmusl;
	int (*stop)(void *stop_ctx);
	void *stop_ctx;
	size_t image_probes;    /* 0: no image budget */
	_Atomic size_t probes;  /* files tried by every resolution */
	pthread_mutex_t mu;
	struct ldso_tab pt;     /* path -> struct ldso_pent; protected by mu */
	struct ldso_tab at;     /* id -> struct ldso_ana; protected by mu */
};

/* Key -> the smallest object index having it (names, paths, SONAMEs,
 * file ids), so that "is it loaded already?" costs O(1), not O(objects):
 * a resolution maps up to 4096 objects x 256 NEEDED. Keys are borrowed
 * from the run's objects (strings) or are ids; open addressing. */
struct ldso_idx {
	struct ocifs_htab ix;   /* key hash -> entry */
	const char **k;         /* entry i: string key, or NULL for an id key */
	uint64_t *id;
	size_t *v;
	size_t n, cap;
};

/* A search list after DST expansion: directories ending in '/' (glibc)
 * or as written (musl); "" is the working directory. */
struct ldso_dirs {
	char **v;
	uint64_t *h;            /* ocifs_fnv1a of each v[i], for the duplicate check */
	size_t n;
	int done;               /* computed (glibc's cache_rpath) */
	unsigned char *st;      /* glibc: per v[i] and hwcaps subdirectory (n * nsub,
				 * the directory itself last): 0 unknown, 1
				 * missing, 2 there (glibc's r_search_path_elem
				 * status); NULL: not remembered */
};

/* A loaded object of this resolution (glibc's link_map, musl's dso). */
struct ldso_obj {
	char *path;             /* l_name / dso->name: how the loader names it */
	const struct ldso_ana *a; /* NULL: the interpreter could not be read */
	size_t loader;          /* l_loader / needed_by: index in objs, or NONE */
	char **names;           /* glibc l_libname: names that found it; musl:
				 * names[0] is the shortname when searched */
	size_t nnames;
	size_t lib;             /* index in out->libs, NONE for main and interp */
	unsigned depth;
	int is_interp;
	char *origin;           /* $ORIGIN, computed when first needed */
	struct ldso_dirs rpath, runpath;
};

struct ldso_run {
	struct ocifs_ldso *l;
	struct ocifs_ldso_result *out;
	int musl;
	int cls, data;
	unsigned machine;
	const char *interp;     /* the interpreter's path (PT_INTERP or default) */
	size_t iobj;            /* its index in objs, or NONE */
	const char *platform;   /* $PLATFORM, NULL when unknown */
	char libdir[96];        /* $LIB */
	char sysdirs[4][104];   /* glibc's default directories, with '/' */
	size_t nsys;
	char *sub[LDSO_MAX_SUB]; /* hwcaps subdirectories, "" last */
	size_t nsub;
	unsigned char sys_st[4 * LDSO_MAX_SUB]; /* ldso_dirs.st of sysdirs */
	struct ldso_obj *objs;
	size_t nobjs, capobjs;
	struct ldso_idx by_name;  /* glibc: path, SONAME, l_libname of each object */
	struct ldso_idx by_short; /* musl: names[0] of each non-interpreter object */
	struct ldso_idx by_id;    /* the file id of each object's analysis */
	struct ldso_dirs llp;
	size_t probes;
	int stopped;            /* 0, or the error opts->stop returned */
	int image_spent;        /* the image's budget ran out during this run */
	char *musl_sys;         /* a musl path file read for this run */
	struct ldso_ana **orphans; /* analyses the full cache could not keep */
	size_t norphans;
	char *note;
	size_t notelen;
	int note_full, note_oom, cache_noted, budget_noted, objs_noted;
};

/* A growing string, capped just above LDSO_MAX_PATH (longer is useless). */
struct ldso_sb {
	char *p;
	size_t n, cap, max;     /* max 0: LDSO_MAX_PATH */
	int oom, big;
};

/* Maps NEEDED name of object ld: 0 and *found (an object index, NONE if
 * not found) and *rule (static), or -ENOMEM. */
typedef int (*ldso_map_fn)(struct ldso_run *r, size_t ld, const char *name, size_t *found,
			   const char **rule);

/* ldso_cache.c */
void ocifs_ldso_ana_free(struct ldso_ana *a);
/* Free every element (with free_elem) and the table. */
void ocifs_ldso_tab_fini(struct ldso_tab *t, void (*free_elem)(void *elem));
int ocifs_ldso_ana_from_elf(const struct ocifs_elf *e, uint64_t id, struct ldso_ana **out);
int ocifs_ldso_publish(struct ldso_run *r, const char *path, int err, struct ldso_ana **a, int fresh);
/* What path is: 0 and *a (a file; a->bad says whether it is a usable
 * ELF), the tree's -errno, -E2BIG (probe budget spent, or the run was
 * stopped: r->stopped), -ENOMEM. */
int ocifs_ldso_probe(struct ldso_run *r, const char *path, const struct ldso_ana **a);
int ocifs_ldso_orphan(struct ldso_run *r, struct ldso_ana *a);
int ocifs_ldso_is_dir(struct ldso_run *r, const char *path);
void ocifs_ldso_note(struct ldso_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes ownership of path (also on failure). */
int ocifs_ldso_obj_add(struct ldso_run *r, char *path, const struct ldso_ana *a, size_t loader,
		       const char *name, size_t *idx);
int ocifs_ldso_obj_name(struct ldso_run *r, size_t idx, const char *name);
/* The smallest object index with key s (or id), or LDSO_NONE. */
size_t ocifs_ldso_idx_get(const struct ldso_idx *x, const char *s, uint64_t id);
/* Map key s (or id) to obj unless a smaller index has it: 0 or -ENOMEM. */
int ocifs_ldso_idx_put(struct ldso_idx *x, const char *s, uint64_t id, size_t obj);
void ocifs_ldso_idx_fini(struct ldso_idx *x);
int ocifs_ldso_lib_add(struct ldso_run *r, const char *name, size_t obj, size_t by, const char *rule);
int ocifs_ldso_needed_add(struct ldso_run *r, const char *name, size_t obj, const char *rule);
int ocifs_ldso_dirname(const char *path, int musl, char **out);
int ocifs_ldso_musl_sys(struct ldso_run *r, const char **text);
void ocifs_ldso_dirs_fini(struct ldso_dirs *d);
/* Append dir (taken) unless already there: 0 or -ENOMEM. */
int ocifs_ldso_dirs_push(struct ldso_run *r, struct ldso_dirs *d, char *dir);
void ocifs_ldso_sb_add(struct ldso_sb *b, const char *s, size_t n);
/* The string (malloc'd), NULL on ENOMEM, "" when it grew too long. */
char *ocifs_ldso_sb_take(struct ldso_sb *b);
/* Object o's $ORIGIN, computed once; *oom set on ENOMEM. */
const char *ocifs_ldso_origin(struct ldso_run *r, size_t o, int *oom);
/* The tree's path for a loader's path (relative ones are from "/"). */
const char *ocifs_ldso_tree_path(const char *p, char *buf, size_t cap);
/* Note the spent file budget once: LDSO_FATAL. */
int ocifs_ldso_budget(struct ldso_run *r);
/* The first object from index from on that is file a, or NONE. */
size_t ocifs_ldso_by_id(const struct ldso_run *r, size_t from, const struct ldso_ana *a);
/* The breadth-first walk over the objects in load order. */
int ocifs_ldso_walk(struct ldso_run *r, ldso_map_fn map);
/* ldso_glibc.c, ldso_musl.c */
int ocifs_ldso_glibc_walk(struct ldso_run *r);
int ocifs_ldso_musl_walk(struct ldso_run *r);

#endif
