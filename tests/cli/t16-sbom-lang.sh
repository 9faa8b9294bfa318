#!/bin/sh
# SPDX-License-Identifier: MIT
# The apk, Python, Ruby gem, PHP Composer and .NET catalogers through
# `ocifs sbom IMAGE --format cyclonedx`, each against an oracle nobody
# here wrote:
#  - apk: the Alpine images of the corpus; their /lib/apk/db/installed
#    read independently (python, by the format of
#    https://wiki.alpinelinux.org/wiki/Apk_spec) gives every package's
#    name, version, arch, origin and files; a second layer that upgrades
#    one package and adds another attributes exactly those two to it;
#  - Python: a copy of this host's Debian python3 dist-packages;
#    importlib.metadata over the same directory gives every
#    distribution's name, version and files;
#  - gem: gemspecs as RubyGems' Gem::Specification#to_ruby writes them
#    (the runtime dependency branch, development dependencies in the
#    fallback branch), cross-checked with Ruby itself where installed;
#  - Composer 1 and 2 installed.json, .NET deps.json: python's json
#    reading of the same files;
#  - and Trivy's own analyzers, where Trivy is installed: each package
#    it reports for those images is reported;
#  - bad input: truncated and garbage databases, a 1 GB METADATA,
#    names that are not UTF-8 -> valid JSON, the components that can be
#    reported with an ocifs:error reason, bounded memory, no crash.
. "${OCIFS_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

CORPUS_APK="$OCIFS_CORPUS/images/trivy"

# cmp.py MODE ARGS...: compare a CycloneDX document with an oracle; prints
# the differences (nothing when equal) and exits 1 on a difference.
cat >"$TMP/cmp.py" <<'EOF'
import json, os, sys, urllib.parse

def load(p):
    with open(p, "rb") as f:
        return json.loads(f.read().decode("utf-8"))  # strict: valid UTF-8 JSON

def purl_parts(p):
    # pkg:type/ns/name@version?quals
    rest = p[4:]
    q = {}
    if "?" in rest:
        rest, qs = rest.split("?", 1)
        q = dict(urllib.parse.parse_qsl(qs))
    ver = None
    if "@" in rest:
        rest, ver = rest.rsplit("@", 1)
        ver = urllib.parse.unquote(ver)
    parts = [urllib.parse.unquote(x) for x in rest.split("/")]
    return parts[0], parts[1:-1], parts[-1], ver, q

def comps(doc, typ):
    out = []
    for c in doc.get("components", []):
        if not c.get("purl", "").startswith("pkg:%s/" % typ):
            continue
        t, ns, name, ver, q = purl_parts(c["purl"])
        props = {}
        for p in c.get("properties", []):
            props.setdefault(p["name"], p["value"])
        files = sorted({o["location"] for o in c.get("evidence", {}).get("occurrences", [])})
        out.append(dict(c=c, ns=ns, name=name, version=ver, q=q, props=props, files=files))
    return out

def report(want, got, what):
    w, g = set(want), set(got)
    for x in sorted(w - g, key=repr)[:20]:
        print("missing %s: %r" % (what, x))
    for x in sorted(g - w, key=repr)[:20]:
        print("extra %s: %r" % (what, x))
    return w == g

def apk_db(path):
    # the installed database, block by block (Apk_spec "Installed Database")
    pkgs, cur, d = [], None, ""
    for raw in open(path, "rb").read().split(b"\n"):
        line = raw.decode("utf-8", "surrogateescape")
        if not line:
            if cur is not None and "P" in cur:
                pkgs.append(cur)
            cur, d = None, ""
            continue
        if len(line) < 2 or line[1] != ":":
            continue
        cur = cur if cur is not None else {"files": []}
        k, v = line[0], line[2:]
        if k == "F":
            d = v
        elif k == "R":
            cur["files"].append("/" + (d + "/" if d else "") + v)
        elif k not in cur:
            cur[k] = v
    if cur is not None and "P" in cur:
        pkgs.append(cur)
    return pkgs

def isdir_in(root, f, hops=0):
    # is f a directory inside root, symlinks followed chroot-style?
    p = root + f
    if os.path.islink(p) and hops < 16:
        t = os.readlink(p)
        t = t if t.startswith("/") else os.path.normpath(os.path.join(os.path.dirname(f), t))
        return isdir_in(root, t, hops + 1)
    return os.path.isdir(p)

mode = sys.argv[1]
ok = True
if mode == "apk":
    # apk DB CDX [ROOT]: name, version, arch, upstream; files (those in ROOT when given)
    db, doc = apk_db(sys.argv[2]), load(sys.argv[3])
    root = sys.argv[4] if len(sys.argv) > 4 else None
    want = set()
    wfiles = {}
    for p in db:
        up = p.get("o") if p.get("o") and p.get("o") != p["P"] else None
        want.add((p["P"], p.get("V"), p.get("A"), up))
        fs = p["files"]
        if root:
            # in the view, not a directory (sbom.c lists no symlink to one)
            fs = [f for f in fs if os.path.lexists(root + f) and not isdir_in(root, f)]
        wfiles[p["P"]] = tuple(sorted(set(fs)))
    got, gfiles = set(), {}
    for c in comps(doc, "apk"):
        got.add((c["name"], c["version"], c["q"].get("arch"), c["q"].get("upstream")))
        gfiles[c["name"]] = tuple(c["files"])
    ok = report(want, got, "package")
    if len(sys.argv) > 4:
        ok = report(wfiles.items(), gfiles.items(), "file list") and ok
    print("# %d packages, %d files" % (len(want), sum(len(v) for v in wfiles.values())))
elif mode == "apk-layers":
    # apk-layers CDX NAME=LAYER...: the ocifs:layer of each named package
    doc = load(sys.argv[2])
    layer = {c["name"]: c["props"].get("ocifs:layer") for c in comps(doc, "apk")}
    for a in sys.argv[3:]:
        n, l = a.split("=")
        if layer.get(n) != l:
            print("%s: layer %s, want %s" % (n, layer.get(n), l))
            ok = False
elif mode == "py":
    # py SITE PREFIX CDX: importlib.metadata over SITE (the image's PREFIX)
    import importlib.metadata as md
    site, prefix, doc = sys.argv[2], sys.argv[3], load(sys.argv[4])
    root = site[: len(site) - len(prefix)]
    want, wfiles = set(), set()
    for d in md.distributions(path=[site]):
        n = d.metadata["Name"].lower().replace("_", "-")
        want.add((n, d.version))
        for f in d.files or []:
            p = os.path.normpath(str(f.locate()))
            if os.path.lexists(p):
                wfiles.add((n, d.version, p[len(root):]))
    got, gfiles = set(), set()
    for c in comps(doc, "pypi"):
        if not c["props"].get("ocifs:source", "").startswith(prefix + "/"):
            continue
        got.add((c["name"], c["version"]))
        for f in c["files"]:
            gfiles.add((c["name"], c["version"], f))
    ok = report(want, got, "distribution") and report(wfiles, gfiles, "file")
    # edges: each requirement importlib lists (Requires-Dist, or an egg's
    # requires.txt before its first [extra] section) without an "extra"
    # marker, to an installed distribution of that name
    import re
    norm = lambda n: n.lower().replace("_", "-")
    inst = {norm(d.metadata["Name"]) for d in md.distributions(path=[site])}
    wedge = set()
    for d in md.distributions(path=[site]):
        for r in d.requires or []:
            m = re.match(r"\s*([A-Za-z0-9._-]+)", r)
            if m and not re.search(r"\bextra\s*==", r.split(";", 1)[1] if ";" in r else "") \
                    and norm(m.group(1)) in inst:
                wedge.add((norm(d.metadata["Name"]), norm(m.group(1))))
    cs = [c for c in comps(doc, "pypi") if c["props"].get("ocifs:source", "").startswith(prefix + "/")]
    byref = {c["c"]["bom-ref"]: c["name"] for c in cs}
    gedge = {(byref[x["ref"]], byref[t]) for x in doc["dependencies"] if x["ref"] in byref
             for t in x.get("dependsOn", []) if t in byref}
    ok = report(wedge, gedge, "requirement edge") and ok
    print("# %d distributions, %d files, %d edges" % (len(want), len(wfiles), len(wedge)))
elif mode == "composer":
    # composer INSTALLED_JSON SOURCE CDX: every package found in SOURCE (the
    # file's path in the image), its require edges to installed ones
    doc = load(sys.argv[4])
    data = json.load(open(sys.argv[2]))
    pk = data["packages"] if isinstance(data, dict) else data
    names = {p["name"]: "pkg:composer/%s@%s" % (p["name"], p["version"]) for p in pk}
    want = set(names.values())
    wedge = {(names[p["name"]], names[r]) for p in pk for r in p.get("require", {}) if r in names}
    cs = [c for c in comps(doc, "composer") if c["props"].get("ocifs:source") == sys.argv[3]]
    got = {c["c"]["purl"] for c in cs}
    refs = {c["c"]["bom-ref"]: c["c"]["purl"] for c in cs}
    gedge = {(refs[d["ref"]], refs[t]) for d in doc["dependencies"] if d["ref"] in refs
             for t in d.get("dependsOn", []) if t in refs}
    ok = report(want, got, "package") and report(wedge, gedge, "edge")
    wl = {names[p["name"]]: tuple(p.get("license", [])) for p in pk}
    gl = {c["c"]["purl"]: tuple(l["license"].get("id", l["license"].get("name"))
                                for l in c["c"].get("licenses", []) if "license" in l)
          for c in cs}
    ok = report(wl.items(), gl.items(), "license") and ok
elif mode == "dotnet":
    # dotnet DEPS_JSON CDX: libraries of type package, dependencies from targets
    doc = load(sys.argv[3])
    data = json.load(open(sys.argv[2]))
    libs = {k: "pkg:nuget/%s" % k.replace("/", "@") for k, v in data["libraries"].items()
            if v.get("type") == "package"}
    byname = {k.split("/")[0]: p for k, p in libs.items()}
    wedge = set()
    for fw in data.get("targets", {}).values():
        for k, v in fw.items():
            for dn in v.get("dependencies", {}):
                if k in libs and dn in byname:
                    wedge.add((libs[k], byname[dn]))
    cs = comps(doc, "nuget")
    refs = {c["c"]["bom-ref"]: c["c"]["purl"] for c in cs}
    gedge = {(refs[d["ref"]], refs[t]) for d in doc["dependencies"] if d["ref"] in refs
             for t in d.get("dependsOn", []) if t in refs}
    ok = report(set(libs.values()), {c["c"]["purl"] for c in cs}, "package") and \
        report(wedge, gedge, "edge")
elif mode == "expect":
    # expect CDX TYPE SOURCE_PREFIX 'PURL|LICENSES|DEPENDS|ERRORSUBSTR' ...: exactly
    # these components among those found in files under SOURCE_PREFIX
    doc = load(sys.argv[2])
    cs = [c for c in comps(doc, sys.argv[3])
          if c["props"].get("ocifs:source", "").startswith(sys.argv[4])]
    refs = {c["c"]["bom-ref"]: c["c"]["purl"] for c in cs}
    deps = {refs[d["ref"]]: sorted(refs[t] for t in d.get("dependsOn", []) if t in refs)
            for d in doc["dependencies"] if d["ref"] in refs}
    got = {}
    for c in cs:
        lic = ",".join(sorted(l["license"].get("id", l["license"].get("name"))
                              if "license" in l else l.get("expression", "")
                              for l in c["c"].get("licenses", [])))
        u = urllib.parse.unquote
        got[u(c["c"]["purl"])] = (lic, ",".join(u(x) for x in deps.get(c["c"]["purl"], [])),
                                  c["props"].get("ocifs:error", ""))
    want = {}
    for a in sys.argv[5:]:
        p, lic, dep, err = a.split("|")
        want[p] = (lic, dep, err)
    for p in sorted(set(want) | set(got)):
        w, g = want.get(p), got.get(p)
        if w is None or g is None or w[:2] != g[:2] or (w[2] and w[2] not in g[2]) or \
                (not w[2] and g[2]):
            print("%s: got %r, want %r" % (p, g, w))
            ok = False
elif mode == "errors":
    # errors CDX TYPE NAME SUBSTR: component NAME exists and its ocifs:error has SUBSTR
    doc = load(sys.argv[2])
    m = [c for c in comps(doc, sys.argv[3]) if c["name"] == sys.argv[4]]
    if not m or sys.argv[5] not in m[0]["props"].get("ocifs:error", ""):
        print("%s: %r" % (sys.argv[4], m[0]["props"] if m else None))
        ok = False
elif mode == "trivy":
    # trivy TRIVY_CDX OURS_CDX: every package Trivy reports (purl without
    # qualifiers) is ours too
    base = lambda p: urllib.parse.unquote(p.split("?")[0])
    t = {base(c["purl"]) for c in load(sys.argv[2]).get("components", []) if c.get("purl")}
    o = {base(c["purl"]) for c in load(sys.argv[3]).get("components", []) if c.get("purl")}
    for x in sorted(t - o):
        print("trivy reports, ocifs does not: %s" % x)
    ok = t <= o
    print("# trivy: %d packages" % len(t))
sys.exit(0 if ok else 1)
EOF

# check DESC MODE ARGS...: one TAP line from cmp.py
check() {
	_d=$1
	shift
	python3 "$TMP/cmp.py" "$@" >"$TMP/cmp.out" 2>&1
	ok $? "$_d"
	sed 's/^/# /' "$TMP/cmp.out" | head -n 40
}

# trivy_agrees DESC IMAGE OURS: Trivy's packages of IMAGE (its own
# analyzers, no vulnerability database) are all in our document OURS
TRIVY=$(trivy_bin) || TRIVY=""
trivy_agrees() {
	if [ -z "$TRIVY" ]; then
		skip "trivy not installed (lib.sh trivy_bin): $1 not cross-checked"
		return
	fi
	TRIVY_CACHE_DIR="$TMP/trivy" nice "$TRIVY" image --input "$2" --format cyclonedx \
		--scanners license -q >"$TMP/trivy.json" 2>"$TMP/trivy.err"
	ok $? "trivy reads $(basename "$2")"
	check "$1" trivy "$TMP/trivy.json" "$3"
}

# sbom IMAGE OUT: the CycloneDX document, and one TAP line for its exit status
sbom() {
	"$OCIFS_BIN" sbom "$1" --format cyclonedx >"$2" 2>"$TMP/sbom.err"
	ok $? "ocifs sbom $(basename "$1") exits 0"
	sed 's/^/# /' "$TMP/sbom.err" | head -n 5
}

# layer_of DOCKER_ARCHIVE OUT: its (single) layer tar
layer_of() {
	tar -xOf "$1" --wildcards '*/layer.tar' >"$2"
}

apk_tests() {
	for v in 310 311; do
		img="$CORPUS_APK/docker-archive_alpine-$v.tar"
		[ -f "$img" ] || { skip "corpus image $img missing"; continue; }
		mkdir -p "$TMP/a$v/root"
		layer_of "$img" "$TMP/a$v/layer.tar"
		tar -xf "$TMP/a$v/layer.tar" -C "$TMP/a$v/root" 2>/dev/null
		sbom "$img" "$TMP/a$v.json"
		check "alpine $v: every package of lib/apk/db/installed (name, version, arch, upstream) and its files" \
			apk "$TMP/a$v/root/lib/apk/db/installed" "$TMP/a$v.json" "$TMP/a$v/root"
	done
	[ -f "$TMP/a310.json" ] &&
		trivy_agrees "alpine 310: every package Trivy reports is reported" \
			"$CORPUS_APK/docker-archive_alpine-310.tar" "$TMP/a310.json"
	[ -d "$TMP/a310/root" ] || return

	# layer 2 upgrades zlib and adds a package: those two report layer 2
	mkdir -p "$TMP/up/lib/apk/db"
	python3 - "$TMP/a310/root/lib/apk/db/installed" "$TMP/up/lib/apk/db/installed" <<'EOF'
import sys
s = open(sys.argv[1], "rb").read().decode()
s = s.replace("P:zlib\nV:1.2.11-r1\n", "P:zlib\nV:1.2.11-r3\n")
assert "V:1.2.11-r3" in s
s += "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:ocifs-extra\nV:0.1-r0\nA:x86_64\nL:MIT\no:ocifs\nD:so:libc.musl-x86_64.so.1 zlib>=1.2\n\n"
open(sys.argv[2], "w").write(s)
EOF
	tar -C "$TMP/up" -cf "$TMP/up.tar" lib
	mkoci "$TMP/upimg" "$TMP/a310/layer.tar" "$TMP/up.tar"
	sbom "$TMP/upimg" "$TMP/up.json"
	check "an upgraded and an added apk package report layer 2, the others layer 1" \
		apk-layers "$TMP/up.json" zlib=2 ocifs-extra=2 musl=1 busybox=1 apk-tools=1
	check "the two-layer database: its packages" apk "$TMP/up/lib/apk/db/installed" "$TMP/up.json"
	python3 - "$TMP/up.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ref = {c["name"]: c["bom-ref"] for c in d["components"] if c.get("purl", "").startswith("pkg:apk/")}
dep = {x["ref"]: set(x["dependsOn"]) for x in d["dependencies"]}
sys.exit(0 if dep[ref["ocifs-extra"]] == {ref["musl"], ref["zlib"]} else 1)
EOF
	ok $? "apk depends resolve by name and by provides (so:libc... -> musl, zlib>=1.2 -> zlib)"

	# a database cut in the middle of an entry, then garbage: what was readable
	mkdir -p "$TMP/cut/lib/apk/db" "$TMP/junk/lib/apk/db"
	head -c 3000 "$TMP/a310/root/lib/apk/db/installed" >"$TMP/cut/lib/apk/db/installed"
	tar -C "$TMP/cut" -cf "$TMP/cut.tar" lib
	mkoci "$TMP/cutimg" "$TMP/cut.tar"
	sbom "$TMP/cutimg" "$TMP/cut.json"
	check "a truncated database: the packages it still holds" \
		apk "$TMP/cut/lib/apk/db/installed" "$TMP/cut.json"
	head -c 65536 /dev/urandom >"$TMP/junk/lib/apk/db/installed"
	printf '\n\nP:after-junk\nV:1\377\376-r0\nA:x86_64\n' >>"$TMP/junk/lib/apk/db/installed"
	tar -C "$TMP/junk" -cf "$TMP/junk.tar" lib
	mkoci "$TMP/junkimg" "$TMP/junk.tar"
	sbom "$TMP/junkimg" "$TMP/junk.json"
	check "garbage then an entry with a non-UTF-8 version: valid JSON, the entry with a reason" \
		errors "$TMP/junk.json" apk after-junk "not UTF-8"
}

py_tests() {
	site=/usr/lib/python3/dist-packages
	if [ ! -d "$site" ] || [ -z "$(ls -d "$site"/*.dist-info "$site"/*.egg-info 2>/dev/null)" ]; then
		skip "no Debian python3 distributions in $site"
		return
	fi
	mkdir -p "$TMP/py/usr/lib/python3"
	cp -a "$site" "$TMP/py/usr/lib/python3/"
	tar -C "$TMP/py" -cf "$TMP/py.tar" usr
	# layer 2: an egg-info file, a non-UTF-8 name, garbage metadata
	h="$TMP/pyh/opt/hostile"
	mkdir -p "$h/caf-1.0.dist-info" "$h/junk-0.1.dist-info"
	printf 'Metadata-Version: 1.1\nName: Foo_Bar\nVersion: 2.0\nLicense: BSD\n' >"$h/Foo_Bar-2.0.egg-info"
	printf 'Metadata-Version: 2.1\nName: caf\351\nVersion: 1.0\n\nbody\n' >"$h/caf-1.0.dist-info/METADATA"
	head -c 20000 /dev/urandom | tr -d ':' >"$h/junk-0.1.dist-info/METADATA"
	mkdir -p "$h/Egg_Pkg-3.1-py3.11.egg/EGG-INFO" "$h/noname-0.5-py3.11.egg/EGG-INFO"
	printf 'Metadata-Version: 1.2\nName: Egg_Pkg\nVersion: 3.1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: ISC License (ISCL)\n' \
		>"$h/Egg_Pkg-3.1-py3.11.egg/EGG-INFO/PKG-INFO"
	printf 'Metadata-Version: 1.0\nSummary: no name\n' >"$h/noname-0.5-py3.11.egg/EGG-INFO/PKG-INFO"
	tar -C "$TMP/pyh" -cf "$TMP/pyh.tar" opt
	mkoci "$TMP/pyimg" "$TMP/py.tar" "$TMP/pyh.tar"
	sbom "$TMP/pyimg" "$TMP/py.json"
	check "Debian's python3 distributions: importlib.metadata's names, versions, files and requirements" \
		py "$TMP/py$site" "$site" "$TMP/py.json"
	# Trivy spells a name that is not UTF-8 with U+FFFD, ocifs with \ooo
	# (lossless, as ocifs escapes names everywhere): Debian's layer alone
	mkoci "$TMP/pyimg1" "$TMP/py.tar"
	trivy_agrees "python: every distribution Trivy reports is reported" "$TMP/pyimg1" "$TMP/py.json"
	check "an egg-info file is a distribution (named as the purl spells it)" \
		expect "$TMP/py.json" pypi /opt/hostile/Foo 'pkg:pypi/foo-bar@2.0|BSD||'
	check "an unzipped egg's EGG-INFO/PKG-INFO, licensed by its classifier" \
		expect "$TMP/py.json" pypi /opt/hostile/Egg 'pkg:pypi/egg-pkg@3.1|ISC License (ISCL)||'
	check "an egg whose PKG-INFO names nothing: the name and version of its directory, with a reason" \
		expect "$TMP/py.json" pypi /opt/hostile/noname 'pkg:pypi/noname@0.5|||taken from the directory'
	check "a Name that is not UTF-8: escaped, with a reason" \
		errors "$TMP/py.json" pypi 'caf\351' "not UTF-8"
	check "garbage METADATA: the name and version of its directory, with a reason" \
		errors "$TMP/py.json" pypi junk "taken from the directory"

	# a 1 GB METADATA (zeros after the header, a zstd layer streamed by
	# python, never on disk): the header is read, the rest is not
	if need zstd; then
		python3 - <<'PY' | zstd -q -1 -T1 >"$TMP/big.tar.zst"
import io, sys, tarfile
class Zeros(io.RawIOBase):
    def __init__(self, head, n):
        self.head, self.left = head, n
    def readable(self):
        return True
    def readinto(self, b):
        if self.head:
            k = min(len(b), len(self.head))
            b[:k] = self.head[:k]
            self.head = self.head[k:]
            return k
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k
head = b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\nLicense: MIT\n\n"
size = 1 << 30
t = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
ti = tarfile.TarInfo("usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA")
ti.size = size
t.addfile(ti, io.BufferedReader(Zeros(head, size - len(head)), 1 << 20))
t.close()
PY
		mkoci "$TMP/bigimg" "$TMP/big.tar.zst"
		max_rss_kb "$TMP/rss" "$OCIFS_BIN" sbom "$TMP/bigimg" --format cyclonedx >"$TMP/big.json" 2>"$TMP/big.err"
		ok $? "a 1 GB METADATA: ocifs sbom exits 0"
		check "a 1 GB METADATA: the distribution, with the bound as its reason" \
			errors "$TMP/big.json" pypi big "4 MiB bound"
		rss=$(cat "$TMP/rss")
		[ "$rss" -lt 400000 ]
		ok $? "a 1 GB METADATA: peak RSS ${rss} KiB (under 400 MB)"
		rm -f "$TMP/big.tar.zst" "$TMP/bigimg/blobs/sha256/"*
	fi
}

lang_tests() {
	r="$TMP/lang"
	g="$r/usr/local/lib/ruby/gems/3.1.0/specifications"
	mkdir -p "$g"
	# as Gem::Specification#to_ruby writes them: the runtime/development
	# branch, and its fallback naming every dependency add_dependency
	cat >"$g/alpha-1.2.3.gemspec" <<'RB'
# -*- encoding: utf-8 -*-
# stub: alpha 1.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = "alpha".freeze
  s.version = "1.2.3"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["A. Uthor".freeze]
  s.date = "2024-01-02"
  s.licenses = ["MIT".freeze, "Apache-2.0".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "The first letter".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version

  if s.respond_to? :specification_version then
    s.specification_version = 4
  end

  if s.respond_to? :add_runtime_dependency then
    s.add_runtime_dependency(%q<beta>.freeze, ["~> 0.9"])
    s.add_development_dependency(%q<rspec>.freeze, [">= 3".freeze])
  else
    s.add_dependency(%q<beta>.freeze, ["~> 0.9"])
    s.add_dependency(%q<rspec>.freeze, [">= 3".freeze])
  end
end
RB
	cat >"$g/beta-0.9.gemspec" <<'RB'
# -*- encoding: utf-8 -*-
# stub: beta 0.9 ruby lib

Gem::Specification.new do |s|
  s.name = "beta".freeze
  s.version = "0.9".freeze

  s.license = "BSD-2-Clause".freeze
  s.specification_version = 4

  s.add_runtime_dependency(%q<gamma>.freeze, [">= 0".freeze])
  s.add_development_dependency(%q<rspec>.freeze, [">= 0".freeze])
end
RB
	cat >"$g/gamma-2.0.0.gemspec" <<'RB'
Gem::Specification.new do |s|
  s.name = 'gamma'
  s.version = '2.0.0'
  s.licenses = ['Ruby']
  s.add_dependency('alpha', '>= 1')
end
RB
	cat >"$g/rspec-3.12.0.gemspec" <<'RB'
Gem::Specification.new do |s|
  s.name = "rspec".freeze
  s.version = "3.12.0"
  s.licenses = ["MIT".freeze]
end
RB
	printf 'Gem::Specification.new do |s|\n  s.name = "broken".freeze\n' >"$g/broken-1.gemspec"

	# Composer 2 (with install paths and a dev package) and Composer 1
	c="$r/var/www/app/vendor"
	mkdir -p "$c/composer" "$c/psr/log" "$c/monolog/monolog" "$c/phpunit/phpunit" \
		"$r/srv/legacy/vendor/composer"
	cat >"$c/composer/installed.json" <<'JS'
{
    "packages": [
        {
            "name": "monolog/monolog",
            "version": "3.5.0",
            "version_normalized": "3.5.0.0",
            "require": {"php": ">=8.1", "ext-json": "*", "psr/log": "^2.0 || ^3.0"},
            "type": "library",
            "installation-source": "dist",
            "license": ["MIT"],
            "install-path": "../monolog/monolog"
        },
        {
            "name": "psr/log",
            "version": "3.0.0",
            "version_normalized": "3.0.0.0",
            "require": {"php": ">=8.0.0"},
            "type": "library",
            "license": ["MIT"],
            "install-path": "../psr/log"
        },
        {
            "name": "phpunit/phpunit",
            "version": "10.5.1",
            "require": {"php": ">=8.1", "psr/log": "*"},
            "license": ["BSD-3-Clause"],
            "install-path": "../phpunit/phpunit"
        }
    ],
    "dev": true,
    "dev-package-names": ["phpunit/phpunit"]
}
JS
	cat >"$r/srv/legacy/vendor/composer/installed.json" <<'JS'
[
    {
        "name": "altorouter/altorouter",
        "version": "v1.2.0",
        "version_normalized": "1.2.0.0",
        "require": {"php": ">=5.3.0"},
        "type": "library",
        "license": ["MIT"]
    },
    {
        "name": "twig/twig",
        "version": "v1.44.7",
        "require": {"php": ">=7.2.5", "symfony/polyfill-ctype": "^1.8"},
        "license": ["BSD-3-Clause"]
    }
]
JS
	# .NET: packages, a project and a reference assembly (not packages)
	mkdir -p "$r/app"
	cat >"$r/app/Web.deps.json" <<'JS'
{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v8.0": {
      "Web/1.0.0": {
        "dependencies": {"Serilog.Sinks.Console": "5.0.1", "Newtonsoft.Json": "13.0.3", "Lib": "1.0.0"},
        "runtime": {"Web.dll": {}}
      },
      "Newtonsoft.Json/13.0.3": {
        "runtime": {"lib/net6.0/Newtonsoft.Json.dll": {"assemblyVersion": "13.0.0.0", "fileVersion": "13.0.3.27908"}}
      },
      "Serilog/3.1.1": {"runtime": {"lib/net7.0/Serilog.dll": {}}},
      "Serilog.Sinks.Console/5.0.1": {
        "dependencies": {"Serilog": "3.1.1"},
        "runtime": {"lib/net7.0/Serilog.Sinks.Console.dll": {}}
      },
      "Lib/1.0.0": {"runtime": {"Lib.dll": {}}}
    }
  },
  "libraries": {
    "Web/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.3": {"type": "package", "serviceable": true, "sha512": "sha512-HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==", "path": "newtonsoft.json/13.0.3", "hashPath": "newtonsoft.json.13.0.3.nupkg.sha512"},
    "Serilog/3.1.1": {"type": "package", "serviceable": true, "sha512": "sha512-P6G4/4Kt9bT635bhuwdXlJ2SCqqn2nhh4gqFqQueCOr9bK/e7W9ll/IoX1Ter948cV2Z/5+5v8pAfJYUISY03A==", "path": "serilog/3.1.1", "hashPath": "serilog.3.1.1.nupkg.sha512"},
    "Serilog.Sinks.Console/5.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-6Jt8jl9y2ey8VV7nVEUAyjjyxjAQuvd5+qj4XYAT9CwcsvR70HHULGBeD+K2WCALFXf7CFsNQT4lON6qXcu2AA==", "path": "serilog.sinks.console/5.0.1", "hashPath": "serilog.sinks.console.5.0.1.nupkg.sha512"},
    "Lib/1.0.0": {"type": "reference", "serviceable": false, "sha512": ""}
  }
}
JS
	# bad input: truncated JSON, a name that is not UTF-8, garbage
	mkdir -p "$r/bad1/vendor/composer" "$r/bad2/vendor/composer"
	head -c 300 "$c/composer/installed.json" >"$r/bad1/vendor/composer/installed.json"
	printf '[{"name": "od\351/pkg", "version": "1.0", "license": ["MIT"]}]' \
		>"$r/bad2/vendor/composer/installed.json"
	head -c 5000 /dev/urandom >"$r/app/Junk.deps.json"
	tar -C "$r" -cf "$TMP/lang.tar" .
	mkoci "$TMP/langimg" "$TMP/lang.tar"
	sbom "$TMP/langimg" "$TMP/lang.json"

	trivy_agrees "gem, Composer, .NET: every package Trivy reports is reported" \
		"$TMP/langimg" "$TMP/lang.json"
	check "gems: name, version, licenses, runtime dependencies only (a cycle kept), a reason for a spec without version" \
		expect "$TMP/lang.json" gem /usr/local/lib/ruby \
		'pkg:gem/alpha@1.2.3|Apache-2.0,MIT|pkg:gem/beta@0.9|' \
		'pkg:gem/beta@0.9|BSD-2-Clause|pkg:gem/gamma@2.0.0|' \
		'pkg:gem/gamma@2.0.0|Ruby|pkg:gem/alpha@1.2.3|' \
		'pkg:gem/rspec@3.12.0|MIT||' \
		'pkg:gem/broken|||no `version =`'
	if command -v ruby >/dev/null 2>&1; then
		for f in "$g"/alpha-*.gemspec "$g"/beta-*.gemspec "$g"/gamma-*.gemspec; do
			ruby -e 's = Gem::Specification.load(ARGV[0]); puts "pkg:gem/#{s.name}@#{s.version}|#{s.licenses.sort.join(",")}"' "$f"
		done >"$TMP/ruby.out"
		grep -q 'pkg:gem/alpha@1.2.3|Apache-2.0,MIT' "$TMP/ruby.out"
		ok $? "Ruby's own Gem::Specification.load agrees on the gemspecs"
	else
		diag "ruby not installed: the gemspecs are checked against their text only"
	fi
	check "Composer 2 installed.json: every package, licenses, require edges (platform packages left out)" \
		composer "$c/composer/installed.json" /var/www/app/vendor/composer/installed.json "$TMP/lang.json"
	python3 - "$TMP/lang.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = [x for x in d["components"] if x.get("purl", "").startswith("pkg:composer/")]
dev = {x["purl"] for x in c for p in x.get("properties", []) if p["name"] == "ocifs:composer:dev"}
sys.exit(0 if dev == {"pkg:composer/phpunit/phpunit@10.5.1"} else 1)
PY
	ok $? "Composer 2: the dev package, and only it, is flagged ocifs:composer:dev"
	c1="$r/srv/legacy/vendor/composer/installed.json"
	check "Composer 1 installed.json (a list): every package and license" \
		composer "$c1" /srv/legacy/vendor/composer/installed.json "$TMP/lang.json"
	check ".NET deps.json: the libraries of type package, their dependencies from targets" \
		dotnet "$r/app/Web.deps.json" "$TMP/lang.json"
	check "a truncated installed.json: no package, no crash; a non-UTF-8 vendor: escaped, with a reason" \
		expect "$TMP/lang.json" composer /bad 'pkg:composer/od\351/pkg@1.0|MIT||not UTF-8'
}

main() {
	need python3 tar || return
	apk_tests
	py_tests
	lang_tests
}
main
done_testing
