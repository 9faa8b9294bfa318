/* SPDX-License-Identifier: MIT */
/*
 * A merged view from outside: the view file the index artifact carries
 * (idxart.h), taken instead of building one from the indexes the pull
 * just installed from the same artifact. The loader's validation
 * (view.c) makes every index in the file safe to follow; a view ocifs
 * built is also a tree, which the queries and walks rely on (a directory
 * listed inside itself would make a walk endless), so a view from
 * outside is checked for that too, in one breadth-first pass, before it
 * is stored: the root is inode 0 and no name's target; every name sits
 * in exactly one directory's run of names, is a file name (not empty,
 * no '/', not "." or ".."), and the run is in strcmp order without
 * repeats (lookups bisect it); every directory has one name; every
 * inode is reached from the root, and its first name and parent are
 * the ones the pass met first, so walking up always ends at the root.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "view_fmt.h"
#include "view_priv.h"

#define BAD(...) (snprintf(why, cap, __VA_ARGS__), rc = -ESTALE)

int view_tree_check(const void *data, size_t len, char *why, size_t cap)
{
	const struct view_hdr *h = data;
	const char *base = data;
	const struct view_inode *ino = (const void *)(base + h->off_inodes);
	const struct view_dirent *de = (const void *)(base + h->off_dirents);
	const char *pool = base + h->off_pool;
	uint64_t n = h->ninodes, nd = h->ndirents, qh = 0, qt = 0;
	unsigned char *seen = calloc(n, 1), *used = calloc(nd, 1);
	uint32_t *queue = malloc(n * sizeof(*queue));
	int rc = 0;

	(void)len; /* every offset below was checked against it (view.c) */
	if (!seen || !used || !queue) {
		rc = -ENOMEM;
		goto out;
	}
	if (ino[0].name != 0 || ino[0].parent != 0) {
		BAD("the root has a name");
		goto out;
	}
	seen[0] = used[0] = 1; /* dirent 0: the root's, in no directory */
	queue[qt++] = 0;
	while (!rc && qh < qt) {
		uint32_t d = queue[qh++];
		uint64_t first = ino[d].first_child, end = first + ino[d].nchildren;
		for (uint64_t k = first; !rc && k < end; k++) {
			const char *nm = pool + de[k].name;
			uint32_t c = de[k].ino;
			if (used[k]) {
				BAD("name %llu is in two directories", (unsigned long long)k);
				break;
			}
			used[k] = 1;
			if (!*nm || strchr(nm, '/') || !strcmp(nm, ".") || !strcmp(nm, ".."))
				BAD("name %llu is not a file name", (unsigned long long)k);
			else if (k > first && strcmp(pool + de[k - 1].name, nm) >= 0)
				BAD("the names of inode %u are not in order", d);
			else if (c == 0)
				BAD("the root is listed in inode %u", d);
			else if (seen[c] && S_ISDIR(ino[c].mode))
				BAD("directory %u has two names", c);
			else if (!seen[c] && (ino[c].name != k || ino[c].parent != d))
				BAD("inode %u's first name or parent is not where it is listed", c);
			if (rc || seen[c])
				continue;
			seen[c] = 1;
			if (S_ISDIR(ino[c].mode))
				queue[qt++] = c; /* once each: qt <= n */
		}
	}
	for (uint64_t i = 0; !rc && i < n; i++)
		if (!seen[i])
			BAD("inode %llu is not reached from the root", (unsigned long long)i);
	for (uint64_t k = 0; !rc && k < nd; k++)
		if (!used[k])
			BAD("name %llu is in no directory", (unsigned long long)k);
out:
	free(seen);
	free(used);
	free(queue);
	return rc;
}

int view_ship_take(struct ocifs_view_shipped *sv, const unsigned char key[32],
		   struct ocifs_layer **layers, size_t nlayers, void **out, size_t *len)
{
	char why[160] = "";
	void *d = sv->data;
	int rc = -ESTALE;

	sv->data = NULL;
	if (sv->len < sizeof(struct view_hdr) || sv->len % 8) {
		snprintf(why, sizeof(why), "not a view file (%zu bytes)", sv->len);
	} else {
		/* the pusher's key names its own index files: this cache's */
		memcpy(((struct view_hdr *)d)->key, key, 32);
		if (view_check_bytes(layers, nlayers, key, d, sv->len))
			snprintf(why, sizeof(why), "it does not load (another format, an index "
				 "out of range, or a file's bytes outside its layer)");
		else if ((rc = view_tree_check(d, sv->len, why, sizeof(why))) == -ENOMEM)
			snprintf(why, sizeof(why), "%s", strerror(ENOMEM));
	}
	if (rc) {
		log_warn("%s: its merged view is refused: %s; building it", sv->from, why);
		free(d);
		return rc;
	}
	*out = d;
	*len = sv->len;
	return 0;
}

int ocifs_view_ship_copy(const struct ocifs_view *v, void **out, size_t *len)
{
	const void *data;
	size_t n;
	int rc = ocifs_view_mapping(v, &data, &n);

	if (rc)
		return rc;
	if (n < sizeof(struct view_hdr))
		return -ENOENT; /* a mapped view passed its check: not so */
	if (!(*out = malloc(n)))
		return -ENOMEM;
	memcpy(*out, data, n);
	memset((char *)*out + offsetof(struct view_hdr, key), 0, 32);
	*len = n;
	return 0;
}
