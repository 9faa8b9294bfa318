/* SPDX-License-Identifier: MIT */
/*
 * Lazily opened file sources (see src.h) and the fd cache they share.
 *
 * An OCI layout directory holds one file per blob, and an image may have
 * a thousand layers: one fd per blob for the life of the image runs out
 * of descriptors (ulimit -n is often 1024, sometimes 256). A lazy source
 * remembers its directory and name; its fd is opened on demand, kept
 * while it is in use (pinned: a read in progress, or a splice source
 * held by an open file), and otherwise parked in an LRU of at most `cap`
 * idle fds. When open() fails with EMFILE/ENFILE every idle fd is closed
 * and the open retried once.
 *
 * A reopened file must still be the one first opened (same device and
 * inode, same size): a blob replaced under a running mount reads as an
 * error, never as other bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "src.h"

struct lazy;

struct ocifs_fdcache {
	pthread_mutex_t mu;
	int refs;                 /* protected by mu */
	int dirfd;                /* owned */
	unsigned cap;             /* idle fds kept open at most */
	unsigned nidle;           /* protected by mu */
	struct lazy *head, *tail; /* idle LRU, most recent first; protected by mu */
};

struct lazy {
	struct ocifs_fdcache *fc;
	char *rel;                /* path relative to fc->dirfd */
	dev_t dev;                /* identity at the first open */
	ino_t ino;
	uint64_t size;
	int fd;                   /* -1 when closed; protected by fc->mu */
	unsigned pins;            /* protected by fc->mu */
	struct lazy *prev, *next; /* idle LRU links; protected by fc->mu */
};

/* Idle fds kept: an eighth of the soft limit, within [4, 256]. */
static unsigned default_cap(void)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	n /= 8;
	return n < 4 ? 4 : n > 256 ? 256 : (unsigned)n;
}

int ocifs_fdcache_new(int dirfd, unsigned cap, struct ocifs_fdcache **out)
{
	struct ocifs_fdcache *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return -ENOMEM;
	fc->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fc->dirfd < 0) {
		int rc = -errno;
		free(fc);
		return rc;
	}
	pthread_mutex_init(&fc->mu, NULL);
	fc->refs = 1;
	fc->cap = cap ? cap : default_cap();
	*out = fc;
	return 0;
}

static struct ocifs_fdcache *fdcache_ref(struct ocifs_fdcache *fc)
{
	pthread_mutex_lock(&fc->mu);
	fc->refs++;
	pthread_mutex_unlock(&fc->mu);
	return fc;
}

void ocifs_fdcache_unref(struct ocifs_fdcache *fc)
{
	int last;

	if (!fc)
		return;
	pthread_mutex_lock(&fc->mu);
	last = --fc->refs == 0;
	pthread_mutex_unlock(&fc->mu);
	if (!last)
		return;
	close(fc->dirfd);
	pthread_mutex_destroy(&fc->mu);
	free(fc);
}

/* LRU helpers; called with fc->mu held. */
static void lru_remove(struct ocifs_fdcache *fc, struct lazy *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		fc->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		fc->tail = l->prev;
	l->prev = l->next = NULL;
	fc->nidle--;
}

static void lru_push(struct ocifs_fdcache *fc, struct lazy *l)
{
	l->prev = NULL;
	l->next = fc->head;
	if (fc->head)
		fc->head->prev = l;
	else
		fc->tail = l;
	fc->head = l;
	fc->nidle++;
}

/* Close idle fds until at most keep remain. */
static void lru_trim(struct ocifs_fdcache *fc, unsigned keep)
{
	while (fc->nidle > keep) {
		struct lazy *l = fc->tail;
		lru_remove(fc, l);
		close(l->fd);
		l->fd = -1;
	}
}

/* Open l->rel, retrying once with the idle fds closed on EMFILE. With
 * fc->mu held. fd, or -errno. */
static int lazy_open(struct lazy *l)
{
	int fd = openat(l->fc->dirfd, l->rel, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && l->fc->nidle) {
		lru_trim(l->fc, 0);
		fd = openat(l->fc->dirfd, l->rel, O_RDONLY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/* Pin s's fd (opening it if needed). 0 or -errno, logged. */
static int lazy_pin(struct ocifs_src *s, int *fd, uint64_t *off)
{
	struct lazy *l = s->priv;
	struct ocifs_fdcache *fc = l->fc;
	struct stat st;
	int rc = 0;

	pthread_mutex_lock(&fc->mu);
	if (l->fd >= 0) {
		if (l->pins++ == 0)
			lru_remove(fc, l);
		goto out;
	}
	rc = lazy_open(l);
	if (rc < 0) {
		log_err("%s: cannot reopen: %s", s->name, strerror(-rc));
		goto out;
	}
	if (fstat(rc, &st) < 0 || st.st_dev != l->dev || st.st_ino != l->ino ||
	    (uint64_t)st.st_size != l->size) {
		log_err("%s: the file was replaced or changed since the image was opened", s->name);
		close(rc);
		rc = -EIO;
		goto out;
	}
	l->fd = rc;
	l->pins = 1;
	rc = 0;
out:
	if (!rc) {
		*fd = l->fd;
		*off = 0;
	}
	pthread_mutex_unlock(&fc->mu);
	return rc;
}

static void lazy_unpin(struct ocifs_src *s)
{
	struct lazy *l = s->priv;
	struct ocifs_fdcache *fc = l->fc;

	pthread_mutex_lock(&fc->mu);
	if (l->pins && --l->pins == 0 && l->fd >= 0) {
		lru_push(fc, l);
		lru_trim(fc, fc->cap);
	}
	pthread_mutex_unlock(&fc->mu);
}

static int lazy_pread(struct ocifs_src *s, void *buf, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;
	uint64_t base;
	int fd, rc;

	*got = 0;
	if (off >= s->size)
		return 0;
	if (n > s->size - off)
		n = (size_t)(s->size - off);
	rc = lazy_pin(s, &fd, &base);
	if (rc)
		return rc;
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(base + off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break; /* file shrank under us */
		done += (size_t)r;
	}
	lazy_unpin(s);
	*got = done;
	return rc;
}

static void lazy_destroy(struct ocifs_src *s)
{
	struct lazy *l = s->priv;
	struct ocifs_fdcache *fc = l->fc;

	pthread_mutex_lock(&fc->mu);
	if (l->fd >= 0) {
		if (!l->pins)
			lru_remove(fc, l);
		close(l->fd);
	}
	pthread_mutex_unlock(&fc->mu);
	ocifs_fdcache_unref(fc);
	free(l->rel);
	free(l);
}

static const struct ocifs_src_ops lazy_ops = {
	.pread = lazy_pread,
	.destroy = lazy_destroy,
	.pin = lazy_pin,
	.unpin = lazy_unpin,
};

int ocifs_src_lazy_openat(struct ocifs_fdcache *fc, const char *path, const char *name,
			  struct ocifs_src **out)
{
	struct lazy *l;
	struct stat st;
	int fd, rc;

	pthread_mutex_lock(&fc->mu);
	fd = openat(fc->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && fc->nidle) {
		lru_trim(fc, 0);
		fd = openat(fc->dirfd, path, O_RDONLY | O_CLOEXEC);
	}
	rc = fd < 0 ? -errno : 0;
	pthread_mutex_unlock(&fc->mu);
	rc = ocifs_src_check_fd(fd, rc, name ? name : path, &st);
	if (rc)
		return rc;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->rel = strdup(path))) {
		free(l);
		close(fd);
		return -ENOMEM;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->size = (uint64_t)st.st_size;
	l->fd = -1;
	rc = ocifs_src_new(&lazy_ops, l, l->size, name ? name : path, out);
	if (rc) {
		free(l->rel);
		free(l);
		close(fd);
		return rc;
	}
	l->fc = fdcache_ref(fc);
	/* Park the fd we have: the first read is likely to come soon. */
	pthread_mutex_lock(&fc->mu);
	l->fd = fd;
	lru_push(fc, l);
	lru_trim(fc, fc->cap);
	pthread_mutex_unlock(&fc->mu);
	return 0;
}
