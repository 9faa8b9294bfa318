#!/bin/bash
# `ocifs sbom` end to end for Debian packages (scan/cat_dpkg.c). Oracles:
# dpkg-query -W over the same databases (packages name for name,
# version for version, epoch included), dpkg-query -S on 200 files of
# the Debian root (file ownership), dpkg-query over the same stanzas for
# a distroless status.d image, Trivy's own scan of the same root (purl
# spelling) when Trivy is present; the layer attribution of a 3-layer
# image built here; hostile databases (truncated, garbage, no Package,
# a 10 MB line, non-UTF-8 names, cyclic Depends) give a valid document.
. "$(dirname "$0")/../lib.sh"

need dpkg-query python3 tar || { done_testing; exit; }
B=$OCIFS_BIN

# sbom IMAGE OUT: the CycloneDX document of IMAGE into OUT
sbom() {
	"$B" sbom "$1" --format cyclonedx >"$2" 2>"$2.err"
}

# debs CDX: "name<TAB>[epoch:]version" of every deb component, sorted
debs() {
	python3 - "$1" <<'EOF'
import json, sys, urllib.parse
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "surrogateescape"))
out = []
for c in d.get("components", []):
    p = c.get("purl", "")
    if not p.startswith("pkg:deb/"):
        continue
    q = dict(urllib.parse.parse_qsl(p.partition("?")[2]))
    v = c.get("version", "")
    if "epoch" in q:
        v = q["epoch"] + ":" + v
    out.append("%s\t%s" % (c["name"], v))
print("\n".join(sorted(out, key=lambda s: s.encode("utf-8", "surrogateescape"))))
EOF
}

# prop CDX NAME PROPERTY: the value of a deb component's property
prop() {
	python3 - "$@" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "surrogateescape"))
for c in d.get("components", []):
    if c.get("name") == sys.argv[2] and c.get("purl", "").startswith("pkg:deb/"):
        for p in c.get("properties", []):
            if p["name"] == sys.argv[3]:
                print(p["value"])
EOF
}

# --- the Debian root: packages and file ownership against dpkg ----------
debian() {
	local D R img
	D=$(debian_root) || { skip "no Debian root: bench/mkdebian.sh failed (network?)"; return; }
	R=$D/rootfs
	dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${db:Status-Status}\t${Package}\t${Version}\n' |
		grep -v '^config-files' | cut -f2- | LC_ALL=C sort >"$TMP/deb.want"
	for img in oci-gzip docker.tar; do
		if ! sbom "$D/$img" "$TMP/deb.$img.json"; then
			fail "sbom of the Debian image ($img)"
			sed 's/^/# /' "$TMP/deb.$img.json.err"
			continue
		fi
		debs "$TMP/deb.$img.json" >"$TMP/deb.$img.got"
		if diff "$TMP/deb.want" "$TMP/deb.$img.got" >"$TMP/deb.diff"; then
			pass "Debian image ($img): $(wc -l <"$TMP/deb.want") deb components equal dpkg-query -W, name for name, version for version"
		else
			fail "Debian image ($img): deb components equal dpkg-query -W"
			head -20 "$TMP/deb.diff" | sed 's/^/# /'
		fi
	done
	[ -s "$TMP/deb.oci-gzip.json" ] || return

	# file ownership: 200 regular files of the root, every k-th in order
	(cd "$R" && find . -xdev -type f ! -name '*[][*?\\]*' | cut -c2- | LC_ALL=C sort) |
		awk '{a[NR]=$0} END{k=int(NR/200); if(k<1)k=1; for(i=1;i<=NR&&n<200;i+=k){print a[i]; n++}}' \
			>"$TMP/sample"
	tr '\n' '\0' <"$TMP/sample" | xargs -0 dpkg-query --admindir="$R/var/lib/dpkg" -S \
		>"$TMP/owners" 2>/dev/null
	python3 - "$TMP/deb.oci-gzip.json" "$TMP/sample" "$TMP/owners" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ours = {}
for c in d.get("components", []):
    if not c.get("purl", "").startswith("pkg:deb/"):
        continue
    for o in c.get("evidence", {}).get("occurrences", []):
        ours.setdefault(o["location"], set()).add(c["name"])
theirs = {}
for l in open(sys.argv[3]):
    l = l.rstrip("\n")
    if l.startswith("diversion "):
        continue
    names, _, path = l.partition(": ")
    theirs[path] = {n.strip().split(":")[0] for n in names.split(",")}
bad = 0
sample = [l.rstrip("\n") for l in open(sys.argv[2])]
for p in sample:
    if ours.get(p, set()) != theirs.get(p, set()):
        bad += 1
        print("# %s: dpkg-query -S %s, ours %s" % (p, sorted(theirs.get(p, [])), sorted(ours.get(p, []))))
owned = sum(1 for p in sample if p in theirs)
print("# %d sampled files, %d owned by a package" % (len(sample), owned))
sys.exit(1 if bad or len(sample) < 100 or owned < 20 else 0)
EOF
	ok $? "Debian image: the owners of 200 sampled files equal dpkg-query -S"

	# the purls as Trivy spells them, for the same root (its scan of the
	# directory; our upstream= qualifier is Syft's, Trivy has none)
	local T
	T=$(trivy_bin) || T=""
	if [ -z "$T" ]; then
		skip "Trivy not installed (lib.sh trivy_bin): purl spelling not compared"
	elif ! "$T" rootfs --format cyclonedx --scanners license --skip-db-update --offline-scan \
		--cache-dir "$TMP/trivy" -o "$TMP/trivy.json" "$R" >"$TMP/trivy.log" 2>&1; then
		fail "Trivy scans the Debian root"
		tail -5 "$TMP/trivy.log" | sed 's/^/# /'
	else
		python3 - "$TMP/deb.oci-gzip.json" "$TMP/trivy.json" <<'EOF'
import json, sys, urllib.parse
def purls(f, drop):
    out = set()
    for c in json.load(open(f)).get("components", []):
        p = c.get("purl", "")
        if not p.startswith("pkg:deb/"):
            continue
        base, _, q = p.partition("?")
        qs = sorted((k, v) for k, v in urllib.parse.parse_qsl(q) if k not in drop)
        out.add(urllib.parse.unquote(base) + "?" + "&".join("%s=%s" % kv for kv in qs))
    return out
ours, theirs = purls(sys.argv[1], {"upstream"}), purls(sys.argv[2], set())
for p in sorted(ours ^ theirs)[:10]:
    print("# only %s: %s" % ("ours" if p in ours else "Trivy's", p))
# the .deb's SHA-256 (dpkg's available file) where Trivy has one
def hashes(f):
    return {(c["name"], c.get("version")): [h["content"] for h in c.get("hashes", []) if h["alg"] == "SHA-256"]
            for c in json.load(open(f)).get("components", []) if c.get("purl", "").startswith("pkg:deb/")}
ho, ht = hashes(sys.argv[1]), hashes(sys.argv[2])
hbad = [k for k in ht if ht[k] and ho.get(k) != ht[k]]
for k in hbad[:5]:
    print("# hash of %s: ours %s, Trivy's %s" % (k, ho.get(k), ht[k]))
print("# %d deb hashes compared" % sum(1 for k in ht if ht[k]))
sys.exit(0 if ours == theirs and ours and not hbad else 1)
EOF
		ok $? "Debian image: every deb purl as Trivy writes it (upstream= aside), the same SHA-256s"
	fi

	# --- distroless: status.d stanzas and md5sums cut from the root ---
	local S=$TMP/dl/var/lib/dpkg/status.d
	mkdir -p "$S" "$TMP/adm/info" "$TMP/adm/updates"
	st() { awk -v p="$1" 'BEGIN{RS="";ORS="\n\n"} $0 ~ "^Package: " p "\n"' "$R/var/lib/dpkg/status"; }
	st libc6 >"$S/libc6"
	st base-files >"$S/base-files"
	{ st tzdata; st zlib1g; } >"$S/multi"
	cp "$R/var/lib/dpkg/info/libc6:amd64.md5sums" "$S/libc6.md5sums"
	cp "$R/var/lib/dpkg/info/base-files.md5sums" "$S/base-files.md5sums"
	cp "$R/var/lib/dpkg/info/tzdata.md5sums" "$S/tzdata.md5sums"
	cat "$S/libc6" "$S/base-files" "$S/multi" >"$TMP/adm/status"
	# three of libc6's files (sbom.c keeps the files the view holds)
	awk '{print $2}' "$S/libc6.md5sums" | head -3 >"$TMP/dl.files"
	while read -r f; do mkdir -p "$TMP/dl/$(dirname "$f")" && echo x >"$TMP/dl/$f"; done <"$TMP/dl.files"
	(cd "$TMP/dl" && tar -cf "$TMP/dl.tar" .)
	mkoci "$TMP/dl.oci" "$TMP/dl.tar"
	if sbom "$TMP/dl.oci" "$TMP/dl.json"; then
		dpkg-query --admindir="$TMP/adm" -W -f '${Package}\t${Version}\n' | LC_ALL=C sort >"$TMP/dl.want"
		debs "$TMP/dl.json" >"$TMP/dl.got"
		diff "$TMP/dl.want" "$TMP/dl.got" >/dev/null && [ "$(wc -l <"$TMP/dl.got")" -eq 4 ]
		ok $? "distroless: status.d packages equal dpkg-query -W over the same stanzas"
		python3 - "$TMP/dl.json" "$TMP/dl.files" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["components"] if c["name"] == "libc6"][0]
locs = {o["location"] for o in c.get("evidence", {}).get("occurrences", [])}
want = {"/" + l.strip() for l in open(sys.argv[2])}
src = [p["value"] for p in c.get("properties", []) if p["name"] == "ocifs:source"]
print("# libc6: %s, source %s" % (sorted(locs), src))
sys.exit(0 if len(want) == 3 and locs == want and src == ["/var/lib/dpkg/status.d/libc6"] else 1)
EOF
		ok $? "distroless: libc6's files are those of status.d/libc6.md5sums, its source that file"
	else
		fail "sbom of the distroless image"
		sed 's/^/# /' "$TMP/dl.json.err"
	fi
}
debian

# --- attribution: layer 2 installs x 1.0, y, w; layer 3 upgrades x,
# drops w, installs z --------------------------------------------------
A=$TMP/attr
mkdir -p "$A"/l1/etc "$A"/l2/var/lib/dpkg/info "$A"/l2/usr/bin "$A"/l3/var/lib/dpkg/info "$A"/l3/usr/bin
printf 'ID=debian\nVERSION_ID="12"\n' >"$A/l1/etc/os-release"
S='Status: install ok installed'
printf 'Package: x\n%s\nVersion: 1.0\nArchitecture: amd64\n\nPackage: y\n%s\nVersion: 1.0\nArchitecture: amd64\nDepends: x (>= 1.0), y\n\nPackage: w\n%s\nVersion: 0.1\nArchitecture: all\n' \
	"$S" "$S" "$S" >"$A/l2/var/lib/dpkg/status"
printf '/.\n/usr\n/usr/bin\n/usr/bin/x\n' >"$A/l2/var/lib/dpkg/info/x.list"
printf '/.\n/usr/bin/y\n' >"$A/l2/var/lib/dpkg/info/y.list"
echo x1 >"$A/l2/usr/bin/x"
echo y >"$A/l2/usr/bin/y"
printf 'Package: z\n%s\nVersion: 2:3.0-1\nArchitecture: amd64\nSource: zsrc\n\nPackage: y\n%s\nVersion: 1.0\nArchitecture: amd64\nDepends: x (>= 1.0), y\n\nPackage: x\n%s\nVersion: 2.0\nArchitecture: amd64\nDepends: y\n' \
	"$S" "$S" "$S" >"$A/l3/var/lib/dpkg/status"
printf '/.\n/usr/bin/x\n' >"$A/l3/var/lib/dpkg/info/x.list"
echo x2 >"$A/l3/usr/bin/x"
for l in l1 l2 l3; do (cd "$A/$l" && tar -cf "$A/$l.tar" .); done
mkoci "$A/img" "$A/l1.tar" "$A/l2.tar" "$A/l3.tar"
if sbom "$A/img" "$A/sbom.json"; then
	[ "$(prop "$A/sbom.json" x ocifs:layer)" = 3 ]
	ok $? "x, upgraded by layer 3, reports ocifs:layer 3 ($(prop "$A/sbom.json" x ocifs:layer))"
	[ "$(prop "$A/sbom.json" y ocifs:layer)" = 2 ]
	ok $? "y, untouched by layer 3's rewrite of the status, keeps layer 2 ($(prop "$A/sbom.json" y ocifs:layer))"
	[ "$(prop "$A/sbom.json" z ocifs:layer)" = 3 ]
	ok $? "z, installed by layer 3, reports layer 3"
	debs "$A/sbom.json" >"$A/got"
	printf 'x\t2.0\ny\t1.0\nz\t2:3.0-1\n' | diff - "$A/got" >/dev/null
	ok $? "w, dropped from the status by layer 3, is absent; z keeps its epoch"
	python3 - "$A/sbom.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ref = {c["name"]: c["bom-ref"] for c in d["components"]}
deps = {e["ref"]: set(e.get("dependsOn", [])) for e in d.get("dependencies", [])}
sys.exit(0 if ref["x"] in deps.get(ref["y"], ()) and ref["y"] in deps.get(ref["x"], ()) else 1)
EOF
	ok $? "cyclic Depends x <-> y: both edges in dependencies[]"
else
	fail "sbom of the 3-layer image"
	sed 's/^/# /' "$A/sbom.json.err"
fi

# --- hostile databases: a valid document, the packages that can be read -
H=$TMP/hostile
mkdir -p "$H/r/var/lib/dpkg/info" "$H/r/var/lib/dpkg/status.d"
{
	printf 'Version: 1\nStatus: install ok installed\n\n'                        # no Package
	printf 'Package: good\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n'
	printf 'Package: caf\xe9\xff\nStatus: install ok installed\nVersion: 1\xc3\nArchitecture: amd64\n\n'
	printf 'Package: long\nStatus: install ok installed\nVersion: 2\nDepends: '
	head -c 10000000 /dev/zero | tr '\0' a
	printf '\n\nPackage: trunc\nStatus: install ok installed\nVersion: 3\nDepends: good (>= 1'
} >"$H/r/var/lib/dpkg/status"
printf '/.\n/usr/bin/\xff\n' >"$H/r/var/lib/dpkg/info/good.list"
head -c 300000 /dev/urandom >"$H/r/var/lib/dpkg/status.d/garbage"
printf 'Package: half\nStatus: install ok installed\nVers' >"$H/r/var/lib/dpkg/status.d/half"
(cd "$H/r" && tar -cf "$H/r.tar" .)
mkoci "$H/img" "$H/r.tar"
if sbom "$H/img" "$H/sbom.json"; then
	pass "hostile databases: ocifs sbom succeeds"
	debs "$H/sbom.json" >"$H/got" 2>"$H/py.err"
	ok $? "hostile databases: the document is JSON (its non-UTF-8 bytes aside)"
	# CycloneDX is UTF-8: the writer must escape or replace the bytes of a
	# non-UTF-8 names: the writer replaces invalid bytes with U+FFFD
	python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$H/sbom.json" 2>/dev/null
	ok $? "hostile databases: the document is valid UTF-8 JSON"
	for n in good long trunc half; do
		grep -q "^$n	" "$H/got"
		ok $? "hostile databases: package '$n' reported as far as it goes"
	done
	grep -q "^caf" "$H/got"
	ok $? "hostile databases: the non-UTF-8 name is a component too"
	prop "$H/sbom.json" long ocifs:error | grep -q 'limit'
	ok $? "hostile databases: the 10 MB Depends is dropped with a reason (ocifs:error)"
	[ -z "$(prop "$H/sbom.json" good ocifs:error)" ]
	ok $? "hostile databases: no reason on the sound package"
else
	fail "hostile databases: ocifs sbom succeeds (exit $?)"
	sed 's/^/# /' "$H/sbom.json.err" | head -5
fi

done_testing
