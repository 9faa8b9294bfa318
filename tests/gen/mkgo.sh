#!/bin/sh
# SPDX-License-Identifier: MIT
# Build Go test binaries for tests/unit/test_goinfo into OUTDIR, offline:
# a main module under git (vcs.* settings) with two directory-replaced
# modules and two versioned modules served by a file:// proxy written
# here (so deps carry versions and h1: sums, and one `=>` points at
# another module version). Then one binary per build variant.
set -eu
out=${1:?usage: mkgo.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src="$out/src"
rm -rf "$src"
mkdir -p "$src/main" "$src/dep" "$src/util" "$src/proxy"

export GOPATH="$src/gopath" GOCACHE="$src/gocache" GOMODCACHE="$src/gopath/pkg/mod"
export GOFLAGS=-mod=mod GOPROXY="file://$src/proxy" GOSUMDB=off GONOSUMDB= GOPRIVATE=
export GOTOOLCHAIN=local GO111MODULE=on GOWORK=off
unset GOOS GOARCH GOROOT 2>/dev/null || true

# A versioned module in the proxy: mkmod PATH VERSION PACKAGE-SOURCE
mkmod() {
	python3 - "$src/proxy" "$1" "$2" "$3" <<'EOF'
import os, sys, zipfile, json
proxy, path, ver, body = sys.argv[1:]
d = os.path.join(proxy, path, "@v")
os.makedirs(d, exist_ok=True)
gomod = "module %s\n\ngo 1.17\n" % path
open(os.path.join(d, ver + ".mod"), "w").write(gomod)
open(os.path.join(d, ver + ".info"), "w").write(json.dumps({"Version": ver, "Time": "2021-01-02T03:04:05Z"}))
with open(os.path.join(d, "list"), "a") as f:
    f.write(ver + "\n")
pre = "%s@%s/" % (path, ver)
with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
    z.writestr(pre + "go.mod", gomod)
    z.writestr(pre + "lib.go", body)
EOF
}
mkmod example.org/greet v1.2.3 'package greet

func Hello() string { return "hello from greet v1.2.3" }
'
mkmod example.org/color v0.9.0 'package color

func Name() string { return "old color" }
'
mkmod example.org/colorfork v1.1.0 'package color

func Name() string { return "forked color" }
'

cat >"$src/dep/go.mod" <<'EOF'
module example.com/dep

go 1.19
EOF
cat >"$src/dep/dep.go" <<'EOF'
package dep

func Dep() string { return "dep" }
EOF
cat >"$src/util/go.mod" <<'EOF'
module example.com/util

go 1.19
EOF
cat >"$src/util/util.go" <<'EOF'
package util

func Util() string { return "util" }
EOF
cat >"$src/main/go.mod" <<'EOF'
module example.com/main

go 1.19

require (
	example.com/dep v0.0.0
	example.com/util v1.0.0
	example.org/greet v1.2.3
	example.org/color v0.9.0
)

replace example.com/dep => ../dep

replace example.com/util v1.0.0 => ../util

replace example.org/color => example.org/colorfork v1.1.0
EOF
cat >"$src/main/main.go" <<'EOF'
package main

import (
	"fmt"

	"example.com/dep"
	"example.com/util"
	"example.org/color"
	"example.org/greet"
)

func main() { fmt.Println(dep.Dep(), util.Util(), greet.Hello(), color.Name()) }
EOF
cd "$src/main"
go mod tidy >/dev/null 2>&1 || true
git init -q . 2>/dev/null
git -c user.name=t -c user.email=t@example.com add -A
git -c user.name=t -c user.email=t@example.com commit -q -m init

b() { name=$1; shift; echo "building $name: $*"; "$@" -o "$out/$name" . ; }
b default go build
CGO_ENABLED=0 b cgo0 go build
b trimpath go build -trimpath
b stripped go build -ldflags="-s -w"
b pie go build -buildmode=pie
CGO_ENABLED=0 GOARCH=386 b i386 go build
CGO_ENABLED=0 GOARCH=arm64 b arm64 go build
CGO_ENABLED=0 GOARCH=mips b mips go build
b novcs go build -buildvcs=false
echo "// dirty" >>main.go
b dirty go build -ldflags='-X "main.x=a b" -s'
echo done
