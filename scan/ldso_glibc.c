/* SPDX-License-Identifier: MIT */
/*
 * glibc's _dl_map_object over one resolution's object list (see ldso.h,
 * ldso_priv.h): an object already loaded matches by path, libname or
 * SONAME; a name with '/' is a path after DST expansion; else the RPATH
 * of the needing object and its loaders (none when it has a RUNPATH), the
 * main program's RPATH, LD_LIBRARY_PATH, its RUNPATH, ld.so.cache, the
 * default directories; each directory with its hwcaps subdirectories; a
 * file of the other ELF class or machine is skipped and the search goes
 * on, what ld.so treats as fatal ends it with a note.
 */
/*
 * The two loaders' searches over one resolution's object list (see
 * ldso.h, ldso_priv.h): glibc's _dl_map_object (already loaded by name
 * or SONAME; a name with '/' as a path after DST expansion; else RPATH of
 * the needing object and its loaders unless it has RUNPATH, the main
 * program's RPATH, LD_LIBRARY_PATH, its RUNPATH, ld.so.cache, the default
 * directories; each directory with its hwcaps subdirectories; files of
 * the other ELF class or machine skipped) and musl's load_library
 * (LD_LIBRARY_PATH, RPATH/RUNPATH of the whole needed_by chain with only
 * $ORIGIN, the ld-musl-ARCH.path file or its default; the first file
 * found is taken or the load fails). Both walk breadth-first and know an
 * object again by its identity (dev/ino: ocifs_tree_file.id).
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldso_priv.h"

#define HWCAP_EXT (1ull << 62)  /* glibc DL_CACHE_HWCAP_EXTENSION */
#define HWCAP_TLS (1ull << 63)
#define X86_PLATFORM_BITS (0xfull << 48) /* i586 i686 haswell xeon_phi */

/* glibc's is_dst: length of NAME or {NAME} at in, 0 if it is not that. */
static size_t is_dst(const char *in, const char *ref)
{
	size_t rl = strlen(ref);
	int curly = in[0] == '{';
	char c;

	in += curly;
	if (strncmp(in, ref, rl))
		return 0;
	c = in[rl];
	if (curly ? c != '}' : (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9')))
		return 0;
	return rl + 2 * (size_t)curly;
}

/* glibc's _dl_dst_substitute of s for object o: 0 and a malloc'd *out
 * ("" when a known DST has no value: the path is dropped), -ENOMEM. */
static int dst_expand(struct ldso_run *r, size_t o, const char *s, char **out)
{
	struct ldso_sb b = { 0 };
	int oom = 0;

	while (*s) {
		const char *repl = NULL;
		size_t len = 0;

		if (*s == '$') {
			if ((len = is_dst(s + 1, "ORIGIN")))
				repl = ocifs_ldso_origin(r, o, &oom);
			else if ((len = is_dst(s + 1, "PLATFORM")))
				repl = r->platform;
			else if ((len = is_dst(s + 1, "LIB")))
				repl = r->libdir;
			if (oom) {
				free(b.p);
				return -ENOMEM;
			}
			if (len && !repl) {
				b.big = 1; /* known but without a value: drop the path */
				break;
			}
		}
		if (len) {
			ocifs_ldso_sb_add(&b, repl, strlen(repl));
			s += 1 + len;
		} else {
			size_t n = 1 + strcspn(s + 1, "$");
			ocifs_ldso_sb_add(&b, s, n);
			s += n;
		}
		if (b.big)
			break;
	}
	*out = ocifs_ldso_sb_take(&b);
	return *out ? 0 : -ENOMEM;
}

/* glibc's fillin_rpath: the list split at seps, each element expanded,
 * empty ones dropped, trailing slashes made one; "" (an empty element)
 * is the working directory. */
static int glibc_dirs(struct ldso_run *r, size_t o, const char *list, const char *seps,
		      struct ldso_dirs *d)
{
	const char *s = list;
	unsigned k = 0;
	int rc;

	d->done = 1;
	if (!list)
		return 0;
	for (;; k++) {
		size_t l = strcspn(s, seps);
		char *x, *e;

		if (k == LDSO_MAX_ELEMS || d->n >= LDSO_MAX_DIRS) {
			r->out->truncated |= OCIFS_LDSO_CUT_DIRS;
			ocifs_ldso_note(r, "a search list was cut at %u directories", (unsigned)d->n);
			break;
		}
		if (!(e = strndup(s, l)))
			return -ENOMEM;
		if (l) {
			rc = dst_expand(r, o, e, &x);
			free(e);
			if (rc)
				return rc;
			size_t n = strlen(x);
			if (n == 0) {
				free(x);
				goto next;
			}
			while (n > 1 && x[n - 1] == '/')
				n--;
			x[n] = '\0';
			if (x[n - 1] != '/') {
				char *y = realloc(x, n + 2);
				if (!y) {
					free(x);
					return -ENOMEM;
				}
				x = y;
				memcpy(x + n, "/", 2);
			}
		} else {
			x = e;
		}
		if ((rc = ocifs_ldso_dirs_push(r, d, x)) != 0)
			return rc;
next:
		if (!s[l])
			break;
		s += l + 1;
	}
	return 0;
}

/* A search list of object o: its RPATH (ignored when it has a RUNPATH,
 * as get-dynamic-info.h does) or its RUNPATH. */
static int obj_dirs(struct ldso_run *r, size_t o, int runpath, struct ldso_dirs **out)
{
	struct ldso_obj *ob = &r->objs[o];
	struct ldso_dirs *d = runpath ? &ob->runpath : &ob->rpath;
	const char *s = NULL;

	*out = d;
	if (d->done)
		return 0;
	if (ob->a)
		s = runpath ? ob->a->runpath : ob->a->runpath ? NULL : ob->a->rpath;
	return glibc_dirs(r, o, s, ":", d);
}

/* glibc's open_verify on one candidate. */
static int glibc_check(struct ldso_run *r, const char *path, const struct ldso_ana **out)
{
	const struct ldso_ana *a;
	int rc = ocifs_ldso_probe(r, path, &a);

	*out = a;
	switch (rc) {
	case 0:
		break;
	case -ENOMEM:
		return rc;
	case -E2BIG:
		return ocifs_ldso_budget(r);
	case -ENOENT:
	case -ENOTDIR:
	case -EACCES:
	case -ENAMETOOLONG:
		return LDSO_SKIP;
	case -EISDIR:
	case -EINVAL:
		ocifs_ldso_note(r, "%s: cannot read file data (ld.so stops with an error)", path);
		return LDSO_FATAL;
	default:
		ocifs_ldso_note(r, "%s: %s", path, strerror(-rc));
		return LDSO_STOP;
	}
	if (a->bad) {
		ocifs_ldso_note(r, "%s: %s (ld.so stops with an error)", path,
				a->bad == -ENOEXEC ? "invalid ELF header" : strerror(-a->bad));
		return LDSO_FATAL;
	}
	if (a->cls != r->cls) {
		ocifs_ldso_note(r, "skipped %s: wrong ELF class ELFCLASS%d", path, a->cls);
		return LDSO_SKIP;
	}
	if (a->data != r->data) {
		ocifs_ldso_note(r, "%s: other byte order (ld.so stops with an error)", path);
		return LDSO_FATAL;
	}
	if (a->machine != r->machine) {
		ocifs_ldso_note(r, "skipped %s: machine %s", path, ocifs_elf_machine_name(a->machine));
		return LDSO_SKIP;
	}
	if (a->type != ET_DYN && a->type != ET_EXEC) {
		ocifs_ldso_note(r, "%s: only ET_DYN and ET_EXEC can be loaded (ld.so stops with an error)",
				path);
		return LDSO_FATAL;
	}
	return LDSO_FOUND;
}

/* A library found in dir itself may have an x86-64-vN build the assumed
 * CPU level does not load: say so. */
static int hwcaps_hint(struct ldso_run *r, const char *dir, const char *name)
{
	char buf[LDSO_MAX_PATH + 64], tb[LDSO_MAX_PATH + 80];
	const struct ldso_ana *a;

	if (r->machine != EM_X86_64 || r->cls != 64)
		return 0;
	for (unsigned v = 4; v >= 2 && v > r->l->level; v--) {
		snprintf(buf, sizeof(buf), "%sglibc-hwcaps/x86-64-v%u/%s", dir, v, name);
		int rc = ocifs_ldso_probe(r, ocifs_ldso_tree_path(buf, tb, sizeof(tb)), &a);
		if (rc == -ENOMEM)
			return rc;
		if (rc == 0 && !a->bad && a->cls == r->cls && a->machine == r->machine) {
			ocifs_ldso_note(r, "%s: %s is loaded instead on x86-64-v%u CPUs", name, buf, v);
			break;
		}
	}
	return 0;
}

/* Is directory dir+sub (ending in '/') missing, so that every name in
 * it is? 1 missing (or a file: its names fail with ENOTDIR), 0 there
 * or unknown (a loop, an error, the budget: the names are tried). */
static int dir_missing(struct ldso_run *r, const char *dir, const char *sub)
{
	char buf[LDSO_MAX_PATH + 1], tb[LDSO_MAX_PATH + 2];
	const struct ldso_ana *a;
	size_t n = strlen(dir) + strlen(sub);
	int rc;

	if (n <= 1 || n > LDSO_MAX_PATH)
		return 0; /* "/" or "" (the working directory), or too long */
	memcpy(buf, dir, strlen(dir));
	memcpy(buf + strlen(dir), sub, n - strlen(dir));
	buf[n - 1] = '\0'; /* the trailing '/' */
	rc = ocifs_ldso_probe(r, ocifs_ldso_tree_path(buf, tb, sizeof(tb)), &a);
	return rc == -ENOENT || rc == -ENOTDIR || rc == 0;
}

/* glibc's open_path: each directory with each hwcaps subdirectory. The
 * error of a directory's last try (the directory itself) other than
 * "not there" ends the list. A missing directory is remembered in d->st
 * and not tried again for the next name, as glibc marks it
 * "nonexisting": with many names and a long list, the work is names +
 * directories, not their product. LDSO_FOUND (*path, *a), LDSO_SKIP,
 * LDSO_FATAL, -ENOMEM. */
static int glibc_open_path(struct ldso_run *r, const char *name, struct ldso_dirs *d,
			   char **path, const struct ldso_ana **a)
{
	char buf[LDSO_MAX_PATH + 1], tb[LDSO_MAX_PATH + 2];
	size_t nl = strlen(name), ns = r->nsub;

	if (!d->st && d->n && ns)
		d->st = calloc(d->n * ns, 1); /* NULL: nothing remembered */
	for (size_t i = 0; i < d->n; i++) {
		unsigned char *st = d->st ? d->st + i * ns : NULL;
		int last = LDSO_SKIP;
		if (st && !st[ns - 1]) /* the directory itself: sub[ns - 1] is "" */
			st[ns - 1] = dir_missing(r, d->v[i], "") ? 1 : 2;
		if (st && st[ns - 1] == 1)
			continue;
		for (size_t k = 0; k < ns; k++) {
			if (strlen(d->v[i]) + strlen(r->sub[k]) + nl > LDSO_MAX_PATH) {
				last = LDSO_SKIP; /* ENAMETOOLONG */
				continue;
			}
			if (st && !st[k])
				st[k] = dir_missing(r, d->v[i], r->sub[k]) ? 1 : 2;
			if (st && st[k] == 1) {
				last = LDSO_SKIP;
				continue;
			}
			snprintf(buf, sizeof(buf), "%s%s%s", d->v[i], r->sub[k], name);
			last = glibc_check(r, ocifs_ldso_tree_path(buf, tb, sizeof(tb)), a);
			if (last < 0 || last == LDSO_FATAL)
				return last;
			if (last == LDSO_FOUND) {
				if (!(*path = strdup(buf)))
					return -ENOMEM;
				if (!r->sub[k][0] && hwcaps_hint(r, d->v[i], name))
					return -ENOMEM;
				return LDSO_FOUND;
			}
		}
		if (last == LDSO_STOP) {
			/* open_path gives up the list only when the directory
			 * exists ("here_any"); a looping directory is skipped */
			size_t n = strlen(d->v[i]);
			snprintf(buf, sizeof(buf), "%.*s", (int)(n > 1 ? n - 1 : n), d->v[i]);
			if (ocifs_ldso_is_dir(r, ocifs_ldso_tree_path(buf, tb, sizeof(tb))))
				return LDSO_SKIP;
		}
	}
	return LDSO_SKIP;
}

/* glibc's _dl_cache_libcmp: digit runs compare as numbers. */
static int libcmp(const char *p1, const char *p2)
{
	while (*p1) {
		if (*p1 >= '0' && *p1 <= '9') {
			if (*p2 < '0' || *p2 > '9')
				return 1;
			unsigned long long v1 = 0, v2 = 0;
			while (*p1 >= '0' && *p1 <= '9')
				v1 = v1 < (1ull << 59) ? v1 * 10 + (unsigned)(*p1 - '0') : v1, p1++;
			while (*p2 >= '0' && *p2 <= '9')
				v2 = v2 < (1ull << 59) ? v2 * 10 + (unsigned)(*p2 - '0') : v2, p2++;
			if (v1 != v2)
				return v1 < v2 ? -1 : 1;
		} else if (*p2 >= '0' && *p2 <= '9') {
			return -1;
		} else if (*p1 != *p2) {
			return (unsigned char)*p1 - (unsigned char)*p2;
		} else {
			p1++;
			p2++;
		}
	}
	return -(unsigned char)*p2;
}

/* _dl_cache_check_flags of the loader for this machine. */
static int cache_flags_ok(const struct ldso_run *r, uint32_t flags, uint32_t def)
{
	switch (r->machine) {
	case EM_X86_64:
	case EM_AARCH64:
	case EM_RISCV:
		return flags == def;
	case EM_ARM:
		return flags == def || flags == OCIFS_LDC_ELF_LIBC6;
	default:
		return flags == 1 || flags == def;
	}
}

/* The x86-64-vN of a glibc-hwcaps cache entry's path, 0 if none. */
static unsigned hwcaps_level_of(const char *path)
{
	const char *s = strstr(path, "/glibc-hwcaps/x86-64-v");
	return s && s[22] >= '2' && s[22] <= '4' && s[23] == '/' ? (unsigned)(s[22] - '0') : 0;
}

/* glibc's search_cache: binary search (the table is sorted descending by
 * libcmp), then the entries of that name in order: glibc-hwcaps entries
 * the CPU supports by priority, else the first usable one. */
static const char *glibc_cache(struct ldso_run *r, const char *name)
{
	const struct ocifs_ldcache *c = &r->l->cache;
	uint32_t def = ocifs_ldcache_flags_for(r->cls, r->machine);
	uint64_t allowed = HWCAP_TLS, plat = 0;
	long left = 0, right, mid;
	const char *best = NULL;
	unsigned best_lv = 0;

	if (r->l->cache_rc || !def || !c->n)
		return NULL;
	if (r->machine == EM_X86_64 || r->machine == EM_386) {
		static const char *const plats[] = { "i586", "i686", "haswell", "xeon_phi" };
		allowed |= X86_PLATFORM_BITS | (r->machine == EM_386 ? 1u : 2u);
		plat = X86_PLATFORM_BITS; /* an unknown platform: none match */
		for (unsigned i = 0; r->platform && i < 4; i++)
			if (!strcmp(r->platform, plats[i]))
				plat = 1ull << (48 + i);
	}
	right = (long)c->n - 1;
	while (left <= right) {
		mid = (left + right) / 2;
		int cmp = libcmp(name, c->v[mid].name);
		if (cmp != 0) {
			if (cmp < 0)
				left = mid + 1;
			else
				right = mid - 1;
			continue;
		}
		left = mid;
		while (mid > 0 && !libcmp(name, c->v[mid - 1].name))
			mid--;
		for (; mid <= right; mid++) {
			const struct ocifs_ldcache_entry *x = &c->v[mid];
			if (mid > left && libcmp(name, x->name))
				break;
			if (!cache_flags_ok(r, x->flags, def))
				continue;
			if (x->hwcap & HWCAP_EXT) {
				unsigned lv = hwcaps_level_of(x->path);
				if (!lv || lv > r->l->level || r->machine != EM_X86_64) {
					if (lv)
						ocifs_ldso_note(r, "%s: ld.so.cache has %s for x86-64-v%u CPUs",
								name, x->path, lv);
					continue;
				}
				if (!best || lv > best_lv) {
					best = x->path;
					best_lv = lv;
				}
				continue;
			}
			if (best)
				break; /* the glibc-hwcaps entries come first */
			if ((x->hwcap & ~allowed) ||
			    ((x->hwcap & X86_PLATFORM_BITS) && (x->hwcap & X86_PLATFORM_BITS) != plat))
				continue;
			best = x->path;
			if (x->flags == def)
				break;
		}
		break;
	}
	return best;
}

static int is_sysdir(const struct ldso_run *r, const char *p)
{
	for (size_t i = 0; i < r->nsys; i++)
		if (!strncmp(p, r->sysdirs[i], strlen(r->sysdirs[i])))
			return 1;
	return 0;
}

/* ld.so never reads ld.so.conf; a library there but not in the cache is
 * worth a note (ldconfig was not run after it was installed). */
static int conf_hint(struct ldso_run *r, const char *name)
{
	const struct ocifs_ldconf *cf = &r->l->conf;
	char buf[2 * LDSO_MAX_PATH + 4];
	const struct ldso_ana *a;

	for (size_t i = 0; i < cf->n && i < 64; i++) {
		char d[LDSO_MAX_PATH + 2];
		snprintf(d, sizeof(d), "%s/", cf->dirs[i]);
		if (is_sysdir(r, d) || strlen(d) + strlen(name) > LDSO_MAX_PATH)
			continue;
		snprintf(buf, sizeof(buf), "%s%s", d, name);
		int rc = ocifs_ldso_probe(r, buf, &a);
		if (rc == -ENOMEM)
			return rc;
		if (rc == 0 && !a->bad && a->cls == r->cls && a->machine == r->machine) {
			ocifs_ldso_note(r, "%s: found in %s (ld.so.conf) but not in ld.so.cache", name,
					cf->dirs[i]);
			break;
		}
	}
	return 0;
}

/* The searched part of _dl_map_object for a name without '/'. */
static int glibc_search(struct ldso_run *r, size_t ld, const char *name, char **path,
			const struct ldso_ana **a, const char **how)
{
	const struct ldso_ana *la = r->objs[ld].a;
	int nodeflib = (la->flags_1 & DF_1_NODEFLIB) != 0;
	struct ldso_dirs *d, sd;
	char *sv[4];
	const char *p;
	int st = LDSO_SKIP, rc;

	if (!la->runpath) {
		int did_main = 0;
		for (size_t o = ld; o != LDSO_NONE; o = r->objs[o].loader) {
			if ((rc = obj_dirs(r, o, 0, &d)) != 0)
				return rc;
			if (!d->n)
				continue;
			*how = "rpath";
			if ((st = glibc_open_path(r, name, d, path, a)) != LDSO_SKIP)
				return st;
			did_main |= o == 0;
		}
		if (!did_main) {
			if ((rc = obj_dirs(r, 0, 0, &d)) != 0)
				return rc;
			*how = "rpath";
			if (d->n && (st = glibc_open_path(r, name, d, path, a)) != LDSO_SKIP)
				return st;
		}
	}
	if (!r->llp.done && (rc = glibc_dirs(r, 0, r->l->llp, ":;", &r->llp)) != 0)
		return rc;
	*how = "ld_library_path";
	if ((st = glibc_open_path(r, name, &r->llp, path, a)) != LDSO_SKIP)
		return st;
	if ((rc = obj_dirs(r, ld, 1, &d)) != 0)
		return rc;
	*how = "runpath";
	if ((st = glibc_open_path(r, name, d, path, a)) != LDSO_SKIP)
		return st;

	p = glibc_cache(r, name);
	if (p && nodeflib && is_sysdir(r, p))
		p = NULL;
	if (p) {
		char tb[LDSO_MAX_PATH + 2];
		*how = "ld.so.cache";
		st = strlen(p) > LDSO_MAX_PATH ? LDSO_SKIP : glibc_check(r, ocifs_ldso_tree_path(p, tb, sizeof(tb)), a);
		if (st < 0 || st == LDSO_FATAL)
			return st;
		if (st == LDSO_FOUND)
			return (*path = strdup(p)) ? LDSO_FOUND : -ENOMEM;
		if (!*a)
			ocifs_ldso_note(r, "%s: ld.so.cache names %s, which is missing (stale cache)", name, p);
	} else if ((rc = conf_hint(r, name)) != 0) { /* absent or not in the cache */
		return rc;
	}
	st = LDSO_SKIP;
	if (!nodeflib) {
		for (size_t i = 0; i < r->nsys; i++)
			sv[i] = r->sysdirs[i];
		memset(&sd, 0, sizeof(sd));
		sd.v = sv;
		sd.n = r->nsys;
		sd.st = r->sys_st;
		*how = "default";
		st = glibc_open_path(r, name, &sd, path, a);
	}
	if (r->l->cache_rc && !r->cache_noted++)
		ocifs_ldso_note(r, "/etc/ld.so.cache: %s, not used",
				r->l->cache_rc == -ENOENT ? "missing" : r->l->cache_rc == -EBADMSG ? "corrupt"
												: strerror(-r->l->cache_rc));
	return st;
}

/* A name found already loaded, by path, libname or SONAME: the first
 * such object (an index, not a walk over every object). */
static size_t glibc_loaded(const struct ldso_run *r, const char *name)
{
	return ocifs_ldso_idx_get(&r->by_name, name, 0);
}

/* glibc's _dl_map_object for NEEDED name of object ld. */
static int glibc_map(struct ldso_run *r, size_t ld, const char *name, size_t *found,
		     const char **rule)
{
	char *path = NULL, tb[LDSO_MAX_PATH + 2];
	const struct ldso_ana *a = NULL;
	const char *how = "direct";
	size_t i;
	int st, rc;

	if ((*found = glibc_loaded(r, name)) != LDSO_NONE) {
		*rule = "loaded";
		return 0;
	}
	if (strchr(name, '/')) {
		if ((rc = dst_expand(r, ld, name, &path)) != 0)
			return rc;
		st = *path ? glibc_check(r, ocifs_ldso_tree_path(path, tb, sizeof(tb)), &a) : LDSO_SKIP;
	} else {
		st = glibc_search(r, ld, name, &path, &a, &how);
	}
	if (st < 0) {
		free(path);
		return st;
	}
	if (st == LDSO_FOUND && (i = ocifs_ldso_by_id(r, 0, a)) != LDSO_NONE) {
		free(path);
		*found = i;
		*rule = "loaded";
		return ocifs_ldso_obj_name(r, i, name);
	}
	if (st == LDSO_FOUND && (a->type == ET_EXEC || (a->flags_1 & DF_1_PIE))) {
		ocifs_ldso_note(r, "%s: cannot dynamically load %sexecutable (ld.so stops with an error)",
				path, a->type == ET_EXEC ? "" : "position-independent ");
		st = LDSO_FATAL;
	}
	if (st != LDSO_FOUND) {
		free(path);
		*rule = "not found";
		return ocifs_ldso_lib_add(r, name, LDSO_NONE, ld, *rule);
	}
	if ((rc = ocifs_ldso_obj_add(r, path, a, ld, name, found)) != 0)
		return rc;
	*rule = how;
	return ocifs_ldso_lib_add(r, name, *found, ld, how);
}

int ocifs_ldso_glibc_walk(struct ldso_run *r)
{
	return ocifs_ldso_walk(r, glibc_map);
}

