#!/bin/bash
# `ocifs explain IMAGE PATH [--json]`. Oracles: the layers' own tars
# (tar -tvf / tar -xO: which layer holds the file, its size and sha256),
# the root the image was made from (readlink, realpath, find -samefile),
# `go version -m` of the Go binary, `ocifs deps --json` (the same /.deps
# entry) and, in the Debian root, the dpkg database (the .list file that
# names a library: dpkg -S).
. "$(dirname "$0")/../lib.sh"

need python3 tar gcc go sha256sum || { done_testing; exit; }
B=$OCIFS_BIN

# j FILE EXPR: a python expression over the JSON document d
j() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = eval(sys.argv[2]); print("" if v is None else v)' "$@"; }

R=$TMP/root
mkdir -p "$R/usr/bin" "$R/usr/lib" "$R/etc" "$TMP/gosrc"
printf 'int main(void){return 0;}\n' >"$TMP/m.c"
gcc -O2 -o "$R/usr/bin/dyn" "$TMP/m.c"
ln -s dyn "$R/usr/bin/link"                   # a relative symlink
ln -s ../lib "$R/usr/bin/updir"               # through a directory symlink
ln -s /nowhere "$R/usr/bin/dangling"
echo data >"$R/usr/lib/data.txt"
ln "$R/usr/bin/dyn" "$R/usr/bin/dyn-hard"      # a hard link
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n' >"$TMP/gosrc/main.go"
printf 'module example.com/hi\n\ngo 1.17\n' >"$TMP/gosrc/go.mod"
gocache=$(env -u XDG_CACHE_HOME go env GOCACHE)
(cd "$TMP/gosrc" && GOCACHE="$gocache" GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=off \
	go build -o "$R/usr/bin/hi" .) 2>"$TMP/go.err"
ok $? "go build" || diag "$(cat "$TMP/go.err")"
echo one >"$R/etc/f"
echo doomed >"$R/etc/gone"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" usr etc)
mkdir -p "$TMP/r2/etc"
echo "version two" >"$TMP/r2/etc/f"
: >"$TMP/r2/etc/.wh.gone"
(cd "$TMP/r2" && tar --numeric-owner -cf "$TMP/l2.tar" etc)
mkoci "$TMP/img" "$TMP/l1.tar" "$TMP/l2.tar"

# --- a file replaced in a later layer -----------------------------------
"$B" explain "$TMP/img" /etc/f --json >"$TMP/f.json" 2>"$TMP/f.err"
ok $? "explain /etc/f exits 0" || diag "$(cat "$TMP/f.err")"
want_sha=$(tar -xOf "$TMP/l2.tar" etc/f | sha256sum | cut -d' ' -f1)
want_size=$(tar -tvf "$TMP/l2.tar" etc/f | awk '{print $3}')
[ "$(j "$TMP/f.json" 'd["entry"]["layer"]')" = 2 ] &&
	[ "$(j "$TMP/f.json" 'd["entry"]["sha256"]')" = "$want_sha" ] &&
	[ "$(j "$TMP/f.json" 'd["entry"]["size"]')" = "$want_size" ] &&
	[ "$(j "$TMP/f.json" 'd["entry"]["layer_digest"]')" = "sha256:$(sha256sum <"$TMP/l2.tar" | cut -d' ' -f1)" ]
ok $? "entry: layer 2, its digest, size and sha256 as layer 2's tar has them"
old_sha=$(tar -xOf "$TMP/l1.tar" etc/f | sha256sum | cut -d' ' -f1)
[ "$(j "$TMP/f.json" '" ".join("%d:%s:%s" % (e["layer"], e["event"], e["sha256"]) for e in d["history"])')" = \
	"1:added:$old_sha 2:modified:$want_sha" ]
ok $? "history: added in layer 1, modified in layer 2 (each tar's sha256)"
[ "$(j "$TMP/f.json" 'd["deps"]["in_deps"]')" = False ] &&
	j "$TMP/f.json" 'd["deps"]["why"]' | grep -q 'neither ELF magic nor #!' &&
	[ "$(j "$TMP/f.json" 'd["sbom"]["in_sbom"]')" = False ] &&
	j "$TMP/f.json" 'd["sbom"]["why"]' | grep -q 'no package lists it'
ok $? "not in /.deps nor /.sbom, and why"
"$B" explain "$TMP/img" /etc/f >"$TMP/f.txt" 2>&1
grep -q '^/etc/f: in the image' "$TMP/f.txt" && grep -q "sha256 .*$want_sha" "$TMP/f.txt" &&
	grep -qE '^  layer 2 +modified \(content\)' "$TMP/f.txt"
ok $? "text output says the same" || diag "$(cat "$TMP/f.txt")"

# --- a whiteout-deleted path ----------------------------------------------
expect_fail 1 'etc/gone is not in the merged image \(removed by a whiteout in layer 2: /?etc/\.wh\.gone\)' \
	"explain of a whited-out path: exit 1, one line saying which layer removed it" -- \
	"$B" explain "$TMP/img" /etc/gone
"$B" explain "$TMP/img" /etc/gone --json >"$TMP/gone.json" 2>/dev/null
[ $? = 1 ] && [ "$(j "$TMP/gone.json" 'd["in_image"]')" = False ] &&
	[ "$(j "$TMP/gone.json" '" ".join("%d:%s" % (e["layer"], e["event"]) for e in d["history"])')" = "1:added 2:whiteout" ]
ok $? "--json of the whited-out path: not in the image, added then whited out"
expect_fail 1 'never/was is not in the merged image \(no layer has it\)' \
	"explain of a path no layer has" -- "$B" explain "$TMP/img" /never/was
expect_fail 2 'missing PATH' "explain without PATH is a usage error" -- "$B" explain "$TMP/img"
expect_fail 2 '\.\./etc: path leaves the root' "explain of a path above the root is a usage error" \
	-- "$B" explain "$TMP/img" ../etc
# the man page's SYNOPSIS is the oracle for the commands --help must list
"$B" --help >"$TMP/help" 2>&1
missing=$(sed -n "/^\\.SH SYNOPSIS/,/^\\.SH DESC/s/^\\.B ocifs \\([a-z][a-z]*\\).*/\\1/p" "$OCIFS_SRCDIR/man/ocifs.1" | sort -u |
	while read -r c; do grep -q "^  $c " "$TMP/help" || echo "$c"; done)
[ -z "$missing" ] && "$B" explain --help 2>&1 | grep -q '^usage: ocifs explain .*IMAGE PATH'
ok $? "--help lists every command of the man page's SYNOPSIS" || diag "missing: $missing"

# --- a Go binary -----------------------------------------------------------
"$B" explain "$TMP/img" /usr/bin/hi --json >"$TMP/hi.json" 2>/dev/null
ok $? "explain the Go binary"
gov=$(go version "$R/usr/bin/hi" | awk '{print $2}')
mod=$(go version -m "$R/usr/bin/hi" | awk '$1 == "mod" {print $2}')
[ "$(j "$TMP/hi.json" 'd["deps"]["entry"]["go"]["version"]')" = "$gov" ] &&
	[ "$(j "$TMP/hi.json" 'd["deps"]["entry"]["go"]["build_info"]')" = True ] &&
	[ "$(j "$TMP/hi.json" 'd["deps"]["entry"]["go"]["main"]["path"]')" = "$mod" ]
ok $? "Go: $gov, main module $mod, as go version -m says"
"$B" deps "$TMP/img" /usr/bin/hi --json >"$TMP/hi.deps" 2>/dev/null
python3 - "$TMP/hi.json" "$TMP/hi.deps" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))["deps"]["entry"]
f = json.load(open(sys.argv[2]))["files"]
sys.exit(0 if len(f) == 1 and f[0] == e else 1)
EOF
ok $? "its /.deps entry is the one ocifs deps prints"
j "$TMP/hi.json" 'd["sbom"]["owners"][0]["purl"]' | grep -q "^pkg:golang/$mod" &&
	j "$TMP/hi.json" 'd["sbom"]["why"]' | grep -q 'its own component' &&
	j "$TMP/hi.json" '" ".join(c["purl"] for c in d["sbom"]["source_of"])' | grep -q 'pkg:golang/stdlib@'
ok $? "/.sbom: its own component (its main module), and the source of its Go modules"

# --- symlinks and hard links ------------------------------------------------
"$B" explain "$TMP/img" /usr/bin/link --json >"$TMP/link.json" 2>/dev/null
[ "$(j "$TMP/link.json" 'd["entry"]["symlink"]["target"]')" = "$(readlink "$R/usr/bin/link")" ] &&
	[ "$(j "$TMP/link.json" 'd["entry"]["symlink"]["resolves_to"]')" = "$(realpath "$R/usr/bin/link" | sed "s|^$R||")" ] &&
	[ "$(j "$TMP/link.json" 'd["deps"]["in_deps"]')" = False ]
ok $? "symlink: its target (readlink) and what it resolves to (realpath)"
"$B" explain "$TMP/img" /usr/bin/dangling --json >"$TMP/dl.json" 2>/dev/null
j "$TMP/dl.json" 'd["entry"]["symlink"]["error"]' | grep -q dangling &&
	[ "$(j "$TMP/dl.json" 'd["entry"]["symlink"]["resolves_to"]')" = "" ]
ok $? "a dangling symlink says so"
"$B" explain "$TMP/img" usr/./bin//updir/data.txt --json >"$TMP/up.json" 2>/dev/null
[ "$(j "$TMP/up.json" 'd["path"]')" = /usr/bin/updir/data.txt ] &&
	[ "$(j "$TMP/up.json" 'd["canonical"]')" = "$(realpath "$R/usr/bin/updir/data.txt" | sed "s|^$R||")" ] &&
	[ "$(j "$TMP/up.json" 'd["entry"]["size"]')" = "$(stat -c %s "$R/usr/lib/data.txt")" ]
ok $? "a path is normalized, and found through a directory symlink (realpath)"
"$B" explain "$TMP/img" /usr/bin/dyn --json >"$TMP/dyn.json" 2>/dev/null
want=$(cd "$R" && find . -samefile usr/bin/dyn | sed 's|^\.||' | sort | tr '\n' ' ')
[ "$(j "$TMP/dyn.json" '" ".join(sorted(d["entry"]["hardlinks"])) + " "')" = "$want" ] &&
	[ "$(j "$TMP/dyn.json" 'd["entry"]["nlink"]')" = 2 ]
ok $? "hard links: every name of the inode (find -samefile: $want)"
[ "$(j "$TMP/dyn.json" 'd["deps"]["entry"]["link"]')" = dynamic ] &&
	j "$TMP/dyn.json" '" ".join(n["name"] for n in d["deps"]["entry"]["needed"] if n["path"] is None)' | grep -q 'libc.so'
ok $? "a dynamic ELF: its NEEDED libc not found in this image"

# --- a damaged ELF: the analyzers' warning is said once, not per re-read ----
mkdir -p "$TMP/rt/bin"
head -c 3000 "$R/usr/bin/dyn" >"$TMP/rt/bin/trunc"   # its section headers are cut off
chmod 755 "$TMP/rt/bin/trunc"
(cd "$TMP/rt" && tar --numeric-owner -cf "$TMP/lt.tar" bin)
mkoci "$TMP/imgt" "$TMP/lt.tar"
XDG_CACHE_HOME=$TMP/cache-t1 "$B" deps "$TMP/imgt" >/dev/null 2>"$TMP/t-deps.err"
XDG_CACHE_HOME=$TMP/cache-t2 "$B" explain "$TMP/imgt" /bin/trunc >"$TMP/t.out" 2>"$TMP/t-cold.err"
ok $? "explain a truncated ELF (cold cache)"
XDG_CACHE_HOME=$TMP/cache-t2 "$B" explain "$TMP/imgt" /bin/trunc >/dev/null 2>"$TMP/t-warm.err"
# ocifs deps (one analysis) is the oracle for the warning line
[ "$(grep -c /bin/trunc "$TMP/t-deps.err")" = 1 ] &&
	[ "$(grep -c /bin/trunc "$TMP/t-cold.err")" = 1 ] &&
	grep -Fxq "$(grep /bin/trunc "$TMP/t-deps.err")" "$TMP/t-cold.err" &&
	grep -q 'elf error *truncated' "$TMP/t.out"
ok $? "the analysis warning is printed once, as ocifs deps prints it" ||
	diag "$(cat "$TMP/t-cold.err")"
[ ! -s "$TMP/t-warm.err" ]
ok $? "with the analysis cached, explain warns no more" || diag "$(cat "$TMP/t-warm.err")"

# --- a library a dpkg package owns (the Debian root) ------------------------
debian() {
	[ "$(id -u)" -eq 0 ] || { skip "the Debian root needs root"; return; }
	D=$(debian_root) || { skip "no Debian root (needs root and Debian's mirror)"; return; }
	local lib rel pkg
	lib=$(cd "$D/rootfs" && find usr/lib -name 'libz.so.1.*' -type f | head -1)
	[ -n "$lib" ] || { fail "libz in the Debian root"; return; }
	# dpkg -S by its database: the .list naming it, with or without /usr
	rel=${lib#usr}
	pkg=$(grep -lxE "(/usr)?$rel" "$D"/rootfs/var/lib/dpkg/info/*.list | head -1)
	pkg=$(basename "$pkg" .list)
	pkg=${pkg%%:*}
	"$B" explain "$D/oci-gzip" "/$lib" --json >"$TMP/z.json" 2>"$TMP/z.err"
	ok $? "explain /$lib in the Debian image" || diag "$(tail -3 "$TMP/z.err")"
	[ -n "$pkg" ] && [ "$(j "$TMP/z.json" 'd["sbom"]["owners"][0]["name"]')" = "$pkg" ] &&
		j "$TMP/z.json" 'd["sbom"]["owners"][0]["purl"]' | grep -q "^pkg:deb/debian/$pkg@" &&
		j "$TMP/z.json" 'd["sbom"]["why"]' | grep -q "a file of the package"
	ok $? "owner of /$lib: $pkg, as dpkg's .list files say"
	[ "$(j "$TMP/z.json" 'd["deps"]["in_deps"]')" = True ] &&
		[ "$(j "$TMP/z.json" 'd["entry"]["sha256"]')" = "$(sha256sum <"$D/rootfs/$lib" | cut -d' ' -f1)" ]
	ok $? "in /.deps, with the sha256 of the root's file"
}
debian

done_testing
