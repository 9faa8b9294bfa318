/* SPDX-License-Identifier: MIT */
/*
 * Private to the image*.c files: the open context (where the image's files
 * live: a layout directory, the member table of an outer tar, or a
 * registry) and the helpers the format parsers share. Nothing here
 * is API; other modules use image.h.
 */
#ifndef OCIFS_SRC_IMAGE_PRIV_H
#define OCIFS_SRC_IMAGE_PRIV_H
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "hashtab.h"
#include "image.h"

/* index.json, manifest.json, manifests and configs are small; anything
 * larger is hostile or broken and is refused before it is read. */
#define IMG_JSON_MAX (16u << 20)
/* Image indexes nested deeper than this are refused (real ones use 2). */
#define IMG_INDEX_DEPTH 8
/* Descriptors walked in all image indexes together, repeats included.
 * One index.json within IMG_JSON_MAX holds at most ~200k; nested indexes
 * that list each other many times would multiply that without end. */
#define IMG_WALK_MAX (1u << 18)

/* One member of the outer tar, by normalized path. */
struct img_member {
	char *path;     /* normalized: no "./", no leading "/", no "//" */
	char *link;     /* normalized target of a symlink/hardlink, or NULL */
	char type;      /* tar typeflag ('0' regular, '1', '2', '5', ...) */
	int sparse;     /* stored sparse: cannot be read in place */
	uint64_t off;   /* data offset in the uncompressed outer tar */
	uint64_t len;   /* data bytes */
	size_t seq;     /* archive order: the last of equal paths wins */
	unsigned char *data; /* its len bytes when loaded from the outer
			      * index (outeridx.c), else NULL */
};

struct img_ctx {
	const char *path;               /* as given (or o->name), for messages */
	const char *file;               /* the file or directory opened */
	const struct ocifs_image_opts *o;
	struct ocifs_image *img;        /* being filled */
	int dirfd;                      /* layout directory, or -1 */
	struct ocifs_fdcache *fdc;      /* its files' fds (bounded), or NULL */
	struct ocifs_src *tar;          /* uncompressed outer tar, or NULL */
	struct stat st;                 /* the image file (identity) */
	size_t nmem;
	struct img_member *mem;         /* sorted by path, then seq */
	struct ocifs_strmap names_seen; /* img->names, for uniqueness */
	struct ocifs_strmap plats_seen; /* img->platforms, likewise */
	struct img_remote *remote;      /* a registry (image_registry.c): the
					 * files below are fetched, or NULL */
};

/* image.c: files of the image ------------------------------------------ */

/** Does the image hold a file at rel (after following archive links)? */
int ocifs_img_exists(const struct img_ctx *c, const char *rel);
/** Open rel as a byte source. Missing: -ENOENT. Not a regular file:
 *  -EBADMSG. quiet: 0 log every error, 1 all but -ENOENT, 2 none (for
 *  probing). id (may be NULL) gets the file identity; *where (may be
 *  NULL) the member path, malloc'd. */
int ocifs_img_open(struct img_ctx *c, const char *rel, int quiet, struct ocifs_src **out,
		   struct ocifs_fileid *id, char **where);
/** Read a whole small file (at most IMG_JSON_MAX), NUL-terminated. */
int ocifs_img_read(struct img_ctx *c, const char *rel, int quiet, char **buf, size_t *len);
/** Read blob `digest`, check its size (size < 0: unknown) and sha256.
 *  what names it in messages ("manifest", "config"). Errors: -EINVAL
 *  malformed digest, -ENOENT missing, -EILSEQ size or digest mismatch;
 *  quiet as for ocifs_img_open(). */
int ocifs_img_read_blob(struct img_ctx *c, const char *what, const char *digest, int64_t size,
			int quiet, char **buf, size_t *len);
/** Parse JSON text (buf[len] must be readable; NUL-terminated buffers
 *  from ocifs_img_read() are); the top value must have type want. -EBADMSG
 *  logged as "PATH: FILE: reason". */
int ocifs_img_json(const struct img_ctx *c, const char *file, const char *buf, size_t len,
		   json_type want, struct json_object **out);
/** Borrowed string member of obj, or NULL if absent or not a string. */
const char *ocifs_img_jstr(struct json_object *obj, const char *key);

/** image_history.c: the config's history[] into img->history (a
 *  malformed history is left out, not an error): 0 or -ENOMEM. */
int ocifs_img_parse_history(struct ocifs_image *img, struct json_object *root);
void ocifs_img_history_free(struct ocifs_image *img);
/** Parse img->config_json (already read and verified) into the image
 *  fields; *diff_ids gets rootfs.diff_ids (NULL-terminated, malloc'd). */
int ocifs_img_parse_config(struct img_ctx *c, const char *file, char ***diff_ids, size_t *ndiff);
/** Append layer n (1-based, for messages) stored at member/blob path rel.
 *  size < 0: not known. A missing blob is -ENOENT, or a warning and no
 *  layer with o->skip_missing. */
int ocifs_img_add_layer(struct img_ctx *c, size_t n, const char *rel, const char *digest,
			const char *diff_id, const char *media_type, int64_t size);

/* outeridx.c: the cached listing of a compressed outer archive ---------- */

/* Members at most this big travel inside the record, up to the total. */
#define OUTER_INLINE_MAX (64u << 10)
#define OUTER_INLINE_TOTAL (1u << 20)

/** Fill c->mem/c->nmem (sorted as image.c keeps them) and *ck from the
 *  record of c->st in c->o->cache_dir: 0, or -ENOENT (none, stale,
 *  corrupt: a corrupt one is warned about) or -ENOMEM. */
int ocifs_img_outer_load(struct img_ctx *c, enum ocifs_comp comp, struct ocifs_ckpts *ck);
/** Read the small members into their m->data (through one forward
 *  cursor over file: the rest of the open reads them from memory), then
 *  write the record for c->st: c->mem, *ck and those bytes (not without
 *  a cache dir). 0 or -errno (logged; the open goes on without). */
int ocifs_img_outer_store(struct img_ctx *c, struct ocifs_src *file, const struct ocifs_ckpts *ck);
/** A source over member m's inline bytes (a copy), named like a range. */
int ocifs_img_member_src(const struct img_ctx *c, const struct img_member *m,
			 struct ocifs_src **out);

/* image_match.c: small helpers -------------------------------------------- */

/** Append a copy of s to the NULL-terminated vector *v (of *n strings,
 *  grown geometrically), unless seen (may be NULL: keep duplicates)
 *  already holds s; seen then records it. */
int ocifs_img_strv_add(char ***v, size_t *n, const char *s, struct ocifs_strmap *seen);
void ocifs_img_strv_free(char **v);
/** "os/arch[/variant]", malloc'd, or NULL on ENOMEM. */
char *ocifs_img_platform_str(const char *os, const char *arch, const char *variant);
/** How well platform have fits want (both "os/arch[/variant]"), the way
 *  containerd matches: 2 exact after normalization (x86_64 = amd64,
 *  arm64/v8 = arm64, arm = arm/v7), 1 compatible (have names no variant),
 *  0 no match. */
int ocifs_img_platform_match(const char *want, const char *have);
/** Does reference `have` (a RepoTag, or a ref.name that may be a bare
 *  tag) name the image the user asked for with `want`? */
int ocifs_img_name_match(const char *want, const char *have);
/** o->image as a 1-based position ("N", or "#N" which sets *only: never
 *  a name): 0 and *n (0 is out of range for the callers), or -1. */
int ocifs_img_image_number(const char *s, size_t *n, int *only);
/** Append "sep+s" to a bounded one-line message buffer. Returns 1 once
 *  the buffer is full (truncated, "..." at its end), so loops can stop. */
int ocifs_img_msg_add(char *buf, size_t cap, const char *sep, const char *s);

/* image_registry.c: a registry read as an OCI layout ------------------------ */

/** Open c->img from registry name (after "docker://"): the reference's
 *  manifest or index as index.json, then the OCI walk over it. */
int ocifs_img_registry_open(struct img_ctx *c, const char *name);
void ocifs_img_registry_fini(struct img_ctx *c);
/** The registry's index.json (the reference's index, or one made for its
 *  single manifest): ocifs_img_read()'s answer for "index.json". */
int ocifs_img_remote_read(struct img_ctx *c, const char *rel, int quiet, char **buf, size_t *len);
/** ocifs_img_read_blob() from the registry: what "config" is a blob, any
 *  other a manifest or index (fetched once an open). */
int ocifs_img_remote_blob(struct img_ctx *c, const char *what, const char *digest, int64_t size,
			  int quiet, char **buf, size_t *len);
/** A layer blob of the registry (size < 0: asked for), with its
 *  content-addressed identity (image.h), every byte checked once its
 *  first full read recorded the sums of its chunks (image_regverify.c). */
int ocifs_img_remote_open(struct img_ctx *c, const char *digest, int64_t size,
			  struct ocifs_src **out, struct ocifs_fileid *id, char **where);

/** image_regverify.c: base (a registry blob of digest) as a source whose
 *  reads are checked against chunk sums learned in its first full pass
 *  (kept in cache_dir, may be NULL). Takes its own reference on base. */
int ocifs_img_regverify_new(struct ocifs_src *base, const char *digest, const char *cache_dir,
			    struct ocifs_src **out);

/* image_oci.c / image_docker.c -------------------------------------------- */

int ocifs_img_oci_open(struct img_ctx *c);
int ocifs_img_docker_open(struct img_ctx *c);
/** OCI archives written by `docker save` (Docker 25+) also carry a
 *  manifest.json: add the RepoTags of the entry whose config is
 *  config_digest to img->names. */
int ocifs_img_docker_add_repotags(struct img_ctx *c, const char *config_digest);

#endif
