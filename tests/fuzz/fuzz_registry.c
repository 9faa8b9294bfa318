/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a hostile registry. The input is the registry's side of
 * the conversation: parts split on FZ_SEP, part i the raw HTTP response
 * (status line, headers, body) to the i-th request the client makes, over
 * a real TCP connection to a server thread on 127.0.0.1 (libcurl's HTTP
 * parsing is exercised as it runs; what is ours is everything after it:
 * src/registry*.c -- auth challenges and token replies, digests,
 * Content-Range checks, the blob sources' streamed windows and Range
 * reads, resumption -- and src/image_registry.c with image_oci.c's walk
 * over what the registry returns). Requests past the last part get 404.
 * Each connection carries one response and is closed, so nothing waits:
 * every input runs in milliseconds or is a hang worth reporting.
 *
 * In a part, before it is served:
 *   @P     the server's port (for a token realm or a redirect);
 *   @Dk    "sha256:" + the digest of part k's body, @Zk its size
 *          (k = 1..9, a part after this one, as fuzz_image_json);
 *   @L     (in the headers) this part's body length after substitution;
 *   @R     the requested range "A-B" of this request's Range header;
 *   a part that is exactly "@BLOBk" (k = 0..9, another part) answers as
 *   a correct registry would with part k's body: 206 and the asked
 *   range, or 200 and all of it; its digest (@D) is part k's body's.
 * The server is also the client's proxy (http_proxy, https_proxy), so a
 * redirect or a token realm naming another host comes here too. An https
 * request (tls_verify is 0, so https is tried first) is a CONNECT, closed
 * unanswered: the client then falls back to http, consuming no part.
 *
 * Flows, by the input's first line:
 *   (none)   `docker://` image open (manifest or index, platform walk,
 *            config), then reads from every layer's blob source at its
 *            start, middle and end (the first pass streams the blob;
 *            later reads need the chunk sums, which a fresh cache lacks);
 *   "ART\n"  the same with the index artifact's pull (idxart.h) into an
 *            empty cache between the open and the reads;
 *   "API\n"  the client alone: manifest by tag, referrers of part 1's
 *            digest, a HEAD and a blob streamed to a sink of part 2's, and
 *            a blob source of part 3's read in order (the streamed window),
 *            then at offsets from the input's hash (Range requests);
 *   "PUSH\n" uploads: a blob (HEAD, POST, PUT to the Location the answer
 *            gives) and a referrer (its manifest, then the fallback tag's
 *            index read, merged and put back).
 * Any documented errno is fine; a read that succeeds returns what was
 * asked, within the blob. (The referrers call asks the API and the tag at
 * once, so which of those two answers each gets may vary.)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "cache.h"
#include "fuzz_oci.h"
#include "idxart.h"
#include "image.h"
#include "registry.h"

#define SRV_REQ_MAX (64u << 10)
#define SRV_POLL_MS 2000
/* a blob nobody serves: the digest of "{}" */
#define NO_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

struct reply {
	char *head;             /* status line and headers, "\r\n\r\n" included */
	size_t head_len;
	char *body;
	size_t body_len;
	int blob;               /* "@BLOBk": part k's body, as asked; else -1 */
};

static struct {
	pthread_mutex_t lock;
	int fd, port;
	struct reply r[FZ_MAXPARTS];
	size_t n, next;
	char digest[FZ_MAXPARTS][OCIFS_DIGEST_STRLEN + 1];
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read and drop the body of an upload (its Content-Length), so that
 * closing the connection does not reset it before the answer is read.
 * buf[0..got) is the request so far, its head complete. */
static int drain_body(int fd, const char *buf, size_t got)
{
	const char *cl = strcasestr(buf, "\r\nContent-Length:");
	size_t head = (size_t)(strstr(buf, "\r\n\r\n") + 4 - buf);
	uint64_t left = cl ? strtoull(cl + 17, NULL, 10) : 0;
	char sink[4096];

	left = left > got - head ? left - (got - head) : 0;
	while (left) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (poll(&pf, 1, SRV_POLL_MS) <= 0)
			return -1;
		r = recv(fd, sink, left < sizeof(sink) ? (size_t)left : sizeof(sink), 0);
		if (r <= 0)
			return -1;
		left -= (uint64_t)r;
	}
	return 0;
}

/* The request's head (up to the blank line), NUL-terminated, its body
 * read; 0, or -1 for a TLS hello or a proxy CONNECT (https), a stall or
 * a closed connection. */
static int read_request(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got + 1 < cap) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (poll(&pf, 1, SRV_POLL_MS) <= 0)
			return -1;
		r = recv(fd, buf + got, cap - 1 - got, 0);
		if (r <= 0)
			return -1;
		if (got == 0 && (unsigned char)buf[0] == 0x16)
			return -1; /* TLS without the proxy: no answer */
		got += (size_t)r;
		buf[got] = 0;
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	if (got + 1 >= cap || !strncmp(buf, "CONNECT ", 8))
		return -1; /* too long; https: no tunnel */
	return drain_body(fd, buf, got);
}

/* The Range header's "A-B" (or "A-"), copied into out; "" when none. */
static void req_range(const char *req, char *out, size_t cap, uint64_t *a, uint64_t *b, int *has)
{
	const char *r = strcasestr(req, "\r\nRange: bytes="), *dash;
	size_t n = 0;

	*has = 0;
	out[0] = 0;
	if (!r)
		return;
	r += strlen("\r\nRange: bytes=");
	while (r[n] && r[n] != '\r' && n + 1 < cap)
		n++;
	memcpy(out, r, n);
	out[n] = 0;
	dash = strchr(out, '-');
	*a = strtoull(out, NULL, 10);
	*b = dash && dash[1] ? strtoull(dash + 1, NULL, 10) : UINT64_MAX;
	*has = 1;
}

/* Part k's body as a correct registry answers a (ranged) GET of it. */
static void serve_blob(int fd, const struct reply *k, const char *req)
{
	char range[64], head[256];
	uint64_t a = 0, b = 0;
	int has, n;

	req_range(req, range, sizeof(range), &a, &b, &has);
	if (!has) {
		n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", k->body_len);
		if (write_all(fd, head, (size_t)n) == 0)
			write_all(fd, k->body, k->body_len);
		return;
	}
	if (a >= k->body_len || a > b) {
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%zu\r\n"
			     "Content-Length: 0\r\n\r\n", k->body_len);
		write_all(fd, head, (size_t)n);
		return;
	}
	if (b >= k->body_len)
		b = k->body_len - 1;
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %llu-%llu/%zu\r\n"
		     "Content-Length: %llu\r\n\r\n", (unsigned long long)a, (unsigned long long)b,
		     k->body_len, (unsigned long long)(b - a + 1));
	if (write_all(fd, head, (size_t)n) == 0)
		write_all(fd, k->body + a, (size_t)(b - a + 1));
}

/* Answer one request with the next part (under srv.lock). */
static void serve_one(int fd, const char *req)
{
	static const char none[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	const struct reply *p;
	const char *h, *at, *end;
	char range[64];
	uint64_t a, b;
	int has;

	if (srv.next >= srv.n) {
		write_all(fd, none, sizeof(none) - 1);
		return;
	}
	p = &srv.r[srv.next++];
	if (p->blob >= 0) {
		if (srv.r[p->blob].blob >= 0)
			write_all(fd, none, sizeof(none) - 1);
		else
			serve_blob(fd, &srv.r[p->blob], req);
		return;
	}
	/* @R in the headers: this request's range */
	end = p->head + p->head_len;
	req_range(req, range, sizeof(range), &a, &b, &has);
	for (h = p->head; (at = memmem(h, (size_t)(end - h), "@R", 2)) != NULL; h = at + 2)
		if (write_all(fd, h, (size_t)(at - h)) || write_all(fd, range, strlen(range)))
			return;
	if (write_all(fd, h, (size_t)(end - h)) == 0)
		write_all(fd, p->body, p->body_len);
}

static void *srv_main(void *arg)
{
	static char req[SRV_REQ_MAX];

	(void)arg;
	for (;;) {
		int c = accept4(srv.fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (read_request(c, req, sizeof(req)) == 0) {
			pthread_mutex_lock(&srv.lock);
			if (getenv("FUZZ_VERBOSE"))
				fprintf(stderr, "fuzz_registry: request %zu: %.*s\n", srv.next,
					(int)strcspn(req, "\r"), req);
			serve_one(c, req);
			pthread_mutex_unlock(&srv.lock);
			shutdown(c, SHUT_WR);
		}
		close(c);
	}
	return NULL;
}

static void srv_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	pthread_t th;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(srv.fd, 16) || getsockname(srv.fd, (struct sockaddr *)&a, &al))
		abort();
	srv.port = ntohs(a.sin_port);
	if (pthread_create(&th, NULL, srv_main, NULL))
		abort();
	pthread_detach(th);
}

/* The body length part k serves (0 while not made yet). */
static size_t body_len(size_t k)
{
	return srv.r[k].blob >= 0 ? srv.r[srv.r[k].blob].body_len : srv.r[k].body_len;
}

/* Part p with @P, @Dk and @Zk replaced (k > self); split into head and
 * body, @L in the head replaced by the body's length. */
static int make_reply(const struct fz_part *p, size_t self, size_t nparts, struct reply *out)
{
	char *s = NULL, *sep, *h = NULL;
	size_t sl = 0, hl = 0;
	FILE *f;

	memset(out, 0, sizeof(*out));
	out->blob = -1;
	if (p->n == 6 && !memcmp(p->p, "@BLOB", 5) && p->p[5] >= '0' && p->p[5] <= '9' &&
	    (size_t)(p->p[5] - '0') != self && (size_t)(p->p[5] - '0') < nparts) {
		out->blob = p->p[5] - '0';
		return 0;
	}
	if (!(f = open_memstream(&s, &sl)))
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const char *c = (const char *)p->p + i;
		size_t left = p->n - i;
		size_t k = left >= 3 ? (size_t)(c[2] - '0') : 0;
		if (left >= 2 && c[0] == '@' && c[1] == 'P') {
			fprintf(f, "%d", srv.port);
			i++;
		} else if (left >= 3 && c[0] == '@' && (c[1] == 'D' || c[1] == 'Z') && c[2] >= '1' &&
			   c[2] <= '9' && k > self && k < nparts) {
			if (c[1] == 'D')
				fputs(srv.digest[k], f);
			else
				fprintf(f, "%zu", body_len(k));
			i += 2;
		} else {
			fputc(*c, f);
		}
	}
	if (fclose(f) || !s)
		return -ENOMEM;
	sep = memmem(s, sl, "\r\n\r\n", 4);
	out->head_len = sep ? (size_t)(sep - s) + 4 : sl;
	out->body_len = sl - out->head_len;
	out->body = malloc(out->body_len + 1);
	f = open_memstream(&h, &hl);
	if (!out->body || !f) {
		if (f)
			fclose(f);
		free(h);
		free(s);
		return -ENOMEM;
	}
	memcpy(out->body, s + out->head_len, out->body_len);
	for (size_t i = 0; i < out->head_len; i++) {
		if (i + 1 < out->head_len && s[i] == '@' && s[i + 1] == 'L') {
			fprintf(f, "%zu", out->body_len);
			i++;
		} else {
			fputc(s[i], f);
		}
	}
	free(s);
	if (fclose(f) || !h)
		return -ENOMEM;
	out->head = h;
	out->head_len = hl;
	return 0;
}

static void digest_of(const struct reply *r, char out[OCIFS_DIGEST_STRLEN + 1])
{
	unsigned char d[OCIFS_SHA256_LEN];

	ocifs_sha256(r->body ? r->body : "", r->body_len, d);
	ocifs_digest_format(d, out);
}

static void replies_clear(void)
{
	pthread_mutex_lock(&srv.lock);
	for (size_t i = 0; i < srv.n; i++) {
		free(srv.r[i].head);
		free(srv.r[i].body);
	}
	srv.n = srv.next = 0;
	pthread_mutex_unlock(&srv.lock);
}

static int replies_set(const uint8_t *data, size_t size)
{
	struct fz_part parts[FZ_MAXPARTS];
	size_t n = fz_split(data, size, parts, FZ_MAXPARTS);
	int rc = 0;

	pthread_mutex_lock(&srv.lock);
	memset(srv.digest, 0, sizeof(srv.digest));
	srv.n = n;
	srv.next = 0;
	/* from the last part down, so each may name the ones after it */
	for (size_t i = n; i-- > 0;) {
		if (make_reply(&parts[i], i, n, &srv.r[i])) {
			rc = -ENOMEM;
			continue;
		}
		if (srv.r[i].blob < 0)
			digest_of(&srv.r[i], srv.digest[i]);
	}
	/* a blob answer may name an earlier part: made by now */
	for (size_t i = 0; i < n; i++)
		if (srv.r[i].blob >= 0)
			digest_of(&srv.r[srv.r[i].blob], srv.digest[i]);
	pthread_mutex_unlock(&srv.lock);
	return rc;
}

/* What a read of n bytes at off of a size-byte source returns whole. */
static size_t read_len(uint64_t size, uint64_t off, size_t n)
{
	return off >= size ? 0 : size - off < n ? (size_t)(size - off) : n;
}

/* Reads from a layer's blob source: each either fails or returns the
 * bytes asked, within the blob. */
static void read_layer(struct ocifs_src *s, uint64_t h)
{
	uint64_t offs[3] = { 0, s->size / 2, s->size > 40 ? s->size - 40 : 0 };
	unsigned char buf[4096];

	for (int i = 0; i < 3; i++) {
		size_t want = 16 + (size_t)((h >> (8 * i)) & 0xfff), got = 0;
		int rc = ocifs_src_pread(s, buf, want, offs[i], &got);
		FZ_ASSERT(rc <= 0);
		if (rc == 0)
			FZ_ASSERT(got == read_len(s->size, offs[i], want));
	}
}

static int sink_count(void *ctx, const void *p, size_t n)
{
	(void)p;
	*(uint64_t *)ctx += n;
	return 0;
}

static void sink_restart(void *ctx)
{
	*(uint64_t *)ctx = 0;
}

static void api_flow(struct ocifs_registry *reg, uint64_t h)
{
	char digest[OCIFS_DIGEST_STRLEN + 1], *body = NULL, *mt = NULL;
	size_t len = 0;
	int64_t size = -1;
	uint64_t seen = 0;
	struct ocifs_src *src;
	int rc = ocifs_registry_get_manifest(reg, "latest", 1u << 20, &body, &len, &mt, digest);

	FZ_ASSERT(rc <= 0);
	if (!rc) {
		FZ_ASSERT(body && mt && strlen(body) <= len);
		free(body);
		free(mt);
		body = NULL;
	}
	rc = ocifs_registry_referrers(reg, srv.digest[1][0] ? srv.digest[1] : NO_DIGEST,
				      (h & 1) ? "application/vnd.ocifs.index.v1" : NULL, &body, &len);
	FZ_ASSERT(rc <= 0);
	free(body);
	rc = ocifs_registry_blob_size(reg, srv.digest[2][0] ? srv.digest[2] : NO_DIGEST,
				      &size);
	FZ_ASSERT(rc <= 0);
	if (!rc)
		FZ_ASSERT(size >= 0);
	rc = ocifs_registry_get_blob_to(reg, srv.digest[2][0] ? srv.digest[2] : NO_DIGEST,
					size >= 0 && size < (1 << 20) ? (uint64_t)size : 1024, sink_count,
					sink_restart, &seen);
	FZ_ASSERT(rc <= 0);
	/* a blob source: reads in order (the streamed window), then jumps
	 * (Range requests), sizes from the input's hash */
	if (ocifs_registry_blob_src(reg, srv.digest[3][0] ? srv.digest[3] : NO_DIGEST,
				    (h & 4) ? -1 : (int64_t)(srv.n > 3 ? body_len(3) : 0), &src) == 0) {
		uint64_t off = 0, s = h;
		for (int i = 0; i < 6; i++) {
			unsigned char buf[8192];
			size_t want = 1 + (size_t)(fz_rnd(&s) % sizeof(buf)), got = 0;
			if (i >= 3)
				off = src->size ? fz_rnd(&s) % (src->size + 16) : 0;
			rc = ocifs_src_pread(src, buf, want, off, &got);
			if (getenv("FUZZ_VERBOSE"))
				fprintf(stderr, "fuzz_registry: pread %zu at %llu of %llu: %d, %zu\n", want,
					(unsigned long long)off, (unsigned long long)src->size, rc, got);
			FZ_ASSERT(rc <= 0);
			if (rc == 0)
				FZ_ASSERT(got == read_len(src->size, off, want));
			off += got;
		}
		ocifs_src_unref(src);
	}
}

/* The index artifact's pull into an empty cache: referrers, the
 * artifact manifest, its index, chunk-sum and view blobs, each checked. */
static void art_flow(struct ocifs_image *img)
{
	struct ocifs_view_shipped sv = { 0 };
	char want[300], *cache = NULL;
	unsigned n = 0;
	int rc;

	fz_path(want, sizeof(want), "art-cache");
	fz_clear(want);
	if (ocifs_cache_open(want, &cache, NULL, 0))
		abort();
	rc = ocifs_idxart_pull(img, cache, 1, &n, &sv);
	free(cache);
	FZ_ASSERT(rc <= 0);
	FZ_ASSERT(n <= img->nlayers);
	if (sv.data)
		FZ_ASSERT(n == img->nlayers);
	free(sv.data);
}

/* Uploads: a blob (HEAD, POST, PUT to the Location) and a referrer (its
 * manifest, then the fallback tag's index read, merged and put back). */
static void push_flow(struct ocifs_registry *reg)
{
	static const char blob[] = "{\"architecture\":\"amd64\"}";
	static const char art[] = "{\"schemaVersion\":2,\"mediaType\":"
				  "\"application/vnd.oci.image.manifest.v1+json\"}";
	char digest[OCIFS_DIGEST_STRLEN + 1];
	unsigned char d[OCIFS_SHA256_LEN];
	int rc;

	ocifs_sha256(blob, sizeof(blob) - 1, d);
	ocifs_digest_format(d, digest);
	rc = ocifs_registry_put_blob(reg, digest, blob, sizeof(blob) - 1);
	FZ_ASSERT(rc <= 0);
	rc = ocifs_registry_put_referrer(reg, NO_DIGEST, "application/vnd.oci.image.manifest.v1+json",
					 "application/vnd.ocifs.index.v1", art, sizeof(art) - 1, digest);
	FZ_ASSERT(rc <= 0);
	if (!rc)
		FZ_ASSERT(ocifs_digest_valid(digest));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_registry_opts ro = { .tls_verify = 0, .retries = OCIFS_REG_NO_RETRY,
					  .timeout_s = 5 };
	struct ocifs_image_opts o = { .platform = "linux/amd64", .registry = &ro };
	struct ocifs_image *img = NULL;
	uint64_t h = fz_hash(data, size);
	char name[96];
	int api;

	fz_tmp();
	if (srv.fd < 0) {
		/* no credentials or certificates of this machine's */
		setenv("HOME", fz_tmp(), 1);
		/* every connection comes here, whatever host an answer names
		 * (a redirect, a token realm): nothing leaves the machine */
		srv_start();
		snprintf(name, sizeof(name), "http://127.0.0.1:%d", srv.port);
		setenv("http_proxy", name, 1);
		setenv("https_proxy", name, 1);
		unsetenv("no_proxy");
		unsetenv("NO_PROXY");
		unsetenv("all_proxy");
		unsetenv("ALL_PROXY");
		unsetenv("REGISTRY_AUTH_FILE");
		unsetenv("XDG_RUNTIME_DIR");
		if (ocifs_registry_global_init())
			abort();
	}
	api = size >= 4 && !memcmp(data, "API\n", 4)    ? 1
	      : size >= 5 && !memcmp(data, "PUSH\n", 5) ? 2
	      : size >= 4 && !memcmp(data, "ART\n", 4)  ? 3
							: 0;
	if (api) {
		data += api == 2 ? 5 : 4;
		size -= api == 2 ? 5 : 4;
	}
	if (replies_set(data, size) == 0) {
		snprintf(name, sizeof(name), "127.0.0.1:%d/fz/app:latest", srv.port);
		if (!api || api == 3) {
			if (ocifs_image_open_registry(name, &o, &img) == 0) {
				if (api == 3)
					art_flow(img);
				for (size_t i = 0; i < img->nlayers; i++)
					if (img->layers[i].blob)
						read_layer(img->layers[i].blob, h >> 2);
				ocifs_image_free(img);
			}
		} else {
			struct ocifs_regname rn;
			struct ocifs_registry *reg;
			if (ocifs_regname_parse(name, &rn) == 0) {
				if (ocifs_registry_open(&rn, &ro, &reg) == 0) {
					if (api == 1)
						api_flow(reg, h >> 2);
					else
						push_flow(reg);
					ocifs_registry_unref(reg);
				}
				ocifs_regname_fini(&rn);
			}
		}
	}
	replies_clear();
	return 0;
}
