/* SPDX-License-Identifier: MIT */
/*
 * The image session (session.h): the cache directory, the image, its
 * layers (indexed with a progress bar, one summary line each on request)
 * and the merged view, opened in that order and closed in reverse. The
 * command line, the mount and the analyzers all start here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"
#include "progress.h"
#include "session.h"
#include "trace.h"

struct open_ui {
	struct ocifs_progress bar;
	char label[32];
	size_t nlayers;
};

static void on_progress(void *ctx, unsigned num, uint64_t done, uint64_t total)
{
	struct open_ui *ui = ctx;

	(void)total;
	snprintf(ui->label, sizeof(ui->label), "layer %u/%zu", num, ui->nlayers);
	ocifs_progress_update(&ui->bar, ui->label, done);
}

/* The line `ocifs index` prints for a layer just opened. */
static void report(FILE *f, struct ocifs_layer *l, size_t n, double secs)
{
	char a[16], b[16], c[16], r[16];
	struct ocifs_layer_open_info li;
	const struct ocifs_index_stats *s = &li.stats;

	ocifs_layer_open_info(l, &li);
	if (li.built) {
		fprintf(f, "layer %u/%zu %.19s… %-4s %s -> %s, %" PRIu64 " entries, %" PRIu64
		        " checkpoints, index %s (%.2f%%), %.2f s, %s/s\n",
		        ocifs_layer_num(l), n, ocifs_layer_desc(l)->digest, ocifs_comp_name(s->comp),
		        ocifs_human(s->csize, a),
		        ocifs_human(s->usize, b), s->entries, s->ckpts, ocifs_human(s->index_bytes, c),
		        s->usize ? 100.0 * (double)s->index_bytes / (double)s->usize : 0.0, secs,
		        ocifs_human(secs > 0 ? (uint64_t)((double)s->usize / secs) : 0, r));
		if (s->skipped)
			fprintf(f, "  %" PRIu64 " entries skipped: their paths leave the root\n",
			        s->skipped);
	} else {
		fprintf(f, "layer %u/%zu %.19s… %-4s %s, %" PRIu64 " entries, cached%s\n",
		        ocifs_layer_num(l), n, ocifs_layer_desc(l)->digest,
		        ocifs_comp_name(ocifs_layer_comp(l)), ocifs_human(ocifs_layer_usize(l), b),
		        ocifs_layer_entries(l), li.rehashed ? ", blob re-verified" : "");
	}
}

/* What opening layer i did, on its span (l NULL: it failed with rc). */
static void trace_layer(ocifs_span sp, struct ocifs_image *img, size_t i, struct ocifs_layer *l,
			int rc)
{
	struct ocifs_layer_open_info li;

	if (!sp)
		return;
	ocifs_trace_int(sp, "ocifs.layer", (int64_t)i + 1);
	ocifs_trace_str(sp, "ocifs.digest", img->layers[i].digest);
	ocifs_trace_int(sp, "ocifs.bytes.compressed",
			(int64_t)(img->layers[i].blob ? img->layers[i].blob->size : img->layers[i].size));
	if (l) {
		ocifs_layer_open_info(l, &li);
		ocifs_trace_str(sp, "ocifs.compression", ocifs_comp_name(ocifs_layer_comp(l)));
		ocifs_trace_int(sp, "ocifs.bytes.uncompressed", (int64_t)ocifs_layer_usize(l));
		ocifs_trace_int(sp, "ocifs.entries", (int64_t)ocifs_layer_entries(l));
		ocifs_trace_str(sp, "ocifs.index", li.built ? "built" : "reused");
		ocifs_trace_int(sp, "ocifs.rehashed", li.rehashed);
		if (li.skipped)
			ocifs_trace_int(sp, "ocifs.entries.skipped", (int64_t)li.skipped);
	} else {
		ocifs_trace_error(sp, strerror(-rc));
	}
	ocifs_trace_end(sp);
}

/*
 * Open layers [first, first + n) of s->img into s->layers[0..n). The
 * progress bar (a no-op unless stderr is a terminal) counts the bytes of
 * those layers; a layer's line goes to o->summary once it is open.
 */
static int open_layers(struct ocifs_session *s, const struct ocifs_session_opts *o,
		       size_t first, size_t n)
{
	struct ocifs_image *img = s->img;
	struct open_ui ui = { .nlayers = img->nlayers };
	uint64_t total = 0;
	int rc = 0;

	s->layers = calloc(n + 1, sizeof(*s->layers));
	if (!s->layers)
		return -ENOMEM;
	s->nlayers = n;
	for (size_t i = first; i < first + n; i++)
		total += img->layers[i].size;
	if (o->progress)
		ocifs_progress_init(&ui.bar, total);
	struct ocifs_layer_opts lo = {
		.cache_dir = s->cache_dir, .verify = o->verify,
		.progress = o->progress ? on_progress : NULL, .ctx = o->progress ? &ui : NULL,
	};
	for (size_t i = first; i < first + n && !rc; i++) {
		uint64_t size = img->layers[i].size;
		double t0 = ocifs_now();
		ocifs_span sp = ocifs_trace_beginf(0, "index layer %zu", i + 1);

		rc = ocifs_layer_open(img, i, &lo, &s->layers[i - first]);
		trace_layer(sp, img, i, rc ? NULL : s->layers[i - first], rc);
		if (o->progress) {
			on_progress(&ui, (unsigned)i + 1, size, size);
			ocifs_progress_next(&ui.bar, size);
			ocifs_progress_end(&ui.bar);
		}
		if (!rc && o->summary)
			report(o->summary, s->layers[i - first], img->nlayers, ocifs_now() - t0);
	}
	return rc;
}

int ocifs_session_open(const char *ref, const struct ocifs_session_opts *o,
		       struct ocifs_session **out)
{
	struct ocifs_session *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	/* The cache directory first: it is checked (owner, mode, symlinks)
	 * whatever is asked of the image. */
	if (o->cache_dir)
		rc = (s->cache_dir = strdup(o->cache_dir)) ? 0 : -ENOMEM;
	else
		rc = ocifs_cache_open_dir(&s->cache_dir);
	ocifs_span sp = ocifs_trace_begin("session", 0), op = 0;
	ocifs_trace_str(sp, "ocifs.image", ref);
	if (!rc) {
		op = ocifs_trace_begin("open", sp);
		rc = ocifs_image_open(ref, &o->img, &s->img);
		if (!rc) {
			ocifs_trace_str(op, "ocifs.manifest", s->img->manifest_digest);
			ocifs_trace_int(op, "ocifs.layers", (int64_t)s->img->nlayers);
			if (s->img->platform)
				ocifs_trace_str(op, "ocifs.platform", s->img->platform);
		} else {
			ocifs_trace_error(op, strerror(-rc));
		}
		ocifs_trace_end(op);
	}
	if (rc || o->no_layers)
		goto out;
	if (o->layer) {
		if (o->layer > s->img->nlayers) {
			log_err("%s: no layer %u (the image has %zu; layers are numbered from 1)",
				ref, o->layer, s->img->nlayers);
			rc = -EINVAL;
			goto out;
		}
		rc = open_layers(s, o, o->layer - 1, 1);
		goto out;
	}
	rc = open_layers(s, o, 0, s->img->nlayers);
	if (!rc && !o->no_view) {
		ocifs_span vs = ocifs_trace_begin("build view", sp);
		rc = ocifs_view_open(s->img, s->layers, s->cache_dir, &s->view);
		if (!rc && vs) {
			struct ocifs_view_stats st;
			ocifs_view_stats(s->view, &st);
			ocifs_trace_int(vs, "ocifs.inodes", (int64_t)st.inodes);
			ocifs_trace_int(vs, "ocifs.entries", (int64_t)st.names);
			ocifs_trace_int(vs, "ocifs.whiteouts", (int64_t)st.whiteouts);
			ocifs_trace_str(vs, "ocifs.view", st.from_cache ? "cache" : "built");
		} else if (rc) {
			ocifs_trace_error(vs, strerror(-rc));
		}
		ocifs_trace_end(vs);
	}
out:
	if (rc)
		ocifs_trace_error(sp, strerror(-rc));
	ocifs_trace_end(sp);
	if (rc) {
		ocifs_session_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ocifs_session_close(struct ocifs_session *s)
{
	if (!s)
		return;
	ocifs_view_free(s->view);
	for (size_t i = 0; s->layers && i < s->nlayers; i++)
		ocifs_layer_close(s->layers[i]);
	free(s->layers);
	ocifs_image_free(s->img);
	free(s->cache_dir);
	free(s);
}
