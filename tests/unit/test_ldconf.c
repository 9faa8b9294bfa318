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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		diag("cleanup failed");

	check_tree("/", "this machine's /etc/ld.so.conf");
	return done_testing();
}
