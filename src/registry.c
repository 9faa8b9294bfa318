/* SPDX-License-Identifier: MIT */
/*
 * The registry client (registry.h): `docker://` names parsed and
 * normalized as containers/image does, the client handle (shared
 * connections, credentials, TLS material), manifests and small blobs
 * fetched whole and checked against their digest, and the counters.
 * Requests go through registry_http.c, auth through registry_auth.c,
 * blob sources are registry_blob.c's, uploads registry_push.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry_priv.h"

#define REG_NAME_MAX 255
#define REG_TAG_MAX 128

static const char *const manifest_types =
	"application/vnd.oci.image.index.v1+json, "
	"application/vnd.oci.image.manifest.v1+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.docker.distribution.manifest.v2+json";

/* ---- names ---- */

/* A path component: [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*. */
static const char *component_ok(const char *c, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return "an empty path component";
	for (size_t k = 0; k < n; k++)
		if (isupper((unsigned char)c[k]))
			return "the repository name must be lowercase";
	while (i < n) {
		size_t run = 0;

		while (i < n && (islower((unsigned char)c[i]) || isdigit((unsigned char)c[i]))) {
			i++;
			run++;
		}
		if (!run)
			return "a path component must start and end with [a-z0-9]";
		if (i == n)
			return NULL;
		if (c[i] == '.') {
			i++;
		} else if (c[i] == '_') {
			i += (i + 1 < n && c[i + 1] == '_') ? 2 : 1;
		} else if (c[i] == '-') {
			while (i < n && c[i] == '-')
				i++;
		} else {
			return "invalid character in the repository name";
		}
		if (i == n)
			return "a path component must start and end with [a-z0-9]";
	}
	return NULL;
}

static const char *tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > REG_TAG_MAX)
		return "a tag is 1 to 128 characters";
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return "a tag starts with [A-Za-z0-9_]";
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return "a tag holds only [A-Za-z0-9_.-]";
	return NULL;
}

static const char *host_ok(const char *h, size_t n)
{
	size_t i = 0;

	if (n && h[0] == '[') { /* [v6]:port */
		while (i < n && h[i] != ']')
			i++;
		if (i == n)
			return "an unclosed [ in the registry host";
		i++;
	} else {
		while (i < n && (isalnum((unsigned char)h[i]) || h[i] == '.' || h[i] == '-'))
			i++;
		if (i == 0 || h[0] == '-' || h[0] == '.')
			return "an invalid registry host";
	}
	if (i < n && h[i] == ':') {
		size_t d = ++i;

		while (i < n && isdigit((unsigned char)h[i]))
			i++;
		if (i == d || i - d > 5)
			return "an invalid port";
	}
	return i == n ? NULL : "an invalid registry host";
}

int ocifs_regname_parse(const char *s, struct ocifs_regname *out)
{
	const char *at, *name_end, *colon, *slash, *path, *why = NULL;
	char *name = NULL, *tag = NULL, *host = NULL, *repo = NULL, *dig = NULL;
	const char *shown_host;
	size_t hl = 0;
	int hub = 0, rc = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!strncmp(s, "//", 2))
		s += 2;
	at = strchr(s, '@');
	name_end = at ? at : s + strlen(s);
	if (at && !ocifs_digest_valid(at + 1))
		why = "the digest is not sha256:<64 lowercase hex>";
	name = strndup(s, (size_t)(name_end - s));
	if (!name)
		goto fail;
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (!why && colon && (!slash || colon > slash)) {
		tag = strdup(colon + 1);
		if (!tag)
			goto fail;
		name[colon - name] = 0;
		why = tag_ok(tag);
	}
	if (!why && !*name)
		why = "no repository name";
	/* A first component with '.' or ':', or "localhost", is the host. */
	slash = strchr(name, '/');
	path = name;
	if (!why && slash) {
		hl = (size_t)(slash - name);
		if (memchr(name, '.', hl) || memchr(name, ':', hl) ||
		    (hl == 9 && !memcmp(name, "localhost", 9)) || name[0] == '[') {
			why = host_ok(name, hl);
			path = slash + 1;
		} else {
			hl = 0;
		}
	}
	if (!why) {
		const char *c = path;

		do {
			const char *e = strchr(c, '/');
			size_t n = e ? (size_t)(e - c) : strlen(c);

			why = component_ok(c, n);
			c = e ? e + 1 : NULL;
		} while (!why && c);
	}
	if (!why && strlen(name) > REG_NAME_MAX)
		why = "the name is longer than 255 characters";
	if (why) {
		log_err("docker://%s: %s", s, why);
		free(name);
		free(tag);
		return -EINVAL;
	}
	if (hl == 0 || (hl == 9 && !memcmp(name, "docker.io", 9)) ||
	    (hl == 15 && !memcmp(name, "index.docker.io", 15)))
		hub = 1;
	host = hub ? strdup("registry-1.docker.io") : strndup(name, hl);
	if (hub && !strchr(path, '/')) {
		if (asprintf(&repo, "library/%s", path) < 0)
			repo = NULL;
	} else {
		repo = strdup(path);
	}
	dig = at ? strdup(at + 1) : NULL;
	if (!tag && !at)
		tag = strdup("latest");
	if (!host || !repo || (at && !dig) || (!tag && !at))
		goto fail;
	shown_host = hub ? "docker.io" : host;
	if (asprintf(&out->display, "%s/%s%s%s%s%s", shown_host, repo, tag ? ":" : "",
		     tag ? tag : "", dig ? "@" : "", dig ? dig : "") < 0) {
		out->display = NULL;
		goto fail;
	}
	out->host = host;
	out->repo = repo;
	out->tag = tag;
	out->digest = dig;
	free(name);
	return 0;
fail:
	free(name);
	free(tag);
	free(host);
	free(repo);
	free(dig);
	return rc;
}

void ocifs_regname_fini(struct ocifs_regname *n)
{
	free(n->host);
	free(n->repo);
	free(n->tag);
	free(n->digest);
	free(n->display);
	memset(n, 0, sizeof(*n));
}

/* ---- the client ---- */

static int dup_name(struct ocifs_regname *d, const struct ocifs_regname *s)
{
	d->host = strdup(s->host);
	d->repo = strdup(s->repo);
	d->tag = s->tag ? strdup(s->tag) : NULL;
	d->digest = s->digest ? strdup(s->digest) : NULL;
	d->display = strdup(s->display ? s->display : s->repo);
	if (!d->host || !d->repo || (s->tag && !d->tag) || (s->digest && !d->digest) ||
	    !d->display)
		return -ENOMEM;
	return 0;
}

int ocifs_registry_open(const struct ocifs_regname *n, const struct ocifs_registry_opts *o,
			struct ocifs_registry **out)
{
	struct ocifs_registry *r;
	int rc;

	*out = NULL;
	rc = ocifs_registry_global_init(); /* logged */
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	atomic_init(&r->refs, 1);
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->auth_mu, NULL);
	r->tls_verify = o ? o->tls_verify : 1;
	r->scheme = r->tls_verify ? "https" : NULL;
	r->retries = !o || !o->retries ? 4 : o->retries == OCIFS_REG_NO_RETRY ? 0 : o->retries;
	r->timeout_s = o && o->timeout_s ? o->timeout_s : 30;
	rc = reg_share_init(r);
	if (rc == 0)
		rc = dup_name(&r->n, n);
	if (rc == 0 && asprintf(&r->name, "%s/%s",
				!strcmp(n->host, "registry-1.docker.io") ? "docker.io" : n->host,
				n->repo) < 0) {
		r->name = NULL;
		rc = -ENOMEM;
	}
	if (rc == 0 && r->tls_verify)
		rc = reg_tls_load(r, o ? o->cert_dir : NULL);
	if (rc == 0)
		rc = reg_creds_load(r, o);
	if (rc < 0) {
		ocifs_registry_unref(r);
		return rc;
	}
	*out = r;
	return 0;
}

struct ocifs_registry *ocifs_registry_ref(struct ocifs_registry *r)
{
	atomic_fetch_add(&r->refs, 1);
	return r;
}

void ocifs_registry_unref(struct ocifs_registry *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	reg_share_fini(r);
	reg_auth_fini(r);
	pthread_mutex_destroy(&r->mu);
	free(r->ca_pem);
	free(r->client_cert);
	free(r->client_key);
	ocifs_regname_fini(&r->n);
	free(r->name);
	free(r);
}

const char *ocifs_registry_name(const struct ocifs_registry *r)
{
	return r->name;
}

void ocifs_registry_stats(const struct ocifs_registry *r, struct ocifs_registry_stats *st)
{
	struct ocifs_registry *m = (struct ocifs_registry *)r;

	st->requests = atomic_load(&m->st_requests);
	st->retries = atomic_load(&m->st_retries);
	st->bytes_in = atomic_load(&m->st_bytes_in);
	st->range_requests = atomic_load(&m->st_range);
	st->connects = atomic_load(&m->st_connects);
	st->http2 = atomic_load(&m->st_http2);
}

/* ---- manifests and small blobs ---- */

/* got: the digest of sha256 d; -EILSEQ (said) when want is given and
 * differs. */
static int digest_is(struct ocifs_registry *r, const char *what, const char *want,
		     const unsigned char d[OCIFS_SHA256_LEN], char got[OCIFS_DIGEST_STRLEN + 1])
{
	ocifs_digest_format(d, got);
	if (want && strcmp(want, got)) {
		log_err("registry %s: %s: the registry's bytes have digest %s", r->name, what, got);
		return -EILSEQ;
	}
	return 0;
}

static int check_digest(struct ocifs_registry *r, const char *what, const char *want,
			const void *buf, size_t len, char got[OCIFS_DIGEST_STRLEN + 1])
{
	unsigned char d[OCIFS_SHA256_LEN];
	int rc = ocifs_sha256(buf, len, d);

	return rc < 0 ? rc : digest_is(r, what, want, d, got);
}

/* The request of blob digest (checked first): q's path and name, in
 * path and what. */
static int blob_req(struct ocifs_registry *r, const char *digest, char path[1024], char what[300],
		    struct reg_req *q)
{
	if (!ocifs_digest_valid(digest)) {
		log_err("registry %s: blob %s: not a sha256 digest", r->name, digest);
		return -EINVAL;
	}
	snprintf(path, 1024, "/v2/%s/blobs/%s", r->n.repo, digest);
	snprintf(what, 300, "blob %s", digest);
	q->path = path;
	q->what = what;
	return 0;
}

/* The body's own mediaType, or what its shape says. */
static char *body_media_type(const char *body)
{
	json_object *root = json_tokener_parse(body), *v;
	char *mt = NULL;

	if (!root)
		return NULL;
	if (json_object_object_get_ex(root, "mediaType", &v) &&
	    json_object_is_type(v, json_type_string))
		mt = strdup(json_object_get_string(v));
	else if (json_object_object_get_ex(root, "manifests", &v))
		mt = strdup("application/vnd.oci.image.index.v1+json");
	else if (json_object_object_get_ex(root, "layers", &v))
		mt = strdup("application/vnd.oci.image.manifest.v1+json");
	json_object_put(root);
	return mt;
}

static int generic_type(const char *ct)
{
	return !ct || !*ct || !strncmp(ct, "application/json", 16) || !strncmp(ct, "text/plain", 10) ||
	       !strncmp(ct, "application/octet-stream", 24);
}

int ocifs_registry_get_manifest(struct ocifs_registry *r, const char *ref, size_t max,
				char **body, size_t *len, char **media_type,
				char digest[OCIFS_DIGEST_STRLEN + 1])
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	char path[1024], what[300];
	int is_digest = !strncmp(ref, "sha256:", 7);
	int rc;

	*body = NULL;
	*len = 0;
	if (media_type)
		*media_type = NULL;
	if (is_digest && !ocifs_digest_valid(ref)) {
		log_err("registry %s: manifest %s: not a sha256 digest", r->name, ref);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", r->n.repo, ref);
	snprintf(what, sizeof(what), "manifest %s", ref);
	q.path = path;
	q.accept = manifest_types;
	q.max = max;
	q.what = what;
	rc = reg_request(r, &q, &p);
	if (rc == 0 && !p.body) {
		log_err("registry %s: %s: an empty answer", r->name, what);
		rc = -EPROTO;
	}
	if (rc == 0)
		rc = check_digest(r, what, is_digest ? ref : NULL, p.body, p.len, digest);
	if (rc == 0 && media_type) {
		char *semi = p.content_type ? strchr(p.content_type, ';') : NULL;

		if (semi)
			*semi = 0;
		*media_type = generic_type(p.content_type) ? body_media_type(p.body)
							    : strdup(p.content_type);
		if (!*media_type) {
			log_err("registry %s: %s: no media type (header or body)", r->name, what);
			rc = -EPROTO;
		}
	}
	if (rc == 0) {
		*body = p.body;
		*len = p.len;
		p.body = NULL;
	}
	reg_resp_fini(&p);
	return rc;
}

int ocifs_registry_get_blob(struct ocifs_registry *r, const char *digest, size_t max,
			    char **body, size_t *len)
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	char path[1024], what[300], got[OCIFS_DIGEST_STRLEN + 1];
	int rc;

	*body = NULL;
	*len = 0;
	if ((rc = blob_req(r, digest, path, what, &q)) != 0)
		return rc;
	q.max = max;
	rc = reg_request(r, &q, &p);
	if (rc == 0 && !p.body) {
		p.body = strdup(""); /* an empty blob is a blob */
		if (!p.body)
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = check_digest(r, what, digest, p.body, p.len, got);
	if (rc == 0) {
		*body = p.body;
		*len = p.len;
		p.body = NULL;
	}
	reg_resp_fini(&p);
	return rc;
}

/* A blob's body on its way to the caller's sink, hashed as it passes. */
struct blob_to {
	struct ocifs_registry *r;
	const char *what;
	struct ocifs_sha *sha;
	uint64_t got, size;
	int (*sink)(void *ctx, const void *p, size_t n);
	void (*restart)(void *ctx);
	void *ctx;
	int err;
};

static size_t blob_to_write(char *p, size_t sz, size_t nitems, void *ctx)
{
	struct blob_to *b = ctx;
	size_t n = sz * nitems;

	if (b->got + n > b->size) {
		log_err("registry %s: %s: larger than %llu bytes", b->r->name, b->what,
			(unsigned long long)b->size);
		b->err = -EFBIG;
		return 0;
	}
	ocifs_sha_update(b->sha, p, n);
	b->got += n;
	if ((b->err = b->sink(b->ctx, p, n)) != 0)
		return 0;
	return n;
}

static void blob_to_reset(void *ctx)
{
	struct blob_to *b = ctx;
	unsigned char d[OCIFS_SHA256_LEN];

	ocifs_sha_final(b->sha, d); /* resets it */
	b->got = 0;
	b->err = 0;
	if (b->restart)
		b->restart(b->ctx);
}

int ocifs_registry_get_blob_to(struct ocifs_registry *r, const char *digest, uint64_t size,
			       int (*sink)(void *ctx, const void *p, size_t n),
			       void (*restart)(void *ctx), void *ctx)
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	char path[1024], what[300], got[OCIFS_DIGEST_STRLEN + 1];
	struct blob_to b = { .r = r, .what = what, .size = size, .sink = sink,
			     .restart = restart, .ctx = ctx };
	unsigned char d[OCIFS_SHA256_LEN];
	int rc;

	if ((rc = blob_req(r, digest, path, what, &q)) != 0 || (rc = ocifs_sha_new(&b.sha)) != 0)
		return rc;
	q.write = blob_to_write;
	q.reset = blob_to_reset;
	q.ctx = &b;
	q.stop_err = &b.err;
	rc = reg_request(r, &q, &p);
	if (rc == 0) {
		ocifs_sha_final(b.sha, d);
		rc = digest_is(r, what, digest, d, got);
		if (rc == 0 && b.got != size)
			rc = -EBADMSG;
	}
	reg_resp_fini(&p);
	ocifs_sha_free(b.sha);
	return rc;
}
