/* SPDX-License-Identifier: MIT */
/*
 * Shared between scan/goinfo.c (the ELF side: finding and decoding the
 * build info blob, the pclntab fallback) and scan/gomodinfo.c (the
 * modinfo text parser and these helpers). Not a public header.
 */
#ifndef OCIFS_SCAN_GOINFO_PRIV_H
#define OCIFS_SCAN_GOINFO_PRIV_H
#include <stddef.h>

#include "goinfo.h"

/** Record why analysis stopped in g->error (printf format; the first
 *  reason wins, later ones are dropped). 0, or -ENOMEM if the message
 *  cannot be kept. Thread-safe (touches only g). */
int ocifs_goinfo_set_error(struct ocifs_goinfo *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** A new NUL-terminated copy of s[0..n) (which may hold no NUL), owned
 *  by the caller; NULL if out of memory. */
char *ocifs_goinfo_dupn(const char *s, size_t n);

/** Free the strings of m and zero it. Safe on a zeroed module. */
void ocifs_goinfo_mod_fini(struct ocifs_gomod *m);

/** debug.ParseBuildInfo over modinfo text without its sentinels,
 *  appending to g's path/main/deps/settings. 0, -ENOMEM, or 1 after a
 *  syntax error recorded in g->error (parsing stops there). */
int ocifs_goinfo_parse_lines(const char *s, size_t len, struct ocifs_goinfo *g);

#endif
