#!/bin/bash
# Mounting and unmounting: clear errors for a bad mountpoint, bad
# options or a bad image (and nothing left mounted); ocifs umount,
# fusermount3 -u, umount(8), SIGTERM/SIGINT/SIGHUP all end the daemon,
# which then exits 0; -f/-d; fstab through mount.fuse3 and the
# contrib/mount.ocifs helper.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need umoci skopeo jq || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
M=$(mnt_dir mnt)

# --- refused mountpoints: exit 1, one line, nothing mounted ---
expect_fail 1 "^ocifs: $TMP/missing: no such directory \(create it first: mkdir -p $TMP/missing\)\$" \
	"missing DIR: one line with the fix (the README's mount - /mnt/nginx needs it)" -- \
	"$B" mount "$IMG/oci" "$TMP/missing"
"$B" mount - "$TMP/missing" </dev/null >/dev/null 2>"$TMP/err"
[ "$(grep -c . "$TMP/err")" = 1 ] && grep -q 'missing: no such directory' "$TMP/err"
ok $? "mount - DIR: DIR is checked before stdin is read (one line, not stdin's)"
touch "$TMP/file"
expect_fail 1 "not a directory" "DIR is a file" -- "$B" mount "$IMG/oci" "$TMP/file"
mkdir -p "$TMP/full" && touch "$TMP/full/x"
expect_fail 1 "not empty" "DIR not empty" -- "$B" mount "$IMG/oci" "$TMP/full"
! is_mounted "$TMP/full"
ok $? "nothing mounted on the non-empty DIR"
expect_fail 2 "unknown mount option" "unknown -o option" -- "$B" mount "$IMG/oci" "$M" -o bogus=1
expect_fail 2 "cache_size" "bad cache_size" -- "$B" mount "$IMG/oci" "$M" -o cache_size=lots
expect_fail 2 "timeout" "bad timeout" -- "$B" mount "$IMG/oci" "$M" -o timeout=-1
expect_fail 1 "$TMP/no-image" "missing image" -- "$B" mount "$TMP/no-image" "$M"
! is_mounted "$M" && [ -z "$(ls -A "$M")" ]
ok $? "nothing mounted after the failures"
expect_fail 2 "" "mount without DIR is a usage error" -- "$B" mount "$IMG/oci"
# A layer whose bytes do not match its digest: exit 3, nothing mounted.
mkdir -p "$TMP/bad-src" && echo data >"$TMP/bad-src/f" && tar -C "$TMP/bad-src" -cf "$TMP/bad.tar" .
mkoci "$TMP/bad" "$TMP/bad.tar"
for f in "$TMP"/bad/blobs/sha256/*; do
	[ "$(stat -c %s "$f")" -gt 2048 ] && printf 'X' | dd of="$f" bs=1 seek=1100 conv=notrunc status=none
done
expect_fail 3 "digest mismatch|mismatch" "corrupt layer: exit 3" -- "$B" mount "$TMP/bad" "$M"
! is_mounted "$M"
ok $? "nothing mounted for the corrupt image"

do_mount "$IMG/oci" "$M" 2>"$TMP/err"
ok $? "mount"
expect_fail 1 "already a mountpoint" "DIR already mounted" -- "$B" mount "$IMG/oci" "$M"
[ "$(cat "$M/etc/hello.txt")" = "hello from layer 2" ]
ok $? "the first mount still works"
expect_fail 1 "not mounted" "ocifs umount of a plain directory" -- "$B" umount "$TMP/full"
fusermount3 -u "$M"
ok $? "fusermount3 -u"
! is_mounted "$M"
ok $? "unmounted"

# The daemon does not hold the caller's stdout: $(...) returns.
out=$(timeout 120 "$B" mount "$IMG/docker.tar" "$M" 2>&1)
ok $? "mount inside \$(...) returns (daemon detached from stdout)"
[ -z "$out" ]
ok $? "and prints nothing"
at_exit "force_umount '$M'"
umount "$M"
ok $? "umount(8) as root"

# --- the foreground daemon: readiness, unmount, exit status ---
fg_mount "$IMG/oci" "$M"
ok $? "mount -f signals readiness on ready_fd" || diag "$(cat "$TMP/fg.err")"
[ "$(cat "$M/srv/a/new.txt")" = "new in layer 2" ]
ok $? "serving"
"$B" umount "$M"
ok $? "ocifs umount"
fg_wait
[ "$FG_RC" = 0 ]
ok $? "the daemon exits 0 after ocifs umount (exit $FG_RC)"
! is_mounted "$M" && [ ! -s "$TMP/fg.err" ]
ok $? "unmounted, nothing on stderr"

fg_mount "$IMG/zstd-oci" "$M"
ok $? "mount -f (zstd)"
cat "$M/etc/hello.txt" >/dev/null
fusermount3 -u "$M"
fg_wait
[ "$FG_RC" = 0 ] && ! is_mounted "$M"
ok $? "fusermount3 -u: the daemon exits 0 (exit $FG_RC)"

for sig in TERM INT HUP; do
	fg_mount "$IMG/oci.tar" "$M"
	ok $? "mount -f for SIG$sig"
	cat "$M/etc/hello.txt" >/dev/null
	kill -s "$sig" "$FG_PID"
	fg_wait
	[ "$FG_RC" = 0 ] && ! is_mounted "$M"
	ok $? "SIG$sig unmounts and the daemon exits 0 (exit $FG_RC)"
	force_umount "$M"
done

# A signal while a file is open, or just closed with its RELEASE still
# queued (as right after the cat above): the session ends and no RELEASE
# comes for it. The daemon must still free the file and its decoder and
# exit 0; under ASan the leak aborted it (exit 134), now and then.
fg_mount "$IMG/oci" "$M"
ok $? "mount -f, then a file held open"
exec 3<"$M/etc/hello.txt"
[ "$(head -c 10 <&3)" = "hello from" ]
ok $? "the open file reads"
kill -s TERM "$FG_PID"
fg_wait
exec 3<&-
[ "$FG_RC" = 0 ] && ! is_mounted "$M"
ok $? "SIGTERM with a file open: the daemon exits 0 (exit $FG_RC)"
[ "$FG_RC" = 0 ] || diag "$(tail -n 30 "$TMP/fg.err")"
force_umount "$M"

# -d: libfuse's debug log on stderr, foreground.
fg_mount "$IMG/oci" "$M" -d
ok $? "mount -d"
ls "$M" >/dev/null
"$B" umount "$M"
fg_wait
[ "$FG_RC" = 0 ] && grep -q "LOOKUP\|GETATTR\|READDIR" "$TMP/fg.err"
ok $? "-d logs requests and exits 0 (exit $FG_RC)"

# Another filesystem (empty) already mounted on DIR.
if [ "$(id -u)" = 0 ]; then
	mount -t tmpfs -o size=1M tmpfs "$M" && at_exit "umount -l '$M' 2>/dev/null"
	expect_fail 1 "already a mountpoint" "tmpfs already mounted on DIR" -- "$B" mount "$IMG/oci" "$M"
	umount "$M"
fi

# --- fstab ---
# mount.fuse3 runs `ocifs IMAGE DIR -o OPTS` (the type after "fuse.").
mkdir -p "$TMP/bin" && ln -sf "$B" "$TMP/bin/ocifs"
PATH="$TMP/bin:$PATH" mount.fuse3 "$IMG/oci" "$M" -t fuse.ocifs -o ro,allow_other,nofail 2>"$TMP/err"
ok $? "mount.fuse3 -t fuse.ocifs" || diag "$(cat "$TMP/err")"
at_exit "force_umount '$M'"
[ "$(mount_type "$M")" = fuse.ocifs ] && [ "$(cat "$M/etc/hello.txt")" = "hello from layer 2" ]
ok $? "mounted through mount.fuse3"
case ",$(mount_opts "$M")," in *,allow_other,*nosuid* | *nosuid*,allow_other,*) r=0 ;; *) r=1 ;; esac
ok $r "allow_other passed through, still nosuid ($(mount_opts "$M"))"
"$B" umount "$M"

# The contrib helper, as mount(8) calls mount.ocifs / mount.fuse.ocifs.
OCIFS_BIN=$B sh "$OCIFS_SRCDIR/contrib/mount.ocifs" "$IMG/docker.tar" "$M" -o ro,allow_other,noauto,_netdev 2>"$TMP/err"
ok $? "contrib/mount.ocifs IMAGE DIR -o ..." || diag "$(cat "$TMP/err")"
[ "$(cat "$M/etc/hello.txt")" = "hello from layer 2" ]
ok $? "mounted through mount.ocifs"
"$B" umount "$M"
OCIFS_BIN=$B sh "$OCIFS_SRCDIR/contrib/mount.ocifs" "$IMG/docker.tar" "$M" -f -o ro
! is_mounted "$M"
ok $? "mount.ocifs -f (fake) mounts nothing"

# A real fstab line through mount(8) -> mount.fuse3 -> ocifs. The
# "PROGRAM#SOURCE" form needs no install; an installed ocifs serves
# "IMAGE DIR fuse.ocifs ro,allow_other 0 0" the same way.
if command -v mount >/dev/null && [ "$(id -u)" = 0 ]; then
	printf '%s#%s %s fuse ro,allow_other,noauto 0 0\n' "$B" "$IMG/oci.tar" "$M" >"$TMP/fstab"
	mount -T "$TMP/fstab" "$M" 2>"$TMP/err"
	ok $? "mount -T fstab DIR" || diag "$(cat "$TMP/err")"
	[ "$(cat "$M/etc/hello.txt")" = "hello from layer 2" ] && [ "$(mount_type "$M")" = fuse.ocifs ]
	ok $? "fstab mount serves the image"
	umount "$M"
	ok $? "umount DIR"
fi
! is_mounted "$M"
ok $? "nothing left mounted"

done_testing
