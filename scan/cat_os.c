/* SPDX-License-Identifier: MIT */
/*
 * The OS cataloger: the image's distribution from /etc/os-release (else
 * /usr/lib/os-release) as one "operating-system" component (name = the
 * family, version as Trivy reports it), read once in finish() through
 * the tree (the file is usually a symlink, which the pipeline's walk of
 * regular files never offers). sbom.c spells the deb/apk/rpm purls of
 * the image from it (osrel.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "osrel.h"

#define OS_FILE_MAX (64u << 10)

static int os_match(const char *path, uint32_t magic)
{
	(void)path;
	(void)magic;
	return 0;
}

static int os_init(const struct ocifs_catalog_env *env, void **state)
{
	*state = (void *)env;
	return 0;
}

struct last_layer {
	uint32_t layer;
	int found;
};

static int note_layer(void *ctx, uint32_t layer, const char *buf, size_t len)
{
	struct last_layer *l = ctx;

	(void)buf;
	(void)len;
	l->layer = layer;
	l->found = 1;
	return 0;
}

static int os_finish(struct ocifs_model *m, void *state, struct ocifs_emit *e)
{
	static const char *const where[] = { "/etc/os-release", "/usr/lib/os-release" };
	const struct ocifs_catalog_env *env = state;
	const struct ocifs_tree *t = env->tree;
	char *buf = NULL, *ver = NULL, *real = NULL;
	size_t len = 0, vlen = 0;
	struct ocifs_osrel o;
	int rc = -ENOENT;

	(void)m;
	for (size_t i = 0; i < 2 && rc; i++)
		if (!(rc = t->read_file(t->ctx, where[i], OS_FILE_MAX, &buf, &len)) &&
		    (rc = t->realpath(t->ctx, where[i], &real)))
			break;
	if (rc) {
		free(buf);
		return rc == -ENOMEM ? rc : 0; /* no OS: a scratch image */
	}
	if (t->read_file(t->ctx, "/etc/debian_version", 64, &ver, &vlen))
		t->read_file(t->ctx, "/etc/alpine-release", 64, &ver, &vlen);
	rc = ocifs_osrel_parse(buf, len, ver, &o);
	free(buf);
	free(ver);
	if (rc) {
		free(real);
		return rc == -ENOMEM ? rc : 0;
	}
	struct last_layer ll = { 0, 0 };
	if ((rc = env->layer_versions(env->layer_ctx, real, OS_FILE_MAX, note_layer, &ll)) == 0) {
		struct ocifs_prop props[] = {
			{ "ocifs:os:id", o.id },
			{ "ocifs:os:version_id", o.version_id },
			{ "ocifs:os:codename", o.codename },
			{ "ocifs:os:pretty_name", o.pretty_name },
		};
		struct ocifs_prop keep[4];
		size_t nkeep = 0;
		for (size_t i = 0; i < 4; i++)
			if (props[i].value && *props[i].value)
				keep[nkeep++] = props[i];
		struct ocifs_component c = {
			.name = (char *)o.family,
			.version = o.version,
			.kind = "operating-system",
			.layer = ll.layer,
			.source = real,
			.files = &real,
			.nfiles = 1,
			.props = keep,
			.nprops = nkeep,
		};
		rc = ocifs_emit_component(e, &c);
	}
	ocifs_osrel_fini(&o);
	free(real);
	return rc;
}

const struct ocifs_cataloger ocifs_cat_os = {
	.name = "os",
	.pass = 1,
	.match = os_match,
	.init = os_init,
	.finish = os_finish,
};
