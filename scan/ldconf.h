/* SPDX-License-Identifier: MIT */
/*
 * /etc/ld.so.conf as glibc's ldconfig reads it: one directory per line
 * (an old "=TYPE" suffix dropped), '#' comments, "include PATTERN" lines whose glob
 * (relative patterns are relative to the including file's directory) is
 * expanded in sorted order, "hwcap" lines ignored. Include loops and
 * runaway depth are cut off with a note, never followed forever. Each
 * file is read once (ldconfig rereads a file included again, which only
 * repeats directories already listed: the same list), at most 4096
 * files and 16 MiB in all, so an include fan-out costs linear time; the
 * duplicate check is a hash set.
 */
#ifndef OCIFS_SCAN_LDCONF_H
#define OCIFS_SCAN_LDCONF_H
#include <stddef.h>

#include "tree.h"

struct ocifs_ldconf {
	size_t n;
	char **dirs;            /* in order, duplicates removed */
	char *note;             /* what was cut off or unreadable, or NULL */
};

/** Parse path (normally "/etc/ld.so.conf") in tree t. A missing file is
 *  not an error (no dirs). 0 or -ENOMEM. */
int ocifs_ldconf_parse(const struct ocifs_tree *t, const char *path, struct ocifs_ldconf *out);
void ocifs_ldconf_fini(struct ocifs_ldconf *c);

#endif
