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
# gets a shadow copy: every kind of cache file is written.
mkdir -p "$TMP/l1/etc" "$TMP/l2/big"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$TMP/l1/etc/passwd"
printf 'secret-bytes-of-another-file\n' >"$TMP/l1/etc/other"
for i in $(seq 1 20); do printf 'file %d\n' "$i" >"$TMP/l1/etc/f$i"; done
head -c 12000000 /dev/zero >"$TMP/l2/big/zeros"
tar -C "$TMP/l1" -cf - etc | gzip >"$TMP/l1.tar.gz"
tar -C "$TMP/l2" -cf - big | zstd -q >"$TMP/l2.tar.zst"
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"
IMG=$TMP/img

# --- 1. planted symlinks ---------------------------------------------
"$B" ls "$IMG" / >/dev/null 2>&1 && "$B" deps "$IMG" >/dev/null 2>&1
ok $? "first run fills the cache"
names=$(cd "$C" && find . -type f ! -name '*.lock' | sed 's|^\./||' | sort)
[ "$(echo "$names" | grep -c .)" -ge 6 ] && echo "$names" | grep -q 'shadow.zst$' &&
	echo "$names" | grep -q '^views/' && echo "$names" | grep -q '^deps/' &&
	echo "$names" | grep -q '^ids/'
ok $? "cache holds an index, a shadow, a view, a deps document and id records"
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
[ -z "$(find "$C" -type l)" ] || { diag "left: $(find "$C" -type l)"; false; }
ok $? "no symlink is left in the cache once rebuilt and swept"
"$B" cat "$IMG" /big/zeros | cmp -s - "$TMP/l2/big/zeros"
ok $? "zstd layer (shadow rebuilt) reads back"

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

done_testing
