/* SPDX-License-Identifier: MIT */
/*
 * The errno vocabulary. Every fallible function returns 0 or a negative
 * errno and logs one line of context where it detects the problem --
 * except the analyzers of scan/, which never log: bad input is not their
 * failure but a result, recorded in their `error` field, and the
 * pipeline decides what to log (the rule is spelled out in scan/rd.h).
 *
 *   -EBADMSG     malformed tar, gzip, zstd, JSON or ELF
 *   -EOPNOTSUPP  unsupported media type, codec or format
 *   -ESTALE      cache index stale, corrupt or schema mismatch
 *   -EIO         truncated input, short read
 *   -ENOMEM      out of memory
 *   -ENOENT      missing blob, file or path
 *   -EINVAL      bad argument from the user
 *   -EILSEQ      digest mismatch (the CLI maps it to exit status 3)
 *   -EDOM        arguments that contradict each other (OCIFS_EUSAGE: the
 *                CLI maps it to exit status 2, a usage error)
 */
#ifndef OCIFS_SRC_ERR_H
#define OCIFS_SRC_ERR_H
#include <errno.h>

#define OCIFS_EDIGEST EILSEQ
#define OCIFS_EUSAGE EDOM

#endif
