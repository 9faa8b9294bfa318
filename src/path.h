/* SPDX-License-Identifier: MIT */
/*
 * Paths inside an image: the one normal form every module stores and
 * compares (the index rows, the outer tar's member table, user paths on
 * the command line). A normal path has no leading "/" or "./", no "."
 * or ".." component, no "//" and no trailing "/"; "" is the root.
 */
#ifndef OCIFS_SRC_PATH_H
#define OCIFS_SRC_PATH_H

/** Normalize p in place: drop empty and "." components and a leading
 *  "/", apply "..". 0, or -EINVAL if a ".." would climb above the root
 *  (p is then unspecified). Never allocates; thread-safe. */
int ocifs_path_normalize(char *p);

/** The normal form of dir + "/" + p: p taken relative to dir (a path
 *  inside the image, or NULL for the root), even when p starts with "/".
 *  malloc'd, the caller frees it; NULL when it climbs above the root or
 *  on ENOMEM. */
char *ocifs_path_join(const char *dir, const char *p);

#endif
