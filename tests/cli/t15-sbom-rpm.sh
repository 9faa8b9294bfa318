#!/bin/bash
# `ocifs sbom`'s rpm packages end to end, against oracles nobody here wrote:
#  - an image whose rpm database Debian's rpm built in three layers
#    (tests/gen/mkrpm.sh): packages equal `rpm --root ROOT -qa` (name,
#    epoch, version-release, arch), each one's files `rpm -ql` (less
#    directories), beta depends on alpha as its Requires says, each
#    package's layer is the one that installed or upgraded it;
#  - one image per corpus database (../shared/corpus/pkgdb/rpm, its README
#    names the oracles): SQLite and Berkeley DB equal `rpm --dbpath -qa`,
#    NDB equals expected.tsv;
#  - Trivy (when installed) reading the same roots: the same packages with
#    the same purl name, version, arch and epoch;
#  - hostile databases: garbage, truncated, a bdb whose overflow chains
#    loop: the sbom is still written, no rpm package made up.
. "$(dirname "$0")/../lib.sh"

need rpm rpmbuild jq python3 tar || { done_testing; exit; }
B=$OCIFS_BIN
C=$OCIFS_CORPUS/pkgdb/rpm
TRIVY=$(trivy_bin) || TRIVY=""
VALIDATE=$OCIFS_VALIDATE_SBOM

# ours FILE: the rpm components of a CycloneDX document as
# "name<TAB>epoch<TAB>version<TAB>arch" ("(none)" for no epoch, as rpm,
# and for Trivy's arch=None of gpg-pubkey)
ours() {
	jq -r '.components[] | select(.purl // "" | startswith("pkg:rpm/")) |
		(.purl | capture("[?&]arch=(?<a>[^&#]*)").a // "" | if . == "None" then "(none)" else . end) as $arch |
		((.purl | capture("[?&]epoch=(?<e>[^&#]*)").e) // "(none)") as $epoch |
		"\(.name)\t\($epoch)\t\(.version)\t\($arch)"' "$1" | LC_ALL=C sort
}
# same A B DESC: sorted files A and B are equal (diff on failure)
same() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3"
		diff "$1" "$2" | head -10 | sed 's/^/# /'
	fi
}
# trivy_keys FILE: name@version?arch&epoch of each rpm purl (any type
# Trivy gives the OS: this Trivy spells CBL-Mariner's pkg:cbl-mariner)
purl_keys() {
	jq -r '.components[] | .purl // empty' "$1" | grep -v '^pkg:oci/' | python3 -c '
import sys, urllib.parse
for l in sys.stdin:
    l = l.strip()
    base, _, q = l.partition("?")
    name_ver = base.split("/")[-1]
    qs = dict(kv.split("=", 1) for kv in q.split("&") if "=" in kv)
    print(urllib.parse.unquote(name_ver), "arch=" + qs.get("arch", ""),
          "epoch=" + qs.get("epoch", "0"))' | LC_ALL=C sort
}
# trivy_same ROOT CDX DESC: Trivy's own reading of ROOT gives the packages
# (purl name, version, arch, epoch) our CycloneDX CDX lists
trivy_same() {
	if [ -z "$TRIVY" ]; then
		skip "Trivy not installed (lib.sh trivy_bin)"
		return
	fi
	nice "$TRIVY" rootfs --cache-dir "$TMP/trivy" --offline-scan --scanners license \
		--format cyclonedx -o "$TMP/trivy.json" "$1" >/dev/null 2>&1
	purl_keys "$TMP/trivy.json" >"$TMP/trivy.keys"
	jq '{components: [.components[] | select(.purl // "" | startswith("pkg:rpm/"))]}' "$2" \
		>"$TMP/ours.rpm.json"
	purl_keys "$TMP/ours.rpm.json" >"$TMP/ours.keys"
	[ -s "$TMP/trivy.keys" ]
	ok $? "$3: Trivy reads packages there ($(wc -l <"$TMP/trivy.keys"))"
	same "$TMP/ours.keys" "$TMP/trivy.keys" "$3: our purls' name, version, arch, epoch equal Trivy's"
}
# image DIR IMG: an OCI image of one layer holding DIR
image() {
	(cd "$1" && tar -cf "$TMP/layer.tar" .) && mkoci "$2" "$TMP/layer.tar"
}

# --- an image rpm built in three layers --------------------------------
G=$TMP/gen
sh "$OCIFS_SRCDIR/tests/gen/mkrpm.sh" "$G" >"$TMP/mkrpm.log" 2>&1
ok $? "mkrpm.sh: rpmbuild and rpm built a three-layer image" || { cat "$TMP/mkrpm.log"; done_testing; exit; }
"$B" sbom "$G/img" --format cyclonedx -o "$TMP/gen.cdx.json"
ok $? "ocifs sbom writes its CycloneDX"
if [ -f "$VALIDATE" ] && python3 -c 'import jsonschema' 2>/dev/null; then
	python3 "$VALIDATE" "$TMP/gen.cdx.json" >"$TMP/validate.log" 2>&1
	ok $? "the document passes the CycloneDX 1.6 schema" || sed 's/^/# /' "$TMP/validate.log" | head
else
	skip "validate-sbom or python3-jsonschema missing"
fi
ours "$TMP/gen.cdx.json" >"$TMP/gen.ours"
rpm --root "$G/root" --dbpath /var/lib/rpm -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n' \
	2>/dev/null | LC_ALL=C sort >"$TMP/gen.rpm"
same "$TMP/gen.ours" "$TMP/gen.rpm" "packages equal rpm --root ROOT -qa: name, epoch, version-release, arch"
for p in alpha beta gamma; do
	# files: rpm -ql less directories (the SBOM lists files)
	rpm --root "$G/root" --dbpath /var/lib/rpm -ql "$p" 2>/dev/null | while read -r f; do
		[ -d "$G/root$f" ] || echo "$f"
	done | LC_ALL=C sort >"$TMP/$p.rpm.files"
	jq -r --arg n "$p" '.components[] | select(.name == $n and (.purl // "" | startswith("pkg:rpm/"))) |
		.evidence.occurrences[]?.location' "$TMP/gen.cdx.json" | LC_ALL=C sort >"$TMP/$p.files"
	same "$TMP/$p.files" "$TMP/$p.rpm.files" "$p: files equal rpm -ql"
	want=$(awk -v p="$p" '$1 == p { print $2 + 1 }' "$G/layers.tsv")
	got=$(jq -r --arg n "$p" '.components[] | select(.name == $n) | .properties[] |
		select(.name == "ocifs:layer") | .value' "$TMP/gen.cdx.json")
	[ "$got" = "$want" ]
	ok $? "$p: layer $got brought its version (want $want: the layer that installed or upgraded it)"
done
beta=$(jq -r '.components[] | select(.name == "beta") | ."bom-ref"' "$TMP/gen.cdx.json")
alpha=$(jq -r '.components[] | select(.name == "alpha") | ."bom-ref"' "$TMP/gen.cdx.json")
jq -e --arg b "$beta" --arg a "$alpha" '.dependencies[] | select(.ref == $b) | .dependsOn | index($a)' \
	"$TMP/gen.cdx.json" >/dev/null
ok $? "beta depends on alpha (its Requires)"
jq -e '.components[] | select(.name == "beta") | .purl | test("epoch=2") and test("upstream=beta-3.1-1.ocifs.src.rpm")' \
	"$TMP/gen.cdx.json" >/dev/null
ok $? "beta's purl: epoch=2, upstream=its source rpm"
echo "Fedora release 39 (Thirty Nine)" >"$G/root/etc/fedora-release" # Trivy's Fedora detection
trivy_same "$G/root" "$TMP/gen.cdx.json" "rpm-built root"

# --- the corpus databases, one image each ------------------------------
corpus() { # corpus NAME FILE DEST OS-RELEASE [DISTRO-FILE CONTENT]
	local r=$TMP/c-$1
	mkdir -p "$r/$(dirname "$3")" "$r/etc"
	cp "$C/$2" "$r/$3" && chmod u+w "$r/$3"
	printf '%b' "$4" >"$r/etc/os-release"
	[ -z "${5:-}" ] || echo "$6" >"$r/etc/$5"
	image "$r" "$TMP/c-$1.img" >/dev/null &&
		"$B" sbom "$TMP/c-$1.img" --format cyclonedx -o "$TMP/c-$1.cdx.json"
	ok $? "$1: ocifs sbom of an image holding $3"
	ours "$TMP/c-$1.cdx.json" >"$TMP/c-$1.ours"
}
if [ ! -d "$C" ]; then
	skip "the shared corpus ($C)"
else
	corpus sqlite cbl-mariner-2.0/rpmdb.sqlite var/lib/rpm/rpmdb.sqlite \
		'NAME="Common Base Linux Mariner"\nID=mariner\nVERSION_ID="2.0"\n' \
		mariner-release "CBL-Mariner 2.0.20220226"
	corpus bdb libuuid-bdb/Packages var/lib/rpm/Packages \
		'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="8.8"\n' \
		redhat-release "Red Hat Enterprise Linux release 8.8 (Ootpa)"
	corpus ndb sle15-bci-ndb/Packages.db usr/lib/sysimage/rpm/Packages.db \
		'NAME="SLES"\nVERSION_ID="15.3"\nID="sles"\nID_LIKE="suse"\n'
	mkdir -p "$TMP/db/sq" "$TMP/db/bdb"
	cp "$C/cbl-mariner-2.0/rpmdb.sqlite" "$TMP/db/sq/" && cp "$C/libuuid-bdb/Packages" "$TMP/db/bdb/"
	chmod -R u+w "$TMP/db"
	q='%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n'
	rpm --dbpath "$TMP/db/sq" -qa --qf "$q" 2>/dev/null | LC_ALL=C sort >"$TMP/sq.rpm"
	rpm --dbpath "$TMP/db/bdb" --define '_db_backend bdb_ro' -qa --qf "$q" 2>/dev/null |
		LC_ALL=C sort >"$TMP/bdb.rpm"
	tail -n +2 "$C/sle15-bci-ndb/expected.tsv" | awk -F'\t' -v OFS='\t' \
		'{ print $2, ($1 == "-" ? "(none)" : $1), $3 "-" $4, $5 }' | LC_ALL=C sort >"$TMP/ndb.tsv"
	[ "$(wc -l <"$TMP/sq.rpm")" -eq 129 ] && [ "$(wc -l <"$TMP/bdb.rpm")" -eq 1 ]
	ok $? "rpm itself lists 129 (SQLite) and 1 (Berkeley DB) packages"
	same "$TMP/c-sqlite.ours" "$TMP/sq.rpm" "SQLite (CBL-Mariner): packages equal rpm --dbpath -qa"
	same "$TMP/c-bdb.ours" "$TMP/bdb.rpm" "Berkeley DB (RHEL 8): packages equal rpm --dbpath -qa (bdb_ro)"
	same "$TMP/c-ndb.ours" "$TMP/ndb.tsv" "NDB (SLE 15): packages equal expected.tsv"
	trivy_same "$TMP/c-sqlite" "$TMP/c-sqlite.cdx.json" "SQLite"
	trivy_same "$TMP/c-bdb" "$TMP/c-bdb.cdx.json" "Berkeley DB"
	trivy_same "$TMP/c-ndb" "$TMP/c-ndb.cdx.json" "NDB"
fi

# --- hostile databases: the sbom is written, no rpm package made up ----
hostile() { # hostile NAME REASON: $TMP/h-NAME holds the database; stderr matches REASON
	image "$TMP/h-$1" "$TMP/h-$1.img" >/dev/null
	"$B" sbom "$TMP/h-$1.img" --format cyclonedx -o "$TMP/h-$1.cdx.json" 2>"$TMP/h-$1.err"
	ok $? "$1: ocifs sbom still writes the document"
	[ "$(ours "$TMP/h-$1.cdx.json" | wc -l)" -eq 0 ]
	ok $? "$1: no rpm package made up"
	grep -q "$2" "$TMP/h-$1.err"
	ok $? "$1: stderr says why ($(head -c 200 "$TMP/h-$1.err"))"
}
mkdir -p "$TMP/h-garbage/var/lib/rpm"
head -c 100000 /dev/urandom >"$TMP/h-garbage/var/lib/rpm/Packages"
hostile garbage "Packages: rpm: not an rpm database"
mkdir -p "$TMP/h-notsqlite/var/lib/rpm"
{ printf 'SQLite format 3\0'; head -c 8000 /dev/urandom; } >"$TMP/h-notsqlite/var/lib/rpm/rpmdb.sqlite"
hostile notsqlite "rpmdb.sqlite: rpm: sqlite: file is not a database"
mkdir -p "$TMP/h-cut/usr/lib/sysimage/rpm"
head -c 4500 "$G/root/var/lib/rpm/rpmdb.sqlite" >"$TMP/h-cut/usr/lib/sysimage/rpm/rpmdb.sqlite"
hostile cut "rpmdb.sqlite: rpm: sqlite: "
if [ -f "$C/libuuid-bdb/Packages" ]; then
	mkdir -p "$TMP/h-loop/var/lib/rpm"
	python3 - "$C/libuuid-bdb/Packages" "$TMP/h-loop/var/lib/rpm/Packages" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
ps = struct.unpack_from('<I', b, 20)[0]
for pg in range(1, len(b) // ps):
    o = pg * ps
    if b[o + 25] == 7:   # overflow page: 1 byte used, next = itself
        struct.pack_into('<I', b, o + 16, pg)
        struct.pack_into('<H', b, o + 22, 1)
open(sys.argv[2], 'wb').write(b)
PY
	hostile loop "Packages: rpm: bdb: overflow chain loops"
fi
done_testing
