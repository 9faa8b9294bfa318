/* SPDX-License-Identifier: MIT */
/*
 * A client for one repository of an OCI distribution registry (the
 * `docker://` transport, issue #15), over libcurl: manifests and small
 * blobs by GET, layer blobs as byte sources read by HTTP Range requests,
 * uploads for `ocifs index --push`. Auth as skopeo/podman/docker do it:
 * anonymous, bearer tokens from the WWW-Authenticate challenge (renewed
 * when they expire), basic; credentials from --creds or the auth files.
 * TLS verified unless tls_verify is 0. Bounded retries with backoff on
 * 429 (Retry-After), 5xx, resets and timeouts.
 *
 * Nothing here verifies what it returns beyond what it says: manifests
 * and small blobs are checked against the digest they were asked by;
 * blob sources are not (the index pass and the reader verify, DESIGN §3).
 *
 * Thread-safe: a registry and its sources may be used from several
 * threads at once. It starts no threads of its own, so a registry opened
 * before the mount forks is used by the daemon alone afterwards.
 *
 * Errors: 0 or a negative errno, one log line naming the reference and
 * the reason ("registry 127.0.0.1:5000/app: manifest latest: 401
 * unauthorized: wrong user name or password"):
 *   -ENOENT     404 (no such repository, tag, manifest or blob)
 *   -EACCES     401/403 after the credentials available were tried
 *   -EILSEQ     a manifest or blob whose bytes do not match its digest
 *   -EFBIG      a body larger than the caller's limit
 *   -EPROTO     a malformed answer (bad header, bad JSON token reply,
 *               a Range answered with the wrong range)
 *   -ETIMEDOUT  no answer within the timeouts, after the retries
 *   -EIO        other transport errors (TLS, reset), after the retries
 *   -ENOMEM
 */
#ifndef OCIFS_SRC_REGISTRY_H
#define OCIFS_SRC_REGISTRY_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "sha.h"
#include "src.h"

/* A parsed `docker://` name (the part after "docker://"), normalized as
 * containers/image does: "nginx" -> docker.io/library/nginx:latest, and
 * docker.io's API host is registry-1.docker.io. */
struct ocifs_regname {
	char *host;     /* "127.0.0.1:5000", "registry-1.docker.io" */
	char *repo;     /* "library/nginx", "team/app" */
	char *tag;      /* "latest" when neither tag nor digest was given;
			 * NULL when only a digest was */
	char *digest;   /* "sha256:…" or NULL */
	char *display;  /* "127.0.0.1:5000/team/app:1.0" for messages */
};

/** Parse NAME[:TAG][@DIGEST] (without "docker://"). -EINVAL (logged) for
 *  a malformed name, tag or digest. */
int ocifs_regname_parse(const char *s, struct ocifs_regname *out);
void ocifs_regname_fini(struct ocifs_regname *n);

#define OCIFS_REG_NO_RETRY UINT_MAX /* ocifs_registry_opts.retries: none */

struct ocifs_registry_opts {
	int tls_verify;         /* 1 (default when opts is NULL): verify
				 * TLS. 0: accept any certificate, and
				 * fall back to plain http:// when https
				 * gets no TLS answer (skopeo's
				 * --tls-verify=false). NB: a zeroed opts
				 * means 0: set it. */
	const char *cert_dir;   /* --cert-dir: *.crt CAs, a *.cert + *.key
				 * client pair (containers-certs.d(5));
				 * NULL: /etc/containers/certs.d/HOST and
				 * /etc/docker/certs.d/HOST when present */
	const char *creds;      /* --creds USER[:PASSWORD], or NULL */
	const char *authfile;   /* --authfile; NULL: $REGISTRY_AUTH_FILE,
				 * $XDG_RUNTIME_DIR/containers/auth.json,
				 * ~/.docker/config.json (first that has
				 * the host) */
	unsigned retries;       /* attempts after the first; 0: default 4;
				 * OCIFS_REG_NO_RETRY: none */
	unsigned timeout_s;     /* connect and stall timeout; 0: 30 s */
};

struct ocifs_registry;

/** Load libcurl (dlopen: it is not linked, its dependencies would cost
 *  every command milliseconds at start) and run its process-wide init,
 *  once: a program that starts threads calls it before them;
 *  ocifs_registry_open calls it too. 0, or -ENOTSUP (logged) when
 *  libcurl cannot be loaded. */
int ocifs_registry_global_init(void);

/** A client for n's repository (n is copied). Nothing is sent yet; the
 *  credentials and the cert dir are read now: -EINVAL (logged) for a
 *  malformed --creds or auth file, -ENOENT for a missing --authfile or
 *  --cert-dir, or a *.cert without its *.key. */
int ocifs_registry_open(const struct ocifs_regname *n, const struct ocifs_registry_opts *o,
			struct ocifs_registry **out);
struct ocifs_registry *ocifs_registry_ref(struct ocifs_registry *r);
void ocifs_registry_unref(struct ocifs_registry *r);
/** "HOST/REPO" for messages. */
const char *ocifs_registry_name(const struct ocifs_registry *r);

/** GET /v2/REPO/manifests/REF (a tag or a digest) accepting the OCI and
 *  Docker schema 2 manifest and index types. *body is malloc'd and
 *  NUL-terminated (at most max bytes, else -EFBIG), *media_type its
 *  Content-Type (malloc'd; the body's mediaType when the header is
 *  missing or generic), digest the sha256 of the body; when ref is a
 *  digest the body must match it (-EILSEQ). */
int ocifs_registry_get_manifest(struct ocifs_registry *r, const char *ref, size_t max,
				char **body, size_t *len, char **media_type,
				char digest[OCIFS_DIGEST_STRLEN + 1]);

/** GET a whole small blob (a config), checked against digest. */
int ocifs_registry_get_blob(struct ocifs_registry *r, const char *digest, size_t max,
			    char **body, size_t *len);

/** GET blob digest, size bytes, its body handed to sink as it arrives
 *  (sink returns 0, or -errno: the transfer stops with that error);
 *  restart is called before every attempt (a retry starts the body
 *  over). More than size bytes: -EFBIG (logged); then the whole body is
 *  checked against digest (-EILSEQ, logged) and size (fewer bytes:
 *  -EBADMSG, not logged). What sink saw is the blob only when 0 is
 *  returned. Several may run at once, one a thread. */
int ocifs_registry_get_blob_to(struct ocifs_registry *r, const char *digest, uint64_t size,
			       int (*sink)(void *ctx, const void *p, size_t n),
			       void (*restart)(void *ctx), void *ctx);

/** A byte source over blob digest (size bytes; size < 0: asked with a
 *  HEAD). pread is a Range request; reads that continue where the last
 *  one ended (or land at most 4 MiB ahead of the stream) are served from
 *  a streaming GET (one per source, paused when 1 MiB is buffered) of a
 *  window that starts at 1 MiB and doubles, to 64 MiB, while the reader
 *  keeps up, so a reader that stops leaves at most as many bytes in
 *  flight as it read; a pass announced with ocifs_src_advise_whole (the
 *  first index, a hash of the blob) is one GET of the rest of the blob. A stream cut short is resumed by a Range from where
 *  it stopped (a retry). A registry that answers a Range with 200 is read
 *  through to the range (and remembered: later reads stream). Not
 *  verified (see above). */
int ocifs_registry_blob_src(struct ocifs_registry *r, const char *digest, int64_t size,
			    struct ocifs_src **out);

/** The size of blob digest (a HEAD): 0 and *size, or -ENOENT etc. */
int ocifs_registry_blob_size(struct ocifs_registry *r, const char *digest, int64_t *size);

/* Uploads and referrers, for the index artifact (`ocifs index --push`). */

/** Upload a blob unless the registry has it (HEAD first): POST then one
 *  monolithic PUT. */
int ocifs_registry_put_blob(struct ocifs_registry *r, const char *digest, const void *buf,
			    size_t len);
/** PUT /v2/REPO/manifests/REF with Content-Type media_type. */
int ocifs_registry_put_manifest(struct ocifs_registry *r, const char *ref,
				const char *media_type, const void *buf, size_t len);
/** The referrers of manifest digest (an OCI image index, as JSON) with
 *  that artifactType (NULL: all): the referrers API, or the
 *  "sha256-<hex>" tag where the registry lacks it (an empty index when
 *  neither exists). */
int ocifs_registry_referrers(struct ocifs_registry *r, const char *digest,
			     const char *artifact_type, char **body, size_t *len);

/** Push manifest buf (an OCI 1.1 artifact manifest whose "subject" is
 *  subject) by its digest (into digest), and list it as a referrer of
 *  subject: nothing more where the registry has the referrers API (its
 *  PUT answer names the subject), else add it to the "sha256-<hex>" tag's
 *  index (made when missing). */
int ocifs_registry_put_referrer(struct ocifs_registry *r, const char *subject,
				const char *media_type, const char *artifact_type,
				const void *buf, size_t len, char digest[OCIFS_DIGEST_STRLEN + 1]);

/* What was sent and received since open (tests, bench, trace). */
struct ocifs_registry_stats {
	uint64_t requests;      /* HTTP requests, retries and token fetches
				 * included */
	uint64_t retries;
	uint64_t bytes_in;      /* body bytes received */
	uint64_t range_requests;
	uint64_t connects;      /* new connections (the rest reused one);
				 * a stream's counted when it ends */
	uint64_t http2;         /* requests answered over HTTP/2 */
};
void ocifs_registry_stats(const struct ocifs_registry *r, struct ocifs_registry_stats *st);

#endif
