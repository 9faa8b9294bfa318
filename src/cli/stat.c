/* SPDX-License-Identifier: MIT */
/*
 * `ocifs stat IMAGE PATH [--json]`: one path of the merged view as the
 * mount shows it -- type, mode, owner, size, inode, links, date -- and
 * the layer that brought it.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cli.h"
#include "ino.h"
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

const char *cli_type_name(uint32_t mode)
{
	return type_name(mode);
}

/* --json: one object (ocifs-json(5)). */
static void stat_json(struct cli *c, const struct ocifs_session *s, uint64_t ino,
		      const struct ocifs_vattr *a, const char *target)
{
	const char *layer = a->layer == OCIFS_VIEW_NO_LAYER ? NULL : s->img->layers[a->layer].digest;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(c->args[1]));
	json_object_object_add(o, "type", json_object_new_string(type_name(a->mode)));
	json_object_object_add(o, "mode", json_object_new_int((int)(a->mode & 07777)));
	json_object_object_add(o, "ino", json_object_new_int64((int64_t)ino));
	json_object_object_add(o, "nlink", json_object_new_int64(a->nlink));
	json_object_object_add(o, "uid", json_object_new_int64((int64_t)a->uid));
	json_object_object_add(o, "gid", json_object_new_int64((int64_t)a->gid));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)a->size));
	json_object_object_add(o, "mtime_ns", json_object_new_int64(a->mtime_ns));
	json_object_object_add(o, "target", target ? json_object_new_string(target) : NULL);
	json_object_object_add(o, "layer", layer ? json_object_new_int64(a->layer + 1) : NULL);
	json_object_object_add(o, "layer_digest", layer ? json_object_new_string(layer) : NULL);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The stat(1)-like text; ino: the mount's inode number. */
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
	struct ocifs_session *s = NULL;
	struct ocifs_vattr a;
	const char *target = NULL;
	uint64_t ino;
	/* stat(1): the link itself unless -L */
	int rc = cli_view_open(c, c->args[1], c->deref ? OCIFS_VIEW_FOLLOW : 0, &s, &ino, &a);

	if (!rc) {
		ocifs_view_readlink(s->view, ino, &target);
		ino = fs_fuse_ino(ino); /* the number the mount reports (fs/ino.h) */
		if (c->json)
			stat_json(c, s, ino, &a, target);
		else
			stat_text(c, s, ino, &a, target);
	}
	ocifs_session_close(s);
	return rc;
}
