/* SPDX-License-Identifier: MIT */
/* struct ocifs_tree over a host directory, for tests (see tree.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree.h"

static int host_read_file(void *ctx, const char *path, size_t max, char **buf, size_t *len)
{
	char *full = NULL, *b;
	struct stat st;
	int fd, rc = 0;

	if (asprintf(&full, "%s/%s", (const char *)ctx, path) < 0)
		return -ENOMEM;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	free(full);
	if (fd < 0)
		return -errno;
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
	char *full = NULL;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (asprintf(&full, "%s/%s", (const char *)ctx, path) < 0)
		return -ENOMEM;
	d = opendir(full);
	free(full);
	if (!d)
		return -errno;
	while (!rc && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = cb(cbctx, de->d_name);
	closedir(d);
	return rc;
}

const struct ocifs_tree ocifs_tree_hostdir_ops = {
	.read_file = host_read_file,
	.list_dir = host_list_dir,
	.ctx = NULL,
};
