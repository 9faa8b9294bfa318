/* SPDX-License-Identifier: MIT */
/*
 * The lazy shadow's file (zshadow_priv.h has its layout): reading and
 * writing it whole, its header, its records and the sorted chunk table
 * they fill. The queue, the worker and the snapshots are zshadow.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "bytes.h"
#include "hashtab.h"
#include "zshadow_priv.h"

static const char file_magic[8] = { 'O', 'C', 'I', 'F', 'S', 'Z', 'S', '1' };
static const char rec_magic[4] = { 'Z', 'S', 'C', 'K' };

/* Up to n bytes at off: 0 and *got (short only at the end), or -errno. */
static int pread_n(int fd, void *buf, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

static int shadow_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	return pread_n(((struct ocifs_zshadow *)s->priv)->fd, buf, n, off, got);
}

static void shadow_destroy(struct ocifs_src *s)
{
	(void)s; /* the fd is the zshadow's */
}

const struct ocifs_src_ops ocifs_zs_src_ops = { .pread = shadow_pread, .destroy = shadow_destroy };

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void ocifs_zs_file_header(const struct ocifs_zshadow *z, unsigned char h[HDR_LEN])
{
	memcpy(h, file_magic, 8);
	put_le64(h + 8, z->base->usize);
	put_le64(h + 16, z->base->csize);
	put_le64(h + 24, ocifs_fnv1a_seed(OCIFS_FNV1A_INIT, h, 24));
}

int ocifs_zs_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	int rc = pread_n(fd, buf, n, off, &got);

	return rc ? rc : got == n ? 0 : -EIO;
}

int ocifs_zs_pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		done += (size_t)r;
	}
	return 0;
}

void ocifs_zs_table_add(struct ocifs_zshadow *z, struct zchunk *c)
{
	size_t lo = 0, hi = z->nchunks;

	c->all = z->all; /* owned from here on, freed at close */
	z->all = c;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->chunks[mid]->uoff < c->uoff)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < z->nchunks && z->chunks[lo]->uoff == c->uoff) {
		if (atomic_load(&z->chunks[lo]->state) < 0)
			z->chunks[lo] = c;
		return;
	}
	if ((z->nchunks & (z->nchunks - 1)) == 0) {
		struct zchunk **v = realloc(z->chunks, (z->nchunks ? 2 * z->nchunks : 16) * sizeof(*v));
		if (!v)
			return; /* not used: only slower */
		z->chunks = v;
	}
	memmove(z->chunks + lo + 1, z->chunks + lo, (z->nchunks - lo) * sizeof(*z->chunks));
	z->chunks[lo] = c;
	z->nchunks++;
}

uint64_t ocifs_zs_scan_records(struct ocifs_zshadow *z, uint64_t size)
{
	uint64_t pos = z->known_end;

	while (pos + REC_LEN <= size && z->nchunks < CHUNKS_MAX) {
		unsigned char h[REC_LEN];
		uint64_t uoff, ulen, clen;
		struct zchunk *c;

		if (ocifs_zs_pread_all(z->fd, h, REC_LEN, pos) || memcmp(h, rec_magic, 4) != 0 ||
		    ocifs_le64(h + 64) != ocifs_fnv1a_seed(OCIFS_FNV1A_INIT, h, 64))
			break;
		uoff = ocifs_le64(h + 8);
		ulen = ocifs_le64(h + 16);
		clen = ocifs_le64(h + 24);
		if (ulen == 0 || ulen > ULEN_MAX || uoff > z->base->usize ||
		    ulen > z->base->usize - uoff || clen == 0 ||
		    clen > ZSTD_compressBound((size_t)ulen) || clen > size - pos - REC_LEN)
			break;
		if (!(c = calloc(1, sizeof(*c))))
			break;
		c->uoff = uoff;
		c->ulen = ulen;
		c->coff = pos + REC_LEN;
		c->clen = clen;
		memcpy(c->sha, h + 32, OCIFS_SHA256_LEN);
		ocifs_zs_table_add(z, c);
		atomic_fetch_add(&z->st_loaded, 1);
		pos += REC_LEN + clen;
	}
	z->known_end = pos;
	return pos;
}

int ocifs_zs_check_header(struct ocifs_zshadow *z, uint64_t size)
{
	unsigned char want[HDR_LEN], h[HDR_LEN];

	if (size < HDR_LEN)
		return -ENODATA;
	ocifs_zs_file_header(z, want);
	if (ocifs_zs_pread_all(z->fd, h, HDR_LEN, 0) || memcmp(h, want, HDR_LEN) != 0)
		return -EBADMSG;
	return 0;
}

void ocifs_zs_record_header(unsigned char h[REC_LEN], uint64_t uoff, uint64_t ulen, uint64_t clen,
			    const unsigned char sha[OCIFS_SHA256_LEN])
{
	memset(h, 0, REC_LEN);
	memcpy(h, rec_magic, 4);
	put_le64(h + 8, uoff);
	put_le64(h + 16, ulen);
	put_le64(h + 24, clen);
	memcpy(h + 32, sha, OCIFS_SHA256_LEN);
	put_le64(h + 64, ocifs_fnv1a_seed(OCIFS_FNV1A_INIT, h, 64));
}
