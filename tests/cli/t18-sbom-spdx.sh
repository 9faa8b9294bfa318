#!/bin/bash
# The SBOM's Go modules and Rust crates, and its SPDX document, end to
# end through `ocifs sbom`, against oracles nobody here wrote:
#  - Go: every Go binary's components (its main module, stdlib, each
#    module as Trivy reports a replaced or "(devel)" one) equal
#    `go version -m` of the binary (of the unpacked file for a UPX-packed
#    one): Go binaries built here by tests/gen/mkgo.sh (cgo, static,
#    trimpath, stripped, PIE, 386, arm64, dirty, -X main.version, a
#    hard link) and,
#    when tests/gen/upxbins.sh has them, UPX-packed and real registry Go
#    binaries; the build settings and toolchain as properties; stripped
#    as readelf sees it; where Trivy is installed ($OCIFS_TRIVY, `trivy`
#    or the build tree's tests/trivy/), every package `trivy rootfs` finds
#    in those binaries;
#  - Rust: cargo-auditable crates equal what tests/gen/mkrustaudit.sh's
#    rust-oracle.py (objcopy + zlib + json) decodes: runtime crates, the
#    root one an application, depends from the dependency indexes;
#  - SPDX: the official SPDX 2.3 schema (validate-sbom) on this image
#    and the Debian image, the CycloneDX one too; DEPENDS_ON equal to
#    the CycloneDX dependencies (as purl pairs), CONTAINS every
#    component; both documents byte-identical when built again in an
#    empty cache; the table lists every component.
. "$(dirname "$0")/../lib.sh"

need go python3 tar readelf objcopy || { done_testing; exit; }
VALIDATE=$OCIFS_VALIDATE_SBOM
R=$TMP/root
mkdir -p "$R/l1/usr/local/bin" "$R/l2/opt/bin"

# --- layer 1: Go binaries built here (once per build tree: mkgo.sh
# cross-compiles the standard library for four architectures)
G=${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/gobins
mkdir -p "$G"
if (
	flock 9
	[ -f "$G/.stamp" ] || { sh "$OCIFS_SRCDIR/tests/gen/mkgo.sh" "$G" >"$G.log" 2>&1 && touch "$G/.stamp"; }
) 9>"$G.lock"; then
	pass "mkgo.sh built Go binaries (cached in $G)"
else
	sed 's/^/# /' "$G.log" | tail -n 5
	fail "mkgo.sh built Go binaries"
fi
# one more: the main module's version stamped with -X (Trivy reads it)
mkdir -p "$TMP/go"
cp "$G"/* "$TMP/go/" 2>/dev/null
(cd "$G/src/main" && GOPATH="$G/src/gopath" GOCACHE="$G/src/gocache" \
	GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go build \
	-ldflags="-X main.version=v3.1.4 -s -w" -o "$TMP/go/xversion" . >"$TMP/xv.log" 2>&1) ||
	sed 's/^/# /' "$TMP/xv.log"
: >"$TMP/expect.tsv" # image path, file go/readelf read, layer, packed
for g in default cgo0 trimpath stripped pie i386 arm64 dirty novcs xversion; do
	[ -f "$TMP/go/$g" ] || continue
	cp "$TMP/go/$g" "$R/l1/usr/local/bin/go-$g"
	printf '/usr/local/bin/go-%s\t%s\t1\t0\n' "$g" "$TMP/go/$g" >>"$TMP/expect.tsv"
done
# a hard link: a binary of its own for each name
if [ -f "$TMP/go/default" ]; then
	ln "$R/l1/usr/local/bin/go-default" "$R/l1/usr/local/bin/go-hardlink"
	printf '/usr/local/bin/go-hardlink\t%s\t1\t0\n' "$TMP/go/default" >>"$TMP/expect.tsv"
fi

# --- layer 2: UPX-packed and registry Go binaries (when fetched), Rust
D=${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/registry
if sh "$OCIFS_SRCDIR/tests/gen/upxbins.sh" "$D" >"$TMP/fetch.log" 2>&1; then
	for p in packed/gohello.lzma:packed/gohello.lzma.ref packed/gohello.nrv2b:packed/gohello.nrv2b.ref \
		packed/esbuild.nrv2e:packed/esbuild.nrv2e.ref go/buf:go/buf go/lefthook:go/lefthook; do
		f=${p%%:*} ref=${p#*:} n=$(echo "$f" | tr / -)
		cp "$D/$f" "$R/l2/opt/bin/$n"
		printf '/opt/bin/%s\t%s\t2\t%d\n' "$n" "$D/$ref" "$([ "$f" = "$ref" ] && echo 0 || echo 1)" \
			>>"$TMP/expect.tsv"
	done
	pass "registry and UPX-packed Go binaries (cached in $D)"
elif [ "${CI:-}" = true ]; then
	fail "upxbins.sh: $(tail -n 1 "$TMP/fetch.log")"
else
	skip "registry binaries unavailable: $(tail -n 1 "$TMP/fetch.log")"
fi
RA=${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/rustaudit
[ -f "$RA/dep-good" ] && [ -f "$RA/rust-oracle.py" ] ||
	{ RA=$TMP/rustaudit; sh "$OCIFS_SRCDIR/tests/gen/mkrustaudit.sh" "$RA" >"$TMP/mkrust.log" 2>&1; }
: >"$TMP/rust.tsv"
for r in dep-good rust-good dep-big dep-cycle dep-wrongtype; do
	[ -f "$RA/$r" ] || continue
	cp "$RA/$r" "$R/l2/opt/bin/rust-$r"
	printf '/opt/bin/rust-%s\t%s\n' "$r" "$RA/$r" >>"$TMP/rust.tsv"
done
[ -s "$TMP/rust.tsv" ]
ok $? "cargo-auditable test binaries ($(wc -l <"$TMP/rust.tsv"))"

(cd "$R/l1" && tar --numeric-owner -cf "$TMP/l1.tar" usr) && gzip -n "$TMP/l1.tar"
(cd "$R/l2" && tar --numeric-owner -cf "$TMP/l2.tar" opt)
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar"

"$OCIFS_BIN" sbom "$TMP/img" --format cyclonedx -o "$TMP/cdx.json" 2>"$TMP/err"
ok $? "ocifs sbom --format cyclonedx" || sed 's/^/# /' "$TMP/err"
"$OCIFS_BIN" sbom "$TMP/img" --format spdx -o "$TMP/spdx.json" 2>"$TMP/err"
ok $? "ocifs sbom --format spdx" || sed 's/^/# /' "$TMP/err"
"$OCIFS_BIN" sbom "$TMP/img" --format table >"$TMP/table.txt" 2>"$TMP/err"
ok $? "ocifs sbom --format table" || sed 's/^/# /' "$TMP/err"

# --- the oracles' answers
while IFS="$(printf '\t')" read -r p f l k; do
	printf '=== %s\t%s\t%s\n' "$p" "$l" "$k"
	go version -m "$f" 2>&1
	if readelf -SW "$f" 2>/dev/null | grep -q ' \.symtab '; then echo "#stripped 0"; else echo "#stripped 1"; fi
done <"$TMP/expect.tsv" >"$TMP/govm.txt"
while IFS="$(printf '\t')" read -r p f; do
	printf '=== %s\n' "$p"
	python3 "$RA/rust-oracle.py" "$f"
done <"$TMP/rust.tsv" >"$TMP/rust.txt"
F=${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}
TRIVY=$(trivy_bin) || TRIVY=""
: >"$TMP/trivy.json"
if [ -n "$TRIVY" ]; then
	mkdir -p "$TMP/rootfs"
	cp -a "$R/l1/." "$R/l2/." "$TMP/rootfs/"
	"$TRIVY" rootfs --offline-scan --scanners license --format json --list-all-pkgs \
		--cache-dir "$TMP/trivy-cache" "$TMP/rootfs" >"$TMP/trivy.json" 2>"$TMP/trivy.err" ||
		{ sed 's/^/# /' "$TMP/trivy.err" | tail -n 3; : >"$TMP/trivy.json"; }
fi

python3 - "$TMP/cdx.json" "$TMP/govm.txt" "$TMP/rust.txt" "$TMP/trivy.json" >"$TMP/check.out" <<'PY'
import json, sys

def res(ok, msg):
    print("%s\t%s" % ("PASS" if ok else "FAIL", msg))

try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    res(False, "cdx.json parses: %s" % e); sys.exit(0)
comps = doc.get("components", [])
byref = {c["bom-ref"]: c for c in comps}
deps = {d["ref"]: d.get("dependsOn", []) for d in doc.get("dependencies", [])}
def props(c):
    return {p["name"]: p["value"] for p in c.get("properties", [])}
def of(source, cataloger):
    return [c for c in comps if props(c).get("ocifs:source") == source and
            props(c).get("ocifs:cataloger") == cataloger]

# --- Go: go version -m, read as Trivy's gobinary parser reads build info
gov, cur = {}, None
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    if line.startswith("=== "):
        p, layer, packed = line[4:].split("\t")
        cur = gov[p] = {"layer": layer, "packed": packed == "1", "go": None, "mod": None,
                        "deps": [], "settings": {}, "stripped": None}
        continue
    g = cur
    if line.startswith("#stripped "):
        g["stripped"] = line.endswith("1"); continue
    if g["go"] is None:
        g["go"] = line.split(": ", 1)[1] if ": " in line else None; continue
    t = line.lstrip("\t").split("\t")
    if t[0] == "mod":
        g["mod"] = (t[1], t[2])
    elif t[0] == "dep":
        g["deps"].append([t[1], t[2]])
    elif t[0] == "=>":
        g["deps"][-1] = [t[1], t[2]]
    elif t[0] == "build":
        k, v = t[1].split("=", 1)
        if k.startswith('"'): k = json.loads(k)
        if v.startswith('"'): v = json.loads(v)
        g["settings"][k] = v

def ver(v):
    return None if v in (None, "", "(devel)") else v

for p, g in sorted(gov.items()):
    if not g["go"]:
        res(False, "%s: go version -m reads it" % p); continue
    want = {("stdlib", "v" + g["go"][2:].split(" ")[0])}
    for d in g["deps"]:
        if d[0]:
            want.add((d[0], ver(d[1])))
    main = None
    if g["mod"]:
        mv = ver(g["mod"][1])
        if mv is None and "main.version=" in g["settings"].get("-ldflags", ""):
            mv = g["settings"]["-ldflags"].split("main.version=")[1].split()[0]
        main = (g["mod"][0], mv)
    mine = of(p, "gomod")
    got = {(c["name"], c.get("version")) for c in mine}
    allw = want | ({main} if main else set())
    res(got == allw and len(mine) == len(allw),
        "%s: Go components equal go version -m (%d): missing %s, extra %s" % (
            p, len(allw), sorted(map(str, allw - got))[:3], sorted(map(str, got - allw))[:3]))
    bad = [c["name"] for c in mine if not c.get("purl", "").startswith("pkg:golang/")]
    res(not bad, "%s: every purl is pkg:golang/ %s" % (p, bad[:2]))
    apps = [c for c in mine if c["type"] == "application"]
    if not main:
        res(not apps, "%s: no main module, no application" % p); continue
    if len(apps) != 1:
        res(False, "%s: one main module (%d)" % (p, len(apps))); continue
    a = apps[0]; pa = props(a)
    others = {c["bom-ref"] for c in mine if c is not a}
    res(set(deps.get(a["bom-ref"], [])) >= others,
        "%s: the main module depends on its %d modules and stdlib" % (p, len(others)))
    res(pa.get("ocifs:go:toolchain") == g["go"], "%s: ocifs:go:toolchain %s" % (p, g["go"]))
    sett = {k[len("ocifs:go:setting:"):]: v for k, v in pa.items() if k.startswith("ocifs:go:setting:")}
    nonempty = {k: v for k, v in g["settings"].items() if v}    # the writer drops empty values
    res(sett == nonempty, "%s: ocifs:go:setting:* equal the build lines (%d)" % (p, len(nonempty)))
    res((pa.get("ocifs:go:upx") == "1") == g["packed"], "%s: ocifs:go:upx %s" % (p, g["packed"]))
    res((pa.get("ocifs:go:stripped") == "1") == g["stripped"],
        "%s: ocifs:go:stripped as readelf sees .symtab (%s)" % (p, g["stripped"]))
    res(pa.get("ocifs:layer") == g["layer"], "%s: ocifs:layer %s" % (p, g["layer"]))
    locs = [o.get("location") for o in a.get("evidence", {}).get("occurrences", [])]
    res(locs == [p], "%s: the main module's file is the binary %s" % (p, locs))
    res(any(h.get("alg") == "SHA-256" for h in a.get("hashes", [])), "%s: the binary's sha256" % p)

# --- Rust: rust-oracle.py
rust, cur = {}, None
for line in open(sys.argv[3]):
    line = line.rstrip("\n")
    if line.startswith("=== "):
        cur = line[4:]; rust[cur] = []; continue
    if line.startswith("P\t"):
        t = line.split("\t")
        rust[cur].append({"name": t[1], "version": t[2], "source": t[3], "kind": t[4],
                          "root": t[5] == "1", "deps": [int(x) for x in t[6].split(",") if x]})
for p, pk in sorted(rust.items()):
    mine = of(p, "rust")
    want = {(q["name"], q["version"]) for q in pk if q["kind"] == "runtime"}
    got = {(c["name"], c.get("version")) for c in mine}
    res(got == want and len(mine) == len(want),
        "%s: runtime crates equal rust-oracle.py (%d)" % (p, len(want)))
    ids = {(c["name"], c.get("version")): c for c in mine}
    good_edges = good_kind = True
    for q in pk:
        c = ids.get((q["name"], q["version"]))
        if q["kind"] != "runtime" or c is None:
            continue
        wd = {(pk[d]["name"], pk[d]["version"]) for d in q["deps"] if pk[d]["kind"] == "runtime"}
        gd = {(byref[r]["name"], byref[r].get("version")) for r in deps.get(c["bom-ref"], [])
              if r in byref and props(byref[r]).get("ocifs:cataloger") == "rust"}
        good_edges &= wd == gd
        good_kind &= c["type"] == ("application" if q["root"] else "library")
        good_kind &= c.get("purl") == "pkg:cargo/%s@%s" % (q["name"], q["version"])
    res(good_edges, "%s: depends equal the dependency indexes (runtime ones)" % p)
    res(good_kind, "%s: pkg:cargo/NAME@VERSION, the root crate an application" % p)

# --- Trivy, where installed: every package it finds in these binaries
tj = open(sys.argv[4]).read()
if tj.strip():
    t = json.loads(tj)
    for r in t.get("Results", []):
        if r.get("Type") not in ("gobinary", "rustbinary"):
            continue
        p = "/" + r["Target"]
        cat = "gomod" if r["Type"] == "gobinary" else "rust"
        got = {(c["name"], c.get("version") or "") for c in of(p, cat)}
        miss = [(x["Name"], x.get("Version", "")) for x in r.get("Packages", [])
                if (x["Name"], "" if x.get("Version", "") == "(devel)" else x.get("Version", "")) not in got]
        res(not miss, "%s: every package trivy rootfs finds (%d), missing %s" % (
            p, len(r.get("Packages", [])), miss[:3]))
else:
    print("SKIP\ttrivy not installed (lib.sh trivy_bin): no comparison with trivy rootfs")
PY
while IFS="$(printf '\t')" read -r st desc; do
	case $st in
	PASS) pass "$desc" ;;
	SKIP) skip "$desc" ;;
	*) fail "$desc" ;;
	esac
done <"$TMP/check.out"

# --- SPDX: the schema, the graph, determinism
spdx_checks() { # CDX SPDX NAME
	if [ -x "$VALIDATE" ] && python3 -c 'import jsonschema' 2>/dev/null; then
		"$VALIDATE" "$1" "$2" >"$TMP/validate.out" 2>&1
		ok $? "$3: both documents pass the official schemas" || sed 's/^/# /' "$TMP/validate.out" | head
	elif [ "${CI:-}" = true ]; then
		fail "$3: validate-sbom or python3-jsonschema missing"
	else
		skip "$3: validate-sbom or python3-jsonschema missing"
	fi
	python3 - "$1" "$2" >"$TMP/spdx.out" <<'PY'
import collections, json, sys
cdx, spdx = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def res(ok, msg): print("%s\t%s" % ("PASS" if ok else "FAIL", msg))
root = cdx["metadata"]["component"]["bom-ref"]
# a component by its purl, else its name and version (the SPDXIDs are ours)
purl = {c["bom-ref"]: c.get("purl") or (c.get("name"), c.get("version")) for c in cdx.get("components", [])}
want = collections.Counter((purl[d["ref"]], purl[o]) for d in cdx.get("dependencies", [])
                           if d["ref"] != root and d["ref"] in purl for o in d.get("dependsOn", []) if o in purl)
ids = {}
for p in spdx["packages"]:
    refs = [r["referenceLocator"] for r in p.get("externalRefs", []) if r["referenceType"] == "purl"]
    ids[p["SPDXID"]] = refs[0] if refs else (p.get("name"), p.get("versionInfo"))
rels = spdx.get("relationships", [])
got = collections.Counter((ids[r["spdxElementId"]], ids[r["relatedSpdxElement"]])
                          for r in rels if r["relationshipType"] == "DEPENDS_ON")
res(got == want, "DEPENDS_ON equals the CycloneDX dependencies (%d edges)" % sum(want.values()))
desc = [r for r in rels if r["relationshipType"] == "DESCRIBES"]
res(len(desc) == 1 and desc[0]["spdxElementId"] == "SPDXRef-DOCUMENT", "DOCUMENT DESCRIBES the image")
img = desc[0]["relatedSpdxElement"] if desc else None
cont = {r["relatedSpdxElement"] for r in rels if r["relationshipType"] == "CONTAINS" and r["spdxElementId"] == img}
res(len(cont) == len(cdx.get("components", [])) == len(spdx["packages"]) - 1,
    "the image CONTAINS each of the %d components" % len(cdx.get("components", [])))
res(len(ids) == len(spdx["packages"]), "SPDXIDs unique")
res(all(p.get("licenseDeclared") for p in spdx["packages"]), "every package declares a license or NOASSERTION")
PY
	while IFS="$(printf '\t')" read -r st desc; do
		if [ "$st" = PASS ]; then pass "$3: $desc"; else fail "$3: $desc"; fi
	done <"$TMP/spdx.out"
}
spdx_checks "$TMP/cdx.json" "$TMP/spdx.json" "Go/Rust image"

# built again in an empty cache: the same bytes
XDG_CACHE_HOME=$TMP/cache2 "$OCIFS_BIN" sbom "$TMP/img" --format cyclonedx -o "$TMP/cdx2.json" 2>/dev/null &&
	XDG_CACHE_HOME=$TMP/cache3 "$OCIFS_BIN" sbom "$TMP/img" --format spdx -o "$TMP/spdx2.json" 2>/dev/null &&
	cmp -s "$TMP/cdx.json" "$TMP/cdx2.json" && cmp -s "$TMP/spdx.json" "$TMP/spdx2.json"
ok $? "deterministic: both documents byte-identical when built again"
SOURCE_DATE_EPOCH=1700000000 XDG_CACHE_HOME=$TMP/cache4 "$OCIFS_BIN" sbom "$TMP/img" --format spdx \
	-o "$TMP/spdx3.json" 2>/dev/null
grep -q '"created": "2023-11-14T22:13:20Z"' "$TMP/spdx3.json"
ok $? "SOURCE_DATE_EPOCH is the SPDX creation time"

n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["components"]))' "$TMP/cdx.json")
[ "$(($(wc -l <"$TMP/table.txt") - 1))" -eq "$n" ] && head -n 1 "$TMP/table.txt" | grep -q '^NAME  *VERSION  *TYPE  *LAYER  *PURL$'
ok $? "the table: a header and one line per component ($n)"

# --- the Debian image
if [ "$(id -u)" -eq 0 ] && D=$(debian_root); then
	DI=$D/oci-gzip
	"$OCIFS_BIN" sbom "$DI" --format cyclonedx -o "$TMP/deb.cdx.json" 2>/dev/null &&
		"$OCIFS_BIN" sbom "$DI" --format spdx -o "$TMP/deb.spdx.json" 2>/dev/null
	ok $? "ocifs sbom of the Debian image"
	spdx_checks "$TMP/deb.cdx.json" "$TMP/deb.spdx.json" "Debian image"
else
	skip "no Debian root (needs root and Debian's mirror)"
fi
done_testing
