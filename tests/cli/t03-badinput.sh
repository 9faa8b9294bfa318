#!/bin/bash
# Bad input gets one clear line naming the file and the reason, the right
# exit status (3 for digest mismatches, 1 otherwise), never a crash, and
# leaves no cache behind.
. "$(dirname "$0")/../lib.sh"

need umoci skopeo jq python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN

# check NAME STATUS PATTERN IMAGE: index fails as expected, nothing cached
check() {
	rm -rf "$XDG_CACHE_HOME"
	expect_fail "$2" "$3" "$1" -- "$B" index "$4"
	no_cache_left
	ok $? "$1: no cache left behind"
}

# Copies of the real gzip layout, damaged in different ways.
copy() { rm -rf "$TMP/$1"; cp -r "$IMG/oci" "$TMP/$1"; }
manifest_of() { jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2; }
layer_blob() { # LAYOUT N -> path of layer N's blob
	echo "$1/blobs/sha256/$(jq -r ".layers[$2].digest" "$1/blobs/sha256/$(manifest_of "$1")" | cut -d: -f2)"
}

copy flip
f=$(layer_blob "$TMP/flip" 0)
size=$(stat -c %s "$f")
printf '\x55' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
check "flipped byte in a gzip layer" 3 'layer 1 .*digest mismatch \(expected sha256:.*got sha256:' "$TMP/flip"

copy trunc
f=$(layer_blob "$TMP/trunc" 1)
truncate -s $(($(stat -c %s "$f") / 2)) "$f"
check "truncated layer blob" 3 'layer 2 .*(digest mismatch|truncated|size)' "$TMP/trunc"

copy missing
rm "$(layer_blob "$TMP/missing" 1)"
check "missing blob" 1 'missing|No such file' "$TMP/missing"

copy badjson
m=$(manifest_of "$TMP/badjson")
printf '{"schemaVersion": 2, "layers": [' >"$TMP/badjson/blobs/sha256/$m"
check "garbage manifest JSON" 3 'sha256:'"$m"'.*(mismatch)|'"$m"'.*(JSON|json)' "$TMP/badjson"

copy badindex
printf 'not json at all' >"$TMP/badindex/index.json"
check "garbage index.json" 1 'index.json' "$TMP/badindex"

check "image path does not exist" 1 "$TMP/nope" "$TMP/nope"
tar -C "$IMG/oci" -cf "$TMP/plain.tar" oci-layout
rm -f "$TMP/plain.tar" && mkdir -p "$TMP/p" && echo hi >"$TMP/p/f" && tar -C "$TMP/p" -cf "$TMP/plain.tar" f
check "a plain tar is not an image" 1 'plain.tar.*not a container image' "$TMP/plain.tar"

# Hand-made layers whose digests are right but whose tar is wrong.
mkdir -p "$TMP/src"
printf 'some content\n' >"$TMP/src/file.txt"
tar -C "$TMP/src" --format=ustar -cf "$TMP/good.tar" file.txt
python3 - "$TMP/good.tar" "$TMP" <<'PY'
import sys
good = open(sys.argv[1], 'rb').read()
out = sys.argv[2]
def with_field(off, val, fix_sum=True):
    b = bytearray(good)
    b[off:off + len(val)] = val
    if fix_sum:
        b[148:156] = b'        '
        b[148:156] = b'%06o\0 ' % sum(b[:512])
    return bytes(b)
# checksum field wrong
b = bytearray(good); b[148:154] = b'000001'
open(out + '/badsum.tar', 'wb').write(b)
# size field negative in base-256
open(out + '/negsize.tar', 'wb').write(with_field(124, b'\xff' * 12))
# size field larger than the archive (octal 77777777777)
open(out + '/hugesize.tar', 'wb').write(with_field(124, b'77777777777\0'))
# size field with garbage characters
open(out + '/garbagesize.tar', 'wb').write(with_field(124, b'12x45\0\0\0\0\0\0\0'))
PY
for t in badsum negsize hugesize garbagesize; do
	rm -rf "$TMP/img-$t"
	mkoci "$TMP/img-$t" "$TMP/$t.tar"
done
check "bad tar header checksum" 1 'layer 1.*checksum' "$TMP/img-badsum"
check "negative size field" 1 'layer 1.*(size|negative)' "$TMP/img-negsize"
check "size field past the end of the layer" 1 'layer 1.*(truncated|end|size)' "$TMP/img-hugesize"
check "garbage in the size field" 1 'layer 1.*(size|number|numeric)' "$TMP/img-garbagesize"

gzip -c "$TMP/good.tar" >"$TMP/good.tar.gz"
head -c 30 "$TMP/good.tar.gz" >"$TMP/cut.tar.gz"
rm -rf "$TMP/img-cut" && mkoci "$TMP/img-cut" "$TMP/cut.tar.gz" 2>/dev/null
check "truncated gzip stream (digests consistent)" 1 'layer 1.*(truncated|unexpected end)' "$TMP/img-cut"
{ cat "$TMP/good.tar.gz"; printf 'trailing garbage'; } >"$TMP/trail.tar.gz"
rm -rf "$TMP/img-trail" && mkoci "$TMP/img-trail" "$TMP/trail.tar.gz" 2>/dev/null
check "garbage after the gzip stream" 1 'layer 1.*(garbage|trailing)' "$TMP/img-trail"

# diff_id in the config disagrees with the layer.
rm -rf "$TMP/img-diff" && mkoci "$TMP/img-diff" "$TMP/good.tar.gz"
m=$(manifest_of "$TMP/img-diff")
c=$(jq -r .config.digest "$TMP/img-diff/blobs/sha256/$m" | cut -d: -f2)
jq -c '.rootfs.diff_ids[0] = "sha256:0000000000000000000000000000000000000000000000000000000000000000"' \
	"$TMP/img-diff/blobs/sha256/$c" >"$TMP/cfg"
nc=$(sha256sum <"$TMP/cfg" | cut -d' ' -f1)
cp "$TMP/cfg" "$TMP/img-diff/blobs/sha256/$nc"
jq -c --arg d "sha256:$nc" --argjson s "$(stat -c %s "$TMP/cfg")" '.config.digest = $d | .config.size = $s' \
	"$TMP/img-diff/blobs/sha256/$m" >"$TMP/man"
nm=$(sha256sum <"$TMP/man" | cut -d' ' -f1)
cp "$TMP/man" "$TMP/img-diff/blobs/sha256/$nm"
jq -c --arg d "sha256:$nm" --argjson s "$(stat -c %s "$TMP/man")" \
	'.manifests[0].digest = $d | .manifests[0].size = $s' "$TMP/img-diff/index.json" >"$TMP/idx"
cp "$TMP/idx" "$TMP/img-diff/index.json"
check "diff_id mismatch" 3 'layer 1 .*diff_id mismatch' "$TMP/img-diff"

# A warm cache must not hide a changed blob: index, then swap the blob
# file for a different one under the same name.
rm -rf "$XDG_CACHE_HOME"
copy swap
"$B" index "$TMP/swap" >/dev/null 2>&1
f=$(layer_blob "$TMP/swap" 0)
cp "$f" "$TMP/orig"
printf '\x55' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
expect_fail 3 'digest mismatch' "warm cache: a modified blob is re-hashed and refused" -- "$B" index "$TMP/swap"

done_testing
