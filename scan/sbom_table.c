/* SPDX-License-Identifier: MIT */
/*
 * The text table of `ocifs sbom --format table` (sbom.h), derived from
 * the CycloneDX document like `syft -o table`: one line per component
 * (NAME VERSION TYPE LAYER PURL; TYPE the purl type, else the CycloneDX
 * type; LAYER the 1-based ocifs:layer), sorted, columns aligned, every
 * field escaped as `ls -b` escapes names (they come from the image).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "esc.h"
#include "sbom.h"
#include "sbom_derive.h"

#define NCOL 5

struct row {
	char *col[NCOL];
};

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static const char *prop(json_object *c, const char *name)
{
	json_object *props;

	if (!json_object_object_get_ex(c, "properties", &props) ||
	    !json_object_is_type(props, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(props); i++) {
		json_object *p = json_object_array_get_idx(props, i);
		const char *k = jstr(p, "name");
		if (k && !strcmp(k, name))
			return jstr(p, "value");
	}
	return NULL;
}

/* The purl's type ("pkg:deb/..." -> "deb") into buf, or NULL. */
static const char *purl_type(const char *purl, char *buf, size_t cap)
{
	size_t n;

	if (!purl || strncmp(purl, "pkg:", 4))
		return NULL;
	purl += 4;
	n = strcspn(purl, "/@?#");
	if (!n || n >= cap || purl[n] != '/')
		return NULL;
	memcpy(buf, purl, n);
	buf[n] = '\0';
	return buf;
}

static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	for (int i = 0; i < NCOL; i++) {
		int c = strcmp(a->col[i], b->col[i]);
		if (c)
			return c;
	}
	return 0;
}

static int fill(struct row *r, json_object *c)
{
	char tbuf[64];
	const char *purl = jstr(c, "purl"), *type = purl_type(purl, tbuf, sizeof(tbuf));
	const char *v[NCOL] = { jstr(c, "name"), jstr(c, "version"), type ? type : jstr(c, "type"),
				prop(c, "ocifs:layer"), purl };

	for (int i = 0; i < NCOL; i++)
		if (ocifs_esc_name(v[i] ? v[i] : "", &r->col[i]))
			return -ENOMEM;
	return 0;
}

/* Rows of comps and their nested components, appended. */
static int collect(json_object *comps, struct row **rows, size_t *n, size_t *cap, unsigned depth)
{
	size_t len = comps && json_object_is_type(comps, json_type_array) ?
		     json_object_array_length(comps) : 0;

	if (depth > 16)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		json_object *c = json_object_array_get_idx(comps, i), *sub;
		int rc;
		if (!json_object_is_type(c, json_type_object))
			return -EBADMSG;
		if (*n == *cap) {
			size_t nc = *cap ? 2 * *cap : 64;
			struct row *nr = realloc(*rows, nc * sizeof(*nr));
			if (!nr)
				return -ENOMEM;
			*rows = nr;
			*cap = nc;
		}
		memset(&(*rows)[*n], 0, sizeof(**rows));
		rc = fill(&(*rows)[(*n)++], c);
		if (rc)
			return rc;
		if (json_object_object_get_ex(c, "components", &sub) &&
		    (rc = collect(sub, rows, n, cap, depth + 1)))
			return rc;
	}
	return 0;
}

int ocifs_sbom_table(const char *cdx, size_t len, char **out, size_t *out_len)
{
	static const char *const head[NCOL] = { "NAME", "VERSION", "TYPE", "LAYER", "PURL" };
	json_object *doc, *comps = NULL;
	struct row *rows = NULL;
	size_t n = 0, cap = 0, w[NCOL];
	FILE *fp = NULL;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = ocifs_sbom_parse_cdx(cdx, len, &doc)))
		return rc;
	json_object_object_get_ex(doc, "components", &comps);
	rc = collect(comps, &rows, &n, &cap, 0);
	json_object_put(doc);
	if (rc)
		goto out;
	if (n)
		qsort(rows, n, sizeof(*rows), row_cmp);
	for (int i = 0; i < NCOL; i++) {
		w[i] = strlen(head[i]);
		for (size_t k = 0; k < n; k++)
			if (strlen(rows[k].col[i]) > w[i])
				w[i] = strlen(rows[k].col[i]);
	}
	rc = -ENOMEM;
	if (!(fp = open_memstream(out, out_len)))
		goto out;
	for (size_t k = 0; k <= n; k++) {
		for (int i = 0; i < NCOL; i++) {
			const char *s = k ? rows[k - 1].col[i] : head[i];
			if (i < NCOL - 1)
				fprintf(fp, "%-*s  ", (int)w[i], s);
			else
				fprintf(fp, "%s\n", s);
		}
	}
	rc = ferror(fp) ? -ENOMEM : 0;
	if (fclose(fp))
		rc = -ENOMEM;
	if (rc) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
out:
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < NCOL; i++)
			free(rows[k].col[i]);
	free(rows);
	return rc;
}
