/* SPDX-License-Identifier: MIT */
/*
 * Opening a container image: format detection, the outer tar's member
 * table (one pass over headers only; a gzip/zstd outer file is decoded once
 * to collect checkpoints in the same pass, and that listing is cached by
 * outeridx.c so a warm open decodes nothing), access to the image's files
 * whether they live in a layout directory or inside the tar, digest-checked
 * reads of small blobs, and the image config. The OCI and docker-archive
 * logic lives in image_oci.c and image_docker.c, platform and name
 * matching in image_match.c, a registry's files in image_registry.c.
 * Nothing here copies or extracts a layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "image_priv.h"
#include "log.h"
#include "mountinfo.h"
#include "path.h"
#include "registry.h"
#include "tar.h"
#include "timens.h"
#include "trace.h"

/* --- the outer tar --------------------------------------------------------- */

/* The stream the tar reader pulls: pread()s of the image file (skip() only
 * moves the offset, so listing reads headers alone), or the decode pass
 * of a compressed outer file. */
struct tarin {
	struct ocifs_src *src;
	struct ocifs_zpass *zp;
	uint64_t pos;
};

static int tarin_read(void *ctx, void *buf, size_t n, size_t *got)
{
	struct tarin *in = ctx;
	int rc;

	if (in->zp)
		return ocifs_zpass_read(in->zp, buf, n, got);
	rc = ocifs_src_pread(in->src, buf, n, in->pos, got);
	if (rc) {
		log_err("%s: read at %llu: %s", in->src->name, (unsigned long long)in->pos,
			strerror(-rc));
		return rc;
	}
	in->pos += *got;
	return 0;
}

static int tarin_skip(void *ctx, uint64_t n)
{
	struct tarin *in = ctx;

	if (n > in->src->size - in->pos)
		return -EIO; /* the tar reader reports the truncation */
	in->pos += n;
	return 0;
}

static int mem_add(struct img_ctx *c, const struct ocifs_tar_entry *e)
{
	struct img_member *m;

	if (!(c->nmem & (c->nmem - 1))) { /* grow at powers of two */
		m = realloc(c->mem, (c->nmem ? c->nmem * 2 : 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		c->mem = m;
	}
	m = &c->mem[c->nmem];
	memset(m, 0, sizeof(*m));
	m->path = ocifs_path_join(NULL, e->path);
	if (!m->path)
		return 0; /* escapes the root: no lookup can name it */
	m->type = e->type;
	m->sparse = e->nsparse > 0;
	m->off = e->data_off;
	m->len = e->data_len;
	m->seq = c->nmem++;
	if ((e->type == '1' || e->type == '2') && e->linkname) {
		char *dir = NULL;
		if (e->type == '2' && e->linkname[0] != '/') { /* relative symlink */
			char *slash;
			dir = strdup(m->path);
			if (!dir)
				return -ENOMEM;
			slash = strrchr(dir, '/');
			*(slash ? slash : dir) = '\0';
		}
		m->link = ocifs_path_join(dir, e->linkname);
		free(dir);
	}
	return 0;
}

static int mem_cmp(const void *a, const void *b)
{
	const struct img_member *x = a, *y = b;
	int r = strcmp(x->path, y->path);

	return r ? r : (x->seq > y->seq) - (x->seq < y->seq);
}

/* The last member stored under path (tar semantics: later wins). */
static const struct img_member *mem_find(const struct img_ctx *c, const char *path)
{
	size_t lo = 0, hi = c->nmem;

	while (lo < hi) { /* first index with path > key */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->mem[mid].path, path) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && !strcmp(c->mem[lo - 1].path, path) ? &c->mem[lo - 1] : NULL;
}

/* Follow symlink and hardlink members (bounded: links may loop). */
static const struct img_member *mem_resolve(const struct img_ctx *c, const char *rel)
{
	const struct img_member *m = NULL;
	char *p = ocifs_path_join(NULL, rel);
	const char *cur = p;

	for (int hops = 0; cur && hops < 40; hops++) {
		m = mem_find(c, cur);
		if (!m || (m->type != '1' && m->type != '2'))
			break;
		cur = m->link;
		m = NULL;
	}
	free(p);
	return m;
}

/* List the outer tar; for a compressed one also build the checkpoints and
 * a random-access view of the decoded bytes (c->tar). */
static int list_tar(struct img_ctx *c, struct ocifs_src *file, enum ocifs_comp comp)
{
	struct tarin in = { .src = file };
	struct ocifs_stream st = { .read = tarin_read, .skip = tarin_skip, .ctx = &in };
	struct ocifs_zpass_opts zo = { .comp = comp, .window_max = c->o->zstd_window_max };
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_tar_entry *e;
	struct ocifs_tar *t = NULL;
	char buf[16384];
	size_t got;
	int rc;

	if (comp != OCIFS_COMP_NONE) {
		st.skip = NULL;
		rc = ocifs_zpass_new(file, &zo, &in.zp);
		if (rc)
			return rc;
	}
	rc = ocifs_tar_new(&st, c->path, &t);
	while (!rc && !(rc = ocifs_tar_next(t, &e)) && e)
		rc = mem_add(c, e);
	if (rc)
		goto out;
	if (c->nmem)
		qsort(c->mem, c->nmem, sizeof(*c->mem), mem_cmp);
	if (in.zp) {
		do /* decode to the end: checkpoints cover the whole stream */
			rc = ocifs_zpass_read(in.zp, buf, sizeof(buf), &got);
		while (!rc && got);
		if (!rc)
			rc = ocifs_zpass_finish(in.zp, &ck);
		if (!rc)
			ocifs_img_outer_store(c, file, &ck); /* best effort */
		if (!rc)
			rc = ocifs_zview_new(file, &ck, &c->tar);
	} else {
		c->tar = ocifs_src_ref(file);
	}
out:
	ocifs_ckpts_fini(&ck);
	ocifs_tar_free(t);
	ocifs_zpass_free(in.zp);
	return rc;
}

/* Whether the outer file decodes to something a tar can start with (its
 * first block), so that any other file is refused in one clear line
 * instead of a tar parser's complaint about offset 0. */
static int starts_as_tar(struct img_ctx *c, struct ocifs_src *file, enum ocifs_comp comp,
			 int *is_tar)
{
	struct ocifs_zpass_opts zo = { .comp = comp, .window_max = c->o->zstd_window_max };
	struct ocifs_zpass *zp = NULL;
	unsigned char blk[512];
	size_t n = 0, got = 0;
	int rc;

	if (comp == OCIFS_COMP_NONE) {
		rc = ocifs_src_pread(file, blk, sizeof(blk), 0, &n);
		if (rc)
			log_err("%s: %s", c->path, strerror(-rc));
	} else {
		rc = ocifs_zpass_new(file, &zo, &zp);
		while (!rc && n < sizeof(blk) &&
		       !(rc = ocifs_zpass_read(zp, blk + n, sizeof(blk) - n, &got)) && got)
			n += got;
		ocifs_zpass_free(zp);
	}
	*is_tar = !rc && ocifs_tar_looks_like(blk, n);
	return rc;
}

/* The member table of the archive file: for a compressed one from the
 * cache when it holds a record of this very file (outeridx.c), else
 * decoded (and the record stored). */
static int outer_list(struct img_ctx *c, struct ocifs_src *file)
{
	enum ocifs_comp comp = c->img->outer_comp;
	struct ocifs_ckpts ck;
	ocifs_span sp;
	int rc, is_tar;

	if (comp != OCIFS_COMP_NONE && !c->o->outer_rebuild && c->o->cache_dir) {
		sp = ocifs_trace_begin("load outer index", 0);
		rc = ocifs_img_outer_load(c, comp, &ck);
		if (!rc)
			rc = ocifs_zview_new(file, &ck, &c->tar);
		ocifs_ckpts_fini(&ck);
		ocifs_trace_str(sp, "ocifs.outer", rc ? "missing or stale" : "cache");
		ocifs_trace_end(sp);
		if (rc != -ENOENT)
			return rc;
	}
	sp = comp != OCIFS_COMP_NONE ? ocifs_trace_begin("build outer index", 0) : 0;
	ocifs_trace_str(sp, "ocifs.how", "one decode pass: members, checkpoints, small files");
	rc = starts_as_tar(c, file, comp, &is_tar);
	if (!rc && !is_tar) {
		log_err("%s: not a container image: neither tar nor OCI layout", c->path);
		rc = -EBADMSG; /* as the tar parser said before */
	}
	if (!rc)
		rc = list_tar(c, file, comp);
	if (rc)
		ocifs_trace_error(sp, strerror(-rc));
	ocifs_trace_end(sp);
	return rc;
}

/* --- files of the image ------------------------------------------------------ */

int ocifs_img_exists(const struct img_ctx *c, const char *rel)
{
	struct stat st;

	if (c->remote)
		return !strcmp(rel, "index.json");
	if (c->dirfd >= 0)
		return fstatat(c->dirfd, rel, &st, 0) == 0;
	return mem_resolve(c, rel) != NULL;
}

static int open_in_dir(struct img_ctx *c, const char *rel, int quiet, struct ocifs_src **out,
		       struct ocifs_fileid *id)
{
	char name[4096];
	struct stat st;
	int rc;

	size_t pl = strlen(c->path);

	while (pl > 1 && c->path[pl - 1] == '/')
		pl--;
	snprintf(name, sizeof(name), "%.*s/%s", (int)pl, c->path, rel);
	if (fstatat(c->dirfd, rel, &st, 0) < 0) {
		rc = errno == ENOTDIR ? -ENOENT : -errno;
		if ((rc != -ENOENT || !quiet) && quiet < 2)
			log_err("%s: %s", name, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		if (quiet < 2)
			log_err("%s: not a regular file", name);
		return -EBADMSG;
	}
	rc = ocifs_src_lazy_openat(c->fdc, rel, name, out); /* fds bounded */
	if (rc)
		return rc;
	if (id && ocifs_src_fstat(*out, &st) == 0) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
		id->size = (uint64_t)st.st_size;
		id->mtime_ns = ocifs_ns_from_sec(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		id->off = 0;
	}
	return 0;
}

int ocifs_img_open(struct img_ctx *c, const char *rel, int quiet, struct ocifs_src **out,
		   struct ocifs_fileid *id, char **where)
{
	const struct img_member *m;
	int rc;

	*out = NULL;
	if (c->remote) {
		char digest[OCIFS_DIGEST_STRLEN + 1];
		snprintf(digest, sizeof(digest), "sha256:%s",
			 strncmp(rel, "blobs/sha256/", 13) ? "" : rel + 13);
		if (!ocifs_digest_valid(digest)) {
			if (!quiet)
				log_err("%s: %s: not in the registry", c->path, rel);
			return -ENOENT;
		}
		return ocifs_img_remote_open(c, digest, -1, out, id, where);
	} else if (c->dirfd >= 0) {
		rc = open_in_dir(c, rel, quiet, out, id);
	} else if (!(m = mem_resolve(c, rel))) {
		if (!quiet)
			log_err("%s: %s: not in the archive", c->path, rel);
		return -ENOENT;
	} else if (m->type != '0') {
		if (quiet < 2)
			log_err("%s: %s: not a regular file", c->path, rel);
		return -EBADMSG;
	} else if (m->sparse) {
		if (quiet < 2)
			log_err("%s: %s: stored as a sparse file, cannot be read in place",
				c->path, rel);
		return -EOPNOTSUPP;
	} else {
		rc = m->data ? ocifs_img_member_src(c, m, out)
			     : ocifs_src_range_new(c->tar, m->off, m->len, out);
		if (!rc && id) {
			id->dev = c->st.st_dev;
			id->ino = c->st.st_ino;
			id->size = (uint64_t)c->st.st_size;
			id->mtime_ns = ocifs_ns_from_sec(c->st.st_mtim.tv_sec, c->st.st_mtim.tv_nsec);
			id->off = m->off;
		}
		rel = m->path;
	}
	if (!rc && where && !(*where = strdup(rel))) {
		ocifs_src_unref(*out);
		*out = NULL;
		rc = -ENOMEM;
	}
	return rc;
}

int ocifs_img_read(struct img_ctx *c, const char *rel, int quiet, char **buf, size_t *len)
{
	struct ocifs_src *s;
	int rc;

	if (c->remote)
		return ocifs_img_remote_read(c, rel, quiet, buf, len);
	rc = ocifs_img_open(c, rel, quiet, &s, NULL, NULL);
	if (rc)
		return rc;
	if (s->size > IMG_JSON_MAX) {
		log_err("%s: %s: %llu bytes is too large (limit %u)", c->path, rel,
			(unsigned long long)s->size, IMG_JSON_MAX);
		rc = -EBADMSG;
	} else {
		rc = ocifs_src_slurp(s, IMG_JSON_MAX, buf, len);
	}
	ocifs_src_unref(s);
	return rc;
}

int ocifs_img_read_blob(struct img_ctx *c, const char *what, const char *digest, int64_t size,
			int quiet, char **buf, size_t *len)
{
	unsigned char d[OCIFS_SHA256_LEN];
	char rel[96];
	struct ocifs_src *s;
	int rc;

	*buf = NULL;
	if (!digest || !ocifs_digest_valid(digest)) {
		if (quiet < 2)
			log_err("%s: %s: invalid digest \"%.80s\" (want sha256:<64 hex>)", c->path, what,
			digest ? digest : "(none)");
		return -EINVAL;
	}
	if (c->remote)
		return ocifs_img_remote_blob(c, what, digest, size, quiet, buf, len);
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest + 7);
	rc = ocifs_img_open(c, rel, quiet ? quiet : 1, &s, NULL, NULL);
	if (rc == -ENOENT && !quiet)
		log_err("%s: %s %s: blob missing", c->path, what, digest);
	if (rc)
		return rc;
	if (size >= 0 && s->size != (uint64_t)size) {
		if (quiet < 2)
			log_err("%s: %s %s: size mismatch (descriptor says %lld bytes, blob has %llu)",
			c->path, what, digest, (long long)size, (unsigned long long)s->size);
		rc = -OCIFS_EDIGEST;
	} else if (s->size > IMG_JSON_MAX) {
		if (quiet < 2)
			log_err("%s: %s %s: %llu bytes is too large (limit %u)", c->path, what,
				digest, (unsigned long long)s->size, IMG_JSON_MAX);
		rc = -EBADMSG;
	} else {
		rc = ocifs_src_slurp(s, IMG_JSON_MAX, buf, len);
	}
	ocifs_src_unref(s);
	if (!rc && !(rc = ocifs_sha256(*buf, *len, d))) {
		char got[OCIFS_DIGEST_STRLEN + 1];
		ocifs_digest_format(d, got);
		if (strcmp(got, digest) != 0) {
			if (quiet < 2)
				log_err("%s: blob %s digest mismatch (got %s)", c->path, digest, got);
			rc = -OCIFS_EDIGEST;
		}
	}
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int ocifs_img_json(const struct img_ctx *c, const char *file, const char *buf, size_t len,
		   json_type want, struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *obj = NULL;
	enum json_tokener_error err;
	const char *why = NULL;
	size_t end;

	*out = NULL;
	if (!tok)
		return -ENOMEM;
	if (len == 0) {
		why = "empty file, not JSON";
		goto out;
	}
	/* Counting the NUL terminator tells json-c the input ends there, so a
	 * bare top-level literal ("null", "12") completes. */
	obj = json_tokener_parse_ex(tok, buf, (int)len + !buf[len]);
	err = json_tokener_get_error(tok);
	if (err == json_tokener_continue) {
		why = "truncated JSON";
		goto out;
	}
	if (err != json_tokener_success) {
		log_err("%s: %s: invalid JSON at byte %zu: %s", c->path, file,
			json_tokener_get_parse_end(tok), json_tokener_error_desc(err));
		json_tokener_free(tok);
		return -EBADMSG;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!strchr(" \t\r\n", buf[end])) {
			why = "trailing data after the JSON value";
			goto out;
		}
	if (json_object_get_type(obj) != want) {
		log_err("%s: %s: expected a JSON %s, got %s", c->path, file,
			json_type_to_name(want), json_type_to_name(json_object_get_type(obj)));
		json_object_put(obj);
		json_tokener_free(tok);
		return -EBADMSG;
	}
	*out = obj;
	obj = NULL;
out:
	if (why)
		log_err("%s: %s: %s", c->path, file, why);
	json_object_put(obj);
	json_tokener_free(tok);
	return why ? -EBADMSG : 0;
}

const char *ocifs_img_jstr(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* --- public API -------------------------------------------------------------- */

/* Docker 25+ `docker save` writes both layouts; some writers leave its
 * index.json without manifests. Is there an image to follow in it? */
static int oci_index_usable(struct img_ctx *c)
{
	struct json_object *root, *m;
	char *buf;
	size_t len;
	int ok = 0;

	if (ocifs_img_read(c, "index.json", 1, &buf, &len))
		return 0;
	root = json_tokener_parse(buf);
	if (json_object_object_get_ex(root, "manifests", &m) &&
	    json_object_is_type(m, json_type_array) && json_object_array_length(m) > 0)
		ok = 1;
	json_object_put(root);
	free(buf);
	return ok;
}

static int open_archive(struct img_ctx *c)
{
	struct ocifs_src *file = NULL;
	unsigned char magic[OCIFS_COMP_MAGIC];
	size_t got;
	int rc, has_index, has_manifest;

	rc = ocifs_src_file_openat(AT_FDCWD, c->file, c->path, &file);
	if (rc)
		return rc;
	if (fstat(file->fd, &c->st) < 0) {
		rc = -errno;
		log_err("%s: %s", c->path, strerror(-rc));
		goto out;
	}
	rc = ocifs_src_pread(file, magic, sizeof(magic), 0, &got);
	if (rc) {
		log_err("%s: %s", c->path, strerror(-rc));
		goto out;
	}
	c->img->outer_comp = ocifs_comp_detect(magic, got);
	if (!ocifs_comp_supported(c->img->outer_comp)) {
		log_err("%s: unsupported archive compression %s (ocifs reads plain, gzip and zstd)",
			c->path, ocifs_comp_name(c->img->outer_comp));
		rc = -EOPNOTSUPP;
		goto out;
	}
	rc = outer_list(c, file);
	if (rc)
		goto out;
	has_index = ocifs_img_exists(c, "index.json");
	has_manifest = ocifs_img_exists(c, "manifest.json");
	if (has_index && (ocifs_img_exists(c, "oci-layout") || !has_manifest) &&
	    (!has_manifest || oci_index_usable(c))) {
		c->img->format = OCIFS_FMT_OCI_ARCHIVE;
		rc = ocifs_img_oci_open(c);
	} else if (has_manifest) {
		c->img->format = OCIFS_FMT_DOCKER_ARCHIVE;
		rc = ocifs_img_docker_open(c);
	} else {
		log_err("%s: not a container image (no index.json or manifest.json)", c->path);
		rc = -EOPNOTSUPP;
	}
out:
	ocifs_src_unref(file);
	return rc;
}

static int open_dir(struct img_ctx *c)
{
	struct stat st;
	int rc;

	c->dirfd = open(c->file, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		rc = -errno;
		ocifs_log_path_err(c->path, c->file, rc);
		return rc;
	}
	rc = ocifs_fdcache_new(c->dirfd, 0, &c->fdc);
	if (rc) {
		log_err("%s: %s", c->path, strerror(-rc));
		return rc;
	}
	if (fstatat(c->dirfd, "index.json", &st, 0) < 0) {
		if (errno != ENOENT) { /* e.g. a dead mount whose listing the kernel kept */
			rc = -errno;
			ocifs_log_path_err(c->path, c->file, rc);
			return rc;
		}
		log_err("%s: not a container image (no index.json or manifest.json)", c->path);
		return -EOPNOTSUPP;
	}
	if (fstatat(c->dirfd, "oci-layout", &st, 0) < 0)
		log_dbg("%s: no oci-layout file; reading index.json anyway", c->path);
	c->img->format = OCIFS_FMT_OCI_DIR;
	return ocifs_img_oci_open(c);
}

/* Open the image at path, or (remote not NULL) the registry image remote. */
static int image_open(const char *path, const char *remote, const struct ocifs_image_opts *o,
		      struct ocifs_image **out)
{
	static const struct ocifs_image_opts defaults;
	struct img_ctx c = { .path = o && o->name ? o->name : path, .file = path,
			     .o = o ? o : &defaults, .dirfd = -1 };
	struct stat st;
	int rc;

	*out = NULL;
	if (c.o->platform && !ocifs_img_platform_valid(c.o->platform)) {
		log_err("invalid platform \"%s\" (want os/arch[/variant], e.g. linux/arm64)",
			c.o->platform);
		return -EINVAL;
	}
	if (c.o->zstd_window_max && (c.o->zstd_window_max < OCIFS_ZSTD_WINDOW_MIN ||
				     c.o->zstd_window_max > OCIFS_ZSTD_WINDOW_CEIL)) {
		log_err("zstd window limit %llu is out of range (1 KiB to 2 GiB)",
			(unsigned long long)c.o->zstd_window_max);
		return -EINVAL;
	}
	c.img = calloc(1, sizeof(*c.img));
	if (!c.img || !(c.img->path = strdup(c.path))) {
		rc = -ENOMEM;
		goto out;
	}
	c.img->zstd_window_max = c.o->zstd_window_max;
	if (remote) {
		rc = ocifs_img_registry_open(&c, remote);
	} else if (stat(path, &st) < 0) {
		rc = -errno;
		ocifs_log_path_err(c.path, path, rc); /* on a dead mount: names it */
	} else if (S_ISDIR(st.st_mode)) {
		c.st = st;
		rc = open_dir(&c);
	} else if (S_ISREG(st.st_mode)) {
		rc = open_archive(&c);
	} else {
		log_err("%s: not a regular file or directory", c.path);
		rc = -EOPNOTSUPP;
	}
out:
	for (size_t i = 0; i < c.nmem; i++) {
		free(c.mem[i].path);
		free(c.mem[i].link);
		free(c.mem[i].data);
	}
	free(c.mem);
	ocifs_strmap_fini(&c.names_seen);
	ocifs_strmap_fini(&c.plats_seen);
	ocifs_src_unref(c.tar);
	if (c.dirfd >= 0)
		close(c.dirfd);
	ocifs_fdcache_unref(c.fdc);
	ocifs_img_registry_fini(&c);
	if (rc)
		ocifs_image_free(c.img);
	else
		*out = c.img;
	return rc;
}

int ocifs_image_open(const char *path, const struct ocifs_image_opts *o,
		     struct ocifs_image **out)
{
	return image_open(path, NULL, o, out);
}

int ocifs_image_open_registry(const char *name, const struct ocifs_image_opts *o,
			      struct ocifs_image **out)
{
	char path[512];

	snprintf(path, sizeof(path), "docker://%s", name); /* until the name is parsed */
	return image_open(path, name, o, out);
}

void ocifs_image_log_transfer(const struct ocifs_image *img)
{
	struct ocifs_registry_stats st;

	if (!img || !img->registry)
		return;
	ocifs_registry_stats(img->registry, &st);
	log_info("%s: %llu requests (%llu with Range, %llu retried), %llu bytes received",
		 img->path, (unsigned long long)st.requests, (unsigned long long)st.range_requests,
		 (unsigned long long)st.retries, (unsigned long long)st.bytes_in);
}

void ocifs_image_free(struct ocifs_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->nlayers; i++) {
		ocifs_src_unref(img->layers[i].blob);
		free(img->layers[i].media_type);
		free(img->layers[i].where);
	}
	free(img->layers);
	ocifs_image_log_transfer(img); /* its streams are closed and counted now */
	ocifs_registry_unref(img->registry);
	ocifs_img_strv_free(img->platforms);
	ocifs_img_strv_free(img->names);
	ocifs_img_strv_free(img->env);
	ocifs_img_strv_free(img->entrypoint);
	ocifs_img_strv_free(img->cmd);
	free(img->path);
	free(img->platform);
	free(img->config_json);
	free(img->manifest_json);
	free(img->index_json);
	ocifs_img_history_free(img);
	free(img->workdir);
	free(img->user);
	free(img->created);
	free(img->os);
	free(img->arch);
	free(img);
}

const char *ocifs_image_format_name(enum ocifs_image_format f)
{
	switch (f) {
	case OCIFS_FMT_DOCKER_ARCHIVE:
		return "docker-archive";
	case OCIFS_FMT_OCI_ARCHIVE:
		return "oci-archive";
	case OCIFS_FMT_OCI_DIR:
		return "oci-dir";
	case OCIFS_FMT_REGISTRY:
		return "registry";
	default:
		return "unknown";
	}
}
