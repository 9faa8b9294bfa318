/* SPDX-License-Identifier: MIT */
/*
 * Path resolution in the merged view as a process chroot'ed into the
 * image sees it (path_resolution(7) with the image root as "/"):
 * symlinks followed in every component, absolute targets starting at
 * the image root, ".." of the root staying at the root, at most
 * OCIFS_VIEW_MAXSYMLINKS links, a trailing slash asking for a
 * directory. Built on the view's own lookup, parent and readlink (view.c);
 * the commands that read one path (ls, cat, stat, explain) use it. And
 * the walk of every name (ocifs_view_walk), on the same queries.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "view.h"

/* The remaining path may grow by a link target per link followed; past
 * this it is -ENAMETOOLONG (the kernel stops each target at PATH_MAX). */
#define LOOKUP_MAX_PATH (1u << 16)

/* The "/"-rooted path of name in directory dir (NULL name: dir itself),
 * malloc'd into *out. */
static int canon_path(const struct ocifs_view *v, uint64_t dir, const char *name, size_t nlen,
		      char **out)
{
	size_t cap = LOOKUP_MAX_PATH + (name ? nlen + 2 : 0);
	char *buf = malloc(cap);
	int rc;

	if (!buf)
		return -ENOMEM;
	if ((rc = ocifs_view_path(v, dir, buf, cap - (name ? nlen + 1 : 0)))) {
		free(buf);
		return rc;
	}
	if (name) {
		size_t n = strlen(buf);
		if (n == 1) /* the root: "/" already there */
			n = 0;
		buf[n] = '/';
		memcpy(buf + n + 1, name, nlen);
		buf[n + 1 + nlen] = '\0';
	}
	*out = buf;
	return 0;
}

/* *rem becomes target followed by what is left of it from pos on. */
static int splice_target(char **rem, size_t pos, const char *target)
{
	size_t tl = strlen(target), rl = strlen(*rem + pos);
	char *n;

	if (tl + rl >= LOOKUP_MAX_PATH)
		return -ENAMETOOLONG;
	if (!(n = malloc(tl + rl + 1)))
		return -ENOMEM;
	memcpy(n, target, tl);
	memcpy(n + tl, *rem + pos, rl + 1);
	free(*rem);
	*rem = n;
	return 0;
}

int ocifs_view_find(const struct ocifs_view *v, const char *path, unsigned flags,
		    struct ocifs_view_found *f, char **canon)
{
	uint64_t cur = OCIFS_VIEW_ROOT, res = OCIFS_VIEW_ROOT;
	size_t pos = 0, lpos = 0, llen = 0; /* lpos, llen: the last name */
	unsigned links = 0;
	int named = 0; /* the result is a name in cur (not cur itself) */
	char *rem;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	if (canon)
		*canon = NULL;
	if (flags & ~OCIFS_VIEW_FIND_MASK)
		return -EINVAL;
	if (!*path)
		return -ENOENT; /* as open("") */
	if (strlen(path) >= LOOKUP_MAX_PATH)
		return -ENAMETOOLONG;
	if (!(rem = strdup(path)))
		return -ENOMEM;
	for (;;) {
		while (rem[pos] == '/')
			pos++;
		if (!rem[pos]) {
			if (!named)
				res = cur;
			break;
		}
		size_t len = strcspn(rem + pos, "/");
		size_t after = pos + len + strspn(rem + pos + len, "/");
		int last = !rem[after], slash = last && rem[pos + len] == '/';
		struct ocifs_vattr a;
		uint64_t child;
		char save;

		named = 0;
		if (len == 1 && rem[pos] == '.') {
			pos += len;
			continue;
		}
		if (len == 2 && rem[pos] == '.' && rem[pos + 1] == '.') {
			if ((rc = ocifs_view_parent(v, cur, &cur)))
				goto out;
			pos += len;
			continue;
		}
		save = rem[pos + len];
		rem[pos + len] = '\0';
		rc = ocifs_view_lookup(v, cur, rem + pos, &child);
		rem[pos + len] = save;
		if (rc || (rc = ocifs_view_getattr(v, child, &a)))
			goto out;
		if (S_ISLNK(a.mode) && (!last || slash || (flags & OCIFS_VIEW_FOLLOW))) {
			const char *target;
			if (++links > OCIFS_VIEW_MAXSYMLINKS) {
				rc = -ELOOP;
				goto out;
			}
			if ((rc = ocifs_view_readlink(v, child, &target)))
				goto out;
			if (!*target) { /* an empty target names nothing (Linux) */
				rc = -ENOENT;
				goto out;
			}
			if ((rc = splice_target(&rem, pos + len, target)))
				goto out;
			pos = 0;
			if (*target == '/')
				cur = OCIFS_VIEW_ROOT;
			continue;
		}
		if (!S_ISDIR(a.mode)) {
			if (!last || slash) {
				rc = -ENOTDIR;
				goto out;
			}
			res = child;
			named = 1;
			lpos = pos;
			llen = len;
			break;
		}
		cur = child;
		pos += len;
	}
	f->ino = res;
	if (named)
		f->dir = cur;
	else if ((rc = ocifs_view_parent(v, res, &f->dir)))
		goto out;
	if (canon)
		rc = named ? canon_path(v, cur, rem + lpos, llen, canon)
			   : canon_path(v, res, NULL, 0, canon);
out:
	f->links = links;
	free(rem);
	return rc;
}

int ocifs_view_walk(const struct ocifs_view *v, ocifs_view_walk_cb cb, void *ctx)
{
	struct frame {
		uint64_t dir;
		uint32_t i, n;
		size_t plen;
	} *st;
	size_t depth = 0, cap = 64;
	char path[PATH_MAX];
	int rc = 0;

	if (!(st = malloc(cap * sizeof(*st))))
		return -ENOMEM;
	st[0] = (struct frame){ OCIFS_VIEW_ROOT, 0, 0, 0 };
	if (ocifs_view_dir_size(v, OCIFS_VIEW_ROOT, &st[0].n) == 0)
		depth = 1;
	while (depth) {
		struct frame *fr = &st[depth - 1];
		const char *name;
		uint64_t ino;
		struct ocifs_vattr a;
		uint32_t n = 0;

		if (fr->i == fr->n) {
			depth--;
			continue;
		}
		if (ocifs_view_dir_entry(v, fr->dir, fr->i++, &name, &ino) ||
		    ocifs_view_getattr(v, ino, &a))
			continue;
		size_t nl = strlen(name), plen = fr->plen + 1 + nl;
		if (plen >= sizeof(path))
			continue;
		path[fr->plen] = '/';
		memcpy(path + fr->plen + 1, name, nl + 1);
		if ((rc = cb(ctx, path, ino, &a)))
			break;
		if (!S_ISDIR(a.mode) || ocifs_view_dir_size(v, ino, &n) || !n)
			continue;
		if (depth == cap) {
			struct frame *ns = realloc(st, 2 * cap * sizeof(*ns));
			if (!ns) {
				rc = -ENOMEM;
				break;
			}
			st = ns;
			cap *= 2;
		}
		st[depth++] = (struct frame){ ino, 0, n, plen };
	}
	free(st);
	return rc;
}
