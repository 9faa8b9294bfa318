/* SPDX-License-Identifier: MIT */
/*
 * Codec-neutral front of the seekable decompressors: checkpoint lists,
 * codec detection, dispatch to gzidx.c / zstdidx.c, the identity "codec"
 * for uncompressed blobs, and zview, a thread-safe source over the
 * decompressed bytes (used for compressed outer archives).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "size.h"
#include "zio.h"

void ocifs_ckpts_fini(struct ocifs_ckpts *c)
{
	for (size_t i = 0; i < c->n && !c->wmap; i++)
		free(c->v[i].window);
	if (c->wmap)
		munmap(c->wmap, c->wmap_len);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int ocifs_ckpts_push(struct ocifs_ckpts *c, const struct ocifs_ckpt *ck)
{
	if ((c->n & (c->n - 1)) == 0) { /* grow at powers of two */
		size_t cap = c->n ? c->n * 2 : 16;
		struct ocifs_ckpt *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
	}
	c->v[c->n++] = *ck;
	return 0;
}

size_t ocifs_ckpts_find(const struct ocifs_ckpts *c, uint64_t off)
{
	size_t lo = 0, hi = c->n;

	while (hi - lo > 1) { /* invariant: v[lo].uoff <= off (or lo == 0) */
		size_t mid = lo + (hi - lo) / 2;
		if (c->v[mid].uoff <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

enum ocifs_comp ocifs_comp_detect(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return OCIFS_COMP_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return OCIFS_COMP_ZSTD;
	if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
		return OCIFS_COMP_ZSTD; /* skippable frame 0x184D2A5? */
	if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		return OCIFS_COMP_XZ;
	if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9')
		return OCIFS_COMP_BZIP2;
	if (n >= 4 && p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4d && p[3] == 0x18)
		return OCIFS_COMP_LZ4;
	return OCIFS_COMP_NONE;
}

int ocifs_zstd_window_parse(const char *s, uint64_t *out)
{
	uint64_t v;

	if (ocifs_size_parse(s, &v) || v > OCIFS_ZSTD_WINDOW_CEIL || v < OCIFS_ZSTD_WINDOW_MIN)
		return -EINVAL;
	*out = v;
	return 0;
}

void ocifs_zstd_window_str(uint64_t v, char *buf, size_t cap)
{
	static const char *const unit[] = { "GiB", "MiB", "KiB" };

	for (int i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * (unsigned)i;
		if (v && v % (1ull << shift) == 0) {
			snprintf(buf, cap, "%llu %s", (unsigned long long)(v >> shift), unit[i]);
			return;
		}
	}
	snprintf(buf, cap, "%llu bytes", (unsigned long long)v);
}

int ocifs_comp_supported(enum ocifs_comp c)
{
	return c == OCIFS_COMP_NONE || c == OCIFS_COMP_GZIP || c == OCIFS_COMP_ZSTD;
}

const char *ocifs_comp_name(enum ocifs_comp c)
{
	switch (c) {
	case OCIFS_COMP_GZIP:
		return "gzip";
	case OCIFS_COMP_ZSTD:
		return "zstd";
	case OCIFS_COMP_XZ:
		return "xz";
	case OCIFS_COMP_BZIP2:
		return "bzip2";
	case OCIFS_COMP_LZ4:
		return "lz4";
	default:
		return "none";
	}
}

/* The identity codec: uncompressed blobs are their own stream. */
struct plain_pass {
	struct ocifs_src *in;
	uint64_t pos;
	void (*on_input)(void *ctx, const void *p, size_t n);
	void *ctx;
};

static int plain_pass_new(struct ocifs_src *in, const struct ocifs_zpass_opts *o, void **st)
{
	struct plain_pass *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->in = in;
	p->on_input = o->on_input;
	p->ctx = o->ctx;
	*st = p;
	return 0;
}

static int plain_pass_read(void *st, void *buf, size_t n, size_t *got)
{
	struct plain_pass *p = st;
	int rc = ocifs_src_pread(p->in, buf, n, p->pos, got);

	if (rc) {
		log_err("%s: read at %llu: %s", p->in->name, (unsigned long long)p->pos,
			strerror(-rc));
		return rc;
	}
	if (p->on_input && *got)
		p->on_input(p->ctx, buf, *got);
	p->pos += *got;
	return 0;
}

static int plain_pass_finish(void *st, struct ocifs_ckpts *out)
{
	struct plain_pass *p = st;
	struct ocifs_ckpt ck = { 0 };

	memset(out, 0, sizeof(*out));
	out->comp = OCIFS_COMP_NONE;
	out->csize = out->usize = p->pos;
	return ocifs_ckpts_push(out, &ck);
}

static int plain_cur_new(struct ocifs_src *in, const struct ocifs_ckpts *ck, void **st)
{
	*st = in;
	return 0;
}

static int plain_cur_pread(void *st, void *buf, size_t n, uint64_t off, size_t *got)
{
	return ocifs_src_pread(st, buf, n, off, got);
}

static uint64_t plain_cur_decoded(const void *st)
{
	return 0;
}

static const struct ocifs_zcodec plain_codec = {
	.pass_new = plain_pass_new,
	.pass_read = plain_pass_read,
	.pass_finish = plain_pass_finish,
	.pass_free = free,
	.cur_new = plain_cur_new,
	.cur_pread = plain_cur_pread,
	.cur_decoded = plain_cur_decoded,
	.cur_free = NULL,
};

static const struct ocifs_zcodec *codec_of(enum ocifs_comp c)
{
	switch (c) {
	case OCIFS_COMP_GZIP:
		return &ocifs_gz_codec;
	case OCIFS_COMP_ZSTD:
		return &ocifs_zstd_codec;
	default:
		return &plain_codec;
	}
}

struct ocifs_zpass {
	const struct ocifs_zcodec *codec;
	void *st;
};

int ocifs_zpass_new(struct ocifs_src *in, const struct ocifs_zpass_opts *o,
		    struct ocifs_zpass **out)
{
	struct ocifs_zpass *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	if (!ocifs_comp_supported(o->comp)) { /* callers refuse these first */
		free(p);
		log_err("%s: unsupported compression %s", in->name, ocifs_comp_name(o->comp));
		return -EOPNOTSUPP;
	}
	p->codec = codec_of(o->comp);
	rc = p->codec->pass_new(in, o, &p->st);
	if (rc) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int ocifs_zpass_read(struct ocifs_zpass *p, void *buf, size_t n, size_t *got)
{
	return p->codec->pass_read(p->st, buf, n, got);
}

int ocifs_zpass_finish(struct ocifs_zpass *p, struct ocifs_ckpts *out)
{
	return p->codec->pass_finish(p->st, out);
}

void ocifs_zpass_free(struct ocifs_zpass *p)
{
	if (!p)
		return;
	p->codec->pass_free(p->st);
	free(p);
}

struct ocifs_zcursor {
	const struct ocifs_zcodec *codec;
	void *st;
};

int ocifs_zcursor_new(struct ocifs_src *in, const struct ocifs_ckpts *ck,
		      struct ocifs_zcursor **out)
{
	struct ocifs_zcursor *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	if (!ocifs_comp_supported(ck->comp)) {
		free(c);
		log_err("%s: unsupported compression %s", in->name, ocifs_comp_name(ck->comp));
		return -EOPNOTSUPP;
	}
	c->codec = codec_of(ck->comp);
	rc = c->codec->cur_new(in, ck, &c->st);
	if (rc) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int ocifs_zcursor_pread(struct ocifs_zcursor *c, void *buf, size_t n, uint64_t off, size_t *got)
{
	return c->codec->cur_pread(c->st, buf, n, off, got);
}

uint64_t ocifs_zcursor_decoded(const struct ocifs_zcursor *c)
{
	return c->codec->cur_decoded(c->st);
}

void ocifs_zcursor_free(struct ocifs_zcursor *c)
{
	if (!c)
		return;
	if (c->codec->cur_free)
		c->codec->cur_free(c->st);
	free(c);
}

/*
 * zview: a source over decompressed bytes. A few cursors are kept; a read
 * takes the idle cursor positioned closest below its offset, so sequential
 * scans by several threads each keep their own forward cursor.
 */
#define ZVIEW_CURSORS 4

struct zview {
	struct ocifs_src *in;
	struct ocifs_ckpts ck;
	pthread_mutex_t lock;
	struct {
		struct ocifs_zcursor *c;
		uint64_t pos;  /* where its last read ended */
		int busy;      /* protected by lock */
	} cur[ZVIEW_CURSORS];
};

static int zview_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct zview *z = s->priv;
	int pick = -1, rc;

	pthread_mutex_lock(&z->lock);
	for (int i = 0; i < ZVIEW_CURSORS; i++) {
		if (z->cur[i].busy)
			continue;
		if (pick < 0 || (z->cur[i].c && z->cur[i].pos <= off &&
				 (!z->cur[pick].c || z->cur[pick].pos > off ||
				  z->cur[i].pos > z->cur[pick].pos)))
			pick = i;
	}
	if (pick >= 0)
		z->cur[pick].busy = 1;
	pthread_mutex_unlock(&z->lock);
	if (pick < 0) { /* all busy: a throwaway cursor */
		struct ocifs_zcursor *c;
		rc = ocifs_zcursor_new(z->in, &z->ck, &c);
		if (rc)
			return rc;
		rc = ocifs_zcursor_pread(c, buf, n, off, got);
		ocifs_zcursor_free(c);
		return rc;
	}
	rc = 0;
	if (!z->cur[pick].c)
		rc = ocifs_zcursor_new(z->in, &z->ck, &z->cur[pick].c);
	if (!rc)
		rc = ocifs_zcursor_pread(z->cur[pick].c, buf, n, off, got);
	pthread_mutex_lock(&z->lock);
	z->cur[pick].pos = rc ? 0 : off + *got;
	z->cur[pick].busy = 0;
	pthread_mutex_unlock(&z->lock);
	return rc;
}

static void zview_destroy(struct ocifs_src *s)
{
	struct zview *z = s->priv;

	for (int i = 0; i < ZVIEW_CURSORS; i++)
		ocifs_zcursor_free(z->cur[i].c);
	ocifs_ckpts_fini(&z->ck);
	ocifs_src_unref(z->in);
	pthread_mutex_destroy(&z->lock);
	free(z);
}

static const struct ocifs_src_ops zview_ops = {
	.pread = zview_pread,
	.destroy = zview_destroy,
};

int ocifs_zview_new(struct ocifs_src *in, struct ocifs_ckpts *ck, struct ocifs_src **out)
{
	struct zview *z = calloc(1, sizeof(*z));
	int rc;

	if (!z)
		return -ENOMEM;
	rc = ocifs_src_new(&zview_ops, z, ck->usize, in->name, out);
	if (rc) {
		free(z);
		return rc;
	}
	pthread_mutex_init(&z->lock, NULL);
	z->in = ocifs_src_ref(in);
	z->ck = *ck;
	memset(ck, 0, sizeof(*ck));
	return 0;
}
