/* SPDX-License-Identifier: MIT */
/*
 * What the registry client's files share (registry.h is the interface):
 * the client's state, one HTTP request with retries and auth
 * (registry_http.c), the auth state (registry_auth.c). Only the
 * registry*.c files include <curl/curl.h>.
 */
#ifndef OCIFS_SRC_REGISTRY_PRIV_H
#define OCIFS_SRC_REGISTRY_PRIV_H
/* curl_easy_setopt & co. are plain functions (no type-checking macros),
 * so that the names below can point at the loaded library. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "registry.h"

/* libcurl's functions, resolved by registry_curl.c when the first
 * registry is opened (ocifs_registry_global_init); the registry files
 * call them by their usual names. */
#define REG_CURL_FUNCS(X)                                                                   \
	X(curl_global_init) X(curl_easy_init) X(curl_easy_setopt)                           \
	X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror)                     \
	X(curl_easy_escape) X(curl_free) X(curl_easy_pause) X(curl_slist_append)            \
	X(curl_slist_free_all) X(curl_share_init) X(curl_share_setopt) X(curl_share_cleanup) \
	X(curl_multi_init) X(curl_multi_add_handle) X(curl_multi_remove_handle)             \
	X(curl_multi_perform) X(curl_multi_poll) X(curl_multi_info_read) X(curl_multi_cleanup)
#define REG_CURL_MEMBER(f) __typeof__(f) *f;
struct reg_curl_api {
	REG_CURL_FUNCS(REG_CURL_MEMBER)
};
extern struct reg_curl_api reg_curl;
#undef curl_easy_setopt  /* curl.h's pass-through macros */
#undef curl_easy_getinfo
#undef curl_share_setopt
#define curl_global_init (*reg_curl.curl_global_init)
#define curl_easy_init (*reg_curl.curl_easy_init)
#define curl_easy_setopt (*reg_curl.curl_easy_setopt)
#define curl_easy_getinfo (*reg_curl.curl_easy_getinfo)
#define curl_easy_cleanup (*reg_curl.curl_easy_cleanup)
#define curl_easy_strerror (*reg_curl.curl_easy_strerror)
#define curl_easy_escape (*reg_curl.curl_easy_escape)
#define curl_free (*reg_curl.curl_free)
#define curl_easy_pause (*reg_curl.curl_easy_pause)
#define curl_slist_append (*reg_curl.curl_slist_append)
#define curl_slist_free_all (*reg_curl.curl_slist_free_all)
#define curl_share_init (*reg_curl.curl_share_init)
#define curl_share_setopt (*reg_curl.curl_share_setopt)
#define curl_share_cleanup (*reg_curl.curl_share_cleanup)
#define curl_multi_init (*reg_curl.curl_multi_init)
#define curl_multi_add_handle (*reg_curl.curl_multi_add_handle)
#define curl_multi_remove_handle (*reg_curl.curl_multi_remove_handle)
#define curl_multi_perform (*reg_curl.curl_multi_perform)
#define curl_multi_poll (*reg_curl.curl_multi_poll)
#define curl_multi_info_read (*reg_curl.curl_multi_info_read)
#define curl_multi_cleanup (*reg_curl.curl_multi_cleanup)

#define REG_TOKENS 2            /* pull, pull+push */
#define REG_POOL 8              /* idle multi handles (and their connections) kept */
#define REG_BACKOFF_MS 250      /* first retry delay, doubled each time */
#define REG_BACKOFF_MAX_MS 8000
#define REG_RETRY_AFTER_MAX 10  /* seconds of a Retry-After honoured */

struct reg_token {
	char *scope;
	char *token;
	time_t expires;
};

struct ocifs_registry {
	atomic_int refs;
	struct ocifs_regname n;
	char *name;             /* "host/repo" */
	int tls_verify;
	unsigned retries, timeout_s;
	/* The scheme: "https", or with tls_verify 0 undecided (NULL) until
	 * the first answer, https tried first then http (under mu). */
	pthread_mutex_t mu;
	const char *scheme;
	/* TLS material from the cert dir (plus the system bundle). */
	char *ca_pem;
	size_t ca_len;
	char *client_cert, *client_key;
	/* DNS and TLS sessions shared by every handle; connections live in
	 * the connection caches of the idle multi handles of the pool
	 * (libcurl does not support sharing a connection cache between
	 * threads), so a request reuses the connections of the multi it
	 * takes. Every request is a fresh easy handle: libcurl 7.88 (Debian
	 * 12) keeps a dangling pointer to the last header of a handle's
	 * previous transfer and frees it again when the next answer starts
	 * with a folded header line (curl issue 11101, fixed in 8.1): a
	 * hostile registry's double free. */
	CURLSH *share;
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_mu;
	CURLM *pool[REG_POOL];
	unsigned npool;
	/* Credentials (NULL: anonymous) and where they came from. */
	char *user, *pass, *creds_from;
	/* Auth state (under auth_mu, held across a token fetch so that
	 * threads waiting for a token wait for the one fetch). */
	pthread_mutex_t auth_mu;
	int basic;              /* the registry asked for Basic */
	char *realm, *service;  /* its Bearer challenge */
	struct reg_token tokens[REG_TOKENS];
	atomic_int range_ignored;
	atomic_uint_fast64_t st_requests, st_retries, st_bytes_in, st_range,
			     st_connects, st_http2;
	/* The credential helpers still to ask at the first 401, and an
	 * identity token (registry_auth.c; under auth_mu). */
	struct reg_credplan *plan;
};

struct reg_req {
	const char *method;     /* NULL: GET */
	const char *path;       /* "/v2/…" under the registry's base URL */
	const char *url;        /* or an absolute URL (an upload location) */
	const char *accept, *content_type;
	const void *body;       /* PUT/POST body */
	size_t body_len;
	const char *range;      /* "123-456" or "123-" or NULL */
	size_t max;             /* body kept in resp->body, at most max */
	/* Or the body is handed to write (then max is unused); reset is
	 * called before each attempt. write returning != n stops the
	 * transfer: reg_request then returns *stop_err. */
	size_t (*write)(char *p, size_t sz, size_t n, void *ctx);
	void (*reset)(void *ctx);
	/* Optional: after an attempt cut short, whether it moved on far
	 * enough (the body resumes where it stopped: reset asks for the
	 * rest) that the retries start over. */
	int (*progressed)(void *ctx);
	void *ctx;
	int *stop_err;
	int push;               /* needs the push scope */
	int no_auth;            /* a token fetch: only the basic creds */
	int quiet_404;          /* a 404 is an answer, not an error */
	const char *what;       /* "manifest latest", for messages */
};

struct reg_resp {
	long status;
	char *body;             /* NUL-terminated */
	size_t len;
	int64_t content_length; /* -1 unknown */
	char *content_type, *location, *digest, *content_range, *www_auth,
	     *retry_after, *oci_subject;
	char err[256];          /* the registry's error message, if any */
	size_t errlen;
	int too_big;
};

/* registry_http.c */
/** One request with retries, backoff and auth (see the .c). 0 for a 2xx
 *  answer (p->status), else a negative errno, logged with q->what. */
int reg_request(struct ocifs_registry *r, const struct reg_req *q, struct reg_resp *p);
void reg_resp_fini(struct reg_resp *p);
/** A new easy handle with the registry's shared state, timeouts and
 *  TLS options, and p's header parser (curl_easy_cleanup when done). */
CURL *reg_easy(struct ocifs_registry *r, struct reg_resp *p);
/** A multi handle (from the pool, or new) to run a transfer on; give it
 *  back with reg_multi_put, its connections kept for the next request. */
CURLM *reg_multi(struct ocifs_registry *r);
void reg_multi_put(struct ocifs_registry *r, CURLM *m);
/** The base URL ("https://host"), deciding the scheme when undecided. */
const char *reg_scheme(struct ocifs_registry *r);
/** Map a finished transfer's curl result to -errno, logging it. */
int reg_curl_err(struct ocifs_registry *r, CURLcode c, const char *what, const char *ebuf);
int reg_curl_retryable(CURLcode c);
/** Add the connections h opened (and whether it spoke HTTP/2) to the stats. */
void reg_count_connects(struct ocifs_registry *r, CURL *h);
/** Sleep before retry attempt (0-based), honouring p's Retry-After. */
void reg_backoff(struct ocifs_registry *r, unsigned attempt, const struct reg_resp *p);
/** Log an HTTP error status and map it to -errno. */
int reg_status_err(struct ocifs_registry *r, const struct reg_resp *p, const char *what);
int reg_status_retryable(long status);
/** The share handle, its locks and the pool (open); reg_share_fini (unref). */
int reg_share_init(struct ocifs_registry *r);
void reg_share_fini(struct ocifs_registry *r);
/** Load the TLS material of o->cert_dir (or the default dirs). */
int reg_tls_load(struct ocifs_registry *r, const char *cert_dir);

/* registry_warm.c */
/** Start reading ahead the file of soname (in the C library's directory)
 *  and of every library it needs, on a thread; a handle for
 *  reg_warm_join (NULL: nothing started). */
void *reg_warm_start(const char *soname);
/** Wait for it, and free it. */
void reg_warm_join(void *h);

/* registry_auth.c */
/** Credentials from o->creds or the auth files into r->user/pass. */
int reg_creds_load(struct ocifs_registry *r, const struct ocifs_registry_opts *o);
/** The Authorization header for a request ("Authorization: …", malloc'd)
 *  or NULL; fetches a token first when the registry wants bearer tokens
 *  and the cached one is missing or expired. 0 or -errno. */
int reg_auth_header(struct ocifs_registry *r, int push, char **hdr);
/** After a 401 carrying www_auth: learn the challenge and get fresh
 *  credentials (drops the cached token). 0: try again; -EACCES: nothing
 *  more to try (logged). */
int reg_auth_challenge(struct ocifs_registry *r, const char *www_auth, int push,
		       const char *what);
void reg_auth_fini(struct ocifs_registry *r);

/* registry_cred.c */
#define REG_CRED_MAX (64u << 10) /* bytes of a helper's answer */
#define REG_CRED_TIMEOUT_S 60    /* a helper's time to answer; tests:
				  * $OCIFS_CRED_HELPER_TIMEOUT seconds */
/** Run `docker-credential-HELPER get` (from PATH) with server on its
 *  stdin; from says where the helper was named ("credHelpers in FILE"),
 *  for messages. 1: *secret (malloc'd) and *user (malloc'd; NULL when
 *  the helper answered Username "<token>": *secret is an identity
 *  token); 0: the helper has no credentials for server; -EACCES: it is
 *  missing, failed, hung (killed after the timeout) or answered
 *  garbage, logged in one line naming the helper and regname. Never
 *  logs the answer. Thread-safe; blocks up to the timeout. */
int reg_cred_helper_get(const char *regname, const char *helper, const char *from,
			const char *server, char **user, char **secret);

#endif
