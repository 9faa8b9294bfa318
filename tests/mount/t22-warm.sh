#!/bin/bash
# The warm mount's trust rules (issue #14, goal 3; DESIGN §3): a view file
# validated once is checked in O(layers) at the next mount only while it
# is that very file, unchanged (its views/<key>.view.ok stamp: device,
# inode, size, mtime, ctime); a view changed in place with its mtime put
# back, an index replaced under a stamped view, and a blob changed since
# its index was built are all still caught, and nothing serves wrong
# bytes; the cache sweep a mount defers is done by its daemon's exit. The
# oracle: the files the layer was made from (cmp).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 gzip tar || { done_testing; exit; }
B=$OCIFS_BIN
M=$(mnt_dir m)
C=$XDG_CACHE_HOME/ocifs

mkdir -p "$TMP/src/d" "$TMP/src/etc"
head -c 400000 /dev/urandom >"$TMP/src/d/blob"
echo "hello warm" >"$TMP/src/etc/hello.txt"
for i in $(seq 1 40); do echo "file $i" >"$TMP/src/etc/f$i"; done
tar -C "$TMP/src" --owner=0 --group=0 -cf - d etc | gzip -1 >"$TMP/l.tar.gz"
mkoci "$TMP/img" "$TMP/l.tar.gz"
IMG=$TMP/img
BLOB=$(ls "$IMG"/blobs/sha256/* | while read -r f; do
	[ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' \n')" = 1f8b ] && echo "$f"; done)

# serves: the mount at $M answers with the source's bytes
serves() {
	cmp -s "$M/d/blob" "$TMP/src/d/blob" && [ "$(cat "$M/etc/hello.txt")" = "hello warm" ] &&
		[ "$(ls "$M/etc" | wc -l)" -eq 41 ]
}

"$B" ls "$IMG" / >/dev/null 2>"$TMP/err"
ok $? "ocifs ls builds the cache"
V=$(ls "$C"/views/*.view | head -n 1)
[ -s "$V.ok" ]
ok $? "the view passed its full check once: its stamp is there"

do_mount "$IMG" "$M" 2>"$TMP/err" && serves
ok $? "warm mount (the stamped view checked in O(layers)) serves the right bytes"
[ "$(df -B4096 --output=used "$M" | tail -n 1 | tr -d ' ')" -eq \
	$(( ($(stat -c %s "$TMP/src/d/blob") + 4095) / 4096 + 41 )) ]
ok $? "statfs counts the data blocks the validation counted"
"$B" umount "$M"

# A view changed in place (a name pointing at an inode that does not
# exist: only the full walk sees it) with its mtime put back: the ctime
# gives it away, so it is walked again, found bad and rebuilt.
python3 - "$V" <<'EOF'
import os, struct, sys
p = sys.argv[1]
st = os.stat(p)
with open(p, "r+b") as f:
    hdr = f.read(72)
    off_dirents = struct.unpack_from("<Q", hdr, 64)[0]
    f.seek(off_dirents + 8 + 4)          # dirent 1's inode
    f.write(struct.pack("<I", 0xFFFFFFF0))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
do_mount "$IMG" "$M" 2>"$TMP/err" && serves
ok $? "a view changed in place, mtime restored: still mounts and serves the right bytes"
grep -q 'unusable; rebuilding' "$TMP/err"
ok $? "... because it was walked again and rebuilt (said once)"
"$B" umount "$M"

# An index replaced under a stamped view (here: rewritten, so its
# identity changes): the view's key no longer matches; rebuilt, right.
D=$(ls "$C"/layers/*.db | head -n 1)
cp "$D" "$TMP/db" && cat "$TMP/db" >"$D"
do_mount "$IMG" "$M" 2>"$TMP/err" && serves
ok $? "an index rewritten under a stamped view: the mount still serves the right bytes"
"$B" umount "$M"

# A view changed in place, mtime left as the write set it: its old
# stamp no longer names it; walked again, rebuilt.
python3 - "$V" <<'EOF'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    hdr = f.read(72)
    off_dirents = struct.unpack_from("<Q", hdr, 64)[0]
    f.seek(off_dirents + 8 + 4)
    f.write(struct.pack("<I", 0xFFFFFFF0))
EOF
do_mount "$IMG" "$M" 2>"$TMP/err" && serves && grep -q 'unusable; rebuilding' "$TMP/err"
ok $? "an old stamp beside a changed view: walked again, rebuilt, right bytes"
"$B" umount "$M"

# The warm mount leaves the cache-wide sweep of dead writers' temp files
# to its daemon's exit (it reads every cache directory): done by then.
dead=999999
while kill -0 $dead 2>/dev/null; do dead=$((dead - 1)); done
: >"$C/views/0123.view.tmp.$dead.a1b2c3"
do_mount "$IMG" "$M" 2>"$TMP/err" && serves
ok $? "warm mount with a dead writer's temp file in the cache"
pid=$(pgrep -f "mount $IMG $M\$" | head -n 1)
"$B" umount "$M" && [ -n "$pid" ] && pid_wait "$pid" && [ ! -e "$C/views/0123.view.tmp.$dead.a1b2c3" ]
ok $? "... removed by the daemon when it exits"

# flip_middle FILE: invert the byte in the middle of FILE, in place
flip_middle() {
	python3 - "$1" <<'EOF'
import os, sys
p = sys.argv[1]
n = os.path.getsize(p)
with open(p, "r+b") as f:
    f.seek(n // 2)
    b = f.read(1)
    f.seek(n // 2)
    f.write(bytes([b[0] ^ 0xFF]))
EOF
}

# A blob changed since its index was built. With a new mtime: not the
# verified file any more, re-hashed, refused (exit 3, digest mismatch).
cp -p "$BLOB" "$TMP/blob.orig"
flip_middle "$BLOB"
"$B" mount "$IMG" "$M" 2>"$TMP/err"
rc=$?
at_exit "force_umount '$M'"
[ $rc -eq 3 ] && grep -q 'digest mismatch' "$TMP/err" && ! is_mounted "$M"
ok $? "a blob changed since its index was built: the warm mount refuses it (exit 3)"
[ $rc -eq 3 ] || diag "exit $rc: $(cat "$TMP/err")"

# The same change with the blob's mtime put back: its identity matches
# the verified file, so the mount trusts the index (DESIGN §3), but no
# read returns the changed bytes: the file whose data changed fails (EIO:
# a decode error, or the first-read sha256 of the file).
cat "$TMP/blob.orig" >"$BLOB"
"$B" ls "$IMG" / >/dev/null 2>&1 # re-hashed: this identity is verified
touch -r "$BLOB" "$TMP/stamp"
flip_middle "$BLOB"
touch -r "$TMP/stamp" "$BLOB"
do_mount "$IMG" "$M" 2>"$TMP/err"
ok $? "a blob changed in place with its mtime restored: mounts (identity unchanged)"
if is_mounted "$M"; then
	cat "$M/d/blob" >/dev/null 2>&1
	[ $? -ne 0 ]
	ok $? "... but reading the changed file fails (EIO), it never gives other bytes"
	"$B" umount "$M"
else
	fail "... not mounted"
fi
cat "$TMP/blob.orig" >"$BLOB"

done_testing
