#!/bin/bash
# Mount-time messages, each one line with the fix and a non-zero exit:
#  - a dead mount (its daemon killed): `ocifs mount` over it, and any
#    command given a path on it, say "PATH: not connected: run ocifs
#    umount DIR", and `ocifs umount DIR` then removes it;
#  - no usable /dev/fuse (a /dev/null in its place, no /dev/fuse at all,
#    no permission for it): one line with the fix, before the image is
#    indexed. /dev/fuse is only ever hidden inside a private mount
#    namespace (unshare -m); the host's is never touched.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need unshare setpriv python3 || { done_testing; exit; }
B=$OCIFS_BIN

mkdir -p "$TMP/l/etc"
echo 'served' >"$TMP/l/etc/motd"
tar -C "$TMP/l" -cf "$TMP/layer.tar" etc
mkoci "$TMP/img" "$TMP/layer.tar"

# --- a dead mount ---
for attr in cached timeout0; do
	M=$(mnt_dir "dead-$attr")
	opts=
	[ $attr = timeout0 ] && opts="-o timeout=0"
	# shellcheck disable=SC2086
	fg_mount "$TMP/img" "$M" $opts
	r=$?
	ok $r "$attr: mounted" || diag "$(cat "$TMP/fg.err")"
	[ $r -eq 0 ] || continue
	[ "$(cat "$M/etc/motd")" = served ]
	ok $? "$attr: serves the image"
	kill -9 "$FG_PID"
	fg_wait 2>/dev/null # (bash reports the kill)
	# (statfs: the kernel keeps no answer; a listing it holds -- the
	# walk ahead's -- is still served by a dead mount)
	err=$(stat -f "$M" 2>&1 >/dev/null)
	case $err in *"Transport endpoint is not connected"*) r=0 ;; *) r=1 ;; esac
	ok $r "$attr: the mount is dead (stat -f: $err)"
	one_line_fail 1 "$M: not connected: run ocifs umount $M" \
		"$attr: mount over a dead mount names it and the fix" -- "$B" mount "$TMP/img" "$M"
	one_line_fail 1 "$M/x.tar: not connected: run ocifs umount $M" \
		"$attr: an image path on the dead mount names the mount" -- "$B" inspect "$M/x.tar"
	cd "$TMP" || exit 1
	one_line_fail 1 "dead-$attr/etc: not connected: run ocifs umount $M" \
		"$attr: a relative path too" -- "$B" ls "dead-$attr/etc"
	cd - >/dev/null || exit 1
	"$B" umount "$M" 2>"$TMP/err"
	ok $? "$attr: ocifs umount removes the dead mount" || diag "$(cat "$TMP/err")"
	! mountpoint -q "$M" && ! grep -qF " $M " /proc/self/mountinfo
	ok $? "$attr: nothing left mounted"
done

# --- no usable /dev/fuse, inside a private mount namespace ---
if [ "$(id -u)" != 0 ]; then
	skip "hiding /dev/fuse in a mount namespace needs root"
	done_testing
	exit
fi
M=$(mnt_dir nofuse)
export XDG_CACHE_HOME="$TMP/nofuse-cache"
# unshare -m: mounts made inside are private to that shell (util-linux
# makes the namespace's propagation private), gone when it exits.
one_line_fail 1 "/dev/fuse: not the FUSE device (char 10,229): load the FUSE module (sudo modprobe fuse) and install fuse3" \
	"/dev/null in place of /dev/fuse" -- \
	unshare -m sh -c 'mount --bind /dev/null /dev/fuse && exec "$@"' sh "$B" mount "$TMP/img" "$M"
one_line_fail 1 "/dev/fuse: No such file or directory: load the FUSE module (sudo modprobe fuse) and install fuse3" \
	"no /dev/fuse at all" -- \
	unshare -m sh -c 'mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && exec "$@"' sh \
	"$B" mount "$TMP/img" "$M"
no_cache_left
ok $? "refused before the image was indexed"
! mountpoint -q "$M"
ok $? "nothing mounted"
[ -c /dev/fuse ] && [ "$(stat -c %t:%T /dev/fuse)" = a:e5 ]
ok $? "the host's /dev/fuse is untouched"

# Not root, /dev/fuse not readable and no setuid fusermount3 to do it:
# a private copy of the device node, mode 0600, bound over /dev/fuse, and
# /dev/null over fusermount3, in the namespace only.
chmod 755 "$TMP"
chmod -R a+rX "$TMP/img"
cp "$B" "$TMP/ocifs" && chmod 755 "$TMP/ocifs"
mknod -m 600 "$TMP/fuse" c 10 229
mkdir -p "$TMP/nobody-cache" "$TMP/nobody-mnt"
chown nobody "$TMP/nobody-cache" "$TMP/nobody-mnt"
fm=$(command -v fusermount3)
one_line_fail 1 "/dev/fuse: Permission denied: mount as root (sudo ocifs mount ...)" \
	"no permission for /dev/fuse, no fusermount3: says to use sudo" -- \
	unshare -m sh -c 'mount --bind "$1" /dev/fuse && mount --bind /dev/null "$2" && shift 2 && exec "$@"' \
	sh "$TMP/fuse" "$fm" env XDG_CACHE_HOME="$TMP/nobody-cache" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$TMP/ocifs" mount "$TMP/img" "$TMP/nobody-mnt"
! mountpoint -q "$TMP/nobody-mnt"
ok $? "nothing mounted"

# A user's mount on a directory they cannot write: fusermount3 refuses it
# (its "user has no write access to mountpoint"), and ocifs added "is
# /dev/fuse there?" after it; now one line, before the image is opened.
mkdir -p "$TMP/rootonly" && chmod 755 "$TMP/rootonly"
setpriv --reuid=nobody --regid=nogroup --clear-groups test -w "$TMP/rootonly"
[ $? = 1 ]
ok $? "nobody cannot write $TMP/rootonly (test -w)"
one_line_fail 1 "$TMP/rootonly: you cannot write to it, and a user may only mount on a directory they can write" \
	"a user's mount on a directory not theirs: one line with the fix" -- \
	env XDG_CACHE_HOME="$TMP/nobody-cache" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$TMP/ocifs" mount "$TMP/img" "$TMP/rootonly"
! mountpoint -q "$TMP/rootonly"
ok $? "nothing mounted"

done_testing
