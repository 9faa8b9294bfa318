/* SPDX-License-Identifier: MIT */
/*
 * One HTTP request to a registry over libcurl: the easy handle's options
 * (shared connections, HTTP/2, timeouts, TLS), the response headers a
 * registry client needs, bounded retries with exponential backoff on
 * 429 (Retry-After), 5xx and transport errors, a token renewal on 401,
 * and the mapping of everything to -errno with one log line. libcurl
 * does HTTP; the retry and auth policy is the registry protocol's and so
 * ours (what containers/image does, written for this client).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "registry_priv.h"

#define REG_ERRBODY 4096 /* error bodies kept for their message */

static char *hdr_value(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	return strndup(p, n);
}

static void resp_clear_headers(struct reg_resp *p)
{
	char **f[] = { &p->content_type, &p->location, &p->digest, &p->content_range,
		       &p->www_auth, &p->retry_after, &p->oci_subject };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		free(*f[i]);
		*f[i] = NULL;
	}
}

static size_t on_header(char *buf, size_t sz, size_t nitems, void *ctx)
{
	struct reg_resp *p = ctx;
	size_t n = sz * nitems;
	static const struct {
		const char *name;
		size_t off;
	} want[] = {
		{ "content-type", offsetof(struct reg_resp, content_type) },
		{ "location", offsetof(struct reg_resp, location) },
		{ "docker-content-digest", offsetof(struct reg_resp, digest) },
		{ "content-range", offsetof(struct reg_resp, content_range) },
		{ "www-authenticate", offsetof(struct reg_resp, www_auth) },
		{ "retry-after", offsetof(struct reg_resp, retry_after) },
		{ "oci-subject", offsetof(struct reg_resp, oci_subject) },
	};
	const char *colon;

	if (n >= 5 && !memcmp(buf, "HTTP/", 5)) {
		/* A new response (after a redirect or a 100): its headers only. */
		resp_clear_headers(p);
		return n;
	}
	colon = memchr(buf, ':', n);
	if (!colon)
		return n;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t kl = strlen(want[i].name);
		char **slot = (char **)((char *)p + want[i].off);

		if ((size_t)(colon - buf) != kl || strncasecmp(buf, want[i].name, kl))
			continue;
		if (*slot)
			return n; /* the first of a repeated header */
		*slot = hdr_value(colon + 1, n - (size_t)(colon + 1 - buf));
		if (!*slot)
			return 0;
		break;
	}
	return n;
}

/* The body into p->body (at most max), or the start of an error body. */
struct body_sink {
	struct reg_resp *p;
	const struct reg_req *q;
	CURL *h;
	size_t max, cap;
};

static size_t keep_err(struct reg_resp *p, const char *buf, size_t n)
{
	if (p->errlen + 1 < sizeof(p->err)) {
		size_t k = sizeof(p->err) - 1 - p->errlen;

		if (k > n)
			k = n;
		memcpy(p->err + p->errlen, buf, k);
		p->errlen += k;
		p->err[p->errlen] = 0;
	}
	return n;
}

static size_t on_body(char *buf, size_t sz, size_t nitems, void *ctx)
{
	struct body_sink *b = ctx;
	struct reg_resp *p = b->p;
	size_t n = sz * nitems;
	long code = 0;

	curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300)
		return keep_err(p, buf, n);
	if (b->q->write)
		return b->q->write(buf, sz, nitems, b->q->ctx);
	if (p->len + n > b->max) {
		p->too_big = 1;
		return 0;
	}
	if (p->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		char *nb;

		while (nc < p->len + n + 1)
			nc *= 2;
		nb = realloc(p->body, nc);
		if (!nb)
			return 0;
		p->body = nb;
		b->cap = nc;
	}
	memcpy(p->body + p->len, buf, n);
	p->len += n;
	p->body[p->len] = 0;
	return n;
}

void reg_resp_fini(struct reg_resp *p)
{
	resp_clear_headers(p);
	free(p->body);
	p->body = NULL;
	p->len = 0;
}

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ctx)
{
	struct ocifs_registry *r = ctx;

	(void)h;
	(void)a;
	pthread_mutex_lock(&r->share_mu[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *ctx)
{
	struct ocifs_registry *r = ctx;

	(void)h;
	pthread_mutex_unlock(&r->share_mu[d]);
}

int reg_share_init(struct ocifs_registry *r)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&r->share_mu[i], NULL);
	r->share = curl_share_init();
	if (!r->share)
		return -ENOMEM;
	curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	pthread_mutex_init(&r->pool_mu, NULL);
	return 0;
}

void reg_share_fini(struct ocifs_registry *r)
{
	while (r->npool)
		curl_multi_cleanup(r->pool[--r->npool]);
	if (r->share)
		curl_share_cleanup(r->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&r->share_mu[i]);
	pthread_mutex_destroy(&r->pool_mu);
}

CURLM *reg_multi(struct ocifs_registry *r)
{
	CURLM *m = NULL;

	pthread_mutex_lock(&r->pool_mu);
	if (r->npool)
		m = r->pool[--r->npool];
	pthread_mutex_unlock(&r->pool_mu);
	return m ? m : curl_multi_init();
}

void reg_multi_put(struct ocifs_registry *r, CURLM *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&r->pool_mu);
	if (r->npool < REG_POOL) {
		r->pool[r->npool++] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&r->pool_mu);
	if (m)
		curl_multi_cleanup(m);
}

CURL *reg_easy(struct ocifs_registry *r, struct reg_resp *p)
{
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_SHARE, r->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ocifs/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* Blobs are often redirected to a storage host; curl drops our
	 * Authorization header when the host changes. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)r->timeout_s);
	/* The stall timeout: less than a byte a second for timeout_s. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)r->timeout_s);
	if (!r->tls_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (r->ca_pem) {
		struct curl_blob b = { .data = r->ca_pem, .len = r->ca_len,
				       .flags = CURL_BLOB_NOCOPY };

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	}
	if (r->client_cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, r->client_cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, r->client_key);
	}
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, p);
	return h;
}

const char *reg_scheme(struct ocifs_registry *r)
{
	const char *s;

	pthread_mutex_lock(&r->mu);
	s = r->scheme ? r->scheme : "https";
	pthread_mutex_unlock(&r->mu);
	return s;
}

/* tls_verify 0: the first transport failure over https tries http. */
static int scheme_fallback(struct ocifs_registry *r, const char *tried)
{
	int fell = 0;

	pthread_mutex_lock(&r->mu);
	if (!r->scheme && !strcmp(tried, "https")) {
		r->scheme = "http";
		fell = 1;
	}
	pthread_mutex_unlock(&r->mu);
	if (fell)
		log_info("registry %s: no TLS answer, trying http:// (tls-verify is off)", r->name);
	return fell;
}

static void scheme_settle(struct ocifs_registry *r, const char *used)
{
	pthread_mutex_lock(&r->mu);
	if (!r->scheme)
		r->scheme = !strcmp(used, "http") ? "http" : "https";
	pthread_mutex_unlock(&r->mu);
}

void reg_count_connects(struct ocifs_registry *r, CURL *h)
{
	long n = 0;

	if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK && n > 0)
		atomic_fetch_add(&r->st_connects, (uint64_t)n);
	if (curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &n) == CURLE_OK &&
	    n == CURL_HTTP_VERSION_2_0)
		atomic_fetch_add(&r->st_http2, 1);
}

int reg_curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

int reg_curl_err(struct ocifs_registry *r, CURLcode c, const char *what, const char *ebuf)
{
	const char *why = ebuf && *ebuf ? ebuf : curl_easy_strerror(c);

	switch (c) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		log_err("registry %s: %s: TLS: %s (a CA in --cert-dir, or --tls-verify=false)",
			r->name, what, why);
		return -EIO;
	case CURLE_OPERATION_TIMEDOUT:
		log_err("registry %s: %s: timed out (%s)", r->name, what, why);
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		log_err("registry %s: %s: %s", r->name, what, why);
		return -EIO;
	}
}

int reg_status_retryable(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/* The message of a registry's error JSON ({"errors":[{"message":…}]}),
 * without a JSON parser: the first "message" string. */
static void err_message(const char *body, size_t len, char *out, size_t outsz)
{
	const char *m = body ? strstr(body, "\"message\"") : NULL;
	size_t o = 0;

	out[0] = 0;
	if (!m || (size_t)(m - body) >= len)
		return;
	m = strchr(m + 9, '"');
	if (!m)
		return;
	for (m++; *m && *m != '"' && o + 1 < outsz; m++)
		out[o++] = isprint((unsigned char)*m) ? *m : '?';
	out[o] = 0;
}

int reg_status_err(struct ocifs_registry *r, const struct reg_resp *p, const char *what)
{
	char msg[200];

	err_message(p->err, p->errlen, msg, sizeof(msg));
	if (p->status == 404) {
		log_err("registry %s: %s: not found%s%s", r->name, what, *msg ? ": " : "", msg);
		return -ENOENT;
	}
	log_err("registry %s: %s: HTTP %ld%s%s", r->name, what, p->status, *msg ? ": " : "", msg);
	switch (p->status) {
	case 401:
	case 403:
		return -EACCES;
	case 413:
		return -EFBIG;
	case 416:
		return -EPROTO;
	default:
		return -EIO;
	}
}

void reg_backoff(struct ocifs_registry *r, unsigned attempt, const struct reg_resp *p)
{
	unsigned ms = REG_BACKOFF_MS << (attempt < 6 ? attempt : 6);
	struct timespec ts;

	if (ms > REG_BACKOFF_MAX_MS)
		ms = REG_BACKOFF_MAX_MS;
	if (p && p->retry_after && isdigit((unsigned char)p->retry_after[0])) {
		long s = strtol(p->retry_after, NULL, 10);

		ms = (unsigned)(s > REG_RETRY_AFTER_MAX ? REG_RETRY_AFTER_MAX : s) * 1000;
	}
	atomic_fetch_add(&r->st_retries, 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct curl_slist *req_headers(const struct reg_req *q, char *auth)
{
	struct curl_slist *l = NULL, *t;
	char line[512];

	/* No Expect: 100-continue round trip for uploads. */
	l = curl_slist_append(l, "Expect:");
	if (l && q->accept) {
		snprintf(line, sizeof(line), "Accept: %s", q->accept);
		t = curl_slist_append(l, line);
		l = t ? t : (curl_slist_free_all(l), NULL);
	}
	if (l && q->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", q->content_type);
		t = curl_slist_append(l, line);
		l = t ? t : (curl_slist_free_all(l), NULL);
	}
	if (l && auth) {
		t = curl_slist_append(l, auth);
		l = t ? t : (curl_slist_free_all(l), NULL);
	}
	return l;
}

/* curl_easy_perform, on a multi handle of the pool: its connections are
 * the ones the next request reuses. */
static CURLcode perform(struct ocifs_registry *r, CURL *h)
{
	CURLM *m = reg_multi(r);
	CURLcode c = CURLE_FAILED_INIT;
	int running = 1, left, ok = 1;
	CURLMsg *msg;

	if (!m)
		return CURLE_OUT_OF_MEMORY;
	if (curl_multi_add_handle(m, h) != CURLM_OK) {
		curl_multi_cleanup(m);
		return CURLE_OUT_OF_MEMORY;
	}
	while (running && ok) {
		ok = curl_multi_perform(m, &running) == CURLM_OK;
		if (ok && running)
			ok = curl_multi_poll(m, NULL, 0, 1000, NULL) == CURLM_OK;
	}
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
			c = msg->data.result;
	curl_multi_remove_handle(m, h);
	if (ok)
		reg_multi_put(r, m);
	else
		curl_multi_cleanup(m);
	return c;
}

/* One attempt. Returns the curl result; p holds the answer. */
static CURLcode req_once(struct ocifs_registry *r, const struct reg_req *q, struct reg_resp *p,
			 const char *base, char *auth, char *ebuf)
{
	struct body_sink bs = { .p = p, .q = q, .max = q->max };
	struct curl_slist *hdrs;
	char *url;
	CURL *h;
	CURLcode c;
	curl_off_t got = 0;

	reg_resp_fini(p);
	p->status = 0;
	p->errlen = 0;
	p->err[0] = 0;
	p->too_big = 0;
	p->content_length = -1;
	if (q->reset)
		q->reset(q->ctx);
	if (q->url)
		url = strdup(q->url);
	else if (asprintf(&url, "%s://%s%s", base, r->n.host, q->path) < 0)
		url = NULL;
	h = reg_easy(r, p);
	hdrs = req_headers(q, auth);
	if (!url || !h || !hdrs) {
		free(url);
		if (h)
			curl_easy_cleanup(h);
		curl_slist_free_all(hdrs);
		return CURLE_OUT_OF_MEMORY;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	bs.h = h;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bs);
	if (q->range) {
		curl_easy_setopt(h, CURLOPT_RANGE, q->range);
		atomic_fetch_add(&r->st_range, 1);
	}
	if (q->no_auth && r->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, r->pass ? r->pass : "");
	}
	if (q->method && !strcmp(q->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (q->method && (!strcmp(q->method, "PUT") || !strcmp(q->method, "POST"))) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
		if (!strcmp(q->method, "PUT"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	} else if (q->method && strcmp(q->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
	}
	ebuf[0] = 0;
	atomic_fetch_add(&r->st_requests, 1);
	c = perform(r, h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &p->status);
	curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got);
	atomic_fetch_add(&r->st_bytes_in, (uint64_t)got);
	reg_count_connects(r, h);
	if (q->method && !strcmp(q->method, "HEAD")) {
		curl_off_t cl = -1;

		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		p->content_length = cl;
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(url);
	return c;
}

int reg_request(struct ocifs_registry *r, const struct reg_req *q, struct reg_resp *p)
{
	char ebuf[CURL_ERROR_SIZE];
	unsigned attempt = 0;
	int renewed = 0, rc;

	for (;;) {
		char *auth = NULL;
		const char *base = reg_scheme(r);
		CURLcode c;

		if (!q->no_auth) {
			rc = reg_auth_header(r, q->push, &auth);
			if (rc < 0)
				return rc;
		}
		c = req_once(r, q, p, base, auth, ebuf);
		free(auth);
		if (c == CURLE_OUT_OF_MEMORY)
			return -ENOMEM;
		if (c == CURLE_WRITE_ERROR && p->too_big) {
			log_err("registry %s: %s: larger than %zu bytes", r->name, q->what, q->max);
			return -EFBIG;
		}
		if (c == CURLE_WRITE_ERROR && q->stop_err)
			return *q->stop_err;
		if (c != CURLE_OK && !q->url && !q->no_auth && scheme_fallback(r, base))
			continue;
		if (c != CURLE_OK) {
			if (reg_curl_retryable(c) && q->progressed && q->progressed(q->ctx))
				attempt = 0; /* a resumed body: the retries count from here */
			if (reg_curl_retryable(c) && attempt < r->retries) {
				log_dbg("registry %s: %s: %s, retrying", r->name, q->what,
					*ebuf ? ebuf : curl_easy_strerror(c));
				reg_backoff(r, attempt++, NULL);
				continue;
			}
			return reg_curl_err(r, c, q->what, ebuf);
		}
		if (!q->url)
			scheme_settle(r, base);
		if (p->status >= 200 && p->status < 300)
			return 0;
		if (p->status == 401 && !q->no_auth && !renewed) {
			renewed = 1;
			rc = reg_auth_challenge(r, p->www_auth, q->push, q->what);
			if (rc < 0)
				return rc;
			continue;
		}
		if (reg_status_retryable(p->status) && attempt < r->retries) {
			log_dbg("registry %s: %s: HTTP %ld, retrying", r->name, q->what, p->status);
			reg_backoff(r, attempt++, p);
			continue;
		}
		if (p->status == 401) {
			log_err("registry %s: %s: 401 unauthorized%s%s%s", r->name, q->what,
				r->user ? ": wrong user name or password (from " :
					  " (no credentials: --creds or an auth file)",
				r->user ? r->creds_from : "", r->user ? ")" : "");
			return -EACCES;
		}
		if (p->status == 404 && q->quiet_404)
			return -ENOENT;
		return reg_status_err(r, p, q->what);
	}
}

/* ---- TLS material ---- */

static int append_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	char chunk[8192];
	size_t n;

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *nb = realloc(*buf, *len + n + 2);

		if (!nb) {
			fclose(f);
			return -ENOMEM;
		}
		*buf = nb;
		memcpy(*buf + *len, chunk, n);
		*len += n;
	}
	fclose(f);
	if (*buf) {
		(*buf)[(*len)++] = '\n';
		(*buf)[*len] = 0;
	}
	return 0;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a > b && !strcmp(s + a - b, suf);
}

static int tls_dir(struct ocifs_registry *r, const char *dir, int explicit)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0, cas = 0;

	if (!d) {
		if (!explicit && errno == ENOENT)
			return 0;
		rc = -errno;
		log_err("registry %s: cert dir %s: %s", r->name, dir, strerror(errno));
		return rc;
	}
	while (rc == 0 && (e = readdir(d))) {
		char *path = NULL;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			rc = -ENOMEM;
			break;
		}
		if (ends_with(e->d_name, ".crt")) {
			rc = append_file(path, &r->ca_pem, &r->ca_len);
			if (rc < 0)
				log_err("registry %s: CA %s: %s", r->name, path, strerror(-rc));
			cas++;
		} else if (ends_with(e->d_name, ".cert") && !r->client_cert) {
			size_t l = strlen(path);

			r->client_key = malloc(l);
			if (!r->client_key) {
				rc = -ENOMEM;
			} else {
				memcpy(r->client_key, path, l - 5);
				strcpy(r->client_key + l - 5, ".key");
				if (access(r->client_key, R_OK) < 0) {
					log_err("registry %s: client certificate %s has no %s",
						r->name, path, r->client_key);
					rc = -ENOENT;
				} else {
					r->client_cert = path;
					path = NULL;
				}
			}
		}
		free(path);
	}
	closedir(d);
	if (rc == 0 && cas)
		log_dbg("registry %s: %d CA file(s) from %s", r->name, cas, dir);
	return rc;
}

int reg_tls_load(struct ocifs_registry *r, const char *cert_dir)
{
	static const char *const bundles[] = { "/etc/ssl/certs/ca-certificates.crt",
					       "/etc/pki/tls/certs/ca-bundle.crt" };
	int rc;

	if (cert_dir) {
		rc = tls_dir(r, cert_dir, 1);
	} else {
		char d[512];

		snprintf(d, sizeof(d), "/etc/containers/certs.d/%s", r->n.host);
		rc = tls_dir(r, d, 0);
		snprintf(d, sizeof(d), "/etc/docker/certs.d/%s", r->n.host);
		if (rc == 0)
			rc = tls_dir(r, d, 0);
	}
	if (rc < 0 || !r->ca_pem)
		return rc;
	/* A CA blob replaces curl's default bundle: add the system's. */
	for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++)
		if (append_file(bundles[i], &r->ca_pem, &r->ca_len) == 0)
			break;
	return 0;
}
