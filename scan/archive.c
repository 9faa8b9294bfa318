/* SPDX-License-Identifier: MIT */
/*
 * Zip archives over a struct ocifs_rd (archive_walk.h): libarchive's seekable
 * zip reader (the central directory, as the JVM and Trivy's Go
 * archive/zip read a jar, so data prepended to a jar and entries with
 * trailing data descriptors are handled) fed through archive_read_open
 * callbacks, zero-copy when the rd holds its bytes in memory. The one
 * file of scan/ that includes <archive.h>.
 *
 * libarchive reads the whole central directory into memory before the
 * first entry and offers no bound on it, so the end-of-central-directory
 * record is looked at here first (the same record libarchive's bidder
 * picks: the last "PK\5\6" of the last 16 KiB, and its zip64 locator) to
 * refuse an archive whose directory is bigger than the budget allows.
 *
 * libarchive is loaded on first use (dlopen of the soname configure
 * found), not when ocifs starts: it brings libxml2, ICU and libstdc++,
 * whose loading and relocation were half of what every ocifs command
 * (`ocifs mount` above all, issue #14) spent before main(). Its header
 * gives the types; the functions are called through la below.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_walk.h"
#include "bytes.h"

#define ARC_BUF (64u << 10)             /* read callback's buffer */
#define ARC_MEM_CHUNK (1u << 20)        /* bytes handed out at once from memory */
#define ARC_TAIL (16u << 10)            /* where libarchive looks for the EOCD */
#define ARC_ERR_CAP 256u
#define ARC_RETRIES 4                   /* ARCHIVE_RETRY headers before giving up */

#ifndef OCIFS_LIBARCHIVE_SONAME
#define OCIFS_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

/* The libarchive functions used here, resolved once by la_load(). */
#define LA_FUNCS(X)                                                                         \
	X(archive_set_error) X(archive_error_string) X(archive_errno) X(archive_read_new)  \
	X(archive_read_support_format_zip_seekable) X(archive_read_set_callback_data)      \
	X(archive_read_set_read_callback) X(archive_read_set_seek_callback)                \
	X(archive_read_set_skip_callback) X(archive_read_open1) X(archive_read_next_header) \
	X(archive_entry_pathname_utf8) X(archive_entry_pathname) X(archive_entry_size_is_set) \
	X(archive_entry_size) X(archive_entry_filetype) X(archive_read_free) X(archive_read_data)

#define LA_MEMBER(f) __typeof__(f) *f;
static struct {
	LA_FUNCS(LA_MEMBER)
} la;
#define LA_NAME(f) #f,
static const char *const la_names[] = { LA_FUNCS(LA_NAME) };
static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static char la_error[256]; /* empty once loaded */

/* dlopen libarchive and fill la (once, under la_once; the handle stays
 * open for the life of the process). */
static void la_load(void)
{
	void *h = dlopen(OCIFS_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL), **slot = (void **)&la;
	const char *e;

	_Static_assert(sizeof(la) == sizeof(la_names) / sizeof(la_names[0]) * sizeof(void *),
		       "one pointer per name");
	if (!h) {
		e = dlerror();
		snprintf(la_error, sizeof(la_error), "%s", e ? e : OCIFS_LIBARCHIVE_SONAME);
		return;
	}
	for (size_t i = 0; i < sizeof(la_names) / sizeof(la_names[0]); i++) {
		void *f = dlsym(h, la_names[i]);
		if (!f) {
			snprintf(la_error, sizeof(la_error), "%s: no %s", OCIFS_LIBARCHIVE_SONAME,
				 la_names[i]);
			memset(&la, 0, sizeof(la));
			return;
		}
		memcpy(&slot[i], &f, sizeof(f));
	}
}

struct ocifs_archive_walk {
	struct archive *a;
	const struct ocifs_rd *rd;
	struct ocifs_archive_budget *b;
	uint64_t pos;
	unsigned char *buf;     /* ARC_BUF, when rd is not in memory */
	int read_rc;            /* the rd's error, if it failed */
	uint64_t cur_size;      /* the current entry's declared size, or UINT64_MAX */
	char msg[ARC_ERR_CAP];
};

static void arc_error(char **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ocifs_scan_verror(error, 0, ARC_ERR_CAP, fmt, ap);
	va_end(ap);
}

/* --- libarchive's view of the rd ----------------------------------- */

static la_ssize_t arc_read(struct archive *a, void *ctx, const void **out)
{
	struct ocifs_archive_walk *w = ctx;
	const struct ocifs_rd *rd = w->rd;
	size_t got = 0;
	int rc;

	if (w->pos >= rd->size)
		return 0;
	if (rd->mem) {
		uint64_t n = rd->size - w->pos;
		if (n > ARC_MEM_CHUNK)
			n = ARC_MEM_CHUNK;
		*out = rd->mem + w->pos;
		w->pos += n;
		return (la_ssize_t)n;
	}
	if ((rc = ocifs_rd_upto(rd, w->buf, ARC_BUF, w->pos, &got))) {
		w->read_rc = rc;
		la.archive_set_error(a, -rc, "read error at %llu", (unsigned long long)w->pos);
		return -1;
	}
	*out = w->buf;
	w->pos += got;
	return (la_ssize_t)got;
}

static la_int64_t arc_seek(struct archive *a, void *ctx, la_int64_t off, int whence)
{
	struct ocifs_archive_walk *w = ctx;
	la_int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (la_int64_t)w->pos
								      : (la_int64_t)w->rd->size;

	(void)a;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return ARCHIVE_FATAL;
	w->pos = (uint64_t)(base + off);
	if (w->pos > w->rd->size)
		w->pos = w->rd->size;
	return (la_int64_t)w->pos;
}

static la_int64_t arc_skip(struct archive *a, void *ctx, la_int64_t n)
{
	struct ocifs_archive_walk *w = ctx;
	uint64_t left = w->rd->size - (w->pos < w->rd->size ? w->pos : w->rd->size);

	(void)a;
	if (n <= 0)
		return 0;
	if ((uint64_t)n > left)
		n = (la_int64_t)left;
	w->pos += (uint64_t)n;
	return n;
}

/* --- the central directory's bound ----------------------------------- */

/* Does the central directory fit the budget? 0 yes (or no EOCD here:
 * libarchive will refuse the archive itself), 1 no (why in *error), or
 * the rd's error. */
static int arc_cd_check(const struct ocifs_rd *rd, const struct ocifs_archive_budget *b,
			char **error)
{
	unsigned char tail[ARC_TAIL], z[56];
	uint64_t toff, entries, start, cdsize;
	size_t n = rd->size < ARC_TAIL ? (size_t)rd->size : ARC_TAIL, i;
	int rc;

	if (n < 22)
		return 0;
	toff = rd->size - n;
	if ((rc = ocifs_rd_full(rd, tail, n, toff)))
		return rc;
	for (i = n - 22; i > 0; i--)
		if (!memcmp(tail + i, "PK\5\6", 4))
			break;
	if (!i)
		return 0;
	entries = ocifs_le16(tail + i + 10);
	cdsize = ocifs_le32(tail + i + 12);
	start = cdsize <= toff + i ? toff + i - cdsize : 0;
	if (i >= 20 && !memcmp(tail + i - 20, "PK\6\7", 4)) {
		uint64_t zoff = ocifs_le64(tail + i - 20 + 8);
		if (zoff < rd->size && rd->size - zoff >= sizeof(z)) {
			if ((rc = ocifs_rd_full(rd, z, sizeof(z), zoff)))
				return rc;
			if (!memcmp(z, "PK\6\6", 4)) {
				uint64_t e64 = ocifs_le64(z + 32), off64 = ocifs_le64(z + 48);
				if (e64 > entries)
					entries = e64;
				if (off64 < start)
					start = off64;
			}
		}
	}
	if (entries > b->cd_entries) {
		arc_error(error, "zip central directory lists %llu entries, more than %llu",
			  (unsigned long long)entries, (unsigned long long)b->cd_entries);
		return 1;
	}
	if (rd->size - start > b->cd_bytes) {
		arc_error(error, "zip central directory spans %llu bytes, more than %llu",
			  (unsigned long long)(rd->size - start), (unsigned long long)b->cd_bytes);
		return 1;
	}
	return 0;
}

/* --- the walk -------------------------------------------------------- */

static int arc_stopped(const struct ocifs_archive_budget *b)
{
	return b->stop && b->stop(b->stop_ctx);
}

/* Why libarchive stopped: the rd's error is the caller's, the rest is a
 * reason about the data. */
static int arc_fail(struct ocifs_archive_walk *w, const char *what, char **error)
{
	const char *s = la.archive_error_string(w->a);

	if (w->read_rc == -ENOMEM || la.archive_errno(w->a) == ENOMEM)
		return -ENOMEM;
	arc_error(error, "%s: %s", what, s ? s : "unreadable");
	return 0;
}

const char *ocifs_archive_unavailable(void)
{
	pthread_once(&la_once, la_load);
	return *la_error ? la_error : NULL;
}

int ocifs_archive_walk(const struct ocifs_rd *rd, struct ocifs_archive_budget *b,
		       ocifs_archive_cb cb, void *ctx, char **error)
{
	struct ocifs_archive_walk w = { .rd = rd, .b = b };
	struct archive_entry *ent;
	int rc, retries = 0;

	if ((rc = arc_cd_check(rd, b, error))) {
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			arc_error(error, "read: %s", strerror(-rc));
		return 0;
	}
	pthread_once(&la_once, la_load);
	if (*la_error) {
		arc_error(error, "libarchive: %s", la_error);
		return 0;
	}
	if (!rd->mem && !(w.buf = malloc(ARC_BUF)))
		return -ENOMEM;
	if (!(w.a = la.archive_read_new())) {
		free(w.buf);
		return -ENOMEM;
	}
	rc = la.archive_read_support_format_zip_seekable(w.a);
	if (rc == ARCHIVE_OK)
		rc = la.archive_read_set_callback_data(w.a, &w);
	if (rc == ARCHIVE_OK)
		rc = la.archive_read_set_read_callback(w.a, arc_read);
	if (rc == ARCHIVE_OK)
		rc = la.archive_read_set_seek_callback(w.a, arc_seek);
	if (rc == ARCHIVE_OK)
		rc = la.archive_read_set_skip_callback(w.a, arc_skip);
	if (rc == ARCHIVE_OK)
		rc = la.archive_read_open1(w.a);
	if (rc != ARCHIVE_OK) {
		rc = arc_fail(&w, "not a readable zip archive", error);
		goto out;
	}
	for (;;) {
		if (arc_stopped(b)) {
			arc_error(error, "stopped");
			rc = 0;
			break;
		}
		rc = la.archive_read_next_header(w.a, &ent);
		if (rc == ARCHIVE_EOF) {
			rc = 0;
			break;
		}
		if (rc == ARCHIVE_RETRY && ++retries <= ARC_RETRIES)
			continue;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			rc = arc_fail(&w, "zip entry", error);
			break;
		}
		if (!b->entries) {
			arc_error(error, "too many zip entries");
			rc = 0;
			break;
		}
		b->entries--;
		const char *name = la.archive_entry_pathname_utf8(ent);
		if (!name)
			name = la.archive_entry_pathname(ent);
		if (!name || !*name || strlen(name) > OCIFS_ARCHIVE_NAME_MAX)
			continue;
		struct ocifs_archive_entry e = {
			.name = name,
			.size = la.archive_entry_size_is_set(ent) && la.archive_entry_size(ent) >= 0
					? (uint64_t)la.archive_entry_size(ent) : UINT64_MAX,
			.regular = la.archive_entry_filetype(ent) == AE_IFREG,
		};
		w.cur_size = e.size;
		if ((rc = cb(ctx, &e, &w)))
			break;
	}
out:
	la.archive_read_free(w.a);
	free(w.buf);
	return rc;
}

int ocifs_archive_read(struct ocifs_archive_walk *w, size_t max, unsigned char **buf, size_t *len)
{
	size_t cap, n = 0;
	unsigned char *p;
	*buf = NULL;
	*len = 0;
	w->msg[0] = '\0';
	if (max >= SIZE_MAX - 1)
		max = SIZE_MAX - 2;
	/* room for the declared size (checked as the data comes) */
	cap = w->cur_size == UINT64_MAX ? 4096 : w->cur_size < max ? (size_t)w->cur_size + 1 : max + 1;
	if (cap > max + 1)
		cap = max + 1;
	if (cap > 4096 && cap > w->b->bytes)
		cap = 4096;
	if (!(p = malloc(cap + 1)))
		return -ENOMEM;
	for (;;) {
		if (arc_stopped(w->b)) {
			free(p);
			return -EINTR;
		}
		if (n == cap) {
			if (n > max) {
				free(p);
				return -EFBIG;
			}
			size_t ncap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			unsigned char *q = realloc(p, ncap + 1);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap = ncap;
		}
		size_t want = cap - n;
		if (want > w->b->bytes)
			want = (size_t)w->b->bytes;
		if (!want) {
			free(p);
			return -EDQUOT;
		}
		la_ssize_t r = la.archive_read_data(w->a, p + n, want);
		if (r < 0) {
			const char *s = la.archive_error_string(w->a);
			snprintf(w->msg, sizeof(w->msg), "%s", s ? s : "unreadable data");
			free(p);
			return w->read_rc == -ENOMEM || la.archive_errno(w->a) == ENOMEM ? -ENOMEM
										 : -EBADMSG;
		}
		if (!r)
			break;
		w->b->bytes -= (uint64_t)r;
		n += (size_t)r;
	}
	if (n > max) {
		free(p);
		return -EFBIG;
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

const char *ocifs_archive_strerror(const struct ocifs_archive_walk *w)
{
	return w->msg[0] ? w->msg : "no error";
}
