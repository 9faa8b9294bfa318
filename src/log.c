/* SPDX-License-Identifier: MIT */
/*
 * The log sink: stderr in the foreground, syslog once daemonized. Each
 * message is formatted into a stack buffer and written with one call so
 * lines from different threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

enum ocifs_log_level ocifs_log_threshold = OCIFS_LOG_WARN;
static int log_to_syslog;

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
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
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
