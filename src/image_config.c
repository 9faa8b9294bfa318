/* SPDX-License-Identifier: MIT */
/*
 * An image's config: its diff_ids and the fields ocifs shows (labels,
 * entrypoint, env, ...) parsed from the verified config JSON, and the
 * layer descriptors the format code adds as it walks a manifest. Split
 * from image.c, which opens the image and reads its files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "err.h"
#include "image_priv.h"
#include "log.h"

/* A JSON array of strings (or null/absent) as a NULL-terminated vector. */
static int jstrv(const struct img_ctx *c, const char *file, struct json_object *obj,
		 const char *key, char ***out)
{
	struct json_object *a;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &a) || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		goto bad;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			goto bad;
		rc = ocifs_img_strv_add(out, &n, json_object_get_string(v), NULL);
		if (rc)
			return rc;
	}
	if (!*out) /* [] stays distinct from absent */
		*out = calloc(1, sizeof(char *));
	return *out ? 0 : -ENOMEM;
bad:
	log_err("%s: %s: \"%s\" is not an array of strings", c->path, file, key);
	ocifs_img_strv_free(*out);
	*out = NULL;
	return -EBADMSG;
}

static int jdup(struct json_object *obj, const char *key, char **out)
{
	const char *s = ocifs_img_jstr(obj, key);

	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

int ocifs_img_parse_config(struct img_ctx *c, const char *file, char ***diff_ids, size_t *ndiff)
{
	struct ocifs_image *img = c->img;
	struct json_object *root, *cfg = NULL, *rootfs;
	int rc;

	*diff_ids = NULL;
	*ndiff = 0;
	rc = ocifs_img_json(c, file, img->config_json, strlen(img->config_json), json_type_object, &root);
	if (rc)
		return rc;
	if (!json_object_object_get_ex(root, "config", &cfg) ||
	    !json_object_is_type(cfg, json_type_object))
		cfg = NULL;
	if ((rc = jdup(root, "created", &img->created)) || (rc = jdup(root, "os", &img->os)) ||
	    (rc = jdup(root, "architecture", &img->arch)) ||
	    (rc = ocifs_img_parse_history(img, root)))
		goto out;
	if (cfg && ((rc = jstrv(c, file, cfg, "Env", &img->env)) ||
		    (rc = jstrv(c, file, cfg, "Entrypoint", &img->entrypoint)) ||
		    (rc = jstrv(c, file, cfg, "Cmd", &img->cmd)) ||
		    (rc = jdup(cfg, "WorkingDir", &img->workdir)) ||
		    (rc = jdup(cfg, "User", &img->user))))
		goto out;
	if (img->os && img->arch && !img->platform &&
	    !(img->platform = ocifs_img_platform_str(img->os, img->arch, ocifs_img_jstr(root, "variant")))) {
		rc = -ENOMEM;
		goto out;
	}
	if (json_object_object_get_ex(root, "rootfs", &rootfs) &&
	    (rc = jstrv(c, file, rootfs, "diff_ids", diff_ids)))
		goto out;
	for (char **p = *diff_ids; p && *p; p++, (*ndiff)++) {
		if (!ocifs_digest_valid(*p)) {
			log_err("%s: %s: rootfs.diff_ids[%zu] \"%.80s\" is not a sha256 digest",
				c->path, file, *ndiff, *p);
			rc = -EINVAL;
			goto out;
		}
	}
out:
	if (rc) {
		ocifs_img_strv_free(*diff_ids);
		*diff_ids = NULL;
	}
	json_object_put(root);
	return rc;
}

int ocifs_img_add_layer(struct img_ctx *c, size_t n, const char *rel, const char *digest,
			const char *diff_id, const char *media_type, int64_t size)
{
	struct ocifs_image *img = c->img;
	struct ocifs_layer_desc *l;
	const char *label = digest && *digest ? digest : diff_id && *diff_id ? diff_id : rel;
	struct ocifs_fileid id = { 0 };
	struct ocifs_src *s;
	char *where = NULL;
	int rc = c->remote ? ocifs_img_remote_open(c, digest, size, &s, &id, &where)
			   : ocifs_img_open(c, rel, 1, &s, &id, &where);

	if (rc == -ENOENT && c->o->skip_missing) {
		log_warn("%s: layer %zu (%s): blob missing, skipped", c->path, n, label);
		return 0;
	}
	if (rc == -ENOENT)
		log_err("%s: layer %zu (%s): blob missing", c->path, n, label);
	if (rc)
		return rc;
	if (size >= 0 && s->size != (uint64_t)size) {
		log_err("%s: layer %zu (%s): size mismatch (descriptor says %lld bytes, blob has %llu)",
			c->path, n, label, (long long)size, (unsigned long long)s->size);
		rc = -OCIFS_EDIGEST;
		goto fail;
	}
	if (!(img->nlayers & (img->nlayers - 1))) { /* grow at powers of two */
		l = realloc(img->layers, (img->nlayers ? 2 * img->nlayers : 1) * sizeof(*l));
		if (!l) {
			rc = -ENOMEM;
			goto fail;
		}
		img->layers = l;
	}
	l = &img->layers[img->nlayers];
	memset(l, 0, sizeof(*l));
	if (media_type && !(l->media_type = strdup(media_type))) {
		rc = -ENOMEM;
		goto fail;
	}
	snprintf(l->digest, sizeof(l->digest), "%s", digest ? digest : "");
	snprintf(l->diff_id, sizeof(l->diff_id), "%s", diff_id ? diff_id : "");
	l->size = s->size;
	l->blob = s;
	l->id = id;
	l->where = where;
	img->nlayers++;
	return 0;
fail:
	free(where);
	ocifs_src_unref(s);
	return rc;
}
