/* SPDX-License-Identifier: MIT */
/*
 * OCI layouts (a directory, a tar of one, or a registry seen as one by
 * image_registry.c): index.json, nested image
 * indexes and Docker manifest lists are walked into a list of candidate
 * image manifests; artifacts, attestations and non-image manifests are
 * dropped; one candidate is chosen by --image (ref name or position) and
 * platform (containerd's matching); its manifest and config are read
 * digest-checked and its layers described. Layer blobs are not read here.
 *
 * Hostile indexes: every blob (index, manifest, config) is read and parsed
 * at most once; a nested index is walked once per top-level entry (the
 * entry's name and position are what differ); identical candidates are
 * kept once; and all walks together stop at IMG_WALK_MAX descriptors. So
 * indexes that list the same child 100 times at each of 4 levels cost
 * 400 descriptors per top-level entry, not 100^4.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_priv.h"
#include "log.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

enum cand_state {
	CAND_IMAGE,     /* an image manifest, readable */
	CAND_MISSING,   /* its blob (or its index's blob) is not there */
	CAND_BROKEN,    /* unreadable: the error is reported if it is chosen */
	CAND_OTHER,     /* an artifact, attestation or non-image manifest */
};

struct cand {
	char digest[OCIFS_DIGEST_STRLEN + 1];
	int64_t size;
	const char *what;       /* "manifest" or "image index" (missing) */
	char *platform;         /* from the descriptor, else the config; NULL */
	const char *ref, *cname; /* top-level annotations (borrowed) */
	size_t top;             /* position in index.json */
	enum cand_state state;
	char why[96];           /* CAND_OTHER: what it is instead */
	int keep;               /* still in the running */
	struct json_object *mj; /* parsed manifest (a reference) */
	int cfg_read;           /* probe() read the config... */
	char *cfg_platform;     /* ...which named this platform (or NULL) */
};

/* A nested index, read once: parsed, or why not. */
struct idx_blob {
	struct json_object *j;
	int err;
};

struct oci {
	struct img_ctx *c;
	struct cand *v;
	size_t n, cap;
	size_t ndesc;           /* descriptors walked, all indexes */
	struct ocifs_strmap cands;  /* candidate identity -> position in v */
	struct ocifs_strmap walked; /* "digest top" of nested indexes walked */
	struct ocifs_strmap idx_at; /* "digest size" -> position in idx */
	struct idx_blob *idx;
	size_t nidx;
	struct ocifs_strmap sniffed; /* "digest size" -> 0/1: blob is an index */
	struct ocifs_strmap probed;  /* manifest digest -> first probed candidate */
};

static int is_index(const char *mt)
{
	return mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST));
}

static int is_manifest(const char *mt)
{
	return !strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST);
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Descriptor size: -1 when absent; -2 when not a non-negative integer. */
static int64_t jsize(struct json_object *o)
{
	struct json_object *v = jget(o, "size");

	if (!v)
		return -1;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return -2;
	return json_object_get_int64(v);
}

/* Layer media types: the known ones, or anything naming a tar. */
static int layer_mtype_ok(const char *mt)
{
	const char *t;

	if (!mt)
		return 1;
	for (t = strstr(mt, "tar"); t; t = strstr(t + 1, "tar"))
		if (t > mt && strchr("./-", t[-1]) && strchr("+.", t[3] ? t[3] : '.'))
			return 1;
	return 0;
}

static void cand_other(struct cand *k, const char *why)
{
	k->state = CAND_OTHER;
	snprintf(k->why, sizeof(k->why), "%s", why ? why : "no media type");
}

/* Entries of an index that are not images: artifacts, attestations,
 * other manifest types. NULL for a (possible) image. */
static const char *desc_not_image(struct json_object *e, const char *mt)
{
	const char *os = ocifs_img_jstr(jget(e, "platform"), "os");
	const char *rt = ocifs_img_jstr(jget(e, "annotations"), "vnd.docker.reference.type");

	if (ocifs_img_jstr(e, "artifactType"))
		return ocifs_img_jstr(e, "artifactType");
	if (mt && layer_mtype_ok(mt))
		return mt; /* a layer listed in an index */
	if (rt && !strcmp(rt, "attestation-manifest"))
		return "attestation manifest";
	if (os && !strcmp(os, "unknown"))
		return "platform unknown/unknown (attestation or build record)";
	return NULL;
}

/* Add a candidate (state CAND_IMAGE when e is a descriptor, else the
 * given state for an index that could not be read), unless the same one
 * (digest, size, top-level entry, platform, kind) is there already. */
static int cand_add(struct oci *w, const char *digest, int64_t size, const char *what,
		    struct json_object *e, enum cand_state state, const char *ref,
		    const char *cname, size_t top)
{
	struct json_object *plat = jget(e, "platform");
	const char *os = ocifs_img_jstr(plat, "os"), *arch = ocifs_img_jstr(plat, "architecture");
	const char *other = e ? desc_not_image(e, ocifs_img_jstr(e, "mediaType")) : NULL;
	char *platform = NULL, *key = NULL;
	struct cand *v;
	int rc;

	if (os && arch && !(platform = ocifs_img_platform_str(os, arch, ocifs_img_jstr(plat, "variant"))))
		return -ENOMEM;
	if (asprintf(&key, "%s %lld %zu %s %s %s", digest, (long long)size, top, what,
		     platform ? platform : "-", other ? other : "-") < 0) {
		free(platform);
		return -ENOMEM;
	}
	rc = ocifs_strmap_put(&w->cands, key, strlen(key), w->n, NULL);
	free(key);
	if (rc <= 0) { /* a repeat, or -ENOMEM */
		free(platform);
		return rc;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		v = realloc(w->v, cap * sizeof(*v));
		if (!v) {
			free(platform);
			return -ENOMEM;
		}
		w->v = v;
		w->cap = cap;
	}
	v = &w->v[w->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->digest, sizeof(v->digest), "%s", digest);
	v->size = size;
	v->what = what;
	v->ref = ref;
	v->cname = cname;
	v->top = top;
	v->state = e ? CAND_IMAGE : state;
	v->platform = platform;
	if (other)
		cand_other(v, other);
	return 0;
}

static int walk(struct oci *w, struct json_object *idx, const char *file, int depth, size_t top,
		const char *ref, const char *cname);

/* A descriptor whose media type is missing or unknown: is the blob an
 * index? (Otherwise it is probed as a manifest, and dropped if it is not
 * one.) Silent; a missing blob is reported if it gets chosen. */
static int sniff_index(struct oci *w, const char *digest, int64_t size)
{
	struct json_object *j = NULL;
	char key[OCIFS_DIGEST_STRLEN + 24], *buf;
	size_t len, is = 0;

	snprintf(key, sizeof(key), "%s %lld", digest, (long long)size);
	if (ocifs_strmap_get(&w->sniffed, key, strlen(key), &is))
		return (int)is;
	if (!ocifs_img_read_blob(w->c, "manifest", digest, size, 2, &buf, &len)) {
		j = json_tokener_parse(buf);
		is = json_object_is_type(jget(j, "manifests"), json_type_array);
		json_object_put(j);
		free(buf);
	}
	(void)ocifs_strmap_put(&w->sniffed, key, strlen(key), is, NULL); /* ENOMEM: only slower */
	return (int)is;
}

/* Read an image index: silently when probing (a broken or missing index
 * becomes a candidate that fails only if chosen), loudly when quiet is 0. */
static int read_index(struct img_ctx *c, const char *digest, int64_t size, int quiet,
		      struct json_object **out)
{
	char file[96], *buf;
	size_t len;
	int rc;

	*out = NULL;
	rc = ocifs_img_read_blob(c, "image index", digest, size, quiet, &buf, &len);
	if (rc)
		return rc;
	snprintf(file, sizeof(file), "blobs/sha256/%s", digest + 7);
	if (!quiet) {
		rc = ocifs_img_json(c, file, buf, len, json_type_object, out);
	} else if (!json_object_is_type(*out = json_tokener_parse(buf), json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		rc = -EBADMSG;
	}
	free(buf);
	return rc;
}

/* The nested index digest (of this descriptor size), read only once. */
static int index_get(struct oci *w, const char *digest, int64_t size, struct idx_blob **out)
{
	char key[OCIFS_DIGEST_STRLEN + 24];
	struct idx_blob *b;
	size_t at;
	int rc;

	snprintf(key, sizeof(key), "%s %lld", digest, (long long)size);
	if (ocifs_strmap_get(&w->idx_at, key, strlen(key), &at)) {
		*out = &w->idx[at];
		return 0;
	}
	if (!((w->nidx + 1) & w->nidx)) { /* grow at powers of two */
		b = realloc(w->idx, 2 * (w->nidx + 1) * sizeof(*b));
		if (!b)
			return -ENOMEM;
		w->idx = b;
	}
	b = &w->idx[w->nidx];
	b->err = read_index(w->c, digest, size, 2, &b->j);
	if (b->err == -ENOMEM)
		return -ENOMEM;
	rc = ocifs_strmap_put(&w->idx_at, key, strlen(key), w->nidx, NULL);
	if (rc < 0) {
		json_object_put(b->j);
		return rc;
	}
	w->nidx++;
	*out = b;
	return 0;
}

static int walk_nested(struct oci *w, const char *digest, int64_t size, int depth, size_t top,
		       const char *ref, const char *cname)
{
	struct img_ctx *c = w->c;
	char file[96], key[OCIFS_DIGEST_STRLEN + 24];
	struct idx_blob *b;
	int rc;

	if (depth + 1 >= IMG_INDEX_DEPTH) {
		log_err("%s: image indexes nested more than %d deep", c->path, IMG_INDEX_DEPTH);
		return -EBADMSG;
	}
	/* under one top-level entry, a repeated index adds nothing new */
	snprintf(key, sizeof(key), "%s %zu", digest, top);
	rc = ocifs_strmap_put(&w->walked, key, strlen(key), 0, NULL);
	if (rc <= 0)
		return rc;
	rc = index_get(w, digest, size, &b);
	if (rc)
		return rc;
	if (b->err)
		return cand_add(w, digest, size, "image index", NULL,
				b->err == -ENOENT ? CAND_MISSING : CAND_BROKEN, ref, cname, top);
	snprintf(file, sizeof(file), "blobs/sha256/%s", digest + 7);
	return walk(w, b->j, file, depth + 1, top, ref, cname);
}

static int walk(struct oci *w, struct json_object *idx, const char *file, int depth, size_t top,
		const char *ref, const char *cname)
{
	struct img_ctx *c = w->c;
	struct json_object *arr = jget(idx, "manifests");
	int rc = 0;

	if (!json_object_is_type(arr, json_type_array)) {
		log_err("%s: %s: no \"manifests\" array (%s)", c->path, file,
			arr ? json_type_to_name(json_object_get_type(arr)) : "absent or null");
		return -EBADMSG;
	}
	for (size_t i = 0; !rc && i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *mt = ocifs_img_jstr(e, "mediaType"), *digest = ocifs_img_jstr(e, "digest");
		int64_t size = jsize(e);

		if (++w->ndesc > IMG_WALK_MAX) {
			log_err("%s: %s: the image indexes list more than %u manifests in all "
				"(nested indexes repeating each other?); refusing", c->path, file,
				IMG_WALK_MAX);
			return -EBADMSG;
		}
		if (!json_object_is_type(e, json_type_object) || size == -2) {
			log_err("%s: %s: manifests[%zu] is not a valid descriptor", c->path, file, i);
			return -EBADMSG;
		}
		if (!digest || !ocifs_digest_valid(digest)) {
			log_err("%s: %s: manifests[%zu]: invalid digest \"%.80s\" (want sha256:<64 hex>)",
				c->path, file, i, digest ? digest : "(none)");
			return -EINVAL;
		}
		if (depth == 0) {
			top = i;
			ref = ocifs_img_jstr(jget(e, "annotations"), "org.opencontainers.image.ref.name");
			cname = ocifs_img_jstr(jget(e, "annotations"), "io.containerd.image.name");
		}
		if (is_index(mt) || (!(mt && is_manifest(mt)) && sniff_index(w, digest, size)))
			rc = walk_nested(w, digest, size, depth, top, ref, cname);
		else
			rc = cand_add(w, digest, size, "manifest", e, CAND_IMAGE, ref, cname, top);
	}
	return rc;
}

/* The platform k's config names (read once per candidate that probe()
 * read the manifest for). */
static int probe_config(struct oci *w, struct cand *k)
{
	struct json_object *cfg = jget(k->mj, "config"), *cj;
	char *buf;
	size_t len;
	int rc = 0;

	if (k->cfg_read)
		return 0;
	k->cfg_read = 1;
	if (ocifs_img_read_blob(w->c, "config", ocifs_img_jstr(cfg, "digest"), jsize(cfg), 2, &buf, &len))
		return 0;
	cj = json_tokener_parse(buf);
	if (ocifs_img_jstr(cj, "os") && ocifs_img_jstr(cj, "architecture") &&
	    !(k->cfg_platform = ocifs_img_platform_str(ocifs_img_jstr(cj, "os"), ocifs_img_jstr(cj, "architecture"),
						       ocifs_img_jstr(cj, "variant"))))
		rc = -ENOMEM;
	json_object_put(cj);
	free(buf);
	return rc;
}

/* Learn k's platform from its config when the index did not say. */
static int probe_platform(struct oci *w, struct cand *k, struct cand *from)
{
	int rc;

	if (k->state != CAND_IMAGE || k->platform)
		return 0;
	rc = probe_config(w, from);
	if (!rc && from->cfg_platform && !(k->platform = strdup(from->cfg_platform)))
		rc = -ENOMEM;
	return rc;
}

/* Read candidate i's manifest; drop it if it is not an image; learn its
 * platform. Each manifest is read once: a candidate with the digest of
 * one probed before copies its findings. Silent: only the chosen
 * candidate's problems are reported (by load()). */
static int probe(struct oci *w, size_t i)
{
	struct img_ctx *c = w->c;
	struct cand *k = &w->v[i];
	struct json_object *cfg;
	char key[OCIFS_DIGEST_STRLEN + 24];
	const char *mt, *cmt;
	char *buf;
	size_t len, first;
	int rc;

	snprintf(key, sizeof(key), "%s %lld", k->digest, (long long)k->size);
	if (ocifs_strmap_get(&w->probed, key, strlen(key), &first)) {
		struct cand *f = &w->v[first];
		k->state = f->state;
		memcpy(k->why, f->why, sizeof(k->why));
		k->mj = f->mj ? json_object_get(f->mj) : NULL;
		return probe_platform(w, k, f);
	}
	rc = ocifs_strmap_put(&w->probed, key, strlen(key), i, NULL);
	if (rc < 0)
		return rc;
	rc = ocifs_img_read_blob(c, "manifest", k->digest, k->size, 2, &buf, &len);
	if (rc == -ENOMEM)
		return rc;
	if (!rc) {
		k->mj = json_tokener_parse(buf);
		free(buf);
	}
	if (rc || !json_object_is_type(k->mj, json_type_object)) {
		k->state = rc == -ENOENT ? CAND_MISSING : CAND_BROKEN;
		json_object_put(k->mj);
		k->mj = NULL;
		return 0;
	}
	mt = ocifs_img_jstr(k->mj, "mediaType");
	cfg = jget(k->mj, "config");
	cmt = ocifs_img_jstr(cfg, "mediaType");
	if ((mt && !is_manifest(mt)) || ocifs_img_jstr(k->mj, "artifactType") || jget(k->mj, "manifests") ||
	    !json_object_is_type(jget(k->mj, "layers"), json_type_array) || !cmt ||
	    (strcmp(cmt, MT_OCI_CONFIG) && strcmp(cmt, MT_DOCKER_CONFIG))) {
		log_dbg("%s: manifest %s: not an image, skipped", c->path, k->digest);
		cand_other(k, ocifs_img_jstr(k->mj, "artifactType") ? ocifs_img_jstr(k->mj, "artifactType")
			   : cmt ? cmt : mt);
		return 0;
	}
	return probe_platform(w, k, k);
}

/* "#N ref (platform, sha256:0123456789ab)" for candidate lists. */
static void cand_label(const struct cand *k, char *buf, size_t cap)
{
	const char *name = k->ref ? k->ref : k->cname;

	/* "#N" always: the number --image takes, as docker-archive's list */
	snprintf(buf, cap, "#%zu%s%s (%s, %.19s)", k->top + 1, name ? " " : "", name ? name : "",
		 k->platform ? k->platform : "platform unknown", k->digest);
}

/* How many different manifests are still in the running; 0 on ENOMEM
 * (the callers then fail as if there were none). */
static size_t distinct_kept(const struct oci *w)
{
	struct ocifs_strmap seen = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < w->n; i++) {
		const char *dg = w->v[i].digest;
		int rc = w->v[i].keep ? ocifs_strmap_put(&seen, dg, strlen(dg), 0, NULL) : 0;
		if (rc < 0) {
			n = 0;
			break;
		}
		n += (size_t)rc;
	}
	ocifs_strmap_fini(&seen);
	return n;
}

/* Candidates still in the running, as one bounded line. */
static void list_kept(const struct oci *w, char *msg, size_t cap)
{
	char label[256];

	msg[0] = '\0';
	for (size_t i = 0, full = 0; i < w->n && !full; i++)
		if (w->v[i].keep) {
			cand_label(&w->v[i], label, sizeof(label));
			full = ocifs_img_msg_add(msg, cap, ", ", label);
		}
}

/* Narrow the candidates to one: by --image (ref name, or 1-based position
 * in index.json: "#N", or "N" unless a ref.name is exactly "N"), then by
 * platform unless only one image is left and no platform was asked for. */
static int choose(struct oci *w, struct cand **out)
{
	struct img_ctx *c = w->c;
	const char *want = c->o->platform ? c->o->platform : ocifs_host_platform();
	char msg[1536] = "", **names = NULL, **plats = NULL;
	struct ocifs_strmap names_seen = { 0 }, plats_seen = { 0 };
	size_t num = 0, nimg = 0, nnames = 0, nplats = 0, ntop = 0;
	struct cand *other = NULL;
	int best = 0, single, byname, only = 0, rc = 0;

	byname = c->o->image && ocifs_img_image_number(c->o->image, &num, &only);
	for (size_t i = 0; c->o->image && !only && i < w->n; i++)
		if (w->v[i].ref && !strcmp(w->v[i].ref, c->o->image))
			byname = 1; /* a tag that looks like a number ("#N" never does) */
	for (size_t i = 0; i < w->n; i++)
		ntop = w->v[i].top + 1 > ntop ? w->v[i].top + 1 : ntop;
	if (c->o->image && !byname && (num < 1 || num > ntop)) {
		log_err("%s: no image %zu (index.json lists %zu; 1 = first)", c->path, num, ntop);
		return -EINVAL;
	}
	for (size_t i = 0; !rc && i < w->n; i++) {
		struct cand *k = &w->v[i];
		const char *name = k->ref ? k->ref : k->cname;

		k->keep = 1;
		if (k->state != CAND_OTHER && k->platform &&
		    ocifs_img_strv_add(&c->img->platforms, &c->img->nplatforms, k->platform,
				       &c->plats_seen))
			rc = -ENOMEM;
		if (name && ocifs_img_strv_add(&names, &nnames, name, &names_seen))
			rc = -ENOMEM;
		if (c->o->image && !byname)
			k->keep = k->top + 1 == num;
		else if (c->o->image)
			k->keep = ocifs_img_name_match(c->o->image, k->ref) ||
				  ocifs_img_name_match(c->o->image, k->cname);
		if (k->keep && k->state == CAND_OTHER && !other)
			other = k;
		k->keep = k->keep && k->state != CAND_OTHER;
		nimg += k->keep;
		if (k->keep && k->platform && ocifs_img_strv_add(&plats, &nplats, k->platform, &plats_seen))
			rc = -ENOMEM;
	}
	for (size_t i = 0; i < nnames && !ocifs_img_msg_add(msg, sizeof(msg), ", ", names[i]); i++)
		;
	ocifs_img_strv_free(names);
	ocifs_strmap_fini(&names_seen);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (!nimg && !other && c->o->image) {
		log_err("%s: no image \"%s\" (available: %s)", c->path, c->o->image,
			*msg ? msg : "none named");
	} else if (!nimg && !other) {
		log_err("%s: index.json: lists no images", c->path);
		rc = -ENOENT;
	} else if (!nimg) {
		log_err("%s: %s %s is not an image (%s)", c->path,
			c->o->image ? c->o->image : "index.json: entry", other->digest, other->why);
		rc = -EOPNOTSUPP;
	}
	if (!nimg)
		goto out;
	single = distinct_kept(w) == 1;
	list_kept(w, msg, sizeof(msg));
	if (!single || c->o->platform) {
		for (size_t i = 0; i < w->n; i++) {
			struct cand *k = &w->v[i];
			int s = k->platform ? ocifs_img_platform_match(want, k->platform) : single;

			k->keep = k->keep && s > 0 && s >= best;
			if (k->keep && s > best) {
				best = s;
				for (size_t j = 0; j < i; j++)
					w->v[j].keep = 0;
			}
		}
		if (!best && !nplats) { /* e.g. their manifests are missing */
			log_err("%s: no image declares its platform; choose one with --image: %s",
				c->path, msg);
			goto out;
		}
		if (!best) {
			msg[0] = '\0';
			for (size_t i = 0; i < nplats && !ocifs_img_msg_add(msg, sizeof(msg), ", ", plats[i]);
			     i++)
				;
			log_err("%s: no image for platform %s (available: %s)", c->path, want, msg);
			goto out;
		}
	}
	if (distinct_kept(w) > 1) {
		list_kept(w, msg, sizeof(msg));
		log_err("%s: %zu images match %s; choose one with --image: %s", c->path,
			distinct_kept(w), want, msg);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < w->n && !*out; i++)
		if (w->v[i].keep)
			*out = &w->v[i];
	if (strcmp((*out)->what, "manifest")) { /* an index we could not read */
		struct json_object *j;
		rc = read_index(c, (*out)->digest, (*out)->size, 0, &j);
		json_object_put(j);
		if (!rc) { /* read fine this time: the walk skipped it, so say so */
			log_err("%s: image index %s: unreadable", c->path, (*out)->digest);
			rc = -EIO;
		}
	}
out:
	ocifs_img_strv_free(plats);
	ocifs_strmap_fini(&plats_seen);
	return rc;
}

/* The chosen manifest's layer descriptors, checked before anything else
 * is read so an artifact is refused as one. */
static int check_layers(struct oci *w, struct cand *k, struct json_object *layers)
{
	struct img_ctx *c = w->c;

	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		struct json_object *e = json_object_array_get_idx(layers, i);
		const char *d = ocifs_img_jstr(e, "digest"), *mt = ocifs_img_jstr(e, "mediaType");

		if (!json_object_is_type(e, json_type_object) || jsize(e) == -2) {
			log_err("%s: manifest %s: layers[%zu] is not a valid descriptor", c->path,
				k->digest, i);
			return -EBADMSG;
		}
		if (!d || !ocifs_digest_valid(d)) {
			log_err("%s: manifest %s: layer %zu: invalid digest \"%.80s\"", c->path,
				k->digest, i + 1, d ? d : "(none)");
			return -EINVAL;
		}
		if (!layer_mtype_ok(mt)) {
			log_err("%s: layer %zu (%s): media type %s is not a tar layer", c->path, i + 1,
				d, mt);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* The chosen manifest: config, then layers. */
static int load(struct oci *w, struct cand *k)
{
	struct img_ctx *c = w->c;
	struct ocifs_image *img = c->img;
	struct json_object *cfg = jget(k->mj, "config"), *layers = jget(k->mj, "layers");
	const char *cd = ocifs_img_jstr(cfg, "digest");
	char file[96], rel[96], **diff = NULL;
	size_t len, ndiff, nl;
	int rc;

	snprintf(file, sizeof(file), "blobs/sha256/%s", k->digest + 7);
	/* its bytes, kept verbatim; missing or broken when probed: read
	 * again, loudly this time */
	rc = ocifs_img_read_blob(c, "manifest", k->digest, k->size, 0, &img->manifest_json,
				 &img->manifest_len);
	if (rc)
		return rc;
	if (!k->mj) {
		rc = ocifs_img_json(c, file, img->manifest_json, img->manifest_len,
				    json_type_object, &k->mj);
		if (rc)
			return rc;
		cfg = jget(k->mj, "config");
		layers = jget(k->mj, "layers");
		cd = ocifs_img_jstr(cfg, "digest");
		if (!json_object_is_type(layers, json_type_array)) {
			log_err("%s: %s: not an image manifest", c->path, file);
			return -EBADMSG;
		}
	}
	rc = check_layers(w, k, layers);
	if (rc)
		return rc;
	nl = json_object_array_length(layers);
	snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", k->digest);
	for (size_t i = 0; i < w->n; i++) {
		struct cand *o = &w->v[i];
		if (strcmp(o->digest, k->digest))
			continue;
		if ((o->ref && ocifs_img_strv_add(&img->names, &img->nnames, o->ref, &c->names_seen)) ||
		    (o->cname && ocifs_img_strv_add(&img->names, &img->nnames, o->cname, &c->names_seen)))
			return -ENOMEM;
	}
	rc = ocifs_img_read_blob(c, "config", cd, jsize(cfg), 0, &img->config_json, &len);
	if (rc)
		return rc;
	img->config_len = len;
	snprintf(img->config_digest, sizeof(img->config_digest), "%s", cd);
	if (c->dirfd < 0 && ocifs_img_exists(c, "manifest.json") &&
	    (rc = ocifs_img_docker_add_repotags(c, cd)))
		return rc;
	snprintf(file, sizeof(file), "blobs/sha256/%s", cd + 7);
	rc = ocifs_img_parse_config(c, file, &diff, &ndiff);
	if (rc)
		return rc;
	if (!img->platform && k->platform && !(img->platform = strdup(k->platform)))
		rc = -ENOMEM;
	if (!rc && ndiff != nl) {
		log_err("%s: %s: %zu rootfs.diff_ids for %zu layers", c->path, file, ndiff, nl);
		rc = -EBADMSG;
	}
	for (size_t i = 0; !rc && i < nl; i++) {
		struct json_object *e = json_object_array_get_idx(layers, i);
		const char *d = ocifs_img_jstr(e, "digest");

		snprintf(rel, sizeof(rel), "blobs/sha256/%s", d + 7);
		rc = ocifs_img_add_layer(c, i + 1, rel, d, diff[i], ocifs_img_jstr(e, "mediaType"), jsize(e));
	}
	ocifs_img_strv_free(diff);
	return rc;
}

int ocifs_img_oci_open(struct img_ctx *c)
{
	struct oci w = { .c = c };
	struct json_object *root = NULL;
	struct cand *k = NULL;
	char *buf = NULL;
	size_t len;
	int rc;

	rc = ocifs_img_read(c, "index.json", 0, &buf, &len);
	if (rc)
		goto out;
	rc = ocifs_img_json(c, "index.json", buf, len, json_type_object, &root);
	if (rc)
		goto out;
	rc = walk(&w, root, "index.json", 0, 0, NULL, NULL);
	/* A registry's manifests cost a request each: there only those the
	 * index gives no platform for are read before one is chosen (the
	 * chosen one is checked by load()). */
	for (size_t i = 0; !rc && i < w.n; i++)
		if (w.v[i].state == CAND_IMAGE && !(c->remote && w.v[i].platform))
			rc = probe(&w, i);
	if (!rc)
		rc = choose(&w, &k);
	if (!rc)
		rc = load(&w, k);
	if (!rc) { /* kept verbatim */
		c->img->index_json = buf;
		c->img->index_len = len;
		buf = NULL;
	}
out:
	for (size_t i = 0; i < w.n; i++) {
		free(w.v[i].platform);
		free(w.v[i].cfg_platform);
		json_object_put(w.v[i].mj);
	}
	free(w.v);
	for (size_t i = 0; i < w.nidx; i++)
		json_object_put(w.idx[i].j);
	free(w.idx);
	ocifs_strmap_fini(&w.cands);
	ocifs_strmap_fini(&w.walked);
	ocifs_strmap_fini(&w.idx_at);
	ocifs_strmap_fini(&w.sniffed);
	ocifs_strmap_fini(&w.probed);
	json_object_put(root);
	free(buf);
	return rc;
}
