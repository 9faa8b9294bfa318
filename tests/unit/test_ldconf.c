/* SPDX-License-Identifier: MIT */
/*
 * ld.so.conf parsing: on trees the test writes (includes by glob and by
 * name, relative includes, separators, comments, an include loop, a
 * missing include dir) and on this machine's /etc, the directories we
 * read, kept to those that exist (first of each real path), equal what
 * `ldconfig -v -N -r ROOT` says it scans "(from ...)", in order.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ldconf.h"
#include "tap.h"

static void check_tree(const char *root, const char *label)
{
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_ldconf c;
	char cmd[1024], line[4096], ours[8192] = "", want[8192] = "";
	char seen[64][PATH_MAX];
	int nseen = 0;
	FILE *p;

	t.ctx = (void *)root;
	if (!ok(ocifs_ldconf_parse(&t, "/etc/ld.so.conf", &c) == 0, "%s: parse", label))
		return;
	for (size_t i = 0; i < c.n; i++) {
		char full[PATH_MAX], real[PATH_MAX];
		snprintf(full, sizeof(full), "%s%s", root, c.dirs[i]);
		if (!realpath(full, real))
			continue;
		int dup = 0;
		for (int k = 0; k < nseen; k++)
			dup |= !strcmp(seen[k], real);
		if (dup || nseen == 64)
			continue;
		strcpy(seen[nseen++], real);
		strcat(ours, c.dirs[i]);
		strcat(ours, "\n");
	}
	snprintf(cmd, sizeof(cmd), "ldconfig -v -N -r '%s' 2>/dev/null", root);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char *from = strstr(line, ": (from ");
		if (!from || strstr(line, "<builtin>"))
			continue;
		*from = '\0';
		strcat(want, line);
		strcat(want, "\n");
	}
	if (p)
		pclose(p);
	is_str(ours, want, "%s: directories and order as ldconfig reads them", label);
	if (c.note)
		diag("%s: note: %s", label, c.note);
	ocifs_ldconf_fini(&c);
}

/* A tree over the host directory that counts whole-file reads. */
static unsigned nreads;
static int counting_read(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	if (++nreads > 1000)
		return -EIO; /* stops the expansion when files are read again */
	return ocifs_tree_hostdir_ops.read_file(ctx, path, max, buf, len);
}

static int write_file(const char *root, const char *path, const char *text);

/* Include fan-out: N files, each naming a directory and including the
 * next one K times. ldconfig reads K^(N-1) files; the directory list is
 * N long either way. */
static void fanout(const char *root, int n, int k)
{
	char path[64], text[4096], dir[64];

	for (int i = 0; i < n; i++) {
		size_t o = (size_t)snprintf(text, sizeof(text), "/opt/f%d\n", i);
		for (int j = 0; i + 1 < n && j < k; j++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "include f%d.conf\n", i + 1);
		snprintf(path, sizeof(path), "/etc/fan/f%d.conf", i);
		write_file(root, path, text);
		snprintf(dir, sizeof(dir), "%s/opt/f%d", root, i);
		mkdir(dir, 0755);
	}
	write_file(root, "/etc/ld.so.conf", "include fan/f0.conf\n");
}

static void hostile(const char *root)
{
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_ldconf c;
	char path[PATH_MAX], want[32];
	enum { NDIRS = 110000 };

	t.ctx = (void *)root;
	snprintf(path, sizeof(path), "%s/etc/fan", root);
	mkdir(path, 0755);
	/* small enough for ldconfig itself: the same list */
	fanout(root, 5, 3);
	check_tree(root, "include fan-out 5 x 3");

	/* 12 files each including the next 10 times: each read once */
	fanout(root, 12, 10);
	t.read_file = counting_read;
	nreads = 0;
	if (ok(ocifs_ldconf_parse(&t, "/etc/ld.so.conf", &c) == 0, "fan-out 12 x 10: parse")) {
		int good = c.n == 12;
		for (size_t i = 0; good && i < c.n; i++) {
			snprintf(want, sizeof(want), "/opt/f%zu", i);
			good = !strcmp(c.dirs[i], want);
		}
		ok(good, "fan-out 12 x 10: the 12 directories in order (%zu)", c.n);
		is_int(nreads, 13, "fan-out 12 x 10: each file read once");
		ocifs_ldconf_fini(&c);
	}
	t.read_file = ocifs_tree_hostdir_ops.read_file;

	/* 110k directories in one file (under its 1 MiB limit), the first
	 * 10k listed again with a trailing '/' */
	FILE *f;
	snprintf(path, sizeof(path), "%s/etc/ld.so.conf", root);
	if (!(f = fopen(path, "w")))
		return;
	for (int i = 0; i < NDIRS + 10000; i++)
		fprintf(f, "/m%d%s\n", i % NDIRS, i >= NDIRS ? "/" : "");
	fclose(f);
	if (ok(ocifs_ldconf_parse(&t, "/etc/ld.so.conf", &c) == 0, "%d directories: parse", NDIRS)) {
		int good = c.n == NDIRS;
		for (size_t i = 0; good && i < c.n; i++) {
			snprintf(want, sizeof(want), "/m%zu", i);
			good = !strcmp(c.dirs[i], want);
		}
		ok(good, "%d directories, some twice: each once, in order (%zu)", NDIRS, c.n);
		ok(!c.note, "%d directories: nothing cut", NDIRS);
		ocifs_ldconf_fini(&c);
	}
}

static int write_file(const char *root, const char *path, const char *text)
{
	char full[PATH_MAX];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	char root[] = "/tmp/ocifs-ldconf.XXXXXX", cmd[2048];
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_ldconf c;

	if (system("command -v ldconfig >/dev/null") != 0) {
		skip("ldconfig not found");
		return done_testing();
	}
	if (!mkdtemp(root))
		return 1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p etc/ld.so.conf.d etc/more lib usr/lib opt/a opt/b opt/c opt/d "
		 "opt/e opt/rel && ln -s a opt/alias", root);
	if (system(cmd) != 0)
		return 1;
	write_file(root, "/etc/ld.so.conf",
		   "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/opt/a:/opt/b, /opt/c\n/opt/c/ \t# tail\n/opt/d=libc6\n"
		   "include more/rel.conf\nhwcap 0 nosegneg\ninclude /nonexistent/*.conf\n/opt/alias\n");
	write_file(root, "/etc/ld.so.conf.d/10-e.conf", "/opt/e\n/opt/a\n");
	write_file(root, "/etc/ld.so.conf.d/02-first.conf", "/opt/b\n");
	write_file(root, "/etc/ld.so.conf.d/skip.txt", "/opt/c\n");
	write_file(root, "/etc/more/rel.conf", "/opt/rel\ninclude rel.conf\n"); /* a loop */
	check_tree(root, "written tree");

	t.ctx = root;
	if (ocifs_ldconf_parse(&t, "/etc/ld.so.conf", &c) == 0) {
		ok(c.n >= 7 && !strcmp(c.dirs[0], "/opt/b") && !strcmp(c.dirs[1], "/opt/e"),
		   "includes expanded in sorted order, before the lines after them");
		ok(c.note && strstr(c.note, "loop"), "the include loop is noted, not followed");
		ocifs_ldconf_fini(&c);
	}
	write_file(root, "/etc/ld.so.conf", "include /etc/ld.so.conf\n");
	ok(ocifs_ldconf_parse(&t, "/etc/ld.so.conf", &c) == 0 && c.n == 0 && c.note,
	   "a file including itself ends");
	ocifs_ldconf_fini(&c);
	ok(ocifs_ldconf_parse(&t, "/etc/none.conf", &c) == 0 && c.n == 0, "a missing file: no dirs");
	ocifs_ldconf_fini(&c);
	hostile(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		diag("cleanup failed");

	check_tree("/", "this machine's /etc/ld.so.conf");
	return done_testing();
}
