/* SPDX-License-Identifier: MIT */
/* `ls -b` style escaping of untrusted names (see esc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"

/* The length of the valid, printable UTF-8 sequence at s[0..n) that
 * starts with a byte >= 0x80, or 0 (invalid, overlong, surrogate, beyond
 * U+10FFFF or a C1 control). */
static size_t esc_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

static void esc_put(char *buf, size_t cap, size_t *o, char c)
{
	if (*o + 1 < cap)
		buf[*o] = c;
	(*o)++;
}

size_t ocifs_esc_buf(char *buf, size_t cap, const char *s, size_t n, unsigned flags)
{
	static const char ctl[] = "abtnvfr"; /* \a (7) .. \r (13) */
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t u;

		if (c >= 0x80 && (u = esc_utf8_len(p + i, n - i))) {
			for (size_t k = 0; k < u; k++)
				esc_put(buf, cap, &o, (char)p[i + k]);
			i += u;
			continue;
		}
		i++;
		if ((c > 0x20 && c < 0x7f && c != '\\') ||
		    (c == ' ' && (flags & OCIFS_ESC_KEEP_SPACE))) {
			esc_put(buf, cap, &o, (char)c);
		} else if (c == '\\' || c == ' ') {
			esc_put(buf, cap, &o, '\\');
			esc_put(buf, cap, &o, (char)c);
		} else if (c >= 7 && c <= 13) {
			esc_put(buf, cap, &o, '\\');
			esc_put(buf, cap, &o, ctl[c - 7]);
		} else {
			esc_put(buf, cap, &o, '\\');
			esc_put(buf, cap, &o, (char)('0' + (c >> 6)));
			esc_put(buf, cap, &o, (char)('0' + ((c >> 3) & 7)));
			esc_put(buf, cap, &o, (char)('0' + (c & 7)));
		}
	}
	if (cap)
		buf[o < cap ? o : cap - 1] = '\0';
	return o;
}

size_t ocifs_esc_name_buf(char *buf, size_t cap, const char *s, size_t n)
{
	return ocifs_esc_buf(buf, cap, s, n, 0);
}

int ocifs_esc_name(const char *s, char **out)
{
	size_t n = strlen(s), len = ocifs_esc_name_buf(NULL, 0, s, n);

	if (!(*out = malloc(len + 1)))
		return -ENOMEM;
	ocifs_esc_name_buf(*out, len + 1, s, n);
	return 0;
}
