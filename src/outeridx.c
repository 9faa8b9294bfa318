/* SPDX-License-Identifier: MIT */
/*
 * The cached listing of a compressed outer archive (`docker save | gzip`,
 * a zstd'd docker-archive): so that a warm open of app.tar.gz decodes
 * nothing, the first open stores in <cache>/outer/<key>.idx
 *   - the identity of the outer file (dev, ino, size, mtime ns, ctime ns),
 *   - the member table image.c builds (path, link, type, offset and size
 *     of the data in the decoded stream),
 *   - the decode checkpoints (zstd frame starts; gzip block boundaries,
 *     each with the sha256 of its window),
 *   - the bytes of the small members (manifest.json, configs, index.json:
 *     at most OUTER_INLINE_MAX each, OUTER_INLINE_TOTAL together), which
 *     every open reads and which would otherwise cost a decode from the
 *     nearest checkpoint (up to a span, or a whole single-frame zstd
 *     file) each,
 * then a sha256 of all of that (the front), then the gzip windows as
 * gzidx.c keeps them (deflate-compressed, ~13 KiB each, nearly all of the
 * record). An open hashes the front only and maps the windows without
 * reading them: a cursor checks a window against its sum when it restarts
 * at that checkpoint, and decodes from an earlier one if it fails (zio.h).
 * Hashing every window at open cost a warm mount of a 137 MB app.tar.gz
 * ~32 M instructions, more than the rest of the open together.
 * <key> hashes (dev, ino) only, so a file that changes replaces its one
 * record instead of adding another.
 *
 * Trust (DESIGN §3): the record is used only if every identity field
 * matches the file as opened. ctime is in the identity because it cannot
 * be set from user space: a rewrite in place that keeps size and mtime
 * (`touch -r`) still moves ctime, so it is a rebuild, not stale bytes.
 * Everything read through the record is checked again downstream the way
 * a plain tar is: manifests, configs and OCI blobs against their digests
 * at open, layers by the ids/ records and the reader's first-read
 * sha256. A record that fails its checksum or any bound is rebuilt with
 * a warning; one at a symlink is refused (never followed) and replaced.
 *
 * Hand-written rather than SQLite: one sequential read of a few hundred
 * KiB and one checksum cost less than opening a database, and a warm open
 * is what this file exists to make cheap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "cache.h"
#include "image_priv.h"
#include "log.h"
#include "sha.h"
#include "timens.h"

#define OUTER_MAGIC "OCIFSOX\n"
#define OUTER_VERSION 2u
#define OUTER_HDR 104 /* ends with the length of the front */
#define OUTER_MEM_HDR 40
#define OUTER_CK_HDR 64 /* ends with the window's sha256 */
#define OUTER_NOLINK 0xffffffffu
/* A record larger than this is not one ocifs wrote (the windows of a
 * 100 GiB outer file compress to well under it). */
#define OUTER_FILE_MAX (1ull << 30)
#define OUTER_WINDOW_MAX (64u << 10) /* a compressed 32 KiB window */

/* --- a growing byte buffer ----------------------------------------------- */

struct obuf {
	unsigned char *p;
	size_t n, cap;
	int err;
};

static unsigned char *ob_room(struct obuf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > b->cap - b->n) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *q;
		while (cap - b->n < n) {
			if (cap > SIZE_MAX / 2) {
				b->err = -ENOMEM;
				return NULL;
			}
			cap *= 2;
		}
		q = realloc(b->p, cap);
		if (!q) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = q;
		b->cap = cap;
	}
	b->n += n;
	return b->p + b->n - n;
}

static void ob_put(struct obuf *b, const void *p, size_t n)
{
	unsigned char *d = ob_room(b, n);

	if (d && n)
		memcpy(d, p, n);
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* --- where, and for which file ----------------------------------------- */

static int outer_path(const char *dir, const struct stat *st, char **out)
{
	unsigned char h[OCIFS_SHA256_LEN];
	char key[64], hex[OCIFS_DIGEST_STRLEN + 1];
	int n = snprintf(key, sizeof(key), "outer:%llu:%llu", (unsigned long long)st->st_dev,
			 (unsigned long long)st->st_ino);

	if (n < 0 || ocifs_sha256(key, (size_t)n, h))
		return -ENOMEM;
	ocifs_digest_format(h, hex);
	return asprintf(out, "%s/outer/%s.idx", dir, hex + 7) < 0 ? -ENOMEM : 0;
}

static void put_hdr(unsigned char *h, const struct stat *st, enum ocifs_comp comp,
		    const struct ocifs_ckpts *ck, size_t nmem)
{
	memset(h, 0, OUTER_HDR);
	memcpy(h, OUTER_MAGIC, 8);
	put32(h + 8, OUTER_VERSION);
	put32(h + 12, (uint32_t)comp);
	put64(h + 16, (uint64_t)st->st_dev);
	put64(h + 24, (uint64_t)st->st_ino);
	put64(h + 32, (uint64_t)st->st_size);
	put64(h + 40, (uint64_t)ocifs_ns_from_sec(st->st_mtim.tv_sec, st->st_mtim.tv_nsec));
	put64(h + 48, (uint64_t)ocifs_ns_from_sec(st->st_ctim.tv_sec, st->st_ctim.tv_nsec));
	put64(h + 56, ck->usize);
	put64(h + 64, ck->csize);
	put64(h + 72, ck->window);
	put64(h + 80, (uint64_t)nmem);
	put64(h + 88, (uint64_t)ck->n);
}

/* --- store ---------------------------------------------------------------- */

/* Which members travel inline: small regular files, the first that fit. */
static int inline_pick(const struct img_member *m, uint64_t *budget)
{
	if (m->type != '0' || m->sparse || m->len > OUTER_INLINE_MAX || m->len > *budget)
		return 0;
	*budget -= m->len;
	return 1;
}

static int off_cmp(const void *a, const void *b)
{
	const struct img_member *x = *(struct img_member *const *)a;
	const struct img_member *y = *(struct img_member *const *)b;

	return (x->off > y->off) - (x->off < y->off);
}

/* Read the small members into m->data, in stream order through one
 * cursor (a single-frame zstd file would be decoded from its start again
 * for every step back). The open that stores the record then reads them
 * from memory too. */
static int read_small(struct img_ctx *c, struct ocifs_src *file, const struct ocifs_ckpts *ck)
{
	struct img_member **v = calloc(c->nmem ? c->nmem : 1, sizeof(*v));
	struct ocifs_zcursor *cur = NULL;
	uint64_t budget = OUTER_INLINE_TOTAL;
	size_t n = 0;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->nmem; i++)
		if (inline_pick(&c->mem[i], &budget))
			v[n++] = &c->mem[i];
	qsort(v, n, sizeof(*v), off_cmp);
	for (size_t i = 0; i < n && !rc; i++) {
		struct img_member *m = v[i];
		size_t got = 0;
		if (!(m->data = malloc(m->len ? (size_t)m->len : 1)))
			rc = -ENOMEM;
		else if (!cur)
			rc = ocifs_zcursor_new(file, ck, &cur);
		if (!rc)
			rc = ocifs_zcursor_pread(cur, m->data, (size_t)m->len, m->off, &got);
		if (!rc && got != m->len)
			rc = -EIO;
	}
	for (size_t i = 0; rc && i < n; i++) { /* all or none */
		free(v[i]->data);
		v[i]->data = NULL;
	}
	ocifs_zcursor_free(cur);
	free(v);
	return rc;
}

static void put_members(const struct img_ctx *c, struct obuf *b)
{
	for (size_t i = 0; i < c->nmem && !b->err; i++) {
		const struct img_member *m = &c->mem[i];
		size_t pl = strlen(m->path), ll = m->link ? strlen(m->link) : 0;
		unsigned char *h = ob_room(b, OUTER_MEM_HDR);

		if (!h)
			break;
		memset(h, 0, OUTER_MEM_HDR);
		h[0] = (unsigned char)m->type;
		h[1] = (unsigned char)!!m->sparse;
		h[2] = (unsigned char)(m->data != NULL);
		put32(h + 4, (uint32_t)pl);
		put32(h + 8, m->link ? (uint32_t)ll : OUTER_NOLINK);
		put64(h + 16, m->off);
		put64(h + 24, m->len);
		put64(h + 32, (uint64_t)m->seq);
		ob_put(b, m->path, pl);
		ob_put(b, m->link, ll);
		if (m->data)
			ob_put(b, m->data, (size_t)m->len);
	}
}

int ocifs_img_outer_store(struct img_ctx *c, struct ocifs_src *file, const struct ocifs_ckpts *ck)
{
	struct ocifs_cache_tmp t;
	struct obuf b = { 0 };
	unsigned char *h, sum[OCIFS_SHA256_LEN];
	char *path = NULL;
	int rc;

	rc = read_small(c, file, ck);
	if (rc) {
		log_warn("%s: reading its small members: %s; no outer index stored", c->path,
			 strerror(-rc));
		return rc;
	}
	if (!c->o->cache_dir)
		return 0;
	rc = outer_path(c->o->cache_dir, &c->st, &path);
	if (rc)
		return rc;
	if ((h = ob_room(&b, OUTER_HDR)))
		put_hdr(h, &c->st, ck->comp, ck, c->nmem);
	put_members(c, &b);
	for (size_t i = 0; !rc && i < ck->n && !b.err; i++) {
		const struct ocifs_ckpt *k = &ck->v[i];
		if (!(h = ob_room(&b, OUTER_CK_HDR)))
			break;
		memset(h, 0, OUTER_CK_HDR);
		put64(h, k->coff);
		put64(h + 8, k->uoff);
		put32(h + 16, k->bits);
		put32(h + 20, k->flags);
		put32(h + 24, k->window ? k->wlen : 0);
		if (k->window)
			rc = ocifs_sha256(k->window, k->wlen, h + 32);
	}
	rc = rc ? rc : b.err;
	if (!rc) { /* the front: everything an open reads and checks */
		put64(b.p + 96, (uint64_t)b.n);
		rc = ocifs_sha256(b.p, b.n, sum);
	}
	if (!rc)
		ob_put(&b, sum, sizeof(sum));
	for (size_t i = 0; !rc && i < ck->n; i++)
		if (ck->v[i].window)
			ob_put(&b, ck->v[i].window, ck->v[i].wlen);
	rc = rc ? rc : b.err;
	if (!rc && !(rc = ocifs_cache_tmp_open(path, &t))) {
		size_t done = 0;
		while (!rc && done < b.n) {
			ssize_t w = write(t.fd, b.p + done, b.n - done);
			if (w < 0 && errno != EINTR)
				rc = -errno;
			else if (w > 0)
				done += (size_t)w;
		}
		if (rc) {
			log_warn("cache: %s: %s", t.path, strerror(-rc));
			ocifs_cache_tmp_abort(&t);
		} else {
			rc = ocifs_cache_tmp_commit(&t);
		}
	}
	if (!rc)
		log_dbg("%s: outer index stored in %s (%zu members, %zu checkpoints, %zu bytes)",
			c->path, path, c->nmem, ck->n, b.n);
	free(path);
	free(b.p);
	return rc;
}

/* --- load ------------------------------------------------------------------ */

struct rd {
	const unsigned char *p;
	size_t n, at;
};

static const unsigned char *take(struct rd *r, uint64_t n)
{
	if (n > r->n - r->at)
		return NULL;
	r->at += (size_t)n;
	return r->p + r->at - n;
}

static void free_members(struct img_member *mem, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(mem[i].path);
		free(mem[i].link);
		free(mem[i].data);
	}
	free(mem);
}

static char *dup_name(const unsigned char *p, size_t n)
{
	char *s;

	if (memchr(p, '\0', n) || !(s = malloc(n + 1)))
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Parse the member table; "why" says what is wrong with the record. */
static int get_members(struct rd *r, uint64_t nmem, uint64_t usize, struct img_member **out,
		       const char **why)
{
	struct img_member *mem;
	size_t n = 0;

	*out = NULL;
	if (nmem > (r->n - r->at) / OUTER_MEM_HDR) {
		*why = "member count past its end";
		return -EBADMSG;
	}
	if (!(mem = calloc(nmem ? (size_t)nmem : 1, sizeof(*mem))))
		return -ENOMEM;
	for (; n < nmem; n++) {
		struct img_member *m = &mem[n];
		const unsigned char *h = take(r, OUTER_MEM_HDR), *p, *l = NULL, *d = NULL;
		uint32_t pl, ll;

		if (!h)
			goto trunc;
		pl = ocifs_le32(h + 4);
		ll = ocifs_le32(h + 8);
		m->type = (char)h[0];
		m->sparse = h[1];
		m->off = ocifs_le64(h + 16);
		m->len = ocifs_le64(h + 24);
		m->seq = (size_t)ocifs_le64(h + 32);
		if (h[1] > 1 || h[2] > 1 || m->off > usize || m->len > usize - m->off ||
		    (h[2] && (m->type != '0' || m->len > OUTER_INLINE_MAX))) {
			*why = "a member out of bounds";
			goto bad;
		}
		if (!(p = take(r, pl)) || (ll != OUTER_NOLINK && !(l = take(r, ll))) ||
		    (h[2] && !(d = take(r, m->len))))
			goto trunc;
		if (!(m->path = dup_name(p, pl)) || (l && !(m->link = dup_name(l, ll)))) {
			*why = "a member name with a NUL byte";
			n++;
			goto bad;
		}
		if (d && !(m->data = malloc(m->len ? (size_t)m->len : 1))) {
			n++;
			free_members(mem, n);
			return -ENOMEM;
		}
		if (d)
			memcpy(m->data, d, (size_t)m->len);
	}
	*out = mem;
	return 0;
trunc:
	*why = "truncated";
bad:
	free_members(mem, n);
	return -EBADMSG;
}

/* The checkpoint table; the windows follow the front's sum in table
 * order (w: the mapping past the sum, to its end) and are only pointed
 * at here, not read. */
static int get_ckpts(struct rd *r, struct rd *w, uint64_t nck, struct ocifs_ckpts *ck,
		     const char **why)
{
	if (nck == 0 || nck > (r->n - r->at) / OUTER_CK_HDR) {
		*why = "checkpoint count out of bounds";
		return -EBADMSG;
	}
	for (uint64_t i = 0; i < nck; i++) {
		const unsigned char *h = take(r, OUTER_CK_HDR), *win;
		struct ocifs_ckpt k = { 0 };
		uint32_t wlen;
		int rc;

		if (!h) {
			*why = "truncated";
			return -EBADMSG;
		}
		k.coff = ocifs_le64(h);
		k.uoff = ocifs_le64(h + 8);
		k.bits = ocifs_le32(h + 16);
		k.flags = ocifs_le32(h + 20);
		wlen = ocifs_le32(h + 24);
		if (k.coff > ck->csize || k.uoff > ck->usize || k.bits > 7 ||
		    (k.flags & ~OCIFS_CK_MEMBER) || wlen > OUTER_WINDOW_MAX ||
		    (i == 0 ? k.uoff != 0 : k.uoff < ck->v[i - 1].uoff || k.coff < ck->v[i - 1].coff)) {
			*why = "a checkpoint out of bounds";
			return -EBADMSG;
		}
		if (!(win = take(w, wlen))) {
			*why = "truncated";
			return -EBADMSG;
		}
		if (wlen) { /* into the mapping ck->wmap; checked at use */
			k.window = (unsigned char *)win;
			k.wlen = wlen;
			k.wsum = h + 32;
		}
		rc = ocifs_ckpts_push(ck, &k);
		if (rc)
			return rc;
	}
	return 0;
}

/* Map the whole record read-only (never through a symlink): 0, -ENOENT
 * (none), or -EBADMSG with *why. Mapped, not read, and not populated: an
 * open touches the front's pages only; the windows stay in the page cache
 * until a cursor restarts at one, and the checkpoints point into the
 * mapping (zio.h). */
static int map_record(const char *path, unsigned char **map, size_t *len, const char **why)
{
	struct stat st;
	int fd = ocifs_cache_open_read(path);
	void *p;

	*map = NULL;
	if (fd == -ELOOP) {
		*why = "a symlink; not followed";
		return -EBADMSG;
	}
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (uint64_t)st.st_size > OUTER_FILE_MAX || st.st_size < OUTER_HDR + OCIFS_SHA256_LEN) {
		*why = !S_ISREG(st.st_mode) ? "not a regular file"
		       : st.st_uid != geteuid() ? "owned by another user"
		       : "of a size ocifs does not write";
		close(fd);
		return -EBADMSG;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		*why = strerror(errno);
		return -EBADMSG;
	}
	*map = p;
	*len = (size_t)st.st_size;
	return 0;
}

int ocifs_img_outer_load(struct img_ctx *c, enum ocifs_comp comp, struct ocifs_ckpts *ck)
{
	unsigned char *buf = NULL, sum[OCIFS_SHA256_LEN], want[OUTER_HDR];
	const char *why = NULL;
	struct img_member *mem = NULL;
	struct rd r, w;
	char *path = NULL;
	uint64_t front, nmem = 0, wmax = c->o->zstd_window_max ? c->o->zstd_window_max
						   : OCIFS_ZSTD_WINDOW_DEFAULT;
	size_t len = 0;
	int rc;

	memset(ck, 0, sizeof(*ck));
	if (!c->o->cache_dir)
		return -ENOENT;
	rc = outer_path(c->o->cache_dir, &c->st, &path);
	if (!rc)
		rc = map_record(path, &buf, &len, &why);
	if (rc)
		goto out;
	ck->wmap = buf; /* unmapped by ocifs_ckpts_fini() */
	ck->wmap_len = len;
	if (memcmp(buf, OUTER_MAGIC, 8)) {
		why = "checksum mismatch";
		rc = -EBADMSG;
		goto out;
	}
	if (ocifs_le32(buf + 8) != OUTER_VERSION) {
		log_dbg("cache: %s: another version of the format; rebuilt", path);
		rc = -ENOENT;
		goto out;
	}
	front = ocifs_le64(buf + 96);
	if (front < OUTER_HDR || front > len - OCIFS_SHA256_LEN) {
		why = "truncated";
		rc = -EBADMSG;
		goto out;
	}
	r = (struct rd){ .p = buf, .n = (size_t)front };
	w = (struct rd){ .p = buf + front + OCIFS_SHA256_LEN,
			 .n = len - (size_t)front - OCIFS_SHA256_LEN };
	if ((rc = ocifs_sha256(buf, r.n, sum)))
		goto out;
	if (memcmp(sum, buf + r.n, sizeof(sum))) {
		why = "checksum mismatch";
		rc = -EBADMSG;
		goto out;
	}
	/* The identity as the file is now: a mismatch is a file that
	 * changed (or a record of another codec): rebuilt quietly. */
	ck->usize = ocifs_le64(buf + 56);
	ck->csize = ocifs_le64(buf + 64);
	ck->window = ocifs_le64(buf + 72);
	ck->n = 0;
	put_hdr(want, &c->st, comp, ck, 0);
	if (memcmp(want, buf, 56)) {
		log_dbg("%s: the file changed since %s was written; rebuilt", c->path, path);
		rc = -ENOENT;
		goto out;
	}
	if (ck->csize > (uint64_t)c->st.st_size || ck->usize == 0 ||
	    ck->window > OCIFS_ZSTD_WINDOW_CEIL) {
		why = "sizes out of bounds";
		rc = -EBADMSG;
		goto out;
	}
	if (comp == OCIFS_COMP_ZSTD && ck->window > wmax) {
		rc = -ENOENT; /* the decode pass refuses it, with its message */
		goto out;
	}
	nmem = ocifs_le64(buf + 80);
	r.at = OUTER_HDR;
	rc = get_members(&r, nmem, ck->usize, &mem, &why);
	if (!rc) {
		ck->comp = comp;
		rc = get_ckpts(&r, &w, ocifs_le64(buf + 88), ck, &why);
	}
	if (!rc && (r.at != r.n || w.at != w.n)) {
		why = "trailing bytes";
		rc = -EBADMSG;
	}
	if (!rc) {
		ck->window_max = c->o->zstd_window_max;
		c->mem = mem;
		c->nmem = (size_t)nmem;
		mem = NULL;
		log_dbg("%s: outer index from %s (%zu members, %zu checkpoints)", c->path, path,
			c->nmem, ck->n);
	}
out:
	if (rc == -EBADMSG && why) {
		log_warn("cache: %s: %s; rebuilding it", path, why);
		rc = -ENOENT;
	}
	if (rc) {
		free_members(mem, mem ? (size_t)nmem : 0);
		ocifs_ckpts_fini(ck);
	}
	free(path);
	return rc;
}

/* --- small members served from memory -------------------------------------- */

struct memsrc {
	unsigned char *p;
	size_t n;
};

static int memsrc_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	const struct memsrc *m = s->priv;

	*got = 0;
	if (off >= m->n)
		return 0;
	*got = n < m->n - off ? n : m->n - (size_t)off;
	memcpy(buf, m->p + off, *got);
	return 0;
}

static void memsrc_destroy(struct ocifs_src *s)
{
	struct memsrc *m = s->priv;

	free(m->p);
	free(m);
}

static const struct ocifs_src_ops memsrc_ops = {
	.pread = memsrc_pread,
	.destroy = memsrc_destroy,
};

int ocifs_img_member_src(const struct img_ctx *c, const struct img_member *m,
			 struct ocifs_src **out)
{
	struct memsrc *ms = calloc(1, sizeof(*ms));
	char name[512];
	int rc;

	if (!ms || !(ms->p = malloc(m->len ? (size_t)m->len : 1))) {
		free(ms);
		return -ENOMEM;
	}
	memcpy(ms->p, m->data, (size_t)m->len);
	ms->n = (size_t)m->len;
	snprintf(name, sizeof(name), "%s@%llu", c->path, (unsigned long long)m->off);
	rc = ocifs_src_new(&memsrc_ops, ms, m->len, name, out);
	if (rc) {
		free(ms->p);
		free(ms);
	}
	return rc;
}
