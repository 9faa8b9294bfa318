#!/bin/bash
# SPDX-License-Identifier: MIT
# Regenerate the committed seed corpora tests/fuzz/seeds/<target>/ from the
# project's own test generators and real tools (GNU tar via mktars.sh, gzip,
# pigz, zstd, gcc, go, ldconfig, the ocifs binary for cache files), keeping
# each file under 64 KiB. Corpus files (../shared/corpus) are never copied:
# replay.sh and run.sh read them in place.
#
# Usage: tests/fuzz/mkseeds.sh [BUILDDIR]   (BUILDDIR has the ocifs binary;
#        default: the source tree). Needs python3; a missing tool only
#        leaves its seeds out (reported on stderr).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src}
S=$here/seeds
T=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-mkseeds.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=1700000000
note() { echo "mkseeds: $*" >&2; }
MAX=65536

# keep TARGET FILE [NAME]: copy FILE into seeds/TARGET if it is small enough
keep() {
	local sz
	[ -f "$2" ] || { note "$1: no $2"; return; }
	sz=$(stat -c %s "$2")
	if [ "$sz" -gt $MAX ]; then
		note "$1: $(basename "$2") is $sz bytes, left out"
		return
	fi
	cp "$2" "$S/$1/${3:-$(basename "$2")}"
}

rm -rf "$S"
for t in tar gzidx zstdidx image_json view view_load idxdb elf goinfo upx ldcache ldconf rpmdb pkgtext; do
	mkdir -p "$S/$t"
done

# --- tar: every dialect GNU tar, bsdtar and Python write (mktars.sh) ----
sh "$src/tests/gen/mktars.sh" "$T/tars" 2>/dev/null
for f in "$T"/tars/*.tar; do keep tar "$f"; done

# --- gzidx / zstdidx: real compressors over text and a tar ------------
python3 - "$T/data" <<'PY'
import random, sys
r = random.Random(7)
words = [''.join(r.choice('etaoinshrdlu') for _ in range(r.randint(2, 9))) for _ in range(300)]
with open(sys.argv[1], 'w') as f:
    f.write(' '.join(r.choice(words[:r.randint(1, 300)]) for _ in range(12000)))
PY
head -c 12000 "$T/data" >"$T/small"
gzip -1 -n -c "$T/data" >"$T/gz1.gz" && keep gzidx "$T/gz1.gz"
gzip -9 -n -c "$T/small" >"$T/gz9.gz" && keep gzidx "$T/gz9.gz"
if command -v pigz >/dev/null; then
	pigz -i -n -c "$T/data" >"$T/pigz-i.gz" && keep gzidx "$T/pigz-i.gz"
fi
{ gzip -n -c "$T/small"; gzip -n -c /dev/null; gzip -n -c "$T/small"; head -c 700 /dev/zero; } >"$T/members.gz"
keep gzidx "$T/members.gz"
gzip -n -c /dev/null >"$T/empty.gz" && keep gzidx "$T/empty.gz"
if command -v zstd >/dev/null; then
	zstd -q -1 -c "$T/data" >"$T/z1.zst" && keep zstdidx "$T/z1.zst"
	zstd -q -19 --no-check -c "$T/small" >"$T/z19.zst" && keep zstdidx "$T/z19.zst"
	{ zstd -q -c "$T/small"; printf '\x50\x2a\x4d\x18\x04\x00\x00\x00skip'; zstd -q -c "$T/small"; } >"$T/frames.zst"
	keep zstdidx "$T/frames.zst"
	zstd -q -c --no-content-size <"$T/small" >"$T/nosize.zst" && keep zstdidx "$T/nosize.zst"
	zstd -q -c /dev/null >"$T/empty.zst" && keep zstdidx "$T/empty.zst"
else
	note "zstd missing: no zstdidx seeds"
fi

# --- view, image_json, view_load, idxdb: layers made with tarfile -----
python3 "$here/mkseeds.py" "$T/py" "$S" || note "mkseeds.py failed"

# Cache files of those images, written by ocifs itself.
if [ -x "$build/ocifs" ]; then
	for img in "$T"/py/img-*; do
		[ -d "$img" ] || continue
		rm -rf "$T/cache"
		XDG_CACHE_HOME=$T/cache "$build/ocifs" ls -R "$img" >/dev/null 2>&1 || continue
		n=$(basename "$img")
		for v in "$T"/cache/ocifs/views/*.view; do keep view_load "$v" "$n.view"; done
		case $n in # three layer indexes are enough: they differ in rows only
		img-whiteouts | img-hardlinks | img-xattrs)
			d=$(ls -S "$T"/cache/ocifs/layers/*.db | head -1)
			keep idxdb "$d" "$n.db" ;;
		esac
	done
else
	note "no $build/ocifs: no view_load/idxdb seeds from real caches"
fi

# The fixture's own cache files (fixture.h), dumped by the replay builds
# of the targets: they pass the identity checks, so mutations go deep.
: >"$T/empty-input"
for t in idxdb view_load; do
	if [ -x "$build/tests/fuzz/fuzz_$t" ]; then
		FUZZ_SEED_OUT=$S/$t/fixture "$build/tests/fuzz/fuzz_$t" "$T/empty-input" 2>/dev/null ||
			note "fuzz_$t could not dump its fixture"
	else
		note "no $build/tests/fuzz/fuzz_$t (make check builds it): no fixture seed"
	fi
done

# --- elf, goinfo, upx: real toolchains --------------------------------
if command -v gcc >/dev/null; then
	printf '#include <stdio.h>\nint main(int c, char **v) { puts(v[0]); return c; }\n' >"$T/h.c"
	printf 'int f(int x) { return x * 3; }\n' >"$T/l.c"
	gcc -Os -o "$T/dyn" "$T/h.c" && strip -o "$T/dyn-stripped" "$T/dyn" &&
		keep elf "$T/dyn" && keep elf "$T/dyn-stripped"
	gcc -Os -no-pie -o "$T/nopie" "$T/h.c" -Wl,-rpath,/opt/x && keep elf "$T/nopie"
	gcc -Os -shared -fPIC -Wl,-soname,libf.so.1 -Wl,--enable-new-dtags,-rpath,'$ORIGIN' \
		-o "$T/libf.so" "$T/l.c" && keep elf "$T/libf.so"
	gcc -c -o "$T/obj.o" "$T/l.c" && keep elf "$T/obj.o"
	gcc -m32 -Os -o "$T/dyn32" "$T/h.c" 2>/dev/null && keep elf "$T/dyn32"
	printf 'void _start(void) { for (;;) ; }\n' >"$T/s.c"
	gcc -Os -static -nostdlib -o "$T/nolibc" "$T/s.c" && keep elf "$T/nolibc"
	objcopy --remove-section=.note.gnu.build-id "$T/dyn" "$T/nobuildid" 2>/dev/null &&
		keep elf "$T/nobuildid"
	# no section headers at all
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[0x28:0x30]=bytes(8); b[0x3c:0x40]=bytes(4); open(sys.argv[2],"wb").write(b)' \
		"$T/dyn" "$T/noshdr" && keep elf "$T/noshdr"
fi
if command -v go >/dev/null; then
	mkdir -p "$T/go" && cd "$T/go" &&
		printf 'package main\nfunc main() { println("hi") }\n' >main.go &&
		printf 'module example.com/hi\n\ngo 1.19\n' >go.mod &&
		GOFLAGS=-mod=mod GOCACHE=$T/gocache CGO_ENABLED=0 go build -trimpath -ldflags=-s -o hi . 2>/dev/null &&
		python3 "$here/mkseeds.py" --go "$T/go/hi" "$S/goinfo" || note "go build failed: no goinfo seeds"
	cd "$here"
fi
python3 "$here/mkseeds.py" --upx "$S/upx" || note "no upx seeds"
python3 "$here/mkseeds.py" --registry "$S/registry" $([ -x "$build/ocifs" ] && echo "$build/ocifs") ||
	note "no registry seeds"

# --- ldcache: ldconfig over a small root ------------------------------
if command -v ldconfig >/dev/null && command -v gcc >/dev/null; then
	r=$T/root
	mkdir -p "$r/etc" "$r/lib/x86_64-linux-gnu" "$r/usr/lib" "$r/opt/lib"
	printf '/opt/lib\n' >"$r/etc/ld.so.conf"
	gcc -shared -fPIC -Wl,-soname,libf.so.1 -o "$r/usr/lib/libf.so.1" "$T/l.c"
	gcc -shared -fPIC -Wl,-soname,libg.so.2 -o "$r/opt/lib/libg.so.2" "$T/l.c"
	gcc -shared -fPIC -Wl,-soname,libc.so.6 -o "$r/lib/x86_64-linux-gnu/libc.so.6" "$T/l.c"
	gcc -m32 -shared -fPIC -Wl,-soname,libh.so.3 -o "$r/opt/lib/libh.so.3" "$T/l.c" 2>/dev/null
	ldconfig -r "$r" -C /etc/ld.so.cache.new 2>/dev/null && keep ldcache "$r/etc/ld.so.cache.new" new.cache
	for fmt in old compat; do
		ldconfig -r "$r" -c $fmt -C /etc/ld.so.cache.$fmt 2>/dev/null &&
			keep ldcache "$r/etc/ld.so.cache.$fmt" $fmt.cache
	done
fi

# --- ldconf: include patterns (fuzz_ldconf.c's multi-part format) -----
sep='-=FUZZ=-'
printf 'include /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n' >"$S/ldconf/glob"
printf '%s\n%s%s' 'include /etc/ld.so.conf.d/*.conf' "$sep" 'etc/ld.so.conf.d/a.conf' >>"$S/ldconf/glob"
printf '\n/opt/a/lib # comment\n/opt/b/lib:/opt/c/lib,/opt/d=libc5\n' >>"$S/ldconf/glob"
printf '%s' "$sep" >>"$S/ldconf/glob"
printf 'etc/ld.so.conf.d/b.conf\ninclude ../ld.so.conf\ninclude sub/*.conf\n/b\n' >>"$S/ldconf/glob"
printf '%s' "$sep" >>"$S/ldconf/glob"
printf 'etc/ld.so.conf.d/sub/c.conf\n/c\n\t /d \t\n' >>"$S/ldconf/glob"
printf 'include /etc/ld.so.conf\n/self\n' >"$S/ldconf/loop"
printf 'include\ninclude  \n/x/\n//y//\nhwcap 0 nosegneg\n' >"$S/ldconf/odd"
printf '%s' "include etc/rel.conf$sep" "etc/rel.conf" >"$S/ldconf/relative"
printf '\n/rel\n' >>"$S/ldconf/relative"
# --- rpmdb: headers rpm wrote (tests/gen/mkrpm.sh), each in a small
# database of every backend (SQLite with 512-byte pages, one NDB slot
# page, a Berkeley DB hash page and its overflow chain) ---------------
if command -v rpmbuild >/dev/null && sh "$src/tests/gen/mkrpm.sh" "$T/rpm" >/dev/null 2>&1; then
	python3 - "$T/rpm/root/var/lib/rpm/rpmdb.sqlite" "$S/rpmdb" <<'PY'
import sqlite3, struct, sys
src, out = sys.argv[1], sys.argv[2]
blobs = [bytes(r[0]) for r in sqlite3.connect(src).execute('select blob from Packages order by hnum')]
for i, b in enumerate(blobs):
    open('%s/hdr-%d' % (out, i), 'wb').write(b)
b = min(blobs, key=len)
d = sqlite3.connect('%s/sqlite-one' % out)
d.execute('pragma page_size = 512')
d.execute('create table Packages (hnum integer primary key autoincrement, blob blob not null)')
d.execute('insert into Packages (blob) values (?)', (b,))
d.commit()
d.close()
# NDB: header, one slot page, the blob's blocks at 4096
nblk = (16 + len(b) + 16 + 15) // 16
ndb = bytearray(b'RpmP' + struct.pack('<7I', 0, 1, 1, 0, 0, 0, 0))
ndb += b'Slot' + struct.pack('<3I', 1, 4096 // 16, nblk)
while len(ndb) < 4096:
    ndb += b'Slot' + bytes(12)
ndb += b'BlbS' + struct.pack('<3I', 1, 0, len(b)) + b
ndb += bytes(nblk * 16 - 16 - len(b))
open('%s/ndb-one' % out, 'wb').write(ndb)
# Berkeley DB hash: metadata, one hash page (key 1 -> off-page value), overflow pages
ps, room = 512, 512 - 26
chunks = [b[i:i + room] for i in range(0, len(b), room)]
last = 1 + len(chunks)
meta = bytearray(ps)
struct.pack_into('<IIII', meta, 8, 0, 0x061561, 9, ps)
meta[25] = 8
struct.pack_into('<I', meta, 32, last)
page = bytearray(ps)
struct.pack_into('<IIIHH', page, 8, 1, 0, 0, 2, ps - 5 - 12)
page[25] = 13
key, val = ps - 5, ps - 5 - 12  # items grow down from the page end
struct.pack_into('<HH', page, 26, key, val)
page[key:key + 5] = bytes([1]) + struct.pack('<I', 1)
page[val:val + 12] = bytes([3, 0, 0, 0]) + struct.pack('<II', 2, len(b))
pages = [meta, page]
for i, c in enumerate(chunks):
    o = bytearray(ps)
    nxt = 2 + i + 1 if i + 1 < len(chunks) else 0
    struct.pack_into('<IIIHH', o, 8, 2 + i, 1 + i if i else 0, nxt, 1, len(c))
    o[25] = 7
    o[26:26 + len(c)] = c
    pages.append(o)
open('%s/bdb-one' % out, 'wb').write(b''.join(pages))
PY
fi
# --- pkgtext: package manifests as their tools write them (written here) ---
P="$S/pkgtext"
mkdir -p "$P"
cat >"$P/apk-installed" <<'SEED'
C:Q1x6WFRxtCFOJEJVxd3X43cgTKiZQ=
P:busybox
V:1.36.1-r2
A:x86_64
S:500000
I:942080
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Natanael Copa <ncopa@alpinelinux.org>
t:1572089028
c:bad6ce215708bb0f2a04be3c290d573966d18c7c
D:so:libc.musl-x86_64.so.1 !busybox-extras musl>=1.2
p:/bin/sh cmd:busybox=1.36.1-r2 cmd:sh=1.36.1-r2
F:bin
R:busybox
a:0:0:755
Z:Q1DQ3KVbIxZzKZzfCmi3c/X8esHRQ=
R:sh
F:etc/network/if-up.d
R:dad

C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=
P:ssl_client
V:1.36.1-r2
A:x86_64
o:busybox
L:GPL-2.0-only
D:so:libc.musl-x86_64.so.1 so:libtls-standalone.so.1
p:cmd:ssl_client=1.36.1-r2
F:usr/bin
R:ssl_client
SEED
cat >"$P/METADATA" <<'SEED'
Metadata-Version: 2.1
Name: PyYAML_Ext
Version: 6.0
Summary: YAML parser and emitter for Python
License: MIT
Classifier: License :: OSI Approved :: MIT License
Requires-Dist: attrs (>=17.4.0)
Requires-Dist: importlib-metadata ; python_version < "3.8"
Requires-Dist: pytest ; extra == 'test'
Description-Content-Type: text/markdown

The body.
SEED
cat >"$P/RECORD" <<'SEED'
yaml/__init__.py,sha256=abc,12
"odd,name.py",,
../../../bin/pyyaml-tool,sha256=x,1
/etc/abs.conf,,
PyYAML-6.0.dist-info/RECORD,,
SEED
printf 'pycairo>=1.16.0\nsix\n\n[crypto]\ncryptography>=3.4.0\n' >"$P/requires.txt"
cat >"$P/rack.gemspec" <<'SEED'
# -*- encoding: utf-8 -*-
Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.22"
  s.licenses = ["MIT".freeze, %q{Ruby}.freeze]
  if s.respond_to? :add_runtime_dependency then
    s.add_runtime_dependency(%q<rake>.freeze, [">= 0"])
    s.add_development_dependency(%q<minitest>.freeze, ["~> 5.0"])
  else
    s.add_dependency(%q<rake>.freeze, [">= 0"])
  end
end
SEED
cat >"$P/composer2.json" <<'SEED'
{"packages": [
 {"name": "monolog/monolog", "version": "3.5.0", "license": ["MIT"],
  "require": {"php": ">=8.1", "ext-json": "*", "psr/log": "^3"}, "install-path": "../monolog/monolog"},
 {"name": "phpunit/phpunit", "version": "10.5.1", "license": "BSD-3-Clause"}
], "dev": true, "dev-package-names": ["phpunit/phpunit"]}
SEED
printf '[{"name": "twig/twig", "version": "v1.44.7", "license": ["BSD-3-Clause"]}]\n' >"$P/composer1.json"
cat >"$P/app.deps.json" <<'SEED'
{"runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"},
 "targets": {".NETCoreApp,Version=v8.0": {
   "App/1.0.0": {"dependencies": {"Serilog": "3.1.1"}},
   "Serilog.Sinks.Console/5.0.1": {"dependencies": {"Serilog": "3.1.1"}}}},
 "libraries": {
   "App/1.0.0": {"type": "project"},
   "Serilog/3.1.1": {"type": "package", "sha512": "sha512-P6G4"},
   "Serilog.Sinks.Console/5.0.1": {"type": "package"}}}
SEED

echo "mkseeds: $(find "$S" -type f | wc -l) seeds, $(du -sk "$S" | cut -f1) KiB" >&2
