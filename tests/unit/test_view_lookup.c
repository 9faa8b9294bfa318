/* SPDX-License-Identifier: MIT */
/*
 * ocifs_view_find (view_lookup.c): paths of a merged view resolved as a
 * process chroot'ed into the image resolves them, over a two-layer image
 * made here: merged-/usr links (bin -> usr/bin, lib -> usr/lib),
 * relative and absolute links, links in subdirectories, a chain of 40
 * links (allowed) and of 41 (ELOOP), loops, a dangling link, links that
 * climb with ../../.. above the root, a link to a directory, "//", ".",
 * "..", trailing slashes, an empty path. The rules are path_resolution(7)
 * with the image as the root; tests/cli/t27-paths.sh checks the same
 * kinds of links against the kernel through the mount.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_oci.h"
#include "session.h"
#include "tap.h"
#include "view.h"

#define CHAIN 41 /* c0 -> c1 -> ... -> c40 -> usr/bin/ls: 41 links from c0 */

static struct ocifs_view *V;

/* The inode of a literal path (no links followed), or UINT64_MAX. */
static uint64_t lit(const char *p)
{
	uint64_t ino;

	return ocifs_view_resolve(V, p, &ino) ? UINT64_MAX : ino;
}

/* find path with flags: its result, *ino and the canonical path (into
 * canon, "" on failure). */
static int find(const char *p, unsigned flags, uint64_t *ino, char *canon, size_t cap)
{
	struct ocifs_view_found f;
	char *c = NULL;
	int rc = ocifs_view_find(V, p, flags, &f, &c);

	*ino = rc ? UINT64_MAX : f.ino;
	snprintf(canon, cap, "%s", c ? c : "");
	if (rc && c)
		ok(0, "no canonical path handed out on failure: %s", p);
	free(c);
	return rc;
}

/* path resolves (with flags) to what the literal path want names, whose
 * canonical path is want itself. */
static void is_found(const char *p, unsigned flags, const char *want, const char *what)
{
	char canon[4096];
	uint64_t ino;
	int rc = find(p, flags, &ino, canon, sizeof(canon));

	if (!ok(rc == 0 && ino == lit(want) && !strcmp(canon, want), "%s: \"%s\" -> %s", what, p,
		want))
		diag("rc %d (%s), ino %llu (want %llu), canon \"%s\"", rc, strerror(-rc),
		     (unsigned long long)ino, (unsigned long long)lit(want), canon);
}

static void is_err(const char *p, unsigned flags, int want, const char *what)
{
	char canon[4096];
	uint64_t ino;
	int rc = find(p, flags, &ino, canon, sizeof(canon));

	if (!ok(rc == want, "%s: \"%s\" -> %s", what, p, strerror(-want)))
		diag("rc %d (%s), canon \"%s\"", rc, strerror(-rc), canon);
}

static void build1(struct fz_tar *t)
{

	fz_tar_add(t, "usr/", '5', NULL, NULL, 0);
	fz_tar_add(t, "usr/bin/", '5', NULL, NULL, 0);
	fz_tar_add(t, "usr/bin/ls", '0', NULL, "LS", 2);
	fz_tar_add(t, "usr/lib/", '5', NULL, NULL, 0);
	fz_tar_add(t, "usr/lib/os-release", '0', NULL, "ID=x\n", 5);
	fz_tar_add(t, "usr/lib/sub/", '5', NULL, NULL, 0);
	fz_tar_add(t, "usr/lib/sub/rel", '2', "../os-release", NULL, 0);
	fz_tar_add(t, "usr/lib/sub/up", '2', "../../../../../../usr/bin", NULL, 0);
	fz_tar_add(t, "bin", '2', "usr/bin", NULL, 0);
	fz_tar_add(t, "lib", '2', "usr/lib", NULL, 0);
	fz_tar_add(t, "etc/", '5', NULL, NULL, 0);
	fz_tar_add(t, "etc/os-release", '2', "../usr/lib/os-release", NULL, 0);
	fz_tar_add(t, "etc/abs", '2', "/usr/lib/os-release", NULL, 0);
	fz_tar_add(t, "etc/escape", '2', "../../../../etc/os-release", NULL, 0);
	fz_tar_add(t, "etc/slashes", '2', "//usr//lib///./os-release", NULL, 0);
	fz_tar_add(t, "etc/todir", '2', "/usr/lib/", NULL, 0);
	fz_tar_add(t, "chain1", '2', "chain2", NULL, 0);
	fz_tar_add(t, "chain2", '2', "etc/chain3", NULL, 0);
	fz_tar_add(t, "etc/chain3", '2', "/lib/sub/rel", NULL, 0);
	fz_tar_add(t, "loop1", '2', "loop2", NULL, 0);
	fz_tar_add(t, "loop2", '2', "/loop1", NULL, 0);
	fz_tar_add(t, "self", '2', "usr", NULL, 0);
	fz_tar_add(t, "dangling", '2', "/nowhere/at/all", NULL, 0);
	fz_tar_add(t, "danglink", '2', "dangling", NULL, 0);
	fz_tar_add(t, "dirlink", '2', "usr", NULL, 0);
	fz_tar_add(t, "filedir", '2', "usr/bin/ls/", NULL, 0);
}

/* the second layer: a whiteout of a link, another one over it, chains */
static void build2(struct fz_tar *t)
{
	char name[32], target[32];

	fz_tar_add(t, ".wh.self", '0', NULL, NULL, 0);
	fz_tar_add(t, "self", '2', "./self", NULL, 0);
	fz_tar_add(t, "c/", '5', NULL, NULL, 0);
	for (int i = 0; i < CHAIN; i++) {
		snprintf(name, sizeof(name), "c/c%d", i);
		if (i == CHAIN - 1)
			snprintf(target, sizeof(target), "/usr/bin/ls");
		else
			snprintf(target, sizeof(target), "c%d", i + 1);
		fz_tar_add(t, name, '2', target, NULL, 0);
	}
}

static void check(void)
{
	uint64_t ino;
	char canon[4096];
	struct ocifs_view_found f;
	int rc;

	is_found("/", 0, "/", "the root");
	is_found("//", 0, "/", "the root, doubled");
	is_found(".", 0, "/", "\".\" of the root");
	is_found("/..", 0, "/", "\"..\" of the root stays at the root");
	is_found("/../../..", OCIFS_VIEW_FOLLOW, "/", "../../.. of the root");
	is_err("", 0, -ENOENT, "an empty path names nothing (open(\"\"))");
	is_found("/usr/bin/ls", 0, "/usr/bin/ls", "a plain path");
	is_found("usr/bin/ls", 0, "/usr/bin/ls", "a relative path starts at the root");
	is_found("//usr///bin//./ls", 0, "/usr/bin/ls", "\"//\" and \".\" are nothing");
	is_found("/usr/../usr/bin/../bin/ls", 0, "/usr/bin/ls", "\"..\" of a directory");
	is_found("/usr/bin/.", 0, "/usr/bin", "a trailing \".\"");
	is_found("/usr/bin/", 0, "/usr/bin", "a trailing slash on a directory");

	/* merged /usr */
	is_found("/bin/ls", 0, "/usr/bin/ls", "a relative link in the middle");
	is_found("/lib/os-release", 0, "/usr/lib/os-release", "lib -> usr/lib");
	is_found("/bin", 0, "/bin", "the last link itself without FOLLOW");
	is_found("/bin", OCIFS_VIEW_FOLLOW, "/usr/bin", "the last link followed with FOLLOW");
	is_found("/bin/", 0, "/usr/bin", "a trailing slash follows the last link (POSIX)");
	is_found("/bin/.", 0, "/usr/bin", "so does a trailing \".\"");
	is_found("/bin/..", 0, "/usr", "\"..\" after a link is the target's parent (physical)");
	is_found("/bin/../lib/sub/../os-release", 0, "/usr/lib/os-release", "physical \"..\" chains");
	is_found("/dirlink/bin/../lib/os-release", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "a link to a directory");

	/* relative, absolute, in subdirectories */
	is_found("/etc/os-release", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "a relative link in a subdirectory (../usr/lib/os-release)");
	is_found("/etc/os-release", 0, "/etc/os-release", "the same link not followed");
	is_found("/etc/abs", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "an absolute target starts at the image root");
	is_found("/usr/lib/sub/rel", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "a relative target from the link's own directory");
	is_found("/etc/slashes", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "\"//\" and \".\" inside a target");
	is_found("/etc/todir", 0, "/etc/todir", "a link to a directory, not followed");
	is_found("/etc/todir/sub/rel", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "a target with a trailing slash, then more path");

	/* climbing above the root */
	is_found("/etc/escape", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "../../../.. in a target stops at the image root (then a second link)");
	is_found("/usr/lib/sub/up/ls", 0, "/usr/bin/ls", "../../../../../.. from a subdirectory");
	is_found("/usr/lib/sub/up", OCIFS_VIEW_FOLLOW, "/usr/bin", "... followed last");

	/* chains */
	is_found("/chain1", OCIFS_VIEW_FOLLOW, "/usr/lib/os-release",
		 "a chain: relative, into a subdirectory, absolute through /lib, relative");
	rc = ocifs_view_find(V, "/chain1", OCIFS_VIEW_FOLLOW, &f, NULL);
	ok(rc == 0 && f.links == 5 && f.dir == lit("/usr/lib"),
	   "links counted (chain1 chain2 chain3 lib rel: %u), the directory holding it", f.links);
	rc = ocifs_view_find(V, "/loop1", OCIFS_VIEW_FOLLOW, &f, NULL);
	ok(rc == -ELOOP && f.links == OCIFS_VIEW_MAXSYMLINKS + 1,
	   "links counted on failure too (%u)", f.links);
	is_found("/c/c1", OCIFS_VIEW_FOLLOW, "/usr/bin/ls", "40 links are allowed");
	is_err("/c/c0", OCIFS_VIEW_FOLLOW, -ELOOP, "the 41st link is -ELOOP");
	is_found("/c/c0", 0, "/c/c0", "a long chain not followed last is the link itself");
	is_err("/c/c0/", 0, -ELOOP, "... but a trailing slash follows it");

	/* loops, dangling, non-directories */
	is_err("/loop1", OCIFS_VIEW_FOLLOW, -ELOOP, "a loop of two links");
	is_err("/self", OCIFS_VIEW_FOLLOW, -ELOOP, "a link to itself");
	is_err("/loop1/x", 0, -ELOOP, "a loop in the middle");
	is_found("/loop1", 0, "/loop1", "a loop, not followed last");
	is_err("/dangling", OCIFS_VIEW_FOLLOW, -ENOENT, "a dangling link");
	is_err("/danglink", OCIFS_VIEW_FOLLOW, -ENOENT, "a link to a dangling link");
	is_found("/dangling", 0, "/dangling", "a dangling link itself");
	is_err("/dangling/", 0, -ENOENT, "a dangling link with a trailing slash");
	is_err("/usr/bin/ls/", 0, -ENOTDIR, "a trailing slash on a file");
	is_err("/usr/bin/ls/.", 0, -ENOTDIR, "\".\" of a file");
	is_err("/usr/bin/ls/..", 0, -ENOTDIR, "\"..\" of a file");
	is_err("/usr/bin/ls/x", 0, -ENOTDIR, "a file in the middle");
	is_err("/etc/os-release/", 0, -ENOTDIR, "a trailing slash on a link to a file");
	is_err("/bin/ls/", 0, -ENOTDIR, "a trailing slash on a file through a link");
	is_err("/filedir", OCIFS_VIEW_FOLLOW, -ENOTDIR, "a target ending in a slash names a file");
	is_err("/nope", 0, -ENOENT, "a missing name");
	is_err("/nope/..", 0, -ENOENT, "\"..\" of a missing name (no lexical shortcut)");
	is_err("/usr/nope/../bin", 0, -ENOENT, "... in the middle too");
	is_err("/", 0x80, -EINVAL, "unknown flags");
	ok(find("/bin/ls", 0, &ino, canon, sizeof(canon)) == 0 && !strcmp(canon, "/usr/bin/ls"),
	   "the canonical path names no link");
}

int main(void)
{
	struct ocifs_session_opts so = { .img = { .platform = "linux/amd64" } };
	struct ocifs_session *s = NULL;
	struct fz_tar t[2];
	struct fz_part parts[2];
	char dir[512];
	int rc;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/img", fz_tmp()) >= sizeof(dir))
		abort();
	for (int i = 0; i < 2; i++) {
		if (fz_tar_begin(&t[i]))
			abort();
		(i ? build2 : build1)(&t[i]);
		fz_tar_end(&t[i]);
		parts[i].p = (const uint8_t *)t[i].buf;
		parts[i].n = t[i].len;
	}
	rc = fz_layout_of_layers(dir, parts, 2);
	if (!rc)
		rc = ocifs_session_open(dir, &so, &s);
	if (ok(!rc, "the image opens (%s)", strerror(-rc))) {
		V = s->view;
		check();
	}
	ocifs_session_close(s);
	free(t[0].buf);
	free(t[1].buf);
	return done_testing();
}
