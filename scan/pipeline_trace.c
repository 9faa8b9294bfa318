/* SPDX-License-Identifier: MIT */
/*
 * What the pipeline reports to the trace (src/trace.h): the "analyze"
 * span with one "catalog NAME" span per cataloger under it, and the
 * "skip" events -- a cataloger's ocifs_emit_skip() (catalog.h), and the
 * files that look like programs or libraries but that no cataloger
 * wanted. The reasons are kept in the model too (mfile.skipped), for
 * `ocifs explain`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline_priv.h"

void ocifs_emit_skip(struct ocifs_emit *e, const char *path, const char *fmt, ...)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (f && !path && !f->skipped)
		f->skipped = strdup(reason); /* best effort: NULL on ENOMEM */
	atomic_fetch_add(&e->p->nskip[e->cat], 1);
	ocifs_trace_skip(e->p->cspan[e->cat], e->p->cats[e->cat]->name,
			 path ? path : f ? f->path : "", reason);
}

/* Tracing: a file that looks like a program or a library (exec bits, a
 * .so name) but that no cataloger wanted, because its bytes start with
 * neither ELF magic nor #!: the ELF cataloger's "skip". */
void ocifs_pipe_not_candidate(struct pipe *p, const char *path, const struct ocifs_vattr *a)
{
	const char *base = strrchr(path, '/');
	const char *so = strstr(base ? base : path, ".so");
	int lib = so && (so[3] == '\0' || so[3] == '.');

	if (!(a->mode & 0111) && !lib)
		return;
	for (size_t k = 0; k < p->ncats; k++) {
		if (p->cats[k] != &ocifs_cat_elf)
			continue;
		struct ocifs_emit e = { p, k, SIZE_MAX, NULL, 0 };
		ocifs_emit_skip(&e, path, "%s, but its bytes start with neither ELF magic nor #!: "
			       "not analyzed", lib ? "named like a shared library" : "executable");
	}
}

/* Tracing: the "analyze" span and one "catalog NAME" span per cataloger
 * under it (they overlap: every file goes through all of them); the
 * analysis stays the calling thread's current span. */
void ocifs_pipe_trace_open(struct pipe *p, unsigned threads)
{
	for (size_t k = 0; k < p->ncats; k++) {
		atomic_init(&p->busy_ns[k], 0);
		atomic_init(&p->nskip[k], 0);
	}
	if (!ocifs_trace_on())
		return;
	p->want_exec = 1;
	p->span = ocifs_trace_begin("analyze", 0);
	ocifs_trace_int(p->span, "ocifs.catalogers", (int64_t)p->ncats);
	ocifs_trace_int(p->span, "ocifs.threads", threads);
	for (size_t k = 0; k < p->ncats; k++) {
		p->cspan[k] = ocifs_trace_beginf(p->span, "catalog %s", p->cats[k]->name);
		ocifs_trace_str(p->cspan[k], "ocifs.cataloger", p->cats[k]->name);
	}
	ocifs_trace_adopt(p->span);
}

void ocifs_pipe_trace_close(struct pipe *p, int rc)
{
	const struct ocifs_model *m = p->m;

	if (!p->span)
		return;
	for (size_t k = 0; k < p->ncats; k++) {
		uint64_t files = 0, comps = 0;
		for (size_t i = 0; i < m->nfiles; i++)
			files += wants(&m->files[i], k);
		for (size_t i = 0; i < m->ncomps; i++)
			comps += m->comps[i].cat_ == k;
		ocifs_trace_int(p->cspan[k], "ocifs.files", (int64_t)files);
		ocifs_trace_int(p->cspan[k], "ocifs.components", (int64_t)comps);
		ocifs_trace_int(p->cspan[k], "ocifs.skipped", (int64_t)atomic_load(&p->nskip[k]));
		ocifs_trace_int(p->cspan[k], "ocifs.busy_ns", (int64_t)atomic_load(&p->busy_ns[k]));
		ocifs_trace_end(p->cspan[k]);
	}
	ocifs_trace_int(p->span, "ocifs.files", (int64_t)m->nfiles);
	ocifs_trace_int(p->span, "ocifs.components", (int64_t)m->ncomps);
	if (rc)
		ocifs_trace_error(p->span, strerror(-rc));
	ocifs_trace_adopt(p->span);
	ocifs_trace_end(p->span);
}

