#!/bin/bash
# Mount options of issue #13, each against what the kernel and /proc say:
# -s serves on one thread and -o max_threads=N on at most N workers
# (/proc/PID/status Threads under parallel readers); -o nonempty mounts
# over a non-empty directory (refused without it) and gives it back;
# -o auto_unmount: kill -9 of the daemon removes the mount (without it the
# mount stays, dead); umount -l detaches a busy mount (a process's cwd
# inside) that plain umount refuses, and the daemon exits once the last
# user leaves; an unknown or malformed -o option is one line, exit 2,
# nothing mounted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
B=$OCIFS_BIN
export XDG_CACHE_HOME=$TMP/cache

mkdir -p "$TMP/r/etc"
for i in $(seq 1 24); do
	head -c 200000 /dev/urandom >"$TMP/r/etc/f$i"
done
echo hello >"$TMP/r/etc/hello"
tar -C "$TMP/r" -cf - . | gzip -1 >"$TMP/l1.tar.gz"
mkoci "$TMP/img" "$TMP/l1.tar.gz"
M=$(mnt_dir m)
mounted() { awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/self/mounts; }
# The daemon's threads that serve requests: all but the read-ahead
# workers (named ocifs-readahead), which decode ahead of the readers
# whatever the loop; empty once the daemon is gone.
threads() {
	local f c n=0
	[ -d "/proc/$1/task" ] || return 0
	for f in /proc/"$1"/task/*/comm; do
		read -r c <"$f" 2>/dev/null || continue
		[ "$c" = ocifs-readahead ] || n=$((n + 1))
	done
	echo "$n"
}

# readers PID: 8 parallel readers of every file while sampling PID's
# thread count; prints the largest count seen.
readers() {
	local pid=$1 max=0 t j pids=""
	for j in $(seq 8); do
		(for k in 1 2 3; do cat "$M"/etc/f* >/dev/null; done) &
		pids="$pids $!"
	done
	while :; do
		t=$(threads "$pid")
		[ -n "$t" ] && [ "$t" -gt "$max" ] && max=$t
		local live=0
		for j in $pids; do kill -0 "$j" 2>/dev/null && live=1; done
		[ $live -eq 1 ] || break
		sleep 0.01
	done
	# shellcheck disable=SC2086
	wait $pids
	echo "$max"
}

# 1. -s: one thread, everything served.
fg_mount "$TMP/img" "$M" -s -o prewalk=0 # (no walk ahead: its thread would count)
ok $? "mount -s: mounted"
max=$(readers "$FG_PID")
[ "$max" -eq 1 ]
ok $? "mount -s: the daemon has one thread under 8 parallel readers (saw $max)"
[ "$(cat "$M/etc/hello")" = hello ] && cmp -s "$M/etc/f7" "$TMP/r/etc/f7"
ok $? "mount -s: files read back exactly"
"$B" umount "$M"
fg_wait
[ "$FG_RC" -eq 0 ]
ok $? "mount -s: unmounted, the daemon exited 0 (exit $FG_RC)"

# 2. max_threads=1: the main thread and at most one worker.
fg_mount "$TMP/img" "$M" -o max_threads=1,prewalk=0
ok $? "-o max_threads=1: mounted"
max=$(readers "$FG_PID")
[ "$max" -le 2 ]
ok $? "-o max_threads=1: at most 1 worker + the main thread under 8 readers (saw $max)"
cmp -s "$M/etc/f3" "$TMP/r/etc/f3"
ok $? "-o max_threads=1: files read back exactly"
"$B" umount "$M"
fg_wait
for bad in max_threads=0 max_threads=x max_threads; do
	expect_fail 2 "^ocifs: -o $bad: " "-o $bad: exit 2, one line" -- "$B" mount "$TMP/img" "$M" -o "$bad"
done
! mounted "$M"
ok $? "nothing mounted after the refused options"

# 3. nonempty: refused without it, mounted with it, the directory back after.
N=$(mnt_dir full)
echo mine >"$N/own-file"
expect_fail 1 "not empty .*-o nonempty" "a non-empty DIR is refused, the message names -o nonempty" -- \
	"$B" mount "$TMP/img" "$N"
! mounted "$N"
ok $? "not mounted over the non-empty DIR"
at_exit "force_umount '$N'"
"$B" mount "$TMP/img" "$N" -o nonempty
ok $? "-o nonempty: mounted"
[ "$(cat "$N/etc/hello")" = hello ] && [ ! -e "$N/own-file" ]
ok $? "-o nonempty: the image shows, the directory's own file is hidden"
"$B" umount "$N"
[ "$(cat "$N/own-file")" = mine ] && ! mounted "$N"
ok $? "-o nonempty: after umount the directory's own file is back"

# 4. auto_unmount: kill -9 of the daemon takes the mount with it.
fg_mount "$TMP/img" "$M" -o auto_unmount
ok $? "-o auto_unmount: mounted"
kill -9 "$FG_PID"
fg_wait
end=$((SECONDS + 120))
while mounted "$M" && [ $SECONDS -lt $end ]; do sleep 0.1; done
! mounted "$M"
ok $? "-o auto_unmount: kill -9 of the daemon removed the mount"
# Without it the kernel keeps a dead mount: the option is what did it.
fg_mount "$TMP/img" "$M"
kill -9 "$FG_PID"
fg_wait
# (statfs: the kernel keeps no answer; a listing it holds -- the walk
# ahead's -- is still served by a dead mount)
mounted "$M" && ! stat -f "$M" >/dev/null 2>&1
ok $? "without auto_unmount: kill -9 leaves a dead mount (the contrast)"
force_umount "$M"
! mounted "$M"
ok $? "the dead mount cleaned up"

# 5. umount -l: a busy mount detached at once, served until its last user leaves.
fg_mount "$TMP/img" "$M"
ok $? "mounted for umount -l"
(cd "$M/etc" && exec sleep 600) &
holder=$!
at_exit "kill $holder 2>/dev/null"
end=$((SECONDS + 120))
until [ "$(readlink "/proc/$holder/cwd")" = "$M/etc" ] || [ $SECONDS -ge $end ]; do sleep 0.05; done
expect_fail 1 "busy .*umount -l" "plain umount of a busy mount: exit 1, names umount -l" -- "$B" umount "$M"
mounted "$M"
ok $? "still mounted after the refused umount"
"$B" umount -l "$M"
ok $? "umount -l of the busy mount: exit 0"
! mounted "$M"
ok $? "umount -l: gone from the mount table at once"
[ "$(cat "/proc/$holder/cwd/hello")" = hello ]
ok $? "umount -l: the process inside still reads through its cwd"
kill -0 "$FG_PID" 2>/dev/null
ok $? "umount -l: the daemon still serves while it is used"
kill "$holder"
wait "$holder" 2>/dev/null
fg_wait
[ "$FG_RC" -eq 0 ]
ok $? "umount -l: the daemon exits (0) once the last user left (exit $FG_RC)"
"$B" umount --lazy "$M" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "not mounted" "$TMP/err"
ok $? "umount --lazy of what is not mounted: exit 1, not mounted"

# 6. An unknown -o option: one line, exit 2, nothing mounted.
expect_fail 2 "^ocifs: -o frob: unknown mount option \(try 'ocifs mount --help'\)$" \
	"-o frob: one line naming it and the help" -- "$B" mount "$TMP/img" "$M" -o ro,frob
[ "$("$B" mount "$TMP/img" "$M" -o frob 2>&1 | wc -l)" -eq 1 ] && ! mounted "$M"
ok $? "-o frob: exactly one line, nothing mounted"
expect_fail 2 "^ocifs: -o allow_other=1: takes no value" "a flag with a value" -- \
	"$B" mount "$TMP/img" "$M" -o allow_other=1
expect_fail 2 "^ocifs: -o uid: needs a value \(uid=UID\)" "a value option without its value" -- \
	"$B" mount "$TMP/img" "$M" -o uid
done_testing
