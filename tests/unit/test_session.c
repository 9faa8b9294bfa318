/* SPDX-License-Identifier: MIT */
/*
 * session.c against the images tests/gen/mkimage.sh builds (shared with
 * the CLI tests through tests/lib.sh's test_images): what each option
 * opens (everything, no view, the image alone, one layer, a given cache
 * dir, the per-layer summary lines), and the error paths: a missing
 * image, a corrupt one, a layer whose blob does not match its digest
 * (found after the layer below it was opened), a layer number out of
 * range and an unusable cache dir. Each failure is the documented errno
 * with exactly one line of log naming the file, *out is NULL, and no fd
 * stays open (memory: the ASan build runs this too).
 */
#include <dirent.h>

#include "image_check.h"
#include "session.h"

static char imgs[512];     /* mkimage.sh's images */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* ocifs_session_open() with stderr captured into errbuf/errlines. */
static int open_session(const char *ref, const struct ocifs_session_opts *o,
			struct ocifs_session **s)
{
	int rc;

	*s = (struct ocifs_session *)&errlines; /* must be overwritten */
	capture_begin();
	rc = ocifs_session_open(ref, o, s);
	capture_end();
	return rc;
}

/* A failure: errno want, *out NULL, one line of log containing `names`,
 * and as many fds open as before. */
static void expect_session_fail(const char *ref, const struct ocifs_session_opts *o, int want,
			const char *names, const char *what)
{
	struct ocifs_session *s;
	int fds = count_fds();
	int rc = open_session(ref, o, &s);

	is_int(rc, want, "%s: %s", what, strerror(-want));
	ok(s == NULL, "%s: no session", what);
	if (!ok(errlines == 1 && strstr(errbuf, names), "%s: one line of log naming %s", what,
		names))
		diag("  log: %s", errbuf);
	else
		diag("  %.*s", (int)strcspn(errbuf, "\n"), errbuf);
	is_int(count_fds(), fds, "%s: no fd left open", what);
	if (rc == 0)
		ocifs_session_close(s);
}

static void test_open(const char *oci)
{
	struct ocifs_session_opts o = { .progress = 1 };
	struct ocifs_session *s;
	char want[128], *lines = NULL;
	size_t len = 0;
	int fds = count_fds(), rc;

	snprintf(want, sizeof(want), "%s/xdg/ocifs", tmp);
	rc = open_session(oci, &o, &s);
	is_int(rc, 0, "oci: opens");
	if (rc) {
		diag("  log: %s", errbuf);
		return;
	}
	is_int(errlines, 0, "oci: nothing logged");
	ok(s->img && s->img->nlayers == 2, "oci: the image, 2 layers");
	is_int(s->nlayers, 2, "oci: every layer opened");
	ok(s->layers && s->layers[0] && s->layers[1], "oci: layer handles");
	ok(s->view && ocifs_view_inodes(s->view) > 1, "oci: the merged view");
	is_str(s->cache_dir, want, "oci: cache dir from XDG_CACHE_HOME");
	ocifs_session_close(s);
	is_int(count_fds(), fds, "oci: close leaves no fd open");

	/* index's options: no view, a summary line per layer (cached now) */
	o.no_view = 1;
	o.summary = open_memstream(&lines, &len);
	rc = open_session(oci, &o, &s);
	fclose(o.summary);
	o.summary = NULL;
	is_int(rc, 0, "no_view: opens");
	if (!rc) {
		ok(s->nlayers == 2 && s->layers[0] && s->layers[1], "no_view: every layer");
		ok(s->view == NULL, "no_view: no view");
		ocifs_session_close(s);
	}
	ok(lines && !strncmp(lines, "layer 1/2 sha256:", 17) && strstr(lines, "\nlayer 2/2 sha256:") &&
	   strstr(lines, " entries, cached\n") && len && lines[len - 1] == '\n' &&
	   strchr(strchr(lines, '\n') + 1, '\n') == lines + len - 1,
	   "summary: one line per layer");
	if (lines)
		diag("  %.*s", (int)strcspn(lines, "\n"), lines);
	free(lines);

	/* inspect's: the image alone, in a cache dir given by the caller */
	o = (struct ocifs_session_opts){ .no_layers = 1, .cache_dir = want };
	rc = open_session(oci, &o, &s);
	is_int(rc, 0, "no_layers: opens");
	if (!rc) {
		ok(s->img && s->nlayers == 0 && !s->layers && !s->view, "no_layers: the image only");
		ok(s->cache_dir && s->cache_dir != want && !strcmp(s->cache_dir, want),
		   "cache_dir: a copy of the one given");
		ocifs_session_close(s);
	}

	/* ls/cat --layer's: one layer */
	o = (struct ocifs_session_opts){ .layer = 2 };
	rc = open_session(oci, &o, &s);
	is_int(rc, 0, "layer 2: opens");
	if (!rc) {
		ok(s->nlayers == 1 && s->layers && s->layers[0] && !s->view,
		   "layer 2: that layer alone, no view");
		ocifs_session_close(s);
	}
	is_int(count_fds(), fds, "after every option: no fd left open");
}

static void test_errors(const char *oci)
{
	struct ocifs_session_opts o = { .progress = 1 };
	char path[768];

	snprintf(path, sizeof(path), "%s/missing.tar", tmp);
	expect_session_fail(path, &o, -ENOENT, path, "missing file");

	snprintf(path, sizeof(path), "%s/garbage.tar", tmp);
	tap_sh("head -c 5000 /dev/zero | tr '\\0' x >'%s'", path);
	expect_session_fail(path, &o, -EBADMSG, path, "corrupt archive");

	snprintf(path, sizeof(path), "%s/badjson", tmp);
	tap_sh("cp -r '%s' '%s' && printf '{\"manifests\": [' >'%s/index.json'", oci, path, path);
	expect_session_fail(path, &o, -EBADMSG, "index.json", "corrupt index.json");

	/* Layer 2's gzip header gets another MTIME: it decodes to the same tar
	 * but no longer hashes to its digest, which only the index build
	 * finds, after layer 1 is open. */
	snprintf(path, sizeof(path), "%s/badlayer", tmp);
	if (tap_sh("cp -r '%s' '%s' && m=$(jq -r '.manifests[0].digest' '%s/index.json') && "
		   "l=$(jq -r '.layers[1].digest' \"%s/blobs/sha256/${m#sha256:}\") && "
		   "f=\"%s/blobs/sha256/${l#sha256:}\" && "
		   "printf '\\001\\002\\003\\004' | dd of=\"$f\" bs=1 seek=4 conv=notrunc "
		   "status=none", oci, path, path, path, path))
		ok(0, "tamper with layer 2 of a copy of the oci image");
	expect_session_fail(path, &o, -EILSEQ, "layer 2", "layer digest mismatch");

	o.layer = 3;
	expect_session_fail(oci, &o, -EINVAL, "no layer 3", "layer out of range");
	o.layer = 0;

	/* A cache root that is a symlink is refused before the image opens. */
	snprintf(path, sizeof(path), "%s/badcache", tmp);
	tap_sh("mkdir -p '%s' && ln -s '%s' '%s/ocifs'", path, tmp, path);
	setenv("XDG_CACHE_HOME", path, 1);
	expect_session_fail(oci, &o, -ELOOP, path, "symlinked cache root");
	snprintf(path, sizeof(path), "%s/xdg", tmp);
	setenv("XDG_CACHE_HOME", path, 1);
}

/* The dir holding mkimage.sh's images, built once per build tree. */
static int find_images(void)
{
	const char *srcdir = getenv("OCIFS_SRCDIR");
	char here[512], out[128];
	FILE *f;
	int rc;

	snprintf(here, sizeof(here), "%s", __FILE__); /* .../tests/unit/test_session.c */
	*strrchr(here, '/') = '\0';
	snprintf(out, sizeof(out), "%s/images-dir", tmp);
	if (srcdir)
		rc = tap_sh("bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && test_images' >'%s' 2>'%s.err'",
			    out, out);
	else
		rc = tap_sh("OCIFS_SRCDIR='%s/../..' bash -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" && "
			    "test_images' >'%s' 2>'%s.err'", here, out, out);
	if (rc)
		return -1;
	f = fopen(out, "r");
	if (!f)
		return -1;
	rc = fgets(imgs, sizeof(imgs), f) ? 0 : -1;
	fclose(f);
	imgs[strcspn(imgs, "\n")] = '\0';
	return rc;
}

int main(void)
{
	char oci[600];
	int have_tools;

	if (image_check_begin("session"))
		return 1;
	snprintf(oci, sizeof(oci), "%s/xdg", tmp);
	setenv("XDG_CACHE_HOME", oci, 1);
	have_tools = !system("command -v umoci >/dev/null && command -v skopeo >/dev/null && "
			     "command -v jq >/dev/null");
	if (!have_tools && !tap_in_ci()) {
		skip("umoci, skopeo or jq not installed: the test images");
	} else if (find_images()) {
		ok(0, "tests/lib.sh test_images built the test images (see %s/images-dir.err)", tmp);
		return done_testing();
	} else {
		snprintf(oci, sizeof(oci), "%s/oci", imgs);
		test_open(oci);
		test_errors(oci);
	}
	return image_check_end();
}
