/* SPDX-License-Identifier: MIT */
/*
 * The index artifact (issue #15): a registry image's layer indexes shared
 * across a fleet as an OCI 1.1 artifact whose `subject` is the image
 * manifest, so a machine that has never seen the image mounts it without
 * downloading a layer: the first `find` and reads cost only the Range
 * requests they need.
 *
 * The artifact (an OCI image manifest, listed by the referrers API or the
 * "sha256-<hex>" tag, registry.h):
 *   artifactType  OCIFS_IDXART_TYPE
 *   config        the empty descriptor (application/vnd.oci.empty.v1+json,
 *                 "{}", with its "data")
 *   layers        for every image layer, in image order (a digest the
 *                 image repeats: once), two blobs, both annotated
 *                 OCIFS_IDXART_ANN_LAYER = the layer's digest:
 *                   OCIFS_IDXART_MT_DB      the layer's index (CACHE/layers/
 *                                           <hex>.db), zstd-compressed
 *                   OCIFS_IDXART_MT_CHUNKS  the chunk sums the verified pass
 *                                           recorded (<hex>.chunks,
 *                                           image_regverify.c), as stored
 *                 and, last, once for the image (when the pusher had
 *                 the merged view):
 *                   OCIFS_IDXART_MT_VIEW    the merged view file (view.h),
 *                                           zstd, its key zeroed, annotated
 *                                           OCIFS_IDXART_ANN_VIEW_KEY = the
 *                                           hex name key of the view
 *                                           (ocifs_view_name_key: format,
 *                                           manifest, layer digests and
 *                                           diff_ids) and
 *                                           OCIFS_IDXART_ANN_VIEW_DBS = the
 *                                           digests of the index blobs above
 *                                           it was built from, space-separated
 *                                           in layer order
 *   subject       the image manifest (the platform's, not the index)
 *   annotations   OCIFS_IDXART_ANN_VERSION (the ocifs that wrote it),
 *                 org.opencontainers.image.created
 *
 * Two pushes whose blobs are the same are one artifact: the push looks
 * among the referrers first (the created annotation differs, so equal
 * blob lists, not digests, are compared).
 *
 * Several artifacts: the newest created first (at most 16 are looked
 * at, and at most 32 manifests fetched, from the end of the referrers
 * list, where the referrers tag adds the newest); a layer one of them does not carry, or carries unfit, is taken
 * from the next. What the cache already has of a layer (an index built
 * from a local image of the same blob, sums learned from its bytes) is
 * kept; only what it lacks is installed. The view is taken only when
 * every layer's index was installed from that artifact's index blobs
 * (the ones its annotation names) in this pull, and only after the
 * checks of a view from outside (view_ship.c); else it is built here.
 *
 * Trust: the artifact is trusted as its pusher made it (it is fetched by
 * digest from the subject's referrers, every blob checked against its
 * digest); a layer blob that differs from what the pusher indexed is
 * caught chunk by chunk (EIO, never wrong bytes). `ocifs verify` of the
 * image downloads and checks everything, as without an artifact.
 */
#ifndef OCIFS_SRC_IDXART_H
#define OCIFS_SRC_IDXART_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

#define OCIFS_IDXART_TYPE "application/vnd.ocifs.index.v1"
#define OCIFS_IDXART_MT_DB "application/vnd.ocifs.index.db.v1.sqlite+zstd"
#define OCIFS_IDXART_MT_CHUNKS "application/vnd.ocifs.index.chunks.v1"
#define OCIFS_IDXART_ANN_LAYER "io.ocifs.layer.digest"
#define OCIFS_IDXART_ANN_VERSION "io.ocifs.version"
#define OCIFS_IDXART_MT_VIEW "application/vnd.ocifs.view.v2+zstd" /* VIEW_VERSION 2 */
#define OCIFS_IDXART_ANN_VIEW_KEY "io.ocifs.view.key"
#define OCIFS_IDXART_ANN_VIEW_DBS "io.ocifs.view.indexes"

struct ocifs_view;
struct ocifs_view_shipped;

/* The chunk sums file (CACHE/layers/<hex>.chunks, image_regverify.c):
 * this magic, then the sha256 of every OCIFS_IDXART_CHUNK bytes of the
 * blob in order (the last chunk may be shorter). */
#define OCIFS_IDXART_CHUNK (256u << 10)
#define OCIFS_IDXART_CHUNKS_MAGIC "ocifs-chunks-1\n"

/** Is rec (len bytes) the chunk-sums record of a blob of size bytes:
 *  the magic, then exactly one sum a chunk? */
int ocifs_idxart_chunks_fit(const void *rec, size_t len, uint64_t size);

/** Push the artifact for img (a registry image whose every layer is
 *  indexed in cache_dir, with its chunk sums: the caller opened every
 *  layer, which leaves both), with view (its merged view, or NULL: none
 *  shipped). Blobs the registry has are not sent again. 0 and the artifact
 *  manifest's digest in digest, or -errno (logged, naming the image). */
int ocifs_idxart_push(struct ocifs_image *img, const struct ocifs_view *view,
		      const char *cache_dir, char digest[OCIFS_DIGEST_STRLEN + 1]);

/** Before img's layers open: where a layer has no usable index in
 *  cache_dir, look for an artifact among the referrers of img's manifest
 *  and install the index and chunk sums of every such layer it carries
 *  (checked: blob digests, the index's own layer digest, sizes, chunk
 *  count), so ocifs_layer_open trusts them as its own. No artifact, or
 *  one that does not fit, is not an error (a note on stderr unless
 *  quiet; the layers are then indexed from their blobs). *installed: how
 *  many layers came from the artifact. With sv, and every layer's index
 *  installed from one artifact that ships the view built from them: the
 *  view's bytes into sv (bounded, unchecked: ocifs_view_open_shipped
 *  checks them; a view that cannot be fetched is one note, and built).
 *  -errno only for what would fail the open anyway (ENOMEM). */
int ocifs_idxart_pull(struct ocifs_image *img, const char *cache_dir, int quiet,
		      unsigned *installed, struct ocifs_view_shipped *sv);

#endif
