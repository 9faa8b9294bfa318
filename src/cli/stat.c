/* SPDX-License-Identifier: MIT */
/*
 * `ocifs stat IMAGE PATH [--json]`: one path of the merged view as the
 * mount shows it -- type, mode, owner, size, inode, links, date -- and
 * the layer that brought it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cli.h"
#include "jsonw.h"
#include "timens.h"

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

#define STAT_SCHEMA "ocifs-stat/1"

/* --json: the "ocifs-stat/1" object (ocifs-json(5)); the path and the
 * link target are bytes, written surrogateescaped (jsonw.h). */
static void stat_json(struct cli *c, const struct ocifs_session *s, uint64_t ino,
		      const struct ocifs_vattr *a, const char *target)
{
	const char *layer = a->layer == OCIFS_VIEW_NO_LAYER ? NULL : s->img->layers[a->layer].digest;
	int dev = S_ISCHR(a->mode) || S_ISBLK(a->mode);
	struct ocifs_jsonw w;
	char mode[8], when[64] = "";
	int64_t sec;
	long nsec;
	struct tm tm;
	time_t t;

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(a->mode & 07777));
	ocifs_ns_split(a->mtime_ns, &sec, &nsec);
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) && strftime(when, sizeof(when) - 12, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(when + strlen(when), 12, ".%09ldZ", nsec);
	ocifs_jsonw_init(&w, stdout);
	w.surrogateescape = 1;
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kstr(&w, "schema", STAT_SCHEMA);
	ocifs_jsonw_kstr(&w, "path", c->args[1]);
	ocifs_jsonw_kstr(&w, "type", type_name(a->mode));
	ocifs_jsonw_kstr(&w, "mode", mode);
	ocifs_jsonw_kint(&w, "ino", (int64_t)ino);
	ocifs_jsonw_kint(&w, "nlink", a->nlink);
	ocifs_jsonw_kint(&w, "uid", (int64_t)a->uid);
	ocifs_jsonw_kint(&w, "gid", (int64_t)a->gid);
	ocifs_jsonw_kint(&w, "size", (int64_t)a->size);
	ocifs_jsonw_key(&w, "rdev_major");
	if (dev)
		ocifs_jsonw_int(&w, major(a->rdev));
	else
		ocifs_jsonw_null(&w);
	ocifs_jsonw_key(&w, "rdev_minor");
	if (dev)
		ocifs_jsonw_int(&w, minor(a->rdev));
	else
		ocifs_jsonw_null(&w);
	ocifs_jsonw_kint(&w, "mtime_ns", a->mtime_ns);
	ocifs_jsonw_kstr(&w, "mtime", *when ? when : NULL);
	ocifs_jsonw_kstr(&w, "target", target);
	ocifs_jsonw_key(&w, "layer");
	if (layer)
		ocifs_jsonw_int(&w, a->layer + 1);
	else
		ocifs_jsonw_null(&w);
	ocifs_jsonw_kstr(&w, "layer_digest", layer && *layer ? layer : NULL);
	ocifs_jsonw_end_obj(&w);
	putchar('\n');
}

/* The stat(1)-like text. */
static void stat_text(struct cli *c, const struct ocifs_session *s, uint64_t ino,
		      const struct ocifs_vattr *a, const char *target)
{
	const char *layer = a->layer == OCIFS_VIEW_NO_LAYER ? NULL : s->img->layers[a->layer].digest;
	char when[64];
	int64_t sec;
	long nsec;
	struct tm tm;

	ocifs_ns_split(a->mtime_ns, &sec, &nsec);
	time_t t = (time_t)sec;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		strcpy(when, "?");
	fputs("  File: ", stdout);
	cli_print_esc(c->args[1]);
	if (target) {
		fputs(" -> ", stdout);
		cli_print_esc(target);
	}
	putchar('\n');
	printf("  Type: %s\n", type_name(a->mode));
	printf("  Size: %-12" PRIu64 " Inode: %-10" PRIu64 " Links: %u", a->size, ino, a->nlink);
	if (S_ISCHR(a->mode) || S_ISBLK(a->mode))
		printf("  Device: %u,%u", major(a->rdev), minor(a->rdev));
	printf("\n  Mode: %04o  Uid: %" PRIu64 "  Gid: %" PRIu64 "\n", a->mode & 07777, a->uid, a->gid);
	printf("Modify: %s.%09ld UTC\n", when, nsec);
	if (layer)
		printf(" Layer: %u (%s)\n", a->layer + 1, layer);
	else
		printf(" Layer: - (implicit directory)\n");
}

int cmd_stat(struct cli *c)
{
	struct ocifs_session *s;
	struct ocifs_vattr a;
	const char *target = NULL;
	uint64_t ino;
	int rc = cli_view_open(c, c->args[1], &s, &ino, &a);

	if (!rc) {
		ocifs_view_readlink(s->view, ino, &target);
		if (c->json)
			stat_json(c, s, ino, &a, target);
		else
			stat_text(c, s, ino, &a, target);
	}
	ocifs_session_close(s);
	return rc;
}
