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

struct ocifs_src;

struct ocifs_src_ops {
	/* Read up to n bytes at off. Returns 0 and *got (< n only at end of
	 * source) or a negative errno. Must be thread-safe. */
	int (*pread)(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got);
	/* Release private state; the struct itself is freed by the caller. */
	void (*destroy)(struct ocifs_src *s);
};

struct ocifs_src {
	const struct ocifs_src_ops *ops;
	uint64_t size;  /* bytes; UINT64_MAX when unknown */
	int refs;       /* atomic */
	int fd;         /* backing fd when bytes [0,size) are fd[fd_off..]; else
			 * -1. Owned by file sources, borrowed by ranges. */
	uint64_t fd_off;
	char *name;     /* for error messages: path, or "path@off" */
	void *priv;
};

/** Open a whole regular file read-only. *out owns a reference. */
int ocifs_src_file_open(const char *path, struct ocifs_src **out);

/** Open path relative to directory fd dirfd (O_NOFOLLOW on the last part
 *  is not applied: OCI layouts may use symlinked blobs). */
int ocifs_src_file_openat(int dirfd, const char *path, const char *name,
			  struct ocifs_src **out);

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
};

#endif
