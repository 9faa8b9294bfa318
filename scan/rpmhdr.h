/* SPDX-License-Identifier: MIT */
/*
 * An rpm package header, as every rpm database backend stores it (one
 * blob per installed package; rpmdb.h finds the blobs): the fields an
 * SBOM needs -- name, epoch, version, release, arch, source rpm,
 * license, vendor, size, provides, requires and the files it owns.
 * Pure: bytes in, record out; bad input is recorded in `error` (rd.h's
 * rule), never logged.
 */
#ifndef OCIFS_SCAN_RPMHDR_H
#define OCIFS_SCAN_RPMHDR_H
#include <stddef.h>
#include <stdint.h>

#define OCIFS_RPMHDR_MAX_FILE_BYTES (64u << 20) /* paths of one package, total */
#define OCIFS_RPMHDR_NEVRA 1u    /* flags: name, epoch, version, release, arch only */
#define OCIFS_RPMHDR_MAX_DEPS 65536u   /* provides / requires kept (sles-release has 8945) */

struct ocifs_rpmhdr {
	/* NULL when the header lacks the tag (or holds "(none)") */
	char *name, *version, *release, *arch;
	char *sourcerpm, *license, *vendor, *modularitylabel;
	int has_epoch;
	uint32_t epoch;
	int has_size;
	uint64_t size;                  /* installed bytes (SIZE or LONGSIZE) */
	int has_sigmd5;
	unsigned char sigmd5[16];       /* MD5 of header + payload (SIGMD5) */
	/* PROVIDENAME and REQUIRENAME, each name once; requires without
	 * rpmlib(...) features and rich "(a or b)" expressions (as Syft) */
	char **provides, **requires;
	size_t nprovides, nrequires;
	/* every path it owns, "/"-rooted (DIRNAMES[DIRINDEXES[i]] +
	 * BASENAMES[i], or the old OLDFILENAMES), in header order */
	char **files;
	size_t nfiles;
	char *error;                    /* the first problem, or NULL */
};

/** Parse the header blob p[0..len) (index count and data length, the
 *  16-byte index entries, the data store; big-endian) into *h (need not
 *  be initialised; free it with ocifs_rpmhdr_fini whatever the result);
 *  with OCIFS_RPMHDR_NEVRA in flags only what names the package (for a
 *  quick look at a layer's copy of the database).
 *  0, with h->error set when the blob is malformed (what could be read
 *  is kept: a tag whose entry is bad is left out), or -ENOMEM. A header
 *  without a name is not a package: h->error says so. */
int ocifs_rpmhdr_parse(const unsigned char *p, size_t len, unsigned flags,
		       struct ocifs_rpmhdr *h);

void ocifs_rpmhdr_fini(struct ocifs_rpmhdr *h);

#endif
