/* SPDX-License-Identifier: MIT */
/*
 * The lazy shadow of big zstd frames (src/zshadow.c) under the zstd
 * cursors of src/zstdidx.c, over data compressed by the real zstd CLI
 * (one frame) and pzstd (several): random reads give the original bytes
 * (the oracle is the data itself, which `zstd -dc` reproduces); a far read
 * asks for its chunk, which the background worker makes, after which the
 * same read decodes at most about a span; a second open (another mount)
 * loads and uses the file instead of making chunks again; a corrupted
 * chunk and a truncated file are detected and read from the blob (correct
 * bytes, a "bad" count); two opens appending to one file keep it valid;
 * readers on several threads run during a build; close mid-build returns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "zio.h"
#include "zshadow.h"

#define MiB (1u << 20)
#define KiB (1u << 10)
#define DATA_SIZE (24 * MiB)
#define SPAN (256 * KiB)
#define SLACK (128 * KiB)

static char dir[64];
static unsigned char *data;
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static void gen_data(void)
{
	static const char *const words[] = { "layer ", "image ", "zstd ", "frame ", "\n" };

	data = malloc(DATA_SIZE);
	for (size_t at = 0; data && at < DATA_SIZE;) {
		size_t blk = 4 * KiB + rnd() % (64 * KiB), i;
		if (blk > DATA_SIZE - at)
			blk = DATA_SIZE - at;
		if (rnd() % 3 == 0) {
			for (i = 0; i < blk; i++)
				data[at + i] = (unsigned char)rnd();
		} else {
			for (i = 0; i < blk;) {
				const char *w = words[rnd() % 5];
				for (; *w && i < blk; w++)
					data[at + i++] = (unsigned char)*w;
			}
		}
		at += blk;
	}
}

struct blob {
	const char *name;
	struct ocifs_src *src;
	struct ocifs_ckpts base;
	char shadow[128];
};

static int open_blob(struct blob *b, const char *name)
{
	struct ocifs_zpass_opts o = { .comp = OCIFS_COMP_ZSTD, .span = SPAN };
	struct ocifs_zpass *p = NULL;
	char path[128];
	unsigned char *buf = malloc(MiB);
	size_t got;
	int rc;

	memset(b, 0, sizeof(*b));
	b->name = name;
	snprintf(path, sizeof(path), "%s/%s.zst", dir, name);
	snprintf(b->shadow, sizeof(b->shadow), "%s/%s.zshadow", dir, name);
	rc = ocifs_src_file_open(path, &b->src);
	if (!rc)
		rc = ocifs_zpass_new(b->src, &o, &p);
	while (!rc && !(rc = ocifs_zpass_read(p, buf, MiB, &got)) && got)
		;
	if (!rc)
		rc = ocifs_zpass_finish(p, &b->base);
	ocifs_zpass_free(p);
	free(buf);
	return rc;
}

static void close_blob(struct blob *b)
{
	ocifs_ckpts_fini(&b->base);
	if (b->src)
		ocifs_src_unref(b->src);
}

/* One read at off through a fresh cursor: 0 if the bytes are right;
 * *decoded: bytes it decoded. */
static int read_at(struct blob *b, struct ocifs_zshadow *z, uint64_t off, size_t len,
		   uint64_t *decoded)
{
	struct ocifs_zcursor *c = NULL;
	unsigned char *buf = malloc(len);
	size_t got = 0;
	int rc = ocifs_zcursor_new(b->src, z ? ocifs_zshadow_ckpts(z) : &b->base, &c);

	if (!rc)
		rc = ocifs_zcursor_pread(c, buf, len, off, &got);
	if (!rc && (got != len || memcmp(buf, data + off, len) != 0))
		rc = -EILSEQ;
	if (decoded)
		*decoded = c ? ocifs_zcursor_decoded(c) : 0;
	ocifs_zcursor_free(c);
	free(buf);
	return rc;
}

static struct ocifs_zshadow_stats stats(struct ocifs_zshadow *z)
{
	struct ocifs_zshadow_stats s;

	ocifs_zshadow_stats(z, &s);
	return s;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The uoff of the last record in the first `size` bytes of a shadow
 * file (format: zshadow.h). */
static uint64_t last_record_uoff(const char *path, long long size)
{
	FILE *f = fopen(path, "rb");
	unsigned char h[72];
	uint64_t pos = 32, last = 0;

	while (f && (long long)pos + 72 <= size && fseek(f, (long)pos, SEEK_SET) == 0 &&
	       fread(h, 1, 72, f) == 72) {
		uint64_t uoff = 0, clen = 0;
		for (int i = 7; i >= 0; i--) {
			uoff = uoff << 8 | h[8 + i];
			clen = clen << 8 | h[24 + i];
		}
		last = uoff;
		pos += 72 + clen;
	}
	if (f)
		fclose(f);
	return last;
}

/* --- readers on threads during a build --- */

struct rd {
	struct blob *b;
	struct ocifs_zshadow *z;
	unsigned seed;
	int bad;
};

static void *reader(void *arg)
{
	struct rd *r = arg;
	struct ocifs_zcursor *c = NULL;
	unsigned char *buf = malloc(64 * KiB);

	if (ocifs_zcursor_new(r->b->src, ocifs_zshadow_ckpts(r->z), &c) != 0)
		r->bad++;
	for (int i = 0; c && i < 12; i++) {
		uint64_t off = (uint64_t)rand_r(&r->seed) % (DATA_SIZE - 64 * KiB);
		size_t len = 1 + (size_t)rand_r(&r->seed) % (64 * KiB), got = 0;

		if (ocifs_zcursor_pread(c, buf, len, off, &got) != 0 || got != len ||
		    memcmp(buf, data + off, len) != 0)
			r->bad++;
	}
	ocifs_zcursor_free(c);
	free(buf);
	return NULL;
}

static void check_blob(const char *name)
{
	struct blob b;
	struct ocifs_zshadow *z = NULL, *z2 = NULL;
	uint64_t d, far = 20 * MiB + 12345, offs[6];
	int rc, nbad = 0;

	if (!ok(open_blob(&b, name) == 0, "%s: pass", name))
		goto out;
	is_int(b.base.usize, DATA_SIZE, "%s: usize", name);
	diag("%s: %zu checkpoints", name, b.base.n);
	if (!ok(ocifs_zshadow_wanted(&b.base, SPAN), "%s: has a frame over 2 spans", name))
		goto out;
	unlink(b.shadow);
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	if (!ok(rc == 0, "%s: open the lazy shadow", name))
		goto out;
	ok(file_size(b.shadow) < 0, "%s: no shadow file before a random read", name);

	/* a far read: right bytes, asks for its chunk; the next one is cheap */
	rc = read_at(&b, z, far, 4096, &d);
	is_int(rc, 0, "%s: far read, before any chunk, gives the right bytes", name);
	ok(stats(z).requests >= 1, "%s: the far read asked for its chunk (%llu)", name,
	   (unsigned long long)stats(z).requests);
	ocifs_zshadow_wait(z);
	ok(stats(z).made >= 1 && file_size(b.shadow) > 0, "%s: the worker made %llu chunks "
	   "(file %lld B)", name, (unsigned long long)stats(z).made, file_size(b.shadow));
	ok(file_size(b.shadow) < DATA_SIZE / 20, "%s: the shadow holds only what was read "
	   "(%lld B, < 5%% of the data)", name, file_size(b.shadow));
	rc = read_at(&b, z, far, 4096, &d);
	ok(rc == 0 && d <= SPAN + 4096 + SLACK, "%s: the same read now decodes %llu KiB "
	   "(<= a span)", name, (unsigned long long)d >> 10);
	ok(stats(z).verified == 0, "%s: chunks it made itself need no check", name);

	/* random reads (every one right), then the same again, now cheap */
	for (int i = 0; i < 6; i++)
		offs[i] = 3 * SPAN + rnd() % (DATA_SIZE - 3 * SPAN - 8192);
	for (int i = 0; i < 6; i++)
		nbad += read_at(&b, z, offs[i], 8192, NULL) != 0;
	ocifs_zshadow_wait(z);
	int expensive = 0;
	for (int i = 0; i < 6; i++) {
		nbad += read_at(&b, z, offs[i], 8192, &d) != 0;
		expensive += d > SPAN + 8192 + SLACK;
	}
	is_int(nbad, 0, "%s: 12 random reads give the right bytes", name);
	is_int(expensive, 0, "%s: once made, every re-read decodes <= a span", name);
	uint64_t made = stats(z).made;
	long long fsize = file_size(b.shadow);

	/* readers on 4 threads while the worker builds */
	{
		pthread_t th[4];
		struct rd r[4];
		int bad = 0;

		for (int i = 0; i < 4; i++) {
			r[i] = (struct rd){ .b = &b, .z = z, .seed = (unsigned)(i * 7919 + 1) };
			pthread_create(&th[i], NULL, reader, &r[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			bad += r[i].bad;
		}
		is_int(bad, 0, "%s: 4 threads x 12 random reads during builds: right bytes", name);
	}
	ocifs_zshadow_wait(z);
	made = stats(z).made;
	fsize = file_size(b.shadow);
	ocifs_zshadow_close(z);
	z = NULL;

	/* a second open (another mount) uses the file */
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	ok(rc == 0 && stats(z).loaded == made, "%s: reopened: %llu chunks loaded of %llu made",
	   name, (unsigned long long)(z ? stats(z).loaded : 0), (unsigned long long)made);
	nbad = expensive = 0;
	for (int i = 0; z && i < 6; i++) {
		nbad += read_at(&b, z, offs[i], 8192, &d) != 0;
		expensive += d > SPAN + 8192 + SLACK;
	}
	ok(nbad == 0 && expensive == 0 && stats(z).made == 0 && stats(z).verified >= 1,
	   "%s: reopened: reads use the loaded chunks (checked %llu, made %llu)", name,
	   (unsigned long long)stats(z).verified, (unsigned long long)stats(z).made);
	is_int(file_size(b.shadow), fsize, "%s: reopened: the file did not grow", name);

	ocifs_zshadow_close(z);
	z = NULL;

	/* two opens of one (new) file append without harm */
	char two[160];
	snprintf(two, sizeof(two), "%s.two", b.shadow);
	rc = ocifs_zshadow_open(b.src, &b.base, two, SPAN, &z);
	if (!rc)
		rc = ocifs_zshadow_open(b.src, &b.base, two, SPAN, &z2);
	if (!rc) {
		ocifs_zshadow_request(z, 2 * MiB + 3 * SPAN, 1);
		ocifs_zshadow_request(z2, 2 * MiB + 3 * SPAN, 1);
		ocifs_zshadow_request(z2, 6 * MiB, 1);
		ocifs_zshadow_wait(z);
		ocifs_zshadow_wait(z2);
	}
	uint64_t both = z && z2 ? stats(z).made + stats(z2).made : 0;
	ocifs_zshadow_close(z2);
	z2 = NULL;
	ocifs_zshadow_close(z);
	z = NULL;
	rc = ocifs_zshadow_open(b.src, &b.base, two, SPAN, &z);
	ok(rc == 0 && stats(z).loaded == both && both >= 2 && both <= 4,
	   "%s: two opens appended %llu chunks, all valid, none twice", name,
	   (unsigned long long)both);
	nbad = read_at(&b, z, 2 * MiB + 3 * SPAN + 100, 5000, &d) != 0;
	ok(!nbad && d <= SPAN + 5000 + SLACK, "%s: their chunk reads right, cheaply", name);
	ocifs_zshadow_close(z);
	z = NULL;
	unlink(two);

	/* corrupt the first chunk's frame: detected, read from the blob */
	{
		FILE *f = fopen(b.shadow, "r+b");
		unsigned char x = 0;

		if (f && fseek(f, 32 + 72 + 40, SEEK_SET) == 0 && fread(&x, 1, 1, f) == 1 &&
		    fseek(f, 32 + 72 + 40, SEEK_SET) == 0) {
			x ^= 0x5a;
			fwrite(&x, 1, 1, f);
		}
		if (f)
			fclose(f);
	}
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	nbad = read_at(&b, z, far, 4096, NULL) != 0;
	for (int i = 0; i < 6; i++)
		nbad += read_at(&b, z, offs[i], 8192, NULL) != 0;
	ok(rc == 0 && nbad == 0 && stats(z).bad >= 1, "%s: a corrupted chunk is caught "
	   "(%llu bad) and the reads are right", name, (unsigned long long)stats(z).bad);
	ocifs_zshadow_close(z);
	z = NULL;

	/* a crash mid-append: the cut record is ignored, then replaced */
	if (truncate(b.shadow, fsize - 100) != 0)
		diag("truncate: %s", strerror(errno));
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	uint64_t kept = z ? stats(z).loaded : 0;
	ok(rc == 0 && kept >= 1 && kept < made, "%s: truncated file: %llu whole records "
	   "kept", name, (unsigned long long)kept);
	nbad = 0;
	for (int i = 0; i < 6; i++) {
		int r1 = read_at(&b, z, offs[i], 8192, NULL);
		if (r1)
			diag("read at %llu: %d", (unsigned long long)offs[i], r1);
		nbad += r1 != 0;
	}
	if (z) /* the chunk whose record was cut */
		ocifs_zshadow_request(z, last_record_uoff(b.shadow, fsize) + 1, 1);
	ocifs_zshadow_wait(z);
	ocifs_zshadow_close(z);
	z = NULL;
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	ok(rc == 0 && nbad == 0 && stats(z).loaded > kept, "%s: appending after a cut tail keeps "
	   "the file valid (%llu records)", name, (unsigned long long)stats(z).loaded);
	ocifs_zshadow_close(z);
	z = NULL;

	/* not a shadow file: not used, reads right */
	FILE *g = fopen(b.shadow, "wb");
	if (g) {
		fputs("this is not a shadow file at all, not at all", g);
		fclose(g);
	}
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	ok(rc == 0 && read_at(&b, z, far, 4096, NULL) == 0 && stats(z).requests == 0,
	   "%s: a foreign file is not used; reads are right", name);
	ocifs_zshadow_close(z);
	z = NULL;

	/* close in the middle of a build: returns, nothing half-written used */
	unlink(b.shadow);
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	for (uint64_t o = 23 * MiB; !rc && o > MiB; o -= 2 * MiB)
		ocifs_zshadow_request(z, o, 1);
	usleep(20000);
	ocifs_zshadow_close(z); /* the alarm catches a hang */
	z = NULL;
	rc = ocifs_zshadow_open(b.src, &b.base, b.shadow, SPAN, &z);
	nbad = read_at(&b, z, 21 * MiB, 4096, NULL) != 0;
	ok(rc == 0 && nbad == 0, "%s: close mid-build returns; the file stays usable (%llu records)",
	   name, (unsigned long long)(z ? stats(z).loaded : 0));
out:
	ocifs_zshadow_close(z);
	ocifs_zshadow_close(z2);
	close_blob(&b);
}

int main(void)
{
	char path[128];
	FILE *f;

	alarm(300); /* a hang is a failure, not a stuck suite */
	if (tap_sh("zstd --version >/dev/null 2>&1 && pzstd --version >/dev/null 2>&1") != 0) {
		if (tap_in_ci())
			ok(0, "zstd or pzstd CLI missing");
		else
			skip("zstd or pzstd CLI missing");
		return done_testing();
	}
	strcpy(dir, "/tmp/ocifs-zshadow-XXXXXX");
	if (!ok(mkdtemp(dir) != NULL, "mkdtemp"))
		return done_testing();
	gen_data();
	snprintf(path, sizeof(path), "%s/orig", dir);
	f = fopen(path, "wb");
	ok(f && fwrite(data, 1, DATA_SIZE, f) == DATA_SIZE && fclose(f) == 0, "write the data");
	ok(tap_sh("cd %s && zstd -q -3 orig -o single.zst && pzstd -q -p 2 -3 orig -o multi.zst "
		  "&& zstd -dc single.zst | cmp -s - orig && zstd -dc multi.zst | cmp -s - orig",
		  dir) == 0, "zstd and pzstd compress; zstd -dc gives the data back");
	check_blob("single");
	check_blob("multi");
	tap_sh("rm -rf '%s'", dir);
	free(data);
	return done_testing();
}
