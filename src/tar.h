/* SPDX-License-Identifier: MIT */
/*
 * Streaming tar reader: pulls an uncompressed tar stream once, front to
 * back, and yields one entry per member with the offset of its data in the
 * stream, so the data can later be read in place. Dialects: v7, ustar, GNU
 * (L/K long names and links, old sparse 'S' with extension headers, base-256
 * numbers), PAX (x/g records: path, linkpath, size, mtime, atime ignored,
 * uid, gid, uname, gname, SCHILY.xattr.*, LIBARCHIVE.xattr.*, GNU sparse
 * 0.0, 0.1 and 1.0). It does no path normalization and no whiteout logic:
 * names come out as stored (minus PAX/GNU indirection).
 *
 * Rejected with -EBADMSG and one logged line naming the stream and header
 * offset: checksum mismatch, negative or overflowing numbers, malformed PAX
 * records, sparse maps that overflow or exceed the entry. Truncated data:
 * -EIO. Not thread-safe; one reader per stream.
 */
#ifndef OCIFS_SRC_TAR_H
#define OCIFS_SRC_TAR_H
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "extent.h" /* struct ocifs_sparse */
#include "src.h"

struct ocifs_xattr {
	char *key;              /* e.g. "user.foo", "security.capability" */
	unsigned char *val;
	size_t len;
};

struct ocifs_tar_entry {
	char *path;             /* as stored, NUL-terminated, never NULL */
	char *linkname;         /* symlink/hardlink target, or NULL */
	char type;              /* typeflag: '0' reg ('\0' and '7' map to
				 * '0'), '1' hardlink, '2' symlink, '3' chr,
				 * '4' blk, '5' dir, '6' fifo; others as is */
	uint32_t mode;          /* permission bits + setuid/gid/sticky (07777) */
	uint64_t uid, gid;
	char *uname, *gname;    /* may be NULL */
	int64_t mtime;          /* seconds */
	uint32_t mtime_ns;      /* PAX sub-second part */
	uint64_t size;          /* logical file size (real size for sparse) */
	uint64_t hdr_off;       /* offset of the first header block (incl.
				 * PAX/GNU extension headers) in the stream */
	uint64_t data_off;      /* offset of the first data byte */
	uint64_t data_len;      /* bytes of data stored in the archive */
	uint32_t devmajor, devminor;
	size_t nxattr;
	struct ocifs_xattr *xattr;
	size_t nsparse;         /* 0 for non-sparse files */
	struct ocifs_sparse *sparse; /* data stored packed at data_off in
				      * map order */
};

/** The S_IFMT type of a typeflag as tar.c reports it; 0 for hardlinks
 *  ('1') and types with no file behind them. */
static inline unsigned ocifs_tar_mode(char type)
{
	switch (type) {
	case '0':
		return S_IFREG;
	case '2':
		return S_IFLNK;
	case '3':
		return S_IFCHR;
	case '4':
		return S_IFBLK;
	case '5':
		return S_IFDIR;
	case '6':
		return S_IFIFO;
	default:
		return 0;
	}
}

/** Whether the first n bytes of a stream (n up to one 512-byte block)
 *  can start a tar archive: a header block whose checksum holds, an
 *  end-of-archive block, or an empty stream. Tells a tar from any other
 *  file before parsing it. */
int ocifs_tar_looks_like(const unsigned char *b, size_t n);

struct ocifs_tar;

/** `name` is used in error messages (e.g. "layer 2 (sha256:ab12…)"). */
int ocifs_tar_new(const struct ocifs_stream *in, const char *name, struct ocifs_tar **out);
/** Next entry: 0 and *e (owned by the reader, valid until the next call),
 *  0 and *e == NULL at the end of the archive (two zero blocks or a clean
 *  EOF at a header boundary), or a negative errno. Skips any data the
 *  caller did not read. */
int ocifs_tar_next(struct ocifs_tar *t, struct ocifs_tar_entry **e);
/** Read the current entry's stored data (data_len bytes in total) in
 *  order: 0 and *got (0 = all read) or a negative errno. */
int ocifs_tar_read(struct ocifs_tar *t, void *buf, size_t n, size_t *got);
/** The same without a copy: *p points at up to n bytes of the data, in the
 *  reader's buffer or (stream with peek) the stream's, valid until the
 *  next call on the reader. */
int ocifs_tar_read_ref(struct ocifs_tar *t, const void **p, size_t n, size_t *got);
/** Stream offset after the last byte consumed (end of archive after the
 *  last next() returned NULL). */
uint64_t ocifs_tar_offset(const struct ocifs_tar *t);
void ocifs_tar_free(struct ocifs_tar *t);

#endif
