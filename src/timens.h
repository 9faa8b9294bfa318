/* SPDX-License-Identifier: MIT */
/*
 * Timestamps as int64 nanoseconds since the epoch (what the index, the
 * view and stat carry). Tar and PAX mtimes range over int64 *seconds*, so
 * the conversion saturates: anything before 1677-09-21 or after 2262-04-11
 * becomes INT64_MIN / INT64_MAX ns instead of overflowing (undefined
 * behaviour, and a wrapped value that shows as some date near 1970).
 */
#ifndef OCIFS_SRC_TIMENS_H
#define OCIFS_SRC_TIMENS_H
#include <stdint.h>

#define OCIFS_NS_PER_SEC 1000000000

/** sec seconds + nsec (0..999999999) nanoseconds, saturated to int64. */
static inline int64_t ocifs_ns_from_sec(int64_t sec, int64_t nsec)
{
	int64_t r;

	if (__builtin_mul_overflow(sec, (int64_t)OCIFS_NS_PER_SEC, &r))
		return sec < 0 ? INT64_MIN : INT64_MAX;
	if (__builtin_add_overflow(r, nsec, &r))
		return nsec < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

/** Split ns into seconds (rounded down) and 0..999999999 nanoseconds, as
 *  struct timespec wants them; exact for every int64 including INT64_MIN. */
static inline void ocifs_ns_split(int64_t ns, int64_t *sec, long *nsec)
{
	*sec = ns / OCIFS_NS_PER_SEC;
	*nsec = (long)(ns % OCIFS_NS_PER_SEC);
	if (*nsec < 0) {
		*nsec += OCIFS_NS_PER_SEC;
		(*sec)--;
	}
}

#endif
