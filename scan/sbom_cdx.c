/* SPDX-License-Identifier: MIT */
/*
 * The CycloneDX 1.6 JSON writer of the SBOM (the shape sbom.h
 * documents), streamed with jsonw.c from sbom.c's finished model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "jsonw.h"
#include "sbom_priv.h"
#include "sha.h"

#define CDX_VALID_TYPES                                                                       \
	"application framework library container platform operating-system device "           \
	"device-driver firmware file machine-learning-model data cryptographic-asset"

/* --- strings: every one valid UTF-8 (JSON is UTF-8; file names and
 * package fields of an image are bytes), invalid bytes -> U+FFFD --- */

static size_t utf8_seq(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80 ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* s, or a malloc'd copy with each invalid byte replaced (*tmp set). */
static const char *utf8(const char *s, char **tmp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t bad = 0, n = 0;

	*tmp = NULL;
	for (size_t i = 0; p[i]; n++) {
		size_t l = utf8_seq(p + i);
		bad += !l;
		i += l ? l : 1;
	}
	if (!bad)
		return s;
	char *o = malloc(strlen(s) + 2 * bad + 1), *q = o;
	if (!o)
		return "\xef\xbf\xbd"; /* U+FFFD alone rather than invalid JSON */
	for (size_t i = 0; p[i];) {
		size_t l = utf8_seq(p + i);
		if (l) {
			memcpy(q, p + i, l);
			q += l;
			i += l;
		} else {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			i++;
		}
	}
	*q = 0;
	return *tmp = o;
}

static void str(struct ocifs_jsonw *w, const char *v)
{
	char *tmp = NULL;

	ocifs_jsonw_str(w, v ? utf8(v, &tmp) : NULL);
	free(tmp);
}

static void kstr(struct ocifs_jsonw *w, const char *k, const char *v)
{
	ocifs_jsonw_key(w, k);
	str(w, v);
}

/* The CycloneDX type of a component (its kind when valid, else library). */
static const char *cdx_type(const char *kind)
{
	static const char valid[] = CDX_VALID_TYPES;
	const char *p;
	size_t n;

	if (!kind || !*kind || strchr(kind, ' '))
		return "library";
	n = strlen(kind);
	for (p = strstr(valid, kind); p; p = strstr(p + 1, kind))
		if ((p == valid || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return kind;
	return "library";
}

static void prop(struct ocifs_jsonw *w, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	ocifs_jsonw_obj(w);
	kstr(w, "name", name);
	kstr(w, "value", value);
	ocifs_jsonw_end_obj(w);
}

static void prop_num(struct ocifs_jsonw *w, const char *name, size_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%zu", v);
	prop(w, name, b);
}

/* The layer properties of a component from layer li (0-based). */
static void layer_props(struct ocifs_jsonw *w, const struct sbom *s, uint32_t li)
{
	if (li >= s->nlayers)
		return;
	prop_num(w, "ocifs:layer", (size_t)li + 1);
	prop(w, "ocifs:layer:digest", s->layers[li].digest);
	prop(w, "ocifs:layer:diff_id", s->layers[li].diff_id);
	prop(w, "ocifs:layer:created_by", s->layers[li].created_by);
}

static void licenses(struct ocifs_jsonw *w, const struct ocifs_component *c)
{
	if (!c->nlicenses)
		return;
	ocifs_jsonw_key(w, "licenses");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < c->nlicenses; i++) {
		if (!c->licenses[i] || !*c->licenses[i])
			continue;
		ocifs_jsonw_obj(w);
		ocifs_jsonw_key(w, "license");
		ocifs_jsonw_obj(w);
		kstr(w, "name", c->licenses[i]);
		ocifs_jsonw_end_obj(w);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
}

/* "hashes": [SHA-256 hex] */
static void sha256_hex(struct ocifs_jsonw *w, const char *hex)
{
	ocifs_jsonw_key(w, "hashes");
	ocifs_jsonw_arr(w);
	ocifs_jsonw_obj(w);
	kstr(w, "alg", "SHA-256");
	kstr(w, "content", hex);
	ocifs_jsonw_end_obj(w);
	ocifs_jsonw_end_arr(w);
}

/* How consumers (Trivy's reader, Syft) expect a name with a namespace:
 * maven's groupId in "group"; npm's scope, a composer vendor or a Go
 * module's host path as part of the name ("@scope/pkg", "vendor/pkg"). */
static int grouped(const char *type)
{
	return type && !strcmp(type, "maven");
}

static int full_name(const char *type)
{
	return type && (!strcmp(type, "npm") || !strcmp(type, "composer") || !strcmp(type, "golang"));
}

static void component(struct ocifs_jsonw *w, const struct sbom *s, const struct sbom_comp *sc)
{
	const struct ocifs_component *c = sc->c;

	ocifs_jsonw_obj(w);
	kstr(w, "bom-ref", sc->bom_ref);
	kstr(w, "type", cdx_type(c->kind));
	if (grouped(c->type) && c->namespace_ && *c->namespace_)
		kstr(w, "group", c->namespace_);
	if (full_name(c->type) && c->namespace_ && *c->namespace_ && c->name) {
		char *n = NULL;
		if (asprintf(&n, "%s/%s", c->namespace_, c->name) < 0)
			n = NULL;
		kstr(w, "name", n ? n : c->name);
		free(n);
	} else {
		kstr(w, "name", c->name && *c->name ? c->name : "(unnamed)");
	}
	if (c->version && *c->version)
		kstr(w, "version", c->version);
	licenses(w, c);
	if (c->has_sha256) {
		char hex[65];
		ocifs_hex_encode(hex, c->sha256, 32);
		hex[64] = 0;
		sha256_hex(w, hex);
	}
	if (sc->purl)
		kstr(w, "purl", sc->purl);
	ocifs_jsonw_key(w, "properties");
	ocifs_jsonw_arr(w);
	layer_props(w, s, c->layer);
	prop(w, "ocifs:cataloger", c->cataloger);
	prop(w, "ocifs:source", c->source);
	for (size_t i = 0; i < c->nprops; i++)
		prop(w, c->props[i].name, c->props[i].value);
	if (sc->missing) {
		prop_num(w, "ocifs:files:missing", sc->missing);
		if (!sc->nfiles)
			prop(w, "ocifs:status", "files-deleted");
	}
	for (size_t i = 0; i < sc->nunresolved; i++)
		prop(w, "ocifs:unresolved", sc->unresolved[i]);
	ocifs_jsonw_end_arr(w);
	if (sc->nfiles) {
		ocifs_jsonw_key(w, "evidence");
		ocifs_jsonw_obj(w);
		ocifs_jsonw_key(w, "occurrences");
		ocifs_jsonw_arr(w);
		for (size_t i = 0; i < sc->nfiles; i++) {
			ocifs_jsonw_obj(w);
			kstr(w, "location", sc->files[i]);
			ocifs_jsonw_end_obj(w);
		}
		ocifs_jsonw_end_arr(w);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_obj(w);
}

static void image_component(struct ocifs_jsonw *w, const struct sbom *s)
{
	const struct ocifs_image *img = s->img;
	int have = strncmp(img->manifest_digest, "sha256:", 7) == 0 && strlen(img->manifest_digest) == 71;

	ocifs_jsonw_obj(w);
	kstr(w, "bom-ref", "image");
	kstr(w, "type", "container");
	kstr(w, "name", img->nnames ? img->names[0] : s->name);
	kstr(w, "version", img->manifest_digest);
	if (have) /* the manifest digest's hex, as it is */
		sha256_hex(w, img->manifest_digest + 7);
	kstr(w, "purl", s->purl);
	ocifs_jsonw_key(w, "properties");
	ocifs_jsonw_arr(w);
	prop(w, "ocifs:image:config_digest", img->config_digest);
	prop(w, "ocifs:image:created", img->created);
	prop(w, "ocifs:image:platform", img->platform);
	for (size_t i = 0; i < img->nnames; i++)
		prop(w, "ocifs:image:name", img->names[i]);
	for (size_t i = 0; i < s->nerrors; i++)
		prop(w, "ocifs:error", s->errors[i]);
	for (size_t i = 0; i < s->nlayers; i++) {
		char k[64];
		snprintf(k, sizeof(k), "ocifs:layer:%zu:digest", i + 1);
		prop(w, k, s->layers[i].digest);
		snprintf(k, sizeof(k), "ocifs:layer:%zu:diff_id", i + 1);
		prop(w, k, s->layers[i].diff_id);
		snprintf(k, sizeof(k), "ocifs:layer:%zu:created_by", i + 1);
		prop(w, k, s->layers[i].created_by);
	}
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_end_obj(w);
}

/* urn:uuid: of a name-based (version 5 layout) UUID from the manifest. */
static void serial(const struct sbom *s, char out[46])
{
	unsigned char h[32];
	char x[33];

	if (ocifs_sha256(s->img->manifest_digest, strlen(s->img->manifest_digest), h))
		memset(h, 0, sizeof(h));
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	ocifs_hex_encode(x, h, 16);
	snprintf(out, 46, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", x, x + 8, x + 12, x + 16, x + 20);
}

static void dependencies(struct ocifs_jsonw *w, const struct sbom *s)
{
	const struct sbom_comp *os = NULL;

	for (size_t i = 0; i < s->ncomps && !os; i++)
		if (s->comps[i].c->kind && !strcmp(s->comps[i].c->kind, "operating-system"))
			os = &s->comps[i];
	ocifs_jsonw_key(w, "dependencies");
	ocifs_jsonw_arr(w);
	ocifs_jsonw_obj(w);
	kstr(w, "ref", "image");
	ocifs_jsonw_key(w, "dependsOn");
	ocifs_jsonw_arr(w);
	for (size_t i = 0; i < s->ncomps; i++)
		str(w, s->comps[i].bom_ref);
	ocifs_jsonw_end_arr(w);
	ocifs_jsonw_end_obj(w);
	for (size_t i = 0; i < s->ncomps; i++) {
		const struct sbom_comp *sc = &s->comps[i];
		ocifs_jsonw_obj(w);
		kstr(w, "ref", sc->bom_ref);
		ocifs_jsonw_key(w, "dependsOn");
		ocifs_jsonw_arr(w);
		if (sc == os) /* the OS -> its packages, as Trivy nests them */
			for (size_t k = 0; k < s->ncomps; k++)
				if (s->comps[k].os_package)
					str(w, s->comps[k].bom_ref);
		for (size_t j = 0; j < sc->ndeps; j++) /* sorted by sbom.c */
			if (!(sc == os && s->comps[sc->deps[j]].os_package))
				str(w, s->comps[sc->deps[j]].bom_ref);
		ocifs_jsonw_end_arr(w);
		ocifs_jsonw_end_obj(w);
	}
	ocifs_jsonw_end_arr(w);
}

int ocifs_sbom_cdx_write(const struct sbom *s, char **out, size_t *len)
{
	struct ocifs_jsonw w;
	char *buf = NULL, sn[46];
	size_t blen = 0;
	FILE *fp = open_memstream(&buf, &blen);

	if (!fp)
		return -ENOMEM;
	serial(s, sn);
	ocifs_jsonw_init(&w, fp);
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kstr(&w, "bomFormat", "CycloneDX");
	ocifs_jsonw_kstr(&w, "specVersion", "1.6");
	ocifs_jsonw_kstr(&w, "serialNumber", sn);
	ocifs_jsonw_kint(&w, "version", 1);
	ocifs_jsonw_key(&w, "metadata");
	ocifs_jsonw_obj(&w);
	if (s->timestamp[0])
		ocifs_jsonw_kstr(&w, "timestamp", s->timestamp);
	/* the tools array (still valid in 1.6, deprecated): the object form
	 * makes consumers built on older cyclonedx-go (Trivy) reject the
	 * whole document */
	ocifs_jsonw_key(&w, "tools");
	ocifs_jsonw_arr(&w);
	ocifs_jsonw_obj(&w);
	ocifs_jsonw_kstr(&w, "vendor", "ocifs");
	ocifs_jsonw_kstr(&w, "name", "ocifs");
	ocifs_jsonw_kstr(&w, "version", PACKAGE_VERSION);
	ocifs_jsonw_end_obj(&w);
	ocifs_jsonw_end_arr(&w);
	ocifs_jsonw_key(&w, "component");
	image_component(&w, s);
	ocifs_jsonw_end_obj(&w);
	ocifs_jsonw_key(&w, "components");
	ocifs_jsonw_arr(&w);
	for (size_t i = 0; i < s->ncomps; i++)
		component(&w, s, &s->comps[i]);
	ocifs_jsonw_end_arr(&w);
	dependencies(&w, s);
	ocifs_jsonw_end_obj(&w);
	fputc('\n', fp);
	int bad = ferror(fp) || w.err;
	if (fclose(fp) || bad || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = blen;
	return 0;
}
