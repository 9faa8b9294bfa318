#!/usr/bin/env python3
"""setconfig.py [--bytes] DIR PATCH|@FILE [REF]: change the config of the OCI layout
DIR (its first manifest), as a build tool would have written it: PATCH (or
the file FILE) is a JSON object merged into the config (objects merge key by key, anything
else replaces), then the config and manifest blobs are rewritten under
their new digests and index.json points at them. REF, if given, becomes
the manifest's org.opencontainers.image.ref.name. The tests use it to give
test images a history[], an entrypoint, a creation date. With --bytes the
strings may hold any bytes: FILE is read, and the config written, with
Python's surrogateescape (a \\udcXX escape in PATCH or a raw invalid byte
in FILE becomes the raw byte XX in the config), as a tool that copies
names into labels unchecked would write them."""
import hashlib, json, os, sys


def merge(dst, patch):
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v


RAW = len(sys.argv) > 1 and sys.argv[1] == "--bytes"
if RAW:
    del sys.argv[1]


def put(d, obj):
    if RAW:
        b = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogateescape")
    else:
        b = json.dumps(obj).encode()
    h = hashlib.sha256(b).hexdigest()
    with open(os.path.join(d, "blobs/sha256", h), "wb") as f:
        f.write(b)
    return "sha256:" + h, len(b)


def main():
    d, arg = sys.argv[1], sys.argv[2]
    patch = (json.load(open(arg[1:], encoding="utf-8", errors="surrogateescape"))
             if arg.startswith("@") else json.loads(arg))
    idx = json.load(open(os.path.join(d, "index.json")))
    mpath = os.path.join(d, "blobs/sha256", idx["manifests"][0]["digest"][7:])
    man = json.load(open(mpath))
    cpath = os.path.join(d, "blobs/sha256", man["config"]["digest"][7:])
    cfg = json.loads(open(cpath, "rb").read().decode("utf-8", "surrogateescape"))
    merge(cfg, patch)
    os.remove(cpath)
    man["config"]["digest"], man["config"]["size"] = put(d, cfg)
    os.remove(mpath)
    desc = idx["manifests"][0]
    desc["digest"], desc["size"] = put(d, man)
    if len(sys.argv) > 3:
        desc.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = sys.argv[3]
    json.dump(idx, open(os.path.join(d, "index.json"), "w"))


main()
