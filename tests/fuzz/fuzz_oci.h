/* SPDX-License-Identifier: MIT */
/*
 * Writing OCI layouts for the fuzz targets that open whole images
 * (fuzz_image_json, fuzz_view, fuzz_idxdb): blobs stored under their real
 * digests, so the fuzzer mutates the content, not the hashes.
 */
#ifndef OCIFS_TESTS_FUZZ_OCI_H
#define OCIFS_TESTS_FUZZ_OCI_H
#include "fuzz.h"
#include "sha.h"

#define FZ_MAXPARTS 10

/** Store p as a blob of layout dir; its digest into d. */
static inline int fz_put_blob(const char *dir, const void *p, size_t n,
		       char d[OCIFS_DIGEST_STRLEN + 1])
{
	unsigned char h[OCIFS_SHA256_LEN];
	char path[1024];

	ocifs_sha256(p, n, h);
	ocifs_digest_format(h, d);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, d + 7);
	return fz_write(path, p, n);
}

/** (Re)create an empty layout at dir: oci-layout and blobs/sha256/. */
static inline int fz_layout_init(const char *dir)
{
	char path[1024];

	mkdir(dir, 0755);
	fz_clear(dir);
	snprintf(path, sizeof(path), "%s/blobs", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/blobs/sha256", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/oci-layout", dir);
	return fz_write(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
}

/** A layout whose one image has the given uncompressed tar layers. */
static inline int fz_layout_of_layers(const char *dir, const struct fz_part *layers, size_t n)
{
	char d[FZ_MAXPARTS][OCIFS_DIGEST_STRLEN + 1], cd[OCIFS_DIGEST_STRLEN + 1];
	char md[OCIFS_DIGEST_STRLEN + 1], path[1024];
	char *cfg = NULL, *man = NULL, *idx = NULL;
	size_t cl = 0, ml = 0, il = 0;
	FILE *c, *m, *x;
	int rc = fz_layout_init(dir);

	if (rc || n > FZ_MAXPARTS)
		return rc ? rc : -EINVAL;
	for (size_t i = 0; i < n && !rc; i++)
		rc = fz_put_blob(dir, layers[i].p, layers[i].n, d[i]);
	if (rc)
		return rc;
	c = open_memstream(&cfg, &cl);
	if (!c)
		return -ENOMEM;
	fprintf(c, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
		   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (size_t i = 0; i < n; i++)
		fprintf(c, "%s\"%s\"", i ? "," : "", d[i]);
	fprintf(c, "]}}");
	fclose(c);
	rc = fz_put_blob(dir, cfg, cl, cd);
	m = open_memstream(&man, &ml);
	if (!m) {
		free(cfg);
		return -ENOMEM;
	}
	fprintf(m, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		   "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		   "\"digest\":\"%s\",\"size\":%zu},\"layers\":[", cd, cl);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
			   "\"digest\":\"%s\",\"size\":%zu}", i ? "," : "", d[i], layers[i].n);
	fprintf(m, "]}");
	fclose(m);
	if (!rc)
		rc = fz_put_blob(dir, man, ml, md);
	x = open_memstream(&idx, &il);
	if (x) {
		fprintf(x, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
			   "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
			   "\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
			md, ml);
		fclose(x);
		snprintf(path, sizeof(path), "%s/index.json", dir);
		if (!rc)
			rc = fz_write(path, idx, il);
	} else {
		rc = -ENOMEM;
	}
	free(cfg);
	free(man);
	free(idx);
	return rc;
}

/* --- a tiny ustar writer for fixture layers ------------------------------- */

struct fz_tar {
	char *buf;
	size_t len;
	FILE *f;
};

static inline void fz_tar_add(struct fz_tar *t, const char *name, char type, const char *link,
		       const char *data, size_t n)
{
	unsigned char h[512] = { 0 };
	unsigned sum = 0;
	static const char zero[512];

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)(type == '0' ? n : 0));
	snprintf((char *)h + 136, 12, "%011o", 1700000000u);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, 512, t->f);
	if (type == '0' && n) {
		fwrite(data, 1, n, t->f);
		fwrite(zero, 1, (512 - n % 512) % 512, t->f);
	}
}

static inline int fz_tar_begin(struct fz_tar *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f ? 0 : -ENOMEM;
}

static inline void fz_tar_end(struct fz_tar *t)
{
	static const char zero[1024];

	fwrite(zero, 1, sizeof(zero), t->f);
	fclose(t->f);
}

/* --- walking a merged view ------------------------------------------------ */

#include "reader.h"
#include "view.h"

/** Visit every inode of v (up to a cap): attributes, names, links,
 *  xattrs, paths, directory entries looked up again by name, and the
 *  first and last bytes of regular files. Checks the invariants a mount
 *  relies on; returns the number of inodes visited. */
static inline uint64_t fz_walk_view(const struct ocifs_view *v)
{
	static char buf[8192];
	uint64_t n = ocifs_view_inodes(v), cap = n < 4096 ? n : 4096;
	struct ocifs_reader_opts ro = { 0 }; /* cursors only, as a cat */
	struct ocifs_reader *r = NULL;

	FZ_ASSERT(ocifs_reader_new(v, &ro, &r) == 0);

	for (uint64_t ino = 0; ino < cap; ino++) {
		struct ocifs_vattr a;
		const char *s;
		uint32_t k;
		size_t got;

		FZ_ASSERT(ocifs_view_getattr(v, ino, &a) == 0);
		FZ_ASSERT(a.ino == ino);
		if (S_ISLNK(a.mode) && ocifs_view_readlink(v, ino, &s) == 0)
			FZ_ASSERT(strlen(s) < (1u << 30));
		if (ocifs_view_xattr_count(v, ino, &k) == 0)
			for (uint32_t i = 0; i < k && i < 64; i++) {
				const void *val;
				size_t len;
				if (ocifs_view_xattr_entry(v, ino, i, &s, &val, &len) == 0)
					FZ_ASSERT(strlen(s) < (1u << 30));
			}
		if (ocifs_view_path(v, ino, buf, sizeof(buf)) == 0)
			FZ_ASSERT(buf[0] == '/');
		if (S_ISDIR(a.mode) && ocifs_view_dir_size(v, ino, &k) == 0) {
			uint64_t parent;
			FZ_ASSERT(ocifs_view_parent(v, ino, &parent) == 0 && parent < n);
			for (uint32_t i = 0; i < k && i < 4096; i++) {
				uint64_t child, again;
				if (ocifs_view_dir_entry(v, ino, i, &s, &child) != 0)
					continue;
				FZ_ASSERT(child < n);
				if (ocifs_view_lookup(v, ino, s, &again) == 0)
					(void)again; /* duplicate names may resolve elsewhere */
			}
		}
		struct ocifs_rfile *f;
		if (S_ISREG(a.mode) && ocifs_reader_open(r, ino, &f) == 0) {
			int rc = ocifs_rfile_read(f, buf, sizeof(buf), 0, &got);
			if (rc == 0)
				FZ_ASSERT(got <= sizeof(buf) && got <= a.size);
			if (a.size > 1 && ocifs_rfile_read(f, buf, 16, a.size - 1, &got) == 0)
				FZ_ASSERT(got <= 1);
			ocifs_rfile_close(f);
		}
	}
	ocifs_reader_free(r);
	ocifs_view_resolve(v, "etc/passwd", &cap);
	return n;
}

#endif
