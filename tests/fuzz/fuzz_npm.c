/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: package.json of an installed npm package (scan/npm.c,
 * json-c underneath) and the node_modules path rule. The input is a
 * package.json, or, when it starts with "/", a path line (checked by
 * ocifs_npm_path and ocifs_npm_root, which never both hold) and then
 * the package.json. Every kept string is non-empty and NUL-free, the lists
 * stay within their caps, and a matched path's package name lies inside
 * the path.
 */
#include "fuzz.h"
#include "npm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocifs_npm_pkg p;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t pl = nl ? (size_t)(nl - data) : size;
	char *path = strndup((const char *)data, pl), *ns;
	const char *name = NULL, *base;

	FZ_ASSERT(path);
	if (size && data[0] == '/') {
		size_t skip = nl ? pl + 1 : size;
		data += skip;
		size -= skip;
	}
	FZ_ASSERT(!(ocifs_npm_path(path, NULL) && ocifs_npm_root(path)));
	if (ocifs_npm_path(path, &name)) {
		FZ_ASSERT(name > path && name < path + strlen(path));
		FZ_ASSERT(!strcmp(name + strlen(name) - strlen("/package.json"), "/package.json"));
	}
	free(path);
	FZ_ASSERT(ocifs_npm_parse((const char *)data, size, &p) == 0);
	FZ_ASSERT(!p.name || *p.name);
	FZ_ASSERT(!p.version || *p.version);
	FZ_ASSERT(p.nlicenses <= 16 && p.ndepends <= 4096);
	for (size_t i = 0; i < p.ndepends; i++)
		FZ_ASSERT(p.depends[i] && *p.depends[i]);
	if (p.name) {
		FZ_ASSERT(ocifs_npm_split(p.name, &ns, &base) == 0);
		FZ_ASSERT(*base);
		free(ns);
	}
	ocifs_npm_fini(&p);
	return 0;
}
