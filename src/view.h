/* SPDX-License-Identifier: MIT */
/*
 * The merged view: the image's layers applied bottom to top with OCI
 * whiteout semantics, as runc/containerd's applier does (DESIGN §6):
 * opaque dirs, whiteouts that hide only lower layers, file<->dir
 * replacement, implicit parents, last entry wins, ".." escapes skipped,
 * hardlink groups with real link counts.
 *
 * The view is built once per image and saved in the cache as one flat
 * file (views/<manifest-hex>.view) that later opens with a single mmap,
 * so a warm open does not replay layers. It is immutable: every function
 * here is safe to call from any number of threads without locks.
 *
 * Inodes are numbered 0..n-1 in a deterministic order (root = 0), so the
 * numbers are stable across mounts of the same image. Several names may
 * share one inode (hardlinks). Every directory has exactly one name.
 */
#ifndef OCIFS_SRC_VIEW_H
#define OCIFS_SRC_VIEW_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "extent.h"
#include "facts.h" /* OCIFS_EF_*, of ocifs_view_file_facts */
#include "image.h"
#include "layer.h"

#define OCIFS_VIEW_ROOT 0
#define OCIFS_VIEW_NO_LAYER UINT32_MAX
#define OCIFS_VIEW_DIR_SIZE 4096 /* st_size of a directory, as ext4's */

struct ocifs_vattr {
	uint64_t ino;           /* 0 = root */
	uint32_t mode;          /* S_IFMT type | 07777 (symlinks: 0777) */
	uint32_t nlink;         /* names in the view (dirs: 2 + subdirs) */
	uint64_t uid, gid;
	int64_t mtime_ns;
	uint64_t size;          /* regular: bytes; symlink: target length;
				 * directory: OCIFS_VIEW_DIR_SIZE */
	uint64_t rdev;          /* makedev(major, minor) for devices */
	uint32_t layer;         /* 0-based layer that supplied it, or
				 * OCIFS_VIEW_NO_LAYER (implicit dir) */
};

struct ocifs_view_stats {
	uint64_t inodes, names, dirs;
	uint64_t whiteouts;     /* whiteout and opaque markers applied */
	uint64_t escapes;       /* entries skipped: path left the root */
	uint64_t bad_links;     /* hardlinks whose target was missing */
	int from_cache;         /* loaded from views/ rather than built */
	int from_artifact;      /* taken from the index artifact (shipped) */
	double build_secs;
};

struct ocifs_view;

/** Build (or load from the cache) the view of img. layers[i] must be the
 *  opened layer i of img (ocifs_layer_open), for every layer; the view
 *  borrows them and they must outlive it. */
int ocifs_view_open(struct ocifs_image *img, struct ocifs_layer **layers,
		    const char *cache_dir, struct ocifs_view **out);
/** The view of img's first n layers (0..img->nlayers), built in memory
 *  with the same rules and never cached (forensics: what layer n+1 did
 *  to it). layers as for ocifs_view_open (the first n at least). 0,
 *  -EINVAL (n out of range), or an error. Freed with ocifs_view_free. */
int ocifs_view_open_prefix(struct ocifs_image *img, struct ocifs_layer **layers, size_t n,
			   struct ocifs_view **out);
void ocifs_view_free(struct ocifs_view *v);

/* A view file from outside: the one the index artifact carries
 * (idxart.h), built by its pusher from the very indexes this cache just
 * installed from it (view_ship.c). */
struct ocifs_view_shipped {
	void *data;             /* the view file's bytes (malloc'd), or NULL */
	size_t len;
	char from[128];         /* where it came from, for the one line that
				 * refuses it */
};
/** ocifs_view_open, but a view the cache lacks is taken from sv instead
 *  of built, if it passes every check of a view file from outside: the
 *  loader's (every index, every file's bytes inside its layer) and a
 *  tree's (every name in one directory, valid and in order, every
 *  directory one name, every inode reached from the root, parents as the
 *  names say). Its key is this cache's (the indexes it was built from,
 *  as they are here). Refused: one warning naming sv->from, and the view
 *  is built. sv->data is taken over (NULL after). */
int ocifs_view_open_shipped(struct ocifs_image *img, struct ocifs_layer **layers,
			    const char *cache_dir, struct ocifs_view_shipped *sv,
			    struct ocifs_view **out);
/** The name key of img's view (the format version, the manifest and every
 *  layer's digest and diff_id): what ties a shipped view to its image. */
int ocifs_view_name_key(struct ocifs_image *img, unsigned char key[32]);
/** A copy of v's view file to ship (malloc'd into *out): its key, which
 *  names this cache's index files, zeroed, so two pushes of the same
 *  view are the same bytes. 0, -ENOENT (a view built in memory), -ENOMEM. */
int ocifs_view_ship_copy(const struct ocifs_view *v, void **out, size_t *len);
/** The view file's bytes (page-aligned mapping): 0, or -ENOENT for a
 *  view that is not a mapped file (built in memory). */
int ocifs_view_mapping(const struct ocifs_view *v, const void **data, size_t *len);
/** Ask the kernel to read the mapped view file back at once
 *  (MADV_WILLNEED) when its pages are gone (a sample of them checked),
 *  before a walk faults them in a window at a time (view_mem.c). A hint:
 *  no error; nothing for a view built in memory. */
void ocifs_view_willneed(const struct ocifs_view *v);
void ocifs_view_stats(const struct ocifs_view *v, struct ocifs_view_stats *st);

uint64_t ocifs_view_inodes(const struct ocifs_view *v);
/** 4 KiB blocks of regular file data (statfs), and names longer than
 *  NAME_MAX: counted when the view file was validated, so O(1). */
uint64_t ocifs_view_blocks(const struct ocifs_view *v);
uint64_t ocifs_view_long_names(const struct ocifs_view *v);
/** Whether the view file was loaded unchanged since its full validation
 *  (doc.h, quick) rather than walked again by this open (for tests and
 *  the trace). */
int ocifs_view_checked_quick(const struct ocifs_view *v);
/** -ENOENT for an ino out of range. */
int ocifs_view_getattr(const struct ocifs_view *v, uint64_t ino, struct ocifs_vattr *a);
/** Child `name` of directory `parent`: 0, -ENOENT, or -ENOTDIR.
 *  "." and ".." are not names in the view. */
int ocifs_view_lookup(const struct ocifs_view *v, uint64_t parent, const char *name,
		      uint64_t *ino);
/** Walk a path from the root without following symlinks ("/" or "" is
 *  the root; "." components ignored; ".." -> -EINVAL). */
int ocifs_view_resolve(const struct ocifs_view *v, const char *path, uint64_t *ino);
/* ocifs_view_find (view_lookup.c): a path resolved as a process
 * chroot'ed into the image resolves it (path_resolution(7)). */
#define OCIFS_VIEW_MAXSYMLINKS 40 /* as Linux's MAXSYMLINKS */
#define OCIFS_VIEW_FOLLOW 0x1u    /* follow a symlink in the last component */
#define OCIFS_VIEW_FIND_MASK 0x1u

struct ocifs_view_found {
	uint64_t ino;           /* what the path names */
	uint64_t dir;           /* the directory holding that name (for a
				 * directory: its parent; the root's is the
				 * root) */
	unsigned links;         /* symlinks followed (also on failure) */
};

/** Resolve path ("/"-rooted or relative to the root: the same) from the
 *  root, following symlinks in every component but the last, and the
 *  last too with OCIFS_VIEW_FOLLOW or when a "/" follows it. An absolute
 *  target starts again at the image root, ".." of the root is the root,
 *  "//" and "." are nothing, a trailing "/" asks for a directory. canon
 *  (may be NULL): the "/"-rooted path without links, "." or ".." of what
 *  it names, malloc'd. 0; -ENOENT (no such name, a dangling link, an
 *  empty path or link target); -ENOTDIR (a non-directory before a "/");
 *  -ELOOP (more than OCIFS_VIEW_MAXSYMLINKS links); -ENAMETOOLONG;
 *  -EINVAL (unknown flags); -ENOMEM. Thread-safe. */
int ocifs_view_find(const struct ocifs_view *v, const char *path, unsigned flags,
		    struct ocifs_view_found *f, char **canon);
/** Parent directory of a directory (root's parent is root). */
int ocifs_view_parent(const struct ocifs_view *v, uint64_t dir, uint64_t *parent);
/** Symlink target (NUL-terminated, points into the view): 0 or -EINVAL. */
int ocifs_view_readlink(const struct ocifs_view *v, uint64_t ino, const char **target);

/** Number of entries of directory ino (children only, sorted by name). */
int ocifs_view_dir_size(const struct ocifs_view *v, uint64_t dir, uint32_t *n);
/** Entry i (0-based) of directory dir: its name (points into the view)
 *  and inode. -ENOENT when i >= size. */
int ocifs_view_dir_entry(const struct ocifs_view *v, uint64_t dir, uint32_t i,
			 const char **name, uint64_t *ino);

/** Called by ocifs_view_walk for each name: its absolute path ("/a/b",
 *  valid during the call), inode and attributes. 0 goes on; anything
 *  else stops the walk, which returns it. */
typedef int (*ocifs_view_walk_cb)(void *ctx, const char *path, uint64_t ino,
				  const struct ocifs_vattr *a);
/** Every name of the view but the root, depth-first, each directory's
 *  entries in name order, a directory before what it holds. A name
 *  whose path would not fit in PATH_MAX is left out with all below it.
 *  0, -ENOMEM, or what cb returned. */
int ocifs_view_walk(const struct ocifs_view *v, ocifs_view_walk_cb cb, void *ctx);

/** Extended attributes (PAX SCHILY.xattr.*): count, and entry i. */
int ocifs_view_xattr_count(const struct ocifs_view *v, uint64_t ino, uint32_t *n);
int ocifs_view_xattr_entry(const struct ocifs_view *v, uint64_t ino, uint32_t i,
			   const char **key, const void **val, size_t *len);
/** Does any inode have an extended attribute named key? (A scan of every
 *  attribute of the view: ask once.) */
int ocifs_view_has_xattr(const struct ocifs_view *v, const char *key);

/** Where a regular file's bytes are: its layer and their extent in the
 *  layer's stream (its sparse map borrowed from the view). Read them
 *  through the reader (reader.h). -EINVAL if not a regular file. */
int ocifs_view_data(const struct ocifs_view *v, uint64_t ino, struct ocifs_layer **layer,
		    struct ocifs_extent *x);
/** The layers the view was built from (layer i is number i + 1). */
size_t ocifs_view_nlayers(const struct ocifs_view *v);
/** Layer i (0-based) of the view, or NULL past the end. */
struct ocifs_layer *ocifs_view_layer(const struct ocifs_view *v, size_t i);

/** What the layer index noted of a regular file's bytes: OCIFS_EF_ELF,
 *  _ZIP, _SCRIPT (magic) and _HASHED (then sha256 holds its digest;
 *  sha256 may be NULL). -EINVAL if not a regular file. */
int ocifs_view_file_facts(const struct ocifs_view *v, uint64_t ino, uint32_t *flags,
			  unsigned char sha256[32]);

/* The first full read of a file, in order from byte 0, is checked
 * against the sha256 its layer index recorded: a tampered or corrupt
 * cache that maps a file onto other bytes fails with -EIO instead of
 * serving them. A file that matched once in this view is not hashed
 * again. One checker per reader (open file); not thread-safe itself. */
struct ocifs_view_hashck {
	struct ocifs_sha *sha;  /* NULL: not hashing */
	uint64_t ino, pos;      /* pos: bytes hashed so far */
	int on;                 /* 0: nothing to check (zeroed) */
};
/** Start checking ino if it has a recorded sha256 not yet matched. */
void ocifs_view_hashck_begin(const struct ocifs_view *v, uint64_t ino,
			     struct ocifs_view_hashck *h);
/** Bytes [off, off+n) of the file were just read into buf. 0, or -EIO
 *  (logged once, naming the file) when they complete the file and its
 *  digest differs; from then on every read of that file in this view
 *  gets -EIO. Reads out of order end the check quietly. */
int ocifs_view_hashck_update(const struct ocifs_view *v, struct ocifs_view_hashck *h,
			     const void *buf, size_t n, uint64_t off);
void ocifs_view_hashck_end(struct ocifs_view_hashck *h);

/** The full path of a directory or the first name of an inode, into buf
 *  ("/" for the root), however deep. -ENAMETOOLONG if it does not fit,
 *  -ELOOP if the parents of a corrupt view form a cycle. */
int ocifs_view_path(const struct ocifs_view *v, uint64_t ino, char *buf, size_t len);

#endif
