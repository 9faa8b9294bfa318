/* SPDX-License-Identifier: MIT */
/*
 * pzdec BLOB [THREADS]: the decoding floor of a zstd blob of many
 * frames (pzstd) for bench/seqread.sh: every frame decoded on THREADS
 * threads (default: online CPUs), each straight into a buffer of its
 * own reused from frame to frame (ZSTD_d_stableOutBuffer, as the
 * mount's read-ahead decodes a frame into its slab), nothing written
 * anywhere. Prints "<wall seconds> <cpu seconds> <bytes>" (cpu: user +
 * system of the whole process). Hand-written: it measures libzstd
 * itself, the decoder the mount uses, without the CLI's file I/O.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_stableOutBuffer (zstd >= 1.4.4) */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define OUT_CAP ((size_t)64 << 20) /* more than a pzstd frame holds */

struct frame {
	const unsigned char *p;
	size_t n;
};

static struct frame *frames;
static size_t nframes, next_frame;
static uint64_t total;
static int failed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *run(void *arg)
{
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	unsigned char *out = malloc(OUT_CAP);
	uint64_t done = 0;

	(void)arg;
	if (!dc || !out || ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_stableOutBuffer, 1))) {
		fprintf(stderr, "pzdec: out of memory\n");
		__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
	}
	while (!__atomic_load_n(&failed, __ATOMIC_RELAXED)) {
		size_t i = __atomic_fetch_add(&next_frame, 1, __ATOMIC_RELAXED);
		ZSTD_inBuffer in;
		ZSTD_outBuffer ob = { out, OUT_CAP, 0 };
		size_t rc = 1;

		if (i >= nframes)
			break;
		in = (ZSTD_inBuffer){ frames[i].p, frames[i].n, 0 };
		ZSTD_DCtx_reset(dc, ZSTD_reset_session_only);
		while (rc && !ZSTD_isError(rc) && ob.pos < ob.size && in.pos < in.size)
			rc = ZSTD_decompressStream(dc, &ob, &in);
		if (ZSTD_isError(rc) || rc) {
			fprintf(stderr, "pzdec: frame %zu: %s\n", i,
				ZSTD_isError(rc) ? ZSTD_getErrorName(rc) : "truncated or too big");
			__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
		}
		done += ob.pos;
	}
	pthread_mutex_lock(&lock);
	total += done;
	pthread_mutex_unlock(&lock);
	free(out);
	ZSTD_freeDCtx(dc);
	return NULL;
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nt = argc > 2 ? (unsigned)atoi(argv[2]) : ncpu > 0 ? (unsigned)ncpu : 1;
	struct timespec a, b;
	struct rusage ru;
	struct stat st;
	pthread_t *th;
	const unsigned char *m;
	size_t off = 0, cap = 0;
	int fd;

	if (argc < 2 || !nt) {
		fprintf(stderr, "usage: pzdec BLOB [THREADS]\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) || !st.st_size ||
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		perror(argv[1]);
		return 1;
	}
	madvise((void *)m, (size_t)st.st_size, MADV_WILLNEED);
	/* the frames (pzstd's skippable frames before each one skipped) */
	while (off < (size_t)st.st_size) {
		size_t n = ZSTD_findFrameCompressedSize(m + off, (size_t)st.st_size - off);
		uint32_t magic;

		if (ZSTD_isError(n) || !n) {
			fprintf(stderr, "pzdec: %s: not zstd at byte %zu\n", argv[1], off);
			return 1;
		}
		memcpy(&magic, m + off, 4); /* little-endian hosts */
		if ((magic & 0xFFFFFFF0u) != 0x184D2A50u) {
			if (nframes == cap) {
				struct frame *more = realloc(frames, 2 * (cap + 32) * sizeof(*frames));

				if (!more) {
					fprintf(stderr, "pzdec: out of memory\n");
					free(frames);
					return 1;
				}
				frames = more;
				cap = 2 * (cap + 32);
			}
			frames[nframes++] = (struct frame){ m + off, n };
		}
		off += n;
	}
	if (!(th = calloc(nt, sizeof(*th))))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, run, NULL)) {
			fprintf(stderr, "pzdec: cannot start a thread\n");
			return 1;
		}
	for (unsigned i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_SELF, &ru);
	if (failed)
		return 1;
	printf("%.4f %.4f %llu\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	       (unsigned long long)total);
	free(th);
	free(frames);
	return 0;
}
