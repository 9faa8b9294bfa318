/* SPDX-License-Identifier: MIT */
/*
 * A scan/ document through the document cache within a deadline
 * (doc_build.h).
 */
#include <errno.h>
#include <string.h>

#include "clock.h"
#include "doc_build.h"

struct job_run {
	const struct ocifs_doc_job *j;
	double deadline;        /* 0: none */
};

/* Waiting for another builder ends as a build would: on cancel, or at
 * the deadline. */
static int job_give_up(void *ctx)
{
	const struct job_run *r = ctx;

	return (r->j->cancelled && r->j->cancelled(r->j->cancel_ctx)) ||
	       (r->deadline && ocifs_now() >= r->deadline);
}

static int job_make(void *ctx, void **data, size_t *len)
{
	const struct job_run *r = ctx;
	unsigned ms = 0;
	char *buf = NULL;
	int rc;

	if (r->deadline) { /* what is left of it after waiting for the lock */
		double left = r->deadline - ocifs_now();
		if (left <= 0)
			return -ETIMEDOUT;
		ms = left * 1e3 < 1 ? 1 : (unsigned)(left * 1e3);
	}
	rc = r->j->build(r->j->ctx, ms, &buf, len);
	*data = buf;
	return rc;
}

int ocifs_doc_job_run(const struct ocifs_doc_job *j, char **buf, size_t *len, int *from_cache)
{
	struct job_run jr = { .j = j };
	struct ocifs_doc_req r = {
		.kind = j->kind, .img = j->img, .cache_dir = j->cache_dir,
		.extra = j->extra, .extra_len = j->extra_len, .ctx = &jr, .build = job_make,
	};
	struct ocifs_doc d;
	int rc;

	if (from_cache)
		*from_cache = 0;
	if (!j->cache_dir)
		return j->build(j->ctx, j->timeout_ms, buf, len);
	if (j->timeout_ms)
		jr.deadline = ocifs_now() + j->timeout_ms / 1e3;
	if (j->cancelled || j->timeout_ms) {
		r.cancelled = job_give_up;
		r.cancel_ctx = &jr;
	}
	rc = ocifs_doc_get(&r, &d);
	if (rc == -EINTR && jr.deadline && !(j->cancelled && j->cancelled(j->cancel_ctx)))
		rc = -ETIMEDOUT; /* gave up waiting at the deadline */
	if (rc)
		return rc;
	*buf = d.data;
	*len = d.len;
	if (from_cache)
		*from_cache = d.from_cache;
	return 0;
}
