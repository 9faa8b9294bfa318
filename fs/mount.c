/* SPDX-License-Identifier: MIT */
/*
 * Mounting: the -o options, the mountpoint checks, the FUSE session and
 * its multi-threaded loop, and daemonizing.
 *
 * `ocifs mount` indexes and builds the view first, in the foreground
 * (progress bar, clear errors). Then, unless -f, it forks: the child
 * starts a new session, mounts, detaches from the terminal and serves;
 * the parent waits on a pipe that the child writes to from the FUSE init
 * handler, i.e. once the kernel and the daemon have shaken hands, so the
 * parent's exit status says whether the mount works and the mount answers
 * as soon as it returns. If the child fails, the pipe closes unwritten
 * and the parent exits 1 (the child has already said why on stderr).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "imageref.h"
#include "loop.h"
#include "log.h"
#include "mountinfo.h"
#include "size.h"
#include "zio.h"

/* Mount options that only mean something to mount(8), fstab or
 * mount.fuse3: accepted and ignored. */
static const char *const ignored_opts[] = {
	"defaults", "auto", "noauto", "nofail", "_netdev", "user", "nouser", "users", "owner",
	"group", "async", "sync", "dirsync", "atime", "noatime", "diratime", "nodiratime",
	"relatime", "norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime",
	"loud", "silent", "ro",
	/* mount.fuse3 adds "dev" and "suid" to every mount not marked
	 * nodev/nosuid; an image's device nodes and setuid binaries must not
	 * take effect on the host just because of that, so ocifs stays
	 * nodev,nosuid. */
	"dev", "suid", "nodev", "nosuid", "default_permissions",
	NULL,
};

/* Passed to libfuse as they are. */
static const char *const fuse_flag_opts[] = {
	"allow_other", "allow_root", "auto_unmount", "exec", "noexec", NULL,
};

/*
 * Every -o option ocifs itself knows: the parser accepts exactly these
 * (plus mount(8)'s own, ignored above), `ocifs mount --help` and
 * `ocifs help --mount-options` print them, and tests/cli/t29-help.sh
 * checks that README.md and ocifs(1) list the same.
 */
const struct fs_mount_opt fs_mount_opts[] = {
	{ "allow_other", NULL, "let other users see the mount (non-root: user_allow_other in "
			       "/etc/fuse.conf)" },
	{ "allow_root", NULL, "let root see the mount too" },
	{ "auto_unmount", NULL, "unmount when the daemon dies, even by kill -9" },
	{ "cache_size", "SIZE", "decompressed block cache, N[KMG] (default 64M, 0: off)" },
	{ "debug", NULL, "stay in the foreground and log every FUSE request (as -d)" },
	{ "deps_timeout", "SECONDS", "stop a /.deps build after this long (default 600, 0: never)" },
	{ "exec", NULL, "allow running the image's programs (the default)" },
	{ "fsname", "NAME", "source shown in mount tables (default: the image's absolute path)" },
	{ "gid", "GID", "report every file as owned by this group (number or name)" },
	{ "max_read", "BYTES", "largest read request the kernel sends" },
	{ "max_threads", "N", "at most N threads serve requests (default 10; -s: one)" },
	{ "noexec", NULL, "do not allow running the image's programs" },
	{ "nonempty", NULL, "mount over a directory that is not empty (hiding what it holds)" },
	{ "prewalk", "N", "after mounting, list up to N entries of the tree in the background, "
			  "last directories first, so a first walk finds them cached (default "
			  "50000, 0: off; root only)" },
	{ "public_virtual", NULL, "virtual files readable by every user (0444, default 0400)" },
	{ "ready_fd", "FD", "write one byte to file descriptor FD once the mount answers" },
	{ "show_virtual", NULL, "list /.ocifs and /.deps in the root directory" },
	{ "subtype", "NAME", "file system subtype (default ocifs: type fuse.ocifs)" },
	{ "timeout", "SECONDS", "kernel entry and attribute cache timeout (default 86400)" },
	{ "uid", "UID", "report every file as owned by this user (number or name)" },
	{ "zstd_window_max", "SIZE", "largest zstd window to decode, 1K to 2G (as "
				     "--zstd-window-max)" },
	{ NULL, NULL, NULL },
};

static const struct fs_mount_opt *mount_opt_find(const char *name)
{
	for (const struct fs_mount_opt *m = fs_mount_opts; m->name; m++)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

static int parse_id(const char *key, const char *s, int is_gid, unsigned *out)
{
	unsigned long long v;

	if (!parse_uint(s, UINT32_MAX - 1, &v)) {
		*out = (unsigned)v;
		return 0;
	}
	if (!is_gid) {
		struct passwd *pw = getpwnam(s);
		if (pw) {
			*out = pw->pw_uid;
			return 0;
		}
	} else {
		struct group *gr = getgrnam(s);
		if (gr) {
			*out = gr->gr_gid;
			return 0;
		}
	}
	log_err("-o %s=%s: no such %s", key, s, is_gid ? "group" : "user");
	return -EINVAL;
}

/* Append ",opt" (escaped for libfuse's option parser) to *dst. */
static int add_opt(char **dst, const char *opt)
{
	return fuse_opt_add_opt_escaped(dst, opt) ? -ENOMEM : 0;
}

static int add_kv(char **dst, const char *key, const char *val)
{
	char *s = NULL;
	int rc;

	if (asprintf(&s, "%s=%s", key, val) < 0)
		return -ENOMEM;
	rc = add_opt(dst, s);
	free(s);
	return rc;
}

/* One option: "key" or "key=value". */
static int parse_one(struct fs_opts *o, char *opt, char **passthru)
{
	char *val = strchr(opt, '=');
	const struct fs_mount_opt *m;
	unsigned long long v;
	unsigned id;
	char *end;

	if (val)
		*val++ = '\0';
	if (!*opt)
		return 0;
	if (!val && (in_list(ignored_opts, opt) || !strncmp(opt, "x-", 2)))
		return 0;
	if (val && (!strcmp(opt, "comment") || !strncmp(opt, "x-", 2)))
		return 0;
	if (!val && !strcmp(opt, "rw")) {
		log_warn("-o rw ignored: ocifs mounts are read-only");
		return 0;
	}
	m = mount_opt_find(opt);
	if (!m) {
		log_err("-o %s%s%s: unknown mount option (try 'ocifs mount --help')", opt,
			val ? "=" : "", val ? val : "");
		return -EINVAL;
	}
	if (m->arg && !val) {
		log_err("-o %s: needs a value (%s=%s)", opt, opt, m->arg);
		return -EINVAL;
	}
	if (!m->arg && val) {
		log_err("-o %s=%s: takes no value", opt, val);
		return -EINVAL;
	}
	/* auto_unmount as root: our own watcher (autounmount.c), not
	 * fusermount3's, which can leave a dead mount behind */
	if (!strcmp(opt, "auto_unmount") && geteuid() == 0) {
		o->auto_unmount = 1;
		return 0;
	}
	if (in_list(fuse_flag_opts, opt))
		return add_opt(passthru, opt);
	if (!strcmp(opt, "nonempty")) {
		o->nonempty = 1;
		return 0;
	}
	if (!strcmp(opt, "max_threads")) {
		if (parse_uint(val, 100000, &v) || v == 0) {
			log_err("-o max_threads=%s: not a number of threads from 1 to 100000", val);
			return -EINVAL;
		}
		o->max_threads = (unsigned)v;
		return 0;
	}
	if (!val && !strcmp(opt, "debug")) {
		o->debug = o->foreground = 1;
		return 0;
	}
	if (!val && !strcmp(opt, "show_virtual")) {
		o->show_virtual = 1;
		return 0;
	}
	if (!val && !strcmp(opt, "public_virtual")) {
		o->public_virtual = 1;
		return 0;
	}
	if (val && !strcmp(opt, "prewalk")) {
		if (parse_uint(val, UINT64_MAX, &v)) {
			log_err("-o prewalk=%s: not a number of entries", val);
			return -EINVAL;
		}
		o->prewalk = v;
		return 0;
	}
	if (val && !strcmp(opt, "deps_timeout")) {
		if (parse_uint(val, UINT_MAX / 1000, &v)) {
			log_err("-o deps_timeout=%s: not a number of seconds", val);
			return -EINVAL;
		}
		o->deps_timeout_ms = (unsigned)v * 1000;
		return 0;
	}
	if (val && !strcmp(opt, "timeout")) {
		errno = 0;
		o->timeout = strtod(val, &end);
		if (errno || end == val || *end || !(o->timeout >= 0) || o->timeout > 1e9) {
			log_err("-o timeout=%s: not a number of seconds", val);
			return -EINVAL;
		}
		return 0;
	}
	if (val && !strcmp(opt, "cache_size")) {
		if (ocifs_size_parse(val, &o->cache_size)) {
			log_err("-o cache_size=%s: not a size (bytes, or with K, M or G)", val);
			return -EINVAL;
		}
		return 0;
	}
	if (val && !strcmp(opt, "zstd_window_max")) {
		if (ocifs_zstd_window_parse(val, &o->zstd_window_max)) {
			log_err("-o zstd_window_max=%s: not a size from 1K to 2G", val);
			return -EINVAL;
		}
		return 0;
	}
	if (val && !strcmp(opt, "ready_fd")) {
		if (parse_uint(val, INT_MAX, &v) || fcntl((int)v, F_GETFD) < 0) {
			log_err("-o ready_fd=%s: not an open file descriptor", val);
			return -EINVAL;
		}
		o->ready_fd = (int)v;
		return 0;
	}
	if (val && (!strcmp(opt, "uid") || !strcmp(opt, "gid"))) {
		int is_gid = opt[0] == 'g';
		if (parse_id(opt, val, is_gid, &id))
			return -EINVAL;
		if (is_gid) {
			o->gid = (gid_t)id;
			o->set_gid = 1;
		} else {
			o->uid = (uid_t)id;
			o->set_uid = 1;
		}
		return 0;
	}
	if (val && (!strcmp(opt, "fsname") || !strcmp(opt, "subtype"))) {
		char **dst = opt[0] == 'f' ? &o->fsname : &o->subtype;
		char *s = strdup(val);
		if (!s)
			return -ENOMEM;
		free(*dst);
		*dst = s;
		return 0;
	}
	if (val && !strcmp(opt, "max_read")) {
		if (parse_uint(val, UINT32_MAX, &v)) {
			log_err("-o max_read=%s: not a number of bytes", val);
			return -EINVAL;
		}
		return add_kv(passthru, opt, val);
	}
	log_err("-o %s: not handled", opt); /* a row of fs_mount_opts without its case */
	return -EINVAL;
}

/* The source the mount tables show by default: the image's absolute
 * path, also inside skopeo's names ("oci-archive:a.tar:v1" ->
 * "oci-archive:/abs/a.tar:v1", as imageref.h splits them), "stdin" for
 * an image read from stdin; the name as given when it does not resolve. */
static char *default_fsname(const char *image)
{
	struct ocifs_imageref ref;
	char *abs = NULL, *out = NULL;

	if (ocifs_imageref_split(image, &ref))
		return strdup(image);
	if (ref.kind == OCIFS_REF_STDIN)
		out = strdup("stdin");
	else if ((ref.kind == OCIFS_REF_PATH || ref.kind == OCIFS_REF_DOCKER_ARCHIVE ||
		  ref.kind == OCIFS_REF_OCI_ARCHIVE || ref.kind == OCIFS_REF_OCI_DIR) &&
		 (abs = realpath(ref.path, NULL))) {
		/* what follows the path in the name: ":REF", or nothing */
		const char *rest = ref.transport ? image + strlen(ref.transport) + 1 + strlen(ref.path)
						 : "";
		if (asprintf(&out, "%s%s%s%s", ref.transport ? ref.transport : "",
			     ref.transport ? ":" : "", abs, rest) < 0)
			out = NULL;
	} else {
		out = strdup(image);
	}
	free(abs);
	ocifs_imageref_fini(&ref);
	return out;
}

int fs_opts_parse(const char *optstr, const char *image, int foreground, int debug,
		  struct fs_opts *o)
{
	char *copy = NULL, *passthru = NULL, *p, *start;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->timeout = FS_TIMEOUT_DEFAULT;
	o->cache_size = FS_CACHE_SIZE_DEFAULT;
	o->prewalk = FS_PREWALK_DEFAULT;
	o->deps_timeout_ms = FS_DEPS_TIMEOUT_DEFAULT * 1000;
	o->ready_fd = -1;
	o->foreground = foreground || debug;
	o->debug = debug;
	if (optstr) {
		copy = strdup(optstr);
		if (!copy)
			return -ENOMEM;
		/* Split on commas not escaped with a backslash. */
		for (p = start = copy; !rc; p++) {
			if (*p == '\\' && p[1]) {
				memmove(p, p + 1, strlen(p));
				continue;
			}
			if (*p == ',' || !*p) {
				int last = !*p;
				*p = '\0';
				rc = parse_one(o, start, &passthru);
				if (last)
					break;
				start = p + 1;
			}
		}
		free(copy);
	}
	if (!rc && !o->fsname && !(o->fsname = default_fsname(image)))
		rc = -ENOMEM;
	if (!rc && !o->subtype && !(o->subtype = strdup("ocifs")))
		rc = -ENOMEM;
	if (o->cache_size && o->cache_size < FS_SPAN_BLOCK)
		o->cache_size = FS_SPAN_BLOCK;
	/* The fixed defaults first; then what the user asked for. */
	if (!rc && fuse_opt_add_opt(&o->fuse_opts, "ro,nosuid,nodev,default_permissions"))
		rc = -ENOMEM;
	if (!rc)
		rc = add_kv(&o->fuse_opts, "fsname", o->fsname);
	if (!rc)
		rc = add_kv(&o->fuse_opts, "subtype", o->subtype);
	if (!rc && passthru && fuse_opt_add_opt(&o->fuse_opts, passthru))
		rc = -ENOMEM;
	free(passthru);
	if (rc)
		fs_opts_fini(o);
	return rc;
}

void fs_opts_fini(struct fs_opts *o)
{
	free(o->fsname);
	free(o->subtype);
	free(o->fuse_opts);
	o->fsname = o->subtype = o->fuse_opts = NULL;
	if (o->ready_fd >= 0)
		close(o->ready_fd);
	o->ready_fd = -1;
}

/* Whether this process can use FUSE: /dev/fuse opens and is the FUSE
 * device, or (not root) a setuid fusermount3 will open it. Checked
 * before the image is indexed, with the fix in the one line. */
static int check_fuse(void)
{
	static const char *const fusermount[] = { "/usr/bin/fusermount3", "/bin/fusermount3" };
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC), rc = fd < 0 ? -errno : 0;
	struct stat st;

	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && !(S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 &&
					     minor(st.st_rdev) == 229))
			rc = -ENODEV;
		close(fd);
	}
	if (!rc)
		return 0;
	if (rc == -EACCES && geteuid() != 0)
		for (size_t i = 0; i < sizeof(fusermount) / sizeof(fusermount[0]); i++)
			if (stat(fusermount[i], &st) == 0 && S_ISREG(st.st_mode) &&
			    (st.st_mode & S_ISUID) && st.st_uid == 0)
				return 0; /* libfuse mounts through it */
	if (rc == -EACCES || rc == -EPERM)
		log_err("/dev/fuse: %s: mount as root (sudo ocifs mount ...)%s", strerror(-rc),
			geteuid() ? " or install fuse3 for its setuid fusermount3"
				  : "; in a container, give it --device /dev/fuse --cap-add SYS_ADMIN");
	else
		log_err("/dev/fuse: %s: load the FUSE module (sudo modprobe fuse) and install "
			"fuse3 (apt-get install fuse3)",
			rc == -ENODEV ? "not the FUSE device (char 10,229)" : strerror(-rc));
	return rc;
}

int fs_check_mountpoint(const char *dir, int nonempty, char **abs)
{
	struct stat st, up;
	struct statvfs vfs;
	char type[64], *parent = NULL;
	struct dirent *de;
	DIR *d;
	int rc;

	*abs = NULL;
	if (stat(dir, &st) < 0) {
		rc = -errno;
		if (rc == -ENOENT && lstat(dir, &st) < 0) /* (a dangling link: as is) */
			log_err("%s: no such directory (create it first: mkdir -p %s)", dir, dir);
		else
			ocifs_log_path_err(dir, dir, rc); /* a dead mount: names it */
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory", dir);
		return -ENOTDIR;
	}
	*abs = realpath(dir, NULL);
	if (!*abs)
		return -errno;
	/* fusermount3's own rule for a user's mount, said before the image
	 * is opened and without its "is /dev/fuse there?" guess after it */
	if (getuid() != 0 && access(*abs, W_OK) != 0) {
		log_err("%s: you cannot write to it, and a user may only mount on a directory "
			"they can write (mount as root, or choose a directory of yours)", dir);
		rc = -EACCES;
		goto err;
	}
	rc = ocifs_mountinfo_find(*abs, type, sizeof(type));
	if (rc == 0 && asprintf(&parent, "%s/..", *abs) >= 0 && stat(parent, &up) == 0 &&
	    (up.st_dev != st.st_dev || (up.st_ino == st.st_ino && strcmp(*abs, "/"))))
		rc = 1; /* a mount we cannot see in our namespace's table */
	free(parent);
	if (rc > 0 && statvfs(*abs, &vfs) < 0 && errno == ENOTCONN) {
		ocifs_log_path_err(dir, dir, -ENOTCONN); /* its daemon is gone */
		rc = -ENOTCONN;
		goto err;
	}
	if (rc > 0) {
		log_err("%s: already a mountpoint (unmount it first: ocifs umount %s)", dir, dir);
		rc = -EBUSY;
		goto err;
	}
	if (nonempty)
		goto fuse;
	d = opendir(*abs);
	if (!d) {
		rc = -errno;
		ocifs_log_path_err(dir, dir, rc);
		goto err;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			break;
	closedir(d);
	if (de) {
		log_err("%s: not empty (mount over it anyway, hiding what it holds, with -o nonempty)",
			dir);
		rc = -ENOTEMPTY;
		goto err;
	}
fuse:
	rc = check_fuse();
	if (rc)
		goto err;
	return 0;
err:
	free(*abs);
	*abs = NULL;
	return rc;
}

/* libfuse's messages through our log sink (STYLE 19). */
static void fs_fuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	enum ocifs_log_level lvl = level <= FUSE_LOG_ERR       ? OCIFS_LOG_ERR
				   : level == FUSE_LOG_WARNING ? OCIFS_LOG_WARN
				   : level <= FUSE_LOG_INFO    ? OCIFS_LOG_INFO
							       : OCIFS_LOG_DBG;
	char line[2048];
	int n;

	if (lvl > ocifs_log_threshold)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	while (n > 0 && (size_t)n <= sizeof(line) - 1 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0)
		ocifs_log_write(lvl, "%s", line);
}

/* Detach from the terminal once mounted: the daemon's stdio goes to
 * /dev/null (so `x=$(ocifs mount ...)` returns) and logging to syslog. */
static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (chdir("/") < 0)
		log_dbg("chdir /: %s", strerror(errno));
	ocifs_log_set_syslog(1);
}

/* Create the session, mount and serve until unmounted. */
static int serve(struct ocifs_fs *fs, const char *dir, int daemon)
{
	char *argv[] = { "ocifs", "-o", fs->opts.fuse_opts, "-d", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(fs->opts.debug ? 4 : 3, argv);
	struct fs_prewalk *pw = NULL;
	int rc = 0, loop;

	fs->se = fuse_session_new(&args, fs_lowlevel_ops(), sizeof(struct fuse_lowlevel_ops), fs);
	fuse_opt_free_args(&args);
	if (!fs->se) {
		log_err("%s: cannot create the FUSE session", dir);
		return -EINVAL;
	}
	if (fuse_set_signal_handlers(fs->se)) {
		rc = -errno;
		goto out_destroy;
	}
	if (fuse_session_mount(fs->se, dir)) {
		log_err("%s: mount failed (is /dev/fuse there, and fusermount3 installed?)", dir);
		rc = -EIO;
		goto out_signals;
	}
	if (fs->opts.auto_unmount)
		fs_autounmount_start(dir);
	if (daemon)
		detach_stdio();
	log_dbg("%s: mounted %s", dir, fs->opts.fsname);
	/* (timeout=0: the kernel keeps nothing the walk would bring) */
	pw = fs_prewalk_start(dir, fs->opts.timeout > 0 ? fs->opts.prewalk : 0);
	loop = fs_session_loop(fs->se, fs->opts.single_thread, fs->opts.max_threads, fs_meta_fast,
			       fs);
	if (loop < 0) {
		log_err("%s: %s", dir, strerror(-loop));
		rc = loop;
	}
	fuse_session_unmount(fs->se);
out_signals:
	fuse_remove_signal_handlers(fs->se);
out_destroy:
	fuse_session_destroy(fs->se);
	fs->se = NULL;
	fs_prewalk_stop(pw); /* the device is closed: its wait has ended */
	return rc;
}

int fs_mount_run(struct ocifs_image *img, struct ocifs_view *view, const char *cache_dir,
		 struct fs_opts *o, const char *dir, int *is_child)
{
	struct ocifs_fs fs = { .img = img, .view = view, .opts = *o, .notify_fd = -1 };
	struct ocifs_reader_opts ro = { .cache_size = o->cache_size, .block = FS_SPAN_BLOCK,
					.hashck = 1, .readahead = OCIFS_READER_AHEAD };
	size_t nlayers = img->nlayers;
	int p[2] = { -1, -1 }, rc;
	struct ocifs_vattr root;
	pid_t pid;
	char byte;
	ssize_t r;

	*is_child = 0;
	fuse_set_log_func(fs_fuse_log);
	fs.ninodes = ocifs_view_inodes(view);
	/* O(1) on a warm mount: counted once when the view file was
	 * validated (view.h) */
	fs.blocks = ocifs_view_blocks(view);
	if (ocifs_view_long_names(view))
		fs_dir_warn_long(view);
	rc = fs_files_new(&fs.files);
	if (rc)
		return rc;
	fs.nlayers = nlayers;
	if ((rc = fs_blob_ids_take(img, &fs.blob_ids))) {
		goto out;
	}
	fs.vuid = o->set_uid ? o->uid : getuid();
	fs.vgid = o->set_gid ? o->gid : getgid();
	if (ocifs_view_getattr(view, OCIFS_VIEW_ROOT, &root) == 0)
		fs.vmtime_ns = root.mtime_ns;
	rc = fs_virt_new(img, view, cache_dir, o, &fs.virt);
	if (!rc)
		rc = fs_layers_new(img, view, &fs.layers);
	if (rc)
		goto out;
	if ((rc = ocifs_reader_new(view, &ro, &fs.reader)))
		goto out;
	if (o->foreground) {
		rc = serve(&fs, dir, 0);
		goto out;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		goto out;
	}
	if (pid == 0) {
		*is_child = 1;
		close(p[0]);
		fs.notify_fd = p[1];
		if (setsid() < 0)
			log_dbg("setsid: %s", strerror(errno));
		rc = serve(&fs, dir, 1);
		if (fs.notify_fd >= 0)
			close(fs.notify_fd);
		goto out;
	}
	/* Parent: the daemon owns ready_fd now. */
	close(p[1]);
	if (o->ready_fd >= 0)
		close(o->ready_fd);
	o->ready_fd = fs.opts.ready_fd = -1;
	do
		r = read(p[0], &byte, 1);
	while (r < 0 && errno == EINTR);
	close(p[0]);
	if (r == 1) {
		rc = 0;
	} else {
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		rc = -EIO; /* the daemon said why */
	}
out:
	free(fs.blob_ids);
	fs_virt_free(fs.virt);
	fs_files_free(fs.files); /* before the reader their files read through */
	fs_layers_free(fs.layers); /* after the files that borrow its maps */
	ocifs_reader_free(fs.reader);
	/* fs.opts.ready_fd was closed by init if it was used */
	o->ready_fd = fs.opts.ready_fd;
	return rc;
}
