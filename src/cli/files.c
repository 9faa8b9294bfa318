/* SPDX-License-Identifier: MIT */
/*
 * The file commands that need no mount: `ocifs ls IMAGE [PATH] [-l] [-R]`
 * and `ocifs cat IMAGE PATH` see exactly what the mount shows (the merged
 * view); `ls --layer N` and `cat --layer N` look inside one layer alone,
 * through its index. `ocifs stat` (stat.c) resolves its path here too.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "esc.h"
#include "grow.h"
#include "idxdb.h"
#include "log.h"
#include "reader.h"
#include "sha.h"
#include "timens.h"

/* Why user path arg failed to resolve (rc of ocifs_view_find), in one
 * line naming the image and the path; a dangling link names its target. */
static void path_err(struct cli *c, struct ocifs_session *s, const char *arg, int rc)
{
	struct ocifs_view_found f;
	const char *target = NULL;
	char *ea = NULL, *et = NULL, *bare = NULL;
	size_t n = strlen(arg);

	ocifs_esc_name(arg, &ea);
	/* the last name, a symlink itself, is there: following it failed */
	while (n > 1 && arg[n - 1] == '/')
		n--;
	if (rc == -ENOENT && (bare = strndup(arg, n)) &&
	    !ocifs_view_find(s->view, bare, 0, &f, NULL) &&
	    !ocifs_view_readlink(s->view, f.ino, &target)) {
		ocifs_esc_name(target, &et);
		log_err("%s: \"%s\" is dangling: no such path in the image (a symlink to %s)",
			c->args[0], ea ? ea : "?", et ? et : "?");
	} else if (rc == -ENOENT) {
		log_err("%s: no \"%s\" in the image", c->args[0], ea ? ea : "?");
	} else if (rc == -ENOTDIR) {
		log_err("%s: \"%s\": not a directory", c->args[0], ea ? ea : "?");
	} else if (rc == -ELOOP) {
		log_err("%s: \"%s\": too many levels of symbolic links (a loop, or more than %d)",
			c->args[0], ea ? ea : "?", OCIFS_VIEW_MAXSYMLINKS);
	} else {
		log_err("%s: \"%s\": %s", c->args[0], ea ? ea : "?", strerror(-rc));
	}
	free(bare);
	free(et);
	free(ea);
}

/* Resolve user path arg in the view (ocifs_view_find with flags: links
 * followed as the shell follows them inside the image); logs why not. */
static int resolve(struct cli *c, struct ocifs_session *s, const char *arg, unsigned flags,
		   uint64_t *ino)
{
	struct ocifs_view_found f;
	int rc = ocifs_view_find(s->view, arg, flags, &f, NULL);

	if (rc)
		path_err(c, s, arg, rc);
	else
		*ino = f.ino;
	return rc;
}

int cli_path_empty(struct cli *c, const char *arg)
{
	if (*arg)
		return 0;
	log_err("%s: %s: the path is empty (the root is \"/\")", c->args[0], c->cmd);
	return 1;
}

int cli_path_slash(struct cli *c, struct ocifs_session *s, const char *arg)
{
	size_t n = strlen(arg);
	struct ocifs_view_found f;
	int rc;

	if (!n || arg[n - 1] != '/' || !s->view)
		return 0;
	rc = ocifs_view_find(s->view, arg, 0, &f, NULL);
	if (rc == -ENOTDIR)
		path_err(c, s, arg, rc);
	return rc == -ENOTDIR ? rc : 0;
}

static void print_node(struct cli *c, struct ocifs_session *s, uint64_t ino, const char *shown)
{
	struct ocifs_vattr a;
	const char *target = NULL;

	if (!c->long_fmt) {
		cli_print_esc(shown);
		putchar('\n');
		return;
	}
	ocifs_view_getattr(s->view, ino, &a);
	if (S_ISLNK(a.mode))
		ocifs_view_readlink(s->view, ino, &target);
	cli_print_long(a.mode, a.uid, a.gid, a.size, a.rdev, a.mtime_ns, shown, target, NULL);
}

/* A directory being listed: entry `next` of `n` comes next; its children's
 * names start at path[plen]. */
struct walk_dir {
	uint64_t ino;
	uint32_t n, next;
	size_t plen;
};

/*
 * List dir, and with -R everything below it, depth first in directory
 * order, on an explicit stack: a tree may be as deep as its tar allows.
 * A tree of N inodes is at most N deep, so a deeper walk means a cycle
 * (a corrupt view cache) and stops instead of growing without end.
 */
static int list_dir(struct cli *c, struct ocifs_session *s, uint64_t dir)
{
	struct walk_dir *st = NULL;
	size_t depth = 0, cap = 0, pcap = 0, plen = 0;
	uint64_t max_depth = ocifs_view_inodes(s->view);
	char *path = NULL;       /* the path of the entry printed last */
	int rc = 0;

	/* Each round pushes ino (its children's names start at path[plen]) and
	 * lists entries until one is a directory to descend into. */
	for (uint64_t ino = dir; ino != UINT64_MAX && !rc;) {
		if (depth == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct walk_dir *t = realloc(st, ncap * sizeof(*st));
			if (!t) {
				rc = -ENOMEM;
				break;
			}
			st = t;
			cap = ncap;
		}
		if (depth > max_depth) {
			log_err("%s: the directory tree has a cycle", c->args[0]);
			rc = -ELOOP;
			break;
		}
		st[depth] = (struct walk_dir){ .ino = ino, .plen = plen };
		rc = ocifs_view_dir_size(s->view, ino, &st[depth].n);
		if (rc)
			break;
		if (depth++)
			path[plen - 1] = '/';
		ino = UINT64_MAX;
		while (depth && ino == UINT64_MAX && !rc) {
			struct walk_dir *w = &st[depth - 1];
			struct ocifs_vattr a;
			const char *name;
			uint64_t child;
			size_t len;

			if (w->next == w->n) {
				depth--;
				continue;
			}
			rc = ocifs_view_dir_entry(s->view, w->ino, w->next++, &name, &child);
			if (rc)
				break;
			len = strlen(name);
			if (w->plen + len + 2 > pcap) { /* name, '/' or NUL, and a NUL */
				size_t ncap = 2 * (w->plen + len + 2);
				char *t = realloc(path, ncap);
				if (!t) {
					rc = -ENOMEM;
					break;
				}
				path = t;
				pcap = ncap;
			}
			memcpy(path + w->plen, name, len + 1);
			print_node(c, s, child, c->recursive ? path : name);
			if (c->recursive && !ocifs_view_getattr(s->view, child, &a) && S_ISDIR(a.mode)) {
				ino = child;
				plen = w->plen + len + 1;
			}
		}
	}
	free(path);
	free(st);
	return rc;
}

int cli_view_open(struct cli *c, const char *arg, unsigned flags, struct ocifs_session **s,
		  uint64_t *ino, struct ocifs_vattr *a)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	int rc;

	*s = NULL;
	if (cli_path_empty(c, arg))
		return OCIFS_EXIT_USAGE;
	rc = ocifs_session_open(c->args[0], &so, s);
	if (!rc)
		rc = resolve(c, *s, arg, flags, ino);
	if (!rc)
		rc = ocifs_view_getattr((*s)->view, *ino, a);
	return rc;
}

/*
 * As GNU ls treats an operand: a symlink to a directory is listed as the
 * directory, unless -l is given (then the link itself, as `ls -l` does
 * without -H/-L); a trailing "/" always lists the target; a dangling
 * link is shown as itself, a loop is an error.
 */
static int view_ls(struct cli *c)
{
	struct ocifs_session *s = NULL;
	struct ocifs_vattr a;
	struct ocifs_view_found f;
	uint64_t ino;
	const char *arg = c->nargs > 1 ? c->args[1] : "/";
	unsigned flags = c->long_fmt ? 0 : OCIFS_VIEW_FOLLOW;
	struct ocifs_session_opts so = cli_session_opts(c);
	int rc;

	if (cli_path_empty(c, arg))
		return OCIFS_EXIT_USAGE;
	if ((rc = ocifs_session_open(c->args[0], &so, &s)))
		goto out;
	rc = ocifs_view_find(s->view, arg, flags, &f, NULL);
	if (rc == -ENOENT && flags && !ocifs_view_find(s->view, arg, 0, &f, NULL) &&
	    !ocifs_view_getattr(s->view, f.ino, &a) && S_ISLNK(a.mode))
		rc = 0; /* dangling: the link itself (a loop is an error), as GNU ls */
	else if (rc)
		path_err(c, s, arg, rc);
	ino = f.ino;
	if (!rc)
		rc = ocifs_view_getattr(s->view, ino, &a);
	if (!rc) {
		if (S_ISDIR(a.mode))
			rc = list_dir(c, s, ino);
		else
			print_node(c, s, ino, arg);
	}
out:
	ocifs_session_close(s);
	return rc;
}

static int view_cat(struct cli *c)
{
	struct ocifs_session *s;
	struct ocifs_vattr a;
	/* no span cache: one file, read once, in order (the units ahead
	 * decoded on other threads) */
	struct ocifs_reader_opts ro = { .hashck = 1, .readahead = OCIFS_READER_AHEAD };
	struct ocifs_reader *r = NULL;
	struct ocifs_rfile *f = NULL;
	uint64_t ino;
	char *buf = NULL;
	int rc = cli_view_open(c, c->args[1], OCIFS_VIEW_FOLLOW, &s, &ino, &a);

	if (!rc && !S_ISREG(a.mode)) {
		char *ea = NULL;
		ocifs_esc_name(c->args[1], &ea);
		log_err("%s: \"%s\" is not a regular file (a %s)", c->args[0], ea ? ea : "?",
			cli_type_name(a.mode));
		free(ea);
		rc = S_ISDIR(a.mode) ? -EISDIR : -EINVAL;
	}
	if (!rc)
		rc = ocifs_reader_new(s->view, &ro, &r);
	if (!rc)
		rc = ocifs_reader_open(r, ino, &f);
	if (!rc && !(buf = malloc(1 << 20)))
		rc = -ENOMEM;
	for (uint64_t off = 0; !rc && off < a.size;) {
		size_t got;
		rc = ocifs_rfile_read(f, buf, 1 << 20, off, &got);
		if (!rc && !got)
			rc = -EIO;
		if (!rc)
			rc = cli_write_stdout(buf, got);
		off += got;
	}
	free(buf);
	ocifs_rfile_close(f);
	ocifs_reader_free(r);
	ocifs_session_close(s);
	return rc;
}

/* --- one layer (--layer N) ------------------------------------------------- */

/* The normalized user path arg (*path, malloc'd), then layer c->layer
 * alone (no progress bar) and its index; logs on failure, including a
 * path leaving the root and a layer number out of range. The caller
 * frees *path and closes *s whatever this returns. */
static int layer_open(struct cli *c, const char *arg, char **path, struct ocifs_session **s,
		      struct ocifs_idxdb **db)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	int rc;

	*s = NULL;
	*path = cli_normalized_arg(arg);
	if (!*path)
		return -EINVAL;
	so.layer = (unsigned)c->layer;
	so.progress = 0;
	rc = ocifs_session_open(c->args[0], &so, s);
	if (!rc)
		rc = ocifs_layer_db((*s)->layers[0], db);
	return rc;
}

struct ls_ctx {
	int long_fmt;
};

static void print_entry(const struct ls_ctx *lc, const struct ocifs_entry *e, const char *shown)
{
	if (!lc->long_fmt) {
		cli_print_esc(shown);
		putchar('\n');
		return;
	}
	cli_print_long((e->type == '1' || ocifs_tar_mode(e->type) ? ocifs_tar_mode(e->type) : S_IFREG) |
			       e->mode, e->uid, e->gid, e->size,
		       makedev(e->devmajor, e->devminor), e->mtime_ns, shown,
		       e->type == '2' ? e->link : NULL, e->type == '1' ? e->link : NULL);
}

static int ls_cb(void *ctx, const struct ocifs_entry *e)
{
	print_entry(ctx, e, e->name);
	return 0;
}

/* One name of a layer's directory, copied out of its index: what
 * print_entry shows. */
struct lname {
	char *name, *link;
	char type;
	uint32_t mode, devmajor, devminor;
	uint64_t uid, gid, size;
	int64_t mtime_ns;
};

/* A layer directory being listed by -R: its names, the next to show;
 * its own path is path[0..plen) of layer_ls_tree. */
struct ldir {
	struct lname *e;
	size_t n, cap, next, plen;
};

static int ldir_add(void *ctx, const struct ocifs_entry *e)
{
	struct ldir *d = ctx;
	struct lname *x;

	if (!*e->name) /* the layer's own "./": not a name in it */
		return 0;
	OCIFS_GROW(d->e, d->n, d->cap);
	x = &d->e[d->n];
	*x = (struct lname){ .type = e->type, .mode = e->mode, .devmajor = e->devmajor,
			     .devminor = e->devminor, .uid = e->uid, .gid = e->gid,
			     .size = e->size, .mtime_ns = e->mtime_ns };
	x->name = strdup(e->name);
	x->link = e->link ? strdup(e->link) : NULL;
	if (!x->name || (e->link && !x->link)) {
		free(x->name);
		free(x->link);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

static void ldir_fini(struct ldir *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->e[i].name);
		free(d->e[i].link);
	}
	free(d->e);
	memset(d, 0, sizeof(*d));
}

/*
 * `ls -R --layer N [DIR]`: what layer N lists under dir (normalized, ""
 * the root), depth first, each directory's names in byte order, a
 * directory before what it holds, paths relative to dir: the order and
 * the paths `ls -R` of the merged view prints. An explicit stack, as
 * list_dir: every level's path is longer than its parent's, so it ends.
 */
static int layer_ls_tree(struct cli *c, struct ocifs_idxdb *db, const char *dir)
{
	struct ls_ctx lc = { .long_fmt = c->long_fmt };
	struct ldir *st = NULL;
	size_t depth = 0, cap = 0, pcap = 0, top = strlen(dir), shown = top ? top + 1 : 0;
	char *path = NULL; /* the directory listed, then the name shown */
	int rc = 0;

	if (!(path = strdup(dir)))
		return -ENOMEM;
	pcap = top + 1;
	if (!(st = ocifs_grow(NULL, 0, &cap, sizeof(*st)))) {
		free(path);
		return -ENOMEM;
	}
	st[0] = (struct ldir){ .plen = top };
	rc = ocifs_idxdb_list(db, path, ldir_add, &st[0]);
	depth = 1;
	while (depth && !rc) {
		struct ldir *d = &st[depth - 1];
		const struct lname *x;
		size_t len, plen;

		if (d->next == d->n) {
			ldir_fini(d);
			depth--;
			continue;
		}
		x = &d->e[d->next++];
		len = strlen(x->name);
		plen = d->plen + (d->plen ? 1 : 0) + len;
		if (plen + 1 > pcap) {
			char *t = realloc(path, 2 * (plen + 1));
			if (!t) {
				rc = -ENOMEM;
				break;
			}
			path = t;
			pcap = 2 * (plen + 1);
		}
		if (d->plen)
			path[d->plen] = '/';
		memcpy(path + plen - len, x->name, len + 1);
		struct ocifs_entry e = { .type = x->type, .mode = x->mode, .uid = x->uid,
					 .gid = x->gid, .size = x->size, .mtime_ns = x->mtime_ns,
					 .devmajor = x->devmajor, .devminor = x->devminor,
					 .name = x->name, .link = x->link };
		print_entry(&lc, &e, path + shown);
		if (x->type != '5')
			continue;
		struct ldir *t = ocifs_grow(st, depth, &cap, sizeof(*st));
		if (!t) {
			rc = -ENOMEM;
			break;
		}
		st = t;
		st[depth] = (struct ldir){ .plen = plen };
		rc = ocifs_idxdb_list(db, path, ldir_add, &st[depth++]);
	}
	while (depth)
		ldir_fini(&st[--depth]);
	free(st);
	free(path);
	return rc;
}

static int layer_ls(struct cli *c)
{
	struct ocifs_session *s;
	struct ocifs_idxdb *db = NULL;
	struct ocifs_entry e = { 0 };
	struct ls_ctx lc = { .long_fmt = c->long_fmt };
	char *path;
	int rc = layer_open(c, c->nargs > 1 ? c->args[1] : "/", &path, &s, &db);

	if (rc)
		goto out;
	if (*path) {
		rc = ocifs_idxdb_lookup(db, path, &e);
		if (rc == -ENOENT) {
			log_err("%s: layer %d has no \"%s\"", c->args[0], c->layer, c->args[1]);
			goto out;
		}
		if (rc)
			goto out;
		if (e.type != '5') {
			print_entry(&lc, &e, path);
			goto out;
		}
	}
	rc = c->recursive ? layer_ls_tree(c, db, path) : ocifs_idxdb_list(db, path, ls_cb, &lc);
out:
	ocifs_entry_fini(&e);
	ocifs_session_close(s);
	free(path);
	return rc;
}

static int layer_cat(struct cli *c)
{
	struct ocifs_session *s;
	struct ocifs_layer *l;
	struct ocifs_idxdb *db = NULL;
	struct ocifs_zcursor *cur = NULL;
	struct ocifs_entry e = { 0 };
	struct ocifs_sha *sha = NULL;
	char *path, *buf = NULL;
	int rc = layer_open(c, c->args[1], &path, &s, &db);

	if (rc)
		goto out;
	l = s->layers[0];
	rc = ocifs_idxdb_lookup(db, path, &e);
	if (!rc && e.type == '1' && e.link) { /* a hardlink: its data is the target's */
		char *target = strdup(e.link);
		ocifs_entry_fini(&e);
		rc = target ? ocifs_idxdb_lookup(db, target, &e) : -ENOMEM;
		free(target);
	}
	if (rc == -ENOENT)
		log_err("%s: layer %d has no \"%s\"", c->args[0], c->layer, c->args[1]);
	if (rc)
		goto out;
	if (e.type != '0') {
		char *et = NULL;
		if (e.type == '2' && e.link)
			ocifs_esc_name(e.link, &et);
		log_err("%s: \"%s\" in layer %d is not a regular file%s%s%s", c->args[0], c->args[1],
			c->layer, e.type == '2' ? " (a symlink to " : "", et ? et : "",
			e.type == '2' ? ")" : "");
		free(et);
		rc = e.type == '5' ? -EISDIR : -EINVAL;
		goto out;
	}
	buf = malloc(1 << 20);
	rc = buf ? ocifs_layer_cursor(l, &cur) : -ENOMEM;
	if (!rc && (e.flags & OCIFS_EF_HASHED)) /* checked as it streams */
		rc = ocifs_sha_new(&sha);
	struct ocifs_extent x;
	ocifs_entry_extent(&e, &x);
	for (uint64_t off = 0; !rc && off < e.size;) {
		size_t got;
		rc = ocifs_layer_read(l, cur, &x, buf, 1 << 20, off, &got);
		if (!rc && got == 0)
			rc = -EIO;
		if (!rc && sha)
			ocifs_sha_update(sha, buf, got);
		if (!rc && sha && off + got >= e.size) {
			unsigned char d[OCIFS_SHA256_LEN];
			ocifs_sha_final(sha, d);
			if (memcmp(d, e.sha256, sizeof(d)) != 0) {
				log_err("%s: layer %d: \"%s\" does not match the sha256 its index "
					"recorded; the cache is corrupt or was tampered with: run "
					"ocifs verify", c->args[0], c->layer, c->args[1]);
				rc = -EIO;
			}
		}
		if (!rc)
			rc = cli_write_stdout(buf, got);
		off += got;
	}
out:
	ocifs_sha_free(sha);
	free(buf);
	ocifs_zcursor_free(cur);
	ocifs_entry_fini(&e);
	ocifs_session_close(s);
	free(path);
	return rc;
}

int cmd_ls(struct cli *c)
{
	return c->layer ? layer_ls(c) : view_ls(c);
}

int cmd_cat(struct cli *c)
{
	return c->layer ? layer_cat(c) : view_cat(c);
}
