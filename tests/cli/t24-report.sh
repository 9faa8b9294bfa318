#!/bin/bash
# `ocifs report`, opened in headless Chromium (a private profile, deleted
# afterwards; every run bounded by `timeout`), against oracles nobody
# here wrote:
#  - a 3-layer image written with python's tarfile (tests/gen/
#    report_image.py: whiteouts, an opaque directory, overwritten files,
#    a C binary needing a missing library, a Go binary, hostile names):
#    one row per layer whose added/modified/removed counts and wasted
#    bytes equal what the layer tars say (the oracle applies them) and
#    `ocifs diff --layer N --json`; the config's history lines; every
#    entry of the merged tree with its layer and earlier layers; the
#    /.deps groups against readelf and `go version`; the SBOM's
#    components per layer against the CycloneDX document;
#  - the Debian image (`debian_root`): the tree equals the layer tar's
#    listing, the row its history line, the ELF count a walk of the
#    root;
#  - the page loads with no console error and no error caught by its
#    own hook (both detectors shown to work on an injected error), the
#    screenshot is not blank (PNG decoded with zlib: distinct colours),
#    no http(s) URL, no element that loads anything, hostile names
#    escaped (valid UTF-8, no injected element);
#  - deterministic bytes; a tree over the cap is cut and says so; bad
#    input gives one line and the documented exit.
. "$(dirname "$0")/../lib.sh"
B=$OCIFS_BIN

need python3 gcc readelf go timeout chromium || { done_testing; exit; }

# chrome LOG ARGS...: headless Chromium with its own profile dir (removed
# afterwards), its log (console messages included) in LOG; at most 120 s.
chrome() {
	local log=$1 prof rc
	shift
	prof=$(mktemp -d "$TMP/chrome-profile.XXXXXX")
	timeout -k 10 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-extensions --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$prof" --enable-logging=stderr --v=0 \
		--virtual-time-budget=3000 "$@" 2>"$log"
	rc=$?
	rm -rf "$prof"
	return $rc
}
# console LOG: the console messages a page logged (one per line)
console() { grep -a ':CONSOLE' "$1"; }
# dom HTML OUT: the DOM after the page's scripts ran
dom() { chrome "$2.log" --dump-dom "file://$1" >"$2"; }

# check.py: the DOM against the oracle, as a list of failures (none: ok)
cat >"$TMP/check.py" <<'PY'
import html.parser, json, sys

class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root, self.rows, self.tree, self.groups, self.comps = {}, [], {}, {}, {}
        self.tags, self.stack, self.text = {}, [], None
        self.table = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.stack.append((tag, a))
        if tag == "html":
            self.root = a
        if tag == "tr" and a.get("class") == "layer":
            self.rows.append(dict(a, history=""))
        if tag == "div" and a.get("class") == "cb" and self.rows:
            self.text = ["history", ""]
        if tag == "li" and "data-path" in a:
            self.tree[a["data-path"]] = a
        if tag == "table" and a.get("id", "").startswith("deps-"):
            self.table = a["id"]
            self.groups[self.table] = {}
        if tag == "tr" and "data-key" in a and self.table:
            self.groups[self.table][a["data-key"]] = g = {"count": int(a["data-count"]), "files": []}
            self.group = g
        if tag == "div" and a.get("class") == "m" and self.table:
            self.text = ["file", ""]
        if tag == "details" and a.get("class") == "comps":
            self.comps[int(a["data-layer"])] = self.cur = {"count": int(a["data-count"]), "names": []}
            self.cell = -1
        if tag == "tr" and getattr(self, "cur", None) is not None:
            self.cell = -1
        if tag == "td" and getattr(self, "cur", None) is not None:
            self.cell += 1
            if self.cell == 0:
                self.text = ["comp", ""]
    def handle_endtag(self, tag):
        if self.text and tag in ("div", "td"):
            k, v = self.text
            if k == "history":
                self.rows[-1]["history"] = v
            elif k == "file":
                self.group["files"].append(v)
            elif k == "comp":
                self.cur["names"].append(v)
            self.text = None
        if tag == "table":
            self.table = None
        if tag == "details" and getattr(self, "cur", None) is not None and self.stack and \
                self.stack[-1][0] == "details" and self.stack[-1][1].get("class") == "comps":
            self.cur = None
        while self.stack and self.stack.pop()[0] != tag:
            pass
    def handle_data(self, d):
        if self.text:
            self.text[1] += d

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())  # strict: valid UTF-8
want = json.load(open(sys.argv[2]))
bad = []
def check(cond, what):
    if not cond:
        bad.append(what)
r = p.root
check(r.get("data-ready") == "1", "the page's script ran (data-ready=%r)" % r.get("data-ready"))
check(r.get("data-errors") == "0", "no error caught by the page: %r %r" % (r.get("data-errors"), r.get("data-error-last")))
check(p.tags.get("script", 0) == 2, "two scripts, the page's own: %d" % p.tags.get("script", 0))
for t in ("img", "iframe", "object", "embed", "link", "base", "form", "b"):
    check(t not in p.tags, "no <%s> element" % t)
L = want["layers"]
check(len(p.rows) == len(L), "one row per layer: %d rows, %d layers" % (len(p.rows), len(L)))
for i, (row, w) in enumerate(zip(p.rows, L), 1):
    for k in ("added", "modified", "removed", "wasted", "usize", "csize", "entries"):
        if k in w:
            check(row.get("data-" + k) == str(w[k]), "layer %d %s: report %r, oracle %r" % (i, k, row.get("data-" + k), w[k]))
    if "history" in w:
        check(row["history"] == w["history"], "layer %d history line: %r, config %r" % (i, row["history"], w["history"]))
if "tree" in want:
    got = set(p.tree)
    exp = set(want["tree"])
    check(got == exp, "tree paths: %d in the report, %d in the oracle; missing %s; extra %s" % (
        len(got), len(exp), sorted(exp - got)[:5], sorted(got - exp)[:5]))
    for path, w in want["tree"].items():
        a = p.tree.get(path)
        if not a:
            continue
        if "layer" in w:
            check(a["data-layer"] == str(w["layer"]), "%s: layer %s, oracle %s" % (path, a["data-layer"], w["layer"]))
        if "earlier" in w:
            e = [int(x) for x in a["data-earlier"].split()]
            check(e == w["earlier"], "%s: earlier %s, oracle %s" % (path, e, w["earlier"]))
for tid, groups in want.get("groups", {}).items():
    got = p.groups.get(tid, {})
    for key, files in groups.items():
        g = got.get(key)
        check(g is not None and g["count"] == len(files) and sorted(g["files"]) == sorted(files),
              "%s %s: report %r, oracle %r" % (tid, key, g, files))
    if want.get("groups_exact"):
        check(set(got) == set(groups), "%s keys: %s vs %s" % (tid, sorted(got), sorted(groups)))
if "comps" in want:
    got = {k: v for k, v in p.comps.items()}
    exp = {int(k): v for k, v in want["comps"].items()}
    check(sorted(got) == sorted(exp), "component layers: %s vs %s" % (sorted(got), sorted(exp)))
    for k, names in exp.items():
        g = got.get(k, {"count": -1, "names": []})
        check(g["count"] == len(names) and g["names"] == names, "layer %d components: %d %s vs %s" % (
            k, g["count"], g["names"][:5], names[:5]))
for e in bad[:15]:
    print(e)
PY

# selfcontained HTML: no http(s) URL anywhere; no element attribute that
# loads anything; no url() or @import in a style
selfcontained() {
	! grep -Eiq 'https?://' "$1" && python3 - "$1" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    bad, style = [], False
    def handle_starttag(self, tag, a):
        for k, v in a:
            if k in ("src", "href", "srcset", "action", "formaction", "data", "poster", "background", "xlink:href") \
                    or (k == "style" and "url(" in (v or "")):
                self.bad.append((tag, k, v))
        if tag in ("link", "iframe", "object", "embed", "img", "base", "frame", "audio", "video", "source"):
            self.bad.append((tag,))
        self.style = tag == "style"
    def handle_data(self, d):
        if self.style and ("url(" in d or "@import" in d):
            self.bad.append(("style", d[:60]))
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert not p.bad, p.bad[:3]
PY
}

# png_colours PNG: "distinct-colours non-background-fraction", zlib only
cat >"$TMP/png.py" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(b):
    n, t = struct.unpack(">I4s", b[pos:pos + 8])
    c = b[pos + 8:pos + 8 + n]
    if t == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", c[:10])
    elif t == b"IDAT":
        idat += c
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, counts = set(), {}
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        u = prev[x]
        cc = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + u) & 255
        elif f == 3: line[x] = (line[x] + (a + u) // 2) & 255
        elif f == 4:
            pp = a + u - cc; pa, pb, pc = abs(pp - a), abs(pp - u), abs(pp - cc)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else u if pb <= pc else cc)) & 255
    prev = line
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        counts[px] = counts.get(px, 0) + 1
bg = max(counts.values())
print(len(counts), "%.4f" % (1 - bg / (w * h)))
PY

# --- the 3-layer image ----------------------------------------------------
build_image() {
	local G=${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/gobins
	mkdir -p "$G" "$TMP/img-src"
	(
		flock 9
		[ -f "$G/.stamp" ] || { sh "$OCIFS_SRCDIR/tests/gen/mkgo.sh" "$G" >"$G.log" 2>&1 && touch "$G/.stamp"; }
	) 9>"$G.lock" || { fail "mkgo.sh built Go binaries"; return 1; }
	printf 'int gone(void){return 1;}\n' >"$TMP/gone.c"
	printf 'int gone(void);\nint main(void){return gone();}\n' >"$TMP/hello.c"
	gcc -shared -fPIC -Wl,-soname,libgone.so -o "$TMP/libgone.so" "$TMP/gone.c" &&
		gcc -o "$TMP/hello" "$TMP/hello.c" -L"$TMP" -lgone || { fail "gcc"; return 1; }
	python3 "$OCIFS_SRCDIR/tests/gen/report_image.py" "$TMP/img-src" "$TMP/hello" "$G/default" ||
		{ fail "report_image.py"; return 1; }
	gzip -9n -c "$TMP/img-src/l1.tar" >"$TMP/img-src/l1.tar.gz"
	mkoci "$TMP/img" "$TMP/img-src/l1.tar.gz" "$TMP/img-src/l2.tar" "$TMP/img-src/l3.tar"
	# the config: history (an empty layer between, one after), entrypoint, cmd
	cat >"$TMP/cfg.json" <<'EOF'
{"created": "2023-11-14T22:13:20Z",
 "config": {"Entrypoint": ["/usr/bin/hello"], "Cmd": ["--greet", "<world> & \"all\""]},
 "history": [{"created_by": "COPY rootfs / # base"},
             {"created_by": "ENV X=1", "empty_layer": true},
             {"created_by": "RUN echo '<b>bold</b> & <script>alert(2)</script>' > /data/big.bin"},
             {"created_by": "RUN rm -rf /data/dir/* && touch /evil/\"q\""},
             {"created_by": "CMD [\"--greet\"]", "empty_layer": true}]}
EOF
	python3 "$OCIFS_SRCDIR/tests/gen/setconfig.py" "$TMP/img" "@$TMP/cfg.json"
}

# the oracle for the 3-layer image: the tars' oracle, the blob sizes,
# history lines, readelf / go version groups, the SBOM by layer
image_oracle() {
	"$B" sbom "$TMP/img" -o "$TMP/img.cdx.json" || return 1
	readelf -d "$TMP/hello" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$TMP/needed"
	go version "${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/gobins/default" |
		awk '{print $2}' >"$TMP/gover"
	# hello's interpreter is not in the image (nor its libc): unresolved too
	readelf -lh "$TMP/hello" | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p' >"$TMP/interp"
	[ -s "$TMP/interp" ] || return 1
	python3 - "$TMP" <<'PY'
import json, os, sys
t = sys.argv[1]
o = json.load(open(t + "/img-src/oracle.json"))
blobs = [t + "/img-src/l1.tar.gz", t + "/img-src/l2.tar", t + "/img-src/l3.tar"]
hist = ["COPY rootfs / # base", "RUN echo '<b>bold</b> & <script>alert(2)</script>' > /data/big.bin",
        "RUN rm -rf /data/dir/* && touch /evil/\"q\""]
for i, l in enumerate(o["layers"]):
    l["csize"] = os.path.getsize(blobs[i])
    l["history"] = hist[i]
needed = open(t + "/needed").read().split() + [open(t + "/interp").read().strip()]
o["groups"] = {"deps-unresolved": {n: ["/usr/bin/hello"] for n in needed},
               "deps-go": {open(t + "/gover").read().strip(): ["/usr/local/bin/gohello"]},
               "deps-link": {"dynamic": ["/usr/bin/hello"], "static": ["/usr/local/bin/gohello"],
                             "script": ["/usr/bin/run.sh"]}}
o["groups_exact"] = True
cdx = json.load(open(t + "/img.cdx.json"))
comps = {}
for c in cdx["components"]:
    ly = [p["value"] for p in c.get("properties", []) if p["name"] == "ocifs:layer"]
    comps.setdefault(int(ly[0]) if ly else 0, []).append(c["name"])
o["comps"] = comps
assert any("hello" == n for n in comps.get(1, [])), comps
json.dump(o, open(t + "/want.json", "w"))
PY
}

three_layers() {
	local n bad
	build_image || return
	"$B" report "$TMP/img" -o "$TMP/r.html" 2>"$TMP/err"
	ok $? "ocifs report of a 3-layer image" || { diag "$(cat "$TMP/err")"; return; }
	image_oracle
	ok $? "the oracle: layer tars, readelf, go version, the SBOM" || return
	# ocifs diff --layer N --json agrees with the tars' oracle (and so with the report)
	bad=0
	for n in 1 2 3; do
		"$B" diff "$TMP/img" --layer "$n" --json >"$TMP/diff$n.json" || bad=1
	done
	python3 - "$TMP" <<'PY' >"$TMP/res"
import json, sys
t = sys.argv[1]
o = json.load(open(t + "/want.json"))
for n in (1, 2, 3):
    d = json.load(open("%s/diff%d.json" % (t, n)))
    s = d.get("summary", d.get("stats", {}))
    w = o["layers"][n - 1]
    for k in ("added", "modified", "removed"):
        if s.get(k) != w[k]:
            print("layer %d %s: diff %r, tars %r" % (n, k, s.get(k), w[k]))
PY
	[ "$bad" -eq 0 ] && [ ! -s "$TMP/res" ]
	ok $? "ocifs diff --layer N --json agrees with the layer tars" || diag "$(head -5 "$TMP/res")"
	dom "$TMP/r.html" "$TMP/r.dom"
	ok $? "chromium loads the report and dumps its DOM" || { diag "$(tail -3 "$TMP/r.dom.log")"; return; }
	! console "$TMP/r.dom.log" >"$TMP/console"
	ok $? "no console message while loading" || diag "$(head -3 "$TMP/console")"
	python3 "$TMP/check.py" "$TMP/r.dom" "$TMP/want.json" >"$TMP/res" 2>&1 && [ ! -s "$TMP/res" ]
	ok $? "the DOM: one row per layer with the tars' counts, wasted bytes, sizes and history lines; every tree entry with its layer and earlier layers; /.deps groups as readelf and go version say; SBOM components by layer" ||
		diag "$(head -n 12 "$TMP/res")"
	# the hostile names are text, the page stays valid UTF-8
	python3 - "$TMP/r.html" "$TMP/r.dom" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")  # strict
dom = open(sys.argv[2], encoding="utf-8").read()
assert "<script>alert" not in raw.decode() and "<img " not in raw.decode()
assert 'data-path="/evil/bad\\377name"' in dom, "invalid UTF-8 escaped as ocifs does"
assert 'data-path="/evil/&lt;script&gt;/alert(1)"' in dom
assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(2)&lt;/script&gt;" in dom
assert '<code class="arg">&lt;world&gt; &amp; "all"</code>' in dom, "each Cmd argument in its own box"
PY
	ok $? "hostile names and history lines are escaped text (no element injected), invalid UTF-8 shown as \\377"
	selfcontained "$TMP/r.html"
	ok $? "self-contained: no http(s) URL, no src/href/url()"
	chrome "$TMP/shot.log" --screenshot="$TMP/shot.png" --window-size=1200,1400 "file://$TMP/r.html" >/dev/null &&
		python3 "$TMP/png.py" "$TMP/shot.png" >"$TMP/colours" &&
		awk '{exit !($1 >= 16 && $2 >= 0.02)}' "$TMP/colours"
	ok $? "the screenshot is not blank ($(cat "$TMP/colours" 2>/dev/null): distinct colours, non-background fraction)"
	! console "$TMP/shot.log" >/dev/null
	ok $? "no console message while rendering the screenshot"
	"$B" report "$TMP/img" -o "$TMP/r2.html" && rm -rf "$XDG_CACHE_HOME/ocifs" &&
		"$B" report "$TMP/img" >"$TMP/r3.html" && cmp -s "$TMP/r.html" "$TMP/r2.html" &&
		cmp -s "$TMP/r.html" "$TMP/r3.html"
	ok $? "deterministic: the same bytes again, from an empty cache, and on stdout"
}

# The two error detectors the checks above rely on do catch errors: an
# injected script error (console line and the page's hook), and an
# injected script the page's policy blocks.
detectors() {
	[ -f "$TMP/r.html" ] || { fail "no report to inject into"; return; }
	python3 - "$TMP/r.html" "$TMP" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
t = sys.argv[2]
nocsp = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", s, count=1)
open(t + "/inj1.html", "w").write(nocsp.replace("</body>", "<script>throw new Error('injected')</script></body>"))
open(t + "/inj2.html", "w").write(s.replace("</body>", "<script>document.title='x'</script></body>"))
PY
	dom "$TMP/inj1.html" "$TMP/inj1.dom"
	console "$TMP/inj1.dom.log" | grep -q "injected" &&
		grep -q 'data-errors="1" data-error-last="[^"]*injected' "$TMP/inj1.dom"
	ok $? "an injected script error shows as a console line and in the page's data-errors"
	dom "$TMP/inj2.html" "$TMP/inj2.dom"
	console "$TMP/inj2.dom.log" | grep -q "Content Security Policy" &&
		grep -q 'data-errors="1"' "$TMP/inj2.dom" && ! grep -q '<title>x</title>' "$TMP/inj2.dom"
	ok $? "a script injected into the page is blocked by its policy, and both detectors see it"
}

debian() {
	local D
	D=$(debian_root) || { skip "no Debian root (needs root and Debian's mirror)"; return; }
	"$B" report "$D/docker.tar" -o "$TMP/deb.html" 2>"$TMP/err"
	ok $? "ocifs report of the Debian image" || { diag "$(cat "$TMP/err")"; return; }
	python3 - "$D/docker.tar" "$D/rootfs" "$TMP/deb.want.json" <<'PY'
import json, os, sys, tarfile
sys.path.insert(0, os.environ["OCIFS_SRCDIR"] + "/tests/gen")
outer = tarfile.open(sys.argv[1])
man = json.load(outer.extractfile("manifest.json"))[0]
cfg = json.load(outer.extractfile(man["Config"]))
hist = [h.get("created_by", "") for h in cfg.get("history", []) if not h.get("empty_layer")]
layers, tree = [], {}
for i, lp in enumerate(man["Layers"]):
    inner = tarfile.open(fileobj=outer.extractfile(lp))
    names = set()
    for m in inner:
        p = os.path.normpath(m.name.lstrip("/")).lstrip("./") if m.name not in (".", "./") else ""
        if not p or p == ".":
            continue
        names.add(p)
    ent = {"usize": outer.getmember(lp).size, "added": len(names), "removed": 0, "modified": 0}
    if i < len(hist):
        ent["history"] = hist[i]
    layers.append(ent)
    for p in names:
        tree["/" + p] = {"layer": i + 1, "earlier": []}
# the ELF files of the root (regular, first four bytes), for the deps summary
elf = 0
root = sys.argv[2]
for dp, dn, fn in os.walk(root):
    for f in fn:
        q = os.path.join(dp, f)
        if os.path.islink(q) or not os.path.isfile(q):
            continue
        with open(q, "rb") as fh:
            if fh.read(4) == b"\x7fELF":
                elf += 1
json.dump({"layers": layers, "tree": tree, "elf": elf}, open(sys.argv[3], "w"))
PY
	ok $? "the Debian oracle: the layer tar's listing, the config's history, ELF files of the root" || return
	dom "$TMP/deb.html" "$TMP/deb.dom"
	ok $? "chromium loads the Debian report" || { diag "$(tail -3 "$TMP/deb.dom.log")"; return; }
	! console "$TMP/deb.dom.log" >"$TMP/console"
	ok $? "no console message while loading the Debian report" || diag "$(head -3 "$TMP/console")"
	python3 "$TMP/check.py" "$TMP/deb.dom" "$TMP/deb.want.json" >"$TMP/res" 2>&1 && [ ! -s "$TMP/res" ]
	ok $? "the Debian DOM: its layer row (history line, size, every entry added) and a tree equal to the layer tar's listing" ||
		diag "$(head -n 8 "$TMP/res")"
	python3 -c '
import json, re, sys
want = json.load(open(sys.argv[1]))["elf"]
m = re.search(r"data-elf=\"(\d+)\"", open(sys.argv[2], encoding="utf-8").read())
assert m and int(m.group(1)) == want, (m and m.group(1), want)' "$TMP/deb.want.json" "$TMP/deb.dom"
	ok $? "the Debian /.deps summary counts the ELF files a walk of the root finds"
	selfcontained "$TMP/deb.html"
	ok $? "the Debian report is self-contained"
}

# A tree over the cap (50000 entries) is cut there, and the page says so.
cap() {
	python3 - "$TMP/big.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    for d in range(51):
        ti = tarfile.TarInfo("d%02d" % d); ti.type = tarfile.DIRTYPE; ti.mtime = 1; t.addfile(ti)
        for f in range(1000):
            ti = tarfile.TarInfo("d%02d/f%04d" % (d, f)); ti.mtime = 1; t.addfile(ti, io.BytesIO(b""))
PY
	gzip -1 "$TMP/big.tar" && mkoci "$TMP/bigimg" "$TMP/big.tar.gz" &&
		"$B" report "$TMP/bigimg" -o "$TMP/big.html" &&
		grep -q '<section id="tree" data-entries="50000" data-total="51051">' "$TMP/big.html" &&
		grep -q 'id="tree-cut">The tree is cut after 50000 of its 51051 entries' "$TMP/big.html" &&
		[ "$(grep -o '<li class=' "$TMP/big.html" | wc -l)" -eq 50000 ] &&
		grep -q 'data-path="/d49/f0949"' "$TMP/big.html" && ! grep -q 'data-path="/d49/f0950"' "$TMP/big.html" && ! grep -q 'data-path="/d50' "$TMP/big.html"
	ok $? "a tree of 51051 entries is cut after the first 50000 (depth first) and the page says so"
	rm -f "$TMP/big.tar.gz"
	# 8000 nested directories: their paths alone would be 64 MB
	python3 - "$TMP/deep.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    p = ""
    for i in range(8000):
        p = (p + "/" if p else "") + "dd"
        ti = tarfile.TarInfo(p); ti.type = tarfile.DIRTYPE; ti.mtime = 1; t.addfile(ti)
PY
	mkoci "$TMP/deepimg" "$TMP/deep.tar" && "$B" report "$TMP/deepimg" -o "$TMP/deep.html" 2>/dev/null &&
		python3 - "$TMP/deep.html" <<'PY'
import html.parser, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<section id="tree" data-entries="(\d+)" data-total="8000">', s)
n = int(m.group(1))
paths = re.findall(r'data-path="([^"]*)"', s)
assert len(paths) == n and 0 < n < 8000 and sum(len(p) - 1 for p in paths) <= 16 << 20, (n, len(paths))
assert "cut after %d of its 8000 entries" % n in s and "16 MiB of paths" in s
# the cut tree is still well nested: every directory closed
class P(html.parser.HTMLParser):
    depth = 0
    def handle_starttag(self, t, a):
        if t == "details": self.depth += 1
    def handle_endtag(self, t):
        if t == "details": self.depth -= 1
p = P(); p.feed(s)
assert p.depth == 0, p.depth
PY
	ok $? "8000 nested directories: the tree stops at 16 MiB of paths, well nested, and says so"
	rm -f "$TMP/deep.html" "$TMP/deep.tar"
}

bad_input() {
	expect_fail 1 'nothere' "a missing image: one line, exit 1" -- "$B" report "$TMP/nothere" -o "$TMP/x.html"
	[ ! -e "$TMP/x.html" ]
	ok $? "no page is left for a missing image"
	if [ -d "$TMP/img" ]; then
		expect_fail 1 'nodir/r\.html' "an unwritable output: one line naming it, exit 1" -- \
			"$B" report "$TMP/img" -o "$TMP/nodir/r.html"
		expect_fail 1 'write error' "a full device: exit 1" -- "$B" report "$TMP/img" -o /dev/full
		[ -z "$(find "$TMP" -maxdepth 1 -name '*.tmp*')" ]
		ok $? "no temp file left behind"
	fi
	expect_fail 2 'does not apply' "--format does not apply to report: exit 2" -- \
		"$B" report "$TMP/img" --format table
}

three_layers
detectors
debian
cap
bad_input
done_testing
