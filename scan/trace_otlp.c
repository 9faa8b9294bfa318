/* SPDX-License-Identifier: MIT */
/*
 * The trace as OTLP/JSON (trace_otlp.h), streamed through jsonw from
 * the collector's spans.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonw.h"
#include "log.h"
#include "trace.h"
#include "trace_otlp.h"

static void hex(char *out, const unsigned char *b, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A 64-bit integer as OTLP/JSON writes it: a decimal string. */
static void kint64(struct ocifs_jsonw *w, const char *k, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	ocifs_jsonw_kstr(w, k, s);
}

static void attr(struct ocifs_jsonw *w, const char *key, const char *s, int is_int, int64_t i)
{
	ocifs_jsonw_obj(w);
	ocifs_jsonw_kstr(w, "key", key);
	ocifs_jsonw_key(w, "value");
	ocifs_jsonw_obj(w);
	if (is_int)
		kint64(w, "intValue", i);
	else
		ocifs_jsonw_kstr(w, "stringValue", s);
	ocifs_jsonw_end_obj(w);
	ocifs_jsonw_end_obj(w);
}

static void attrs(struct ocifs_jsonw *w, const struct ocifs_trace_attr *a, size_t n)
{
	ocifs_jsonw_key(w, "attributes");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < n; i++)
		attr(w, a[i].key, a[i].s, a[i].is_int, a[i].i);
}

static int put_span(void *ctx, const struct ocifs_trace_span *s)
{
	struct ocifs_jsonw *w = ctx;
	char id[33];

	ocifs_jsonw_obj(w);
	hex(id, s->trace_id, sizeof(s->trace_id));
	ocifs_jsonw_kstr(w, "traceId", id);
	hex(id, s->span_id, sizeof(s->span_id));
	ocifs_jsonw_kstr(w, "spanId", id);
	if (s->has_parent)
		hex(id, s->parent_id, sizeof(s->parent_id));
	else
		id[0] = '\0';
	ocifs_jsonw_kstr(w, "parentSpanId", id);
	ocifs_jsonw_kstr(w, "name", s->name);
	ocifs_jsonw_kint(w, "kind", 1); /* SPAN_KIND_INTERNAL */
	kint64(w, "startTimeUnixNano", s->start_ns);
	kint64(w, "endTimeUnixNano", s->end_ns);
	attrs(w, s->attrs, s->nattrs);
	if (s->open)
		attr(w, "ocifs.open", NULL, 1, 1); /* still running: ends "now" */
	if (!s->has_parent) {
		attr(w, "ocifs.trace.dropped_spans", NULL, 1, (int64_t)s->dropped_spans);
		attr(w, "ocifs.trace.dropped_events", NULL, 1, (int64_t)s->dropped_events);
	}
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_key(w, "events");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < s->nevents; i++) {
		const struct ocifs_trace_ev *e = &s->events[i];
		ocifs_jsonw_obj(w);
		kint64(w, "timeUnixNano", e->time_ns);
		ocifs_jsonw_kstr(w, "name", e->name);
		attrs(w, e->attrs, e->nattrs);
		ocifs_jsonw_end_arr(w);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_key(w, "status");
	ocifs_jsonw_obj(w);
	if (s->error) {
		ocifs_jsonw_kint(w, "code", 2); /* STATUS_CODE_ERROR */
		ocifs_jsonw_kstr(w, "message", s->status_msg ? s->status_msg : "");
	}
	ocifs_jsonw_end_obj(w);
	ocifs_jsonw_end_obj(w);
	return 0;
}

int ocifs_trace_otlp(char **buf, size_t *len)
{
	struct ocifs_jsonw w;
	char *b = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&b, &n);

	if (!fp)
		return -ENOMEM;
	ocifs_jsonw_init(&w, fp);
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_key(&w, "resourceSpans");
	ocifs_jsonw_arr(&w);
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_key(&w, "resource");
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_key(&w, "attributes");
	ocifs_jsonw_arr(&w);
	attr(&w, "service.name", "ocifs", 0, 0);
	attr(&w, "service.version", PACKAGE_VERSION, 0, 0);
	attr(&w, "process.pid", NULL, 1, (int64_t)getpid());
	ocifs_jsonw_end_arr(&w);
	ocifs_jsonw_end_obj(&w);
	ocifs_jsonw_key(&w, "scopeSpans");
	ocifs_jsonw_arr(&w);
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_key(&w, "scope");
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kstr(&w, "name", "ocifs");
	ocifs_jsonw_kstr(&w, "version", PACKAGE_VERSION);
	ocifs_jsonw_end_obj(&w);
	ocifs_jsonw_key(&w, "spans");
	ocifs_jsonw_arr(&w);
	ocifs_trace_visit(put_span, &w);
	ocifs_jsonw_end_arr(&w);
	ocifs_jsonw_end_obj(&w);
	ocifs_jsonw_end_arr(&w);
	ocifs_jsonw_end_obj(&w);
	ocifs_jsonw_end_arr(&w);
	ocifs_jsonw_end_obj(&w);
	fputc('\n', fp);
	int bad = ferror(fp);
	if (fclose(fp) || bad || w.err || w.level) {
		free(b);
		return -ENOMEM;
	}
	*buf = b;
	*len = n;
	return 0;
}

int ocifs_trace_otlp_write(const char *path)
{
	char *buf = NULL, *tmp = NULL;
	size_t len = 0, off = 0;
	int rc = ocifs_trace_otlp(&buf, &len), fd = -1, direct = 0;
	struct stat st;

	if (rc) {
		log_err("%s: cannot render the trace: %s", path, strerror(-rc));
		return rc;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		free(buf);
		return -ENOMEM;
	}
	/* a regular file is replaced whole; anything else (a pipe,
	 * /dev/stderr) is written in place */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		direct = 1;
		fd = open(path, O_WRONLY | O_CLOEXEC);
	} else {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	}
	if (fd < 0)
		rc = -errno;
	while (!rc && off < len) {
		ssize_t k = write(fd, buf + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rc = k < 0 ? -errno : -EIO;
		else
			off += (size_t)k;
	}
	if (fd >= 0 && close(fd) && !rc)
		rc = -errno;
	if (!rc && !direct && rename(tmp, path))
		rc = -errno;
	if (rc) {
		if (fd >= 0 && !direct)
			unlink(tmp);
		log_err("%s: cannot write the trace: %s", path, strerror(-rc));
	}
	free(tmp);
	free(buf);
	return rc;
}
