#!/bin/bash
# ocifs efficiency against oracles nobody here wrote:
#  - dive's own tests on its test-docker-image.tar (image_archive_analysis_
#    test.go, the export snapshot, the CI evaluator test's thresholds):
#    every number exact, every layer's size, command, diff id and tree;
#  - dive's CI run (Taskfile ci-test-linux-run): the kaniko and OCI test
#    images pass `dive --ci` with its .dive-ci rules;
#  - a python transcription of dive's algorithm (its tree, Stack,
#    StackTreeRange, Efficiency, Analyze) run over the layer tars of the
#    corpus images and of an image built here (overwritten, deleted, whited-
#    out directory with files below, opaque dir, implicit parents, a
#    whiteout of nothing, plain + gzip + zstd layers); the per-layer bytes
#    later replaced or deleted against a plain overlay replay of the tars;
#  - dive's CI rule semantics: defaults, every rule passing and failing,
#    thresholds at the boundary, go-humanize byte units, bad values.
. "$(dirname "$0")/../lib.sh"

need python3 jq zstd gzip || { done_testing; exit; }
B=$OCIFS_BIN

# ---- the oracle: dive's algorithm, transcribed straight (quadratic) ----
cat >"$TMP/dive.py" <<'PY'
import gzip, io, json, posixpath, subprocess, sys, tarfile

WH, WHWH = ".wh.", ".wh..wh.."

class Node:
    def __init__(self, name, parent, info):
        self.name, self.parent, self.children, self.info = name, parent, {}, info

EMPTY = (0, False)  # dive's FileInfo{}: size 0, not a dir

class Tree:
    def __init__(self):
        self.root = Node("", None, EMPTY)
    def add_path(self, path, info):               # FileTree.AddPath
        path = posixpath.normpath(path)
        names = path.strip("/").split("/")
        node = self.root
        for i, name in enumerate(names):
            if name == "":
                continue
            if name in node.children:
                node = node.children[name]
            else:
                if name.startswith(WHWH):
                    return
                c = Node(name, node, EMPTY)
                node.children[name] = c
                node = c
            if i == len(names) - 1:
                node.info = info
    def get(self, path):                          # FileTree.GetNode
        node = self.root
        for name in path.strip("/").split("/"):
            if name == "":
                continue
            if name not in node.children:
                return None
            node = node.children[name]
        return node
    def copy(self):
        t = Tree()
        def cp(src, dst):
            for n, c in src.children.items():
                d = Node(n, dst, c.info)
                dst.children[n] = d
                cp(c, d)
        cp(self.root, t.root)
        return t

def is_wh(n):
    return n.name.startswith(WH)

def path_of(n):                                   # FileNode.Path
    parts, cur = [], n
    while cur.parent is not None:
        name = cur.name
        if cur is n and name.startswith(WH):
            name = name[len(WH):]
        parts.insert(0, name)
        cur = cur.parent
    return ("/" + "/".join(parts)).replace("//", "/")

def visit(node, fn, want=None):                   # VisitDepthChildFirst
    for k in sorted(node.children, key=lambda s: s.encode("utf-8", "surrogateescape")):
        visit(node.children[k], fn, want)
    if node.parent is None:
        return
    if want is None or want(node):
        fn(node)

def stack(lower, upper):                          # FileTree.Stack
    def graft(n):
        if is_wh(n):
            t = lower.get(path_of(n))
            if t is not None and t is not lower.root:
                del t.parent.children[t.name]
        else:
            lower.add_path(path_of(n), n.info)
    visit(upper.root, graft)

def stack_range(trees, stop):                     # StackTreeRange(trees, 0, stop)
    t = trees[0].copy()
    for i in range(0, stop + 1):
        stack(t, trees[i])
    return t

class Stop(Exception):
    pass

def efficiency(trees):                            # filetree.Efficiency
    m, ineff, stopped = {}, [], []
    for idx, tree in enumerate(trees):
        def v(n):
            p = path_of(n)
            d = m.setdefault(p, {"path": p, "nodes": [], "cum": 0, "min": -1})
            if is_wh(n):
                prev = stack_range(trees, idx - 1).get(p)
                if prev is None:
                    raise Stop()
                size = 0
                if prev.info[1]:
                    acc = [0]
                    def s(x):
                        acc[0] += x.info[0]
                    visit(prev, s)  # the node itself and all below it
                    size = acc[0]
            else:
                size = n.info[0]
            d["cum"] += size
            if d["min"] < 0 or size < d["min"]:
                d["min"] = size
            d["nodes"].append((idx, is_wh(n), size))
            if len(d["nodes"]) == 2:
                ineff.append(d)
        try:
            visit(tree.root, v, lambda n: not n.children)
            stopped.append(False)
        except Stop:
            stopped.append(True)
    mins = sum(d["min"] for d in m.values())
    cums = sum(d["cum"] for d in m.values())
    score = 1.0 if cums == 0 else mins / cums
    ineff.sort(key=lambda d: d["cum"])            # stable: dive's insertion sort
    return score, ineff[::-1], stopped

def overlay_waste(layers):
    """Plain overlay replay: bytes each layer wrote that a later one replaced
    or deleted (opaque dirs and whiteouts hide lower layers)."""
    view, waste = {}, [0] * len(layers)
    def drop(p, k):
        for q in [q for q in view if q == p or q.startswith(p + "/")]:
            o, s = view.pop(q)
            if o != k:
                waste[o] += s
    for k, ents in enumerate(layers):
        for p, size, isdir in ents:
            if posixpath.basename(p) == WHWH + "opq":
                d = posixpath.dirname(p)
                for q in [q for q in view if q.startswith(d + "/") and view[q][0] < k]:
                    o, s = view.pop(q)
                    waste[o] += s
        for p, size, isdir in ents:
            b = posixpath.basename(p)
            if b.startswith(WHWH):
                continue
            if b.startswith(WH):
                drop(posixpath.join(posixpath.dirname(p), b[len(WH):]), k)
                continue
            if p in view and view[p][0] != k:
                waste[view[p][0]] += view[p][1]
            view[p] = (k, size)
    return waste

def layer_of(data):
    """(dive's tree, its size, [(path, size, isdir)]) of one layer tar."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        data = subprocess.run(["zstd", "-qdc"], input=data, stdout=subprocess.PIPE, check=True).stdout
    t, size, ents = Tree(), 0, []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        for mem in tf.getmembers():
            name = posixpath.normpath(mem.name)
            if name == ".":
                continue
            info = (mem.size, mem.isdir())
            size += mem.size
            t.add_path(name, info)
            ents.append((name.lstrip("/"), mem.size, mem.isdir()))
    return t, size, ents

def count_nodes(t):
    acc = [0]
    def c(n):
        acc[0] += 1
    visit(t.root, c)
    return acc[0]

def image_layers(path):
    """Layer blobs of a docker-archive tar, an OCI layout dir or tar."""
    import os
    if os.path.isdir(path):
        rd = lambda n: open(os.path.join(path, n), "rb").read()
    else:
        tf = tarfile.open(path)
        rd = lambda n: tf.extractfile(posixpath.normpath(n)).read()
    try:
        man = json.loads(rd("manifest.json"))
        return [rd(l) for l in man[0]["Layers"]]
    except (KeyError, OSError):
        idx = json.loads(rd("index.json"))
        blob = lambda d: rd("blobs/" + d.replace(":", "/"))
        m = json.loads(blob(idx["manifests"][0]["digest"]))
        return [blob(l["digest"]) for l in m["layers"]]

trees, sizes, ents = [], [], []
for blob in image_layers(sys.argv[1]):
    t, s, e = layer_of(blob)
    trees.append(t); sizes.append(s); ents.append(e)
score, ineff, stopped = efficiency(trees)
wasted = sum(d["cum"] for d in ineff)
user = sum(sizes[1:])
print(json.dumps({
    "efficiencyScore": score, "sizeBytes": sum(sizes), "userSizeBytes": user,
    "inefficientBytes": wasted,
    "userWastedPercent": wasted / user if user else None,
    "files": [{"count": len(d["nodes"]), "sizeBytes": d["cum"], "file": d["path"],
               "layers": [{"layer": i + 1, "whiteout": w, "sizeBytes": s} for i, w, s in d["nodes"]]}
              for d in ineff],
    "layers": [{"sizeBytes": s, "treeNodes": count_nodes(t), "walkStopped": st, "wastedBytes": w}
               for s, t, st, w in zip(sizes, trees, stopped, overlay_waste(ents))],
}))
PY

# compare IMAGE NAME: ocifs efficiency --json against the oracle, field by
# field; prints "ok - ..." / "not ok - ..." lines for relay.
compare() {
	if ! "$B" efficiency --json "$1" >"$TMP/ours.json" 2>"$TMP/err"; then
		echo "not ok - $2: ocifs efficiency --json: $(head -1 "$TMP/err")"
		return
	fi
	if ! python3 "$TMP/dive.py" "$1" >"$TMP/want.json" 2>"$TMP/err"; then
		echo "not ok - $2: the python transcription of dive: $(tail -1 "$TMP/err")"
		return
	fi
python3 - "$TMP/ours.json" "$TMP/want.json" "$2" <<'PY'
import json, sys
o, w, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
im, n, bad = o["image"], 0, 0
def check(cond, what):
    global n, bad
    n += 1
    print(("ok" if cond else "not ok") + " - " + name + ": " + what)
    bad += not cond
for k in ("efficiencyScore", "sizeBytes", "userSizeBytes", "inefficientBytes", "userWastedPercent"):
    check(im[k] == w[k], "%s %r (oracle %r)" % (k, im[k], w[k]))
ours = [(f["count"], f["sizeBytes"], f["file"], f["layers"]) for f in im["fileReference"]]
theirs = [(f["count"], f["sizeBytes"], f["file"], f["layers"]) for f in w["files"]]
check(ours == theirs, "inefficient files, their order and the layers holding each (%d)" % len(theirs))
if ours != theirs:
    print("# ours  %s\n# want  %s" % (ours, theirs))
for key in ("sizeBytes", "treeNodes", "walkStopped", "wastedBytes"):
    a = [l[key] for l in o["layer"]]
    b = [l[key] for l in w["layers"]]
    check(a == b, "per-layer %s %s" % (key, a))
    if a != b:
        print("# want %s" % b)
print("# %d checks, %d failed" % (n, bad))
PY
}

# Relay "ok - "/"not ok - " lines as TAP lines of this script (run it in
# this shell, reading a file: a pipe would count in a subshell).
relay() {
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		"#"*) diag "${line#\# }" ;;
		esac
	done
}

# ---- an image built here: every case dive's rules single out ----
L=$TMP/layers
mkdir -p "$L"
python3 - "$L" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def mk(name, entries):
    with tarfile.open(d + "/" + name, "w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            kind, path = e[0], e[1]
            ti = tarfile.TarInfo(path)
            ti.mtime = 1700000000
            if kind == "d":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            elif kind == "f":
                ti.size = e[2]
                t.addfile(ti, io.BytesIO(bytes([65 + len(path) % 26]) * e[2]))
            elif kind == "h":
                ti.type, ti.linkname = tarfile.LNKTYPE, e[2]
                t.addfile(ti)
            elif kind == "l":
                ti.type, ti.linkname = tarfile.SYMTYPE, e[2]
                t.addfile(ti)
mk("l1.tar", [("d", "etc"), ("f", "etc/a.txt", 1000), ("f", "etc/keep", 50),
              ("h", "etc/a-hard", "etc/a.txt"), ("l", "etc/link", "a.txt"),
              ("f", "etc/dup", 10), ("f", "etc/dup", 20),
              ("d", "usr"), ("d", "usr/share"), ("d", "usr/share/doc"),
              ("f", "usr/share/doc/x", 300), ("f", "usr/share/doc/y", 400),
              ("d", "usr/share/doc/sub"), ("f", "usr/share/doc/sub/z", 500),
              ("d", "opt"), ("d", "opt/old"), ("f", "opt/old/big", 2000),
              ("d", "var"), ("d", "var/empty"), ("f", "base-only", 7),
              ("d", "var/lib"), ("f", "var/lib/cache", 150)])
mk("l2.tar", [("d", "etc"), ("f", "etc/a.txt", 1200), ("f", "etc/.wh.keep", 0),
              ("d", "usr"), ("d", "usr/share"), ("f", "usr/share/.wh.doc", 0),
              ("d", "opt"), ("d", "opt/old"), ("f", "opt/old/.wh..wh..opq", 0),
              ("f", "opt/old/new", 100),
              ("d", "var"), ("d", "var/empty"),
              ("d", "var/lib"), ("f", "var/lib/.wh..wh..opq", 0), ("f", "var/lib/fresh", 5),
              ("f", "srv/deep/f", 60)])  # srv, srv/deep: implicit parents
mk("l3.tar", [("d", "etc"), ("f", "etc/a.txt", 800), ("d", "m"), ("f", "m/.wh.ghost", 0), ("f", "m-x", 11),
              ("f", "n-after-ghost", 90), ("d", "var"), ("d", "var/empty")])
mk("l4.tar", [("f", ".wh.etc", 0), ("d", "opt"), ("f", "opt/.wh.old", 0),
              ("f", ".wh.srv", 0), ("f", "new.txt", 33)])
PY
gzip -n -k "$L/l2.tar" && zstd -q -k "$L/l3.tar" && gzip -n -c "$L/l4.tar" >"$L/l4.tgz"
ok $? "layers built (plain, gzip, zstd, gzip)"
mkoci "$TMP/own" "$L/l1.tar" "$L/l2.tar.gz" "$L/l3.tar.zst" "$L/l4.tgz"
compare "$TMP/own" own >"$TMP/rel"
relay <"$TMP/rel"

# The built image's numbers worked by hand from dive's rules, so the
# oracle itself is checked. Leaves per layer; L2 whites out /etc/keep (a
# file: 0) and /usr/share/doc (a dir: 300+400+500); L3 stops at
# m/.wh.ghost (never added: /m/ghost keeps a least size of -1, and
# m-x, n-after-ghost, var/empty go uncounted: dive visits "m" before "m-x"); L4 whites out /etc (a.txt 800 +
# dup 20), /srv (an implicit parent, so not a dir: 0) and /opt/old (dive's
# stack ignores L2's opaque marker: big 2000 + new 100).
# least sizes: 800+20+2000+500+300+400+7+150+100+5+60+1200-1+820+33+2100 = 8494
# cumulative:  3000+20+50+2000+500+300+400+7+150+100+5+60+1200+820+33+2100 = 10745
jq -e '.image.efficiencyScore == 8494 / 10745 and .image.inefficientBytes == 3050 and
	.image.sizeBytes == 6736 and .image.userSizeBytes == 2299 and
	.image.userWastedPercent == 3050 / 2299' "$TMP/ours.json" >/dev/null
ok $? "own image: score 8494/10745, wasted 3050, sizes 6736/2299 (by hand)"
jq -e '.image.fileReference | map([.count, .sizeBytes, .file]) ==
	[[3,3000,"/etc/a.txt"], [2,50,"/etc/keep"], [2,0,"/var/empty"]]' "$TMP/ours.json" >/dev/null
ok $? "own image: inefficient files by hand (a leaf dir counts, 0 bytes)" ||
	diag "$(jq -c '.image.fileReference | map([.count, .sizeBytes, .file])' "$TMP/ours.json")"
jq -e '.image.fileReference[1].layers == [{"layer":1,"whiteout":false,"sizeBytes":50},
	{"layer":2,"whiteout":true,"sizeBytes":0}]' "$TMP/ours.json" >/dev/null
ok $? "own image: /etc/keep held by layer 1, whited out (0 bytes) by layer 2"
jq -e '[.layer[].walkStopped] == [false,false,true,false]' "$TMP/ours.json" >/dev/null
ok $? "own image: dive's walk of layer 3 stops at the whiteout of a path never added"
# L1 loses a.txt 1000, keep 50, doc/* 1200, opt/old/big 2000 (opaque, then
# whited out), dup 20, var/lib/cache 150 (opaque only);
# L2 loses a.txt 1200, opt/old/new 100, srv/deep/f 60; L3 loses a.txt 800.
jq -e '[.layer[].wastedBytes] == [4420, 1360, 800, 0]' "$TMP/ours.json" >/dev/null
ok $? "own image: per-layer bytes later replaced or deleted, by hand"
jq -e '[.layer[].command] == [null, null, null, null] and .schema == "ocifs-efficiency/1"' \
	"$TMP/ours.json" >/dev/null
ok $? "own image: no config history, so no command (null)"
"$B" efficiency "$TMP/own" | grep -q '^  3      901 B       800 B       (missing)$'
ok $? "own image: text layer row, dive's \"(missing)\" command"

# From the indexes alone: once indexed, no layer blob is read at all.
if need strace; then
	# LeakSanitizer stops the world with ptrace, which a traced process
	# cannot: under strace an ASan build runs without the leak check.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=read,pread64,readv,preadv,mmap -y -o "$TMP/strace" \
		"$B" efficiency "$TMP/own" >/dev/null 2>&1
	ok $? "own image under strace"
	m=$(jq -r '.manifests[0].digest' "$TMP/own/index.json" | sed 's/:/\//')
	n=0
	for l in $(jq -r '.layers[].digest' "$TMP/own/blobs/$m" | sed 's/sha256://'); do
		grep -q "$l>" "$TMP/strace" && n=$((n + 1))
	done
	[ "$n" -eq 0 ] && [ "$(jq '.layers | length' "$TMP/own/blobs/$m")" -eq 4 ]
	ok $? "no read of any of the 4 layer blobs once indexed ($n read)"
fi

# ---- dive's own test image ----
DIVE=$OCIFS_CORPUS/images/dive
if [ ! -f "$DIVE/test-docker-image.tar" ]; then
	skip "dive's test images not found under $OCIFS_CORPUS/images/dive"
	done_testing
	exit
fi
D=$DIVE/test-docker-image.tar
"$B" efficiency --json "$D" >"$TMP/d.json" 2>"$TMP/err"
ok $? "efficiency --json of dive's test-docker-image.tar" || diag "$(cat "$TMP/err")"
# image_archive_analysis_test.go and the export snapshot (exact floats)
python3 - "$TMP/d.json" >"$TMP/rel" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
im = o["image"]
want = {"efficiencyScore": 0.9844212134184309, "sizeBytes": 1220598, "userSizeBytes": 66237,
        "inefficientBytes": 32025, "userWastedPercent": 0.4834911001404049}
for k, v in want.items():
    print(("ok" if im[k] == v and type(im[k]) == type(v) else "not ok") +
          " - dive's test image: %s == %r (got %r)" % (k, v, im[k]))
files = [(f["count"], f["sizeBytes"], f["file"]) for f in im["fileReference"]]
exp = [(2, 12810, "/root/saved.txt"), (2, 12810, "/root/example/somefile1.txt"),
       (2, 6405, "/root/example/somefile3.txt")]
print(("ok" if files == exp else "not ok") + " - dive's test image: fileReference in the snapshot's order %s" % files)
# export snapshot, per layer: sizeBytes, digestId, command, len(fileList)
snap = [(1154361, "23bc2b70b2014dec0ac22f27bb93e9babd08cdd6f1115d0c955b9ff22b382f5a", "#(nop) ADD file:ce026b62356eec3ad1214f92be2c9dc063fe205bd5e600be3492c4dfb17148bd in / ", 415),
        (6405, "a65b7d7ac139a0e4337bc3c73ce511f937d6140ef61a0108f7d4b8aab8d67274", "#(nop) ADD file:139c3708fb6261126453e34483abd8bf7b26ed16d952fd976994d68e72d93be2 in /somefile.txt ", 1),
        (0, "93e208d471756ffbac88cf9c25feb442007f221d3bd73231e27b747a0a68927c", "mkdir -p /root/example/really/nested", 4),
        (6405, "4abad3abe3cb99ad7a492a9d9f6b3d66287c1646843c74128bbbec4f7be5aa9e", "cp /somefile.txt /root/example/somefile1.txt", 3),
        (6405, "14c9a6ffcb6a0f32d1035f97373b19608e2d307961d8be156321c3f1c1504cbf", "chmod 444 /root/example/somefile1.txt", 3),
        (6405, "778fb5770ef466f314e79cc9dc418eba76bfc0a64491ce7b167b76aa52c736c4", "cp /somefile.txt /root/example/somefile2.txt", 3),
        (6405, "f275b8a31a71deb521cc048e6021e2ff6fa52bedb25c9b7bbe129a0195ddca5f", "cp /somefile.txt /root/example/somefile3.txt", 3),
        (6405, "dd1effc5eb19894c3e9b57411c98dd1cf30fa1de4253c7fae53c9cea67267d83", "mv /root/example/somefile3.txt /root/saved.txt", 4),
        (6405, "8d1869a0a066cdd12e48d648222866e77b5e2814f773bb3bd8774ab4052f0f1d", "cp /root/saved.txt /root/.saved.txt", 2),
        (0, "bc2e36423fa31a97223fd421f22c35466220fa160769abf697b8eb58c896b468", "rm -rf /root/example/", 2),
        (2187, "7f648d45ee7b6de2292162fba498b66cbaaf181da9004fcceef824c72dbae445", "#(nop) ADD dir:7ec14b81316baa1a31c38c97686a8f030c98cba2035c968412749e33e0c4427e in /root/.data/ ", 4),
        (6405, "a4b8f95f266d5c063c9a9473c45f2f85ddc183e37941b5e6b6b9d3c00e8e0457", "cp /root/saved.txt /tmp/saved.again1.txt", 2),
        (6405, "22a44d45780a541e593a8862d80f3e14cb80b6bf76aa42ce68dc207a35bf3a4a", "cp /root/saved.txt /root/.data/saved.again2.txt", 3),
        (6405, "ba689cac6a98c92d121fa5c9716a1bab526b8bb1fd6d43625c575b79e97300c5", "chmod +x /root/saved.txt", 2)]
got = [(l["sizeBytes"], l["digestId"][7:], l["command"], l["treeNodes"]) for l in o["layer"]]
for i, (g, s) in enumerate(zip(got, snap)):
    print(("ok" if g == s else "not ok") + " - dive's export snapshot, layer index %d: size %d, digestId, command, %d tree nodes" % (i, s[0], s[3]))
print(("ok" if len(got) == len(snap) and [l["index"] for l in o["layer"]] == list(range(14)) else "not ok") + " - 14 layers, dive's 0-based index")
PY
relay <"$TMP/rel"
# The transcription agrees with dive's published numbers on dive's image,
# so it is an oracle for the images dive published none for.
compare "$D" dive-docker >"$TMP/rel"
relay <"$TMP/rel"
for img in test-kaniko-image.tar test-oci-gzip-image.tar test-oci-zstd-image.tar; do
	[ -f "$DIVE/$img" ] || continue
	compare "$DIVE/$img" "${img%.tar}" >"$TMP/rel"
	relay <"$TMP/rel"
done

# dive's report layout (evaluator.go), its numbers rendered by go-humanize
"$B" efficiency "$D" >"$TMP/d.txt"
ok $? "text output, no --ci: exit 0"
cat >"$TMP/want.txt" <<'W'
Analysis:
  efficiency:        98.44 %
  wastedBytes:       32025 bytes (32 kB)
  userWastedPercent: 48.35 %
W
head -4 "$TMP/d.txt" | diff - "$TMP/want.txt" >/dev/null
ok $? "text: dive's Analysis section"
cat >"$TMP/want.txt" <<'W'
Inefficient Files:
  Count  Wasted Space  File Path
  2      13 kB         /root/saved.txt
  2      13 kB         /root/example/somefile1.txt
  2      6.4 kB        /root/example/somefile3.txt
W
sed -n '/^Inefficient Files:/,/^$/p' "$TMP/d.txt" | sed '/^$/d' | diff - "$TMP/want.txt" >"$TMP/diff"
ok $? "text: dive's Inefficient Files table" || diag "$(cat "$TMP/diff")"
grep -q '^  8      6.4 kB      6.4 kB      mv /root/example/somefile3.txt /root/saved.txt$' "$TMP/d.txt"
ok $? "text: a layer row with its wasted bytes and Dockerfile line"
! grep -q Evaluation "$TMP/d.txt"
ok $? "text: no Evaluation section without --ci"

# ---- CI rules: dive's defaults and its evaluator test's cases ----
ci() { # ci WANT-EXIT DESC ARGS... : exit status and the three rule lines
	local want=$1 desc=$2
	shift 2
	"$B" efficiency "$D" --ci "$@" >"$TMP/ci.txt" 2>"$TMP/err"
	local rc=$?
	[ "$rc" -eq "$want" ]
	ok $? "--ci $*: exit $want ($desc)" || diag "exit $rc: $(head -2 "$TMP/err")"
}
rules() { sed -n '/^Evaluation:/,$p' "$TMP/ci.txt" | awk '/^  [A-Z]+  /{print $1, $2}' | tr '\n' ' '; }
ci 1 "default rules: 0.48 user wasted > 0.1"
[ "$(rules)" = "FAIL highestUserWastedPercent SKIP highestWastedBytes PASS lowestEfficiency " ]
ok $? "default rules: FAIL/SKIP/PASS as dive's (lowest 0.9, bytes disabled, user 0.1)"
grep -q '^  FAIL  highestUserWastedPercent (too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=0.48 > threshold=0.1))$' "$TMP/ci.txt"
ok $? "default rules: dive's failure message"
grep -q '^FAIL \[pass:1 fail:1 skip:1\]$' "$TMP/ci.txt"
ok $? "default rules: dive's status summary"
ci 1 "allFail" --lowest-efficiency 0.99 --highest-wasted-bytes 1B --highest-user-wasted-percent 0.01
[ "$(rules)" = "FAIL highestUserWastedPercent FAIL highestWastedBytes FAIL lowestEfficiency " ]
ok $? "allFail: every rule fails"
ci 0 "allPass" --lowest-efficiency 0.9 --highest-wasted-bytes 50kB --highest-user-wasted-percent 0.5
[ "$(rules)" = "PASS highestUserWastedPercent PASS highestWastedBytes PASS lowestEfficiency " ]
ok $? "allPass: every rule passes"
grep -q '^PASS \[pass:3\]$' "$TMP/ci.txt"
ok $? "allPass: status summary"
ci 0 "allDisabled" --lowest-efficiency disabled --highest-wasted-bytes off --highest-user-wasted-percent FALSE
[ "$(rules)" = "SKIP highestUserWastedPercent SKIP highestWastedBytes SKIP lowestEfficiency " ]
ok $? "allDisabled: every rule skipped"
ci 1 "mixedResults" --lowest-efficiency 0.9 --highest-wasted-bytes 1B --highest-user-wasted-percent 0.5
[ "$(rules)" = "PASS highestUserWastedPercent FAIL highestWastedBytes PASS lowestEfficiency " ]
ok $? "mixedResults: only highestWastedBytes fails"
# boundaries and go-humanize units: 32025 wasted, 0.98442 efficiency, 0.48349 user
U="--highest-user-wasted-percent 0.5"
ci 0 "wasted == threshold passes" --highest-wasted-bytes 32025 $U
ci 1 "wasted one byte over" --highest-wasted-bytes 32024 $U
ci 1 "32kB is 32000" --highest-wasted-bytes 32kB $U
ci 0 "32KiB is 32768" --highest-wasted-bytes 32KiB $U
ci 0 "32.1 k is 32100" --highest-wasted-bytes "32.1 k" $U
ci 1 "1,000 is 1000" --highest-wasted-bytes "1,000" $U
ci 0 "efficiency 0.9844 >= 0.98" --lowest-efficiency 0.98 --highest-user-wasted-percent 0.49
ci 1 "efficiency 0.9844 < 0.985" --lowest-efficiency 0.985 --highest-user-wasted-percent 0.49
ci 1 "user wasted 0.4835 > 0.48" --highest-user-wasted-percent 0.48
"$B" efficiency "$D" --highest-user-wasted-percent 0.4 >"$TMP/ci.txt"
[ $? -eq 1 ] && grep -q '^Evaluation:' "$TMP/ci.txt"
ok $? "a threshold alone implies --ci"
"$B" efficiency --json --ci "$D" >"$TMP/ci.json"
rc=$?
[ $rc -eq 1 ] && jq -e '.ci.pass == false and ([.ci.rules[] | .status] == ["PASS","SKIP","FAIL"]) and
	.image.inefficientBytes == 32025' "$TMP/ci.json" >/dev/null
ok $? "--json --ci: rules in the JSON, exit 1"
# dive's Taskfile: these images pass `dive --ci --ci-config .data/.dive-ci`
for img in test-kaniko-image.tar test-oci-uncompressed-image.tar test-oci-gzip-image.tar \
	test-oci-estargz-image.tar test-oci-zstd-image.tar; do
	[ -f "$DIVE/$img" ] || continue
	"$B" efficiency "$DIVE/$img" --ci --lowest-efficiency 0.95 --highest-wasted-bytes 20Mb \
		--highest-user-wasted-percent 0.5 >/dev/null 2>"$TMP/err"
	ok $? "$img passes dive's .dive-ci rules (dive's CI run)" || diag "$(head -2 "$TMP/err")"
done

# ---- bad input: one line, documented exit ----
for v in 1.1 -0.1 not_a_number nan; do
	expect_fail 2 'lowest-efficiency' "--lowest-efficiency $v refused" -- \
		"$B" efficiency "$D" --lowest-efficiency "$v"
	expect_fail 2 'highest-user-wasted-percent' "--highest-user-wasted-percent $v refused" -- \
		"$B" efficiency "$D" --highest-user-wasted-percent "$v"
done
for v in not_a_size 12XB -5 ""; do
	[ -z "$v" ] && continue
	expect_fail 2 'highest-wasted-bytes' "--highest-wasted-bytes '$v' refused" -- \
		"$B" efficiency "$D" --highest-wasted-bytes "$v"
done
expect_fail 1 'no-such' "a missing image: one line" -- "$B" efficiency "$TMP/no-such.tar"
expect_fail 2 'missing IMAGE' "no image: usage" -- "$B" efficiency
expect_fail 2 'does not apply' "--ci on another command" -- "$B" ls "$D" --ci
printf 'not a tar at all' >"$TMP/bad.tar"
expect_fail 1 'bad.tar' "a corrupt image: one line naming it" -- "$B" efficiency "$TMP/bad.tar"

done_testing
