/* SPDX-License-Identifier: MIT */
/*
 * The one monotonic clock of ocifs: seconds since an arbitrary start,
 * for durations and deadlines (progress rates, build times, the /.deps
 * timeout). Never for timestamps written anywhere.
 */
#ifndef OCIFS_SRC_CLOCK_H
#define OCIFS_SRC_CLOCK_H
#include <stdint.h>
#include <time.h>

/** CLOCK_MONOTONIC in seconds. Thread-safe, async-signal-safe. */
static inline double ocifs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** CLOCK_MONOTONIC in nanoseconds (for deadlines compared as integers,
 *  e.g. fs/virt.c's build waits). */
static inline int64_t ocifs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
