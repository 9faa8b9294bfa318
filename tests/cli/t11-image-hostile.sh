#!/bin/bash
# Hostile images (issue #9): huge tag lists and manifest lists open in
# linear time, nested index trees stay small, big zstd windows are refused
# unless allowed, odd compressions are named, extreme mtimes saturate.
# Nothing here is timed: each case must finish (under a 120 s hang guard)
# with the right answer or the right one-line error. Inputs are generated
# by tests/gen/mkhostile.py and below.
. "$(dirname "$0")/../lib.sh"

need python3 jq zstd xz bzip2 lz4 || { done_testing; exit; }
B=$OCIFS_BIN
G=$TMP/g
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
python3 "$OCIFS_SRCDIR/tests/gen/mkhostile.py" "$G" "$arch"
ok $? "mkhostile.py"

# run CMD...: with the hang guard; stdout to $TMP/out, stderr to $TMP/err
run() { timeout 120 "$@" >"$TMP/out" 2>"$TMP/err"; }
# is_out DESC WANT: $TMP/out is exactly WANT
is_out() {
	if [ "$(cat "$TMP/out")" = "$2" ]; then pass "$1"; else
		fail "$1"
		diag "got: $(head -c 300 "$TMP/out"); stderr: $(head -c 300 "$TMP/err")"
	fi
}

# --- 1. 300k RepoTags, 190k missing manifests: linear --------------------
run "$B" inspect --json --image reg.example/app:t299999 "$G/tags.tar"
ok $? "300k RepoTags: the last tag selects its image"
jq -r '.names | length' "$TMP/out" >"$TMP/n" && mv "$TMP/n" "$TMP/out"
is_out "300k RepoTags (and 1000 repeats): 300000 names, each once" 300000
expect_fail 1 'tags.tar: 2 images; choose one with --image: #1 reg.example/app:t0 .*\.\.\.$' \
	"300k RepoTags, no --image: one bounded line listing the images" -- "$B" inspect "$G/tags.tar"
run "$B" cat "$G/missing" f
is_out "190k missing manifests: the one real image is chosen by platform" hello
run "$B" inspect --json --image real "$G/missing"
ok $? "190k missing manifests: --image real"
expect_fail 1 'missing: no image declares its platform; choose one with --image' \
	"190k missing manifests: position 0 (95000 of them) fails by reason" -- \
	"$B" inspect --image 1 "$G/missing"

# --- 2. nested indexes: each visited once, walks capped -------------------
for n in 3 4; do
	max_rss_kb "$TMP/rss" timeout 120 "$B" cat "$G/nest$n" f >"$TMP/out" 2>"$TMP/err"
	is_out "nested indexes 100x at $n levels: read" hello
	rss=$(cat "$TMP/rss")
	[ "$rss" -lt 524288 ]
	ok $? "nested indexes 100x at $n levels: peak RSS $rss KiB < 512 MiB (was 3.8 GB at 3)"
done
expect_fail 1 'wide: .*more than 262144 manifests in all' \
	"3000 x 100 repeated descriptors: refused at the walk limit, naming the image" -- \
	"$B" inspect "$G/wide"
expect_fail 1 'deep: image indexes nested more than 8 deep' "9 nested indexes: refused" -- \
	"$B" inspect "$G/deep"

# --- 3. zstd windows ----------------------------------------------------------
mkdir -p "$TMP/src" && printf 'hello\n' >"$TMP/src/f"
tar -C "$TMP/src" -cf "$TMP/l.tar" f
# What `zstd --long=31` writes for a stream of unknown size (Window_Descriptor
# 0xa8: 2^31), without the 1 GB it takes to compress that way.
long31() { zstd -q --no-content-size -c | python3 -c '
import sys; b = bytearray(sys.stdin.buffer.read())
assert b[4] & 0x20 == 0; b[5] = 0xa8; sys.stdout.buffer.write(b)'; }
long31 <"$TMP/l.tar" >"$TMP/l.tar.zst"
mkoci "$TMP/long" "$TMP/l.tar.zst"
win='zstd window 2 GiB exceeds the 128 MiB limit \(raise it with --zstd-window-max\)'
rm -rf "$XDG_CACHE_HOME"
expect_fail 1 "layer 1 \(sha256:.*$win" "2 GiB zstd window: refused, naming the layer" -- \
	"$B" cat "$TMP/long" f
no_cache_left
ok $? "2 GiB zstd window: no cache left behind"
run "$B" cat --zstd-window-max 2G "$TMP/long" f
is_out "2 GiB zstd window: read with --zstd-window-max 2G" hello
expect_fail 1 "layer 1 \(sha256:[0-9a-f]{12}(…|\.\.\.)\): $win" \
	"2 GiB zstd window: its cache, built under 2G, refused at open under the default" -- \
	"$B" cat "$TMP/long" f
expect_fail 2 'zstd-window-max: "3G" is not a size from 1K to 2G' "--zstd-window-max 3G: usage error" -- \
	"$B" cat --zstd-window-max 3G "$TMP/long" f
mkdir -p "$TMP/mnt"
expect_fail 2 'zstd_window_max=5: not a size from 1K to 2G' "-o zstd_window_max=5: usage error" -- \
	"$B" mount -o zstd_window_max=5 "$TMP/long" "$TMP/mnt"
tar -C "$TMP/long" -cf - . | long31 >"$TMP/outer.tar.zst"
expect_fail 1 "outer.tar.zst: $win" "2 GiB window in a zstd outer archive: refused" -- \
	"$B" inspect "$TMP/outer.tar.zst"
run "$B" cat --zstd-window-max=2048M "$TMP/outer.tar.zst" f
is_out "2 GiB window in a zstd outer archive: read with --zstd-window-max=2048M" hello

# --- 4. skippable frames first; xz, bzip2, lz4 named ------------------------
skippable() { python3 -c 'import sys, struct
sys.stdout.buffer.write(struct.pack("<II", 0x184D2A50 + int(sys.argv[1]), 5) + b"hello")' "$1"; }
{ skippable 0; zstd -qc "$TMP/l.tar"; skippable 15; } >"$TMP/skip.tar.zst"
mkoci "$TMP/skip" "$TMP/skip.tar.zst"
run "$B" cat "$TMP/skip" f
is_out "zstd layer beginning with a skippable frame: read as zstd" hello
{ skippable 10; tar -C "$TMP/skip" -cf - . | zstd -qc; } >"$TMP/skip-outer.tar.zst"
run "$B" cat "$TMP/skip-outer.tar.zst" f
is_out "zstd outer archive beginning with a skippable frame: read as zstd" hello
for c in xz:xz bzip2:bzip2 lz4:lz4; do
	tool=${c%%:*} name=${c#*:}
	"$tool" -qc <"$TMP/l.tar" >"$TMP/l.$name" 2>/dev/null
	mkoci "$TMP/$name" "$TMP/l.$name" 2>/dev/null
	expect_fail 1 "layer 1 \(sha256:.*\): unsupported layer compression $name\$" \
		"$name layer: unsupported layer compression $name" -- "$B" cat "$TMP/$name" f
	tar -C "$TMP/skip" -cf - . | "$tool" -qc >"$TMP/outer.$name" 2>/dev/null
	expect_fail 1 "outer.$name: unsupported archive compression $name" \
		"$name outer archive: unsupported archive compression $name" -- "$B" inspect "$TMP/outer.$name"
done

# --- 5. mtimes INT64_MAX / INT64_MIN seconds saturate -----------------------
run "$B" ls -l "$G/mtime"
awk '{print $4, $NF}' "$TMP/out" >"$TMP/o2" && mv "$TMP/o2" "$TMP/out"
is_out "mtime INT64_MAX/MIN/-1 s: ls -l shows 2262, 1677 and 1969" "2262-04-11 max
1677-09-21 min
1969-12-31 neg"
for f in max:9223372036854775807 min:-9223372036854775808 neg:-1000000000; do
	run "$B" stat --json "$G/mtime" "${f%%:*}"
	# not jq: it reads numbers as doubles
	sed -n 's/^ *"mtime_ns": *\(-*[0-9]*\),*$/\1/p' "$TMP/out" >"$TMP/o2" && mv "$TMP/o2" "$TMP/out"
	is_out "mtime ${f%%:*}: stat mtime_ns ${f#*:}" "${f#*:}"
done
run "$B" stat "$G/mtime" min
grep Modify "$TMP/out" >"$TMP/o2" && mv "$TMP/o2" "$TMP/out"
is_out "mtime INT64_MIN: stat prints valid nanoseconds" "Modify: 1677-09-21 00:12:43.145224192 UTC"

done_testing
