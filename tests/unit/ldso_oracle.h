/* SPDX-License-Identifier: MIT */
/*
 * For test_ldso.c (one program, so these are static): running a root's
 * own loader as ldd does, parsing ldd's output, the crafted hostile
 * trees, and the whole-root comparison tests/cli/t08-ldd-oracle.sh asks
 * for with --root.
 */
#ifndef OCIFS_TESTS_LDSO_ORACLE_H
#define OCIFS_TESTS_LDSO_ORACLE_H
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "elfinfo.h"
#include "ldso.h"
#include "tap.h"

/* "name => path\n" (ldd's view: a NEEDED with '/' that was found is
 * known by its path alone, as ldd prints it). */
static void ldso_list_add(char *buf, size_t cap, const char *name, const char *path)
{
	size_t n = strlen(buf);

	if (path && strchr(name, '/'))
		name = path;
	if (n < cap)
		snprintf(buf + n, cap - n, "%s => %s\n", name, path ? path : "not found");
}

static double ldso_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ldso_is_musl(const struct ocifs_elf *e)
{
	return e->interp ? strstr(e->interp, "ld-musl-") != NULL : e->libc == OCIFS_LIBC_MUSL;
}

static const char *ldso_interp_of(const struct ocifs_elf *e)
{
	if (e->interp)
		return e->interp;
	if (ldso_is_musl(e))
		return "/lib/ld-musl-x86_64.so.1";
	return e->cls == 32 ? "/lib/ld-linux.so.2" : "/lib64/ld-linux-x86-64.so.2";
}

/* Ask the kernel whether it runs the program at path: 1 it ran (whatever
 * its exit status), 0 execve failed with ENOEXEC (the kernel cannot
 * execute that format, e.g. 32-bit programs without IA32 emulation),
 * -errno for any other execve failure. The child reports execve's errno
 * through a close-on-exec pipe: nothing read means it ran. */
static int ldso_exec_probe(const char *path)
{
	int p[2], err = 0, st;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) == 0) {
		char *argv[2] = { (char *)path, NULL }, *env[1] = { NULL };
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) { /* a probe that runs says nothing */
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve(path, argv, env);
		err = errno;
		if (write(p[1], &err, sizeof(err)) != (ssize_t)sizeof(err))
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -EAGAIN;
	}
	do
		n = read(p[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(err))
		return 1;
	return err == ENOEXEC ? 0 : -err;
}

/* The root's loader on path, in a chroot, as ldd runs it: glibc's ld.so
 * with LD_TRACE_LOADED_OBJECTS=1, ld-musl with --list. stdout and stderr
 * into *out (malloc'd). Returns the exit status, or -1. */
static int ldso_oracle_run(const char *root, const char *path, const struct ocifs_elf *e,
			   const char *llp, char **out)
{
	const char *ld = ldso_interp_of(e);
	int musl = ldso_is_musl(e), p[2], st = -1;
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap), envl[PATH_MAX + 32];
	pid_t pid;

	*out = NULL;
	if (!buf || pipe(p) < 0) {
		free(buf);
		return -1;
	}
	if ((pid = fork()) == 0) {
		char *argv[4] = { (char *)ld, musl ? "--list" : (char *)path, musl ? (char *)path : NULL,
				  NULL };
		char *env[3] = { musl ? "OCIFS=1" : "LD_TRACE_LOADED_OBJECTS=1", NULL, NULL };
		if (llp) {
			snprintf(envl, sizeof(envl), "LD_LIBRARY_PATH=%s", llp);
			env[1] = envl;
		}
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		if (chroot(root) < 0 || chdir("/") < 0)
			_exit(126);
		execve(ld, argv, env);
		_exit(127);
	}
	close(p[1]);
	for (ssize_t got; pid > 0 && (got = read(p[0], buf + n, cap - n - 1)) > 0;) {
		n += (size_t)got;
		if (n + 1 == cap && cap < (1u << 24)) {
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
	}
	close(p[0]);
	buf[n] = '\0';
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	*out = buf;
	return st;
}

/* ldd's output as "name => path" lines in its order, without the vDSO
 * and the interpreter; musl's "Error loading shared library X" is X not
 * found. 0, or -1 when the loader failed outright. */
static int ldso_parse_ldd(const char *text, const char *interp, char *out, size_t cap)
{
	char line[PATH_MAX * 2 + 64];
	const char *s = text;
	int rc = 0;

	out[0] = '\0';
	while (s && *s) {
		size_t l = strcspn(s, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)l, s);
		s += l + (s[l] == '\n');
		char *p = line + strspn(line, " \t"), *a, *q;
		if (!*p || !strncmp(p, "linux-vdso.so", 13) || !strncmp(p, "linux-gate.so", 13) ||
		    strstr(p, "statically linked") || strstr(p, "not a dynamic executable") ||
		    !strncmp(p, "Error relocating", 16))
			continue;
		if (!strncmp(p, "Error loading shared library ", 29)) {
			p += 29;
			p[strcspn(p, ":")] = '\0';
			ldso_list_add(out, cap, p, NULL);
			continue;
		}
		if (strstr(p, "error while loading shared libraries")) {
			rc = -1;
			continue;
		}
		if ((a = strstr(p, " => "))) {
			*a = '\0';
			a += 4;
			if (!strncmp(a, "not found", 9)) {
				ldso_list_add(out, cap, p, NULL);
				continue;
			}
		} else {
			a = p;
		}
		if ((q = strstr(a, " (0x")))
			*q = '\0';
		if (strcmp(a, interp))
			ldso_list_add(out, cap, a == p ? a : p, a);
	}
	return rc;
}

/* --- the whole-root comparison (t08) ---------------------------------------- */

static const char *ldso_root_dir;
static FILE *ldso_root_out;

static int ldso_elf_of(const char *full, struct ocifs_elf *e)
{
	struct ocifs_rd rd = { .read_at = ocifs_rd_fd_read };
	struct stat st;
	char magic[4];
	int fd = open(full, O_RDONLY | O_CLOEXEC), rc = -EINVAL;

	memset(e, 0, sizeof(*e));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && pread(fd, magic, 4, 0) == 4 && !memcmp(magic, ELFMAG, 4)) {
		rd.ctx = &fd;
		rd.size = (uint64_t)st.st_size;
		rd.name = full;
		rc = ocifs_elf_analyze(&rd, e);
	}
	close(fd);
	return rc;
}

static int ldso_list_cb(const char *full, const struct stat *st, int type, struct FTW *ftw)
{
	struct ocifs_elf e;
	const char *rel = full + strlen(ldso_root_dir);

	(void)ftw;
	if (type == FTW_D && (!strcmp(rel, "/proc") || !strcmp(rel, "/sys") || !strcmp(rel, "/dev")))
		return FTW_SKIP_SUBTREE;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return FTW_CONTINUE;
	if (ldso_elf_of(full, &e) == 0 &&
	    (e.link == OCIFS_ELF_DYNAMIC || e.link == OCIFS_ELF_SHARED_LIB))
		fprintf(ldso_root_out, "%s\n", rel);
	ocifs_elf_fini(&e);
	return FTW_CONTINUE;
}

struct ldso_sect {
	char *path, *text;
};

/* --root DIR --list | --compare LDDOUT (see test_ldso.c). */
static int ldso_root_main(int argc, char **argv)
{
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_ldso *l = NULL;
	struct ldso_sect *v = NULL;
	size_t n = 0, len, mism = 0, unres = 0, cmp = 0;
	double t_res = 0, t0;
	char *all, *s;

	ldso_root_dir = argv[2];
	if (argc == 4 && !strcmp(argv[3], "--list")) {
		ldso_root_out = stdout;
		return nftw(argv[2], ldso_list_cb, 64, FTW_PHYS | FTW_ACTIONRETVAL) ? 1 : 0;
	}
	if (argc != 5 || strcmp(argv[3], "--compare") || !(all = tap_slurp(argv[4], &len))) {
		fprintf(stderr, "usage: test_ldso --root DIR --list|--compare LDDOUT\n");
		return 2;
	}
	char *a2 = realloc(all, len + 1);
	if (!a2) {
		free(all);
		return 1;
	}
	all = a2;
	all[len] = '\0';
	for (s = all; (s = strstr(s, "@@@ "));) { /* sections "@@@ PATH" + ldd's lines */
		struct ldso_sect *x = realloc(v, (n + 1) * sizeof(*v));
		if (!x)
			return 1;
		v = x;
		v[n].path = s + 4;
		s += 4 + strcspn(s + 4, "\n");
		if (*s)
			*s++ = '\0';
		v[n].text = s;
		char *next = strstr(s, "\n@@@ ");
		if (next)
			*next++ = '\0';
		n++;
		if (!next)
			break;
		s = next;
	}
	t.ctx = (void *)argv[2];
	if (ocifs_ldso_new(&t, NULL, &l) != 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		struct ocifs_ldso_result r;
		struct ocifs_elf e;
		char full[PATH_MAX * 2], want[16384], ours[16384] = "";

		snprintf(full, sizeof(full), "%s%s", argv[2], v[i].path);
		if (ldso_elf_of(full, &e) != 0) {
			printf("# %s: not analyzed\n", v[i].path);
			mism++;
			ocifs_elf_fini(&e);
			continue;
		}
		t0 = ldso_now();
		int rc = ocifs_ldso_resolve(l, v[i].path, &e, &r);
		t_res += ldso_now() - t0;
		for (size_t k = 0; rc == 0 && k < r.n; k++)
			ldso_list_add(ours, sizeof(ours), r.libs[k].name, r.libs[k].path);
		unres += rc == 0 ? r.nunresolved : 1;
		cmp++;
		if (ldso_parse_ldd(v[i].text, ldso_interp_of(&e), want, sizeof(want)) != 0 || rc ||
		    strcmp(want, ours)) {
			mism++;
			printf("# MISMATCH %s (rc %d)\n#  ldd:\n", v[i].path, rc);
			for (char *p = want; *p; p += strcspn(p, "\n") + 1)
				printf("#    %.*s\n", (int)strcspn(p, "\n"), p);
			printf("#  ours:\n");
			for (char *p = ours; *p; p += strcspn(p, "\n") + 1)
				printf("#    %.*s\n", (int)strcspn(p, "\n"), p);
			if (rc == 0 && r.note)
				printf("#  note: %s\n", r.note);
		}
		if (rc == 0)
			ocifs_ldso_result_fini(&r);
		ocifs_elf_fini(&e);
	}
	printf("# compared %zu files, %zu mismatches, %zu unresolved, resolve %.0f ms\n", cmp, mism,
	       unres, t_res * 1000);
	ocifs_ldso_free(l);
	free(v);
	free(all);
	return mism || unres || !cmp ? 1 : 0;
}

/* --- crafted hostile trees -------------------------------------------------- */

/* A minimal ELF64 x86-64 ET_DYN: PT_LOAD over the whole file, PT_DYNAMIC,
 * optional PT_INTERP, DT_NEEDED..., DT_SONAME, DT_RPATH, DT_RUNPATH. */
static int ldso_write_so(const char *path, const char *interp, const char *soname,
			 const char *const *needed, size_t nn, const char *rpath, const char *runpath)
{
	size_t slen = 1 + (interp ? strlen(interp) + 1 : 0) + (soname ? strlen(soname) + 1 : 0) +
		      (rpath ? strlen(rpath) + 1 : 0) + (runpath ? strlen(runpath) + 1 : 0);
	for (size_t i = 0; i < nn; i++)
		slen += strlen(needed[i]) + 1;
	size_t nph = interp ? 3 : 2, ndyn = nn + 6, dynoff = 64 + 56 * nph;
	size_t stroff = dynoff + 16 * ndyn, total = stroff + slen, sl = 1, nd = 0;
	unsigned char *b = calloc(1, total);
	uint64_t *dyn;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	int fd, rc = -1;

	if (!b)
		return -1;
	eh = (void *)b;
	ph = (void *)(b + 64);
	dyn = (uint64_t *)(b + dynoff);
#define STR(s) (memcpy(b + stroff + sl, (s), strlen(s) + 1), sl += strlen(s) + 1, sl - strlen(s) - 1)
	size_t io = interp ? STR(interp) : 0;
	for (size_t i = 0; i < nn; i++)
		dyn[nd++] = DT_NEEDED, dyn[nd++] = STR(needed[i]);
	if (soname)
		dyn[nd++] = DT_SONAME, dyn[nd++] = STR(soname);
	if (rpath)
		dyn[nd++] = DT_RPATH, dyn[nd++] = STR(rpath);
	if (runpath)
		dyn[nd++] = DT_RUNPATH, dyn[nd++] = STR(runpath);
#undef STR
	dyn[nd++] = DT_STRTAB, dyn[nd++] = stroff;
	dyn[nd++] = DT_STRSZ, dyn[nd++] = slen;
	dyn[nd++] = DT_NULL, dyn[nd++] = 0;
	memcpy(eh->e_ident, ELFMAG, 4);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = 64;
	eh->e_ehsize = 64;
	eh->e_phentsize = 56;
	eh->e_phnum = (uint16_t)nph;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_filesz = total,
			      .p_memsz = total, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_flags = PF_R, .p_offset = dynoff,
			      .p_vaddr = dynoff, .p_paddr = dynoff, .p_filesz = 8 * nd,
			      .p_memsz = 8 * nd, .p_align = 8 };
	if (interp)
		ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_flags = PF_R,
				      .p_offset = stroff + io, .p_vaddr = stroff + io,
				      .p_filesz = strlen(interp) + 1, .p_memsz = strlen(interp) + 1,
				      .p_align = 1 };
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755)) >= 0) {
		rc = write(fd, b, total) == (ssize_t)total ? 0 : -1;
		close(fd);
	}
	free(b);
	return rc;
}

static int ldso_put(const char *root, const char *path, const char *text)
{
	char full[PATH_MAX];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	if (!(f = fopen(full, "w")))
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The host-directory tree, counting the calls made to it: how much work
 * a resolution did, independent of how fast the machine is. */
struct ldso_counted {
	const char *root;
	unsigned long calls;
};

static int ldso_c_read_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct ldso_counted *c = ctx;

	c->calls++;
	return ocifs_tree_hostdir_ops.read_file((void *)c->root, path, max, buf, len);
}

static int ldso_c_list_dir(void *ctx, const char *path, int (*cb)(void *cbctx, const char *name),
			   void *cbctx)
{
	struct ldso_counted *c = ctx;

	c->calls++;
	return ocifs_tree_hostdir_ops.list_dir((void *)c->root, path, cb, cbctx);
}

static int ldso_c_open_file(void *ctx, const char *path, struct ocifs_tree_file *f)
{
	struct ldso_counted *c = ctx;

	c->calls++;
	return ocifs_tree_hostdir_ops.open_file((void *)c->root, path, f);
}

static void ldso_c_close_file(void *ctx, struct ocifs_tree_file *f)
{
	ocifs_tree_hostdir_ops.close_file((void *)((struct ldso_counted *)ctx)->root, f);
}

static int ldso_c_realpath(void *ctx, const char *path, char **out)
{
	struct ldso_counted *c = ctx;

	c->calls++;
	return ocifs_tree_hostdir_ops.realpath((void *)c->root, path, out);
}

/*
 * Resolve path in root with a fresh resolver; *calls the tree calls it
 * made (opens, reads, listings, realpaths). A hostile tree is "bounded"
 * when the calls are: a count does not depend on the machine's speed or
 * load, a time would (the time is only shown).
 */
static int ldso_hostile_one(const char *root, const char *path, const char *llp,
			    struct ocifs_ldso_result *r, unsigned long *calls)
{
	struct ldso_counted cnt = { root, 0 };
	struct ocifs_tree t = { ldso_c_read_file, ldso_c_list_dir, ldso_c_open_file,
				ldso_c_close_file, ldso_c_realpath, &cnt };
	struct ocifs_ldso_opts o = { .ld_library_path = llp };
	struct ocifs_ldso *l;
	struct ocifs_elf e;
	char full[PATH_MAX];
	int rc;

	memset(r, 0, sizeof(*r));
	*calls = 0;
	snprintf(full, sizeof(full), "%s%s", root, path);
	if (ocifs_ldso_new(&t, &o, &l) != 0)
		return -ENOMEM;
	double t0 = ldso_now();
	if ((rc = ldso_elf_of(full, &e)) == 0)
		rc = ocifs_ldso_resolve(l, path, &e, r);
	double secs = ldso_now() - t0;
	ocifs_elf_fini(&e);
	ocifs_ldso_free(l);
	*calls = cnt.calls;
	diag("%s: %lu tree calls, %.2f s", path, cnt.calls, secs);
	return rc;
}

static void ldso_hostile_tests(void)
{
	char root[] = "/tmp/ocifs-ldso-hostile.XXXXXX", p[PATH_MAX], nb[64], rb[64], *big;
	struct ocifs_ldso_result r;
	unsigned long calls;
	enum { DEEP = 3000 };

	if (!mkdtemp(root)) {
		ok(0, "hostile: mkdtemp");
		return;
	}
	snprintf(p, sizeof(p), "cd %s && mkdir -p deep far etc lib usr/lib cyc hw && ln -s loopd loopd &&"
		 " mkdir lib/libdir.so && echo text > lib/libtext.so", root);
	if (system(p) != 0) {
		ok(0, "hostile: tree");
		return;
	}
	/* a NEEDED chain DEEP long; the main program's RPATH finds each */
	for (int i = 0; i < DEEP; i++) {
		const char *need[1] = { nb };
		snprintf(nb, sizeof(nb), "libd%d.so", i + 1);
		snprintf(rb, sizeof(rb), "libd%d.so", i);
		snprintf(p, sizeof(p), "%s/deep/libd%d.so", root, i);
		ldso_write_so(p, NULL, rb, need, i + 1 < DEEP, NULL, NULL);
	}
	const char *n0[] = { "libd0.so" };
	snprintf(p, sizeof(p), "%s/deep/main", root);
	ldso_write_so(p, "/lib64/ld-linux-x86-64.so.2", NULL, n0, 1, "/deep", NULL);
	int rc = ldso_hostile_one(root, "/deep/main", NULL, &r, &calls);
	ok(rc == 0 && r.n == DEEP &&
	   r.nunresolved == 0 && r.libs[DEEP - 1].depth == DEEP && calls <= 20 * DEEP,
	   "a NEEDED chain %d deep: resolved in %lu tree calls (at most 20 per object)", DEEP, calls);
	ocifs_ldso_result_fini(&r);
	/* ... where every object has its own useless RPATH: the walk up the
	 * loaders grows quadratically, but each missing directory is tried
	 * once (glibc's "nonexisting"), so the file budget is not spent */
	for (int i = 0; i < DEEP; i++) {
		const char *need[1] = { nb };
		snprintf(nb, sizeof(nb), "libf%d.so", i + 1);
		snprintf(rb, sizeof(rb), "/none%d:/none%d/b", i, i);
		snprintf(p, sizeof(p), "%s/far/libf%d.so", root, i);
		ldso_write_so(p, NULL, NULL, need, i + 1 < DEEP, rb, NULL);
	}
	const char *f0[] = { "libf0.so" };
	snprintf(p, sizeof(p), "%s/far/main", root);
	ldso_write_so(p, "/lib64/ld-linux-x86-64.so.2", NULL, f0, 1, "/far", NULL);
	rc = ldso_hostile_one(root, "/far/main", NULL, &r, &calls);
	ok(rc == 0 && calls <= 250000 && r.n == DEEP && r.nunresolved == 0 && !r.truncated,
	   "the same with an RPATH on each: missing directories tried once (%lu tree calls, "
	   "at most 250000)", calls);
	ocifs_ldso_result_fini(&r);

	/* cycles: x <-> y, z needs itself; by SONAME and by name */
	const char *nx[] = { "liby.so" }, *ny[] = { "libx.so", "libz.so" }, *nz[] = { "libz.so" };
	snprintf(p, sizeof(p), "%s/cyc/libx.so", root);
	ldso_write_so(p, NULL, "libx.so", nx, 1, "$ORIGIN", NULL);
	snprintf(p, sizeof(p), "%s/cyc/liby.so", root);
	ldso_write_so(p, NULL, "liby.so", ny, 2, NULL, NULL);
	snprintf(p, sizeof(p), "%s/cyc/libz.so", root);
	ldso_write_so(p, NULL, NULL, nz, 1, NULL, "/cyc");
	ok(ldso_hostile_one(root, "/cyc/libx.so", NULL, &r, &calls) == 0 && r.n == 2 &&
	   r.nunresolved == 0, "cycles through SONAMEs and names end (%zu objects)", r.n);
	ocifs_ldso_result_fini(&r);

	/* a huge RPATH, a looping directory, odd names, files that are not
	 * libraries, a corrupt ld.so.cache */
	size_t cap = 1 << 21, bl = 0;
	big = malloc(cap);
	for (int i = 0; big && bl + 32 < cap; i++)
		bl += (size_t)snprintf(big + bl, cap - bl, "%s/h%d", i ? ":" : "", i);
	snprintf(p, sizeof(p), "%s/lib/libq.so", root);
	ldso_write_so(p, NULL, "libq.so", NULL, 0, NULL, NULL);
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "lib", 3);
	char origins[8200] = "";
	while (strlen(origins) < 8000)
		strcat(origins, "$ORIGIN/");
	strcat(origins, "x.so");
	const char *nh[] = { "libq.so", "", longname, "$FOO/x.so", "/nonexistent/x.so", origins,
			     "libdir.so", "libtext.so", "libq.so" };
	snprintf(p, sizeof(p), "%s/hw/main", root);
	ldso_write_so(p, "/lib64/ld-linux-x86-64.so.2", NULL, nh, 9, big ? big : "", NULL);
	ldso_put(root, "/etc/ld.so.cache", "glibc-ld.so.cache1.1 this is not a cache\n");
	rc = ldso_hostile_one(root, "/hw/main", NULL, &r, &calls);
	ok(rc == 0 && calls <= 50000 && r.nneeded == 9 && r.needed[0].path &&
	   !strcmp(r.needed[0].rule, "default") && !strcmp(r.needed[8].rule, "loaded"),
	   "huge RPATH (%zu bytes), odd names: libq.so from the default dirs (%lu tree calls, "
	   "at most 50000)", bl, calls);
	ok(rc == 0 && r.note && strstr(r.note, "cut at") && strstr(r.note, "corrupt") &&
	   strstr(r.note, "invalid ELF header") && strstr(r.note, "cannot read file data"),
	   "... every problem noted");
	if (rc == 0 && r.note)
		diag("note: %.300s...", r.note);
	ocifs_ldso_result_fini(&r);
	snprintf(p, sizeof(p), "%s/hw/m2", root);
	ldso_write_so(p, "/lib64/ld-linux-x86-64.so.2", NULL, nh, 1, "/loopd:/lib", NULL);
	ok(ldso_hostile_one(root, "/hw/m2", "/loopd::/lib;/loopd", &r, &calls) == 0 && r.n == 1 &&
	   !strcmp(r.libs[0].rule, "rpath"),
	   "a looping RPATH directory is skipped, the next one found");
	ocifs_ldso_result_fini(&r);
	/* musl: a path file of loops, a huge $ORIGIN RUNPATH (1 MiB of
	 * "$ORIGIN:", each 40 bytes once expanded) */
	char *orun = malloc(1 << 20);
	if (orun) {
		size_t ol = 0;
		orun[0] = '\0';
		while (ol + 16 < (1 << 20))
			ol += (size_t)snprintf(orun + ol, (1 << 20) - ol, "$ORIGIN:");
	}
	snprintf(p, sizeof(p), "%s/hw/oooooooooooooooooooooooooooooooooooo", root);
	mkdir(p, 0755);
	strcat(p, "/mm");
	ldso_write_so(p, "/lib/ld-musl-x86_64.so.1", NULL, nh, 9, NULL, orun ? orun : "");
	ldso_put(root, "/etc/ld-musl-x86_64.path", "/loopd\n\n::/lib\n");
	rc = ldso_hostile_one(root, "/hw/oooooooooooooooooooooooooooooooooooo/mm", "", &r, &calls);
	ok(rc == 0 && calls <= 1000 && !strcmp(r.flavour, "musl") && r.nneeded == 9 &&
	   r.note && strstr(r.note, "too long"),
	   "musl: a looping path entry, a huge RUNPATH: bounded (%lu tree calls, at most 1000)", calls);
	ocifs_ldso_result_fini(&r);
	/* no ld.so.cache at all: ld.so does not read ld.so.conf, we say so */
	snprintf(p, sizeof(p), "%s/etc/ld.so.cache", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/confdir", root);
	mkdir(p, 0755);
	strcat(p, "/libcq.so");
	ldso_write_so(p, NULL, "libcq.so", NULL, 0, NULL, NULL);
	ldso_put(root, "/etc/ld.so.conf", "/confdir\n");
	const char *ncq[] = { "libcq.so" };
	snprintf(p, sizeof(p), "%s/hw/mcq", root);
	ldso_write_so(p, "/lib64/ld-linux-x86-64.so.2", NULL, ncq, 1, NULL, NULL);
	ok(ldso_hostile_one(root, "/hw/mcq", NULL, &r, &calls) == 0 && r.nunresolved == 1 && r.note &&
	   strstr(r.note, "libcq.so: found in /confdir (ld.so.conf) but not in ld.so.cache") &&
	   strstr(r.note, "ld.so.cache: missing"),
	   "no ld.so.cache: not found, with the ld.so.conf note");
	ocifs_ldso_result_fini(&r);
	free(orun);
	free(big);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	if (system(p) != 0)
		diag("cleanup of %s failed", root);
}

#endif
