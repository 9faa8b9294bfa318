/* SPDX-License-Identifier: MIT */
/*
 * The one thing scan/ needs from the rest of ocifs: a way to read bytes
 * of a file. The merged view provides one (scan/tree_view.h, over src/reader.h),
 * tests and fuzzers provide one over a plain file or a memory buffer.
 * scan/ never sees FUSE, SQLite or tar.
 */
#ifndef OCIFS_SCAN_RD_H
#define OCIFS_SCAN_RD_H
#include <stddef.h>
#include <stdint.h>

struct ocifs_rd {
	/* Read up to n bytes at off: 0 and *got (< n only at end of file) or
	 * a negative errno. */
	int (*read_at)(void *ctx, void *buf, size_t n, uint64_t off, size_t *got);
	void *ctx;
	uint64_t size;          /* file size in bytes */
	const char *name;       /* for messages: the file's path in the image */
};

/** Read exactly n bytes at off: 0, -EIO if the file is shorter, or the
 *  callback's error. */
int ocifs_rd_full(const struct ocifs_rd *rd, void *buf, size_t n, uint64_t off);
/** Read up to n bytes at off, fewer only at the end of the file: 0 and
 *  *got, or the callback's error. */
int ocifs_rd_upto(const struct ocifs_rd *rd, void *buf, size_t n, uint64_t off, size_t *got);

/** A reader over a plain file descriptor (tests, fuzzing). */
int ocifs_rd_fd_read(void *ctx, void *buf, size_t n, uint64_t off, size_t *got);
/** A reader over memory: ctx is a struct ocifs_rd_mem. */
struct ocifs_rd_mem {
	const unsigned char *p;
	size_t len;
};
int ocifs_rd_mem_read(void *ctx, void *buf, size_t n, uint64_t off, size_t *got);

#endif
