/* SPDX-License-Identifier: MIT */
/*
 * The FUSE adapter: the only part of ocifs that includes libfuse. It
 * translates low-level requests into merged-view calls (src/view.h) and
 * holds no image logic. Everything the handlers need hangs off one
 * struct ocifs_fs, passed to libfuse as the session's userdata; nothing
 * here is a mutable global.
 *
 *   ops.c        the ops table and thin handlers (reply exactly once)
 *   dir.c        readdir / readdirplus (one body, a `plus` flag)
 *   read.c       open files: zero-copy splice for uncompressed layers,
 *                the view's reader (src/reader.h) for everything else
 *   xattr.c      getxattr / listxattr bodies
 *   virt.c       /.ocifs/ and its root aliases (/.deps), from the table of
 *                generated documents (scan/docs.h), made on first lookup
 *   layers.c     /.ocifs/layers/N-<digest>/ (each layer's own tree,
 *                src/ltree.h) and /.ocifs/image/ (manifest, config, index)
 *   ino.h        inode numbers: view inodes, the virtual namespace
 *   mount.c      -o parsing, mountpoint checks, session, daemonizing
 *                (`ocifs mount` itself is src/cli/mount.c)
 *
 * Inode numbers (STYLE 28, ino.h): FUSE_ROOT_ID (1) is the view's root
 * (0); view inode n >= 1 is FUSE inode n + OCIFS_INO_BASE; virtual nodes
 * have bit 63 set. ops.c classifies an inode once per request
 * (struct fs_node) and dispatches on its class. st_ino is the FUSE
 * inode, the generation is always 0, and forget is a no-op: the tree is
 * immutable, so no inode ever needs a lookup count.
 */
#ifndef OCIFS_FS_FS_H
#define OCIFS_FS_FS_H

/* fuse 3.5 API: the v1 loop config (clone_fd, max_idle_threads) works
 * on every fuse3 >= 3.10 that configure accepts. */
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ino.h"
#include "layer.h"
#include "reader.h"
#include "view.h"

#define FS_TIMEOUT_DEFAULT 86400.0          /* s: the "cache=always" value */
#define FS_CACHE_SIZE_DEFAULT (64ull << 20) /* span cache bytes */
#define FS_PREWALK_DEFAULT 50000ull         /* entries the walk ahead lists */
#define FS_DEPS_TIMEOUT_DEFAULT 600         /* s: a /.deps build this long
					     * is a hostile image, not work */
#define FS_SPAN_BLOCK OCIFS_READER_BLOCK   /* span cache block (aligned in
					     * the uncompressed layer) */

/* Options from -o, -f and -d (mount.c). */
struct fs_opts {
	double timeout;         /* entry, attr and negative-entry timeout, s */
	uint64_t cache_size;    /* span cache budget in bytes, 0 = off */
	uint64_t zstd_window_max; /* zstd_window_max=, bytes; 0 = not given */
	uint64_t prewalk;       /* prewalk=: entries the walk ahead lists, 0 = none */
	int ready_fd;           /* write one byte here once mounted, or -1 */
	int set_uid, set_gid;   /* uid=/gid= given */
	uid_t uid;
	gid_t gid;
	int foreground, debug;
	int show_virtual;       /* list /.ocifs and /.deps in the root */
	int public_virtual;     /* virtual files 0444 (default: owner only) */
	unsigned deps_timeout_ms; /* stop a /.deps build after this, 0 = never */
	unsigned max_threads;   /* max_threads=: worker threads, 0 = libfuse's */
	int nonempty;           /* nonempty: mount over a non-empty directory */
	int single_thread;      /* mount -s: one thread serves every request */
	int auto_unmount;       /* auto_unmount as root: autounmount.c's
				 * watcher (non-root: fusermount3's) */
	char *fsname;           /* malloc'd; default: absolute image path */
	char *subtype;          /* malloc'd; default "ocifs" */
	char *fuse_opts;        /* malloc'd: the mount options for libfuse,
				 * ro,nosuid,nodev,... (built by fs_opts_parse) */
};

struct fs_files;
struct fs_blob_id;
struct fs_virt;
struct fs_layers;

struct ocifs_fs {
	struct ocifs_image *img;     /* borrowed */
	struct ocifs_view *view;     /* borrowed, immutable */
	struct fs_opts opts;
	struct ocifs_reader *reader; /* the copy path's reads (span cache of
				      * opts.cache_size, parked cursors) */
	struct fs_files *files;      /* open files (read.c) */
	struct fs_virt *virt;        /* virtual files (virt.c) */
	struct fs_layers *layers;    /* layer trees, image files (layers.c) */
	struct fs_blob_id *blob_ids; /* per layer: blob file identity at
				      * mount (read.c) */
	size_t nlayers;
	uint64_t ninodes;            /* view inodes */
	uint64_t blocks;             /* statfs: 4 KiB blocks of file data */
	uid_t vuid;                  /* owner of the virtual nodes (/.ocifs and */
	gid_t vgid;                  /* below): uid=/gid=, else the mounter */
	int64_t vmtime_ns;           /* their date: the image root's mtime */
	int notify_fd;               /* daemon mode: readiness pipe, or -1;
				      * written and closed by init only */
	struct fuse_session *se;
	int probe_state[3];          /* ops.c's fs_probe_names: 0 not known yet,
				      * 1 no inode has it, 2 some do (atomic) */
	int64_t used_ms;             /* ops.c: CLOCK_MONOTONIC_COARSE ms (+ 1)
				      * of the last request for an image file,
				      * 0 before the first (atomic) */
	int no_opendir;              /* set by init (before any other request):
				      * opendir replies ENOSYS, the kernel opens
				      * directories itself (ops.c) */
};

/* --- inode mapping (ino.h) and classes --- */
/** FUSE inode -> view inode: 0, or -ENOENT (reserved, virtual or out of
 *  range). */
static inline int fs_view_ino(const struct ocifs_fs *fs, fuse_ino_t ino, uint64_t *vino)
{
	return fs_ino_view(ino, fs->ninodes, vino);
}

/* What an inode is, decided once per request (ops.c's fs_classify). */
enum fs_class {
	FS_NODE_VIEW,           /* a file of the image: vino */
	FS_NODE_VDIR,           /* /.ocifs */
	FS_NODE_VDOC,           /* a generated document: doc (its row) */
	/* layers.c's, all after FS_NODE_LDIR (fs_node_lay): */
	FS_NODE_LDIR,           /* /.ocifs/layers */
	FS_NODE_IDIR,           /* /.ocifs/image */
	FS_NODE_IFILE,          /* a file of /.ocifs/image: doc (which) */
	FS_NODE_LTREE,          /* an inode of a layer's tree: layer, id */
};

struct fs_node {
	enum fs_class cls;
	fuse_ino_t ino;         /* the FUSE inode */
	uint64_t vino;          /* FS_NODE_VIEW: the view inode */
	size_t doc;             /* FS_NODE_VDOC: the row in scan/docs.h;
				 * FS_NODE_IFILE: the file */
	unsigned layer;         /* FS_NODE_LTREE: 0-based layer */
	uint64_t id;            /* FS_NODE_LTREE: inode in its tree */
};

/** Is n one of layers.c's nodes? */
static inline int fs_node_lay(const struct fs_node *n)
{
	return n->cls >= FS_NODE_LDIR;
}

/** The errno the kernel should see for a library error (one place):
 *  malformed data, digest, stale cache and codec errors become EIO. */
int fs_errno(int rc);

/** struct stat of view inode vino, with the uid=/gid= overrides. */
int fs_stat(const struct ocifs_fs *fs, uint64_t vino, struct stat *st);
/** struct stat of an image file (the view's or a layer tree's) with
 *  attributes a, as FUSE inode ino: the uid=/gid= overrides, 4 KiB
 *  blocks, every time a->mtime_ns (a->ino and a->layer unused). */
void fs_attr_stat(const struct ocifs_fs *fs, uint64_t ino, const struct ocifs_vattr *a,
		  struct stat *st);
/** st's mtime, atime and ctime from ns since the epoch (negative too). */
void fs_set_time(struct stat *st, int64_t ns);
/** The stat of a virtual node (/.ocifs, its documents, image/, layers/):
 *  owned and dated like /.ocifs, mode 0500/0400 (0555/0444 with
 *  public_virtual) for a directory/file; the caller sets nlink and size. */
void fs_vnode_stat(const struct ocifs_fs *fs, uint64_t ino, int dir, struct stat *st);
/** A full entry reply for view inode vino. */
int fs_entry(const struct ocifs_fs *fs, uint64_t vino, struct fuse_entry_param *e);

/* --- ops.c --- */
const struct fuse_lowlevel_ops *fs_lowlevel_ops(void);
/** The session loop's fs_fast_fn (loop.h): a file of the image, whose
 *  metadata the mapped view answers without waiting (fs a struct
 *  ocifs_fs). */
int fs_meta_fast(void *fs, uint64_t nodeid);

/* --- dir.c --- */
/** Fill a readdir(plus) reply of at most size bytes for directory vdir
 *  starting at offset off (0 ".", 1 "..", k+2 child k). *buf is
 *  malloc'd; an error is returned only when nothing was added. */
int fs_dir_fill(struct ocifs_fs *fs, fuse_req_t req, uint64_t vdir, size_t size, off_t off,
		int plus, char **buf, size_t *len);
/** st_blksize of view directory vdir: the power of two (32 KiB to 1 MiB)
 *  that its READDIRPLUS listing fits in, or 4096 when glibc's 32 KiB
 *  does. Looks at no more names than 1 MiB holds. */
blksize_t fs_dir_blksize(const struct ocifs_view *v, uint64_t vdir);
/** Log a warning for each name of v that readdir leaves out (longer
 *  than NAME_MAX). */
void fs_dir_warn_long(const struct ocifs_view *v);
/** Append one entry (next: the offset after it) to a readdir(plus)
 *  reply being built in buf[0..size): 1, or 0 if it does not fit. */
int fs_dir_add(fuse_req_t req, char *buf, size_t size, size_t *used, const char *name,
	       const struct fuse_entry_param *e, int plus, off_t next);
/** Finish a reply: rc only if nothing was added (buf freed then), else
 *  0 with *out = buf. */
int fs_dir_done(int rc, char *buf, size_t used, char **out, size_t *outlen);

/* --- xattr.c --- */
#define OCIFS_XATTR_LAYER "user.ocifs.layer"
#define OCIFS_XATTR_LAYER_DIGEST "user.ocifs.layer.digest"
#define OCIFS_XATTR_SHA256 "user.ocifs.sha256"

/* Where an inode's xattrs come from: its PAX records (count n, record i
 * through entry(ctx, id, i, ...), borrowed), and what the virtual
 * user.ocifs.* say of it. */
struct fs_xsrc {
	uint32_t n;
	int (*entry)(const void *ctx, uint64_t id, uint32_t i, const char **key,
		     const void **val, size_t *len);
	const void *ctx;
	uint64_t id;
	uint32_t layer;         /* 0-based layer it came from, or
				 * OCIFS_VIEW_NO_LAYER (no user.ocifs.layer*) */
	int hashed;             /* a regular file whose sha256 is known */
	unsigned char sha256[32];
};
/** Value of xattr name: a PAX record (borrowed), else one of the
 *  virtual user.ocifs.layer ("N DIGEST": the 1-based layer and its blob
 *  digest), user.ocifs.layer.digest (DIGEST) or user.ocifs.sha256 (64
 *  hex digits), formatted into scratch of cap bytes. 0, -ENODATA (no
 *  such name, or a virtual one this inode has not), -ERANGE (scratch
 *  too small). */
int fs_xattr_src_get(const struct ocifs_fs *fs, const struct fs_xsrc *s, const char *name,
		     char *scratch, size_t cap, const void **val, size_t *len);
/** The NUL-separated name list, the PAX names then the virtual names
 *  the inode has (each name once): *buf malloc'd (NULL when empty). */
int fs_xattr_src_list(const struct ocifs_fs *fs, const struct fs_xsrc *s, char **buf,
		      size_t *len);
/** fs_xattr_src_get / _list for view inode vino. */
int fs_xattr_get(const struct ocifs_fs *fs, uint64_t vino, const char *name, char *scratch,
		 size_t cap, const void **val, size_t *len);
int fs_xattr_list(const struct ocifs_fs *fs, uint64_t vino, char **buf, size_t *len);

/* --- read.c --- */
struct fs_file;

/** The list of open files; freeing it closes those still open. */
int fs_files_new(struct fs_files **out);
void fs_files_free(struct fs_files *p);

/** The identity of every layer's blob file, taken at mount; *out is
 *  malloc'd (img->nlayers entries). */
int fs_blob_ids_take(struct ocifs_image *img, struct fs_blob_id **out);

/** Per-open state of regular file vino (fi->fh): -EIO if the layer's
 *  blob file changed since mount or the file failed its sha256. */
int fs_file_open(struct ocifs_fs *fs, uint64_t vino, struct fs_file **out);
/** The same for extent x of layer l that no view inode names (a file of
 *  the layer's own tree; x's sparse map must outlive the file), checked
 *  against sha256 with its verdict kept in *verdict (both may be NULL;
 *  see ocifs_reader_open_extent). */
int fs_file_open_extent(struct ocifs_fs *fs, struct ocifs_layer *l, const struct ocifs_extent *x,
			const unsigned char *sha256, unsigned char *verdict, struct fs_file **out);
void fs_file_close(struct fs_file *f);

/* What a read replies with: either an fd range to splice (bv), the
 * reader's decoded blocks (vec), or bytes in buf; released by
 * fs_read_done(). Neither refers to the fs_file, which
 * a release may free as soon as the reply is written. */
struct fs_read {
	struct fuse_bufvec bv;  /* splice path when bv.buf[0].flags has IS_FD */
	struct ocifs_rvec vec;  /* else, when vec.n: the reader's blocks */
	char *buf;              /* else copy path: from the open files' buffers */
	size_t len;
	size_t cap;             /* of buf */
	struct fs_files *home;  /* where buf goes back */
};
int fs_file_read(struct ocifs_fs *fs, struct fs_file *f, size_t size, off_t off,
		 struct fs_read *r);
void fs_read_done(struct fs_read *r);
/** SEEK_DATA / SEEK_HOLE over the file's sparse map. */
int fs_file_lseek(struct fs_file *f, off_t off, int whence, off_t *out);

/* --- virt.c: the virtual files of DESIGN §8 --- */
/** State for the virtual files of img's view (both borrowed), owned by
 *  o's uid=/gid= or the mounting user. cache_dir is copied. */
int fs_virt_new(struct ocifs_image *img, struct ocifs_view *view, const char *cache_dir,
		const struct fs_opts *o, struct fs_virt **out);
/** Stops a running build and waits for its thread. */
void fs_virt_free(struct fs_virt *v);
/** Classify virtual inode ino into *n: 0, or -ENOENT (not a virtual
 *  node this mount has). */
int fs_virt_node(const struct fs_virt *v, fuse_ino_t ino, struct fs_node *n);
/** Entry `name` of directory node dir if it is a virtual one (in the
 *  root only where the image has no such name): 0 and the entry, or
 *  -ENOENT (-ENOTDIR for a document). Never waits for a document (the
 *  kernel holds the directory's lock during a lookup): it starts
 *  generating it, and until it is made the entry's attributes have
 *  timeout 0 so that st_size comes from getattr. */
int fs_virt_lookup(struct ocifs_fs *fs, const struct fs_node *dir, const char *name,
		   struct fuse_entry_param *e);
/** Attributes of virtual node n, its document made first (st_size is
 *  exact): 0, -EINTR (req interrupted; req may be NULL), or the
 *  generation's error (-ETIMEDOUT after -o deps_timeout). */
int fs_virt_stat(struct ocifs_fs *fs, fuse_req_t req, const struct fs_node *n, struct stat *st);
/** Bytes [off, off+size) of virtual document n (borrowed, valid until
 *  unmount): 0, -EISDIR, or as fs_virt_stat. */
int fs_virt_read(struct ocifs_fs *fs, fuse_req_t req, const struct fs_node *n, size_t size,
		 off_t off, const char **buf, size_t *len);
/** Is n a live document (made again whenever it changed: the trace)?
 *  Its reads are direct (no page cache), its attributes not cached. */
int fs_virt_live(const struct fs_virt *v, const struct fs_node *n);
/** readdir(plus) of /.ocifs, as fs_dir_fill does for view dirs. */
int fs_virt_dir_fill(struct ocifs_fs *fs, fuse_req_t req, size_t size, off_t off, int plus,
		     char **out, size_t *outlen);
/** With -o show_virtual: the k-th virtual entry of the root (those the
 *  image does not hide), 0 and *name and *e, or -ENOENT past the last. */
int fs_virt_root_entry(struct ocifs_fs *fs, uint32_t k, const char **name,
		       struct fuse_entry_param *e);

/* --- layers.c: /.ocifs/layers/N-<digest>/ and /.ocifs/image/ --- */
#define FS_LAY_OCIFS_N 2        /* entries of /.ocifs layers.c owns */

/** State for img's layer trees and image files (img, view borrowed);
 *  their directories and image files are stat'ed by fs_vnode_stat. */
int fs_layers_new(struct ocifs_image *img, struct ocifs_view *view, struct fs_layers **out);
void fs_layers_free(struct fs_layers *l);
/** Classify ino if it is one of layers.c's: 0 and *n, or -ENOENT. */
int fs_lay_node(const struct ocifs_fs *fs, fuse_ino_t ino, struct fs_node *n);
/** Entry k (< FS_LAY_OCIFS_N) of /.ocifs that layers.c owns. */
int fs_lay_ocifs_entry(struct ocifs_fs *fs, uint32_t k, const char **name,
		       struct fuse_entry_param *e);
/** /.ocifs/name if layers.c owns it: 0 and the entry, or -ENOENT. */
int fs_lay_ocifs_lookup(struct ocifs_fs *fs, const char *name, struct fuse_entry_param *e);
/** Entry `name` of directory node dir (a layers.c node). A layer's tree
 *  is built by the first request that needs it. 0, -ENOENT, -ENOTDIR,
 *  or the build's error. */
int fs_lay_lookup(struct ocifs_fs *fs, const struct fs_node *dir, const char *name,
		  struct fuse_entry_param *e);
int fs_lay_stat(struct ocifs_fs *fs, const struct fs_node *n, struct stat *st);
/** 0 or -EINVAL (not a symlink). */
int fs_lay_readlink(struct ocifs_fs *fs, const struct fs_node *n, const char **target);
/** 0 for a directory, -ENOTDIR, -ENOENT. */
int fs_lay_opendir(struct ocifs_fs *fs, const struct fs_node *n);
/** readdir(plus) of a layers.c directory, as fs_dir_fill. */
int fs_lay_dir_fill(struct ocifs_fs *fs, fuse_req_t req, const struct fs_node *n, size_t size,
		    off_t off, int plus, char **out, size_t *outlen);
/** Open n for reading: a regular file of a layer's tree gets *f (read,
 *  lseek and close it as a view file's); an image file gets *f NULL
 *  (read it with fs_lay_read). -EISDIR, -EINVAL, -EIO (blob changed). */
int fs_lay_open(struct ocifs_fs *fs, const struct fs_node *n, struct fs_file **f);
/** Bytes [off, off+size) of image file n (borrowed until unmount). */
int fs_lay_read(struct ocifs_fs *fs, const struct fs_node *n, size_t size, off_t off,
		const char **buf, size_t *len);
/** Xattrs of n, as fs_xattr_get / fs_xattr_list. */
int fs_lay_xattr_get(struct ocifs_fs *fs, const struct fs_node *n, const char *name,
		     char *scratch, size_t cap, const void **val, size_t *len);
int fs_lay_xattr_list(struct ocifs_fs *fs, const struct fs_node *n, char **buf, size_t *len);

/* --- mount.c --- */
/** One -o option ocifs knows (mount(8)'s generic ones aside). */
struct fs_mount_opt {
	const char *name;
	const char *arg;  /* the value's name (name=ARG), NULL: a flag */
	const char *help; /* one line */
};
/** Every -o option, ending with a NULL name: the parser's list and the
 *  help's (`ocifs mount --help`, `ocifs help --mount-options`). */
extern const struct fs_mount_opt fs_mount_opts[];
/** Parse -o options (comma-separated, may be NULL) into o, with the
 *  defaults ro,nosuid,nodev,default_permissions. -EINVAL (logged) for an
 *  unknown or malformed option. image is the fsname default. */
int fs_opts_parse(const char *optstr, const char *image, int foreground, int debug,
		  struct fs_opts *o);
void fs_opts_fini(struct fs_opts *o);
/** Check that dir can be mounted on (exists, is a directory, is not a
 *  mountpoint, is empty unless nonempty) and that FUSE can be used
 *  (/dev/fuse); *abs is its malloc'd absolute path. Logs one line on
 *  failure, with the fix (a dead mount on dir, no /dev/fuse, no
 *  permission). */
int fs_check_mountpoint(const char *dir, int nonempty, char **abs);
/** Mount view at dir and serve it until unmounted or signalled; unless
 *  opts.foreground, daemonize first, the parent returning only once the
 *  mount answers (then 0) or failed. Returns 0 or -errno; *is_child is
 *  set in the daemon process. */
int fs_mount_run(struct ocifs_image *img, struct ocifs_view *view, const char *cache_dir,
		 struct fs_opts *o, const char *dir, int *is_child);
/** auto_unmount (autounmount.c): fork a watcher that lazily unmounts
 *  dir, if the mount there is still this one, once this process has
 *  died or exited (the watcher keeps no other descriptor, /dev/fuse
 *  least of all). Failures are logged; the mount goes on without it. */
void fs_autounmount_start(const char *dir);

/* --- the walk ahead (prewalk.c) --- */
struct fs_prewalk;
/** Once mounted on dir (absolute), before the session serves: list up
 *  to max_entries entries of the tree in a child process, last
 *  directories first, through a clone of the mount (root only; elsewhere
 *  the child does nothing). NULL when max_entries is 0 or no process
 *  could start (logged: the mount goes on without it). */
struct fs_prewalk *fs_prewalk_start(const char *dir, uint64_t max_entries);
/** End the walk and reap it: only once the session's device is closed
 *  (the walk may wait on a request nobody serves any more). NULL:
 *  nothing. */
void fs_prewalk_stop(struct fs_prewalk *pw);

#endif
