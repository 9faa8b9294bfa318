/* SPDX-License-Identifier: MIT */
/*
 * The open-addressing index of hashtab.h and the string map built on it.
 *
 * Slots hold 32 bits of the hash (the 64 folded, so that small tables,
 * which look at the low bits only, still see every input byte's high
 * bits) and entry + 1, so a calloc'd array is all empty and large
 * tables come zeroed from the kernel. Probing is linear from hash & mask
 * and stops at an empty slot; a removed entry leaves a tombstone, which
 * adding reuses and growing drops. The load (live + tombstones) stays at
 * most 1/2: at that point the table doubles, or is rebuilt at the same
 * size when most of it is tombstones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"

#define HT_EMPTY 0u
#define HT_TOMB UINT32_MAX
#define HT_MIN_CAP 16

static uint32_t ht_fold(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t ocifs_htab_find(const struct ocifs_htab *t, uint64_t h, ocifs_htab_eq eq,
			 const void *ctx)
{
	uint32_t f = ht_fold(h);
	size_t mask = t->cap - 1;

	if (!t->cap)
		return OCIFS_HTAB_NONE;
	for (size_t j = f & mask;; j = (j + 1) & mask) {
		const struct ocifs_htab_slot *s = &t->s[j];
		if (s->i == HT_EMPTY)
			return OCIFS_HTAB_NONE;
		if (s->h == f && s->i != HT_TOMB && eq(ctx, s->i - 1))
			return s->i - 1;
	}
}

/* Rebuild into cap slots (a power of two holding every live entry at a
 * load of at most 1/2): 0 or -ENOMEM (t unchanged). */
static int ht_resize(struct ocifs_htab *t, size_t cap)
{
	struct ocifs_htab_slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t k = 0; k < t->cap; k++) {
		const struct ocifs_htab_slot *o = &t->s[k];
		if (o->i == HT_EMPTY || o->i == HT_TOMB)
			continue;
		size_t j = o->h & (cap - 1);
		while (s[j].i != HT_EMPTY)
			j = (j + 1) & (cap - 1);
		s[j] = *o;
	}
	free(t->s);
	t->s = s;
	t->cap = cap;
	t->used = t->n;
	return 0;
}

int ocifs_htab_add(struct ocifs_htab *t, uint64_t h, uint32_t i, ocifs_htab_eq eq,
		   const void *ctx, uint32_t *had)
{
	uint32_t f = ht_fold(h);
	size_t mask, j, tomb = SIZE_MAX;
	int rc;

	if (i >= OCIFS_HTAB_MAX || t->n >= OCIFS_HTAB_MAX)
		return -E2BIG;
	if (2 * (t->used + 1) > t->cap) {
		/* double, unless mostly tombstones: then rebuild in place */
		size_t cap = t->cap ? t->cap : HT_MIN_CAP;
		while (3 * (t->n + 1) > cap)
			cap *= 2;
		if ((rc = ht_resize(t, cap)))
			return rc;
	}
	mask = t->cap - 1;
	for (j = f & mask;; j = (j + 1) & mask) {
		const struct ocifs_htab_slot *s = &t->s[j];
		if (s->i == HT_EMPTY)
			break;
		if (s->i == HT_TOMB) {
			if (tomb == SIZE_MAX)
				tomb = j;
			if (!eq) /* nothing to compare: the first free slot */
				break;
		} else if (eq && s->h == f && eq(ctx, s->i - 1)) {
			if (had)
				*had = s->i - 1;
			return 0;
		}
	}
	if (tomb != SIZE_MAX)
		j = tomb;
	else
		t->used++;
	t->s[j].h = f;
	t->s[j].i = i + 1;
	t->n++;
	return 1;
}

int ocifs_htab_del(struct ocifs_htab *t, uint64_t h, uint32_t i)
{
	size_t mask = t->cap - 1;

	if (!t->cap)
		return -ENOENT;
	for (size_t j = ht_fold(h) & mask;; j = (j + 1) & mask) {
		struct ocifs_htab_slot *s = &t->s[j];
		if (s->i == HT_EMPTY)
			return -ENOENT;
		if (s->i != i + 1)
			continue;
		if (t->s[(j + 1) & mask].i == HT_EMPTY) {
			s->i = HT_EMPTY; /* no probe goes on past it */
			t->used--;
		} else {
			s->i = HT_TOMB;
		}
		t->n--;
		return 0;
	}
}

void ocifs_htab_fini(struct ocifs_htab *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* --- the string map ----------------------------------------------------- */

struct sm_key {
	const struct ocifs_strmap *m;
	const char *s;
	size_t len;
};

static int sm_eq(const void *ctx, uint32_t i)
{
	const struct sm_key *k = ctx;
	const struct ocifs_strmap_ent *e = &k->m->e[i];

	return e->len == k->len && memcmp(k->m->pool + e->off, k->s, k->len) == 0;
}

/* Room for one more entry with a len-byte key: 0 or -ENOMEM. */
static int sm_reserve(struct ocifs_strmap *m, size_t len)
{
	if (m->n == m->ecap) {
		size_t cap = m->ecap ? 2 * m->ecap : 16;
		struct ocifs_strmap_ent *e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		m->e = e;
		m->ecap = cap;
	}
	if (len + 1 > m->pcap - m->plen) {
		size_t cap = m->pcap ? 2 * m->pcap : 1024;
		while (len + 1 > cap - m->plen)
			cap *= 2;
		char *p = realloc(m->pool, cap);
		if (!p)
			return -ENOMEM;
		m->pool = p;
		m->pcap = cap;
	}
	return 0;
}

int ocifs_strmap_put(struct ocifs_strmap *m, const char *s, size_t len, size_t val,
		     size_t *old)
{
	struct sm_key k = { m, s, len };
	uint32_t had;
	int rc;

	if (m->n >= OCIFS_HTAB_MAX)
		return -E2BIG;
	if ((rc = sm_reserve(m, len)))
		return rc;
	rc = ocifs_htab_add(&m->t, ocifs_fnv1a(s, len), (uint32_t)m->n, sm_eq, &k, &had);
	if (rc == 0 && old)
		*old = m->e[had].val;
	if (rc != 1)
		return rc;
	m->e[m->n] = (struct ocifs_strmap_ent){ .off = m->plen, .len = len, .val = val };
	if (len)
		memcpy(m->pool + m->plen, s, len);
	m->pool[m->plen + len] = '\0';
	m->plen += len + 1;
	m->n++;
	return 1;
}

int ocifs_strmap_get(const struct ocifs_strmap *m, const char *s, size_t len, size_t *val)
{
	struct sm_key k = { m, s, len };
	uint32_t i = ocifs_htab_find(&m->t, ocifs_fnv1a(s, len), sm_eq, &k);

	if (i == OCIFS_HTAB_NONE)
		return 0;
	if (val)
		*val = m->e[i].val;
	return 1;
}

void ocifs_strmap_fini(struct ocifs_strmap *m)
{
	ocifs_htab_fini(&m->t);
	free(m->e);
	free(m->pool);
	memset(m, 0, sizeof(*m));
}
