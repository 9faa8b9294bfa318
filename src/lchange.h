/* SPDX-License-Identifier: MIT */
/*
 * What layers did to the tree (forensics: `ocifs diff`, `history`,
 * `report`, `explain`), from the layer indexes and merged views alone:
 * sizes, modes, owners and the sha256 every index recorded, never a
 * file read.
 *
 *   layer diff    layer N's entries against the merged view of layers
 *                 1..N-1 (built in memory with the view's own rules,
 *                 DESIGN §6): added, modified (which attributes), removed
 *                 (by a whiteout, an opaque directory, or a non-directory
 *                 replacing a directory).
 *   view diff     two merged views (two images), path by path.
 *   history       every layer's version of one path, with what hid it.
 *
 * Paths handed to callbacks are "/"-rooted, valid only during the call;
 * changes come depth-first, each directory's names in byte (strcmp)
 * order, so a parent always comes before its children. The root itself
 * is never reported. Implemented in lchange.c (diffs) and
 * lchange_hist.c (history).
 */
#ifndef OCIFS_SRC_LCHANGE_H
#define OCIFS_SRC_LCHANGE_H
#include <stdint.h>

#include "session.h"
#include "sha.h"
#include "view.h"

enum ocifs_chg_kind {
	OCIFS_CHG_ADDED = 1,
	OCIFS_CHG_MODIFIED = 2,
	OCIFS_CHG_REMOVED = 3,
};

/* What differs (MODIFIED), several may be set. */
#define OCIFS_CHG_CONTENT 0x001u /* regular: size or sha256; symlink: target;
				  * device: rdev; hardlink: its target */
#define OCIFS_CHG_TYPE 0x002u    /* file <-> dir <-> symlink ... */
#define OCIFS_CHG_MODE 0x004u    /* permission bits */
#define OCIFS_CHG_OWNER 0x008u   /* uid or gid */
#define OCIFS_CHG_XATTRS 0x010u  /* the set of xattrs or a value */
#define OCIFS_CHG_MTIME 0x020u   /* only reported with nothing else: a
				  * touched file, same bytes */
/* How it was removed (REMOVED, layer diff only: exactly one is set;
 * a view diff sets none). */
#define OCIFS_CHG_WHITEOUT 0x100u /* DIR/.wh.NAME */
#define OCIFS_CHG_OPAQUE 0x200u   /* under DIR/.wh..wh..opq */
#define OCIFS_CHG_REPLACED 0x400u /* under a directory a non-directory
				   * replaced */

/* One side of a change: a path's state in a view or a layer. */
struct ocifs_chg_side {
	int present;            /* 0: the path did not exist on this side */
	uint32_t mode;          /* S_IFMT | 07777 */
	uint64_t uid, gid;
	uint64_t size;          /* regular files: bytes; a directory in a
				 * diff: the bytes of the regular files under
				 * it (every name counts; 0 in a history);
				 * anything else 0 */
	int64_t mtime_ns;
	int has_sha;
	unsigned char sha256[OCIFS_SHA256_LEN];
	unsigned layer;         /* 1-based layer that supplied it, 0 none */
	const char *link;       /* symlink target, or NULL; in a history a
				 * hard link's target path too (then the
				 * other fields are its target's) */
};

struct ocifs_chg {
	enum ocifs_chg_kind kind;
	uint32_t what;          /* OCIFS_CHG_* bits */
	const char *path;
	const char *marker;     /* REMOVED: the whiteout / opaque marker
				 * path in the layer that caused it, or NULL */
	struct ocifs_chg_side old, new; /* ADDED: old.present == 0;
					 * REMOVED: new.present == 0 */
};

struct ocifs_chg_stats {
	uint64_t added, modified, removed;                /* paths */
	uint64_t added_bytes, modified_bytes, removed_bytes; /* regular files'
							    * sizes (new
							    * size for
							    * modified); a
							    * removed (view
							    * diff: or
							    * added)
							    * directory
							    * counts the
							    * bytes under
							    * it */
};

/** Called for each change; a non-zero return stops the walk and is
 *  returned. */
typedef int (*ocifs_chg_cb)(void *ctx, const struct ocifs_chg *c);

/** Layer n (1-based) of the open session s (every layer open) against
 *  the view of layers 1..n-1: the views of layers 1..n-1 and 1..n (the
 *  session's own for the top layer) built in memory with
 *  ocifs_view_open_prefix() and compared path by path; layer n's
 *  markers say why a path went. Every added path is reported (a new
 *  directory and each entry below it); a removed directory is reported
 *  once, for the directory (old.size: the bytes under it), not for each
 *  entry below it. MODIFIED: OCIFS_CHG_TYPE alone when the type
 *  differs, else any of CONTENT, MODE, OWNER, XATTRS, or MTIME alone.
 *  cb may be NULL (statistics only); st may be NULL. 0, -EINVAL (n out
 *  of range, or s opened with fewer layers), a callback's non-zero
 *  return, or an error. Cost: two view builds (one for the top layer)
 *  and one walk of both trees; no file is read. */
int ocifs_lchange_layer(struct ocifs_session *s, unsigned n, ocifs_chg_cb cb, void *ctx,
			struct ocifs_chg_stats *st);

/** ocifs_lchange_layer()'s statistics of every layer: st[i] for layer
 *  i + 1 (s->nlayers entries). Each view is built once (layer n's upper
 *  view is layer n+1's lower one): half the builds of calling
 *  ocifs_lchange_layer() for each layer. 0, -EINVAL, or an error. */
int ocifs_lchange_layers_stats(struct ocifs_session *s, struct ocifs_chg_stats *st);

/** Merged view a against merged view b (a: old, b: new), every path;
 *  regular files compared by the sha256 their indexes recorded (size
 *  when one is missing). A directory that exists on one side only is
 *  reported once, like a removed directory above (added ones too). No
 *  removal reason (what == 0, marker NULL). 0, a callback's non-zero
 *  return, or an error. */
int ocifs_lchange_views(const struct ocifs_view *a, const struct ocifs_view *b,
			ocifs_chg_cb cb, void *ctx, struct ocifs_chg_stats *st);

/* --- history of one path ------------------------------------------------- */

enum ocifs_hist_kind {
	OCIFS_HIST_ADDED = 1,   /* the layer lists it; absent below */
	OCIFS_HIST_MODIFIED,    /* the layer lists it over an earlier version */
	OCIFS_HIST_SAME,        /* the layer lists it, nothing differs */
	OCIFS_HIST_WHITEOUT,    /* .wh. of it or of a parent */
	OCIFS_HIST_OPAQUE,      /* a parent made opaque */
	OCIFS_HIST_REPLACED,    /* a parent replaced by a non-directory */
};

struct ocifs_hist {
	unsigned layer;         /* 1-based */
	enum ocifs_hist_kind kind;
	uint32_t what;          /* MODIFIED: OCIFS_CHG_* bits */
	const char *marker;     /* WHITEOUT/OPAQUE/REPLACED: the entry of
				 * this layer that did it */
	struct ocifs_chg_side st; /* ADDED/MODIFIED/SAME: this layer's entry */
	const char *created_by; /* the layer's config history line, or NULL */
};

typedef int (*ocifs_hist_cb)(void *ctx, const struct ocifs_hist *h);

/** Every layer's event for path (normalized or "/"-rooted; not resolved
 *  through symlinks), bottom to top; layers that neither list it nor
 *  hide it are skipped; the root ("" or "/") is added by layer 1, as
 *  an implicit 0755 directory (as any parent a layer does not list)
 *  when layer 1 does not list "./". A few index lookups per layer (the
 *  path, the .wh. of it and of each parent, each parent's opaque
 *  marker, each parent), never a scan. *in_view (may be NULL): whether the merged
 *  view has it (s->view, else the last event). 0 (also when no layer
 *  ever had it: no callback), -EINVAL (path above the root), a
 *  callback's non-zero return, or an error. Needs every layer open (not
 *  the view). */
int ocifs_lchange_history(struct ocifs_session *s, const char *path, ocifs_hist_cb cb,
			  void *ctx, int *in_view);

/** Names for output: "added", "modified", "removed"; "whiteout",
 *  "opaque", "replaced"; the history kinds. */
const char *ocifs_chg_kind_name(enum ocifs_chg_kind k);
const char *ocifs_hist_kind_name(enum ocifs_hist_kind k);
/** The OCIFS_CHG_* bits as a comma list ("content,mode") into buf, in
 *  a fixed order; names that do not fit are left out whole. Returns
 *  buf. */
const char *ocifs_chg_what(uint32_t what, char *buf, size_t len);

#endif
