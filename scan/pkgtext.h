/* SPDX-License-Identifier: MIT */
/*
 * Small text helpers the package parsers share (apk, Python metadata,
 * gemspecs, composer, .NET): untrusted bytes of a package database made
 * into strings a JSON writer can carry (valid UTF-8, no NUL), growing
 * string lists with a bound, lines, the capped read of a metadata file,
 * and the RFC 822 style header blocks of Python's METADATA / PKG-INFO.
 * Bytes in, strings out: no tree, no emit, nothing logged.
 */
#ifndef OCIFS_SCAN_PKGTEXT_H
#define OCIFS_SCAN_PKGTEXT_H
#include <stddef.h>

#include "rd.h"

/** A malloc'd copy of the n bytes at s. Valid UTF-8 without NUL bytes is
 *  copied as it is; anything else is escaped as `ls -b` escapes text
 *  (an invalid byte becomes \ooo, a backslash "\\") and *bad (if not
 *  NULL) is set to 1. NULL only when out of memory. */
char *ocifs_pkg_text(const char *s, size_t n, int *bad);

/** ocifs_pkg_text of s with leading and trailing blanks removed. */
char *ocifs_pkg_text_trim(const char *s, size_t n, int *bad);

/** Is s[0..n) valid UTF-8 without NUL bytes? */
int ocifs_pkg_utf8(const char *s, size_t n);

/* A growing list of strings. A zeroed struct is empty. */
struct ocifs_strv {
	char **v;
	size_t n, cap;
};

/** Append a copy of s[0..n) (made by ocifs_pkg_text; *bad as there)
 *  unless the list holds max strings already (then 1 and nothing added).
 *  0, 1, or -ENOMEM. */
int ocifs_strv_add(struct ocifs_strv *l, const char *s, size_t n, size_t max, int *bad);
/** Append s itself (the list owns it from now on, even on error). */
int ocifs_strv_take(struct ocifs_strv *l, char *s);
/** Does the list hold a string equal to s? */
int ocifs_strv_has(const struct ocifs_strv *l, const char *s);
void ocifs_strv_fini(struct ocifs_strv *l);

/** The next line of buf[0..len) from *off: *line and *n (without the
 *  "\n" or "\r\n"), *off moved past it. 0 at the end of the buffer. */
int ocifs_pkg_line(const char *buf, size_t len, size_t *off, const char **line, size_t *n);

/** At most cap bytes of the file behind rd: *buf (rd->mem itself when
 *  the bytes are in memory, then *owned is NULL; else malloc'd, and
 *  *owned is the same pointer for the caller to free), *len, and
 *  *cut = 1 when the file (size, the cataloger's own count of its
 *  bytes, since rd may hold only a head) is longer than what was read.
 *  0 or the reader's error / -ENOMEM. */
int ocifs_pkg_read(const struct ocifs_rd *rd, unsigned long long size, size_t cap,
		   const char **buf, size_t *len, char **owned, int *cut);

/** The header fields of an RFC 822 style block (Python's METADATA,
 *  PKG-INFO): cb(ctx, name, nlen, value, vlen) for each "Name: value"
 *  line up to the first empty line, continuation lines (starting with a
 *  blank) joined to the value with their "\n" (so the value points into
 *  buf). A line that is no field counts in *bad_lines. A non-zero cb
 *  return stops and is returned. */
int ocifs_pkg_headers(const char *buf, size_t len,
		      int (*cb)(void *ctx, const char *name, size_t nlen, const char *value,
				size_t vlen),
		      void *ctx, size_t *bad_lines);

/* One package of a language manifest (gemspec, composer, .NET), as
 * the parsers of those formats report it. */
struct ocifs_pkgrec {
	char *namespace_, *name, *version;  /* namespace_ NULL when none */
	struct ocifs_strv licenses, depends, files;
	char *extra;            /* the one format-specific property's value, or NULL */
	int bad_text;           /* a value was not UTF-8 (escaped) */
};

struct ocifs_pkglist {
	struct ocifs_pkgrec *v;
	size_t n, cap;
	const char *error;      /* static: why the input was (partly) unusable */
};

/** A new zeroed record at the end of l: NULL on ENOMEM. */
struct ocifs_pkgrec *ocifs_pkglist_add(struct ocifs_pkglist *l);
void ocifs_pkglist_fini(struct ocifs_pkglist *l);

#endif
