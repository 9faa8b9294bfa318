/* SPDX-License-Identifier: MIT */
/*
 * Tracing (DESIGN §11): a process-wide, thread-safe collector of spans
 * -- one per stage (open, verify, index layer N, build view, analyze,
 * catalog, write document) with attributes (bytes, entries, counts) and
 * events (a "skip" event for every candidate file an analysis rejected,
 * with the reason) -- that `--trace FILE` and /.ocifs/trace.json write
 * as OTLP/JSON (scan/trace_otlp.h renders it).
 *
 * Off until ocifs_trace_enable(): then every call below costs one
 * branch (ocifs_trace_on()) and returns. Once on, it stays on. One trace
 * id per process run; span ids are random. Times are unix nanoseconds:
 * CLOCK_REALTIME once at enable, advanced by CLOCK_MONOTONIC after, so a
 * span never ends before it starts.
 *
 * Bounded: at most OCIFS_TRACE_MAX_SPANS spans and OCIFS_TRACE_MAX_EVENTS
 * events are kept; what is dropped beyond is counted and written as
 * attributes of every root span. Strings are copied; bytes that are not
 * valid UTF-8 (paths are untrusted) are escaped as `ls -b` does (esc.h).
 *
 * Spans are handles (ocifs_span, 0 = none); each thread has a current
 * span, the parent of a span begun with parent 0. Everything here is
 * thread-safe (one mutex; nothing is recorded while it is off).
 */
#ifndef OCIFS_SRC_TRACE_H
#define OCIFS_SRC_TRACE_H
#include <stddef.h>
#include <stdint.h>

#define OCIFS_TRACE_MAX_SPANS 100000u
#define OCIFS_TRACE_MAX_EVENTS 1000000u

typedef uint32_t ocifs_span;

extern int ocifs_trace_enabled_;

/** Is the collector on? One relaxed load. */
static inline int ocifs_trace_on(void)
{
	return __atomic_load_n(&ocifs_trace_enabled_, __ATOMIC_RELAXED);
}

/** Turn the collector on (idempotent): 0 or -ENOMEM. */
int ocifs_trace_enable(void);
/** Lower the caps (tests of what they drop); 0 keeps a cap as it is. Call
 *  before anything is recorded. */
void ocifs_trace_set_limits(size_t max_spans, size_t max_events);

/** Begin a span named name under parent (0: the calling thread's
 *  current span, none for a root) and make it the thread's current
 *  span. Returns its handle, 0 when off or when the span cap is reached
 *  (counted; every call below takes 0 and does nothing). */
ocifs_span ocifs_trace_begin(const char *name, ocifs_span parent);
/** The same with a printf-formatted name. */
ocifs_span ocifs_trace_beginf(ocifs_span parent, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** End span s (now); if it is the thread's current span, its parent
 *  becomes current again. */
void ocifs_trace_end(ocifs_span s);
/** The calling thread's current span (0: none). */
ocifs_span ocifs_trace_current(void);
/** Make s the calling thread's current span (worker threads adopt the
 *  span of the stage they work for); returns the previous one. */
ocifs_span ocifs_trace_adopt(ocifs_span s);

/** Attributes of s (a key set twice keeps both: do not). Keys (and
 *  event names below) are static strings: they are not copied. */
void ocifs_trace_str(ocifs_span s, const char *key, const char *val);
void ocifs_trace_int(ocifs_span s, const char *key, int64_t val);
/** Mark s failed (OTLP status code 2) with msg. */
void ocifs_trace_error(ocifs_span s, const char *msg);

/** An event on s named name (now), with up to three string attributes
 *  (keys and values in pairs; a NULL key ends the list early). */
void ocifs_trace_event(ocifs_span s, const char *name, const char *k1, const char *v1,
		       const char *k2, const char *v2, const char *k3, const char *v3);
/** The "skip" event: cataloger (or stage) who looked at path and why it
 *  produced nothing for it. */
static inline void ocifs_trace_skip(ocifs_span s, const char *who, const char *path,
				    const char *reason)
{
	if (ocifs_trace_on())
		ocifs_trace_event(s, "skip", "ocifs.path", path, "ocifs.reason", reason,
				  "ocifs.by", who);
}

/* --- reading it back (the writer) ------------------------------------ */

struct ocifs_trace_attr {
	const char *key;
	int is_int;
	const char *s;          /* !is_int */
	int64_t i;              /* is_int */
};

struct ocifs_trace_ev {
	const char *name;
	int64_t time_ns;
	struct ocifs_trace_attr attrs[3];
	size_t nattrs;
};

struct ocifs_trace_span {
	const char *name;
	unsigned char trace_id[16];
	unsigned char span_id[8];
	unsigned char parent_id[8];
	int has_parent;
	int64_t start_ns, end_ns; /* an open span ends at the last change */
	int open;                 /* not ended yet */
	const struct ocifs_trace_attr *attrs;
	size_t nattrs;
	const struct ocifs_trace_ev *events;
	size_t nevents;
	int error;                /* status: 0 unset, 1 error */
	const char *status_msg;
	uint64_t dropped_spans, dropped_events; /* root spans: what the caps cut */
};

/** Call cb for every span kept, in the order begun, holding the
 *  collector's lock (cb must not call back into it). Stops at and
 *  returns cb's first non-zero return; 0. Nothing when off. */
int ocifs_trace_visit(int (*cb)(void *ctx, const struct ocifs_trace_span *s), void *ctx);

/** A counter that changes whenever anything is recorded (0 when off):
 *  a snapshot of an unchanged trace is the same bytes. */
uint64_t ocifs_trace_generation(void);

#endif
