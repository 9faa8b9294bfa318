/* SPDX-License-Identifier: MIT */
/*
 * `ocifs index` and `ocifs verify`: open every layer of the image,
 * building (index) or re-hashing (verify) as needed, with one summary
 * line per layer on stdout (the session prints them).
 */
#include <stdio.h>

#include "cli.h"

static int index_all(struct cli *c, int verify)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s;
	int rc;

	so.verify = verify;
	so.need_cache = 1; /* what it builds is the cache */
	so.no_view = 1;
	so.summary = c->quiet ? NULL : stdout; /* -q: no summary */
	rc = ocifs_session_open(c->args[0], &so, &s);
	if (rc)
		return rc;
	if (!c->quiet) {
		cli_print_esc(s->img->path);
		printf(": %zu layers %s\n", s->img->nlayers, verify ? "verified" : "indexed");
	}
	ocifs_session_close(s);
	return 0;
}

int cmd_index(struct cli *c)
{
	return index_all(c, 0);
}

int cmd_verify(struct cli *c)
{
	return index_all(c, 1);
}
