/* SPDX-License-Identifier: MIT */
/*
 * The SPDX 2.3 JSON document of an image, derived from its CycloneDX
 * document (sbom.h: the one full serialization; this reads it back with
 * json-c): one package per component and one for the image, DOCUMENT
 * DESCRIBES the image, the image CONTAINS every component, and each
 * CycloneDX dependency other than the image's own list is a DEPENDS_ON.
 * Deterministic: the namespace comes from the manifest digest and the
 * CycloneDX bytes, the creation time from SOURCE_DATE_EPOCH or the
 * document (never the clock), packages keep the CycloneDX order and
 * relationships are sorted.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "hex.h"
#include "sbom.h"
#include "sbom_derive.h"
#include "sha.h"

#define SPDX_ID_MAX 120         /* characters of a sanitized id */

struct rel {
	const char *a, *type, *b;       /* borrowed from ids */
};

struct spdx {
	json_object *ids;       /* bom-ref -> SPDXID (string) */
	json_object *used;      /* SPDXID -> null: taken */
	json_object *lic;       /* free license text -> LicenseRef id */
	json_object *extracted; /* hasExtractedLicensingInfos array */
	struct rel *rels;
	size_t nrels, relcap;
};

/* prefix + ref with each character outside [A-Za-z0-9.-] as '-' (an id
 * of SPDX), made unique among the keys of used with "-2", "-3", ...: the
 * copy held by used, or NULL on no memory. */
static const char *make_id(const char *prefix, const char *ref, json_object *used)
{
	char base[SPDX_ID_MAX + 40], id[SPDX_ID_MAX + 60];
	size_t n = strlen(prefix), p0 = n;
	struct lh_entry *e;

	memcpy(base, prefix, n);
	for (const char *p = ref; *p && n < p0 + SPDX_ID_MAX; p++)
		base[n++] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '-';
	if (n == p0)
		base[n++] = 'x';
	base[n] = '\0';
	snprintf(id, sizeof(id), "%s", base);
	for (unsigned k = 2; json_object_object_get_ex(used, id, NULL); k++)
		snprintf(id, sizeof(id), "%s-%u", base, k);
	if (json_object_object_add(used, id, NULL))
		return NULL;
	e = lh_table_lookup_entry(json_object_get_object(used), id);
	return e ? (const char *)lh_entry_k(e) : NULL;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *jarr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static int add_str(json_object *o, const char *key, const char *val)
{
	json_object *v = json_object_new_string(val);

	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_obj(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int push(json_object *a, json_object *v)
{
	if (!v || json_object_array_add(a, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_rel(struct spdx *s, const char *a, const char *type, const char *b)
{
	if (s->nrels == s->relcap) {
		size_t cap = s->relcap ? 2 * s->relcap : 256;
		struct rel *r = realloc(s->rels, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->rels = r;
		s->relcap = cap;
	}
	s->rels[s->nrels++] = (struct rel){ a, type, b };
	return 0;
}

static int rel_cmp(const void *x, const void *y)
{
	const struct rel *a = x, *b = y;
	int c = strcmp(a->a, b->a);

	if (!c)
		c = strcmp(a->type, b->type);
	return c ? c : strcmp(a->b, b->b);
}

/* --- licenses --------------------------------------------------------- */

/* The LicenseRef of free text (one per distinct text, its text kept in
 * hasExtractedLicensingInfos). */
static const char *license_ref(struct spdx *s, const char *text)
{
	json_object *v, *info;
	const char *id;

	if (json_object_object_get_ex(s->lic, text, &v))
		return json_object_get_string(v);
	if (!(id = make_id("LicenseRef-", text, s->used)) || !(info = json_object_new_object()))
		return NULL;
	if (add_str(info, "licenseId", id) || add_str(info, "extractedText", text) ||
	    add_str(info, "name", text)) {
		json_object_put(info);
		return NULL;
	}
	if (push(s->extracted, info)) /* info freed */
		return NULL;
	if (add_str(s->lic, text, id) || !json_object_object_get_ex(s->lic, text, &v))
		return NULL;
	return json_object_get_string(v);
}

/* A license expression's text appended to *buf (grown): 0, -ENOMEM. */
static int cat(char **buf, size_t *len, const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c);
	char *nb = realloc(*buf, *len + n + 1);

	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*len += (size_t)sprintf(nb + *len, "%s%s%s", a, b, c);
	return 0;
}

/* licenseDeclared of a component's CycloneDX licenses: the ids and valid
 * expressions joined with AND, free text as LicenseRefs; NOASSERTION
 * when there is none. malloc'd, or NULL (no memory). */
static char *declared(struct spdx *s, json_object *licenses)
{
	size_t n = licenses ? json_object_array_length(licenses) : 0, len = 0, terms = 0;
	char *buf = NULL;

	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(licenses, i), *lic = NULL;
		const char *expr = jstr(l, "expression"), *term = NULL;
		int paren = 0;
		json_object_object_get_ex(l, "license", &lic);
		if (expr && ocifs_spdx_expr_valid(expr)) {
			term = expr;
			paren = strchr(expr, ' ') != NULL;
		} else if (expr) {
			term = license_ref(s, expr);
		} else if (jstr(lic, "id") && ocifs_spdx_expr_valid(jstr(lic, "id"))) {
			term = jstr(lic, "id");
		} else if (jstr(lic, "id") || jstr(lic, "name")) {
			term = license_ref(s, jstr(lic, "id") ? jstr(lic, "id") : jstr(lic, "name"));
		} else {
			continue;
		}
		if (!term || (terms && cat(&buf, &len, " AND ", "", "")))
			return free(buf), NULL;
		if (cat(&buf, &len, paren && n > 1 ? "(" : "", term, paren && n > 1 ? ")" : ""))
			return free(buf), NULL;
		terms++;
	}
	return buf ? buf : strdup("NOASSERTION");
}

/* --- packages ----------------------------------------------------------- */

static const char *purpose(const char *type)
{
	static const char *const map[][2] = {
		{ "application", "APPLICATION" }, { "framework", "FRAMEWORK" },
		{ "library", "LIBRARY" }, { "container", "CONTAINER" },
		{ "operating-system", "OPERATING_SYSTEM" }, { "device", "DEVICE" },
		{ "firmware", "FIRMWARE" }, { "file", "FILE" },
	};
	for (size_t i = 0; type && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(type, map[i][0]))
			return map[i][1];
	return "OTHER";
}

/* SPDX's checksum algorithm of a CycloneDX one, or NULL. */
static const char *algorithm(const char *alg)
{
	static const char *const map[][2] = {
		{ "SHA-256", "SHA256" }, { "SHA-1", "SHA1" }, { "SHA-384", "SHA384" },
		{ "SHA-512", "SHA512" }, { "MD5", "MD5" }, { "SHA3-256", "SHA3-256" },
		{ "SHA3-384", "SHA3-384" }, { "SHA3-512", "SHA3-512" },
		{ "BLAKE2b-256", "BLAKE2b-256" }, { "BLAKE2b-384", "BLAKE2b-384" },
		{ "BLAKE2b-512", "BLAKE2b-512" }, { "BLAKE3", "BLAKE3" },
	};
	for (size_t i = 0; alg && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(alg, map[i][0]))
			return map[i][1];
	return NULL;
}

static int checksums(json_object *pkg, json_object *hashes)
{
	size_t n = hashes ? json_object_array_length(hashes) : 0;
	json_object *arr = NULL;

	for (size_t i = 0; i < n; i++) {
		json_object *h = json_object_array_get_idx(hashes, i), *c;
		const char *alg = algorithm(jstr(h, "alg")), *val = jstr(h, "content");
		if (!alg || !val)
			continue;
		if (!arr && (!(arr = json_object_new_array()) || add_obj(pkg, "checksums", arr)))
			return -ENOMEM;
		if (!(c = json_object_new_object()) || add_str(c, "algorithm", alg) ||
		    add_str(c, "checksumValue", val) || push(arr, c)) {
			json_object_put(c);
			return -ENOMEM;
		}
	}
	return 0;
}

static int external_ref(json_object **arr, json_object *pkg, const char *cat_, const char *type,
			const char *loc)
{
	json_object *r;

	if (!*arr && (!(*arr = json_object_new_array()) || add_obj(pkg, "externalRefs", *arr)))
		return -ENOMEM;
	if (!(r = json_object_new_object()) || add_str(r, "referenceCategory", cat_) ||
	    add_str(r, "referenceType", type) || add_str(r, "referenceLocator", loc) || push(*arr, r)) {
		json_object_put(r);
		return -ENOMEM;
	}
	return 0;
}

/* SPDX supplier of a CycloneDX component: "Organization: " the supplier's
 * name, else "Person: " its author or publisher ("Name <mail>" becomes
 * "Name (mail)"); NULL when none. malloc'd in *out. */
static int supplier(json_object *c, char **out)
{
	json_object *sup = NULL;
	const char *org = NULL, *person;

	*out = NULL;
	if (json_object_object_get_ex(c, "supplier", &sup))
		org = jstr(sup, "name");
	person = jstr(c, "author") ? jstr(c, "author") : jstr(c, "publisher");
	if (org && *org)
		return asprintf(out, "Organization: %s", org) < 0 ? -ENOMEM : 0;
	if (!person || !*person)
		return 0;
	if (asprintf(out, "Person: %s", person) < 0)
		return -ENOMEM;
	char *lt = strchr(*out, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt && !gt[1]) {
		*lt = '(';
		*gt = ')';
	}
	for (char *p = *out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return 0;
}

/* The ocifs properties of a component as its comment, "name=value" lines. */
static int comment(json_object *pkg, json_object *props)
{
	size_t n = props ? json_object_array_length(props) : 0, len = 0;
	char *buf = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		json_object *p = json_object_array_get_idx(props, i);
		const char *k = jstr(p, "name"), *v = jstr(p, "value");
		if (k && v)
			rc = cat(&buf, &len, len ? "\n" : "", k, "=") || cat(&buf, &len, v, "", "") ?
			     -ENOMEM : 0;
	}
	if (!rc && buf)
		rc = add_str(pkg, "comment", buf);
	free(buf);
	return rc;
}

/* The package of component c (the image when root). */
static int package(struct spdx *s, json_object *pkgs, json_object *c, const char *id)
{
	json_object *pkg = json_object_new_object(), *refs = NULL;
	const char *name = jstr(c, "name"), *version = jstr(c, "version"), *purl = jstr(c, "purl");
	const char *group = jstr(c, "group"), *cpe = jstr(c, "cpe");
	char *lic = NULL, *sup = NULL, *full = NULL;
	int rc = -ENOMEM;

	if (!pkg || push(pkgs, pkg))
		return -ENOMEM;
	if (group && *group && name && asprintf(&full, "%s%s%s", group,
						group[0] == '@' ? "/" : ":", name) < 0)
		return -ENOMEM;
	if (add_str(pkg, "name", full ? full : name ? name : "") || add_str(pkg, "SPDXID", id) ||
	    (version && add_str(pkg, "versionInfo", version)) ||
	    supplier(c, &sup) || (sup && add_str(pkg, "supplier", sup)) ||
	    add_str(pkg, "downloadLocation", "NOASSERTION") ||
	    add_obj(pkg, "filesAnalyzed", json_object_new_boolean(0)) ||
	    checksums(pkg, jarr(c, "hashes")) ||
	    add_str(pkg, "licenseConcluded", "NOASSERTION") ||
	    !(lic = declared(s, jarr(c, "licenses"))) || add_str(pkg, "licenseDeclared", lic) ||
	    add_str(pkg, "copyrightText", "NOASSERTION") ||
	    comment(pkg, jarr(c, "properties")) ||
	    (cpe && external_ref(&refs, pkg, "SECURITY",
				 strncmp(cpe, "cpe:2.3:", 8) ? "cpe22Type" : "cpe23Type", cpe)) ||
	    (purl && external_ref(&refs, pkg, "PACKAGE-MANAGER", "purl", purl)) ||
	    add_str(pkg, "primaryPackagePurpose", purpose(jstr(c, "type"))))
		goto out;
	rc = 0;
out:
	free(lic);
	free(sup);
	free(full);
	return rc;
}

/* Every component (nested ones too, flattened): its package and the
 * image's CONTAINS. */
static int components(struct spdx *s, json_object *pkgs, json_object *comps, const char *root,
		      unsigned depth)
{
	size_t n = comps ? json_object_array_length(comps) : 0;

	if (depth > 16)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(comps, i);
		const char *ref = jstr(c, "bom-ref"), *id;
		char alt[64];
		int rc;
		if (!json_object_is_type(c, json_type_object))
			return -EBADMSG;
		if (!ref) {
			snprintf(alt, sizeof(alt), "component-%u-%zu", depth, i);
			ref = alt;
		}
		if (!(id = make_id("SPDXRef-", ref, s->used)) || add_str(s->ids, ref, id) ||
		    (rc = package(s, pkgs, c, id)) || (rc = add_rel(s, root, "CONTAINS", id)))
			return -ENOMEM;
		if ((rc = components(s, pkgs, jarr(c, "components"), root, depth + 1)))
			return rc;
	}
	return 0;
}

static int depends(struct spdx *s, json_object *deps, const char *root_ref)
{
	size_t n = deps ? json_object_array_length(deps) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(deps, i), *on = jarr(d, "dependsOn");
		const char *ref = jstr(d, "ref"), *a, *b;
		json_object *v;
		if (!ref || !on || (root_ref && !strcmp(ref, root_ref)) ||
		    !json_object_object_get_ex(s->ids, ref, &v))
			continue;
		a = json_object_get_string(v);
		for (size_t k = 0; k < json_object_array_length(on); k++) {
			json_object *t = json_object_array_get_idx(on, k);
			if (!json_object_is_type(t, json_type_string) ||
			    !json_object_object_get_ex(s->ids, json_object_get_string(t), &v))
				continue;
			b = json_object_get_string(v);
			if (add_rel(s, a, "DEPENDS_ON", b))
				return -ENOMEM;
		}
	}
	return 0;
}

static int relationships(struct spdx *s, json_object *doc)
{
	json_object *arr = json_object_new_array();

	if (add_obj(doc, "relationships", arr))
		return -ENOMEM;
	if (s->nrels)
		qsort(s->rels, s->nrels, sizeof(*s->rels), rel_cmp);
	for (size_t i = 0; i < s->nrels; i++) {
		json_object *r;
		if (i && !rel_cmp(&s->rels[i - 1], &s->rels[i]))
			continue;
		if (!(r = json_object_new_object()) || add_str(r, "spdxElementId", s->rels[i].a) ||
		    add_str(r, "relationshipType", s->rels[i].type) ||
		    add_str(r, "relatedSpdxElement", s->rels[i].b) || push(arr, r))
			return -ENOMEM;
	}
	return 0;
}

/* --- the document --------------------------------------------------------- */

static json_object *root_property(json_object *root, const char *name)
{
	json_object *props = jarr(root, "properties");

	for (size_t i = 0; props && i < json_object_array_length(props); i++) {
		json_object *p = json_object_array_get_idx(props, i);
		if (jstr(p, "name") && !strcmp(jstr(p, "name"), name) && jstr(p, "value")) {
			json_object *v;
			json_object_object_get_ex(p, "value", &v);
			return v;
		}
	}
	return NULL;
}

/* The manifest digest's hex (the image's SHA-256 hash), or "unknown". */
static const char *manifest_hex(json_object *root)
{
	json_object *hashes = jarr(root, "hashes");

	for (size_t i = 0; hashes && i < json_object_array_length(hashes); i++) {
		json_object *h = json_object_array_get_idx(hashes, i);
		const char *alg = jstr(h, "alg"), *v = jstr(h, "content");
		if (alg && v && !strcmp(alg, "SHA-256") && strlen(v) == 64)
			return v;
	}
	return "unknown";
}

static int build(json_object *cdx, const char *bytes, size_t len, json_object *doc)
{
	struct spdx s = { 0 };
	json_object *meta = NULL, *root = NULL, *pkgs;
	const char *root_ref = NULL, *root_id, *name;
	unsigned char sum[OCIFS_SHA256_LEN];
	char hex[2 * OCIFS_SHA256_LEN + 1], created[32], *ns = NULL;
	int rc = -ENOMEM;

	json_object_object_get_ex(cdx, "metadata", &meta);
	json_object_object_get_ex(meta, "component", &root);
	if (root && !json_object_is_type(root, json_type_object))
		return -EBADMSG;
	if (!(s.ids = json_object_new_object()) || !(s.used = json_object_new_object()) ||
	    !(s.lic = json_object_new_object()) || !(s.extracted = json_object_new_array()))
		goto out;
	json_object_object_add(s.used, "SPDXRef-DOCUMENT", NULL);
	name = root && jstr(root, "name") ? jstr(root, "name") : "image";
	if (ocifs_sha256(bytes, len, sum))
		goto out;
	ocifs_hex_encode(hex, sum, sizeof(sum));
	hex[sizeof(hex) - 1] = '\0';
	if (asprintf(&ns, "https://ocifs.invalid/spdx/%s-%s", manifest_hex(root), hex) < 0) {
		ns = NULL;
		goto out;
	}
	ocifs_spdx_created(jstr(meta, "timestamp"),
			   root_property(root, "ocifs:image:created") ?
			   json_object_get_string(root_property(root, "ocifs:image:created")) : NULL,
			   created);
	json_object *ci, *creators;
	char tool[64];
	snprintf(tool, sizeof(tool), "Tool: ocifs-%s", PACKAGE_VERSION);
	if (add_str(doc, "spdxVersion", "SPDX-2.3") || add_str(doc, "dataLicense", "CC0-1.0") ||
	    add_str(doc, "SPDXID", "SPDXRef-DOCUMENT") || add_str(doc, "name", name) ||
	    add_str(doc, "documentNamespace", ns) ||
	    add_obj(doc, "creationInfo", (ci = json_object_new_object())) ||
	    add_obj(ci, "creators", (creators = json_object_new_array())) ||
	    push(creators, json_object_new_string(tool)) ||
	    add_str(ci, "created", created) ||
	    !(pkgs = json_object_new_array()) || add_obj(doc, "packages", pkgs))
		goto out;
	root_ref = root && jstr(root, "bom-ref") ? jstr(root, "bom-ref") : "image";
	if (!(root_id = make_id("SPDXRef-", root_ref, s.used)) || add_str(s.ids, root_ref, root_id))
		goto out;
	if (root) {
		if ((rc = package(&s, pkgs, root, root_id)))
			goto out;
	} else {
		json_object *img = json_object_new_object();
		rc = -ENOMEM;
		if (!img || add_str(img, "name", name) || add_str(img, "type", "container") ||
		    package(&s, pkgs, img, root_id)) {
			json_object_put(img);
			goto out;
		}
		json_object_put(img);
	}
	rc = -ENOMEM;
	if (add_rel(&s, "SPDXRef-DOCUMENT", "DESCRIBES", root_id))
		goto out;
	if ((rc = components(&s, pkgs, jarr(cdx, "components"), root_id, 0)) ||
	    (rc = depends(&s, jarr(cdx, "dependencies"), root_ref)))
		goto out;
	rc = -ENOMEM;
	if (json_object_array_length(s.extracted)) {
		if (add_obj(doc, "hasExtractedLicensingInfos", json_object_get(s.extracted)))
			goto out;
	}
	rc = relationships(&s, doc);
out:
	free(ns);
	free(s.rels);
	json_object_put(s.extracted);
	json_object_put(s.lic);
	json_object_put(s.ids);
	json_object_put(s.used);
	return rc;
}

int ocifs_sbom_spdx(const char *cdx, size_t len, char **out, size_t *out_len)
{
	json_object *in, *doc;
	const char *str;
	size_t n;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = ocifs_sbom_parse_cdx(cdx, len, &in)))
		return rc;
	if (!(doc = json_object_new_object())) {
		json_object_put(in);
		return -ENOMEM;
	}
	rc = build(in, cdx, len, doc);
	if (!rc) {
		str = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
		n = str ? strlen(str) : 0;
		if (!str || !(*out = malloc(n + 2))) {
			rc = -ENOMEM;
		} else {
			memcpy(*out, str, n);
			(*out)[n] = '\n';
			(*out)[n + 1] = '\0';
			*out_len = n + 1;
		}
	}
	json_object_put(doc);
	json_object_put(in);
	return rc;
}
