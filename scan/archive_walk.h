/* SPDX-License-Identifier: MIT */
/*
 * Walking a zip archive (jar, war, ear) over a struct ocifs_rd: the one
 * archive reader of scan/ (catalog.h), libarchive underneath. A walk
 * hands each entry's name and declared size to a callback, which may
 * read that entry's bytes into memory (a MANIFEST.MF, a pom.properties,
 * a nested jar to walk in turn). Everything is bounded by a budget that
 * nested walks share: decompressed bytes, entries visited, the size of
 * any one member read, the central directory's size and entry count
 * (checked before libarchive parses it), and a stop poll.
 *
 * (Named archive_walk.h, not archive.h: scan/ is on the include path and
 * would shadow libarchive's <archive.h>.)
 *
 * Like the analyzers (rd.h): never logs; a damaged or hostile archive
 * is not a failure of the call but a reason recorded in *error.
 */
#ifndef OCIFS_SCAN_ARCHIVE_WALK_H
#define OCIFS_SCAN_ARCHIVE_WALK_H
#include <stddef.h>
#include <stdint.h>

#include "rd.h"

#define OCIFS_ARCHIVE_NAME_MAX 1024u    /* longer entry names are skipped */

/* What all the walks of one top-level archive may still use (shared by
 * its nested walks: decrease-only). */
struct ocifs_archive_budget {
	uint64_t bytes;         /* decompressed bytes reads may still return */
	uint64_t entries;       /* entries walks may still visit */
	uint64_t cd_entries;    /* an archive whose central directory lists
				 * more entries is refused */
	uint64_t cd_bytes;      /* ... or whose central directory is bigger */
	int (*stop)(void *stop_ctx); /* non-zero: stop (NULL: never) */
	void *stop_ctx;
};

struct ocifs_archive_entry {
	const char *name;       /* as stored (UTF-8 where the archive says so) */
	uint64_t size;          /* declared uncompressed size, UINT64_MAX unknown */
	int regular;            /* a file, not a directory or link */
};

struct ocifs_archive_walk;

/** The walk's callback: 0 to go on, > 0 to stop the walk early
 *  (returned by ocifs_archive_walk), < 0 an error (returned). */
typedef int (*ocifs_archive_cb)(void *ctx, const struct ocifs_archive_entry *ent,
				struct ocifs_archive_walk *w);

/** Walk the zip archive rd, calling cb for each entry in the order of
 *  its central directory. Returns 0 (walked to the end, or the archive
 *  could not be walked: why in *error, e.g. not a zip, truncated, the
 *  budget spent, stopped), cb's non-zero return, -ENOMEM. *error
 *  (malloc'd, kept if already set) says why the walk ended early. */
/** NULL when libarchive is loaded (dlopen, on first use), else why it
 *  cannot be (dlerror's text): every walk then finds nothing. */
const char *ocifs_archive_unavailable(void);

int ocifs_archive_walk(const struct ocifs_rd *rd, struct ocifs_archive_budget *b,
		       ocifs_archive_cb cb, void *ctx, char **error);

/** From inside the callback: read the current entry whole, at most max
 *  bytes. 0 and a malloc'd *buf (NUL-terminated, *len without the NUL;
 *  the caller frees it), -EFBIG (bigger than max, nothing read past
 *  it), -EDQUOT (the budget's bytes are spent), -EBADMSG (the data is
 *  damaged or encrypted: ocifs_archive_strerror says how), -EINTR
 *  (stopped), -ENOMEM. Charged to the budget. */
int ocifs_archive_read(struct ocifs_archive_walk *w, size_t max, unsigned char **buf,
		       size_t *len);

/** libarchive's message for the last failed read of this walk. */
const char *ocifs_archive_strerror(const struct ocifs_archive_walk *w);

#endif
