/* SPDX-License-Identifier: MIT */
/*
 * The merged-view commands that need no mount: `ocifs ls IMAGE [PATH]
 * [-l] [-R]`, `ocifs cat IMAGE PATH`, `ocifs stat IMAGE PATH [--json]`.
 * They see exactly what the mount shows.
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
#include "log.h"
#include "reader.h"
#include "timens.h"

int cli_session_open(struct cli *c, struct cli_session *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = cli_open_image(c, &s->img);
	if (!rc)
		rc = cli_open_layers(c, s->img, 0, NULL, &s->layers);
	if (!rc)
		rc = ocifs_view_open(s->img, s->layers, c->cache_dir, &s->view);
	if (rc)
		cli_session_close(s);
	return rc;
}

void cli_session_close(struct cli_session *s)
{
	ocifs_view_free(s->view);
	if (s->img)
		cli_close_layers(s->layers, s->img->nlayers);
	ocifs_image_free(s->img);
	memset(s, 0, sizeof(*s));
}

/* Resolve a user path in the view; logs "IMAGE: no PATH" on failure. */
static int resolve(struct cli *c, struct cli_session *s, const char *arg, uint64_t *ino)
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

static void print_node(struct cli *c, struct cli_session *s, uint64_t ino, const char *shown)
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
static int list_dir(struct cli *c, struct cli_session *s, uint64_t dir)
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

int cli_view_ls(struct cli *c)
{
	struct cli_session s;
	struct ocifs_vattr a;
	uint64_t ino;
	const char *arg = c->nargs > 1 ? c->args[1] : "/";
	int rc = cli_session_open(c, &s);

	if (rc)
		return rc;
	rc = resolve(c, &s, arg, &ino);
	if (!rc)
		rc = ocifs_view_getattr(s.view, ino, &a);
	if (!rc) {
		if (S_ISDIR(a.mode))
			rc = list_dir(c, &s, ino);
		else
			print_node(c, &s, ino, arg);
	}
	cli_session_close(&s);
	return rc;
}

int cli_view_cat(struct cli *c)
{
	struct cli_session s;
	struct ocifs_vattr a;
	/* no span cache: one file, read once, in order */
	struct ocifs_reader_opts ro = { .hashck = 1 };
	struct ocifs_reader *r = NULL;
	struct ocifs_rfile *f = NULL;
	uint64_t ino;
	char *buf = NULL;
	int rc = cli_session_open(c, &s);

	if (rc)
		return rc;
	rc = resolve(c, &s, c->args[1], &ino);
	if (!rc)
		rc = ocifs_view_getattr(s.view, ino, &a);
	if (!rc && !S_ISREG(a.mode)) {
		const char *t = NULL;
		char *et = NULL;
		ocifs_view_readlink(s.view, ino, &t);
		if (t)
			ocifs_esc_name(t, &et);
		log_err("%s: \"%s\" is not a regular file%s%s%s", c->args[0], c->args[1],
			t ? " (a symlink to " : "", t ? (et ? et : "?") : "", t ? ")" : "");
		free(et);
		rc = S_ISDIR(a.mode) ? -EISDIR : -EINVAL;
	}
	if (!rc)
		rc = ocifs_reader_new(s.view, &ro, &r);
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
	cli_session_close(&s);
	return rc;
}

static const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFIFO:
		return "fifo";
	default:
		return "unknown";
	}
}

int cmd_stat(struct cli *c)
{
	struct cli_session s;
	struct ocifs_vattr a;
	const char *target = NULL;
	uint64_t ino;
	char when[64];
	int rc = cli_session_open(c, &s);

	if (rc)
		return rc;
	rc = resolve(c, &s, c->args[1], &ino);
	if (!rc)
		rc = ocifs_view_getattr(s.view, ino, &a);
	if (rc)
		goto out;
	ocifs_view_readlink(s.view, ino, &target);
	int64_t sec;
	long nsec;
	ocifs_ns_split(a.mtime_ns, &sec, &nsec);
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		strcpy(when, "?");
	const char *layer = a.layer == OCIFS_VIEW_NO_LAYER ? NULL : s.img->layers[a.layer].digest;
	if (c->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(c->args[1]));
		json_object_object_add(o, "type", json_object_new_string(type_name(a.mode)));
		json_object_object_add(o, "mode", json_object_new_int((int)(a.mode & 07777)));
		json_object_object_add(o, "ino", json_object_new_int64((int64_t)ino));
		json_object_object_add(o, "nlink", json_object_new_int64(a.nlink));
		json_object_object_add(o, "uid", json_object_new_int64((int64_t)a.uid));
		json_object_object_add(o, "gid", json_object_new_int64((int64_t)a.gid));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)a.size));
		json_object_object_add(o, "mtime_ns", json_object_new_int64(a.mtime_ns));
		json_object_object_add(o, "target", target ? json_object_new_string(target) : NULL);
		json_object_object_add(o, "layer", layer ? json_object_new_int64(a.layer + 1) : NULL);
		json_object_object_add(o, "layer_digest", layer ? json_object_new_string(layer) : NULL);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		goto out;
	}
	fputs("  File: ", stdout);
	cli_print_esc(c->args[1]);
	if (target) {
		fputs(" -> ", stdout);
		cli_print_esc(target);
	}
	putchar('\n');
	printf("  Type: %s\n", type_name(a.mode));
	printf("  Size: %-12" PRIu64 " Inode: %-10" PRIu64 " Links: %u", a.size, ino, a.nlink);
	if (S_ISCHR(a.mode) || S_ISBLK(a.mode))
		printf("  Device: %u,%u", major(a.rdev), minor(a.rdev));
	printf("\n  Mode: %04o  Uid: %" PRIu64 "  Gid: %" PRIu64 "\n", a.mode & 07777, a.uid, a.gid);
	printf("Modify: %s.%09ld UTC\n", when, nsec);
	if (layer)
		printf(" Layer: %u (%s)\n", a.layer + 1, layer);
	else
		printf(" Layer: - (implicit directory)\n");
out:
	cli_session_close(&s);
	return rc;
}
