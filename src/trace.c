/* SPDX-License-Identifier: MIT */
/*
 * The span collector (trace.h): spans in one array under one mutex,
 * each with its attributes and events; ids from a generator seeded by
 * getrandom(); times from one realtime stamp advanced by the monotonic
 * clock; caps on spans and events, with what they cut counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "esc.h"
#include "trace.h"

int ocifs_trace_enabled_;

struct span {
	char *name;
	unsigned char id[8];
	ocifs_span parent;      /* handle, 0 none */
	int64_t start, end;     /* end 0: open */
	struct ocifs_trace_attr *attrs;
	size_t nattrs, acap;
	struct ocifs_trace_ev *evs;
	size_t nevs, ecap;
	int error;
	char *status_msg;
};

static struct {
	pthread_mutex_t lock;
	unsigned char trace_id[16];
	uint64_t rng;           /* xorshift64* state */
	int64_t real0, mono0;   /* the clocks at enable */
	struct span *v;         /* handle h is v[h - 1] */
	size_t n, cap;
	size_t events;          /* kept, all spans */
	uint64_t dropped_spans, dropped_events;
	uint64_t gen;
	int64_t last;           /* time of the last change */
	size_t max_spans, max_events;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER, .max_spans = OCIFS_TRACE_MAX_SPANS,
	.max_events = OCIFS_TRACE_MAX_EVENTS };

static _Thread_local ocifs_span cur;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Unix nanoseconds, never going back. */
static int64_t now_ns(void)
{
	return T.real0 + (mono_ns() - T.mono0);
}

static uint64_t rng_next(void)
{
	uint64_t x = T.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	T.rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int ocifs_trace_enable(void)
{
	struct timespec ts;
	uint64_t seed = 0;

	pthread_mutex_lock(&T.lock);
	if (T.real0) {
		pthread_mutex_unlock(&T.lock);
		return 0;
	}
	if (getrandom(T.trace_id, sizeof(T.trace_id), GRND_NONBLOCK) != (ssize_t)sizeof(T.trace_id) ||
	    getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		/* no entropy yet: time and pid make a run's ids distinct */
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
		       ((uint64_t)getpid() << 32);
		T.rng = seed | 1;
		for (size_t i = 0; i < sizeof(T.trace_id); i += 8) {
			uint64_t r = rng_next();
			memcpy(T.trace_id + i, &r, 8);
		}
	}
	T.rng = seed | 1;
	T.trace_id[0] |= 1; /* an all-zero id is invalid in OTLP */
	clock_gettime(CLOCK_REALTIME, &ts);
	T.real0 = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	T.mono0 = mono_ns();
	T.last = T.real0;
	__atomic_store_n(&ocifs_trace_enabled_, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&T.lock);
	return 0;
}

void ocifs_trace_set_limits(size_t max_spans, size_t max_events)
{
	pthread_mutex_lock(&T.lock);
	if (max_spans)
		T.max_spans = max_spans;
	if (max_events)
		T.max_events = max_events;
	pthread_mutex_unlock(&T.lock);
}

/* Is s[0..n) valid UTF-8 (no overlong form, surrogate or code point
 * past U+10FFFF)? */
static int utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t len;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* A copy of s that is valid UTF-8: as it is, or escaped. NULL: ENOMEM. */
static char *clean(const char *s)
{
	size_t n = strlen(s), m;
	char *d;

	if (utf8_ok((const unsigned char *)s, n))
		return strdup(s);
	m = ocifs_esc_buf(NULL, 0, s, n, OCIFS_ESC_KEEP_SPACE);
	if ((d = malloc(m + 1)))
		ocifs_esc_buf(d, m + 1, s, n, OCIFS_ESC_KEEP_SPACE);
	return d;
}

/* The span of handle h (lock held), or NULL. */
static struct span *get(ocifs_span h)
{
	return h && h <= T.n ? &T.v[h - 1] : NULL;
}

static void changed(void)
{
	T.gen++;
	T.last = now_ns();
}

ocifs_span ocifs_trace_begin(const char *name, ocifs_span parent)
{
	ocifs_span h = 0;
	char *nm;

	if (!ocifs_trace_on())
		return 0;
	if (!parent)
		parent = cur;
	nm = clean(name ? name : "");
	pthread_mutex_lock(&T.lock);
	if (!nm || T.n >= T.max_spans) {
		T.dropped_spans++;
		goto out;
	}
	if (T.n == T.cap) {
		size_t nc = T.cap ? 2 * T.cap : 64;
		struct span *nv = realloc(T.v, nc * sizeof(*nv));
		if (!nv) {
			T.dropped_spans++;
			goto out;
		}
		T.v = nv;
		T.cap = nc;
	}
	struct span *s = &T.v[T.n];
	memset(s, 0, sizeof(*s));
	s->name = nm;
	nm = NULL;
	do {
		uint64_t r = rng_next();
		memcpy(s->id, &r, sizeof(s->id));
	} while (!memcmp(s->id, "\0\0\0\0\0\0\0\0", 8));
	s->parent = parent <= T.n ? parent : 0;
	s->start = now_ns();
	h = (ocifs_span)++T.n;
	changed();
out:
	pthread_mutex_unlock(&T.lock);
	free(nm);
	if (h)
		cur = h;
	return h;
}

ocifs_span ocifs_trace_beginf(ocifs_span parent, const char *fmt, ...)
{
	char name[256];
	va_list ap;

	if (!ocifs_trace_on())
		return 0;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return ocifs_trace_begin(name, parent);
}

void ocifs_trace_end(ocifs_span h)
{
	ocifs_span up = 0;
	struct span *s;

	if (!h || !ocifs_trace_on())
		return;
	pthread_mutex_lock(&T.lock);
	if ((s = get(h))) {
		if (!s->end)
			s->end = now_ns();
		up = s->parent;
		changed();
	}
	pthread_mutex_unlock(&T.lock);
	if (s && cur == h)
		cur = up;
}

ocifs_span ocifs_trace_current(void)
{
	return cur;
}

ocifs_span ocifs_trace_adopt(ocifs_span s)
{
	ocifs_span prev = cur;

	cur = s;
	return prev;
}

/* Append attribute a to span h (a.s owned: freed if it cannot be kept). */
static void add_attr(ocifs_span h, struct ocifs_trace_attr a)
{
	struct span *sp;

	pthread_mutex_lock(&T.lock);
	if (!(sp = get(h)))
		goto drop;
	if (sp->nattrs == sp->acap) {
		size_t nc = sp->acap ? 2 * sp->acap : 8;
		struct ocifs_trace_attr *na = realloc(sp->attrs, nc * sizeof(*na));
		if (!na)
			goto drop;
		sp->attrs = na;
		sp->acap = nc;
	}
	sp->attrs[sp->nattrs++] = a;
	changed();
	pthread_mutex_unlock(&T.lock);
	return;
drop:
	pthread_mutex_unlock(&T.lock);
	free((char *)a.s);
}

void ocifs_trace_str(ocifs_span h, const char *key, const char *val)
{
	char *v;

	if (!h || !ocifs_trace_on() || !(v = clean(val ? val : "")))
		return;
	add_attr(h, (struct ocifs_trace_attr){ .key = key, .s = v });
}

void ocifs_trace_int(ocifs_span h, const char *key, int64_t val)
{
	if (!h || !ocifs_trace_on())
		return;
	add_attr(h, (struct ocifs_trace_attr){ .key = key, .is_int = 1, .i = val });
}

void ocifs_trace_error(ocifs_span h, const char *msg)
{
	struct span *s;
	char *m;

	if (!h || !ocifs_trace_on() || !(m = clean(msg ? msg : "")))
		return;
	pthread_mutex_lock(&T.lock);
	if ((s = get(h))) {
		free(s->status_msg);
		s->status_msg = m;
		s->error = 1;
		m = NULL;
		changed();
	}
	pthread_mutex_unlock(&T.lock);
	free(m);
}

void ocifs_trace_event(ocifs_span h, const char *name, const char *k1, const char *v1,
		       const char *k2, const char *v2, const char *k3, const char *v3)
{
	struct ocifs_trace_ev ev = { .name = name };
	const char *kv[6] = { k1, v1, k2, v2, k3, v3 };
	struct span *sp;
	int bad = 0;

	if (!h || !ocifs_trace_on())
		return;
	for (size_t i = 0; i < 6 && kv[i]; i += 2) {
		char *v = clean(kv[i + 1] ? kv[i + 1] : "");
		bad |= !v;
		ev.attrs[ev.nattrs++] = (struct ocifs_trace_attr){ .key = kv[i], .s = v };
	}
	pthread_mutex_lock(&T.lock);
	if (bad || !(sp = get(h)) || T.events >= T.max_events)
		goto drop;
	if (sp->nevs == sp->ecap) {
		size_t nc = sp->ecap ? 2 * sp->ecap : 16;
		struct ocifs_trace_ev *ne = realloc(sp->evs, nc * sizeof(*ne));
		if (!ne)
			goto drop;
		sp->evs = ne;
		sp->ecap = nc;
	}
	ev.time_ns = now_ns();
	sp->evs[sp->nevs++] = ev;
	T.events++;
	changed();
	pthread_mutex_unlock(&T.lock);
	return;
drop:
	T.dropped_events++;
	changed();
	pthread_mutex_unlock(&T.lock);
	for (size_t i = 0; i < ev.nattrs; i++)
		free((char *)ev.attrs[i].s);
}

int ocifs_trace_visit(int (*cb)(void *ctx, const struct ocifs_trace_span *s), void *ctx)
{
	int rc = 0;

	if (!ocifs_trace_on())
		return 0;
	pthread_mutex_lock(&T.lock);
	for (size_t i = 0; i < T.n && !rc; i++) {
		const struct span *s = &T.v[i];
		struct ocifs_trace_span o = {
			.name = s->name,
			.has_parent = s->parent != 0,
			.start_ns = s->start,
			.end_ns = s->end ? s->end : T.last,
			.open = !s->end,
			.attrs = s->attrs,
			.nattrs = s->nattrs,
			.events = s->evs,
			.nevents = s->nevs,
			.error = s->error,
			.status_msg = s->status_msg,
		};
		if (o.end_ns < o.start_ns)
			o.end_ns = o.start_ns;
		memcpy(o.trace_id, T.trace_id, sizeof(o.trace_id));
		memcpy(o.span_id, s->id, sizeof(o.span_id));
		if (s->parent)
			memcpy(o.parent_id, T.v[s->parent - 1].id, sizeof(o.parent_id));
		if (!s->parent) {
			o.dropped_spans = T.dropped_spans;
			o.dropped_events = T.dropped_events;
		}
		rc = cb(ctx, &o);
	}
	pthread_mutex_unlock(&T.lock);
	return rc;
}

uint64_t ocifs_trace_generation(void)
{
	uint64_t g;

	if (!ocifs_trace_on())
		return 0;
	pthread_mutex_lock(&T.lock);
	g = T.gen;
	pthread_mutex_unlock(&T.lock);
	return g;
}
