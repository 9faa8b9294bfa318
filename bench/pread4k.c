/* SPDX-License-Identifier: MIT */
/*
 * pread4k ROOT LIST N SEED: N random 4 KiB reads across the files of a
 * tree, as a program would do them through the file system under test.
 *
 * LIST has one line per file, "SIZE<TAB>PATH" (PATH relative to ROOT),
 * e.g. from `find . -type f -printf '%s\t%P\n'` of a reference copy, so
 * every file system is read at the same places whatever its readdir
 * order. Files under 4 KiB are skipped. Each read picks a file with
 * probability proportional to its size (a uniformly random byte of the
 * tree), then a random 4 KiB-aligned block inside it, and does
 * open(), pread(4096), close(): the lookups are part of the cost, as for
 * a real reader.
 *
 * Prints one line: "reads=N secs=S rate=R sum=HEX", where sum is an FNV-1a
 * hash of every block read in order: the same LIST, N and SEED give the
 * same sum on every file system that holds the same data.
 * Exit 1 on any error (a failed open or a short read included).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLK 4096

struct ent {
	char *path;
	uint64_t size;
	uint64_t cum; /* sum of the sizes of this and every earlier entry */
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	struct ent *e = NULL;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL;
	uint64_t total = 0, sum = 0xcbf29ce484222325ull;
	struct timespec a, b;
	unsigned char *data;
	long reads;
	FILE *f;
	int dfd;

	if (argc != 5) {
		fprintf(stderr, "usage: pread4k ROOT LIST N SEED\n");
		return 2;
	}
	reads = strtol(argv[3], NULL, 10);
	if (reads < 1) {
		fprintf(stderr, "pread4k: N must be at least 1\n");
		return 2;
	}
	rng_state = strtoull(argv[4], NULL, 10);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		fprintf(stderr, "pread4k: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	f = fopen(argv[2], "r");
	if (!f) {
		fprintf(stderr, "pread4k: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	while (getline(&line, &len, f) > 0) {
		char *tab = strchr(line, '\t'), *nl;
		uint64_t sz;

		if (!tab)
			continue;
		*tab = '\0';
		sz = strtoull(line, NULL, 10);
		nl = strchr(tab + 1, '\n');
		if (nl)
			*nl = '\0';
		if (sz < BLK || !tab[1])
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			e = realloc(e, cap * sizeof(*e));
			if (!e)
				return 1;
		}
		e[n].path = strdup(tab + 1);
		e[n].size = sz;
		total += sz;
		e[n].cum = total;
		n++;
	}
	fclose(f);
	free(line);
	if (!n) {
		fprintf(stderr, "pread4k: no file of 4 KiB or more in %s\n", argv[2]);
		return 1;
	}

	data = malloc((size_t)reads * BLK + 1);
	if (!data)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < reads; i++) {
		uint64_t r = rng() % total, off;
		size_t lo = 0, hi = n - 1;
		unsigned char *buf = data + (size_t)i * BLK;
		ssize_t got;
		int fd;

		while (lo < hi) { /* first entry with cum > r */
			size_t mid = lo + (hi - lo) / 2;
			if (e[mid].cum > r)
				hi = mid;
			else
				lo = mid + 1;
		}
		off = (rng() % (e[lo].size / BLK)) * BLK;
		fd = openat(dfd, e[lo].path, O_RDONLY | O_NOFOLLOW);
		if (fd < 0) {
			fprintf(stderr, "pread4k: %s/%s: %s\n", argv[1], e[lo].path, strerror(errno));
			return 1;
		}
		got = pread(fd, buf, BLK, (off_t)off);
		if (got != BLK) {
			fprintf(stderr, "pread4k: %s/%s at %" PRIu64 ": %s\n", argv[1], e[lo].path,
				off, got < 0 ? strerror(errno) : "short read");
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* hashed outside the timed loop */
	for (size_t k = 0; k < (size_t)reads * BLK; k++)
		sum = (sum ^ data[k]) * 0x100000001b3ull;
	free(data);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("reads=%ld secs=%.4f rate=%.0f sum=%016" PRIx64 "\n", reads, s,
	       s > 0 ? (double)reads / s : 0.0, sum);
	return 0;
}
