#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The image tests/cli/t24-report.sh reports on, and the oracle it checks
# the report against, both from the layer tars this script writes with
# tarfile (so every entry, whiteout and name is exactly as chosen):
#   layer 1: a dynamic C binary needing a library the image lacks, a Go
#            binary, a script, files and directories (explicit entries);
#   layer 2: a file overwritten, a file's mode changed, a file and a
#            directory whited out, a file added;
#   layer 3: an opaque directory, hostile names (<script>, an <img>
#            element, quotes, a byte that is not UTF-8).
# The oracle applies the layers as DESIGN §6 says (whiteouts, opaque
# directories, last entry wins) and writes, as JSON: per layer the paths
# added, modified and removed against the layers below (a removed
# directory once), the bytes each layer wrote that a later one replaced,
# whited out or hid; the merged tree (path -> layer, earlier layers that
# listed it); names are escaped as ocifs escapes them (esc.h).
# usage: report_image.py OUTDIR HELLO GOBIN
import hashlib
import io
import json
import os
import sys
import tarfile

out, hello, gobin = sys.argv[1:4]
MT = 1700000000


def esc(b):
    """ocifs_esc_buf(..., OCIFS_ESC_KEEP_SPACE) of bytes b."""
    r, i = [], 0
    cmap = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
    while i < len(b):
        c = b[i]
        if c == 0x5C:
            r.append("\\\\")
            i += 1
            continue
        if c in cmap:
            r.append(cmap[c])
            i += 1
            continue
        if c < 0x20 or c == 0x7F:
            r.append("\\%03o" % c)
            i += 1
            continue
        if c < 0x80:
            r.append(chr(c))
            i += 1
            continue
        n = 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
        try:
            ch = b[i:i + n].decode("utf-8") if n else None
        except UnicodeDecodeError:
            ch = None
        if ch is None or 0x80 <= ord(ch) <= 0x9F:
            r.append("\\%03o" % c)
            i += 1
            continue
        r.append(ch)
        i += n
    return "".join(r)


def entry(path, kind="f", data=b"", mode=0o644, link=None):
    return {"path": path, "kind": kind, "data": data, "mode": mode, "link": link}


def d(path, mode=0o755):
    return entry(path, "d", mode=mode)


rd = lambda p: open(p, "rb").read()
L1 = [d(b"etc"), entry(b"etc/motd", data=b"hello\n"), d(b"usr"), d(b"usr/bin"),
      entry(b"usr/bin/hello", data=rd(hello), mode=0o755),
      entry(b"usr/bin/run.sh", data=b"#!/bin/sh\necho hi\n", mode=0o755),
      d(b"usr/local"), d(b"usr/local/bin"),
      entry(b"usr/local/bin/gohello", data=rd(gobin), mode=0o755),
      entry(b"usr/bin/sh-link", "l", link=b"run.sh"),
      d(b"data"), entry(b"data/big.bin", data=b"A" * 20000), entry(b"data/keep.txt", data=b"k" * 300),
      d(b"data/dir"), entry(b"data/dir/a", data=b"a" * 111), entry(b"data/dir/b", data=b"b" * 222),
      d(b"data/old"), entry(b"data/old/x", data=b"x" * 10), entry(b"data/old/y", data=b"y" * 20)]
L2 = [entry(b"data/big.bin", data=b"B" * 30000), entry(b"data/new.txt", data=b"new\n"),
      entry(b"data/.wh.keep.txt"), entry(b"data/.wh.old"),
      entry(b"etc/motd", data=b"hello\n", mode=0o600)]
L3 = [entry(b"data/dir/.wh..wh..opq"), entry(b"data/dir/c", data=b"c" * 33),
      d(b"evil"), d(b"evil/<script>"), entry(b"evil/<script>/alert(1)", data=b"x"),
      entry(b"evil/<img src=x onerror=alert(1)>", data=b"y"),
      entry(b"evil/bad\xffname", data=b"z"), entry(b"evil/q\"&'<b>.txt", data=b"q")]
LAYERS = [L1, L2, L3]


def write_tar(entries, path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as t:
        for e in entries:
            ti = tarfile.TarInfo(e["path"].decode("utf-8", "surrogateescape"))
            ti.mtime, ti.mode, ti.uid, ti.gid = MT, e["mode"], 0, 0
            if e["kind"] == "d":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif e["kind"] == "l":
                ti.type, ti.linkname = tarfile.SYMTYPE, e["link"].decode()
                t.addfile(ti)
            else:
                ti.size = len(e["data"])
                t.addfile(ti, io.BytesIO(e["data"]))
    open(path, "wb").write(buf.getvalue())


for n, L in enumerate(LAYERS, 1):
    write_tar(L, os.path.join(out, "l%d.tar" % n))

# --- the oracle: apply the layers ---------------------------------------
view = {}      # path -> (layer, kind, mode, sha, link)
listed = {}    # path -> [layers listing it explicitly]
version = {}   # path -> (owner layer, size): the live version, for wasted
wasted = [0] * len(LAYERS)
layers = []


def under(p, d):
    return p.startswith(d + b"/")


def drop(pred):
    for p in [p for p in view if pred(p)]:
        del view[p]
    for p in [p for p in version if pred(p)]:
        wasted[version[p][0] - 1] += version[p][1]
        del version[p]


for n, L in enumerate(LAYERS, 1):
    added = modified = removed = 0
    last = {}
    for e in L:
        last[e["path"]] = e
    for p, e in last.items():
        base = p.rsplit(b"/", 1)
        dirp, name = (base[0], base[1]) if len(base) == 2 else (b"", base[0])
        if name == b".wh..wh..opq":
            kids = {q.split(b"/")[len(dirp.split(b"/"))] for q in view if under(q, dirp)}
            mine = {q for q in last if under(q, dirp) and not q.endswith(b".wh..wh..opq")}
            removed += len({k for k in kids if dirp + b"/" + k not in mine})
            drop(lambda q: under(q, dirp))
        elif name.startswith(b".wh."):
            t = (dirp + b"/" if dirp else b"") + name[4:]
            if t in view:
                removed += 1
            drop(lambda q: q == t or under(q, t))
    for p, e in last.items():
        if p.rsplit(b"/", 1)[-1].startswith(b".wh."):
            continue
        new = (n, e["kind"], e["mode"], hashlib.sha256(e["data"]).hexdigest(), e["link"])
        if p in view:
            if view[p][1:] != new[1:]:
                modified += 1
        else:
            added += 1
        if p in version and version[p][0] != n:
            wasted[version[p][0] - 1] += version[p][1]
        view[p] = new
        version[p] = (n, len(e["data"]) if e["kind"] == "f" else 0)
        listed.setdefault(p, []).append(n)
    layers.append({"added": added, "modified": modified, "removed": removed})
for n, l in enumerate(layers):
    l["wasted"] = wasted[n]
    l["usize"] = os.path.getsize(os.path.join(out, "l%d.tar" % (n + 1)))
    l["entries"] = len(LAYERS[n])
tree = {}
for p, v in view.items():
    tree["/" + esc(p)] = {"layer": v[0], "earlier": [x for x in listed[p] if x < v[0]]}
json.dump({"layers": layers, "tree": tree}, open(os.path.join(out, "oracle.json"), "w"),
          indent=1, sort_keys=True)
