/* SPDX-License-Identifier: MIT */
/*
 * Differential test of src/tar.c against libarchive (tar_diff.h) over
 * the shared corpus ($OCIFS_CORPUS): every tar under tar/ and images/,
 * every uncompressed layer inside the image archives, and every blob of
 * an OCI layout directory that is a plain tar. Where GNU tar's verdict
 * is recorded in MANIFEST.tsv it is shown with a disagreement. The tars
 * that tests/gen/mktars.sh builds are test_tar.c's.
 */
#include "tar_diff.h"

/* --- the corpus ------------------------------------------------------------ */

/* Does this look like an uncompressed tar (ustar magic in block 0)? */
static int looks_like_tar(const unsigned char *b, size_t n)
{
	return n >= 1024 && n % 512 == 0 && memcmp(b + 257, "ustar", 5) == 0;
}

/* Copy the uncompressed layer tars inside image archive `file` into dir. */
static void extract_layers(const char *file, const char *dir, int idx, struct list *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, file, 10240) == ARCHIVE_OK) {
		int k = 0;

		while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
			la_int64_t size = archive_entry_size(ae);
			unsigned char *buf;

			if (archive_entry_filetype(ae) != AE_IFREG || size < 1024 || size > (64 << 20))
				continue;
			buf = malloc((size_t)size);
			if (buf && archive_read_data(a, buf, (size_t)size) == size &&
			    looks_like_tar(buf, (size_t)size)) {
				char path[4096];
				FILE *f;

				snprintf(path, sizeof(path), "%s/img%03d-%02d.tar", dir, idx, k++);
				f = fopen(path, "wb");
				if (f && fwrite(buf, 1, (size_t)size, f) == (size_t)size) {
					char label[4096];

					snprintf(label, sizeof(label), "%s!%s", file, archive_entry_pathname(ae));
					list_add(out, path);
					list_add(out, label);
				}
				if (f)
					fclose(f);
			}
			free(buf);
		}
	}
	archive_read_free(a);
}

/* The MANIFEST.tsv verdict of GNU tar for a corpus path, for diag. */
static char *manifest_note(const char *corpus, const char *rel)
{
	char path[4096], line[8192], *res = NULL;
	size_t n = strlen(rel);
	FILE *f;

	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", corpus);
	f = fopen(path, "r");
	while (f && !res && fgets(line, sizeof(line), f)) {
		char *last = strrchr(line, '\t');

		if (strncmp(line, rel, n) == 0 && line[n] == '\t' && last) {
			last[strcspn(last, "\n")] = '\0';
			if (asprintf(&res, "; GNU tar: %.60s", last + 1) < 0)
				res = NULL;
		}
	}
	if (f)
		fclose(f);
	return res;
}

static void check_corpus(const char *corpus, const char *tmp)
{
	struct list tars = { 0 }, blobs = { 0 }, layers = { 0 };
	char dir[4096];
	size_t i;
	int idx = 0;

	if (access(corpus, R_OK) != 0) {
		if (tap_in_ci())
			ok(0, "corpus %s present", corpus);
		else
			skip("corpus %s absent", corpus);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/tar", corpus);
	walk(dir, ".tar", &tars);
	walk(dir, ".ustar", &tars);
	snprintf(dir, sizeof(dir), "%s/images", corpus);
	walk(dir, ".tar", &tars);
	walk(dir, "", &blobs);
	for (i = 0; i < tars.n; i++) {
		const char *rel = tars.v[i] + strlen(corpus) + 1;
		char *note = manifest_note(corpus, rel);

		check_file(tars.v[i], rel, note ? note : "");
		free(note);
		if (strncmp(rel, "images/", 7) == 0)
			extract_layers(tars.v[i], tmp, idx++, &layers);
	}
	/* Blobs of OCI layout directories that are plain tars. */
	for (i = 0; i < blobs.n; i++) {
		unsigned char b[1024];
		struct stat st;
		int fd;

		if (!strstr(blobs.v[i], "/blobs/") || stat(blobs.v[i], &st) || st.st_size % 512)
			continue;
		fd = open(blobs.v[i], O_RDONLY);
		if (fd >= 0 && read(fd, b, sizeof(b)) == (ssize_t)sizeof(b) &&
		    looks_like_tar(b, (size_t)st.st_size))
			check_file(blobs.v[i], blobs.v[i] + strlen(corpus) + 1, "");
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i + 1 < layers.n; i += 2)
		check_file(layers.v[i], layers.v[i + 1] + strlen(corpus) + 1, "");
	list_free(&tars);
	list_free(&blobs);
	list_free(&layers);
}

/* --- main ------------------------------------------------------------------ */

int main(void)
{
	const char *corpus = getenv("OCIFS_CORPUS");
	char tmp[] = "/tmp/ocifs-test-tar-corpus.XXXXXX";

	if (tar_diff_begin(tmp))
		return done_testing();
	corpus = corpus ? corpus : "/work/shared/corpus";
	check_corpus(corpus, tmp);
	return tar_diff_end(tmp);
}
