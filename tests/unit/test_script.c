/* SPDX-License-Identifier: MIT */
/*
 * Shebang analysis checked against the real thing: tests/gen/mkscript.sh
 * builds a root with the host's env(1) and a static probe standing in for
 * interpreters; each script is executed in a chroot of it (with /proc
 * mounted in a private mount namespace), and the probe reports what the
 * kernel and env really ran (/proc/self/exe) and with which argv. The
 * oracle traces its child's execs, so an exec loop (env running the
 * script running env ...) is found by counting them, not by a clock. Our
 * analysis over ocifs_tree_hostdir_ops on the same root must agree: the
 * same program resolved, the same interpreter and argument split, an
 * error exactly when nothing ran, of the same kind. Then seeded random
 * shebang lines go through the same comparison, and the parser's edge
 * cases run under ASan in the same pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "script.h"
#include "tap.h"

#define MAXARGS 16

/* An exec loop (env running the script running env ...) never ends by
 * itself and the kernel sees no depth in it: each exec is a fresh
 * execve. The oracle counts execs (ptrace) and calls a chain longer
 * than this a loop; a real chain here has at most a handful. */
#define ORACLE_LOOP_EXECS 64
#define STR_(x) #x
#define STR(x) STR_(x)
/* Only a real hang: the oracle is killed after this many seconds. */
#define ORACLE_HANG_SECS 120

struct oracle {
	int ran;                /* the probe ran */
	int looped;             /* more than ORACLE_LOOP_EXECS execs: an exec loop */
	int hung;               /* killed after ORACLE_HANG_SECS */
	int status0;            /* exited 0 (without the probe: env printed the environment) */
	int execs;              /* successful execs seen */
	char exe[4096];
	int argc;
	char *argv[MAXARGS];
	char err[1024];         /* stderr of the oracle/env when it did not run */
};

static void oracle_free(struct oracle *o)
{
	for (int i = 0; i < o->argc && i < MAXARGS; i++)
		free(o->argv[i]);
}

static char *unhex(const char *h)
{
	size_t n = strlen(h) / 2;
	char *s = malloc(n + 1);

	for (size_t i = 0; s && i < n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		s[i] = (char)v;
	}
	if (s)
		s[n] = '\0';
	return s;
}

static volatile sig_atomic_t oracle_alarm;

static void on_alarm(int sig)
{
	(void)sig;
	oracle_alarm = 1;
}

/* The traced child: a private mount namespace with /proc mounted in the
 * root (the probe reads /proc/self/exe), chroot, then execve(2) of the
 * script itself (no execvp fallback to /bin/sh). */
static void __attribute__((noreturn)) oracle_child(const char *root, const char *script,
						    const char *path, int out, int err)
{
	char proc[4200], env0[8192];
	char *argv[2] = { (char *)script, NULL }, *envp[2] = { env0, NULL };
	const char *what = "unshare";

	dup2(out, 1);
	dup2(err, 2);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(env0, sizeof(env0), "PATH=%s", path);
	if (unshare(CLONE_NEWNS) < 0 ||
	    (what = "mount --make-rprivate /", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) < 0 ||
	    (what = "mount proc", mount("proc", proc, "proc", 0, NULL)) < 0 ||
	    (what = "chroot", chroot(root)) < 0 || (what = "chdir /", chdir("/")) < 0 ||
	    (what = "ptrace", ptrace(PTRACE_TRACEME, 0, NULL, NULL)) < 0) {
		dprintf(2, "oracle: %s: %s\n", what, strerror(errno));
		_exit(125);
	}
	raise(SIGSTOP); /* the parent sets the ptrace options */
	execve(script, argv, envp);
	dprintf(2, "execve: %s\n", strerror(errno));
	_exit(126);
}

static void slurp_fd(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

/*
 * Run script (a path in root) in a chroot of root with PATH=path, as the
 * kernel runs it, and record what ran. Exec loops are found by counting
 * execs (PTRACE_O_TRACEEXEC), never by a time limit; ORACLE_HANG_SECS
 * only stops a real hang.
 */
static void run_oracle(const char *root, const char *script, const char *path, struct oracle *o)
{
	char outbuf[16384], *line, *save = NULL;
	FILE *out = tmpfile(), *err = tmpfile();
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART: waitpid sees EINTR */
	int st = 0, started = 0;
	pid_t pid = -1;

	memset(o, 0, sizeof(*o));
	if (!out || !err) {
		snprintf(o->err, sizeof(o->err), "oracle: tmpfile: %s", strerror(errno));
		goto out;
	}
	fflush(stdout);
	if ((pid = fork()) == 0)
		oracle_child(root, script, path, fileno(out), fileno(err));
	if (pid < 0) {
		snprintf(o->err, sizeof(o->err), "oracle: fork: %s", strerror(errno));
		goto out;
	}
	sigaction(SIGALRM, &sa, NULL);
	oracle_alarm = 0;
	alarm(ORACLE_HANG_SECS);
	for (;;) {
		if (waitpid(pid, &st, 0) < 0) {
			if (errno != EINTR)
				break;
			if (oracle_alarm && !o->hung) {
				o->hung = 1;
				kill(pid, SIGKILL);
			}
			continue;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st);
		if (!started && sig == SIGSTOP) {
			started = 1;
			ptrace(PTRACE_SETOPTIONS, pid, NULL,
			       (void *)(long)(PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
			sig = 0;
		} else if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_EXEC) {
			sig = 0;
			if (++o->execs > ORACLE_LOOP_EXECS && !o->looped) {
				o->looped = 1;
				kill(pid, SIGKILL);
			}
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	alarm(0);
	o->status0 = !o->looped && !o->hung && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	slurp_fd(fileno(out), outbuf, sizeof(outbuf));
	for (line = strtok_r(outbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "exe=", 4)) {
			snprintf(o->exe, sizeof(o->exe), "%s", line + 4);
			o->ran = 1;
		} else if (!strncmp(line, "argv=", 5) && o->argc < MAXARGS) {
			o->argv[o->argc++] = unhex(line + 5);
		}
	}
	slurp_fd(fileno(err), o->err, sizeof(o->err));
	o->err[strcspn(o->err, "\n")] = '\0';
out:
	if (out)
		fclose(out);
	if (err)
		fclose(err);
}

/* What the oracle saw go wrong, for messages. */
static const char *oracle_said(const struct oracle *o)
{
	return o->looped ? "exec loop: more than " STR(ORACLE_LOOP_EXECS) " execs" : o->err;
}

static int analyze(const char *root, const char *script, const char *path, struct ocifs_script *s)
{
	char host[4096];
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct stat st;
	int fd, rc;

	t.ctx = (void *)root;
	snprintf(host, sizeof(host), "%s%s", root, script);
	fd = open(host, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		memset(s, 0, sizeof(*s));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	struct ocifs_rd rd = { ocifs_rd_fd_read, &fd, (uint64_t)st.st_size, script, NULL };
	rc = ocifs_script_analyze(&rd, &t, path, s);
	close(fd);
	return rc;
}

static int has(const char *s, const char *w)
{
	return s && strstr(s, w);
}

/* The kind of failure the oracle saw must be the kind we report. */
static int same_failure(const struct oracle *o, const struct ocifs_script *s)
{
	if (!s->error)
		return 0;
	if (o->looped)
		return has(s->error, "exec loop") || has(s->error, "interpreter loop");
	if (o->status0)
		return has(s->error, "prints the environment");
	if (has(o->err, "Too many levels of symbolic links"))
		return has(s->error, "symbolic links") || has(s->error, "nested");
	if (has(o->err, "Exec format error"))
		return has(s->error, "refuses") || has(s->error, "ENOEXEC");
	if (has(o->err, "Permission denied"))
		return has(s->error, "directory") || has(s->error, "regular");
	if (!strncmp(o->err, "/usr/bin/env:", 13) || !strncmp(o->err, "/bin/env:", 9) ||
	    !strncmp(o->err, "env:", 4))
		return !strncmp(s->error, "env", 3);
	if (has(o->err, "No such file or directory"))
		return has(s->error, "not found");
	if (has(o->err, "Not a directory"))
		return has(s->error, "not a directory");
	return 0;
}

/*
 * Compare one script. Direct interpreters: the probe's argv is
 * [interp, arg?, script] (nested: [innermost interp, ..., script]); via
 * env: [program, ...].
 */
static void check_one(const char *root, const char *name, const char *script, const char *path,
		      int verbose)
{
	struct ocifs_script s;
	struct oracle o;
	int rc = analyze(root, script, path, &s);

	run_oracle(root, script, path, &o);
	if (o.hung) {
		ok(0, "%s: the oracle hung (killed after %d s)", name, ORACLE_HANG_SECS);
		goto out;
	}
	if (rc == -EINVAL) {
		ok(0, "%s: not recognised as a script", name);
		goto out;
	}
	is_int(rc, 0, "%s: analyze", name);
	if (verbose || !o.ran != !s.resolved)
		diag("%s: kernel %s exe=%s argc=%d execs=%d err=\"%s\"; ours interp=[%s] arg=[%s] "
		     "program=[%s] resolved=%s rule=%s depth=%d error=%s", name,
		     o.ran ? "ran" : o.looped ? "looped" : "refused", o.exe, o.argc, o.execs,
		     oracle_said(&o), s.interp ? s.interp : "-", s.arg ? s.arg : "-",
		     s.program ? s.program : "-", s.resolved ? s.resolved : "-", s.rule, s.depth,
		     s.error ? s.error : "-");
	if (!strcmp(s.rule, "relative")) {
		/* The kernel resolved it against "/", we report it. */
		ok(!s.resolved && s.interp && (!o.ran || (o.argc >= 1 && (!strcmp(s.interp, o.argv[0]) ||
		   (s.program && !strcmp(s.program, o.argv[0]))))),
		   "%s: relative name reported (kernel %s %s)", name, o.ran ? "ran" : "refused",
		   o.ran ? o.exe : o.err);
		goto out;
	}
	if (!o.ran) {
		ok(!s.resolved && same_failure(&o, &s), "%s: nothing runs, like the kernel (\"%s\" / \"%s\")",
		   name, oracle_said(&o), s.error ? s.error : "no error");
		goto out;
	}
	is_str(s.resolved, o.exe, "%s: resolved as the kernel ran it", name);
	is_str(s.error, NULL, "%s: no error", name);
	if (s.depth == 0 && s.interp && o.argc >= 1) {
		const char *b = strrchr(s.interp, '/');
		if (b && !strcmp(b, "/env")) {
			is_str(s.program, o.argv[0], "%s: env's command", name);
		} else {
			is_str(s.interp, o.argv[0], "%s: interpreter as the kernel split it", name);
			is_str(s.arg, o.argc == 3 ? o.argv[1] : NULL, "%s: argument as the kernel split it",
			       name);
		}
	} else if (s.depth > 0) {
		/* argv is [innermost, ..., script]: the script comes last */
		ok(o.argc >= 2 && !strcmp(o.argv[o.argc - 1], script), "%s: nested argv ends with the script",
		   name);
	}
out:
	oracle_free(&o);
	ocifs_script_fini(&s);
}

/* Analysis of memory buffers: no tree access needed before the split. */
static void check_mem_edges(void)
{
	static const char *const bad[] = { "#!\n", "#! \t \n", "#!\t\t", "#!  \0/bin/sh\n" };
	struct ocifs_tree t = ocifs_tree_hostdir_ops;
	struct ocifs_script s;
	unsigned char big[600];

	t.ctx = (void *)"/nonexistent-root";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ocifs_rd_mem m = { (const unsigned char *)bad[i], strlen(bad[i]) };
		struct ocifs_rd rd = { ocifs_rd_mem_read, &m, m.len, "/x", NULL };
		int rc = ocifs_script_analyze(&rd, &t, NULL, &s);
		ok(rc == 0 && s.error && !s.resolved && !strcmp(s.rule, "not found"),
		   "edge %zu: refused line -> error \"%s\"", i, s.error ? s.error : "");
		ocifs_script_fini(&s);
	}
	struct ocifs_rd_mem cr = { (const unsigned char *)"#!\r\n", 4 };
	struct ocifs_rd crd = { ocifs_rd_mem_read, &cr, 4, "/x", NULL };
	ok(ocifs_script_analyze(&crd, &t, NULL, &s) == 0 && s.interp && !strcmp(s.interp, "\r") &&
	   !strcmp(s.rule, "relative"), "\"#!\\r\\n\": interpreter \"\\r\", relative");
	ocifs_script_fini(&s);
	struct ocifs_rd_mem m = { (const unsigned char *)"ELF", 3 };
	struct ocifs_rd rd = { ocifs_rd_mem_read, &m, 3, "/x", NULL };
	is_int(ocifs_script_analyze(&rd, &t, NULL, &s), -EINVAL, "not a script -> -EINVAL");
	ocifs_script_fini(&s);
	/* Every length of a long line, every byte value at the split points. */
	size_t bad_n = 0;
	for (size_t len = 2; len < sizeof(big); len += 7) {
		for (int v = 0; v < 256; v += 17) {
			memcpy(big, "#!", 2);
			for (size_t k = 2; k < len; k++)
				big[k] = (unsigned char)((k * 31 + (size_t)v) % 7 == 0 ? ' ' : (k % 13 == 0 ? v : 'a'));
			struct ocifs_rd_mem mm = { big, len };
			struct ocifs_rd r2 = { ocifs_rd_mem_read, &mm, len, "/x", NULL };
			bad_n += ocifs_script_analyze(&r2, &t, NULL, &s) != 0;
			ocifs_script_fini(&s);
		}
	}
	is_int(bad_n, 0, "generated long lines analyzed without failure");
}

int main(void)
{
	const char *srcdir = getenv("OCIFS_SRCDIR"), *bdir = getenv("OCIFS_BUILDDIR");
	char root[4096], cmd[8192], line[4096];
	FILE *f;
	int n = 0;

	check_mem_edges();
	if (geteuid() != 0 || system("command -v gcc >/dev/null && command -v python3 >/dev/null && "
				     "test -x /usr/bin/env") != 0) {
		skip("the kernel oracle needs root (chroot, mount), gcc and python3 (mkscript.sh)");
		return done_testing();
	}
	snprintf(root, sizeof(root), "%s/tests/script-root", bdir ? bdir : "/tmp/ocifs-test");
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/gen/mkscript.sh' '%s'", srcdir ? srcdir : ".", root);
	if (!ok(system(cmd) == 0, "mkscript.sh %s", root))
		return done_testing();
	snprintf(cmd, sizeof(cmd), "%s/cases", root);
	f = fopen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char name[256], path[1024], script[512];

		if (sscanf(line, "%255s %1023s", name, path) != 2)
			continue;
		snprintf(script, sizeof(script), "/t/%s", name);
		check_one(root, name, script, strcmp(path, "-") ? path : OCIFS_DEFAULT_PATH, 1);
		n++;
	}
	if (f)
		fclose(f);
	ok(n >= 50, "%d cases run", n);
	snprintf(cmd, sizeof(cmd), "%s/fuzz", root);
	f = fopen(cmd, "r");
	n = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char name[64], script[64];
		int k = atoi(line);

		snprintf(name, sizeof(name), "random %d", k);
		snprintf(script, sizeof(script), "/f/%d", k);
		check_one(root, name, script, OCIFS_DEFAULT_PATH, 0);
		n++;
	}
	if (f)
		fclose(f);
	ok(n >= 100, "%d random lines run", n);
	return done_testing();
}
