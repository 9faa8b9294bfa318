/* SPDX-License-Identifier: MIT */
/*
 * The trace (src/trace.h) as OTLP/JSON, the shape OpenTelemetry's
 * collector file exporter writes and trace viewers load:
 *
 *   {"resourceSpans": [{"resource": {"attributes": [service.name ...]},
 *     "scopeSpans": [{"scope": {"name": "ocifs", "version": V},
 *       "spans": [{"traceId", "spanId", "parentSpanId", "name", "kind",
 *                  "startTimeUnixNano", "endTimeUnixNano", "attributes",
 *                  "events", "status"}, ...]}]}]}
 *
 * Per the OTLP/JSON encoding: ids are lowercase hex strings (32 and 16
 * digits; parentSpanId "" for a root), 64-bit integers (times and
 * intValue) are decimal strings, enums (kind, status code) integers.
 * Valid UTF-8 throughout (the collector cleaned every string it kept).
 */
#ifndef OCIFS_SCAN_TRACE_OTLP_H
#define OCIFS_SCAN_TRACE_OTLP_H
#include <stddef.h>

/** The trace so far as OTLP/JSON: 0 and *buf malloc'd (NUL-terminated,
 *  *len without it), or -ENOMEM. An empty spans array when tracing is
 *  off. Thread-safe. */
int ocifs_trace_otlp(char **buf, size_t *len);

/** Write the trace so far to path (temp file + rename beside it): 0, or
 *  a negative errno (logged, naming path). */
int ocifs_trace_otlp_write(const char *path);

#endif
