/* SPDX-License-Identifier: MIT */
/*
 * Warming the page cache for libcurl and the libraries it needs, beside
 * its dlopen (registry_curl.c). From a cold page cache the loader reads
 * some thirty files one after another (libcurl, GnuTLS, Kerberos, LDAP,
 * ...: ~10 MB, ~15 ms on the bench machine, the largest part of a
 * registry mount's start); here a thread walks the same tree of
 * DT_NEEDED names breadth-first and asks the kernel to read each file
 * ahead (POSIX_FADV_WILLNEED) as soon as it is named, so the reads run
 * at once and the loader finds the pages in memory or on their way.
 *
 * A hint only: a file not found in the directory of the C library (where
 * Debian's multiarch layout keeps them all), or one that does not parse,
 * is skipped; nothing read here is executed or trusted -- the loader
 * opens and checks the files itself. Hand-written: the loader has no
 * "prefetch" call, and ELF through libelf is scan/'s (the core library,
 * libocifs.a, does not link it: see Makefile.am); all this needs is the
 * DT_NEEDED strings of one table, read under fixed bounds.
 */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry_priv.h"

#define WARM_MAX 64             /* files */
#define WARM_DYN_MAX (64u << 10)
#define WARM_STR_MAX (256u << 10)

struct warm {
	char dir[PATH_MAX];
	char *path[WARM_MAX];
	int fd[WARM_MAX];
	size_t n;
	pthread_t th;
	int started;
};

/* The directory of the loaded C library, from the loader's own list. */
static int libc_dir(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct warm *w = ctx;
	const char *slash = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;

	(void)size;
	if (!slash || strncmp(slash, "/libc.so.", 9) || (size_t)(slash - info->dlpi_name) >= sizeof(w->dir))
		return 0;
	memcpy(w->dir, info->dlpi_name, (size_t)(slash - info->dlpi_name));
	w->dir[slash - info->dlpi_name] = 0;
	return 1;
}

/* name (a file of w->dir) queued and its read-ahead asked for, once. */
static void warm_add(struct warm *w, const char *name, size_t len)
{
	char p[PATH_MAX];

	if (!len || memchr(name, '/', len) || w->n == WARM_MAX ||
	    snprintf(p, sizeof(p), "%s/%.*s", w->dir, (int)len, name) >= (int)sizeof(p))
		return;
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->path[i], p))
			return;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!(w->path[w->n] = strdup(p))) {
		close(fd);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	w->fd[w->n++] = fd;
}

static int get(int fd, void *buf, size_t n, uint64_t off)
{
	return off <= (uint64_t)INT64_MAX && pread(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* Queue the DT_NEEDED names of the ELF file fd (64-bit, this machine's). */
static void warm_needed(struct warm *w, int fd)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	Elf64_Dyn *dyn = NULL;
	char *str = NULL;
	uint64_t dynoff = 0, dynsz = 0, strva = 0, strsz = 0, stroff = 0;
	size_t nph, ndyn;

	if (get(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
		return;
	nph = eh.e_phnum < 64 ? eh.e_phnum : 64;
	if (get(fd, ph, nph * sizeof(ph[0]), eh.e_phoff))
		return;
	for (size_t i = 0; i < nph; i++)
		if (ph[i].p_type == PT_DYNAMIC) {
			dynoff = ph[i].p_offset;
			dynsz = ph[i].p_filesz;
		}
	if (!dynsz || dynsz > WARM_DYN_MAX || !(dyn = malloc(dynsz)) || get(fd, dyn, dynsz, dynoff))
		goto out;
	ndyn = dynsz / sizeof(*dyn);
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strva = dyn[i].d_un.d_ptr;
		else if (dyn[i].d_tag == DT_STRSZ)
			strsz = dyn[i].d_un.d_val;
	}
	/* the string table's file offset: the loadable segment holding it */
	for (size_t i = 0; i < nph && !stroff; i++)
		if (ph[i].p_type == PT_LOAD && strva >= ph[i].p_vaddr &&
		    strva - ph[i].p_vaddr < ph[i].p_filesz)
			stroff = strva - ph[i].p_vaddr + ph[i].p_offset;
	if (!stroff || !strsz || strsz > WARM_STR_MAX || !(str = malloc(strsz + 1)) ||
	    get(fd, str, strsz, stroff))
		goto out;
	str[strsz] = 0;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_NEEDED && dyn[i].d_un.d_val < strsz)
			warm_add(w, str + dyn[i].d_un.d_val, strlen(str + dyn[i].d_un.d_val));
out:
	free(dyn);
	free(str);
}

static void *warm_run(void *arg)
{
	struct warm *w = arg;

	/* each file's names are queued (their reads begun) before the next
	 * file is parsed: one wait a level of the tree, not one a file */
	for (size_t i = 0; i < w->n; i++)
		warm_needed(w, w->fd[i]);
	return NULL;
}

void *reg_warm_start(const char *soname)
{
	struct warm *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	if (dl_iterate_phdr(libc_dir, w) != 1) {
		free(w);
		return NULL;
	}
	warm_add(w, soname, strlen(soname));
	w->started = w->n && pthread_create(&w->th, NULL, warm_run, w) == 0;
	return w;
}

void reg_warm_join(void *h)
{
	struct warm *w = h;

	if (!w)
		return;
	if (w->started)
		pthread_join(w->th, NULL);
	for (size_t i = 0; i < w->n; i++) {
		close(w->fd[i]);
		free(w->path[i]);
	}
	free(w);
}
