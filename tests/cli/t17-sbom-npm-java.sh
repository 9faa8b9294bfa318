#!/bin/bash
# `ocifs sbom` on npm and Java packages (scan/cat_npm.c, scan/cat_java.c).
# Oracles nobody here wrote: `npm install` of real packages and `npm ls
# --all --json` of the same tree (every name@version, every resolved
# dependency edge), Trivy's own scan of the same tree where Trivy is
# present; Debian's lib*-java jars with Maven metadata (their
# pom.properties, read by python's zipfile, and sha256sum); a Spring Boot
# style fat jar made by the JDK's `jar` with two of those jars in
# BOOT-INF/lib. Hostile: a package.json that is not JSON, a 1 GiB sparse
# one, cyclic dependencies, a fixture laid out like a package, a jar bomb
# (deep nesting, a 256 MiB member of zeros, a member lying about its
# size), a truncated and a garbage jar: bounded time and memory, reasons
# recorded, never a crash.
. "$(dirname "$0")/../lib.sh"

need npm node jq python3 tar gzip jar dpkg-deb apt-get flock sha256sum || { done_testing; exit; }
B=$OCIFS_BIN

# --- downloads, kept per build tree (like t08's Debian root) ----------------
FIX="${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/t17"
mkdir -p "$FIX"
(
	flock 9
	[ -f "$FIX/.done" ] && exit 0
	rm -rf "$FIX/npm" "$FIX/debs" "$FIX/java"
	mkdir -p "$FIX/npm/app" "$FIX/debs" "$FIX/java"
	(cd "$FIX/npm/app" && npm install --no-audit --no-fund --loglevel=error \
		express@4 @types/node lodash) >"$FIX/npm.log" 2>&1 || exit 1
	(cd "$FIX/debs" && apt-get download libcommons-lang3-java libcommons-io-java \
		libslf4j-java) >"$FIX/apt.log" 2>&1 || exit 1
	for d in "$FIX"/debs/*.deb; do dpkg-deb -x "$d" "$FIX/java" || exit 1; done
	touch "$FIX/.done"
) 9>"$FIX.lock"
ok $? "npm install of express@4 @types/node lodash; apt-get download of three lib*-java" || {
	tail -n 5 "$FIX"/*.log | sed 's/^/# /'
	done_testing
	exit
}

# --- layer 1: the npm tree and Debian's jars --------------------------------
L1=$TMP/l1
mkdir -p "$L1/usr/share/java"
cp -a "$FIX/npm/app" "$L1/app"
# an application's own package.json (Trivy and Syft report it), and one
# that names no package
mkdir -p "$L1/srv/web" "$L1/srv/tool"
printf '{"name":"web-app","version":"1.2.3","license":"MIT","dependencies":{"express":"4"}}' >"$L1/srv/web/package.json"
printf '{"compilerOptions":{}}' >"$L1/srv/tool/package.json"
for j in commons-lang3 commons-io slf4j-api; do
	cp "$(readlink -f "$FIX/java/usr/share/java/$j.jar")" "$L1/usr/share/java/$j.jar"
done

# --- layer 2: a fat jar built by the JDK's jar tool -------------------------
FAT=$TMP/fat
mkdir -p "$FAT/BOOT-INF/lib" "$FAT/BOOT-INF/classes/com/example"
cp "$L1/usr/share/java/commons-lang3.jar" "$FAT/BOOT-INF/lib/commons-lang3-3.12.0.jar"
cp "$L1/usr/share/java/slf4j-api.jar" "$FAT/BOOT-INF/lib/slf4j-api-1.7.32.jar"
echo 'class placeholder' >"$FAT/BOOT-INF/classes/com/example/App.txt"
# 6 MB of noise: the jar is bigger than what the pipeline reads into
# memory, so it is read in place, seeking through its compressed layer
head -c 6000000 /dev/urandom >"$FAT/BOOT-INF/classes/blob.bin"
printf 'Main-Class: org.springframework.boot.loader.JarLauncher\n' >"$TMP/fat.mf"
L2=$TMP/l2
mkdir -p "$L2/srv"
jar --create --no-compress --file "$L2/srv/app.jar" --manifest "$TMP/fat.mf" -C "$FAT" . 2>"$TMP/jar.err"
ok $? "jar built the fat jar" || sed 's/^/# /' "$TMP/jar.err"

# --- layer 3: hostile files ---------------------------------------------------
L3=$TMP/l3
H=$L3/hostile/node_modules
mkdir -p "$H/broken" "$H/huge" "$H/cyc-a/test/fixtures" "$H/cyc-b" "$L3/opt"
printf '{"name": "broken", "version": "1.0.0",\n  this is not JSON\n' >"$H/broken/package.json"
printf '{"name":"huge","version":"1.0.0",' >"$H/huge/package.json"
truncate -s 1G "$H/huge/package.json"
printf '{"name":"cyc-a","version":"1.0.0","dependencies":{"cyc-b":"1"}}' >"$H/cyc-a/package.json"
printf '{"name":"cyc-b","version":"2.0.0","dependencies":{"cyc-a":"1"}}' >"$H/cyc-b/package.json"
printf '{"name":"fixture","version":"9.9.9"}' >"$H/cyc-a/test/fixtures/package.json"
python3 - "$L3/opt/bomb.jar" <<'EOF'
import io, sys, zipfile
# ten zips nested in each other (stored), then the bomb: its own
# pom.properties, the nest, and 256 MiB of zeros deflated to ~256 KiB
inner = b""
for level in range(10, 0, -1):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        z.writestr("META-INF/maven/bomb/level%d/pom.properties" % level,
                   "groupId=bomb\nartifactId=level%d\nversion=1\n" % level)
        if inner:
            z.writestr("lib/level%d-1.jar" % (level + 1), inner)
    inner = b.getvalue()
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/maven/bomb/top/pom.properties", "groupId=bomb\nartifactId=top\nversion=1\n")
    z.writestr("lib/level1-1.jar", inner, zipfile.ZIP_STORED)
    with z.open("lib/zeros-1.jar", "w", force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(256):
            f.write(chunk)
EOF
ok $? "python zipfile built the jar bomb ($(stat -c %s "$L3/opt/bomb.jar") bytes)"
python3 - "$L3/opt/liar.jar" <<'EOF'
import struct, sys, zipfile
# a member whose headers claim 1000 bytes but which inflates to 256 MiB
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("lib/liar-1.jar", bytes(256 << 20))
    z.writestr("META-INF/maven/liar/liar/pom.properties", "groupId=liar\nartifactId=liar\nversion=1\n")
b = bytearray(open(sys.argv[1], "rb").read())
assert b[0:4] == b"PK\3\4"
struct.pack_into("<I", b, 22, 1000)                 # local header
cd = b.find(b"PK\1\2")
struct.pack_into("<I", b, cd + 24, 1000)            # central directory
open(sys.argv[1], "wb").write(b)
EOF
ok $? "python zipfile built a jar whose member lies about its size"
head -c 100000 "$L1/usr/share/java/commons-lang3.jar" >"$L3/opt/truncated.jar"
head -c 70000 /dev/urandom >"$L3/opt/junk.jar"

tar -C "$L1" -czf "$TMP/l1.tar.gz" .
tar -C "$L2" -czf "$TMP/l2.tar.gz" .
tar -C "$L3" --sparse -czf "$TMP/l3.tar.gz" .
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.gz" "$TMP/l3.tar.gz"

# --- the SBOM ---------------------------------------------------------------
start=$(date +%s)
max_rss_kb "$TMP/rss" timeout 120 "$B" sbom "$TMP/img" --format cyclonedx >"$TMP/sbom.json" 2>"$TMP/sbom.err"
ok $? "ocifs sbom succeeds on the hostile image" || sed 's/^/# /' "$TMP/sbom.err"
secs=$(($(date +%s) - start))
rss=$(cat "$TMP/rss")
[ "$secs" -le 60 ] && [ "$rss" -le 800000 ]
ok $? "bounded: ${secs}s, ${rss} KiB peak RSS (jar bomb and 1 GiB package.json included)"
V=$OCIFS_VALIDATE_SBOM
if [ -x "$V" ] && python3 -c 'import jsonschema' 2>/dev/null; then
	"$V" "$TMP/sbom.json" >"$TMP/validate.log" 2>&1
	ok $? "the document passes the CycloneDX 1.6 schema" || tail -n 5 "$TMP/validate.log" | sed 's/^/# /'
else
	skip "validate-sbom or python3-jsonschema missing"
fi

# --- npm against npm ls -------------------------------------------------------
(cd "$L1/app" && npm ls --all --json) >"$TMP/npmls.json" 2>"$TMP/npmls.err"
python3 - "$TMP/npmls.json" "$TMP/sbom.json" >"$TMP/npm.cmp" <<'EOF'
import json, sys
ls = json.load(open(sys.argv[1])); cdx = json.load(open(sys.argv[2]))
pk, edges = set(), set()
def walk(node, parent):
    for name, d in (node.get("dependencies") or {}).items():
        v = d.get("version")
        if not v:
            continue
        pk.add(name + "@" + v)
        if parent:
            edges.add((parent, name + "@" + v))
        walk(d, name + "@" + v)
walk(ls, None)
def prop(c, k):
    return [p["value"] for p in c.get("properties", []) if p["name"] == k]
def nv(c):
    g = c.get("group")
    return (g + "/" if g else "") + c["name"] + "@" + c.get("version", "")
comps = {c["bom-ref"]: c for c in cdx["components"]}
npm = {r: c for r, c in comps.items() if c.get("purl", "").startswith("pkg:npm/")
       and any(s.startswith("/app/node_modules/") for s in prop(c, "ocifs:source"))}
ours = {nv(c) for c in npm.values()}
oe = set()
for d in cdx.get("dependencies", []):
    if d["ref"] in npm:
        oe.update((nv(npm[d["ref"]]), nv(comps[t])) for t in d.get("dependsOn", []) if t in npm)
print("packages", len(pk), "missing", sorted(pk - ours), "extra", sorted(ours - pk))
print("edges", len(edges), "missing", sorted(edges - oe), "extra", sorted(oe - edges))
EOF
diag "$(head -c 600 "$TMP/npm.cmp")"
n=$(awk '/^packages/ { print $2 }' "$TMP/npm.cmp")
grep -q '^packages [0-9]* missing \[\] extra \[\]$' "$TMP/npm.cmp" && [ "${n:-0}" -ge 60 ]
ok $? "npm: the $n name@version of npm ls --all, no more, no less"
grep -q '^edges [1-9][0-9]* missing \[\] extra \[\]$' "$TMP/npm.cmp"
ok $? "npm: every dependency edge npm ls resolves, to the same version, and no other"

tv=$(jq -r '.dependencies["@types/node"].version' "$TMP/npmls.json")
jq -e --arg p "pkg:npm/%40types/node@$tv" \
	'[.components[] | select(.purl == $p and .group == null and .name == "@types/node")] | length == 1' \
	"$TMP/sbom.json" >/dev/null
ok $? "npm: scoped purl pkg:npm/%40types/node@$tv, named @types/node as Trivy names it"
for p in express lodash; do
	want=$(node -p "require('$L1/app/node_modules/$p/package.json').license")
	got=$(jq -r --arg n "$p" '.components[] | select(.purl != null and (.purl | startswith("pkg:npm/" + $n + "@"))) | .licenses[0].license.name' "$TMP/sbom.json")
	[ -n "$want" ] && [ "$got" = "$want" ]
	ok $? "npm: $p's license $got (node: $want)"
done
jq -e '[.components[] | select(.purl != null and (.purl | startswith("pkg:npm/express@")))
	| .properties[] | select(.name == "ocifs:layer") | .value] == ["1"]' "$TMP/sbom.json" >/dev/null
ok $? "npm: express from layer 1"

T=$(trivy_bin) || T=""
if [ -n "$T" ]; then
	mkdir -p "$TMP/tv"
	cp -a "$L1/app" "$L1/srv" "$TMP/tv/"
	TRIVY_CACHE_DIR=$TMP/trivy timeout 300 "$T" rootfs --format cyclonedx --offline-scan -q \
		"$TMP/tv" >"$TMP/trivy.json" 2>"$TMP/trivy.err"
	jq -r '.components[]?.purl' "$TMP/trivy.json" | sort >"$TMP/trivy.purls"
	jq -r '.components[] | select(.purl != null and (.purl | startswith("pkg:npm/"))) | select([.properties[] | select(.name == "ocifs:source" and (.value | test("^/(app|srv)/")))] | length > 0) | .purl' \
		"$TMP/sbom.json" | sort >"$TMP/ours.purls"
	[ -s "$TMP/trivy.purls" ] && cmp -s "$TMP/trivy.purls" "$TMP/ours.purls"
	ok $? "npm: the same $(wc -l <"$TMP/ours.purls") purls as Trivy's own scan of the tree" ||
		diff "$TMP/trivy.purls" "$TMP/ours.purls" | head -n 10 | sed 's/^/# /'
else
	skip "Trivy not installed: no comparison with its npm scan"
fi

jq -e '[.components[] | select(.purl == "pkg:npm/web-app@1.2.3") | .properties[] |
	select(.name == "ocifs:npm:root" and .value == "true")] | length == 1' "$TMP/sbom.json" >/dev/null
ok $? "npm: an application's own package.json outside node_modules, marked ocifs:npm:root"
jq -e '[.components[] | .properties[]? | select(.name == "ocifs:source" and .value == "/srv/tool/package.json")] | length == 0' \
	"$TMP/sbom.json" >/dev/null
ok $? "npm: a package.json outside node_modules that names no package is none"

# --- npm hostile ---------------------------------------------------------------
hostile() { # NAME: the component of /hostile/node_modules/NAME
	jq -c --arg s "/hostile/node_modules/$1/package.json" \
		'[.components[] | select([.properties[] | select(.name == "ocifs:source" and .value == $s)] | length > 0)]' \
		"$TMP/sbom.json"
}
hostile broken | jq -e 'length == 1 and .[0].name == "broken" and (.[0].version == null) and
	([.[0].properties[] | select(.name == "ocifs:error")] | length == 1)' >/dev/null
ok $? "npm: a package.json that is not JSON: its directory's name, no version, ocifs:error"
hostile huge | jq -e 'length == 1 and .[0].name == "huge" and
	([.[0].properties[] | select(.name == "ocifs:error" and (.value | test("more than")))] | length == 1)' >/dev/null
ok $? "npm: a 1 GiB package.json is read no further than its cap, with a reason"
a=$(hostile cyc-a | jq -r '.[0]["bom-ref"]')
b=$(hostile cyc-b | jq -r '.[0]["bom-ref"]')
jq -e --arg a "$a" --arg b "$b" '([.dependencies[] | select(.ref == $a) | .dependsOn[]] | index($b)) != null and
	([.dependencies[] | select(.ref == $b) | .dependsOn[]] | index($a)) != null' "$TMP/sbom.json" >/dev/null
ok $? "npm: cyclic dependencies cyc-a <-> cyc-b both kept"
jq -e '[.components[] | select(.name == "fixture")] | length == 0' "$TMP/sbom.json" >/dev/null
ok $? "npm: a package.json deeper inside a package is not a package"

# --- Java: Debian's jars against their pom.properties ----------------------------
python3 - "$L1/usr/share/java" "$FAT/BOOT-INF/lib" >"$TMP/java.want" <<'EOF'
import hashlib, os, sys, zipfile
# SOURCE PURL SHA256 of each jar, from its own pom.properties
for root, prefix in ((sys.argv[1], "/usr/share/java/"), (sys.argv[2], "/srv/app.jar!/BOOT-INF/lib/")):
    for f in sorted(os.listdir(root)):
        p = os.path.join(root, f)
        z = zipfile.ZipFile(p)
        for n in z.namelist():
            if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
                kv = dict(l.split("=", 1) for l in z.read(n).decode().splitlines() if "=" in l and not l.startswith("#"))
                print(prefix + f, "pkg:maven/%s/%s@%s" % (kv["groupId"], kv["artifactId"], kv["version"]),
                      hashlib.sha256(open(p, "rb").read()).hexdigest())
EOF
jq -r '.components[] | select(.purl != null and (.purl | startswith("pkg:maven/"))) |
	([.properties[] | select(.name == "ocifs:source") | .value][0]) + " " + .purl + " " +
	((.hashes // [])[0].content // "-")' "$TMP/sbom.json" | grep -v -e '^/opt/' | sort >"$TMP/java.got"
sort -o "$TMP/java.want" "$TMP/java.want"
[ "$(wc -l <"$TMP/java.want")" -eq 5 ] && cmp -s "$TMP/java.want" "$TMP/java.got"
ok $? "java: 3 Debian jars + 2 nested in the fat jar: purl from pom.properties, sha256, source" ||
	diff "$TMP/java.want" "$TMP/java.got" | sed 's/^/# /'
jq -e '[.components[] | select(.purl != null and (.purl | startswith("pkg:maven/org.slf4j/slf4j-api@"))) |
	.properties[] | select(.name == "ocifs:layer") | .value] | sort == ["1", "2"]' "$TMP/sbom.json" >/dev/null
ok $? "java: slf4j-api from layer 1 (/usr/share/java) and layer 2 (the fat jar)"

# --- Java hostile ---------------------------------------------------------------
jq -c '[.components[] | select(.purl != null and (.purl | startswith("pkg:maven/bomb/")))]' \
	"$TMP/sbom.json" >"$TMP/bomb.json"
jq -e '[.[].name] | sort == ["level1", "level2", "level3", "top"]' "$TMP/bomb.json" >/dev/null
ok $? "jar bomb: its top and three nested levels read, no deeper ($(jq -c '[.[].name]' "$TMP/bomb.json"))"
jq -e 'all(.[]; [.properties[] | select(.name == "ocifs:error" and (.value | test("deep|more than|budget")))] | length == 1)' \
	"$TMP/bomb.json" >/dev/null
ok $? "jar bomb: the reason is recorded ($(jq -r '[.[0].properties[] | select(.name == "ocifs:error") | .value][0]' "$TMP/bomb.json"))"
jq -e '[.components[] | select(.purl == "pkg:maven/liar/liar@1") | .properties[] |
	select(.name == "ocifs:error" and (.value | test("liar-1.jar")))] | length == 1' "$TMP/sbom.json" >/dev/null
ok $? "lying member: read no further than the member limit, its reason on the jar's component ($(jq -r '.components[] | select(.purl == "pkg:maven/liar/liar@1") | .properties[] | select(.name == "ocifs:error") | .value' "$TMP/sbom.json"))"
jq -e '[.components[] | .properties[]? | select(.name == "ocifs:source" and (.value | test("^/opt/(truncated|junk)")))] | length == 0' \
	"$TMP/sbom.json" >/dev/null
ok $? "java: a truncated and a garbage jar give no component and no crash"

done_testing
