#!/bin/bash
# `ocifs history IMAGE PATH` against oracles nobody here wrote:
#  - for every path any layer of the forensics image lists (and a few
#    under removed directories), the events equal what python's tarfile
#    reads from each layer blob (decompressed with gzip/zstd): which layer
#    lists it with which size, sha256 of its bytes, mode, owner, link
#    target, which layer whites it out, makes a parent opaque or replaces
#    a parent; each with the config's history[].created_by (jq, an
#    empty_layer entry skipped); in_view against `umoci unpack`;
#  - the real Debian image: one event for /usr/bin/bash with the size and
#    sha256 of the root's file;
#  - the text form; a path no layer has and a missing image: one line,
#    exit 1, nothing on stdout.
. "${OCIFS_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
: "${OCIFS_BUILDDIR:=$(cd "$(dirname "$OCIFS_BIN")" && pwd)}"
B=$OCIFS_BIN

need umoci python3 jq gzip zstd || { done_testing; exit; }

python3 "$OCIFS_SRCDIR/tests/gen/mkdifflayers.py" "$TMP/L"
gzip -c "$TMP/L/L2.tar" >"$TMP/L/L2.tar.gz"
zstd -q -c "$TMP/L/L3.tar" >"$TMP/L/L3.tar.zst"
gzip -c "$TMP/L/L3.tar" >"$TMP/L/L3.tar.gz"

# with_history DIR: the config gets history[] from history.json with an
# empty_layer entry between layers 1 and 2 (it makes no layer)
with_history() {
	python3 "$OCIFS_SRCDIR/tests/gen/setconfig.py" "$1" "$(jq -c \
		'{history: (.[:1] + [{created_by: "ENV NOTHING=1", empty_layer: true}] + .[1:])}' \
		"$TMP/L/history.json")" t
}

mkoci "$TMP/img" "$TMP/L/L1.tar" "$TMP/L/L2.tar.gz" "$TMP/L/L3.tar.zst" && with_history "$TMP/img"
# umoci 0.4 cannot unpack zstd layers: the same tars gzip'ed, for in_view
mkoci "$TMP/uimg" "$TMP/L/L1.tar" "$TMP/L/L2.tar.gz" "$TMP/L/L3.tar.gz" && with_history "$TMP/uimg"
umoci unpack --image "$TMP/uimg:t" "$TMP/u" >"$TMP/umoci.log" 2>&1 ||
	fail "umoci unpack: $(tail -n 2 "$TMP/umoci.log")"

# the oracle's inputs: each layer blob of the image, decompressed, and
# the created_by of each layer from the config
man=$(jq -r '.manifests[0].digest[7:]' "$TMP/img/index.json")
cfg=$(jq -r '.config.digest[7:]' "$TMP/img/blobs/sha256/$man")
jq '[.history[] | select(.empty_layer != true) | .created_by]' \
	"$TMP/img/blobs/sha256/$cfg" >"$TMP/created_by.json"
n=0
for dg in $(jq -r '.layers[].digest[7:]' "$TMP/img/blobs/sha256/$man"); do
	n=$((n + 1))
	blob_decompress "$TMP/img/blobs/sha256/$dg" >"$TMP/blob$n.tar"
	echo "$dg" >"$TMP/blob$n.digest"
done

# every path the layers list, a few below removed dirs, and the root
python3 - "$n" "$TMP" <<'PY' >"$TMP/paths"
import sys, tarfile
n, tmp = int(sys.argv[1]), sys.argv[2]
paths = set()
for k in range(1, n + 1):
    with tarfile.open("%s/blob%d.tar" % (tmp, k)) as t:
        for m in t:
            p = m.name
            while p.startswith("./"):
                p = p[2:]
            p = p.strip("/")
            if p and not p.rsplit("/", 1)[-1].startswith(".wh."):
                paths.add(p)
for p in sorted(paths):
    print("/" + p)
PY
echo "/gone/sub/never" >>"$TMP/paths"

: >"$TMP/all.jsonl"
bad=0
while IFS= read -r p; do
	if "$B" history "$TMP/img" "$p" --json >"$TMP/h.json" 2>"$TMP/err"; then
		jq -c --arg p "$p" '{path: $p, doc: .}' "$TMP/h.json" >>"$TMP/all.jsonl"
	else
		rc=$?
		jq -nc --arg p "$p" --argjson rc "$rc" '{path: $p, rc: $rc}' >>"$TMP/all.jsonl"
	fi
done <"$TMP/paths"
python3 - "$n" "$TMP" "$TMP/all.jsonl" "$TMP/u/rootfs" <<'PY' >"$TMP/res"
import hashlib, json, os, sys, tarfile
n, tmp, allf, root = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
created = json.load(open(tmp + "/created_by.json"))

def norm(p):
    while p.startswith("./"):
        p = p[2:]
    return p.strip("/")

layers = []  # per layer: name -> (member, bytes)
for k in range(1, n + 1):
    d = {}
    with tarfile.open("%s/blob%d.tar" % (tmp, k)) as t:
        for m in t:
            data = t.extractfile(m).read() if m.isreg() else None
            d[norm(m.name)] = (m, data)
    layers.append((d, open("%s/blob%d.digest" % (tmp, k)).read().strip()))

def state(k, name):
    m, data = layers[k][0][name]
    link = m.linkname if (m.issym() or m.islnk()) else None
    if m.islnk():  # a hard link: its target's attributes, this layer or below
        for j in range(k, -1, -1):
            if norm(m.linkname) in layers[j][0]:
                m, data = layers[j][0][norm(m.linkname)]
                break
    typ = "dir" if m.isdir() else "symlink" if m.issym() else "file" if m.isreg() \
        else "char" if m.ischr() else "block" if m.isblk() else "fifo"
    x = {k2: v for k2, v in m.pax_headers.items() if k2.startswith("SCHILY.xattr.")}
    return {"type": typ, "mode": "%04o" % (0o777 if m.issym() else m.mode & 0o7777),
            "uid": m.uid, "gid": m.gid, "size": len(data) if data is not None else 0,
            "sha256": hashlib.sha256(data).hexdigest() if data is not None else None,
            "link": link, "_x": x, "_mtime": int(m.mtime),
            "_dev": (m.devmajor, m.devminor) if typ in ("char", "block") else None}

def what(o, s):
    if o["type"] != s["type"]:
        return ["type"]
    w = []
    if (o["size"], o["sha256"]) != (s["size"], s["sha256"]) or \
            (o["type"] == "symlink" and o["link"] != s["link"]) or o["_dev"] != s["_dev"]:
        w.append("content")
    if o["mode"] != s["mode"]:
        w.append("mode")
    if (o["uid"], o["gid"]) != (s["uid"], s["gid"]):
        w.append("owner")
    if o["_x"] != s["_x"]:
        w.append("xattrs")
    if not w and o["_mtime"] != s["_mtime"]:
        w = ["mtime"]
    return w

def hider(d, p):
    parts = p.split("/")
    for k in range(len(parts), 0, -1):
        mk = "/".join(parts[:k - 1] + [".wh." + parts[k - 1]])
        if mk in d:
            return "whiteout", "/" + mk
    for k in range(len(parts) - 1, -1, -1):
        mk = "/".join(parts[:k] + [".wh..wh..opq"])
        if mk in d:
            return "opaque", "/" + mk
    for k in range(len(parts) - 1, 0, -1):
        anc = "/".join(parts[:k])
        if anc in d and not d[anc][0].isdir():
            return "replaced", "/" + anc
    return None

def events(p):
    cur, out = None, []
    for k, (d, dg) in enumerate(layers):
        e = {"layer": k + 1, "digest": "sha256:" + dg, "created_by": created[k]}
        if p in d:
            s = state(k, p)
            if cur is None:
                e.update(event="added", what=[], marker=None)
            else:
                w = what(cur, s)
                e.update(event="modified" if w else "unchanged", what=w, marker=None)
            e.update({k2: v for k2, v in s.items() if not k2.startswith("_")})
            cur = s
        elif cur is not None and hider(d, p):
            ev, mk = hider(d, p)
            e.update(event=ev, what=[], marker=mk)
            cur = None
        else:
            continue
        out.append(e)
    return out

bad = checked = 0
kinds = set()
for line in open(allf):
    r = json.loads(line)
    p = r["path"][1:]
    want = events(p)
    if "rc" in r:
        ok = not want and r["rc"] == 1
        got = "exit %d" % r["rc"]
    else:
        got = r["doc"]["events"]
        inview = os.path.lexists(os.path.join(root, p))
        ok = got == want and r["doc"]["in_view"] == inview and r["doc"]["path"] == "/" + p \
            and r["doc"]["schema"] == "ocifs-history/1"
    checked += 1
    kinds.update(e["event"] for e in want)
    if not ok:
        bad += 1
        if bad <= 5:
            print("MISMATCH /%s\n want %s\n got  %s" % (p, json.dumps(want), json.dumps(got)))
print("%d paths, %d differ; events: %s" % (checked, bad, ",".join(sorted(kinds))))
PY
tail -n 1 "$TMP/res" | grep -q ' 0 differ; events: added,modified,opaque,replaced,unchanged,whiteout$'
ok $? "history of every path equals python tarfile over the layer blobs: $(tail -n 1 "$TMP/res")" ||
	diag "$(head -n 15 "$TMP/res")"

# the text form: a header, one line an event with what the JSON says
"$B" history "$TMP/img" /op/b >"$TMP/txt" 2>"$TMP/err"
ok $? "history (text)" || diag "$(cat "$TMP/err")"
"$B" history "$TMP/img" /op/b --json >"$TMP/h.json"
python3 - "$TMP/txt" "$TMP/h.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ev = json.load(open(sys.argv[2]))["events"]
assert lines[0].split()[:3] == ["LAYER", "DIGEST", "EVENT"], lines[0]
assert len(lines) == len(ev) + 1, (lines, ev)
for l, e in zip(lines[1:], ev):
    f = l.split()
    assert f[0] == str(e["layer"]) and f[1] == e["digest"][7:19], (l, e)
    ev_txt = e["event"] + ("(%s)" % ",".join(e["what"]) if e["what"] else "")
    assert f[2] == ev_txt, (l, e)
    if "size" in e:
        assert f[3] == str(e["size"]) and f[4] == e["mode"] and f[6] == e["sha256"][:12], (l, e)
    assert e["created_by"] in l, (l, e)
    if e["marker"]:
        assert l.endswith("[%s]" % e["marker"]), (l, e)
assert [e["event"] for e in ev] == ["added", "unchanged", "whiteout"], ev
PY
ok $? "text lines match the JSON (layer, digest, event, size, mode, sha256, created_by)"

# --- the real Debian image ---------------------------------------------------
debian() {
	local D R want
	D=$(debian_root) || { skip "no Debian root (needs root and Debian's mirror)"; return; }
	R=$D/rootfs
	"$B" history "$D/oci-zstd" /usr/bin/bash --json >"$TMP/deb.json" 2>"$TMP/err"
	ok $? "history of /usr/bin/bash in the Debian image" || { diag "$(cat "$TMP/err")"; return; }
	want=$(printf '%s %s' "$(stat -c %s "$R/usr/bin/bash")" "$(sha256sum <"$R/usr/bin/bash" | cut -d' ' -f1)")
	[ "$(jq -r '.events | length' "$TMP/deb.json")" = 1 ] &&
		[ "$(jq -r '.events[0] | "\(.event) \(.size) \(.sha256)"' "$TMP/deb.json")" = "added $want" ] &&
		jq -e '.in_view' "$TMP/deb.json" >/dev/null
	ok $? "Debian /usr/bin/bash: one event, added with the root file's size and sha256"
}
debian

# --- errors -------------------------------------------------------------------
expect_fail 1 "/no/such/path: no layer has this path" "a path no layer has: one line, exit 1" \
	-- "$B" history "$TMP/img" /no/such/path
"$B" history "$TMP/img" /no/such/path --json >"$TMP/out" 2>/dev/null
[ $? -eq 1 ] && [ ! -s "$TMP/out" ]
ok $? "a path no layer has prints nothing on stdout (--json too)"
expect_fail 1 "$TMP/nope" "a missing image is named" -- "$B" history "$TMP/nope" /etc/passwd
expect_fail 2 "path leaves the root" "a path above the root is a usage error" \
	-- "$B" history "$TMP/img" ../../etc
expect_fail 2 "missing PATH" "PATH is required" -- "$B" history "$TMP/img"

done_testing
