/* SPDX-License-Identifier: MIT */
/* The tar reader's state, shared by tar.c and tar_sparse.c only. */
#ifndef OCIFS_SRC_TAR_PRIV_H
#define OCIFS_SRC_TAR_PRIV_H
#include <stddef.h>
#include <stdint.h>

#include "tar.h"

#define TAR_BLK 512u
#define TAR_BUF (64u * 1024)
#define TAR_EXT_MAX (1024u * 1024)      /* x, g, L, K, A payloads */
#define TAR_MAX_HDRS 32                 /* headers per entry */
#define TAR_PAD(n) ((TAR_BLK - (n) % TAR_BLK) % TAR_BLK)

/* Which dialect the last main header looked like; sticky as in libarchive,
 * it decides whether a hardlink's size field means data. */
enum tar_fmt { TAR_V7, TAR_USTAR, TAR_GNU, TAR_PAX };

/* One kind of extension header: payload of its last occurrence and the
 * position of its first one in the chain (0: absent). */
struct tar_ext {
	char *buf;
	size_t len;
	int order;
};

struct ocifs_tar {
	struct ocifs_stream in;
	char *name;
	unsigned char *buf;
	size_t pos, end;        /* unread bytes are buf[pos..end) */
	uint64_t off;           /* stream offset of buf[pos] */
	int eof, done, err;
	enum tar_fmt fmt;
	uint64_t remain;        /* unread data bytes of the current entry */
	uint64_t tail;          /* then this many bytes up to the next header */
	struct ocifs_tar_entry e;
	size_t sparse_cap;
	struct tar_ext lname, llink, pax, acl;
	/* per-entry state while headers are applied */
	int64_t stored;         /* size field: bytes stored after the headers */
	int64_t realsize;       /* logical size from sparse extensions, or -1 */
	int64_t sp_major, sp_minor; /* GNU.sparse.major/minor, or -1 */
};

/* Log one line naming the stream and the entry's first header; return rc. */
int __attribute__((format(printf, 3, 4))) ocifs_tar_fail(struct ocifs_tar *t, int rc, const char *fmt, ...);
#define tar_bad(t, ...) ocifs_tar_fail(t, -EBADMSG, __VA_ARGS__)
/* Make at least `want` (<= TAR_BUF) bytes available unless EOF comes
 * first; the caller checks t->end - t->pos. */
int ocifs_tar_fill(struct ocifs_tar *t, size_t want);
void ocifs_tar_consume(struct ocifs_tar *t, size_t n);
/* Skip n bytes of the stream; running out is truncation (-EIO). */
int ocifs_tar_skip(struct ocifs_tar *t, uint64_t n);
/* A numeric header field (octal or GNU base-256): 0 or -ERANGE. */
int ocifs_tar_num(const unsigned char *p, size_t n, int64_t *out);

/* tar_sparse.c: the GNU sparse dialects' maps. */
/* Append one (offset, length) segment to the entry's map. */
int ocifs_tar_sparse_add(struct ocifs_tar *t, int64_t off, int64_t len);
/* Old GNU sparse descriptors: up to n pairs of 12-byte numeric fields. */
int ocifs_tar_sparse_old(struct ocifs_tar *t, const unsigned char *p, int n);
/* GNU sparse 1.0: read the map off the front of the data area;
 * *stored becomes the bytes of data left after it. */
int ocifs_tar_sparse_10(struct ocifs_tar *t, uint64_t *stored);

#endif
