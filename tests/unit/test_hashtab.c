/* SPDX-License-Identifier: MIT */
/*
 * src/hashtab.c: FNV-1a against the published vectors; the open-
 * addressing index under chosen hash functions (all distinct, all equal,
 * a few buckets, FNV), each through the same script of adds, repeated
 * adds, lookups, misses, removals and re-adds; growth and tombstone
 * churn; the string map with many keys, prefixes, embedded NULs and "".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "tap.h"

/* --- FNV-1a 64 ------------------------------------------------------------ */

static void test_fnv(void)
{
	static const struct {
		const char *s;
		uint64_t h;
	} v[] = { /* the FNV authors' test vectors */
		{ "", 0xcbf29ce484222325ull },
		{ "a", 0xaf63dc4c8601ec8cull },
		{ "b", 0xaf63df4c8601f1a5ull },
		{ "foobar", 0x85944171f73967e8ull },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ok(ocifs_fnv1a(v[i].s, strlen(v[i].s)) == v[i].h, "fnv1a(\"%s\")", v[i].s);
	ok(ocifs_fnv1a_seed(ocifs_fnv1a("foo", 3), "bar", 3) == ocifs_fnv1a("foobar", 6),
	   "fnv1a continues from a seed");
	ok(ocifs_fnv1a_seed(OCIFS_FNV1A_INIT ^ 7, "x", 1) !=
		   ocifs_fnv1a_seed(OCIFS_FNV1A_INIT ^ 8, "x", 1),
	   "different seeds, different hashes");
}

/* --- the index, table-driven over hash functions ------------------------- */

struct keys {
	const uint64_t *k;      /* entry i has key k[i] */
	uint64_t want;          /* the key being looked for */
	size_t calls;           /* eq() calls */
};

static int key_eq(const void *ctx, uint32_t i)
{
	struct keys *ks = (struct keys *)ctx;

	ks->calls++;
	return ks->k[i] == ks->want;
}

static uint64_t h_distinct(uint64_t k) { return k * 0x9e3779b97f4a7c15ull; }
static uint64_t h_same(uint64_t k) { (void)k; return 42; }
static uint64_t h_three(uint64_t k) { return k % 3; }
static uint64_t h_fnv(uint64_t k) { return ocifs_fnv1a(&k, sizeof(k)); }

static uint32_t find(const struct ocifs_htab *t, struct keys *ks, uint64_t (*hf)(uint64_t),
		     uint64_t key)
{
	ks->want = key;
	return ocifs_htab_find(t, hf(key), key_eq, ks);
}

/* Every live slot is found from its home slot, the load is at most 1/2,
 * and the counts agree with the slots. */
static int table_sane(const struct ocifs_htab *t)
{
	size_t live = 0, used = 0;

	if (t->cap & (t->cap - 1) || 2 * t->used > t->cap)
		return 0;
	for (size_t j = 0; j < t->cap; j++) {
		if (t->s[j].i == 0)
			continue;
		used++;
		if (t->s[j].i == UINT32_MAX)
			continue;
		live++;
		for (size_t k = t->s[j].h & (t->cap - 1); k != j; k = (k + 1) & (t->cap - 1))
			if (t->s[k].i == 0)
				return 0; /* unreachable: an empty slot before it */
	}
	return live == t->n && used == t->used;
}

static void test_index(void)
{
	static const struct {
		const char *name;
		uint64_t (*hf)(uint64_t);
		size_t n;
		int exact;      /* every key's hash distinct: eq() only on hits */
	} cases[] = {
		{ "distinct hashes", h_distinct, 5000, 1 },
		{ "one hash for all", h_same, 300, 0 },
		{ "three buckets", h_three, 600, 0 },
		{ "fnv of the key", h_fnv, 20000, 0 },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].n, bad = 0, miss = 0, dup = 0;
		uint64_t (*hf)(uint64_t) = cases[c].hf;
		uint64_t *k = malloc(n * sizeof(*k));
		struct ocifs_htab t = { 0 };
		struct keys ks = { .k = k };
		uint32_t had;

		if (!k)
			abort();
		for (size_t i = 0; i < n; i++)
			k[i] = 1000 + 7 * i; /* keys 1000, 1007, ...; misses in between */
		is_int(find(&t, &ks, hf, 1000), OCIFS_HTAB_NONE, "%s: empty table finds nothing",
		       cases[c].name);
		for (size_t i = 0; i < n; i++) {
			ks.want = k[i];
			bad += ocifs_htab_add(&t, hf(k[i]), (uint32_t)i, key_eq, &ks, NULL) != 1;
		}
		ok(!bad && t.n == n && table_sane(&t), "%s: %zu keys added (cap %zu)", cases[c].name,
		   n, t.cap);
		for (size_t i = 0; i < n; i++) {
			ks.want = k[i];
			had = OCIFS_HTAB_NONE;
			dup += ocifs_htab_add(&t, hf(k[i]), (uint32_t)(n + i), key_eq, &ks, &had) != 0 ||
			       had != i;
		}
		ok(!dup && t.n == n, "%s: adding a key again keeps the first entry", cases[c].name);
		ks.calls = 0;
		for (size_t i = 0; i < n; i++)
			bad += find(&t, &ks, hf, k[i]) != i;
		ok(!bad, "%s: every key found", cases[c].name);
		if (cases[c].exact)
			is_int(ks.calls, n, "%s: one comparison per lookup", cases[c].name);
		ks.calls = 0;
		for (size_t i = 0; i < n; i++)
			miss += find(&t, &ks, hf, k[i] + 3) != OCIFS_HTAB_NONE;
		ok(!miss, "%s: keys never added are not found", cases[c].name);
		if (cases[c].exact)
			is_int(ks.calls, 0, "%s: a miss compares nothing", cases[c].name);
		for (size_t i = 0; i < n; i += 2)
			bad += ocifs_htab_del(&t, hf(k[i]), (uint32_t)i) != 0;
		is_int(ocifs_htab_del(&t, hf(k[0]), 0), -ENOENT, "%s: removing twice: -ENOENT",
		       cases[c].name);
		for (size_t i = 0; i < n; i++)
			bad += find(&t, &ks, hf, k[i]) != (i % 2 ? i : OCIFS_HTAB_NONE);
		ok(!bad && t.n == n / 2 && table_sane(&t),
		   "%s: half removed, the other half still found", cases[c].name);
		for (size_t i = 0; i < n; i += 2) {
			ks.want = k[i];
			bad += ocifs_htab_add(&t, hf(k[i]), (uint32_t)i, key_eq, &ks, NULL) != 1;
		}
		for (size_t i = 0; i < n; i++)
			bad += find(&t, &ks, hf, k[i]) != i;
		ok(!bad && t.n == n && table_sane(&t), "%s: removed keys added back", cases[c].name);
		ocifs_htab_fini(&t);
		ok(!t.s && !t.cap && !t.n, "%s: fini empties the table", cases[c].name);
		free(k);
	}
}

static void test_index_edges(void)
{
	struct ocifs_htab t = { 0 };
	uint64_t k[64];
	struct keys ks = { .k = k };
	size_t maxcap = 0, bad = 0;

	is_int(ocifs_htab_del(&t, 1, 0), -ENOENT, "removing from an empty table: -ENOENT");
	is_int(ocifs_htab_add(&t, 1, OCIFS_HTAB_MAX, NULL, NULL, NULL), -E2BIG,
	       "an entry number past OCIFS_HTAB_MAX: -E2BIG");
	/* churn: 64 live keys, each removed and added back 2000 times; the
	 * tombstones are dropped in place instead of growing the table */
	for (size_t i = 0; i < 64; i++) {
		k[i] = i;
		bad += ocifs_htab_add(&t, h_fnv(i), (uint32_t)i, NULL, NULL, NULL) != 1;
	}
	for (size_t r = 0; r < 2000; r++)
		for (size_t i = 0; i < 64; i++) {
			bad += ocifs_htab_del(&t, h_fnv(i), (uint32_t)i) != 0;
			bad += ocifs_htab_add(&t, h_fnv(i), (uint32_t)i, NULL, NULL, NULL) != 1;
			if (t.cap > maxcap)
				maxcap = t.cap;
		}
	ok(!bad && t.n == 64 && table_sane(&t), "churn: 128000 removals and re-adds");
	ok(maxcap <= 256, "churn: the table stayed small (cap %zu)", maxcap);
	for (size_t i = 0; i < 64; i++)
		bad += find(&t, &ks, h_fnv, i) != i;
	ok(!bad, "churn: every key still found");
	ocifs_htab_fini(&t);
	/* growth keeps every entry reachable, and the load under 1/2 */
	for (size_t i = 0; i < 64; i++)
		k[i] = i;
	for (size_t i = 0; i < 64; i++) {
		ks.want = k[i];
		bad += ocifs_htab_add(&t, h_same(k[i]), (uint32_t)i, key_eq, &ks, NULL) != 1;
		bad += !table_sane(&t);
		for (size_t j = 0; j <= i; j++)
			bad += find(&t, &ks, h_same, k[j]) != j;
	}
	ok(!bad && t.cap >= 128, "growth: all found after every add (cap %zu)", t.cap);
	ocifs_htab_fini(&t);
}

/* --- the string map ------------------------------------------------------ */

static void test_strmap(void)
{
	static const struct {
		const char *s;
		size_t len;
	} odd[] = {
		{ "", 0 }, { "a", 1 }, { "ab", 2 }, { "abc", 3 }, { "a\0b", 3 }, { "a\0c", 3 },
		{ "/usr/lib", 8 }, { "/usr/lib/", 9 }, { "/usr/lib64", 10 },
	};
	struct ocifs_strmap m = { 0 };
	size_t n = sizeof(odd) / sizeof(odd[0]), v, bad = 0;
	char buf[64];

	ok(!ocifs_strmap_get(&m, "x", 1, &v), "empty map: no key");
	for (size_t i = 0; i < n; i++)
		bad += ocifs_strmap_put(&m, odd[i].s, odd[i].len, 100 + i, NULL) != 1;
	ok(!bad && m.n == n, "prefixes, NULs and \"\" are distinct keys");
	for (size_t i = 0; i < n; i++)
		bad += !ocifs_strmap_get(&m, odd[i].s, odd[i].len, &v) || v != 100 + i ||
		       memcmp(ocifs_strmap_key(&m, i), odd[i].s, odd[i].len) ||
		       ocifs_strmap_key(&m, i)[odd[i].len];
	ok(!bad, "each found with its value and key");
	v = 0;
	is_int(ocifs_strmap_put(&m, "ab", 2, 7, &v), 0, "put of a present key: 0");
	is_int(v, 102, "... reports the value it keeps");
	ok(ocifs_strmap_get(&m, "ab", 2, &v) && v == 102, "... and does not change it");
	ok(!ocifs_strmap_get(&m, "abcd", 3 + 1, NULL) && !ocifs_strmap_get(&m, "a\0d", 3, NULL) &&
		   !ocifs_strmap_get(&m, "/usr", 4, NULL),
	   "near misses are not found");
	ocifs_strmap_fini(&m);

	/* many keys: 200000 paths, found, in order, and misses */
	enum { MANY = 200000 };
	for (size_t i = 0; i < MANY; i++) {
		int l = snprintf(buf, sizeof(buf), "usr/share/d%03zu/file-%06zu", i % 997, i);
		bad += ocifs_strmap_put(&m, buf, (size_t)l, i, NULL) != 1;
	}
	ok(!bad && m.n == MANY, "%d keys added", MANY);
	for (size_t i = 0; i < MANY; i++) {
		int l = snprintf(buf, sizeof(buf), "usr/share/d%03zu/file-%06zu", i % 997, i);
		bad += !ocifs_strmap_get(&m, buf, (size_t)l, &v) || v != i ||
		       strcmp(ocifs_strmap_key(&m, i), buf);
		l = snprintf(buf, sizeof(buf), "usr/share/d%03zu/file-%06zu", (i + 1) % 997, i);
		bad += ocifs_strmap_get(&m, buf, (size_t)l, NULL);
	}
	ok(!bad, "all found in insertion order; their neighbours are not");
	ok(table_sane(&m.t), "the index under the map is sane (cap %zu)", m.t.cap);
	ocifs_strmap_fini(&m);
	ok(!m.e && !m.pool && !m.n, "fini empties the map");
}

int main(void)
{
	test_fnv();
	test_index();
	test_index_edges();
	test_strmap();
	return done_testing();
}
