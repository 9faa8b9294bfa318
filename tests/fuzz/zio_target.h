/* SPDX-License-Identifier: MIT */
/*
 * The body shared by fuzz_gzidx.c and fuzz_zstdidx.c (each defines
 * FZ_COMP first): the checkpointing decode pass over the input, then
 * cursors that resume from those checkpoints at pseudo-random offsets,
 * whose bytes must equal the sequential output; then the same reads from
 * damaged checkpoints (as a corrupt cache would hold), which may fail but
 * must not crash, hang or read out of bounds.
 *
 * Input: the compressed blob; a hash of it picks the span (4 KiB << 0..7)
 * and whether to damage the checkpoints, so corpus files work as is.
 */
#include "fuzz.h"
#include "zio.h"

#define FZ_OUT_CAP (16u << 20) /* bigger outputs are skipped (bombs) */

#if FZ_ZSTD
#include <zstd.h>
/* zstdidx.c accepts windows up to 2 GiB (WINDOWLOG_MAX 31, for `zstd
 * --long=31`), so a frame header alone can make libzstd allocate that
 * much: a known, deliberate limit (tests/fuzz/README.md, "Findings"),
 * not something to rediscover on every run. Skip inputs with a frame
 * that declares a window over 128 MiB. */
static int zstd_window_too_big(const uint8_t *p, size_t n)
{
	const uint64_t lim = 128u << 20;

	while (n >= 6) {
		uint32_t magic = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				 (uint32_t)p[3] << 24;
		size_t fsz;
		if (magic == 0xFD2FB528u) {
			unsigned fhd = p[4];
			unsigned long long fcs = ZSTD_getFrameContentSize(p, n);
			if (!(fhd & 0x20)) { /* a window descriptor byte follows */
				unsigned wd = p[5];
				uint64_t base = (uint64_t)1 << (10 + (wd >> 3));
				if (base + base / 8 * (wd & 7) > lim)
					return 1;
			}
			if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ZSTD_CONTENTSIZE_ERROR && fcs > lim)
				return 1;
		}
		fsz = ZSTD_findFrameCompressedSize(p, n);
		if (ZSTD_isError(fsz) || fsz == 0 || fsz > n)
			return 0; /* the pass rejects it */
		p += fsz;
		n -= fsz;
	}
	return 0;
}
#endif

static void zio_reads(struct ocifs_src *src, const struct ocifs_ckpts *ck, const uint8_t *out,
		      size_t olen, uint64_t seed, int damaged)
{
	static uint8_t buf[256 << 10];
	struct ocifs_zcursor *c;
	size_t got;
	int rc;

	if (ocifs_zcursor_new(src, ck, &c))
		return;
	for (int i = 0; i < 12; i++) {
		uint64_t r = fz_rnd(&seed);
		uint64_t off = olen ? r % (olen + 1) : r % 16;
		size_t n = 1 + (size_t)(fz_rnd(&seed) % (i & 1 ? sizeof(buf) : 4096));

		if (i == 11)
			off = olen; /* at the end: nothing */
		rc = ocifs_zcursor_pread(c, buf, n, off, &got);
		FZ_ASSERT(rc <= 0);
		if (rc == 0)
			FZ_ASSERT(got <= n);
		if (damaged)
			continue;
		FZ_ASSERT(rc == 0);
		FZ_ASSERT(got == (off >= olen ? 0 : n < olen - off ? n : olen - off));
		FZ_ASSERT(got == 0 || memcmp(buf, out + off, got) == 0);
	}
	ocifs_zcursor_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_zpass_opts o = { .comp = FZ_COMP };
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_zpass *p = NULL;
	struct ocifs_src *src = NULL;
	uint8_t *out = NULL;
	size_t olen = 0, cap = 0, got;
	uint64_t seed;
	int rc;

	fz_tmp();
#if FZ_ZSTD
	if (zstd_window_too_big(data, size))
		return 0;
#endif
	seed = fz_hash(data, size);
	o.span = (uint64_t)4096 << (seed & 7);
	if (fz_src_mem(data, size, &src))
		return 0;
	if (ocifs_zpass_new(src, &o, &p))
		goto out;
	for (;;) {
		if (cap - olen < 65536) {
			uint8_t *n;
			if (cap >= FZ_OUT_CAP)
				goto out;
			n = realloc(out, cap ? cap * 2 : 65536);
			if (!n)
				goto out;
			out = n;
			cap = cap ? cap * 2 : 65536;
		}
		rc = ocifs_zpass_read(p, out + olen, cap - olen, &got);
		if (rc) {
			FZ_ASSERT(rc == -EBADMSG || rc == -EIO || rc == -EOPNOTSUPP);
			goto out;
		}
		if (!got)
			break;
		olen += got;
	}
	if (ocifs_zpass_finish(p, &ck))
		goto out;
	FZ_ASSERT(ck.n >= 1 && ck.v[0].uoff == 0);
	FZ_ASSERT(ck.usize == olen);
	for (size_t i = 1; i < ck.n; i++)
		FZ_ASSERT(ck.v[i].uoff >= ck.v[i - 1].uoff);
	zio_reads(src, &ck, out, olen, seed, 0);
	if (seed & 8) {
		/* damage: what a corrupt or hostile cache could hand a cursor */
		for (size_t i = 0; i < ck.n; i++) {
			uint64_t r = fz_rnd(&seed);
			struct ocifs_ckpt *c = &ck.v[i];
			switch (r % 6) {
			case 0:
				c->coff += fz_rnd(&seed) % 64;
				break;
			case 1:
				c->uoff = fz_rnd(&seed) % (olen + 2);
				break;
			case 2:
				c->bits = (uint32_t)(fz_rnd(&seed) % 9);
				break;
			case 3:
				if (c->wlen)
					c->window[fz_rnd(&seed) % c->wlen] ^= (uint8_t)(1 + r % 255);
				break;
			case 4:
				c->flags ^= OCIFS_CK_MEMBER;
				break;
			default:
				break;
			}
		}
		zio_reads(src, &ck, out, olen, seed, 1);
	}
out:
	ocifs_ckpts_fini(&ck);
	ocifs_zpass_free(p);
	ocifs_src_unref(src);
	free(out);
	return 0;
}
