/* SPDX-License-Identifier: MIT */
/*
 * Library resolution as ld.so does it, inside the image (see ldso.h).
 * Learned from glibc 2.36 elf/dl-load.c (_dl_map_object, open_path,
 * open_verify, fillin_rpath, _dl_dst_substitute), elf/dl-cache.c
 * (search_cache), elf/dl-hwcaps.c, and musl ldso/dynlink.c
 * (load_library, path_open, fixup_rpath). Each resolution replays the
 * loader's breadth-first walk over a private list of loaded objects;
 * what a path in the image is (missing, a directory, its ELF header and
 * dynamic section) is cached in the shared struct ocifs_ldso, so an
 * image's thousand ELF files cost a few thousand header reads in all.
 * Every walk is bounded: objects, files tried, directories per list,
 * name lengths, note size.
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldcache.h"
#include "ldconf.h"
#include "ldso.h"
#include "ldso_priv.h"

#define MAX_CACHE_FILE (64u << 20) /* ld.so.cache bytes we read */
#define MAX_MUSL_PATH (1u << 20)   /* /etc/ld-musl-*.path bytes */

/* --- machine facts ---------------------------------------------------- */

/* glibc's multiarch triplet (Debian's lib/TRIPLET), or NULL. */
static const char *triplet(unsigned m, int cls, int data)
{
	switch (m) {
	case EM_X86_64: return cls == 64 ? "x86_64-linux-gnu" : NULL;
	case EM_386: return "i386-linux-gnu";
	case EM_AARCH64: return data == ELFDATA2LSB ? "aarch64-linux-gnu" : NULL;
	case EM_ARM: return "arm-linux-gnueabihf";
	case EM_PPC64: return data == ELFDATA2LSB ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu";
	case EM_S390: return cls == 64 ? "s390x-linux-gnu" : NULL;
	case EM_RISCV: return cls == 64 ? "riscv64-linux-gnu" : NULL;
	default: return NULL;
	}
}

/* The kernel's AT_PLATFORM (glibc's $PLATFORM), or NULL when unknown. */
static const char *default_platform(unsigned m, int cls, int data)
{
	switch (m) {
	case EM_X86_64: return cls == 64 ? "x86_64" : NULL;
	case EM_386: return "i686";
	case EM_AARCH64: return data == ELFDATA2LSB ? "aarch64" : "aarch64_be";
	case EM_ARM: return "v7l";
	case EM_PPC64: return "power8";
	case EM_S390: return "z13";
	default: return NULL;
	}
}

/* The loader a shared library is handed to when analyzed on its own
 * (ldd's RTLDLIST / musl's ld-musl-ARCH.so.1). */
static const char *default_interp(int musl, unsigned m, int cls, int data)
{
	if (musl) {
		switch (m) {
		case EM_X86_64: return "/lib/ld-musl-x86_64.so.1";
		case EM_386: return "/lib/ld-musl-i386.so.1";
		case EM_AARCH64: return "/lib/ld-musl-aarch64.so.1";
		case EM_ARM: return "/lib/ld-musl-armhf.so.1";
		case EM_PPC64: return "/lib/ld-musl-powerpc64le.so.1";
		case EM_S390: return "/lib/ld-musl-s390x.so.1";
		case EM_RISCV: return "/lib/ld-musl-riscv64.so.1";
		default: return NULL;
		}
	}
	switch (m) {
	case EM_X86_64: return cls == 64 ? "/lib64/ld-linux-x86-64.so.2" : "/libx32/ld-linux-x32.so.2";
	case EM_386: return "/lib/ld-linux.so.2";
	case EM_AARCH64: return "/lib/ld-linux-aarch64.so.1";
	case EM_ARM: return "/lib/ld-linux-armhf.so.3";
	case EM_PPC64: return data == ELFDATA2LSB ? "/lib64/ld64.so.2" : "/lib64/ld64.so.1";
	case EM_S390: return cls == 64 ? "/lib/ld64.so.1" : "/lib/ld.so.1";
	case EM_RISCV: return "/lib/ld-linux-riscv64-lp64d.so.1";
	default: return NULL;
	}
}

/* musl's LDSO_ARCH from a loader name ld-musl-ARCH.so.1: 1, or 0. */
static int musl_arch_of(const char *interp, char *out, size_t cap)
{
	const char *b = interp ? strrchr(interp, '/') : NULL;
	const char *s;

	b = b ? b + 1 : interp;
	if (!b || strncmp(b, "ld-musl-", 8) || !(s = strstr(b + 8, ".so")))
		return 0;
	snprintf(out, cap, "%.*s", (int)(s - b - 8), b + 8);
	return 1;
}

/* musl's LDSO_ARCH: from the interpreter's name, else the machine's. */
static void musl_arch(const char *interp, unsigned m, char *out, size_t cap)
{
	if (!musl_arch_of(interp, out, cap) &&
	    !musl_arch_of(default_interp(1, m, 64, ELFDATA2LSB), out, cap))
		snprintf(out, cap, "%s", ocifs_elf_machine_name(m));
}

/* --- setup ------------------------------------------------------------ */

static int musl_file_cb(void *ctx, const char *name)
{
	struct ocifs_ldso *l = ctx;
	size_t n = strlen(name);
	char path[512];
	char *buf = NULL;
	size_t len;
	int rc;

	if (n < 14 || strncmp(name, "ld-musl-", 8) || strcmp(name + n - 5, ".path") ||
	    n >= sizeof(path) - 6 || l->nmusl == LDSO_MAX_MUSL)
		return 0;
	snprintf(path, sizeof(path), "/etc/%s", name);
	rc = l->t->read_file(l->t->ctx, path, MAX_MUSL_PATH, &buf, &len);
	if (rc == -ENOMEM)
		return rc;
	struct ldso_musl *m = &l->musl[l->nmusl];
	snprintf(m->arch, sizeof(m->arch), "%.*s", (int)(n - 13), name + 8);
	m->rc = rc;
	m->text = buf;
	l->nmusl++;
	return 0;
}

int ocifs_ldso_new(const struct ocifs_tree *t, const struct ocifs_ldso_opts *o,
		   struct ocifs_ldso **out)
{
	struct ocifs_ldso *l = calloc(1, sizeof(*l));
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->t = t;
	pthread_mutex_init(&l->mu, NULL);
	rc = -ENOMEM;
	if (o && o->ld_library_path && !(l->llp = strdup(o->ld_library_path)))
		goto err;
	if (o && o->platform && !(l->platform = strdup(o->platform)))
		goto err;
	l->level = o ? o->hwcaps_level : 0;
	if (o) {
		l->stop = o->stop;
		l->stop_ctx = o->stop_ctx;
		l->image_probes = o->image_probes;
	}
	atomic_init(&l->probes, 0);
	l->cache_rc = t->read_file(t->ctx, "/etc/ld.so.cache", MAX_CACHE_FILE, &buf, &len);
	if (l->cache_rc == -ENOMEM)
		goto err;
	if (l->cache_rc == 0) {
		l->cache_rc = ocifs_ldcache_parse(buf, len, &l->cache);
		free(buf);
		if (l->cache_rc == -ENOMEM)
			goto err;
	}
	if ((rc = ocifs_ldconf_parse(t, "/etc/ld.so.conf", &l->conf)) != 0)
		goto err;
	rc = t->list_dir(t->ctx, "/etc", musl_file_cb, l);
	if (rc == -ENOMEM)
		goto err;
	*out = l;
	return 0;
err:
	ocifs_ldso_free(l);
	return -ENOMEM;
}

static void pent_free(void *elem)
{
	struct ldso_pent *p = elem;

	free(p->path);
	free(p);
}

static void ana_free(void *elem)
{
	ocifs_ldso_ana_free(elem);
}

void ocifs_ldso_free(struct ocifs_ldso *l)
{
	if (!l)
		return;
	ocifs_ldso_tab_fini(&l->pt, pent_free);
	ocifs_ldso_tab_fini(&l->at, ana_free);
	for (size_t i = 0; i < l->nmusl; i++)
		free(l->musl[i].text);
	ocifs_ldcache_fini(&l->cache);
	ocifs_ldconf_fini(&l->conf);
	free(l->llp);
	free(l->platform);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* --- a resolution ----------------------------------------------------- */

/* $LIB, the default directories and the hwcaps subdirectories. */
static int run_layout(struct ldso_run *r)
{
	const char *tr = triplet(r->machine, r->cls, r->data);
	const char *d1 = "lib", *hw = NULL;
	char buf[128];
	int extra = 1, n = 0;

	if (tr) {
		snprintf(buf, sizeof(buf), "/lib/%s", tr);
		char b2[128];
		snprintf(b2, sizeof(b2), "/usr/lib/%s", tr);
		if (ocifs_ldso_is_dir(r, buf) || ocifs_ldso_is_dir(r, b2))
			d1 = NULL;
	}
	if (d1 && r->machine == EM_386 && ocifs_ldso_is_dir(r, "/lib32"))
		d1 = "lib32";
	else if (d1 && r->cls == 64) {
		const struct ldso_ana *a;
		if (ocifs_ldso_probe(r, "/lib64/libc.so.6", &a) == 0 ||
		    ocifs_ldso_probe(r, "/usr/lib64/libc.so.6", &a) == 0) {
			d1 = "lib64";
			extra = 0;
		}
	}
	if (!d1)
		snprintf(r->libdir, sizeof(r->libdir), "lib/%s", tr);
	else
		snprintf(r->libdir, sizeof(r->libdir), "%s", d1);
	if (strcmp(r->libdir, "lib")) {
		snprintf(r->sysdirs[n++], sizeof(r->sysdirs[0]), "/%s/", r->libdir);
		snprintf(r->sysdirs[n++], sizeof(r->sysdirs[0]), "/usr/%s/", r->libdir);
	}
	if (extra || !strcmp(r->libdir, "lib")) {
		snprintf(r->sysdirs[n++], sizeof(r->sysdirs[0]), "/lib/");
		snprintf(r->sysdirs[n++], sizeof(r->sysdirs[0]), "/usr/lib/");
	}
	r->nsys = (size_t)n;

	/* glibc-hwcaps subdirectories first (highest level first), then the
	 * legacy combinations of tls, $PLATFORM and the hwcap names, most
	 * specific first, then the directory itself (dl-hwcaps.c). */
	if (r->machine == EM_X86_64 && r->cls == 64)
		for (unsigned v = 4; v >= 2; v--)
			if (r->l->level >= v && asprintf(&r->sub[r->nsub++],
							 "glibc-hwcaps/x86-64-v%u/", v) < 0)
				return -ENOMEM;
	if (r->machine == EM_X86_64 && r->cls == 64)
		hw = "x86_64";
	else if (r->machine == EM_386)
		hw = "sse2";
	const char *items[3];
	unsigned ni = 0;
	items[ni++] = "tls";
	if (r->platform)
		items[ni++] = r->platform;
	if (hw)
		items[ni++] = hw;
	for (unsigned m = (1u << ni) - 1;; m--) {
		char s[256] = "";
		for (unsigned i = 0; i < ni; i++)
			if (m & (1u << (ni - 1 - i)) && strlen(s) + strlen(items[i]) + 2 < sizeof(s)) {
				strcat(s, items[i]);
				strcat(s, "/");
			}
		if (!(r->sub[r->nsub] = strdup(s)))
			return -ENOMEM;
		r->nsub++;
		if (m == 0)
			break;
	}
	return 0;
}

static void run_fini(struct ldso_run *r)
{
	for (size_t i = 0; i < r->nobjs; i++) {
		struct ldso_obj *o = &r->objs[i];
		free(o->path);
		free(o->origin);
		for (size_t k = 0; k < o->nnames; k++)
			free(o->names[k]);
		free(o->names);
		ocifs_ldso_dirs_fini(&o->rpath);
		ocifs_ldso_dirs_fini(&o->runpath);
	}
	free(r->objs);
	ocifs_ldso_dirs_fini(&r->llp);
	ocifs_ldso_idx_fini(&r->by_name);
	ocifs_ldso_idx_fini(&r->by_short);
	ocifs_ldso_idx_fini(&r->by_id);
	for (size_t i = 0; i < r->nsub; i++)
		free(r->sub[i]);
	for (size_t i = 0; i < r->norphans; i++)
		ocifs_ldso_ana_free(r->orphans[i]);
	free(r->orphans);
	free(r->musl_sys);
	free(r->note);
}

int ocifs_ldso_obj_add(struct ldso_run *r, char *path, const struct ldso_ana *a, size_t loader,
		       const char *name, size_t *idx)
{
	struct ldso_obj *o;

	if (r->nobjs == r->capobjs) {
		size_t cap = r->capobjs ? r->capobjs * 2 : 16;
		struct ldso_obj *v = realloc(r->objs, cap * sizeof(*v));
		if (!v)
			goto oom;
		r->objs = v;
		r->capobjs = cap;
	}
	o = &r->objs[r->nobjs];
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->a = a;
	o->loader = loader;
	o->lib = LDSO_NONE;
	o->depth = loader == LDSO_NONE ? 0 : r->objs[loader].depth + 1;
	*idx = r->nobjs++;
	/* from here on the object owns path (freed with the run) */
	if (ocifs_ldso_idx_put(&r->by_name, path, 0, *idx) ||
	    (a && a->soname && ocifs_ldso_idx_put(&r->by_name, a->soname, 0, *idx)) ||
	    (a && ocifs_ldso_idx_put(&r->by_id, NULL, a->id, *idx)) ||
	    (name && ocifs_ldso_obj_name(r, *idx, name)))
		return -ENOMEM;
	return 0;
oom:
	free(path);
	return -ENOMEM;
}

int ocifs_ldso_obj_name(struct ldso_run *r, size_t idx, const char *name)
{
	struct ldso_obj *o = &r->objs[idx];
	char **v;

	for (size_t i = 0; i < o->nnames; i++)
		if (!strcmp(o->names[i], name))
			return 0;
	if (o->nnames >= 64)
		return 0; /* enough names to match by */
	if (!(v = realloc(o->names, (o->nnames + 1) * sizeof(*v))))
		return -ENOMEM;
	o->names = v;
	if (!(v[o->nnames] = strdup(name)))
		return -ENOMEM;
	o->nnames++;
	if (ocifs_ldso_idx_put(&r->by_name, v[o->nnames - 1], 0, idx) ||
	    (o->nnames == 1 && ocifs_ldso_idx_put(&r->by_short, v[0], 0, idx)))
		return -ENOMEM;
	return 0;
}

static int lib_push(struct ocifs_ldso_lib **v, size_t *n, const char *name, const char *path,
		    const char *rule, size_t needed_by, unsigned depth)
{
	struct ocifs_ldso_lib *x = *v;

	if (!(*n & (*n - 1))) /* capacity: the next power of two */
		x = realloc(*v, (*n ? 2 * *n : 1) * sizeof(*x));
	if (!x)
		return -ENOMEM;
	*v = x;
	x += *n;
	x->name = strdup(name);
	x->path = path ? strdup(path) : NULL;
	x->rule = rule;
	x->needed_by = needed_by;
	x->depth = depth;
	if (!x->name || (path && !x->path)) {
		free(x->name);
		free(x->path);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

int ocifs_ldso_lib_add(struct ldso_run *r, const char *name, size_t obj, size_t by, const char *rule)
{
	const char *path = obj == LDSO_NONE ? NULL : r->objs[obj].path;
	size_t nb = r->objs[by].lib == LDSO_NONE ? OCIFS_LDSO_MAIN : r->objs[by].lib;
	int rc;

	rc = lib_push(&r->out->libs, &r->out->n, name, path, rule, nb, r->objs[by].depth + 1);
	if (rc)
		return rc;
	if (obj != LDSO_NONE)
		r->objs[obj].lib = r->out->n - 1;
	else
		r->out->nunresolved++;
	return 0;
}

/* The directory of a path: glibc keeps "/" for "/x" (dl-object.c), musl
 * cuts before the last '/' ("" for "/x"). A relative path is relative to
 * "/" (the assumed working directory). */
int ocifs_ldso_dirname(const char *path, int musl, char **out)
{
	const char *s = strrchr(path, '/');
	size_t n = s ? (size_t)(s - path) : 0;
	int rel = path[0] != '/';

	if (!musl && n == 0 && s)
		n = 1;
	if (musl && !s) {
		*out = strdup(".");
		return *out ? 0 : -ENOMEM;
	}
	if (!(*out = malloc(n + 2)))
		return -ENOMEM;
	snprintf(*out, n + 2, "%s%.*s", rel ? "/" : "", (int)n, path);
	if (rel && n == 0)
		(*out)[1] = '\0';
	return 0;
}

int ocifs_ldso_resolve(struct ocifs_ldso *l, const char *path, const struct ocifs_elf *e,
		       struct ocifs_ldso_result *out)
{
	struct ldso_run r = { .l = l, .out = out };
	const struct ocifs_tree *t = l->t;
	struct ocifs_tree_file f;
	struct ldso_ana *ma = NULL;
	const struct ldso_ana *ia = NULL;
	char *real = NULL, *p;
	size_t idx;
	int rc;

	memset(out, 0, sizeof(*out));
	out->flavour = "none";
	if ((e->link != OCIFS_ELF_DYNAMIC && e->link != OCIFS_ELF_SHARED_LIB) || !e->nneeded)
		return 0;
	r.cls = e->cls;
	r.data = e->data;
	r.machine = e->machine;
	if (e->interp) {
		const char *b = strrchr(e->interp, '/');
		r.musl = !strncmp(b ? b + 1 : e->interp, "ld-musl-", 8);
	} else {
		r.musl = e->libc == OCIFS_LIBC_MUSL;
	}
	out->flavour = r.musl ? "musl" : "glibc";
	r.interp = e->interp ? e->interp : default_interp(r.musl, r.machine, r.cls, r.data);
	r.platform = l->platform ? l->platform : default_platform(r.machine, r.cls, r.data);

	/* The main object: its analysis is the caller's; its identity the
	 * tree's; its $ORIGIN the directory of its canonical path. */
	rc = t->open_file(t->ctx, path, &f);
	uint64_t id = rc == 0 ? f.id : (uint64_t)-1 - ocifs_fnv1a(path, strlen(path));
	if (rc == 0)
		t->close_file(t->ctx, &f);
	else if (rc == -ENOMEM)
		goto out;
	if ((rc = ocifs_ldso_ana_from_elf(e, id, &ma)) != 0)
		goto out;
	if ((rc = ocifs_ldso_orphan(&r, ma)) != 0) {
		ocifs_ldso_ana_free(ma);
		goto out;
	}
	rc = -ENOMEM;
	if (!(p = strdup(path)) || ocifs_ldso_obj_add(&r, p, ma, LDSO_NONE, path, &idx))
		goto out;
	rc = t->realpath(t->ctx, path, &real);
	if (rc == -ENOMEM)
		goto out;
	if ((rc = ocifs_ldso_dirname(rc == 0 ? real : path, r.musl, &r.objs[0].origin)) != 0)
		goto out;

	/* The interpreter: loaded before anything is searched; glibc knows it
	 * by its PT_INTERP path and its SONAME, musl by its path and the
	 * names of the libraries it implements. */
	if (r.interp) {
		rc = ocifs_ldso_probe(&r, r.interp, &ia);
		if (rc == -ENOMEM)
			goto out;
		if (rc || ia->bad) {
			ocifs_ldso_note(&r, "interpreter %s: %s", r.interp,
					rc ? strerror(-rc) : "not an ELF file");
			ia = NULL;
			if (e->interp && !(out->missing_interp = strdup(e->interp))) {
				rc = -ENOMEM;
				goto out;
			}
		}
		if (!(p = strdup(r.interp)) || ocifs_ldso_obj_add(&r, p, ia, LDSO_NONE, r.interp, &idx) ||
		    (ia && ia->soname && ocifs_ldso_obj_name(&r, idx, ia->soname))) {
			rc = -ENOMEM;
			goto out;
		}
		r.objs[idx].is_interp = 1;
		r.iobj = idx;
	} else {
		r.iobj = LDSO_NONE;
	}
	if ((rc = run_layout(&r)) != 0)
		goto out;
	rc = r.musl ? ocifs_ldso_musl_walk(&r) : ocifs_ldso_glibc_walk(&r);
	if (rc == 0 && r.stopped)
		rc = r.stopped;
out:
	free(real);
	if (rc == 0 && r.note) {
		out->note = r.note;
		r.note = NULL;
	}
	run_fini(&r);
	if (rc)
		ocifs_ldso_result_fini(out);
	return rc;
}

int ocifs_ldso_needed_add(struct ldso_run *r, const char *name, size_t obj, const char *rule)
{
	const char *path = obj == LDSO_NONE ? NULL : r->objs[obj].path;
	return lib_push(&r->out->needed, &r->out->nneeded, name, path, rule, OCIFS_LDSO_MAIN, 1);
}

void ocifs_ldso_result_fini(struct ocifs_ldso_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->libs[i].name);
		free(r->libs[i].path);
	}
	for (size_t i = 0; i < r->nneeded; i++) {
		free(r->needed[i].name);
		free(r->needed[i].path);
	}
	free(r->libs);
	free(r->needed);
	free(r->note);
	free(r->missing_interp);
	memset(r, 0, sizeof(*r));
}

/* The musl search path file for arch, as ld-musl reads it: the text (or
 * "" when it exists but cannot be read), or NULL when absent. */
int ocifs_ldso_musl_sys(struct ldso_run *r, const char **text)
{
	char arch[64], path[4200];
	size_t plen = 0, len;
	const char *s, *t = NULL, *z = NULL;
	int rc;

	musl_arch(r->interp, r->machine, arch, sizeof(arch));
	/* ld-musl looks in its own prefix: /lib/ld-musl-x86_64.so.1 -> /etc,
	 * /opt/m/lib/ld-musl-x86_64.so.1 -> /opt/m/etc */
	if (r->interp && r->interp[0] == '/') {
		for (s = t = z = r->interp; *s; s++)
			if (*s == '/')
				z = t, t = s;
		plen = (size_t)(z - r->interp);
	}
	*text = NULL;
	if (plen == 0) {
		for (size_t i = 0; i < r->l->nmusl; i++)
			if (!strcmp(r->l->musl[i].arch, arch)) {
				*text = r->l->musl[i].rc ? "" : r->l->musl[i].text;
				if (r->l->musl[i].rc)
					ocifs_ldso_note(r, "/etc/ld-musl-%s.path: %s (read as empty)", arch,
							strerror(-r->l->musl[i].rc));
			}
		return 0;
	}
	if (plen >= 4096)
		return 0;
	snprintf(path, sizeof(path), "%.*s/etc/ld-musl-%s.path", (int)plen, r->interp, arch);
	rc = r->l->t->read_file(r->l->t->ctx, path, MAX_MUSL_PATH, &r->musl_sys, &len);
	if (rc == -ENOMEM)
		return rc;
	if (rc && rc != -ENOENT) {
		ocifs_ldso_note(r, "%s: %s (read as empty)", path, strerror(-rc));
		*text = "";
	} else if (rc == 0) {
		*text = r->musl_sys;
	}
	return 0;
}

/* --- helpers of both searches ------------------------------------------ */

void ocifs_ldso_dirs_fini(struct ldso_dirs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	free(d->h);
	free(d->st);
	memset(d, 0, sizeof(*d));
}

/* Append dir (taken) unless already there (hashes compared first: a
 * list is short, but rebuilt for every object of every resolution).
 * 0 or -ENOMEM. */
int ocifs_ldso_dirs_push(struct ldso_run *r, struct ldso_dirs *d, char *dir)
{
	uint64_t h = ocifs_fnv1a(dir, strlen(dir));

	for (size_t i = 0; i < d->n; i++)
		if (d->h[i] == h && !strcmp(d->v[i], dir)) {
			free(dir);
			return 0;
		}
	if (d->n >= LDSO_MAX_DIRS) {
		r->out->truncated |= OCIFS_LDSO_CUT_DIRS;
		ocifs_ldso_note(r, "a search list was cut at %u directories", LDSO_MAX_DIRS);
		free(dir);
		return 0;
	}
	if (!(d->n & (d->n + 1)) || !d->v) { /* capacity 2^k - 1 */
		size_t cap = 2 * d->n + 1;
		char **v = realloc(d->v, cap * sizeof(*v));
		if (v)
			d->v = v;
		uint64_t *hv = v ? realloc(d->h, cap * sizeof(*hv)) : NULL;
		if (!hv) {
			free(dir);
			return -ENOMEM;
		}
		d->h = hv;
	}
	d->h[d->n] = h;
	d->v[d->n++] = dir;
	return 0;
}

void ocifs_ldso_sb_add(struct ldso_sb *b, const char *s, size_t n)
{
	if (b->oom || b->big)
		return;
	if (b->n + n > (b->max ? b->max : LDSO_MAX_PATH)) {
		b->big = 1;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* The string, or NULL on ENOMEM; "" when too long (it cannot be opened). */
char *ocifs_ldso_sb_take(struct ldso_sb *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	if (b->big || !b->p) {
		free(b->p);
		return strdup("");
	}
	return b->p;
}

const char *ocifs_ldso_origin(struct ldso_run *r, size_t o, int *oom)
{
	struct ldso_obj *ob = &r->objs[o];

	if (!ob->origin && ocifs_ldso_dirname(ob->path, r->musl, &ob->origin))
		*oom = 1;
	return ob->origin;
}

/* The tree's path for a loader's path (relative ones are from "/"). */
const char *ocifs_ldso_tree_path(const char *p, char *buf, size_t cap)
{
	if (p[0] == '/')
		return p;
	snprintf(buf, cap, "/%s", p);
	return buf;
}

int ocifs_ldso_budget(struct ldso_run *r)
{
	if (r->stopped || r->budget_noted++)
		return LDSO_FATAL;
	if (r->image_spent) {
		r->out->truncated |= OCIFS_LDSO_CUT_IMAGE;
		ocifs_ldso_note(r, "search stopped: the image's budget of %zu files tried is spent",
				r->l->image_probes);
	} else {
		r->out->truncated |= OCIFS_LDSO_CUT_PROBES;
		ocifs_ldso_note(r, "search stopped after %u files tried", LDSO_MAX_PROBES);
	}
	return LDSO_FATAL;
}

size_t ocifs_ldso_by_id(const struct ldso_run *r, size_t from, const struct ldso_ana *a)
{
	size_t i = ocifs_ldso_idx_get(&r->by_id, NULL, a->id);

	if (i == LDSO_NONE || i >= from)
		return i;
	/* the smallest is below from (the main program): look further */
	for (size_t k = from; k < r->nobjs; k++)
		if (r->objs[k].a && r->objs[k].a->id == a->id)
			return k;
	return LDSO_NONE;
}

/* Breadth-first over the objects in load order, as _dl_map_object_deps
 * and musl's load_deps do. */
int ocifs_ldso_walk(struct ldso_run *r, ldso_map_fn map)
{
	for (size_t q = 0; q < r->nobjs; q++) {
		const struct ldso_ana *a = r->objs[q].a;
		if (r->objs[q].is_interp || !a)
			continue;
		for (size_t i = 0; i < a->nneeded; i++) {
			const char *rule;
			size_t obj;
			int rc;

			if (r->nobjs >= LDSO_MAX_OBJS || r->out->n >= 4 * LDSO_MAX_OBJS) {
				r->out->truncated |= OCIFS_LDSO_CUT_OBJS;
				ocifs_ldso_note(r, "stopped after %u loaded objects", LDSO_MAX_OBJS);
				return 0;
			}
			if (i == LDSO_MAX_NEEDED) {
				r->out->truncated |= OCIFS_LDSO_CUT_NEEDED;
				ocifs_ldso_note(r, "only the first %u DT_NEEDED entries of an object followed",
						LDSO_MAX_NEEDED);
				break;
			}
			if ((rc = map(r, q, a->needed[i], &obj, &rule)) != 0)
				return rc;
			if (q == 0 && (rc = ocifs_ldso_needed_add(r, a->needed[i], obj, rule)) != 0)
				return rc;
		}
	}
	return 0;
}
