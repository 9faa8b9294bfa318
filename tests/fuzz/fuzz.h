/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the libFuzzer targets (tests/fuzz/fuzz_*.c): a private
 * temp dir per process (removed at exit; XDG_CACHE_HOME points inside it),
 * writing and removing files there, splitting one input into parts, a byte
 * source over memory, and a deterministic PRNG seeded from the input. All
 * static: each target is one translation unit plus the libraries.
 *
 * Multi-part inputs are split on FZ_SEP ("-=FUZZ=-"): the targets that
 * need several files (layers, blobs, included confs) read part i as file i.
 * The separator is in each target's dictionary so libFuzzer finds it.
 */
#ifndef OCIFS_TESTS_FUZZ_H
#define OCIFS_TESTS_FUZZ_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashtab.h"
#include "log.h"
#include "src.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_SEP "-=FUZZ=-"
#define FZ_SEP_LEN 8

static char fz_dir[256];

static inline int fz_rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	if (f->level > 0)
		remove(p);
	return 0;
}

/** Empty directory path (keep the directory itself). */
static inline void fz_clear(const char *path)
{
	nftw(path, fz_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void fz_cleanup(void)
{
	if (fz_dir[0]) {
		fz_clear(fz_dir);
		rmdir(fz_dir);
	}
}

/** The process's private temp dir, under $FUZZ_TMPDIR, else /dev/shm
 *  (cache writes fsync, which costs nothing on tmpfs and can take
 *  seconds on a busy disk), else $TMPDIR or /tmp. Logs errors only
 *  unless FUZZ_VERBOSE is set. */
static inline const char *fz_tmp(void)
{
	const char *base = getenv("FUZZ_TMPDIR");
	char cache[300];

	if (fz_dir[0])
		return fz_dir;
	if (!base || access(base, W_OK) != 0)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (!base || access(base, W_OK) != 0)
		base = "/tmp";
	snprintf(fz_dir, sizeof(fz_dir), "%s/ocifs-fuzz.XXXXXX", base);
	if (!mkdtemp(fz_dir)) {
		perror("mkdtemp");
		abort();
	}
	atexit(fz_cleanup);
	snprintf(cache, sizeof(cache), "%s/xdg-cache", fz_dir);
	mkdir(cache, 0700);
	setenv("XDG_CACHE_HOME", cache, 1);
	/* errors only (the enum is unsigned: there is no "none"); run.sh
	 * also passes -close_fd_mask=2 so they cost no terminal output */
	ocifs_log_threshold = getenv("FUZZ_VERBOSE") ? OCIFS_LOG_DBG : OCIFS_LOG_ERR;
	return fz_dir;
}

/** A path under the temp dir (static buffer per call site is the caller's). */
static inline void fz_path(char *buf, size_t cap, const char *rel)
{
	snprintf(buf, cap, "%s/%s", fz_tmp(), rel);
}

static inline int fz_write(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *c = p;

	if (fd < 0)
		return -errno;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		c += w;
		n -= (size_t)w;
	}
	close(fd);
	return 0;
}

struct fz_part {
	const uint8_t *p;
	size_t n;
};

/** Split data on FZ_SEP into at most max parts; returns the count (>= 1).
 *  The last part takes the rest, separators included. */
static inline size_t fz_split(const uint8_t *data, size_t size, struct fz_part *parts, size_t max)
{
	size_t n = 0;

	while (n + 1 < max) {
		const uint8_t *s = memmem(data, size, FZ_SEP, FZ_SEP_LEN);
		if (!s)
			break;
		parts[n].p = data;
		parts[n].n = (size_t)(s - data);
		n++;
		size -= (size_t)(s - data) + FZ_SEP_LEN;
		data = s + FZ_SEP_LEN;
	}
	parts[n].p = data;
	parts[n].n = size;
	return n + 1;
}

/* --- a byte source over memory (borrowed: must outlive the source) --- */

struct fz_mem {
	const uint8_t *p;
	size_t n;
};

static inline int fz_mem_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	const struct fz_mem *m = s->priv;

	*got = 0;
	if (off >= m->n)
		return 0;
	if (n > m->n - off)
		n = (size_t)(m->n - off);
	memcpy(buf, m->p + off, n);
	*got = n;
	return 0;
}

static inline void fz_mem_destroy(struct ocifs_src *s)
{
	free(s->priv);
}

static inline int fz_src_mem(const uint8_t *p, size_t n, struct ocifs_src **out)
{
	static const struct ocifs_src_ops fz_mem_ops = { .pread = fz_mem_pread,
								 .destroy = fz_mem_destroy };
	struct fz_mem *m = malloc(sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	m->p = p;
	m->n = n;
	rc = ocifs_src_new(&fz_mem_ops, m, n, "fuzz-input", out);
	if (rc)
		free(m);
	return rc;
}

/* --- deterministic randomness from the input ---------------------------- */

static inline uint64_t fz_hash(const uint8_t *p, size_t n)
{
	return ocifs_fnv1a(p, n);
}

static inline uint64_t fz_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/** A check that must hold on every input: abort so libFuzzer reports it. */
#define FZ_ASSERT(cond)                                                               \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: FZ_ASSERT(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                               \
			abort();                                                      \
		}                                                                     \
	} while (0)

#endif
