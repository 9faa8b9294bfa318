/* SPDX-License-Identifier: MIT */
/*
 * A registry image (`docker://NAME[:TAG|@DIGEST]`) read as an OCI layout,
 * so image_oci.c's walk (nested indexes, --platform, --image, what
 * exists) is the one that runs: the reference's GET is the layout's
 * index.json -- an image index as it is, a single manifest wrapped in an
 * index of one made here --, manifests and indexes are fetched by digest
 * from /manifests/, configs from /blobs/ (each checked against its digest
 * by the client, and fetched once an open), and every layer is a blob
 * source read by Range requests (registry.h).
 *
 * A layer's identity (image.h) is its digest: the first open of a layer
 * builds its index in one streaming GET that hashes the blob too (layer.c),
 * and from then on the cached index of that digest is trusted as for a
 * local file whose identity is unchanged; the reader's first-read sha256
 * of every file, and the chunk sums of image_regverify.c for every read,
 * still catch a registry that serves other bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "image_priv.h"
#include "log.h"
#include "registry.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* One small blob fetched during this open. */
struct fetched {
	char digest[OCIFS_DIGEST_STRLEN + 1];
	char *body;
	size_t len;
};

struct img_remote {
	struct ocifs_regname name;
	struct ocifs_registry *reg;
	char *index;            /* index.json: the reference's, or made */
	size_t index_len;
	int made;               /* index was made for a single manifest */
	struct fetched *got;    /* small blobs, by digest (few: a linear
				 * search; bounded by the walk's limits) */
	size_t ngot, cap;
};

static struct fetched *fetched_find(struct img_remote *r, const char *digest)
{
	for (size_t i = 0; i < r->ngot; i++)
		if (!strcmp(r->got[i].digest, digest))
			return &r->got[i];
	return NULL;
}

/* Keep body (taken over) as the bytes of digest. */
static int fetched_add(struct img_remote *r, const char *digest, char *body, size_t len)
{
	struct fetched *f;

	if (r->ngot == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		f = realloc(r->got, cap * sizeof(*f));
		if (!f) {
			free(body);
			return -ENOMEM;
		}
		r->got = f;
		r->cap = cap;
	}
	f = &r->got[r->ngot++];
	snprintf(f->digest, sizeof(f->digest), "%s", digest);
	f->body = body;
	f->len = len;
	return 0;
}

static int copy_out(const char *body, size_t len, char **buf, size_t *n)
{
	*buf = malloc(len + 1);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, body, len);
	(*buf)[len] = '\0';
	*n = len;
	return 0;
}

static int is_index_type(const char *mt)
{
	return !strncmp(mt, MT_OCI_INDEX, strlen(MT_OCI_INDEX)) ||
	       !strncmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json", 57);
}

static int is_manifest_type(const char *mt)
{
	return !strncmp(mt, "application/vnd.oci.image.manifest.v1+json", 42) ||
	       !strncmp(mt, "application/vnd.docker.distribution.manifest.v2+json", 52);
}

/* An index of one entry for the single manifest the reference named. */
static int make_index(struct img_remote *r, const char *mt, const char *digest, size_t len)
{
	struct json_object *idx = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *d = json_object_new_object();
	const char *txt;
	int rc = -ENOMEM;

	if (!idx || !arr || !d)
		goto out;
	json_object_object_add(d, "mediaType", json_object_new_string_len(mt, (int)strcspn(mt, "; ")));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)len));
	if (json_object_array_add(arr, d))
		goto out;
	d = NULL;
	json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
	json_object_object_add(idx, "mediaType", json_object_new_string(MT_OCI_INDEX));
	json_object_object_add(idx, "manifests", arr);
	arr = NULL;
	txt = json_object_to_json_string_ext(idx, JSON_C_TO_STRING_PLAIN);
	if (txt && (r->index = strdup(txt))) {
		r->index_len = strlen(txt);
		r->made = 1;
		rc = 0;
	}
out:
	json_object_put(d);
	json_object_put(arr);
	json_object_put(idx);
	return rc;
}

/* GET the reference: an index is index.json as it is; a manifest is kept
 * (the walk asks for it by digest next) under an index made for it. */
static int get_top(struct img_ctx *c, struct img_remote *r)
{
	const char *ref = r->name.digest ? r->name.digest : r->name.tag;
	char digest[OCIFS_DIGEST_STRLEN + 1], file[96], *body = NULL, *mt = NULL;
	struct json_object *j = NULL, *v;
	size_t len;
	int rc, index;

	/* the client says what went wrong, naming the reference */
	rc = ocifs_registry_get_manifest(r->reg, ref, IMG_JSON_MAX, &body, &len, &mt, digest);
	if (rc)
		return rc;
	if (mt && strstr(mt, "vnd.docker.distribution.manifest.v1")) {
		log_err("%s: a Docker schema 1 manifest (%s); ocifs reads schema 2 and OCI images "
			"(skopeo copy converts)", c->path, mt);
		rc = -EOPNOTSUPP;
		goto out;
	}
	snprintf(file, sizeof(file), "manifest %.80s", ref);
	rc = ocifs_img_json(c, file, body, len, json_type_object, &j);
	if (rc)
		goto out;
	if (mt && is_index_type(mt))
		index = 1;
	else if (mt && is_manifest_type(mt))
		index = 0;
	else /* a generic type: what the body holds */
		index = json_object_object_get_ex(j, "manifests", &v) &&
			json_object_is_type(v, json_type_array);
	if (index) {
		r->index = body;
		r->index_len = len;
		body = NULL;
	} else {
		const char *bt = ocifs_img_jstr(j, "mediaType");
		rc = make_index(r, bt ? bt : mt && *mt ? mt : "application/vnd.oci.image.manifest.v1+json",
				digest, len);
		if (!rc)
			rc = fetched_add(r, digest, body, len);
		body = NULL;
	}
out:
	json_object_put(j);
	free(body);
	free(mt);
	return rc;
}

int ocifs_img_registry_open(struct img_ctx *c, const char *name)
{
	struct ocifs_image *img = c->img;
	struct img_remote *r = calloc(1, sizeof(*r));
	char *path = NULL;
	int rc;

	if (!r)
		return -ENOMEM;
	c->remote = r;
	rc = ocifs_regname_parse(name, &r->name);
	if (rc)
		return rc;
	if (asprintf(&path, "docker://%s", r->name.display) < 0)
		return -ENOMEM;
	free(img->path);
	img->path = path;
	c->path = path;
	img->format = OCIFS_FMT_REGISTRY;
	rc = ocifs_registry_open(&r->name, c->o->registry, &r->reg);
	if (!rc)
		img->registry = ocifs_registry_ref(r->reg);
	if (!rc)
		rc = get_top(c, r);
	if (!rc)
		rc = ocifs_img_oci_open(c);
	if (!rc && r->made) { /* the image has no index of its own */
		free(img->index_json);
		img->index_json = NULL;
		img->index_len = 0;
	}
	/* the name it was asked by, as a tag names a local image */
	if (!rc && ocifs_img_strv_add(&img->names, &img->nnames, r->name.display, &c->names_seen))
		rc = -ENOMEM;
	return rc;
}

void ocifs_img_registry_fini(struct img_ctx *c)
{
	struct img_remote *r = c->remote;

	if (!r)
		return;
	for (size_t i = 0; i < r->ngot; i++)
		free(r->got[i].body);
	free(r->got);
	free(r->index);
	ocifs_registry_unref(r->reg);
	ocifs_regname_fini(&r->name);
	free(r);
	c->remote = NULL;
}

int ocifs_img_remote_read(struct img_ctx *c, const char *rel, int quiet, char **buf, size_t *len)
{
	struct img_remote *r = c->remote;

	*buf = NULL;
	if (strcmp(rel, "index.json") || !r->index) {
		if (!quiet)
			log_err("%s: %s: not in the registry", c->path, rel);
		return -ENOENT;
	}
	return copy_out(r->index, r->index_len, buf, len);
}

int ocifs_img_remote_blob(struct img_ctx *c, const char *what, const char *digest, int64_t size,
			  int quiet, char **buf, size_t *len)
{
	struct img_remote *r = c->remote;
	struct fetched *f = fetched_find(r, digest);
	char got[OCIFS_DIGEST_STRLEN + 1], *body = NULL, *mt = NULL;
	size_t n = 0;
	int rc;

	*buf = NULL;
	if (!f) {
		/* the client checks the bytes against digest, and logs */
		if (!strcmp(what, "config"))
			rc = ocifs_registry_get_blob(r->reg, digest, IMG_JSON_MAX, &body, &n);
		else
			rc = ocifs_registry_get_manifest(r->reg, digest, IMG_JSON_MAX, &body, &n, &mt,
							 got);
		free(mt);
		if (rc == -EFBIG) {
			if (quiet < 2)
				log_err("%s: %s %s: larger than %u bytes", c->path, what, digest,
					IMG_JSON_MAX);
			rc = -EBADMSG;
		}
		if (!rc)
			rc = fetched_add(r, digest, body, n);
		if (rc)
			return rc;
		f = &r->got[r->ngot - 1];
	}
	if (size >= 0 && f->len != (uint64_t)size) {
		if (quiet < 2)
			log_err("%s: %s %s: size mismatch (descriptor says %lld bytes, registry has "
				"%zu)", c->path, what, digest, (long long)size, f->len);
		return -OCIFS_EDIGEST;
	}
	return copy_out(f->body, f->len, buf, len);
}

int ocifs_img_remote_open(struct img_ctx *c, const char *digest, int64_t size,
			  struct ocifs_src **out, struct ocifs_fileid *id, char **where)
{
	uint64_t ino = 0;
	int rc;

	struct ocifs_src *raw = NULL;

	*out = NULL;
	rc = ocifs_registry_blob_src(c->remote->reg, digest, size, &raw);
	if (rc)
		return rc;
	rc = ocifs_img_regverify_new(raw, digest, c->o->cache_dir, out);
	ocifs_src_unref(raw);
	if (rc)
		return rc;
	if (id) {
		for (int i = 0; i < 16; i++) { /* the digest's first 8 bytes */
			char h = digest[7 + i];
			ino = ino << 4 | (uint64_t)(h <= '9' ? h - '0' : h - 'a' + 10);
		}
		*id = (struct ocifs_fileid){ .dev = OCIFS_FILEID_REMOTE, .ino = ino ? ino : 1,
					     .size = (*out)->size };
	}
	if (where && asprintf(where, "blobs/sha256/%s", digest + 7) < 0) {
		*where = NULL;
		ocifs_src_unref(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
