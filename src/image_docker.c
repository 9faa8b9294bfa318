/* SPDX-License-Identifier: MIT */
/*
 * docker-archive (`docker save`, skopeo docker-archive:): manifest.json is
 * an array of {Config, RepoTags, Layers}; layers are tar members such as
 * "<hex>/layer.tar" (often symlinks to one another), "<hex>.tar" or
 * "blobs/sha256/<hex>" (Docker 25+). One entry is chosen by --image (a
 * RepoTag or a position) or because it is the only one. manifest_digest is
 * the sha256 of that entry re-serialized by json-c in its plain form
 * (JSON_C_TO_STRING_PLAIN): manifest.json has no digest of its own, so any
 * stable identity will do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "image_priv.h"
#include "log.h"

/* The hex digest a path names: "blobs/sha256/<hex>" or "<hex>.json"
 * (with optional "./" or "/" in front). hex gets 65 bytes; 0 if none. */
static int path_hex(const char *p, char *hex)
{
	const char *base = strrchr(p, '/');
	size_t n;

	base = base ? base + 1 : p;
	n = strspn(base, "0123456789abcdef");
	if (n != 64)
		return 0;
	if (!strcmp(base + 64, ".json") ||
	    (!base[64] && base - p >= 13 && !strncmp(base - 13, "blobs/sha256/", 13))) {
		memcpy(hex, base, 64);
		hex[64] = '\0';
		return 1;
	}
	return 0;
}

static int add_tags(struct img_ctx *c, struct json_object *entry)
{
	struct json_object *tags;

	if (!json_object_object_get_ex(entry, "RepoTags", &tags) ||
	    !json_object_is_type(tags, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(tags); i++) {
		struct json_object *t = json_object_array_get_idx(tags, i);
		if (json_object_is_type(t, json_type_string) &&
		    ocifs_img_strv_add(&c->img->names, &c->img->nnames, json_object_get_string(t),
				       &c->names_seen))
			return -ENOMEM;
	}
	return 0;
}

static int tags_match(struct json_object *entry, const char *want)
{
	struct json_object *tags;

	if (!json_object_object_get_ex(entry, "RepoTags", &tags) ||
	    !json_object_is_type(tags, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(tags); i++)
		if (ocifs_img_name_match(want, json_object_get_string(json_object_array_get_idx(tags, i))))
			return 1;
	return 0;
}

/* Which entry of manifest.json: by position, by RepoTag, or the only one. */
static int choose(struct img_ctx *c, struct json_object *root, size_t *out)
{
	size_t n = json_object_array_length(root), num;
	char msg[1536] = "", item[64];
	int only;

	if (!n) {
		log_err("%s: manifest.json: no images", c->path);
		return -ENOENT;
	}
	if (!ocifs_img_image_number(c->o->image, &num, &only)) {
		if (num >= 1 && num <= n) {
			*out = num - 1;
			return 0;
		}
		log_err("%s: no image %zu (manifest.json has %zu; 1 = first)", c->path, num, n);
		return -EINVAL;
	}
	for (size_t i = 0; c->o->image && i < n; i++)
		if (tags_match(json_object_array_get_idx(root, i), c->o->image)) {
			*out = i;
			return 0;
		}
	if (!c->o->image && n == 1) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0, full = 0; i < n && !full; i++) {
		struct json_object *tags = NULL, *e = json_object_array_get_idx(root, i);
		size_t nt = 0;
		json_object_object_get_ex(e, "RepoTags", &tags);
		if (json_object_is_type(tags, json_type_array))
			nt = json_object_array_length(tags);
		snprintf(item, sizeof(item), "#%zu", i + 1);
		full = ocifs_img_msg_add(msg, sizeof(msg), ", ", item);
		for (size_t j = 0; j < nt && !full; j++)
			full = ocifs_img_msg_add(msg, sizeof(msg), " ",
				    json_object_get_string(json_object_array_get_idx(tags, j)));
	}
	if (c->o->image)
		log_err("%s: no image \"%s\" (available: %s)", c->path, c->o->image, msg);
	else
		log_err("%s: %zu images; choose one with --image: %s", c->path, n, msg);
	return -EINVAL;
}

/* Config: read, hash (its name, when it is a digest, must agree), parse. */
static int load_config(struct img_ctx *c, const char *rel, char ***diff, size_t *ndiff)
{
	struct ocifs_image *img = c->img;
	unsigned char d[OCIFS_SHA256_LEN];
	char hex[65];
	size_t len;
	int rc;

	rc = ocifs_img_read(c, rel, 0, &img->config_json, &len);
	if (rc)
		return rc;
	img->config_len = len;
	rc = ocifs_sha256(img->config_json, len, d);
	if (rc)
		return rc;
	ocifs_digest_format(d, img->config_digest);
	if (path_hex(rel, hex) && strcmp(hex, img->config_digest + 7)) {
		log_err("%s: blob sha256:%s digest mismatch (got %s)", c->path, hex,
			img->config_digest);
		return -OCIFS_EDIGEST;
	}
	rc = ocifs_img_parse_config(c, rel, diff, ndiff);
	if (rc)
		return rc;
	if (c->o->platform && !ocifs_img_platform_match(c->o->platform, img->platform)) {
		log_err("%s: no image for platform %s (available: %s)", c->path, c->o->platform,
			img->platform ? img->platform : "none declared");
		return -EINVAL;
	}
	if (img->platform &&
	    ocifs_img_strv_add(&img->platforms, &img->nplatforms, img->platform, &c->plats_seen))
		return -ENOMEM;
	return 0;
}

int ocifs_img_docker_open(struct img_ctx *c)
{
	struct ocifs_image *img = c->img;
	struct json_object *root = NULL, *entry, *layers;
	unsigned char d[OCIFS_SHA256_LEN];
	char *buf = NULL, **diff = NULL, hex[65], digest[OCIFS_DIGEST_STRLEN + 1];
	const char *cfg, *plain;
	size_t len, ndiff = 0, nl, idx;
	int rc;

	rc = ocifs_img_read(c, "manifest.json", 0, &buf, &len);
	if (!rc)
		rc = ocifs_img_json(c, "manifest.json", buf, len, json_type_array, &root);
	if (!rc)
		rc = choose(c, root, &idx);
	if (rc)
		goto out;
	entry = json_object_array_get_idx(root, idx);
	cfg = ocifs_img_jstr(entry, "Config");
	if (!json_object_object_get_ex(entry, "Layers", &layers) ||
	    !json_object_is_type(layers, json_type_array) || !cfg) {
		log_err("%s: manifest.json: entry %zu has no Config or Layers", c->path, idx);
		rc = -EBADMSG;
		goto out;
	}
	plain = json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN);
	if (!plain || (rc = ocifs_sha256(plain, strlen(plain), d))) {
		rc = rc ? rc : -ENOMEM;
		goto out;
	}
	ocifs_digest_format(d, img->manifest_digest);
	rc = add_tags(c, entry);
	if (!rc)
		rc = load_config(c, cfg, &diff, &ndiff);
	if (rc)
		goto out;
	nl = json_object_array_length(layers);
	if (ndiff != nl) {
		log_err("%s: %s: %zu rootfs.diff_ids for %zu layers", c->path, cfg, ndiff, nl);
		rc = -EBADMSG;
		goto out;
	}
	for (size_t i = 0; !rc && i < nl; i++) {
		struct json_object *l = json_object_array_get_idx(layers, i);
		const char *rel = json_object_get_string(l);

		if (!json_object_is_type(l, json_type_string)) {
			log_err("%s: manifest.json: Layers[%zu] is not a path", c->path, i);
			rc = -EBADMSG;
			break;
		}
		digest[0] = '\0';
		if (path_hex(rel, hex) && !strstr(rel, ".json"))
			snprintf(digest, sizeof(digest), "sha256:%s", hex);
		rc = ocifs_img_add_layer(c, i + 1, rel, digest, diff[i], NULL, -1);
	}
	if (!rc) { /* kept verbatim, and an index.json the archive carries too */
		img->manifest_json = buf;
		img->manifest_len = len;
		buf = NULL;
		if (ocifs_img_exists(c, "index.json") &&
		    (rc = ocifs_img_read(c, "index.json", 2, &img->index_json, &img->index_len)) &&
		    rc != -ENOMEM) {
			log_dbg("%s: index.json: %s; not served", c->path, strerror(-rc));
			rc = 0;
		}
	}
out:
	ocifs_img_strv_free(diff);
	json_object_put(root);
	free(buf);
	return rc;
}

int ocifs_img_docker_add_repotags(struct img_ctx *c, const char *config_digest)
{
	struct json_object *root;
	char *buf, hex[65];
	size_t len;
	int rc = 0;

	if (ocifs_img_read(c, "manifest.json", 1, &buf, &len))
		return 0; /* best effort: the OCI index is what counts */
	root = json_tokener_parse(buf);
	for (size_t i = 0; !rc && json_object_is_type(root, json_type_array) &&
			   i < json_object_array_length(root); i++) {
		struct json_object *e = json_object_array_get_idx(root, i);
		const char *cfg = ocifs_img_jstr(e, "Config");
		if (cfg && path_hex(cfg, hex) && !strcmp(hex, config_digest + 7))
			rc = add_tags(c, e);
	}
	json_object_put(root);
	free(buf);
	return rc;
}
