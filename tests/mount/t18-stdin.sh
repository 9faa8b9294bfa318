#!/bin/bash
# `... | ocifs mount - DIR` (issue #13): the image piped in (plain and
# gzip) mounts the same tree as the file itself (find -printf of every
# entry, diff -r of the bytes); the spool file (the piped bytes, cmp)
# lives exactly as long as the mount -- the daemon removes it when it is
# unmounted -- or stays with --keep, which says where; a cache that
# cannot be written gives a warning and a temporary cache the daemon
# removes at unmount.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need umoci skopeo gzip python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
unset OCIFS_CACHE_DIR
CACHE=$XDG_CACHE_HOME/ocifs
A=$IMG/docker.tar

# tree DIR: every entry's name, type, mode, size, owner and link target
tree() { (cd "$1" && find . -printf '%p %y %m %s %U %G %l\n' | LC_ALL=C sort); }
# gone_wait PATH...: wait until none of PATH exists (the daemon removes
# them as it exits, after umount returned); 1 if one is still there after
# 120 s (a hang), never a shorter deadline.
gone_wait() {
	local end=$((SECONDS + 120)) p
	for p in "$@"; do
		while [ -e "$p" ]; do
			[ $SECONDS -lt $end ] || return 1
			sleep 0.1
		done
	done
}

F=$(mnt_dir file)
do_mount "$A" "$F" 2>"$TMP/err"
ok $? "mount of the file (the oracle)"
tree "$F" >"$TMP/tree.file"

for z in cat "gzip -c"; do
	M=$(mnt_dir "stdin-${z%% *}")
	$z "$A" | do_mount - "$M" 2>"$TMP/err"
	ok $? "$z FILE | ocifs mount - DIR"
	[ -s "$TMP/err" ] && diag "$(cat "$TMP/err")"
	tree "$M" >"$TMP/tree.stdin"
	cmp -s "$TMP/tree.file" "$TMP/tree.stdin" && [ "$(grep -c . "$TMP/tree.file")" -gt 10 ]
	ok $? "$z: the same entries as the file's mount ($(grep -c . "$TMP/tree.stdin") entries)"
	diff -r --no-dereference "$F" "$M" >"$TMP/d" 2>&1
	ok $? "$z: the same bytes (diff -r)"
	[ -s "$TMP/d" ] && diag "$(head -n 5 "$TMP/d")"
	sp=$(ls "$CACHE/spool/"stdin-*.tar 2>/dev/null)
	[ "$(echo "$sp" | grep -c .)" = 1 ] && $z "$A" | cmp -s - "$sp"
	ok $? "$z: while mounted, the spool holds the piped bytes ($sp)"
	awk -v d="$M" '$2 == d { print $1 }' /proc/self/mounts | grep -qx stdin
	ok $? "$z: the mount table names the source stdin"
	"$B" umount "$M"
	ok $? "$z: umount"
	gone_wait "$sp" && [ -z "$(ls -A "$CACHE/spool")" ]
	ok $? "$z: after umount the spool file is gone"
done

# --keep: the spool file stays, named
M=$(mnt_dir keep)
cat "$A" | do_mount - "$M" --keep 2>"$TMP/err"
ok $? "mount --keep -"
kept=$(sed -n 's/^ocifs: the image read from stdin is kept as //p' "$TMP/err")
case $kept in "$CACHE/spool/stdin-"*.tar) r=0 ;; *) r=1 ;; esac
ok $r "--keep says where the image is kept ($kept)"
pid=$(pgrep -f -- "mount - $M --keep")
[ -n "$pid" ]
ok $? "the daemon of the --keep mount runs (pid $pid)"
"$B" umount "$M"
ok $? "umount"
pid_wait "$pid"
ok $? "the daemon (pid $pid) has exited"
[ -n "$kept" ] && [ -f "$kept" ] && cmp -s "$kept" "$A"
ok $? "after umount the kept file is there and holds the image's bytes"
[ "$(stat -c %a "$kept")" = 600 ]
ok $? "the kept file is private (0600)"
rm -f "$kept"
# --keep of an image read in place (a file; stdin redirected from one):
# nothing is spooled, and the option says so instead of being ignored
M=$(mnt_dir keepfile)
for how in file stdin; do
	if [ $how = file ]; then do_mount "$A" "$M" --keep 2>"$TMP/err"; else do_mount - "$M" --keep <"$A" 2>"$TMP/err"; fi
	r=$?
	[ $r = 0 ] && [ "$(grep -c . "$TMP/err")" = 1 ] &&
		grep -q '^ocifs: warning: --keep: .* is read in place, not spooled from a stream: nothing to keep$' "$TMP/err"
	ok $? "mount --keep of a $how read in place: mounts, one warning line" || diag "exit $r: $(cat "$TMP/err")"
	"$B" umount "$M"
	ok $? "umount ($how)"
done

# a cache that cannot be written: a temporary one, removed at unmount
touch "$TMP/notadir"
shm_before=$(ls -d /dev/shm/ocifs-cache.* 2>/dev/null | sort)
M=$(mnt_dir tempcache)
cat "$A" | do_mount - "$M" --cache-dir "$TMP/notadir" 2>"$TMP/err"
ok $? "mount - with an unwritable cache"
grep -q "warning: cache: .*notadir.*using a temporary cache in /dev/shm/ocifs-cache\." "$TMP/err"
ok $? "it warns, naming the cache and the temporary one"
tmpc=$(sed -n 's/.*using a temporary cache in \([^,]*\), removed.*/\1/p' "$TMP/err")
[ -n "$tmpc" ] && [ -d "$tmpc/layers" ] && [ "$(cat "$M/etc/hello.txt")" = "$(cat "$F/etc/hello.txt")" ]
ok $? "the mount reads, its cache is $tmpc"
"$B" umount "$M"
ok $? "umount"
# (only this one: /dev/shm is the machine's, and another suite running
# at the same time has temporary caches of its own there)
gone_wait "$tmpc" && [ -n "$tmpc" ] && ! printf '%s\n' "$shm_before" | grep -qxF "$tmpc"
ok $? "the daemon removed the temporary cache when it ended"

"$B" umount "$F"
ok $? "umount the file's mount"
done_testing
