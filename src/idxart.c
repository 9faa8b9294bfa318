/* SPDX-License-Identifier: MIT */
/*
 * Pushing the index artifact (idxart.h, `ocifs index --push`): every
 * layer's cached index, zstd-compressed, and its chunk sums, and the
 * merged view built from those indexes, as blobs of
 * an OCI 1.1 artifact manifest whose subject is the image manifest,
 * listed as its referrer (registry.h). Idempotent: an artifact already
 * among the referrers with the same blobs is reported, not pushed again,
 * and blobs the registry has are not sent (the client asks first).
 * Shared with the pull (idxart_pull.c): idxart_priv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "cache.h"
#include "idxart.h"
#include "idxart_priv.h"
#include "log.h"
#include "registry.h"
#include "view.h"

#define ZLEVEL 9

int idxart_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = ocifs_cache_open_read(path);
	struct stat st;
	char *b;
	int rc = 0;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, b + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	b[done] = 0;
	*buf = b;
	*len = done;
	return 0;
}

int ocifs_idxart_chunks_fit(const void *rec, size_t len, uint64_t size)
{
	return len == IDXART_CHUNKS_LEN(size) &&
	       !memcmp(rec, OCIFS_IDXART_CHUNKS_MAGIC, strlen(OCIFS_IDXART_CHUNKS_MAGIC));
}

int idxart_first_of(const struct ocifs_image *img, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(img->layers[j].digest, img->layers[i].digest))
			return 0;
	return *img->layers[i].digest != 0;
}

/* The layer's chunk sums: opening the layer left them beside its index
 * (layer.c trusts a registry layer's index only beside well-formed sums,
 * and passes the blob again to make them otherwise). */
static int chunks_of(struct ocifs_layer_desc *ld, const char *path, char **buf, size_t *len)
{
	uint64_t want = IDXART_CHUNKS_LEN(ld->blob->size);
	int rc = idxart_read_file(path, want, buf, len);

	if (!rc && !ocifs_idxart_chunks_fit(*buf, *len, ld->blob->size))
		rc = -EINVAL;
	if (rc) {
		free(*buf);
		*buf = NULL;
		log_err("%s: no chunk sums in %s (%s)", ld->blob->name, path,
			rc == -EINVAL ? "malformed" : strerror(-rc));
	}
	return rc;
}

/* Upload buf as a blob and append its descriptor (media type mt, the
 * annotation k1 = v1 and, unless k2 is NULL, k2 = v2) to layers. */
static int put(struct ocifs_registry *r, const void *buf, size_t len, const char *mt,
	       const char *k1, const char *v1, const char *k2, const char *v2,
	       json_object *layers)
{
	unsigned char d[OCIFS_SHA256_LEN];
	char digest[OCIFS_DIGEST_STRLEN + 1];
	json_object *desc, *ann;
	int rc = ocifs_sha256(buf, len, d);

	if (rc)
		return rc;
	ocifs_digest_format(d, digest);
	rc = ocifs_registry_put_blob(r, digest, buf, len);
	if (rc)
		return rc;
	desc = json_object_new_object();
	ann = json_object_new_object();
	if (!desc || !ann) {
		json_object_put(desc);
		json_object_put(ann);
		return -ENOMEM;
	}
	json_object_object_add(desc, "mediaType", json_object_new_string(mt));
	json_object_object_add(desc, "digest", json_object_new_string(digest));
	json_object_object_add(desc, "size", json_object_new_int64((int64_t)len));
	json_object_object_add(ann, k1, json_object_new_string(v1));
	if (k2)
		json_object_object_add(ann, k2, json_object_new_string(v2));
	json_object_object_add(desc, "annotations", ann);
	return json_object_array_add(layers, desc) ? (json_object_put(desc), -ENOMEM) : 0;
}

/* buf zstd-compressed into *z (malloc'd), for a blob of the artifact. */
static int zcompress(const void *buf, size_t len, const char *what, char **z, size_t *zlen)
{
	size_t cap = ZSTD_compressBound(len);

	if (!(*z = malloc(cap)))
		return -ENOMEM;
	*zlen = ZSTD_compress(*z, cap, buf, len, ZLEVEL);
	if (ZSTD_isError(*zlen)) {
		log_err("%s: compressing it: %s", what, ZSTD_getErrorName(*zlen));
		free(*z);
		*z = NULL;
		return -EIO;
	}
	return 0;
}

/* The merged view, once, after every layer's blobs: tied to the image by
 * its name key and to the index blobs (in layers) it was built from. */
static int push_view(struct ocifs_image *img, const struct ocifs_view *view, json_object *layers)
{
	unsigned char key[32];
	char hex[65], *dbs = NULL, *z = NULL;
	void *buf = NULL;
	size_t len = 0, zlen = 0, cap, at = 0;
	int rc = ocifs_view_ship_copy(view, &buf, &len);

	if (rc == -ENOENT) /* a view not in a file: none shipped */
		return 0;
	if (!rc)
		rc = ocifs_view_name_key(img, key);
	cap = json_object_array_length(layers) * (OCIFS_DIGEST_STRLEN + 1) + 1;
	if (!rc && !(dbs = calloc(1, cap)))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < json_object_array_length(layers); i++) {
		json_object *d = json_object_array_get_idx(layers, i), *v;
		if (!json_object_object_get_ex(d, "mediaType", &v) ||
		    strcmp(json_object_get_string(v), OCIFS_IDXART_MT_DB) ||
		    !json_object_object_get_ex(d, "digest", &v))
			continue;
		at += (size_t)snprintf(dbs + at, cap - at, "%s%s", at ? " " : "",
				       json_object_get_string(v));
	}
	for (int i = 0; !rc && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (!rc)
		rc = zcompress(buf, len, "the merged view", &z, &zlen);
	if (!rc)
		rc = put(img->registry, z, zlen, OCIFS_IDXART_MT_VIEW, OCIFS_IDXART_ANN_VIEW_KEY, hex,
			 OCIFS_IDXART_ANN_VIEW_DBS, dbs, layers);
	free(buf);
	free(dbs);
	free(z);
	return rc;
}

/* Push layer ld's two blobs, appending their descriptors to layers. */
static int push_layer(struct ocifs_registry *r, struct ocifs_layer_desc *ld, const char *cache_dir,
		      json_object *layers)
{
	char *dbp = NULL, *chp = NULL, *db = NULL, *ch = NULL, *z = NULL;
	size_t dblen = 0, chlen = 0, zlen;
	int rc;

	rc = ocifs_cache_layer_path(cache_dir, ld->digest, ".db", &dbp);
	if (!rc)
		rc = ocifs_cache_layer_path(cache_dir, ld->digest, ".chunks", &chp);
	if (rc)
		goto out;
	rc = idxart_read_file(dbp, IDXART_DB_MAX(ld->blob->size), &db, &dblen);
	if (rc) {
		log_err("%s: layer %.19s…: its index %s: %s", ld->blob->name, ld->digest, dbp,
			strerror(-rc));
		goto out;
	}
	rc = chunks_of(ld, chp, &ch, &chlen);
	if (rc)
		goto out;
	rc = zcompress(db, dblen, dbp, &z, &zlen);
	if (!rc)
		rc = put(r, z, zlen, OCIFS_IDXART_MT_DB, OCIFS_IDXART_ANN_LAYER, ld->digest, NULL,
			 NULL, layers);
	if (!rc)
		rc = put(r, ch, chlen, OCIFS_IDXART_MT_CHUNKS, OCIFS_IDXART_ANN_LAYER, ld->digest,
			 NULL, NULL, layers);
out:
	free(dbp);
	free(chp);
	free(db);
	free(ch);
	free(z);
	return rc;
}

/* The blob digests of an artifact manifest's layers, joined by spaces
 * (what makes two pushes of the same indexes the same artifact). */
char *idxart_blob_list(json_object *layers)
{
	size_t n = json_object_array_length(layers), cap = n * (OCIFS_DIGEST_STRLEN + 1) + 1;
	char *s = malloc(cap), *p = s;
	json_object *v;

	if (!s)
		return NULL;
	*p = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(layers, i);
		const char *dg = json_object_object_get_ex(d, "digest", &v) ? json_object_get_string(v) : "";
		p += snprintf(p, cap - (size_t)(p - s), "%s%.*s", i ? " " : "", OCIFS_DIGEST_STRLEN,
			      dg ? dg : "");
	}
	return s;
}

/* An artifact among the referrers of subject whose blobs are these: its
 * digest into found (0), or -ENOENT. */
static int find_same(struct ocifs_registry *r, const char *subject, json_object *layers,
		     char found[OCIFS_DIGEST_STRLEN + 1])
{
	struct idxart_cand *c = NULL;
	size_t n = 0;
	char *want = idxart_blob_list(layers);
	int rc;

	if (!want)
		return -ENOMEM;
	rc = idxart_candidates(r, subject, &c, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		json_object *l;
		if (!json_object_object_get_ex(c[i].manifest, "layers", &l) ||
		    !json_object_is_type(l, json_type_array))
			continue;
		char *have = idxart_blob_list(l);
		if (have && !strcmp(have, want)) {
			snprintf(found, OCIFS_DIGEST_STRLEN + 1, "%s", c[i].digest);
			free(have);
			goto out;
		}
		free(have);
	}
	rc = rc ? rc : -ENOENT;
out:
	idxart_candidates_free(c, n);
	free(want);
	return rc;
}

static const char *subject_type(const struct ocifs_image *img)
{
	static const char *const known[] = { "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json" };
	json_object *j = json_tokener_parse(img->manifest_json ? img->manifest_json : ""), *v;
	const char *t = known[0];

	if (j && json_object_object_get_ex(j, "mediaType", &v) &&
	    json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), known[1]))
		t = known[1];
	json_object_put(j);
	return t;
}

/* The artifact manifest around layers (taken over). */
static int make_manifest(const struct ocifs_image *img, json_object *layers, char **out)
{
	json_object *m = json_object_new_object(), *cfg = json_object_new_object();
	json_object *subj = json_object_new_object(), *ann = json_object_new_object();
	char created[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *s;
	int rc = -ENOMEM;

	if (!m || !cfg || !subj || !ann) {
		json_object_put(layers);
		goto out;
	}
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	json_object_object_add(cfg, "mediaType", json_object_new_string(IDXART_EMPTY_TYPE));
	json_object_object_add(cfg, "digest", json_object_new_string(IDXART_EMPTY_DIGEST));
	json_object_object_add(cfg, "size", json_object_new_int(2));
	json_object_object_add(cfg, "data", json_object_new_string("e30="));
	json_object_object_add(subj, "mediaType", json_object_new_string(subject_type(img)));
	json_object_object_add(subj, "digest", json_object_new_string(img->manifest_digest));
	json_object_object_add(subj, "size", json_object_new_int64((int64_t)img->manifest_len));
	json_object_object_add(ann, OCIFS_IDXART_ANN_VERSION, json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(ann, "org.opencontainers.image.created", json_object_new_string(created));
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(IDXART_MANIFEST_TYPE));
	json_object_object_add(m, "artifactType", json_object_new_string(OCIFS_IDXART_TYPE));
	json_object_object_add(m, "config", cfg);
	json_object_object_add(m, "layers", layers);
	json_object_object_add(m, "subject", subj);
	json_object_object_add(m, "annotations", ann);
	cfg = subj = ann = NULL;
	s = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && (*out = strdup(s)))
		rc = 0;
out:
	json_object_put(m);
	json_object_put(cfg);
	json_object_put(subj);
	json_object_put(ann);
	return rc;
}

int ocifs_idxart_push(struct ocifs_image *img, const struct ocifs_view *view,
		      const char *cache_dir, char digest[OCIFS_DIGEST_STRLEN + 1])
{
	json_object *layers = NULL;
	char *man = NULL;
	int rc = 0;

	*digest = 0;
	if (img->format != OCIFS_FMT_REGISTRY || !img->registry) {
		log_err("%s: --push: not an image in a registry (docker://)", img->path);
		return -EINVAL;
	}
	if (!(layers = json_object_new_array()))
		return -ENOMEM;
	for (size_t i = 0; i < img->nlayers && !rc; i++)
		if (idxart_first_of(img, i) && img->layers[i].blob)
			rc = push_layer(img->registry, &img->layers[i], cache_dir, layers);
	if (!rc && view)
		rc = push_view(img, view, layers);
	if (!rc) {
		rc = find_same(img->registry, img->manifest_digest, layers, digest);
		if (!rc) {
			log_info("%s: the index artifact %s is there already", img->path, digest);
			json_object_put(layers);
			return 0;
		}
		if (rc == -ENOENT) /* none: push it */
			rc = 0;
	}
	if (rc) {
		json_object_put(layers);
		goto out;
	}
	rc = ocifs_registry_put_blob(img->registry, IDXART_EMPTY_DIGEST, "{}", 2);
	if (!rc)
		rc = make_manifest(img, layers, &man); /* takes layers */
	else
		json_object_put(layers);
	if (!rc)
		rc = ocifs_registry_put_referrer(img->registry, img->manifest_digest,
						 IDXART_MANIFEST_TYPE, OCIFS_IDXART_TYPE, man,
						 strlen(man), digest);
out:
	free(man); /* errors: logged where they were met */
	return rc;
}
