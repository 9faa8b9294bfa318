/* SPDX-License-Identifier: MIT */
/*
 * The one hash and the one hash table of the tree.
 *
 * ocifs_fnv1a(): 64-bit FNV-1a over bytes (a seed lets a caller mix in a
 * number first, as the view builder does with the parent of a name).
 *
 * struct ocifs_htab: an open-addressing index (linear probing, load at
 * most 1/2, tombstones on removal) from a 64-bit hash to a 32-bit entry
 * number. It owns no keys: the caller keeps its entries in its own array
 * and says, through an equality callback, whether entry i is the key it
 * looks for. Each slot keeps 32 bits of the hash beside the entry, so a
 * probe touches the caller's entries only on a real hash match, and
 * growing never calls back.
 *
 * struct ocifs_strmap: a string -> size_t map on top of it whose keys
 * are copied into one pool (no allocation per key), for sets of paths
 * and names.
 *
 * Neither is thread-safe; readers may share a table nobody changes.
 */
#ifndef OCIFS_SRC_HASHTAB_H
#define OCIFS_SRC_HASHTAB_H
#include <stddef.h>
#include <stdint.h>

#define OCIFS_FNV1A_INIT 0xcbf29ce484222325ull /* the FNV-1a 64 offset basis */
#define OCIFS_FNV1A_PRIME 0x100000001b3ull

/** FNV-1a 64 of p[0..n), starting from h (OCIFS_FNV1A_INIT for the
 *  plain hash; anything else seeds it). */
static inline uint64_t ocifs_fnv1a_seed(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * OCIFS_FNV1A_PRIME;
	return h;
}

/** FNV-1a 64 of p[0..n). */
static inline uint64_t ocifs_fnv1a(const void *p, size_t n)
{
	return ocifs_fnv1a_seed(OCIFS_FNV1A_INIT, p, n);
}

#define OCIFS_HTAB_NONE UINT32_MAX   /* "no entry" from ocifs_htab_find() */
#define OCIFS_HTAB_MAX (1u << 30)    /* entries a table holds at most */

struct ocifs_htab_slot {
	uint32_t h;             /* 32 bits of the entry's hash (folded) */
	uint32_t i;             /* entry number + 1; 0 empty, UINT32_MAX removed */
};

/* A zeroed struct is an empty table; ocifs_htab_fini() frees it. */
struct ocifs_htab {
	struct ocifs_htab_slot *s;
	size_t cap;             /* 0 or a power of two */
	size_t n;               /* live entries */
	size_t used;            /* live entries + tombstones */
};

/** 1 if entry i of the caller's array is the key ctx describes. Called
 *  only for entries whose stored hash bits equal the key's. */
typedef int (*ocifs_htab_eq)(const void *ctx, uint32_t i);

/** The entry equal to the key (hash h, compared by eq(ctx, i)), or
 *  OCIFS_HTAB_NONE. */
uint32_t ocifs_htab_find(const struct ocifs_htab *t, uint64_t h, ocifs_htab_eq eq,
			 const void *ctx);

/** Add entry i under hash h. With eq, an entry equal to the key already
 *  there is kept instead: 0 and *had (if not NULL) set to it. With eq
 *  NULL the caller knows the key is absent and nothing is compared.
 *  1 when added, 0 when already there, -ENOMEM, or -E2BIG past
 *  OCIFS_HTAB_MAX entries or for i >= OCIFS_HTAB_MAX. */
int ocifs_htab_add(struct ocifs_htab *t, uint64_t h, uint32_t i, ocifs_htab_eq eq,
		   const void *ctx, uint32_t *had);

/** Forget entry i, added under hash h: 0, or -ENOENT if it is not there. */
int ocifs_htab_del(struct ocifs_htab *t, uint64_t h, uint32_t i);

void ocifs_htab_fini(struct ocifs_htab *t);

/* A string -> size_t map; keys (any bytes, NUL-free or not) are copied.
 * Entries are numbered 0..n-1 in the order they were added. A zeroed
 * struct is an empty map; ocifs_strmap_fini() frees it. */
struct ocifs_strmap {
	struct ocifs_htab t;
	struct ocifs_strmap_ent {
		size_t off, len;        /* key: pool[off..off+len), NUL after */
		size_t val;
	} *e;
	size_t n, ecap;
	char *pool;
	size_t plen, pcap;
};

/** Map s[0..len) to val unless it is mapped already; then *old (if not
 *  NULL) gets its value and nothing changes. 1 when added, 0 when
 *  already there, -ENOMEM or -E2BIG. */
int ocifs_strmap_put(struct ocifs_strmap *m, const char *s, size_t len, size_t val,
		     size_t *old);

/** 1 and *val (if not NULL) when s[0..len) is mapped, else 0. */
int ocifs_strmap_get(const struct ocifs_strmap *m, const char *s, size_t len, size_t *val);

/** Key of entry i (< m->n), NUL-terminated; it moves when keys are added. */
static inline const char *ocifs_strmap_key(const struct ocifs_strmap *m, size_t i)
{
	return m->pool + m->e[i].off;
}

void ocifs_strmap_fini(struct ocifs_strmap *m);

#endif
