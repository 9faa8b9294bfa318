/* SPDX-License-Identifier: MIT */
/*
 * Names from an image (file names, symlink targets, NEEDED strings) are
 * untrusted bytes: printed raw, a control character drives the terminal
 * and a newline forges a line of output. Escape them as `ls -b` does.
 */
#ifndef OCIFS_SRC_ESC_H
#define OCIFS_SRC_ESC_H
#include <stddef.h>

/** The `ls -b` escape of the n bytes at s: \a \b \t \n \v \f \r for
 *  those controls, "\\" for a backslash, "\ " for a space, \ooo (three
 *  octal digits) for every other control byte, DEL, byte of invalid
 *  UTF-8 and C1 control (U+0080..U+009F); valid printable UTF-8 is kept.
 *  Writes at most cap bytes to buf, NUL-terminated when cap > 0 (like
 *  snprintf), and returns the length of the whole escape without the
 *  NUL (at most 4 * n). Thread-safe. */
size_t ocifs_esc_name_buf(char *buf, size_t cap, const char *s, size_t n);

/** The escape of the NUL-terminated s in a malloc'd string (the caller
 *  frees it): 0 or -ENOMEM. */
int ocifs_esc_name(const char *s, char **out);

/** Flags of ocifs_esc_buf. */
#define OCIFS_ESC_KEEP_SPACE 1u /* spaces as they are (messages, not names) */
#define OCIFS_ESC_MASK 1u

/** ocifs_esc_name_buf with flags: with OCIFS_ESC_KEEP_SPACE, for text
 *  such as a message that quotes names, where only the control bytes
 *  and invalid UTF-8 must not reach the terminal. */
size_t ocifs_esc_buf(char *buf, size_t cap, const char *s, size_t n, unsigned flags);

#endif
