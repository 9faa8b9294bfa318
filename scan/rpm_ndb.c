/* SPDX-License-Identifier: MIT */
/*
 * rpm's NDB backend, Packages.db (SUSE), read by hand: no library on
 * the design card reads it (rpm's own lib/backend/ndb/rpmpkg.c is its
 * only documentation). Little-endian:
 *
 *   header, 32 bytes: "RpmP", version 0, generation, slot pages, 4 x 0
 *   slot pages (4096 bytes each, the header taking the first 2 slots):
 *     16-byte slots { "Slot", package index (0: free), block offset,
 *                     block count }
 *   blocks of 16 bytes; a package's first block is its blob header
 *     { "BlbS", package index, adler32, blob length } then the blob
 *     (the rpm header) and a tail.
 *
 * Every slot's blocks are checked against the file; the checksum is
 * not (go-rpmdb, which Trivy uses, does not check it either).
 */
#include <errno.h>
#include <stdint.h>

#include "bytes.h"
#include "rd.h"
#include "rpmdb.h"

#define NDB_PAGE 4096u
#define NDB_BLK 16u
#define NDB_MAX_SLOT_PAGES 2048u        /* go-rpmdb's sanity bound: 512k packages */
#define NDB_MAGIC 0x506d7052u           /* "RpmP" */
#define NDB_SLOT_MAGIC 0x746f6c53u      /* "Slot" */
#define NDB_BLOB_MAGIC 0x53626c42u      /* "BlbS" */

int ocifs_rpm_ndb_each(const unsigned char *buf, size_t len, ocifs_rpmdb_cb cb, void *ctx,
		       char **error)
{
	uint32_t npages;
	size_t end;
	int rc;

	if (len < 32 || ocifs_le32(buf) != NDB_MAGIC || ocifs_le32(buf + 4) != 0)
		return ocifs_rpmdb_err(error, "not an rpm NDB database");
	npages = ocifs_le32(buf + 12);
	if (npages < 1 || npages > NDB_MAX_SLOT_PAGES)
		return ocifs_rpmdb_err(error, "ndb: %u slot pages", npages);
	end = (size_t)npages * NDB_PAGE;
	if (end > len) {
		if ((rc = ocifs_rpmdb_err(error, "ndb: %u slot pages in %zu bytes (truncated)", npages, len)))
			return rc;
		end = len - len % NDB_BLK;
	}
	for (size_t off = 32; off + NDB_BLK <= end; off += NDB_BLK) {
		const unsigned char *s = buf + off;
		if (ocifs_le32(s) != NDB_SLOT_MAGIC)
			return ocifs_rpmdb_err(error, "ndb: bad slot at offset %zu", off);
		uint32_t pkg = ocifs_le32(s + 4), blk = ocifs_le32(s + 8), cnt = ocifs_le32(s + 12);
		if (pkg == 0)
			continue;
		uint64_t boff = (uint64_t)blk * NDB_BLK, bend = boff + (uint64_t)cnt * NDB_BLK;
		if (blk == 0 || cnt == 0 || boff < end || bend > len) {
			if ((rc = ocifs_rpmdb_err(error, "ndb: package %u: blocks %u+%u outside the file", pkg,
					  blk, cnt)))
				return rc;
			continue;
		}
		const unsigned char *b = buf + boff;
		uint32_t blen = ocifs_le32(b + 12);
		if (ocifs_le32(b) != NDB_BLOB_MAGIC || ocifs_le32(b + 4) != pkg ||
		    blen > bend - boff - NDB_BLK) {
			if ((rc = ocifs_rpmdb_err(error, "ndb: package %u: bad blob header at offset %llu",
					  pkg, (unsigned long long)boff)))
				return rc;
			continue;
		}
		if ((rc = cb(ctx, b + NDB_BLK, blen)))
			return rc;
	}
	return 0;
}
