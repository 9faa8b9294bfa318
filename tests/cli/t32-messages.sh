#!/bin/bash
# The messages a user meets first, each one line that names the file and
# says what is wrong, with a non-zero exit: a file that is no image at
# all (a text file, a PNG, random bytes, gzip'd text), a tampered or
# missing layer blob (the image file is named, not only the blob), and
# every man page formats cleanly (groff -ww). The mount-time messages (a
# dead mount, no /dev/fuse) are in tests/mount/t20-messages.sh.
. "$(dirname "$0")/../lib.sh"

B=$OCIFS_BIN

# --- not an image at all ---
printf 'hello, I am a text file\n' >"$TMP/notes.txt"
python3 - "$TMP/pic.png" <<'PY'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 0, 0, 0, 0)) \
    + chunk(b'IDAT', zlib.compress(b'\0\0')) + chunk(b'IEND', b'')
open(sys.argv[1], 'wb').write(png)
PY
head -c 4096 /dev/urandom >"$TMP/random.bin"
# random bytes could, once in 2^40 runs, look like a tar header; a fixed
# header-sized block of 0xff never does
printf '\377%.0s' $(seq 512) >>"$TMP/random.bin"
gzip -c "$TMP/notes.txt" >"$TMP/notes.txt.gz"
zstd -q -c "$TMP/notes.txt" >"$TMP/notes.txt.zst"
[ "$(file -b --mime-type "$TMP/pic.png")" = image/png ]
ok $? "file(1) calls the PNG a PNG"
for f in notes.txt pic.png random.bin notes.txt.gz notes.txt.zst; do
	for cmd in inspect ls; do
		one_line_fail 1 "$TMP/$f: not a container image: neither tar nor OCI layout" \
			"$cmd of $f: not a container image" -- "$B" $cmd "$TMP/$f"
	done
done
mkdir -p "$TMP/m"
one_line_fail 1 "$TMP/pic.png: not a container image: neither tar nor OCI layout" \
	"mount of a PNG: refused before mounting" -- "$B" mount "$TMP/pic.png" "$TMP/m"
! mountpoint -q "$TMP/m"
ok $? "nothing mounted"
# A real tar that is no image is still told apart from no tar at all.
mkdir -p "$TMP/plain" && echo hi >"$TMP/plain/f" && tar -C "$TMP/plain" -cf "$TMP/plain.tar" f
one_line_fail 1 "$TMP/plain.tar: not a container image (no index.json or manifest.json)" \
	"a plain tar: no index.json or manifest.json" -- "$B" inspect "$TMP/plain.tar"
# and an empty directory is no OCI layout
mkdir -p "$TMP/emptydir"
one_line_fail 1 "$TMP/emptydir: not a container image" "an empty directory" -- \
	"$B" inspect "$TMP/emptydir"

# --- a tampered blob names the image file ---
mkdir -p "$TMP/l/etc"
printf 'original content of the layer\n' >"$TMP/l/etc/motd"
tar -C "$TMP/l" -cf "$TMP/layer.tar" etc
mkoci "$TMP/good" "$TMP/layer.tar"
"$B" cat "$TMP/good" /etc/motd >"$TMP/out" 2>"$TMP/err"
grep -qx 'original content of the layer' "$TMP/out"
ok $? "the untampered image reads" || diag "$(cat "$TMP/err")"
d=$(sha256sum "$TMP/layer.tar" | cut -d' ' -f1)
cp -r "$TMP/good" "$TMP/tampered"
# same length, one byte of the file's data changed: only the digest tells
python3 - "$TMP/tampered/blobs/sha256/$d" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = b.index(b'original')
b[i] = ord('O')
open(p, 'wb').write(bytes(b))
PY
got=$(sha256sum "$TMP/tampered/blobs/sha256/$d" | cut -d' ' -f1)
[ "$got" != "$d" ]
ok $? "the blob's bytes changed"
tar -C "$TMP/tampered" -cf "$TMP/tampered.tar" .
for img in "$TMP/tampered" "$TMP/tampered.tar"; do
	export XDG_CACHE_HOME="$TMP/cache-$(basename "$img")"
	for cmd in "cat $img /etc/motd" "ls $img" "verify $img"; do
		# shellcheck disable=SC2086
		one_line_fail 3 "$img: layer 1 (sha256:${d:0:12}…): digest mismatch (expected sha256:$d, got sha256:$got)" \
			"${cmd%% *} of $(basename "$img"): the mismatch names the image and the blob" -- \
			env LC_ALL=C.UTF-8 "$B" $cmd
	done
done
# shellcheck disable=SC2086
one_line_fail 3 "$img: layer 1 (sha256:${d:0:12}...): digest mismatch" \
	"LC_ALL=C: the message's ellipsis is written in ASCII" -- env LC_ALL=C "$B" verify "$img"
export XDG_CACHE_HOME="$TMP/cache"
cp -r "$TMP/good" "$TMP/noblob"
rm "$TMP/noblob/blobs/sha256/$d"
"$B" ls "$TMP/noblob" >/dev/null 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && grep -qF "$TMP/noblob" "$TMP/err" && grep -q "sha256:$d" "$TMP/err"
ok $? "a missing layer blob names the image and the blob (exit $rc)" || diag "$(cat "$TMP/err")"

# --- man pages: groff's own warnings are the oracle ---
n=0
for m in "$OCIFS_SRCDIR"/man/*.[1-8]; do
	n=$((n + 1))
	groff -ww -z -man "$m" >"$TMP/groff" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$TMP/groff" ]
	ok $? "groff -ww -z -man $(basename "$m"): no warning" || diag "$(head -5 "$TMP/groff")"
done
[ $n -ge 4 ]
ok $? "every man page checked ($n)"

done_testing
