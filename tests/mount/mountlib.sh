# SPDX-License-Identifier: MIT
# Helpers for the mount tests (sourced after ../lib.sh). Every mount made
# here is unmounted on exit, even when a test fails half-way; nothing
# sleeps to wait for a mount: `ocifs mount` returns once the mount
# answers, and `ocifs mount -f` signals readiness on -o ready_fd.

# need_fuse: skip the whole test (after a skip line) without FUSE.
need_fuse() {
	if [ ! -c /dev/fuse ]; then
		skip "no /dev/fuse"
		return 1
	fi
	need fusermount3 || return 1
}

# mnt_dir NAME: a fresh empty mountpoint under $TMP.
mnt_dir() {
	mkdir -p "$TMP/$1"
	echo "$TMP/$1"
}

# force_umount DIR: lazily unmount whatever is mounted there (quietly).
force_umount() {
	fusermount3 -u -z "$1" 2>/dev/null || umount -l "$1" 2>/dev/null || true
}

# is_mounted DIR
is_mounted() {
	mountpoint -q "$1"
}

# do_mount IMAGE DIR [ARGS...]: `ocifs mount` (daemonized), always
# unmounted at exit. Returns ocifs's exit status.
do_mount() {
	local img=$1 dir=$2
	shift 2
	at_exit "force_umount '$dir'"
	"$OCIFS_BIN" mount "$img" "$dir" "$@"
}

# fg_mount IMAGE DIR [ARGS...]: `ocifs mount -f` in the background,
# returning once it signalled readiness through -o ready_fd (status 1 if
# it exited instead). Sets FG_PID; stderr goes to $TMP/fg.err.
fg_mount() {
	local img=$1 dir=$2 fifo b
	shift 2
	fifo="$TMP/ready.$RANDOM$RANDOM"
	mkfifo "$fifo" || return 1
	# Background jobs of a script start with SIGINT ignored, and libfuse
	# leaves ignored signals alone: restore the default so SIGINT works
	# as it does for a daemon started from a terminal.
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$OCIFS_BIN" mount -f "$img" "$dir" -o ready_fd=9 "$@" \
		9>"$fifo" 2>"$TMP/fg.err" &
	FG_PID=$!
	at_exit "kill $FG_PID 2>/dev/null; force_umount '$dir'"
	# one byte once ready; EOF if it exited; only a hang meets the timeout
	b=$(timeout 120 head -c1 <"$fifo" | od -An -tx1 | tr -d ' \n')
	rm -f "$fifo"
	[ -n "$b" ]
}

# fg_wait: wait for the foreground daemon; its exit status in FG_RC
# (not in a subshell: only this shell can wait for it). A daemon still
# running after 120 s is killed (FG_RC 137), so a hang fails the test
# instead of blocking it; nothing else depends on how fast it exits.
fg_wait() {
	local end=$((SECONDS + 120))
	while kill -0 "$FG_PID" 2>/dev/null && [ $SECONDS -lt $end ]; do
		sleep 0.1
	done
	kill -9 "$FG_PID" 2>/dev/null
	FG_RC=0
	wait "$FG_PID" || FG_RC=$?
}

# pid_wait PID: wait until PID (not our child: a daemon) has exited;
# 1 if it still runs after 120 s (a hang), never a shorter deadline.
pid_wait() {
	local end=$((SECONDS + 120))
	while kill -0 "$1" 2>/dev/null; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# mount_opts DIR: the options column of DIR's line in /proc/mounts.
mount_opts() {
	awk -v d="$1" '$2 == d { o = $4 } END { print o }' /proc/mounts
}

# mount_type DIR
mount_type() {
	awk -v d="$1" '$2 == d { t = $3 } END { print t }' /proc/mounts
}

# read_one FILE: cat $M/FILE and compare it with $TMP/root/FILE: "ok" (the
# source's bytes), "eio" (cat failed with EIO), or "wrong (...)" (wrong
# bytes, another error, a hang past 120 s)
read_one() {
	local rc
	timeout 120 cat "$M/$1" >"$TMP/read" 2>"$TMP/read.err"
	rc=$?
	if [ $rc -eq 0 ] && cmp -s "$TMP/read" "$TMP/root/$1"; then
		echo ok
	elif [ $rc -eq 1 ] && grep -q 'Input/output error' "$TMP/read.err"; then
		echo eio
	else
		echo "wrong (cat exit $rc: $(cat "$TMP/read.err"))"
	fi
}
