/* SPDX-License-Identifier: MIT */
/*
 * The log sink: stderr in the foreground, syslog once daemonized. Each
 * message is formatted into a stack buffer and written with one call so
 * lines from different threads never interleave.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"

enum ocifs_log_level ocifs_log_threshold = OCIFS_LOG_WARN;
static int log_to_syslog;
static _Thread_local struct ocifs_log_hold *log_hold;
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;

void ocifs_log_hold_attach(struct ocifs_log_hold *h)
{
	log_hold = h;
}

void ocifs_log_hold_release(struct ocifs_log_hold *h, int print, const char *prefix)
{
	log_hold = NULL;
	if (print && h->have) {
		if (prefix && !strstr(h->msg, prefix))
			ocifs_log_write(OCIFS_LOG_ERR, "%s: %s", prefix, h->msg);
		else
			ocifs_log_write(OCIFS_LOG_ERR, "%s", h->msg);
	}
	h->have = 0;
}

void ocifs_log_set_syslog(int on)
{
	log_to_syslog = on;
	if (on)
		openlog("ocifs", LOG_PID, LOG_DAEMON);
}

/*
 * A message is one line of text. Callers escape the names they embed
 * (esc.h); a control byte that still gets here (a name nobody escaped, a
 * library's message) is written as \n, \033, ... so it can neither drive
 * the terminal nor forge a second line. Backslashes and UTF-8 stay as
 * they are, except the messages' own ellipsis ("sha256:ab…"), written
 * "..." where the locale is not UTF-8 (ascii). Writes at most cap - 1
 * bytes and a NUL.
 */
static void log_defuse(char *dst, size_t cap, const char *src, int ascii)
{
	static const char ctl[] = "abtnvfr"; /* \a (7) .. \r (13) */
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p && o + 4 < cap; p++) {
		if (ascii && p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xa6) {
			memcpy(dst + o, "...", 3);
			o += 3;
			p += 2;
		} else if (*p >= 0x20 && *p != 0x7f) {
			dst[o++] = (char)*p;
		} else if (*p >= 7 && *p <= 13) {
			dst[o++] = '\\';
			dst[o++] = ctl[*p - 7];
		} else {
			o += (size_t)snprintf(dst + o, cap - o, "\\%03o", *p);
		}
	}
	dst[o] = '\0';
}

void ocifs_log_write(enum ocifs_log_level lvl, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "", "warning: ", "", "debug: " };
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (lvl == OCIFS_LOG_ERR && log_hold) {
		pthread_mutex_lock(&hold_lock);
		if (!log_hold->have) {
			size_t k = strnlen(line, sizeof(log_hold->msg) - 1);
			memcpy(log_hold->msg, line, k);
			log_hold->msg[k] = '\0';
			log_hold->have = 1;
		}
		pthread_mutex_unlock(&hold_lock);
		return;
	}
	char safe[4 * sizeof(line)];
	log_defuse(safe, sizeof(safe), line, !ocifs_locale_is_utf8());
	if (log_to_syslog) {
		syslog(prio[lvl], "%s", safe);
		return;
	}
	char out[sizeof(safe) + 32];
	int m = snprintf(out, sizeof(out), "ocifs: %s%s\n", tag[lvl], safe);
	if (m > 0) {
		ssize_t w = write(STDERR_FILENO, out, (size_t)m < sizeof(out) ? (size_t)m : sizeof(out) - 1);
		(void)w;
	}
}
