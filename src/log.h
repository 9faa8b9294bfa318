/* SPDX-License-Identifier: MIT */
/*
 * Logging: one sink for the whole program. Levels are checked before the
 * arguments are evaluated, so log_dbg() on a hot path costs one compare.
 * Messages are single lines prefixed with "ocifs: ". Thread-safe.
 */
#ifndef OCIFS_SRC_LOG_H
#define OCIFS_SRC_LOG_H

enum ocifs_log_level {
	OCIFS_LOG_ERR = 0,
	OCIFS_LOG_WARN = 1,
	OCIFS_LOG_INFO = 2,
	OCIFS_LOG_DBG = 3,
};

/* Current threshold; set once at start-up (-v, -q, -d) before threads exist. */
extern enum ocifs_log_level ocifs_log_threshold;

void ocifs_log_set_syslog(int on);

/*
 * Holding errors: while a thread has a hold attached, its error messages
 * are kept (the first one) instead of printed, so a caller that learns
 * the real cause later can print that one line instead. Several threads
 * may attach the same hold.
 */
struct ocifs_log_hold {
	char msg[1024];
	int have;       /* protected by the log's internal lock */
};
void ocifs_log_hold_attach(struct ocifs_log_hold *h); /* NULL detaches */
/** Detach and print the held message, if any and if print is set,
 *  prefixed with "prefix: " unless it already mentions prefix. */
void ocifs_log_hold_release(struct ocifs_log_hold *h, int print, const char *prefix);
void ocifs_log_write(enum ocifs_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define OCIFS_LOG(lvl, ...)                                 \
	do {                                                \
		if ((lvl) <= ocifs_log_threshold)           \
			ocifs_log_write((lvl), __VA_ARGS__); \
	} while (0)

#define log_err(...) OCIFS_LOG(OCIFS_LOG_ERR, __VA_ARGS__)
#define log_warn(...) OCIFS_LOG(OCIFS_LOG_WARN, __VA_ARGS__)
#define log_info(...) OCIFS_LOG(OCIFS_LOG_INFO, __VA_ARGS__)
#define log_dbg(...) OCIFS_LOG(OCIFS_LOG_DBG, __VA_ARGS__)

#endif
