/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: rpm package databases and headers (scan/rpmdb.c,
 * rpm_bdb.c, rpm_ndb.c, sqlitedb.c, rpmhdr.c). The input is walked as a
 * database of whichever backend its magic says (SQLite, Berkeley DB
 * hash, NDB), every blob it hands over parsed as a header, and the input
 * itself parsed as a header blob too. Invariants: a parsed package has a
 * name, its lists hold what their counts say and stay within the caps.
 */
#include "fuzz.h"
#include "rpmdb.h"
#include "rpmhdr.h"

static void fz_header(const unsigned char *p, size_t n)
{
	struct ocifs_rpmhdr h;
	size_t bytes = 0;

	if (ocifs_rpmhdr_parse(p, n, 0, &h) == 0) {
		FZ_ASSERT(h.name || h.error);
		FZ_ASSERT(h.nprovides <= OCIFS_RPMHDR_MAX_DEPS && h.nrequires <= OCIFS_RPMHDR_MAX_DEPS);
		for (size_t i = 0; i < h.nfiles; i++)
			bytes += strlen(h.files[i]);
		FZ_ASSERT(bytes <= OCIFS_RPMHDR_MAX_FILE_BYTES);
		for (size_t i = 0; i < h.nrequires; i++)
			FZ_ASSERT(h.requires[i][0] && h.requires[i][0] != '(');
	}
	ocifs_rpmhdr_fini(&h);
}

static int fz_blob(void *ctx, const unsigned char *blob, size_t len)
{
	size_t *n = ctx;

	FZ_ASSERT(blob || !len);
	fz_header(blob, len);
	return ++*n > 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *error = NULL;
	size_t n = 0;

	ocifs_rpmdb_each(data, size, fz_blob, &n, &error);
	free(error);
	fz_header(data, size);
	return 0;
}
