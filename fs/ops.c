/* SPDX-License-Identifier: MIT */
/*
 * The low-level ops table and its handlers. Handlers are thin: classify
 * the inode once (fs_classify: a file of the image, /.ocifs, a
 * generated document, or one of layers.c's: /.ocifs/layers and the
 * layers' trees, /.ocifs/image), dispatch on its class to the view or a
 * helper in dir.c, read.c, xattr.c, virt.c, layers.c, and reply exactly
 * once on a single
 * exit path, `out: if (rc) reply_err`.
 * Helpers never reply. Every operation that would change the tree
 * replies EROFS; so does an open for writing.
 *
 * Kernel caching (DESIGN §7, STYLE 29): the tree never changes, so
 * entries, attributes and negative lookups (in every directory, virtual
 * ones too) are cached for -o timeout
 * seconds, file data is kept across opens (keep_cache), directory
 * listings are cached (cache_readdir), and symlink targets too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"

int fs_errno(int rc)
{
	int e = rc < 0 ? -rc : rc;

	switch (e) {
	case 0:
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case ENOMEM:
	case EROFS:
	case ERANGE:
	case ENODATA:
	case EACCES:
	case EPERM:
	case ENAMETOOLONG:
	case EINVAL:
	case ENXIO:
	case EOVERFLOW:
	case EINTR:
	case EMFILE:
	case ENFILE:
		return e;
	default:
		/* EBADMSG (corrupt data), EILSEQ (digest), ESTALE (cache),
		 * EOPNOTSUPP (codec) and anything unexpected: the file cannot
		 * be read, which is what EIO tells a program. */
		return EIO;
	}
}

static struct ocifs_fs *req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

void fs_set_time(struct stat *st, int64_t ns)
{
	int64_t sec = ns / 1000000000, nsec = ns % 1000000000;

	if (nsec < 0) {
		nsec += 1000000000;
		sec--;
	}
	st->st_mtim.tv_sec = (time_t)sec;
	st->st_mtim.tv_nsec = (long)nsec;
	st->st_atim = st->st_ctim = st->st_mtim;
}

void fs_vnode_stat(const struct ocifs_fs *fs, uint64_t ino, int dir, struct stat *st)
{
	int pub = fs->opts.public_virtual;

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = dir ? S_IFDIR | (pub ? 0555 : 0500) : S_IFREG | (pub ? 0444 : 0400);
	st->st_uid = fs->vuid;
	st->st_gid = fs->vgid;
	st->st_blksize = 4096;
	fs_set_time(st, fs->vmtime_ns);
}

void fs_attr_stat(const struct ocifs_fs *fs, uint64_t ino, const struct ocifs_vattr *a,
		  struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = fs->opts.set_uid ? fs->opts.uid : (uid_t)a->uid;
	st->st_gid = fs->opts.set_gid ? fs->opts.gid : (gid_t)a->gid;
	st->st_rdev = (dev_t)a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
	fs_set_time(st, a->mtime_ns);
}

int fs_stat(const struct ocifs_fs *fs, uint64_t vino, struct stat *st)
{
	struct ocifs_vattr a;
	int rc = ocifs_view_getattr(fs->view, vino, &a);

	if (rc)
		return rc;
	fs_attr_stat(fs, fs_fuse_ino(vino), &a, st);
	if (S_ISDIR(a.mode))
		st->st_blksize = fs_dir_blksize(fs->view, vino); /* see fs/dir.c */
	return 0;
}

int fs_entry(const struct ocifs_fs *fs, uint64_t vino, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = fs_fuse_ino(vino);
	e->generation = 0;
	e->attr_timeout = fs->opts.timeout;
	e->entry_timeout = fs->opts.timeout;
	return fs_stat(fs, vino, &e->attr);
}

/* Metadata requests (goal: a tree walk at local-disk speed). The kernel
 * is told to keep everything: no OPENDIR/RELEASEDIR round trips (with
 * FUSE_CAP_NO_OPENDIR_SUPPORT the kernel opens directories itself, with
 * keep_cache and cache_readdir, exactly what fs_op_opendir would say,
 * and every check that op made, each fill makes again), and readdirplus
 * for every chunk of a listing, not only the first
 * (READDIRPLUS_AUTO would send later chunks as plain READDIR, and then
 * one LOOKUP per entry when the walker stats them). */
static void fs_meta_init(struct ocifs_fs *fs, struct fuse_conn_info *conn)
{
	if (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) {
		conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
		fs->no_opendir = 1;
	}
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
}

static void fs_op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct ocifs_fs *fs = userdata;
	const unsigned want = FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_READDIRPLUS |
			      FUSE_CAP_READDIRPLUS_AUTO | FUSE_CAP_SPLICE_WRITE |
			      FUSE_CAP_SPLICE_MOVE | FUSE_CAP_PARALLEL_DIROPS |
			      FUSE_CAP_ASYNC_READ;
	char one = 1;

	/* SPLICE_WRITE is what lets fuse_reply_data() splice file ranges
	 * into the device; SPLICE_READ only helps requests that carry data
	 * (writes), and would cost a pipe round trip on every request. */
	conn->want |= conn->capable & want;
	conn->want &= ~(unsigned)(FUSE_CAP_SPLICE_READ | FUSE_CAP_WRITEBACK_CACHE |
				  FUSE_CAP_AUTO_INVAL_DATA);
	/* Reads as large as the kernel allows (1 MiB with max_pages = 256):
	 * libfuse sizes max_pages from max_write. */
	if (conn->max_write < (1u << 20))
		conn->max_write = 1u << 20;
	conn->time_gran = 1;
	fs_meta_init(fs, conn);
	log_dbg("fuse: protocol %u.%u, capable %#x, want %#x, max_readahead %u, max_write %u",
		conn->proto_major, conn->proto_minor, conn->capable, conn->want,
		conn->max_readahead, conn->max_write);

	/* Tell whoever waits that the mount answers. */
	if (fs->opts.ready_fd >= 0) {
		if (write(fs->opts.ready_fd, &one, 1) != 1)
			log_warn("ready_fd=%d: %s", fs->opts.ready_fd, strerror(errno));
		close(fs->opts.ready_fd);
		fs->opts.ready_fd = -1;
	}
	if (fs->notify_fd >= 0) {
		if (write(fs->notify_fd, &one, 1) != 1)
			log_warn("readiness pipe: %s", strerror(errno));
		close(fs->notify_fd);
		fs->notify_fd = -1;
	}
}

static void fs_op_destroy(void *userdata)
{
	struct ocifs_fs *fs = userdata;
	struct ocifs_reader_stats st;

	if (fs->reader && fs->opts.cache_size && ocifs_log_threshold >= OCIFS_LOG_DBG) {
		ocifs_reader_stats(fs->reader, &st);
		log_dbg("span cache: %llu hits, %llu misses, %llu spans (%llu bytes) at unmount",
			(unsigned long long)st.hits, (unsigned long long)st.misses,
			(unsigned long long)st.spans, (unsigned long long)st.bytes);
	}
}

int fs_meta_fast(void *fs, uint64_t nodeid)
{
	uint64_t vino;

	return fs_view_ino(fs, nodeid, &vino) == 0;
}

/* The view file is mapped and read by page faults. When the kernel has
 * dropped its pages (memory pressure, drop_caches) while the mount sat
 * idle, a walk would fault them back one read-ahead window at a time
 * (128 KiB on most devices: a dozen synchronous reads for the Debian
 * image's 1.7 MB view). So the first request for an image file after
 * FS_VIEW_IDLE_MS without one asks for the whole file at once
 * (MADV_WILLNEED: one read-ahead, which finds the pages there and reads
 * nothing when they are). A walk's requests come microseconds apart:
 * this is once per burst, at most 1000 / FS_VIEW_IDLE_MS times a
 * second; per request a coarse clock read (vDSO) and an atomic load. */
#define FS_VIEW_IDLE_MS 50

static void fs_view_used(struct ocifs_fs *fs)
{
	struct timespec ts;
	int64_t now, last;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts))
		return;
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1; /* never 0 */
	last = __atomic_load_n(&fs->used_ms, __ATOMIC_RELAXED);
	if (now != last &&
	    __atomic_compare_exchange_n(&fs->used_ms, &last, now, 0, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED) &&
	    (last == 0 || now - last >= FS_VIEW_IDLE_MS))
		ocifs_view_willneed(fs->view);
}

/* What inode ino is: 0 and *n, or -ENOENT (no such inode). */
static int fs_classify(struct ocifs_fs *fs, fuse_ino_t ino, struct fs_node *n)
{
	if (fs_view_ino(fs, ino, &n->vino) == 0) {
		fs_view_used(fs);
		n->cls = FS_NODE_VIEW;
		n->ino = ino;
		n->doc = 0;
		return 0;
	}
	if (fs_virt_node(fs->virt, ino, n) == 0)
		return 0;
	return fs_lay_node(fs, ino, n);
}

static void fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ocifs_fs *fs = req_fs(req);
	struct fuse_entry_param e;
	struct fs_node dir;
	uint64_t vino;
	int rc = fs_classify(fs, parent, &dir);

	if (rc)
		goto out;
	if (dir.cls != FS_NODE_VIEW) {
		rc = fs_node_lay(&dir) ? fs_lay_lookup(fs, &dir, name, &e)
				       : fs_virt_lookup(fs, &dir, name, &e);
		goto negative;
	}
	rc = ocifs_view_lookup(fs->view, dir.vino, name, &vino);
	if (rc == -ENOENT)
		rc = fs_virt_lookup(fs, &dir, name, &e);
	else if (!rc)
		rc = fs_entry(fs, vino, &e);
negative:
	/* A name no directory will ever have (the tree, /.ocifs and the
	 * layers' trees never change, and which virtual names exist is
	 * fixed at mount): a negative entry (ino 0), cached like a
	 * positive one, so a search path probed again (ld.so, $PATH,
	 * Python's imports) costs no request. An ENOENT error would be
	 * asked again on every access. */
	if (rc == -ENOENT && fs->opts.timeout > 0) {
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->opts.timeout;
		rc = 0;
	}
	if (!rc)
		fuse_reply_entry(req, &e);
out:
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

/* Immutable tree, numbers derived from the view: nothing to count. */
static void fs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fuse_reply_none(req);
}

static void fs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	fuse_reply_none(req);
}

static void fs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ocifs_fs *fs = req_fs(req);
	struct fs_node n;
	struct stat st;
	int rc = fs_classify(fs, ino, &n);

	if (!rc)
		rc = n.cls == FS_NODE_VIEW ? fs_stat(fs, n.vino, &st)
		     : fs_node_lay(&n)     ? fs_lay_stat(fs, &n, &st)
					   : fs_virt_stat(fs, req, &n, &st);
	if (!rc)
		fuse_reply_attr(req, &st, fs->opts.timeout);
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

static void fs_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct ocifs_fs *fs = req_fs(req);
	const char *target;
	struct fs_node n;
	int rc = fs_classify(fs, ino, &n);

	if (!rc)
		rc = n.cls == FS_NODE_VIEW ? ocifs_view_readlink(fs->view, n.vino, &target)
		     : fs_node_lay(&n)     ? fs_lay_readlink(fs, &n, &target)
					   : -EINVAL;
	if (!rc)
		fuse_reply_readlink(req, target);
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

static void fs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ocifs_fs *fs = req_fs(req);
	struct fs_node n;
	uint32_t count;
	int rc;

	if (fs->no_opendir) { /* the kernel stops asking: see fs_meta_init */
		fuse_reply_err(req, ENOSYS);
		return;
	}
	rc = fs_classify(fs, ino, &n);
	if (!rc && n.cls == FS_NODE_VIEW)
		rc = ocifs_view_dir_size(fs->view, n.vino, &count);
	else if (!rc && fs_node_lay(&n))
		rc = fs_lay_opendir(fs, &n);
	else if (!rc && n.cls == FS_NODE_VDOC)
		rc = -ENOTDIR;
	if (!rc) {
		fi->fh = 0;
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
		fuse_reply_open(req, fi);
	}
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

static void fs_readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	struct ocifs_fs *fs = req_fs(req);
	char *buf = NULL;
	size_t len = 0;
	struct fs_node n;
	int rc = fs_classify(fs, ino, &n);

	if (!rc && n.cls == FS_NODE_VIEW)
		rc = fs_dir_fill(fs, req, n.vino, size, off, plus, &buf, &len);
	else if (!rc && n.cls == FS_NODE_VDIR)
		rc = fs_virt_dir_fill(fs, req, size, off, plus, &buf, &len);
	else if (!rc && fs_node_lay(&n))
		rc = fs_lay_dir_fill(fs, req, &n, size, off, plus, &buf, &len);
	else if (!rc)
		rc = -ENOTDIR;
	if (!rc)
		fuse_reply_buf(req, buf, len);
	free(buf);
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

static void fs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	fs_readdir_common(req, ino, size, off, 0);
}

static void fs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	fs_readdir_common(req, ino, size, off, 1);
}

static void fs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void fs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ocifs_fs *fs = req_fs(req);
	struct fs_file *f = NULL;
	struct fs_node n;
	struct stat st;
	int rc;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		rc = -EROFS;
		goto out;
	}
	if ((rc = fs_classify(fs, ino, &n)))
		goto out;
	if (fs_node_lay(&n)) {
		rc = fs_lay_open(fs, &n, &f); /* f NULL: an image file */
		goto opened;
	}
	if (n.cls != FS_NODE_VIEW) {
		rc = n.cls == FS_NODE_VDIR ? -EISDIR : fs_virt_stat(fs, req, &n, &st);
		if (rc)
			goto out;
		fi->fh = 0;
		fi->keep_cache = !fs_virt_live(fs->virt, &n);
		fi->direct_io = !fi->keep_cache; /* the trace grows between opens */
		fi->noflush = 1;
		fuse_reply_open(req, fi);
		goto out;
	}
	rc = fs_file_open(fs, n.vino, &f);
opened:
	if (rc)
		goto out;
	fi->fh = (uint64_t)(uintptr_t)f;
	fi->keep_cache = 1;
	fi->noflush = 1;
	/* If the request was interrupted, no release will ever come. */
	if (fuse_reply_open(req, fi) == -ENOENT)
		fs_file_close(f);
out:
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

static void fs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct ocifs_fs *fs = req_fs(req);
	struct fs_file *f = (struct fs_file *)(uintptr_t)fi->fh;
	struct fs_node n;
	struct fs_read r;
	const char *vbuf;
	size_t vlen;
	int rc = fs_classify(fs, ino, &n);

	if (rc)
		goto out;
	if (n.cls == FS_NODE_LTREE && !f) {
		rc = -EBADF; /* cannot happen: opened through fs_lay_open */
		goto out;
	}
	if (n.cls != FS_NODE_VIEW && n.cls != FS_NODE_LTREE) {
		rc = fs_node_lay(&n) ? fs_lay_read(fs, &n, size, off, &vbuf, &vlen)
				     : fs_virt_read(fs, req, &n, size, off, &vbuf, &vlen);
		if (!rc)
			fuse_reply_buf(req, vbuf, vlen);
		goto out;
	}
	rc = fs_file_read(fs, f, size, off, &r);
	if (!rc) {
		if (r.bv.buf[0].flags & FUSE_BUF_IS_FD)
			fuse_reply_data(req, &r.bv, FUSE_BUF_SPLICE_MOVE);
		else if (r.vec.n)
			fuse_reply_iov(req, r.vec.iov, (int)r.vec.n);
		else
			fuse_reply_buf(req, r.buf, r.len);
		fs_read_done(&r);
	}
out:
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

/* fh is the fs_file of a view inode or a layer tree's file, 0 for a
 * virtual one. */
static void fs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fi->fh)
		fs_file_close((struct fs_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void fs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct ocifs_fs *fs = req_fs(req);
	struct statvfs sv;

	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_blocks = fs->blocks;
	sv.f_files = fs->ninodes;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

/* An xattr reply (getxattr and listxattr alike): the size when the
 * caller asked for it (size 0), -ERANGE when val does not fit, else val. */
static void reply_xattr(fuse_req_t req, int rc, size_t size, const void *val, size_t len)
{
	if (!rc && size && len > size)
		rc = -ERANGE;
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
	else if (!size)
		fuse_reply_xattr(req, len);
	else
		fuse_reply_buf(req, val, len);
}

/* The attributes `ls -l` asks of every entry it lists (lgetxattr
 * security.selinux, getxattr system.posix_acl_access) and ACL tools of
 * directories. FUSE caches no attribute, so an ENODATA costs a request
 * per entry on every `ls -l`. When no inode of the image has the name,
 * the mount answers what a file system without labels or ACLs answers,
 * EOPNOTSUPP, and ls stops asking on this device (coreutils remembers an
 * unsupported device); tools read EOPNOTSUPP as "none", as ENODATA. An
 * image that has the name somewhere gets ENODATA for the others. */
static const char *const fs_probe_names[] = { "security.selinux", "system.posix_acl_access",
					      "system.posix_acl_default" };

static int fs_probe_unsupported(struct ocifs_fs *fs, const char *name)
{
	for (size_t i = 0; i < sizeof(fs_probe_names) / sizeof(fs_probe_names[0]); i++) {
		int st;

		if (strcmp(name, fs_probe_names[i]))
			continue;
		st = __atomic_load_n(&fs->probe_state[i], __ATOMIC_RELAXED);
		if (!st) { /* (two threads may both scan: the same answer) */
			st = ocifs_view_has_xattr(fs->view, name) ? 2 : 1;
			__atomic_store_n(&fs->probe_state[i], st, __ATOMIC_RELAXED);
		}
		return st == 1;
	}
	return 0;
}

static void fs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct ocifs_fs *fs = req_fs(req);
	char scratch[128];
	const void *val = NULL;
	size_t len = 0;
	struct fs_node n;
	int rc = fs_classify(fs, ino, &n);

	if (!rc)
		rc = n.cls == FS_NODE_VIEW
			     ? fs_xattr_get(fs, n.vino, name, scratch, sizeof(scratch), &val, &len)
		     : fs_node_lay(&n)
			     ? fs_lay_xattr_get(fs, &n, name, scratch, sizeof(scratch), &val, &len)
			     : -ENODATA;
	if (rc == -ENODATA && n.cls == FS_NODE_VIEW && fs_probe_unsupported(fs, name)) {
		fuse_reply_err(req, EOPNOTSUPP); /* (fs_errno would make it EIO) */
		return;
	}
	reply_xattr(req, rc, size, val, len);
}

static void fs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct ocifs_fs *fs = req_fs(req);
	char *buf = NULL;
	size_t len = 0;
	struct fs_node n;
	int rc = fs_classify(fs, ino, &n);

	if (!rc && n.cls == FS_NODE_VIEW)
		rc = fs_xattr_list(fs, n.vino, &buf, &len);
	else if (!rc && fs_node_lay(&n))
		rc = fs_lay_xattr_list(fs, &n, &buf, &len);
	reply_xattr(req, rc, size, buf, len);
	free(buf);
}

/* Only called without default_permissions (which ocifs always sets, so
 * the kernel checks modes itself): writing is never allowed. */
static void fs_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct ocifs_fs *fs = req_fs(req);
	struct fs_node n;
	int rc = fs_classify(fs, ino, &n);

	if (!rc && (mask & W_OK))
		rc = -EROFS;
	fuse_reply_err(req, fs_errno(rc));
}

static void fs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
			struct fuse_file_info *fi)
{
	off_t pos = 0;
	int rc = fi->fh ? fs_file_lseek((struct fs_file *)(uintptr_t)fi->fh, off, whence, &pos)
			: -ENXIO; /* a virtual file: no fs_file */

	if (!rc)
		fuse_reply_lseek(req, pos);
	if (rc)
		fuse_reply_err(req, fs_errno(rc));
}

/* --- everything that would write: EROFS --- */

static void fs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			  struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			 fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			 struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			   size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			    struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void fs_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
				  struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
				  struct fuse_file_info *fi_out, size_t len, int flags)
{
	fuse_reply_err(req, EROFS);
}

static const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_op_init,
	.destroy = fs_op_destroy,
	.lookup = fs_op_lookup,
	.forget = fs_op_forget,
	.forget_multi = fs_op_forget_multi,
	.getattr = fs_op_getattr,
	.readlink = fs_op_readlink,
	.opendir = fs_op_opendir,
	.readdir = fs_op_readdir,
	.readdirplus = fs_op_readdirplus,
	.releasedir = fs_op_releasedir,
	.open = fs_op_open,
	.read = fs_op_read,
	.release = fs_op_release,
	.statfs = fs_op_statfs,
	.getxattr = fs_op_getxattr,
	.listxattr = fs_op_listxattr,
	.access = fs_op_access,
	.lseek = fs_op_lseek,
	.setattr = fs_op_setattr,
	.mknod = fs_op_mknod,
	.mkdir = fs_op_mkdir,
	.unlink = fs_op_unlink,
	.rmdir = fs_op_rmdir,
	.symlink = fs_op_symlink,
	.rename = fs_op_rename,
	.link = fs_op_link,
	.write = fs_op_write,
	.create = fs_op_create,
	.setxattr = fs_op_setxattr,
	.removexattr = fs_op_removexattr,
	.fallocate = fs_op_fallocate,
	.copy_file_range = fs_op_copy_file_range,
};

const struct fuse_lowlevel_ops *fs_lowlevel_ops(void)
{
	return &fs_ops;
}
