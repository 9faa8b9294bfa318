/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the documents derived from a CycloneDX document
 * (scan/sbom_spdx.c, sbom_table.c, sbom_derive.c) and the Go version
 * rules of the Go cataloger (scan/gover.c). Input: a CycloneDX JSON
 * document, or "ldflags\n" + a main module path, a line, and an -ldflags
 * value. Invariants: a derived document is NUL-terminated at its length,
 * the SPDX one parses as JSON, both are the same on a second run; -EBADMSG
 * leaves nothing behind.
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "gover.h"
#include "sbom.h"
#include "sbom_derive.h"

static void derive(const char *in, size_t n)
{
	char *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	int rc = ocifs_sbom_spdx(in, n, &a, &al);

	FZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
	if (rc) {
		FZ_ASSERT(!a && !al);
	} else {
		FZ_ASSERT(a && strlen(a) == al);
		json_object *o = json_tokener_parse(a);
		FZ_ASSERT(o != NULL);
		json_object_put(o);
		FZ_ASSERT(ocifs_sbom_spdx(in, n, &b, &bl) == 0 && bl == al && !memcmp(a, b, al));
		free(b);
	}
	free(a);
	a = NULL;
	rc = ocifs_sbom_table(in, n, &a, &al);
	FZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
	FZ_ASSERT(rc || (a && strlen(a) == al));
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (size > 8 && !memcmp(s, "ldflags\n", 8)) {
		char *path = s + 8, *nl = strchr(path, '\n');
		if (nl) {
			*nl = '\0';
			char *v = ocifs_go_main_version(path, "(devel)", nl + 1), *w = NULL;
			/* a version found is a semver, maybe without its "v" */
			FZ_ASSERT(!v || ocifs_go_semver_valid(v) ||
				  (asprintf(&w, "v%s", v) > 0 && ocifs_go_semver_valid(w)));
			free(w);
			free(v);
			ocifs_spdx_expr_valid(nl + 1);
			ocifs_go_semver_valid(nl + 1);
			free(ocifs_go_stdlib_version(nl + 1));
		}
	} else {
		derive(s, size);
	}
	free(s);
	return 0;
}
