/* SPDX-License-Identifier: MIT */
/*
 * `ocifs explain` (explain.c gathers, explain_text.c renders): the
 * helpers the two files share. The JSON object explain.c builds is the
 * one model; --json prints it, the text is rendered from it.
 */
#ifndef OCIFS_SRC_CLI_EXPLAIN_H
#define OCIFS_SRC_CLI_EXPLAIN_H
#include <stddef.h>

#include <json-c/json.h>

#include "session.h"

/** A JSON string of untrusted bytes (valid UTF-8 as it is, else `ls -b`
 *  escaped); NULL for NULL or when out of memory. */
json_object *explain_str(const char *s);
/** Add "history" to o: every layer's event for path (lchange.h), each
 *  with the layer's digest and config history line. 0 or -errno. */
int explain_history(struct ocifs_session *s, const char *path, json_object *o);
/** For a path not in the view: what removed it, in words, from o's
 *  history ("removed by a whiteout in layer 2 (/etc/.wh.f)", "no layer
 *  has it"). */
void explain_gone(json_object *o, char *buf, size_t cap);
/** Print o as text on stdout (names escaped): 0 or -EIO. */
int explain_text(json_object *o);

#endif
