/* SPDX-License-Identifier: MIT */
/*
 * The layer attribution of package database entries (attrib.h): one
 * map from key to its version, the layer its current run of copies
 * began in, and the copy that last listed it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "hashtab.h"

struct attrib_ent {
	char *version;
	uint32_t since;         /* first layer of the current run */
	uint32_t gen;           /* the copy that last listed it */
};

struct ocifs_attrib {
	struct ocifs_strmap keys;       /* key -> index in ents */
	struct attrib_ent *ents;
	size_t nents, cap;
	uint32_t gen;                   /* copies seen so far */
	uint32_t layer;                 /* the current copy's layer */
};

int ocifs_attrib_new(struct ocifs_attrib **out)
{
	return (*out = calloc(1, sizeof(**out))) ? 0 : -ENOMEM;
}

void ocifs_attrib_free(struct ocifs_attrib *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nents; i++)
		free(a->ents[i].version);
	free(a->ents);
	ocifs_strmap_fini(&a->keys);
	free(a);
}

void ocifs_attrib_layer(struct ocifs_attrib *a, uint32_t layer)
{
	a->gen++;
	a->layer = layer;
}

int ocifs_attrib_add(struct ocifs_attrib *a, const char *key, const char *version)
{
	const char *v = version ? version : "";
	size_t i;
	int rc;

	if (ocifs_strmap_get(&a->keys, key, strlen(key), &i)) {
		struct attrib_ent *e = &a->ents[i];
		if (e->gen == a->gen)
			return 0; /* listed twice in one copy: the first wins */
		if (e->gen + 1 != a->gen || strcmp(e->version, v)) {
			char *nv = strdup(v);
			if (!nv)
				return -ENOMEM;
			free(e->version);
			e->version = nv;
			e->since = a->layer;
		}
		e->gen = a->gen;
		return 0;
	}
	if (a->nents == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 256;
		struct attrib_ent *n = realloc(a->ents, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		a->ents = n;
		a->cap = cap;
	}
	struct attrib_ent *e = &a->ents[a->nents];
	if (!(e->version = strdup(v)))
		return -ENOMEM;
	rc = ocifs_strmap_put(&a->keys, key, strlen(key), a->nents, NULL);
	if (rc < 0) {
		free(e->version);
		return rc;
	}
	e->since = a->layer;
	e->gen = a->gen;
	a->nents++;
	return 0;
}

uint32_t ocifs_attrib_layer_of(const struct ocifs_attrib *a, const char *key,
			       const char *version, uint32_t fallback)
{
	size_t i;

	if (!a || !ocifs_strmap_get(&a->keys, key, strlen(key), &i))
		return fallback;
	const struct attrib_ent *e = &a->ents[i];
	if (e->gen != a->gen || strcmp(e->version, version ? version : ""))
		return fallback;
	return e->since;
}
