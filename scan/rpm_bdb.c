/* SPDX-License-Identifier: MIT */
/*
 * rpm's Berkeley DB backend, the hash database Packages (RHEL/CentOS
 * <= 8, old SUSE), read by hand: libdb is not on the design card (and
 * opens an environment beside the file). Only what rpm writes there is
 * read, as rpm's own read-only bdb_ro backend does:
 *
 *   page 0: hash metadata { lsn, pgno, magic 0x061561, version,
 *           pagesize, encrypt, type 8, ..., last_pgno at 32 }, in the
 *           creator's byte order (the magic tells);
 *   hash pages (type 13, or 2 before db 4.6): a 26-byte header
 *           { lsn, pgno, prev, next, entries u16, hf_offset u16, level,
 *           type }, then entries u16 item offsets, key/value pairs;
 *           an item is H_KEYDATA (1: its bytes follow the type byte, up
 *           to the previous item) or H_OFFPAGE (3: { type, pad[3],
 *           pgno, tlen }, the value on a chain of overflow pages);
 *   overflow pages (type 7): the same header, hf_offset = bytes used,
 *           next = the next page of the chain (0 at its end).
 *
 * Every value is a package header (the key is its instance number);
 * values too short to be one (rpm's instance counter) are skipped.
 * Pages are scanned in file order, bounded by the file and last_pgno;
 * an overflow chain longer than the page count is a loop and is cut.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "rd.h"
#include "rpmdb.h"

#define BDB_HASH_MAGIC 0x061561u
#define BDB_HDR 26u                     /* page header bytes */
#define BDB_P_HASH_UNSORTED 2
#define BDB_P_OVERFLOW 7
#define BDB_P_HASHMETA 8
#define BDB_P_HASH 13
#define BDB_H_KEYDATA 1
#define BDB_H_OFFPAGE 3
#define BDB_MIN_VALUE 24u               /* smaller than any rpm header */
#define BDB_MAX_VALUE (256u << 20)      /* rpm's header data limit */

struct bdb {
	const unsigned char *buf;
	size_t len;
	int be;                         /* metadata in big-endian order */
	uint32_t psize, npages;
	char **error;
	unsigned char *val;             /* the current overflow value */
};

static const unsigned char *bdb_page(const struct bdb *d, uint32_t pgno)
{
	return pgno < d->npages ? d->buf + (size_t)pgno * d->psize : NULL;
}

/* The value on the overflow chain from pgno, tlen bytes: 0 and
 * d->val filled (*ok 1), a recorded reason (*ok 0), or -ENOMEM. */
static int bdb_overflow(struct bdb *d, uint32_t pgno, uint32_t tlen, int *ok)
{
	uint32_t got = 0, steps = 0;

	*ok = 0;
	if (tlen < BDB_MIN_VALUE)
		return 0; /* not a header (nor worth a chain walk) */
	if (tlen > BDB_MAX_VALUE || tlen > d->len)
		return ocifs_rpmdb_err(d->error, "bdb: value of %u bytes at page %u", tlen, pgno);
	free(d->val);
	if (!(d->val = malloc(tlen)))
		return -ENOMEM;
	while (got < tlen) {
		const unsigned char *p = bdb_page(d, pgno);
		if (!p || pgno == 0 || p[25] != BDB_P_OVERFLOW)
			return ocifs_rpmdb_err(d->error, "bdb: overflow chain reaches page %u, not an overflow page",
				       pgno);
		if (++steps > d->npages)
			return ocifs_rpmdb_err(d->error, "bdb: overflow chain loops at page %u", pgno);
		uint32_t n = ocifs_get16(p + 22, d->be);
		if (n == 0 || n > d->psize - BDB_HDR || n > tlen - got)
			return ocifs_rpmdb_err(d->error, "bdb: overflow page %u holds %u bytes", pgno, n);
		memcpy(d->val + got, p + BDB_HDR, n);
		got += n;
		pgno = ocifs_get32(p + 16, d->be);
	}
	*ok = 1;
	return 0;
}

/* The values of hash page p (number pgno). */
static int bdb_hash_page(struct bdb *d, const unsigned char *p, uint32_t pgno, ocifs_rpmdb_cb cb,
			 void *ctx)
{
	uint32_t n = ocifs_get16(p + 20, d->be);
	int rc;

	if (n > (d->psize - BDB_HDR) / 2)
		return ocifs_rpmdb_err(d->error, "bdb: hash page %u claims %u items", pgno, n);
	for (uint32_t i = 1; i < n; i += 2) {
		uint32_t off = ocifs_get16(p + BDB_HDR + 2 * i, d->be);
		uint32_t prev = ocifs_get16(p + BDB_HDR + 2 * (i - 1), d->be);
		if (off < BDB_HDR + 2 * n || off >= d->psize || prev > d->psize || prev <= off) {
			if ((rc = ocifs_rpmdb_err(d->error, "bdb: hash page %u: item %u at offset %u", pgno,
					  i, off)))
				return rc;
			continue;
		}
		const unsigned char *it = p + off;
		if (it[0] == BDB_H_KEYDATA) {
			/* the item runs up to the one before it (the key) */
			uint32_t vlen = prev - off - 1;
			if (vlen >= BDB_MIN_VALUE && (rc = cb(ctx, it + 1, vlen)))
				return rc;
		} else if (it[0] == BDB_H_OFFPAGE) {
			int ok;
			if (prev - off < 12) {
				if ((rc = ocifs_rpmdb_err(d->error, "bdb: hash page %u: short off-page item", pgno)))
					return rc;
				continue;
			}
			rc = bdb_overflow(d, ocifs_get32(it + 4, d->be), ocifs_get32(it + 8, d->be), &ok);
			if (rc)
				return rc;
			if (ok && (rc = cb(ctx, d->val, ocifs_get32(it + 8, d->be))))
				return rc;
		}
		/* H_DUPLICATE / H_OFFDUP: rpm stores one header a key */
	}
	return 0;
}

static int bdb_walk(struct bdb *d, ocifs_rpmdb_cb cb, void *ctx)
{
	for (uint32_t pg = 1; pg < d->npages; pg++) {
		const unsigned char *p = bdb_page(d, pg);
		int rc;
		if (p[25] != BDB_P_HASH && p[25] != BDB_P_HASH_UNSORTED)
			continue;
		if ((rc = bdb_hash_page(d, p, pg, cb, ctx)))
			return rc;
	}
	return 0;
}

int ocifs_rpm_bdb_each(const unsigned char *buf, size_t len, ocifs_rpmdb_cb cb, void *ctx,
		       char **error)
{
	struct bdb d = { .buf = buf, .len = len, .error = error };
	uint32_t last;
	int rc;

	if (len < 512)
		return ocifs_rpmdb_err(error, "not a Berkeley DB hash database");
	if (ocifs_le32(buf + 12) == BDB_HASH_MAGIC)
		d.be = 0;
	else if (ocifs_be32(buf + 12) == BDB_HASH_MAGIC)
		d.be = 1;
	else
		return ocifs_rpmdb_err(error, "not a Berkeley DB hash database");
	d.psize = ocifs_get32(buf + 20, d.be);
	if (buf[25] != BDB_P_HASHMETA || buf[24] != 0)
		return ocifs_rpmdb_err(error, "bdb: page 0 is not hash metadata (type %u, encryption %u)",
			       buf[25], buf[24]);
	if (d.psize < 512 || d.psize > 65536 || (d.psize & (d.psize - 1)))
		return ocifs_rpmdb_err(error, "bdb: page size %u", d.psize);
	last = ocifs_get32(buf + 32, d.be);
	d.npages = (uint32_t)(len / d.psize);
	if (last < UINT32_MAX && last + 1 < d.npages)
		d.npages = last + 1;
	else if (last >= d.npages && (rc = ocifs_rpmdb_err(error, "bdb: last page %u, the file holds %u",
						      last, d.npages)))
		return rc;
	rc = bdb_walk(&d, cb, ctx);
	free(d.val);
	return rc;
}
