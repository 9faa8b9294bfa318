/* SPDX-License-Identifier: MIT */
/*
 * The library cataloger (pass 2, every name, no bytes): the libraries
 * the image's dynamic loader would load for each dynamic executable and
 * shared library (ldso.h), per name because $ORIGIN is the name's. One
 * resolver for the whole image, created once pass 1 is done.
 */
#include <errno.h>

#include "catalog.h"

#define LDSO_IMAGE_PROBES (10u << 20)   /* files tried by all library searches */

static int ldso_match(const char *path, uint32_t magic)
{
	(void)path;
	return (magic & OCIFS_EF_ELF) != 0;
}

static int ldso_init(const struct ocifs_catalog_env *env, void **state)
{
	struct ocifs_ldso_opts lo = {
		.ld_library_path = env->ld_library_path,
		.stop = env->stop,
		.stop_ctx = env->stop_ctx,
		.image_probes = LDSO_IMAGE_PROBES,
	};

	struct ocifs_ldso *l = NULL;
	int rc = ocifs_ldso_new(env->tree, &lo, &l);

	*state = l;
	return rc;
}

static void ldso_fini(void *state)
{
	ocifs_ldso_free(state);
}

static int ldso_analyze(const struct ocifs_rd *rd, const struct ocifs_tree *tree,
			struct ocifs_emit *e)
{
	struct ocifs_mfile *f = ocifs_emit_file(e);
	const struct ocifs_mfile *b = ocifs_emit_bytes(e);
	const struct ocifs_elf *elf = b->unpacked ? &b->upx_elf : &b->elf;
	int rc;

	(void)rd;
	(void)tree;
	if (!b->is_elf || !(elf->link == OCIFS_ELF_DYNAMIC || elf->link == OCIFS_ELF_SHARED_LIB ||
			    elf->nneeded))
		return 0;
	rc = ocifs_ldso_resolve(ocifs_emit_state(e), f->path, elf, &f->libs);
	if (rc == 0)
		f->resolved = 1;
	else if (rc == -ENOMEM && f == b)
		ocifs_emit_error(e, "library resolution", rc);
	return 0;
}

const struct ocifs_cataloger ocifs_cat_ldso = {
	.name = "ldso",
	.pass = 2,
	.flags = OCIFS_CAT_EACH_NAME,
	.want = 0,
	.match = ldso_match,
	.init = ldso_init,
	.analyze = ldso_analyze,
	.fini = ldso_fini,
};
