/* SPDX-License-Identifier: MIT */
/*
 * A registry layer's chunk sums come from its index pass (issue #15): a
 * gzip and a zstd blob (sizes not a multiple of the chunk) are indexed
 * through the registry's checking source (image_regverify.c) as a registry
 * layer, the pass peeking at the magic first as it does; the .chunks file
 * it writes must equal the sha256 of every 256 KiB of the blob computed
 * here, independently, from the file. Before that file exists the source
 * serves reads in order from byte 0 (the pass) and refuses any other with
 * EIO; once armed with it, reads anywhere are checked: the right bytes
 * from the blob, EIO from a source that serves one flipped byte. A blob
 * that fails its digest leaves no .chunks; a malformed one does not arm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "idxart.h"
#include "image_priv.h"
#include "index.h"
#include "log.h"
#include "sha.h"
#include "tap.h"

static char tmp[] = "/tmp/ocifs-regvsums.XXXXXX";

/* A source over another that flips the byte at `bad` (a tampering registry). */
struct flip {
	struct ocifs_src *base;
	uint64_t bad;
};

static int flip_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct flip *f = s->priv;
	int rc = ocifs_src_pread(f->base, buf, n, off, got);

	if (!rc && f->bad >= off && f->bad < off + *got)
		((unsigned char *)buf)[f->bad - off] ^= 0x20;
	return rc;
}

static void flip_destroy(struct ocifs_src *s)
{
	struct flip *f = s->priv;

	ocifs_src_unref(f->base);
	free(f);
}

static const struct ocifs_src_ops flip_ops = { .pread = flip_pread, .destroy = flip_destroy };

static struct ocifs_src *flip_new(struct ocifs_src *base, uint64_t bad)
{
	struct flip *f = calloc(1, sizeof(*f));
	struct ocifs_src *s = NULL;

	if (!f)
		abort();
	f->base = ocifs_src_ref(base);
	f->bad = bad;
	if (ocifs_src_new(&flip_ops, f, base->size, "flipped", &s))
		abort();
	return s;
}

static void sha_hex(const char *path, char out[OCIFS_DIGEST_STRLEN + 1])
{
	struct ocifs_src *s = NULL;

	out[0] = 0;
	if (!ocifs_src_file_open(path, &s))
		(void)ocifs_sha256_src(s, NULL, NULL, out);
	ocifs_src_unref(s);
}

/* The .chunks record of blob (magic + sums), computed here from its bytes. */
static unsigned char *expected_chunks(const char *blob, size_t *len)
{
	size_t ml = strlen(OCIFS_IDXART_CHUNKS_MAGIC), cap = 0, n = 0;
	unsigned char *rec = NULL, *buf = malloc(OCIFS_IDXART_CHUNK);
	FILE *f = fopen(blob, "rb");
	size_t got;

	if (!f || !buf)
		abort();
	rec = malloc(ml);
	memcpy(rec, OCIFS_IDXART_CHUNKS_MAGIC, ml);
	n = cap = ml;
	while ((got = fread(buf, 1, OCIFS_IDXART_CHUNK, f)) > 0) {
		unsigned char *r = realloc(rec, cap += OCIFS_SHA256_LEN);
		if (!r || ocifs_sha256(buf, got, r + n))
			abort();
		rec = r;
		n += OCIFS_SHA256_LEN;
	}
	fclose(f);
	free(buf);
	*len = n;
	return rec;
}

static int file_equals(const char *path, const unsigned char *want, size_t len)
{
	unsigned char *b = malloc(len + 1);
	FILE *f = fopen(path, "rb");
	size_t got = f && b ? fread(b, 1, len + 1, f) : 0;
	int same = f && got == len && !memcmp(b, want, len);

	if (f)
		fclose(f);
	free(b);
	return same;
}

/* Index blob (the layer .tar compressed as ext) as a registry layer. */
static void one(const char *cache, const char *ext, const char *tool)
{
	char blob[160], tarp[160], digest[OCIFS_DIGEST_STRLEN + 1], diff_id[OCIFS_DIGEST_STRLEN + 1];
	char *chunks = NULL;
	struct ocifs_src *file = NULL, *rv = NULL, *bad = NULL, *rvbad = NULL;
	struct ocifs_layer_desc ld = { .id = { .dev = OCIFS_FILEID_REMOTE, .ino = 1 } };
	struct ocifs_index_opts io = { .cache_dir = cache };
	struct ocifs_index_stats st;
	unsigned char buf[4096], want[4096];
	size_t elen, got = 0;
	int rc;

	snprintf(tarp, sizeof(tarp), "%s/l.tar", tmp);
	snprintf(blob, sizeof(blob), "%s/l.tar.%s", tmp, ext);
	if (tap_sh("set -e; cd %s; %s < l.tar > l.tar.%s", tmp, tool, ext))
		abort();
	sha_hex(blob, digest);
	sha_hex(tarp, diff_id);
	unsigned char *exp = expected_chunks(blob, &elen);
	if (ocifs_src_file_open(blob, &file) ||
	    ocifs_img_regverify_new(file, digest, cache, &rv) ||
	    ocifs_cache_layer_path(cache, digest, ".chunks", &chunks))
		abort();
	diag("%s: %llu bytes, %zu chunks", ext, (unsigned long long)file->size,
	     (elen - strlen(OCIFS_IDXART_CHUNKS_MAGIC)) / OCIFS_SHA256_LEN);
	ok(file->size % OCIFS_IDXART_CHUNK && file->size > 3 * OCIFS_IDXART_CHUNK,
	   "%s: the blob ends inside its fourth chunk or later", ext);

	/* no sums yet: in order from 0 only */
	rc = ocifs_src_pread(rv, buf, sizeof(buf), 300000, &got);
	ok(rc == -EIO, "%s: no sums: a read out of order is refused (%d)", ext, rc);
	ok(ocifs_image_blob_arm(rv) == -ENOENT, "%s: no sums: arming says so", ext);

	/* a blob that fails its digest: no .chunks */
	ld.blob = rv;
	snprintf(ld.digest, sizeof(ld.digest), "sha256:%064d", 0);
	snprintf(ld.diff_id, sizeof(ld.diff_id), "%s", diff_id);
	rc = ocifs_index_build(&ld, 1, &io, &st);
	{
		char *other = NULL;
		ocifs_cache_layer_path(cache, ld.digest, ".chunks", &other);
		ok(rc != 0 && access(other, F_OK) != 0 && access(chunks, F_OK) != 0,
		   "%s: a pass whose digest does not match writes no chunk sums (%d)", ext, rc);
		free(other);
	}

	/* the pass through the checking source, as layer.c runs it */
	snprintf(ld.digest, sizeof(ld.digest), "%s", digest);
	rc = ocifs_index_build(&ld, 1, &io, &st);
	ok(rc == 0, "%s: indexed as a registry layer (%d)", ext, rc);
	ok(file_equals(chunks, exp, elen),
	   "%s: its .chunks equals the sums computed here from the file", ext);

	/* armed: reads anywhere, checked */
	ok(ocifs_image_blob_arm(rv) == 0, "%s: the source arms with them", ext);
	uint64_t off = file->size - 5000;
	rc = ocifs_src_pread(rv, buf, sizeof(buf), off, &got);
	ok(rc == 0 && got == sizeof(buf) && !ocifs_src_pread_full(file, want, sizeof(want), off) &&
	   !memcmp(buf, want, sizeof(buf)), "%s: a read near the end: the blob's bytes", ext);
	bad = flip_new(file, 2 * OCIFS_IDXART_CHUNK + 77);
	if (ocifs_img_regverify_new(bad, digest, cache, &rvbad))
		abort();
	rc = ocifs_src_pread(rvbad, buf, sizeof(buf), 2 * OCIFS_IDXART_CHUNK + 1000, &got);
	ok(rc == -EIO, "%s: one flipped byte served in chunk 2: EIO (%d)", ext, rc);
	rc = ocifs_src_pread(rvbad, buf, sizeof(buf), OCIFS_IDXART_CHUNK, &got);
	ok(rc == 0 && !ocifs_src_pread_full(file, want, sizeof(want), OCIFS_IDXART_CHUNK) &&
	   !memcmp(buf, want, sizeof(buf)), "%s: chunk 1 of the same source is fine", ext);

	/* malformed (a chunk's sum short): not armed */
	tap_sh("truncate -s -1 '%s'", chunks);
	ocifs_src_unref(rvbad);
	rvbad = NULL;
	if (ocifs_img_regverify_new(file, digest, cache, &rvbad))
		abort();
	ok(ocifs_image_blob_arm(rvbad) == -ENOENT, "%s: a truncated .chunks does not arm", ext);

	ocifs_src_unref(rvbad);
	ocifs_src_unref(bad);
	ocifs_src_unref(rv);
	ocifs_src_unref(file);
	free(chunks);
	free(exp);
}

int main(void)
{
	char cache[96];

	alarm(300);
	ocifs_log_threshold = OCIFS_LOG_ERR; /* the refusals below are logged: expected */
	if (tap_sh("zstd --version >/dev/null 2>&1") != 0) {
		if (tap_in_ci())
			ok(0, "zstd CLI missing");
		else
			skip("zstd CLI missing");
		return done_testing();
	}
	if (!mkdtemp(tmp))
		abort();
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	/* a tar of 1.3 MB of random bytes and some text: ~5 chunks compressed */
	if (tap_sh("set -e; cd %s; mkdir -p root cache/layers; head -c 1300000 /dev/urandom > root/r; "
		   "seq 1 100000 > root/t; tar -C root --owner=0 --group=0 -cf l.tar r t", tmp))
		abort();
	one(cache, "gz", "gzip -1");
	one(cache, "zst", "zstd -q -3");
	tap_sh("rm -rf %s", tmp);
	return done_testing();
}
