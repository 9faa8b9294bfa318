/* SPDX-License-Identifier: MIT */
/*
 * Random-access byte sources. Everything ocifs reads goes through one: the
 * image file, a byte range of it (a blob inside an uncompressed outer tar),
 * or the decompressed view of a compressed blob (see zio.h). Sources are
 * refcounted, immutable and safe to pread() from several threads at once.
 */
#ifndef OCIFS_SRC_SRC_H
#define OCIFS_SRC_SRC_H
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct ocifs_src;

struct ocifs_src_ops {
	/* Read up to n bytes at off. Returns 0 and *got (< n only at end of
	 * source) or a negative errno. Must be thread-safe. */
	int (*pread)(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got);
	/* Release private state; the struct itself is freed by the caller. */
	void (*destroy)(struct ocifs_src *s);
	/* Optional, for sources whose fd is opened on demand: see
	 * ocifs_src_pin_fd(). */
	int (*pin)(struct ocifs_src *s, int *fd, uint64_t *off);
	void (*unpin)(struct ocifs_src *s);
	/* Optional: see ocifs_src_advise_whole(). */
	void (*advise_whole)(struct ocifs_src *s, int whole);
};

struct ocifs_src {
	const struct ocifs_src_ops *ops;
	uint64_t size;  /* bytes; UINT64_MAX when unknown */
	int refs;       /* atomic */
	int fd;         /* backing fd when bytes [0,size) are fd[fd_off..]; else
			 * -1 (also for lazy sources: use ocifs_src_pin_fd).
			 * Owned by file sources, borrowed by ranges. */
	uint64_t fd_off;
	char *name;     /* for error messages: path, or "path@off" */
	void *priv;
};

/** Open a whole regular file read-only. *out owns a reference. */
int ocifs_src_file_open(const char *path, struct ocifs_src **out);

/** Vet the fd an openat() of a blob gave (err: -errno when fd < 0): 0
 *  with *st for a regular file; else logged under name, fd closed, and a
 *  negative errno. */
struct stat;
int ocifs_src_check_fd(int fd, int err, const char *name, struct stat *st);

/** Open path relative to directory fd dirfd (O_NOFOLLOW on the last part
 *  is not applied: OCI layouts may use symlinked blobs). */
int ocifs_src_file_openat(int dirfd, const char *path, const char *name,
			  struct ocifs_src **out);

/* Lazily opened files (fdcache.c): sources that share one directory fd
 * and keep at most a bounded number of idle fds open (an LRU), so an
 * image with thousands of blob files does not hold thousands of fds. */
struct ocifs_fdcache;
/** A cache for files under dirfd (dup'ed). cap: idle fds kept at most,
 *  0 = from RLIMIT_NOFILE. Thread-safe; refcounted by its sources. */
int ocifs_fdcache_new(int dirfd, unsigned cap, struct ocifs_fdcache **out);
void ocifs_fdcache_unref(struct ocifs_fdcache *fc);
/** Open path (relative to the cache's directory) now, to report errors
 *  and record its identity and size, then let the fd come and go. A
 *  reopen that finds another file (or another size) fails with -EIO. */
int ocifs_src_lazy_openat(struct ocifs_fdcache *fc, const char *path, const char *name,
			  struct ocifs_src **out);

/** An fd holding the source's bytes at [*off, *off + size): kept open
 *  until ocifs_src_unpin_fd(). For splice and fstat. -EOPNOTSUPP when
 *  the bytes are not in a file (decompressed sources), or -errno. */
int ocifs_src_pin_fd(struct ocifs_src *s, int *fd, uint64_t *off);
/** A hint: whole = 1, the reads that follow cover the whole source in
 *  order from 0 (a verifying pass), so a registry blob streams it in one
 *  request instead of growing windows; whole = 0, back to any order. A
 *  no-op for sources without the op. */
void ocifs_src_advise_whole(struct ocifs_src *s, int whole);
void ocifs_src_unpin_fd(struct ocifs_src *s);
/** fstat() of the file holding the source's bytes; -EOPNOTSUPP as above. */
int ocifs_src_fstat(struct ocifs_src *s, struct stat *st);

/** A window [off, off+len) of base. Takes its own reference on base.
 *  Returns -EIO if the window lies outside base. */
int ocifs_src_range_new(struct ocifs_src *base, uint64_t off, uint64_t len,
			struct ocifs_src **out);

/** Generic constructor for other modules: allocates a src with ops/priv. */
int ocifs_src_new(const struct ocifs_src_ops *ops, void *priv, uint64_t size,
		  const char *name, struct ocifs_src **out);

int ocifs_src_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got);
/** Like pread but a short read is -EIO (logged with the source's name). */
int ocifs_src_pread_full(struct ocifs_src *s, void *buf, size_t n, uint64_t off);
/** Read the whole source into a malloc'd NUL-terminated buffer (max bytes). */
int ocifs_src_slurp(struct ocifs_src *s, size_t max, char **buf, size_t *len);

struct ocifs_src *ocifs_src_ref(struct ocifs_src *s);
void ocifs_src_unref(struct ocifs_src *s);

/* A sequential reader: the single streaming pass pulls bytes through it. */
struct ocifs_stream {
	/* 0 and *got (0 = end) or negative errno. */
	int (*read)(void *ctx, void *buf, size_t n, size_t *got);
	/* Optional: skip n bytes (e.g. lseek on a plain file); 0 or -errno,
	 * -EIO past the end. NULL: the reader reads and discards. */
	int (*skip)(void *ctx, uint64_t n);
	void *ctx;
	/* Optional: like read, but *p points at up to n bytes the stream
	 * keeps, valid until the next call on it (no copy). NULL: the reader
	 * copies through read. */
	int (*peek)(void *ctx, const void **p, size_t n, size_t *got);
};

#endif
