/* SPDX-License-Identifier: MIT */
/*
 * The index pass's chunk ring (src/index_pipe.c): a generated stream
 * pushed through rings of tiny and odd-sized chunks, with a producer that
 * returns a few bytes at a time, read back by copy and by reference in
 * random sizes: the bytes, their count and the hasher's sha256 must match
 * the stream's, whether the hasher thread or the reader (inline, some
 * pieces paired with a second context) takes the stream, and for the
 * bytes the producer hands to the side ring (hashed on the hasher thread,
 * or riding along the reader's pairs). An error from the producer
 * mid-stream arrives after the
 * bytes before it; a reader that stops early (a tar error) frees the ring
 * while the producer waits for a slot, without hanging. Then a tar built
 * here is read through the ring with ocifs_tar_read_ref, members
 * straddling chunks: every member's bytes come out whole.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_pipe.h"
#include "sha.h"
#include "tap.h"
#include "tar.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The producer: the bytes of mem[0..len), at most `step` per call (0:
 * all that is asked), then fail_rc (0: a clean end). */
struct gen {
	const unsigned char *mem;
	size_t len, pos, step, fail_at;
	int fail_rc;
	unsigned calls;
	struct ocifs_index_pipe **side; /* not NULL: every byte to the side ring too */
};

static int gen_produce(void *ctx, void *buf, size_t n, size_t *got)
{
	struct gen *g = ctx;
	size_t end = g->fail_rc ? g->fail_at : g->len;
	size_t k = end - g->pos;

	g->calls++;
	*got = 0;
	if (g->fail_rc && g->pos == g->fail_at)
		return g->fail_rc;
	if (k > n)
		k = n;
	if (g->step && k > g->step)
		k = g->step;
	memcpy(buf, g->mem + g->pos, k);
	if (g->side && k)
		ocifs_index_pipe_side(*g->side, g->mem + g->pos, k);
	g->pos += k;
	*got = k;
	return 0;
}

static unsigned char *pattern(size_t len)
{
	unsigned char *m = malloc(len ? len : 1);

	for (size_t i = 0; m && i < len; i++)
		m[i] = (unsigned char)(rng() >> 24);
	return m;
}

/* Read the whole stream through the ring; 0 or the error it ended on.
 * also (inline mode): about half the pieces go to it through
 * ocifs_index_pipe_pair, and to also_ref by a plain update. */
static int drain_pair(struct ocifs_index_pipe *p, unsigned char *out, size_t cap, size_t *total,
		      struct ocifs_sha *also, struct ocifs_sha *also_ref)
{
	struct ocifs_stream s;
	size_t got;
	int rc;

	ocifs_index_pipe_stream(p, &s);
	*total = 0;
	for (;;) {
		size_t n = 1 + (size_t)(rng() % 3000);
		if (n > cap - *total)
			n = cap - *total ? cap - *total : 1;
		const void *v;
		unsigned char tmp[3000];
		if (rng() & 1) {
			rc = s.peek(s.ctx, &v, n, &got);
		} else {
			rc = s.read(s.ctx, tmp, n, &got);
			v = tmp;
		}
		if (rc || !got)
			return rc;
		if (*total + got <= cap)
			memcpy(out + *total, v, got);
		if (also && (rng() & 1)) {
			ocifs_index_pipe_pair(p, *total, v, got, also);
			ocifs_sha_update(also_ref, v, got);
		}
		*total += got;
	}
}

static int drain(struct ocifs_index_pipe *p, unsigned char *out, size_t cap, size_t *total)
{
	return drain_pair(p, out, cap, total, NULL, NULL);
}

/* hash: 0 none, 1 on the hasher thread, 2 inline (with pairs), 3 inline
 * and the side ring, 4 the same with the side bytes riding along the
 * pairs (side_ride), 5 side_ride without a single pair (the reader only
 * hashes the side ring when it is full, and at the end) */
static void round_trip(size_t len, size_t chunk, unsigned slots, size_t step, int hash)
{
	unsigned char *mem = pattern(len), *out = malloc(len + 1);
	unsigned char want[OCIFS_SHA256_LEN], got_d[OCIFS_SHA256_LEN];
	struct gen g = { .mem = mem, .len = len, .step = step };
	struct ocifs_sha *sha = NULL, *also = NULL, *also_ref = NULL, *side = NULL;
	struct ocifs_index_pipe *p = NULL;
	struct ocifs_index_pipe_opts o = { .produce = gen_produce, .ctx = &g,
					   .chunk = chunk, .nslots = slots };
	static const char *const how[] = { "", ", hasher thread", ", inline with pairs",
					   ", inline, side ring", ", inline, side ring riding",
					   ", inline, side ring riding, no pairs" };
	size_t total = 0;
	int rc;

	if (hash)
		ocifs_sha_new_pairable(&sha);
	if (hash == 1)
		o.sha = sha;
	if (hash >= 2) {
		o.inline_sha = sha;
		if (hash != 5)
			ocifs_sha_new_pairable(&also);
		ocifs_sha_new(&also_ref);
	}
	if (hash >= 3) {
		if (hash >= 4)
			ocifs_sha_new_pairable(&side);
		else
			ocifs_sha_new(&side);
		o.side_sha = side;
		o.side_ride = hash >= 4;
		g.side = &p;
	}
	rc = ocifs_index_pipe_start(&o, &p);
	if (!ok(rc == 0 && mem && out, "%zu bytes, chunk %zu, %u slots, step %zu%s: started", len,
		chunk, slots, step, how[hash]))
		goto out;
	rc = drain_pair(p, out, len + 1, &total, also, also_ref);
	is_int(rc, 0, "  read to the end without error");
	is_int(total, len, "  every byte handed out once");
	ok(total == len && memcmp(out, mem, len) == 0, "  the same bytes in order");
	is_int(ocifs_index_pipe_offset(p), len, "  offset counts them");
	rc = ocifs_index_pipe_finish(p);
	is_int(rc, 0, "  finish: no error");
	if (hash) {
		ocifs_sha256(mem, len, want);
		ocifs_sha_final(sha, got_d);
		ok(memcmp(want, got_d, sizeof(want)) == 0, "  the stream's sha256 is right");
	}
	if (also) {
		unsigned char a1[OCIFS_SHA256_LEN], a2[OCIFS_SHA256_LEN];
		ocifs_sha_final(also, a1);
		ocifs_sha_final(also_ref, a2);
		ok(memcmp(a1, a2, sizeof(a1)) == 0, "  the pieces paired with it: their sha256");
	}
	if (side) {
		ocifs_sha_final(side, got_d);
		ok(memcmp(want, got_d, sizeof(want)) == 0, "  the side ring's sha256 is right");
	}
out:
	ocifs_index_pipe_free(p);
	ocifs_sha_free(sha);
	ocifs_sha_free(also);
	ocifs_sha_free(also_ref);
	ocifs_sha_free(side);
	free(mem);
	free(out);
}

static void error_mid_stream(size_t fail_at, size_t chunk)
{
	size_t len = 100000;
	unsigned char *mem = pattern(len), *out = malloc(len);
	struct gen g = { .mem = mem, .len = len, .step = 333, .fail_at = fail_at,
			 .fail_rc = -EBADMSG };
	struct ocifs_sha *sha = NULL;
	struct ocifs_index_pipe *p = NULL;
	struct ocifs_index_pipe_opts o = { .produce = gen_produce, .ctx = &g, .chunk = chunk,
					   .nslots = 3 };
	size_t total = 0;
	int rc;

	ocifs_sha_new(&sha);
	o.sha = sha;
	rc = ocifs_index_pipe_start(&o, &p);
	if (ok(rc == 0, "error after %zu bytes (chunk %zu): started", fail_at, chunk)) {
		rc = drain(p, out, len, &total);
		is_int(rc, -EBADMSG, "  the reader gets the producer's error");
		is_int(total, fail_at, "  after every byte produced before it");
		ok(total == fail_at && memcmp(out, mem, fail_at) == 0, "  those bytes are right");
		/* again: the error sticks */
		rc = drain(p, out, len, &total);
		is_int(rc, -EBADMSG, "  and again on the next read");
		is_int(ocifs_index_pipe_finish(p), -EBADMSG, "  finish says it too");
	}
	ocifs_index_pipe_free(p);
	ocifs_sha_free(sha);
	free(mem);
	free(out);
}

/* The reader gives up after a few bytes while the producer is blocked on
 * a full ring and the hasher waits: free() must stop both. */
static void stop_early(int hash)
{
	size_t len = 8 << 20;
	unsigned char *mem = pattern(len);
	struct gen g = { .mem = mem, .len = len };
	struct ocifs_sha *sha = NULL, *side = NULL;
	struct ocifs_index_pipe *p = NULL;
	struct ocifs_index_pipe_opts o = { .produce = gen_produce, .ctx = &g, .chunk = 4096,
					   .nslots = 2 };
	struct ocifs_stream s;
	unsigned char buf[100];
	size_t got = 0;
	int rc;

	if (hash)
		ocifs_sha_new(&sha);
	o.sha = sha;
	if (hash >= 2) { /* the producer feeding the side ring too */
		if (hash == 3) { /* which the reader hashes (and does not) */
			ocifs_sha_free(sha);
			ocifs_sha_new_pairable(&sha);
			o.sha = NULL;
			o.inline_sha = sha;
			o.side_ride = 1;
			ocifs_sha_new_pairable(&side);
		} else {
			ocifs_sha_new(&side);
		}
		o.side_sha = side;
		g.side = &p;
		o.chunk = 1 << 20;
	}
	rc = ocifs_index_pipe_start(&o, &p);
	if (ok(rc == 0, "stop early%s: started",
	       hash == 3 ? " (side ring riding)" : hash == 2 ? " (side ring)" : hash ? " (hashed)" : "")) {
		ocifs_index_pipe_stream(p, &s);
		rc = s.read(s.ctx, buf, sizeof(buf), &got);
		ok(rc == 0 && got == sizeof(buf) && memcmp(buf, mem, got) == 0,
		   "  the first bytes are right");
	}
	ocifs_index_pipe_free(p); /* a hang here is the failure */
	ok(g.pos < len, "  freed with the producer stopped part way (%zu of %zu bytes)", g.pos, len);
	ocifs_sha_free(sha);
	ocifs_sha_free(side);
	free(mem);
}

/* --- a tar through the ring ------------------------------------------ */

static void octal(char *f, size_t n, uint64_t v)
{
	snprintf(f, n, "%0*llo", (int)n - 1, (unsigned long long)v);
}

/* Append a ustar member: header, data, padding. */
static size_t tar_add(unsigned char *t, size_t at, const char *name, char type,
		      const unsigned char *data, size_t len)
{
	unsigned char *h = t + at;
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	octal((char *)h + 100, 8, type == '5' ? 0755 : 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, len);
	octal((char *)h + 136, 12, 1700000000);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	at += 512;
	if (len)
		memcpy(t + at, data, len);
	at += len;
	memset(t + at, 0, (512 - len % 512) % 512);
	return at + (512 - len % 512) % 512;
}

static void tar_through_ring(size_t chunk)
{
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 70000, 3, 200000, 65536, 9 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned char *data[N], *t = calloc(1, 1 << 20);
	size_t at = 0, matched = 0;
	struct gen g = { .mem = t, .step = 1000 };
	struct ocifs_index_pipe *p = NULL;
	struct ocifs_index_pipe_opts o = { .produce = gen_produce, .ctx = &g, .chunk = chunk,
					   .nslots = 4 };
	struct ocifs_stream s;
	struct ocifs_tar *tr = NULL;
	struct ocifs_tar_entry *e;
	int rc;

	at = tar_add(t, at, "d", '5', NULL, 0);
	for (size_t i = 0; i < N; i++) {
		char name[32];
		data[i] = pattern(sizes[i]);
		snprintf(name, sizeof(name), "d/f%zu", i);
		at = tar_add(t, at, name, '0', data[i], sizes[i]);
	}
	at += 1024; /* end of archive */
	g.len = at;
	rc = ocifs_index_pipe_start(&o, &p);
	ocifs_index_pipe_stream(p, &s);
	if (!rc)
		rc = ocifs_tar_new(&s, "ring tar", &tr);
	ok(rc == 0, "tar through a ring of %zu-byte chunks: opened", chunk);
	for (size_t i = 0; !rc; ) {
		rc = ocifs_tar_next(tr, &e);
		if (rc || !e)
			break;
		if (e->type != '0')
			continue;
		unsigned char *buf = malloc(e->size + 1);
		size_t have = 0, got;
		const void *v;
		while ((rc = ocifs_tar_read_ref(tr, &v, 1 + (size_t)(rng() % 100000), &got)) == 0 &&
		       got) {
			if (have + got <= e->size)
				memcpy(buf + have, v, got);
			have += got;
		}
		if (!rc && i < N && have == sizes[i] && memcmp(buf, data[i], have) == 0)
			matched++;
		else
			diag("member %zu: %zu bytes, want %zu, rc %d", i, have, i < N ? sizes[i] : 0, rc);
		free(buf);
		i++;
	}
	is_int(rc, 0, "  read to the end of the archive");
	is_int(matched, N, "  every member's bytes by reference, whole and right");
	is_int(ocifs_tar_offset(tr), at, "  the reader's offset is the archive's end");
	ocifs_tar_free(tr);
	ocifs_index_pipe_free(p);
	for (size_t i = 0; i < N; i++)
		free(data[i]);
	free(t);
}

int main(void)
{
	round_trip(0, 1, 2, 0, 1);
	round_trip(1, 1, 2, 0, 1);
	round_trip(100000, 1, 2, 0, 1);
	round_trip(100000, 7, 3, 5, 1);
	round_trip(100001, 512, 2, 100, 0);
	round_trip(1 << 20, 4096, 16, 0, 1);
	round_trip(3 << 20, 0, 0, 77777, 1); /* the defaults */
	round_trip(262144, 65536, 4, 0, 1);  /* ends on a chunk boundary */
	round_trip(100000, 7, 3, 5, 2);
	round_trip(1 << 20, 4096, 4, 0, 2);
	round_trip(3 << 20, 0, 0, 77777, 2);
	round_trip(0, 64, 2, 0, 3);
	round_trip(100000, 100, 3, 13, 3);
	round_trip(5 << 20, 0, 0, 0, 3);     /* more than the side ring holds */
	round_trip(0, 64, 2, 0, 4);
	round_trip(100000, 100, 3, 13, 4);
	round_trip(5 << 20, 0, 0, 0, 4);
	round_trip(9 << 20, 4096, 4, 0, 4);  /* the reader often behind */
	round_trip(3 << 20, 65536, 2, 1000, 4);
	round_trip(5 << 20, 0, 0, 0, 5);
	round_trip(100000, 7, 3, 5, 5);
	error_mid_stream(0, 64);
	error_mid_stream(5000, 1000);
	error_mid_stream(4096, 4096);
	error_mid_stream(99999, 7);
	stop_early(1);
	stop_early(0);
	stop_early(2);
	stop_early(3);
	tar_through_ring(100);
	tar_through_ring(4096);
	tar_through_ring(1 << 20);
	return done_testing();
}
