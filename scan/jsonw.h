/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer whose bytes are exactly those of json-c's
 * json_object_to_json_string_ext(PRETTY | SPACED | NOSLASHESCAPE) for the
 * same tree (two-space indent, "key": value, an empty container as "{" or
 * "[", a newline, the closing indent and bracket), so documents rendered
 * straight from the model keep the bytes they had when built as a json-c
 * tree, without holding that tree. Keys are written in the order given;
 * the caller must not repeat a key in one object (json-c would keep the
 * first position with the last value).
 *
 * Strings are bytes. By default they are written as they are (the SBOM
 * makes its strings valid UTF-8 first, U+FFFD for a bad byte); with
 * `surrogateescape` set, every byte that is not part of a valid UTF-8
 * sequence (overlong forms, surrogates, past U+10FFFF, lone or missing
 * continuation bytes) is written as the escape \udcXX of its value XX,
 * Python's surrogateescape convention, so the document is valid UTF-8
 * and os.fsencode(json.loads(doc)[...]) gives back the exact bytes.
 */
#ifndef OCIFS_SCAN_JSONW_H
#define OCIFS_SCAN_JSONW_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OCIFS_JSONW_DEPTH 32

struct ocifs_jsonw {
	FILE *fp;               /* where it goes (an open_memstream) */
	int level;              /* open containers */
	unsigned char had[OCIFS_JSONW_DEPTH + 1]; /* a child written at that level */
	int keyed;              /* a key was written: the next value is its value */
	int err;                /* a nesting error (the output is then wrong) */
	int surrogateescape;    /* set after init: invalid UTF-8 -> \udcXX
				 * in every key and string */
};

/** Start writing to fp (owned by the caller); surrogateescape off. */
void ocifs_jsonw_init(struct ocifs_jsonw *w, FILE *fp);
/** Open an object / array as the next value (after a key, in an array,
 *  or at the top). */
void ocifs_jsonw_obj(struct ocifs_jsonw *w);
void ocifs_jsonw_arr(struct ocifs_jsonw *w);
/** Close the innermost object / array. */
void ocifs_jsonw_end_obj(struct ocifs_jsonw *w);
void ocifs_jsonw_end_arr(struct ocifs_jsonw *w);
/** The key of the next member of the current object. */
void ocifs_jsonw_key(struct ocifs_jsonw *w, const char *k);
/** Values (after a key, or as array elements). str NULL writes null. */
void ocifs_jsonw_str(struct ocifs_jsonw *w, const char *s);
void ocifs_jsonw_strn(struct ocifs_jsonw *w, const char *s, size_t n);
void ocifs_jsonw_int(struct ocifs_jsonw *w, int64_t v);
void ocifs_jsonw_bool(struct ocifs_jsonw *w, int v);
void ocifs_jsonw_null(struct ocifs_jsonw *w);
/** The length (1-4) of the valid UTF-8 sequence at s[0..n), or 0 when
 *  s[0] does not start one (n > 0). NUL is valid (length 1). */
size_t ocifs_jsonw_utf8_len(const unsigned char *s, size_t n);
/** A value already rendered by json-c at level 0 with the same flags
 *  (e.g. a parsed JSON object of the input): re-indented to this level. */
void ocifs_jsonw_raw(struct ocifs_jsonw *w, const char *pretty);

/* Shorthands: key then value. */
static inline void ocifs_jsonw_kstr(struct ocifs_jsonw *w, const char *k, const char *s)
{
	ocifs_jsonw_key(w, k);
	ocifs_jsonw_str(w, s);
}
static inline void ocifs_jsonw_kint(struct ocifs_jsonw *w, const char *k, int64_t v)
{
	ocifs_jsonw_key(w, k);
	ocifs_jsonw_int(w, v);
}
static inline void ocifs_jsonw_kbool(struct ocifs_jsonw *w, const char *k, int v)
{
	ocifs_jsonw_key(w, k);
	ocifs_jsonw_bool(w, v);
}

#endif
