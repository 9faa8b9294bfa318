/* SPDX-License-Identifier: MIT */
/*
 * stress MOUNT REF SECONDS THREADS: THREADS threads pread random ranges
 * of random regular files under MOUNT for SECONDS and compare each with
 * the same range of the same file under REF. Prints a summary line and
 * exits 1 on the first mismatch or error (naming it), 0 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char **files;
static off_t *sizes;
static size_t nfiles, cap;
static const char *mnt, *ref;
static size_t reflen;
static double deadline;
static atomic_ulong reads, bytes;
static atomic_int failed;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type != FTW_F || !S_ISREG(st->st_mode) || st->st_size == 0)
		return 0;
	if (nfiles == cap) {
		cap = cap ? cap * 2 : 1024;
		files = realloc(files, cap * sizeof(*files));
		sizes = realloc(sizes, cap * sizeof(*sizes));
		if (!files || !sizes)
			return -1;
	}
	files[nfiles] = strdup(path + reflen);
	sizes[nfiles++] = st->st_size;
	return 0;
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
	char *a = malloc(1 << 18), *b = malloc(1 << 18), p1[8192], p2[8192];

	/* at least one read per thread, however slow the machine */
	for (int first = 1; !failed && (first || now() < deadline); first = 0) {
		size_t i = (size_t)rand_r(&seed) % nfiles;
		off_t off = (off_t)(((uint64_t)rand_r(&seed) << 31 | (uint64_t)rand_r(&seed)) %
				    (uint64_t)sizes[i]);
		size_t len = 1 + (size_t)rand_r(&seed) % (1 << 18);
		if (rand_r(&seed) % 4 == 0)
			len = 4096, off &= ~(off_t)4095;
		snprintf(p1, sizeof(p1), "%s%s", mnt, files[i]);
		snprintf(p2, sizeof(p2), "%s%s", ref, files[i]);
		int f1 = open(p1, O_RDONLY), f2 = open(p2, O_RDONLY);
		ssize_t r1 = f1 < 0 ? -1 : pread(f1, a, len, off);
		ssize_t r2 = f2 < 0 ? -1 : pread(f2, b, len, off);
		if (r1 < 0 || r1 != r2 || memcmp(a, b, (size_t)r1) != 0) {
			if (!atomic_exchange(&failed, 1))
				printf("MISMATCH %s off %lld len %zu: mount %zd (%s), ref %zd\n", files[i],
				       (long long)off, len, r1, r1 < 0 ? strerror(errno) : "-", r2);
		}
		if (f1 >= 0)
			close(f1);
		if (f2 >= 0)
			close(f2);
		atomic_fetch_add(&reads, 1);
		atomic_fetch_add(&bytes, r1 > 0 ? (unsigned long)r1 : 0);
	}
	free(a);
	free(b);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: stress MOUNT REF SECONDS THREADS\n");
		return 2;
	}
	mnt = argv[1];
	ref = argv[2];
	reflen = strlen(ref);
	int secs = atoi(argv[3]), nt = atoi(argv[4]);
	if (nftw(ref, add, 64, FTW_PHYS) != 0 || nfiles == 0) {
		fprintf(stderr, "stress: no files under %s\n", ref);
		return 2;
	}
	deadline = now() + secs;
	pthread_t th[64];
	if (nt > 64)
		nt = 64;
	for (int t = 0; t < nt; t++)
		pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)(t + 1));
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	printf("%lu reads, %lu bytes, %zu files, %d threads, %d s: %s\n", (unsigned long)reads,
	       (unsigned long)bytes, nfiles, nt, secs, failed ? "FAILED" : "all byte-exact");
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	free(sizes);
	return failed ? 1 : 0;
}
