/* SPDX-License-Identifier: MIT */
/*
 * Library resolution checked against the real loaders. tests/gen/mkldso.sh
 * builds glibc and musl roots with gcc/musl-gcc and this machine's own
 * ld.so, libc, ld-musl and an ld.so.cache from `ldconfig -r`; for every
 * case our resolution over ocifs_tree_hostdir_ops must list the same
 * objects, in the same order, with the same paths as the loader itself
 * run in the root (chroot + ld.so with LD_TRACE_LOADED_OBJECTS=1, as ldd
 * runs it; ld-musl --list), plus the rule and note each case is about.
 * Then hostile trees (crafted ELF files: a NEEDED chain thousands deep,
 * cycles, a huge RPATH, symlink loops, a corrupt ld.so.cache) must end
 * quickly with notes, and several threads share one resolver.
 *
 * The oracle needs chroot(2), i.e. root: without it the oracle cases
 * skip (fail under CI=true). The loader of the root is always this
 * machine's, so roots of another architecture are not tried.
 *
 * `test_ldso --root DIR --list` prints the dynamic ELF files of DIR;
 * `test_ldso --root DIR --compare LDDOUT` compares our resolution of each
 * with the ldd output in LDDOUT ("@@@ PATH" then ldd's lines); both are
 * for tests/cli/t08-ldd-oracle.sh (see ldso_oracle.h).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ldso.h"
#include "log.h"
#include "tap.h"
#include "ldso_oracle.h"

/* --- our side ----------------------------------------------------------- */

struct ours {
	struct ocifs_ldso_result r;
	int rc;
	char list[16384];        /* "name => path" lines, in load order */
};

static int analyze(const char *root, const char *path, struct ocifs_elf *e)
{
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_tree_file f;
	int rc;

	t.ctx = (void *)root;
	memset(e, 0, sizeof(*e));
	if ((rc = t.open_file(t.ctx, path, &f)) != 0)
		return rc;
	rc = ocifs_elf_analyze(&f.rd, e);
	t.close_file(t.ctx, &f);
	return rc;
}

static void resolve(struct ocifs_ldso *l, const char *root, const char *path, struct ours *o)
{
	struct ocifs_elf e;

	memset(o, 0, sizeof(*o));
	o->rc = analyze(root, path, &e);
	if (o->rc == 0)
		o->rc = ocifs_ldso_resolve(l, path, &e, &o->r);
	ocifs_elf_fini(&e);
	for (size_t i = 0; o->rc == 0 && i < o->r.n; i++)
		ldso_list_add(o->list, sizeof(o->list), o->r.libs[i].name, o->r.libs[i].path);
}

static const struct ocifs_ldso_lib *lib(const struct ours *o, const char *name)
{
	for (size_t i = 0; i < o->r.n; i++)
		if (!strcmp(o->r.libs[i].name, name))
			return &o->r.libs[i];
	return NULL;
}

static const char *rule_of(const struct ours *o, const char *name)
{
	const struct ocifs_ldso_lib *x = lib(o, name);
	return x ? x->rule : "(absent)";
}

static int note_has(const struct ours *o, const char *s)
{
	return o->r.note && strstr(o->r.note, s);
}

/* --- the oracle cases ----------------------------------------------------- */

struct ctx {
	char dir[PATH_MAX];
	char platform[64];
	unsigned level;
	int chroot_ok;
	int exec32;             /* ldso_exec_probe() of a 32-bit program */
};

/* A resolver over root; t (the caller's) must outlive it. */
static struct ocifs_ldso *new_ldso(struct ocifs_tree *t, const char *root, const char *llp,
				   const struct ctx *c, unsigned level)
{
	struct ocifs_ldso_opts o = { .ld_library_path = llp, .platform = c->platform,
				     .hwcaps_level = level };
	struct ocifs_ldso *l = NULL;

	*t = ocifs_tree_hostdir_ops;
	t->ctx = (void *)root;
	if (ocifs_ldso_new(t, &o, &l) != 0)
		return NULL;
	return l;
}

/* One "ROOT PATH [LLP]" line of mkldso.sh's cases: ours == the loader's. */
static void oracle_case(const struct ctx *c, const char *rootname, const char *path,
			const char *llp)
{
	char root[PATH_MAX + 40], label[PATH_MAX * 3], *got = NULL;
	struct ocifs_tree tr;
	struct ours *o = malloc(sizeof(*o));
	struct ocifs_ldso *l;

	snprintf(root, sizeof(root), "%s/%s", c->dir, rootname);
	snprintf(label, sizeof(label), "%s:%s%s%s", rootname, path, llp ? " LD_LIBRARY_PATH=" : "",
		 llp ? llp : "");
	l = new_ldso(&tr, root, llp, c, c->level);
	if (!o || !l) {
		ok(0, "%s: resolver", label);
		goto out;
	}
	resolve(l, root, path, o);
	if (!ok(o->rc == 0, "%s: resolved (rc %d)", label, o->rc))
		goto out;
	if (!c->chroot_ok) {
		if (tap_in_ci())
			ok(0, "%s: no oracle: chroot needs root (a skip fails under CI=true)", label);
		else
			skip("%s: no oracle (chroot needs root)", label);
		goto out;
	}
	struct ocifs_elf e;
	if (analyze(root, path, &e) != 0) {
		ok(0, "%s: analyze", label);
		goto out;
	}
	if (e.cls == 32 && c->exec32 == 0) {
		/* The loader of a 32-bit program is a 32-bit program. */
		skip_kernel("kernel cannot execute 32-bit programs (ENOEXEC)",
			    "%s: the loader's objects, paths, order", label);
		ocifs_elf_fini(&e);
		goto out;
	}
	int rc = ldso_oracle_run(root, path, &e, llp, &got);
	const char *interp = e.interp ? e.interp : o->r.flavour[0] == 'm' ? "/lib/ld-musl-x86_64.so.1"
						 : e.cls == 32 ? "/lib/ld-linux.so.2"
							       : "/lib64/ld-linux-x86-64.so.2";
	char want[16384];
	int parsed = got ? ldso_parse_ldd(got, interp, want, sizeof(want)) : -1;
	ocifs_elf_fini(&e);
	if (!ok(parsed == 0 && !strcmp(want, o->list), "%s: the loader's objects, paths, order", label)) {
		diag("loader said (rc %d):\n%s", rc, got ? got : "");
		diag("parsed:\n%s", want);
		diag("ours:\n%s", o->list);
		if (o->r.note)
			diag("note: %s", o->r.note);
	}
out:
	free(got);
	if (o)
		ocifs_ldso_result_fini(&o->r);
	free(o);
	ocifs_ldso_free(l);
}

/* What each case is about, beyond matching the loader. */
static void rule_checks(const struct ctx *c)
{
	char g[PATH_MAX + 8], m[PATH_MAX + 8], m0[PATH_MAX + 8];
	struct ocifs_ldso *l, *ll, *lb;
	struct ocifs_tree t1, t2, t3;
	struct ours *o = calloc(1, sizeof(*o));

	snprintf(g, sizeof(g), "%s/g", c->dir);
	snprintf(m, sizeof(m), "%s/m", c->dir);
	snprintf(m0, sizeof(m0), "%s/m0", c->dir);
	l = new_ldso(&t1, g, NULL, c, 0);
	ll = new_ldso(&t2, g, "/app/llp", c, 0);
	if (!ok(l && ll && o, "resolvers for the glibc root"))
		goto out;
#define R(lo, path) (ocifs_ldso_result_fini(&o->r), resolve((lo), g, (path), o))
	R(l, "/app/bin/rpath");
	is_str(o->r.flavour, "glibc", "rpath: glibc rules");
	is_str(rule_of(o, "liba.so"), "rpath", "rpath: liba.so by the program's RPATH ($ORIGIN)");
	is_str(rule_of(o, "libb.so"), "rpath", "rpath: libb.so by the inherited RPATH");
	is_str(lib(o, "libb.so") ? lib(o, "libb.so")->path : NULL, "/app/bin/../lib/libb.so",
	       "rpath: $ORIGIN is the program's directory, path not normalized (as ld.so)");
	ok(lib(o, "libb.so") && lib(o, "libb.so")->depth == 2 &&
	   lib(o, "libb.so")->needed_by == (size_t)(lib(o, "liba.so") - o->r.libs),
	   "rpath: libb.so needed by liba.so at depth 2");
	is_str(rule_of(o, "libc.so.6"), "ld.so.cache", "rpath: libc.so.6 from ld.so.cache");
	ok(o->r.nneeded == 2 && !strcmp(o->r.needed[0].name, "liba.so"),
	   "rpath: needed[] is the program's own NEEDED");
	R(l, "/app/lib/liba.so");
	is_str(rule_of(o, "libb.so"), "not found", "a library on its own: no RPATH, libb.so not found");
	R(l, "/app/bin/runpath");
	is_str(rule_of(o, "liba2.so"), "runpath", "runpath: liba2.so by RUNPATH (${ORIGIN})");
	is_str(rule_of(o, "libb2.so"), "not found", "runpath: RUNPATH is not inherited");
	is_int(o->r.nunresolved, 1, "runpath: one unresolved");
	R(l, "/app/bin/missing");
	is_str(rule_of(o, "libmissing.so"), "not found", "missing: not found");
	R(l, "/app/bin/cls64");
	is_str(lib(o, "libcls.so") ? lib(o, "libcls.so")->path : NULL, "/app/l64/libcls.so",
	       "cls64: the 64-bit libcls.so");
	ok(note_has(o, "skipped /app/l32/libcls.so"), "cls64: the other-class candidate is noted");
	char c32[PATH_MAX + 32];
	snprintf(c32, sizeof(c32), "%s/app/bin/cls32", g);
	if (access(c32, F_OK) == 0) {
		R(l, "/app/bin/cls32");
		is_str(lib(o, "libcls.so") ? lib(o, "libcls.so")->path : NULL, "/app/l32/libcls.so",
		       "cls32: the 32-bit libcls.so, after skipping the 64-bit one");
		is_str(lib(o, "libc.so.6") ? lib(o, "libc.so.6")->path : NULL, "/lib32/libc.so.6",
		       "cls32: the 32-bit libc from the cache's libc6 entries");
	}
	R(ll, "/app/bin/llp-runpath");
	is_str(rule_of(o, "libllp.so"), "ld_library_path", "LD_LIBRARY_PATH before RUNPATH");
	R(ll, "/app/bin/llp-rpath");
	is_str(rule_of(o, "libllp.so"), "rpath", "RPATH before LD_LIBRARY_PATH");
	R(l, "/app/bin/plat");
	ok(lib(o, "libplat.so") && lib(o, "libplat.so")->path &&
	   strstr(lib(o, "libplat.so")->path, c->platform), "plat: $LIB/$PLATFORM expanded");
	R(l, "/app/bin/conf");
	is_str(rule_of(o, "libconf.so"), "ld.so.cache", "conf: ld.so.conf's dir through the cache");
	is_str(rule_of(o, "libstale.so"), "not found", "conf: not in the cache: not found");
	ok(note_has(o, "libstale.so: found in /opt/stale (ld.so.conf) but not in ld.so.cache"),
	   "conf: ... with the ld.so.conf note");
	ok(note_has(o, "stale cache"), "conf: a cache entry whose file is gone is noted");
	R(l, "/app/bin/loop");
	is_str(rule_of(o, "libloop.so"), "not found", "loop: ELOOP ends the RPATH list (as ld.so)");
	ok(note_has(o, strerror(ELOOP)), "loop: noted");
	R(l, "/app/bin/cyc");
	ok(o->rc == 0 && o->r.n == 3, "cyc: a NEEDED cycle loads each object once");
	R(l, "/app/bin/direct");
	is_str(rule_of(o, "/app/direct/libdirect.so"), "direct", "direct: NEEDED with '/'");
	is_str(lib(o, "$ORIGIN/../direct/libdorig.so") ? lib(o, "$ORIGIN/../direct/libdorig.so")->path
						       : NULL,
	       "/app/bin/../direct/libdorig.so", "direct: $ORIGIN in a NEEDED path");
	R(l, "/app/bin/nodeflib");
	is_str(rule_of(o, "libc.so.6"), "not found", "nodeflib: system dirs off for its NEEDED");
	R(l, "/app/bin/same");
	ok(o->r.n == 2 && o->r.nneeded == 3 && !strcmp(o->r.needed[1].rule, "loaded") &&
	   o->r.needed[1].path && !strcmp(o->r.needed[1].path, "/app/same/libsame.so.1"),
	   "same: a second name for a loaded file is the same object");
	ok(o->r.nneeded == 3 && !strcmp(o->r.needed[1].name, "libalias.so"), "same: needed order");
	R(l, "/app/bin/hw");
	is_str(lib(o, "libhw.so") ? lib(o, "libhw.so")->path : NULL, "/app/hw/libhw.so",
	       "hw: baseline CPU: not glibc-hwcaps/x86-64-v2");
	ok(note_has(o, "x86-64-v2"), "hw: the x86-64-v2 build is noted");
	lb = new_ldso(&t3, g, NULL, c, 2);
	R(lb, "/app/bin/hw");
	is_str(lib(o, "libhw.so") ? lib(o, "libhw.so")->path : NULL,
	       "/app/hw/glibc-hwcaps/x86-64-v2/libhw.so", "hw: hwcaps_level 2: the v2 build");
	ocifs_ldso_free(lb);
	R(l, "/app/bin/blocked");
	ok(!strcmp(rule_of(o, "librun.so"), "rpath") && !strcmp(rule_of(o, "libdeep.so"), "not found"),
	   "blocked: a library with RUNPATH does not inherit its loader's RPATH");
	R(l, "/app/bin/leg");
	is_str(lib(o, "libleg.so") ? lib(o, "libleg.so")->path : NULL, "/app/leg/tls/libleg.so",
	       "leg: legacy tls/ subdirectory first (glibc 2.36)");
	ocifs_ldso_free(l);
	ocifs_ldso_free(ll);
	l = ll = NULL;
#undef R
	if (access(m, F_OK) != 0) {
		ok(!tap_in_ci(), "no musl root: musl-gcc missing # SKIP");
		goto out;
	}
	l = new_ldso(&t1, m, NULL, c, 0);
	ocifs_ldso_result_fini(&o->r);
	resolve(l, m, "/app/bin/mexe", o);
	is_str(o->r.flavour, "musl", "mexe: musl rules");
	is_str(rule_of(o, "libm1.so"), "musl-path", "mexe: /etc/ld-musl-x86_64.path");
	is_str(rule_of(o, "libmr2.so"), "runpath", "mexe: musl inherits RUNPATH");
	is_str(rule_of(o, "libmmiss.so"), "not found", "mexe: a missing library");
	ok(o->r.nneeded && !strcmp(o->r.needed[o->r.nneeded - 1].name, "libc.so") &&
	   !strcmp(o->r.needed[o->r.nneeded - 1].rule, "loaded") &&
	   !strcmp(o->r.needed[o->r.nneeded - 1].path, "/lib/ld-musl-x86_64.so.1"),
	   "mexe: libc.so is the loader itself");
	ocifs_ldso_result_fini(&o->r);
	resolve(l, m, "/app/bin/m32use", o);
	is_str(rule_of(o, "libm32.so"), "not found", "m32use: musl takes the first file (32-bit) and fails");
	ocifs_ldso_free(l);
	l = new_ldso(&t1, m0, NULL, c, 0);
	ocifs_ldso_result_fini(&o->r);
	resolve(l, m0, "/app/bin/mexe", o);
	is_str(rule_of(o, "libm1.so"), "musl-default", "no path file: musl's default dirs");
out:
	if (o)
		ocifs_ldso_result_fini(&o->r);
	free(o);
	ocifs_ldso_free(l);
	ocifs_ldso_free(ll);
}

/* --- threads share one resolver -------------------------------------------- */

struct thr {
	struct ocifs_ldso *l;
	const char *root;
	const char **paths;
	size_t n;
	char (*want)[16384];
	int bad;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	struct ours *o = malloc(sizeof(*o));

	for (int round = 0; o && round < 20; round++)
		for (size_t i = 0; i < t->n; i++) {
			resolve(t->l, t->root, t->paths[(i + (size_t)round) % t->n], o);
			if (o->rc || strcmp(o->list, t->want[(i + (size_t)round) % t->n]))
				t->bad++;
			ocifs_ldso_result_fini(&o->r);
		}
	free(o);
	return NULL;
}

static void threads(const struct ctx *c)
{
	static const char *paths[] = { "/app/bin/rpath", "/app/bin/runpath", "/app/bin/cls64",
				       "/app/bin/conf", "/app/bin/cyc", "/app/bin/same",
				       "/app/bin/loop", "/app/bin/hw" };
	static char want[8][16384];
	char g[PATH_MAX + 8];
	struct thr t[4];
	pthread_t th[4];
	struct ocifs_ldso *l, *l1;
	struct ocifs_tree t1, t2;
	struct ours *o = malloc(sizeof(*o));
	int bad = 0;

	snprintf(g, sizeof(g), "%s/g", c->dir);
	l1 = new_ldso(&t1, g, NULL, c, 0);
	for (size_t i = 0; o && l1 && i < 8; i++) {
		resolve(l1, g, paths[i], o);
		memcpy(want[i], o->list, sizeof(want[i]));
		ocifs_ldso_result_fini(&o->r);
	}
	free(o);
	l = new_ldso(&t2, g, NULL, c, 0); /* a cold cache, filled by all threads at once */
	for (int i = 0; l && i < 4; i++) {
		t[i] = (struct thr){ .l = l, .root = g, .paths = paths, .n = 8, .want = want };
		pthread_create(&th[i], NULL, thr_main, &t[i]);
	}
	for (int i = 0; l && i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += t[i].bad;
	}
	ok(l && l1 && bad == 0, "4 threads on one resolver: same results as one (%d differ)", bad);
	ocifs_ldso_free(l);
	ocifs_ldso_free(l1);
}

/*
 * Can this kernel execute 32-bit programs? Some kernels are built without
 * IA32 emulation (or boot with it off): execve of any 32-bit ELF fails
 * with ENOEXEC, so the 32-bit cases' loader cannot run and only their
 * oracle is skipped, by name. First the probe itself is checked on a
 * native program (runs) and a file of no known format (ENOEXEC), so a
 * broken probe cannot pass for a missing kernel feature.
 */
static void exec32_probe(struct ctx *c)
{
	char src[PATH_MAX + 16], bin[PATH_MAX + 16], junk[PATH_MAX + 16], cls32[PATH_MAX + 32];
	FILE *f;

	c->exec32 = 1;
	snprintf(cls32, sizeof(cls32), "%s/g/app/bin/cls32", c->dir);
	if (access(cls32, F_OK) != 0)
		return; /* no 32-bit case (mkldso.sh found no gcc -m32) */
	snprintf(src, sizeof(src), "%s/exec32.c", c->dir);
	snprintf(bin, sizeof(bin), "%s/exec32", c->dir);
	snprintf(junk, sizeof(junk), "%s/exec-junk", c->dir);
	if ((f = fopen(src, "w"))) {
		fputs("int main(void) { return 0; }\n", f);
		fclose(f);
	}
	if ((f = fopen(junk, "w"))) {
		fputs("neither ELF nor #!\n", f);
		fclose(f);
	}
	chmod(junk, 0755);
	is_int(ldso_exec_probe("/bin/true"), 1, "exec probe: a native program runs");
	is_int(ldso_exec_probe(junk), 0, "exec probe: a file of no known format: ENOEXEC");
	if (!ok(tap_sh("gcc -m32 -o '%s' '%s'", bin, src) == 0, "gcc -m32 builds the 32-bit probe")) {
		c->exec32 = -1;
		return;
	}
	c->exec32 = ldso_exec_probe(bin);
	diag("a 32-bit program %s", c->exec32 == 1 ? "runs"
				    : c->exec32 == 0 ? "does not run: the kernel says ENOEXEC"
						     : strerror(-c->exec32));
}

int main(int argc, char **argv)
{
	const char *srcdir = getenv("OCIFS_SRCDIR"), *bdir = getenv("OCIFS_BUILDDIR");
	char cmd[PATH_MAX * 2 + 64], line[PATH_MAX * 2];
	struct ctx c = { .chroot_ok = geteuid() == 0 };
	FILE *f;

	ocifs_log_threshold = OCIFS_LOG_ERR; /* hostile inputs warn by design */
	if (argc >= 3 && !strcmp(argv[1], "--root"))
		return ldso_root_main(argc, argv);
	if (system("command -v gcc >/dev/null && command -v ldconfig >/dev/null") != 0) {
		ok(!tap_in_ci(), "gcc and ldconfig are needed # SKIP");
		return done_testing();
	}
	snprintf(c.dir, sizeof(c.dir), "%s/tests/ldso", bdir ? bdir : ".");
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/gen/mkldso.sh' '%s' >/dev/null", srcdir ? srcdir : ".",
		 c.dir);
	if (!ok(system(cmd) == 0, "mkldso.sh builds the test roots"))
		return done_testing();
	snprintf(line, sizeof(line), "%s/platform", c.dir);
	if ((f = fopen(line, "r"))) {
		if (fgets(c.platform, sizeof(c.platform), f))
			c.platform[strcspn(c.platform, "\n")] = '\0';
		fclose(f);
	}
	snprintf(line, sizeof(line), "%s/hwlevel", c.dir);
	if ((f = fopen(line, "r"))) {
		if (fscanf(f, "%u", &c.level) != 1)
			c.level = 0;
		fclose(f);
	}
	if (!c.chroot_ok)
		diag("not root: the loader cannot be run in the test roots (chroot), oracle skipped");
	exec32_probe(&c);
	snprintf(line, sizeof(line), "%s/cases", c.dir);
	if (!(f = fopen(line, "r")))
		return ok(0, "cases"), done_testing();
	while (fgets(line, sizeof(line), f)) {
		char root[32], path[PATH_MAX], llp[PATH_MAX];
		int n = sscanf(line, "%31s %4095s %4095s", root, path, llp);
		if (n >= 2)
			oracle_case(&c, root, path, n == 3 ? llp : NULL);
	}
	fclose(f);
	rule_checks(&c);
	threads(&c);
	ldso_hostile_tests();
	return done_testing();
}
