/* SPDX-License-Identifier: MIT */
/*
 * Spooling a stream into the cache directory (spool.h): one sequential
 * copy into a private temp file, unlinked (or kept) once the image is
 * open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#define SPOOL_CHUNK (1u << 20)

int ocifs_spool_stream(const char *cache_dir, int fd, const char *name, struct ocifs_spool *sp)
{
	char *final = NULL, *buf = NULL, stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	memset(sp, 0, sizeof(*sp));
	sp->tmp.dfd = sp->tmp.fd = -1;
	if (isatty(fd)) {
		log_err("%s is a terminal: pipe an image into it (docker save IMAGE | ocifs CMD -)",
			name);
		return -EINVAL;
	}
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", gmtime_r(&now, &tm));
	if (asprintf(&final, "%s/spool/stdin-%s-%ld.tar", cache_dir, stamp, (long)getpid()) < 0)
		return -ENOMEM;
	rc = ocifs_cache_tmp_open(final, &sp->tmp);
	free(final);
	if (rc)
		return rc;
	if (!(buf = malloc(SPOOL_CHUNK))) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, SPOOL_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			log_err("%s: read error after %llu bytes: %s", name,
				(unsigned long long)sp->bytes, strerror(-rc));
			goto out;
		}
		if (r == 0)
			break;
		if ((rc = ocifs_cache_write_fd(sp->tmp.fd, buf, (size_t)r))) {
			log_err("%s: cannot spool it to %s: %s", name, sp->tmp.path, strerror(-rc));
			goto out;
		}
		sp->bytes += (uint64_t)r;
	}
	if (!sp->bytes) {
		log_err("%s: empty: no image was piped in", name);
		rc = -EBADMSG;
	}
out:
	free(buf);
	if (rc)
		ocifs_cache_tmp_abort(&sp->tmp);
	else
		log_dbg("%s: spooled %llu bytes to %s", name, (unsigned long long)sp->bytes,
			sp->tmp.path);
	return rc;
}

const char *ocifs_spool_path(const struct ocifs_spool *sp)
{
	return sp->kept ? sp->kept : sp->tmp.path;
}

int ocifs_spool_release(struct ocifs_spool *sp, int keep)
{
	char *kept = NULL;
	int rc;

	if (sp->tmp.fd < 0)
		return 0;
	if (!keep) {
		ocifs_cache_tmp_abort(&sp->tmp);
		return 0;
	}
	/* final's directory is the tmp path's */
	const char *slash = strrchr(sp->tmp.path, '/');
	if (asprintf(&kept, "%.*s/%s", (int)(slash - sp->tmp.path), sp->tmp.path,
		     sp->tmp.final) < 0)
		return -ENOMEM;
	rc = ocifs_cache_tmp_commit(&sp->tmp);
	if (rc) {
		free(kept);
		return rc;
	}
	sp->kept = kept;
	return 0;
}

void ocifs_spool_fini(struct ocifs_spool *sp)
{
	if (sp->tmp.fd >= 0 || sp->tmp.dfd >= 0)
		ocifs_cache_tmp_abort(&sp->tmp);
	free(sp->kept);
	sp->kept = NULL;
}
