/* SPDX-License-Identifier: MIT */
/*
 * PAX extended headers for the tar reader: parses the records of one 'x'
 * (or 'g') payload ("<len> <key>=<value>\n") into the attributes ocifs
 * uses. Framing is strict (a record must end where its length says, in a
 * newline, with '=' after a NUL-free key); numbers and times are read
 * leniently, as libarchive (the test oracle) reads them, but negative or
 * overflowing sizes and ids are refused. Pure functions; thread-safe.
 */
#ifndef OCIFS_SRC_PAX_H
#define OCIFS_SRC_PAX_H
#include <stddef.h>
#include <stdint.h>

#include "tar.h"

#define OCIFS_PAX_MAX_SPARSE (1u << 20)   /* sparse map entries, any dialect */

struct ocifs_pax_attrs {
	/* malloc'd, NUL-free; NULL when absent or given empty */
	char *path, *linkpath, *uname, *gname;
	char *sparse_name;                      /* GNU.sparse.name: beats path */
	unsigned has_uid : 1, has_gid : 1, has_size : 1, has_mtime : 1;
	unsigned has_devmajor : 1, has_devminor : 1, has_map : 1;
	uint64_t uid, gid, size;
	int64_t mtime;
	uint32_t mtime_ns, devmajor, devminor;
	int64_t realsize;                       /* GNU.sparse.(real)size, or -1 */
	int64_t sparse_major, sparse_minor;     /* GNU sparse 1.0 markers, or -1 */
	int64_t pend_off;                       /* GNU.sparse.offset awaiting numbytes */
	struct ocifs_sparse *map;               /* GNU sparse 0.0 / 0.1 (has_map) */
	size_t nmap, mapcap;
	struct ocifs_xattr *xattr;              /* SCHILY.xattr.*, LIBARCHIVE.xattr.*,
						 * RHT.security.selinux; unique keys */
	size_t nxattr;
};

/** Parse a PAX payload into *a (zeroed here; free with
 *  ocifs_pax_attrs_free() whatever the result). Repeated keys: the last
 *  wins, as do xattrs given in both encodings. 0, -ENOMEM, or -EBADMSG
 *  logged with `name` and `hdr_off`. */
int ocifs_pax_parse(const char *buf, size_t len, const char *name, uint64_t hdr_off,
		    struct ocifs_pax_attrs *a);
void ocifs_pax_attrs_free(struct ocifs_pax_attrs *a);

/** Append (off, len) to a sparse map growing by doubling: 0, -ENOMEM, or
 *  -EBADMSG (not logged) past OCIFS_PAX_MAX_SPARSE entries or when the
 *  numbers are negative or their sum overflows. */
int ocifs_pax_sparse_push(struct ocifs_sparse **map, size_t *n, size_t *cap, int64_t off,
			  int64_t len);

#endif
