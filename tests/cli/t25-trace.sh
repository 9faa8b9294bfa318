#!/bin/bash
# `--trace FILE` on every command (DESIGN §11). Oracles: the OTLP/JSON
# encoding rules checked by python3 (32-hex traceId equal across spans,
# unique 16-hex spanIds, parents that exist, start <= end, 64-bit ints
# as decimal strings, strict UTF-8), `tar -tf` of each layer blob (the
# entries of "index layer N") and `stat` of the blob (its compressed
# bytes), the files this test planted (a non-ELF executable, a non-ELF
# ".so", a truncated ELF, a Go binary whose build info was wiped) and,
# in the Debian root, the dpkg database (.list files) for the package
# that owns an ELF file.
. "$(dirname "$0")/../lib.sh"

need python3 tar gzip gcc go || { done_testing; exit; }
B=$OCIFS_BIN

check() { python3 "$OCIFS_SRCDIR/tests/gen/otlp.py" check "$@"; }
q() { local f=$1 w=$2; shift 2; python3 "$OCIFS_SRCDIR/tests/gen/otlp.py" "$w" "$f" "$@"; }

# --- an image with the files a cataloger rejects -----------------------
R=$TMP/root
mkdir -p "$R/bin" "$R/lib" "$R/usr/bin" "$R/etc" "$TMP/gosrc"
printf 'echo hello\n' >"$R/bin/notelf"        # executable, no #!, not ELF
chmod 755 "$R/bin/notelf"
printf 'not a library' >"$R/lib/libfake.so.1"
printf 'int main(void){return 0;}\n' >"$TMP/m.c"
gcc -O2 -o "$TMP/dyn" "$TMP/m.c"
head -c 300 "$TMP/dyn" >"$R/usr/bin/trunc"    # an ELF cut short
chmod 755 "$R/usr/bin/trunc"
cp "$TMP/dyn" "$R/usr/bin/dyn"
printf '\177ELFjunk' >"$R/bin/$(printf 'bad\377name')" # a name that is not UTF-8
chmod 755 "$R/bin/$(printf 'bad\377name')"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n' >"$TMP/gosrc/main.go"
printf 'module example.com/hi\n\ngo 1.17\n' >"$TMP/gosrc/go.mod"
gocache=$(env -u XDG_CACHE_HOME go env GOCACHE)
(cd "$TMP/gosrc" && GOCACHE="$gocache" GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=off \
	go build -ldflags=-buildid= -o "$TMP/hi" .) 2>"$TMP/go.err"
ok $? "go build -ldflags=-buildid=" || diag "$(cat "$TMP/go.err")"
# wipe the build info's magic: a Go binary (pclntab) with no build info
python3 - "$TMP/hi" "$R/usr/bin/hi" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
m = b"\xff Go buildinf:"
assert b.count(m) == 1, "build info magic not found once"
open(sys.argv[2], "wb").write(b.replace(m, b"\0NOT buildinf:"))
EOF
ok $? "Go binary with its build info wiped"
chmod 755 "$R/usr/bin/hi"
echo one >"$R/etc/f"
mkdir -p "$R/var/lib/dpkg"                    # a database with a broken line 3
printf 'Package: foo\nStatus: install ok installed\nVersion 1.0\n' >"$R/var/lib/dpkg/status"
(cd "$R" && tar --numeric-owner -czf "$TMP/l1.tgz" .)
mkdir -p "$TMP/r2/etc"
echo two >"$TMP/r2/etc/f"
(cd "$TMP/r2" && tar --numeric-owner -cf "$TMP/l2.tar" etc)
mkoci "$TMP/img" "$TMP/l1.tgz" "$TMP/l2.tar"

# --- deps ----------------------------------------------------------------
"$B" deps "$TMP/img" --trace "$TMP/deps.json" >/dev/null 2>"$TMP/deps.err"
ok $? "deps --trace exits 0" || diag "$(cat "$TMP/deps.err")"
r=$(check "$TMP/deps.json" "ocifs deps" session open "index layer 1" "index layer 2" \
	"build view" "write document" analyze "catalog elf" "catalog script" "catalog ldso")
[ "$r" = ok ]
ok $? "deps trace: OTLP shape and every stage ($r)"
# index layer N: entries as tar lists them, compressed bytes as stat says
for n in 1 2; do
	blob=$TMP/l$n.tgz
	[ $n = 2 ] && blob=$TMP/l2.tar
	want_e=$(tar -tf "$blob" | wc -l)
	want_b=$(stat -c %s "$blob")
	got_e=$(q "$TMP/deps.json" attr "index layer $n" ocifs.entries)
	got_b=$(q "$TMP/deps.json" attr "index layer $n" ocifs.bytes.compressed)
	[ "$got_e" = "$want_e" ] && [ "$got_b" = "$want_b" ]
	ok $? "index layer $n: $got_e entries (tar -tf: $want_e), $got_b bytes (stat: $want_b)"
done
[ "$(q "$TMP/deps.json" attr "index layer 1" ocifs.index)" = built ]
ok $? "a first open reports the index built"
q "$TMP/deps.json" skips >"$TMP/skips"
grep -qP '^/bin/notelf\telf\texecutable, but its bytes start with neither ELF magic nor #!' "$TMP/skips"
ok $? "skip: a non-ELF executable, and why"
grep -qP '^/lib/libfake\.so\.1\telf\tnamed like a shared library' "$TMP/skips"
ok $? "skip: a .so that is not ELF"
grep -qP '^/usr/bin/trunc\telf\tmalformed ELF.*truncated' "$TMP/skips"
ok $? "skip: a truncated ELF, and why"
grep -qP '^/usr/bin/hi\telf\tGo binary \(go[0-9.]+\) without build info' "$TMP/skips"
ok $? "skip: a Go binary without build info"
grep -qP '^/bin/bad\\377name\telf\tELF magic, but not an ELF file' "$TMP/skips"
ok $? "skip: a broken ELF whose name is not UTF-8 (escaped in valid UTF-8)"
! grep -q '^/etc/f	' "$TMP/skips" && ! grep -q '^/usr/bin/dyn	' "$TMP/skips"
ok $? "no skip for a data file (never a candidate) or a good ELF"
[ "$(q "$TMP/deps.json" attr "catalog elf" ocifs.skipped)" = "$(grep -c '	elf	' "$TMP/skips")" ]
ok $? "catalog elf counts its skips"
[ "$(q "$TMP/deps.json" attr "write document" ocifs.source | sort -u | tr '\n' ' ')" = "built " ]
ok $? "first run: view and deps.json built"

# a second run: everything from the cache
"$B" deps "$TMP/img" --trace "$TMP/deps2.json" >/dev/null 2>&1
[ "$(check "$TMP/deps2.json" "ocifs deps")" = ok ] &&
	[ "$(q "$TMP/deps2.json" attr "index layer 1" ocifs.index)" = reused ] &&
	[ "$(q "$TMP/deps2.json" attr "write document" ocifs.source | sort -u | tr '\n' ' ')" = "cache " ] &&
	! grep -q '"analyze"' "$TMP/deps2.json"
ok $? "second run: indexes reused, documents from the cache, no analysis"

# --- inspect, index, ls, verify ------------------------------------------
"$B" inspect "$TMP/img" --trace "$TMP/inspect.json" >/dev/null 2>&1
r=$(check "$TMP/inspect.json" "ocifs inspect" session open)
[ "$r" = ok ] && ! grep -q '"index layer' "$TMP/inspect.json"
ok $? "inspect trace: open, no layers ($r)"
XDG_CACHE_HOME=$TMP/cache2 "$B" index "$TMP/img" --trace "$TMP/index.json" >/dev/null 2>&1
r=$(check "$TMP/index.json" "ocifs index" "index layer 1" "index layer 2" "build index")
[ "$r" = ok ] && [ "$(q "$TMP/index.json" attr "index layer 2" ocifs.entries)" = "$(tar -tf "$TMP/l2.tar" | wc -l)" ]
ok $? "index trace: every layer indexed ($r)"
"$B" ls "$TMP/img" /usr/bin --trace "$TMP/ls.json" >/dev/null 2>&1
r=$(check "$TMP/ls.json" "ocifs ls" session "build view")
[ "$r" = ok ]
ok $? "ls trace ($r)"
"$B" verify "$TMP/img" --trace "$TMP/verify.json" >/dev/null 2>&1
r=$(check "$TMP/verify.json" "ocifs verify" verify)
# (layers are verified at once: the spans come in any order)
[ "$r" = ok ] && q "$TMP/verify.json" attr verify ocifs.bytes | grep -qx "$(stat -c %s "$TMP/l1.tgz")"
ok $? "verify trace: a verify span per blob, with its bytes ($r)"

# --- a failing command still writes its trace ----------------------------
"$B" ls "$TMP/img" /no/such --trace "$TMP/fail.json" >/dev/null 2>&1
st=$?
r=$(check "$TMP/fail.json" "ocifs ls")
[ $st -ne 0 ] && [ "$r" = ok ] && [ "$(q "$TMP/fail.json" status "ocifs ls")" = 2 ] &&
	[ "$(q "$TMP/fail.json" attr "ocifs ls" ocifs.exit_status)" = "$st" ]
ok $? "a failing ls writes its trace, the root span in error with the exit status ($r)"
"$B" deps "$TMP/nonexistent" --trace "$TMP/fail2.json" >/dev/null 2>&1
st=$?
[ $st -ne 0 ] && [ "$(check "$TMP/fail2.json" "ocifs deps" open)" = ok ] &&
	[ "$(q "$TMP/fail2.json" status open)" = 2 ]
ok $? "an image that does not open: the open span failed"
expect_fail 1 'trace' "--trace into a missing directory: one line naming the file" -- \
	"$B" inspect "$TMP/img" --trace "$TMP/no/dir/t.json"
expect_fail 2 'missing argument' "--trace without FILE is a usage error" -- "$B" inspect "$TMP/img" --trace

# --- UPX: a packed program whose payload was damaged ----------------------
upx_part() {
	local D=${OCIFS_FIXTURES:-${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests}/registry
	if ! sh "$OCIFS_SRCDIR/tests/gen/upxbins.sh" "$D" >"$TMP/fetch.log" 2>&1; then
		skip "npm registry or tools unavailable: $(tail -n 1 "$TMP/fetch.log")"
		return
	fi
	mkdir -p "$TMP/up/usr/bin"
	cp "$D/packed/chello.nrv2b" "$TMP/up/usr/bin/good"
	python3 - "$TMP/up/usr/bin/good" "$TMP/up/usr/bin/bad" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(b) // 2, len(b) // 2 + 64):   # the middle of the packed payload
    b[i] ^= 0x5a
open(sys.argv[2], "wb").write(b)
EOF
	chmod 755 "$TMP/up/usr/bin/good" "$TMP/up/usr/bin/bad"
	(cd "$TMP/up" && tar --numeric-owner -cf "$TMP/up.tar" usr)
	mkoci "$TMP/upimg" "$TMP/up.tar"
	"$B" deps "$TMP/upimg" --trace "$TMP/up.json" >/dev/null 2>&1
	q "$TMP/up.json" skips >"$TMP/up.skips"
	grep -qP '^/usr/bin/bad\telf\tUPX-packed, unpacking failed: corrupt' "$TMP/up.skips" &&
		! grep -q '^/usr/bin/good' "$TMP/up.skips"
	ok $? "skip: a UPX program whose payload is damaged (the intact copy unpacks)"
}
upx_part

# --- sbom: package ownership in the Debian root ---------------------------
"$B" sbom "$TMP/img" --trace "$TMP/sbom.json" >/dev/null 2>&1
r=$(check "$TMP/sbom.json" "ocifs sbom" "catalog dpkg" "catalog gomod" "catalog binary")
[ "$r" = ok ]
ok $? "sbom trace: every cataloger's span ($r)"
q "$TMP/sbom.json" skips | grep -qP '^/var/lib/dpkg/status\tdpkg\tdpkg: line 3: '
ok $? "skip: a dpkg database line that could not be parsed (line 3)"
"$B" sbom "$TMP/img" --format spdx -o "$TMP/spdx.out" --trace "$TMP/spdx.json" 2>/dev/null
[ "$(q "$TMP/spdx.json" attr "write document" ocifs.document | tr '\n' ' ')" = "view sbom spdx " ] &&
	[ "$(q "$TMP/spdx.json" attr "write document" ocifs.bytes | tail -1)" = "$(stat -c %s "$TMP/spdx.out")" ]
ok $? "sbom --format spdx: a write document span per document, the SPDX one with the bytes written"

debian() {
	[ "$(id -u)" -eq 0 ] || { skip "the Debian root needs root"; return; }
	D=$(debian_root) || { skip "no Debian root (needs root and Debian's mirror)"; return; }
	R=$D/rootfs
	"$B" sbom "$D/oci-gzip" --trace "$TMP/deb.json" >/dev/null 2>"$TMP/deb.err"
	ok $? "sbom of the Debian image with --trace" || diag "$(tail -3 "$TMP/deb.err")"
	[ "$(check "$TMP/deb.json" "catalog binary")" = ok ]
	ok $? "Debian trace: OTLP shape"
	q "$TMP/deb.json" skips | grep -P '\tbinary\t' >"$TMP/deb.owned"
	# dpkg's own database says which package lists /usr/bin/dpkg
	pkg=$(grep -lx /usr/bin/dpkg "$R"/var/lib/dpkg/info/*.list | head -1)
	pkg=$(basename "$pkg" .list)
	pkg=${pkg%%:*}
	grep -qP "^/usr/bin/dpkg\tbinary\towned by package \Q$pkg\E .*: no pkg:generic component" \
		"$TMP/deb.owned"
	ok $? "skip: /usr/bin/dpkg gets no pkg:generic component, owned by $pkg (dpkg -S)"
	n=$(wc -l <"$TMP/deb.owned")
	[ "$(q "$TMP/deb.json" attr "catalog binary" ocifs.skipped)" = "$n" ] && [ "$n" -gt 50 ]
	ok $? "catalog binary counts $n owned ELF files"
}
debian

done_testing
