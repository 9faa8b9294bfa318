/* SPDX-License-Identifier: MIT */
/*
 * Which layer brought each package's current version. A package
 * database cataloger feeds every layer's own copy of its database
 * (catalog.h, env->layer_versions), bottom to top, to one attribution,
 * then asks it for each package of the merged database: the answer is
 * the first layer of the last unbroken run of copies that list the
 * package at exactly its current version. A package upgraded in layer 3
 * reports layer 3; one a later layer rewrote the database around
 * without touching reports the layer that installed it.
 */
#ifndef OCIFS_SCAN_ATTRIB_H
#define OCIFS_SCAN_ATTRIB_H
#include <stdint.h>

struct ocifs_attrib;

/** A new, empty attribution: 0, -ENOMEM. */
int ocifs_attrib_new(struct ocifs_attrib **out);
void ocifs_attrib_free(struct ocifs_attrib *a);

/** The copies that follow are layer's (call in increasing layer order,
 *  once per layer that has a readable copy). */
void ocifs_attrib_layer(struct ocifs_attrib *a, uint32_t layer);

/** The current copy lists package key (its name, or name + arch where
 *  a database allows both) at version (NULL as ""). 0, -ENOMEM. */
int ocifs_attrib_add(struct ocifs_attrib *a, const char *key, const char *version);

/** The layer that brought key at version, or fallback when the copies
 *  fed do not list it so in the last one (a database no layer copy
 *  explains, e.g. unreadable). */
uint32_t ocifs_attrib_layer_of(const struct ocifs_attrib *a, const char *key,
			       const char *version, uint32_t fallback);

#endif
