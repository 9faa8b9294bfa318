/* SPDX-License-Identifier: MIT */
/*
 * The script cataloger (pass 2, the first 4 KiB): what runs a "#!" file,
 * through the image's PATH (script.h). Pass 2, so that every
 * interpreter's head is already in the tree's read cache.
 */
#include "catalog.h"

#define SCRIPT_HEAD 4096u       /* bytes of a script read */

static int script_match(const char *path, uint32_t magic)
{
	(void)path;
	return (magic & OCIFS_EF_SCRIPT) != 0;
}

static int script_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			  struct ocifs_emit *e)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);
	const char *path_env = ocifs_emit_state(e);
	int rc;

	f->is_script = 1;
	if ((rc = ocifs_script_analyze(rd, tree, path_env, &f->script)))
		ocifs_emit_error(e, "script analysis", rc);
	return 0;
}

/* The state is the image's PATH (borrowed from the image config). */
static int script_init(const struct ocifs_catalog_env *env, void **state)
{
	*state = (void *)env->path_env;
	return 0;
}

const struct ocifs_cataloger ocifs_cat_script = {
	.name = "script",
	.pass = 2,
	.want = SCRIPT_HEAD,
	.match = script_match,
	.init = script_init,
	.analyze = script_analyze,
};
