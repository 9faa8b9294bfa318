#!/bin/sh
# SPDX-License-Identifier: MIT
# Build ELF test binaries for tests/unit/test_elf.c into OUTDIR with the
# real toolchain: gcc dynamic/static/static-pie, a shared library with a
# SONAME, RPATH vs RUNPATH, stripped copies, a copy without section
# headers, musl-gcc static/dynamic and (if it works) gcc -m32. A variant
# the toolchain cannot build is simply absent; the test skips it.
set -u
out=${1:?usage: mkbins.sh OUTDIR}
mkdir -p "$out" || exit 1
cd "$out" || exit 1

cat >hello.c <<'C'
#include <stdio.h>
#include <string.h>
#include <errno.h>
int main(int argc, char **argv)
{
	printf("hello %d %s\n", argc, strerror(argc > 5 ? EINVAL : 0));
	return argv[0][0] == 'x';
}
C
cat >lib.c <<'C'
int ocifs_lib_fn(int x) { return x * 3; }
C
cat >uselib.c <<'C'
int ocifs_lib_fn(int x);
int main(int argc, char **argv) { (void)argv; return ocifs_lib_fn(argc); }
C

command -v gcc >/dev/null 2>&1 || { echo "mkbins: no gcc" >&2; exit 0; }
try() { "$@" 2>/dev/null || echo "mkbins: failed: $*" >&2; }

try gcc -O2 -o dyn hello.c
try gcc -O2 -static -o static hello.c
try gcc -O2 -static-pie -o static-pie hello.c
try gcc -O2 -fPIC -shared -Wl,-soname,libocifst.so.1 -o libocifst.so.1 lib.c
try gcc -O2 -o rpath uselib.c -L. -l:libocifst.so.1 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
try gcc -O2 -o runpath uselib.c -L. -l:libocifst.so.1 -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib:/opt/x'
try gcc -O2 -no-pie -o nopie hello.c
if [ -f dyn ]; then
	cp dyn dyn-stripped && try strip dyn-stripped
	# No section headers: objcopy --strip-section-headers (binutils >= 2.41)
	# or zero e_shoff/e_shnum/e_shstrndx by hand.
	if ! objcopy --strip-section-headers dyn dyn-noshdr 2>/dev/null; then
		rm -f dyn-noshdr
		python3 - dyn dyn-noshdr <<'PY' || echo "mkbins: no python3 for dyn-noshdr" >&2
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
assert b[4] == 2 and b[5] == 1  # ELFCLASS64, little endian
struct.pack_into('<Q', b, 0x28, 0)      # e_shoff
struct.pack_into('<HHH', b, 0x3a, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
open(sys.argv[2], 'wb').write(b)
PY
	fi
fi
[ -f static ] && cp static static-stripped && try strip static-stripped
if command -v musl-gcc >/dev/null 2>&1; then
	try musl-gcc -O2 -static -o musl-static hello.c
	try musl-gcc -O2 -o musl-dyn hello.c
	# No strerror table: only the weak "/dev/null" signature is left.
	echo 'int main(void) { return 0; }' >min.c
	try musl-gcc -O2 -static -s -o musl-static-min min.c
	[ -f musl-static ] && cp musl-static musl-static-stripped && try strip musl-static-stripped
else
	echo "mkbins: no musl-gcc (apt-get install musl-tools)" >&2
fi
gcc -m32 -O2 -o dyn32 hello.c 2>/dev/null || echo "mkbins: no gcc -m32, dyn32 skipped" >&2
if command -v go >/dev/null 2>&1; then
	mkdir -p gosrc && cat >gosrc/main.go <<'G'
package main

import "fmt"

func main() { fmt.Println("hi") }
G
	(cd gosrc && { [ -f go.mod ] || go mod init example.com/hi >/dev/null 2>&1; })
	# The user's build cache makes reruns fast; a private one otherwise.
	gocache=$(go env GOCACHE 2>/dev/null)
	{ [ -n "$gocache" ] && mkdir -p "$gocache" 2>/dev/null && [ -w "$gocache" ]; } ||
		gocache="$out/gocache"
	(cd gosrc && CGO_ENABLED=0 GOFLAGS=-mod=mod GOCACHE="$gocache" go build -o ../go-static . 2>/dev/null) ||
		echo "mkbins: go build failed" >&2
	rm -rf "$out/gocache"
fi
exit 0
