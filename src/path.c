/* SPDX-License-Identifier: MIT */
/* Path normal form inside an image (path.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

int ocifs_path_normalize(char *p)
{
	char *w = p, *r = p;

	/* Components are copied down in place; ".." pops the last one. */
	while (*r) {
		char *seg = r;
		size_t len;
		while (*r && *r != '/')
			r++;
		len = (size_t)(r - seg);
		if (*r == '/')
			r++;
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (w == p)
				return -EINVAL;
			while (w > p && w[-1] != '/')
				w--;
			if (w > p)
				w--; /* drop the separator too */
			continue;
		}
		if (w != p)
			*w++ = '/';
		memmove(w, seg, len);
		w += len;
	}
	*w = '\0';
	return 0;
}

char *ocifs_path_join(const char *dir, const char *p)
{
	size_t dl = dir ? strlen(dir) : 0, pl = strlen(p);
	char *out = malloc(dl + pl + 2);

	if (!out)
		return NULL;
	memcpy(out, dir ? dir : "", dl);
	out[dl] = '/';
	memcpy(out + dl + 1, p, pl + 1);
	if (ocifs_path_normalize(out)) {
		free(out);
		return NULL;
	}
	return out;
}
