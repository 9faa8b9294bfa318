/* SPDX-License-Identifier: MIT */
/*
 * The registry client (src/registry.h) through tests/lib/regproxy.py in
 * front of a real registry, as tests/cli/t42-registry-faults.sh sets it up
 * (REGT_PROXY_HOST, REGT_PROXY_DIR and the image's REGT_*): retries on
 * 429/5xx and stalls, dropped streams and Range reads, digest mismatches,
 * a registry that ignores Range, bearer tokens and their renewal.
 */
#include <errno.h>
#include <json-c/json.h>
#include <unistd.h>

#include "log.h"
#include "registry.h"
#include "registry_check.h"
#include "sha.h"
#include "src.h"
#include "tap.h"

static const char *proxy_dir;

static void ctl(const char *json)
{
	char tmp[1024], path[1024];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/control.json.tmp", proxy_dir);
	snprintf(path, sizeof(path), "%s/control.json", proxy_dir);
	f = fopen(tmp, "w");
	if (f) {
		fputs(json, f);
		fclose(f);
		rename(tmp, path);
	}
}

/* A top-level number of the proxy's stats.json. */
static long pstat(const char *key)
{
	char path[1024];
	json_object *root, *v;
	long n = -1;

	snprintf(path, sizeof(path), "%s/stats.json", proxy_dir);
	root = json_object_from_file(path);
	if (root && json_object_object_get_ex(root, key, &v))
		n = (long)json_object_get_int64(v);
	if (root)
		json_object_put(root);
	return n;
}

static int read_block(struct ocifs_src *s, const unsigned char *want, size_t len, size_t i)
{
	unsigned char *buf = malloc(BLOCK);
	size_t got = 0, n = (i + 1) * BLOCK > len ? len - i * BLOCK : BLOCK;
	int good = buf && ocifs_src_pread(s, buf, BLOCK, (uint64_t)i * BLOCK, &got) == 0 &&
		   got == n && !memcmp(buf, want + i * BLOCK, n);

	free(buf);
	return good;
}

/* A sequential pass over layer hashing to its digest, with the stats. */
static int stream_pass(struct ocifs_registry *r, const char *layer, size_t len,
		       struct ocifs_registry_stats *d)
{
	struct ocifs_registry_stats a, b;
	struct ocifs_src *s = NULL;
	char dig[OCIFS_DIGEST_STRLEN + 1] = "";
	int rc;

	ocifs_registry_stats(r, &a);
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		rc = ocifs_sha256_src(s, NULL, NULL, dig);
		ocifs_src_unref(s);
	}
	ocifs_registry_stats(r, &b);
	d->requests = b.requests - a.requests;
	d->retries = b.retries - a.retries;
	d->range_requests = b.range_requests - a.range_requests;
	d->bytes_in = b.bytes_in - a.bytes_in;
	return rc < 0 ? rc : strcmp(dig, layer) ? -EILSEQ : 0;
}

static void test_faults(void)
{
	const char *host = env("REGT_PROXY_HOST"), *cfg = env("REGT_CONFIG");
	const char *layer = env("REGT_LAYER");
	struct ocifs_registry_opts o = { .tls_verify = 0, .retries = 3, .timeout_s = 2 };
	struct ocifs_registry_stats a, b, d;
	struct ocifs_registry *r = NULL;
	struct ocifs_src *s = NULL;
	unsigned char *want = NULL;
	char msg[1024], *body = NULL;
	size_t len = 0, blen;
	long t0, den0;
	int rc, good;

	proxy_dir = env("REGT_PROXY_DIR");
	if (!host || !proxy_dir || !cfg || !layer || !(want = local_blob(layer, &len))) {
		skip("no proxy (run by tests/cli/t42-registry-faults.sh)");
		return;
	}
	ctl("{}");
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	is_int(try_manifest(r, "1.0", msg, sizeof(msg)), 0, "through the proxy, no faults");
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		ocifs_registry_stats(r, &a);
		good = read_block(s, want, len, 5) && read_block(s, want, len, 3) &&
		       read_block(s, want, len, 1);
		ocifs_registry_stats(r, &b);
		ok(good, "Range reads over HTTP/1.1");
		is_int(b.connects - a.connects, 0, "reuse the connection (keep-alive)");
		ocifs_src_unref(s);
	}

	ctl("{\"faults\":[{\"path\":\"/manifests/\",\"kind\":\"status\",\"status\":429,"
	    "\"retry_after\":1,\"times\":2}]}");
	ocifs_registry_stats(r, &a);
	rc = try_manifest(r, "1.0", msg, sizeof(msg));
	ocifs_registry_stats(r, &b);
	is_int(rc, 0, "two 429s with Retry-After, then the manifest");
	is_int(b.retries - a.retries, 2, "after two retries");

	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"kind\":\"status\",\"status\":500,\"times\":2}]}");
	ocifs_registry_stats(r, &a);
	rc = ocifs_registry_get_blob(r, cfg, 1 << 20, &body, &blen);
	ocifs_registry_stats(r, &b);
	free(body);
	is_int(rc, 0, "two 500s, then the config");
	is_int(b.retries - a.retries, 2, "after two retries");

	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"kind\":\"status\",\"status\":503}]}");
	ocifs_registry_stats(r, &a);
	rc = ocifs_registry_get_blob(r, cfg, 1 << 20, &body, &blen);
	ocifs_registry_stats(r, &b);
	is_int(rc, -EIO, "503 for ever: -EIO");
	is_int(b.requests - a.requests, 1 + o.retries, "after the retries (%u)", o.retries);

	ctl("{}");
	ocifs_registry_stats(r, &a);
	rc = try_manifest(r, "nope", msg, sizeof(msg));
	ocifs_registry_stats(r, &b);
	is_int(rc, -ENOENT, "404: -ENOENT");
	is_int(b.requests - a.requests, 1, "a 4xx is not retried");

	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"method\":\"GET\",\"kind\":\"drop\","
	    "\"after\":1000000,\"times\":1}]}");
	rc = stream_pass(r, layer, len, &d);
	is_int(rc, 0, "a stream dropped after 1 MB: the pass still hashes to the digest");
	ok(d.requests >= 2 && d.requests <= (uint64_t)pass_windows(len) + 1,
	   "resumed by one more request (%llu for %d windows)", (unsigned long long)d.requests,
	   pass_windows(len));
	ok(d.retries >= 1, "counted as a retry");
	ok(d.bytes_in < len + len / 4, "without reading it twice (%llu bytes for %zu)",
	   (unsigned long long)d.bytes_in, len);

	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"method\":\"GET\",\"kind\":\"drop\","
	    "\"after\":1000,\"times\":1}]}");
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		ok(read_block(s, want, len, 5), "a Range read dropped after 1000 bytes: retried, "
						  "right bytes");
		ocifs_src_unref(s);
	}

	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"kind\":\"status\",\"status\":502,\"times\":1}]}");
	rc = stream_pass(r, layer, len, &d);
	is_int(rc, 0, "a stream answered 502 first: retried");

	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"kind\":\"corrupt\"}]}");
	rc = ocifs_registry_get_blob(r, cfg, 1 << 20, &body, &blen);
	is_int(rc, -EILSEQ, "a config whose bytes differ from its digest: -EILSEQ");
	ctl("{\"faults\":[{\"path\":\"/manifests/\",\"kind\":\"corrupt\"}]}");
	{
		const char *mdig = env("REGT_MANIFEST");
		char *mt = NULL, dig[OCIFS_DIGEST_STRLEN + 1];

		rc = ocifs_registry_get_manifest(r, mdig, 1 << 20, &body, &blen, &mt, dig);
		is_int(rc, -EILSEQ, "a manifest asked by digest with other bytes: -EILSEQ");
	}

	ctl("{\"faults\":[{\"path\":\"/manifests/\",\"kind\":\"delay\",\"seconds\":5,\"times\":1}]}");
	ocifs_registry_stats(r, &a);
	rc = try_manifest(r, "1.0", msg, sizeof(msg));
	ocifs_registry_stats(r, &b);
	is_int(rc, 0, "an answer stalled past the timeout: retried");
	ok(b.retries - a.retries >= 1, "counted as a retry");
	ocifs_registry_unref(r);

	/* A registry that ignores Range (a fresh client: it is remembered). */
	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"kind\":\"norange\"}]}");
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		good = read_block(s, want, len, 3);
		ok(good, "Range ignored (200): a read at block 3 gets its bytes");
		good = read_block(s, want, len, 1) && read_block(s, want, len, 7) &&
		       read_block(s, want, len, 8) && read_block(s, want, len, 0);
		ok(good, "and reads behind and ahead of it too");
		ocifs_src_unref(s);
	}
	rc = stream_pass(r, layer, len, &d);
	is_int(rc, 0, "a sequential pass with Range ignored");
	is_int(d.requests, 1, "is one request");
	ocifs_registry_unref(r);

	/* A 206 shorter than the range it names (its own Content-Length):
	 * an error, never a short read that would look like the blob's end. */
	ctl("{\"faults\":[{\"path\":\"/blobs/\",\"kind\":\"short\",\"bytes\":100}]}");
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		unsigned char *buf = malloc(BLOCK);
		size_t got = 0;

		rc = buf ? ocifs_src_pread(s, buf, BLOCK, 3 * (uint64_t)BLOCK, &got) : -ENOMEM;
		free(buf);
		ocifs_src_unref(s);
	}
	is_int(rc, -EPROTO, "a Range answered with 100 bytes of %u: -EPROTO", BLOCK);
	ocifs_registry_unref(r);

	/* Bearer tokens from the proxy's token server. */
	ctl("{\"auth\":{\"user\":\"tok\",\"password\":\"pw\"}}");
	o.creds = "tok:pw";
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	t0 = pstat("tokens");
	is_int(try_manifest(r, "1.0", msg, sizeof(msg)), 0, "a bearer token from the challenge");
	rc = stream_pass(r, layer, len, &d);
	is_int(rc, 0, "a blob with the token");
	is_int(pstat("tokens") - t0, 1, "one token for both");
	ocifs_registry_unref(r);

	o.creds = "tok:nope";
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	rc = try_manifest(r, "1.0", msg, sizeof(msg));
	is_int(rc, -EACCES, "a wrong password at the token server: -EACCES");
	ok(strstr(msg, "wrong user name or password") != NULL, "one clear line: %s", msg);
	ocifs_registry_unref(r);

	o.creds = NULL;
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	rc = try_manifest(r, "1.0", msg, sizeof(msg));
	is_int(rc, -EACCES, "no credentials, no anonymous tokens: -EACCES");
	ctl("{\"auth\":{\"anonymous\":true}}");
	rc = try_manifest(r, "1.0", msg, sizeof(msg));
	is_int(rc, 0, "an anonymous token where the server gives one");
	ocifs_registry_unref(r);

	/* A token that dies early (server side) is renewed on the 401. */
	ctl("{\"auth\":{\"user\":\"tok\",\"password\":\"pw\",\"max_uses\":2}}");
	o.creds = "tok:pw";
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	t0 = pstat("tokens");
	good = 1;
	for (int i = 0; i < 5; i++)
		good &= try_manifest(r, "1.0", msg, sizeof(msg)) == 0;
	ok(good, "5 requests with tokens good for 2 each all succeed");
	ok(pstat("tokens") - t0 >= 3, "renewed on the 401s (%ld tokens)", pstat("tokens") - t0);
	rc = ocifs_registry_blob_src(r, layer, (int64_t)len, &s);
	if (rc == 0) {
		good = 1;
		for (size_t i = 0; i < 6; i++)
			good &= read_block(s, want, len, 9 - i);
		ok(good, "Range reads across token renewals");
		ocifs_src_unref(s);
	}
	rc = stream_pass(r, layer, len, &d);
	is_int(rc, 0, "a stream opened after a renewal");
	ocifs_registry_unref(r);

	/* A token that says it expires soon is renewed before use, no 401. */
	ctl("{\"auth\":{\"user\":\"tok\",\"password\":\"pw\",\"expires_in\":1}}");
	if (open_reg(host, "app", &o, &r) < 0)
		goto fail_open;
	is_int(try_manifest(r, "1.0", msg, sizeof(msg)), 0, "a token with expires_in 1");
	sleep(2);
	t0 = pstat("tokens");
	den0 = pstat("denied");
	is_int(try_manifest(r, "1.0", msg, sizeof(msg)), 0, "after it expired");
	is_int(pstat("tokens") - t0, 1, "a new token was fetched");
	is_int(pstat("denied") - den0, 0, "before the request, not after a 401");
	ocifs_registry_unref(r);
	ctl("{}");
	free(want);
	return;
fail_open:
	ok(0, "open the registry behind the proxy");
	ctl("{}");
	free(want);
}

int main(void)
{
	ocifs_log_threshold = OCIFS_LOG_ERR;
	oci_dir = getenv("REGT_OCI");
	test_faults();
	return done_testing();
}
