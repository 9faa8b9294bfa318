/* SPDX-License-Identifier: MIT */
/*
 * Opening every layer of an image with a progress bar (shared by index,
 * verify, the merged-view commands and mount), and `ocifs index` /
 * `ocifs verify` themselves.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "progress.h"

struct index_ui {
	struct ocifs_progress bar;
	char label[32];
	size_t nlayers;
};

static void on_progress(void *ctx, unsigned num, uint64_t done, uint64_t total)
{
	struct index_ui *ui = ctx;

	snprintf(ui->label, sizeof(ui->label), "layer %u/%zu", num, ui->nlayers);
	ocifs_progress_update(&ui->bar, ui->label, done);
}

static void report(FILE *f, struct ocifs_layer *l, size_t n, double secs)
{
	char a[16], b[16], c[16], r[16];
	struct ocifs_layer_open_info li;
	const struct ocifs_index_stats *s = &li.stats;

	ocifs_layer_open_info(l, &li);
	if (li.built) {
		fprintf(f, "layer %u/%zu %.19s… %-4s %s -> %s, %" PRIu64 " entries, %" PRIu64
		        " checkpoints, index %s (%.2f%%), %.2f s, %s/s\n",
		        ocifs_layer_num(l), n, ocifs_layer_desc(l)->digest, ocifs_comp_name(s->comp), ocifs_human(s->csize, a),
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

void cli_close_layers(struct ocifs_layer **layers, size_t n)
{
	if (!layers)
		return;
	for (size_t i = 0; i < n; i++)
		ocifs_layer_close(layers[i]);
	free(layers);
}

int cli_open_layers(struct cli *c, struct ocifs_image *img, int verify, FILE *summary,
		    struct ocifs_layer ***out)
{
	struct index_ui ui;
	uint64_t total = 0;
	struct ocifs_layer **layers = calloc(img->nlayers + 1, sizeof(*layers));
	int rc = 0;

	if (!layers)
		return -ENOMEM;
	for (size_t i = 0; i < img->nlayers; i++)
		total += img->layers[i].size;
	ocifs_progress_init(&ui.bar, total);
	ui.nlayers = img->nlayers;
	struct ocifs_layer_opts lo = {
		.cache_dir = c->cache_dir, .verify = verify, .progress = on_progress, .ctx = &ui,
	};
	for (size_t i = 0; i < img->nlayers && !rc; i++) {
		double t0 = ocifs_now();

		rc = ocifs_layer_open(img, i, &lo, &layers[i]);
		on_progress(&ui, (unsigned)i + 1, img->layers[i].size, img->layers[i].size);
		ocifs_progress_next(&ui.bar, img->layers[i].size);
		ocifs_progress_end(&ui.bar);
		if (!rc && summary)
			report(summary, layers[i], img->nlayers, ocifs_now() - t0);
	}
	if (rc) {
		cli_close_layers(layers, img->nlayers);
		return rc;
	}
	*out = layers;
	return 0;
}

static int index_all(struct cli *c, int verify)
{
	struct ocifs_image *img;
	struct ocifs_layer **layers;
	int rc = cli_open_image(c, &img);

	if (rc)
		return rc;
	rc = cli_open_layers(c, img, verify, stdout, &layers);
	if (!rc) {
		cli_print_esc(img->path);
		printf(": %zu layers %s\n", img->nlayers, verify ? "verified" : "indexed");
		cli_close_layers(layers, img->nlayers);
	}
	ocifs_image_free(img);
	return rc;
}

int cmd_index(struct cli *c)
{
	return index_all(c, 0);
}

int cmd_verify(struct cli *c)
{
	return index_all(c, 1);
}
