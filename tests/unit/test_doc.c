/* SPDX-License-Identifier: MIT */
/*
 * The generated-document cache (src/doc.h): keys (stable, and a miss
 * when a layer digest, diff_id or schema changes), load (frame check,
 * corrupt file -> -ESTALE -> rebuilt, symlink refused), and builders of
 * one document in two threads and in two processes (built once, the
 * other loads it, no torn or temp file left).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doc.h"
#include "sha.h"
#include "tap.h"

#define PAYLOAD "DOC1\nthe document body\n"

static int check_calls;

/* A frame like deps.json's: a head line and a closing line. */
static int test_check(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	__atomic_add_fetch(&check_calls, 1, __ATOMIC_RELAXED);
	return len >= 6 && !memcmp(data, "DOC1\n", 5) && ((const char *)data)[len - 1] == '\n'
		       ? 0 : -ESTALE;
}

static struct ocifs_doc_kind kind = {
	.name = "test", .schema = 1, .key_flags = OCIFS_DOC_KEY_PROGRAM,
	.subdir = "docs", .ext = ".txt", .check = test_check,
};

static struct ocifs_doc_kind mkind = {
	.name = "testmap", .schema = 1, .subdir = "docs", .ext = ".map", .map = 1,
	.check = test_check,
};

/* Build state shared by the builders of one test. */
struct bctx {
	atomic_int builds;
	atomic_int waiting;     /* set by a builder polling the lock */
	int wait_for_other;     /* the builder holds on until then */
	const char *count_file; /* processes: one byte per build here */
	const char *wait_file;  /* processes: exists once one is waiting */
	const char *body;
};

static int file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)st.st_size : 0;
}

static int test_build(void *ctx, void **data, size_t *len)
{
	struct bctx *b = ctx;
	const char *body = b->body ? b->body : PAYLOAD;

	atomic_fetch_add(&b->builds, 1);
	if (b->count_file) {
		int fd = open(b->count_file, O_WRONLY | O_APPEND | O_CREAT, 0600);
		if (fd < 0 || write(fd, "b", 1) != 1)
			return -EIO;
		close(fd);
	}
	/* Hold the document "being built" until the other builder is seen
	 * waiting for it (or, if the lock did not hold it off, building it
	 * too): no timing involved either way. */
	while (b->wait_for_other) {
		struct timespec ts = { 0, 1000000 };
		if (b->count_file ? access(b->wait_file, F_OK) == 0 || file_size(b->count_file) > 1
				  : atomic_load(&b->waiting) || atomic_load(&b->builds) > 1)
			break;
		nanosleep(&ts, NULL);
	}
	*len = strlen(body);
	*data = malloc(*len + 1);
	if (!*data)
		return -ENOMEM;
	memcpy(*data, body, *len + 1);
	return 0;
}

static int test_waiting(void *ctx)
{
	struct bctx *b = ctx;

	atomic_store(&b->waiting, 1);
	if (b->wait_file)
		close(open(b->wait_file, O_WRONLY | O_CREAT, 0600));
	return 0;
}

static struct ocifs_image *mkimage(void)
{
	struct ocifs_image *img = calloc(1, sizeof(*img));

	img->nlayers = 2;
	img->layers = calloc(2, sizeof(*img->layers));
	strcpy(img->manifest_digest,
	       "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	for (int i = 0; i < 2; i++) {
		snprintf(img->layers[i].digest, sizeof(img->layers[i].digest),
			 "sha256:%064d", 20 + i);
		snprintf(img->layers[i].diff_id, sizeof(img->layers[i].diff_id),
			 "sha256:%064d", 30 + i);
	}
	return img;
}

static void key_hex(const struct ocifs_doc_kind *k, const struct ocifs_image *img, char *hex)
{
	unsigned char key[32];

	memset(key, 0, sizeof(key));
	if (ocifs_doc_key(k, img, NULL, 0, key))
		diag("ocifs_doc_key failed");
	ocifs_digest_format(key, hex);
}

static void test_keys(void)
{
	struct ocifs_image *img = mkimage();
	char a[80], b[80];
	struct ocifs_doc_kind view = { .name = "view", .schema = 3,
				       .key_flags = OCIFS_DOC_KEY_DIFF_IDS };

	key_hex(&kind, img, a);
	key_hex(&kind, img, b);
	is_str(a, b, "the same image and kind: the same key");
	img->layers[1].digest[70] = '9';
	key_hex(&kind, img, b);
	ok(strcmp(a, b) != 0, "a changed layer digest: another key");
	img->layers[1].digest[70] = '1';
	kind.schema = 2;
	key_hex(&kind, img, b);
	ok(strcmp(a, b) != 0, "a changed schema: another key");
	kind.schema = 1;
	img->layers[0].diff_id[70] = '7';
	key_hex(&kind, img, b);
	is_str(a, b, "without OCIFS_DOC_KEY_DIFF_IDS a diff_id is not keyed");
	key_hex(&view, img, a);
	img->layers[0].diff_id[70] = '0';
	key_hex(&view, img, b);
	ok(strcmp(a, b) != 0, "with it, a changed diff_id: another key");

	/* The view's key is the one ocifs wrote views/ under before doc.c
	 * existed: a warm cache stays warm. */
	struct ocifs_sha *h;
	unsigned char want[32];
	char wh[80];
	ocifs_sha_new(&h);
	ocifs_sha_update(h, "ocifs-view-3\n", 13);
	ocifs_sha_update(h, img->manifest_digest, strlen(img->manifest_digest));
	for (int i = 0; i < 2; i++) {
		ocifs_sha_update(h, "\n", 1);
		ocifs_sha_update(h, img->layers[i].digest, strlen(img->layers[i].digest));
		ocifs_sha_update(h, img->layers[i].diff_id, strlen(img->layers[i].diff_id));
	}
	ocifs_sha_final(h, want);
	ocifs_sha_free(h);
	ocifs_digest_format(want, wh);
	is_str(b, wh, "view key bytes as before (version tag, manifest, digests + diff_ids)");

	unsigned char k1[32], k2[32];
	ocifs_doc_key(&kind, img, "x", 1, k1);
	ocifs_doc_key(&kind, img, "y", 1, k2);
	ok(memcmp(k1, k2, 32) != 0, "extra key bytes are keyed");
	free(img->layers);
	free(img);
}

static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strstr(de->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	return n;
}

static int get(const struct ocifs_doc_kind *k, struct ocifs_image *img, const char *cache,
	       struct bctx *b, struct ocifs_doc *d)
{
	struct ocifs_doc_req r = {
		.kind = k, .img = img, .cache_dir = cache, .ctx = b, .build = test_build,
		.cancelled = test_waiting, .cancel_ctx = b,
	};

	return ocifs_doc_get(&r, d);
}

static char *doc_path(const struct ocifs_doc_kind *k, struct ocifs_image *img, const char *cache)
{
	unsigned char key[32];
	char *p = NULL;

	if (ocifs_doc_key(k, img, NULL, 0, key) || ocifs_doc_path(k, cache, key, &p))
		return NULL;
	return p;
}

static void test_cache(const char *cache)
{
	struct ocifs_image *img = mkimage();
	struct bctx b = { .builds = 0 };
	struct ocifs_doc d;
	char *path = doc_path(&kind, img, cache), *p2;
	size_t len;
	char *bytes;

	is_int(get(&kind, img, cache, &b, &d), 0, "cold: built");
	ok(!d.from_cache && atomic_load(&b.builds) == 1 && d.len == strlen(PAYLOAD) &&
		   !memcmp(d.data, PAYLOAD, d.len) && !((char *)d.data)[d.len],
	   "cold: the built bytes, NUL-terminated, not from the cache");
	ocifs_doc_release(&d);
	bytes = tap_slurp(path, &len);
	ok(bytes && len == strlen(PAYLOAD) && !memcmp(bytes, PAYLOAD, len),
	   "stored whole under <cache>/docs/<key>.txt");
	free(bytes);
	is_int(get(&kind, img, cache, &b, &d), 0, "warm: answered");
	ok(d.from_cache && atomic_load(&b.builds) == 1 && d.len == strlen(PAYLOAD),
	   "warm: loaded from the cache, not built");
	ocifs_doc_release(&d);

	/* stale keys: a changed layer digest or schema is another file */
	img->layers[0].digest[70] = '5';
	is_int(get(&kind, img, cache, &b, &d), 0, "changed layer digest: answered");
	ok(!d.from_cache && atomic_load(&b.builds) == 2, "... by a build (a miss)");
	ocifs_doc_release(&d);
	img->layers[0].digest[70] = '0';
	kind.schema = 2;
	is_int(get(&kind, img, cache, &b, &d), 0, "changed schema: answered");
	ok(!d.from_cache && atomic_load(&b.builds) == 3, "... by a build (a miss)");
	ocifs_doc_release(&d);
	kind.schema = 1;

	/* corrupt: a bad frame is -ESTALE, rebuilt, then good again */
	FILE *f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	is_int(ocifs_doc_load(&kind, path, NULL, &d), -ESTALE, "bad frame: load says -ESTALE");
	f = fopen(path, "w");
	fclose(f);
	is_int(ocifs_doc_load(&kind, path, NULL, &d), -ESTALE, "empty file: -ESTALE");
	is_int(get(&kind, img, cache, &b, &d), 0, "corrupt file: answered");
	ok(!d.from_cache && atomic_load(&b.builds) == 4, "... by a rebuild");
	ocifs_doc_release(&d);
	is_int(ocifs_doc_load(&kind, path, NULL, &d), 0, "... which replaced the corrupt file");
	ocifs_doc_release(&d);
	is_int(ocifs_doc_load(&kind, "/nonexistent/x.txt", NULL, &d), -ENOENT,
	       "no file: -ENOENT");

	/* a symlink at the cache name is refused, even to a good file */
	if (asprintf(&p2, "%s/elsewhere.txt", cache) < 0 || !(f = fopen(p2, "w")))
		abort();
	fputs(PAYLOAD, f);
	fclose(f);
	unlink(path);
	ok(symlink(p2, path) == 0, "symlink planted at the cache name");
	is_int(ocifs_doc_load(&kind, path, NULL, &d), -ESTALE, "symlinked file: load refuses it");
	is_int(get(&kind, img, cache, &b, &d), 0, "symlinked file: answered");
	ok(!d.from_cache && atomic_load(&b.builds) == 5, "... by a rebuild");
	ocifs_doc_release(&d);
	struct stat st;
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "... a regular file replaced the symlink");
	bytes = tap_slurp(p2, &len);
	ok(bytes && len == strlen(PAYLOAD), "... its target untouched");
	free(bytes);
	free(p2);

	/* a kind whose directory the cache does not have yet: made 0700 */
	struct ocifs_doc_kind nk = kind;
	char *np;
	nk.subdir = "newkind";
	np = doc_path(&nk, img, cache);
	is_int(get(&nk, img, cache, &b, &d), 0, "a kind with no directory yet: answered");
	ocifs_doc_release(&d);
	ok(np && lstat(np, &st) == 0 && S_ISREG(st.st_mode), "... stored in its new directory");
	free(np);
	atomic_fetch_sub(&b.builds, 1);

	/* no cache dir: built every time, nothing loaded */
	is_int(get(&kind, img, NULL, &b, &d), 0, "no cache dir: answered");
	ok(!d.from_cache && atomic_load(&b.builds) == 6, "... by a build");
	ocifs_doc_release(&d);

	/* a mapped kind: the stored file mapped and checked once more */
	check_calls = 0;
	is_int(get(&mkind, img, cache, &b, &d), 0, "mapped kind: built");
	ok(d.mapped && !d.from_cache && check_calls == 1 && d.len == strlen(PAYLOAD) &&
		   !memcmp(d.data, PAYLOAD, d.len),
	   "... returned as the mapping of the stored file, checked");
	ocifs_doc_release(&d);
	b.body = "not a document\n";
	img->layers[1].digest[70] = '8';
	is_int(get(&mkind, img, cache, &b, &d), -ESTALE, "mapped kind: built bytes failing the check");
	b.body = NULL;
	free(path);
	free(img->layers);
	free(img);
}

static struct ocifs_image *thr_img;
static const char *thr_cache;

static void *thr_get(void *arg)
{
	struct ocifs_doc *d = calloc(1, sizeof(*d));

	if (get(&kind, thr_img, thr_cache, arg, d)) {
		free(d);
		return NULL;
	}
	return d;
}

static void test_threads(const char *cache)
{
	struct bctx b = { .wait_for_other = 1 };
	pthread_t t[2];
	struct ocifs_doc *d[2];
	char *path;

	thr_img = mkimage();
	thr_img->layers[0].digest[70] = '3'; /* a document not cached yet */
	thr_cache = cache;
	path = doc_path(&kind, thr_img, cache);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, thr_get, &b);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], (void **)&d[i]);
	ok(d[0] && d[1], "two threads: both answered");
	is_int(atomic_load(&b.builds), 1, "two threads: the document was built once");
	ok(d[0] && d[1] && d[0]->from_cache + d[1]->from_cache == 1,
	   "... the other thread loaded what the first stored");
	ok(d[0] && d[1] && d[0]->len == d[1]->len && !memcmp(d[0]->data, d[1]->data, d[0]->len),
	   "... the same bytes");
	for (int i = 0; i < 2; i++) {
		ocifs_doc_release(d[i]);
		free(d[i]);
	}
	struct ocifs_doc x;
	is_int(ocifs_doc_load(&kind, path, NULL, &x), 0, "the stored file is whole");
	ocifs_doc_release(&x);
	free(path);
	free(thr_img->layers);
	free(thr_img);
}

static void test_processes(const char *cache)
{
	struct ocifs_image *img = mkimage();
	char cf[4200], wf[4200], sub[4200], *path;
	pid_t pid[2];
	int st, good = 1;

	snprintf(cf, sizeof(cf), "%s/builds", cache);
	snprintf(wf, sizeof(wf), "%s/waiting", cache);
	img->layers[1].digest[70] = '4';
	path = doc_path(&kind, img, cache);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct bctx b = { .wait_for_other = 1, .count_file = cf, .wait_file = wf };
			struct ocifs_doc d;
			int rc = get(&kind, img, cache, &b, &d);
			_exit(rc || d.len != strlen(PAYLOAD) || memcmp(d.data, PAYLOAD, d.len));
		}
	}
	for (int i = 0; i < 2; i++)
		good &= pid[i] > 0 && waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
			WEXITSTATUS(st) == 0;
	ok(good, "two processes: both got the document");
	is_int(file_size(cf), 1, "two processes: the document was built once");
	struct ocifs_doc x;
	is_int(ocifs_doc_load(&kind, path, NULL, &x), 0, "the stored file is whole");
	ocifs_doc_release(&x);
	snprintf(sub, sizeof(sub), "%s/docs", cache);
	is_int(count_tmp(sub), 0, "no temp file left behind");
	free(path);
	free(img->layers);
	free(img);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cache[4000], sub[4200];

	snprintf(cache, sizeof(cache), "%s/ocifs-test-doc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(cache)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	snprintf(sub, sizeof(sub), "%s/docs", cache);
	mkdir(sub, 0700);
	test_keys();
	test_cache(cache);
	test_threads(cache);
	test_processes(cache);
	tap_sh("rm -rf '%s'", cache);
	return done_testing();
}
