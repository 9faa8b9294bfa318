/* SPDX-License-Identifier: MIT */
/*
 * image.c against every image in the shared corpus ($OCIFS_CORPUS):
 * each opens, or fails with the errno expect[] or MANIFEST.tsv calls
 * for and exactly one line of log; layer counts and formats as recorded;
 * each layer's bytes hash to its digest; and the platform and name
 * choices that the defaults cannot make. The images that
 * tests/gen/mkimage.sh builds are test_image.c's.
 */
#include "image_check.h"

/* --- the corpus ----------------------------------------------------------------- */

/* Expected outcomes, by path under images/ (0 = opens). Anything not
 * listed must open or fail cleanly. */
static const struct {
	const char *path;
	int rc;
	int layers;  /* when rc == 0; -1 = do not check */
	const char *why;
} expect[] = {
	{ "containers-image/docker-archive_almostempty.tar", 0, 1, "" },
	{ "containers-image/oci-layout_delete_image_multiple_images/", -EINVAL, -1, "several images" },
	{ "containers-image/oci-layout_delete_image_only_one_image/", -EILSEQ, -1, "config size != descriptor" },
	{ "containers-image/oci-layout_delete_image_shared_blobs_dir/", -ENOENT, -1, "missing blob" },
	{ "containers-image/oci-layout_delete_image_two_identical_references/", -EINVAL, -1, "two images, one name" },
	{ "containers-image/oci-layout_manifest/", -ENOENT, -1, "missing blob" },
	{ "containers-image/oci-layout_name_lookups/", -EINVAL, -1, "several images, manifests missing" },
	{ "containers-image/oci-layout_two_images_manifest/", -ENOENT, -1, "missing blob" },
	{ "dive/test-docker-image.tar", 0, 14, "" },
	{ "dive/test-estargz-image.tar", -EOPNOTSUPP, -1, "not an image" },
	{ "dive/test-gzip-image.tar", -EOPNOTSUPP, -1, "not an image" },
	{ "dive/test-kaniko-image.tar", 0, 14, "" },
	{ "dive/test-oci-estargz-image.tar", 0, 1, "" },
	{ "dive/test-oci-gzip-image.tar", 0, 1, "" },
	{ "dive/test-oci-uncompressed-image.tar", 0, 1, "" },
	{ "dive/test-oci-zstd-image.tar", 0, 1, "" },
	{ "ggcr/crane_content.tar.zst", -EOPNOTSUPP, -1, "a zstd layer, not an image" },
	{ "ggcr/layout_test_gc_image_unknown_mediatype/", -ENOENT, -1, "unknown type, missing blob" },
	{ "ggcr/layout_test_gc_index/", 0, 1, "" },
	{ "ggcr/layout_test_index/", -EINVAL, -1, "two images (one with an odd media type)" },
	{ "ggcr/layout_test_index_media_type/", -EOPNOTSUPP, -1, "a helm chart" },
	{ "ggcr/layout_test_index_one_image/", 0, 1, "" },
	{ "ggcr/mutate_source_image_with_empty_layer_history.tar", -EILSEQ, -1, "config != its name" },
	{ "ggcr/tarball_hello-world-v25.tar", 0, 1, "Docker 25, index without manifests" },
	{ "ggcr/tarball_null_manifest.tar", -EBADMSG, -1, "manifest.json is null" },
	{ "ggcr/tarball_test_bundle.tar", -EINVAL, -1, "two images" },
	{ "ggcr/tarball_test_link.tar", -EINVAL, -1, "two images" },
	{ "oras-go/oci_hello-world-prefixed-path.tar", 0, 1, "" },
	{ "oras-go/oci_hello-world.tar", 0, 1, "" },
	{ "regclient/oci-layout_external/", -EOPNOTSUPP, -1, "artifacts only" },
	{ "regclient/oci-layout_testrepo/", -EINVAL, -1, "several images" },
	{ "stereoscope/oci-layout_invalid_file/", -EBADMSG, -1, "empty index.json" },
	{ "stereoscope/oci-layout_multiplatform_oci_dir/", 0, 1, "" },
	{ "stereoscope/oci-layout_no_manifests/", -EBADMSG, -1, "no manifests" },
	{ "stereoscope/oci-layout_valid_manifest/", -EILSEQ, -1, "empty manifest blob" },
	{ "stereoscope/oci-layout_valid_oci_dir/", 0, 1, "" },
	{ "stereoscope/valid-oci.tar", 0, 1, "" },
	{ "trivy/docker-archive_alpine-310.tar", 0, 1, "" },
	{ "trivy/docker-archive_alpine-311.tar", 0, 1, "" },
	{ "trivy/oci-layout_multi/", -ENOENT, -1, "missing blob" },
	{ "trivy/oci-layout_test/", 0, 1, "" },
	{ "trivy/oci-layout_test_bad_index_json/", -EBADMSG, -1, "bad JSON" },
	{ "trivy/oci-layout_test_image_tag/", 0, 1, "" },
	{ "trivy/oci-layout_test_index_json_dir/", -EBADMSG, -1, "index.json is a directory" },
	{ "trivy/oci-layout_test_invalid_oci_image/", -ENOENT, -1, "bad media type, missing blob" },
	{ "trivy/oci-layout_test_no_valid_manifests/", -EBADMSG, -1, "manifests null" },
};

/* Parse "layers=N" and the format out of MANIFEST.tsv's exercises. */
static int manifest_layers(const char *ex)
{
	const char *p = strstr(ex, "; layers=");

	return p ? atoi(p + 9) : -1;
}

static void corpus_one(const char *root, const char *rel, const char *ex)
{
	struct ocifs_image *img = NULL;
	char path[1024], d[OCIFS_DIGEST_STRLEN + 1];
	int rc, want = 1, wlayers = -1, n = manifest_layers(ex);
	const char *why = "";
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	rc = open_img(path, NULL, NULL, 0, &img);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (!strcmp(expect[i].path, rel + 7)) {
			want = expect[i].rc;
			wlayers = expect[i].layers;
			why = expect[i].why;
		}
	if (want != 1)
		is_int(rc, want, "corpus %s: %s%s%s", rel, want ? strerror(-want) : "opens",
		       *why ? ": " : "", why);
	else if (strstr(ex, "plain layer tarball (not an image)"))
		is_int(rc, -EOPNOTSUPP, "corpus %s: not an image", rel);
	else if (strstr(ex, "bad-index.json") || strstr(ex, "index.json-is-dir"))
		is_int(rc, -EBADMSG, "corpus %s: bad index.json", rel);
	else if (strstr(ex, "docker-archive archive; images=1;") && !strstr(ex, "missing-blob"))
		is_int(rc, 0, "corpus %s: docker-archive opens", rel);
	else
		ok(rc <= 0, "corpus %s: %s", rel, rc ? strerror(-rc) : "opens");
	if (rc) {
		ok(errlines == 1, "corpus %s: one line of log", rel);
		diag("  %.*s", (int)strcspn(errbuf, "\n"), errbuf);
		return;
	}
	if (wlayers >= 0)
		is_int(img->nlayers, wlayers, "corpus %s: %d layers", rel, wlayers);
	if (n >= 0 && strstr(ex, "docker-archive archive;"))
		is_int(img->nlayers, n, "corpus %s: layers as MANIFEST.tsv says", rel);
	if (strstr(ex, "docker-archive archive;") && !strstr(ex, "oci-layout"))
		is_int(img->format, OCIFS_FMT_DOCKER_ARCHIVE, "corpus %s: docker-archive", rel);
	if (strstr(ex, "oci-layout archive;") && !strstr(ex, "docker-archive+"))
		is_int(img->format, OCIFS_FMT_OCI_ARCHIVE, "corpus %s: oci-archive", rel);
	for (i = 0; i < img->nlayers; i++) {
		struct ocifs_layer_desc *l = &img->layers[i];
		unsigned char m[4] = { 0 };
		size_t got = 0;
		const char *w = l->digest;

		ocifs_src_pread(l->blob, m, 4, 0, &got);
		if (!*w && ocifs_comp_detect(m, got) == OCIFS_COMP_NONE)
			w = l->diff_id; /* uncompressed layer.tar: its digest is the diff_id */
		if (!*w)
			continue;
		src_digest(l->blob, d);
		is_str(d, w, "corpus %s: layer %zu bytes match", rel, i + 1);
	}
	ocifs_image_free(img);
}

static void test_corpus(void)
{
	const char *root = getenv("OCIFS_CORPUS");
	struct ocifs_image *img;
	char path[1024], line[4096];
	FILE *f;
	int rc, n = 0;

	if (!root)
		root = "/work/shared/corpus";
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", root);
	f = fopen(path, "r");
	if (!f) {
		if (tap_in_ci())
			ok(0, "corpus: %s missing under CI", path);
		else
			skip("corpus not found at %s", root);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *rel = strtok(line, "\t"), *src, *size, *ex;
		if (!rel || strncmp(rel, "images/", 7))
			continue;
		src = strtok(NULL, "\t");
		size = strtok(NULL, "\t");
		ex = strtok(NULL, "\t");
		(void)src;
		(void)size;
		corpus_one(root, rel, ex ? ex : "");
		n++;
	}
	fclose(f);
	ok(n > 50, "corpus: %d images tried", n);

	/* choices the defaults cannot make */
	snprintf(path, sizeof(path), "%s/images/regclient/oci-layout_testrepo", root);
	rc = open_img(path, NULL, "v1", 0, &img);
	is_int(rc, 0, "testrepo: --image v1 (index -> index -> manifest)");
	if (!rc) {
		is_int(img->nlayers, 2, "testrepo v1: 2 layers");
		is_str(img->platform, "linux/amd64", "testrepo v1: platform");
		ocifs_image_free(img);
	}
	rc = open_img(path, "linux/arm64", "v1", 0, &img);
	is_int(rc, 0, "testrepo: --image v1 --platform linux/arm64");
	if (!rc) {
		is_str(img->manifest_digest,
		       "sha256:7e87ffc91b9ceafa85be2777b16b1be10e4664fd4f3acc86e4295b97da5163ba",
		       "testrepo v1 arm64 manifest");
		ocifs_image_free(img);
	}
	rc = open_img(path, "linux/arm/v7", "v3", 0, &img);
	is_int(rc, 0, "testrepo: --image v3 --platform linux/arm/v7");
	if (!rc) {
		is_str(img->platform, "linux/arm/v7", "testrepo v3: arm/v7");
		ocifs_image_free(img);
	}
	expect_fail(path, "linux/arm/v6", "v1", -EINVAL, "testrepo: v1 has no arm/v6");
	expect_fail(path, NULL, "a1", -EOPNOTSUPP, "testrepo: a1 is an SBOM artifact");
	expect_fail(path, NULL, "a-docker", -EOPNOTSUPP, "testrepo: a-docker has non-tar layers");
	expect_fail(path, NULL, "nosuch", -EINVAL, "testrepo: no such tag");

	snprintf(path, sizeof(path), "%s/images/ggcr/tarball_test_link.tar", root);
	for (int i = 0; i < 2; i++) {
		rc = open_img(path, NULL, i ? "bazel/v1/tarball:test_image_3" : "2", 0, &img);
		is_int(rc, 0, "test_link: image #2 (a layer.tar symlink) by %s", i ? "tag" : "index");
		if (!rc) {
			check_layers_hash(img, "test_link", 1);
			ok(strv_has(img->names, "bazel/v1/tarball:test_image_3"), "test_link: RepoTag");
			ocifs_image_free(img);
		}
	}
	snprintf(path, sizeof(path), "%s/images/ggcr/layout_test_index", root);
	for (int i = 1; i <= 4; i++) { /* tags "1".."4": names win over positions */
		char tag[4];
		snprintf(tag, sizeof(tag), "%d", i);
		rc = open_img(path, NULL, tag, 0, &img);
		is_int(rc, 0, "ggcr test_index: --image %d (a tag)", i);
		if (!rc)
			ok(strv_has(img->names, tag), "ggcr test_index: tag %d chosen", i);
		ocifs_image_free(img);
	}
	rc = open_img(path, NULL, "#2", 0, &img);
	ok(!rc && strv_has(img->names, "2"), "ggcr test_index: #2 is the second entry (a position, never a tag)");
	ocifs_image_free(img);
	expect_fail(path, NULL, "#5", -EINVAL, "ggcr test_index: #5 (positions are 1..4)");
	snprintf(path, sizeof(path), "%s/images/ggcr/tarball_test_bundle.tar", root);
	rc = open_img(path, NULL, "test_image_1", 0, &img);
	is_int(rc, 0, "test_bundle: --image test_image_1");
	ocifs_image_free(img);
	snprintf(path, sizeof(path), "%s/images/ggcr/tarball_hello-world-v25.tar", root);
	rc = open_img(path, NULL, NULL, 0, &img);
	if (!rc) {
		ok(img->nlayers == 1 && !strcmp(img->layers[0].digest, img->layers[0].diff_id),
		   "hello-world-v25: digest from blobs/sha256/<hex>");
		ocifs_image_free(img);
	}
	snprintf(path, sizeof(path), "%s/images/oras-go/oci_hello-world.tar", root);
	rc = open_img(path, NULL, NULL, 0, &img);
	if (!rc) {
		ok(img->nplatforms == 10 && strv_has(img->platforms, "windows/amd64") &&
		   strv_has(img->platforms, "linux/arm/v5"),
		   "oras hello-world: 10 platforms listed (%zu)", img->nplatforms);
		ok(strv_has(img->names, "hello-world:latest") && strv_has(img->names, "latest"),
		   "oras hello-world: names from index.json and manifest.json");
		ocifs_image_free(img);
	}
	expect_fail(path, "linux/arm64", NULL, -ENOENT, "oras hello-world: arm64 blobs are not there");
	for (int i = 310; i <= 311; i++) {
		snprintf(path, sizeof(path), "%s/images/trivy/docker-archive_alpine-%d.tar", root, i);
		rc = open_img(path, NULL, NULL, 0, &img);
		ok(!rc && img->format == OCIFS_FMT_DOCKER_ARCHIVE && img->nlayers == 1,
		   "trivy alpine-%d: docker-archive, 1 layer", i);
		ocifs_image_free(img);
	}
}

int main(void)
{
	if (image_check_begin("image-corpus"))
		return 1;
	test_corpus();
	return image_check_end();
}
