/* SPDX-License-Identifier: MIT */
/*
 * Streaming tar reader (see tar.h). Pulls the stream through a 64 KiB
 * buffer, tracks the absolute offset of every byte, and assembles one
 * entry from its extension headers (x, L, K; g, V and A are read and
 * dropped) and its main header. Where tar dialects are ambiguous it
 * follows libarchive, the oracle of tests/unit/test_tar.c: the last of
 * repeated x/L/K headers wins, extension headers apply innermost first,
 * header sizes of symlinks, devices, FIFOs, old-style directories ("name/")
 * and (outside PAX) hardlinks are ignored, PAX global headers are checked
 * but not applied (as libarchive 3.6 and Go's archive/tar, hence docker and
 * containerd, do), and numeric fields are read leniently, except that
 * negative or overflowing values are rejected. It is stricter than
 * libarchive on malformed PAX records and sparse maps (see the test's
 * exception list). PAX records themselves are parsed in pax.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pax.h"
#include "tar.h"
#include "tar_priv.h"

/* Log one line naming the stream and the entry's first header; return rc. */
int ocifs_tar_fail(struct ocifs_tar *t, int rc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s: %s (entry header at offset %" PRIu64 ")", t->name, msg, t->e.hdr_off);
	return rc;
}

/* --- buffered stream ------------------------------------------------- */

/* Make at least `want` (<= TAR_BUF) bytes available unless EOF comes
 * first; the caller checks t->end - t->pos. */
int ocifs_tar_fill(struct ocifs_tar *t, size_t want)
{
	while (t->end - t->pos < want && !t->eof) {
		size_t got = 0;
		int rc;

		if (t->pos) {
			memmove(t->buf, t->buf + t->pos, t->end - t->pos);
			t->end -= t->pos;
			t->pos = 0;
		}
		rc = t->in.read(t->in.ctx, t->buf + t->end, TAR_BUF - t->end, &got);
		if (rc)
			return rc;
		if (got == 0)
			t->eof = 1;
		t->end += got;
	}
	return 0;
}

void ocifs_tar_consume(struct ocifs_tar *t, size_t n)
{
	t->pos += n;
	t->off += n;
}

/* Skip n bytes of the stream; running out is truncation (-EIO). */
int ocifs_tar_skip(struct ocifs_tar *t, uint64_t n)
{
	while (n) {
		size_t k;

		if (t->pos == t->end) {
			int rc;

			if (t->in.skip && !t->eof) {
				rc = t->in.skip(t->in.ctx, n);
				if (rc == -EIO)
					return ocifs_tar_fail(t, rc, "truncated: %" PRIu64 " bytes missing", n);
				if (rc == 0)
					t->off += n;
				return rc;
			}
			rc = ocifs_tar_fill(t, 1);
			if (rc)
				return rc;
			if (t->pos == t->end)
				return ocifs_tar_fail(t, -EIO, "truncated: %" PRIu64 " bytes missing", n);
		}
		k = t->end - t->pos < n ? t->end - t->pos : (size_t)n;
		ocifs_tar_consume(t, k);
		n -= k;
	}
	return 0;
}

/* Read one 512-byte block into blk: 0, 1 at a clean EOF, or -errno. */
static int tar_block(struct ocifs_tar *t, unsigned char *blk)
{
	int rc = ocifs_tar_fill(t, TAR_BLK);

	if (rc)
		return rc;
	if (t->pos == t->end)
		return 1;
	if (t->end - t->pos < TAR_BLK)
		return ocifs_tar_fail(t, -EIO, "truncated header at offset %" PRIu64, t->off);
	memcpy(blk, t->buf + t->pos, TAR_BLK);
	ocifs_tar_consume(t, TAR_BLK);
	return 0;
}

/* --- numbers and strings --------------------------------------------- */

/* A numeric header field: octal (leading blanks, optional '-', digits
 * ended by a NUL, a blank or the field's end) or GNU base-256. 0 or
 * -ERANGE. A digit run ended by anything else ("12x45") is refused as GNU
 * tar refuses it, where libarchive would read 012. */
int ocifs_tar_num(const unsigned char *p, size_t n, int64_t *out)
{
	size_t i = 0;
	int64_t v = 0;
	int neg = 0;

	if (p[0] & 0x80) {
		unsigned char sign = (p[0] & 0x40) ? 0xff : 0;
		uint64_t u = sign ? UINT64_MAX : 0;
		unsigned char c = (unsigned char)(sign ? p[0] | 0x80 : p[0] & 0x7f);

		for (; n > 8; n--, c = *++p)
			if (c != sign)
				return -ERANGE;
		if ((c ^ sign) & 0x80)
			return -ERANGE;
		for (; n > 1; n--, c = *++p)
			u = u << 8 | c;
		*out = (int64_t)(u << 8 | c);
		return 0;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n && p[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v > (INT64_MAX >> 3))
			return -ERANGE;
		v = v << 3 | (p[i] - '0');
	}
	if (i < n && p[i] != '\0' && p[i] != ' ')
		return -ERANGE; /* what follows the terminator is not read */
	*out = neg ? -v : v;
	return 0;
}

/* A field that must be >= 0 (and <= max). */
static int tar_unum(struct ocifs_tar *t, const unsigned char *p, size_t n, uint64_t max,
		    const char *what, uint64_t *out)
{
	int64_t v;

	if (ocifs_tar_num(p, n, &v) || v < 0 || (uint64_t)v > max)
		return tar_bad(t, "bad %s field", what);
	*out = (uint64_t)v;
	return 0;
}

/* Replace *dst with a copy of s[0..n) cut at the first NUL. */
static int tar_setstr(char **dst, const void *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *c = malloc(len + 1);

	if (!c)
		return -ENOMEM;
	memcpy(c, s, len);
	c[len] = '\0';
	free(*dst);
	*dst = c;
	return 0;
}

/* --- xattrs and PAX records ------------------------------------------ */

/* Move a string from the PAX attributes over the entry's, if given. */
static void tar_take(char **dst, char **src)
{
	if (*src) {
		free(*dst);
		*dst = *src;
		*src = NULL;
	}
}

/* Apply the entry's x records over what its header said. */
static int tar_pax_merge(struct ocifs_tar *t)
{
	struct ocifs_tar_entry *e = &t->e;
	struct ocifs_pax_attrs a;
	int rc = ocifs_pax_parse(t->pax.buf, t->pax.len, t->name, e->hdr_off, &a);

	if (rc)
		goto out;
	tar_take(&e->path, a.sparse_name ? &a.sparse_name : &a.path);
	tar_take(&e->linkname, &a.linkpath);
	tar_take(&e->uname, &a.uname);
	tar_take(&e->gname, &a.gname);
	if (a.has_uid)
		e->uid = a.uid;
	if (a.has_gid)
		e->gid = a.gid;
	if (a.has_size)
		t->stored = (int64_t)a.size;
	if (a.has_mtime) {
		e->mtime = a.mtime;
		e->mtime_ns = a.mtime_ns;
	}
	if (a.has_devmajor)
		e->devmajor = a.devmajor;
	if (a.has_devminor)
		e->devminor = a.devminor;
	if (a.realsize >= 0)
		t->realsize = a.realsize;
	if (a.sparse_major >= 0)
		t->sp_major = a.sparse_major;
	if (a.sparse_minor >= 0)
		t->sp_minor = a.sparse_minor;
	if (a.has_map) {
		free(e->sparse);
		e->sparse = a.map;
		e->nsparse = a.nmap;
		t->sparse_cap = a.mapcap;
		a.map = NULL;
	}
	e->xattr = a.xattr;
	e->nxattr = a.nxattr;
	a.xattr = NULL;
	a.nxattr = 0;
out:
	ocifs_pax_attrs_free(&a);
	return rc;
}

/* --- headers --------------------------------------------------------- */

static int tar_is_zero(const unsigned char *b)
{
	size_t i;

	for (i = 0; i < TAR_BLK; i++)
		if (b[i])
			return 0;
	return 1;
}

/* The checksum field is octal; it may match the unsigned byte sum or, for
 * old BSD/Solaris writers, the signed one. The unsigned sum is taken 8
 * bytes at a time (SWAR: four 16-bit lanes per word, which 64 words of at
 * most 2 * 255 each cannot overflow) over a copy whose checksum field is
 * blanked: this runs once per member, and a byte loop with a branch per
 * byte was the one per-entry cost of the cold index besides hashing
 * (~4.6k instructions a header, now ~0.4k). The signed sum, needed only
 * when the unsigned one does not match, is the unsigned one minus 256 for
 * every byte >= 0x80. */
static int tar_cksum_ok(const unsigned char *h)
{
	const uint64_t lo = 0x00ff00ff00ff00ffull, hi = 0x0101010101010101ull;
	unsigned char b[TAR_BLK];
	uint64_t acc = 0, high = 0, w;
	int64_t want, us;
	size_t i;

	for (i = 148; i < 156; i++)
		if (h[i] != ' ' && h[i] && (h[i] < '0' || h[i] > '7'))
			return 0;
	if (ocifs_tar_num(h + 148, 8, &want))
		return 0;
	memcpy(b, h, TAR_BLK);
	memset(b + 148, ' ', 8);
	for (i = 0; i < TAR_BLK; i += 8) {
		memcpy(&w, b + i, 8);
		acc += (w & lo) + ((w >> 8) & lo);
	}
	acc = (acc & 0xffff) + ((acc >> 16) & 0xffff) + ((acc >> 32) & 0xffff) + (acc >> 48);
	us = (int64_t)acc;
	if (want == us)
		return 1;
	for (i = 0; i < TAR_BLK; i += 8) { /* bytes >= 0x80: 8 per word at most */
		memcpy(&w, b + i, 8);
		high += (w >> 7) & hi;
	}
	/* each byte lane <= 64; pair them into 16-bit lanes, then add those */
	high = (high & lo) + ((high >> 8) & lo);
	high = (high * 0x0001000100010001ull) >> 48;
	return want == us - 256 * (int64_t)high;
}

int ocifs_tar_looks_like(const unsigned char *b, size_t n)
{
	if (n == 0)
		return 1;
	return n >= TAR_BLK && (tar_is_zero(b) || tar_cksum_ok(b));
}

/* Read an extension header's payload (NUL-terminated) into x. */
static int tar_ext_read(struct ocifs_tar *t, const unsigned char *h, struct tar_ext *x, int order)
{
	uint64_t got = 0;
	int64_t size;
	char *b;
	int rc;

	if (ocifs_tar_num(h + 124, 12, &size) || size < 0)
		return tar_bad(t, "bad extension header size");
	if (size > TAR_EXT_MAX)
		return tar_bad(t, "extension header of %" PRId64 " bytes (limit %u)", size, TAR_EXT_MAX);
	b = malloc((size_t)size + 1);
	if (!b)
		return -ENOMEM;
	for (rc = 0; rc == 0 && got < (uint64_t)size; ) {
		size_t k;

		rc = ocifs_tar_fill(t, size - got < TAR_BUF ? (size_t)(size - got) : TAR_BUF);
		k = t->end - t->pos < size - got ? t->end - t->pos : (size_t)(size - got);
		if (rc == 0 && k == 0)
			rc = ocifs_tar_fail(t, -EIO, "truncated extension header");
		memcpy(b + got, t->buf + t->pos, k);
		ocifs_tar_consume(t, k);
		got += k;
	}
	b[size] = '\0';
	if (rc == 0)
		rc = ocifs_tar_skip(t, TAR_PAD((uint64_t)size));
	if (rc) {
		free(b);
		return rc;
	}
	free(x->buf);
	x->buf = b;
	x->len = (size_t)size;
	if (!x->order)
		x->order = order;
	return 0;
}

/* A global PAX header: its records must be well-formed, but (like
 * libarchive 3.6 and Go's archive/tar, hence docker and containerd) we do
 * not apply them to the following entries. */
static int tar_global(struct ocifs_tar *t, const unsigned char *h)
{
	struct tar_ext g = { 0 };
	struct ocifs_pax_attrs a;
	int rc = tar_ext_read(t, h, &g, 1);

	if (rc == 0) {
		rc = ocifs_pax_parse(g.buf, g.len, t->name, t->e.hdr_off, &a);
		ocifs_pax_attrs_free(&a);
	}
	free(g.buf);
	return rc;
}

/* Parse the main header block h into t->e and t->stored. */
static int tar_header(struct ocifs_tar *t, const unsigned char *h)
{
	struct ocifs_tar_entry *e = &t->e;
	int gnu = memcmp(h + 257, "ustar  \0", 8) == 0;
	int ustar = !gnu && memcmp(h + 257, "ustar", 5) == 0;
	char type = (char)h[156];
	uint64_t u = 0;
	int64_t v;
	int rc = 0;

	if (gnu)
		t->fmt = TAR_GNU;
	else if (!ustar)
		t->fmt = TAR_V7;
	else if (t->fmt != TAR_PAX)
		t->fmt = TAR_USTAR;
	if (ustar && h[345]) {
		size_t pl = strnlen((const char *)h + 345, 155), nl = strnlen((const char *)h, 100);

		e->path = malloc(pl + nl + 2);
		if (!e->path)
			return -ENOMEM;
		memcpy(e->path, h + 345, pl);
		if (e->path[pl - 1] != '/')
			e->path[pl++] = '/';
		memcpy(e->path + pl, h, nl);
		e->path[pl + nl] = '\0';
	} else {
		rc = tar_setstr(&e->path, h, 100);
	}
	if (rc == 0 && h[157])
		rc = tar_setstr(&e->linkname, h + 157, 100);
	if (rc == 0 && (gnu || ustar) && h[265])
		rc = tar_setstr(&e->uname, h + 265, 32);
	if (rc == 0 && (gnu || ustar) && h[297])
		rc = tar_setstr(&e->gname, h + 297, 32);
	if (rc)
		return rc;
	if (ocifs_tar_num(h + 100, 8, &v) == 0)
		e->mode = (uint32_t)v & 07777;
	if ((rc = tar_unum(t, h + 108, 8, INT64_MAX, "uid", &e->uid)) ||
	    (rc = tar_unum(t, h + 116, 8, INT64_MAX, "gid", &e->gid)) ||
	    (rc = tar_unum(t, h + 124, 12, INT64_MAX, "size", &u)))
		return rc;
	t->stored = (int64_t)u;
	if (ocifs_tar_num(h + 136, 12, &e->mtime))
		return tar_bad(t, "bad mtime field");
	if ((gnu || ustar) && (type == '3' || type == '4')) {
		if ((rc = tar_unum(t, h + 329, 8, UINT32_MAX, "devmajor", &u)))
			return rc;
		e->devmajor = (uint32_t)u;
		if ((rc = tar_unum(t, h + 337, 8, UINT32_MAX, "devminor", &u)))
			return rc;
		e->devminor = (uint32_t)u;
	}
	/* Sizes that do not mean data (libarchive's header_common). */
	if ((type >= '2' && type <= '6') || (type == '1' && t->fmt != TAR_PAX))
		t->stored = 0;
	e->type = type;
	if (!gnu || type != 'S')
		return 0;
	if (h[483]) {
		if ((rc = tar_unum(t, h + 483, 12, INT64_MAX, "realsize", &u)))
			return rc;
		t->realsize = (int64_t)u;
	}
	if (h[386]) {
		unsigned char blk[TAR_BLK];
		int ext = h[482];

		rc = ocifs_tar_sparse_old(t, h + 386, 4);
		while (rc == 0 && ext) {
			rc = tar_block(t, blk);
			if (rc == 1)
				rc = ocifs_tar_fail(t, -EIO, "truncated GNU sparse header");
			if (rc == 0)
				rc = ocifs_tar_sparse_old(t, blk, 21);
			ext = blk[504];
		}
	}
	return rc;
}

/* Settle type, size, sparse map and data layout of a parsed entry. */
static int tar_finish(struct ocifs_tar *t)
{
	struct ocifs_tar_entry *e = &t->e;
	size_t plen = strlen(e->path), i;
	uint64_t stored = (uint64_t)t->stored, end = 0, sum = 0;
	int rc;

	t->tail = stored + TAR_PAD(stored);
	if (e->type == '\0' || e->type == '7' || e->type == 'S')
		e->type = '0';
	if (e->type == '0' && plen && e->path[plen - 1] == '/') {
		/* Old tars' directories; their size field means nothing. */
		e->type = '5';
		t->tail = 0;
	}
	if (e->type == 'D')     /* GNU dumpdir: the listing is skipped */
		e->type = '5';
	if (e->type != '0')
		e->nsparse = 0;
	if (e->type == '0' && (t->sp_major >= 0 || t->sp_minor >= 0)) {
		if (t->sp_major != 1 || t->sp_minor > 0)
			return tar_bad(t, "unsupported GNU sparse format %" PRId64 ".%" PRId64,
				       t->sp_major, t->sp_minor);
		rc = ocifs_tar_sparse_10(t, &stored);
		if (rc)
			return rc;
		t->tail = stored + TAR_PAD(stored);
	}
	e->data_off = t->off;
	if (e->type == '5') {
		e->data_len = e->size = 0;
		return 0;
	}
	e->data_len = e->size = stored;
	t->remain = stored;
	t->tail -= stored;
	if (e->type != '0')
		return 0;
	if (t->realsize >= 0)
		e->size = (uint64_t)t->realsize;
	if (e->nsparse == 0 && e->size != stored && (rc = ocifs_tar_sparse_add(t, 0, (int64_t)stored)))
		return rc;
	for (i = 0; i < e->nsparse; i++) {
		const struct ocifs_sparse *s = &e->sparse[i];

		sum += s->len;
		if (s->off < end || s->off + s->len > e->size || sum > stored)
			return tar_bad(t, "sparse map entry %zu (%" PRIu64 "+%" PRIu64 ") out of order "
				       "or beyond the entry", i, s->off, s->len);
		end = s->off + s->len;
	}
	return 0;
}

/* Read the headers of one entry: 0, 1 at the end of the archive, or -errno. */
static int tar_entry(struct ocifs_tar *t)
{
	struct ocifs_tar_entry *e = &t->e;
	unsigned char h[TAR_BLK];
	int nhdr = 0, next = 0, rc, k;

	e->hdr_off = t->off;
	for (;;) {
		rc = tar_block(t, h);
		if (rc < 0)
			return rc;
		if (rc == 1 && next)
			return ocifs_tar_fail(t, -EIO, "truncated after an extension header");
		if (rc == 1)
			return 1;
		if (tar_is_zero(h)) {
			if (next)
				return tar_bad(t, "end-of-archive block after an extension header");
			/* Consume the second zero block if there is one. */
			rc = ocifs_tar_fill(t, TAR_BLK);
			if (rc == 0 && t->end - t->pos >= TAR_BLK)
				ocifs_tar_consume(t, TAR_BLK);
			return rc ? rc : 1;
		}
		if (!tar_cksum_ok(h))
			return tar_bad(t, "header checksum mismatch at offset %" PRIu64, t->off - TAR_BLK);
		if (++nhdr > TAR_MAX_HDRS)
			return tar_bad(t, "too many extension headers");
		switch (h[156]) {
		case 'x':
		case 'X':
			t->fmt = TAR_PAX;
			rc = tar_ext_read(t, h, &t->pax, ++next);
			break;
		case 'L':
			rc = tar_ext_read(t, h, &t->lname, ++next);
			break;
		case 'K':
			rc = tar_ext_read(t, h, &t->llink, ++next);
			break;
		case 'A':       /* Solaris ACL: dropped */
			rc = tar_ext_read(t, h, &t->acl, ++next);
			break;
		case 'g':
			t->fmt = TAR_PAX;
			rc = tar_global(t, h);
			break;
		case 'V':       /* GNU volume label: its size is ignored */
			rc = 0;
			break;
		default:
			goto main;
		}
		if (rc)
			return rc;
	}
main:
	rc = tar_header(t, h);
	/* Innermost extension first, so the outermost one wins. */
	for (k = next; rc == 0 && k > 0; k--) {
		if (t->lname.order == k)
			rc = tar_setstr(&e->path, t->lname.buf, t->lname.len);
		else if (t->llink.order == k)
			rc = tar_setstr(&e->linkname, t->llink.buf, t->llink.len);
		else if (t->pax.order == k)
			rc = tar_pax_merge(t);
	}
	return rc ? rc : tar_finish(t);
}

static void tar_ext_clear(struct tar_ext *x)
{
	free(x->buf);
	memset(x, 0, sizeof(*x));
}

static void tar_entry_clear(struct ocifs_tar *t)
{
	struct ocifs_tar_entry *e = &t->e;
	struct ocifs_sparse *sparse = e->sparse;
	size_t i;

	free(e->path);
	free(e->linkname);
	free(e->uname);
	free(e->gname);
	for (i = 0; i < e->nxattr; i++) {
		free(e->xattr[i].key);
		free(e->xattr[i].val);
	}
	free(e->xattr);
	memset(e, 0, sizeof(*e));
	e->sparse = sparse;
	tar_ext_clear(&t->lname);
	tar_ext_clear(&t->llink);
	tar_ext_clear(&t->pax);
	tar_ext_clear(&t->acl);
	t->stored = 0;
	t->realsize = t->sp_major = t->sp_minor = -1;
}

/* --- API ------------------------------------------------------------- */

int ocifs_tar_new(const struct ocifs_stream *in, const char *name, struct ocifs_tar **out)
{
	struct ocifs_tar *t;

	*out = NULL;
	if (!in || !in->read)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->in = *in;
	t->name = strdup(name ? name : "tar");
	t->buf = malloc(TAR_BUF);
	if (!t->name || !t->buf) {
		ocifs_tar_free(t);
		return -ENOMEM;
	}
	t->fmt = TAR_V7;
	tar_entry_clear(t);
	*out = t;
	return 0;
}

int ocifs_tar_next(struct ocifs_tar *t, struct ocifs_tar_entry **out)
{
	int rc;

	*out = NULL;
	if (t->err || t->done)
		return t->err;
	rc = ocifs_tar_skip(t, t->remain);
	if (rc == 0)
		rc = ocifs_tar_skip(t, t->tail);
	t->remain = t->tail = 0;
	tar_entry_clear(t);
	if (rc == 0)
		rc = tar_entry(t);
	if (rc)
		tar_entry_clear(t);
	if (rc < 0)
		t->err = rc;
	else if (rc == 1)
		t->done = 1;
	else
		*out = &t->e;
	return rc < 0 ? rc : 0;
}

/* The data bytes after a read of k of them (rc: the stream's answer). */
static int tar_data_done(struct ocifs_tar *t, int rc, size_t k, size_t *got)
{
	if (rc == 0 && k == 0)
		rc = ocifs_tar_fail(t, -EIO, "truncated data: %" PRIu64 " bytes missing", t->remain);
	if (rc) {
		t->err = rc;
		return rc;
	}
	t->remain -= k;
	*got = k;
	return 0;
}

/* Up to n bytes of the entry's data: copied into buf, or (p set) by
 * reference, *p then pointing at them (the stream's own bytes through its
 * peek when the buffer is empty, else the buffer's). */
static int tar_data(struct ocifs_tar *t, void *buf, const void **p, size_t n, size_t *got)
{
	size_t k = 0;
	int rc = 0;

	*got = 0;
	if (p)
		*p = NULL;
	if (t->err)
		return t->err;
	if (n > t->remain)
		n = (size_t)t->remain;
	if (n == 0)
		return 0;
	if (t->pos == t->end && !t->eof && (p ? t->in.peek != NULL : n >= TAR_BUF)) {
		/* Large reads bypass the buffer; by reference, the stream's bytes. */
		rc = p ? t->in.peek(t->in.ctx, p, n, &k) : t->in.read(t->in.ctx, buf, n, &k);
		if (rc == 0 && k == 0)
			t->eof = 1;
		t->off += k;
	} else {
		rc = ocifs_tar_fill(t, 1);
		k = t->end - t->pos < n ? t->end - t->pos : n;
		if (p)
			*p = t->buf + t->pos;
		else
			memcpy(buf, t->buf + t->pos, k);
		ocifs_tar_consume(t, k);
	}
	return tar_data_done(t, rc, k, got);
}

int ocifs_tar_read(struct ocifs_tar *t, void *buf, size_t n, size_t *got)
{
	return tar_data(t, buf, NULL, n, got);
}

int ocifs_tar_read_ref(struct ocifs_tar *t, const void **p, size_t n, size_t *got)
{
	return tar_data(t, NULL, p, n, got);
}

uint64_t ocifs_tar_offset(const struct ocifs_tar *t)
{
	return t->off;
}

void ocifs_tar_free(struct ocifs_tar *t)
{
	if (!t)
		return;
	tar_entry_clear(t);
	free(t->e.sparse);
	free(t->buf);
	free(t->name);
	free(t);
}
