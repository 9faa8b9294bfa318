/* SPDX-License-Identifier: MIT */
/*
 * The config's history[] (what `docker history` shows): every entry, in
 * order, and which layer each non-empty entry made. The i-th entry that
 * is not an empty_layer made layer i, as docker and the OCI spec count.
 * A malformed history is not an error: the image is still usable, it
 * just has no history (nothing here rejects an image).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image_priv.h"

static int hdup(struct json_object *obj, const char *key, char **out)
{
	const char *s = ocifs_img_jstr(obj, key);

	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

int ocifs_img_parse_history(struct ocifs_image *img, struct json_object *root)
{
	struct json_object *hist, *x;
	size_t n, layer = 0;

	if (!json_object_object_get_ex(root, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array) || !(n = json_object_array_length(hist)))
		return 0;
	if (!(img->history = calloc(n, sizeof(*img->history))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hist, i);
		struct ocifs_history *e = &img->history[img->nhistory];

		if (!json_object_is_type(h, json_type_object))
			continue;
		img->nhistory++;
		e->empty_layer = json_object_object_get_ex(h, "empty_layer", &x) &&
				 json_object_is_type(x, json_type_boolean) &&
				 json_object_get_boolean(x);
		e->layer = e->empty_layer ? SIZE_MAX : layer++;
		if (hdup(h, "created", &e->created) || hdup(h, "created_by", &e->created_by) ||
		    hdup(h, "author", &e->author) || hdup(h, "comment", &e->comment))
			return -ENOMEM;
	}
	return 0;
}

void ocifs_img_history_free(struct ocifs_image *img)
{
	for (size_t i = 0; i < img->nhistory; i++) {
		free(img->history[i].created);
		free(img->history[i].created_by);
		free(img->history[i].author);
		free(img->history[i].comment);
	}
	free(img->history);
	img->history = NULL;
	img->nhistory = 0;
}

const struct ocifs_history *ocifs_image_layer_history(const struct ocifs_image *img, size_t i)
{
	for (size_t k = 0; k < img->nhistory; k++)
		if (img->history[k].layer == i)
			return &img->history[k];
	return NULL;
}
