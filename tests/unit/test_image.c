/* SPDX-License-Identifier: MIT */
/*
 * image.c against images built by tests/gen/mkimage.sh with umoci and
 * skopeo (OCI dir, oci-archive, docker-archive, gzip/zstd outer files,
 * zstd layers, a two-platform index) and hand-made hostile layouts
 * derived from them: formats, layer digests (each layer's bytes
 * re-hashed through its byte source), config fields, platform and name
 * choice, and that each failure returns the documented errno with
 * exactly one line of log. The shared corpus is test_image_corpus.c's.
 */
#include "image_check.h"

static char gen[128];

/* Store content as a blob of layout dir; digest into d. */
static void put_blob(const char *dir, const char *content, size_t len, char *d)
{
	unsigned char h[OCIFS_SHA256_LEN];
	char path[512];
	FILE *f;

	ocifs_sha256(content, len, h);
	ocifs_digest_format(h, d);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, d + 7);
	f = fopen(path, "wb");
	if (f) {
		fwrite(content, 1, len, f);
		fclose(f);
	}
}

static void put_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

/* --- the generated images ------------------------------------------------ */

static void test_generated(void)
{
	struct ocifs_image *oci = NULL, *img = NULL;
	char path[256];
	const char *host = ocifs_host_platform();
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "%s/oci", gen);
	rc = open_img(path, NULL, NULL, 0, &oci);
	is_int(rc, 0, "oci dir opens");
	if (rc) {
		diag("%s", errbuf);
		return;
	}
	is_int(oci->format, OCIFS_FMT_OCI_DIR, "oci dir: format");
	is_str(ocifs_image_format_name(oci->format), "oci-dir", "format name");
	is_int(oci->outer_comp, OCIFS_COMP_NONE, "oci dir: no outer compression");
	is_int(oci->nlayers, 2, "oci dir: 2 layers");
	ok(ocifs_digest_valid(oci->manifest_digest), "oci dir: manifest digest");
	ok(ocifs_digest_valid(oci->config_digest), "oci dir: config digest");
	ok(strv_has(oci->names, "test"), "oci dir: name test");
	is_str(oci->platform, "linux/amd64", "oci dir: platform from the config");
	ok(strv_has(oci->env, "OCIFS_TEST=1"), "config Env");
	ok(oci->entrypoint && !strcmp(oci->entrypoint[0], "/bin/hello") && !oci->entrypoint[1],
	   "config Entrypoint");
	ok(oci->cmd && !strcmp(oci->cmd[0], "--world") && !oci->cmd[1], "config Cmd");
	is_str(oci->workdir, "/srv", "config WorkingDir");
	is_str(oci->user, "1000:1000", "config User");
	is_str(oci->created, "2021-01-01T00:00:00Z", "config created");
	is_str(oci->os, "linux", "config os");
	is_str(oci->arch, "amd64", "config architecture");
	ok(oci->config_json && strstr(oci->config_json, "diff_ids"), "raw config kept");
	for (size_t i = 0; i < oci->nlayers; i++) {
		is_str(oci->layers[i].media_type, "application/vnd.oci.image.layer.v1.tar+gzip",
		       "oci dir: layer %zu media type", i + 1);
		ok(ocifs_digest_valid(oci->layers[i].diff_id), "oci dir: layer %zu diff_id", i + 1);
		is_int(oci->layers[i].id.off, 0, "oci dir: layer %zu is its own file", i + 1);
		ok(oci->layers[i].id.ino != 0 && oci->layers[i].id.size == oci->layers[i].size,
		   "oci dir: layer %zu file identity", i + 1);
	}
	check_layers_hash(oci, "oci dir", 0);

	/* oci-archive: the same image, blobs as byte ranges of the tar */
	snprintf(path, sizeof(path), "%s/oci.tar", gen);
	rc = open_img(path, NULL, NULL, 0, &img);
	is_int(rc, 0, "oci.tar opens");
	if (!rc) {
		is_int(img->format, OCIFS_FMT_OCI_ARCHIVE, "oci.tar: format");
		is_str(img->manifest_digest, oci->manifest_digest, "oci.tar: same manifest");
		is_str(img->config_digest, oci->config_digest, "oci.tar: same config");
		is_int(img->nlayers, oci->nlayers, "oci.tar: same layer count");
		stat(path, &st);
		for (size_t i = 0; i < img->nlayers && i < oci->nlayers; i++) {
			is_str(img->layers[i].digest, oci->layers[i].digest, "oci.tar: layer %zu digest", i + 1);
			is_str(img->layers[i].diff_id, oci->layers[i].diff_id, "oci.tar: layer %zu diff_id", i + 1);
			ok(img->layers[i].id.ino == st.st_ino && img->layers[i].id.off > 0 &&
			   img->layers[i].id.off % 512 == 0, "oci.tar: layer %zu identity is tar+offset", i + 1);
			ok(img->layers[i].blob->fd >= 0, "oci.tar: layer %zu readable in place (fd)", i + 1);
		}
		check_layers_hash(img, "oci.tar", 0);
		ocifs_image_free(img);
	}

	/* docker-archive: digests unknown, diff_ids agree, blobs are the tars */
	snprintf(path, sizeof(path), "%s/docker.tar", gen);
	rc = open_img(path, NULL, NULL, 0, &img);
	is_int(rc, 0, "docker.tar opens");
	if (!rc) {
		is_int(img->format, OCIFS_FMT_DOCKER_ARCHIVE, "docker.tar: format");
		is_str(ocifs_image_format_name(img->format), "docker-archive", "format name");
		is_str(img->config_digest, oci->config_digest, "docker.tar: same config");
		ok(ocifs_digest_valid(img->manifest_digest), "docker.tar: manifest digest");
		ok(strv_has(img->names, "docker.io/ocifs/test:latest"), "docker.tar: RepoTag");
		is_int(img->nlayers, 2, "docker.tar: 2 layers");
		for (size_t i = 0; i < img->nlayers && i < oci->nlayers; i++) {
			is_str(img->layers[i].digest, "", "docker.tar: layer %zu digest unknown", i + 1);
			is_str(img->layers[i].diff_id, oci->layers[i].diff_id, "docker.tar: layer %zu diff_id", i + 1);
			ok(!img->layers[i].media_type, "docker.tar: layer %zu no media type", i + 1);
		}
		check_layers_hash(img, "docker.tar", 1);
		ocifs_image_free(img);
	}

	/* an oci-archive inside gzip: layers are ranges of the decoded view */
	snprintf(path, sizeof(path), "%s/oci.tar.gz", gen);
	tap_sh("gzip -n -c '%s/oci.tar' >'%s'", gen, path);
	rc = open_img(path, NULL, NULL, 0, &img);
	is_int(rc, 0, "oci.tar.gz opens");
	if (!rc) {
		is_int(img->format, OCIFS_FMT_OCI_ARCHIVE, "oci.tar.gz: format");
		is_int(img->outer_comp, OCIFS_COMP_GZIP, "oci.tar.gz: outer gzip");
		is_str(img->manifest_digest, oci->manifest_digest, "oci.tar.gz: same manifest");
		check_layers_hash(img, "oci.tar.gz", 0);
		ocifs_image_free(img);
	}

	/* the same, gzip- and zstd-compressed as a whole */
	for (int z = 0; z < 2; z++) {
		snprintf(path, sizeof(path), "%s/docker.tar.%s", gen, z ? "zst" : "gz");
		if (z && tap_sh("zstd -q -f -c '%s/docker.tar' >'%s'", gen, path)) {
			skip("zstd failed");
			continue;
		}
		rc = open_img(path, NULL, NULL, 0, &img);
		is_int(rc, 0, "%s opens", path);
		if (rc) {
			diag("%s", errbuf);
			continue;
		}
		is_int(img->outer_comp, z ? OCIFS_COMP_ZSTD : OCIFS_COMP_GZIP, "%s: outer codec", path);
		is_int(img->format, OCIFS_FMT_DOCKER_ARCHIVE, "%s: format", path);
		is_str(img->config_digest, oci->config_digest, "%s: same config", path);
		is_int(img->nlayers, 2, "%s: 2 layers", path);
		stat(path, &st);
		for (size_t i = 0; i < img->nlayers && i < oci->nlayers; i++) {
			is_str(img->layers[i].diff_id, oci->layers[i].diff_id, "%s: layer %zu diff_id", path, i + 1);
			ok(img->layers[i].id.ino == st.st_ino && img->layers[i].id.size == (uint64_t)st.st_size,
			   "%s: layer %zu identity is the outer file", path, i + 1);
		}
		check_layers_hash(img, path, 1);
		ocifs_image_free(img);
	}

	/* zstd layers */
	snprintf(path, sizeof(path), "%s/zstd-oci", gen);
	rc = open_img(path, NULL, NULL, 0, &img);
	is_int(rc, 0, "zstd-oci opens");
	if (!rc) {
		is_int(img->nlayers, 2, "zstd-oci: 2 layers");
		for (size_t i = 0; i < img->nlayers && i < oci->nlayers; i++) {
			unsigned char m[4] = { 0 };
			ocifs_src_pread_full(img->layers[i].blob, m, 4, 0);
			ok(img->layers[i].media_type && strstr(img->layers[i].media_type, "zstd"),
			   "zstd-oci: layer %zu media type %s", i + 1, img->layers[i].media_type);
			is_int(ocifs_comp_detect(m, 4), OCIFS_COMP_ZSTD, "zstd-oci: layer %zu is zstd", i + 1);
			is_str(img->layers[i].diff_id, oci->layers[i].diff_id, "zstd-oci: layer %zu diff_id", i + 1);
		}
		check_layers_hash(img, "zstd-oci", 0);
		ocifs_image_free(img);
	}

	/* names */
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = { "test", "ocifs/test:test", "1", "#1" };
		snprintf(path, sizeof(path), "%s/oci", gen);
		rc = open_img(path, NULL, names[i], 0, &img);
		is_int(rc, 0, "oci dir: --image %s", names[i]);
		ocifs_image_free(img);
	}
	expect_fail(path, NULL, "nosuch", -EINVAL, "oci dir: --image nosuch");
	expect_fail(path, NULL, "2", -EINVAL, "oci dir: --image 2 (only #1)");
	expect_fail(path, NULL, "0", -EINVAL, "oci dir: --image 0 (1 = first)");
	expect_fail(path, "linux/arm64", NULL, -EINVAL, "oci dir: --platform linux/arm64 (amd64 image)");
	expect_fail(path, "linux", NULL, -EINVAL, "malformed --platform");
	snprintf(path, sizeof(path), "%s/docker.tar", gen);
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = { "ocifs/test:latest", "ocifs/test",
						      "docker.io/ocifs/test:latest", "1" };
		rc = open_img(path, NULL, names[i], 0, &img);
		is_int(rc, 0, "docker.tar: --image %s", names[i]);
		ocifs_image_free(img);
	}
	expect_fail(path, NULL, "ocifs/test:other", -EINVAL, "docker.tar: --image ocifs/test:other");
	expect_fail(path, NULL, "3", -EINVAL, "docker.tar: --image 3");
	expect_fail(path, NULL, "0", -EINVAL, "docker.tar: --image 0 (1 = first)");
	expect_fail(path, "linux/s390x", NULL, -EINVAL, "docker.tar: --platform linux/s390x");

	/* platform choice in an image index */
	snprintf(path, sizeof(path), "%s/multi", gen);
	if (!strcmp(host, "linux/amd64") || !strcmp(host, "linux/arm64")) {
		rc = open_img(path, NULL, NULL, 0, &img);
		is_int(rc, 0, "multi: opens for the host (%s)", host);
		if (!rc) {
			ok(!strncmp(img->platform, host, strlen(host)), "multi: host platform chosen (%s)", img->platform);
			is_int(img->nplatforms, 2, "multi: 2 platforms listed");
			ok(strv_has(img->names, "test"), "multi: name from the top index");
		}
		ocifs_image_free(img);
	} else {
		skip("host %s is neither amd64 nor arm64", host);
	}
	rc = open_img(path, "linux/arm64", NULL, 0, &img);
	is_int(rc, 0, "multi: --platform linux/arm64");
	if (!rc) {
		is_str(img->platform, "linux/arm64/v8", "multi: arm64 manifest chosen");
		ok(strv_has(img->env, "OCIFS_ARCH=arm64"), "multi: arm64 config");
		ok(strcmp(img->manifest_digest, oci->manifest_digest) != 0, "multi: its own manifest");
		is_int(img->nlayers, 2, "multi: layers shared");
		ok(strv_has(img->platforms, "linux/amd64") && strv_has(img->platforms, "linux/arm64/v8"),
		   "multi: platforms[]");
		ocifs_image_free(img);
	}
	rc = open_img(path, "linux/amd64", "test", 0, &img);
	is_int(rc, 0, "multi: --platform linux/amd64 --image test");
	if (!rc) {
		ok(strv_has(img->env, "OCIFS_ARCH=amd64"), "multi: amd64 config");
		ocifs_image_free(img);
	}
	rc = open_img(path, "linux/arm64/v8", NULL, 0, &img);
	is_int(rc, 0, "multi: --platform linux/arm64/v8");
	ocifs_image_free(img);
	rc = open_img(path, "linux/aarch64", NULL, 0, &img);
	is_int(rc, 0, "multi: --platform linux/aarch64 (alias)");
	ocifs_image_free(img);
	expect_fail(path, "linux/s390x", NULL, -EINVAL, "multi: --platform linux/s390x");
	ok(strstr(errbuf, "linux/amd64") && strstr(errbuf, "linux/arm64"),
	   "multi: the error lists the platforms");
	expect_fail(path, "linux/arm64/v9", NULL, -EINVAL, "multi: --platform linux/arm64/v9");

	ocifs_image_free(oci);
}

/* --- hostile layouts -------------------------------------------------------- */

static void write_index(const char *dir, const char *mt, const char *digest, long size)
{
	char path[512], buf[1024];

	snprintf(path, sizeof(path), "%s/index.json", dir);
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
		 "\"size\":%ld,\"annotations\":{\"org.opencontainers.image.ref.name\":\"x\"}}]}",
		 mt, digest, size);
	chmod(path, 0644);
	put_file(path, buf);
}

#define MT_MAN "application/vnd.oci.image.manifest.v1+json"
#define MT_IDX "application/vnd.oci.image.index.v1+json"

static void test_hostile(void)
{
	char dir[256], path[512], man[OCIFS_DIGEST_STRLEN + 1], cfg[OCIFS_DIGEST_STRLEN + 1];
	char lay[OCIFS_DIGEST_STRLEN + 1], buf[2048], cbuf[512], d[OCIFS_DIGEST_STRLEN + 1];
	struct ocifs_image *img;
	struct stat st;
	int rc;

	expect_fail("/nonexistent/image.tar", NULL, NULL, -ENOENT, "missing file");
	snprintf(path, sizeof(path), "%s/random.bin", tmp);
	put_file(path, "this is not a tar file, not even close; it is plain text that goes on and on");
	rc = open_img(path, NULL, NULL, 0, &img);
	ok(rc < 0 && errlines == 1, "random bytes: error %d, one line", rc);
	snprintf(path, sizeof(path), "%s/empty.bin", tmp);
	put_file(path, "");
	expect_fail(path, NULL, NULL, -EOPNOTSUPP, "empty file");
	expect_fail(tmp, NULL, NULL, -EOPNOTSUPP, "a directory that is no layout");

	/* a small valid layout, by hand: one real layer from the oci dir */
	snprintf(dir, sizeof(dir), "%s/h", tmp);
	tap_sh("rm -rf '%s' && mkdir -p '%s/blobs/sha256' && printf '{\"imageLayoutVersion\":\"1.0.0\"}' >'%s/oci-layout'",
	   dir, dir, dir);
	tap_sh("cd '%s/oci' && m=$(jq -r '.manifests[0].digest' index.json | cut -c8-) && "
	   "l=$(jq -r '.layers[0].digest' blobs/sha256/$m | cut -c8-) && cp blobs/sha256/$l '%s/blobs/sha256/' && "
	   "echo $l >'%s/layer'", gen, dir, tmp);
	snprintf(path, sizeof(path), "%s/layer", tmp);
	{
		FILE *f = fopen(path, "r");
		char hex[80] = "";
		if (f) {
			if (!fgets(hex, sizeof(hex), f))
				hex[0] = '\0';
			fclose(f);
		}
		hex[strcspn(hex, "\n")] = '\0';
		snprintf(lay, sizeof(lay), "sha256:%.64s", hex);
	}
	snprintf(path, sizeof(path), "%s/oci/blobs/sha256/%s", gen, lay + 7);
	stat(path, &st);
	snprintf(cbuf, sizeof(cbuf),
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"],\"Cmd\":null},"
		 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%064d\"]}}", 0);
	put_blob(dir, cbuf, strlen(cbuf), cfg);
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"mediaType\":\"" MT_MAN "\",\"config\":{\"mediaType\":"
		 "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
		 "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
		 "\"digest\":\"%s\",\"size\":%lld}]}",
		 cfg, strlen(cbuf), lay, (long long)st.st_size);
	put_blob(dir, buf, strlen(buf), man);
	write_index(dir, MT_MAN, man, (long)strlen(buf));
	rc = open_img(dir, NULL, NULL, 0, &img);
	is_int(rc, 0, "hand-made layout opens");
	if (!rc) {
		ok(img->env && !strcmp(img->env[0], "A=1"), "Env parsed");
		ok(!img->cmd && !img->entrypoint && !img->workdir, "absent fields are NULL");
		check_layers_hash(img, "hand-made", 0);
		ocifs_image_free(img);
	}

	write_index(dir, "application/x-unknown", man, (long)strlen(buf));
	rc = open_img(dir, NULL, NULL, 0, &img);
	is_int(rc, 0, "unknown descriptor media type: the blob is sniffed");
	ocifs_image_free(img);

	/* digests that are not sha256:<64 lowercase hex> */
	write_index(dir, MT_MAN, "sha256:../../../../etc/passwd", 10);
	expect_fail(dir, NULL, NULL, -EINVAL, "digest with ../ in index.json");
	snprintf(path, sizeof(path), "sha256:%s/../%.*s", "..", 58, man + 7);
	write_index(dir, MT_MAN, path, 10);
	expect_fail(dir, NULL, NULL, -EINVAL, "digest of the right length with ../");
	snprintf(path, sizeof(path), "SHA256:%s", man + 7);
	write_index(dir, MT_MAN, path, (long)strlen(buf));
	expect_fail(dir, NULL, NULL, -EINVAL, "upper-case algorithm");
	snprintf(path, sizeof(path), "sha512:%s%s", man + 7, man + 7);
	write_index(dir, MT_MAN, path, (long)strlen(buf));
	expect_fail(dir, NULL, NULL, -EINVAL, "sha512 digest");

	/* size and digest mismatches */
	write_index(dir, MT_MAN, man, (long)strlen(buf) + 1);
	expect_fail(dir, NULL, NULL, -EILSEQ, "manifest size mismatch");
	write_index(dir, MT_MAN, man, (long)strlen(buf));
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, cfg + 7);
	tap_sh("cp '%s' '%s.orig' && sed -i 's/A=1/A=2/' '%s'", path, path, path);
	expect_fail(dir, NULL, NULL, -EILSEQ, "tampered config byte");
	ok(strstr(errbuf, "digest mismatch (got sha256:") != NULL, "message names the digest");
	tap_sh("mv '%s.orig' '%s'", path, path);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, man + 7);
	tap_sh("cp '%s' '%s.orig' && sed -i 's/schemaVersion\":2/schemaVersion\":3/' '%s'", path, path, path);
	expect_fail(dir, NULL, NULL, -EILSEQ, "tampered manifest byte");
	tap_sh("mv '%s.orig' '%s'", path, path);

	/* missing blobs */
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, lay + 7);
	tap_sh("mv '%s' '%s.away'", path, path);
	expect_fail(dir, NULL, NULL, -ENOENT, "missing layer blob");
	ok(strstr(errbuf, "layer 1 (sha256:") && strstr(errbuf, "blob missing"), "message names the layer");
	rc = open_img(dir, NULL, NULL, 1, &img);
	is_int(rc, 0, "missing layer blob with skip_missing");
	if (!rc) {
		is_int(img->nlayers, 0, "skip_missing: the layer is left out");
		ok(errlines == 1 && strstr(errbuf, "warning"), "skip_missing: one warning");
		ocifs_image_free(img);
	}
	tap_sh("mv '%s.away' '%s'", path, path);
	tap_sh("mkdir '%s/blobs/sha256/%s.d' && mv '%s' '%s.keep' && mv '%s/blobs/sha256/%s.d' '%s'",
	   dir, lay + 7, path, path, dir, lay + 7, path);
	expect_fail(dir, NULL, NULL, -EBADMSG, "layer blob is a directory");
	tap_sh("rmdir '%s' && mv '%s.keep' '%s'", path, path, path);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, cfg + 7);
	tap_sh("mv '%s' '%s.away'", path, path);
	expect_fail(dir, NULL, NULL, -ENOENT, "missing config blob");
	tap_sh("mv '%s.away' '%s'", path, path);
	rc = open_img(dir, NULL, NULL, 0, &img);
	is_int(rc, 0, "layout restored");
	ocifs_image_free(img);

	/* bad index.json */
	snprintf(path, sizeof(path), "%s/index.json", dir);
	static const char *const bad[] = {
		"", "{", "[]", "null", "{\"manifests\":null}", "{\"manifests\":{}}",
		"{\"manifests\":[]} trailing", "{\"manifests\":[1]}", "{\"manifests\":[{\"digest\":\"sha256:00\",\"size\":-1}]}",
	};
	static const int want[] = { -EBADMSG, -EBADMSG, -EBADMSG, -EBADMSG, -EBADMSG, -EBADMSG,
				    -EBADMSG, -EBADMSG, -EBADMSG };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[96];
		put_file(path, bad[i]);
		snprintf(what, sizeof(what), "index.json '%s'", bad[i]);
		expect_fail(dir, NULL, NULL, want[i], what);
	}
	put_file(path, "{\"manifests\":[]}");
	expect_fail(dir, NULL, NULL, -ENOENT, "index.json with no entries");
	unlink(path);
	mkdir(path, 0755);
	expect_fail(dir, NULL, NULL, -EBADMSG, "index.json is a directory");
	rmdir(path);

	/* nested indexes: fine two deep, refused when absurdly deep */
	{
		char cur[OCIFS_DIGEST_STRLEN + 1];
		size_t len = strlen(buf);
		snprintf(cur, sizeof(cur), "%s", man);
		for (int depth = 1; depth <= 12; depth++) {
			char ib[1024];
			snprintf(ib, sizeof(ib),
				 "{\"schemaVersion\":2,\"mediaType\":\"" MT_IDX "\",\"manifests\":[{\"mediaType\":"
				 "\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\","
				 "\"architecture\":\"amd64\"}}]}",
				 depth == 1 ? MT_MAN : MT_IDX, cur, len);
			put_blob(dir, ib, strlen(ib), cur);
			len = strlen(ib);
			write_index(dir, MT_IDX, cur, (long)len);
			if (depth == 2) {
				rc = open_img(dir, "linux/amd64", NULL, 0, &img);
				is_int(rc, 0, "index -> index -> manifest");
				ocifs_image_free(img);
			}
		}
		expect_fail(dir, NULL, NULL, -EBADMSG, "13 nested indexes");

		/* index.json -> index (tampered, then missing) -> manifest */
		char ib[1024], ip[512];
		snprintf(ib, sizeof(ib),
			 "{\"schemaVersion\":2,\"mediaType\":\"" MT_IDX "\",\"manifests\":[{\"mediaType\":"
			 "\"" MT_MAN "\",\"digest\":\"%s\",\"size\":%zu}]}", man, strlen(buf));
		put_blob(dir, ib, strlen(ib), cur);
		write_index(dir, MT_IDX, cur, (long)strlen(ib));
		rc = open_img(dir, NULL, NULL, 0, &img);
		is_int(rc, 0, "index -> index without platforms -> manifest");
		ocifs_image_free(img);
		snprintf(ip, sizeof(ip), "%s/blobs/sha256/%s", dir, cur + 7);
		tap_sh("sed -i 's/schemaVersion/schemaVersioN/' '%s'", ip);
		expect_fail(dir, NULL, NULL, -EILSEQ, "tampered nested index");
		unlink(ip);
		expect_fail(dir, NULL, NULL, -ENOENT, "missing nested index");
	}

	/* an artifact as the only entry; non-tar layer media type */
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"mediaType\":\"" MT_MAN "\",\"artifactType\":\"application/x.sbom\","
		 "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},"
		 "\"layers\":[]}", cfg);
	put_blob(dir, buf, strlen(buf), d);
	write_index(dir, MT_MAN, d, (long)strlen(buf));
	expect_fail(dir, NULL, NULL, -EOPNOTSUPP, "an artifact only");
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"mediaType\":\"" MT_MAN "\",\"config\":{\"mediaType\":"
		 "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%lld},"
		 "\"layers\":[{\"mediaType\":\"application/vnd.example.thing+json\",\"digest\":\"%s\",\"size\":%lld}]}",
		 cfg, (long long)strlen(cbuf), lay, (long long)st.st_size);
	put_blob(dir, buf, strlen(buf), d);
	write_index(dir, MT_MAN, d, (long)strlen(buf));
	expect_fail(dir, NULL, NULL, -EOPNOTSUPP, "layer with a non-tar media type");

	/* a foreign layer: URLs, no blob */
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
		 "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"%s\","
		 "\"size\":%lld},\"layers\":[{\"mediaType\":"
		 "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"sha256:%064d\","
		 "\"size\":1234,\"urls\":[\"https://example.com/layer\"]}]}",
		 cfg, (long long)strlen(cbuf), 7);
	put_blob(dir, buf, strlen(buf), d);
	write_index(dir, "application/vnd.docker.distribution.manifest.v2+json", d, (long)strlen(buf));
	expect_fail(dir, NULL, NULL, -ENOENT, "foreign layer without its blob");
	rc = open_img(dir, NULL, NULL, 1, &img);
	is_int(rc, 0, "foreign layer with skip_missing");
	if (!rc) {
		ok(img->nlayers == 0 && errlines == 1, "skip_missing: skipped with a warning");
		ocifs_image_free(img);
	}

	/* docker-archive edits: config renamed (no digest in its name) with a
	 * diff_ids count that does not match; a layer path escaping the root */
	snprintf(dir, sizeof(dir), "%s/d", tmp);
	rc = tap_sh("set -e; rm -rf '%s' && mkdir -p '%s/x' && cd '%s/x' && tar -xf '%s/docker.tar' && "
		"c=$(jq -r '.[0].Config' manifest.json) && cp manifest.json ../m.orig && "
		/* diff_ids count != layers, config renamed so its digest is not checked */
		"jq '.rootfs.diff_ids |= .[0:1]' $c >config.json && "
		"jq -c '.[0].Config = \"config.json\"' ../m.orig >manifest.json && tar -cf ../count.tar * && "
		/* a layer path that climbs out of the archive */
		"jq -c '.[0].Layers[0] = \"../../../etc/passwd\"' ../m.orig >manifest.json && "
		"tar -cf ../escape.tar * && "
		/* an edited config under its <hex>.json name */
		"cp ../m.orig manifest.json && sed -i 's/amd64/arm64/' $c && tar -cf ../tampered.tar *",
		dir, dir, dir, gen);
	if (rc) {
		skip("could not build docker-archive variants");
		return;
	}
	snprintf(path, sizeof(path), "%s/count.tar", dir);
	expect_fail(path, NULL, NULL, -EBADMSG, "docker-archive: diff_ids count mismatch");
	snprintf(path, sizeof(path), "%s/escape.tar", dir);
	expect_fail(path, NULL, NULL, -ENOENT, "docker-archive: layer path outside the archive");
	snprintf(path, sizeof(path), "%s/tampered.tar", dir);
	expect_fail(path, NULL, NULL, -EILSEQ, "docker-archive: edited <hex>.json config");
}

/* containerd-style platform matching and reference names */
static void test_match(void)
{
	static const struct {
		const char *want, *have;
		int score;
	} p[] = {
		{ "linux/amd64", "linux/amd64", 2 },      { "linux/x86_64", "linux/amd64", 2 },
		{ "linux/amd64", "linux/amd64/v1", 2 },   { "linux/amd64", "linux/amd64/v3", 0 },
		{ "linux/arm64", "linux/arm64/v8", 2 },   { "linux/aarch64", "linux/arm64", 2 },
		{ "linux/arm64/v8", "linux/arm64", 2 },   { "linux/arm64/v9", "linux/arm64/v8", 0 },
		{ "linux/arm/v7", "linux/arm", 2 },       { "linux/arm/v6", "linux/arm", 1 },
		{ "linux/arm/v6", "linux/arm/v7", 0 },    { "linux/armhf", "linux/arm/v7", 2 },
		{ "linux/arm/7", "linux/arm/v7", 2 },     { "linux/amd64", "windows/amd64", 0 },
		{ "linux/386", "linux/i386", 2 },         { "linux", "linux/amd64", 0 },
		{ "linux/amd64/", "linux/amd64", 0 },     { "/amd64", "linux/amd64", 0 },
	};
	static const struct {
		const char *want, *have;
		int match;
	} n[] = {
		{ "test", "test", 1 },
		{ "ocifs/test:test", "test", 1 },
		{ "ocifs/test:latest", "docker.io/ocifs/test:latest", 1 },
		{ "busybox", "docker.io/library/busybox:latest", 1 },
		{ "busybox:1.36", "docker.io/library/busybox:latest", 0 },
		{ "ocifs/test:other", "test", 0 },
		{ "test", "latest", 0 },
		{ "a/b:c", "a/b:c", 1 },
	};
	size_t k;

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		is_int(ocifs_img_platform_match(p[i].want, p[i].have), p[i].score, "platform %s vs %s",
		       p[i].want, p[i].have);
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		is_int(ocifs_img_name_match(n[i].want, n[i].have), n[i].match, "name %s vs %s", n[i].want,
		       n[i].have);
	int only;
	ok(!ocifs_img_image_number("#3", &k, &only) && k == 3 && only &&
	   !ocifs_img_image_number("1", &k, &only) && k == 1 && !only &&
	   !ocifs_img_image_number("0", &k, &only) && k == 0 &&
	   ocifs_img_image_number("3a", &k, &only) && ocifs_img_image_number("test", &k, &only) &&
	   ocifs_img_image_number("#", &k, &only) && ocifs_img_image_number("@1", &k, &only),
	   "image numbers (1-based; #N a position only; @N is not ours)");
}

static int find_mkimage(char *out, size_t cap)
{
	const char *srcdir = getenv("OCIFS_SRCDIR");
	char here[512];

	if (srcdir) {
		snprintf(out, cap, "%s/tests/gen/mkimage.sh", srcdir);
		if (!access(out, R_OK))
			return 0;
	}
	snprintf(here, sizeof(here), "%s", __FILE__); /* .../tests/unit/test_image.c */
	*strrchr(here, '/') = '\0';
	snprintf(out, cap, "%s/../gen/mkimage.sh", here);
	return access(out, R_OK);
}

int main(void)
{
	char script[600];
	int have_tools, rc;

	if (image_check_begin("image"))
		return 1;
	snprintf(gen, sizeof(gen), "%s/gen", tmp);
	is_str(ocifs_image_format_name(OCIFS_FMT_OCI_ARCHIVE), "oci-archive", "format names");
	ok(!strncmp(ocifs_host_platform(), "linux/", 6), "host platform %s", ocifs_host_platform());
	test_match();

	have_tools = !system("command -v umoci >/dev/null && command -v skopeo >/dev/null && "
			     "command -v jq >/dev/null");
	if (!have_tools && !tap_in_ci()) {
		skip("umoci, skopeo or jq not installed: generated images");
	} else if (find_mkimage(script, sizeof(script))) {
		ok(0, "tests/gen/mkimage.sh not found (set OCIFS_SRCDIR)");
	} else if ((rc = tap_sh("sh '%s' '%s' >'%s/mkimage.log' 2>&1", script, gen, tmp))) {
		char log[128];
		FILE *f;
		ok(0, "mkimage.sh %s (exit status %d, errno %d)", gen, rc, errno);
		snprintf(log, sizeof(log), "%s/mkimage.log", tmp);
		if ((f = fopen(log, "r"))) {
			char line[512];
			while (fgets(line, sizeof(line), f))
				diag("%.*s", (int)strcspn(line, "\n"), line);
			fclose(f);
		}
	} else {
		ok(1, "mkimage.sh built the test images");
		test_generated();
		test_hostile();
	}
	return image_check_end();
}
