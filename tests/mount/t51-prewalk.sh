#!/bin/bash
# The walk ahead (fs/prewalk.c, -o prewalk=N): once mounted, the daemon
# lists the tree in the background through a clone of the mount, so the
# kernel holds it before the user's first walk.
#   - after it, a walk of the whole tree sends no READDIRPLUS or LOOKUP
#     (with prewalk=0 the same walk sends two READDIRPLUS a directory:
#     the control that shows the count is real);
#   - it lists every directory once, and reports as many entries as the
#     tree has;
#   - prewalk=N stops after N entries, and the rest of a walk is asked;
#   - the walk never keeps the mount busy: unmounting while it runs (held
#     by the test gate OCIFS_TEST_PREWALK_GATE) works at once, and the
#     daemon then ends it and exits 0;
#   - kill -9 of the daemon during the walk leaves no process behind
#     (the walk is a process of its own, without the daemon's /dev/fuse);
#   - a bad prewalk= value is one line naming it.
# Oracle: the source tree and libfuse's request log (-d).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 tar find || { done_testing; exit; }
B=$OCIFS_BIN

# 30 directories two levels deep, files and symlinks among them
R=$TMP/root
for i in $(seq 1 10); do
	mkdir -p "$R/d$i/a/x" "$R/d$i/b"
	echo "$i" >"$R/d$i/a/f"
	echo "$i" >"$R/d$i/b/g"
	ln -s ../a/f "$R/d$i/b/link"
done
# and one directory bigger than a getdents chunk (32 KiB): 1000 names of
# ~60 bytes
mkdir "$R/wide"
python3 -c '
import os, sys
for i in range(1000):
    open(os.path.join(sys.argv[1], "wide", "entry-%04d-named-long-enough-to-fill-a-getdents-buffer" % i), "w").close()
' "$R"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" .)
mkoci "$TMP/img" "$TMP/l1.tar"
ndirs=$(find "$R" -mindepth 1 -type d | wc -l)
nentries=$(find "$R" -mindepth 1 | wc -l)
nlinks=$(find "$R" -type l | wc -l)

# count OPCODE: requests of OPCODE in the log from line $L0 on
count() { tail -n +"$L0" "$TMP/fg.err" | grep -c "opcode: $1 ("; }
# prewalk_done: wait (up to 60 s: only a hang) for the walk's closing line
prewalk_done() {
	local end=$((SECONDS + 60))
	until grep -q "prewalk: .* listed" "$TMP/fg.err"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}
tree_same() {
	[ "$(cd "$M" && find . -printf '%p %y %l\n' | sort)" = "$(cd "$R" && find . -printf '%p %y %l\n' | sort)" ]
}

M=$(mnt_dir mnt)

# --- 1. the walk ahead, then a walk: served from the kernel's caches -----
fg_mount "$TMP/img" "$M" -d
ok $? "mount -d" || { diag "$(tail -n 20 "$TMP/fg.err")"; done_testing; exit; }
prewalk_done
ok $? "the walk ahead ends: $(grep -o 'prewalk: .* listed.*' "$TMP/fg.err")"
grep -q "prewalk: $M: $((ndirs + 1)) directories, $nentries entries listed\$" "$TMP/fg.err"
ok $? "it lists every directory once ($((ndirs + 1)) with the root) and every entry ($nentries)"
L0=$(($(wc -l <"$TMP/fg.err") + 1))
find "$M" -ls >/dev/null && tree_same
ok $? "find walks the whole tree as in the source"
[ "$(count READDIRPLUS)" = 0 ] && [ "$(count LOOKUP)" = 0 ] && [ "$(count READDIR)" = 0 ] &&
	[ "$(count GETATTR)" = 0 ] && [ "$(count READLINK)" = "$nlinks" ]
ok $? "that walk sends no READDIRPLUS ($(count READDIRPLUS)), LOOKUP ($(count LOOKUP)) or GETATTR ($(count GETATTR)); a READLINK a symlink ($(count READLINK) for $nlinks)"
"$B" umount "$M"
fg_wait
[ "$FG_RC" = 0 ]
ok $? "unmounted, exit 0 (exit $FG_RC)"

# --- 2. prewalk=0: the same walk asks every directory (the control) ------
fg_mount "$TMP/img" "$M" -d -o prewalk=0
ok $? "mount -d -o prewalk=0"
L0=$(($(wc -l <"$TMP/fg.err") + 1))
find "$M" -ls >/dev/null && tree_same
ok $? "find walks the whole tree"
[ "$(count READDIRPLUS)" -ge $((2 * (ndirs + 1))) ] && ! grep -q "prewalk:" "$TMP/fg.err"
ok $? "without the walk ahead it sends $(count READDIRPLUS) READDIRPLUS for $((ndirs + 1)) directories (two each)"
"$B" umount "$M"
fg_wait

# --- 3. prewalk=N: a bound -----------------------------------------------
fg_mount "$TMP/img" "$M" -d -o prewalk=5
ok $? "mount -d -o prewalk=5"
prewalk_done && grep -q "prewalk: $M: .* listed (stopped early)\$" "$TMP/fg.err"
ok $? "the walk ahead stops early: $(grep -o 'prewalk: .* listed.*' "$TMP/fg.err")"
"$B" umount "$M"
fg_wait
# inside a directory: wide/ is listed first (the root's last name,
# walked first) and is bigger than a chunk; the walk stops in it
fg_mount "$TMP/img" "$M" -d -o prewalk=900
listed=$(prewalk_done && sed -n "s/.*prewalk: .*: [0-9]* directories, \([0-9]*\) entries listed (stopped early)\$/\1/p" "$TMP/fg.err")
nroot=$(ls -A "$R" | wc -l)
[ -n "$listed" ] && [ "$listed" -ge 900 ] && [ "$listed" -lt $((nroot + 1000)) ] &&
	[ "$(ls "$M/wide" | wc -l)" = 1000 ]
ok $? "prewalk=900 stops within a 1000-name directory ($listed entries listed, fewer than its $nroot + 1000), which then lists whole"
L0=$(($(wc -l <"$TMP/fg.err") + 1))
find "$M" >/dev/null && tree_same && [ "$(count READDIRPLUS)" -gt 0 ]
ok $? "a walk after it is whole, and asks what the walk ahead left ($(count READDIRPLUS) READDIRPLUS)"
"$B" umount "$M"
fg_wait

# --- 4. unmount while the walk runs: never busy, the daemon exits ---------
export OCIFS_TEST_PREWALK_GATE=$TMP/pwgate
fg_mount "$TMP/img" "$M" -d
ok $? "mount -d, the walk ahead held after the root"
end=$((SECONDS + 60))
until grep -q "prewalk: waiting for" "$TMP/fg.err" || [ $SECONDS -ge $end ]; do sleep 0.05; done
grep -q "prewalk: waiting for" "$TMP/fg.err"
ok $? "the walk ahead is running (held)"
"$B" umount "$M" 2>"$TMP/umount.err"
r=$?
[ "$r" = 0 ] && ! is_mounted "$M"
ok $? "ocifs umount during the walk: exit $r, unmounted $(cat "$TMP/umount.err")"
fg_wait
[ "$FG_RC" = 0 ] && grep -q "prewalk: $M: .* listed (stopped early)\$" "$TMP/fg.err"
ok $? "the daemon ends the walk and exits 0 without the gate (exit $FG_RC)" ||
	diag "$(grep prewalk "$TMP/fg.err")"
unset OCIFS_TEST_PREWALK_GATE

# --- 5. kill -9 of the daemon during the walk: both die, the mount is dead -
# The walk's request, once the daemon has read it, waits uninterruptibly
# for its answer: a walk inside the daemon kept the daemon's /dev/fuse
# open and neither could end (t19 once). Twenty kills into a walk of 421
# directories, each at once after the mount: most land mid-request.
# all_dead PID: every thread of PID has exited (60 s: only a hang)
all_dead() {
	local end=$((SECONDS + 60)) t live
	while [ $SECONDS -lt $end ]; do
		live=0
		for t in /proc/"$1"/task/*/stat; do
			[ -e "$t" ] && [ "$(awk '{ print $3 }' "$t" 2>/dev/null)" != Z ] && live=1
		done
		[ $live = 0 ] && return 0
		sleep 0.05
	done
	return 1
}
R2=$TMP/root2
for i in $(seq 1 20); do for j in $(seq 1 20); do mkdir -p "$R2/d$i/e$j"; done; done
(cd "$R2" && tar --numeric-owner -cf "$TMP/l2.tar" .)
mkoci "$TMP/img2" "$TMP/l2.tar"
stuck=0
for i in $(seq 1 20); do
	fg_mount "$TMP/img2" "$M" || { stuck=1; break; }
	kill -9 "$FG_PID"
	if ! all_dead "$FG_PID"; then
		stuck=1
		# recover: abort the connection, which ends the waiting request
		d=$(mountpoint -d "$M" | cut -d: -f2)
		mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections
		echo 1 >"/sys/fs/fuse/connections/$d/abort"
	fi
	fg_wait 2>/dev/null
	# dead: statfs fails at once (not answered, nor waiting for a server)
	case $(timeout 60 stat -f "$M" 2>&1) in *"not connected"*) ;; *) stuck=1 ;; esac
	force_umount "$M"
	[ $stuck = 0 ] || break
done
[ $stuck = 0 ]
ok $? "kill -9 of the daemon during the walk ahead, twenty times: the daemon and the walk end, the mount is dead (round $i)"

# --- 6. a bad value ---------------------------------------------------------
for bad in prewalk=x prewalk=-1 prewalk; do
	one_line_fail 2 "ocifs: -o $bad: " "-o $bad: exit 2, one line" -- "$B" mount "$TMP/img" "$M" -o "$bad"
done
! is_mounted "$M"
ok $? "and nothing is mounted"
done_testing
