#!/bin/bash
# Mount lifecycle: 50 mount/unmount cycles; two mounts of one image while
# it is still being indexed; unmounting while a reader holds a file open;
# a busy or already-mounted DIR; the image removed or truncated under a
# live mount (EIO, no crash); SIGTERM ends a mount cleanly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need umoci skopeo jq fusermount3 || { done_testing; exit; }
[ -e /dev/fuse ] || { skip "no /dev/fuse"; done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
M1=$TMP/m1
M2=$TMP/m2
mkdir -p "$M1" "$M2"
at_exit 'fusermount3 -u "$M1" 2>/dev/null; fusermount3 -u "$M2" 2>/dev/null'
mounted() { grep -q " $1 fuse" /proc/self/mounts; }

# 50 cycles, each answering a read.
bad=0
for i in $(seq 1 50); do
	"$B" mount "$IMG/oci" "$M1" 2>>"$TMP/err" || { bad=$((bad + 1)); continue; }
	[ "$(cat "$M1/etc/hello.txt")" = "hello from layer 2" ] || bad=$((bad + 1))
	"$B" umount "$M1" 2>>"$TMP/err" || bad=$((bad + 1))
done
[ $bad -eq 0 ] && ! mounted "$M1"
ok $? "50 mount/read/unmount cycles ($bad failures)"
[ $bad -eq 0 ] || diag "$(tail -3 "$TMP/err")"

# Two mounts of one image racing on a cold cache: one indexes, the other
# waits for it; both serve the same bytes.
mkdir -p "$TMP/big/d"
head -c 60000000 /dev/urandom >"$TMP/big/d/blob"
tar -C "$TMP/big" -cf - d | gzip -1 >"$TMP/big.tar.gz"
mkoci "$TMP/bigimg" "$TMP/big.tar.gz"
rm -rf "$XDG_CACHE_HOME"
"$B" mount "$TMP/bigimg" "$M1" 2>"$TMP/e1" &
p1=$!
"$B" mount "$TMP/bigimg" "$M2" 2>"$TMP/e2" &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ]
ok $? "two concurrent mounts of an image being indexed both succeed"
cmp -s "$M1/d/blob" "$TMP/big/d/blob" && cmp -s "$M2/d/blob" "$TMP/big/d/blob"
ok $? "both mounts serve the same bytes"
[ "$(ls "$XDG_CACHE_HOME"/ocifs/layers/*.db | wc -l)" -eq 1 ]
ok $? "one index was built, not two"
fusermount3 -u "$M2"

# Unmount while a reader holds a file open: refused as busy, cleanly.
exec 3<"$M1/d/blob"
expect_fail 1 'busy' "umount while a file is open: one-line busy error" -- "$B" umount "$M1"
mounted "$M1"
ok $? "still mounted and serving"
# (no process substitution here: its child would inherit fd 3 and could
# still hold the file open, busy, when the umount below runs)
head -c 100 <&3 >"$TMP/head-open"
head -c 100 "$TMP/big/d/blob" | cmp -s - "$TMP/head-open"
ok $? "the open file still reads"
exec 3<&-
"$B" umount "$M1"
ok $? "umount after the reader closed"

# DIR problems.
"$B" mount "$IMG/oci" "$M1"
expect_fail 1 "$M1.*(mount|busy)" "mount on a DIR that is already a mount" -- "$B" mount "$IMG/oci" "$M1"
expect_fail 1 'not empty' "mount on a non-empty DIR" -- "$B" mount "$IMG/oci" "$TMP"
expect_fail 1 'none: no such directory \(create it first: mkdir -p ' "mount on a missing DIR" -- "$B" mount "$IMG/oci" "$TMP/none"
fusermount3 -u "$M1"

# The image removed or truncated under a live mount.
cp -r "$TMP/bigimg" "$TMP/gone"
"$B" mount "$TMP/gone" "$M1"
rm -rf "$TMP/gone"
cat "$M1/d/blob" >/dev/null 2>"$TMP/cat.err"
[ $? -ne 0 ] && grep -q 'Input/output error' "$TMP/cat.err"
ok $? "image deleted while mounted: reads fail with EIO"
ls "$M1" >/dev/null && mounted "$M1"
ok $? "the mount is still alive (no crash)"
fusermount3 -u "$M1"
cp -r "$TMP/bigimg" "$TMP/trunc"
"$B" mount "$TMP/trunc" "$M1"
for f in "$TMP"/trunc/blobs/sha256/*; do
	[ "$(stat -c %s "$f")" -gt 1000000 ] && truncate -s 1000 "$f"
done
cat "$M1/d/blob" >/dev/null 2>"$TMP/cat.err"
[ $? -ne 0 ] && grep -q 'Input/output error' "$TMP/cat.err"
ok $? "image truncated while mounted: reads fail with EIO"
mounted "$M1"
ok $? "still mounted after the failed reads"
fusermount3 -u "$M1"

# SIGTERM unmounts.
"$B" mount "$IMG/oci" "$M1"
pid=$(pgrep -f "ocifs mount $IMG/oci $M1" | head -1)
[ -n "$pid" ] && kill -TERM "$pid" && pid_wait "$pid"
ok $? "SIGTERM ends the daemon"
! mounted "$M1"
ok $? "SIGTERM to the daemon unmounts"
done_testing
