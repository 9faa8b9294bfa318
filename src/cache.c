/* SPDX-License-Identifier: MIT */
/*
 * Cache directory layout, the per-layer indexing lock, and the identity
 * records that let a warm open trust a verified blob (DESIGN §3-§4).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"

static int mkdir_p(const char *path)
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
			log_err("cache: cannot create %s: %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

int ocifs_cache_open_dir(char **out)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL, *sub = NULL;
	int rc;

	if (xdg && *xdg == '/')
		rc = asprintf(&dir, "%s/ocifs", xdg);
	else if (home && *home)
		rc = asprintf(&dir, "%s/.cache/ocifs", home);
	else
		rc = asprintf(&dir, "/var/cache/ocifs");
	if (rc < 0)
		return -ENOMEM;
	static const char *const subs[] = { "layers", "ids", "views", "deps" };
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (asprintf(&sub, "%s/%s", dir, subs[i]) < 0) {
			free(dir);
			return -ENOMEM;
		}
		rc = mkdir_p(sub);
		free(sub);
		if (rc) {
			free(dir);
			return rc;
		}
	}
	*out = dir;
	return 0;
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

int ocifs_cache_lock(const char *dir, const char *digest)
{
	char *path;
	int fd, rc = ocifs_cache_layer_path(dir, digest, ".lock", &path);

	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		log_err("cache: %s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	free(path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
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
	fd = open(path, O_RDONLY | O_CLOEXEC);
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

int ocifs_cache_write_atomic(const char *path, const void *buf, size_t len)
{
	char *tmp;
	int fd, rc = 0;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)buf + done, len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
out:
	if (rc)
		log_warn("cache: cannot write %s: %s", path, strerror(-rc));
	free(tmp);
	return rc;
}
