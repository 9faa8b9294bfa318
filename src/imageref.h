/* SPDX-License-Identifier: MIT */
/*
 * Image names as the command line takes them: a bare path (a docker or
 * OCI archive, an OCI layout directory), skopeo's transport names
 * (containers-transports(5)) and stdin:
 *
 *   PATH                         the format is found from the content
 *   docker-archive:PATH[:REF]    REF: NAME[:TAG] or @N (skopeo's 0-based
 *                                source index)
 *   oci-archive:PATH[:REF]       REF: a ref name or @N
 *   oci:DIR[:REF]                likewise
 *   -                            stdin (so are /dev/stdin and any FIFO path,
 *                                found when the session stats the path)
 *   docker://NAME[:TAG|@DIGEST]  a registry (image_registry.c); NAME is
 *                                parsed by registry.h
 *   containers-storage:…, docker-daemon:…, dir:…, ostree:…, sif:…,
 *   tarball:…                    other skopeo transports: not supported
 *
 * As in containers/image, the transport is everything before the first
 * ':' and must be one of the known names (so "nginx:latest" or
 * "./a:b.tar" are bare paths); for the three file transports the path
 * ends at the next ':' (a path holding ':' is written as a bare path) and
 * the rest is the reference. Parsing is pure: nothing is opened here.
 */
#ifndef OCIFS_SRC_IMAGEREF_H
#define OCIFS_SRC_IMAGEREF_H
#include <stddef.h>

enum ocifs_ref_kind {
	OCIFS_REF_PATH = 0,         /* bare path: format from the content */
	OCIFS_REF_DOCKER_ARCHIVE,   /* docker-archive:PATH[:REF] */
	OCIFS_REF_OCI_ARCHIVE,      /* oci-archive:PATH[:REF] */
	OCIFS_REF_OCI_DIR,          /* oci:DIR[:REF] */
	OCIFS_REF_STDIN,            /* "-" */
	OCIFS_REF_REGISTRY,         /* docker://NAME[:TAG|@DIGEST] (path: NAME…) */
	OCIFS_REF_UNSUPPORTED,      /* another skopeo transport */
};

struct ocifs_imageref {
	enum ocifs_ref_kind kind;
	char *transport;  /* "docker-archive", "docker", … ; NULL for a bare
			   * path and stdin */
	char *path;       /* the file or directory; for docker:// the name
			   * without "//"; for unsupported ones the rest */
	char *select;     /* what --image would take, or NULL: a reference
			   * ("NAME:TAG", a ref name), or "#N" (1-based
			   * position) translated from skopeo's "@N" */
};

/** Parse s into *r (all fields malloc'd, freed with
 *  ocifs_imageref_fini()). -EINVAL (logged, naming s) for a malformed
 *  name: an empty path, a bad "@N", a digest reference in docker-archive.
 *  An unsupported transport parses (kind says so); the session refuses
 *  it with ocifs_imageref_unsupported(). 0, -EINVAL or -ENOMEM. */
int ocifs_imageref_parse(const char *s, struct ocifs_imageref *r);
/** The same without a word: for looking at a name that is parsed (and
 *  its errors reported) elsewhere, e.g. the mount's source name. */
int ocifs_imageref_split(const char *s, struct ocifs_imageref *r);
void ocifs_imageref_fini(struct ocifs_imageref *r);

/** Log why r (UNSUPPORTED) cannot be opened, with the skopeo command
 *  that makes an image ocifs reads; returns -EOPNOTSUPP. */
int ocifs_imageref_unsupported(const struct ocifs_imageref *r, const char *s);

/** Does s (a bare path that is not a file) look like an image reference
 *  ("nginx:latest", "ghcr.io/a/b:1", "x@sha256:…")? */
int ocifs_imageref_looks_like_name(const char *s);

#endif
