/* SPDX-License-Identifier: MIT */
/* sha256 and digest strings: known answers and hostile digest strings. */
#include "sha.h"
#include "tap.h"

int main(void)
{
	unsigned char d[OCIFS_SHA256_LEN];
	char s[OCIFS_DIGEST_STRLEN + 1];
	struct ocifs_sha *h;

	ocifs_sha256("abc", 3, d);
	ocifs_digest_format(d, s);
	is_str(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256(abc)");
	ok(ocifs_sha_new(&h) == 0, "streaming context");
	ocifs_sha_update(h, "a", 1);
	ocifs_sha_update(h, "bc", 2);
	ocifs_sha_final(h, d);
	ocifs_digest_format(d, s);
	is_str(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "streaming sha256(abc)");
	ocifs_sha_final(h, d); /* reset: hash of nothing */
	ocifs_digest_format(d, s);
	is_str(s, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "context resets after final");
	ocifs_sha_free(h);

	static const struct {
		const char *s;
		int valid;
	} cases[] = {
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 1 },
		{ "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", 0 },
		{ "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0 },
		{ "sha256:../../../../etc/passwd", 0 },
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/", 0 },
		{ "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0", 0 },
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(ocifs_digest_valid(cases[i].s), cases[i].valid, "digest \"%s\"", cases[i].s);
	ok(ocifs_digest_parse(NULL, d) < 0, "NULL digest rejected");
	return done_testing();
}
