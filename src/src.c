/* SPDX-License-Identifier: MIT */
/*
 * Byte sources: whole files, windows of another source, and the generic
 * constructor other modules use for their own kinds (zio.c's decompressed
 * views). Reads on file-backed sources are plain pread()s.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "src.h"

struct range_priv {
	struct ocifs_src *base;
	uint64_t off;
};

static int file_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;

	*got = 0;
	if (off >= s->size)
		return 0;
	if (n > s->size - off)
		n = (size_t)(s->size - off);
	while (done < n) {
		ssize_t r = pread(s->fd, (char *)buf + done, n - done, (off_t)(s->fd_off + off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break; /* file shrank under us */
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

static void file_destroy(struct ocifs_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
}

static const struct ocifs_src_ops file_ops = {
	.pread = file_pread,
	.destroy = file_destroy,
};

int ocifs_src_new(const struct ocifs_src_ops *ops, void *priv, uint64_t size,
		  const char *name, struct ocifs_src **out)
{
	struct ocifs_src *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->name = strdup(name ? name : "?");
	if (!s->name) {
		free(s);
		return -ENOMEM;
	}
	s->ops = ops;
	s->priv = priv;
	s->size = size;
	s->refs = 1;
	s->fd = -1;
	*out = s;
	return 0;
}

int ocifs_src_check_fd(int fd, int err, const char *name, struct stat *st)
{
	if (fd < 0) {
		log_err("%s: %s", name, strerror(-err));
		return err;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		log_err("%s: not a regular file", name);
		close(fd);
		return -EINVAL;
	}
	return 0;
}

int ocifs_src_file_openat(int dirfd, const char *path, const char *name,
			  struct ocifs_src **out)
{
	struct stat st;
	int fd, rc;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	rc = ocifs_src_check_fd(fd, fd < 0 ? -errno : 0, name ? name : path, &st);
	if (rc)
		return rc;
	rc = ocifs_src_new(&file_ops, NULL, (uint64_t)st.st_size, name ? name : path, out);
	if (rc) {
		close(fd);
		return rc;
	}
	(*out)->fd = fd;
	(*out)->fd_off = 0;
	return 0;
}

int ocifs_src_file_open(const char *path, struct ocifs_src **out)
{
	return ocifs_src_file_openat(AT_FDCWD, path, path, out);
}

static int range_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	struct range_priv *r = s->priv;

	*got = 0;
	if (off >= s->size)
		return 0;
	if (n > s->size - off)
		n = (size_t)(s->size - off);
	return ocifs_src_pread(r->base, buf, n, r->off + off, got);
}

static void range_destroy(struct ocifs_src *s)
{
	struct range_priv *r = s->priv;

	ocifs_src_unref(r->base);
	free(r);
}

static int range_pin(struct ocifs_src *s, int *fd, uint64_t *off)
{
	struct range_priv *r = s->priv;
	int rc = ocifs_src_pin_fd(r->base, fd, off);

	if (!rc)
		*off += r->off;
	return rc;
}

static void range_unpin(struct ocifs_src *s)
{
	struct range_priv *r = s->priv;

	ocifs_src_unpin_fd(r->base);
}

static const struct ocifs_src_ops range_ops = {
	.pread = range_pread,
	.destroy = range_destroy,
	.pin = range_pin,
	.unpin = range_unpin,
};

int ocifs_src_range_new(struct ocifs_src *base, uint64_t off, uint64_t len,
			struct ocifs_src **out)
{
	struct range_priv *r;
	char name[512];
	int rc;

	if (base->size != UINT64_MAX && (off > base->size || len > base->size - off)) {
		log_err("%s: range %llu+%llu lies past its end (%llu bytes)", base->name,
			(unsigned long long)off, (unsigned long long)len,
			(unsigned long long)base->size);
		return -EIO;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s@%llu", base->name, (unsigned long long)off);
	rc = ocifs_src_new(&range_ops, r, len, name, out);
	if (rc) {
		free(r);
		return rc;
	}
	r->base = ocifs_src_ref(base);
	r->off = off;
	if (base->fd >= 0) { /* still one fd (borrowed): splice stays direct */
		(*out)->fd = base->fd;
		(*out)->fd_off = base->fd_off + off;
	}
	return 0;
}

void ocifs_src_advise_whole(struct ocifs_src *s, int whole)
{
	if (s->ops->advise_whole)
		s->ops->advise_whole(s, whole);
}

int ocifs_src_pin_fd(struct ocifs_src *s, int *fd, uint64_t *off)
{
	if (s->fd >= 0) { /* a file held open for the source's life */
		*fd = s->fd;
		*off = s->fd_off;
		return 0;
	}
	return s->ops->pin ? s->ops->pin(s, fd, off) : -EOPNOTSUPP;
}

void ocifs_src_unpin_fd(struct ocifs_src *s)
{
	if (s->fd < 0 && s->ops->unpin)
		s->ops->unpin(s);
}

int ocifs_src_fstat(struct ocifs_src *s, struct stat *st)
{
	uint64_t off;
	int fd, rc = ocifs_src_pin_fd(s, &fd, &off);

	if (rc)
		return rc;
	rc = fstat(fd, st) < 0 ? -errno : 0;
	ocifs_src_unpin_fd(s);
	return rc;
}

int ocifs_src_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	return s->ops->pread(s, buf, n, off, got);
}

int ocifs_src_pread_full(struct ocifs_src *s, void *buf, size_t n, uint64_t off)
{
	size_t got;
	int rc = ocifs_src_pread(s, buf, n, off, &got);

	if (rc) {
		log_err("%s: read at %llu: %s", s->name, (unsigned long long)off, strerror(-rc));
		return rc;
	}
	if (got != n) {
		log_err("%s: truncated: wanted %zu bytes at %llu, got %zu", s->name, n,
			(unsigned long long)off, got);
		return -EIO;
	}
	return 0;
}

int ocifs_src_slurp(struct ocifs_src *s, size_t max, char **buf, size_t *len)
{
	char *b;
	int rc;

	if (s->size > max) {
		log_err("%s: %llu bytes is too large (limit %zu)", s->name,
			(unsigned long long)s->size, max);
		return -EFBIG;
	}
	b = malloc((size_t)s->size + 1);
	if (!b)
		return -ENOMEM;
	rc = ocifs_src_pread_full(s, b, (size_t)s->size, 0);
	if (rc) {
		free(b);
		return rc;
	}
	b[s->size] = '\0';
	*buf = b;
	if (len)
		*len = (size_t)s->size;
	return 0;
}

struct ocifs_src *ocifs_src_ref(struct ocifs_src *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void ocifs_src_unref(struct ocifs_src *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (s->ops->destroy)
		s->ops->destroy(s);
	free(s->name);
	free(s);
}
