/* SPDX-License-Identifier: MIT */
/*
 * The document loader's quick path (src/doc.h, quick + memo): a file
 * that passed its full check gets a "<file>.ok" stamp of its identity;
 * the next load of that very file, unchanged, runs only the O(1) quick
 * check and gets the memo back. Anything else -- the file rewritten in
 * place (even with its mtime put back), replaced, the stamp missing,
 * cut, a symlink, or for another file, the quick check failing -- runs
 * the full check, so a corrupt file is never trusted on a stale stamp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "doc.h"
#include "tap.h"

#define GOOD "DOC1 body of the document\n"

static int full_calls, quick_calls, quick_fails;
static uint64_t memo_out = 0x1122334455667788ull, memo_in;

/* The full check: the whole frame. */
static int full(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	full_calls++;
	return len >= 6 && !memcmp(data, "DOC1 ", 5) && ((const char *)data)[len - 1] == '\n'
		       ? 0 : -ESTALE;
}

/* The quick check: only the head (as a view's header), and the memo. */
static int quick(void *ctx, const void *data, size_t len, const void *memo, size_t memo_len)
{
	(void)ctx;
	quick_calls++;
	if (quick_fails || len < 5 || memcmp(data, "DOC1 ", 5) || memo_len != sizeof(memo_in))
		return -ESTALE;
	memcpy(&memo_in, memo, sizeof(memo_in));
	return 0;
}

static size_t memo(void *ctx, void *buf, size_t cap)
{
	(void)ctx;
	if (cap < sizeof(memo_out))
		return 0;
	memcpy(buf, &memo_out, sizeof(memo_out));
	return sizeof(memo_out);
}

static const struct ocifs_doc_kind kind = {
	.name = "quick", .schema = 1, .subdir = "docs", .ext = ".doc", .map = 1,
	.check = full, .quick = quick, .memo = memo,
};

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static char dir[] = "/tmp/ocifs-docquick.XXXXXX", path[256], okp[300];

static void put(const char *body)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(body, f) < 0 || fclose(f))
		bail("cannot write");
}

/* Load path: the rc, and which checks ran. */
static int load(int *full_ran, int *quick_ok)
{
	struct ocifs_doc d;
	int f0 = full_calls, rc = ocifs_doc_load(&kind, path, NULL, &d);

	*full_ran = full_calls > f0;
	*quick_ok = !rc && d.checked_quick;
	ocifs_doc_release(&d);
	return rc;
}

/* Load until the quick check is taken: a stamp written in the same
 * clock tick as the file's last change is not trusted (doc.c,
 * stamp_matches), so the first loads after a write may check fully and
 * stamp again. Only a stamp never trusted meets the bound (a failure). */
static int load_settled(int *full_ran, int *quick_ok)
{
	int rc = -1;

	for (int i = 0; i < 5000; i++) {
		struct timespec ts = { 0, 2000000 };
		rc = load(full_ran, quick_ok);
		if (rc || *quick_ok)
			break;
		nanosleep(&ts, NULL);
	}
	return rc;
}

/* Rewrite byte i of path in place, then put its mtime back. */
static void poke_keep_mtime(size_t i, char c)
{
	struct stat st;
	struct timespec ts[2];
	int fd = open(path, O_WRONLY);

	if (fd < 0 || fstat(fd, &st) || pwrite(fd, &c, 1, (off_t)i) != 1)
		bail("cannot poke");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	if (futimens(fd, ts) || close(fd))
		bail("cannot restore the mtime of");
}

int main(void)
{
	int fr, qk;

	if (!mkdtemp(dir))
		bail("mkdtemp");
	snprintf(path, sizeof(path), "%s/a.doc", dir);
	snprintf(okp, sizeof(okp), "%s.ok", path);

	put(GOOD);
	is_int(load(&fr, &qk), 0, "first load passes");
	ok(fr && !qk && access(okp, F_OK) == 0, "... by the full check, which leaves a stamp");

	memo_in = 0;
	is_int(load_settled(&fr, &qk), 0, "a later load passes");
	ok(!fr && qk && memo_in == memo_out, "... by the quick check alone, the memo given back");

	/* a byte the quick check does not look at, changed in place with
	 * the mtime put back: the ctime still differs */
	poke_keep_mtime(strlen(GOOD) - 1, 'X');
	is_int(load(&fr, &qk), -ESTALE, "changed in place, mtime restored: refused");
	ok(fr && !qk, "... by the full check (the stamp no longer names the file)");

	/* replaced by a good file: a new inode, checked fully, stamped anew */
	unlink(path);
	put(GOOD);
	ok(load(&fr, &qk) == 0 && fr && !qk, "replaced: the full check runs");
	ok(load_settled(&fr, &qk) == 0 && !fr && qk, "... and then the quick one");

	/* the stamp cut short, or gone: full check */
	if (truncate(okp, 10))
		bail("truncate");
	ok(load(&fr, &qk) == 0 && fr, "a cut stamp: the full check runs");
	unlink(okp);
	ok(load(&fr, &qk) == 0 && fr && access(okp, F_OK) == 0,
	   "no stamp: the full check runs and stamps again");

	/* a stamp that is a symlink to a good stamp is not read */
	char real[320];
	snprintf(real, sizeof(real), "%s/real.ok", dir);
	if (rename(okp, real) || symlink(real, okp))
		bail("symlink");
	ok(load(&fr, &qk) == 0 && fr && !qk, "a symlinked stamp is not followed");
	unlink(okp);
	ok(load(&fr, &qk) == 0 && fr, "(stamped again)");

	/* another file's stamp: copy a's stamp onto b */
	char bpath[300], bok[320], cmd[2048];
	snprintf(bpath, sizeof(bpath), "%s/b.doc", dir);
	snprintf(bok, sizeof(bok), "%s.ok", bpath);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && cp '%s' '%s'", path, bpath, okp, bok);
	if (system(cmd))
		bail("cp");
	{
		struct ocifs_doc d;
		int f0 = full_calls, rc = ocifs_doc_load(&kind, bpath, NULL, &d);
		ok(rc == 0 && full_calls > f0 && !d.checked_quick,
		   "another file's stamp is not trusted");
		ocifs_doc_release(&d);
	}

	/* the quick check failing: the full check decides (and passes) */
	quick_fails = 1;
	ok(load(&fr, &qk) == 0 && fr && !qk, "quick check fails: the full check decides");
	quick_fails = 0;

	/* a kind without quick: the full check every time, no stamp */
	{
		struct ocifs_doc_kind plain = kind;
		struct ocifs_doc d;
		char cpath[300], cok[320];
		plain.quick = NULL;
		snprintf(cpath, sizeof(cpath), "%s/c.doc", dir);
		snprintf(cok, sizeof(cok), "%s.ok", cpath);
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, cpath);
		if (system(cmd))
			bail("cp");
		int f0 = full_calls;
		ok(ocifs_doc_load(&plain, cpath, NULL, &d) == 0 && full_calls == f0 + 1 &&
		   access(cok, F_OK) != 0, "a kind without quick: full check, no stamp");
		ocifs_doc_release(&d);
		ok(ocifs_doc_load(&plain, cpath, NULL, &d) == 0 && full_calls == f0 + 2,
		   "... every time");
		ocifs_doc_release(&d);
	}

	/* unchanged still: the quick path again */
	ok(load_settled(&fr, &qk) == 0 && !fr && qk, "unchanged: quick again");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cannot remove %s", dir);
	return done_testing();
}
