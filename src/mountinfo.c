/* SPDX-License-Identifier: MIT */
/*
 * The mount table (/proc/self/mountinfo): the mount at a path (umount,
 * the mountpoint checks), the deepest mount holding a path, and the
 * message for a path on a dead FUSE mount.
 *
 * A mountinfo line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
 * [OPTIONAL...] - TYPE SOURCE SUPER, with space, tab, newline and
 * backslash in MOUNTPOINT written as octal escapes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "mountinfo.h"
#include "path.h"

/* Undo mountinfo's octal escapes (\040 space, \011, \012, \134) in place. */
static void unescape_octal(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* Split one line in place: its device, mountpoint (unescaped) and type;
 * 0 if the line has neither. */
static int parse_line(char *line, dev_t *dev, char **mp, char **fstype)
{
	char *save = NULL, *tok;
	int field = 0, dash = 0;
	unsigned ma, mi;

	*mp = *fstype = NULL;
	*dev = 0;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (field == 2 && sscanf(tok, "%u:%u", &ma, &mi) == 2)
			*dev = makedev(ma, mi);
		if (field == 4)
			*mp = tok;
		if (dash) {
			*fstype = tok;
			break;
		}
		if (field >= 6 && !strcmp(tok, "-"))
			dash = 1;
		field++;
	}
	if (!*mp || !*fstype)
		return 0;
	unescape_octal(*mp);
	return 1;
}

/* The mount on top at path (exact, or with within: the deepest mount
 * whose mountpoint is path or one of its ancestors). 1 with its
 * mountpoint (malloc'd, if mp) and type; 0 if none; -errno. Later lines
 * are mounted on top of earlier ones, so the last match wins. */
static int lookup(const char *path, int within, char **mp_out, char *type, size_t typelen,
		  dev_t *dev_out)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *mp, *fstype;
	dev_t dev;
	size_t cap = 0, best = 0;
	int found = 0, rc = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		size_t n;

		if (!parse_line(line, &dev, &mp, &fstype))
			continue;
		n = strlen(mp);
		if (within ? (strncmp(path, mp, n) || (path[n] && path[n] != '/' && n > 1) ||
			      n < best)
			   : strcmp(path, mp))
			continue;
		found = 1;
		best = n;
		snprintf(type, typelen, "%s", fstype);
		if (dev_out)
			*dev_out = dev;
		if (mp_out) {
			free(*mp_out);
			if (!(*mp_out = strdup(mp))) {
				rc = -ENOMEM;
				break;
			}
		}
	}
	free(line);
	fclose(f);
	return rc ? rc : found;
}

int ocifs_mountinfo_find(const char *path, char *type, size_t typelen)
{
	return lookup(path, 0, NULL, type, typelen, NULL);
}

int ocifs_mountinfo_dev(const char *path, dev_t *dev)
{
	char type[64];

	*dev = 0;
	return lookup(path, 0, NULL, type, sizeof(type), dev);
}

char *ocifs_mountinfo_abspath(const char *path)
{
	char *cwd = NULL, *joined, *abs;

	if (*path != '/' && !(cwd = getcwd(NULL, 0)))
		return NULL;
	joined = ocifs_path_join(cwd ? cwd : "", path); /* normal form: no leading "/" */
	free(cwd);
	if (!joined) {
		errno = EINVAL;
		return NULL;
	}
	if (asprintf(&abs, "/%s", joined) < 0)
		abs = NULL;
	free(joined);
	return abs;
}

void ocifs_log_path_err(const char *name, const char *path, int rc)
{
	char type[64] = "", *abs, *mp = NULL;

	if (rc != -ENOTCONN) {
		log_err("%s: %s", name, strerror(-rc));
		return;
	}
	abs = ocifs_mountinfo_abspath(path);
	if (abs && lookup(abs, 1, &mp, type, sizeof(type), NULL) > 0 && strncmp(type, "fuse", 4) == 0)
		log_err("%s: not connected: run %s %s", name,
			strcmp(type, "fuse.ocifs") == 0 ? "ocifs umount" : "fusermount3 -u", mp);
	else
		log_err("%s: not connected (a FUSE mount whose daemon is gone): unmount it", name);
	free(mp);
	free(abs);
}
