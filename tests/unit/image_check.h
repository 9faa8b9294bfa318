/* SPDX-License-Identifier: MIT */
/*
 * For test_image.c, test_image_corpus.c and test_session.c: opening an
 * image with its log captured (a failure must be the documented errno and exactly one
 * line of log), and re-hashing each layer's bytes through its byte
 * source. Static helpers, like tests/tap.h.
 */
#ifndef OCIFS_TESTS_IMAGE_CHECK_H
#define OCIFS_TESTS_IMAGE_CHECK_H
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "image_priv.h"
#include "log.h"
#include "sha.h"
#include "src.h"
#include "tap.h"

static char tmp[64];
static char errbuf[4096]; /* stderr of the last capture (open_img()) */
static int errlines;
static int capture_fd = -1, capture_saved = -1;

/* Send stderr to tmp/stderr until capture_end(). */
static inline void capture_begin(void)
{
	char log[128];

	snprintf(log, sizeof(log), "%s/stderr", tmp);
	capture_fd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	capture_saved = dup(2);
	dup2(capture_fd, 2);
}

/* Put stderr back; what was logged is in errbuf, its lines in errlines. */
static inline void capture_end(void)
{
	ssize_t n;

	dup2(capture_saved, 2);
	close(capture_saved);
	n = pread(capture_fd, errbuf, sizeof(errbuf) - 1, 0);
	close(capture_fd);
	errbuf[n > 0 ? n : 0] = '\0';
	errlines = 0;
	for (char *p = errbuf; *p; p++)
		errlines += *p == '\n';
}

/* Open with stderr captured into errbuf/errlines. */
static inline int open_img(const char *path, const char *platform, const char *image, int skip,
			   struct ocifs_image **img)
{
	struct ocifs_image_opts o = { .platform = platform, .image = image, .skip_missing = skip };
	int rc;

	capture_begin();
	rc = ocifs_image_open(path, &o, img);
	capture_end();
	if (rc)
		*img = NULL;
	return rc;
}

/* A failure must be the documented errno and exactly one logged line. */
static inline void expect_fail(const char *path, const char *platform, const char *image,
			       int want, const char *what)
{
	struct ocifs_image *img = NULL;
	int rc = open_img(path, platform, image, 0, &img);

	is_int(rc, want, "%s: %s", what, strerror(-want));
	if (!ok(errlines == 1, "%s: one line of log", what))
		diag("  log: %s", errbuf);
	else
		diag("  %.*s", (int)strcspn(errbuf, "\n"), errbuf);
	ocifs_image_free(img);
}

/* sha256 of a whole byte source, read through ocifs_src_pread. */
static inline int src_digest(struct ocifs_src *s, char out[OCIFS_DIGEST_STRLEN + 1])
{
	unsigned char buf[65536], d[OCIFS_SHA256_LEN];
	struct ocifs_sha *h;
	uint64_t off = 0;
	size_t got;
	int rc;

	out[0] = '\0';
	if ((rc = ocifs_sha_new(&h)))
		return rc;
	do {
		rc = ocifs_src_pread(s, buf, sizeof(buf), off, &got);
		ocifs_sha_update(h, buf, got);
		off += got;
	} while (!rc && got);
	ocifs_sha_final(h, d);
	ocifs_sha_free(h);
	if (!rc && off != s->size)
		rc = -EIO;
	if (!rc)
		ocifs_digest_format(d, out);
	return rc;
}

static inline int strv_has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return 1;
	return 0;
}

/* Each layer has a blob whose bytes hash to its digest (or, for
 * uncompressed layers, its diff_id), with its size and a location. */
static inline void check_layers_hash(struct ocifs_image *img, const char *what,
				     int uncompressed)
{
	char d[OCIFS_DIGEST_STRLEN + 1];

	for (size_t i = 0; i < img->nlayers; i++) {
		const struct ocifs_layer_desc *l = &img->layers[i];
		const char *want = uncompressed ? l->diff_id : l->digest;

		ok(l->blob != NULL, "%s: layer %zu has a blob", what, i + 1);
		if (!l->blob)
			continue;
		is_int(src_digest(l->blob, d), 0, "%s: layer %zu read", what, i + 1);
		is_str(d, want, "%s: layer %zu bytes hash to its %s", what, i + 1,
		       uncompressed ? "diff_id" : "digest");
		is_int(l->size, l->blob->size, "%s: layer %zu size", what, i + 1);
		ok(l->where && *l->where, "%s: layer %zu where = %s", what, i + 1,
		   l->where ? l->where : "(null)");
	}
}

/* Common start: log warnings and errors only, and a scratch directory
 * /tmp/ocifs-test-NAME.XXXXXX in tmp. 0, or -1 (perror'd). */
static inline int image_check_begin(const char *name)
{
	ocifs_log_threshold = OCIFS_LOG_WARN;
	snprintf(tmp, sizeof(tmp), "/tmp/ocifs-test-%s.XXXXXX", name);
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

/* Common end: tmp removed, the plan. */
static inline int image_check_end(void)
{
	tap_sh("rm -rf '%s'", tmp);
	return done_testing();
}

#endif
