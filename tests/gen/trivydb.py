#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""trivydb.py DIR: an empty Trivy vulnerability database in DIR/db
(trivy.db, a 4-page bbolt file: two meta pages, a free list and an empty
root bucket; metadata.json saying it is fresh), so that `trivy sbom` and
`trivy image` run offline with --skip-db-update: Trivy then lists
packages and finds no vulnerability. Used by tests/cli/t19-sbom-trivy.sh
and bench/sbom.sh."""
import json
import os
import struct
import sys

PS = 4096


def fnv64a(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & 0xffffffffffffffff
    return h


def page(pid, flags, body=b""):
    p = struct.pack("<QHHI", pid, flags, 0, 0) + body
    return p + b"\0" * (PS - len(p))


def meta(pid, txid):
    # magic, version, page size, flags; root bucket (page 3, sequence 0);
    # free list page 2; high water mark 4; txid; checksum of all that
    m = struct.pack("<IIII", 0xED0CDAED, 2, PS, 0) + struct.pack("<QQ", 3, 0) + \
        struct.pack("<QQQ", 2, 4, txid)
    return page(pid, 0x04, m + struct.pack("<Q", fnv64a(m)))


d = os.path.join(sys.argv[1], "db")
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "trivy.db"), "wb") as f:
    f.write(meta(0, 0) + meta(1, 1) + page(2, 0x10) + page(3, 0x02))
with open(os.path.join(d, "metadata.json"), "w") as f:
    json.dump({"Version": 2, "NextUpdate": "2099-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
               "DownloadedAt": "2026-01-01T00:00:00Z"}, f)
