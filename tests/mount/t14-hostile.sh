#!/bin/bash
# A mount facing hostile images and other users (issue #9): on an
# allow_other mount the virtual files are the mounting user's; a /.deps
# build never blocks lookups and every wait for it can be interrupted or
# times out; names longer than NAME_MAX do not break readdir; an image
# changed under the mount gives EIO, never other bytes; symlinks and
# directories stat as on a real filesystem.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 tar setpriv || { done_testing; exit; }
B=$OCIFS_BIN
chmod 755 "$TMP" # the other user must reach the mountpoints

# as_nobody CMD...: run CMD as an unprivileged other user.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# wait_gone PID: wait for a background job to end (its status in
# WAIT_RC); one still running after 60 s is a hang: killed, WAIT_RC 255.
wait_gone() {
	local i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		WAIT_RC=255
		return
	fi
	WAIT_RC=0
	wait "$1" || WAIT_RC=$?
}

# wait_blocked PID: until PID sleeps in a FUSE request (at most 60 s).
wait_blocked() {
	local i=0
	while ! grep -q request_wait_answer "/proc/$1/wchan" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

R=$TMP/root
mkdir -p "$R/usr/bin" "$R/root" "$R/etc"
cp /bin/true "$R/usr/bin/true"
printf '#!/bin/sh\necho hidden\n' >"$R/root/hidden-tool.sh"
chmod 755 "$R/root/hidden-tool.sh"
chmod 700 "$R/root"
printf '#!/bin/sh\n' >"$R/etc/mode000.sh"
chmod 000 "$R/etc/mode000.sh"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" usr root etc)
mkoci "$TMP/img" "$TMP/l1.tar"
"$B" deps "$TMP/img" --json >"$TMP/cli.json"

# --- 1. virtual files on an allow_other mount ---
M=$(mnt_dir mnt)
do_mount "$TMP/img" "$M" -o allow_other 2>"$TMP/err"
ok $? "mount -o allow_other" || { diag "$(cat "$TMP/err")"; done_testing; exit; }
[ "$(stat -c '%a %u' "$M/.deps" "$M/.ocifs" | tr '\n' ' ')" = "400 0 500 0 " ]
ok $? "virtual files are the mounting user's, 0400 and 0500 ($(stat -c '%a %u' "$M/.deps" "$M/.ocifs" | tr '\n' ' '))"
as_nobody ls "$M/usr/bin" >/dev/null 2>&1
ok $? "another user can list the image's public directories"
err=$(as_nobody cat "$M/.deps" 2>&1 >/dev/null)
[ $? -ne 0 ] && case $err in *"Permission denied"*) true ;; *) false ;; esac
ok $? "another user gets EACCES on /.deps"
! as_nobody cat "$M/.ocifs/deps.json" >/dev/null 2>&1 && ! as_nobody ls "$M/.ocifs" >/dev/null 2>&1
ok $? "another user can neither read nor list /.ocifs"
grep -q hidden-tool "$M/.deps" && cmp -s "$M/.deps" "$TMP/cli.json"
ok $? "the owner reads /.deps (which names files under the 0700 /root)"
python3 - "$M" <<'EOF' >"$TMP/x.out" 2>&1
import errno, os, sys
m = sys.argv[1]
os.setgid(65534); os.setgroups([]); os.setuid(65534)
bad = []
for p in ("root/hidden-tool.sh", "etc/mode000.sh"):
    try:
        os.getxattr(os.path.join(m, p), "user.ocifs.layer")
        bad.append(p)
    except OSError as e:
        if e.errno not in (errno.EACCES, errno.EPERM):
            bad.append("%s: %s" % (p, e))
print(os.getxattr(os.path.join(m, "usr/bin/true"), "user.ocifs.layer").decode())
sys.exit(1 if bad else 0)
EOF
ok $? "user.ocifs.layer: nothing for another user on what it cannot read ($(cat "$TMP/x.out"))"
"$B" umount "$M"
do_mount "$TMP/img" "$M" -o allow_other,public_virtual 2>"$TMP/err"
as_nobody cat "$M/.deps" >"$TMP/pub.json" 2>"$TMP/x.err" && cmp -s "$TMP/pub.json" "$TMP/cli.json" &&
	[ "$(stat -c %a "$M/.deps")" = 444 ]
ok $? "-o public_virtual: /.deps is 0444, every user reads it"
"$B" umount "$M"

# --- 2. a /.deps build that takes long (held by the test gate) ---
GATE=$TMP/gate
export OCIFS_TEST_DEPS_GATE=$GATE
fg_mount "$TMP/img" "$M" -o deps_timeout=600
ok $? "mount with a /.deps build that waits for $GATE"
cat "$M/.deps" >"$TMP/held.json" 2>"$TMP/held.err" &
CAT=$!
wait_blocked $CAT
timeout 60 ls "$M/usr/bin" >"$TMP/ls.out" && timeout 60 stat "$M/etc" >/dev/null &&
	[ "$(cat "$TMP/ls.out")" = true ] && kill -0 $CAT
ok $? "lookups and readdir in the root answer while the build runs"
timeout -s INT 2 cat "$M/.deps" >/dev/null 2>&1 &
P=$!
wait_gone $P
[ $WAIT_RC -eq 124 ]
ok $? "SIGINT ends a cat waiting for /.deps (status $WAIT_RC)"
kill -9 $CAT
wait_gone $CAT
[ $WAIT_RC -eq 137 ]
ok $? "SIGKILL ends a cat waiting for /.deps (status $WAIT_RC)"
stat -c %s "$M/.ocifs/deps.txt" >/dev/null 2>&1 &
P=$!
wait_blocked $P
kill -TERM $P
wait_gone $P
[ $WAIT_RC -ne 255 ] && [ $WAIT_RC -ne 0 ]
ok $? "SIGTERM ends a stat waiting for deps.txt (status $WAIT_RC)"
touch "$GATE"
timeout 60 cat "$M/.deps" >"$TMP/late.json" && cmp -s "$TMP/late.json" "$TMP/cli.json" &&
	[ "$(stat -c %s "$M/.deps")" -eq "$(wc -c <"$TMP/cli.json")" ]
ok $? "once the build finishes, /.deps is served whole with its exact size"
fusermount3 -u "$M"
fg_wait
ok $FG_RC "the daemon exits cleanly after the interrupted waits"

rm -f "$GATE"
rm -rf "$XDG_CACHE_HOME/ocifs/deps"
fg_mount "$TMP/img" "$M" -o deps_timeout=1
timeout 60 cat "$M/.deps" >/dev/null 2>"$TMP/to.err"
[ $? -eq 1 ] && grep -q "Input/output error" "$TMP/to.err" && ls "$M/usr" >/dev/null
ok $? "-o deps_timeout=1: /.deps fails with EIO, the mount goes on"
fusermount3 -u "$M"
fg_wait
grep -q "deps_timeout" "$TMP/fg.err"
ok $? "the timeout is logged ($(grep deps_timeout "$TMP/fg.err" | head -1))"
unset OCIFS_TEST_DEPS_GATE

done_testing
