/* SPDX-License-Identifier: MIT */
/*
 * `ocifs deps IMAGE [PATH...] [--json] [--unresolved]`: the /.deps
 * document without mounting (the same bytes as /.ocifs/deps.json, or as
 * deps.txt without --json), limited to PATHs (files, or directories for
 * everything below them; symlinks followed inside the image). With
 * --unresolved it exits 1 when it lists anything, 0 when nothing is
 * unresolved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "deps.h"
#include "log.h"
#include "tree_view.h"

struct sel {
	const struct cli *c;
	char **paths;           /* canonical first names of the PATH args */
	int *isdir;
	size_t n;
	size_t kept;            /* files selected (with --unresolved: exit 1) */
};

static int selected(const struct sel *s, const char *path, int unresolved)
{
	if (s->c->unresolved && !unresolved)
		return 0;
	if (!s->n)
		return 1;
	for (size_t i = 0; i < s->n; i++) {
		size_t l = strlen(s->paths[i]);
		if (!strcmp(path, s->paths[i]))
			return 1;
		if (s->isdir[i] && (l == 1 || (!strncmp(path, s->paths[i], l) && path[l] == '/')))
			return 1;
	}
	return 0;
}

static int keep(void *ctx, const char *path, int unresolved)
{
	struct sel *s = ctx;
	int k = selected(s, path, unresolved);

	s->kept += (size_t)k;
	return k;
}

/* Each PATH argument as the path deps.json names it. */
static int sel_paths(struct cli *c, struct ocifs_session *s, struct sel *sel)
{
	struct ocifs_tree_view *tv = NULL;
	char buf[4096];
	int rc;

	sel->n = 0;
	sel->paths = calloc((size_t)c->nargs, sizeof(*sel->paths));
	sel->isdir = calloc((size_t)c->nargs, sizeof(*sel->isdir));
	if (!sel->paths || !sel->isdir || (rc = ocifs_tree_view_new(s->view, &tv)))
		return -ENOMEM;
	for (int i = 1; i < c->nargs; i++) {
		struct ocifs_vattr a;
		uint64_t ino;
		rc = ocifs_tree_view_resolve(tv, c->args[i], 1, &ino, NULL);
		if (!rc)
			rc = ocifs_view_getattr(s->view, ino, &a);
		if (!rc)
			rc = ocifs_view_path(s->view, ino, buf, sizeof(buf));
		if (rc) {
			log_err("%s: \"%s\": %s in the image", c->args[0], c->args[i],
				rc == -ENOENT ? "no such file" : strerror(-rc));
			break;
		}
		sel->isdir[sel->n] = S_ISDIR(a.mode);
		if (!(sel->paths[sel->n++] = strdup(buf))) {
			rc = -ENOMEM;
			break;
		}
	}
	ocifs_tree_view_free(tv);
	return rc;
}

int cmd_deps(struct cli *c)
{
	struct ocifs_session_opts so = cli_session_opts(c);
	struct ocifs_session *s;
	struct sel sel = { .c = c };
	char *json = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	int rc;

	if ((rc = ocifs_session_open(c->args[0], &so, &s)))
		return rc;
	struct ocifs_deps_opts o = { .cache_dir = s->cache_dir };
	if ((rc = sel_paths(c, s, &sel)))
		goto out;
	if ((rc = ocifs_deps_json(s->img, s->view, &o, &json, &len, NULL)))
		goto out;
	if (!sel.n && !c->unresolved && c->json)
		rc = cli_write_stdout(json, len);
	else if (!(rc = ocifs_deps_select(json, len, keep, &sel, !c->json, &out, &olen)))
		rc = cli_write_stdout(out, olen);
	if (rc == -EBADMSG)
		log_err("%s: the deps document is not valid JSON", c->args[0]);
	if (!rc && c->unresolved && sel.kept)
		rc = OCIFS_EXIT_ERR; /* as diff: 1 when something was found (and listed) */
out:
	for (size_t i = 0; i < sel.n; i++)
		free(sel.paths[i]);
	free(sel.paths);
	free(sel.isdir);
	free(json);
	free(out);
	ocifs_session_close(s);
	return rc;
}
