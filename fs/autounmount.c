/* SPDX-License-Identifier: MIT */
/*
 * -o auto_unmount for a root mount: a watcher process that unmounts the
 * mount once its daemon is gone, however it went (kill -9 too).
 *
 * Written here rather than left to libfuse because libfuse 3.14 (Debian
 * 12) hands auto_unmount to fusermount3, whose watcher checks the dead
 * mount by opening it and unmounts only on ENOTCONN; when it looks while
 * the kernel is still aborting the connection it gets ECONNABORTED and
 * exits leaving the dead mount behind (seen under load, about one kill
 * in three). Newer libfuse mounts directly as root and runs fusermount3
 * for the watch only; this does the same with a check that has no such
 * window: the mount at dir is unmounted only while it is the same mount
 * (same device number) the daemon made, so a later mount at dir is
 * never touched. Non-root mounts still go through fusermount3, the only
 * way an unprivileged user may unmount.
 *
 * The watcher holds the read end of a pipe whose write end only the
 * daemon holds (close-on-exec, so no child of the daemon keeps it): EOF
 * means the daemon has exited. It keeps no other descriptor, above all
 * not /dev/fuse, which would keep the connection alive.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "mountinfo.h"

/* Close every descriptor but keep (0-2 go to /dev/null). */
static void close_all_but(int keep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		for (int i = 0; i <= STDERR_FILENO; i++)
			if (i != null)
				dup2(null, i);
		if (null > STDERR_FILENO && null != keep)
			close(null);
	}
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd <= STDERR_FILENO || fd == keep ||
		    fd == dirfd(d))
			continue;
		close((int)fd);
	}
	closedir(d);
}

static void watch(const char *dir, int rfd, dev_t dev)
{
	char byte;
	dev_t now;
	ssize_t r;

	close_all_but(rfd);
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	do
		r = read(rfd, &byte, 1);
	while (r < 0 && errno == EINTR);
	/* The daemon is gone. Its own unmount (umount, fusermount3 -u) has
	 * usually removed the mount already; otherwise it is dead. */
	if (ocifs_mountinfo_dev(dir, &now) == 1 && now == dev)
		umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
	_exit(0);
}

void fs_autounmount_start(const char *dir)
{
	int p[2];
	dev_t dev;
	pid_t pid;

	if (ocifs_mountinfo_dev(dir, &dev) != 1) {
		log_warn("%s: auto_unmount: the mount is not in /proc/self/mountinfo", dir);
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("%s: auto_unmount: %s", dir, strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("%s: auto_unmount: %s", dir, strerror(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0)
		watch(dir, p[0], dev);
	/* The daemon keeps the write end open until it exits; it is never
	 * written. The watcher is reparented to init when we go. */
	close(p[0]);
}
