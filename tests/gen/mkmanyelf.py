#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkmanyelf.py OUTDIR COUNT NNEEDED NDIRS [SHARED]: COUNT minimal x86-64
ELF executables OUTDIR/bin/eN, each with NNEEDED DT_NEEDED entries that
exist nowhere and a DT_RUNPATH of NDIRS directories that do not exist
either (the hostile case of issue #9). SHARED=1: every file names the
same libraries and directories; else each its own."""
import os
import struct
import sys


def elf(interp, needed, runpath):
    strs = bytearray(b"\0")

    def s(x):
        off = len(strs)
        strs.extend(x.encode() + b"\0")
        return off

    io = s(interp)
    dyn = [(1, s(n)) for n in needed]          # DT_NEEDED
    dyn.append((29, s(runpath)))               # DT_RUNPATH
    nph = 3
    dynoff = 64 + 56 * nph
    ndyn = len(dyn) + 3
    stroff = dynoff + 16 * ndyn
    dyn += [(5, stroff), (10, len(strs)), (0, 0)]  # STRTAB, STRSZ, NULL
    total = stroff + len(strs)
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0x1000, 64, 0, 0, 64, 56, nph, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 3, 4, stroff + io, stroff + io, stroff + io,
                     len(interp) + 1, len(interp) + 1, 1)          # PT_INTERP
    ph += struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, total, total, 0x1000)  # PT_LOAD
    ph += struct.pack("<IIQQQQQQ", 2, 4, dynoff, dynoff, dynoff, 16 * ndyn, 16 * ndyn, 8)
    body = b"".join(struct.pack("<QQ", t, v) for t, v in dyn)
    return eh + ph + body + bytes(strs)


def main():
    out, count, nneeded, ndirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    shared = len(sys.argv) > 5 and sys.argv[5] == "1"
    os.makedirs(out + "/bin", exist_ok=True)
    for i in range(count):
        tag = "" if shared else "x%d" % i
        needed = ["libmiss%s_%d.so.1" % (tag, k) for k in range(nneeded)]
        runpath = ":".join("/nonexistent%s/d%d" % (tag, k) for k in range(ndirs))
        with open("%s/bin/e%d" % (out, i), "wb") as f:
            f.write(elf("/lib64/ld-linux-x86-64.so.2", needed, runpath))
        os.chmod("%s/bin/e%d" % (out, i), 0o755)


main()
