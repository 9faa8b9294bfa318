#!/bin/sh
# SPDX-License-Identifier: MIT
# mkdemo-bins.sh OUTDIR: an OCI layout OUTDIR (tag "demo") made with umoci
# whose one layer holds real binaries for the /.deps demo: this machine's
# ls, bash and their libraries (with the loader and an ld.so.cache made
# by ldconfig), a static C program, a Go program (when go is installed)
# and a script run through /usr/bin/env.
set -eu
die() { echo "mkdemo-bins.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: mkdemo-bins.sh OUTDIR"
for t in umoci gcc ldd ldconfig; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
OUT=$1
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
umoci init --layout "$OUT" >/dev/null
umoci new --image "$OUT:demo"
umoci config --image "$OUT:demo" --os linux --architecture amd64 \
	--config.env PATH=/usr/local/bin:/usr/bin:/bin
umoci unpack --image "$OUT:demo" "$WORK/b" >/dev/null
R=$WORK/b/rootfs
mkdir -p "$R/usr/bin" "$R/usr/local/bin" "$R/etc"
ln -s usr/bin "$R/bin"
# host binaries and every library they load, at the same paths
for b in /usr/bin/ls /usr/bin/bash /usr/bin/env; do
	cp "$b" "$R/usr/bin/"
	for l in $(ldd "$b" | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
		mkdir -p "$R$(dirname "$l")"
		cp -L "$l" "$R$l"
	done
done
ldconfig -r "$R" 2>/dev/null || true
printf 'int main(void) { return 0; }\n' >"$WORK/s.c"
gcc -O2 -static -o "$R/usr/local/bin/hello-static" "$WORK/s.c" 2>/dev/null || true
if command -v go >/dev/null 2>&1; then
	mkdir -p "$WORK/go" && printf 'package main\n\nfunc main() { println("hi") }\n' >"$WORK/go/main.go"
	(cd "$WORK/go" && go mod init example.com/hello-go >/dev/null 2>&1 &&
		CGO_ENABLED=0 GOFLAGS=-mod=mod GOCACHE="$WORK/gocache" go build -o "$R/usr/local/bin/hello-go" .) ||
		echo "mkdemo-bins.sh: go build failed; no Go binary in the demo" >&2
fi
printf '#!/usr/bin/env bash\necho hi\n' >"$R/usr/local/bin/hello.sh"
chmod +x "$R/usr/local/bin/hello.sh"
umoci repack --image "$OUT:demo" "$WORK/b" >/dev/null
