/* SPDX-License-Identifier: MIT */
/* Shared by deps.c (the build) and deps_json.c (the document). */
#ifndef OCIFS_SCAN_DEPS_PRIV_H
#define OCIFS_SCAN_DEPS_PRIV_H
#include <stddef.h>

#include "deps.h"
#include "model.h"

/** Render the deps.json document of img from the model m (files sorted
 *  by path; names whose bytes turned out neither ELF nor script, and
 *  without an error, left out), with a newline at the end, and fill st
 *  (its counts). 0 and a malloc'd NUL-terminated *json (*len without the
 *  NUL), or -ENOMEM. */
int ocifs_deps_json_write(const struct ocifs_model *m, const struct ocifs_image *img, char **json,
			  size_t *len, struct ocifs_deps_stats *st);

#endif
