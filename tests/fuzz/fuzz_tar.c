/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the streaming tar reader (src/tar.c, pax.c, tar_sparse.c)
 * over one input taken as an uncompressed tar stream: ustar/GNU/PAX
 * headers, PAX records, GNU long names, every sparse map dialect.
 *
 * The input is read twice: through ocifs_tar_read() with short reads of
 * varying size (like a pipe), and with a skip() callback and no data
 * reads (like a plain file). Both passes must yield the same entries and
 * the same result, every error must be -EBADMSG or -EIO, and every entry
 * must be consistent with the input (data inside it, sparse runs within
 * the stored data, no more entries than headers fit).
 */
#include "fuzz.h"
#include "tar.h"

struct fz_stream {
	const uint8_t *p;
	size_t n, pos;
	int trickle;
};

static int st_read(void *ctx, void *buf, size_t n, size_t *got)
{
	struct fz_stream *s = ctx;

	if (s->trickle && n > 1 + (s->pos * 7919) % 5003)
		n = 1 + (s->pos * 7919) % 5003;
	if (n > s->n - s->pos)
		n = s->n - s->pos;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	*got = n;
	return 0;
}

static int st_skip(void *ctx, uint64_t n)
{
	struct fz_stream *s = ctx;

	if (n > s->n - s->pos)
		return -EIO;
	s->pos += (size_t)n;
	return 0;
}

/* One pass; returns the final rc, the entry count and a hash of what was
 * seen (paths, sizes, offsets), for comparing the passes. */
static int pass(const uint8_t *data, size_t size, int use_skip, size_t *count, uint64_t *h)
{
	struct fz_stream s = { data, size, 0, !use_skip };
	struct ocifs_stream st = { .read = st_read, .skip = use_skip ? st_skip : NULL, .ctx = &s };
	static unsigned char sink[8192];
	struct ocifs_tar_entry *e;
	struct ocifs_tar *t;
	int rc = ocifs_tar_new(&st, "fuzz", &t);

	*count = 0;
	*h = 0;
	if (rc)
		return rc;
	for (;;) {
		uint64_t sum = 0, stored = 0;
		size_t got;

		rc = ocifs_tar_next(t, &e);
		if (rc || !e)
			break;
		++*count;
		FZ_ASSERT(*count <= size / 512 + 1);
		FZ_ASSERT(e->path);
		FZ_ASSERT(e->data_off >= e->hdr_off + 512);
		FZ_ASSERT(e->data_off <= size);
		for (size_t i = 0; i < e->nsparse; i++) {
			FZ_ASSERT(e->sparse[i].len <= e->data_len - sum);
			sum += e->sparse[i].len;
		}
		for (size_t i = 0; i < e->nxattr; i++)
			FZ_ASSERT(e->xattr[i].key);
		*h = *h * 31 + fz_hash((const uint8_t *)e->path, strlen(e->path));
		*h = *h * 31 + e->size + e->data_off * 7 + e->data_len * 13 + (uint8_t)e->type;
		if (e->linkname)
			*h = *h * 31 + fz_hash((const uint8_t *)e->linkname, strlen(e->linkname));
		while (!use_skip && (rc = ocifs_tar_read(t, sink, sizeof(sink), &got)) == 0 && got)
			stored += got;
		if (!use_skip && rc == 0) {
			FZ_ASSERT(stored == e->data_len);
			FZ_ASSERT(e->data_off + e->data_len <= size);
		}
		if (rc)
			break;
	}
	FZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -EIO);
	FZ_ASSERT(ocifs_tar_offset(t) <= size);
	ocifs_tar_free(t);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n0, n1;
	uint64_t h0, h1;
	int rc0, rc1;

	fz_tmp();
	rc0 = pass(data, size, 0, &n0, &h0);
	rc1 = pass(data, size, 1, &n1, &h1);
	/* The skip pass cannot see truncated data of the last entry until the
	 * next header read; so compare only where both succeeded. */
	if (rc0 == 0 && rc1 == 0)
		FZ_ASSERT(n0 == n1 && h0 == h1);
	return 0;
}
