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

#include "ldso_priv.h"

#define MAX_CACHED (1u << 18)      /* paths (and files) kept in the shared cache */

/* --- the shared cache: path -> what it is ------------------------------ */

uint64_t ldso_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *s++) * 1099511628211ull;
	return h;
}

static uint64_t pent_hash(const void *x)
{
	const struct ldso_pent *p = x;
	return ldso_hash(p->path, strlen(p->path));
}

static uint64_t ana_hash(const void *x)
{
	const struct ldso_ana *a = x;
	return ldso_hash(&a->id, sizeof(a->id));
}

static int pent_eq(const void *elem, const void *key)
{
	return !strcmp(((const struct ldso_pent *)elem)->path, key);
}

static int ana_eq(const void *elem, const void *key)
{
	return ((const struct ldso_ana *)elem)->id == *(const uint64_t *)key;
}

/* The slot of key: its element, or the empty slot where it would go. */
static void **tab_slot(struct ldso_tab *t, uint64_t h, int (*eq)(const void *, const void *),
		       const void *key)
{
	size_t i = (size_t)h & (t->cap - 1);

	while (t->v[i] && !eq(t->v[i], key))
		i = (i + 1) & (t->cap - 1);
	return &t->v[i];
}

/* Room for one more element (load <= 1/2): 0, -ENOSPC at the cap, -ENOMEM. */
static int tab_reserve(struct ldso_tab *t, uint64_t (*hash)(const void *))
{
	size_t cap;
	void **v;

	if (t->n >= MAX_CACHED)
		return -ENOSPC;
	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	cap = t->cap * 2;
	if (!(v = calloc(cap, sizeof(*v))))
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->v[i])
			continue;
		size_t j = (size_t)hash(t->v[i]) & (cap - 1);
		while (v[j])
			j = (j + 1) & (cap - 1);
		v[j] = t->v[i];
	}
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}

void ldso_ana_free(struct ldso_ana *a)
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

int ldso_ana_from_elf(const struct ocifs_elf *e, uint64_t id, struct ldso_ana **out)
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
		ldso_ana_free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

/* Keep path -> (err, *a) in the cache; when fresh, *a (just built, owned
 * by the caller) also under its id, and *a becomes the cached copy if
 * another thread was first. A fresh *a the cache cannot hold goes to r's
 * orphans (freed with the run). 0 or -ENOMEM (*a freed). */
int ldso_publish(struct ldso_run *r, const char *path, int err, struct ldso_ana **a, int fresh)
{
	struct ocifs_ldso *l = r->l;
	struct ldso_pent *pe = NULL;
	void **s;
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	if (*a && fresh) {
		s = tab_slot(&l->at, ana_hash(*a), ana_eq, &(*a)->id);
		if (*s) {
			ldso_ana_free(*a);
			*a = *s;
		} else if ((rc = tab_reserve(&l->at, ana_hash)) == 0) {
			*tab_slot(&l->at, ana_hash(*a), ana_eq, &(*a)->id) = *a;
			l->at.n++;
		} else if (rc == -ENOSPC) {
			rc = ldso_orphan(r, *a);
		}
		if (rc) {
			if (rc == -ENOMEM)
				ldso_ana_free(*a);
			*a = NULL;
			goto out;
		}
	}
	if (tab_reserve(&l->pt, pent_hash) == 0 && !*(s = tab_slot(&l->pt, ldso_hash(path, strlen(path)),
								 pent_eq, path))) {
		/* a failed insert here only costs a later re-probe */
		if ((pe = malloc(sizeof(*pe))) && (pe->path = strdup(path))) {
			pe->err = err;
			pe->a = *a;
			*s = pe;
			l->pt.n++;
		} else {
			free(pe);
		}
	}
out:
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int ldso_probe(struct ldso_run *r, const char *path, const struct ldso_ana **out)
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
	pe = *tab_slot(&l->pt, ldso_hash(path, strlen(path)), pent_eq, path);
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
		a = *tab_slot(&l->at, ldso_hash(&id, sizeof(id)), ana_eq, &id);
		pthread_mutex_unlock(&l->mu);
		if (a) {
			t->close_file(t->ctx, &f);
			rc = ldso_publish(r, path, 0, &a, 0);
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
			rc = ldso_ana_from_elf(&e, id, &a);
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
	if (ldso_publish(r, path, rc, &a, 1))
		return -ENOMEM;
	*out = a;
	return rc;
}

int ldso_orphan(struct ldso_run *r, struct ldso_ana *a)
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
	uint64_t h = s ? ldso_hash(s, strlen(s)) : ldso_hash(&id, sizeof(id)) ^ 0x9e3779b97f4a7c15ull;

	return h ? h : 1;
}

static size_t idx_slot(const struct ldso_idx *x, uint64_t h, const char *s, uint64_t id)
{
	size_t i = (size_t)h & (x->cap - 1);

	while (x->h[i] && (x->h[i] != h || (s ? !x->k[i] || strcmp(x->k[i], s) : x->k[i] ||
					    x->id[i] != id)))
		i = (i + 1) & (x->cap - 1);
	return i;
}

size_t ldso_idx_get(const struct ldso_idx *x, const char *s, uint64_t id)
{
	size_t i;

	if (!x->cap)
		return LDSO_NONE;
	i = idx_slot(x, idx_hash(s, id), s, id);
	return x->h[i] ? x->v[i] : LDSO_NONE;
}

int ldso_idx_put(struct ldso_idx *x, const char *s, uint64_t id, size_t obj)
{
	uint64_t h = idx_hash(s, id);
	size_t i;

	if (2 * (x->n + 1) > x->cap) {
		struct ldso_idx nx = { .cap = x->cap ? 2 * x->cap : 64 };
		nx.h = calloc(nx.cap, sizeof(*nx.h));
		nx.k = calloc(nx.cap, sizeof(*nx.k));
		nx.id = calloc(nx.cap, sizeof(*nx.id));
		nx.v = calloc(nx.cap, sizeof(*nx.v));
		if (!nx.h || !nx.k || !nx.id || !nx.v) {
			free(nx.h), free(nx.k), free(nx.id), free(nx.v);
			return -ENOMEM;
		}
		for (size_t j = 0; j < x->cap; j++) {
			if (!x->h[j])
				continue;
			i = idx_slot(&nx, x->h[j], x->k[j], x->id[j]);
			nx.h[i] = x->h[j], nx.k[i] = x->k[j], nx.id[i] = x->id[j], nx.v[i] = x->v[j];
		}
		nx.n = x->n;
		free(x->h), free(x->k), free(x->id), free(x->v);
		*x = nx;
	}
	i = idx_slot(x, h, s, id);
	if (x->h[i]) {
		if (obj < x->v[i])
			x->v[i] = obj;
		return 0;
	}
	x->h[i] = h, x->k[i] = s, x->id[i] = id, x->v[i] = obj;
	x->n++;
	return 0;
}

void ldso_idx_fini(struct ldso_idx *x)
{
	free(x->h), free(x->k), free(x->id), free(x->v);
	memset(x, 0, sizeof(*x));
}

/* --- notes ------------------------------------------------------------ */

void ldso_note(struct ldso_run *r, const char *fmt, ...)
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

int ldso_is_dir(struct ldso_run *r, const char *path)
{
	const struct ldso_ana *a;
	return ldso_probe(r, path, &a) == -EISDIR;
}

