/* SPDX-License-Identifier: MIT */
/*
 * struct ocifs_tree over a host directory, for tests (see tree.h). Every
 * path is opened with openat2(RESOLVE_IN_ROOT) below the root, so
 * symlinks resolve as they would inside a chroot there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tree.h"

/* Open path (absolute in the tree) with flags: fd or -errno. */
static int host_open(const char *root, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int rfd, fd;

	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	while (*path == '/')
		path++;
	fd = (int)syscall(SYS_openat2, rfd, *path ? path : ".", &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(rfd);
	return fd;
}

static int host_read_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	struct stat st;
	char *b;
	int fd, rc = 0;

	fd = host_open(ctx, path, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode) || (size_t)st.st_size > max) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EFBIG;
		close(fd);
		return rc;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t n = pread(fd, b, (size_t)st.st_size, 0);
	close(fd);
	if (n != st.st_size) {
		free(b);
		return -EIO;
	}
	b[n] = '\0';
	*buf = b;
	*len = (size_t)n;
	return 0;
}

static int host_list_dir(void *ctx, const char *path, int (*cb)(void *cbctx, const char *name),
			 void *cbctx)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = host_open(ctx, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (!rc && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = cb(cbctx, de->d_name);
	closedir(d);
	return rc;
}

static int host_open_file(void *ctx, const char *path, struct ocifs_tree_file *f)
{
	struct stat st;
	int *pfd;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = host_open(ctx, path, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return rc;
	}
	pfd = malloc(sizeof(*pfd));
	if (!pfd) {
		close(fd);
		return -ENOMEM;
	}
	*pfd = fd;
	f->rd.read_at = ocifs_rd_fd_read;
	f->rd.ctx = pfd;
	f->rd.size = (uint64_t)st.st_size;
	f->rd.name = path;
	f->id = ((uint64_t)st.st_dev << 40) ^ (uint64_t)st.st_ino;
	f->priv_ = pfd;
	return 0;
}

static void host_close_file(void *ctx, struct ocifs_tree_file *f)
{
	(void)ctx;
	if (f->priv_) {
		close(*(int *)f->priv_);
		free(f->priv_);
	}
	memset(f, 0, sizeof(*f));
}

static int host_realpath(void *ctx, const char *path, char **out)
{
	char proc[64], got[PATH_MAX], *root;
	ssize_t n;
	size_t rl;
	int fd;

	root = realpath(ctx, NULL);
	if (!root)
		return -errno;
	fd = host_open(root, path, O_PATH);
	if (fd < 0) {
		free(root);
		return fd;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, got, sizeof(got) - 1);
	close(fd);
	if (n < 0) {
		free(root);
		return -errno;
	}
	got[n] = '\0';
	rl = strlen(root);
	if (strcmp(root, "/") == 0)
		rl = 0;
	else if (strncmp(got, root, rl) != 0 || (got[rl] != '/' && got[rl] != '\0')) {
		free(root);
		return -ELOOP; /* cannot happen under RESOLVE_IN_ROOT */
	}
	free(root);
	*out = strdup(got[rl] ? got + rl : "/");
	return *out ? 0 : -ENOMEM;
}

const struct ocifs_tree ocifs_tree_hostdir_ops = {
	.read_file = host_read_file,
	.list_dir = host_list_dir,
	.open_file = host_open_file,
	.close_file = host_close_file,
	.realpath = host_realpath,
	.ctx = NULL,
};
