#!/bin/bash
# libarchive is loaded with dlopen the first time an archive is wanted
# (scan/archive.c): with it, a jar's Maven coordinates become a component;
# without it (the library file made unreadable inside `unshare -m`, the
# host untouched), `ocifs sbom` still exits 0, finds nothing in the jar
# and says so in exactly one warning naming libarchive, instead of letting
# the jar's packages vanish silently. An image without jars never loads it.
. "$(dirname "$0")/../lib.sh"

need python3 tar jq unshare mount ldconfig || { done_testing; exit; }
B=$OCIFS_BIN
LIBA=$(ldconfig -p | awk '/libarchive\.so\.[0-9]+ .*x86-64/ { print $NF; exit }')
[ -n "$LIBA" ] || LIBA=$(ldconfig -p | awk '/libarchive\.so\.[0-9]+ / { print $NF; exit }')
LIBA=$(readlink -f "$LIBA")
[ -f "$LIBA" ]
ok $? "libarchive found by ldconfig ($LIBA)" || { done_testing; exit; }
SUM=$(sha256sum "$LIBA")

mkdir -p "$TMP/root/app" "$TMP/plain/etc"
python3 - "$TMP/root/app/demo-1.2.3.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF",
               "Manifest-Version: 1.0\nImplementation-Title: demo\nImplementation-Version: 1.2.3\n")
    z.writestr("META-INF/maven/org.example/demo/pom.properties",
               "groupId=org.example\nartifactId=demo\nversion=1.2.3\n")
PY
echo hello >"$TMP/plain/etc/hello"
tar -C "$TMP/root" -cf "$TMP/jar.tar" .
tar -C "$TMP/plain" -cf "$TMP/plain.tar" .
mkoci "$TMP/img" "$TMP/jar.tar" >/dev/null
mkoci "$TMP/noj" "$TMP/plain.tar" >/dev/null

maven() { jq -c '[.components[] | select(.purl != null and (.purl | startswith("pkg:maven/"))) | .purl]' "$1"; }

# with libarchive: the jar's coordinates, no warning
XDG_CACHE_HOME=$TMP/c1 "$B" sbom "$TMP/img" >"$TMP/with.json" 2>"$TMP/with.err"
rc=$?
[ $rc -eq 0 ] && [ "$(maven "$TMP/with.json")" = '["pkg:maven/org.example/demo@1.2.3"]' ] &&
	! grep -q libarchive "$TMP/with.err"
ok $? "with libarchive: the jar is pkg:maven/org.example/demo@1.2.3 (exit $rc)" ||
	diag "$(maven "$TMP/with.json") $(cat "$TMP/with.err")"

# without: the library file is /dev/null in a private mount namespace
without() { # without IMAGE OUT ERR
	unshare -m sh -c 'mount --bind /dev/null "$1" && exec "$2" sbom "$3"' sh "$LIBA" "$B" "$1" \
		>"$2" 2>"$3" </dev/null
}
XDG_CACHE_HOME=$TMP/c2 without "$TMP/img" "$TMP/without.json" "$TMP/without.err"
rc=$?
[ $rc -eq 0 ] && jq -e .components "$TMP/without.json" >/dev/null && [ "$(maven "$TMP/without.json")" = '[]' ]
ok $? "without libarchive: exit 0, an SBOM, and no maven component (exit $rc)" ||
	diag "$(cat "$TMP/without.err")"
[ "$(grep -c . "$TMP/without.err")" = 1 ] &&
	grep -q '^ocifs: warning: java: libarchive cannot be loaded (.*): the contents of jar, war and ear files are not analyzed$' \
		"$TMP/without.err"
ok $? "without libarchive: exactly one warning, naming libarchive and what is lost" ||
	diag "$(cat "$TMP/without.err")"

# an image without a jar never asks for libarchive: no warning either
XDG_CACHE_HOME=$TMP/c3 without "$TMP/noj" "$TMP/noj.json" "$TMP/noj.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$TMP/noj.err" ]
ok $? "without libarchive, an image with no jar: exit 0 and no warning (exit $rc)" ||
	diag "$(cat "$TMP/noj.err")"

# the host's library is untouched
[ "$(sha256sum "$LIBA")" = "$SUM" ] && ! grep -q " $LIBA " /proc/self/mountinfo
ok $? "the host's $LIBA is untouched (same sha256, nothing mounted over it)"

done_testing
