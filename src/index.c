/* SPDX-License-Identifier: MIT */
/*
 * One pass per layer (see index.h). Data flow (index_pipe.h):
 *
 *   decoder thread:  blob --pread--> zpass --> chunk ring
 *                        `--> side ring --> sha256(blob)
 *   calling thread:  chunk ring --> sha256(diff_id)
 *                    chunk ring --> tar reader --> per-file sha256 + magic
 *                        --> SQLite (temp)
 *
 * The file data is hashed where it lies in the ring (no copy), into the
 * diff_id and the file's hash in one pass (sha.h: ocifs_sha_update2), and
 * the side ring's compressed bytes ride along in the same loop
 * (ocifs_sha_update2_ride), so the pass runs on two threads, one a core.
 * On a CPU that cannot pair them, a hasher thread takes the blob and the
 * diff_id. For a registry blob the decoder thread's tap also takes the
 * sha256 of every 256 KiB of it, the sums its later Range reads are
 * checked against (image_regverify.c), stored once the digest matched. The rings hold a few MiB, so memory stays bounded whatever the
 * layer size. On any error all threads stop, the temp file is removed
 * and the error is reported once, naming the layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "err.h"
#include "esc.h"
#include "hashtab.h"
#include "idxart.h"
#include "idxdb.h"
#include "index.h"
#include "index_pipe.h"
#include "log.h"
#include "path.h"
#include "tar.h"
#include "timens.h"

#define CHUNK (1u << 20) /* most bytes a data read asks for */
/* Sparse files are hashed by their logical content, holes included; past
 * this size (the Go corpus has a 60 GB one) they are left unhashed. */
#define SPARSE_HASH_MAX (1ull << 30)

struct input_tap {
	struct ocifs_sha *sha_c;
	struct ocifs_index_pipe *pl; /* hashes sha_c on its hasher thread */
	uint64_t done, last_report;
	const struct ocifs_index_opts *o;
	/* a registry blob's chunk sums (image_regverify.c), or sums NULL */
	struct ocifs_sha *sha_k;
	unsigned char *sums;         /* nsums * 32 */
	uint64_t nsums;
};

/* The sha256 of every OCIFS_IDXART_CHUNK bytes of the blob: the tap sees
 * exactly the blob's bytes from 0 in order, each once (zio.h), on the
 * decoder thread, which the paired hashes leave the lighter one. */
static void chunk_sums(struct input_tap *t, const unsigned char *p, size_t n)
{
	uint64_t at = t->done;

	while (n) {
		uint64_t in = at % OCIFS_IDXART_CHUNK, take = OCIFS_IDXART_CHUNK - in;
		if (take > n)
			take = n;
		if (at / OCIFS_IDXART_CHUNK >= t->nsums)
			return; /* longer than it said: the size check refuses it */
		ocifs_sha_update(t->sha_k, p, (size_t)take);
		at += take;
		p += take;
		n -= (size_t)take;
		if (at % OCIFS_IDXART_CHUNK == 0)
			ocifs_sha_final(t->sha_k, t->sums + (at / OCIFS_IDXART_CHUNK - 1) *
								    OCIFS_SHA256_LEN);
	}
}

/* After the blob matched its digest: the last chunk's sum, and the sums
 * into CACHE/layers/<hex>.chunks (before the index, whose trust needs
 * them: layer.c). */
static int chunks_store(const char *name, const struct input_tap *t, const char *cache_dir,
			const char *digest)
{
	size_t ml = strlen(OCIFS_IDXART_CHUNKS_MAGIC), sl = (size_t)t->nsums * OCIFS_SHA256_LEN;
	char *path = NULL, *rec;
	int rc;

	if (t->done % OCIFS_IDXART_CHUNK)
		ocifs_sha_final(t->sha_k, t->sums + (t->done / OCIFS_IDXART_CHUNK) * OCIFS_SHA256_LEN);
	if ((rc = ocifs_cache_layer_path(cache_dir, digest, ".chunks", &path)) != 0)
		return rc;
	if (!(rec = malloc(ml + sl + 1))) {
		free(path);
		return -ENOMEM;
	}
	memcpy(rec, OCIFS_IDXART_CHUNKS_MAGIC, ml);
	memcpy(rec + ml, t->sums, sl);
	rc = ocifs_cache_write_atomic(path, rec, ml + sl);
	if (rc)
		log_err("%s: cannot write its chunk sums %s: %s", name, path, strerror(-rc));
	free(rec);
	free(path);
	return rc;
}

static void on_input(void *ctx, const void *p, size_t n)
{
	struct input_tap *t = ctx;

	if (t->sums)
		chunk_sums(t, p, n);
	if (t->pl)
		ocifs_index_pipe_side(t->pl, p, n);
	else
		ocifs_sha_update(t->sha_c, p, n);
	t->done += n;
	if (t->o->progress && t->done - t->last_report >= (4u << 20)) {
		t->last_report = t->done;
		t->o->progress(t->o->ctx, t->done);
	}
}

/* The pipeline's producer: decoded bytes (zpass hands the compressed
 * ones to on_input on the way). */
static int produce(void *ctx, void *buf, size_t n, size_t *got)
{
	return ocifs_zpass_read(ctx, buf, n, got);
}

struct pass {
	const char *name;          /* "layer 2 (sha256:…)" */
	struct ocifs_tar *tar;
	struct ocifs_idxdb *db;
	struct ocifs_sha *sha_f;
	struct ocifs_index_pipe *pl;
	struct ocifs_strmap seen;    /* every path with an entry */
	struct ocifs_strmap parents; /* every parent path referenced */
	struct ocifs_index_stats *st;
};

static uint32_t magic_flags(const unsigned char *p, size_t n)
{
	if (n >= 4 && memcmp(p, "\177ELF", 4) == 0)
		return OCIFS_EF_ELF;
	if (n >= 4 && memcmp(p, "PK\3\4", 4) == 0)
		return OCIFS_EF_ZIP;
	if (n >= 2 && p[0] == '#' && p[1] == '!')
		return OCIFS_EF_SCRIPT;
	return 0;
}

static void hash_zeros(struct ocifs_sha *h, uint64_t n, const unsigned char *zeros, size_t zlen)
{
	while (n) {
		size_t k = n < zlen ? (size_t)n : zlen;
		ocifs_sha_update(h, zeros, k);
		n -= k;
	}
}

/* Read the entry's data: sha256 of the logical content and its magic. */
static int hash_entry(struct pass *ps, const struct ocifs_tar_entry *te, struct ocifs_entry *e)
{
	static const unsigned char zeros[65536];
	unsigned char head[8] = { 0 };
	size_t headn = 0, got, seg = 0;
	uint64_t done = 0; /* data bytes read */
	uint64_t seg_left = te->nsparse ? te->sparse[0].len : te->data_len;
	uint64_t logical = te->nsparse ? te->sparse[0].off : 0;
	int hash = !te->nsparse || te->size <= SPARSE_HASH_MAX, rc;

	if (te->nsparse && hash)
		hash_zeros(ps->sha_f, logical, zeros, sizeof(zeros));
	for (;;) {
		const void *v;
		const unsigned char *q;

		rc = ocifs_tar_read_ref(ps->tar, &v, CHUNK, &got);
		if (rc)
			return rc;
		if (!got)
			break;
		q = v;
		/* Non-sparse data: into the file's hash and the diff_id in
		 * one pass (the data starts on a 512-byte boundary of the tar,
		 * so both are at the same offset in a sha256 block). */
		int paired = ps->pl && !te->nsparse && hash;
		if (paired)
			ocifs_index_pipe_pair(ps->pl, te->data_off + done, q, got, ps->sha_f);
		done += got;
		if (headn < sizeof(head) && logical == headn) {
			size_t k = sizeof(head) - headn < got ? sizeof(head) - headn : got;
			memcpy(head + headn, q, k);
			headn += k;
		}
		/* walk the sparse map across this chunk */
		for (size_t p = 0; p < got;) {
			while (te->nsparse && seg_left == 0 && seg + 1 < te->nsparse) {
				seg++;
				if (hash)
					hash_zeros(ps->sha_f, te->sparse[seg].off - logical, zeros,
						   sizeof(zeros));
				logical = te->sparse[seg].off;
				seg_left = te->sparse[seg].len;
			}
			size_t k = got - p;
			if (te->nsparse && k > seg_left)
				k = (size_t)seg_left;
			if (k == 0)
				break; /* map exhausted: tar.c bounds data_len */
			if (hash && !paired)
				ocifs_sha_update(ps->sha_f, q + p, k);
			p += k;
			logical += k;
			seg_left -= te->nsparse ? k : 0;
		}
	}
	if (te->nsparse && hash && te->size > logical)
		hash_zeros(ps->sha_f, te->size - logical, zeros, sizeof(zeros));
	if (hash) {
		ocifs_sha_final(ps->sha_f, e->sha256);
		e->flags |= OCIFS_EF_HASHED;
	} else {
		unsigned char d[OCIFS_SHA256_LEN];
		ocifs_sha_final(ps->sha_f, d); /* reset */
	}
	if (te->nsparse && te->sparse[0].off != 0)
		headn = 0; /* starts with a hole: zeros */
	e->flags |= magic_flags(head, headn);
	return 0;
}

static int add_parents(struct pass *ps, const char *path)
{
	for (const char *s = strrchr(path, '/'); s; ) {
		int rc = ocifs_strmap_put(&ps->parents, path, (size_t)(s - path), 0, NULL);
		if (rc <= 0)
			return rc; /* present: its parents are too */
		const char *t = s;
		do
			t--;
		while (t > path && *t != '/');
		s = (*t == '/') ? t : NULL;
	}
	return 0;
}

static int index_entry(struct pass *ps, struct ocifs_tar_entry *te)
{
	struct ocifs_entry e = { 0 };
	char *path = NULL, *link = NULL, *slash;
	int rc;

	path = strdup(te->path);
	if (!path)
		return -ENOMEM;
	if (ocifs_path_normalize(path)) {
		char *ep = NULL;
		ocifs_esc_name(te->path, &ep); /* a tar path: untrusted bytes */
		log_warn("%s: skipping \"%s\": path leaves the root", ps->name, ep ? ep : "?");
		free(ep);
		ps->st->skipped++;
		free(path);
		return 0;
	}
	if (te->type == '1' && te->linkname) {
		link = strdup(te->linkname);
		if (!link) {
			free(path);
			return -ENOMEM;
		}
		if (ocifs_path_normalize(link)) {
			char *ep = NULL;
			ocifs_esc_name(te->path, &ep);
			log_warn("%s: skipping hardlink \"%s\": target leaves the root", ps->name,
				 ep ? ep : "?");
			free(ep);
			ps->st->skipped++;
			free(path);
			free(link);
			return 0;
		}
	}
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		e.dir = path;
		e.name = slash + 1;
	} else {
		e.dir = "";
		e.name = path;
	}
	e.type = te->type;
	e.mode = te->mode & 07777;
	e.uid = te->uid;
	e.gid = te->gid;
	e.mtime_ns = ocifs_ns_from_sec(te->mtime, te->mtime_ns);
	e.size = te->size;
	e.hdr_off = te->hdr_off;
	e.data_off = te->data_off;
	e.data_len = te->data_len;
	e.devmajor = te->devmajor;
	e.devminor = te->devminor;
	e.link = link ? link : te->linkname;
	e.uname = te->uname;
	e.gname = te->gname;
	e.nsparse = te->nsparse;
	e.sparse = te->sparse;
	if (te->nsparse)
		e.flags |= OCIFS_EF_SPARSE;
	rc = 0;
	if (te->type == '0')
		rc = hash_entry(ps, te, &e);
	if (!rc)
		rc = ocifs_idxdb_add(ps->db, &e, te->xattr, te->nxattr);
	if (slash)
		*slash = '/';
	if (!rc && ocifs_strmap_put(&ps->seen, path, strlen(path), 0, NULL) < 0)
		rc = -ENOMEM;
	if (!rc)
		rc = add_parents(ps, path);
	ps->st->entries++;
	free(path);
	free(link);
	return rc;
}

/* The parents no entry named, as 0755 root dirs, in the order they were
 * first referenced. */
static int add_implicit_dirs(struct pass *ps)
{
	for (size_t i = 0; i < ps->parents.n; i++) {
		const char *key = ocifs_strmap_key(&ps->parents, i);
		struct ocifs_entry e = { .type = '5', .mode = 0755, .flags = OCIFS_EF_IMPLICIT };
		char *p, *slash;
		int rc;

		if (ocifs_strmap_get(&ps->seen, key, ps->parents.e[i].len, NULL))
			continue;
		if (!(p = strdup(key)))
			return -ENOMEM;
		slash = strrchr(p, '/');
		e.dir = "";
		e.name = p;
		if (slash) {
			*slash = '\0';
			e.dir = p;
			e.name = slash + 1;
		}
		rc = ocifs_idxdb_add(ps->db, &e, NULL, 0);
		free(p);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_digest(const char *name, const char *what, const char *want,
			const unsigned char got[OCIFS_SHA256_LEN])
{
	char hex[OCIFS_DIGEST_STRLEN + 1];

	ocifs_digest_format(got, hex);
	if (!*want || strcmp(want, hex) == 0)
		return 0;
	log_err("%s: %s mismatch (expected %s, got %s)", name, what, want, hex);
	return -OCIFS_EDIGEST;
}

/* After a decode or tar error: if the blob is not what its digest says,
 * that is the real cause (a flipped byte usually breaks the gzip stream
 * before the digest can be compared), so report the mismatch instead. */
static int blame_digest(const char *name, const struct ocifs_layer_desc *ld, int rc,
			struct ocifs_log_hold *hold)
{
	char got[OCIFS_DIGEST_STRLEN + 1];

	if (!*ld->digest || ocifs_sha256_src(ld->blob, NULL, NULL, got) != 0 ||
	    strcmp(got, ld->digest) == 0)
		return rc;
	ocifs_log_hold_release(hold, 0, NULL); /* drop the symptom */
	log_err("%s: digest mismatch (expected %s, got %s)", name, ld->digest, got);
	return -OCIFS_EDIGEST;
}

/* Run the tar through the pipeline into the db; drain what follows it. */
static int run_pass(struct pass *ps, struct ocifs_index_pipe *pl)
{
	struct ocifs_stream in;
	struct ocifs_tar_entry *te;
	size_t got;
	int rc;

	ocifs_index_pipe_stream(pl, &in);
	rc = ocifs_tar_new(&in, ps->name, &ps->tar);
	if (rc)
		return rc;
	while ((rc = ocifs_tar_next(ps->tar, &te)) == 0 && te)
		if ((rc = index_entry(ps, te)) != 0)
			break;
	if (rc)
		return rc;
	/* Trailing zero blocks and padding belong to the diff_id too. Other
	 * bytes after the end-of-archive marker are ignored, as runtimes do,
	 * but said: they mean a writer bug or a reader bug. */
	uint64_t junk = 0;
	do {
		const void *v;

		rc = in.peek(in.ctx, &v, CHUNK, &got);
		for (size_t k = 0; !rc && k < got; k++)
			junk += ((const unsigned char *)v)[k] != 0;
	} while (!rc && got);
	if (!rc && junk)
		log_warn("%s: %" PRIu64 " non-zero bytes after the end of the archive; ignored",
			 ps->name, junk);
	return rc;
}

int ocifs_index_build(struct ocifs_layer_desc *ld, unsigned num,
		      const struct ocifs_index_opts *o, struct ocifs_index_stats *st)
{
	struct ocifs_index_pipe *pl = NULL;
	struct ocifs_index_pipe_opts po = { .produce = produce };
	struct ocifs_zpass *zp = NULL;
	struct ocifs_sha *sha_u = NULL;
	struct input_tap tap = { .o = o };
	struct pass ps = { 0 };
	struct ocifs_ckpts ck = { 0 };
	struct ocifs_zpass_opts zo = { 0 };
	unsigned char magic[OCIFS_COMP_MAGIC], dc[OCIFS_SHA256_LEN], du[OCIFS_SHA256_LEN];
	char name[PATH_MAX + 128], *final = NULL, hexd[OCIFS_DIGEST_STRLEN + 1];
	struct ocifs_cache_tmp tmp = { .dfd = -1, .fd = -1 };
	int rc;
	size_t got;
	struct stat sb;
	struct ocifs_log_hold hold = { .have = 0 };

	memset(st, 0, sizeof(*st));
	snprintf(name, sizeof(name), "%s%slayer %u (%.19s…)", o->image ? o->image : "",
		 o->image ? ": " : "", num, *ld->digest ? ld->digest : ld->diff_id);
	ps.name = name;
	ps.st = st;
	rc = ocifs_src_pread(ld->blob, magic, sizeof(magic), 0, &got);
	if (rc)
		return rc;
	zo.comp = ocifs_comp_detect(magic, got);
	if (!ocifs_comp_supported(zo.comp)) {
		log_err("%s: unsupported layer compression %s", name, ocifs_comp_name(zo.comp));
		return -EOPNOTSUPP;
	}
	zo.span = o->span;
	zo.window_max = o->zstd_window_max;
	zo.on_input = on_input;
	zo.ctx = &tap;
	st->comp = zo.comp;
	/* Without a blob digest, an uncompressed blob's digest is its diff_id
	 * (old docker-archive); anything else needs hashing first (layer.c). */
	if (!*ld->digest && zo.comp == OCIFS_COMP_NONE)
		memcpy(ld->digest, ld->diff_id, sizeof(ld->digest));
	if (!ocifs_digest_valid(ld->digest)) {
		log_err("%s: no valid digest to index it under", name);
		return -EINVAL;
	}
	rc = ocifs_cache_layer_path(o->cache_dir, ld->digest, ".db", &final);
	if (rc)
		return rc;
	ocifs_log_hold_attach(&hold); /* released at out: */

	/* Where the CPU can hash two streams over the same bytes in one pass
	 * (sha.h), the diff_id is taken on this thread beside the file hashes;
	 * else on a hasher thread of its own. */
	int pair = zo.comp != OCIFS_COMP_NONE && ocifs_sha_pairs();
	if ((rc = pair ? ocifs_sha_new_pairable(&tap.sha_c) : ocifs_sha_new(&tap.sha_c)) ||
	    (rc = pair ? ocifs_sha_new_pairable(&ps.sha_f) : ocifs_sha_new(&ps.sha_f)) ||
	    (zo.comp != OCIFS_COMP_NONE &&
	     (rc = pair ? ocifs_sha_new_pairable(&sha_u) : ocifs_sha_new(&sha_u))))
		goto out;
	/* A registry blob: every later read of it is a Range request checked
	 * against these (image_regverify.c), made here from the bytes this
	 * pass hashes anyway, so the blob is read and checked once. */
	if (ld->id.dev == OCIFS_FILEID_REMOTE && ld->blob->size != UINT64_MAX) {
		tap.nsums = (ld->blob->size + OCIFS_IDXART_CHUNK - 1) / OCIFS_IDXART_CHUNK;
		if ((rc = ocifs_sha_new(&tap.sha_k)) ||
		    !(tap.sums = malloc(tap.nsums ? tap.nsums * OCIFS_SHA256_LEN : 1))) {
			rc = rc ? rc : -ENOMEM;
			goto out;
		}
	}
	/* SQLite opens by path: the name is created first, exclusively and
	 * unguessably, and checked to be still ours once SQLite has it open. */
	rc = ocifs_cache_tmp_open(final, &tmp);
	if (rc)
		goto out;
	rc = ocifs_idxdb_create(tmp.path, &ps.db);
	if (!rc)
		rc = ocifs_cache_tmp_check(&tmp);
	if (rc)
		goto out;
	/* the pass reads the blob whole, in order: a registry streams it in
	 * one GET (the magic above was a read of its own) */
	ocifs_src_advise_whole(ld->blob, 1);
	rc = ocifs_zpass_new(ld->blob, &zo, &zp);
	if (rc)
		goto out;
	po.ctx = zp;
	/* sha_u is NULL for uncompressed blobs: diff_id = digest */
	if (pair)
		po.inline_sha = sha_u;
	else
		po.sha = sha_u;
	po.hold = &hold;
	po.side_sha = tap.sha_c;
	po.side_ride = pair;
	rc = ocifs_index_pipe_start(&po, &tap.pl);
	pl = tap.pl;
	if (rc)
		goto out;
	ps.pl = pair ? pl : NULL;
	rc = run_pass(&ps, pl);
	if (!rc)
		rc = ocifs_index_pipe_finish(pl);
	if (rc)
		goto out;
	rc = ocifs_zpass_finish(zp, &ck);
	if (rc)
		goto out;
	ocifs_sha_final(tap.sha_c, dc);
	if (sha_u)
		ocifs_sha_final(sha_u, du);
	else
		memcpy(du, dc, sizeof(du)); /* uncompressed: the same bytes */
	if ((rc = check_digest(name, "digest", ld->digest, dc)) ||
	    (rc = check_digest(name, "diff_id", ld->diff_id, du)))
		goto out;
	if (ld->size && tap.done != ld->size) {
		log_err("%s: blob is %" PRIu64 " bytes, manifest says %" PRIu64, name, tap.done, ld->size);
		rc = -OCIFS_EDIGEST;
		goto out;
	}
	if (tap.sums && tap.done != ld->blob->size) {
		log_err("%s: blob is %" PRIu64 " bytes, the registry said %" PRIu64, name, tap.done,
			ld->blob->size);
		rc = -OCIFS_EDIGEST;
		goto out;
	}
	if (tap.sums && (rc = chunks_store(name, &tap, o->cache_dir, ld->digest)) != 0)
		goto out;
	st->csize = tap.done;
	st->usize = ocifs_index_pipe_offset(pl);
	st->ckpts = ck.n;
	ocifs_digest_format(du, hexd);
	if ((rc = add_implicit_dirs(&ps)) || (rc = ocifs_idxdb_put_ckpts(ps.db, &ck)) ||
	    (rc = ocifs_idxdb_set_meta(ps.db, "digest", ld->digest)) ||
	    (rc = ocifs_idxdb_set_meta(ps.db, "diff_id", hexd)) ||
	    (rc = ocifs_idxdb_set_meta(ps.db, "compression", ocifs_comp_name(zo.comp))) ||
	    (rc = ocifs_idxdb_set_meta(ps.db, "media_type", ld->media_type)) ||
	    (rc = ocifs_idxdb_set_meta(ps.db, "ocifs_version", PACKAGE_VERSION)) ||
	    (rc = ocifs_idxdb_set_meta_u64(ps.db, "csize", st->csize)) ||
	    (rc = ocifs_idxdb_set_meta_u64(ps.db, "usize", st->usize)) ||
	    (rc = ocifs_idxdb_set_meta_u64(ps.db, "entries", st->entries)) ||
	    (rc = ocifs_idxdb_set_meta_u64(ps.db, "skipped", st->skipped)) ||
	    (zo.comp == OCIFS_COMP_ZSTD &&
	     (rc = ocifs_idxdb_set_meta_u64(ps.db, "zstd_window", ck.window))))
		goto out;
	rc = ocifs_idxdb_finish(ps.db);
	ps.db = NULL;
	if (rc)
		goto out;
	if (fstat(tmp.fd, &sb) == 0)
		st->index_bytes = (uint64_t)sb.st_size;
	if (o->keep) { /* handed over: the caller decides */
		*o->keep = tmp;
		tmp.dfd = tmp.fd = -1;
		tmp.path = tmp.final = NULL;
	} else {
		rc = ocifs_cache_tmp_commit(&tmp);
	}
out:
	ocifs_index_pipe_free(pl); /* stops its threads first */
	ocifs_src_advise_whole(ld->blob, 0);
	if (rc && rc != -OCIFS_EDIGEST && rc != -ENOMEM)
		rc = blame_digest(name, ld, rc, &hold);
	ocifs_log_hold_release(&hold, 1, name);
	if (ps.db)
		ocifs_idxdb_close(ps.db);
	ocifs_cache_tmp_abort(&tmp); /* no-op once committed */
	if (zp)
		ocifs_zpass_free(zp);
	ocifs_tar_free(ps.tar);
	ocifs_ckpts_fini(&ck);
	ocifs_strmap_fini(&ps.seen);
	ocifs_strmap_fini(&ps.parents);
	ocifs_sha_free(tap.sha_c);
	ocifs_sha_free(tap.sha_k);
	free(tap.sums);
	ocifs_sha_free(sha_u);
	ocifs_sha_free(ps.sha_f);
	free(final);
	return rc;
}
