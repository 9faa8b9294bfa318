/* SPDX-License-Identifier: MIT */
/*
 * The one thing scan/ needs from the rest of ocifs: a way to read bytes
 * of a file. The merged view provides one (scan/tree_view.h, over src/reader.h),
 * tests and fuzzers provide one over a plain file or a memory buffer.
 * scan/ never sees FUSE, SQLite or tar.
 *
 * How the analyzers (elfinfo, goinfo, upx, rustaudit/pkgnote, script)
 * report trouble, one rule for all:
 *   - they never log; the catalogers (scan/cat_*.c) decide what reaches
 *     stderr;
 *   - the return value is 0 or a negative errno for what stopped the
 *     call itself (-ENOMEM, the reader's error; -EINVAL "not my kind of
 *     file"), as src/err.h says;
 *   - bad or unsupported input is not a failure of the call: it returns
 *     0 and records one human-readable `char *error` in its result
 *     (NULL when all is well; the first reason wins, except UPX, where
 *     the last unpack attempt's reason replaces an earlier one), saying
 *     why the analysis stopped early or what could not be used;
 *   - remarks that are not errors -- the analysis completed, but a
 *     bound cut it or a candidate was skipped -- are a separate `note`
 *     (ldso, ldconf) or flags (the ldso `truncated` bits).
 * deps.json keeps its keys (elf_error, error, reason, ldso_note): the
 * writers map these fields to them.
 */
#ifndef OCIFS_SCAN_RD_H
#define OCIFS_SCAN_RD_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct ocifs_rd {
	/* Read up to n bytes at off: 0 and *got (< n only at end of file) or
	 * a negative errno. */
	int (*read_at)(void *ctx, void *buf, size_t n, uint64_t off, size_t *got);
	void *ctx;
	uint64_t size;          /* file size in bytes */
	const char *name;       /* for messages: the file's path in the image */
	const unsigned char *mem; /* NULL, or all size bytes, in memory for as
				   * long as rd is used (read_at still serves
				   * them: it may keep what was read) */
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

/** Record an analyzer's error (the rule above) in *slot: formatted, cut
 *  to cap - 1 bytes; kept only if *slot is NULL, unless replace. 0, or
 *  -ENOMEM if it cannot be kept. Logs nothing. */
int ocifs_scan_verror(char **slot, int replace, size_t cap, const char *fmt, va_list ap);

#endif
