/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ld.so.conf parsing (scan/ldconf.c) with includes, globs
 * and relative paths, over a real directory tree (the host-dir provider)
 * written from the input: parts split on FZ_SEP; part 0 is
 * /etc/ld.so.conf, every other part is "PATH\n" followed by the file's
 * content (PATH relative to the root, only [A-Za-z0-9._/-], no ".."; a
 * PATH ending in "/" makes a directory). The result must be a list of
 * absolute directories.
 */
#include "fuzz.h"
#include "ldconf.h"

static int safe_path(const char *p, size_t n)
{
	if (!n || n > 200 || p[0] == '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '_' || p[i] == '-' ||
		      p[i] == '/'))
			return 0;
	return !memmem(p, n, "..", 2) && !memmem(p, n, "//", 2);
}

/* mkdir -p for every "/" in rel (and rel itself if it ends in "/"). */
static void mkparents(const char *root, const char *rel)
{
	char path[1024];

	for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(path, sizeof(path), "%s/%.*s", root, (int)(s - rel), rel);
		mkdir(path, 0755);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[16];
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_ldconf c;
	char root[320], path[1024], rel[256];
	size_t n = fz_split(data, size, parts, 16);

	fz_path(root, sizeof(root), "root");
	mkdir(root, 0755);
	fz_clear(root);
	snprintf(path, sizeof(path), "%s/etc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/ld.so.conf", root);
	if (fz_write(path, parts[0].p, parts[0].n))
		abort();
	for (size_t i = 1; i < n; i++) {
		const uint8_t *nl = memchr(parts[i].p, '\n', parts[i].n);
		size_t len = nl ? (size_t)(nl - parts[i].p) : 0;
		if (!nl || !safe_path((const char *)parts[i].p, len))
			continue;
		memcpy(rel, parts[i].p, len);
		rel[len] = '\0';
		mkparents(root, rel);
		if (rel[len - 1] == '/')
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		fz_write(path, nl + 1, parts[i].n - len - 1);
	}
	t.ctx = root;
	memset(&c, 0, sizeof(c));
	if (ocifs_ldconf_parse(&t, "/etc/ld.so.conf", &c) == 0)
		for (size_t i = 0; i < c.n; i++)
			FZ_ASSERT(c.dirs[i] && c.dirs[i][0] == '/');
	ocifs_ldconf_fini(&c);
	return 0;
}
