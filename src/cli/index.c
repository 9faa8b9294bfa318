/* SPDX-License-Identifier: MIT */
/*
 * `ocifs index` and `ocifs verify`: open every layer of the image,
 * building (index) or re-hashing (verify) as needed, with one summary
 * line per layer on stdout (the session prints them). `index --push`
 * then pushes the indexes as the image's index artifact (idxart.h) and
 * prints its digest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cli.h"
#include "idxart.h"
#include "log.h"

/* Before `verify` of a registry image: its layers' chunk sums are
 * dropped from the cache, so the verify pass makes them again from the
 * blobs it re-hashes. They are what every later Range read is checked
 * against, learned by a pass or installed from an index artifact; wrong
 * ones (a faulty artifact) would otherwise fail every read of the layer,
 * verify's own included, until the cache is removed by hand. */
static int forget_chunk_sums(struct cli *c, struct ocifs_session_opts so)
{
	struct ocifs_session *s;
	int rc;

	so.no_layers = 1;
	so.summary = NULL;
	rc = ocifs_session_open(c->args[0], &so, &s);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && !s->temp_cache && i < s->img->nlayers; i++) {
		const char *dg = s->img->layers[i].digest;
		char *path = NULL;
		int lock;

		if (!ocifs_digest_valid(dg))
			continue;
		if ((rc = ocifs_cache_layer_path(s->cache_dir, dg, ".chunks", &path)) != 0)
			break;
		lock = ocifs_cache_lock(s->cache_dir, dg); /* not while a pass writes them */
		if (lock < 0) {
			rc = lock;
		} else if (unlink(path) < 0 && errno != ENOENT) {
			rc = -errno;
			log_err("%s: %s: %s", s->img->path, path, strerror(errno));
		}
		ocifs_cache_unlock(lock);
		free(path);
	}
	ocifs_session_close(s);
	return rc;
}

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
	so.no_view = 1;
	so.summary = c->quiet ? NULL : stdout; /* -q: no summary */
	/* what is pushed is indexed here, from the blobs */
	so.no_artifact = so.no_artifact || c->push;
	if (verify && !strncmp(c->args[0], "docker://", 9) && (rc = forget_chunk_sums(c, so)) != 0)
		return rc;
	rc = ocifs_session_open(c->args[0], &so, &s);
	if (rc)
		return rc;
	if (!c->quiet) {
		cli_print_esc(s->img->path);
		printf(": %zu layer%s %s\n", s->img->nlayers, s->img->nlayers == 1 ? "" : "s",
		       verify ? "verified" : "indexed");
	}
	if (c->push) {
		rc = ocifs_idxart_push(s->img, s->cache_dir, digest);
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
