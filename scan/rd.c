/* SPDX-License-Identifier: MIT */
/* Readers for scan/: exact reads, and readers over fds and memory; the
 * analyzers' one way to record an error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rd.h"

int ocifs_rd_upto(const struct ocifs_rd *rd, void *buf, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;

	while (done < n) {
		size_t g = 0;
		int rc = rd->read_at(rd->ctx, (char *)buf + done, n - done, off + done, &g);
		if (rc)
			return rc;
		if (!g)
			break;
		done += g;
	}
	*got = done;
	return 0;
}

int ocifs_rd_full(const struct ocifs_rd *rd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	int rc = ocifs_rd_upto(rd, buf, n, off, &got);

	return rc ? rc : got < n ? -EIO : 0;
}

int ocifs_rd_fd_read(void *ctx, void *buf, size_t n, uint64_t off, size_t *got)
{
	int fd = *(const int *)ctx;
	ssize_t r;

	do
		r = pread(fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	*got = (size_t)r;
	return 0;
}

int ocifs_rd_mem_read(void *ctx, void *buf, size_t n, uint64_t off, size_t *got)
{
	const struct ocifs_rd_mem *m = ctx;

	*got = 0;
	if (off >= m->len)
		return 0;
	if (n > m->len - off)
		n = (size_t)(m->len - off);
	memcpy(buf, m->p + off, n);
	*got = n;
	return 0;
}

int ocifs_scan_verror(char **slot, int replace, size_t cap, const char *fmt, va_list ap)
{
	char *msg;

	if (*slot && !replace)
		return 0;
	if (!(msg = malloc(cap)))
		return -ENOMEM;
	vsnprintf(msg, cap, fmt, ap);
	free(*slot);
	*slot = strdup(msg);
	free(msg);
	return *slot ? 0 : -ENOMEM;
}
