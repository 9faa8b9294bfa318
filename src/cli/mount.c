/* SPDX-License-Identifier: MIT */
/*
 * `ocifs mount IMAGE DIR [-o OPTS] [-f] [-d]` and `ocifs umount DIR`.
 *
 * mount checks DIR and the options first (cheap, clear errors), then
 * opens the session (the image, every layer indexed with a progress bar
 * on a tty, the view), and only then mounts and daemonizes (fs/mount.c),
 * so the exit status says whether the mount works. An image from stdin
 * (`-`) is spooled by the session into a file the daemon removes at
 * unmount (unless --keep; then mount says where it is). A temporary
 * cache (the cache could not be written) is handed to the daemon, which
 * removes it when it exits.
 *
 * umount unmounts an ocifs mount: umount2() as root, fusermount3 -u
 * otherwise (-l: lazily, MNT_DETACH or fusermount3 -z). The daemon then
 * leaves its loop, frees everything and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "cli.h"
#include "fs.h"
#include "log.h"
#include "mountinfo.h"

int cmd_mount(struct cli *c)
{
	const char *image = c->args[0], *dir = c->args[1];
	struct ocifs_session_opts so;
	struct ocifs_session *s;
	struct fs_opts o;
	char *abs = NULL;
	int rc, child = 0;

	rc = fs_opts_parse(c->mount_opts, image, c->foreground, c->debug, &o);
	if (rc)
		return rc == -EINVAL ? OCIFS_EXIT_USAGE : rc;
	o.single_thread = c->single_thread;
	if (o.debug)
		ocifs_log_threshold = OCIFS_LOG_DBG;
	if (o.zstd_window_max)
		c->img.zstd_window_max = o.zstd_window_max;
	rc = fs_check_mountpoint(dir, o.nonempty, &abs);
	if (rc)
		goto out_opts;
	so = cli_session_opts(c);
	so.spool_named = 1;
	so.defer_sweep = 1; /* work over the whole cache: the daemon's, at exit */
	rc = ocifs_session_open(image, &so, &s);
	if (rc)
		goto out_abs;
	if (c->keep && !s->spool) /* said, not silently ignored */
		log_warn("--keep: %s is read in place, not spooled from a stream: nothing to keep",
			 image);
	if (s->spool_kept && !c->quiet)
		fprintf(stderr, "ocifs: the image read from stdin is kept as %s%s\n", s->spool_kept,
			s->temp_cache ? " (in the temporary cache: removed at unmount)" : "");
	rc = fs_mount_run(s->img, s->view, s->cache_dir, &o, abs, &child);
	if (!rc && !child && !o.foreground) {
		ocifs_session_handoff(s); /* the daemon removes a temporary cache
					   * and the spooled image */
		/* The daemon serves from its own copy of the session: this
		 * process only has to exit, and the kernel frees its pages
		 * faster than free() does (cli.h). */
		cli_quick_exit = 1;
	} else {
		if (child || o.foreground) /* the mount served and is gone */
			ocifs_cache_sweep(s->cache_dir);
		ocifs_session_close(s);
	}
out_abs:
	free(abs);
out_opts:
	fs_opts_fini(&o);
	return rc;
}

/* fusermount3 -u [-z] PATH; 0 or -EIO (it printed why). */
static int run_fusermount(const char *path, int lazy)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (lazy)
			execlp("fusermount3", "fusermount3", "-u", "-z", "--", path, (char *)NULL);
		else
			execlp("fusermount3", "fusermount3", "-u", "--", path, (char *)NULL);
		log_err("fusermount3: %s", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int cmd_umount(struct cli *c)
{
	const char *dir = c->args[0];
	char type[64], *abs = realpath(dir, NULL);
	int rc;

	if (!abs && errno == ENOTCONN) /* a dead mount: unmount it by name */
		abs = ocifs_mountinfo_abspath(dir);
	if (!abs) {
		rc = -errno;
		log_err("%s: %s", dir, strerror(-rc));
		return rc;
	}
	rc = ocifs_mountinfo_find(abs, type, sizeof(type));
	if (rc <= 0) {
		if (rc == 0)
			log_err("%s: not mounted", dir);
		else
			log_err("/proc/self/mountinfo: %s", strerror(-rc));
		rc = rc ? rc : -EINVAL;
		goto out;
	}
	if (strcmp(type, "fuse.ocifs") != 0) {
		log_err("%s: not an ocifs mount (it is %s%s)", dir, type,
			strncmp(type, "fuse", 4) ? "" : "; fusermount3 -u unmounts any FUSE mount");
		rc = -EINVAL;
		goto out;
	}
	if (geteuid() == 0) {
		rc = umount2(abs, UMOUNT_NOFOLLOW | (c->lazy ? MNT_DETACH : 0)) ? -errno : 0;
		if (rc == -EBUSY)
			log_err("%s: busy (a process has a file open or its cwd there; "
				"ocifs umount -l detaches it now)", dir);
		else if (rc)
			log_err("%s: %s", dir, strerror(-rc));
	} else {
		rc = run_fusermount(abs, c->lazy);
	}
out:
	free(abs);
	return rc;
}
