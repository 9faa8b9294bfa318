/* SPDX-License-Identifier: MIT */
/*
 * For test_tar.c and test_tar_corpus.c: src/tar.c read side by side with
 * libarchive (tar format only, no filters), entry by entry: path, type,
 * mode, ids, names, mtime, size, link target, device numbers, xattrs and
 * every byte of the logical content (holes read as zeros). Ours runs
 * twice: streaming the data through ocifs_tar_read() with no skip() and
 * short reads of varying size (a pipe), and with skip() reading the data
 * back by pread() at data_off, the way the mount does; hdr_off and
 * data_off must match libarchive's header position and consumed bytes.
 * Where we part from libarchive on purpose is listed in exceptions[].
 * Static helpers, like tests/tap.h.
 */
#ifndef OCIFS_TESTS_TAR_DIFF_H
#define OCIFS_TESTS_TAR_DIFF_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "tar.h"

#define DATA_CAP (64u << 20)    /* content bytes kept per entry */

/* Where we part from libarchive 3.6 on purpose, by file name:
 *  X_REJECT  libarchive accepts (often with a warning), we refuse;
 *  X_LA_BUG  libarchive fails on a valid tar; its entries before the
 *            failure must still agree with ours;
 *  X_MODE    libarchive rewrites permission bits from a POSIX.1e ACL
 *            (SCHILY.acl.access), we report the header's mode;
 *  X_SIZE    libarchive takes the GNU "realsize" field of a non-sparse
 *            entry as its size, we (like GNU tar and Go) only for 'S'.
 * Two more differences are rules in rec_eq(): negative PAX times with a
 * fraction, and typeflags libarchive leaves without a file type. */
enum { X_REJECT, X_LA_BUG, X_MODE, X_SIZE };
static const struct {
	const char *file;
	int kind;
	const char *why;
} exceptions[] = {
	{ "pax-nul-path.tar", X_REJECT, "NUL inside a PAX path: libarchive silently cuts the name "
	  "at the NUL, Go's archive/tar (containerd, docker) rejects it; a name that differs "
	  "between readers is refused" },
	{ "pax-nul-xattrs.tar", X_REJECT, "NUL inside a PAX key: libarchive warns and drops the "
	  "rest of the records; a malformed record is -EBADMSG (GNU tar rejects it too)" },
	{ "pax-bad-hdr-file.tar", X_REJECT, "PAX record not ended by a newline: libarchive warns "
	  "and ignores all records; a malformed record is -EBADMSG (GNU tar rejects it too)" },
	{ "test_read_pax_empty_val_no_nl.tar", X_REJECT, "PAX record not ended by a newline: "
	  "libarchive warns and ignores it; -EBADMSG for us (GNU tar rejects it too)" },
	{ "test_read_format_gtar_sparse_skip_entry.tar", X_LA_BUG, "libarchive 3.6 mis-frames a "
	  "GNU 1.0 sparse entry that stores more bytes (4100) than its map covers (4099) and "
	  "reads its data as a header (the bug this libarchive test was added for); GNU tar "
	  "and we read 'a' then 'b'" },
	{ "test_compat_star_acl_posix1e.tar", X_MODE, "libarchive sets group permission bits from "
	  "the ACL's group entry; the header mode (the ACL mask, what GNU tar and Go report) is "
	  "what a mount without ACL support must show" },
	{ "bad-pax-len.tar", X_REJECT, "PAX record length past the payload: libarchive warns and "
	  "ignores the records; malformed records are -EBADMSG" },
	{ "bad-pax-noeq.tar", X_REJECT, "PAX record without '=': libarchive warns and ignores the "
	  "records; malformed records are -EBADMSG" },
	{ "bad-pax-neg-uid.tar", X_REJECT, "PAX uid=-5: libarchive stores a negative uid; negative "
	  "numbers are -EBADMSG" },
	{ "bad-sparse-overflow.tar", X_REJECT, "GNU.sparse.map entry whose offset+length overflows: "
	  "libarchive warns and returns the entry; an overflowing map is -EBADMSG" },
	{ "bad-sparse-exceed.tar", X_REJECT, "GNU.sparse.map wants 40 stored bytes, the entry has "
	  "20: libarchive silently returns a short file; a map past the entry is -EBADMSG" },
	{ "nil-uid.tar", X_SIZE, "an old writer left bytes in the GNU realsize field of a plain "
	  "file; libarchive reports size 2176 for its 14 bytes, GNU tar and Go report 14" },
};

/* Generated bad input and the errno we must return for it. */
static const struct {
	const char *file;
	int err;
} bad_input[] = {
	{ "bad-cksum.tar", -EBADMSG }, { "bad-neg-size.tar", -EBADMSG },
	{ "bad-huge-size.tar", -EBADMSG }, { "bad-trunc-data.tar", -EIO },
	{ "bad-trunc-pax.tar", -EIO }, { "bad-pax-len.tar", -EBADMSG },
	{ "bad-pax-noeq.tar", -EBADMSG }, { "bad-pax-neg-uid.tar", -EBADMSG },
	{ "bad-long-huge.tar", -EBADMSG }, { "bad-sparse-overflow.tar", -EBADMSG },
	{ "bad-sparse-exceed.tar", -EBADMSG }, { "bad-sparse10-map.tar", -EBADMSG },
};

struct seg {
	uint64_t off, len;
	size_t at;              /* into rec.data */
};

struct xa {
	char *key;
	unsigned char *val;
	size_t len;
};

/* One entry as either reader saw it. */
struct rec {
	char *path, *link, *uname, *gname;
	char type;              /* ours: typeflag; libarchive: mapped below */
	int hardlink;           /* libarchive: hardlink target set */
	unsigned mode, devmajor, devminor;
	uint64_t uid, gid, size, hdr_off, data_off, data_len;
	int64_t mtime;
	long nsec;
	struct xa *xa;
	size_t nxa, nseg;
	struct seg *seg;
	unsigned char *data;
	size_t dlen, dcap, scap;
	int data_dropped;       /* over DATA_CAP: content not compared */
};

struct result {
	struct rec *r;
	size_t n;
	int err;                /* 0, ARCHIVE_* < 0, or -errno */
	size_t err_at;          /* entry index of the error */
	int warned;
	char msg[200];
};

static inline char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static inline void rec_free(struct rec *r)
{
	size_t i;

	free(r->path);
	free(r->link);
	free(r->uname);
	free(r->gname);
	for (i = 0; i < r->nxa; i++) {
		free(r->xa[i].key);
		free(r->xa[i].val);
	}
	free(r->xa);
	free(r->seg);
	free(r->data);
}

static inline void result_free(struct result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		rec_free(&res->r[i]);
	free(res->r);
	memset(res, 0, sizeof(*res));
}

static inline struct rec *result_add(struct result *res)
{
	struct rec *r = realloc(res->r, (res->n + 1) * sizeof(*r));

	if (!r)
		abort();
	res->r = r;
	memset(&r[res->n], 0, sizeof(*r));
	return &r[res->n++];
}

/* Append content at logical offset off (kept up to DATA_CAP). */
static inline void rec_data(struct rec *r, uint64_t off, const void *buf, size_t len)
{
	if (len == 0)
		return;
	if (r->data_dropped || r->dlen + len > DATA_CAP) {
		r->data_dropped = 1;
		return;
	}
	if (r->nseg && r->seg[r->nseg - 1].off + r->seg[r->nseg - 1].len == off) {
		r->seg[r->nseg - 1].len += len;
	} else {
		if (r->nseg == r->scap) {
			r->scap = r->scap ? 2 * r->scap : 16;
			r->seg = realloc(r->seg, r->scap * sizeof(*r->seg));
			if (!r->seg)
				abort();
		}
		r->seg[r->nseg++] = (struct seg){ off, len, r->dlen };
	}
	if (r->dlen + len > r->dcap) {
		r->dcap = r->dlen + len > 2 * r->dcap ? r->dlen + len : 2 * r->dcap;
		r->data = realloc(r->data, r->dcap);
		if (!r->data)
			abort();
	}
	memcpy(r->data + r->dlen, buf, len);
	r->dlen += len;
}

/* Add an xattr; on a repeated key keep the first value or take the new
 * one. libarchive lists xattrs newest first and keeps duplicates (bsdtar
 * writes both LIBARCHIVE.xattr and SCHILY.xattr); the last record wins. */
static inline void rec_xattr(struct rec *r, const char *key, const void *val, size_t len,
			     int replace)
{
	size_t i;

	for (i = 0; i < r->nxa; i++)
		if (strcmp(r->xa[i].key, key) == 0)
			break;
	if (i < r->nxa && !replace)
		return;
	if (i == r->nxa) {
		r->xa = realloc(r->xa, (r->nxa + 1) * sizeof(*r->xa));
		if (!r->xa)
			abort();
		r->nxa++;
	} else {
		free(r->xa[i].key);
		free(r->xa[i].val);
	}
	r->xa[i].key = strdup(key);
	r->xa[i].val = malloc(len + 1);
	if (!r->xa[i].key || !r->xa[i].val)
		abort();
	memcpy(r->xa[i].val, val, len);
	r->xa[i].len = len;
}

static inline int xa_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xa *)a)->key, ((const struct xa *)b)->key);
}

/* --- libarchive -------------------------------------------------------- */

static inline int la_fail(int r)
{
	return r != ARCHIVE_OK && r != ARCHIVE_WARN && r != ARCHIVE_EOF;
}

static inline void la_read(const char *file, struct result *res)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r;

	archive_read_support_format_tar(a);
	r = archive_read_open_filename(a, file, 10240);
	while (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *k;
		const void *v;
		size_t len;
		la_int64_t off;
		struct rec *e;

		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN)
			res->warned = 1;
		if (la_fail(r))
			break;
		e = result_add(res);
		e->hdr_off = (uint64_t)archive_read_header_position(a);
		e->data_off = (uint64_t)archive_filter_bytes(a, 0);
		e->path = xstrdup(archive_entry_pathname(ae));
		e->hardlink = archive_entry_hardlink(ae) != NULL;
		e->link = xstrdup(e->hardlink ? archive_entry_hardlink(ae) : archive_entry_symlink(ae));
		switch (archive_entry_filetype(ae)) {
		case AE_IFDIR: e->type = '5'; break;
		case AE_IFLNK: e->type = '2'; break;
		case AE_IFCHR: e->type = '3'; break;
		case AE_IFBLK: e->type = '4'; break;
		case AE_IFIFO: e->type = '6'; break;
		case AE_IFREG: e->type = '0'; break;
		default: e->type = '?'; break;
		}
		e->mode = archive_entry_perm(ae) & 07777;
		e->uid = (uint64_t)archive_entry_uid(ae);
		e->gid = (uint64_t)archive_entry_gid(ae);
		e->uname = xstrdup(archive_entry_uname(ae));
		e->gname = xstrdup(archive_entry_gname(ae));
		e->mtime = archive_entry_mtime(ae);
		e->nsec = archive_entry_mtime_nsec(ae);
		e->size = (uint64_t)archive_entry_size(ae);
		e->devmajor = (unsigned)archive_entry_rdevmajor(ae);
		e->devminor = (unsigned)archive_entry_rdevminor(ae);
		archive_entry_xattr_reset(ae);
		while (archive_entry_xattr_next(ae, &k, &v, &len) == ARCHIVE_OK)
			rec_xattr(e, k, v, len, 0);
		while ((r = archive_read_data_block(a, &v, &len, &off)) == ARCHIVE_OK ||
		       r == ARCHIVE_WARN)
			rec_data(e, (uint64_t)off, v, len);
		if (r == ARCHIVE_EOF)
			r = ARCHIVE_OK;
		else if (la_fail(r))
			e->data_dropped = 1;    /* truncated: content incomplete */
	}
	if (la_fail(r)) {
		res->err = r;
		res->err_at = res->n;
		snprintf(res->msg, sizeof(res->msg), "%s", archive_error_string(a) ?
			 archive_error_string(a) : "(no message)");
	}
	archive_read_free(a);
}

/* --- ours ---------------------------------------------------------------- */

struct fstream {
	int fd;
	uint64_t size, pos;
	const unsigned char *mem;       /* memory stream when set */
	int trickle;                    /* short reads of varying size, like a pipe */
};

static inline int fs_read(void *ctx, void *buf, size_t n, size_t *got)
{
	struct fstream *s = ctx;
	ssize_t k;

	if (s->trickle && n > 1 + (s->pos * 7919) % 5003)
		n = 1 + (s->pos * 7919) % 5003;
	if (s->mem) {
		k = (ssize_t)(s->size - s->pos < n ? s->size - s->pos : n);
		memcpy(buf, s->mem + s->pos, (size_t)k);
	} else {
		k = read(s->fd, buf, n);
		if (k < 0)
			return -errno;
	}
	s->pos += (uint64_t)k;
	*got = (size_t)k;
	return 0;
}

static inline int fs_skip(void *ctx, uint64_t n)
{
	struct fstream *s = ctx;

	if (n > s->size - s->pos)
		return -EIO;
	if (!s->mem && lseek(s->fd, (off_t)n, SEEK_CUR) < 0)
		return -errno;
	s->pos += n;
	return 0;
}

/* Read with our reader. use_skip: give the stream a skip() and read the
 * content by pread() at data_off instead of through ocifs_tar_read(). */
static inline void our_read(struct fstream *s, int use_skip, const char *name,
			    struct result *res)
{
	struct ocifs_stream st = { .read = fs_read, .skip = use_skip ? fs_skip : NULL, .ctx = s };
	static unsigned char buf[1 << 17];
	struct ocifs_tar_entry *e;
	struct ocifs_tar *t;
	int rc = ocifs_tar_new(&st, name, &t);
	size_t i;

	while (rc == 0) {
		struct rec *r;
		uint64_t off = 0, done = 0;

		rc = ocifs_tar_next(t, &e);
		if (rc || !e)
			break;
		r = result_add(res);
		r->path = xstrdup(e->path);
		r->link = xstrdup(e->linkname);
		r->uname = xstrdup(e->uname);
		r->gname = xstrdup(e->gname);
		r->type = e->type;
		r->mode = e->mode;
		r->uid = e->uid;
		r->gid = e->gid;
		r->mtime = e->mtime;
		r->nsec = (long)e->mtime_ns;
		r->size = e->size;
		r->hdr_off = e->hdr_off;
		r->data_off = e->data_off;
		r->data_len = e->data_len;
		r->devmajor = e->devmajor;
		r->devminor = e->devminor;
		for (i = 0; i < e->nxattr; i++)
			rec_xattr(r, e->xattr[i].key, e->xattr[i].val, e->xattr[i].len, 1);
		/* Content: packed bytes laid out by the sparse map. */
		for (i = 0; rc == 0 && done < e->data_len; ) {
			size_t got = 0, want = sizeof(buf), k;

			if (e->data_len - done < want)
				want = (size_t)(e->data_len - done);
			if (!use_skip) {
				rc = ocifs_tar_read(t, buf, want, &got);
				if (rc == 0 && got == 0) {
					diag("%s: ocifs_tar_read ended %" PRIu64 " bytes early", name,
					     e->data_len - done);
					rc = -EPROTO;
				}
				if (rc)
					r->data_dropped = 1;
			} else if (e->data_off + done + want > s->size) {
				rc = -EIO;      /* the next next() must fail */
				r->data_dropped = 1;
				break;
			} else {
				ssize_t n = s->mem ? (ssize_t)want :
					pread(s->fd, buf, want, (off_t)(e->data_off + done));

				if (s->mem)
					memcpy(buf, s->mem + e->data_off + done, want);
				if (n != (ssize_t)want)
					abort();
				got = want;
			}
			for (k = 0; rc == 0 && k < got; ) {
				uint64_t soff = 0, slen = UINT64_MAX, c;

				if (e->nsparse) {
					while (i < e->nsparse && off >= e->sparse[i].len) {
						off = 0;
						i++;
					}
					if (i == e->nsparse)
						break;  /* packed bytes beyond the map */
					soff = e->sparse[i].off;
					slen = e->sparse[i].len;
				}
				c = slen - off < got - k ? slen - off : got - k;
				rec_data(r, soff + off, buf + k, (size_t)c);
				off += c;
				k += c;
			}
			done += got;
		}
		if (rc == -EIO && use_skip)
			rc = 0;
	}
	if (rc) {
		res->err = rc;
		res->err_at = res->n;
		snprintf(res->msg, sizeof(res->msg), "%s", strerror(-rc));
	} else if (ocifs_tar_offset(t) > s->size) {
		res->err = -EPROTO;
		snprintf(res->msg, sizeof(res->msg), "offset %" PRIu64 " past the end",
			 ocifs_tar_offset(t));
	}
	ocifs_tar_free(t);
}

/* --- comparison ---------------------------------------------------------- */

static inline int all_zero(const unsigned char *p, uint64_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* Do the logical contents (segments over zeros) agree? -1 or the offset
 * of the first difference. */
static inline int64_t content_diff(const struct rec *a, const struct rec *b)
{
	uint64_t pos = 0;
	size_t ia = 0, ib = 0;

	for (;;) {
		const unsigned char *pa = NULL, *pb = NULL;
		uint64_t na = UINT64_MAX, nb = UINT64_MAX, next;

		while (ia < a->nseg && a->seg[ia].off + a->seg[ia].len <= pos)
			ia++;
		while (ib < b->nseg && b->seg[ib].off + b->seg[ib].len <= pos)
			ib++;
		if (ia == a->nseg && ib == b->nseg)
			return -1;
		if (ia < a->nseg) {
			const struct seg *s = &a->seg[ia];

			na = s->off > pos ? s->off : s->off + s->len;
			if (s->off <= pos)
				pa = a->data + s->at + (pos - s->off);
		}
		if (ib < b->nseg) {
			const struct seg *s = &b->seg[ib];

			nb = s->off > pos ? s->off : s->off + s->len;
			if (s->off <= pos)
				pb = b->data + s->at + (pos - s->off);
		}
		next = na < nb ? na : nb;
		if ((pa && pb && memcmp(pa, pb, (size_t)(next - pos))) ||
		    (pa && !pb && !all_zero(pa, next - pos)) || (pb && !pa && !all_zero(pb, next - pos)))
			return (int64_t)pos;
		pos = next;
	}
}

static inline int str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Compare entry `o` (ours) with `l` (libarchive); diag the differences. */
static inline int rec_eq(const char *file, size_t idx, const struct rec *l, struct rec *o,
			 int kind)
{
	char want = l->type;
	int64_t lsec = l->mtime;
	long lnsec = l->nsec;
	int bad = 0;
	size_t i;

#define DIFF(...)                                                            \
	do {                                                                 \
		if (bad++ < 6)                                               \
			diag("%s #%zu %s: " __VA_ARGS__);                    \
	} while (0)
	if (l->hardlink)
		want = '1';
	if (!str_eq(l->path, o->path))
		DIFF("path", file, idx, o->path);
	if (l->hdr_off != o->hdr_off || l->data_off != o->data_off)
		DIFF("offsets hdr %" PRIu64 " data %" PRIu64 " vs %" PRIu64 " %" PRIu64, file, idx,
		     o->path, o->hdr_off, o->data_off, l->hdr_off, l->data_off);
	/* libarchive makes unknown typeflags regular files, and leaves 'M'
	 * (GNU multi-volume continuation) without a type. */
	if (o->type != want && !((want == '0' || want == '?') && !strchr("0123456", o->type)) &&
	    !(want == '5' && !strchr("0123456", o->type) && o->path[0] &&
	      o->path[strlen(o->path) - 1] == '/'))
		DIFF("type", file, idx, o->path);
	if (l->mode != o->mode && kind != X_MODE)
		DIFF("mode %o vs %o", file, idx, o->path, o->mode, l->mode);
	if (l->uid != o->uid || l->gid != o->gid)
		DIFF("ids %" PRIu64 ":%" PRIu64, file, idx, o->path, o->uid, o->gid);
	if (!str_eq(l->uname, o->uname) || !str_eq(l->gname, o->gname))
		DIFF("names %s:%s", file, idx, o->path, o->uname, o->gname);
	/* libarchive 3.6 reads PAX "-1.25" as -1 s + 0.25e9 ns, i.e. -0.75 s;
	 * the time meant is -2 s + 0.75e9 ns, which is what we report. */
	if (lsec < 0 && lnsec > 0) {
		lsec--;
		lnsec = 1000000000 - lnsec;
	}
	if (lsec != o->mtime || lnsec != o->nsec)
		DIFF("mtime %" PRId64 ".%09ld vs %" PRId64 ".%09ld", file, idx, o->path, o->mtime,
		     o->nsec, lsec, lnsec);
	if ((o->type == '0' || (o->type == '1' && (o->data_len || l->size))) && l->size != o->size &&
	    kind != X_SIZE)
		DIFF("size %" PRIu64 " vs %" PRIu64, file, idx, o->path, o->size, l->size);
	if ((o->type == '1' || o->type == '2') && !str_eq(l->link, o->link))
		DIFF("link %s vs %s", file, idx, o->path, o->link, l->link);
	if ((o->type == '3' || o->type == '4') &&
	    (l->devmajor != o->devmajor || l->devminor != o->devminor))
		DIFF("dev %u,%u vs %u,%u", file, idx, o->path, o->devmajor, o->devminor,
		     l->devmajor, l->devminor);
	if (o->nxa)
		qsort(o->xa, o->nxa, sizeof(*o->xa), xa_cmp);
	if (l->nxa)
		qsort((void *)l->xa, l->nxa, sizeof(*l->xa), xa_cmp);
	for (i = 0; i < o->nxa || i < l->nxa; i++) {
		if (i >= o->nxa || i >= l->nxa || strcmp(o->xa[i].key, l->xa[i].key) ||
		    o->xa[i].len != l->xa[i].len || memcmp(o->xa[i].val, l->xa[i].val, o->xa[i].len)) {
			DIFF("xattr #%zu", file, idx, o->path, i);
			break;
		}
	}
	if (o->type != '5' && !o->data_dropped && !l->data_dropped) {
		int64_t at = content_diff(l, o);

		if (at >= 0)
			DIFF("content differs at %" PRId64, file, idx, o->path, at);
	}
#undef DIFF
	return bad == 0;
}

static inline int exception_for(const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t i;

	for (i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++)
		if (strcmp(base, exceptions[i].file) == 0)
			return (int)i;
	return -1;
}

static int n_agree, n_both_reject, n_exception;

/* Bad input must come back as one of these. */
static inline int bad_errno(int err)
{
	return err == -EBADMSG || err == -EIO;
}

/* Compare one tar file; `label` names it in TAP, `note` is extra context. */
static inline void check_file(const char *file, const char *label, const char *note)
{
	struct result la = { 0 };
	struct fstream s = { 0 };
	struct stat st;
	int x = exception_for(label), kind = x < 0 ? -1 : exceptions[x].kind, mode;

	la_read(file, &la);
	for (mode = 0; mode < 2; mode++) {
		struct result us = { 0 };
		size_t i, n;
		int same = 1;

		s.fd = open(file, O_RDONLY);
		if (s.fd < 0 || fstat(s.fd, &st)) {
			ok(0, "%s: open: %s", label, strerror(errno));
			continue;
		}
		s.size = (uint64_t)st.st_size;
		s.pos = 0;
		s.trickle = mode == 0;
		our_read(&s, mode, label, &us);
		close(s.fd);
		n = us.n < la.n ? us.n : la.n;
		for (i = 0; i < sizeof(bad_input) / sizeof(bad_input[0]); i++)
			if (strcmp(label, bad_input[i].file) == 0)
				is_int(us.err, bad_input[i].err, "%s [%s]: errno", label,
				       mode ? "skip" : "read");
		if (kind == X_LA_BUG && n)
			n--;    /* libarchive's last entry is already wrong */
		for (i = 0; i < n; i++)
			same &= rec_eq(label, i, &la.r[i], &us.r[i], kind);
		for (i = 0; mode && !us.err && i < us.n; i++)
			if (us.r[i].data_off % 512 || us.r[i].data_off < us.r[i].hdr_off + 512) {
				diag("%s #%zu: bad offsets hdr %" PRIu64 " data %" PRIu64, label, i,
				     us.r[i].hdr_off, us.r[i].data_off);
				same = 0;
			}
		if (kind == X_REJECT || kind == X_LA_BUG) {
			int want = kind == X_REJECT ? !la.err && bad_errno(us.err) : la.err && !us.err && same;

			if (ok(want, "%s [%s]: %s (exception)", label, mode ? "skip" : "read",
			       kind == X_REJECT ? "we reject, libarchive accepts" :
			       "we accept, libarchive fails"))
				diag("  exception: %s", exceptions[x].why);
			else
				diag("  exception no longer holds? libarchive %d (%s), ours %d (%s)",
				     la.err, la.msg, us.err, us.msg);
			n_exception += mode == 0;
		} else if (!la.err && !us.err) {
			if (!ok(same && us.n == la.n, "%s [%s]: %zu entries agree", label,
				mode ? "skip" : "read", us.n))
				diag("  ours %zu entries, libarchive %zu%s", us.n, la.n, note);
			n_agree += mode == 0 && same && us.n == la.n;
			if ((kind == X_MODE || kind == X_SIZE) && mode == 0)
				diag("  exception: %s", exceptions[x].why);
		} else if (la.err && us.err) {
			ok(same && bad_errno(us.err), "%s [%s]: both reject", label, mode ? "skip" : "read");
			diag("  libarchive at #%zu: %s; ours at #%zu: %s%s", la.err_at, la.msg, us.err_at,
			     us.msg, note);
			n_both_reject += mode == 0;
		} else {
			ok(0, "%s [%s]: %s", label, mode ? "skip" : "read",
			   la.err ? "libarchive rejects, we accept" : "we reject, libarchive accepts");
			diag("  libarchive %s at #%zu (%s, warned %d); ours %s at #%zu (%s)%s",
			     la.err ? "error" : "ok", la.err_at, la.msg, la.warned,
			     us.err ? "error" : "ok", us.err_at, us.msg, note);
		}
		result_free(&us);
	}
	result_free(&la);
}

/* --- files to test --------------------------------------------------------- */

struct list {
	char **v;
	size_t n;
};

static inline void list_add(struct list *l, const char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!l->v || !(l->v[l->n] = strdup(s)))
		abort();
	l->n++;
}

static inline int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct list walk_out;
static const char *walk_suffix;

static inline int walk_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t n = strlen(path), k = strlen(walk_suffix);

	(void)st;
	(void)ftw;
	if (flag == FTW_F && n > k && strcmp(path + n - k, walk_suffix) == 0)
		list_add(&walk_out, path);
	return 0;
}

/* Sorted paths under dir ending in suffix. */
static inline void walk(const char *dir, const char *suffix, struct list *out)
{
	walk_suffix = suffix;
	if (nftw(dir, walk_cb, 16, FTW_PHYS) == 0) {
		size_t i;

		for (i = 0; i < walk_out.n; i++)
			list_add(out, walk_out.v[i]);
	}
	list_free(&walk_out);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), str_cmp);
}

/* --- scratch files and the watchdog ---------------------------------------- */

static inline int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void on_alarm(int sig)
{
	static const char msg[] = "not ok - timed out (hang?)\nBail out! timeout\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* Common start of both programs: a watchdog against hangs, a UTF-8
 * locale for libarchive's names, and a scratch directory tmp (a
 * mkdtemp() template). 0, or -1 after a failed check. */
static inline int tar_diff_begin(char *tmp)
{
	signal(SIGALRM, on_alarm);
	alarm(300);
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C");
	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Common end: the tally of check_file() verdicts, tmp removed, the plan. */
static inline int tar_diff_end(const char *tmp)
{
	diag("files: %d agree, %d rejected by both, %d documented exceptions", n_agree,
	     n_both_reject, n_exception);
	nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}

#endif
