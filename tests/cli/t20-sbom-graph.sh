#!/bin/bash
# The SBOM's graph and attribution against oracles:
#  - on the Debian root, every edge "ELF -> package providing a library it
#    loads" equals what `dpkg -S` says of the file and of the library
#    ld.so resolves (from `ocifs deps`), for every dynamic ELF dpkg owns;
#  - every component lists only files the merged tree has; a binary a
#    later layer deletes (whiteout) is absent; a package whose files a
#    later layer deletes is flagged, and the layer of each binary is the
#    layer that wrote it (config history line included);
#  - the same image gives byte-identical documents; SOURCE_DATE_EPOCH
#    adds the timestamp (and is another cached document).
. "${OCIFS_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
: "${OCIFS_BUILDDIR:=$(cd "$(dirname "$OCIFS_BIN")" && pwd)}"
B=$OCIFS_BIN

debian_edges() {
	local D R
	D=$(debian_root) || { skip "no Debian root (needs root and Debian's mirror)"; return; }
	R=$D/rootfs
	"$B" sbom "$D/docker.tar" -o "$TMP/deb.json" 2>"$TMP/err"
	ok $? "ocifs sbom of the Debian image" || { diag "$(head -c 300 "$TMP/err")"; return; }
	"$B" deps "$D/docker.tar" --json >"$TMP/deps.json"
	python3 - "$TMP/deb.json" "$TMP/deps.json" "$R" <<'PY' >"$TMP/res"
import json, os, subprocess, sys
sbom = json.load(open(sys.argv[1]))
deps = json.load(open(sys.argv[2]))
root = sys.argv[3]
comps = {c["bom-ref"]: c for c in sbom["components"]}
edges = {d["ref"]: set(d["dependsOn"]) for d in sbom["dependencies"]}
by_name = {}
for c in sbom["components"]:
    if c.get("purl", "").startswith("pkg:deb/"):
        by_name[c["name"]] = c["bom-ref"]
def dpkg_s(paths):
    # `dpkg -S` on the root's database: path -> package (arch suffix dropped)
    out = subprocess.run(["dpkg", "--admindir=" + root + "/var/lib/dpkg", "-S"] + paths,
                         capture_output=True, text=True).stdout
    m = {}
    for line in out.splitlines():
        if ": " not in line or line.startswith("diversion"):
            continue
        pk, p = line.split(": ", 1)
        m[p] = pk.split(",")[0].strip().split(":")[0]
    return m
def real(p):
    r = os.path.realpath(root + p)
    return r[len(root):] if r.startswith(root) else p
files = [f for f in deps["files"] if f.get("libraries")]
names = set()
for f in files:
    names.add(f["path"]); names.add(real(f["path"]))
    for l in f["libraries"]:
        if l.get("path") and l.get("depth", 1) == 1:
            names.add(l["path"]); names.add(real(l["path"]))
own = {}
names = sorted(names)
for i in range(0, len(names), 200):
    own.update(dpkg_s(names[i:i + 200]))
def owner(p):
    return own.get(p) or own.get(real(p))
checked = bad = 0
for f in files:
    fo = owner(f["path"])
    if not fo or fo not in by_name:
        continue
    want = set()
    for l in f["libraries"]:
        if l.get("path") and l.get("depth", 1) == 1:
            lo = owner(l["path"])
            if lo and lo != fo:
                want.add(by_name.get(lo, "?" + lo))
    got = edges.get(by_name[fo], set())
    checked += 1
    if not want <= got:
        bad += 1
        if bad <= 5:
            print("MISS %s (%s): %s" % (f["path"], fo, sorted(want - got)))
print("checked %d dynamic ELF files dpkg owns, %d with a missing edge" % (checked, bad))
PY
	tail -n 1 "$TMP/res" | grep -q 'files dpkg owns, 0 with' && [ "$(tail -n 1 "$TMP/res" | awk '{print $2}')" -gt 300 ]
	ok $? "ELF -> package edges equal dpkg -S of each file and each library ld.so loads ($(tail -n 1 "$TMP/res"))" ||
		diag "$(head -n 5 "$TMP/res")"
}

layers_and_whiteouts() {
	local R=$TMP/l
	need gcc tar python3 || return
	mkdir -p "$R/1/usr/bin" "$R/1/etc" "$R/1/var/lib/dpkg/info" "$R/2/usr/bin" "$R/3/usr/bin" "$R/3/usr/lib"
	printf 'int main(void){return 0;}\n' >"$TMP/m.c"
	gcc -O2 -o "$R/1/usr/bin/gone" "$TMP/m.c"
	gcc -O2 -o "$R/1/usr/bin/kept" "$TMP/m.c"
	gcc -O2 -o "$R/1/usr/bin/pkgbin" "$TMP/m.c"
	gcc -O2 -DX=1 -o "$R/2/usr/bin/late" "$TMP/m.c"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$R/1/etc/os-release"
	printf 'Package: tool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\n' \
		>"$R/1/var/lib/dpkg/status"
	printf '/usr/bin/pkgbin\n' >"$R/1/var/lib/dpkg/info/tool.list"
	: >"$R/2/usr/bin/.wh.gone"
	: >"$R/3/usr/bin/.wh.pkgbin"
	: >"$R/3/usr/lib/.keep"
	for n in 1 2 3; do (cd "$R/$n" && tar --numeric-owner -cf "$TMP/l$n.tar" .); done
	mkoci "$TMP/img" "$TMP/l1.tar" "$TMP/l2.tar" "$TMP/l3.tar"
	# a config history with one line per layer (and an empty layer between)
	python3 "$OCIFS_SRCDIR/tests/gen/setconfig.py" "$TMP/img" '{"history": [
		{"created_by": "RUN make base"}, {"created_by": "ENV X=1", "empty_layer": true},
		{"created_by": "RUN add late"}, {"created_by": "RUN rm pkgbin"}]}'
	"$B" sbom "$TMP/img" -o "$TMP/s1.json" 2>"$TMP/err"
	ok $? "ocifs sbom of a 3-layer image" || { diag "$(cat "$TMP/err")"; return; }
	python3 - "$TMP/s1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for c in d["components"]:
    by.setdefault(c["name"], []).append(c)
def prop(c, k):
    return [p["value"] for p in c.get("properties", []) if p["name"] == k]
assert "gone" not in by, "a binary whited out by layer 2 is absent"
assert prop(by["kept"][0], "ocifs:layer") == ["1"], by["kept"]
late = by["late"][0]
assert prop(late, "ocifs:layer") == ["2"] and prop(late, "ocifs:layer:created_by") == ["RUN add late"], late
tool = by["tool"][0]
assert prop(tool, "ocifs:status") == ["files-deleted"] and prop(tool, "ocifs:files:missing") == ["1"], tool
assert "evidence" not in tool, "no file of the package is left"
for c in d["components"]:
    for o in c.get("evidence", {}).get("occurrences", []):
        assert o["location"] != "/usr/bin/pkgbin" and o["location"] != "/usr/bin/gone", c
PY
	ok $? "whiteouts: a deleted binary is absent, a package whose files are gone is flagged; each binary reports its layer and Dockerfile line"
	"$B" sbom "$TMP/img" -o "$TMP/s2.json" && rm -rf "$XDG_CACHE_HOME/ocifs/sbom" &&
		"$B" sbom "$TMP/img" -o "$TMP/s3.json" && cmp -s "$TMP/s1.json" "$TMP/s2.json" &&
		cmp -s "$TMP/s1.json" "$TMP/s3.json" && ! grep -q '"timestamp"' "$TMP/s1.json"
	ok $? "deterministic: cached and rebuilt documents are byte-identical, with no timestamp"
	# an image with nothing to report: a valid document of no component
	mkdir -p "$R/5/etc"
	echo hello >"$R/5/etc/motd"
	(cd "$R/5" && tar --numeric-owner -cf "$TMP/l5.tar" .)
	mkoci "$TMP/img5" "$TMP/l5.tar"
	"$B" sbom "$TMP/img5" -o "$TMP/e.json" &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["components"] == [] and d["dependencies"] == [{"ref": "image", "dependsOn": []}], d["dependencies"]' "$TMP/e.json"
	ok $? "an image with no package and no binary: a document with no component"
	# a binary whose name is not UTF-8: the document stays valid JSON
	mkdir -p "$R/4/usr/bin"
	cp "$R/1/usr/bin/kept" "$R/4/usr/bin/$(printf 'bad\377name')"
	(cd "$R/4" && tar --numeric-owner -cf "$TMP/l4.tar" .)
	mkoci "$TMP/img4" "$TMP/l4.tar"
	"$B" sbom "$TMP/img4" -o "$TMP/u.json" &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1], encoding="utf-8")); assert any(c["name"] == "bad\ufffdname" for c in d["components"])' "$TMP/u.json"
	ok $? "a file name that is not UTF-8 is written with U+FFFD: the document is still UTF-8 JSON"
	SOURCE_DATE_EPOCH=1700000000 "$B" sbom "$TMP/img" -o "$TMP/s4.json" &&
		grep -q '"timestamp": "2023-11-14T22:13:20Z"' "$TMP/s4.json" && "$B" sbom "$TMP/img" -o "$TMP/s5.json" &&
		cmp -s "$TMP/s1.json" "$TMP/s5.json"
	ok $? "SOURCE_DATE_EPOCH sets metadata.timestamp, as another cached document"
}

# The image's purl: pkg:oci/NAME@DIGEST with arch, repository_url and tag
# from a RepoTag; an OCI ref.name that is only a tag names no repository.
image_purl() {
	local I
	I=$(test_images) || { fail "test images"; return; }
	"$B" sbom "$I/oci" | python3 -c '
import json, sys
c = json.load(sys.stdin)["metadata"]["component"]
p = c["purl"]
assert p.startswith("pkg:oci/oci@" + c["version"] + "?") and "tag=test" in p and "repository_url" not in p, p' &&
		"$B" sbom "$I/docker.tar" | python3 -c '
import json, sys
c = json.load(sys.stdin)["metadata"]["component"]
name, tag = c["name"].rsplit(":", 1)
repo = name
p = c["purl"]
assert p.startswith("pkg:oci/" + repo.rsplit("/", 1)[-1].lower() + "@sha256:") and "tag=" + tag in p \
    and "repository_url=" + repo in p and "arch=" in p, (c["name"], p)'
	ok $? "the image purl: a RepoTag gives name, repository_url and tag; a bare ref.name tag only a tag"
}

main() {
	need python3 || return
	image_purl
	layers_and_whiteouts
	if [ "$(id -u)" -eq 0 ] && command -v dpkg >/dev/null 2>&1; then
		debian_edges
	else
		skip "needs root (debootstrap) and dpkg"
	fi
}
main
done_testing
