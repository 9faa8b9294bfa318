/* SPDX-License-Identifier: MIT */
/*
 * The documents derived from the CycloneDX SBOM (scan/sbom_spdx.c,
 * scan/sbom_table.c, scan/sbom_derive.c) and the Go versions of the Go
 * cataloger (scan/gover.c), against oracles nobody here wrote:
 *  - the version Trivy's ParseLDFlags finds: the cases of Trivy's own
 *    TestParser_ParseLDFlags (pkg/dependency/parser/golang/binary);
 *  - golang.org/x/mod/semver.IsValid's documented cases;
 *  - SPDX 2.3 license expressions: the examples of the SPDX 2.3 spec's
 *    Annex D and what its grammar rejects;
 *  - the SPDX document of a hand-written CycloneDX document of
 *    scan/sbom.h's shape: the official SPDX 2.3 JSON schema
 *    (validate-sbom, when python3-jsonschema is there), its packages,
 *    LicenseRefs and relationships (DEPENDS_ON = the CycloneDX
 *    dependencies but the image's list, which is CONTAINS), byte-equal
 *    twice, SOURCE_DATE_EPOCH, and -EBADMSG for what is not CycloneDX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "gover.h"
#include "sbom.h"
#include "sbom_derive.h"
#include "tap.h"

/* --- Trivy's TestParser_ParseLDFlags -------------------------------------- */

static void test_ldflags(void)
{
	static const struct {
		const char *name, *flags, *want;
	} t[] = {
		{ "github.com/aquasecurity/trivy",
		  "-s -w -X=foo=bar -X='github.com/aquasecurity/trivy/pkg/version/app.ver=v0.50.1'", "v0.50.1" },
		{ "github.com/aquasecurity/trivy",
		  "-s -w -X=foo=bar -X='github.com/aquasecurity/trivy/pkg/version.Version=v0.50.1'", "v0.50.1" },
		{ "github.com/aquasecurity/trivy",
		  "-s -w -X=foo=bar -X='github.com/aquasecurity/trivy/pkg/version.Ver=v0.50.1'", "v0.50.1" },
		{ "github.com/aquasecurity/trivy",
		  "-s -w -X=foo=bar -X=\"github.com/aquasecurity/trivy/pkg/version.Ver=0.50.1\"", "0.50.1" },
		{ "github.com/aquasecurity/trivy",
		  "-s -w -X=foo=bar -X='github.com/aquasecurity/trivy/pkg/version.Ver=0.50.1'", "0.50.1" },
		{ "github.com/aquasecurity/trivy",
		  "-X='github.com/aquasecurity/trivy/cmd/Any.Ver=0.50.0' "
		  "-X='github.com/aquasecurity/trivy/pkg/version.Ver=0.50.1'", "0.50.0" },
		{ "github.com/aquasecurity/trivy", "-X='github.com/aquasecurity/trivy/cmd/Any.Ver=0.50.0'",
		  "0.50.0" },
		{ "github.com/aquasecurity/trivy",
		  "-X='github.com/aquasecurity/trivy/cmd/Any.Ver=0.50.0' "
		  "-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.1'", "0.50.0" },
		{ "github.com/aquasecurity/trivy", "-X='github.com/aquasecurity/trivy/pkg/Common.Ver=0.50.1'",
		  "0.50.1" },
		{ "github.com/aquasecurity/trivy",
		  "-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.0' "
		  "-X='github.com/aquasecurity/trivy/pkg/Common.Ver=0.50.1'", "0.50.1" },
		{ "github.com/aquasecurity/trivy", "-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.1'",
		  "0.50.1" },
		{ "github.com/aquasecurity/trivy",
		  "-X='github.com/aquasecurity/trivy/pkg/Common.Ver=0.50.0' "
		  "-X='github.com/aquasecurity/trivy/pkg/Main.Ver=0.50.1'", NULL },
		{ "github.com/aquasecurity/trivy",
		  "-X='github.com/aquasecurity/trivy/pkg/Any.Ver=0.50.1' "
		  "-X='github.com/aquasecurity/trivy/pkg/Any-pref.Ver=0.50.0'", NULL },
		{ "github.com/argoproj/argo-cd/v2",
		  "-s -w -X='github.com/argoproj/argo-cd/v2/common.kubectlVersion=v0.26.11'", NULL },
		{ "github.com/aquasecurity/test", "", NULL },
		/* Trivy's TestParse: "-X main.version=v1.0.0" at (devel) */
		{ "github.com/aquasecurity/test", "-X main.version=v1.0.0", "v1.0.0" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *v = ocifs_go_main_version(t[i].name, "(devel)", t[i].flags);
		ok(t[i].want ? v && !strcmp(v, t[i].want) : !v, "ldflags %zu: %s -> %s (Trivy: %s)", i,
		   t[i].flags, v ? v : "none", t[i].want ? t[i].want : "none");
		free(v);
	}
	char *v = ocifs_go_main_version("go.etcd.io/bbolt", "v1.3.5", "-X main.version=v9.9.9");
	is_str(v ? v : "", "v1.3.5", "a semver main version wins over -ldflags (Trivy's TestParse)");
	free(v);
	ok(!ocifs_go_main_version("example.com/x", "(devel)", NULL), "(devel), no -ldflags: no version");
	ok(!ocifs_go_mod_version("(devel)") && !ocifs_go_mod_version("") &&
	   !strcmp(ocifs_go_mod_version("v0.0.0"), "v0.0.0"), "a module at (devel) has no version");

	static const struct {
		const char *go, *want;
	} sl[] = { { "go1.22.3 X:boringcrypto", "v1.22.3" }, { "go1.15.2", "v1.15.2" },
		   { "go1.20.6", "v1.20.6" } };
	for (size_t i = 0; i < sizeof(sl) / sizeof(sl[0]); i++) {
		char *s = ocifs_go_stdlib_version(sl[i].go);
		is_str(s ? s : "", sl[i].want, "stdlib of %s (Trivy)", sl[i].go);
		free(s);
	}
	ok(!ocifs_go_stdlib_version(NULL) && !ocifs_go_stdlib_version(""), "no toolchain: no stdlib");

	/* x/mod/semver's tests */
	static const char *const good[] = { "v0.0.0", "v1", "v1.2", "v1.2.3", "v1.2.3-pre",
					    "v1.2.3-pre.1+build.5", "v1.2.3+meta", "v0.0.0-20210121094942-22b2f8951d46",
					    "v1.0.0-0.3.7", "v1.0.0-x.7.z.92" };
	static const char *const bad[] = { "", "1.2.3", "v", "v1.2.3.4", "v01.2.3", "v1.02.3",
					   "v1.2-pre", "v1-pre", "v1.2.3-01", "v1.2.3-", "v1.2.3+",
					   "v1.2.3-a..b", "bad", "v1.2.3 " };
	int all = 1;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!ocifs_go_semver_valid(good[i]))
			all = 0, diag("valid semver rejected: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ocifs_go_semver_valid(bad[i]))
			all = 0, diag("invalid semver accepted: %s", bad[i]);
	ok(all, "semver validity as golang.org/x/mod/semver.IsValid");
}

/* --- SPDX license expressions (SPDX 2.3 Annex D) ------------------------ */

static void test_expressions(void)
{
	static const char *const good[] = {
		"MIT", "GPL-2.0-or-later", "LGPL-2.1-only OR MIT", "GPL-2.0+",
		"LGPL-2.1-only OR BSD-3-Clause AND MIT", "(MIT AND (LGPL-2.1-or-later OR BSD-3-Clause))",
		"GPL-2.0-or-later WITH Bison-exception-2.2", "LicenseRef-23",
		"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "Apache-2.0 AND (MIT OR GPL-2.0-only)",
		"(MIT)",
	};
	static const char *const bad[] = {
		"", "MIT/X11", "GPL v2", "MIT AND", "AND MIT", "(MIT", "MIT)", "MIT WITH",
		"MIT OR OR BSD", "Public Domain", "MIT,BSD", "caf\xc3\xa9", "MIT\nBSD", "WITH",
		"DocumentRef-a:MIT",
	};
	int all = 1;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!ocifs_spdx_expr_valid(good[i]))
			all = 0, diag("valid expression rejected: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ocifs_spdx_expr_valid(bad[i]))
			all = 0, diag("invalid expression accepted: %s", bad[i]);
	ok(all, "SPDX license expression syntax: Annex D's examples pass, the rest fail");
}

/* --- the SPDX document ---------------------------------------------------- */

static const char cdx[] =
	"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,"
	"\"metadata\":{\"component\":{\"bom-ref\":\"image\",\"type\":\"container\",\"name\":\"demo\","
	"\"version\":\"sha256:aaaa\",\"purl\":\"pkg:oci/demo@sha256%3Aaaaa?arch=amd64\","
	"\"hashes\":[{\"alg\":\"SHA-256\",\"content\":"
	"\"1111111111111111111111111111111111111111111111111111111111111111\"}],"
	"\"properties\":[{\"name\":\"ocifs:image:created\",\"value\":\"2024-02-03T04:05:06.5+01:00\"}]}},"
	"\"components\":["
	"{\"bom-ref\":\"pkg:deb/debian/libc6@2.36-9?arch=amd64\",\"type\":\"library\",\"name\":\"libc6\","
	"\"version\":\"2.36-9\",\"purl\":\"pkg:deb/debian/libc6@2.36-9?arch=amd64\","
	"\"supplier\":{\"name\":\"Debian\"},"
	"\"licenses\":[{\"license\":{\"id\":\"LGPL-2.1-only\"}},{\"license\":{\"name\":\"Public Domain\"}}],"
	"\"hashes\":[{\"alg\":\"SHA-256\",\"content\":"
	"\"2222222222222222222222222222222222222222222222222222222222222222\"}],"
	"\"properties\":[{\"name\":\"ocifs:layer\",\"value\":\"1\"}]},"
	"{\"bom-ref\":\"pkg:golang/example.org/app@v1.0.0\",\"type\":\"application\","
	"\"name\":\"example.org/app\",\"version\":\"v1.0.0\","
	"\"purl\":\"pkg:golang/example.org/app@v1.0.0\","
	"\"licenses\":[{\"expression\":\"MIT OR Apache-2.0\"},{\"expression\":\"GPL v2 or later\"}],"
	"\"components\":[{\"bom-ref\":\"nested!ref\",\"type\":\"file\",\"name\":\"inner\"}]},"
	"{\"bom-ref\":\"pkg:golang/stdlib@v1.22.1\",\"type\":\"library\",\"name\":\"stdlib\","
	"\"version\":\"v1.22.1\",\"purl\":\"pkg:golang/stdlib@v1.22.1\","
	"\"licenses\":[{\"license\":{\"name\":\"Public Domain\"}}]},"
	"{\"bom-ref\":\"pkg/golang/stdlib@v1.22.1\",\"type\":\"operating-system\",\"name\":\"debian\"}"
	"],"
	"\"dependencies\":["
	"{\"ref\":\"image\",\"dependsOn\":[\"pkg:deb/debian/libc6@2.36-9?arch=amd64\","
	"\"pkg:golang/example.org/app@v1.0.0\",\"pkg:golang/stdlib@v1.22.1\"]},"
	"{\"ref\":\"pkg:golang/example.org/app@v1.0.0\",\"dependsOn\":[\"pkg:golang/stdlib@v1.22.1\","
	"\"pkg:deb/debian/libc6@2.36-9?arch=amd64\",\"not-a-component\"]},"
	"{\"ref\":\"pkg:golang/stdlib@v1.22.1\",\"dependsOn\":[]}"
	"]}";

static json_object *pkg_by_name(json_object *doc, const char *name)
{
	json_object *pkgs;

	json_object_object_get_ex(doc, "packages", &pkgs);
	for (size_t i = 0; pkgs && i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i), *n;
		if (json_object_object_get_ex(p, "name", &n) && !strcmp(json_object_get_string(n), name))
			return p;
	}
	return NULL;
}

static const char *field(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void test_spdx(void)
{
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	unsetenv("SOURCE_DATE_EPOCH");
	if (!ok(ocifs_sbom_spdx(cdx, strlen(cdx), &out, &len) == 0 && out && len == strlen(out),
		"SPDX from a hand-written CycloneDX document"))
		return;
	ok(ocifs_sbom_spdx(cdx, strlen(cdx), &out2, &len2) == 0 && len2 == len && !memcmp(out, out2, len),
	   "deterministic: twice, byte-identical");
	free(out2);

	/* the official schema */
	FILE *f = fopen("test_sbom_spdx.out.json", "w");
	if (f) {
		fwrite(out, 1, len, f);
		fclose(f);
	}
	if (tap_sh("python3 -c 'import jsonschema' 2>/dev/null") == 0 &&
	    tap_sh("test -x \"$(dirname \"$OCIFS_CORPUS\")/tools/validate-sbom\"") == 0)
		ok(tap_sh("\"$(dirname \"$OCIFS_CORPUS\")/tools/validate-sbom\" test_sbom_spdx.out.json "
			  ">&2") == 0, "the SPDX 2.3 schema accepts it (validate-sbom)");
	else
		ok(getenv("CI") == NULL, "# SKIP validate-sbom or python3-jsonschema missing");
	remove("test_sbom_spdx.out.json");

	json_object *doc = json_tokener_parse(out);
	if (!ok(doc != NULL, "it is JSON")) {
		free(out);
		return;
	}
	is_str(field(doc, "spdxVersion"), "SPDX-2.3", "spdxVersion");
	is_str(field(doc, "dataLicense"), "CC0-1.0", "dataLicense");
	ok(!strncmp(field(doc, "documentNamespace"),
		    "https://ocifs.invalid/spdx/1111111111111111111111111111111111111111111111111111111111111111-",
		    91), "documentNamespace from the manifest digest (%s)", field(doc, "documentNamespace"));
	json_object *ci = NULL;
	json_object_object_get_ex(doc, "creationInfo", &ci);
	is_str(field(ci, "created"), "2024-02-03T03:05:06Z",
	       "created: the image's creation time in UTC, seconds");

	json_object *libc = pkg_by_name(doc, "libc6"), *app = pkg_by_name(doc, "example.org/app");
	json_object *std = pkg_by_name(doc, "stdlib"), *img = pkg_by_name(doc, "demo");
	ok(libc && app && std && img && pkg_by_name(doc, "inner") && pkg_by_name(doc, "debian"),
	   "a package per component (nested too) and the image");
	is_str(field(img, "SPDXID"), "SPDXRef-image", "the image's SPDXID from its bom-ref");
	is_str(field(img, "primaryPackagePurpose"), "CONTAINER", "the image is a CONTAINER");
	is_str(field(pkg_by_name(doc, "debian"), "primaryPackagePurpose"), "OPERATING_SYSTEM",
	       "operating-system -> OPERATING_SYSTEM");
	is_str(field(libc, "SPDXID"), "SPDXRef-pkg-deb-debian-libc6-2.36-9-arch-amd64",
	       "SPDXID: the bom-ref, sanitized");
	is_str(field(libc, "supplier"), "Organization: Debian", "supplier");
	is_str(field(libc, "versionInfo"), "2.36-9", "versionInfo");
	is_str(field(libc, "downloadLocation"), "NOASSERTION", "downloadLocation");
	is_str(field(app, "primaryPackagePurpose"), "APPLICATION", "application -> APPLICATION");
	is_str(field(libc, "primaryPackagePurpose"), "LIBRARY", "library -> LIBRARY");
	ok(!strncmp(field(libc, "licenseDeclared"), "LGPL-2.1-only AND LicenseRef-Public-Domain", 99),
	   "an id and free text: AND, the text a LicenseRef (%s)", field(libc, "licenseDeclared"));
	is_str(field(std, "licenseDeclared"), "LicenseRef-Public-Domain",
	       "the same text, the same LicenseRef");
	is_str(field(app, "licenseDeclared"), "(MIT OR Apache-2.0) AND LicenseRef-GPL-v2-or-later",
	       "a valid expression kept, an invalid one a LicenseRef");
	json_object *ex = NULL;
	json_object_object_get_ex(doc, "hasExtractedLicensingInfos", &ex);
	ok(ex && json_object_array_length(ex) == 2 &&
	   !strcmp(field(json_object_array_get_idx(ex, 0), "extractedText"), "Public Domain"),
	   "hasExtractedLicensingInfos: each free text once");
	ok(strstr(json_object_to_json_string(libc), "2222222222222222222222222222222222222222222222222222222222222222") &&
	   strstr(json_object_to_json_string(libc), "\"SHA256\""), "checksums: SHA256");
	ok(strstr(json_object_to_json_string(app), "PACKAGE-MANAGER") &&
	   strstr(json_object_to_json_string(app), "pkg:golang\\/example.org\\/app@v1.0.0"),
	   "externalRefs: the purl");
	is_str(field(pkg_by_name(doc, "inner"), "SPDXID"), "SPDXRef-nested-ref",
	       "a character outside [A-Za-z0-9.-] becomes '-'");
	ok(strcmp(field(pkg_by_name(doc, "debian"), "SPDXID"), field(std, "SPDXID")),
	   "SPDXIDs stay unique (%s, %s)", field(pkg_by_name(doc, "debian"), "SPDXID"),
	   field(std, "SPDXID"));

	/* relationships */
	json_object *rels = NULL;
	json_object_object_get_ex(doc, "relationships", &rels);
	size_t describes = 0, contains = 0, depends = 0, sorted = 1;
	char prev[1024] = "", want_dep[2][256];
	int dep_ok[2] = { 0, 0 };
	snprintf(want_dep[0], sizeof(want_dep[0]), "%s %s", field(app, "SPDXID"), field(std, "SPDXID"));
	snprintf(want_dep[1], sizeof(want_dep[1]), "%s %s", field(app, "SPDXID"), field(libc, "SPDXID"));
	for (size_t i = 0; rels && i < json_object_array_length(rels); i++) {
		json_object *r = json_object_array_get_idx(rels, i);
		const char *t = field(r, "relationshipType");
		char key[1024], pair[512];
		snprintf(key, sizeof(key), "%s\t%s\t%s", field(r, "spdxElementId"), t,
			 field(r, "relatedSpdxElement"));
		sorted &= strcmp(prev, key) < 0;
		snprintf(prev, sizeof(prev), "%s", key);
		snprintf(pair, sizeof(pair), "%s %s", field(r, "spdxElementId"), field(r, "relatedSpdxElement"));
		if (!strcmp(t, "DESCRIBES"))
			describes += !strcmp(pair, "SPDXRef-DOCUMENT SPDXRef-image");
		else if (!strcmp(t, "CONTAINS"))
			contains += !strcmp(field(r, "spdxElementId"), "SPDXRef-image");
		else if (!strcmp(t, "DEPENDS_ON")) {
			depends++;
			for (int k = 0; k < 2; k++)
				dep_ok[k] |= !strcmp(pair, want_dep[k]);
		}
	}
	ok(describes == 1, "DOCUMENT DESCRIBES the image");
	ok(contains == 5, "the image CONTAINS each of the 5 components (%zu)", contains);
	ok(depends == 2 && dep_ok[0] && dep_ok[1],
	   "DEPENDS_ON: the CycloneDX dependencies, the image's list and unknown refs left out (%zu)",
	   depends);
	ok(sorted, "relationships sorted, no duplicate");
	json_object_put(doc);
	free(out);

	/* SOURCE_DATE_EPOCH */
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	if (ocifs_sbom_spdx(cdx, strlen(cdx), &out, &len) == 0) {
		ok(strstr(out, "\"created\": \"2023-11-14T22:13:20Z\"") != NULL,
		   "SOURCE_DATE_EPOCH sets created");
		free(out);
	} else {
		ok(0, "SOURCE_DATE_EPOCH sets created");
	}
	unsetenv("SOURCE_DATE_EPOCH");

	/* not CycloneDX */
	static const char *const bad[] = { "", "{", "[]", "{\"bomFormat\":\"SPDX\"}", "{\"a\":1}",
					   "{\"bomFormat\":\"CycloneDX\"} x",
					   "{\"bomFormat\":\"CycloneDX\",\"components\":[1]}" };
	int all = 1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = NULL;
		int rc = ocifs_sbom_spdx(bad[i], strlen(bad[i]), &out, &len);
		all &= rc == -EBADMSG && !out;
		free(out);
	}
	ok(all, "-EBADMSG and nothing for what is not a CycloneDX document");
	out = NULL;
	ok(ocifs_sbom_spdx("{\"bomFormat\":\"CycloneDX\"}", 25, &out, &len) == 0 && out &&
	   strstr(out, "\"SPDXRef-image\""), "an empty CycloneDX document: the image alone");
	free(out);
}

/* --- the table ------------------------------------------------------------ */

static void test_table(void)
{
	char *out = NULL;
	size_t len = 0;
	static const char in[] =
		"{\"bomFormat\":\"CycloneDX\",\"components\":["
		"{\"type\":\"library\",\"name\":\"zlib1g\",\"version\":\"1:1.2.13\","
		"\"purl\":\"pkg:deb/debian/zlib1g@1%3A1.2.13\","
		"\"properties\":[{\"name\":\"ocifs:layer\",\"value\":\"2\"}]},"
		"{\"type\":\"application\",\"name\":\"evil\\nname\",\"version\":\"1\"},"
		"{\"type\":\"library\",\"name\":\"adler\",\"version\":\"1.0.2\","
		"\"purl\":\"pkg:cargo/adler@1.0.2\","
		"\"properties\":[{\"name\":\"ocifs:layer\",\"value\":\"1\"}]}]}";

	if (!ok(ocifs_sbom_table(in, strlen(in), &out, &len) == 0 && out && len == strlen(out),
		"the table"))
		return;
	const char *want =
		"NAME        VERSION   TYPE         LAYER  PURL\n"
		"adler       1.0.2     cargo        1      pkg:cargo/adler@1.0.2\n"
		"evil\\nname  1         application         \n"
		"zlib1g      1:1.2.13  deb          2      pkg:deb/debian/zlib1g@1%3A1.2.13\n";
	is_str(out, want, "sorted, aligned, escaped, TYPE from the purl");
	free(out);
	out = NULL;
	ok(ocifs_sbom_table("nope", 4, &out, &len) == -EBADMSG && !out, "not CycloneDX: -EBADMSG");
}

int main(void)
{
	test_ldflags();
	test_expressions();
	test_spdx();
	test_table();
	return done_testing();
}
