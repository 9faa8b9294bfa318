/* SPDX-License-Identifier: MIT */
/*
 * Hostile-input helpers (issue #9), below the CLI: codec detection of
 * skippable-frame zstd, xz, bzip2 and lz4; saturating ns conversions;
 * the zstd window limit in the pass and in cursors; random reads across
 * skippable frames; and the string map that keeps image parsing linear.
 * tests/cli/t11-image-hostile.sh runs the same cases end to end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "image_priv.h"
#include "tap.h"
#include "timens.h"
#include "zio.h"

static char dir[64];

static void check_detect(void)
{
	static const struct {
		const char *what;
		unsigned char m[6];
		size_t n;
		enum ocifs_comp want;
	} t[] = {
		{ "zstd frame", { 0x28, 0xb5, 0x2f, 0xfd }, 4, OCIFS_COMP_ZSTD },
		{ "skippable 0x184D2A50", { 0x50, 0x2a, 0x4d, 0x18 }, 4, OCIFS_COMP_ZSTD },
		{ "skippable 0x184D2A5F", { 0x5f, 0x2a, 0x4d, 0x18 }, 4, OCIFS_COMP_ZSTD },
		{ "0x184D2A60 is not skippable", { 0x60, 0x2a, 0x4d, 0x18 }, 4, OCIFS_COMP_NONE },
		{ "gzip", { 0x1f, 0x8b, 8 }, 3, OCIFS_COMP_GZIP },
		{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, OCIFS_COMP_XZ },
		{ "xz, short", { 0xfd, '7', 'z', 'X', 'Z' }, 5, OCIFS_COMP_NONE },
		{ "bzip2", { 'B', 'Z', 'h', '9' }, 4, OCIFS_COMP_BZIP2 },
		{ "BZh0 is not bzip2", { 'B', 'Z', 'h', '0' }, 4, OCIFS_COMP_NONE },
		{ "lz4 frame", { 0x04, 0x22, 0x4d, 0x18 }, 4, OCIFS_COMP_LZ4 },
		{ "tar", { 'e', 't', 'c', '/' }, 4, OCIFS_COMP_NONE },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(ocifs_comp_detect(t[i].m, t[i].n), t[i].want, "detect: %s", t[i].what);
	ok(ocifs_comp_supported(OCIFS_COMP_ZSTD) && !ocifs_comp_supported(OCIFS_COMP_XZ) &&
	   !ocifs_comp_supported(OCIFS_COMP_BZIP2) && !ocifs_comp_supported(OCIFS_COMP_LZ4),
	   "xz, bzip2 and lz4 are recognized, not supported");
	is_str(ocifs_comp_name(OCIFS_COMP_XZ), "xz", "name: xz");
	is_str(ocifs_comp_name(OCIFS_COMP_BZIP2), "bzip2", "name: bzip2");
	is_str(ocifs_comp_name(OCIFS_COMP_LZ4), "lz4", "name: lz4");
}

static void check_timens(void)
{
	int64_t sec;
	long nsec;

	ok(ocifs_ns_from_sec(INT64_MAX, 0) == INT64_MAX, "INT64_MAX s saturates");
	ok(ocifs_ns_from_sec(INT64_MIN, 0) == INT64_MIN, "INT64_MIN s saturates");
	ok(ocifs_ns_from_sec(9223372036, 854775807) == INT64_MAX, "the last ns is exact");
	ok(ocifs_ns_from_sec(9223372036, 854775808) == INT64_MAX, "one ns later saturates");
	ok(ocifs_ns_from_sec(-1, 500000000) == -500000000, "-1 s + 0.5 s");
	ok(ocifs_ns_from_sec(1600000000, 7) == 1600000000000000007ll, "an ordinary time");
	ocifs_ns_split(INT64_MIN, &sec, &nsec);
	ok(sec == -9223372037ll && nsec == 145224192, "split INT64_MIN: floor, nsec >= 0");
	ocifs_ns_split(-1, &sec, &nsec);
	ok(sec == -1 && nsec == 999999999, "split -1 ns");
	ocifs_ns_split(INT64_MAX, &sec, &nsec);
	ok(sec == 9223372036ll && nsec == 854775807, "split INT64_MAX");
}

static void check_window_parse(void)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} t[] = {
		{ "128M", 0, 128ull << 20 },   { "2G", 0, 2ull << 30 },     { "2GiB", 0, 2ull << 30 },
		{ "1024", 0, 1024 },           { "1k", 0, 1024 },           { "3G", -EINVAL, 0 },
		{ "2049M", -EINVAL, 0 },       { "1023", -EINVAL, 0 },      { "", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },          { "12X", -EINVAL, 0 },       { "99999999999999999999", -EINVAL, 0 },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 0;
		int rc = ocifs_zstd_window_parse(t[i].s, &v);
		ok(rc == t[i].rc && (rc || v == t[i].v), "window limit \"%s\": %d", t[i].s, rc);
	}
	ocifs_zstd_window_str(2ull << 30, buf, sizeof(buf));
	is_str(buf, "2 GiB", "2 GiB printed");
	ocifs_zstd_window_str(160ull << 20, buf, sizeof(buf));
	is_str(buf, "160 MiB", "160 MiB printed");
	ocifs_zstd_window_str(1000, buf, sizeof(buf));
	is_str(buf, "1000 bytes", "1000 bytes printed");
}

/* --- zstd streams written here ------------------------------------------- */

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A frame of data[0..n) without content size (so it has a
 * Window_Descriptor at byte 5), its window set to wd when wd != 0. */
static size_t frame(unsigned char *out, size_t cap, const unsigned char *data, size_t n, int wd)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_outBuffer ob = { out, cap, 0 };
	ZSTD_inBuffer ib = { data, n, 0 };
	size_t r;

	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	r = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue);
	while (!ZSTD_isError(r) && (r = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end)) != 0)
		;
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(r) || (out[4] & 0x20))
		return 0;
	if (wd)
		out[5] = (unsigned char)wd;
	return ob.pos;
}

static size_t skippable(unsigned char *out, unsigned variant, size_t n)
{
	put_le32(out, 0x184D2A50u + variant);
	put_le32(out + 4, (uint32_t)n);
	memset(out + 8, 0xa5, n);
	return 8 + n;
}

static int write_blob(const char *name, const void *p, size_t n, struct ocifs_src **src)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		return -EIO;
	return ocifs_src_file_open(path, src);
}

/* Decode src whole (limit wmax): 0 and the checkpoints, or the error. */
static int pass(struct ocifs_src *src, uint64_t wmax, struct ocifs_ckpts *ck, unsigned char *out,
		size_t cap, size_t *len)
{
	struct ocifs_zpass_opts o = { .comp = OCIFS_COMP_ZSTD, .span = 4096, .window_max = wmax };
	struct ocifs_zpass *p;
	size_t got;
	int rc = ocifs_zpass_new(src, &o, &p);

	*len = 0;
	while (!rc && !(rc = ocifs_zpass_read(p, out + *len, cap - *len, &got)) && got)
		*len += got;
	if (!rc)
		rc = ocifs_zpass_finish(p, ck);
	ocifs_zpass_free(p);
	return rc;
}

#define DLEN (300u << 10)

static void check_skippable_reads(const unsigned char *data)
{
	size_t cap = 2 * DLEN + 200000, n = 0, len, bad = 0;
	unsigned char *blob = malloc(cap), *out = malloc(DLEN + 1), buf[8192];
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_zcursor *cur = NULL;
	struct ocifs_src *src = NULL;
	uint64_t second = 0, rng = 42;

	/* skippable, frame, skippable, frame, skippable, frame, skippable */
	n += skippable(blob + n, 0, 5);
	n += frame(blob + n, cap - n, data, 100000, 0);
	n += skippable(blob + n, 15, 70000);
	second = n;
	n += frame(blob + n, cap - n, data + 100000, 100000, 0);
	n += skippable(blob + n, 7, 0);
	n += frame(blob + n, cap - n, data + 200000, DLEN - 200000, 0);
	n += skippable(blob + n, 3, 9);
	if (!ok(write_blob("skip.zst", blob, n, &src) == 0, "skippable frames: written"))
		goto out;
	is_int(ocifs_comp_detect(blob, n), OCIFS_COMP_ZSTD, "skippable frames: detected as zstd");
	is_int(pass(src, 0, &ck, out, DLEN + 1, &len), 0, "skippable frames: pass");
	ok(len == DLEN && !memcmp(out, data, DLEN), "skippable frames: pass output right");
	ok(ck.n >= 3 && ck.v[0].uoff == 0 && ck.v[0].coff == 13 && ck.v[1].coff == second &&
	   ck.v[1].uoff == 100000, "checkpoints start after the skippable frames (%zu)", ck.n);
	if (!ok(ocifs_zcursor_new(src, &ck, &cur) == 0, "cursor"))
		goto out;
	for (int i = 0; i < 500; i++) { /* random reads, many across frame ends */
		uint64_t off, want;
		size_t got = 0;
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		off = i % 2 ? (rng >> 33) % DLEN : 100000 * (1 + (unsigned)(rng >> 40) % 2) - 4000;
		want = DLEN - off < sizeof(buf) ? DLEN - off : sizeof(buf);
		if (ocifs_zcursor_pread(cur, buf, sizeof(buf), off, &got) || got != want ||
		    memcmp(buf, data + off, got))
			bad++;
	}
	is_int(bad, 0, "500 random reads across skippable frames");
out:
	ocifs_zcursor_free(cur);
	ocifs_ckpts_fini(&ck);
	ocifs_src_unref(src);
	free(blob);
	free(out);
}

static void check_window(const unsigned char *data)
{
	unsigned char blob[16384], out[4097], buf[4096];
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_zcursor *cur = NULL;
	struct ocifs_src *src = NULL;
	size_t n, len, got = 0;

	/* 0xa8: 2^31 (zstd --long=31); 0x88: 2^27 = 128 MiB; 0x89: 144 MiB */
	n = frame(blob, sizeof(blob), data, 4096, 0xa8);
	if (!ok(n && write_blob("w31.zst", blob, n, &src) == 0, "2 GiB window frame: written"))
		return;
	is_int(pass(src, 0, &ck, out, sizeof(out), &len), -EOPNOTSUPP, "2 GiB window: refused");
	is_int(pass(src, 2ull << 30, &ck, out, sizeof(out), &len), 0, "2 GiB window: allowed at 2G");
	ok(len == 4096 && !memcmp(out, data, 4096), "2 GiB window: decoded right");
	ok(ck.window == 2ull << 30 && ck.window_max == 2ull << 30, "checkpoints carry the window");
	ck.window_max = 0; /* a cursor at the default limit */
	if (ok(ocifs_zcursor_new(src, &ck, &cur) == 0, "cursor"))
		is_int(ocifs_zcursor_pread(cur, buf, sizeof(buf), 0, &got), -EOPNOTSUPP,
		       "a cursor under the default limit refuses it too");
	ocifs_zcursor_free(cur);
	ck.window_max = 2ull << 30;
	if (ok(ocifs_zcursor_new(src, &ck, &cur) == 0, "cursor at 2G"))
		ok(!ocifs_zcursor_pread(cur, buf, sizeof(buf), 100, &got) && got == 3996 &&
		   !memcmp(buf, data + 100, got), "a cursor at 2G reads it");
	ocifs_zcursor_free(cur);
	ocifs_ckpts_fini(&ck);
	ocifs_src_unref(src);

	n = frame(blob, sizeof(blob), data, 4096, 0x88);
	if (ok(n && write_blob("w27.zst", blob, n, &src) == 0, "128 MiB window frame: written"))
		is_int(pass(src, 0, &ck, out, sizeof(out), &len), 0, "128 MiB window: the default allows it");
	ocifs_ckpts_fini(&ck);
	ocifs_src_unref(src);
	n = frame(blob, sizeof(blob), data, 4096, 0x89);
	if (ok(n && write_blob("w27b.zst", blob, n, &src) == 0, "144 MiB window frame: written")) {
		is_int(pass(src, 0, &ck, out, sizeof(out), &len), -EOPNOTSUPP,
		       "144 MiB window: refused by default (not a power of two)");
		is_int(pass(src, 144ull << 20, &ck, out, sizeof(out), &len), 0, "144 MiB window: allowed at 144M");
	}
	ocifs_ckpts_fini(&ck);
	ocifs_src_unref(src);
}

static void check_map(void)
{
	struct ocifs_strmap m = { 0 };
	char **v = NULL, key[32], msg[64] = "";
	size_t n = 0, val = 0, full = 0;
	int rc = 0;

	for (int i = 0; i < 200000 && !rc; i++) { /* 100000 names, each twice */
		snprintf(key, sizeof(key), "name:%d", i % 100000);
		rc = ocifs_img_strv_add(&v, &n, key, &m);
	}
	ok(!rc && n == 100000 && m.n == 100000 && !v[n], "200000 adds, 100000 kept");
	ok(!strcmp(v[0], "name:0") && !strcmp(v[99999], "name:99999"), "first occurrences, in order");
	ok(ocifs_strmap_get(&m, "name:777", 8, &val) && val == 777, "map: the value is the position");
	ok(!ocifs_strmap_get(&m, "name:100000", 11, &val), "map: absent key");
	is_int(ocifs_strmap_put(&m, "name:5", 6, 1, &val), 0, "map: put of a present key");
	ok(val == 5, "map: ... gives its value");
	ocifs_img_strv_free(v);
	ocifs_strmap_fini(&m);
	for (int i = 0; i < 20 && !full; i++)
		full = (size_t)ocifs_img_msg_add(msg, sizeof(msg), ", ", "abcdefgh");
	ok(full && strlen(msg) == sizeof(msg) - 1 && !strcmp(msg + sizeof(msg) - 4, "..."),
	   "a full message ends in ...: %s", msg);
}

int main(void)
{
	unsigned char *data = malloc(DLEN);
	uint64_t x = 1;

	for (size_t i = 0; i < DLEN; i++) { /* compressible, not trivially */
		x = x * 6364136223846793005ull + 1;
		data[i] = (unsigned char)("abcdefgh"[(x >> 40) & 7] + (i % 4096 == 0));
	}
	strcpy(dir, "/tmp/ocifs-hostile-XXXXXX");
	if (!ok(mkdtemp(dir) != NULL, "mkdtemp"))
		return done_testing();
	check_detect();
	check_timens();
	check_window_parse();
	check_skippable_reads(data);
	check_window(data);
	check_map();
	tap_sh("rm -rf '%s'", dir);
	free(data);
	return done_testing();
}
