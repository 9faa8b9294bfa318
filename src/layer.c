/* SPDX-License-Identifier: MIT */
/*
 * Opening a layer for reading (see layer.h): the cache decision, blob
 * verification for warm opens, and sparse-aware reads through cursors.
 *
 * Trust rule (DESIGN §3): an index in the cache proves the blob with that
 * digest was verified once, somewhere. For *this* file we trust it only
 * if ids/ has a record for the same (dev, ino, size, mtime, offset);
 * otherwise the compressed blob is hashed again (cheap next to indexing)
 * and the record written. A registry layer's index is usable only with
 * its chunk sums (CACHE/layers/<hex>.chunks, well-formed): they are what
 * checks each Range read, so without them the layer is passed again
 * rather than served unchecked. Re-passing (one streaming GET, as the
 * cold mount) was chosen over computing the sums in the background: it
 * costs only where the file was lost, keeps a warm mount one small read
 * of the file, and never has a window of unchecked reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "err.h"
#include "layer_priv.h"
#include "log.h"
#include "path.h"
#include "timens.h"
#include "trace.h"

const char *ocifs_cache_state_name(enum ocifs_cache_state s)
{
	static const char *const names[] = { "missing", "ready", "unverified", "stale" };
	return names[s];
}

struct hash_progress {
	const struct ocifs_layer_opts *o;
	unsigned num;
	uint64_t total;
};

static void index_progress(void *ctx, uint64_t done)
{
	struct hash_progress *hp = ctx;

	if (hp->o->progress)
		hp->o->progress(hp->o->ctx, hp->num, done, hp->total);
}

/* sha256 of the whole compressed blob. */
static int hash_blob(struct ocifs_layer_desc *ld, struct hash_progress *hp,
		     char out[OCIFS_DIGEST_STRLEN + 1])
{
	ocifs_span sp = ocifs_trace_begin("verify", 0);
	int rc;

	ocifs_trace_int(sp, "ocifs.layer", hp->num);
	ocifs_trace_int(sp, "ocifs.bytes", (int64_t)ld->blob->size);
	ocifs_trace_str(sp, "ocifs.how", "sha256 of the blob");
	rc = ocifs_sha256_src(ld->blob, index_progress, hp, out);
	if (rc)
		ocifs_trace_error(sp, strerror(-rc));
	else
		ocifs_trace_str(sp, "ocifs.digest", out);
	ocifs_trace_end(sp);
	return rc;
}

static int ckpts_load(struct ocifs_layer *l, struct ocifs_idxdb *db);

/* Cheap checks that the cached index belongs to this descriptor; with
 * load, its checkpoints are loaded (and so checked) too. */
static int check_meta(struct ocifs_layer *l, int load)
{
	struct ocifs_layer_desc *ld = l->desc;
	uint64_t w, wmax = l->wmax ? l->wmax : OCIFS_ZSTD_WINDOW_DEFAULT;
	char *v = NULL;
	int rc;

	if (ocifs_idxdb_meta(l->db, "digest", &v) || strcmp(v, ld->digest) != 0) {
		free(v);
		if (!l->quiet)
			log_warn("cache %s: digest does not match its name; rebuilding", l->db_path);
		return -ESTALE;
	}
	free(v);
	if (*ld->diff_id) {
		if (ocifs_idxdb_meta(l->db, "diff_id", &v))
			return -ESTALE;
		rc = strcmp(v, ld->diff_id) == 0 ? 0 : -OCIFS_EDIGEST;
		if (rc && !l->quiet)
			log_err("%s: layer %u (%.19s…): diff_id mismatch (expected %s, got %s)",
				l->image, l->num, ld->digest, ld->diff_id, v);
		free(v);
		if (rc)
			return rc;
	}
	if (ocifs_idxdb_meta_u64(l->db, "usize", &l->usize) ||
	    ocifs_idxdb_meta_u64(l->db, "entries", &l->entries) ||
	    ocifs_idxdb_meta_u64(l->db, "skipped", &l->skipped) ||
	    ocifs_idxdb_meta(l->db, "compression", &v))
		return -ESTALE;
	l->comp = !strcmp(v, "gzip") ? OCIFS_COMP_GZIP : !strcmp(v, "zstd") ? OCIFS_COMP_ZSTD
									    : OCIFS_COMP_NONE;
	free(v);
	/* from before the lazy shadow (zshadow.h): its checkpoints point
	 * into an eager shadow file */
	if (ocifs_idxdb_meta(l->db, "shadow", &v) == 0) {
		free(v);
		if (!l->quiet)
			log_warn("cache %s: made by an older ocifs (zstd shadow copy); rebuilding",
				 l->db_path);
		return -ESTALE;
	}
	/* built under a higher window limit: refuse here, naming the layer,
	 * not at the first read (indexes from before the limit lack it) */
	if (l->comp == OCIFS_COMP_ZSTD && !ocifs_idxdb_meta_u64(l->db, "zstd_window", &w) &&
	    w > wmax) {
		char ws[32], ls[32];
		ocifs_zstd_window_str(w, ws, sizeof(ws));
		ocifs_zstd_window_str(wmax, ls, sizeof(ls));
		if (!l->quiet)
			log_err("layer %u (%.19s…): zstd window %s exceeds the %s limit (raise it with "
			"--zstd-window-max)", l->num, ld->digest, ws, ls);
		return -EOPNOTSUPP;
	}
	if (load && !l->opened && !atomic_load(&l->ck_state)) {
		rc = ckpts_load(l, l->db);
		if (rc)
			return rc;
		atomic_store(&l->ck_state, 1);
	}
	return 0;
}

static int64_t file_mtime_ns(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return INT64_MAX;
	return ocifs_ns_from_sec(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void ckpts_drop(struct ocifs_layer *l)
{
	ocifs_zshadow_close(l->zs);
	l->zs = NULL;
	ocifs_ckpts_fini(&l->ck);
	atomic_store(&l->ck_state, 0);
}

/* Close the index; before the layer is handed out, forget its checkpoints
 * too (after, cursors may hold them: they stay until ocifs_layer_close). */
static void layer_reset(struct ocifs_layer *l)
{
	ocifs_idxdb_close(l->db);
	l->db = NULL;
	if (!l->opened)
		ckpts_drop(l);
}

/* Try the cached index: 0, -ENOENT (none), -ESTALE (unusable), or a
 * verification error. */
static int try_cached(struct ocifs_layer *l, int check)
{
	int rc;

	if (access(l->db_path, F_OK) != 0)
		return -ENOENT;
	rc = ocifs_idxdb_open(l->db_path, (l->quiet ? OCIFS_IDXDB_QUIET : 0) |
					  (check ? OCIFS_IDXDB_CHECK : 0), &l->db);
	if (rc)
		return rc;
	rc = check_meta(l, check);
	/* A registry layer's index is trusted only beside the sums that let
	 * every read be checked (image_regverify.c); they are loaded into the
	 * source now, so a .chunks lost later changes nothing. Without them
	 * the layer is passed again: a full read of the blob, whose digest
	 * check stands in for the sums until it has written them. verify
	 * passes it again anyway (and drops the sums first, drop_chunk_sums,
	 * as wrong ones would fail its own reads): not a stale cache there. */
	if (!rc && l->desc->id.dev == OCIFS_FILEID_REMOTE && l->desc->blob && !l->verifying &&
	    ocifs_image_blob_arm(l->desc->blob)) {
		if (!l->quiet)
			log_warn("cache %s: no chunk sums beside it; reading the layer again",
				 l->db_path);
		rc = -ESTALE;
	}
	if (!rc && check) { /* untrusted: every row must fit the layer */
		rc = ocifs_idxdb_validate(l->db, l->usize, l->quiet ? OCIFS_IDXDB_QUIET : 0);
		l->validated = !rc;
	}
	if (!rc)
		ocifs_idxdb_set_usize(l->db, l->usize);
	if (rc)
		layer_reset(l);
	return rc;
}

static int build(struct ocifs_layer *l, const struct ocifs_layer_opts *o,
		 struct hash_progress *hp)
{
	struct ocifs_index_opts io = {
		.cache_dir = o->cache_dir, .image = l->image, .span = o->span,
		.zstd_window_max = l->wmax,
		.progress = index_progress, .ctx = hp,
	};
	int lock, rc;

	lock = ocifs_cache_lock(o->cache_dir, l->desc->digest);
	if (lock < 0)
		return lock;
	/* Someone may have built it while we waited for the lock. (Quiet:
	 * the caller already warned about what it found.) */
	int quiet = l->quiet;
	l->quiet = 1;
	rc = try_cached(l, 1);
	l->quiet = quiet;
	if (rc == -ENOENT || rc == -ESTALE) {
		char *legacy = NULL; /* an older ocifs's eager zstd shadow */
		if (ocifs_cache_layer_path(o->cache_dir, l->desc->digest, ".shadow.zst", &legacy) == 0)
			unlink(legacy);
		free(legacy);
		unlink(l->db_path);
		rc = ocifs_index_build(l->desc, l->num, &io, &l->stats);
		if (!rc) {
			l->built = 1;
			rc = try_cached(l, 0);
			l->validated = !rc;
		}
	}
	ocifs_cache_unlock(lock);
	return rc;
}

/* verify: derive the index from the blob again (that pass checks both
 * digests) and compare it with the cached one row by row, so a tampered
 * index cannot pass. A different one is replaced, and the layer fails. */
static int reverify_index(struct ocifs_layer *l, const struct ocifs_layer_opts *o,
			  struct hash_progress *hp)
{
	struct ocifs_cache_tmp t = { .dfd = -1, .fd = -1 };
	struct ocifs_index_opts io = {
		.cache_dir = o->cache_dir, .image = l->image, .span = o->span,
		.progress = index_progress, .ctx = hp, .keep = &t,
	};
	struct ocifs_index_stats st;
	struct ocifs_idxdb *fresh = NULL;
	char what[512];
	int lock, rc;

	lock = ocifs_cache_lock(o->cache_dir, l->desc->digest);
	if (lock < 0)
		return lock;
	rc = ocifs_index_build(l->desc, l->num, &io, &st);
	if (!rc)
		rc = ocifs_idxdb_open(t.path, 0, &fresh);
	if (!rc)
		rc = ocifs_idxdb_diff(fresh, l->db, what, sizeof(what));
	if (rc == 1) {
		log_err("layer %u (%.19s…): cache %s differs from the layer (%s); replaced it",
			l->num, l->desc->digest, l->db_path, what);
		ocifs_idxdb_close(fresh);
		fresh = NULL;
		layer_reset(l);
		rc = ocifs_cache_tmp_commit(&t);
		if (!rc)
			rc = -EBADMSG;
	}
	ocifs_idxdb_close(fresh);
	ocifs_cache_tmp_abort(&t); /* no-op once committed */
	ocifs_cache_unlock(lock);
	return rc;
}

/* verify of a registry layer: its chunk sums are dropped before its
 * pass, which makes them again from the blob it re-hashes. They are what
 * every later Range read is checked against, learned by a pass or
 * installed from an index artifact; wrong ones (a faulty artifact) would
 * otherwise fail every read of the layer, the verify pass's own
 * included, until the cache is removed by hand. Under the layer's lock:
 * not while another pass writes them. */
static int drop_chunk_sums(const char *cache_dir, const char *digest)
{
	char *path = NULL;
	int lock, rc = ocifs_cache_layer_path(cache_dir, digest, ".chunks", &path);

	if (rc)
		return rc;
	lock = ocifs_cache_lock(cache_dir, digest);
	if (lock < 0) {
		rc = lock;
	} else {
		if (unlink(path) < 0 && errno != ENOENT) {
			rc = -errno;
			log_err("%s: %s", path, strerror(errno));
		}
		ocifs_cache_unlock(lock);
	}
	free(path);
	return rc;
}

int ocifs_layer_open(struct ocifs_image *img, size_t i, const struct ocifs_layer_opts *o,
		     struct ocifs_layer **out)
{
	struct ocifs_layer_desc *ld = &img->layers[i];
	struct ocifs_layer *l;
	struct hash_progress hp = { .o = o, .num = (unsigned)i + 1, .total = 0 };
	char known[OCIFS_DIGEST_STRLEN + 1], got[OCIFS_DIGEST_STRLEN + 1];
	int rc, verified = 0;

	if (!ld->blob) {
		log_err("%s: layer %zu (%s): blob missing", img->path, i + 1, ld->digest);
		return -ENOENT;
	}
	hp.total = ld->blob->size;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->ck_mu, NULL);
	l->num = (unsigned)i + 1;
	l->image = img->path;
	l->desc = ld;
	l->wmax = img->zstd_window_max;
	l->span = o->span;
	l->verifying = o->verify;
	if (!(l->cache_dir = strdup(o->cache_dir))) {
		free(l);
		return -ENOMEM;
	}

	/* Find the blob digest when the format does not give it. */
	if (!*ld->digest) {
		unsigned char m[OCIFS_COMP_MAGIC];
		size_t n = 0;
		if (!o->verify &&
		    ocifs_cache_id_get(o->cache_dir, &ld->id, ld->blob->size, known, NULL) == 0) {
			memcpy(ld->digest, known, sizeof(known));
			verified = 1;
		} else if (ocifs_src_pread(ld->blob, m, sizeof(m), 0, &n) == 0 &&
			   ocifs_comp_detect(m, n) == OCIFS_COMP_NONE && *ld->diff_id) {
			memcpy(ld->digest, ld->diff_id, sizeof(ld->digest));
		} else {
			rc = hash_blob(ld, &hp, ld->digest);
			if (rc)
				goto err;
			verified = 1;
		}
	}
	rc = ocifs_cache_layer_path(o->cache_dir, ld->digest, ".db", &l->db_path);
	if (rc) {
		log_err("layer %zu: invalid digest \"%s\"", i + 1, ld->digest);
		goto err;
	}
	if (o->verify && ld->id.dev == OCIFS_FILEID_REMOTE &&
	    (rc = drop_chunk_sums(o->cache_dir, ld->digest)) != 0)
		goto err;
	/* A cache already trusted for this file, and not modified since,
	 * skips quick_check (which reads every page of the index). */
	int64_t stamp = 0;
	int trusted = !o->verify &&
		      ocifs_cache_id_get(o->cache_dir, &ld->id, ld->blob->size, known, &stamp) == 0 &&
		      strcmp(known, ld->digest) == 0;
	rc = try_cached(l, !trusted || file_mtime_ns(l->db_path) > stamp);
	int stale = rc == -ESTALE;
	if (rc == -ENOENT || rc == -ESTALE) {
		ocifs_span sp = ocifs_trace_begin("build index", 0);
		ocifs_trace_int(sp, "ocifs.layer", (int64_t)i + 1);
		ocifs_trace_str(sp, "ocifs.how", "one pass: tar entries, checkpoints and the blob's sha256");
		rc = build(l, o, &hp);
		if (rc)
			ocifs_trace_error(sp, strerror(-rc));
		ocifs_trace_end(sp);
		verified = verified || l->built;
		trusted = 0;
	}
	if (!rc && stale && o->verify) { /* verify reports what it found */
		log_err("layer %zu (%.19s…): cache %s was unusable; rebuilt it", i + 1, ld->digest,
			l->db_path);
		rc = -EBADMSG;
	}
	if (!rc && o->verify && !l->built) {
		ocifs_span sp = ocifs_trace_begin("verify", 0);
		ocifs_trace_int(sp, "ocifs.layer", (int64_t)i + 1);
		ocifs_trace_int(sp, "ocifs.bytes", (int64_t)ld->blob->size);
		ocifs_trace_str(sp, "ocifs.how", "index derived again from the blob and compared");
		rc = reverify_index(l, o, &hp); /* re-hashes the blob too */
		if (rc)
			ocifs_trace_error(sp, strerror(-rc));
		ocifs_trace_end(sp);
		verified = !rc;
		l->rehashed = !rc;
	}
	if (rc)
		goto err;
	if (trusted)
		verified = 1;
	if (!verified) {
		rc = hash_blob(ld, &hp, got);
		if (rc)
			goto err;
		if (strcmp(got, ld->digest) != 0) {
			log_err("%s: layer %zu (%.19s…): digest mismatch (expected %s, got %s)",
				img->path, i + 1, ld->digest, ld->digest, got);
			rc = -OCIFS_EDIGEST;
			goto err;
		}
		l->rehashed = 1;
	}
	if (!trusted)
		ocifs_cache_id_put(o->cache_dir, &ld->id, ld->blob->size, ld->digest);
	ocifs_layer_db_close(l); /* reopened on demand: fds stay bounded */
	l->opened = 1;
	*out = l;
	return 0;
err:
	ocifs_layer_close(l);
	return rc;
}

void ocifs_layer_close(struct ocifs_layer *l)
{
	if (!l)
		return;
	l->opened = 0;
	layer_reset(l);
	pthread_mutex_destroy(&l->ck_mu);
	free(l->db_path);
	free(l->cache_dir);
	free(l);
}

int ocifs_layer_db(struct ocifs_layer *l, struct ocifs_idxdb **db)
{
	struct ocifs_layer_opts o = { .cache_dir = l->cache_dir, .span = l->span };
	struct hash_progress hp = { .o = &o, .num = l->num, .total = 0 };
	char *v = NULL;
	int rc;

	if (l->db) {
		*db = l->db;
		return 0;
	}
	rc = ocifs_idxdb_open(l->db_path, 0, &l->db);
	if (!rc && (ocifs_idxdb_meta(l->db, "digest", &v) || strcmp(v, l->desc->digest) != 0)) {
		log_warn("cache %s: digest does not match its name; rebuilding", l->db_path);
		rc = -ESTALE;
	}
	free(v);
	if (!rc && !l->validated) {
		rc = ocifs_idxdb_validate(l->db, l->usize, 0);
		l->validated = !rc;
	}
	if (!rc) {
		ocifs_idxdb_set_usize(l->db, l->usize);
	} else if (rc == -ESTALE || rc == -ENOENT) {
		/* Replaced or tampered with since the layer was opened: build
		 * it afresh, checkpoints included. */
		layer_reset(l);
		rc = build(l, &o, &hp);
	}
	if (rc) {
		layer_reset(l);
		log_err("layer %u (%.19s…): no usable index: %s", l->num, l->desc->digest,
			strerror(-rc));
		return rc;
	}
	*db = l->db;
	return 0;
}

void ocifs_layer_db_close(struct ocifs_layer *l)
{
	ocifs_idxdb_close(l->db);
	l->db = NULL;
}

void ocifs_layer_peek(struct ocifs_image *img, size_t i, const char *cache_dir,
		      struct ocifs_layer_info *info)
{
	struct ocifs_layer_desc *ld = &img->layers[i], tmp = *ld;
	struct ocifs_layer l = { .num = (unsigned)i + 1, .desc = &tmp, .quiet = 1,
				 .wmax = img->zstd_window_max };
	char digest[OCIFS_DIGEST_STRLEN + 1];
	unsigned char m[OCIFS_COMP_MAGIC];
	size_t n = 0;
	int rc;

	memset(info, 0, sizeof(*info));
	if (!ld->blob)
		return;
	if (ocifs_src_pread(ld->blob, m, sizeof(m), 0, &n) == 0)
		info->comp = ocifs_comp_detect(m, n);
	/* Without a digest from the format, try the identity record, then
	 * the diff_id (right for uncompressed blobs). */
	if (!*tmp.digest &&
	    ocifs_cache_id_get(cache_dir, &ld->id, ld->blob->size, tmp.digest, NULL) != 0)
		memcpy(tmp.digest, ld->diff_id, sizeof(tmp.digest));
	if (ocifs_cache_layer_path(cache_dir, tmp.digest, ".db", &l.db_path))
		return;
	rc = try_cached(&l, 0);
	if (rc == -ENOENT) {
		info->state = OCIFS_CACHE_MISSING;
	} else if (rc) {
		info->state = OCIFS_CACHE_STALE;
	} else {
		info->usize = l.usize;
		info->entries = l.entries;
		info->state = ocifs_cache_id_get(cache_dir, &ld->id, ld->blob->size, digest, NULL) == 0 &&
				      strcmp(digest, tmp.digest) == 0
			? OCIFS_CACHE_READY
			: OCIFS_CACHE_UNVERIFIED;
	}
	layer_reset(&l);
	free(l.db_path);
}

unsigned ocifs_layer_num(const struct ocifs_layer *l)
{
	return l->num;
}

struct ocifs_layer_desc *ocifs_layer_desc(const struct ocifs_layer *l)
{
	return l->desc;
}

struct ocifs_src *ocifs_layer_blob(const struct ocifs_layer *l)
{
	return l->desc->blob;
}

enum ocifs_comp ocifs_layer_comp(const struct ocifs_layer *l)
{
	return l->comp;
}

uint64_t ocifs_layer_usize(const struct ocifs_layer *l)
{
	return l->usize;
}

uint64_t ocifs_layer_entries(const struct ocifs_layer *l)
{
	return l->entries;
}

const char *ocifs_layer_db_path(const struct ocifs_layer *l)
{
	return l->db_path;
}

const char *ocifs_layer_image(const struct ocifs_layer *l)
{
	return l->image ? l->image : "?";
}

/* What the checkpoints need beside the table: the layer's sizes and the
 * window limit, and for zstd with big frames the lazy shadow. */
static int ckpts_load(struct ocifs_layer *l, struct ocifs_idxdb *db)
{
	char *path = NULL;
	int rc = ocifs_idxdb_load_ckpts(db, &l->ck);

	if (rc)
		return rc;
	l->ck.comp = l->comp;
	l->ck.usize = l->usize;
	l->ck.csize = l->desc->blob->size;
	l->ck.window_max = l->wmax; /* for cursors */
	if (l->comp != OCIFS_COMP_ZSTD || !ocifs_zshadow_wanted(&l->ck, l->span))
		return 0;
	rc = ocifs_cache_layer_path(l->cache_dir, l->desc->digest, ".zshadow", &path);
	if (!rc)
		rc = ocifs_zshadow_open(l->desc->blob, &l->ck, path, l->span, &l->zs);
	free(path);
	if (rc) /* only random reads get slower */
		log_warn("layer %u (%.19s…): no lazy shadow: %s", l->num, l->desc->digest,
			 strerror(-rc));
	return 0;
}

/* Load the checkpoints once, on first need (see layer_priv.h). */
static int ckpts_need(struct ocifs_layer *l)
{
	struct ocifs_idxdb *db = NULL;
	char *v = NULL;
	int st = atomic_load_explicit(&l->ck_state, memory_order_acquire);

	if (st)
		return st > 0 ? 0 : st;
	pthread_mutex_lock(&l->ck_mu);
	st = atomic_load(&l->ck_state);
	if (!st) {
		/* a connection of its own: l->db belongs to one thread */
		st = ocifs_idxdb_open(l->db_path, 0, &db);
		if (!st && (ocifs_idxdb_meta(db, "digest", &v) || strcmp(v, l->desc->digest) != 0))
			st = -ESTALE;
		free(v);
		if (!st)
			st = ckpts_load(l, db);
		ocifs_idxdb_close(db);
		if (st)
			log_err("layer %u (%.19s…): cannot load the checkpoints of %s: %s", l->num,
				l->desc->digest, l->db_path, strerror(-st));
		atomic_store_explicit(&l->ck_state, st ? (st == -ENOMEM ? 0 : -EIO) : 1,
				      memory_order_release);
		st = st ? -EIO : 0;
	}
	pthread_mutex_unlock(&l->ck_mu);
	return st > 0 ? 0 : st;
}

const struct ocifs_ckpts *ocifs_layer_ckpts(const struct ocifs_layer *cl)
{
	struct ocifs_layer *l = (struct ocifs_layer *)cl; /* loads on first need */

	if (ckpts_need(l) != 0)
		return &l->ck; /* empty: n == 0 */
	return l->zs ? ocifs_zshadow_ckpts(l->zs) : &l->ck;
}

uint64_t ocifs_layer_restart_cost(const struct ocifs_layer *l, uint64_t uoff)
{
	const struct ocifs_ckpts *ck = ocifs_layer_ckpts(l);
	size_t j;

	if (!ck->n)
		return 0;
	j = ocifs_ckpts_find(ck, uoff);
	/* a shadow frame that ends before uoff does not reach it */
	while (j > 0 && (ck->v[j].flags & OCIFS_CK_SHADOW) && uoff >= ck->v[j].uoff + ck->v[j].ulen)
		j--;
	return uoff - ck->v[j].uoff;
}

struct ocifs_zshadow *ocifs_layer_zshadow(const struct ocifs_layer *l)
{
	return ocifs_layer_ckpts(l)->n ? l->zs : NULL;
}

void ocifs_layer_open_info(const struct ocifs_layer *l, struct ocifs_layer_open_info *out)
{
	*out = (struct ocifs_layer_open_info){ .built = l->built, .rehashed = l->rehashed,
					       .skipped = l->skipped, .stats = l->stats };
}

int ocifs_layer_cursor(struct ocifs_layer *l, struct ocifs_zcursor **out)
{
	int rc = ckpts_need(l);

	if (rc)
		return rc;
	return ocifs_zcursor_new(l->desc->blob, ocifs_layer_ckpts(l), out);
}

/* Read n bytes at uncompressed stream offset uoff, all or -EIO. */
static int read_stream(struct ocifs_layer *l, struct ocifs_zcursor *c, void *buf, size_t n,
		       uint64_t uoff)
{
	size_t got = 0;
	int rc = ocifs_zcursor_pread(c, buf, n, uoff, &got);

	if (!rc && got != n) {
		log_err("layer %u: %s: truncated at %" PRIu64, l->num, l->desc->blob->name, uoff + got);
		rc = -EIO;
	}
	return rc;
}

struct cursor_reader {
	struct ocifs_layer *l;
	struct ocifs_zcursor *c;
};

static int cursor_read(void *ctx, char *buf, size_t n, uint64_t uoff)
{
	struct cursor_reader *r = ctx;

	return read_stream(r->l, r->c, buf, n, uoff);
}

int ocifs_layer_read(struct ocifs_layer *l, struct ocifs_zcursor *c,
		     const struct ocifs_extent *x, void *buf, size_t n, uint64_t off,
		     size_t *got)
{
	struct cursor_reader r = { .l = l, .c = c };
	int rc;

	*got = 0;
	if (off >= x->size)
		return 0;
	if (n > x->size - off)
		n = (size_t)(x->size - off);
	rc = ocifs_extent_read(x, buf, n, off, cursor_read, &r);
	if (rc == -EIO && !x->nsparse && off + n > x->data_len)
		log_err("layer %u: the file at %" PRIu64 ": data shorter than its size", l->num,
			x->data_off);
	if (!rc)
		*got = n;
	return rc;
}
