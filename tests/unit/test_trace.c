/* SPDX-License-Identifier: MIT */
/*
 * The span collector (src/trace.c) and its OTLP/JSON (scan/trace_otlp.c),
 * read back with json-c: off costs nothing and records nothing; parents
 * (explicit, the thread's current span, restored at end); spans and
 * events from several threads at once all kept with distinct ids; the
 * caps drop and count; bytes that are not UTF-8 come out escaped and
 * valid; 64-bit values as decimal strings; an open span ends at the last
 * change; an unchanged trace renders to the same bytes.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tap.h"
#include "trace.h"
#include "trace_otlp.h"

#define THREADS 4
#define PER_THREAD 500

static json_object *spans(json_object **doc)
{
	char *buf = NULL;
	size_t len = 0;
	json_object *rs, *ss, *sp;

	if (ocifs_trace_otlp(&buf, &len))
		return NULL;
	*doc = json_tokener_parse(buf);
	free(buf);
	if (!*doc || !json_object_object_get_ex(*doc, "resourceSpans", &rs) ||
	    !json_object_object_get_ex(json_object_array_get_idx(rs, 0), "scopeSpans", &ss) ||
	    !json_object_object_get_ex(json_object_array_get_idx(ss, 0), "spans", &sp))
		return NULL;
	return sp;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* The span named name, or NULL. */
static json_object *find(json_object *sp, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(sp); i++)
		if (!strcmp(str(json_object_array_get_idx(sp, i), "name"), name))
			return json_object_array_get_idx(sp, i);
	return NULL;
}

/* The value object of attribute key of span s, or NULL. */
static json_object *attr(json_object *s, const char *key)
{
	json_object *a, *v;

	if (!json_object_object_get_ex(s, "attributes", &a))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i);
		if (!strcmp(str(x, "key"), key) && json_object_object_get_ex(x, "value", &v))
			return v;
	}
	return NULL;
}

static void *worker(void *arg)
{
	ocifs_span parent = (ocifs_span)(uintptr_t)arg;

	for (int i = 0; i < PER_THREAD; i++) {
		ocifs_span s = ocifs_trace_beginf(parent, "w%d", i);
		ocifs_trace_int(s, "ocifs.i", i);
		ocifs_trace_skip(s, "test", "/x", "why");
		ocifs_trace_end(s);
	}
	return NULL;
}

int main(void)
{
	json_object *doc = NULL, *sp, *s;
	pthread_t t[THREADS];

	/* off: nothing is recorded, nothing breaks */
	ok(!ocifs_trace_on(), "off until enabled");
	ok(ocifs_trace_begin("ignored", 0) == 0, "begin while off returns 0");
	ocifs_trace_str(0, "k", "v");
	ocifs_trace_end(0);

	ocifs_trace_set_limits(3 + THREADS * PER_THREAD, THREADS * PER_THREAD + 1);
	ok(ocifs_trace_enable() == 0 && ocifs_trace_on(), "enable");
	ocifs_span root = ocifs_trace_begin("root", 0);
	ok(ocifs_trace_current() == root, "a span becomes the thread's current span");
	ocifs_span child = ocifs_trace_begin("child", 0);
	ocifs_trace_int(child, "ocifs.big", INT64_MAX);
	ocifs_trace_str(child, "ocifs.name", "bad\377\376name");
	ocifs_trace_end(child);
	ok(ocifs_trace_current() == root, "ending a span makes its parent current again");
	ocifs_span open = ocifs_trace_begin("open", root);

	for (int k = 0; k < THREADS; k++)
		pthread_create(&t[k], NULL, worker, (void *)(uintptr_t)root);
	for (int k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	/* one span and one event past the caps: dropped and counted */
	ok(ocifs_trace_begin("one too many", root) == 0, "a span past the cap is not begun");
	ocifs_trace_skip(root, "test", "/a", "kept");
	ocifs_trace_skip(root, "test", "/b", "dropped");
	ocifs_trace_end(root);

	sp = spans(&doc);
	ok(sp != NULL, "the OTLP/JSON parses");
	size_t n = sp ? json_object_array_length(sp) : 0;
	is_int((long long)n, 3 + THREADS * PER_THREAD, "every span kept (%zu)", n);
	/* distinct span ids, one trace id, parents that exist */
	int dup = 0, orphan = 0, trace_ids = 0;
	const char *tid = n ? str(json_object_array_get_idx(sp, 0), "traceId") : "";
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(sp, i);
		const char *id = str(x, "spanId"), *par = str(x, "parentSpanId");
		int found = !*par;
		trace_ids += strcmp(str(x, "traceId"), tid) != 0;
		for (size_t k = 0; k < n; k++) {
			const char *o = str(json_object_array_get_idx(sp, k), "spanId");
			dup += k != i && !strcmp(o, id);
			found |= !strcmp(o, par);
		}
		orphan += !found;
	}
	ok(!dup && !orphan && !trace_ids && strlen(tid) == 32,
	   "distinct span ids, parents that exist, one 32-hex trace id");
	s = sp ? find(sp, "child") : NULL;
	ok(s && attr(s, "ocifs.big") &&
		   !strcmp(str(attr(s, "ocifs.big"), "intValue"), "9223372036854775807"),
	   "an int64 is a decimal string");
	ok(s && attr(s, "ocifs.name") &&
		   !strcmp(str(attr(s, "ocifs.name"), "stringValue"), "bad\\377\\376name"),
	   "bytes that are not UTF-8 are escaped");
	ok(s && !strcmp(str(s, "parentSpanId"), str(find(sp, "root"), "spanId")),
	   "the thread's current span is the parent");
	s = sp ? find(sp, "w7") : NULL;
	ok(s && !strcmp(str(s, "parentSpanId"), str(find(sp, "root"), "spanId")),
	   "an explicit parent from another thread");
	s = sp ? find(sp, "root") : NULL;
	ok(s && attr(s, "ocifs.trace.dropped_events") &&
		   !strcmp(str(attr(s, "ocifs.trace.dropped_events"), "intValue"), "1"),
	   "the event past the cap is dropped and counted on the root span");
	ok(s && attr(s, "ocifs.trace.dropped_spans") &&
		   !strcmp(str(attr(s, "ocifs.trace.dropped_spans"), "intValue"), "1"),
	   "the span past the cap is counted on the root span");
	s = sp ? find(sp, "open") : NULL;
	ok(s && attr(s, "ocifs.open") &&
		   strtoull(str(s, "endTimeUnixNano"), NULL, 10) >=
			   strtoull(str(s, "startTimeUnixNano"), NULL, 10),
	   "an open span is marked open and ends at the last change");
	json_object_put(doc);

	/* unchanged: the same bytes; changed: a new generation */
	char *a = NULL, *b = NULL;
	size_t al, bl;
	uint64_t g = ocifs_trace_generation();
	ocifs_trace_otlp(&a, &al);
	ocifs_trace_otlp(&b, &bl);
	ok(a && b && al == bl && !memcmp(a, b, al) && g == ocifs_trace_generation(),
	   "an unchanged trace renders to the same bytes");
	ocifs_trace_end(open);
	ok(ocifs_trace_generation() != g, "ending a span changes the generation");
	free(a);
	free(b);
	return done_testing();
}
