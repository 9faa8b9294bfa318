#!/bin/bash
# The cache under $XDG_CACHE_HOME/ocifs is untrusted (issue #9): symlinks
# planted at every predictable name are never written through, a
# symlinked cache subdir is refused, temp files of killed writers are
# swept (a live writer's are kept), tampered index rows are caught
# (rebuild with a warning; verify fails), and open files stay bounded
# with 1000 layers under a low ulimit -n.
. "$(dirname "$0")/../lib.sh"

need sqlite3 jq python3 gzip zstd || { done_testing; exit; }
B=$OCIFS_BIN
C=$XDG_CACHE_HOME/ocifs

# A gzip layer with a few files and a zstd layer whose one big frame
# gets a lazy shadow once read at random (in a mount): every kind of
# cache file is written.
mkdir -p "$TMP/l1/etc" "$TMP/l2/big"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$TMP/l1/etc/passwd"
printf 'secret-bytes-of-another-file\n' >"$TMP/l1/etc/other"
for i in $(seq 1 20); do printf 'file %d\n' "$i" >"$TMP/l1/etc/f$i"; done
head -c 12000000 /dev/zero >"$TMP/l2/big/zeros"
tar -C "$TMP/l1" -cf - etc | gzip >"$TMP/l1.tar.gz"
tar -C "$TMP/l2" -cf - big | zstd -q >"$TMP/l2.tar.zst"
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"
IMG=$TMP/img
. "$OCIFS_SRCDIR/tests/mount/mountlib.sh"

# --- 1. planted symlinks ---------------------------------------------
"$B" ls "$IMG" / >/dev/null 2>&1 && "$B" deps "$IMG" >/dev/null 2>&1
ok $? "first run fills the cache"
# a random read far into the big frame: the lazy shadow (made in the
# background; waited for before the unmount, which would cancel it)
if need_fuse; then
	M=$(mnt_dir m)
	do_mount "$IMG" "$M" && dd if="$M/big/zeros" bs=4096 iflag=skip_bytes skip=10000000 count=1 \
		2>/dev/null | cmp -s - <(head -c 4096 /dev/zero)
	ok $? "a random read in the mount"
	for i in $(seq 1 300); do
		[ -s "$(ls "$C"/layers/*.zshadow 2>/dev/null | head -n 1)" ] && break
		sleep 0.2
	done
	fusermount3 -u "$M"
fi
names=$(cd "$C" && find . -type f ! -name '*.lock' | sed 's|^\./||' | sort)
[ "$(echo "$names" | grep -c .)" -ge 6 ] && echo "$names" | grep -q 'zshadow$' &&
	echo "$names" | grep -q '^views/' && echo "$names" | grep -q '^deps/' &&
	echo "$names" | grep -q '^ids/'
ok $? "cache holds an index, a lazy shadow, a view, a deps document and id records"
printf 'precious\n' >"$TMP/victim"
printf 'precious too\n' >"$TMP/victim2"
# planted CMD...: replace every cache file by a symlink to victim2, put a
# symlink to victim at the old-style temp name "<file>.tmp.<pid>" of the
# process about to run (exec keeps the pid), then run CMD.
planted() {
	NAMES="$names" C="$C" V="$TMP/victim" V2="$TMP/victim2" bash -c '
		for n in $NAMES; do
			rm -f "$C/$n"
			ln -s "$V" "$C/$n.tmp.$$"
			ln -s "$V2" "$C/$n"
		done
		for l in "$C"/layers/*.lock; do rm -f "$l"; ln -s "$V2" "$l"; done
		exec "$@"' planted "$@"
}
planted "$B" ls "$IMG" /etc >"$TMP/out" 2>"$TMP/err"
ok $? "ls with a symlink planted at every cache name and temp name succeeds"
grep -qx passwd "$TMP/out"
ok $? "ls output is right"
planted "$B" deps "$IMG" >/dev/null 2>"$TMP/err"
ok $? "deps with planted symlinks succeeds"
planted "$B" cat "$IMG" /etc/passwd >"$TMP/out" 2>"$TMP/err" &&
	cmp -s "$TMP/out" "$TMP/l1/etc/passwd"
ok $? "cat with planted symlinks reads the right bytes"
[ "$(cat "$TMP/victim")" = precious ] && [ "$(cat "$TMP/victim2")" = "precious too" ]
ok $? "symlink targets are untouched"
"$B" deps "$IMG" >/dev/null 2>&1
"$B" cat "$IMG" /big/zeros | cmp -s - "$TMP/l2/big/zeros"
ok $? "zstd layer (its lazy shadow's planted symlink removed) reads back"
[ -z "$(find "$C" -type l)" ] || { diag "left: $(find "$C" -type l)"; false; }
ok $? "no symlink is left in the cache once rebuilt and swept"

# A symlinked cache subdir (or root) is refused, nothing written there.
mkdir "$TMP/elsewhere"
rm -rf "$C/views"
ln -s "$TMP/elsewhere" "$C/views"
expect_fail 1 'views is a symlink' "symlinked views/ is refused" -- "$B" ls "$IMG" /
[ -z "$(ls -A "$TMP/elsewhere")" ]
ok $? "nothing written through the symlinked subdir"
rm "$C/views"
mkdir -p "$TMP/c2"
ln -s "$TMP/elsewhere" "$TMP/c2/ocifs"
XDG_CACHE_HOME=$TMP/c2 expect_fail 1 'ocifs is a symlink' "symlinked cache root is refused" -- \
	"$B" ls "$IMG" /
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$TMP/c3/ocifs"
	chown nobody "$TMP/c3/ocifs"
	XDG_CACHE_HOME=$TMP/c3 expect_fail 1 'owned by uid' "cache dir of another user is refused" -- \
		"$B" ls "$IMG" /
else
	skip "not root: cannot make a cache dir owned by another user"
fi
"$B" ls "$IMG" / >/dev/null 2>&1 && [ "$(stat -c %a "$C/views")" = 700 ]
ok $? "views/ recreated with mode 0700"

# --- 2. temp files of killed writers ----------------------------------
dead=$(sh -c 'echo $$')
while kill -0 "$dead" 2>/dev/null; do dead=$(sh -c 'echo $$'); done
head -c 1000000 /dev/zero >"$C/views/0123.view.tmp.$dead.a1b2c3"
: >"$C/deps/4567.json.tmp.$dead"
: >"$C/ids/89ab.tmp.$dead.ffffff"
: >"$C/layers/cdef.db.tmp.$dead.000000"
: >"$C/views/live.view.tmp.$$.a1b2c3"
"$B" ls "$IMG" / >/dev/null 2>&1
[ ! -e "$C/views/0123.view.tmp.$dead.a1b2c3" ] && [ ! -e "$C/deps/4567.json.tmp.$dead" ] &&
	[ ! -e "$C/ids/89ab.tmp.$dead.ffffff" ] && [ ! -e "$C/layers/cdef.db.tmp.$dead.000000" ]
ok $? "temp files of a dead pid are swept in every cache subdir"
[ -e "$C/views/live.view.tmp.$$.a1b2c3" ]
ok $? "temp file of a live pid is kept"
rm -f "$C/views/live.view.tmp.$$.a1b2c3"

# --- 3. tampered index rows ------------------------------------------
d1=$("$B" inspect --json "$IMG" | jq -r '.layers[0].digest' | cut -d: -f2)
DB=$C/layers/$d1.db
"$B" index "$IMG" >/dev/null 2>&1 && [ -f "$DB" ]
ok $? "layer 1 indexed"
cp -p "$DB" "$TMP/db.good"
row() { sqlite3 "$DB" "SELECT $1 FROM entries WHERE dir='etc' AND name='$2'"; }
# tamper SQL [keep-mtime]: edit the index; keep-mtime makes it look
# untouched since it was trusted (no quick_check at open)
tamper() {
	cp -p "$TMP/db.good" "$DB"
	sqlite3 "$DB" "$1" || return 1
	[ -z "${2:-}" ] || touch -r "$TMP/db.good" "$DB"
}
other_off=$(row data_off other)
tamper "UPDATE entries SET data_off=$other_off WHERE dir='etc' AND name='passwd'"
rm -f "$C"/views/*
"$B" cat "$IMG" /etc/passwd >"$TMP/out" 2>"$TMP/err" && cmp -s "$TMP/out" "$TMP/l1/etc/passwd"
ok $? "data_off pointing at another file: cat prints the right bytes"
grep -q "cache $DB is inconsistent.*rebuilding" "$TMP/err"
ok $? "... with a warning naming the cache file"
tamper "UPDATE entries SET data_off=$other_off WHERE dir='etc' AND name='passwd'" keep-mtime
"$B" cat --layer 1 "$IMG" etc/passwd >"$TMP/out" 2>"$TMP/err" &&
	cmp -s "$TMP/out" "$TMP/l1/etc/passwd" && grep -q "cache $DB is inconsistent" "$TMP/err"
ok $? "same with the mtime put back: cat --layer checks the rows, rebuilds, right bytes"
tamper "UPDATE entries SET hdr_off=$(row hdr_off passwd)+7 WHERE dir='etc' AND name='passwd'" keep-mtime
rm -f "$C"/views/*
"$B" ls "$IMG" /etc >"$TMP/out" 2>"$TMP/err" && grep -qx passwd "$TMP/out" &&
	grep -q "cache $DB is inconsistent" "$TMP/err"
ok $? "one corrupt row: ls rebuilds the index (no Stale file handle)"
"$B" ls "$IMG" /etc >/dev/null 2>"$TMP/err" && [ ! -s "$TMP/err" ]
ok $? "... and the next run is clean"
tamper "UPDATE entries SET size=5000, data_len=5000 WHERE dir='etc' AND name='passwd'"
"$B" index "$IMG" >/dev/null 2>"$TMP/err" && grep -q "cache $DB is inconsistent" "$TMP/err"
ok $? "size larger than the member's slot: index rebuilds with a warning"
# A tamper consistent with the tar layout (a shorter size) passes the
# row checks; the file's sha256 catches it on read, verify re-derives.
tamper "UPDATE entries SET size=5, data_len=5 WHERE dir='etc' AND name='passwd'" keep-mtime
rm -f "$C"/views/*
"$B" cat "$IMG" /etc/passwd >"$TMP/out" 2>"$TMP/err"
[ $? -eq 1 ] && grep -qF "$IMG: /etc/passwd: content does not match the sha256" "$TMP/err" &&
	! cmp -s "$TMP/out" "$TMP/l1/etc/passwd"
ok $? "consistent tamper: cat fails on the sha256 check, naming the image and the file" || diag "$(cat "$TMP/err")"
"$B" cat --layer 1 "$IMG" etc/passwd >"$TMP/out" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q '"etc/passwd" does not match the sha256' "$TMP/err"
ok $? "consistent tamper: cat --layer fails on the sha256 check too"
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
	M1=$(mnt_dir mnt1)
	do_mount "$IMG" "$M1" 2>/dev/null
	cat "$M1/etc/passwd" >"$TMP/out" 2>"$TMP/err"
	[ $? -ne 0 ] && grep -q 'Input/output error' "$TMP/err" && ! cmp -s "$TMP/out" "$TMP/l1/etc/passwd"
	ok $? "consistent tamper: reading it through a mount fails with EIO"
	fusermount3 -u "$M1"
else
	skip "no FUSE: mount read of a tampered file"
fi
"$B" verify "$IMG" >/dev/null 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "cache $DB differs from the layer (entry [0-9]* (etc/passwd): size)" "$TMP/err"
ok $? "verify fails on a tampered index, naming the file and the row"
"$B" verify "$IMG" >/dev/null 2>&1 && "$B" cat "$IMG" /etc/passwd 2>/dev/null | cmp -s - "$TMP/l1/etc/passwd"
ok $? "verify replaced it: the next verify passes, cat is right (view rebuilt)"
tamper "UPDATE entries SET data_off=$other_off WHERE dir='etc' AND name='passwd'" keep-mtime
"$B" verify "$IMG" >/dev/null 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "cache $DB was unusable; rebuilt it" "$TMP/err"
ok $? "verify fails on an inconsistent index too"
"$B" verify "$IMG" >/dev/null 2>&1
ok $? "... which it rebuilt"

# --- 4. open files bounded --------------------------------------------
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64) \
	python3 "$OCIFS_SRCDIR/tests/gen/mkmanylayers.py" "$TMP/many" 1000
ok $? "1000-layer OCI layout generated"
(ulimit -n 256 && "$B" index "$TMP/many" >/dev/null 2>"$TMP/err")
ok $? "index of 1000 layers under ulimit -n 256" || diag "$(tail -3 "$TMP/err")"
(ulimit -n 256 && "$B" ls "$TMP/many" /d >"$TMP/out" 2>"$TMP/err") && [ "$(grep -c . "$TMP/out")" = 1001 ]
ok $? "ls of the merged view under ulimit -n 256"
(ulimit -n 256 && "$B" cat "$TMP/many" /d/top) 2>&1 | grep -qx 'top 1000'
ok $? "cat of a file of the last layer"
(ulimit -n 256 && "$B" cat --layer 500 "$TMP/many" d/f500) 2>&1 | grep -qx 'layer 500'
ok $? "cat --layer 500"
mkdir -p "$TMP/small"
(ulimit -n 7 && XDG_CACHE_HOME=$TMP/small "$B" ls "$IMG" / >/dev/null 2>"$TMP/err")
[ $? -eq 1 ] && grep -q 'Too many open files' "$TMP/err"
ok $? "out of fds: the error names the errno" || diag "$(cat "$TMP/err")"
if need_fuse; then
	M=$(mnt_dir mnt)
	(ulimit -n 256 && do_mount "$TMP/many" "$M")
	ok $? "mount of 1000 layers under ulimit -n 256"
	[ "$(cat "$M"/d/f* | grep -c '^layer ')" = 1000 ] && [ "$(cat "$M/d/top")" = "top 1000" ]
	ok $? "every layer's file reads back through the mount"
	fusermount3 -u "$M"
	ok $? "unmount"
fi

done_testing
