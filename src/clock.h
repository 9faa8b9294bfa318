/* SPDX-License-Identifier: MIT */
/*
 * The one monotonic clock of ocifs: seconds since an arbitrary start,
 * for durations and deadlines (progress rates, build times, the /.deps
 * timeout). Never for timestamps written anywhere.
 */
#ifndef OCIFS_SRC_CLOCK_H
#define OCIFS_SRC_CLOCK_H
#include <time.h>

/** CLOCK_MONOTONIC in seconds. Thread-safe, async-signal-safe. */
static inline double ocifs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
