/* SPDX-License-Identifier: MIT */
/*
 * Cache directory layout, the per-layer indexing lock, and the identity
 * records that let a warm open trust a verified blob (DESIGN §3-§4).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"

#define CACHE_LOCK_POLL_NS (10 * 1000000) /* lock polling with a cancel hook */

/* A failure: logged, or (why not NULL) said in why for the caller. */
static void fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *why, size_t cap, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why ? why : line, why ? cap : sizeof(line), fmt, ap);
	va_end(ap);
	if (!why)
		log_err("cache: %s", line);
}

static int mkdir_p(const char *path, char *why, size_t cap)
{
	char *p = strdup(path);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			rc = -errno;
			fail(why, cap, "cannot create %s: %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* Open `name` (relative to `at`) as a cache directory: a real directory,
 * not a symlink, owned by us; group/other access is taken away. fd or
 * -errno, said (fail()) naming `shown`. */
static int cache_dir_check(int at, const char *name, const char *shown, char *why, size_t cap)
{
	struct stat st;
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), e;

	if (fd < 0) {
		e = errno;
		if ((e == ELOOP || e == ENOTDIR) && fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			fail(why, cap, "%s is a symlink; refusing to use it", shown);
			return -ELOOP;
		}
		fail(why, cap, "%s: %s", shown, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		fail(why, cap, "%s is owned by uid %u, not by you (uid %u); refusing to use it",
		     shown, (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	/* On a read-only file system the write probe that follows says so
	 * (and falls back) in one line: no second warning about the mode. */
	if ((st.st_mode & 077) && fchmod(fd, 0700) < 0 && errno != EROFS)
		log_warn("cache: %s: chmod 0700: %s", shown, strerror(errno));
	return fd;
}

/* The writer's pid in a temp name "<final>.tmp.<pid>[.<random>]", or 0. */
static long tmp_pid(const char *name)
{
	const char *t = NULL, *s = name;
	char *end;
	long pid;

	while ((s = strstr(s, ".tmp."))) {
		t = s;
		s += 5;
	}
	if (!t || t[5] < '1' || t[5] > '9')
		return 0;
	errno = 0;
	pid = strtol(t + 5, &end, 10);
	if (errno || (*end && *end != '.'))
		return 0;
	return pid;
}

/* Remove the temp files of writers that no longer exist (killed mid-
 * write). A live writer's files are kept: it will rename or remove them. */
static void cache_sweep_dead(int dfd, const char *shown)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		long pid = tmp_pid(de->d_name);
		if (pid <= 0 || pid > INT_MAX || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			log_dbg("cache: removed %s/%s (its writer, pid %ld, is gone)", shown,
				de->d_name, pid);
	}
	closedir(d);
}

/* Create (0700) and check subdirectory name of the cache root at fd
 * root: its fd, or -errno (said, naming shown). */
static int cache_subdir_open(int root, const char *name, const char *shown, char *why, size_t cap)
{
	if (mkdirat(root, name, 0700) < 0 && errno != EEXIST) {
		int rc = -errno;
		fail(why, cap, "cannot create %s: %s", shown, strerror(-rc));
		return rc;
	}
	return cache_dir_check(root, name, shown, why, cap);
}

int ocifs_cache_subdir(const char *dir, const char *name)
{
	char *sub = NULL;
	int root, fd;

	if (asprintf(&sub, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	root = cache_dir_check(AT_FDCWD, dir, dir, NULL, 0);
	fd = root < 0 ? root : cache_subdir_open(root, name, sub, NULL, 0);
	if (root >= 0)
		close(root);
	free(sub);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Can files be created in the directory at fd? (A read-only mount stops
 * even root, whom permissions do not.) 0 or -errno, said naming shown. */
static int cache_probe_write(int fd, const char *shown, char *why, size_t cap)
{
	char name[64];
	unsigned r = 0;
	int pfd;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) < 0)
		r = (unsigned)time(NULL);
	snprintf(name, sizeof(name), "probe.tmp.%ld.%08x", (long)getpid(), r);
	pfd = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (pfd < 0) {
		int rc = -errno;
		fail(why, cap, "%s: cannot write: %s", shown, strerror(-rc));
		return rc;
	}
	close(pfd);
	unlinkat(fd, name, 0);
	return 0;
}

/* The cache root asked for: want, $OCIFS_CACHE_DIR, the XDG default. */
static int cache_root_name(const char *want, char **dir)
{
	const char *env = getenv("OCIFS_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
		   *home = getenv("HOME");
	int rc;

	if (want && *want)
		rc = asprintf(dir, "%s", want);
	else if (env && *env)
		rc = asprintf(dir, "%s", env);
	else if (xdg && *xdg == '/')
		rc = asprintf(dir, "%s/ocifs", xdg);
	else if (home && *home)
		rc = asprintf(dir, "%s/.cache/ocifs", home);
	else
		rc = asprintf(dir, "/var/cache/ocifs");
	return rc < 0 ? -ENOMEM : 0;
}

int ocifs_cache_open_dir(char **out)
{
	return ocifs_cache_open(NULL, out, NULL, 0);
}

static const char *const cache_subs[] = { "layers", "ids", "views", "deps", "spool", "outer" };

void ocifs_cache_sweep(const char *dir)
{
	char why[256];
	int root = cache_dir_check(AT_FDCWD, dir, dir, why, sizeof(why)), fd;

	if (root < 0)
		return;
	for (size_t i = 0; i < sizeof(cache_subs) / sizeof(cache_subs[0]); i++) {
		char *sub = NULL;
		if (asprintf(&sub, "%s/%s", dir, cache_subs[i]) < 0)
			break;
		fd = cache_dir_check(root, cache_subs[i], sub, why, sizeof(why));
		if (fd >= 0) {
			cache_sweep_dead(fd, sub);
			close(fd);
		}
		free(sub);
	}
	close(root);
}

int ocifs_cache_open(const char *want, char **out, char *why, size_t cap)
{
	return ocifs_cache_open_flags(want, 0, out, why, cap);
}

int ocifs_cache_open_flags(const char *want, unsigned flags, char **out, char *why, size_t cap)
{
	const char *const *subs = cache_subs;
	char *dir = NULL, *sub = NULL, *abs;
	int rc, root, fd;

	*out = NULL;
	if ((rc = cache_root_name(want, &dir)))
		return rc;
	rc = mkdir_p(dir, why, cap);
	root = rc ? rc : cache_dir_check(AT_FDCWD, dir, dir, why, cap);
	if (root < 0) {
		free(dir);
		return root;
	}
	for (size_t i = 0; i < sizeof(cache_subs) / sizeof(cache_subs[0]) && !rc; i++) {
		if (asprintf(&sub, "%s/%s", dir, subs[i]) < 0) {
			rc = -ENOMEM;
			break;
		}
		if ((fd = cache_subdir_open(root, subs[i], sub, why, cap)) < 0) {
			rc = fd;
		} else {
			if (!(flags & OCIFS_CACHE_NO_SWEEP))
				cache_sweep_dead(fd, sub);
			close(fd);
		}
		free(sub);
	}
	if (!rc)
		rc = cache_probe_write(root, dir, why, cap);
	close(root);
	/* Absolute: the mount daemon works from "/". */
	if (!rc && !(abs = realpath(dir, NULL))) {
		rc = -errno;
		fail(why, cap, "%s: %s", dir, strerror(-rc));
	}
	free(dir);
	if (rc)
		return rc;
	*out = abs;
	return 0;
}

int ocifs_cache_open_temp(char **out)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL, why[512];
	struct stat st;
	int rc;

	*out = NULL;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		rc = asprintf(&dir, "/dev/shm/ocifs-cache.XXXXXX");
	else
		rc = asprintf(&dir, "%s/ocifs-cache.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (rc < 0)
		return -ENOMEM;
	if (!mkdtemp(dir)) {
		rc = -errno;
		log_err("cache: cannot create a temporary cache %s: %s", dir, strerror(-rc));
		free(dir);
		return rc;
	}
	rc = ocifs_cache_open(dir, out, why, sizeof(why));
	if (rc) {
		log_err("cache: %s", why);
		ocifs_cache_remove_tree(dir);
	}
	free(dir);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		log_dbg("cache: cannot remove %s: %s", path, strerror(errno));
	return 0;
}

void ocifs_cache_remove_tree(const char *dir)
{
	if (dir && nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		log_dbg("cache: cannot remove %s: %s", dir, strerror(errno));
}

int ocifs_cache_layer_path(const char *dir, const char *digest, const char *suffix,
			   char **out)
{
	if (!ocifs_digest_valid(digest)) /* the hex becomes a file name */
		return -EINVAL;
	return asprintf(out, "%s/layers/%s%s", dir, digest + 7, suffix) < 0 ? -ENOMEM : 0;
}

/* Remove "<hex>.*.tmp.*" files: only the lock holder may do this. */
static void cache_sweep_temps(const char *dir, const char *hex)
{
	char *ldir = NULL;
	DIR *d;
	struct dirent *de;

	if (asprintf(&ldir, "%s/layers", dir) < 0)
		return;
	d = opendir(ldir);
	if (d) {
		size_t hl = strlen(hex);
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, hex, hl) == 0 && strstr(de->d_name, ".tmp.")) {
				log_dbg("cache: removing stale %s", de->d_name);
				unlinkat(dirfd(d), de->d_name, 0);
			}
		}
		closedir(d);
	}
	free(ldir);
}

int ocifs_cache_lock_file(const char *path, int (*cancelled)(void *ctx), void *ctx)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600), rc;

	if (fd < 0 && errno == ELOOP && unlink(path) == 0) /* a planted symlink */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (flock(fd, cancelled ? LOCK_EX | LOCK_NB : LOCK_EX) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = -errno;
			close(fd);
			return rc;
		}
		if (cancelled(ctx)) {
			close(fd);
			return -EINTR;
		}
		struct timespec ts = { 0, CACHE_LOCK_POLL_NS };
		nanosleep(&ts, NULL);
	}
}

int ocifs_cache_lock(const char *dir, const char *digest)
{
	char *path;
	int fd, rc = ocifs_cache_layer_path(dir, digest, ".lock", &path);

	if (rc)
		return rc;
	fd = ocifs_cache_lock_file(path, NULL, NULL);
	if (fd < 0)
		log_err("cache: %s: %s", path, strerror(-fd));
	free(path);
	if (fd >= 0)
		cache_sweep_temps(dir, digest + 7);
	return fd;
}

void ocifs_cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

static int id_path(const char *dir, const struct ocifs_fileid *id, uint64_t size, char **out)
{
	unsigned char h[OCIFS_SHA256_LEN];
	char key[160], hex[OCIFS_DIGEST_STRLEN + 1];
	int n = snprintf(key, sizeof(key), "%llu:%llu:%llu:%lld:%llu:%llu",
			 (unsigned long long)id->dev, (unsigned long long)id->ino,
			 (unsigned long long)id->size, (long long)id->mtime_ns,
			 (unsigned long long)id->off, (unsigned long long)size);

	if (n < 0 || ocifs_sha256(key, (size_t)n, h))
		return -ENOMEM;
	ocifs_digest_format(h, hex);
	return asprintf(out, "%s/ids/%s", dir, hex + 7) < 0 ? -ENOMEM : 0;
}

int ocifs_cache_id_get(const char *dir, const struct ocifs_fileid *id, uint64_t size,
		       char digest[OCIFS_DIGEST_STRLEN + 1], int64_t *stamp_ns)
{
	struct stat st;
	char *path, buf[OCIFS_DIGEST_STRLEN + 2];
	int fd, rc = id_path(dir, id, size, &path);
	ssize_t n;

	if (!id->ino)
		return -ENOENT; /* no identity: always verify */
	if (rc)
		return rc;
	fd = ocifs_cache_open_read(path);
	free(path);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	if (stamp_ns)
		*stamp_ns = fstat(fd, &st) == 0
				    ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
	close(fd);
	if (n != OCIFS_DIGEST_STRLEN)
		return -ENOENT;
	buf[n] = '\0';
	if (!ocifs_digest_valid(buf))
		return -ENOENT;
	memcpy(digest, buf, OCIFS_DIGEST_STRLEN + 1);
	return 0;
}

int ocifs_cache_id_put(const char *dir, const struct ocifs_fileid *id, uint64_t size,
		       const char *digest)
{
	char *path;
	int rc;

	if (!id->ino)
		return 0;
	rc = id_path(dir, id, size, &path);
	if (rc)
		return rc;
	rc = ocifs_cache_write_atomic(path, digest, strlen(digest));
	free(path);
	return rc;
}

static void tmp_release(struct ocifs_cache_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->dfd >= 0)
		close(t->dfd);
	free(t->path);
	free(t->final);
	memset(t, 0, sizeof(*t));
	t->dfd = t->fd = -1;
}

int ocifs_cache_tmp_open(const char *final, struct ocifs_cache_tmp *t)
{
	const char *slash = strrchr(final, '/');
	struct stat st;
	char *dir = NULL;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->dfd = t->fd = -1;
	if (!slash || !slash[1])
		return -EINVAL;
	dir = slash == final ? strdup("/") : strndup(final, (size_t)(slash - final));
	t->final = strdup(slash + 1);
	if (!dir || !t->final) {
		rc = -ENOMEM;
		goto out;
	}
	t->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->dfd < 0 || fstat(t->dfd, &st) < 0) {
		rc = -errno;
		log_err("cache: %s: %s", dir, strerror(-rc));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		rc = -EPERM;
		log_err("cache: %s is owned by uid %u, not by you; refusing to write in it", dir,
			(unsigned)st.st_uid);
		goto out;
	}
	/* Unguessable and exclusive: nothing planted in advance can be at
	 * this name, and O_EXCL never follows a symlink. */
	for (int tries = 0; tries < 16; tries++) {
		unsigned char r[6];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			rc = -EIO;
			break;
		}
		free(t->path);
		if (asprintf(&t->path, "%s.tmp.%d.%02x%02x%02x%02x%02x%02x", final, (int)getpid(),
			     r[0], r[1], r[2], r[3], r[4], r[5]) < 0) {
			t->path = NULL;
			rc = -ENOMEM;
			break;
		}
		t->name = t->path + (slash - final) + 1;
		t->fd = openat(t->dfd, t->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			       0600);
		if (t->fd >= 0)
			break;
		rc = -errno;
		if (errno != EEXIST) {
			log_err("cache: cannot create %s: %s", t->path, strerror(errno));
			break;
		}
	}
	if (t->fd >= 0)
		rc = 0;
out:
	free(dir);
	if (rc)
		tmp_release(t);
	return rc;
}

int ocifs_cache_tmp_check(const struct ocifs_cache_tmp *t)
{
	struct stat a, b;

	if (fstat(t->fd, &a) < 0 || fstatat(t->dfd, t->name, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		log_err("cache: %s was replaced while being written; not using it", t->path);
		return -EPERM;
	}
	return 0;
}

int ocifs_cache_tmp_commit(struct ocifs_cache_tmp *t)
{
	int rc = 0;

	if (fsync(t->fd) < 0) {
		rc = -errno;
		log_err("cache: %s: fsync: %s", t->path, strerror(-rc));
	}
	if (!rc)
		rc = ocifs_cache_tmp_check(t);
	if (!rc && renameat(t->dfd, t->name, t->dfd, t->final) < 0) {
		rc = -errno;
		log_err("cache: cannot rename %s: %s", t->path, strerror(-rc));
	}
	if (rc)
		unlinkat(t->dfd, t->name, 0);
	tmp_release(t);
	return rc;
}

void ocifs_cache_tmp_abort(struct ocifs_cache_tmp *t)
{
	if (t->dfd >= 0 && t->name)
		unlinkat(t->dfd, t->name, 0);
	tmp_release(t);
}

int ocifs_cache_open_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int ocifs_cache_write_fd(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int ocifs_cache_write_atomic(const char *path, const void *buf, size_t len)
{
	struct ocifs_cache_tmp t;
	int rc = ocifs_cache_tmp_open(path, &t);

	if (rc)
		return rc;
	if ((rc = ocifs_cache_write_fd(t.fd, buf, len)))
		log_warn("cache: cannot write %s: %s", t.path, strerror(-rc));
	if (rc)
		ocifs_cache_tmp_abort(&t);
	else
		rc = ocifs_cache_tmp_commit(&t);
	return rc;
}
