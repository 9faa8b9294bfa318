/* SPDX-License-Identifier: MIT */
/*
 * The walk ahead (-o prewalk=N): once mounted, the daemon lists the tree
 * itself in the background, last directories first, so the kernel holds
 * it -- dentries, inodes with their attributes (READDIRPLUS) and each
 * directory's listing (the readdir cache, which the kernel keeps when
 * opendir is not ours: ops.c's FUSE_CAP_NO_OPENDIR_SUPPORT) -- before or
 * while the user's first walk arrives.
 *
 * Why: a cold walk is two READDIRPLUS round trips a directory, and on a
 * machine whose idle CPUs halt each one is a cross-CPU wake-up on both
 * sides (bench/RESULTS.md, sessions 10 and 11): no request can go, the
 * kernel's protocol has no end-of-directory flag and no way to push a
 * listing. A second walker can take half of them: find, ls -R, du and
 * scanners walk in listing order, this walk from the other end (children
 * in reverse, parents before children, so every directory it opens is
 * already a dentry from its parent's READDIRPLUS and costs no LOOKUP).
 * Where the two meet, the rest of the user's walk is served from the
 * kernel's caches. It costs the daemon the same requests the user's walk
 * would have sent, and the kernel ~1 KiB a listed entry (reclaimable):
 * hence the bound N on the entries listed.
 *
 * The walk goes through a detached clone of the mount (open_tree with
 * OPEN_TREE_CLONE: the same superblock, so the same caches), never the
 * user's mount, which it therefore never keeps busy: `umount` works at
 * once. The clone keeps the file system alive a moment longer, so the
 * walk checks the mountpoint between directories and stops when it no
 * longer shows this file system; the daemon then sees the end of the
 * connection as after any unmount. Cloning a mount needs CAP_SYS_ADMIN:
 * a user's mount has no walk ahead.
 *
 * It is a process of its own, forked before the session serves, holding
 * no descriptor of the daemon's: a request of its own mount that the
 * kernel has handed to the daemon waits uninterruptibly for the answer,
 * so a thread of the daemon waiting there kept the daemon's /dev/fuse
 * open after a kill -9 and nothing could end either (seen in t19). Now
 * a killed daemon closes the device, the kernel aborts the connection,
 * the walk's request fails and the walk dies with its parent
 * (PR_SET_PDEATHSIG).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "grow.h"
#include "ino.h"
#include "log.h"

#define PW_FUSE_MAGIC 0x65735546 /* FUSE_SUPER_MAGIC */
#define PW_DEPTH_MAX 64          /* an fd a level: deeper trees are left
				  * to the user's walk */
#define PW_BUF 32768             /* glibc's getdents buffer for a small
				  * directory: one READDIRPLUS and its end */
#define PW_CHECK_EVERY 8         /* directories between mountpoint checks */

struct fs_prewalk {
	char *dir;                 /* the mountpoint, absolute */
	uint64_t max_entries;
	uint64_t entries, dirs;    /* listed so far (in the walk's process) */
	dev_t dev;                 /* the clone's device: this file system */
	const char *gate;          /* OCIFS_TEST_PREWALK_GATE, or NULL */
	int over;                  /* the walk ended early: bound, unmount */
	pid_t pid;                 /* the walk's process (the daemon's side) */
	char buf[PW_BUF];
};

/* Does the mountpoint still show this file system? */
static int pw_mounted(const struct fs_prewalk *pw)
{
	struct stat st;

	return stat(pw->dir, &st) == 0 && st.st_dev == pw->dev && st.st_ino == FS_INO_ROOT;
}

static int pw_should_stop(struct fs_prewalk *pw)
{
	if (pw->entries >= pw->max_entries ||
	    (pw->dirs % PW_CHECK_EVERY == 0 && !pw_mounted(pw)))
		pw->over = 1;
	return pw->over;
}

struct pw_names {
	char **v;
	size_t n, cap;
};

static int pw_names_add(struct pw_names *s, const char *name)
{
	OCIFS_GROW(s->v, s->n, s->cap);
	if (!(s->v[s->n] = strdup(name)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static void pw_names_free(struct pw_names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* List directory fd to its end (that end is what completes the kernel's
 * cached listing), collecting the subdirectories' names. */
static int pw_list(struct fs_prewalk *pw, int fd, int top, struct pw_names *subs)
{
	for (;;) {
		long got = syscall(SYS_getdents64, fd, pw->buf, sizeof(pw->buf));
		if (got < 0)
			return -errno;
		if (got == 0)
			return 0;
		if (pw->entries >= pw->max_entries)
			return 0; /* within a huge directory too: a chunk at most */
		for (long off = 0; off < got;) {
			const struct dirent64 *d = (const void *)(pw->buf + off);
			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			pw->entries++;
			/* /.ocifs is generated (its layer trees would be
			 * walked once more): only the image's own tree */
			if (d->d_type == DT_DIR && !(top && !strcmp(d->d_name, ".ocifs")) &&
			    pw_names_add(subs, d->d_name))
				return -ENOMEM;
		}
	}
}

/* Test hook (OCIFS_TEST_PREWALK_GATE=FILE): once the root is listed, the
 * walk waits for FILE to exist, as a long walk would still be running,
 * checking the mountpoint as it does between directories. It lets tests
 * unmount during a walk without timing. */
static void pw_gate(struct fs_prewalk *pw)
{
	log_dbg("prewalk: waiting for %s", pw->gate);
	while (access(pw->gate, F_OK) != 0 && pw_mounted(pw)) {
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (!pw_mounted(pw))
		pw->over = 1;
}

static void pw_walk(struct fs_prewalk *pw, int fd, unsigned depth)
{
	struct pw_names subs = { 0 };
	int rc;

	pw->dirs++;
	rc = pw_list(pw, fd, depth == 0, &subs);
	if (depth == 0 && pw->gate)
		pw_gate(pw);
	if (rc == 0 && depth + 1 < PW_DEPTH_MAX)
		for (size_t i = subs.n; i-- > 0 && !pw_should_stop(pw);) {
			int sub = openat(fd, subs.v[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue;
			pw_walk(pw, sub, depth + 1);
			close(sub);
		}
	pw_names_free(&subs);
}

static void pw_main(struct fs_prewalk *pw)
{
	struct statfs sfs;
	struct stat st;
	int tree;

	tree = open_tree(AT_FDCWD, pw->dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0) {
		log_dbg("prewalk: %s: cannot clone the mount (%s): no walk ahead", pw->dir,
			strerror(errno));
		return;
	}
	if (fstatfs(tree, &sfs) == 0 && sfs.f_type == PW_FUSE_MAGIC && fstat(tree, &st) == 0 &&
	    st.st_ino == FS_INO_ROOT) {
		int root = -1;
		pw->dev = st.st_dev;
		/* the clone's fd is a path (O_PATH): the root is opened
		 * through it to be listed */
		if (pw_mounted(pw) &&
		    (root = openat(tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			pw_walk(pw, root, 0);
			close(root);
		}
	}
	/* said before the clone goes: after an unmount, the clone is what
	 * keeps the daemon, which reaps this process once it is gone */
	log_dbg("prewalk: %s: %llu directories, %llu entries listed%s", pw->dir,
		(unsigned long long)pw->dirs, (unsigned long long)pw->entries,
		pw->over ? " (stopped early)" : "");
	close(tree);
}

/* The walk's process: nothing of the daemon's but stderr (for -d), its
 * own mount reached by path only. */
static void pw_child(struct fs_prewalk *pw, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(0);
	/* /dev/fuse, the readiness and auto_unmount pipes, the blobs: only
	 * the daemon may hold them */
	if (close_range(STDERR_FILENO + 1, ~0U, 0) < 0)
		_exit(0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	prctl(PR_SET_NAME, "ocifs-prewalk");
	/* in the background: the user's own work comes first */
	if (setpriority(PRIO_PROCESS, 0, 10) < 0)
		log_dbg("prewalk: setpriority: %s", strerror(errno));
	pw_main(pw);
	_exit(0);
}

struct fs_prewalk *fs_prewalk_start(const char *dir, uint64_t max_entries)
{
	struct fs_prewalk *pw;
	pid_t parent = getpid();

	if (!max_entries)
		return NULL;
	pw = calloc(1, sizeof(*pw));
	if (!pw || !(pw->dir = strdup(dir))) {
		log_dbg("%s: no walk ahead: %s", dir, strerror(ENOMEM));
		free(pw);
		return NULL;
	}
	pw->max_entries = max_entries;
	pw->gate = getenv("OCIFS_TEST_PREWALK_GATE");
	if (pw->gate && !*pw->gate)
		pw->gate = NULL;
	pw->pid = fork();
	if (pw->pid == 0)
		pw_child(pw, parent);
	if (pw->pid < 0) {
		log_dbg("%s: no walk ahead: %s", dir, strerror(errno));
		free(pw->dir);
		free(pw);
		return NULL;
	}
	return pw;
}

void fs_prewalk_stop(struct fs_prewalk *pw)
{
	if (!pw)
		return;
	/* (the device is closed: a request the walk waits on has failed) */
	kill(pw->pid, SIGKILL);
	while (waitpid(pw->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(pw->dir);
	free(pw);
}
