/* SPDX-License-Identifier: MIT */
/*
 * A one-line progress bar on a terminal (bytes, percentage, rate, ETA),
 * redrawn at most ten times a second. Silent when stderr is not a tty;
 * Unicode blocks when the locale is UTF-8, else ASCII.
 */
#ifndef OCIFS_SRC_PROGRESS_H
#define OCIFS_SRC_PROGRESS_H
#include <stdint.h>

#include "clock.h" /* ocifs_now */

struct ocifs_progress {
	int on;                 /* stderr is a terminal */
	double t0, last_draw;   /* seconds, CLOCK_MONOTONIC */
	uint64_t base;          /* bytes of earlier items */
	uint64_t grand_total;   /* all items, 0 if unknown */
	int drawn;
	int utf8;               /* the locale's codeset is UTF-8 */
};

/** Is the environment's LC_CTYPE codeset UTF-8 (LC_ALL, LC_CTYPE, LANG)? */
int ocifs_locale_is_utf8(void);

void ocifs_progress_init(struct ocifs_progress *p, uint64_t grand_total);
/** `done` bytes of the current item, whose own bytes start at base. */
void ocifs_progress_update(struct ocifs_progress *p, const char *label, uint64_t done);
/** Item finished: add its size to the base. */
void ocifs_progress_next(struct ocifs_progress *p, uint64_t item_bytes);
/** Clear the line. */
void ocifs_progress_end(struct ocifs_progress *p);
/** Human size into buf ("12.3 MiB"). */
const char *ocifs_human(uint64_t n, char buf[16]);

#endif
