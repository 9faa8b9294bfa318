/* SPDX-License-Identifier: MIT */
/*
 * Virtual files (DESIGN §8): /.ocifs/deps.json (aliased at /.deps) and
 * /.ocifs/deps.txt, made by scan/deps.c the first time one is looked up
 * (so st_size is exact from the first reply) and cached on disk, so a
 * warm mount answers from a file read. The image's own files win: a
 * real /.deps or /.ocifs hides the alias. Not listed in the root unless
 * -o show_virtual, so a scanner walking the tree sees exactly the image.
 * Likewise the per-file xattr user.ocifs.layer answers getxattr but is
 * not listed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "fs.h"
#include "log.h"

struct fs_virt {
	struct ocifs_image *img;        /* borrowed */
	struct ocifs_view *view;        /* borrowed */
	char *cache_dir;
	pthread_mutex_t lock;
	int done, err;                  /* protected by lock; then read-only */
	int txt_done, txt_err;          /* likewise, for deps.txt */
	char *json, *txt;
	size_t json_len, txt_len;
	int64_t mtime_ns;
};

struct virt_node {
	fuse_ino_t ino, parent;
	const char *name;
};

static const struct virt_node virt_nodes[] = {
	{ FS_INO_VDIR, FUSE_ROOT_ID, ".ocifs" },
	{ FS_INO_DEPS_JSON, FUSE_ROOT_ID, ".deps" },
	{ FS_INO_DEPS_JSON, FS_INO_VDIR, "deps.json" },
	{ FS_INO_DEPS_TXT, FS_INO_VDIR, "deps.txt" },
};
#define VIRT_NNODES (sizeof(virt_nodes) / sizeof(virt_nodes[0]))

int fs_virt_new(struct ocifs_image *img, struct ocifs_view *view, const char *cache_dir,
		struct fs_virt **out)
{
	struct fs_virt *v = calloc(1, sizeof(*v));
	struct ocifs_vattr a;

	if (!v || (cache_dir && !(v->cache_dir = strdup(cache_dir)))) {
		free(v);
		return -ENOMEM;
	}
	v->img = img;
	v->view = view;
	if (ocifs_view_getattr(view, OCIFS_VIEW_ROOT, &a) == 0)
		v->mtime_ns = a.mtime_ns;
	pthread_mutex_init(&v->lock, NULL);
	*out = v;
	return 0;
}

void fs_virt_free(struct fs_virt *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v->cache_dir);
	free(v->json);
	free(v->txt);
	free(v);
}

/* Generate deps.json once (and deps.txt, from it, when want_txt);
 * every caller after the first waits for it and then sees the same
 * result. deps.txt is made only when asked for: /.deps alone is the
 * common case, and rendering the text means parsing the document. */
static int virt_ensure(struct fs_virt *v, int want_txt)
{
	struct ocifs_deps_opts o = { .cache_dir = v->cache_dir };
	int rc;

	pthread_mutex_lock(&v->lock);
	if (!v->done) {
		rc = ocifs_deps_json(v->img, v->view, &o, &v->json, &v->json_len, NULL);
		if (rc)
			log_err("/.ocifs: cannot generate deps: %s", strerror(-rc));
		v->err = rc;
		v->done = 1;
	}
	if (!v->err && want_txt && !v->txt_done) {
		rc = ocifs_deps_select(v->json, v->json_len, NULL, NULL, 1, &v->txt, &v->txt_len);
		if (rc)
			log_err("/.ocifs/deps.txt: cannot render deps: %s", strerror(-rc));
		v->txt_err = rc;
		v->txt_done = 1;
	}
	rc = v->err ? v->err : want_txt ? v->txt_err : 0;
	pthread_mutex_unlock(&v->lock);
	return rc;
}

int fs_virt_stat(struct ocifs_fs *fs, fuse_ino_t ino, struct stat *st)
{
	struct fs_virt *v = fs->virt;
	int rc;

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = fs->opts.set_uid ? fs->opts.uid : 0;
	st->st_gid = fs->opts.set_gid ? fs->opts.gid : 0;
	st->st_blksize = 4096;
	st->st_mtim.tv_sec = (time_t)(v->mtime_ns / 1000000000);
	st->st_mtim.tv_nsec = (long)(v->mtime_ns % 1000000000);
	if (st->st_mtim.tv_nsec < 0) {
		st->st_mtim.tv_nsec += 1000000000;
		st->st_mtim.tv_sec--;
	}
	st->st_atim = st->st_ctim = st->st_mtim;
	switch (ino) {
	case FS_INO_VDIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	case FS_INO_DEPS_JSON:
	case FS_INO_DEPS_TXT:
		if ((rc = virt_ensure(v, ino == FS_INO_DEPS_TXT)))
			return rc;
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = ino == FS_INO_DEPS_JSON ? 2 : 1;
		st->st_size = (off_t)(ino == FS_INO_DEPS_JSON ? v->json_len : v->txt_len);
		st->st_blocks = (st->st_size + 511) / 512;
		return 0;
	default:
		return -ENOENT;
	}
}

static int virt_entry(struct ocifs_fs *fs, fuse_ino_t ino, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->attr_timeout = fs->opts.timeout;
	e->entry_timeout = fs->opts.timeout;
	return fs_virt_stat(fs, ino, &e->attr);
}

/* Does the image itself have this name in the root? */
static int virt_hidden(const struct ocifs_fs *fs, const char *name)
{
	uint64_t ino;

	return ocifs_view_lookup(fs->view, OCIFS_VIEW_ROOT, name, &ino) == 0;
}

int fs_virt_lookup(struct ocifs_fs *fs, fuse_ino_t parent, const char *name,
		   struct fuse_entry_param *e)
{
	for (size_t i = 0; i < VIRT_NNODES; i++) {
		const struct virt_node *n = &virt_nodes[i];
		if (n->parent != parent || strcmp(n->name, name))
			continue;
		if (parent == FUSE_ROOT_ID && virt_hidden(fs, name))
			return -ENOENT;
		return virt_entry(fs, n->ino, e);
	}
	return -ENOENT;
}

int fs_virt_read(struct ocifs_fs *fs, fuse_ino_t ino, size_t size, off_t off, const char **buf,
		 size_t *len)
{
	struct fs_virt *v = fs->virt;
	const char *p;
	size_t n;
	int rc;

	if (ino == FS_INO_VDIR)
		return -EISDIR;
	if (ino != FS_INO_DEPS_JSON && ino != FS_INO_DEPS_TXT)
		return -ENOENT;
	if ((rc = virt_ensure(v, ino == FS_INO_DEPS_TXT)))
		return rc;
	p = ino == FS_INO_DEPS_JSON ? v->json : v->txt;
	n = ino == FS_INO_DEPS_JSON ? v->json_len : v->txt_len;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= n) {
		*buf = p;
		*len = 0;
		return 0;
	}
	*buf = p + off;
	*len = n - (size_t)off < size ? n - (size_t)off : size;
	return 0;
}

int fs_virt_root_entry(struct ocifs_fs *fs, uint32_t k, const char **name,
		       struct fuse_entry_param *e)
{
	for (size_t i = 0; i < VIRT_NNODES; i++) {
		const struct virt_node *n = &virt_nodes[i];
		if (n->parent != FUSE_ROOT_ID || virt_hidden(fs, n->name))
			continue;
		if (k--)
			continue;
		*name = n->name;
		return virt_entry(fs, n->ino, e);
	}
	return -ENOENT;
}

int fs_virt_dir_fill(struct ocifs_fs *fs, fuse_req_t req, size_t size, off_t off, int plus,
		     char **out, size_t *outlen)
{
	size_t used = 0, k = 0;
	char *buf;
	int rc = 0;

	*out = NULL;
	*outlen = 0;
	if (off < 0)
		return -EINVAL;
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	/* offsets: 0 ".", 1 "..", 2 + k the k-th child of /.ocifs */
	for (size_t i = 0; i < VIRT_NNODES + 2; i++) {
		struct fuse_entry_param e;
		const char *name;

		memset(&e, 0, sizeof(e));
		if (i < 2) {
			name = i ? ".." : ".";
			e.attr.st_ino = i ? FUSE_ROOT_ID : FS_INO_VDIR;
			e.attr.st_mode = S_IFDIR;
		} else if (virt_nodes[i - 2].parent == FS_INO_VDIR) {
			name = virt_nodes[i - 2].name;
			if ((rc = virt_entry(fs, virt_nodes[i - 2].ino, &e)))
				break;
		} else {
			continue;
		}
		if ((off_t)k++ < off)
			continue;
		if (!fs_dir_add(req, buf, size, &used, name, &e, plus, (off_t)k))
			break;
	}
	return fs_dir_done(rc, buf, used, out, outlen);
}

int fs_virt_xattr(struct ocifs_fs *fs, uint64_t vino, const char *name, char *buf, size_t cap,
		  size_t *len)
{
	struct ocifs_image *img = fs->virt->img;
	struct ocifs_vattr a;
	int n, rc;

	if (strcmp(name, OCIFS_XATTR_LAYER))
		return -ENODATA;
	if ((rc = ocifs_view_getattr(fs->view, vino, &a)))
		return rc;
	if (a.layer == OCIFS_VIEW_NO_LAYER || a.layer >= img->nlayers)
		return -ENODATA; /* a directory no layer lists */
	n = snprintf(buf, cap, "%u %s", a.layer + 1, img->layers[a.layer].digest);
	if (n < 0 || (size_t)n >= cap)
		return -ERANGE;
	*len = (size_t)n;
	return 0;
}
