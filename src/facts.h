/* SPDX-License-Identifier: MIT */
/*
 * What the layer index notes of an entry while indexing it (magic bytes
 * of a regular file's data, how it was stored): the OCIFS_EF_* flags.
 * They are stored in the index's rows and copied into the view's
 * inodes, so the analyzers pick the files worth reading without opening
 * any; this header is what both sides share, with no SQLite in it.
 */
#ifndef OCIFS_SRC_FACTS_H
#define OCIFS_SRC_FACTS_H

#define OCIFS_EF_ELF      0x01u /* data starts with \x7fELF */
#define OCIFS_EF_ZIP      0x02u /* PK\3\4 (jar, wheel, apk...) */
#define OCIFS_EF_SCRIPT   0x04u /* #! */
#define OCIFS_EF_IMPLICIT 0x08u /* parent dir not present in the tar */
#define OCIFS_EF_SPARSE   0x10u
#define OCIFS_EF_XATTR    0x20u /* has rows in xattrs */
#define OCIFS_EF_HASHED   0x40u /* sha256 is valid */

#endif
