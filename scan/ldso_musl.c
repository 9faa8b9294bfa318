/* SPDX-License-Identifier: MIT */
/*
 * musl's load_library over one resolution's object list (see ldso.h,
 * ldso_priv.h): names musl implements itself (libc, libpthread, libm...)
 * are the loader; an already loaded shortname matches; a name with '/'
 * is opened as is; else LD_LIBRARY_PATH, the RPATH/RUNPATH (alike, only
 * $ORIGIN expanded, any other '$' voids it) of the needing object and
 * its whole needed_by chain, then the ld-musl-ARCH.path file or the
 * built-in "/lib:/usr/local/lib:/usr/lib". The first file that opens is
 * taken: if musl cannot load it (other class, not ELF) the load fails,
 * there is no further search. Files are known again by identity.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldso_priv.h"

/* Names musl's loader answers itself (it is libc, libpthread, ...). */
static int musl_reserved(const char *name)
{
	static const char *const res[] = { "c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet." };

	if (strncmp(name, "lib", 3))
		return 0;
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		if (!strncmp(name + 3, res[i], strlen(res[i])))
			return 1;
	return 0;
}

/* musl's fixup_rpath: RUNPATH, else RPATH, with $ORIGIN/${ORIGIN}
 * replaced; any other '$' makes musl ignore it. *out NULL if none. */
static int musl_rpath(struct ldso_run *r, size_t o, const char **out, const char **how)
{
	struct ldso_obj *ob = &r->objs[o];
	const char *s = ob->a ? (ob->a->runpath ? ob->a->runpath : ob->a->rpath) : NULL, *t;
	struct ldso_sb b = { 0 };
	int oom = 0;

	*out = NULL;
	*how = ob->a && ob->a->runpath ? "runpath" : "rpath";
	if (ob->rpath.done) {
		*out = ob->rpath.n ? ob->rpath.v[0] : NULL;
		return 0;
	}
	ob->rpath.done = 1;
	if (!s)
		return 0;
	for (t = s; (t = strchr(t, '$')); t++)
		if (strncmp(t, "$ORIGIN", 7) && strncmp(t, "${ORIGIN}", 9)) {
			ocifs_ldso_note(r, "%s: musl ignores its %s (a $ other than $ORIGIN)", ob->path, *how);
			return 0;
		}
	const char *org = strchr(s, '$') ? ocifs_ldso_origin(r, o, &oom) : "";
	if (oom)
		return -ENOMEM;
	b.max = 1u << 20; /* a list, not one path */
	while (*s && !b.big && !b.oom) {
		size_t n = strcspn(s, "$");
		ocifs_ldso_sb_add(&b, s, n);
		s += n;
		if (*s == '$') {
			ocifs_ldso_sb_add(&b, org, strlen(org));
			s += s[1] == '{' ? 9 : 7;
		}
	}
	if (b.big) {
		ocifs_ldso_note(r, "%s: its %s is too long after $ORIGIN, ignored", ob->path, *how);
		free(b.p);
		return 0;
	}
	char *x = ocifs_ldso_sb_take(&b);
	if (!x)
		return -ENOMEM;
	if (!(ob->rpath.v = malloc(sizeof(char *)))) {
		free(x);
		return -ENOMEM;
	}
	ob->rpath.v[0] = x;
	ob->rpath.n = 1;
	*out = x;
	return 0;
}

/* musl's path_open over a ":\n"-separated list: LDSO_FOUND (*path, *a, *err:
 * 0 or why the open file cannot be read), LDSO_SKIP, LDSO_STOP (musl gives up the
 * whole search), -ENOMEM. */
static int musl_path_open(struct ldso_run *r, const char *name, const char *s, char **path,
			  const struct ldso_ana **a, int *err)
{
	char buf[512], tb[520];
	unsigned k = 0;

	for (;; k++) {
		s += strspn(s, ":\n");
		size_t l = strcspn(s, ":\n");
		if (!l)
			return LDSO_SKIP;
		if (k == LDSO_MAX_ELEMS) {
			r->out->truncated |= OCIFS_LDSO_CUT_DIRS;
			ocifs_ldso_note(r, "a search list was cut at %u elements", LDSO_MAX_ELEMS);
			return LDSO_SKIP;
		}
		if (l + 1 + strlen(name) < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)l, s, name);
			int rc = ocifs_ldso_probe(r, ocifs_ldso_tree_path(buf, tb, sizeof(tb)), a);
			switch (rc) {
			case 0:
			case -EISDIR:
			case -EINVAL:
				*err = rc;
				return (*path = strdup(buf)) ? LDSO_FOUND : -ENOMEM;
			case -ENOENT:
			case -ENOTDIR:
			case -EACCES:
			case -ENAMETOOLONG:
				break;
			case -ENOMEM:
				return rc;
			case -E2BIG:
				ocifs_ldso_budget(r);
				return LDSO_STOP;
			default:
				ocifs_ldso_note(r, "%s: %s (musl stops searching)", buf, strerror(-rc));
				return LDSO_STOP;
			}
		}
		s += l;
	}
}

/* musl's load_library for NEEDED name of object ld. */
static int musl_map(struct ldso_run *r, size_t ld, const char *name, size_t *found,
		    const char **rule)
{
	const struct ldso_ana *a = NULL;
	const char *how = "direct", *rp, *h2;
	char *path = NULL, tb[LDSO_MAX_PATH + 2];
	int st = LDSO_SKIP, err = 0, rc, direct = strchr(name, '/') != NULL;
	size_t i;

	*found = LDSO_NONE;
	if (r->iobj != LDSO_NONE && (musl_reserved(name) || !strcmp(name, r->interp))) {
		*found = r->iobj;
		*rule = "loaded";
		return 0;
	}
	if (direct) {
		if (strlen(name) > LDSO_MAX_PATH)
			goto fail;
		if (!(path = strdup(name)))
			return -ENOMEM;
		rc = ocifs_ldso_probe(r, ocifs_ldso_tree_path(name, tb, sizeof(tb)), &a);
		if (rc == -ENOMEM)
			goto oom;
		st = rc == 0 || rc == -EISDIR || rc == -EINVAL ? LDSO_FOUND : LDSO_SKIP;
		err = rc;
	} else {
		/* the index finds the first object whose shortname is name;
		 * only when that is the interpreter (or main) look further */
		i = ocifs_ldso_idx_get(&r->by_short, name, 0);
		if (i != LDSO_NONE && (i < 1 || r->objs[i].is_interp))
			for (i = 1; i < r->nobjs; i++)
				if (!r->objs[i].is_interp && r->objs[i].nnames &&
				    !strcmp(r->objs[i].names[0], name))
					break;
		if (i != LDSO_NONE && i < r->nobjs) {
			*found = i;
			*rule = "loaded";
			return 0;
		}
		if (strlen(name) > 255) {
			ocifs_ldso_note(r, "%.64s...: longer than NAME_MAX", name);
			goto fail;
		}
		if (r->l->llp) {
			how = "ld_library_path";
			st = musl_path_open(r, name, r->l->llp, &path, &a, &err);
		}
		for (size_t o = ld; st == LDSO_SKIP && o != LDSO_NONE; o = r->objs[o].loader) {
			if ((rc = musl_rpath(r, o, &rp, &h2)) != 0)
				return rc;
			if (rp) {
				how = h2;
				st = musl_path_open(r, name, rp, &path, &a, &err);
			}
		}
		if (st == LDSO_SKIP) {
			const char *sys;
			if ((rc = ocifs_ldso_musl_sys(r, &sys)) != 0)
				return rc;
			how = sys ? "musl-path" : "musl-default";
			st = musl_path_open(r, name, sys ? sys : "/lib:/usr/local/lib:/usr/lib", &path,
					    &a, &err);
		}
		if (st < 0)
			goto oom;
	}
	if (st != LDSO_FOUND)
		goto fail;
	if (!err && (i = ocifs_ldso_by_id(r, 1, a)) != LDSO_NONE) {
		if (!r->objs[i].nnames && !direct && !r->objs[i].is_interp) {
			const char *b = strrchr(r->objs[i].path, '/');
			if ((rc = ocifs_ldso_obj_name(r, i, b ? b + 1 : r->objs[i].path)) != 0)
				goto oom;
		}
		free(path);
		*found = i;
		*rule = "loaded";
		return 0;
	}
	if (err || a->bad || a->cls != r->cls || a->machine != r->machine || a->data != r->data ||
	    (a->type != ET_DYN && a->type != ET_EXEC)) {
		ocifs_ldso_note(r, "%s: %s (musl cannot load it and stops searching)", path,
				err ? strerror(-err) : a->bad ? "not an ELF file"
				: a->cls != r->cls ? "wrong ELF class" : "wrong machine or type");
		goto fail;
	}
	if ((rc = ocifs_ldso_obj_add(r, path, a, ld, direct ? NULL : name, found)) != 0)
		return rc;
	*rule = how;
	return ocifs_ldso_lib_add(r, name, *found, ld, how);
fail:
	free(path);
	*found = LDSO_NONE;
	*rule = "not found";
	return ocifs_ldso_lib_add(r, name, LDSO_NONE, ld, *rule);
oom:
	free(path);
	return -ENOMEM;
}

int ocifs_ldso_musl_walk(struct ldso_run *r)
{
	return ocifs_ldso_walk(r, musl_map);
}
