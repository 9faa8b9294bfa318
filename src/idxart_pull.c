/* SPDX-License-Identifier: MIT */
/*
 * Pulling the index artifact (idxart.h): before a registry image's layers
 * open, the layers without a usable index in the cache get theirs from
 * the newest ocifs artifact among the image manifest's referrers. What
 * comes from the network is checked before it is installed: every blob
 * against its digest and size (the client), the index decompressed with
 * a bound, opened with SQLite's full check and every row validated
 * against the layer (idxdb.h), its own layer digest and diff_id those of
 * the image, its checkpoints loadable, the chunk sums as many as the
 * blob has chunks. Then, under the layer's cache lock, the index and the
 * sums are renamed into place and the layer's identity record written,
 * so ocifs_layer_open trusts them as its own and downloads nothing.
 * The blobs come at once (idxart_fetch.c: the chunk sums and the merged
 * view on threads, the index here, decompressed as it arrives); the
 * check runs here beside a thread per new file doing its fsync. The
 * view is handed to the session (bounded, decompressed, tied to this
 * image and to the index blobs just installed) only when every layer's
 * index came from that artifact, and view_ship.c checks it before use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "cache.h"
#include "idxart.h"
#include "idxart_priv.h"
#include "idxdb.h"
#include "log.h"
#include "registry.h"
#include "trace.h"
#include "view.h"

const char *idxart_jstr(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* o's member key is the string want */
static int jstr_is(json_object *o, const char *key, const char *want)
{
	const char *v = idxart_jstr(o, key);

	return v && !strcmp(v, want);
}

static int newest_first(const void *a, const void *b)
{
	return strcmp(((const struct idxart_cand *)b)->created,
		      ((const struct idxart_cand *)a)->created);
}

void idxart_candidates_free(struct idxart_cand *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		json_object_put(c[i].manifest);
	free(c);
}

int idxart_candidates(struct ocifs_registry *r, const char *subject, struct idxart_cand **out,
		      size_t *n)
{
	json_object *idx = NULL, *m;
	struct idxart_cand *c = NULL;
	char *body = NULL;
	size_t len, k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = ocifs_registry_referrers(r, subject, OCIFS_IDXART_TYPE, &body, &len);
	if (rc)
		return rc;
	idx = json_tokener_parse(body);
	free(body);
	if (!idx || !json_object_object_get_ex(idx, "manifests", &m) ||
	    !json_object_is_type(m, json_type_array)) {
		json_object_put(idx);
		return -EPROTO; /* the client checked this already */
	}
	if (!(c = calloc(IDXART_MAX_CANDIDATES, sizeof(*c)))) {
		json_object_put(idx);
		return -ENOMEM;
	}
	/* From the end (the referrers tag lists the newest last), and at most
	 * IDXART_MAX_FETCHES manifests fetched: the list's length is the
	 * registry's to choose, a request each is ours. */
	size_t nm = json_object_array_length(m), tried = 0;
	for (size_t i = nm; i-- > 0 && k < IDXART_MAX_CANDIDATES && tried < IDXART_MAX_FETCHES;) {
		const char *dg = idxart_jstr(json_object_array_get_idx(m, i), "digest");
		char got[OCIFS_DIGEST_STRLEN + 1], *mt = NULL, *mb = NULL;
		json_object *j, *s, *ann;
		size_t ml;

		if (!dg || !ocifs_digest_valid(dg))
			continue;
		tried++;
		/* fetched by digest: the client checks the bytes */
		if (ocifs_registry_get_manifest(r, dg, IDXART_MANIFEST_MAX, &mb, &ml, &mt, got)) {
			free(mt);
			continue;
		}
		free(mt);
		j = json_tokener_parse(mb);
		free(mb);
		if (!j || !jstr_is(j, "artifactType", OCIFS_IDXART_TYPE) ||
		    !json_object_object_get_ex(j, "subject", &s) || !jstr_is(s, "digest", subject)) {
			log_dbg("index artifact %s: not one of ocifs for %s; ignored", dg, subject);
			json_object_put(j);
			continue;
		}
		snprintf(c[k].digest, sizeof(c[k].digest), "%s", dg);
		json_object_object_get_ex(j, "annotations", &ann);
		const char *created = idxart_jstr(ann, "org.opencontainers.image.created");
		snprintf(c[k].created, sizeof(c[k].created), "%s", created ? created : "");
		c[k++].manifest = j;
	}
	json_object_put(idx);
	qsort(c, k, sizeof(*c), newest_first);
	*out = c;
	*n = k;
	return 0;
}

/* Has layer ld an index this cache trusts for it, and its chunk sums? */
static int usable(const struct ocifs_layer_desc *ld, const char *cache_dir)
{
	char known[OCIFS_DIGEST_STRLEN + 1], *db = NULL, *ch = NULL;
	int ok = 0;

	if (!ocifs_cache_layer_path(cache_dir, ld->digest, ".db", &db) &&
	    !ocifs_cache_layer_path(cache_dir, ld->digest, ".chunks", &ch))
		ok = access(db, F_OK) == 0 && access(ch, F_OK) == 0 &&
		     !ocifs_cache_id_get(cache_dir, &ld->id, ld->blob->size, known, NULL) &&
		     !strcmp(known, ld->digest);
	free(db);
	free(ch);
	return ok;
}

/* The descriptor of the artifact's blob of type mt for layer digest. */
static json_object *find_blob(json_object *man, const char *layer, const char *mt)
{
	json_object *l, *ann;

	if (!json_object_object_get_ex(man, "layers", &l) || !json_object_is_type(l, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		json_object *d = json_object_array_get_idx(l, i);
		const char *t = idxart_jstr(d, "mediaType");
		if (t && !strcmp(t, mt) && json_object_object_get_ex(d, "annotations", &ann) &&
		    jstr_is(ann, OCIFS_IDXART_ANN_LAYER, layer))
			return d;
	}
	return NULL;
}

/* Is the index at path (from outside) a valid index of layer ld? With
 * why (cap) saying what is wrong. */
static int db_fits(const char *path, const struct ocifs_layer_desc *ld, char *why, size_t cap)
{
	struct ocifs_idxdb *db = NULL;
	struct ocifs_ckpts ck = { 0 };
	uint64_t usize = 0;
	char *v = NULL, err[200];
	int rc = ocifs_idxdb_open_foreign(path, err, sizeof(err), &db);

	if (rc) {
		snprintf(why, cap, "its index is refused: %s", err);
		return rc;
	}
	rc = ocifs_idxdb_meta(db, "digest", &v);
	if (!rc && strcmp(v, ld->digest)) {
		snprintf(why, cap, "its index is one of another layer (%.19s…)", v);
		rc = -ESTALE;
	}
	free(v);
	v = NULL;
	if (!rc && *ld->diff_id && !(rc = ocifs_idxdb_meta(db, "diff_id", &v)) &&
	    strcmp(v, ld->diff_id)) {
		snprintf(why, cap, "its index has another diff_id than the image's config");
		rc = -ESTALE;
	}
	free(v);
	if (!rc && (rc = ocifs_idxdb_meta_u64(db, "usize", &usize)) == 0)
		rc = ocifs_idxdb_validate(db, usize, OCIFS_IDXDB_QUIET);
	if (!rc)
		rc = ocifs_idxdb_load_ckpts(db, &ck);
	if (rc && !*why) /* what the index layer found, or what is missing */
		snprintf(why, cap, "its index is refused: %s",
			 *ocifs_idxdb_why(db) ? ocifs_idxdb_why(db)
			 : rc == -ENOENT ? "a meta value is missing" : strerror(-rc));
	if (rc == -ENOENT) /* not "not in this artifact" */
		rc = -ESTALE;
	ocifs_ckpts_fini(&ck);
	ocifs_idxdb_close(db);
	return rc;
}

/* The fsync of a file installed from the artifact, on a thread beside
 * the index's check, so the commit's own fsync then finds it clean. */
struct side {
	pthread_t th;
	int started;
	int fd;
};

static void *side_run(void *arg)
{
	struct side *s = arg;

	(void)fsync(s->fd); /* what fails here fails the commit */
	return NULL;
}

static void side_start(struct side *s)
{
	s->started = pthread_create(&s->th, NULL, side_run, s) == 0;
}

static void side_join(struct side *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].started)
			pthread_join(s[i].th, NULL);
		s[i].started = 0;
	}
}

/* Layer ld from the artifact man: fetched (its chunk sums on a thread,
 * its index here, decompressed as it comes), checked, installed. */
static int install(struct ocifs_registry *r, json_object *man, struct ocifs_layer_desc *ld,
		   const char *cache_dir, char *why, size_t cap, int *fetched_db)
{
	json_object *dbd = find_blob(man, ld->digest, OCIFS_IDXART_MT_DB);
	json_object *chd = find_blob(man, ld->digest, OCIFS_IDXART_MT_CHUNKS);
	struct ocifs_cache_tmp t = { .dfd = -1, .fd = -1 }, tc = { .dfd = -1, .fd = -1 };
	uint64_t chlen = IDXART_CHUNKS_LEN(ld->blob->size);
	struct idxart_get gc = { .r = r, .desc = chd, .max = chlen, .span = "fetch chunk sums",
				 .zfd = -1 };
	struct idxart_get gi = { .r = r, .desc = dbd, .max = IDXART_DB_MAX(ld->blob->size),
				 .span = "fetch index", .zmax = IDXART_DB_MAX(ld->blob->size) };
	char *ch = NULL, *dbp = NULL, *chp = NULL;
	size_t got = 0;
	struct side sd[2];
	size_t nsd = 0;
	ocifs_span isp = 0; /* "install index": the files' fsync, commit */
	int rc, lock = -1, want_db = 0;

	if (!dbd || !chd)
		return -ENOENT; /* not in this artifact: not an error */
	rc = ocifs_cache_layer_path(cache_dir, ld->digest, ".db", &dbp);
	if (!rc)
		rc = ocifs_cache_layer_path(cache_dir, ld->digest, ".chunks", &chp);
	if (rc)
		goto out;
	lock = ocifs_cache_lock(cache_dir, ld->digest);
	if (lock < 0) {
		rc = lock;
		snprintf(why, cap, "cannot lock its cache entry: %s", strerror(-rc));
		goto out;
	}
	if (usable(ld, cache_dir)) /* another process was faster */
		goto out;
	/* What this cache has of the layer (an index built from a local
	 * image of the same blob, sums learned from its bytes) is kept. */
	int have_ch = idxart_read_file(chp, chlen, &ch, &got) == 0 &&
		      ocifs_idxart_chunks_fit(ch, got, ld->blob->size);
	free(ch);
	ch = NULL;
	if (!have_ch) /* beside the index */
		idxart_get_start(&gc, 1);
	char ignored[256] = "";
	want_db = access(dbp, F_OK) || db_fits(dbp, ld, ignored, sizeof(ignored));
	if (want_db && (rc = ocifs_cache_tmp_open(dbp, &t)) == 0) {
		gi.zfd = t.fd;
		idxart_get_start(&gi, 0);
	}
	idxart_get_wait(&gc);
	/* what is wrong with the sums is said first, as when they came first */
	if (!rc && !have_ch) {
		if ((rc = gc.rc) != 0)
			snprintf(why, cap, "%s", gc.why);
		else if (!ocifs_idxart_chunks_fit(gc.buf, gc.len, ld->blob->size)) {
			snprintf(why, cap, "its chunk sums do not fit the layer's %llu bytes",
				 (unsigned long long)ld->blob->size);
			rc = -EBADMSG;
		}
		/* written now, renamed into place only beside a good index */
		if (!rc && ((rc = ocifs_cache_tmp_open(chp, &tc)) != 0 ||
			    (rc = ocifs_cache_write_fd(tc.fd, gc.buf, gc.len)) != 0))
			snprintf(why, cap, "cannot install its chunk sums: %s", strerror(-rc));
		if (!rc) {
			sd[nsd] = (struct side){ .fd = tc.fd };
			side_start(&sd[nsd++]);
		}
	}
	if (!rc && want_db) {
		if ((rc = gi.rc) != 0)
			snprintf(why, cap, "%s", gi.why);
		else if ((rc = gi.zrc) != 0)
			snprintf(why, cap, "its index does not decompress%s",
				 rc == -EFBIG ? " within bounds" : "");
		if (!rc) { /* the check here, the fsyncs beside it */
			sd[nsd] = (struct side){ .fd = t.fd };
			side_start(&sd[nsd++]);
			ocifs_span sp = ocifs_trace_begin("check index", 0);
			rc = db_fits(t.path, ld, why, cap);
			ocifs_trace_end(sp);
		}
		isp = ocifs_trace_begin("install index", 0);
		side_join(sd, nsd);
		if (!rc && (rc = ocifs_cache_tmp_commit(&t)) != 0)
			snprintf(why, cap, "cannot install its index: %s", strerror(-rc));
		*fetched_db = !rc;
	}
	side_join(sd, nsd); /* no index to fetch: the sums alone */
	if (!rc && !have_ch && (rc = ocifs_cache_tmp_commit(&tc)) != 0)
		snprintf(why, cap, "cannot install its chunk sums: %s", strerror(-rc));
	/* last: what makes ocifs_layer_open trust the two */
	if (!rc && (rc = ocifs_cache_id_put(cache_dir, &ld->id, ld->blob->size, ld->digest)) != 0)
		snprintf(why, cap, "cannot record it: %s", strerror(-rc));
	ocifs_trace_end(isp);
out:
	idxart_get_fini(&gc);
	side_join(sd, nsd);
	ocifs_cache_tmp_abort(&t);
	ocifs_cache_tmp_abort(&tc);
	if (lock >= 0)
		ocifs_cache_unlock(lock);
	free(dbp);
	free(chp);
	return rc;
}

/* The view of gv decompressed within max (>= IDXART_VIEW_MAX(0)) into
 * sv: what its thread decoded within the floor of every view's bound,
 * or (past that floor) decoded here again within max. */
static int view_decoded(struct idxart_get *gv, uint64_t max, struct ocifs_view_shipped *sv)
{
	int rc = gv->drc;

	if (gv->drc != -EFBIG) { /* within the floor, or an error it would meet first */
		sv->data = gv->dec;
		sv->len = gv->declen;
		gv->dec = NULL;
		return rc;
	}
	return idxart_unzstd_mem(gv->buf, gv->len, max, (char **)&sv->data, &sv->len);
}

/* The view blob gv: fetched (here, unless a thread has it already). */
static void view_wait(struct idxart_get *gv)
{
	if (!gv->done) {
		gv->done = 1;
		idxart_get_start(gv, 0);
	}
	idxart_get_wait(gv);
}

/* The descriptor of the view blob man ships, or NULL. */
static json_object *view_desc(json_object *man)
{
	json_object *l;

	if (!json_object_object_get_ex(man, "layers", &l) || !json_object_is_type(l, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		const char *t = idxart_jstr(json_object_array_get_idx(l, i), "mediaType");
		if (t && !strcmp(t, OCIFS_IDXART_MT_VIEW))
			return json_object_array_get_idx(l, i);
	}
	return NULL;
}

/* The bound of the view blob of man for img: from the sizes man gives
 * its index blobs (each within IDXART_DB_MAX, as install fetches them;
 * a view is smaller than the indexes it was built from). */
static uint64_t view_blob_max(const struct ocifs_image *img, json_object *man)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < img->nlayers; i++) {
		json_object *v;
		if (!img->layers[i].blob || !idxart_first_of(img, i))
			continue;
		json_object *d = find_blob(man, img->layers[i].digest, OCIFS_IDXART_MT_DB);
		int64_t n = d && json_object_object_get_ex(d, "size", &v) ? json_object_get_int64(v) : -1;
		if (n < 0 || (uint64_t)n > IDXART_DB_MAX(img->layers[i].blob->size))
			return 0;
		sum += (uint64_t)n;
	}
	return IDXART_VIEW_MAX(sum);
}

/* The view artifact c ships for img, when it was built from exactly the
 * index blobs installed from c (every layer's): its bytes into sv,
 * bounded, from gv when that fetched it already. Nothing (0) when c ships
 * none; a view that does not fit or cannot be fetched is one note
 * (unless quiet) and not taken. */
static int shipped_view(struct ocifs_image *img, const struct idxart_cand *c, const char *cache_dir,
			int quiet, struct ocifs_view_shipped *sv, struct idxart_get *gv)
{
	json_object *d = view_desc(c->manifest), *ann = NULL;
	unsigned char key[32];
	char hex[65], why[256] = "", *dbs = NULL;
	size_t cap, at = 0;
	uint64_t dbbytes = 0;
	int rc = 0;

	if (!d) /* an artifact without one: built here */
		return 0;
	/* what it was built from: this image, and the index blobs installed */
	cap = img->nlayers * (OCIFS_DIGEST_STRLEN + 1) + 1;
	if (!(dbs = calloc(1, cap)) || (rc = ocifs_view_name_key(img, key)))
		rc = rc ? rc : -ENOMEM;
	for (size_t i = 0; !rc && i < img->nlayers; i++) {
		char *p = NULL;
		struct stat st;
		if (!img->layers[i].blob || !idxart_first_of(img, i))
			continue;
		json_object *db = find_blob(c->manifest, img->layers[i].digest, OCIFS_IDXART_MT_DB);
		const char *dbd = idxart_jstr(db, "digest");
		at += (size_t)snprintf(dbs + at, cap - at, "%s%.*s", at ? " " : "",
				       OCIFS_DIGEST_STRLEN, dbd ? dbd : "");
		if ((rc = ocifs_cache_layer_path(cache_dir, img->layers[i].digest, ".db", &p)) == 0 &&
		    stat(p, &st) == 0)
			dbbytes += (uint64_t)st.st_size;
		free(p);
	}
	if (rc)
		goto out;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (!json_object_object_get_ex(d, "annotations", &ann))
		ann = NULL;
	if (gv->desc != d) { /* not the one fetched beside the indexes: when it fits */
		idxart_get_fini(gv);
		*gv = (struct idxart_get){ .r = img->registry, .desc = d, .zfd = -1,
					   .max = view_blob_max(img, c->manifest),
					   .span = "fetch view", .decode_max = IDXART_VIEW_MAX(0) };
	}
	if (!jstr_is(ann, OCIFS_IDXART_ANN_VIEW_KEY, hex))
		snprintf(why, sizeof(why), "it is the view of another image or format");
	else if (!jstr_is(ann, OCIFS_IDXART_ANN_VIEW_DBS, dbs))
		snprintf(why, sizeof(why), "it was not built from the indexes it carries");
	else if (!gv->max)
		snprintf(why, sizeof(why), "its index blobs are not all there");
	else if (view_wait(gv), (rc = gv->rc) != 0)
		snprintf(why, sizeof(why), "%s", gv->why);
	else if ((rc = view_decoded(gv, IDXART_VIEW_MAX(dbbytes), sv)) != 0 && rc != -ENOMEM)
		snprintf(why, sizeof(why), "it does not decompress%s",
			 rc == -EFBIG ? " within bounds" : "");
	if (*why || rc) {
		free(sv->data);
		sv->data = NULL;
		sv->len = 0;
		if (!quiet && rc != -ENOMEM)
			log_warn("%s: index artifact %.19s…: its merged view: %s; building it",
				 img->path, c->digest, *why ? why : strerror(-rc));
		rc = rc == -ENOMEM ? rc : 0;
		goto out;
	}
	snprintf(sv->from, sizeof(sv->from), "%.60s: index artifact %.19s…", img->path, c->digest);
out:
	free(dbs);
	return rc;
}

int ocifs_idxart_pull(struct ocifs_image *img, const char *cache_dir, int quiet,
		      unsigned *installed, struct ocifs_view_shipped *sv)
{
	struct idxart_cand *c = NULL;
	size_t n = 0, missing = 0, layers = 0;
	unsigned char *need, *from; /* from: 1 + the candidate its index came from */
	struct idxart_get gv = { .zfd = -1 }; /* the view, fetched beside the indexes */
	char why[256];
	int rc;

	*installed = 0;
	if (img->format != OCIFS_FMT_REGISTRY || !img->registry || !cache_dir || !img->nlayers)
		return 0;
	if (!(need = calloc(2 * img->nlayers, 1)))
		return -ENOMEM;
	from = need + img->nlayers;
	for (size_t i = 0; i < img->nlayers; i++) {
		struct ocifs_layer_desc *ld = &img->layers[i];
		int first = ld->blob && idxart_first_of(img, i) && ocifs_digest_valid(ld->digest);
		need[i] = first && !usable(ld, cache_dir);
		missing += need[i];
		layers += first;
	}
	if (!missing) {
		free(need);
		return 0;
	}
	/* The client's error lines are held: the artifact is optional, and
	 * what it cannot get is said below in one line (or not at all: a
	 * referrer gone missing is skipped). */
	struct ocifs_log_hold hold = { .have = 0 };
	ocifs_log_hold_attach(&hold);
	ocifs_span sp = ocifs_trace_begin("find index artifact", 0);
	rc = idxart_candidates(img->registry, img->manifest_digest, &c, &n);
	ocifs_trace_end(sp);
	int held = hold.have;
	ocifs_log_hold_release(&hold, 0, NULL);
	if (rc == -ENOMEM)
		goto out;
	if (rc) { /* a registry that cannot list them: as if it had none */
		if (!quiet)
			log_warn("%s: no index artifact (%s); indexing the layers from their blobs",
				 img->path, held ? hold.msg : strerror(-rc));
		rc = 0;
		goto out;
	}
	/* The newest artifact's view, fetched beside its indexes, when every
	 * layer's index is to come from the artifact (else it is not taken). */
	if (sv && n && missing == layers && (gv.desc = view_desc(c[0].manifest)) != NULL) {
		gv.r = img->registry;
		gv.max = view_blob_max(img, c[0].manifest);
		gv.span = "fetch view";
		gv.decode_max = IDXART_VIEW_MAX(0);
		if (gv.max) {
			idxart_get_start(&gv, 1);
			gv.done = 1;
		} else {
			gv.desc = NULL;
		}
	}
	for (size_t k = 0; k < n && *installed < missing; k++) {
		for (size_t i = 0; i < img->nlayers; i++) {
			int fetched = 0;
			if (!need[i])
				continue;
			*why = 0;
			rc = install(img->registry, c[k].manifest, &img->layers[i], cache_dir, why,
				     sizeof(why), &fetched);
			if (rc == -ENOMEM)
				goto out;
			if (!rc) {
				need[i] = 0;
				from[i] = fetched ? (unsigned char)(k + 1) : 0;
				++*installed;
			} else if (rc != -ENOENT && !quiet) {
				log_warn("%s: index artifact %.19s…: layer %zu (%.19s…): %s; "
					 "indexing it from its blob", img->path, c[k].digest, i + 1,
					 img->layers[i].digest, *why ? why : strerror(-rc));
			}
		}
	}
	rc = 0;
	if (*installed)
		log_info("%s: %u layer indexes from the index artifact", img->path, *installed);
	/* The view only beside indexes all fetched from one artifact now:
	 * else it was built from other ones than this cache has. */
	if (sv && *installed == layers) {
		size_t i = 0, k = 0;
		for (; i < img->nlayers; i++)
			if (img->layers[i].blob && idxart_first_of(img, i) &&
			    (!from[i] || (k && from[i] != k)))
				break;
			else if (from[i])
				k = from[i];
		if (i == img->nlayers && k)
			rc = shipped_view(img, &c[k - 1], cache_dir, quiet, sv, &gv);
	}
out:
	idxart_get_fini(&gv); /* before the manifests its descriptor is in */
	idxart_candidates_free(c, n);
	free(need);
	return rc;
}
