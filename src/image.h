/* SPDX-License-Identifier: MIT */
/*
 * Container images: docker-archive tars (`docker save`, skopeo), OCI
 * archives (a tar of an OCI layout) and OCI layout directories, possibly
 * inside a gzip/zstd-compressed outer file, and images in a registry
 * (`docker://`, image_registry.c: read like a layout whose blobs are
 * fetched by digest). Resolves nested image indexes,
 * picks one manifest by platform (default: the host's) or by NAME:TAG,
 * verifies the small blobs (index, manifest, config) against their digests,
 * and describes each layer as a byte source over the image: a range of the
 * image file for an uncompressed outer tar, the blob file for a layout
 * directory. Nothing is copied out or extracted. Layer blobs themselves are
 * verified later, in the indexing pass (index.h).
 */
#ifndef OCIFS_SRC_IMAGE_H
#define OCIFS_SRC_IMAGE_H
#include <stddef.h>
#include <stdint.h>

#include "sha.h"
#include "src.h"
#include "zio.h"

enum ocifs_image_format {
	OCIFS_FMT_DOCKER_ARCHIVE = 1,
	OCIFS_FMT_OCI_ARCHIVE = 2,
	OCIFS_FMT_OCI_DIR = 3,
	OCIFS_FMT_REGISTRY = 4,
};

struct ocifs_registry;
struct ocifs_registry_opts;

/* Identity of the bytes a blob was read from: a warm open trusts a cached
 * verification only when all of these match (DESIGN §3). A registry blob
 * is content-addressed, so its identity is its digest: dev is
 * OCIFS_FILEID_REMOTE, ino the digest's first 8 bytes (never 0), size the
 * blob's, mtime_ns and off 0 -- once its index was built from bytes that
 * hashed to the digest, the index is trusted for that digest from any
 * registry. */
struct ocifs_fileid {
	uint64_t dev, ino, size; /* of the file holding the blob */
	int64_t mtime_ns;
	uint64_t off;            /* blob offset inside that file */
};
#define OCIFS_FILEID_REMOTE UINT64_C(0x6f63692d72656d6f) /* "oci-remo" */

/** A registry layer's blob (id.dev OCIFS_FILEID_REMOTE): load the sums of
 *  its chunks from the cache now (image_regverify.c), so every later read
 *  is checked whatever happens to the file. 0 (also for any other source),
 *  or -ENOENT: none, or malformed (warned about). */
int ocifs_image_blob_arm(struct ocifs_src *blob);

struct ocifs_layer_desc {
	char digest[OCIFS_DIGEST_STRLEN + 1];  /* compressed blob digest, ""
						* when the format does not say
						* (old docker-archive) */
	char diff_id[OCIFS_DIGEST_STRLEN + 1]; /* config rootfs.diff_ids[i] */
	char *media_type;       /* NULL for docker-archive */
	uint64_t size;          /* blob size in bytes */
	struct ocifs_src *blob; /* compressed blob bytes; NULL if missing */
	struct ocifs_fileid id;
	char *where;            /* human path: "blobs/sha256/ab…" */
};

/* One entry of the config's history[] (docker history). */
struct ocifs_history {
	char *created, *created_by, *author, *comment; /* NULL when absent */
	int empty_layer;
	size_t layer;           /* 0-based layer this entry made (the i-th
				 * entry that is not empty_layer made layer
				 * i), SIZE_MAX for an empty_layer entry */
};

struct ocifs_image {
	enum ocifs_image_format format;
	char *path;                     /* as given */
	enum ocifs_comp outer_comp;     /* compression of the outer file */
	char manifest_digest[OCIFS_DIGEST_STRLEN + 1]; /* docker-archive:
					 * sha256 of its manifest.json entry
					 * as json-c prints it (PLAIN) */
	char config_digest[OCIFS_DIGEST_STRLEN + 1];
	char *platform;                 /* chosen "os/arch[/variant]" */
	size_t nplatforms;
	char **platforms;               /* all found (for messages, inspect) */
	size_t nnames;
	char **names;                   /* the chosen image's RepoTags /
					 * org.opencontainers.image.ref.name /
					 * io.containerd.image.name */
	char *config_json;              /* raw config blob, NUL-terminated */
	size_t config_len;              /* its bytes (without the NUL) */
	/* The other small files, verbatim (what /.ocifs/image/ serves):
	 * the chosen manifest blob (docker-archive: the manifest.json file),
	 * and the top-level index.json (NULL when the image has none).
	 * NUL-terminated; lengths without the NUL. */
	char *manifest_json;
	size_t manifest_len;
	char *index_json;
	size_t index_len;
	size_t nlayers;
	struct ocifs_layer_desc *layers;
	/* parsed from the config; arrays are NULL-terminated, may be NULL */
	char **env, **entrypoint, **cmd;
	char *workdir, *user, *created, *os, *arch;
	size_t nhistory;
	struct ocifs_history *history;  /* config history[], in order; NULL
					 * when absent or malformed */
	uint64_t zstd_window_max;       /* from the opts (0 = default), for
					 * the layers' decoders */
	struct ocifs_registry *registry; /* OCIFS_FMT_REGISTRY: the client its
					 * layer blobs read through (a
					 * reference), else NULL */
};

struct ocifs_image_opts {
	const char *platform;  /* "os/arch[/variant]"; NULL = host */
	const char *image;     /* NAME:TAG (a RepoTag, or a ref.name that may
				* be just the tag), "N": the 1-based position
				* in manifest.json / index.json (1 = first; a
				* ref.name exactly "N" wins), or "#N": that
				* position only; NULL */
	const char *name;      /* the image's name in messages and img->path
				* (e.g. "stdin"); NULL: the path opened */
	int skip_missing;      /* foreign layers with no blob: skip, not fail */
	uint64_t zstd_window_max; /* largest zstd window accepted (outer file
				   * and layers), bytes; 0 = default (zio.h) */
	const char *cache_dir; /* where a compressed outer archive's listing
				* is kept (outer/); NULL: decode it each open */
	int outer_rebuild;     /* decode the outer archive even if its
				* listing is cached, and store it again */
	const struct ocifs_registry_opts *registry; /* docker://: TLS, creds
				* (registry.h); NULL: the defaults */
};

/** Open and parse. Errors are logged as one line naming the file and the
 *  reason. Returns 0, -ENOENT (missing file/blob), -EBADMSG (bad JSON or
 *  tar), -EOPNOTSUPP (unknown format/media type), -EILSEQ (digest
 *  mismatch of a manifest/config/index), -EINVAL (no such platform or
 *  image; the message lists what exists). */
int ocifs_image_open(const char *path, const struct ocifs_image_opts *o,
		     struct ocifs_image **out);
/** Open the image NAME[:TAG|@DIGEST] of a registry (the part after
 *  "docker://"): the reference's manifest or image index is the top (as
 *  a layout's index.json), nested manifests and the config are fetched by
 *  digest and checked, each layer is a blob source read by Range
 *  requests (registry.h). img->path is "docker://" and the normalized
 *  name. Errors as ocifs_image_open(), and the client's (-EACCES,
 *  -ETIMEDOUT, -EIO, -EPROTO). */
int ocifs_image_open_registry(const char *name, const struct ocifs_image_opts *o,
			      struct ocifs_image **out);
/** Log what the image's registry client sent and received (info level),
 *  for -v; nothing for an image from a file. ocifs_image_free() says it
 *  last, once the layers' streams are closed and counted. */
void ocifs_image_log_transfer(const struct ocifs_image *img);
void ocifs_image_free(struct ocifs_image *img);
/** The history entry that made layer i (0-based), or NULL (the config
 *  lists fewer non-empty entries than there are layers). */
const struct ocifs_history *ocifs_image_layer_history(const struct ocifs_image *img, size_t i);
/** "docker-archive", "oci-archive", "oci-dir" or "registry". */
const char *ocifs_image_format_name(enum ocifs_image_format f);
/** Host platform in OCI terms, e.g. "linux/amd64" or "linux/arm/v7". */
const char *ocifs_host_platform(void);
/** Is s a well-formed "os/arch[/variant]" (what --platform takes)? */
int ocifs_img_platform_valid(const char *s);

#endif
