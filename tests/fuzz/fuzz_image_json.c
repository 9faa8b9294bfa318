/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: opening images (src/image*.c): index.json, nested image
 * indexes, manifests, configs, docker-archive manifest.json, platform and
 * name matching, archive member lookup.
 *
 * Two input forms:
 *  - "OCIDIR\n" then parts split on FZ_SEP: part 0 is index.json, part i
 *    (i >= 1) is a blob. In each part, "sha256:@i" stands for the digest
 *    of part i and "@zi" for its size in bytes (i = 1..9, a higher part
 *    than the one it is in), so the fuzzer can mutate documents without
 *    breaking the digests that link them. Written as an OCI layout dir.
 *  - anything else: the bytes of an image file (docker-archive or OCI
 *    archive tar, possibly gzip/zstd-compressed), as the corpus has them.
 * The platform and image options come from a hash of the input (mostly
 * linux/amd64 and no name). Opening may fail with any documented errno; on
 * success every layer's byte source must lie within its file.
 */
#include "fuzz_oci.h"
#include "image.h"

#define OCIDIR_MAGIC "OCIDIR\n"

/* Replace "sha256:@i" and "@zi" in p by part i's digest and size. */
static char *subst(const struct fz_part *p, char (*d)[OCIFS_DIGEST_STRLEN + 1], size_t *sz,
		   size_t self, size_t nparts, size_t *outlen)
{
	char *out = NULL;
	size_t ol = 0;
	FILE *f = open_memstream(&out, &ol);

	if (!f)
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		const char *s = (const char *)p->p + i;
		size_t left = p->n - i;
		/* only parts after this one are written (and hashed) yet */
		if (left >= 9 && !memcmp(s, "sha256:@", 8) && s[8] >= '1' && s[8] <= '9' &&
		    (size_t)(s[8] - '0') > self && (size_t)(s[8] - '0') < nparts) {
			fputs(d[s[8] - '0'], f);
			i += 8;
		} else if (left >= 3 && s[0] == '@' && s[1] == 'z' && s[2] >= '1' && s[2] <= '9' &&
			   (size_t)(s[2] - '0') > self && (size_t)(s[2] - '0') < nparts) {
			fprintf(f, "%zu", sz[s[2] - '0']);
			i += 2;
		} else {
			fputc(*s, f);
		}
	}
	fclose(f);
	*outlen = ol;
	return out;
}

static int write_layout(const char *dir, const uint8_t *data, size_t size)
{
	struct fz_part parts[FZ_MAXPARTS];
	char d[FZ_MAXPARTS][OCIFS_DIGEST_STRLEN + 1], path[1024];
	size_t sz[FZ_MAXPARTS], n = fz_split(data, size, parts, FZ_MAXPARTS);
	int rc = fz_layout_init(dir);

	/* from the last part down, so each may name the ones after it */
	for (size_t i = n; i-- > 0 && !rc;) {
		size_t len;
		char *s = subst(&parts[i], d, sz, i, n, &len);
		if (!s)
			return -ENOMEM;
		sz[i] = len;
		if (i) {
			rc = fz_put_blob(dir, s, len, d[i]);
		} else {
			snprintf(path, sizeof(path), "%s/index.json", dir);
			rc = fz_write(path, s, len);
		}
		free(s);
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_image_opts o = { 0 };
	struct ocifs_image *img = NULL;
	char path[320];
	uint64_t h = fz_hash(data, size);
	int rc;

	fz_tmp();
	/* mostly the defaults, so that most inputs get past the choice */
	o.platform = (h & 7) == 6 ? "linux/arm64/v8" : "linux/amd64";
	o.image = (h & 7) != 7 ? NULL : (h >> 3) & 1 ? "#2" : "latest";
	o.skip_missing = (h >> 4) & 1;
	if (size >= 7 && !memcmp(data, OCIDIR_MAGIC, 7)) {
		fz_path(path, sizeof(path), "layout");
		if (write_layout(path, data + 7, size - 7))
			return 0;
	} else {
		fz_path(path, sizeof(path), "image.tar");
		if (fz_write(path, data, size))
			return 0;
	}
	rc = ocifs_image_open(path, &o, &img);
	FZ_ASSERT(rc <= 0);
	if (rc)
		return 0;
	FZ_ASSERT(img->config_json);
	for (size_t i = 0; i < img->nlayers; i++) {
		struct ocifs_layer_desc *l = &img->layers[i];
		unsigned char b[16];
		size_t got;
		if (!l->blob)
			continue;
		FZ_ASSERT(l->blob->size == l->size);
		FZ_ASSERT(ocifs_src_pread(l->blob, b, sizeof(b), 0, &got) == 0);
		FZ_ASSERT(got == (l->size < sizeof(b) ? l->size : sizeof(b)));
	}
	for (char **e = img->env; e && *e; e++)
		FZ_ASSERT(strlen(*e) < size + 1);
	ocifs_image_free(img);
	return 0;
}
