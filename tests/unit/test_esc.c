/* SPDX-License-Identifier: MIT */
/* ls -b style escaping of untrusted names for terminal output. */
#include "esc.h"
#include "tap.h"

int main(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "plain/name-1.so", 15, "plain/name-1.so" },
		{ "a\nfake line", 11, "a\\nfake\\ line" },
		{ "\a\b\t\n\v\f\r", 7, "\\a\\b\\t\\n\\v\\f\\r" },
		{ "\x1b[31mred", 8, "\\033[31mred" },
		{ "back\\slash", 10, "back\\\\slash" },
		{ "del\x7f", 4, "del\\177" },
		{ "nul\0x", 5, "nul\\000x" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },                 /* valid UTF-8 kept */
		{ "\xe2\x82\xac 1", 5, "\xe2\x82\xac\\ 1" },         /* euro sign */
		{ "bad\xff\xfe", 5, "bad\\377\\376" },                /* invalid bytes */
		{ "c1\xc2\x9b" "2J", 6, "c1\\302\\2332J" },           /* C1 CSI escaped */
		{ "over\xc0\xaf", 6, "over\\300\\257" },              /* overlong '/' */
		{ "sur\xed\xa0\x80", 6, "sur\\355\\240\\200" },       /* surrogate */
		{ "cut\xe2\x82", 5, "cut\\342\\202" },                /* truncated sequence */
		{ "", 0, "" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = ocifs_esc_name_buf(buf, sizeof(buf), cases[i].in, cases[i].n);
		ok(n == strlen(cases[i].out) && !strcmp(buf, cases[i].out), "case %zu: \"%s\"", i,
		   cases[i].out);
	}
	/* snprintf-like: truncated output, full length returned */
	size_t n = ocifs_esc_name_buf(buf, 4, "a b c", 5);
	ok(n == 7 && !strcmp(buf, "a\\ "), "short buffer: truncated, whole length returned");
	ok(ocifs_esc_name_buf(NULL, 0, "\n\n", 2) == 4, "length only with no buffer");
	n = ocifs_esc_buf(buf, sizeof(buf), "a b\n\\c", 6, OCIFS_ESC_KEEP_SPACE);
	ok(n == 8 && !strcmp(buf, "a b\\n\\\\c"), "KEEP_SPACE: spaces kept, the rest escaped");
	/* worst case: 4 bytes out per byte in */
	char in[256], *out = NULL;
	for (int i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	in[255] = '\0';
	ok(ocifs_esc_name(in, &out) == 0 && out, "every byte value");
	ok(out && strlen(out) <= 4 * 255 && !strpbrk(out, "\n\r\x1b\x7f"),
	   "no raw control character survives");
	free(out);
	return done_testing();
}
