/* SPDX-License-Identifier: MIT */
/* Sizes as people write them on a command line: "65536", "512k", "64M",
 * "1GiB" (powers of 1024). */
#ifndef OCIFS_SIZE_H
#define OCIFS_SIZE_H

#include <stdint.h>

/** Parse s into *out bytes. 0, or -EINVAL for anything but digits with an
 *  optional k/M/G/T suffix (then an optional "i" and "B"), or on overflow. */
int ocifs_size_parse(const char *s, uint64_t *out);

#endif
