/* SPDX-License-Identifier: MIT */
/*
 * Reading the CycloneDX document back for the documents derived from it
 * (sbom.h: the SPDX document, the table): parsing it, the SPDX license
 * expression syntax, and SPDX's creation time.
 */
#ifndef OCIFS_SCAN_SBOM_DERIVE_H
#define OCIFS_SCAN_SBOM_DERIVE_H
#include <stddef.h>
#include <json-c/json.h>

/** Parse cdx (len bytes, a NUL after them not needed) into *out: 0,
 *  -EBADMSG if it is not one JSON object with "bomFormat": "CycloneDX",
 *  -ENOMEM. */
int ocifs_sbom_parse_cdx(const char *cdx, size_t len, json_object **out);

/** Is expr a license expression of SPDX 2.3's grammar (Annex D): ids
 *  ([A-Za-z0-9.-]+, optionally "+"), LicenseRef-/DocumentRef-, AND, OR,
 *  WITH, parentheses? Syntax only: an id is not looked up in the list. */
int ocifs_spdx_expr_valid(const char *expr);

/** SPDX's creationInfo.created ("YYYY-MM-DDThh:mm:ssZ", into out[32]):
 *  from SOURCE_DATE_EPOCH when set, else the first of cdx_timestamp and
 *  image_created (RFC 3339, either may be NULL) that parses, else the
 *  epoch. */
void ocifs_spdx_created(const char *cdx_timestamp, const char *image_created, char out[32]);

#endif
