/* SPDX-License-Identifier: MIT */
/*
 * ocifs_view_willneed (view.c): after the kernel dropped the pages of a
 * mapped view file, one call brings all of them back (a read-ahead of
 * the whole file, asked a window at a time), so that a walk finds them
 * instead of faulting them in one window per synchronous read. An image
 * of 3 000 files makes a view of several hundred KiB (more than one
 * 128 KiB window); the cache is a directory of the build tree, on a
 * disk (POSIX_FADV_DONTNEED drops nothing of a tmpfs file). The mount
 * calls it on the first request after a pause (fs/ops.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz/fuzz_oci.h"
#include "session.h"
#include "tap.h"
#include "view.h"

#define NFILES 3000

/* Pages of the file at fd resident in the page cache (mincore of a
 * mapping of our own), of *total; -1 on error. */
static long resident(int fd, long *total)
{
	struct stat st;
	long page = sysconf(_SC_PAGESIZE), n, in = 0;
	unsigned char *vec;
	void *m;

	if (fstat(fd, &st) || st.st_size == 0)
		return -1;
	n = (long)((st.st_size + page - 1) / page);
	*total = n;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	vec = calloc((size_t)n, 1);
	if (vec && mincore(m, (size_t)st.st_size, vec) == 0)
		for (long i = 0; i < n; i++)
			in += vec[i] & 1;
	else
		in = -1;
	free(vec);
	munmap(m, (size_t)st.st_size);
	return in;
}

/* As reclaim or drop_caches would: the view's pages out of this
 * process's mapping of path (found in /proc/self/maps), then out of the
 * page cache (written back first: dirty pages stay). 0 or -1. */
static int evict(const char *path, int fd)
{
	char line[1400];
	int found = -1;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char *p = strchr(line, '/');
		size_t l = p ? strlen(p) : 0;

		if (l && p[l - 1] == '\n')
			p[--l] = 0;
		if (p && !strcmp(p, path) && sscanf(line, "%lx-%lx", &a, &b) == 2 &&
		    madvise((void *)a, b - a, MADV_DONTNEED) == 0)
			found = 0;
	}
	fclose(f);
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return found;
}

/* The one *.view file under cache/views, into path. */
static int view_file(const char *cache, char *path, size_t cap)
{
	char dir[600];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "%s/views", cache);
	if (!(d = opendir(dir)))
		return -errno;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".view") &&
		    (size_t)snprintf(path, cap, "%s/%s", dir, e->d_name) < cap)
			found++;
	}
	closedir(d);
	return found == 1 ? 0 : -ENOENT;
}

int main(void)
{
	struct ocifs_session_opts so = { .img = { .platform = "linux/amd64" } };
	struct ocifs_session *s = NULL;
	char dir[256], cache[512], view[1200], name[64], cmd[600];
	struct fz_tar t;
	struct fz_part part;
	long total = 0, in;
	int rc, fd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/img", fz_tmp()) >= sizeof(dir))
		abort();
	if (!getcwd(cache, sizeof(cache) - 40))
		abort();
	strcat(cache, "/test_view_willneed.cache");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	if (system(cmd) != 0 || mkdir(cache, 0700))
		abort();
	so.cache_dir = cache;
	if (fz_tar_begin(&t))
		abort();
	fz_tar_add(&t, "d/", '5', NULL, NULL, 0);
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "d/file-with-a-longish-name-%05d", i);
		fz_tar_add(&t, name, '0', NULL, "x", 1);
	}
	fz_tar_end(&t);
	part.p = (const uint8_t *)t.buf;
	part.n = t.len;
	rc = fz_layout_of_layers(dir, &part, 1);
	/* Built and stored by the first open; the second maps the file. */
	if (!rc)
		rc = ocifs_session_open(dir, &so, &s);
	ocifs_session_close(s);
	s = NULL;
	if (!rc)
		rc = view_file(cache, view, sizeof(view));
	if (!ok(!rc, "the image of %d files opens, its view is in the cache (%s)", NFILES,
		strerror(-rc)))
		goto out;
	fd = open(view, O_RDONLY | O_CLOEXEC);
	if (!ok(fd >= 0, "open %s", view))
		goto out;
	rc = ocifs_session_open(dir, &so, &s);
	if (!ok(!rc && s->view && ocifs_view_checked_quick(s->view),
		"opened again, the view from the cache by its quick check (%s)", strerror(-rc))) {
		close(fd);
		goto out;
	}
	rc = evict(view, fd);
	in = resident(fd, &total);
	if (!ok(!rc && in >= 0 && total > 32 && in < total / 2,
		"dropped: %ld of the view's %ld pages left in memory", in, total))
		diag("the view must span more than one 128 KiB window, on a file system"
		     " whose pages can be dropped (the build tree's, not a tmpfs)");
	ocifs_view_willneed(s->view);
	/* The read-ahead completes in the background: wait for it (60 s
	 * only to catch a hang: nothing reads the file otherwise). */
	for (int i = 0; i < 600 && (in = resident(fd, &total)) != total; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	ok(in == total, "after ocifs_view_willneed all %ld pages are back (%ld)", total, in);
	close(fd);
out:
	ocifs_session_close(s);
	free(t.buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	if (system(cmd) != 0)
		diag("could not remove %s", cache);
	return done_testing();
}
