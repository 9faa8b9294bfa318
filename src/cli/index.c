/* SPDX-License-Identifier: MIT */
/*
 * `ocifs index` and `ocifs verify`: open every layer of the image,
 * building (index) or re-hashing (verify) as needed, with one summary
 * line per layer on stdout (the session prints them). `index --push`
 * then pushes the indexes as the image's index artifact (idxart.h) and
 * prints its digest.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "idxart.h"
#include "log.h"

static int index_all(struct cli *c, int verify)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s;
	char digest[OCIFS_DIGEST_STRLEN + 1];
	int rc;

	if (c->push && strncmp(c->args[0], "docker://", 9)) {
		log_err("%s: --push: not an image in a registry (docker://NAME[:TAG])", c->args[0]);
		return -OCIFS_EUSAGE;
	}
	so.verify = verify;
	so.need_cache = 1; /* what it builds is the cache */
	so.no_view = !c->push; /* --push ships the view too */
	so.summary = c->quiet ? NULL : stdout; /* -q: no summary */
	/* what is pushed is indexed here, from the blobs */
	so.no_artifact = so.no_artifact || c->push;
	rc = ocifs_session_open(c->args[0], &so, &s);
	if (rc)
		return rc;
	if (!c->quiet) {
		cli_print_esc(s->img->path);
		printf(": %zu layer%s %s\n", s->img->nlayers, s->img->nlayers == 1 ? "" : "s",
		       verify ? "verified" : "indexed");
	}
	if (c->push) {
		rc = ocifs_idxart_push(s->img, s->view, s->cache_dir, digest);
		if (!rc)
			printf("%s\n", digest);
	}
	ocifs_session_close(s);
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
