/* SPDX-License-Identifier: MIT */
/*
 * The resolver's shared knowledge of the image's files (see ldso_priv.h):
 * path -> what the tree said (missing, a directory, a loop...) and, for
 * files, their analysis, kept once per file identity. Lookups and inserts
 * under one mutex; analysis (the I/O) outside it, so threads only wait
 * for each other on a table probe. The tables are capped: past the cap a
 * resolution keeps its new analyses to itself. Also the per-resolution
 * notes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "ldso_priv.h"

#define MAX_CACHED (1u << 18)      /* paths (and files) kept in the shared cache */

/* --- the shared cache: path -> what it is ------------------------------ */

static uint64_t str_hash(const char *s)
{
	return ocifs_fnv1a(s, strlen(s));
}

static uint64_t id_hash(uint64_t id)
{
	return ocifs_fnv1a(&id, sizeof(id));
}

static int pent_eq(const void *elem, const void *key)
{
	return !strcmp(((const struct ldso_pent *)elem)->path, key);
}

static int ana_eq(const void *elem, const void *key)
{
	return ((const struct ldso_ana *)elem)->id == *(const uint64_t *)key;
}

struct tab_key {
	const struct ldso_tab *t;
	int (*eq)(const void *elem, const void *key);
	const void *key;
};

static int tab_eq(const void *ctx, uint32_t i)
{
	const struct tab_key *k = ctx;
	return k->eq(k->t->v[i], k->key);
}

/* The element equal to key (hashed h), or NULL. */
static void *tab_get(const struct ldso_tab *t, uint64_t h,
		     int (*eq)(const void *elem, const void *key), const void *key)
{
	struct tab_key k = { t, eq, key };
	uint32_t i = ocifs_htab_find(&t->ix, h, tab_eq, &k);

	return i == OCIFS_HTAB_NONE ? NULL : t->v[i];
}

/* Keep elem (whose key, hashed h, tab_get found absent): 0, -ENOSPC at
 * the cap, -ENOMEM (then the caller still owns elem). */
static int tab_add(struct ldso_tab *t, uint64_t h, void *elem)
{
	int rc;

	if (t->n >= MAX_CACHED)
		return -ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		void **v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	if ((rc = ocifs_htab_add(&t->ix, h, (uint32_t)t->n, NULL, NULL, NULL)) < 0)
		return rc;
	t->v[t->n++] = elem;
	return 0;
}

void ocifs_ldso_tab_fini(struct ldso_tab *t, void (*free_elem)(void *elem))
{
	for (size_t i = 0; i < t->n; i++)
		free_elem(t->v[i]);
	free(t->v);
	ocifs_htab_fini(&t->ix);
	memset(t, 0, sizeof(*t));
}

void ocifs_ldso_ana_free(struct ldso_ana *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nneeded; i++)
		free(a->needed[i]);
	free(a->needed);
	free(a->soname);
	free(a->rpath);
	free(a->runpath);
	free(a);
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = 1;
	return d;
}

int ocifs_ldso_ana_from_elf(const struct ocifs_elf *e, uint64_t id, struct ldso_ana **out)
{
	struct ldso_ana *a = calloc(1, sizeof(*a));
	int oom = 0;

	if (!a)
		return -ENOMEM;
	a->id = id;
	a->cls = e->cls;
	a->data = e->data;
	a->machine = e->machine;
	a->type = e->type;
	a->flags_1 = e->flags_1;
	a->soname = dup_or_null(e->soname, &oom);
	a->rpath = dup_or_null(e->rpath, &oom);
	a->runpath = dup_or_null(e->runpath, &oom);
	if (e->nneeded && !(a->needed = calloc(e->nneeded, sizeof(*a->needed))))
		oom = 1;
	for (size_t i = 0; !oom && i < e->nneeded; i++, a->nneeded++)
		if (!(a->needed[i] = strdup(e->needed[i])))
			oom = 1;
	if (oom) {
		ocifs_ldso_ana_free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

/* Keep path -> (err, *a) in the cache; when fresh, *a (just built, owned
 * by the caller) also under its id, and *a becomes the cached copy if
 * another thread was first. A fresh *a the cache cannot hold goes to r's
 * orphans (freed with the run). 0 or -ENOMEM (*a freed). */
int ocifs_ldso_publish(struct ldso_run *r, const char *path, int err, struct ldso_ana **a, int fresh)
{
	struct ocifs_ldso *l = r->l;
	struct ldso_pent *pe = NULL;
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	if (*a && fresh) {
		struct ldso_ana *had = tab_get(&l->at, id_hash((*a)->id), ana_eq, &(*a)->id);
		if (had) {
			ocifs_ldso_ana_free(*a);
			*a = had;
		} else if ((rc = tab_add(&l->at, id_hash((*a)->id), *a)) == -ENOSPC) {
			rc = ocifs_ldso_orphan(r, *a);
		}
		if (rc) {
			if (rc == -ENOMEM)
				ocifs_ldso_ana_free(*a);
			*a = NULL;
			goto out;
		}
	}
	if (l->pt.n < MAX_CACHED && !tab_get(&l->pt, str_hash(path), pent_eq, path)) {
		/* a failed insert here only costs a later re-probe */
		if ((pe = malloc(sizeof(*pe))) && (pe->path = strdup(path))) {
			pe->err = err;
			pe->a = *a;
			if (tab_add(&l->pt, str_hash(path), pe)) {
				free(pe->path);
				free(pe);
			}
		} else {
			free(pe);
		}
	}
out:
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int ocifs_ldso_probe(struct ldso_run *r, const char *path, const struct ldso_ana **out)
{
	struct ocifs_ldso *l = r->l;
	const struct ocifs_tree *t = l->t;
	struct ocifs_tree_file f;
	struct ocifs_elf e;
	struct ldso_pent *pe;
	struct ldso_ana *a = NULL;
	uint64_t id;
	int rc;

	*out = NULL;
	if (!r->stopped && l->stop)
		r->stopped = l->stop(l->stop_ctx);
	if (r->stopped || r->image_spent || ++r->probes > LDSO_MAX_PROBES)
		return -E2BIG; /* every search ends at once, as when out of budget */
	if (l->image_probes && atomic_fetch_add(&l->probes, 1) >= l->image_probes) {
		r->image_spent = 1;
		return -E2BIG;
	}
	pthread_mutex_lock(&l->mu);
	pe = tab_get(&l->pt, str_hash(path), pent_eq, path);
	pthread_mutex_unlock(&l->mu);
	if (pe) {
		*out = pe->a;
		return pe->err;
	}
	rc = t->open_file(t->ctx, path, &f);
	if (rc == -ENOMEM)
		return rc;
	if (rc == 0) {
		id = f.id;
		pthread_mutex_lock(&l->mu);
		a = tab_get(&l->at, id_hash(id), ana_eq, &id);
		pthread_mutex_unlock(&l->mu);
		if (a) {
			t->close_file(t->ctx, &f);
			rc = ocifs_ldso_publish(r, path, 0, &a, 0);
			*out = a;
			return rc;
		}
		rc = ocifs_elf_analyze(&f.rd, &e);
		t->close_file(t->ctx, &f);
		if (rc == -ENOMEM) {
			ocifs_elf_fini(&e);
			return rc;
		}
		if (rc == 0) {
			rc = ocifs_ldso_ana_from_elf(&e, id, &a);
		} else if ((a = calloc(1, sizeof(*a)))) {
			a->id = id; /* not ELF (-EINVAL) or unreadable */
			a->bad = rc == -EINVAL ? -ENOEXEC : rc;
			rc = 0;
		} else {
			rc = -ENOMEM;
		}
		ocifs_elf_fini(&e);
		if (rc)
			return rc;
	}
	if (ocifs_ldso_publish(r, path, rc, &a, 1))
		return -ENOMEM;
	*out = a;
	return rc;
}

int ocifs_ldso_orphan(struct ldso_run *r, struct ldso_ana *a)
{
	struct ldso_ana **v = realloc(r->orphans, (r->norphans + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->orphans = v;
	v[r->norphans++] = a;
	return 0;
}

/* --- the run's index of loaded objects ---------------------------------- */

static uint64_t idx_hash(const char *s, uint64_t id)
{
	return s ? str_hash(s) : id_hash(id) ^ 0x9e3779b97f4a7c15ull;
}

struct idx_key {
	const struct ldso_idx *x;
	const char *s;
	uint64_t id;
};

static int idx_eq(const void *ctx, uint32_t i)
{
	const struct idx_key *k = ctx;
	const char *ks = k->x->k[i];

	return k->s ? ks && !strcmp(ks, k->s) : !ks && k->x->id[i] == k->id;
}

size_t ocifs_ldso_idx_get(const struct ldso_idx *x, const char *s, uint64_t id)
{
	struct idx_key k = { x, s, id };
	uint32_t i = ocifs_htab_find(&x->ix, idx_hash(s, id), idx_eq, &k);

	return i == OCIFS_HTAB_NONE ? LDSO_NONE : x->v[i];
}

int ocifs_ldso_idx_put(struct ldso_idx *x, const char *s, uint64_t id, size_t obj)
{
	struct idx_key k = { x, s, id };
	uint32_t had;
	int rc;

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		const char **nk = realloc(x->k, cap * sizeof(*nk));
		if (nk)
			x->k = nk;
		uint64_t *nid = nk ? realloc(x->id, cap * sizeof(*nid)) : NULL;
		if (nid)
			x->id = nid;
		size_t *nv = nid ? realloc(x->v, cap * sizeof(*nv)) : NULL;
		if (!nv)
			return -ENOMEM;
		x->v = nv;
		x->cap = cap;
	}
	rc = ocifs_htab_add(&x->ix, idx_hash(s, id), (uint32_t)x->n, idx_eq, &k, &had);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (obj < x->v[had])
			x->v[had] = obj;
		return 0;
	}
	x->k[x->n] = s, x->id[x->n] = id, x->v[x->n] = obj;
	x->n++;
	return 0;
}

void ocifs_ldso_idx_fini(struct ldso_idx *x)
{
	ocifs_htab_fini(&x->ix);
	free(x->k), free(x->id), free(x->v);
	memset(x, 0, sizeof(*x));
}

/* --- notes ------------------------------------------------------------ */

void ocifs_ldso_note(struct ldso_run *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r->note_oom || r->note_full || (r->note && strstr(r->note, buf)))
		return; /* each fact once */
	n = strlen(buf);
	if (r->notelen + n + 2 > LDSO_MAX_NOTE) {
		strcpy(buf, "(more notes cut)");
		n = strlen(buf);
		r->note_full = 1;
	}
	char *p = realloc(r->note, r->notelen + n + 3);
	if (!p) {
		r->note_oom = 1; /* notes are best effort; resolution goes on */
		return;
	}
	r->note = p;
	if (r->notelen) {
		memcpy(p + r->notelen, "; ", 2);
		r->notelen += 2;
	}
	memcpy(p + r->notelen, buf, n + 1);
	r->notelen += n;
}

int ocifs_ldso_is_dir(struct ldso_run *r, const char *path)
{
	const struct ldso_ana *a;
	return ocifs_ldso_probe(r, path, &a) == -EISDIR;
}

