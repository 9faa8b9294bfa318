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
#include "idxdb.h"
#include "log.h"
#include "reader.h"
#include "sha.h"
#include "timens.h"

/* Resolve a user path in the view; logs "IMAGE: no PATH" on failure. */
static int resolve(struct cli *c, struct ocifs_session *s, const char *arg, uint64_t *ino)
{
	char *p = cli_normalized_arg(arg);
	int rc;

	if (!p)
		return -EINVAL;
	rc = ocifs_view_resolve(s->view, p, ino);
	if (rc == -ENOENT || rc == -ENOTDIR)
		log_err("%s: no \"%s\" in the image", c->args[0], arg);
	free(p);
	return rc;
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

int cli_view_open(struct cli *c, const char *arg, struct ocifs_session **s, uint64_t *ino,
		     struct ocifs_vattr *a)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	int rc = ocifs_session_open(c->args[0], &so, s);

	if (!rc)
		rc = resolve(c, *s, arg, ino);
	if (!rc)
		rc = ocifs_view_getattr((*s)->view, *ino, a);
	return rc;
}

static int view_ls(struct cli *c)
{
	struct ocifs_session *s;
	struct ocifs_vattr a;
	uint64_t ino;
	const char *arg = c->nargs > 1 ? c->args[1] : "/";
	int rc = cli_view_open(c, arg, &s, &ino, &a);

	if (!rc) {
		if (S_ISDIR(a.mode))
			rc = list_dir(c, s, ino);
		else
			print_node(c, s, ino, arg);
	}
	ocifs_session_close(s);
	return rc;
}

static int view_cat(struct cli *c)
{
	struct ocifs_session *s;
	struct ocifs_vattr a;
	/* no span cache: one file, read once, in order */
	struct ocifs_reader_opts ro = { .hashck = 1 };
	struct ocifs_reader *r = NULL;
	struct ocifs_rfile *f = NULL;
	uint64_t ino;
	char *buf = NULL;
	int rc = cli_view_open(c, c->args[1], &s, &ino, &a);

	if (!rc && !S_ISREG(a.mode)) {
		const char *t = NULL;
		char *et = NULL;
		ocifs_view_readlink(s->view, ino, &t);
		if (t)
			ocifs_esc_name(t, &et);
		log_err("%s: \"%s\" is not a regular file%s%s%s", c->args[0], c->args[1],
			t ? " (a symlink to " : "", t ? (et ? et : "?") : "", t ? ")" : "");
		free(et);
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
	rc = ocifs_idxdb_list(db, path, ls_cb, &lc);
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
