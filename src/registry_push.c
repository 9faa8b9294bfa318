/* SPDX-License-Identifier: MIT */
/*
 * Uploads to a registry and its referrers (for `ocifs index --push`):
 * a blob by POST + one monolithic PUT (after a HEAD says it is missing),
 * a manifest by PUT, and OCI 1.1 referrers: the referrers API where the
 * registry has it, else the referrers tag schema ("sha256-<hex>" names
 * an image index of the referrers), read and updated here; a lookup asks
 * the API and the tag at once.
 */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry_priv.h"

#define INDEX_TYPE "application/vnd.oci.image.index.v1+json"
#define REFERRERS_MAX (4u << 20)

int ocifs_registry_put_blob(struct ocifs_registry *r, const char *digest, const void *buf,
			    size_t len)
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	char path[512], what[OCIFS_DIGEST_STRLEN + 32], *url = NULL, *esc = NULL;
	CURL *h = NULL;
	int rc;

	if (!ocifs_digest_valid(digest)) {
		log_err("registry %s: upload %s: not a sha256 digest", r->name, digest);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", r->n.repo, digest);
	snprintf(what, sizeof(what), "upload of blob %s", digest);
	q.method = "HEAD";
	q.path = path;
	q.push = 1;
	q.quiet_404 = 1;
	q.what = what;
	rc = reg_request(r, &q, &p);
	if (rc != -ENOENT)
		goto out; /* there already (0), or an error */
	snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", r->n.repo);
	q.method = "POST";
	q.quiet_404 = 0;
	rc = reg_request(r, &q, &p);
	if (rc < 0)
		goto out;
	if (!p.location) {
		log_err("registry %s: %s: no upload Location", r->name, what);
		rc = -EPROTO;
		goto out;
	}
	h = curl_easy_init();
	esc = h ? curl_easy_escape(h, digest, 0) : NULL;
	if (!esc) {
		rc = -ENOMEM;
		goto out;
	}
	/* A relative location is under the registry's base URL. */
	if (asprintf(&url, "%s%s%s%s%cdigest=%s", p.location[0] == '/' ? reg_scheme(r) : "",
		     p.location[0] == '/' ? "://" : "", p.location[0] == '/' ? r->n.host : "",
		     p.location, strchr(p.location, '?') ? '&' : '?', esc) < 0) {
		url = NULL;
		rc = -ENOMEM;
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.method = "PUT";
	q.url = url;
	q.content_type = "application/octet-stream";
	q.body = buf;
	q.body_len = len;
	q.push = 1;
	q.what = what;
	rc = reg_request(r, &q, &p);
out:
	reg_resp_fini(&p);
	curl_free(esc);
	if (h)
		curl_easy_cleanup(h);
	free(url);
	return rc;
}

static int put_manifest(struct ocifs_registry *r, const char *ref, const char *media_type,
			const void *buf, size_t len, int *has_subject)
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	char path[1024], what[300];
	int rc;

	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", r->n.repo, ref);
	snprintf(what, sizeof(what), "upload of manifest %s", ref);
	q.method = "PUT";
	q.path = path;
	q.content_type = media_type;
	q.body = buf;
	q.body_len = len;
	q.push = 1;
	q.what = what;
	rc = reg_request(r, &q, &p);
	if (has_subject)
		*has_subject = p.oci_subject != NULL;
	reg_resp_fini(&p);
	return rc;
}

int ocifs_registry_put_manifest(struct ocifs_registry *r, const char *ref,
				const char *media_type, const void *buf, size_t len)
{
	return put_manifest(r, ref, media_type, buf, len, NULL);
}

/* Keep only the manifests whose artifactType is type. */
static int filter_index(struct ocifs_registry *r, const char *type, char **body, size_t *len)
{
	json_object *root = json_tokener_parse(*body), *m, *keep, *v;
	const char *s;

	if (!root || !json_object_object_get_ex(root, "manifests", &m) ||
	    !json_object_is_type(m, json_type_array)) {
		log_err("registry %s: referrers: not an image index", r->name);
		if (root)
			json_object_put(root);
		return -EPROTO;
	}
	if (!type) {
		json_object_put(root);
		return 0;
	}
	keep = json_object_new_array();
	if (!keep) {
		json_object_put(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < json_object_array_length(m); i++) {
		json_object *d = json_object_array_get_idx(m, i);

		if (json_object_object_get_ex(d, "artifactType", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), type))
			json_object_array_add(keep, json_object_get(d));
	}
	json_object_object_add(root, "manifests", keep);
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	free(*body);
	*body = s ? strdup(s) : NULL;
	*len = *body ? strlen(*body) : 0;
	json_object_put(root);
	return *body ? 0 : -ENOMEM;
}

static int get_index(struct ocifs_registry *r, const char *path, const char *what,
		     char **body, size_t *len)
{
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	int rc;

	q.path = path;
	q.accept = INDEX_TYPE;
	q.max = REFERRERS_MAX;
	q.quiet_404 = 1;
	q.what = what;
	rc = reg_request(r, &q, &p);
	if (rc == 0) {
		*body = p.body ? p.body : strdup("");
		*len = p.len;
		p.body = NULL;
		if (!*body)
			rc = -ENOMEM;
	}
	reg_resp_fini(&p);
	return rc;
}

/* The "sha256-<hex>" tag of digest. */
static void fallback_tag(const char *digest, char tag[OCIFS_DIGEST_STRLEN + 1])
{
	snprintf(tag, OCIFS_DIGEST_STRLEN + 1, "sha256-%s", digest + 7);
}

/* The "sha256-<hex>" tag's index, asked on a thread of its own beside
 * the referrers API (the client is thread-safe: the thread takes its own
 * handle and connection from the pool). Its error line is held, and said
 * by the caller only when this answer is the one used. */
struct tag_get {
	struct ocifs_registry *r;
	char path[1024];
	const char *what;
	char *body;
	size_t len;
	int rc;
	struct ocifs_log_hold hold;
	pthread_t th;
};

static void *tag_thread(void *arg)
{
	struct tag_get *t = arg;

	t->hold.have = 0;
	ocifs_log_hold_attach(&t->hold);
	t->rc = get_index(t->r, t->path, t->what, &t->body, &t->len);
	ocifs_log_hold_attach(NULL);
	return NULL;
}

int ocifs_registry_referrers(struct ocifs_registry *r, const char *digest,
			     const char *artifact_type, char **body, size_t *len)
{
	char path[1024], what[OCIFS_DIGEST_STRLEN + 32], tag[OCIFS_DIGEST_STRLEN + 1];
	struct tag_get t = { .r = r, .what = what, .rc = -ENOENT };
	int rc, started;

	*body = NULL;
	*len = 0;
	if (!ocifs_digest_valid(digest)) {
		log_err("registry %s: referrers of %s: not a sha256 digest", r->name, digest);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "referrers of %s", digest);
	snprintf(path, sizeof(path), "/v2/%s/referrers/%s", r->n.repo, digest);
	fallback_tag(digest, tag);
	snprintf(t.path, sizeof(t.path), "/v2/%s/manifests/%s", r->n.repo, tag);
	/* Both at once: one round trip where the registry lacks the API. The
	 * API's answer wins whenever it has one (anything but a 404). */
	started = pthread_create(&t.th, NULL, tag_thread, &t) == 0;
	rc = get_index(r, path, what, body, len);
	if (started)
		pthread_join(t.th, NULL);
	if (rc == -ENOENT) {
		if (!started) /* no thread to be had: after it, as before */
			t.rc = get_index(r, t.path, what, &t.body, &t.len);
		rc = t.rc;
		*body = t.body;
		*len = t.len;
		t.body = NULL;
		if (t.hold.have) /* its line, said here where the caller holds */
			log_err("%s", t.hold.msg);
	}
	free(t.body);
	if (rc == -ENOENT) {
		*body = strdup("{\"schemaVersion\":2,\"mediaType\":\"" INDEX_TYPE
			       "\",\"manifests\":[]}");
		*len = *body ? strlen(*body) : 0;
		return *body ? 0 : -ENOMEM;
	}
	if (rc == 0)
		rc = filter_index(r, artifact_type, body, len);
	if (rc < 0) {
		free(*body);
		*body = NULL;
		*len = 0;
	}
	return rc;
}

/* Add desc to the referrers tag's index (made when missing). */
static int tag_index_add(struct ocifs_registry *r, const char *subject, json_object *desc,
			 const char *digest)
{
	char tag[OCIFS_DIGEST_STRLEN + 1], *body = NULL;
	json_object *root = NULL, *m;
	const char *s;
	size_t len;
	int rc;

	rc = ocifs_registry_referrers(r, subject, NULL, &body, &len);
	if (rc < 0)
		return rc;
	root = json_tokener_parse(body);
	free(body);
	if (!root || !json_object_object_get_ex(root, "manifests", &m) ||
	    !json_object_is_type(m, json_type_array)) {
		log_err("registry %s: referrers of %s: not an image index", r->name, subject);
		rc = -EPROTO;
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(m); i++) {
		json_object *d = json_object_array_get_idx(m, i), *v;

		if (json_object_object_get_ex(d, "digest", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), digest))
			goto out; /* listed already */
	}
	json_object_array_add(m, json_object_get(desc));
	json_object_object_add(root, "mediaType", json_object_new_string(INDEX_TYPE));
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	fallback_tag(subject, tag);
	rc = s ? put_manifest(r, tag, INDEX_TYPE, s, strlen(s), NULL) : -ENOMEM;
out:
	if (root)
		json_object_put(root);
	return rc;
}

int ocifs_registry_put_referrer(struct ocifs_registry *r, const char *subject,
				const char *media_type, const char *artifact_type,
				const void *buf, size_t len, char digest[OCIFS_DIGEST_STRLEN + 1])
{
	unsigned char d[OCIFS_SHA256_LEN];
	json_object *desc;
	int rc, api = 0;

	if (!ocifs_digest_valid(subject)) {
		log_err("registry %s: referrer of %s: not a sha256 digest", r->name, subject);
		return -EINVAL;
	}
	rc = ocifs_sha256(buf, len, d);
	if (rc < 0)
		return rc;
	ocifs_digest_format(d, digest);
	rc = put_manifest(r, digest, media_type, buf, len, &api);
	if (rc < 0 || api)
		return rc; /* the registry indexes referrers itself */
	desc = json_object_new_object();
	if (!desc)
		return -ENOMEM;
	json_object_object_add(desc, "mediaType", json_object_new_string(media_type));
	json_object_object_add(desc, "digest", json_object_new_string(digest));
	json_object_object_add(desc, "size", json_object_new_int64((int64_t)len));
	if (artifact_type)
		json_object_object_add(desc, "artifactType", json_object_new_string(artifact_type));
	rc = tag_index_add(r, subject, desc, digest);
	json_object_put(desc);
	return rc;
}
