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
	if (log_to_syslog) {
		syslog(prio[lvl], "%s", line);
		return;
	}
	char out[2100];
	int m = snprintf(out, sizeof(out), "ocifs: %s%s\n", tag[lvl], line);
	if (m > 0) {
		ssize_t w = write(STDERR_FILENO, out, (size_t)m < sizeof(out) ? (size_t)m : sizeof(out) - 1);
		(void)w;
	}
}
