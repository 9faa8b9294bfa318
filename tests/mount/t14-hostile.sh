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
# WAIT_RC); one still running after pid_wait's 120 s is a hang: killed,
# WAIT_RC 255.
wait_gone() {
	if ! pid_wait "$1"; then
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
# (a background job starts with SIGINT ignored: env restores the default)
env --default-signal=INT cat "$M/.deps" >/dev/null 2>&1 &
P=$!
wait_blocked $P
kill -INT $P
wait_gone $P
[ $WAIT_RC -eq 130 ]
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

# mktar OUT: a layer written with tarfile (names and modes no filesystem
# here can hold), its entries given on stdin as add(...) calls.
mktar() {
	python3 -c '
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def add(name, data=b"", mode=0o644, kind=tarfile.REGTYPE, target=""):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.mtime, i.linkname = kind, mode, 1700000000, target
    i.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
exec(sys.stdin.read())
t.close()' "$1"
}

# --- 3. names longer than NAME_MAX ---
mktar "$TMP/long.tar" <<'EOF'
add("usr/bin/", kind=tarfile.DIRTYPE, mode=0o755)
add("usr/bin/a", b"a\n")
add("usr/bin/" + "!" * 4096, b"bang\n")
add("usr/bin/" + "m" * 300, b"m\n")
add("usr/bin/zz", b"zz\n")
EOF
mkoci "$TMP/long" "$TMP/long.tar"
fg_mount "$TMP/long" "$M"
ok $? "mount an image with names of 4096 and 300 bytes"
out=$(ls "$M/usr/bin" 2>"$TMP/ls.err" | tr '\n' ' ')
[ "$out" = "a zz " ] && [ ! -s "$TMP/ls.err" ]
ok $? "readdir leaves the long names out and lists the rest ($out)"
[ "$(find "$M/usr" -type f 2>&1 | sed "s|^$M||" | sort | tr '\n' ' ')" = "/usr/bin/a /usr/bin/zz " ]
ok $? "find walks every listable file without an error"
fusermount3 -u "$M"
fg_wait
grep -q '/usr/bin/!!!!*\.\.\.: a name of 4096 bytes' "$TMP/fg.err" &&
	grep -q 'a name of 300 bytes' "$TMP/fg.err"
ok $? "each long name is logged at mount"
[ "$("$B" ls "$TMP/long" /usr/bin | awk '{ print length($0) }' | tr '\n' ' ')" = "4096 1 300 2 " ]
ok $? "ocifs ls lists all four names, the long ones whole"

# --- 4. the image changed under the mount ---
python3 - "$TMP" <<'EOF'
import gzip, io, sys, tarfile
d = sys.argv[1]
for name, gz in (("plain.tar", False), ("gz.tar.gz", True)):
    buf = io.BytesIO()
    t = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    for k in range(300):
        data = ("file %d: " % k + "".join("%d-%d " % (k, j * j % 997) for j in range(600))).encode()
        i = tarfile.TarInfo("data/f%03d" % k)
        i.size, i.mode, i.mtime = len(data), 0o644, 1700000000
        t.addfile(i, io.BytesIO(data))
    t.close()
    raw = buf.getvalue()
    open(d + "/" + name, "wb").write(gzip.compress(raw, 6, mtime=0) if gz else raw)
EOF
mkoci "$TMP/plain" "$TMP/plain.tar"
mkoci "$TMP/gz" "$TMP/gz.tar.gz"
mkdir -p "$TMP/want"
tar -C "$TMP/want" -xf "$TMP/plain.tar"
# poke FILE [TEXT]: flip 64 bytes in place (same inode and size) at the
# first TEXT in FILE, or in its middle.
poke() {
	python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    data = f.read()
    at = data.find(sys.argv[2].encode()) if len(sys.argv) > 2 else len(data) // 2
    f.seek(at)
    f.write(bytes(x ^ 0x55 for x in data[at:at + 64]))' "$@"
}
blob_of() { # blob_of LAYOUT: its layer blob (the largest)
	ls -S "$1"/blobs/sha256/* | head -1
}
for kind in plain gz; do
	fg_mount "$TMP/$kind" "$M"
	cmp -s "$M/data/f000" "$TMP/want/data/f000"
	ok $? "$kind: a file reads right before the change"
	if [ $kind = plain ]; then
		poke "$(blob_of "$TMP/$kind")" "file 150: "
	else
		poke "$(blob_of "$TMP/$kind")"
	fi
	bad=0 eio=0
	for k in 100 150 200; do
		f=data/f$k
		if cat "$M/$f" >"$TMP/got" 2>"$TMP/cat.err"; then
			cmp -s "$TMP/got" "$TMP/want/$f" || bad=$((bad + 1))
		else
			grep -q "Input/output error" "$TMP/cat.err" && eio=$((eio + 1))
		fi
	done
	[ $bad -eq 0 ] && [ $eio -eq 3 ]
	ok $? "$kind: changed in place while mounted: EIO, no wrong bytes ($eio EIO, $bad wrong)"
	fusermount3 -u "$M"
	fg_wait
	grep -q "changed since it was mounted" "$TMP/fg.err"
	ok $? "$kind: the change is logged"
done

# A warm mount trusts its cache by the blob's (dev, inode, size, mtime):
# change a gzip blob in place and put its mtime back, and what the
# decoder makes of it is caught by each file's sha256 (or the mount
# refuses the blob) -- never served.
mkoci "$TMP/gz2" "$TMP/gz.tar.gz"
"$B" ls "$TMP/gz2" / >/dev/null # index it
b=$(blob_of "$TMP/gz2")
touch -r "$b" "$TMP/stamp"
poke "$b"
touch -r "$TMP/stamp" "$b"
if fg_mount "$TMP/gz2" "$M"; then
	bad=0 eio=0 good=0
	for k in $(seq 0 299); do
		f=data/f$(printf %03d "$k")
		if cat "$M/$f" >"$TMP/got" 2>/dev/null; then
			if cmp -s "$TMP/got" "$TMP/want/$f"; then good=$((good + 1)); else bad=$((bad + 1)); fi
		else
			eio=$((eio + 1))
		fi
	done
	[ $bad -eq 0 ] && [ $eio -gt 0 ]
	ok $? "gzip blob changed behind the cache: no file served wrong ($good right, $eio EIO, $bad wrong)"
	fusermount3 -u "$M"
	fg_wait
else
	grep -q "mismatch" "$TMP/fg.err"
	ok $? "gzip blob changed behind the cache: the mount refuses it"
fi

# --- 5. symlink and directory attributes ---
mktar "$TMP/attr.tar" <<'EOF'
add("etc/", kind=tarfile.DIRTYPE, mode=0o755)
add("etc/link", kind=tarfile.SYMTYPE, mode=0o644, target="/etc/target")
add("etc/exe", kind=tarfile.SYMTYPE, mode=0o755, target="x")
add("etc/target", b"t\n")
EOF
mkoci "$TMP/attr" "$TMP/attr.tar"
fg_mount "$TMP/attr" "$M"
got=$(stat -c '%a %s' "$M/etc/link" "$M/etc/exe" "$M/etc" | tr '\n' ' ')
[ "$got" = "777 11 777 1 755 4096 " ]
ok $? "mount: symlinks are 0777, directories 4096 bytes ($got)"
fusermount3 -u "$M"
fg_wait
"$B" ls -l "$TMP/attr" /etc >"$TMP/ls.out" && grep -q '^lrwxrwxrwx .* link -> /etc/target$' "$TMP/ls.out" &&
	"$B" stat "$TMP/attr" /etc/link | grep -q 'Mode: 0777' &&
	"$B" stat "$TMP/attr" /etc | grep -q 'Size: 4096 '
ok $? "ocifs ls -l and ocifs stat agree"

done_testing
