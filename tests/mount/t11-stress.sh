#!/bin/bash
# Concurrency: 8 threads pread random ranges of random files of a mounted
# image (a gzip layer and a zstd layer, thousands of files) for 30 s
# (OCIFS_STRESS_SECS), every byte compared with an extracted copy.
. "$(dirname "$0")/../lib.sh"

need fusermount3 gzip zstd || { done_testing; exit; }
[ -e /dev/fuse ] || { skip "no /dev/fuse"; done_testing; exit; }
B=$OCIFS_BIN
STRESS=${OCIFS_BUILDDIR:-.}/tests/mount/stress
SECS=${OCIFS_STRESS_SECS:-30}
MNT=$TMP/mnt
mkdir -p "$MNT" "$TMP/ref"
at_exit 'fusermount3 -u "$MNT" 2>/dev/null'

# Layer 1: a python stdlib (gzip, checkpoints every 1 MiB of output would
# be too many; the default span applies). Layer 2: perl modules (zstd).
src1=$(ls -d /usr/lib/python3* 2>/dev/null | head -1)
src2=$(ls -d /usr/share/perl /usr/share/perl5 2>/dev/null | head -1)
[ -n "$src1" ] && [ -n "$src2" ] || { skip "no python3 or perl tree to build from"; done_testing; exit; }
tar -C / -cf "$TMP/l1.tar" "${src1#/}" 2>/dev/null
tar -C / -cf "$TMP/l2.tar" "${src2#/}" 2>/dev/null
gzip -1 <"$TMP/l1.tar" >"$TMP/l1.tar.gz"
zstd -q -3 <"$TMP/l2.tar" >"$TMP/l2.tar.zst"
tar -C "$TMP/ref" -xf "$TMP/l1.tar"
tar -C "$TMP/ref" -xf "$TMP/l2.tar"
rm -f "$TMP/l1.tar" "$TMP/l2.tar"
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"

"$B" mount "$TMP/img" "$MNT" 2>"$TMP/err"
ok $? "mount a 2-layer image (gzip + zstd)"
[ -s "$TMP/err" ] && diag "$(cat "$TMP/err")"
out=$("$STRESS" "$MNT" "$TMP/ref" "$SECS" 8)
ok $? "8 threads, $SECS s of random reads: byte-exact"
diag "$out"
# The same while a second process walks and reads everything.
( find "$MNT" -type f -exec cat {} + >/dev/null 2>&1 ) &
walker=$!
out=$("$STRESS" "$MNT" "$TMP/ref" 5 4)
ok $? "random reads stay exact while another process reads every file"
wait $walker
diff -r "$TMP/ref" "$MNT" >/dev/null
ok $? "diff -r of the whole tree"
"$B" umount "$MNT"
ok $? "umount"
done_testing
