/* SPDX-License-Identifier: MIT */
/*
 * Registry auth as docker, podman and skopeo do it: credentials from
 * --creds, or the auth files ($REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json): their
 * "auths" entries and the credential helpers they name (credHelpers,
 * credsStore; run by registry_cred.c at the first 401; the order is
 * below), the WWW-Authenticate challenge of a 401 (Bearer
 * realm/service/scope, or Basic), bearer tokens fetched from the realm
 * with the basic credentials, or by an OAuth2 POST with an identity
 * token, cached per scope and renewed when they expire or a request gets
 * a 401. Hand-written: libcurl knows Basic but not the registry token
 * protocol.
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

/* ---- credentials ----
 *
 * Where they come from (docker's and containers/image's rules, matched):
 *  1. --creds: those; nothing else is read, no helper is run.
 *  2. --authfile FILE: that file alone. Else the files $REGISTRY_AUTH_FILE,
 *     $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json, in
 *     that order (containers/image's order).
 *  3. Within one file, docker's rule (cli/config/configfile): a
 *     "credHelpers" entry for the host, else "credsStore" (the helper of
 *     every registry), else the best "auths" entry (a host/repo key beats
 *     the host's). containers/image also puts credHelpers before auths
 *     (it ignores credsStore); docker reads one file only.
 *  4. Across files, containers/image's rule: the first file with something
 *     for the host decides; a helper that has nothing for it ("credentials
 *     not found") passes on to the next file -- after the last, anonymous,
 *     as docker goes anonymous then. A helper that fails is an error.
 * The files are read when the client opens; the helpers they name run at
 * the registry's first 401 (an anonymous registry never runs them), once
 * per client, in the order above, until one answers.
 */

#define REG_CRED_HELPERS 3 /* at most one per auth file */

struct reg_credplan {
	struct {
		char *name;     /* NAME of docker-credential-NAME */
		char *from;     /* "credHelpers in FILE" */
	} helper[REG_CRED_HELPERS];
	unsigned nhelper;
	int state;              /* 0: helpers not asked; 1: asked; <0: they failed */
	int none;               /* asked, and none had credentials */
	/* The plain entry after the helpers, used when none answers. */
	char *p_user, *p_pass, *p_from, *p_idtoken;
	char *idtoken;          /* in use: an identity token (OAuth2 refresh token) */
};

static struct reg_credplan *plan_of(struct ocifs_registry *r)
{
	if (!r->plan)
		r->plan = calloc(1, sizeof(*r->plan));
	return r->plan;
}

static void cleanse_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void plan_free(struct reg_credplan *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nhelper; i++) {
		free(p->helper[i].name);
		free(p->helper[i].from);
	}
	free(p->p_user);
	cleanse_free(p->p_pass);
	free(p->p_from);
	cleanse_free(p->p_idtoken);
	cleanse_free(p->idtoken);
	free(p);
}

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

/* The helper a file names for r: its credHelpers entry for the host
 * (docker matches the host exactly; a scheme or "/v1/" is allowed here,
 * a repository path is not: helpers are per registry), else credsStore. */
static const char *helper_named(const struct ocifs_registry *r, json_object *root,
				const char **kind)
{
	json_object *h, *v;

	if (json_object_object_get_ex(root, "credHelpers", &h) &&
	    json_object_is_type(h, json_type_object)) {
		json_object_object_foreach(h, key, val) {
			if (key_match(r, key) == 1 && json_object_is_type(val, json_type_string) &&
			    json_object_get_string_len(val)) {
				*kind = "credHelpers";
				return json_object_get_string(val);
			}
		}
	}
	if (json_object_object_get_ex(root, "credsStore", &v) &&
	    json_object_is_type(v, json_type_string) && json_object_get_string_len(v)) {
		*kind = "credsStore";
		return json_object_get_string(v);
	}
	return NULL;
}

static int plan_helper(struct ocifs_registry *r, const char *name, const char *kind,
		       const char *file)
{
	struct reg_credplan *p = plan_of(r);
	unsigned i;

	if (!p)
		return -ENOMEM;
	if (p->nhelper == REG_CRED_HELPERS)
		return 0; /* cannot happen: one per file */
	i = p->nhelper++;
	p->helper[i].name = strdup(name);
	if (!p->helper[i].name || asprintf(&p->helper[i].from, "%s in %s", kind, file) < 0) {
		p->helper[i].from = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* 1: the host's credentials (r->user/pass, or an identity token), 2: a
 * helper to ask (planned), 0: file has nothing for the host, or -errno. */
static int creds_from_file(struct ocifs_registry *r, const char *file, int must_exist)
{
	json_object *root = json_object_from_file(file), *auths, *best_entry = NULL;
	const char *helper, *kind = NULL;
	size_t best = 0;
	int rc = 0;

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
	helper = helper_named(r, root, &kind);
	if (helper) {
		rc = plan_helper(r, helper, kind, file);
		json_object_put(root);
		return rc < 0 ? rc : 2;
	}
	if (json_object_object_get_ex(root, "auths", &auths) &&
	    json_object_is_type(auths, json_type_object)) {
		json_object_object_foreach(auths, key, val) {
			size_t m = key_match(r, key);
			json_object *a, *t;
			int has_a, has_t;

			has_a = json_object_object_get_ex(val, "auth", &a) &&
				json_object_is_type(a, json_type_string) &&
				json_object_get_string_len(a);
			has_t = json_object_object_get_ex(val, "identitytoken", &t) &&
				json_object_is_type(t, json_type_string) &&
				json_object_get_string_len(t);
			if (m > best && (has_a || has_t)) {
				best = m;
				best_entry = val;
			}
		}
	}
	if (best_entry) {
		json_object *a, *t;

		if (json_object_object_get_ex(best_entry, "auth", &a) &&
		    json_object_is_type(a, json_type_string) && json_object_get_string_len(a))
			rc = b64_creds(r, json_object_get_string(a), file);
		if (rc == 0 && json_object_object_get_ex(best_entry, "identitytoken", &t) &&
		    json_object_is_type(t, json_type_string) && json_object_get_string_len(t)) {
			struct reg_credplan *p = plan_of(r);

			if (!p || !(p->idtoken = strdup(json_object_get_string(t))) ||
			    (!r->creds_from && !(r->creds_from = strdup(file))))
				rc = -ENOMEM;
		}
		rc = rc < 0 ? rc : 1;
	}
	json_object_put(root);
	return rc;
}

/* The auth files in order, until one has the host's credentials. */
static int creds_from_files(struct ocifs_registry *r, const struct ocifs_registry_opts *o)
{
	const char *env;
	char path[4096];
	int rc;

	if (o && o->authfile)
		return creds_from_file(r, o->authfile, 1);
	env = getenv("REGISTRY_AUTH_FILE");
	if (env && *env) {
		rc = creds_from_file(r, env, 0);
		if (rc < 0 || rc == 1)
			return rc;
	}
	env = getenv("XDG_RUNTIME_DIR");
	if (env && *env) {
		snprintf(path, sizeof(path), "%s/containers/auth.json", env);
		rc = creds_from_file(r, path, 0);
		if (rc < 0 || rc == 1)
			return rc;
	}
	env = getenv("HOME");
	if (env && *env) {
		snprintf(path, sizeof(path), "%s/.docker/config.json", env);
		rc = creds_from_file(r, path, 0);
		if (rc < 0 || rc == 1)
			return rc;
	}
	return 0;
}

int reg_creds_load(struct ocifs_registry *r, const struct ocifs_registry_opts *o)
{
	struct reg_credplan *p;
	int rc;

	if (o && o->creds) {
		if (!*o->creds || *o->creds == ':') {
			log_err("registry %s: --creds: give USER[:PASSWORD]", r->name);
			return -EINVAL;
		}
		return split_creds(r, o->creds, strlen(o->creds), "--creds");
	}
	rc = creds_from_files(r, o);
	if (rc < 0)
		return rc;
	p = r->plan;
	if (p && p->nhelper) {
		/* Helpers first: a plain entry found after them waits. */
		p->p_user = r->user;
		p->p_pass = r->pass;
		p->p_from = r->creds_from;
		p->p_idtoken = p->idtoken;
		r->user = r->pass = r->creds_from = NULL;
		p->idtoken = NULL;
	}
	return 0;
}

/* Under auth_mu, at a 401: ask the planned helpers (once per client).
 * 0: r->user/pass or an identity token are set, or none exist; or the
 * helpers' failure (-EACCES, logged). */
static int creds_resolve(struct ocifs_registry *r)
{
	struct reg_credplan *p = r->plan;
	int rc = 0;

	if (!p || p->state != 0)
		return p ? (p->state < 0 ? p->state : 0) : 0;
	for (unsigned i = 0; i < p->nhelper; i++) {
		/* Docker Hub: docker's name for it, then containers/image's. */
		const char *servers[2] = { r->n.host, NULL };
		char *user = NULL, *secret = NULL;

		if (docker_hub(r->n.host)) {
			servers[0] = "https://index.docker.io/v1/";
			servers[1] = "docker.io";
		}
		for (int k = 0; k < 2 && servers[k]; k++) {
			rc = reg_cred_helper_get(r->name, p->helper[i].name, p->helper[i].from,
						 servers[k], &user, &secret);
			if (rc != 0)
				break;
		}
		if (rc < 0) {
			p->state = rc;
			return rc;
		}
		if (rc == 0)
			continue;
		if (asprintf(&r->creds_from, "docker-credential-%s, %s", p->helper[i].name,
			     p->helper[i].from) < 0) {
			r->creds_from = NULL;
			free(user);
			cleanse_free(secret);
			return -ENOMEM; /* state stays 0: asked again */
		}
		if (user) {
			r->user = user;
			r->pass = secret;
		} else {
			p->idtoken = secret;
		}
		log_dbg("registry %s: credentials from %s", r->name, r->creds_from);
		p->state = 1;
		return 0;
	}
	r->user = p->p_user;
	r->pass = p->p_pass;
	r->creds_from = p->p_from;
	p->idtoken = p->p_idtoken;
	p->none = p->nhelper && !r->user && !p->idtoken;
	p->p_user = p->p_pass = p->p_from = p->p_idtoken = NULL;
	p->state = 1;
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
	char *form = NULL;
	const char *idtoken = r->plan ? r->plan->idtoken : NULL;
	json_object *root = NULL, *v;
	const char *tok = NULL;
	long ttl = TOKEN_DEFAULT_TTL;
	CURL *h = curl_easy_init();
	int rc = -ENOMEM;

	if (!scope || !h)
		goto out;
	es = curl_easy_escape(h, r->service ? r->service : "", 0);
	ess = curl_easy_escape(h, scope, 0);
	if (!es || !ess || asprintf(&what, "token for %s", scope) < 0) {
		what = NULL;
		goto out;
	}
	if (idtoken) {
		/* An identity token is an OAuth2 refresh token, POSTed to the
		 * realm as docker and containers/image do. */
		char *et = curl_easy_escape(h, idtoken, 0);
		int n = et ? asprintf(&form, "grant_type=refresh_token&service=%s&scope=%s"
					     "&client_id=ocifs&refresh_token=%s", es, ess, et) : -1;

		if (et) {
			OPENSSL_cleanse(et, strlen(et));
			curl_free(et);
		}
		if (n < 0) {
			form = NULL;
			goto out;
		}
		q.method = "POST";
		q.content_type = "application/x-www-form-urlencoded";
		q.body = form;
		q.body_len = (size_t)n;
		q.url = r->realm;
	} else {
		if (asprintf(&url, "%s%cservice=%s&scope=%s", r->realm,
			     strchr(r->realm, '?') ? '&' : '?', es, ess) < 0) {
			url = NULL;
			goto out;
		}
		q.url = url;
	}
	q.no_auth = 1;
	q.max = TOKEN_MAX;
	q.accept = "application/json";
	q.what = what;
	rc = reg_request(r, &q, &p);
	if (rc < 0)
		goto out;
	root = p.body ? json_tokener_parse(p.body) : NULL;
	if (idtoken && root && json_object_object_get_ex(root, "refresh_token", &v) &&
	    json_object_is_type(v, json_type_string) && json_object_get_string_len(v)) {
		char *nt = strdup(json_object_get_string(v)); /* the realm rotated it */

		if (nt) {
			cleanse_free(r->plan->idtoken);
			r->plan->idtoken = nt;
		}
	}
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
	cleanse_free(form);
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
	int rc = -EACCES, asked;

	pthread_mutex_lock(&r->auth_mu);
	if (www_auth && (!strncasecmp(www_auth, "Bearer ", 7) || !strncasecmp(www_auth, "Basic", 5))) {
		/* The registry wants auth: now the helpers are asked. */
		asked = r->plan && r->plan->state != 0;
		rc = creds_resolve(r);
		if (rc < 0) {
			if (asked) /* their failure was logged when it happened */
				log_err("registry %s: %s: 401 unauthorized (the credential helper "
					"failed)", r->name, what);
			pthread_mutex_unlock(&r->auth_mu);
			return rc;
		}
		rc = -EACCES;
	}
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
		if (!r->user && r->plan && r->plan->none) {
			log_err("registry %s: %s: 401 unauthorized (no credentials: %s%s has none "
				"for %s)", r->name, what, r->plan->nhelper > 1 ? "" : "docker-credential-",
				r->plan->nhelper > 1 ? "no credential helper" : r->plan->helper[0].name,
				r->n.host);
		} else if (!r->user) {
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
	plan_free(r->plan);
	pthread_mutex_destroy(&r->auth_mu);
}
