/* SPDX-License-Identifier: MIT */
/*
 * Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without
 * libFuzzer, so a plain build (gcc, no sanitizers) runs the seed corpora
 * and the kept crashers in `make check`. Usage mirrors a libFuzzer binary
 * run over a corpus: `fuzz_X [-flags...] DIR|FILE...`; flags are ignored,
 * directories are walked recursively, files larger than OCIFS_FUZZ_MAXLEN
 * bytes (default 1 MiB) are skipped. Each input ends right before an
 * inaccessible page, so reading past its end faults even without ASan
 * (libFuzzer's own buffers are exact-size heap blocks, which ASan checks).
 * Prints one summary line per argument
 * on stderr and exits 0; a bad input crashes or aborts the process, which
 * the calling test (tests/fuzz/replay.sh) reports with the file name that
 * was announced last.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t maxlen = 1u << 20;
static unsigned long ran, skipped;

/* A buffer of n bytes that ends where a PROT_NONE page begins. */
static uint8_t *guarded_alloc(size_t n, void **map, size_t *maplen)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), body = (n + pg - 1) / pg * pg;
	uint8_t *m = mmap(NULL, body + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + body, pg, PROT_NONE) != 0) {
		munmap(m, body + pg);
		return NULL;
	}
	*map = m;
	*maplen = body + pg;
	return m + body - n;
}

static int run_file(const char *path, off_t size)
{
	FILE *f;
	uint8_t *buf;
	void *map = NULL;
	size_t got, maplen = 0;

	if ((size_t)size > maxlen) {
		skipped++;
		return 0;
	}
	buf = guarded_alloc((size_t)size, &map, &maplen);
	f = fopen(path, "rb");
	if (!buf || !f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (map)
			munmap(map, maplen);
		if (f)
			fclose(f);
		return -1;
	}
	got = fread(buf, 1, (size_t)size, f);
	fclose(f);
	if (getenv("FUZZ_REPLAY_TRACE"))
		fprintf(stderr, "replay: running %s\n", path);
	LLVMFuzzerTestOneInput(buf + ((size_t)size - got), got);
	munmap(map, maplen);
	ran++;
	return 0;
}

static int walk(const char *path)
{
	struct stat st;
	struct dirent **ents;
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return run_file(path, st.st_size);
	if (!S_ISDIR(st.st_mode))
		return 0;
	n = scandir(path, &ents, NULL, alphasort); /* sorted: reproducible */
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];
		if (ents[i]->d_name[0] != '.' && rc == 0) {
			snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
			rc = walk(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	const char *m = getenv("OCIFS_FUZZ_MAXLEN");
	int rc = 0;

	if (m)
		maxlen = strtoull(m, NULL, 0);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		ran = skipped = 0;
		if (walk(argv[i]))
			rc = 1;
		fprintf(stderr, "replay: %s: %lu inputs (%lu skipped as too large)\n", argv[i],
			ran, skipped);
	}
	return rc;
}
