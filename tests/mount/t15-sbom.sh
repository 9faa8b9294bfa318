#!/bin/bash
# /.sbom in the mount: /.sbom is /.ocifs/sbom.cdx.json, byte for byte what
# `ocifs sbom` prints, st_size exact from the first lookup, valid against
# the official CycloneDX 1.6 schema, served again from the cache by a
# warm mount, hidden from readdir unless -o show_virtual, read-only.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need gcc python3 tar || { done_testing; exit; }
VALIDATE=$OCIFS_VALIDATE_SBOM
B=$OCIFS_BIN

# An OS release, a dpkg status with one package owning a library, and a
# binary no package owns that links against it.
R=$TMP/root
mkdir -p "$R/usr/bin" "$R/usr/lib" "$R/etc" "$R/var/lib/dpkg/info"
printf 'int f(void){return 1;}\n' >"$TMP/f.c"
gcc -O2 -shared -fPIC -Wl,-soname,libf.so.1 -o "$R/usr/lib/libf.so.1" "$TMP/f.c"
printf 'int f(void); int main(void){return f();}\n' >"$TMP/m.c"
gcc -O2 -o "$R/usr/bin/app" "$TMP/m.c" -L"$R/usr/lib" -l:libf.so.1 -Wl,-rpath,/usr/lib
printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' \
	>"$R/etc/os-release"
printf 'Package: libf1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: f\n\n' \
	>"$R/var/lib/dpkg/status"
printf '/.\n/usr\n/usr/lib\n/usr/lib/libf.so.1\n' >"$R/var/lib/dpkg/info/libf1:amd64.list"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" usr etc var)
mkoci "$TMP/img" "$TMP/l1.tar"

M=$(mnt_dir mnt)
do_mount "$TMP/img" "$M" 2>"$TMP/err"
ok $? "mount" || { diag "$(cat "$TMP/err")"; done_testing; exit; }
size=$(stat -c %s "$M/.sbom")
ok $? "stat /.sbom"
cat "$M/.sbom" >"$TMP/mnt.json"
[ "$(wc -c <"$TMP/mnt.json")" -eq "$size" ] && [ "$size" -gt 100 ]
ok $? "st_size of /.sbom is exact from the first lookup ($size bytes)"
"$B" sbom "$TMP/img" >"$TMP/cli.json"
cmp -s "$TMP/mnt.json" "$TMP/cli.json"
ok $? "/.sbom equals ocifs sbom"
cmp -s "$M/.sbom" "$M/.ocifs/sbom.cdx.json"
ok $? "/.sbom is /.ocifs/sbom.cdx.json"
"$B" sbom "$TMP/img" --format spdx >"$TMP/cli.spdx.json"
ssize=$(stat -c %s "$M/.ocifs/sbom.spdx.json")
cat "$M/.ocifs/sbom.spdx.json" >"$TMP/mnt.spdx.json"
cmp -s "$TMP/mnt.spdx.json" "$TMP/cli.spdx.json" && [ "$(wc -c <"$TMP/mnt.spdx.json")" -eq "$ssize" ]
ok $? "/.ocifs/sbom.spdx.json equals ocifs sbom --format spdx, st_size exact"
if [ -x "$VALIDATE" ] && python3 -c 'import jsonschema' 2>/dev/null; then
	"$VALIDATE" "$M/.sbom" "$M/.ocifs/sbom.spdx.json" >"$TMP/v" 2>&1
	ok $? "/.sbom passes the CycloneDX 1.6 schema, sbom.spdx.json the SPDX 2.3 schema" ||
		diag "$(head -n 5 "$TMP/v")"
else
	skip "no $VALIDATE or python3-jsonschema"
fi
python3 - "$TMP/mnt.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["bom-ref"]: x for x in d["components"]}
deb = [x for x in d["components"] if x.get("purl", "").startswith("pkg:deb/")]
app = [x for x in d["components"] if x["name"] == "app"]
assert len(deb) == 1 and deb[0]["purl"] == "pkg:deb/debian/libf1@1.0-1?arch=amd64&distro=debian-12", deb
assert [o["location"] for o in deb[0]["evidence"]["occurrences"]] == ["/usr/lib/libf.so.1"], deb
assert len(app) == 1 and app[0]["type"] == "application", app
deps = {x["ref"]: x["dependsOn"] for x in d["dependencies"]}
assert deps[app[0]["bom-ref"]] == [deb[0]["bom-ref"]], deps[app[0]["bom-ref"]]
assert set(deps["image"]) == set(c), "image -> every component"
PY
ok $? "the binary no package owns depends on the package owning its library"
[ "$(ls -A "$M" | tr '\n' ' ')" = "etc usr var " ]
ok $? "readdir of the root does not show /.sbom"
echo x 2>/dev/null >"$M/.sbom"
[ $? -ne 0 ]
ok $? "/.sbom is read-only"
"$B" umount "$M"
ok $? "umount"

do_mount "$TMP/img" "$M" -o show_virtual 2>"$TMP/err"
ls -A "$M" | grep -qx .sbom
ok $? "-o show_virtual lists /.sbom"
cmp -s "$M/.sbom" "$TMP/cli.json"
ok $? "a warm mount serves the same document (from the cache)"
"$B" umount "$M"
done_testing
