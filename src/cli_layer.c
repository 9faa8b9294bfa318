/* SPDX-License-Identifier: MIT */
/* `ocifs ls --layer N` and `ocifs cat --layer N`: one layer, through its index. */
#include <errno.h>
#include <inttypes.h>
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
#include "timens.h"

void cli_print_esc(const char *s)
{
	char out[4 * 256 + 1];
	size_t n = strlen(s);

	/* In pieces of up to 256 bytes, each cut before a byte that starts a
	 * character, so a UTF-8 sequence is never split and escaped as bytes. */
	for (size_t i = 0; i < n;) {
		size_t end = n - i > 256 ? i + 256 : n;
		while (end < n && end > i + 252 && ((unsigned char)s[end] & 0xc0) == 0x80)
			end--;
		ocifs_esc_name_buf(out, sizeof(out), s + i, end - i);
		fputs(out, stdout);
		i = end;
	}
}

void cli_print_long(uint32_t mode, uint64_t uid, uint64_t gid, uint64_t size, uint64_t rdev,
		    int64_t mtime_ns, const char *name, const char *symlink, const char *hardlink)
{
	static const char rwx[] = "rwxrwxrwx";
	char m[11], when[32], sz[32];
	struct tm tm;
	int64_t sec;
	long nsec;
	time_t t;

	m[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c' : S_ISBLK(mode) ? 'b'
	     : S_ISFIFO(mode) ? 'p' : S_ISREG(mode) ? '-' : 'h';
	for (int i = 0; i < 9; i++)
		m[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & 04000)
		m[3] = (mode & 0100) ? 's' : 'S';
	if (mode & 02000)
		m[6] = (mode & 010) ? 's' : 'S';
	if (mode & 01000)
		m[9] = (mode & 01) ? 't' : 'T';
	m[10] = '\0';
	ocifs_ns_split(mtime_ns, &sec, &nsec);
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		strcpy(when, "?");
	if (S_ISCHR(mode) || S_ISBLK(mode))
		snprintf(sz, sizeof(sz), "%u,%u", major(rdev), minor(rdev));
	else
		snprintf(sz, sizeof(sz), "%" PRIu64, size);
	printf("%s %" PRIu64 "/%" PRIu64 " %10s %s ", m, uid, gid, sz, when);
	cli_print_esc(name);
	if (symlink) {
		fputs(" -> ", stdout);
		cli_print_esc(symlink);
	}
	if (hardlink) {
		fputs(" link to ", stdout);
		cli_print_esc(hardlink);
	}
	putchar('\n');
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

char *cli_normalized_arg(const char *arg)
{
	char *p = strdup(arg);

	if (p && ocifs_path_normalize(p)) {
		log_err("%s: path leaves the root", arg);
		free(p);
		return NULL;
	}
	return p;
}

int cmd_ls(struct cli *c)
{
	struct ocifs_image *img = NULL;
	struct ocifs_layer *l = NULL;
	struct ocifs_idxdb *db = NULL;
	struct ocifs_entry e = { 0 };
	struct ls_ctx lc = { .long_fmt = c->long_fmt };
	char *path = NULL;
	int rc;

	if (!c->layer)
		return cli_view_ls(c);
	path = cli_normalized_arg(c->nargs > 1 ? c->args[1] : "/");
	if (!path)
		return -EINVAL;
	rc = cli_open_image(c, &img);
	if (!rc)
		rc = cli_open_layer(c, img, &l);
	if (!rc)
		rc = ocifs_layer_db(l, &db);
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
	ocifs_layer_close(l);
	ocifs_image_free(img);
	free(path);
	return rc;
}

int cli_write_stdout(const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = write(STDOUT_FILENO, (const char *)buf + done, n - done);
		if (w < 0) {
			int rc = -errno;
			if (rc == -EINTR)
				continue;
			log_err("write error: %s", strerror(-rc));
			return rc;
		}
		done += (size_t)w;
	}
	return 0;
}

int cmd_cat(struct cli *c)
{
	struct ocifs_image *img = NULL;
	struct ocifs_layer *l = NULL;
	struct ocifs_idxdb *db = NULL;
	struct ocifs_zcursor *cur = NULL;
	struct ocifs_entry e = { 0 };
	struct ocifs_sha *sha = NULL;
	char *path = NULL, *buf = NULL;
	int rc;

	if (!c->layer)
		return cli_view_cat(c);
	path = cli_normalized_arg(c->args[1]);
	if (!path)
		return -EINVAL;
	rc = cli_open_image(c, &img);
	if (!rc)
		rc = cli_open_layer(c, img, &l);
	if (!rc)
		rc = ocifs_layer_db(l, &db);
	if (rc)
		goto out;
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
	ocifs_layer_close(l);
	ocifs_image_free(img);
	free(path);
	return rc;
}
