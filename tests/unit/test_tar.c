/* SPDX-License-Identifier: MIT */
/*
 * Differential test of src/tar.c against libarchive (tar_diff.h) over
 * every tar that tests/gen/mktars.sh builds with real writers: each tar
 * dialect and extension, and the bad inputs, which must fail with the
 * errno listed in bad_input[]. Then a few hundred mutants of generated
 * tars must be rejected or accepted cleanly, never crash or hang. The
 * shared corpus is test_tar_corpus.c's.
 */
#include "tar_diff.h"

/* --- hostile input ------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fix_cksum(unsigned char *h)
{
	unsigned sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
}

/* Run our reader over a mutant; 1 if it behaved (0 or -errno, entries
 * consistent with the input, no runaway). */
static int run_mutant(const unsigned char *buf, size_t len, int use_skip)
{
	struct fstream s = { -1, len, 0, buf, !use_skip };
	struct ocifs_stream st = { .read = fs_read, .skip = use_skip ? fs_skip : NULL, .ctx = &s };
	struct ocifs_tar_entry *e;
	struct ocifs_tar *t;
	static unsigned char sink[8192];
	size_t entries = 0, got, i;
	int rc = ocifs_tar_new(&st, "mutant", &t), good = 1;

	while (rc == 0 && good) {
		uint64_t sum = 0;

		rc = ocifs_tar_next(t, &e);
		if (rc || !e)
			break;
		if (++entries > len / 512 + 1 || !e->path || e->data_off < e->hdr_off + 512)
			good = 0;
		for (i = 0; i < e->nsparse; i++)
			sum += e->sparse[i].len;
		if (sum > e->data_len)
			good = 0;
		while (!use_skip && (rc = ocifs_tar_read(t, sink, sizeof(sink), &got)) == 0 && got)
			;
		if (!use_skip && rc == 0 && e->data_off + e->data_len > len)
			good = 0;
	}
	if ((rc && !bad_errno(rc)) || ocifs_tar_offset(t) > len)
		good = 0;
	ocifs_tar_free(t);
	return good;
}

static void check_mutants(const char *gendir)
{
	static const char *const seeds[] = {
		"posix-sparse-1.0.tar", "posix-sparse-0.1.tar", "posix-sparse-0.0.tar",
		"gnu-sparse.tar", "oldgnu-sparse.tar", "py-pax-edge.tar", "py-gnu-edge.tar",
		"gnu-incr.tar", "raw-order-xL.tar", "raw-pax-sparse01.tar", "v7.tar",
		"bsd-pax-xattrs.tar",
	};
	size_t nseeds = sizeof(seeds) / sizeof(seeds[0]), i;
	int bad = 0, runs = 0, m;

	for (i = 0; i < nseeds; i++) {
		char path[4096];
		unsigned char *orig = NULL, *buf = NULL;
		struct stat st;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", gendir, seeds[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) || st.st_size < 1024) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		orig = malloc((size_t)st.st_size);
		buf = malloc((size_t)st.st_size);
		if (!orig || !buf || read(fd, orig, (size_t)st.st_size) != st.st_size)
			abort();
		close(fd);
		for (m = 0; m < 40; m++) {
			size_t len = (size_t)st.st_size, nblk = len / 512;
			int kind = (int)(rng() % 4);

			memcpy(buf, orig, len);
			if (kind == 3) {
				len = (size_t)(rng() % len);
			} else {
				/* Garble a block that holds headers (the first few, mostly). */
				size_t blk = rng() % 2 ? rng() % (nblk < 8 ? nblk : 8) : rng() % nblk;
				unsigned char *h = buf + blk * 512;
				int flips = 1 + (int)(rng() % 6), k;

				for (k = 0; k < flips; k++) {
					size_t at = kind == 2 ? 100 + rng() % 245 : rng() % 512;

					if (kind == 0)
						h[at] ^= (unsigned char)(1u << (rng() % 8));
					else
						h[at] = (unsigned char)"0123456789 \0\377\200-x=\n"[rng() % 18];
				}
				if (rng() % 4)
					fix_cksum(h);
			}
			runs += 2;
			bad += !run_mutant(buf, len, 0);
			bad += !run_mutant(buf, len, 1);
		}
		free(orig);
		free(buf);
	}
	ok(runs > 0 && bad == 0, "%d hostile mutants handled cleanly (%d misbehaved)", runs, bad);
}

/* --- main ------------------------------------------------------------------ */

int main(void)
{
	const char *srcdir = getenv("OCIFS_SRCDIR");
	char tmp[] = "/tmp/ocifs-test-tar.XXXXXX", gendir[4096], cmd[8192];
	struct list gen = { 0 };
	size_t i;
	int st;

	if (tar_diff_begin(tmp))
		return done_testing();
	srcdir = srcdir ? srcdir : ".";
	snprintf(gendir, sizeof(gendir), "%s/gen", tmp);
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/gen/mktars.sh' '%s'", srcdir, gendir);
	st = system(cmd);
	ok(st == 0, "mktars.sh ran (status %d)", st);
	walk(gendir, ".tar", &gen);
	ok(gen.n >= 30, "mktars.sh built %zu tars", gen.n);
	for (i = 0; i < gen.n; i++) {
		if (strstr(gen.v[i], "/tree/") || strstr(gen.v[i], "/small/"))
			continue;
		check_file(gen.v[i], gen.v[i] + strlen(gendir) + 1, "");
	}
	check_mutants(gendir);
	list_free(&gen);
	return tar_diff_end(tmp);
}
