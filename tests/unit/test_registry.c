/* SPDX-License-Identifier: MIT */
/*
 * The registry client (src/registry.h): the name table always; against
 * real registries when tests/cli/t41-registry-client.sh started them and
 * pushed an image (REGT_* variables below): manifests, blobs, Range and
 * streaming sources, TLS, tls_verify=0, basic auth, auth files, push and
 * referrers. The faults through tests/lib/regproxy.py are
 * test_registry_faults.c's (t42).
 */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sys/stat.h>

#include "log.h"
#include "registry.h"
#include "registry_check.h"
#include "sha.h"
#include "src.h"
#include "tap.h"

/* ---- names ---- */

static void test_names(void)
{
	static const char *const d64 =
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char withdig[200], tagdig[200], baddig[200];
	struct {
		const char *in;
		int rc;
		const char *host, *repo, *tag, *digest, *display;
	} t[] = {
		{ "nginx", 0, "registry-1.docker.io", "library/nginx", "latest", NULL,
		  "docker.io/library/nginx:latest" },
		{ "docker.io/nginx:1.25", 0, "registry-1.docker.io", "library/nginx", "1.25", NULL,
		  "docker.io/library/nginx:1.25" },
		{ "index.docker.io/team/app", 0, "registry-1.docker.io", "team/app", "latest", NULL,
		  "docker.io/team/app:latest" },
		{ "team/app:v1", 0, "registry-1.docker.io", "team/app", "v1", NULL,
		  "docker.io/team/app:v1" },
		{ "127.0.0.1:5000/app:1.0", 0, "127.0.0.1:5000", "app", "1.0", NULL,
		  "127.0.0.1:5000/app:1.0" },
		{ "localhost/app", 0, "localhost", "app", "latest", NULL, "localhost/app:latest" },
		{ "quay.io/a__b/c-d.e_f--g", 0, "quay.io", "a__b/c-d.e_f--g", "latest", NULL,
		  "quay.io/a__b/c-d.e_f--g:latest" },
		{ "[::1]:5000/app", 0, "[::1]:5000", "app", "latest", NULL, "[::1]:5000/app:latest" },
		{ withdig, 0, "localhost:5000", "a/b/c", NULL, d64, NULL },
		{ tagdig, 0, "quay.io", "x/y", "t", d64, NULL },
		{ "reg.example.com/Team/app", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "app:", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "app:-x", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ baddig, -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "app@sha512:abcd", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "a//b", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "a_-b", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "app-", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "host:port/app", -EINVAL, NULL, NULL, NULL, NULL, NULL },
		{ "reg.example.com/", -EINVAL, NULL, NULL, NULL, NULL, NULL },
	};

	snprintf(withdig, sizeof(withdig), "localhost:5000/a/b/c@%s", d64);
	snprintf(tagdig, sizeof(tagdig), "quay.io/x/y:t@%s", d64);
	snprintf(baddig, sizeof(baddig), "app@%.20s", d64);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ocifs_regname n;
		int rc = ocifs_regname_parse(t[i].in, &n);

		is_int(rc, t[i].rc, "name \"%s\": %s", t[i].in, t[i].rc ? "refused" : "parsed");
		if (rc || t[i].rc)
			continue;
		is_str(n.host, t[i].host, "name \"%s\": host", t[i].in);
		is_str(n.repo, t[i].repo, "name \"%s\": repo", t[i].in);
		is_str(n.tag, t[i].tag, "name \"%s\": tag", t[i].in);
		is_str(n.digest, t[i].digest, "name \"%s\": digest", t[i].in);
		if (t[i].display)
			is_str(n.display, t[i].display, "name \"%s\": display", t[i].in);
		ocifs_regname_fini(&n);
	}
}

/* ---- against a registry ---- */

struct par {
	struct ocifs_src *s;
	const unsigned char *want;
	size_t size;
	unsigned seed;
	int bad;
};

static void *par_reader(void *arg)
{
	struct par *p = arg;
	unsigned char *buf = malloc(BLOCK);

	for (int i = 0; buf && i < 24; i++) {
		uint64_t off = (uint64_t)(rand_r(&p->seed) % p->size);
		size_t got = 0, n = BLOCK / 3;

		if (ocifs_src_pread(p->s, buf, n, off, &got) < 0 ||
		    got != (n < p->size - off ? n : p->size - off) || memcmp(buf, p->want + off, got))
			p->bad++;
	}
	free(buf);
	return NULL;
}

static void test_blobs(struct ocifs_registry *r, const char *layer)
{
	struct ocifs_registry_stats a, b;
	struct ocifs_src *s = NULL;
	size_t len = 0, nblocks;
	unsigned char *want = local_blob(layer, &len), *buf = malloc(BLOCK);
	int64_t size = -1;
	int rc, same = 1, nreq;

	ok(want && len > 3 * BLOCK && buf, "the test layer is larger than 3 blocks (%zu bytes)", len);
	if (!want || !buf || len <= 3 * BLOCK)
		goto out;
	is_int(ocifs_registry_blob_size(r, layer, &size), 0, "HEAD of the layer");
	is_int(size, len, "HEAD gives the layer's size");

	/* Every block, last to first: one Range request each. */
	rc = ocifs_registry_blob_src(r, layer, -1, &s);
	is_int(rc, 0, "a blob source (size asked with a HEAD)");
	if (rc < 0)
		goto out;
	is_int(s->size, len, "the source's size");
	nblocks = (len + BLOCK - 1) / BLOCK;
	ocifs_registry_stats(r, &a);
	for (size_t i = nblocks; i-- > 0;) {
		size_t got = 0, want_n = i + 1 == nblocks ? len - i * BLOCK : BLOCK;

		rc = ocifs_src_pread(s, buf, BLOCK, (uint64_t)i * BLOCK, &got);
		if (rc < 0 || got != want_n || memcmp(buf, want + i * BLOCK, got)) {
			same = 0;
			diag("block %zu: rc %d got %zu", i, rc, got);
		}
	}
	ocifs_registry_stats(r, &b);
	ok(same, "a Range read of every block (last to first) equals the blob's bytes");
	is_int(b.range_requests - a.range_requests, nblocks, "one Range request per block");
	ok(b.connects - a.connects <= 1, "over one connection (%llu opened)",
	   (unsigned long long)(b.connects - a.connects));
	is_int(b.http2 - a.http2, nblocks, "in HTTP/2, which the TLS registry offers");
	ocifs_src_unref(s);

	/* A whole sequential pass: one request, hashing to the digest. */
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		char dig[OCIFS_DIGEST_STRLEN + 1];

		ocifs_registry_stats(r, &a);
		rc = ocifs_sha256_src(s, NULL, NULL, dig);
		ocifs_registry_stats(r, &b);
		is_int(rc, 0, "a sequential pass reads the whole blob");
		is_str(dig, layer, "the streamed bytes hash to the layer's digest");
		nreq = (int)(b.requests - a.requests);
		is_int(nreq, 1, "a whole pass announced (ocifs_src_advise_whole) is one GET (%zu bytes)",
		       len);
		ok(b.bytes_in - a.bytes_in >= len && b.bytes_in - a.bytes_in < len + len / 2,
		   "it transfers the blob once (%llu bytes for %zu)",
		   (unsigned long long)(b.bytes_in - a.bytes_in), len);
		ocifs_src_unref(s);
	}

	/* The same pass unannounced: a window at a time, growing. */
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		size_t got = 0;
		uint64_t off = 0;

		same = 1;
		ocifs_registry_stats(r, &a);
		while (off < len && ocifs_src_pread(s, buf, BLOCK, off, &got) == 0 && got) {
			same = same && !memcmp(buf, want + off, got);
			off += got;
		}
		ocifs_registry_stats(r, &b);
		ok(same && off == len, "an unannounced sequential pass reads the blob's bytes");
		is_int((int)(b.requests - a.requests), pass_windows(len),
		       "one request a window, doubling (%zu bytes)", len);
		ocifs_src_unref(s);
	}

	/* Small reads, a forward skip, then a jump back: stream, skip, Range. */
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		size_t got = 0;
		uint64_t off = 0;

		same = 1;
		ocifs_registry_stats(r, &a);
		for (int i = 0; i < 64 && same; i++, off += 4096)
			same = ocifs_src_pread(s, buf, 4096, off, &got) == 0 && got == 4096 &&
			       !memcmp(buf, want + off, 4096);
		off += 100000; /* a gap inside the stream's window */
		same = same && ocifs_src_pread(s, buf, 4096, off, &got) == 0 && got == 4096 &&
		       !memcmp(buf, want + off, 4096);
		ocifs_registry_stats(r, &b);
		ok(same, "4 KiB reads and a forward skip from one stream equal the blob");
		is_int(b.requests - a.requests, 1, "they cost one request");
		same = ocifs_src_pread(s, buf, 4096, 8192, &got) == 0 && got == 4096 &&
		       !memcmp(buf, want + 8192, 4096);
		ok(same, "a read behind the stream is right too");
		ocifs_src_unref(s);
	}

	/* Threads at once on one source. */
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		pthread_t th[4];
		struct par p[4];
		int bad = 0;

		for (int i = 0; i < 4; i++) {
			p[i] = (struct par){ .s = s, .want = want, .size = len, .seed = 7u + (unsigned)i };
			pthread_create(&th[i], NULL, par_reader, &p[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			bad += p[i].bad;
		}
		is_int(bad, 0, "4 threads reading one source at random offsets get the right bytes");
		ocifs_src_unref(s);
	}
out:
	free(want);
	free(buf);
}

static void test_tls(void)
{
	const char *host = env("REGT_TLS_HOST"), *certs = env("REGT_TLS_CERTS");
	const char *mdig = env("REGT_MANIFEST"), *cfg = env("REGT_CONFIG"), *layer = env("REGT_LAYER");
	struct ocifs_registry_opts o = { .tls_verify = 1, .cert_dir = certs };
	struct ocifs_registry *r = NULL;
	char *body = NULL, *mt = NULL, dig[OCIFS_DIGEST_STRLEN + 1], msg[1024];
	size_t len = 0, llen = 0;
	void *local;
	int rc;

	if (!host || !certs || !mdig || !cfg || !layer) {
		skip("no test registry (run by tests/cli/t41-registry-client.sh)");
		return;
	}
	rc = open_reg(host, "app", &o, &r);
	is_int(rc, 0, "open %s/app with the test CA", host);
	if (rc < 0)
		return;
	rc = ocifs_registry_get_manifest(r, "1.0", 1 << 20, &body, &len, &mt, dig);
	is_int(rc, 0, "manifest by tag over TLS verified with the test CA");
	is_str(dig, mdig, "its digest is the pushed manifest's");
	is_str(mt, "application/vnd.oci.image.manifest.v1+json", "its media type");
	local = local_blob(mdig, &llen);
	ok(local && llen == len && !memcmp(local, body, len), "its bytes are the pushed manifest's");
	free(local);
	free(body);
	free(mt);
	rc = ocifs_registry_get_manifest(r, mdig, 1 << 20, &body, &len, &mt, dig);
	is_int(rc, 0, "manifest by digest");
	free(body);
	free(mt);
	rc = ocifs_registry_get_manifest(r, "1.0", 16, &body, &len, &mt, dig);
	is_int(rc, -EFBIG, "a manifest larger than the limit is -EFBIG");
	rc = try_manifest(r, "nope", msg, sizeof(msg));
	is_int(rc, -ENOENT, "a missing tag is -ENOENT");
	ok(strstr(msg, "manifest nope") != NULL, "its message names it: %s", msg);

	rc = ocifs_registry_get_blob(r, cfg, 1 << 20, &body, &len);
	is_int(rc, 0, "the config blob");
	local = local_blob(cfg, &llen);
	ok(local && body && llen == len && !memcmp(local, body, len), "its bytes are the config's");
	free(local);
	free(body);
	{
		struct ocifs_src *s = NULL;
		int64_t sz;

		rc = ocifs_registry_blob_src(
			r, "sha256:0000000000000000000000000000000000000000000000000000000000000000",
			-1, &s);
		is_int(rc, -ENOENT, "a missing blob is -ENOENT (HEAD)");
		rc = ocifs_registry_blob_size(r, cfg, &sz);
		is_int(sz, llen, "HEAD of the config gives its size");
	}
	test_blobs(r, layer);
	ocifs_registry_unref(r);

	/* Without the CA: a clear TLS error. */
	o.cert_dir = NULL;
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, -EIO, "without the test CA the certificate is refused");
		ok(strstr(msg, "TLS") && strstr(msg, "--tls-verify=false"),
		   "the message says TLS and what to do: %s", msg);
		ocifs_registry_unref(r);
	}
	/* tls_verify 0: any certificate. */
	o.tls_verify = 0;
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, 0, "tls_verify=0 accepts the unknown CA");
		ocifs_registry_unref(r);
	}
}

static void test_client_certs(void)
{
	const char *host = env("REGT_MTLS_HOST"), *certs = env("REGT_MTLS_CERTS");
	const char *tmp = env("REGT_TMP");
	struct ocifs_registry_opts o = { .tls_verify = 1, .cert_dir = certs, .retries = 1 };
	struct ocifs_registry *r = NULL;
	char msg[1024], dir[1024], cmd[3000];
	int rc;

	if (!host || !certs || !tmp) {
		skip("no registry wanting client certificates (run by t41)");
		return;
	}
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, 0, "a client certificate from the cert dir (client.cert + client.key)");
		ocifs_registry_unref(r);
	}
	snprintf(dir, sizeof(dir), "%s/ca-only", tmp);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s/ca.crt' '%s/'", dir, certs, dir);
	if (tap_sh("%s", cmd) != 0)
		return;
	o.cert_dir = dir;
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		ok(rc == -EIO, "without it the registry refuses (%d): %s", rc, msg);
		ocifs_registry_unref(r);
	}
}

static void write_authfile(const char *path, const char *key, const char *creds)
{
	unsigned char b64[512];
	FILE *f = fopen(path, "w");

	EVP_EncodeBlock(b64, (const unsigned char *)creds, (int)strlen(creds));
	if (f) {
		fprintf(f, "{\"auths\":{\"other.example.com\":{\"auth\":\"eDp5\"},"
			   "\"%s\":{\"auth\":\"%s\"}}}\n", key, b64);
		fclose(f);
	}
}

static void test_auth(void)
{
	const char *host = env("REGT_AUTH_HOST"), *creds = env("REGT_AUTH_CREDS");
	const char *tmp = env("REGT_TMP");
	struct ocifs_registry_opts o = { .tls_verify = 0 };
	struct ocifs_registry *r = NULL;
	char msg[1024], wrong[200], path[1024], key[300];
	int rc;

	if (!host || !creds || !tmp) {
		skip("no test registry with auth (run by tests/cli/t41-registry-client.sh)");
		return;
	}
	unsetenv("REGISTRY_AUTH_FILE");
	setenv("HOME", tmp, 1);
	unsetenv("XDG_RUNTIME_DIR");
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, -EACCES, "no credentials: -EACCES");
		ok(strstr(msg, "401") && strstr(msg, "no credentials"), "it says so: %s", msg);
		ocifs_registry_unref(r);
	}
	o.creds = creds;
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, 0, "basic auth with the right password, over plain http (tls_verify=0 "
			      "falls back from https)");
		ocifs_registry_unref(r);
	}
	snprintf(wrong, sizeof(wrong), "%.*s:wrong", (int)strcspn(creds, ":"), creds);
	o.creds = wrong;
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, -EACCES, "a wrong password is -EACCES");
		ok(strstr(msg, "wrong user name or password") != NULL, "one clear line: %s", msg);
		ocifs_registry_unref(r);
	}
	/* Auth files: REGISTRY_AUTH_FILE, then ~/.docker/config.json. */
	o.creds = NULL;
	snprintf(path, sizeof(path), "%s/auth.json", tmp);
	write_authfile(path, host, creds);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, 0, "credentials from $REGISTRY_AUTH_FILE");
		ocifs_registry_unref(r);
	}
	unsetenv("REGISTRY_AUTH_FILE");
	snprintf(path, sizeof(path), "%s/.docker", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.docker/config.json", tmp);
	snprintf(key, sizeof(key), "https://%s/v1/", host);
	write_authfile(path, key, creds);
	rc = open_reg(host, "app", &o, &r);
	if (rc == 0) {
		rc = try_manifest(r, "1.0", msg, sizeof(msg));
		is_int(rc, 0, "credentials from ~/.docker/config.json (key https://HOST/v1/)");
		ocifs_registry_unref(r);
	}
	unlink(path);
}

static void test_push(void)
{
	const char *host = env("REGT_AUTH_HOST"), *creds = env("REGT_AUTH_CREDS");
	const char *mdig = env("REGT_MANIFEST");
	struct ocifs_registry_opts o = { .tls_verify = 0, .creds = creds };
	struct ocifs_registry *r = NULL;
	static const char cfg[] = "{}";
	char cdig[OCIFS_DIGEST_STRLEN + 1], ldig[OCIFS_DIGEST_STRLEN + 1];
	char adig[OCIFS_DIGEST_STRLEN + 1], dig[OCIFS_DIGEST_STRLEN + 1];
	unsigned char d[OCIFS_SHA256_LEN], data[100000];
	char man[2048], *body = NULL, *mt = NULL;
	size_t len = 0;
	int rc;

	if (!host || !creds || !mdig) {
		skip("no test registry to push to (run by tests/cli/t41-registry-client.sh)");
		return;
	}
	if (open_reg(host, "pushed", &o, &r) < 0)
		return;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	ocifs_sha256(cfg, 2, d);
	ocifs_digest_format(d, cdig);
	ocifs_sha256(data, sizeof(data), d);
	ocifs_digest_format(d, ldig);
	is_int(ocifs_registry_put_blob(r, cdig, cfg, 2), 0, "push a small blob");
	is_int(ocifs_registry_put_blob(r, ldig, data, sizeof(data)), 0, "push a 100 KB blob");
	is_int(ocifs_registry_put_blob(r, ldig, data, sizeof(data)), 0, "again: already there");
	rc = ocifs_registry_get_blob(r, ldig, 1 << 20, &body, &len);
	ok(rc == 0 && len == sizeof(data) && !memcmp(body, data, len), "it reads back");
	free(body);
	snprintf(man, sizeof(man),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		 "\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":"
		 "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
		 cdig, ldig, sizeof(data));
	rc = ocifs_registry_put_manifest(r, "v1", "application/vnd.oci.image.manifest.v1+json",
					 man, strlen(man));
	is_int(rc, 0, "push a manifest by tag");
	rc = ocifs_registry_get_manifest(r, "v1", 1 << 20, &body, &len, &mt, dig);
	ok(rc == 0 && len == strlen(man) && !memcmp(body, man, len), "it reads back");
	free(body);
	free(mt);
	ocifs_registry_unref(r);

	/* A referrer of the pushed image "app:1.0" (mdig). */
	if (open_reg(host, "app", &o, &r) < 0)
		return;
	is_int(ocifs_registry_put_blob(r, cdig, cfg, 2), 0, "the artifact's empty config");
	is_int(ocifs_registry_put_blob(r, ldig, data, sizeof(data)), 0, "the artifact's blob");
	snprintf(man, sizeof(man),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"artifactType\":\"application/vnd.ocifs.index.v1\",\"config\":{\"mediaType\":"
		 "\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},\"layers\":"
		 "[{\"mediaType\":\"application/octet-stream\",\"digest\":\"%s\",\"size\":%zu}],"
		 "\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"digest\":\"%s\",\"size\":1}}",
		 cdig, ldig, sizeof(data), mdig);
	rc = ocifs_registry_put_referrer(r, mdig, "application/vnd.oci.image.manifest.v1+json",
					 "application/vnd.ocifs.index.v1", man, strlen(man), adig);
	is_int(rc, 0, "push a referrer (the registry has no referrers API: the tag schema)");
	rc = ocifs_registry_put_referrer(r, mdig, "application/vnd.oci.image.manifest.v1+json",
					 "application/vnd.ocifs.index.v1", man, strlen(man), adig);
	is_int(rc, 0, "again: listed once");
	rc = ocifs_registry_referrers(r, mdig, "application/vnd.ocifs.index.v1", &body, &len);
	is_int(rc, 0, "the referrers of the image");
	ok(body && strstr(body, adig) && !strstr(strstr(body, adig) + 1, adig),
	   "list the artifact once: %s", body ? body : "");
	free(body);
	rc = ocifs_registry_referrers(r, mdig, "application/other", &body, &len);
	ok(rc == 0 && body && !strstr(body, adig), "filtered by another artifactType: none");
	free(body);
	rc = ocifs_registry_referrers(r, ldig, NULL, &body, &len);
	ok(rc == 0 && body && strstr(body, "\"manifests\":[]"), "no referrers: an empty index");
	free(body);
	ocifs_registry_unref(r);
}


/* Run by t41 where libcurl's file is /dev/null: a clear refusal. */
static void test_nocurl(void)
{
	struct ocifs_log_hold h = { 0 };
	struct ocifs_registry *r = NULL;
	int rc;

	ocifs_log_hold_attach(&h);
	rc = open_reg("127.0.0.1:1", "app", NULL, &r);
	ocifs_log_hold_attach(NULL);
	is_int(rc, -ENOTSUP, "without libcurl a registry is refused: -ENOTSUP");
	ok(h.have && strstr(h.msg, "need libcurl, which cannot be loaded"), "saying why: %s",
	   h.have ? h.msg : "");
	is_int(ocifs_registry_global_init(), -ENOTSUP, "and again, without a crash");
}

int main(int argc, char **argv)
{
	ocifs_log_threshold = OCIFS_LOG_ERR;
	oci_dir = getenv("REGT_OCI");
	if (argc > 1 && !strcmp(argv[1], "nocurl")) {
		test_nocurl();
		return done_testing();
	}
	test_names();
	test_tls();
	test_client_certs();
	test_auth();
	test_push();
	return done_testing();
}
