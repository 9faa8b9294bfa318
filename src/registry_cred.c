/* SPDX-License-Identifier: MIT */
/*
 * One credential helper run, as docker and containers/image run them
 * (the protocol of docker/docker-credential-helpers): the program
 * `docker-credential-NAME get` found in PATH (posix_spawnp, no shell),
 * the server name on its stdin, a JSON {"ServerURL","Username","Secret"}
 * on its stdout; exit status non-zero with "credentials not found in
 * native keychain" means it has none. Its answer is bounded in size and
 * in time (the timeout only catches a hang: a helper may unlock a
 * keyring first). Which helper to ask, and when, is registry_auth.c's.
 * Hand-written: the protocol is two pipes and three JSON fields, and no
 * C library implements it.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "registry_priv.h"

extern char **environ;

#define CRED_ERR_KEEP 512   /* bytes of its stderr kept for a message */
#define CRED_NOT_FOUND "credentials not found in native keychain"

/* The timeout in seconds: REG_CRED_TIMEOUT_S, or $OCIFS_CRED_HELPER_TIMEOUT
 * (tests set a few seconds, so a hung helper does not take a minute). */
static unsigned cred_timeout(void)
{
	const char *e = getenv("OCIFS_CRED_HELPER_TIMEOUT");
	char *end;
	unsigned long v;

	if (!e || !*e)
		return REG_CRED_TIMEOUT_S;
	v = strtoul(e, &end, 10);
	return *end || v == 0 || v > 3600 ? REG_CRED_TIMEOUT_S : (unsigned)v;
}

/* What a run of the helper gave: its stdout (NUL-terminated), the start
 * of its stderr, how it ended. */
struct cred_run {
	char *out;
	size_t len;
	char err[CRED_ERR_KEEP + 1];
	size_t errlen;
	int status;             /* waitpid's */
	int too_big, timed_out;
};

/* Read both pipes until EOF on both, the deadline, or too much output. */
static int cred_read(int ofd, int efd, double deadline, struct cred_run *cr)
{
	size_t cap = 0;
	int open_o = 1, open_e = 1;

	while (open_o || open_e) {
		struct pollfd pf[2] = { { ofd, POLLIN, 0 }, { efd, POLLIN, 0 } };
		double left = deadline - ocifs_now();
		int n;

		if (left <= 0) {
			cr->timed_out = 1;
			return 0;
		}
		pf[0].fd = open_o ? ofd : -1;
		pf[1].fd = open_e ? efd : -1;
		n = poll(pf, 2, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (open_o && pf[0].revents) {
			char *nb;
			ssize_t k;

			if (cap - cr->len < 4096) {
				cap = cap ? cap * 2 : 8192;
				nb = malloc(cap);
				if (!nb)
					return -ENOMEM;
				if (cr->out) {
					memcpy(nb, cr->out, cr->len);
					OPENSSL_cleanse(cr->out, cr->len);
					free(cr->out);
				}
				cr->out = nb;
			}
			k = read(ofd, cr->out + cr->len, cap - cr->len - 1);
			if (k < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			if (k == 0)
				open_o = 0;
			if (k > 0)
				cr->len += (size_t)k;
			cr->out[cr->len] = 0;
			if (cr->len > REG_CRED_MAX) {
				cr->too_big = 1;
				return 0;
			}
		}
		if (open_e && pf[1].revents) {
			char buf[4096];
			ssize_t k = read(efd, buf, sizeof(buf));

			if (k < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			if (k == 0)
				open_e = 0;
			for (ssize_t i = 0; i < k && cr->errlen < CRED_ERR_KEEP; i++)
				cr->err[cr->errlen++] = buf[i];
			cr->err[cr->errlen] = 0;
		}
	}
	return 0;
}

/* Wait for pid until the deadline (unless force); then kill its
 * process group. */
static void cred_reap(pid_t pid, double deadline, struct cred_run *cr, int force)
{
	while (!force && !cr->timed_out && !cr->too_big) {
		pid_t w = waitpid(pid, &cr->status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			return;
		if (ocifs_now() >= deadline) {
			cr->timed_out = 1;
			break;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	kill(-pid, SIGKILL); /* its own group: a script's children too */
	kill(pid, SIGKILL);
	while (waitpid(pid, &cr->status, 0) < 0 && errno == EINTR)
		;
}

/* Run prog get with server on stdin. 0 (cr filled) or -errno (spawn). */
static int cred_spawn(const char *prog, const char *server, unsigned timeout,
		      struct cred_run *cr)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;
	char *argv[] = { (char *)prog, (char *)"get", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	double deadline = ocifs_now() + timeout;
	pid_t pid;

	/* stdin a socket, so a helper gone before reading it costs a
	 * send error (MSG_NOSIGNAL), not a SIGPIPE to the whole process. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[1], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	rc = -posix_spawnp(&pid, prog, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[1]);
	close(out[1]);
	close(err[1]);
	in[1] = out[1] = err[1] = -1;
	if (rc < 0)
		goto out;
	/* As docker sends it: the name alone, no newline. A helper that
	 * exits without reading it is judged by its answer. */
	(void)!send(in[0], server, strlen(server), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(in[0]);
	in[0] = -1;
	rc = cred_read(out[0], err[0], deadline, cr);
	cred_reap(pid, deadline, cr, rc < 0);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return rc;
}

/* The first line of s, printable, at most 200 bytes, into buf. */
static const char *first_line(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	for (; *s && *s != '\n' && *s != '\r' && n + 1 < size && n < 200; s++)
		buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[n] = 0;
	return buf;
}

/* Is the helper's answer the not-found message (surrounding blanks aside)? */
static int cred_not_found(const struct cred_run *cr)
{
	const char *s = cr->out ? cr->out : "";
	size_t n = strlen(CRED_NOT_FOUND);

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (strncmp(s, CRED_NOT_FOUND, n))
		return 0;
	for (s += n; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* The answer's string field key, or NULL. */
static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int reg_cred_helper_get(const char *regname, const char *helper, const char *from,
			const char *server, char **user, char **secret)
{
	struct cred_run cr = { 0 };
	unsigned timeout = cred_timeout();
	char prog[256], line[256];
	json_object *root = NULL;
	const char *u, *s;
	int rc;

	*user = *secret = NULL;
	if (!*helper || strchr(helper, '/') ||
	    (size_t)snprintf(prog, sizeof(prog), "docker-credential-%s", helper) >= sizeof(prog)) {
		log_err("registry %s: %s: \"%s\" is not a credential helper name", regname, from,
			helper);
		return -EACCES;
	}
	log_dbg("registry %s: asking %s (%s) for %s", regname, prog, from, server);
	rc = cred_spawn(prog, server, timeout, &cr);
	/* Where posix_spawnp forks and the exec fails (valgrind, old libcs),
	 * the child exits 127 without a word, as a shell would. */
	if (rc == 0 && !cr.timed_out && !cr.too_big && WIFEXITED(cr.status) &&
	    WEXITSTATUS(cr.status) == 127 && !cr.len && !cr.errlen)
		rc = -ENOENT;
	if (rc == -ENOENT) {
		log_err("registry %s: credential helper %s (%s): not found in PATH", regname, prog,
			from);
		rc = -EACCES;
		goto out;
	}
	if (rc < 0) {
		log_err("registry %s: credential helper %s (%s): cannot run it: %s", regname, prog,
			from, strerror(-rc));
		rc = -EACCES;
		goto out;
	}
	rc = -EACCES;
	if (cr.timed_out) {
		log_err("registry %s: credential helper %s (%s): no answer for %s within %u s "
			"(killed)", regname, prog, from, server, timeout);
		goto out;
	}
	if (cr.too_big) {
		log_err("registry %s: credential helper %s (%s): an answer larger than %u bytes "
			"(killed)", regname, prog, from, REG_CRED_MAX);
		goto out;
	}
	if (WIFSIGNALED(cr.status)) {
		log_err("registry %s: credential helper %s (%s) for %s: killed by signal %d%s%s",
			regname, prog, from, server, WTERMSIG(cr.status), cr.errlen ? ": " : "",
			first_line(cr.err, line, sizeof(line)));
		goto out;
	}
	if (WEXITSTATUS(cr.status) != 0) {
		if (cred_not_found(&cr)) {
			log_dbg("registry %s: %s has no credentials for %s", regname, prog, server);
			rc = 0;
			goto out;
		}
		/* Its stdout holds its error message (the helpers print it
		 * there), else its stderr may. */
		first_line(cr.out ? cr.out : "", line, sizeof(line));
		if (!*line)
			first_line(cr.err, line, sizeof(line));
		log_err("registry %s: credential helper %s (%s) for %s: exit status %d%s%s", regname,
			prog, from, server, WEXITSTATUS(cr.status), *line ? ": " : "", line);
		goto out;
	}
	/* Never echo the answer: it holds the secret. */
	root = cr.out ? json_tokener_parse(cr.out) : NULL;
	u = root ? jstr(root, "Username") : NULL;
	s = root ? jstr(root, "Secret") : NULL;
	if (!u || !s) {
		log_err("registry %s: credential helper %s (%s) for %s: its answer is not a JSON "
			"object with \"Username\" and \"Secret\" strings", regname, prog, from,
			server);
		goto out;
	}
	if (!*u && !*s) {
		log_dbg("registry %s: %s answered empty credentials for %s", regname, prog, server);
		rc = 0;
		goto out;
	}
	*secret = strdup(s);
	if (strcmp(u, "<token>"))
		*user = strdup(u);
	rc = *secret && (*user || !strcmp(u, "<token>")) ? 1 : -ENOMEM;
	if (rc < 0) {
		free(*user);
		free(*secret);
		*user = *secret = NULL;
	}
out:
	if (root)
		json_object_put(root);
	if (cr.out) {
		OPENSSL_cleanse(cr.out, cr.len);
		free(cr.out);
	}
	return rc;
}
