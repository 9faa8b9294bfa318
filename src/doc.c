/* SPDX-License-Identifier: MIT */
/*
 * The generated-document cache (doc.h): key derivation, loading with a
 * frame check, building under a per-document lock, storing through the
 * cache's temp files. Every document kind goes through here; nothing
 * here knows what a document contains.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "doc.h"
#include "log.h"
#include "trace.h"
#include "sha.h"

#define DOC_READ_MAX (1ull << 30) /* a read (not mapped) document */

void ocifs_doc_release(struct ocifs_doc *d)
{
	if (!d)
		return;
	if (d->mapped && d->data)
		munmap(d->data, d->len);
	else
		free(d->data);
	memset(d, 0, sizeof(*d));
}

/* The GNU build-id of the running program (id[0] its length, then up to
 * 32 bytes), so that a rebuilt ocifs, whose analysis may differ within
 * one version number, does not trust documents an older build wrote. */
static int self_note(struct dl_phdr_info *info, size_t size, void *ctx)
{
	unsigned char *id = ctx;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		size_t off = 0;

		if (ph->p_type != PT_NOTE)
			continue;
		while (off + sizeof(ElfW(Nhdr)) <= ph->p_memsz) {
			const ElfW(Nhdr) *nh = (const void *)(p + off);
			size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;
			const unsigned char *d = p + off + sizeof(*nh) + name;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(p + off + sizeof(*nh), "GNU", 4) &&
			    off + sizeof(*nh) + name + nh->n_descsz <= ph->p_memsz) {
				id[0] = (unsigned char)(nh->n_descsz < 32 ? nh->n_descsz : 32);
				memcpy(id + 1, d, id[0]);
				return 1;
			}
			off += sizeof(*nh) + name + desc;
		}
	}
	return 1; /* the first object is the program itself */
}

int ocifs_doc_key(const struct ocifs_doc_kind *k, const struct ocifs_image *img,
		  const void *extra, size_t extra_len, unsigned char key[32])
{
	struct ocifs_sha *h;
	char tag[128];
	int rc = ocifs_sha_new(&h);

	if (rc)
		return rc;
	/* These bytes are the keys of caches already on disk: change them
	 * only with the schema. */
	if (k->key_flags & OCIFS_DOC_KEY_PROGRAM) {
		unsigned char self[33] = { 0 };
		snprintf(tag, sizeof(tag), "ocifs-%s %s schema %d\n", k->name, PACKAGE_VERSION,
			 k->schema);
		ocifs_sha_update(h, tag, strlen(tag));
		dl_iterate_phdr(self_note, self);
		ocifs_sha_update(h, self, sizeof(self));
	} else {
		snprintf(tag, sizeof(tag), "ocifs-%s-%d\n", k->name, k->schema);
		ocifs_sha_update(h, tag, strlen(tag));
	}
	ocifs_sha_update(h, img->manifest_digest, strlen(img->manifest_digest));
	for (size_t i = 0; i < img->nlayers; i++) {
		ocifs_sha_update(h, "\n", 1);
		ocifs_sha_update(h, img->layers[i].digest, strlen(img->layers[i].digest));
		if (k->key_flags & OCIFS_DOC_KEY_DIFF_IDS)
			ocifs_sha_update(h, img->layers[i].diff_id, strlen(img->layers[i].diff_id));
	}
	if (extra && extra_len)
		ocifs_sha_update(h, extra, extra_len);
	ocifs_sha_final(h, key);
	ocifs_sha_free(h);
	return 0;
}

int ocifs_doc_path(const struct ocifs_doc_kind *k, const char *cache_dir,
		   const unsigned char key[32], char **out)
{
	char hex[OCIFS_DIGEST_STRLEN + 1];

	ocifs_digest_format(key, hex);
	return asprintf(out, "%s/%s/%s%s", cache_dir, k->subdir, hex + 7, k->ext) < 0 ? -ENOMEM
										       : 0;
}

static int read_all(int fd, char *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = pread(fd, buf + done, n - done, (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ESTALE; /* shrank under us: not the file we sized */
		done += (size_t)r;
	}
	return 0;
}

/*
 * "<file>.ok": the identity of a document file that passed its kind's
 * full check, and the kind's memo (doc.h, quick). Fixed size, native
 * byte order (it never leaves this machine's cache).
 */
struct doc_stamp {
	char magic[8];
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	uint32_t memo_len, pad;
	unsigned char memo[OCIFS_DOC_MEMO_MAX];
};

#define DOC_STAMP_MAGIC "OCIFSOK1"

static void stamp_of(const struct stat *st, struct doc_stamp *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->magic, DOC_STAMP_MAGIC, sizeof(s->magic));
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = (uint64_t)st->st_size;
	s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	s->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* The memo recorded for the file whose fstat is st, if its stamp says
 * it is that very file, unchanged: 1 and *got filled, else 0.
 *
 * File times move in clock ticks, so a write in the same tick as the
 * stamped fstat would leave ctime as it was. As git does for its index
 * ("racily clean" entries), a stamp proves only what changed in a tick
 * before the stamp's own: the file's ctime must be older than the
 * stamp file's, else the file is checked in full (and stamped again). */
static int stamp_matches(const char *path, const struct stat *st, struct doc_stamp *got)
{
	struct doc_stamp want;
	struct stat sst;
	char *sp = NULL;
	ssize_t n = -1;
	int fd, racy = 1;

	if (asprintf(&sp, "%s.ok", path) < 0)
		return 0;
	fd = ocifs_cache_open_read(sp); /* never through a symlink */
	free(sp);
	if (fd < 0)
		return 0;
	n = pread(fd, got, sizeof(*got), 0);
	stamp_of(st, &want);
	if (fstat(fd, &sst) == 0 && S_ISREG(sst.st_mode))
		racy = (int64_t)sst.st_ctim.tv_sec * 1000000000 + sst.st_ctim.tv_nsec <=
		       want.ctime_ns;
	close(fd);
	return !racy && n == (ssize_t)sizeof(*got) && got->memo_len <= OCIFS_DOC_MEMO_MAX &&
	       !memcmp(got, &want, offsetof(struct doc_stamp, memo_len));
}

/* Record that the file (fstat st) passed the full check; best effort: a
 * stamp that cannot be written only means the next load checks fully. */
static void stamp_write(const struct ocifs_doc_kind *k, const char *path, const struct stat *st,
			void *ctx)
{
	struct doc_stamp s;
	char *sp = NULL;

	stamp_of(st, &s);
	s.memo_len = (uint32_t)k->memo(ctx, s.memo, sizeof(s.memo));
	if (s.memo_len > sizeof(s.memo) || asprintf(&sp, "%s.ok", path) < 0)
		return;
	(void)ocifs_cache_write_atomic(sp, &s, sizeof(s));
	free(sp);
}

int ocifs_doc_load(const struct ocifs_doc_kind *k, const char *path, void *ctx,
		   struct ocifs_doc *out)
{
	struct doc_stamp stamp;
	struct ocifs_doc d = { 0 };
	struct stat st;
	int fd = ocifs_cache_open_read(path), rc; /* never through a symlink */

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return fd == -ELOOP ? -ESTALE : -ENOENT;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (!k->map && (uint64_t)st.st_size >= DOC_READ_MAX)) {
		close(fd);
		return -ESTALE;
	}
	d.len = (size_t)st.st_size;
	if (k->map) {
		d.data = mmap(NULL, d.len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (d.data == MAP_FAILED) {
			rc = errno == ENOMEM ? -ENOMEM : -ESTALE;
			close(fd);
			return rc;
		}
		d.mapped = 1;
		rc = 0;
	} else if (!(d.data = malloc(d.len + 1))) {
		rc = -ENOMEM;
	} else {
		rc = read_all(fd, d.data, d.len);
		((char *)d.data)[d.len] = '\0';
	}
	close(fd);
	/* Unchanged since a full check: the kind's O(1) check (a view need
	 * not be walked again on every mount); else the full check, then
	 * the stamp that lets the next load skip it. */
	if (!rc && k->check && k->quick && k->memo && stamp_matches(path, &st, &stamp) &&
	    k->quick(ctx, d.data, d.len, stamp.memo, stamp.memo_len) == 0) {
		d.checked_quick = 1;
	} else if (!rc && k->check) {
		rc = k->check(ctx, d.data, d.len) ? -ESTALE : 0;
		if (!rc && k->quick && k->memo)
			stamp_write(k, path, &st, ctx);
	}
	if (rc) {
		ocifs_doc_release(&d);
		return rc;
	}
	d.from_cache = 1;
	*out = d;
	return 0;
}

/* Take the lock "<hex>.lock" beside the document's file <hex><ext>
 * at path: an fd to close, or -EINTR (r->cancelled said so), or another
 * -errno when there is no lock to take (the caller builds without it). */
static int doc_lock(const struct ocifs_doc_req *r, const char *path)
{
	size_t stem = strlen(path) - strlen(r->kind->ext);
	char *lp;
	int fd;

	if (asprintf(&lp, "%.*s.lock", (int)stem, path) < 0)
		return -ENOMEM;
	fd = ocifs_cache_lock_file(lp, r->cancelled, r->cancel_ctx);
	if (fd < 0 && fd != -EINTR)
		log_dbg("cache: %s: %s; building without the lock", lp, strerror(-fd));
	free(lp);
	return fd;
}

/* Build r's document and, with a path, store it. */
static int doc_build_store(const struct ocifs_doc_req *r, const char *path, struct ocifs_doc *out)
{
	const struct ocifs_doc_kind *k = r->kind;
	struct ocifs_doc d = { 0 };
	int rc = r->build(r->ctx, &d.data, &d.len), stored = 0;

	if (rc)
		return rc;
	if (path) {
		stored = ocifs_cache_write_atomic(path, d.data, d.len) == 0;
		if (!stored)
			log_warn("%s: cannot write the %s cache", path, k->name);
	}
	if (k->map && stored && ocifs_doc_load(k, path, r->ctx, out) == 0) {
		ocifs_doc_release(&d); /* served from the page cache instead */
		out->from_cache = 0;
		return 0;
	}
	if (k->map && k->check && k->check(r->ctx, d.data, d.len)) {
		log_err("%s: the %s just built fails its own check", path ? path : "(memory)",
			k->name);
		ocifs_doc_release(&d);
		return -ESTALE;
	}
	*out = d;
	return 0;
}

static int doc_get(const struct ocifs_doc_req *r, struct ocifs_doc *out);

/* The "write document" span around doc_get(): which, how big, and
 * whether this call built it or found it in the cache. */
int ocifs_doc_get(const struct ocifs_doc_req *r, struct ocifs_doc *out)
{
	ocifs_span sp = ocifs_trace_begin("write document", 0);
	int rc;

	ocifs_trace_str(sp, "ocifs.document", r->kind->name);
	rc = doc_get(r, out);
	if (rc) {
		ocifs_trace_error(sp, strerror(-rc));
	} else {
		ocifs_trace_int(sp, "ocifs.bytes", (int64_t)out->len);
		ocifs_trace_str(sp, "ocifs.source", out->from_cache ? "cache" : "built");
	}
	ocifs_trace_end(sp);
	return rc;
}

static int doc_get(const struct ocifs_doc_req *r, struct ocifs_doc *out)
{
	unsigned char key[32];
	char *path = NULL;
	int rc, lock;

	memset(out, 0, sizeof(*out));
	if (!r->cache_dir)
		return doc_build_store(r, NULL, out);
	if ((rc = ocifs_doc_key(r->kind, r->img, r->extra, r->extra_len, key)) ||
	    (rc = ocifs_doc_path(r->kind, r->cache_dir, key, &path)))
		return rc;
	rc = ocifs_doc_load(r->kind, path, r->ctx, out);
	if (rc == 0 || rc == -ENOMEM)
		goto out;
	if (rc == -ESTALE)
		log_warn("cache %s is unusable; rebuilding it", path);
	/* A kind newer than the cache dir may miss its directory; without
	 * a usable one (logged) the document is built, not stored. */
	if (ocifs_cache_subdir(r->cache_dir, r->kind->subdir)) {
		rc = doc_build_store(r, NULL, out);
		goto out;
	}
	lock = doc_lock(r, path);
	if (lock == -EINTR) {
		rc = lock;
		goto out;
	}
	/* Whoever held the lock may have stored the document meanwhile. */
	if (lock < 0 || (rc = ocifs_doc_load(r->kind, path, r->ctx, out)) != 0)
		rc = doc_build_store(r, path, out);
	if (lock >= 0)
		close(lock); /* releases the flock */
out:
	free(path);
	return rc;
}
