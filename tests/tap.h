/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for C unit tests (read by automake's
 * tap-driver.sh). Checks never abort, so one run reports every failure,
 * and nothing depends on NDEBUG.
 */
#ifndef OCIFS_TESTS_TAP_H
#define OCIFS_TESTS_TAP_H
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int tap_n, tap_failed;

static inline void __attribute__((format(printf, 2, 0))) tap_vok(int cond, const char *fmt, va_list ap)
{
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
}

static inline int __attribute__((format(printf, 2, 3))) ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define is_int(got, want, ...)                                                   \
	do {                                                                     \
		long long g_ = (long long)(got), w_ = (long long)(want);        \
		if (!ok(g_ == w_, __VA_ARGS__))                                  \
			diag("  got %lld, want %lld (%s:%d)", g_, w_, __FILE__, \
			     __LINE__);                                          \
	} while (0)

#define is_str(got, want, ...)                                                  \
	do {                                                                    \
		const char *g_ = (got), *w_ = (want);                          \
		int eq_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;         \
		if (!ok(eq_, __VA_ARGS__))                                      \
			diag("  got \"%s\", want \"%s\" (%s:%d)", g_ ? g_ : "(null)", \
			     w_ ? w_ : "(null)", __FILE__, __LINE__);           \
	} while (0)

#define is_mem(got, want, len, ...)                                             \
	do {                                                                    \
		if (!ok(memcmp((got), (want), (len)) == 0, __VA_ARGS__))        \
			diag("  bytes differ (%s:%d)", __FILE__, __LINE__);     \
	} while (0)

/* In CI (CI=true) a skip is a failure: the environment must provide the
 * tool. Outside CI a missing tool skips. */
static inline int tap_in_ci(void)
{
	const char *ci = getenv("CI");
	return ci && strcmp(ci, "true") == 0;
}

/* Skip one check because a tool or an input is missing: "ok N # SKIP
 * WHY" (WHY is the format); under CI=true that is "not ok N - WHY (skips
 * are failures under CI=true)": CI must provide everything. */
static inline void __attribute__((format(printf, 1, 2))) skip(const char *fmt, ...)
{
	va_list ap;

	if (tap_in_ci())
		printf("not ok %d - ", ++tap_n);
	else
		printf("ok %d # SKIP ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s\n", tap_in_ci() ? " (skips are failures under CI=true)" : "");
	fflush(stdout);
	if (tap_in_ci())
		tap_failed++;
}

/*
 * The one skip CI=true allows: the running kernel lacks a feature the
 * check needs, as a probe just found by asking the kernel (e.g. execve of
 * a trivial 32-bit program failed with ENOEXEC). No package can install
 * that, so it is not a defect of the environment CI sets up. `kernel`
 * names the feature and the kernel's answer, e.g. "kernel cannot execute
 * 32-bit programs (ENOEXEC)", and becomes the reason on the TAP line:
 * "ok N - DESC # SKIP kernel cannot ...". Never use it for a missing
 * tool, package, file or privilege: those are skip().
 */
static inline void __attribute__((format(printf, 2, 3)))
skip_kernel(const char *kernel, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", kernel);
	fflush(stdout);
}

/* The whole file at path, malloc'd (*len bytes), or NULL. */
static inline void *tap_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = buf ? (size_t)n : 0;
	}
	fclose(f);
	return buf;
}

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Run a shell command built like printf: its exit status, or -1 if it
 * did not exit normally. */
static inline int tap_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int tap_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run cmd (sh -c) and return its whole standard output, malloc'd and
 * NUL-terminated (NULL if it could not run or memory ran out); *status
 * (may be NULL) gets its exit status, or -1. */
static inline char *tap_run(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if (status)
		*status = -1;
	if (!f)
		return NULL;
	do {
		if (len + 65536 + 1 > cap) {
			char *nb = realloc(buf, cap = len + 65536 + 1);
			if (!nb)
				break;
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (buf)
		buf[len] = '\0';
	rc = pclose(f);
	if (status)
		*status = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return buf;
}

/* The dir whose rootfs/ is the Debian root of tests/lib.sh's debian_root
 * (built once per build tree, under its lock, the first time any test
 * asks): 0 and buf, or -1 (not root, no OCIFS_SRCDIR, or the build
 * failed). */
static inline int tap_debian_root(char *buf, size_t n)
{
	char *out;
	size_t got;
	int st;

	if (geteuid() != 0 || !getenv("OCIFS_SRCDIR") || n < 2)
		return -1;
	out = tap_run("sh -c '. \"$OCIFS_SRCDIR/tests/lib.sh\" >/dev/null 2>&1 && debian_root'", &st);
	got = out ? strcspn(out, "\r\n") : 0;
	if (st != 0 || !got || got >= n) {
		free(out);
		return -1;
	}
	memcpy(buf, out, got);
	buf[got] = 0;
	free(out);
	return 0;
}

/* Append one ustar member to t: a header (owner 0:0, mtime given), then n
 * bytes of data padded to 512; link is the target of a hard ('1') or
 * symbolic ('2') link, else NULL. Tests build small layers with it. */
static inline void tap_tar_member(FILE *t, const char *name, char type, unsigned mode,
				  unsigned mtime, const char *link, const void *data, size_t n)
{
	static const char zero[512];
	unsigned char h[512] = { 0 };
	char size[32];
	unsigned sum = 0;

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", mode);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf(size, sizeof(size), "%011zo", n); /* < 8 GiB: 11 digits and NUL */
	memcpy(h + 124, size, 12);
	snprintf((char *)h + 136, 12, "%011o", mtime);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, 512, t);
	if (n)
		fwrite(data, 1, n, t);
	fwrite(zero, 1, (512 - n % 512) % 512, t);
}

#endif
