/* SPDX-License-Identifier: MIT */
/*
 * The pipeline's private state, shared by pipeline.c (the run) and
 * pipeline_trace.c (what it reports to the trace: the analyze and
 * catalog spans, the skip events).
 */
#ifndef OCIFS_SCAN_PIPELINE_PRIV_H
#define OCIFS_SCAN_PIPELINE_PRIV_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "pipeline.h"
#include "trace.h"
#include "tree_view.h"

struct pipe {
	struct ocifs_image *img;
	const struct ocifs_view *v;
	struct ocifs_tree_view *tv;
	const struct ocifs_tree *tree;
	const struct ocifs_cataloger *const *cats;
	size_t ncats;
	void *state[64];        /* each cataloger's, from init */
	struct ocifs_model *m;
	size_t fcap;
	pthread_mutex_t lock;   /* protects m->comps, m->ncomps, ccap */
	size_t ccap;
	int (*cancelled)(void *ctx);
	void *cancel_ctx;
	double deadline;        /* CLOCK_MONOTONIC seconds, 0: none */
	const char *only;       /* collect this path alone, or NULL */
	atomic_int stop;        /* 0, -EINTR or -ETIMEDOUT: the build stops */
	atomic_size_t kept;     /* bytes kept in the tree's read cache */
	const struct ocifs_catalog_env *env;
	/* tracing (trace.h): the analysis and each cataloger's span */
	ocifs_span span, cspan[64];
	atomic_uint_least64_t busy_ns[64], nskip[64];
	int want_exec;          /* report executables no cataloger wanted */
};

/* The emit handle (catalog.h). */
struct ocifs_emit {
	struct pipe *p;
	size_t cat;             /* index in p->cats */
	size_t file;            /* index in m->files; SIZE_MAX in finish */
	const struct ocifs_rd *keeping;
	size_t seq;             /* components emitted by this call */
};

/* Does file f's cataloger k want it? */
static inline int wants(const struct ocifs_mfile *f, size_t k)
{
	return (f->catalogers >> k) & 1;
}

/* Tracing (pipeline_trace.c). */
/** A file no cataloger wanted that looks like a program or a library:
 *  the ELF cataloger's skip event (tracing only). */
void ocifs_pipe_not_candidate(struct pipe *p, const char *path, const struct ocifs_vattr *a);
/** The "analyze" span and one "catalog NAME" span per cataloger. */
void ocifs_pipe_trace_open(struct pipe *p, unsigned threads);
/** Their counts, and their end (rc: the run's result). */
void ocifs_pipe_trace_close(struct pipe *p, int rc);

#endif
