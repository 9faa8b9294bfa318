/* SPDX-License-Identifier: MIT */
/*
 * Registry auth as docker, podman and skopeo do it: credentials from
 * --creds or the first auth file naming the host ($REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json; plain
 * "auths" entries, credential helpers not yet), the WWW-Authenticate
 * challenge of a 401 (Bearer realm/service/scope, or Basic), bearer
 * tokens fetched from the realm with the basic credentials, cached per
 * scope and renewed when they expire or a request gets a 401.
 * Hand-written: libcurl knows Basic but not the registry token protocol.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "registry_priv.h"

#define TOKEN_MAX (1 << 20)
#define TOKEN_DEFAULT_TTL 60 /* seconds, when the reply does not say */

/* ---- credentials ---- */

static int split_creds(struct ocifs_registry *r, const char *s, size_t len, const char *from)
{
	const char *colon = memchr(s, ':', len);
	size_t ul = colon ? (size_t)(colon - s) : len;

	r->user = strndup(s, ul);
	r->pass = colon ? strndup(colon + 1, len - ul - 1) : strdup("");
	r->creds_from = strdup(from);
	if (!r->user || !r->pass || !r->creds_from)
		return -ENOMEM;
	return 0;
}

static int docker_hub(const char *h)
{
	return !strcmp(h, "docker.io") || !strcmp(h, "index.docker.io") ||
	       !strcmp(h, "registry-1.docker.io");
}

/* How well auth-file key k names r: 0 not at all, else 1 + the length
 * of the repository prefix it names ("host/team" beats "host"). */
static size_t key_match(const struct ocifs_registry *r, const char *k)
{
	const char *slash, *path;
	char host[256];
	size_t hl, pl;

	if (!strncmp(k, "https://", 8))
		k += 8;
	else if (!strncmp(k, "http://", 7))
		k += 7;
	slash = strchr(k, '/');
	hl = slash ? (size_t)(slash - k) : strlen(k);
	if (hl == 0 || hl >= sizeof(host))
		return 0;
	memcpy(host, k, hl);
	host[hl] = 0;
	if (strcmp(host, r->n.host) && !(docker_hub(host) && docker_hub(r->n.host)))
		return 0;
	path = slash ? slash + 1 : "";
	pl = strlen(path);
	while (pl && path[pl - 1] == '/')
		pl--;
	if (pl == 0 || (pl == 2 && path[0] == 'v' && (path[1] == '1' || path[1] == '2')))
		return 1;
	if (!strncmp(r->n.repo, path, pl) && (r->n.repo[pl] == 0 || r->n.repo[pl] == '/'))
		return 1 + pl;
	return 0;
}

static int b64_creds(struct ocifs_registry *r, const char *b64, const char *file)
{
	size_t n = strlen(b64), pad = 0;
	unsigned char *out = malloc(n / 4 * 3 + 4);
	int len, rc;

	if (!out)
		return -ENOMEM;
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	while (n && b64[n - 1] == '=') {
		n--;
		pad++;
	}
	if (len < 0 || (size_t)len < pad || !memchr(out, ':', (size_t)len - pad)) {
		log_err("registry %s: %s: its \"auth\" entry is not base64 of USER:PASSWORD",
			r->name, file);
		free(out);
		return -EINVAL;
	}
	rc = split_creds(r, (const char *)out, (size_t)len - pad, file);
	OPENSSL_cleanse(out, (size_t)len);
	free(out);
	return rc;
}

static int helpers_name(const struct ocifs_registry *r, json_object *helpers)
{
	if (!json_object_is_type(helpers, json_type_object))
		return 0;
	json_object_object_foreach(helpers, key, val) {
		(void)val;
		if (key_match(r, key))
			return 1;
	}
	return 0;
}

/* 1: found the host's credentials in file, 0: not there, or -errno. */
static int creds_from_file(struct ocifs_registry *r, const char *file, int must_exist)
{
	json_object *root = json_object_from_file(file), *auths, *v, *helpers;
	const char *best_auth = NULL;
	size_t best = 0;
	int rc = 0, named = 0;

	if (!root) {
		FILE *f = fopen(file, "re");

		if (!f && !must_exist)
			return 0;
		if (f)
			fclose(f);
		log_err("registry %s: auth file %s: %s", r->name, file,
			f ? "not valid JSON" : strerror(errno));
		return f ? -EINVAL : -ENOENT;
	}
	if (json_object_object_get_ex(root, "auths", &auths) &&
	    json_object_is_type(auths, json_type_object)) {
		json_object_object_foreach(auths, key, val) {
			size_t m = key_match(r, key);
			json_object *a;

			named |= m != 0;
			if (m > best && json_object_object_get_ex(val, "auth", &a) &&
			    json_object_is_type(a, json_type_string) && json_object_get_string_len(a)) {
				best = m;
				best_auth = json_object_get_string(a);
			}
		}
	}
	if (best_auth) {
		rc = b64_creds(r, best_auth, file);
		rc = rc < 0 ? rc : 1;
	} else if ((json_object_object_get_ex(root, "credHelpers", &helpers) &&
		    helpers_name(r, helpers)) ||
		   (named && json_object_object_get_ex(root, "credsStore", &v) &&
		    json_object_get_string_len(v))) {
		log_warn("registry %s: %s names a credential helper, which ocifs does not run yet; "
			 "trying without its credentials", r->name, file);
	}
	json_object_put(root);
	return rc;
}

int reg_creds_load(struct ocifs_registry *r, const struct ocifs_registry_opts *o)
{
	const char *env;
	char path[4096];
	int rc;

	if (o && o->creds) {
		if (!*o->creds || *o->creds == ':') {
			log_err("registry %s: --creds: give USER[:PASSWORD]", r->name);
			return -EINVAL;
		}
		return split_creds(r, o->creds, strlen(o->creds), "--creds");
	}
	if (o && o->authfile) {
		rc = creds_from_file(r, o->authfile, 1);
		return rc < 0 ? rc : 0;
	}
	env = getenv("REGISTRY_AUTH_FILE");
	if (env && *env) {
		rc = creds_from_file(r, env, 0);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	env = getenv("XDG_RUNTIME_DIR");
	if (env && *env) {
		snprintf(path, sizeof(path), "%s/containers/auth.json", env);
		rc = creds_from_file(r, path, 0);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	env = getenv("HOME");
	if (env && *env) {
		snprintf(path, sizeof(path), "%s/.docker/config.json", env);
		rc = creds_from_file(r, path, 0);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

/* ---- tokens ---- */

static char *scope_of(struct ocifs_registry *r, int push)
{
	char *s = NULL;

	if (asprintf(&s, "repository:%s:%s", r->n.repo, push ? "pull,push" : "pull") < 0)
		return NULL;
	return s;
}

static void token_drop(struct reg_token *t)
{
	free(t->scope);
	free(t->token);
	memset(t, 0, sizeof(*t));
}

/* Under auth_mu. */
static int token_fetch(struct ocifs_registry *r, int push)
{
	struct reg_token *t = &r->tokens[push ? 1 : 0];
	struct reg_resp p = { 0 };
	struct reg_req q = { 0 };
	char *scope = scope_of(r, push), *url = NULL, *es = NULL, *ess = NULL, *what = NULL;
	json_object *root = NULL, *v;
	const char *tok = NULL;
	long ttl = TOKEN_DEFAULT_TTL;
	CURL *h = curl_easy_init();
	int rc = -ENOMEM;

	if (!scope || !h)
		goto out;
	es = curl_easy_escape(h, r->service ? r->service : "", 0);
	ess = curl_easy_escape(h, scope, 0);
	if (!es || !ess ||
	    asprintf(&url, "%s%cservice=%s&scope=%s", r->realm, strchr(r->realm, '?') ? '&' : '?',
		     es, ess) < 0 ||
	    asprintf(&what, "token for %s", scope) < 0) {
		url = what = NULL;
		goto out;
	}
	q.url = url;
	q.no_auth = 1;
	q.max = TOKEN_MAX;
	q.accept = "application/json";
	q.what = what;
	rc = reg_request(r, &q, &p);
	if (rc < 0)
		goto out;
	root = p.body ? json_tokener_parse(p.body) : NULL;
	if (root && json_object_object_get_ex(root, "token", &v) &&
	    json_object_is_type(v, json_type_string))
		tok = json_object_get_string(v);
	if (root && (!tok || !*tok) && json_object_object_get_ex(root, "access_token", &v) &&
	    json_object_is_type(v, json_type_string))
		tok = json_object_get_string(v);
	if (!tok || !*tok) {
		log_err("registry %s: %s: the answer holds no token", r->name, what);
		rc = -EPROTO;
		goto out;
	}
	if (root && json_object_object_get_ex(root, "expires_in", &v) &&
	    json_object_get_int64(v) > 0)
		ttl = (long)json_object_get_int64(v);
	token_drop(t);
	t->token = strdup(tok);
	t->scope = scope;
	scope = NULL;
	/* Renew a little early, so a token does not expire in flight. */
	t->expires = time(NULL) + (ttl > 20 ? ttl - 10 : ttl / 2);
	rc = t->token ? 0 : -ENOMEM;
out:
	if (root)
		json_object_put(root);
	reg_resp_fini(&p);
	curl_free(es);
	curl_free(ess);
	if (h)
		curl_easy_cleanup(h);
	free(scope);
	free(url);
	free(what);
	return rc;
}

int reg_auth_header(struct ocifs_registry *r, int push, char **hdr)
{
	int rc = 0;

	*hdr = NULL;
	pthread_mutex_lock(&r->auth_mu);
	if (r->realm) {
		struct reg_token *t = &r->tokens[push ? 1 : 0];

		if (!t->token || time(NULL) >= t->expires)
			rc = token_fetch(r, push);
		if (rc == 0 && asprintf(hdr, "Authorization: Bearer %s", t->token) < 0) {
			*hdr = NULL;
			rc = -ENOMEM;
		}
	} else if (r->basic && r->user) {
		char *plain = NULL;

		if (asprintf(&plain, "%s:%s", r->user, r->pass ? r->pass : "") < 0) {
			rc = -ENOMEM;
		} else {
			size_t n = strlen(plain);
			char *b = malloc(n / 3 * 4 + 8 + 30);

			if (!b) {
				rc = -ENOMEM;
			} else {
				int k = sprintf(b, "Authorization: Basic ");

				EVP_EncodeBlock((unsigned char *)b + k, (unsigned char *)plain, (int)n);
				*hdr = b;
			}
			OPENSSL_cleanse(plain, n);
			free(plain);
		}
	}
	pthread_mutex_unlock(&r->auth_mu);
	return rc;
}

/* The value of param in a challenge's list (realm="…",service="…"). */
static char *chal_param(const char *s, const char *param)
{
	size_t pl = strlen(param);

	while (*s) {
		const char *start;

		while (*s == ' ' || *s == ',' || *s == '\t')
			s++;
		start = s;
		while (*s && *s != '=' && *s != ',')
			s++;
		if (*s != '=')
			continue;
		int hit = (size_t)(s - start) == pl && !strncasecmp(start, param, pl);
		char val[2048];
		size_t n = 0;

		s++;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				if (n + 1 < sizeof(val))
					val[n++] = *s;
			}
			if (*s == '"')
				s++;
		} else {
			for (; *s && *s != ','; s++)
				if (n + 1 < sizeof(val))
					val[n++] = *s;
		}
		val[n] = 0;
		if (hit)
			return strdup(val);
	}
	return NULL;
}

int reg_auth_challenge(struct ocifs_registry *r, const char *www_auth, int push,
		       const char *what)
{
	int rc = -EACCES;

	pthread_mutex_lock(&r->auth_mu);
	if (www_auth && !strncasecmp(www_auth, "Bearer ", 7)) {
		char *realm = chal_param(www_auth + 7, "realm");
		char *service = chal_param(www_auth + 7, "service");

		if (!realm || strncmp(realm, "http", 4)) {
			log_err("registry %s: %s: a Bearer challenge without a realm URL", r->name,
				what);
			free(realm);
			free(service);
			rc = -EPROTO;
		} else {
			free(r->realm);
			free(r->service);
			r->realm = realm;
			r->service = service;
			token_drop(&r->tokens[push ? 1 : 0]);
			rc = token_fetch(r, push);
		}
	} else if (www_auth && !strncasecmp(www_auth, "Basic", 5)) {
		if (!r->user) {
			log_err("registry %s: %s: 401 unauthorized (no credentials: --creds or an "
				"auth file)", r->name, what);
		} else if (r->basic) {
			log_err("registry %s: %s: 401 unauthorized: wrong user name or password "
				"(from %s)", r->name, what, r->creds_from);
		} else {
			r->basic = 1;
			rc = 0;
		}
	} else {
		log_err("registry %s: %s: 401 unauthorized (challenge: %s)", r->name, what,
			www_auth ? www_auth : "none");
	}
	pthread_mutex_unlock(&r->auth_mu);
	return rc;
}

void reg_auth_fini(struct ocifs_registry *r)
{
	for (int i = 0; i < REG_TOKENS; i++)
		token_drop(&r->tokens[i]);
	free(r->realm);
	free(r->service);
	if (r->pass)
		OPENSSL_cleanse(r->pass, strlen(r->pass));
	free(r->user);
	free(r->pass);
	free(r->creds_from);
	pthread_mutex_destroy(&r->auth_mu);
}
