/* SPDX-License-Identifier: MIT */
/*
 * The report's analysis sections, from the documents a mount serves
 * (made or loaded through the same document cache): the /.deps summary
 * (binaries by how they link, unresolved libraries with the files that
 * need them, Go versions with their binaries) from deps.json, and the
 * SBOM's components grouped by their ocifs:layer property from the
 * CycloneDX document (ocifs-sbom(5)).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "log.h"
#include "report.h"
#include "sbom.h"

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/* Count file under group key (files listed up to RPT_GROUP_FILES_MAX). */
static int group_add(struct rpt_groups *gs, const char *key, const char *file)
{
	size_t i;
	int rc;

	if ((rc = ocifs_strmap_put(&gs->idx, key, strlen(key), gs->n, &i)) < 0)
		return rc;
	if (rc == 1) {
		if (gs->n == gs->cap) {
			size_t cap = gs->cap ? gs->cap * 2 : 16;
			struct rpt_group *g = realloc(gs->g, cap * sizeof(*g));
			if (!g)
				return -ENOMEM;
			gs->g = g;
			gs->cap = cap;
		}
		i = gs->n++;
		gs->g[i] = (struct rpt_group){ .key = key };
	}
	struct rpt_group *g = &gs->g[i];
	g->count++;
	if (!file || g->nfiles >= RPT_GROUP_FILES_MAX)
		return 0;
	if (g->nfiles == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		const char **f = realloc(g->files, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		g->files = f;
		g->cap = cap;
	}
	g->files[g->nfiles++] = file;
	return 0;
}

static int group_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rpt_group *)a)->key, ((const struct rpt_group *)b)->key);
}

/* Sort by key (the map is not used afterwards). */
static void groups_sort(struct rpt_groups *gs)
{
	if (gs->n > 1)
		qsort(gs->g, gs->n, sizeof(*gs->g), group_cmp);
	ocifs_strmap_fini(&gs->idx);
}

static void groups_fini(struct rpt_groups *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i].files);
	free(gs->g);
	ocifs_strmap_fini(&gs->idx);
	memset(gs, 0, sizeof(*gs));
}

static json_object *parse(const char *buf, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static int deps_file(struct rpt_scan *sc, json_object *f)
{
	const char *path = jstr(f, "path"), *kind = jstr(f, "kind"), *link = jstr(f, "link");
	json_object *un, *go;
	int rc;

	if (!path || !kind)
		return 0;
	if ((rc = group_add(&sc->link, !strcmp(kind, "script") ? "script"
				       : link ? link : "other", path)))
		return rc;
	if (json_object_object_get_ex(f, "unresolved", &un) && json_object_is_type(un, json_type_array))
		for (size_t i = 0; i < json_object_array_length(un); i++) {
			json_object *n = json_object_array_get_idx(un, i);
			if (json_object_is_type(n, json_type_string) &&
			    (rc = group_add(&sc->unres, json_object_get_string(n), path)))
				return rc;
		}
	if (json_object_object_get_ex(f, "go", &go) && json_object_is_type(go, json_type_object)) {
		const char *v = jstr(go, "version");
		if ((rc = group_add(&sc->gover, v ? v : "unknown", path)))
			return rc;
	}
	return 0;
}

static int deps_summary(struct ocifs_session *s, struct rpt_scan *sc)
{
	struct ocifs_deps_opts o = { .cache_dir = s->cache_dir };
	json_object *sum, *files;
	char *json = NULL;
	size_t len = 0;
	int rc;

	if ((rc = ocifs_deps_json(s->img, s->view, &o, &json, &len, NULL))) {
		sc->deps_error = "the /.deps document could not be made";
		log_err("report: %s: the /.deps document: %s", s->img->path, strerror(-rc));
		return rc == -ENOMEM ? rc : 0;
	}
	sc->deps = parse(json, len);
	free(json);
	if (!sc->deps || !json_object_object_get_ex(sc->deps, "summary", &sum) ||
	    !json_object_object_get_ex(sc->deps, "files", &files) ||
	    !json_object_is_type(files, json_type_array)) {
		sc->deps_error = "the /.deps document is not valid";
		log_err("report: %s: the deps document is not valid JSON", s->img->path);
		return 0;
	}
	sc->files = jint(sum, "files");
	sc->elf = jint(sum, "elf");
	sc->scripts = jint(sum, "scripts");
	sc->go = jint(sum, "go");
	sc->upx = jint(sum, "upx");
	sc->unresolved = jint(sum, "unresolved");
	sc->errors = jint(sum, "errors");
	for (size_t i = 0; i < json_object_array_length(files); i++)
		if ((rc = deps_file(sc, json_object_array_get_idx(files, i))))
			return rc;
	groups_sort(&sc->link);
	groups_sort(&sc->unres);
	groups_sort(&sc->gover);
	return 0;
}

/* The value of property name of component c, or NULL. */
static const char *prop(json_object *c, const char *name)
{
	json_object *ps;

	if (!json_object_object_get_ex(c, "properties", &ps) || !json_object_is_type(ps, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(ps); i++) {
		json_object *p = json_object_array_get_idx(ps, i);
		const char *n = jstr(p, "name");
		if (n && !strcmp(n, name))
			return jstr(p, "value");
	}
	return NULL;
}

static int cl_cmp(const void *a, const void *b)
{
	unsigned x = ((const struct rpt_comp_layer *)a)->layer;
	unsigned y = ((const struct rpt_comp_layer *)b)->layer;

	/* ascending, "no layer" (0) last */
	x = x ? x : UINT32_MAX;
	y = y ? y : UINT32_MAX;
	return x < y ? -1 : x > y;
}

static int comp_add(struct rpt_scan *sc, unsigned layer, const struct rpt_comp *c)
{
	struct rpt_comp_layer *cl = NULL;

	for (size_t i = 0; i < sc->ncl; i++) /* a handful of layers */
		if (sc->cl[i].layer == layer)
			cl = &sc->cl[i];
	if (!cl) {
		struct rpt_comp_layer *n = realloc(sc->cl, (sc->ncl + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		sc->cl = n;
		cl = &sc->cl[sc->ncl++];
		*cl = (struct rpt_comp_layer){ .layer = layer };
	}
	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? cl->cap * 2 : 16;
		struct rpt_comp *n = realloc(cl->c, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		cl->c = n;
		cl->cap = cap;
	}
	cl->c[cl->n++] = *c;
	return 0;
}

static int sbom_layers(struct ocifs_session *s, struct rpt_scan *sc)
{
	struct ocifs_sbom_opts o = { .cache_dir = s->cache_dir };
	json_object *comps;
	char *cdx = NULL;
	size_t len = 0, n;
	int rc;

	if ((rc = ocifs_sbom_cdx(s->img, s->view, &o, &cdx, &len, NULL))) {
		sc->sbom_error = "the SBOM could not be made";
		log_err("report: %s: the SBOM: %s", s->img->path, strerror(-rc));
		return rc == -ENOMEM ? rc : 0;
	}
	sc->sbom = parse(cdx, len);
	free(cdx);
	if (!sc->sbom || !json_object_object_get_ex(sc->sbom, "components", &comps) ||
	    !json_object_is_type(comps, json_type_array)) {
		sc->sbom_error = "the SBOM is not valid CycloneDX";
		log_err("report: %s: the SBOM document is not valid CycloneDX", s->img->path);
		return 0;
	}
	n = json_object_array_length(comps);
	sc->ncomp = n;
	for (size_t i = 0; i < n && sc->shown < RPT_COMP_MAX; i++) {
		json_object *c = json_object_array_get_idx(comps, i);
		const char *l = prop(c, "ocifs:layer");
		struct rpt_comp rc_ = { .name = jstr(c, "name"), .version = jstr(c, "version"),
					.type = jstr(c, "type"), .purl = jstr(c, "purl"),
					.cataloger = prop(c, "ocifs:cataloger") };
		char *end;
		unsigned long layer = l ? strtoul(l, &end, 10) : 0;

		if (!l || *end || layer > s->img->nlayers)
			layer = 0;
		if ((rc = comp_add(sc, (unsigned)layer, &rc_)))
			return rc;
		sc->shown++;
	}
	if (sc->ncl > 1)
		qsort(sc->cl, sc->ncl, sizeof(*sc->cl), cl_cmp);
	return 0;
}

int rpt_scan_build(struct ocifs_session *s, struct rpt_scan *sc)
{
	int rc;

	memset(sc, 0, sizeof(*sc));
	if ((rc = deps_summary(s, sc)))
		return rc;
	return sbom_layers(s, sc);
}

void rpt_scan_fini(struct rpt_scan *sc)
{
	groups_fini(&sc->link);
	groups_fini(&sc->unres);
	groups_fini(&sc->gover);
	for (size_t i = 0; i < sc->ncl; i++)
		free(sc->cl[i].c);
	free(sc->cl);
	json_object_put(sc->deps);
	json_object_put(sc->sbom);
	memset(sc, 0, sizeof(*sc));
}
