/* SPDX-License-Identifier: MIT */
/*
 * `ocifs report IMAGE [-o FILE]`: one self-contained HTML page about an
 * image, for people: the summary, every layer with its Dockerfile line,
 * sizes, what it changed and the bytes it wasted, the merged tree with
 * each entry's layer and earlier versions, the /.deps summary and the
 * SBOM's components by layer. This file gathers the model (report.h)
 * from the session and the forensics modules and writes the page
 * (report_html.c) to FILE (replaced only once complete) or stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cli.h"
#include "layer.h"
#include "log.h"
#include "report.h"

/* Sizes, entries and the history line of every layer. */
static int gather_layers(struct rpt *r)
{
	struct ocifs_session *s = r->s;

	r->nlayers = s->nlayers;
	if (!(r->layers = calloc(r->nlayers ? r->nlayers : 1, sizeof(*r->layers))))
		return -ENOMEM;
	for (size_t i = 0; i < r->nlayers; i++) {
		struct rpt_layer *l = &r->layers[i];
		l->num = (unsigned)i + 1;
		l->desc = ocifs_layer_desc(s->layers[i]);
		l->hist = ocifs_image_layer_history(s->img, i);
		l->usize = ocifs_layer_usize(s->layers[i]);
		l->entries = ocifs_layer_entries(s->layers[i]);
		r->csize += l->desc->size;
		r->usize += l->usize;
	}
	return 0;
}

/* What each layer changed (lchange.h) and wasted (efficiency.h). A
 * layer whose numbers cannot be had shows "n/a" (the reason logged);
 * only running out of memory stops the report. */
static int gather_changes(struct rpt *r)
{
	struct ocifs_efficiency *e = NULL;
	struct ocifs_chg_stats *all = calloc(r->s->nlayers ? r->s->nlayers : 1, sizeof(*all));
	int rc;

	if (!all)
		return -ENOMEM;
	/* Every layer at once builds each view once; if that fails, layer
	 * by layer, so one bad layer costs only its own row. */
	rc = r->nlayers == r->s->nlayers ? ocifs_lchange_layers_stats(r->s, all) : -EINVAL;
	if (rc == -ENOMEM) {
		free(all);
		return rc;
	}
	for (size_t i = 0; !rc && i < r->nlayers; i++) {
		r->layers[i].chg = all[i];
		r->layers[i].have_chg = 1;
	}
	free(all);
	for (size_t i = 0; rc && i < r->nlayers; i++) {
		struct rpt_layer *l = &r->layers[i];
		int lrc = ocifs_lchange_layer(r->s, l->num, NULL, NULL, &l->chg);
		if (lrc == -ENOMEM)
			return lrc;
		if (lrc)
			log_warn("report: %s: layer %u: no diff: %s", r->s->img->path, l->num,
				 strerror(-lrc));
		l->have_chg = !lrc;
	}
	rc = ocifs_efficiency_compute(r->s, &e);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		log_warn("report: %s: no wasted bytes: %s", r->s->img->path, strerror(-rc));
		return 0;
	}
	for (size_t i = 0; i < r->nlayers && i < e->nlayers; i++) {
		r->layers[i].wasted = e->layers[i].wasted_bytes;
		r->layers[i].have_waste = 1;
	}
	r->eff = e;
	return 0;
}

/* The page into f, then flushed and closed: 0 or a negative errno. */
static int write_stream(const struct rpt *r, FILE *f, int sync)
{
	int rc = rpt_html_write(r, f);

	if (fflush(f)) /* says why (ENOSPC), where a failed write said EIO */
		rc = -errno;
	if (!rc && sync && fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

/* Write the page to path: a regular file through a temp file beside it,
 * renamed over it once complete (a failed report never leaves half a
 * page); anything else (a device, a pipe) written in place. */
static int write_page(const struct rpt *r, const char *path)
{
	size_t plen = strlen(path);
	char *tmp = NULL;
	struct stat st;
	FILE *f;
	int fd = -1, rc;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	} else if ((tmp = malloc(plen + 16))) {
		for (unsigned i = 0;; i++) {
			snprintf(tmp, plen + 16, "%s.tmp%u", path, (unsigned)getpid() + i);
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
			if (fd >= 0 || errno != EEXIST || i == 100)
				break;
		}
	} else {
		return -ENOMEM;
	}
	if (fd < 0) {
		rc = -errno;
		log_err("report: %s: %s", path, strerror(-rc));
		free(tmp);
		return rc;
	}
	if (!(f = fdopen(fd, "w"))) {
		rc = -errno;
		close(fd);
	} else {
		rc = write_stream(r, f, tmp != NULL);
	}
	if (!rc && tmp && rename(tmp, path))
		rc = -errno;
	if (rc) {
		log_err("report: %s: write error: %s", path, strerror(-rc));
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

int cmd_report(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct rpt r = { .image_arg = c->args[0] };
	int rc;

	if (c->format) {
		log_err("report: option --format does not apply (try ocifs --help)");
		return OCIFS_EXIT_USAGE;
	}
	if ((rc = ocifs_session_open(c->args[0], &so, &r.s)))
		return rc;
	if ((rc = gather_layers(&r)) || (rc = gather_changes(&r)) ||
	    (rc = rpt_tree_build(r.s, RPT_TREE_MAX, &r.tree)) || (rc = rpt_scan_build(r.s, &r.scan)))
		goto out;
	if (c->output && strcmp(c->output, "-")) {
		rc = write_page(&r, c->output);
	} else {
		rc = rpt_html_write(&r, stdout); /* an error: main() says it */
	}
out:
	if (rc == -ENOMEM)
		log_err("report: %s: out of memory", c->args[0]);
	rpt_scan_fini(&r.scan);
	rpt_tree_fini(&r.tree);
	ocifs_efficiency_free(r.eff);
	free(r.layers);
	ocifs_session_close(r.s);
	return rc;
}
