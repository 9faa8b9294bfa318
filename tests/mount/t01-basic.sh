#!/bin/bash
# ocifs mount of the test image: what ls, cat, stat, readlink, statfs and
# getxattr see (whiteouts applied, hardlinks shared), the mount options,
# every image format, uid=/gid=, and ocifs umount.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need umoci skopeo jq python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
M=$(mnt_dir mnt)

out=$(do_mount "$IMG/oci" "$M" 2>"$TMP/err")
ok $? "ocifs mount oci returns 0"
is_mounted "$M"
ok $? "the mountpoint is mounted when ocifs mount returns"
[ -z "$out" ] && [ ! -s "$TMP/err" ]
ok $? "mount prints nothing (no tty)"

# --- mount table ---
[ "$(mount_type "$M")" = fuse.ocifs ]
ok $? "type fuse.ocifs (got $(mount_type "$M"))"
opts=$(mount_opts "$M")
case ",$opts," in *,ro,*) r=0 ;; *) r=1 ;; esac
ok $r "mount options have ro ($opts)"
case ",$opts," in *,nosuid,*nodev,* | *,nodev,*nosuid,*) r=0 ;; *) r=1 ;; esac
ok $r "mount options have nosuid,nodev"
case ",$opts," in *,default_permissions,*) r=0 ;; *) r=1 ;; esac
ok $r "mount options have default_permissions"
src=$(awk -v d="$M" '$2 == d { s = $1 } END { print s }' /proc/mounts)
[ "$src" = "$(cd "$IMG/oci" && pwd -P)" ]
ok $? "fsname is the image's absolute path ($src)"

# --- tree and contents ---
[ "$(ls "$M" | tr '\n' ' ')" = "bin etc replace-me srv usr " ]
ok $? "root listing: $(ls "$M" | tr '\n' ' ')"
[ "$(cat "$M/etc/hello.txt")" = "hello from layer 2" ]
ok $? "etc/hello.txt from the upper layer"
[ "$(cat "$M/srv/a/b/c/deep.txt")" = deep ] && [ "$(cat "$M/srv/a/new.txt")" = "new in layer 2" ]
ok $? "nested files of both layers"
[ ! -e "$M/etc/delete-me.txt" ] && ! ls "$M/etc" | grep -q delete-me
ok $? "whiteout: etc/delete-me.txt is gone"
! ls -a "$M/etc" | grep -q '^\.wh\.'
ok $? "no .wh. markers are visible"
[ -f "$M/replace-me" ] && [ "$(cat "$M/replace-me")" = "now a file" ]
ok $? "replace-me: the directory became a file"
[ -d "$M/usr/share/doc/becomes-dir" ] &&
	[ "$(cat "$M/usr/share/doc/becomes-dir/child.txt")" = child ] &&
	[ "$(ls "$M/usr/share/doc/becomes-dir")" = child.txt ]
ok $? "becomes-dir: the file became a directory with child.txt"
[ -L "$M/srv/hello-link" ] && [ "$(readlink "$M/srv/hello-link")" = ../etc/hello.txt ] &&
	[ "$(cat "$M/srv/hello-link")" = "hello from layer 2" ]
ok $? "symlink target verbatim, followed inside the mount"
[ "$("$M/bin/hello")" = hello ]
ok $? "bin/hello runs (exec allowed)"

# --- stat ---
read -r i1 n1 <<<"$(stat -c '%i %h' "$M/etc/hello.txt")"
read -r i2 n2 <<<"$(stat -c '%i %h' "$M/etc/hello-hard.txt")"
[ "$i1" = "$i2" ] && [ "$n1" = 2 ] && [ "$n2" = 2 ]
ok $? "hardlink names share st_ino ($i1 $i2) and st_nlink 2 ($n1 $n2)"
[ "$(stat -c %i "$M")" = 1 ]
ok $? "root st_ino is 1"
[ "$(stat -c %i "$M/etc")" -gt 16 ] && [ "$(stat -c %i "$M/bin/hello")" -gt 16 ]
ok $? "other inodes are above the 16 reserved numbers"
[ "$(stat -c '%a %u %g %s %Y' "$M/bin/hello")" = "755 0 0 21 1609459200" ]
ok $? "bin/hello: mode, owner, size, mtime ($(stat -c '%a %u %g %s %Y' "$M/bin/hello"))"
[ "$(stat -c '%F' "$M/srv/a")" = directory ] && [ "$(stat -c '%s' "$M/srv/hello-link")" = 16 ]
ok $? "directory type; symlink size is its target's length"
[ "$(find "$M" | wc -l)" = "$(find "$M" -xdev | wc -l)" ] && [ "$(find "$M" | wc -l)" -ge 18 ]
ok $? "find walks the whole tree ($(find "$M" | wc -l) names)"
python3 - "$M" <<'EOF'
import os, sys
m = sys.argv[1]
# a stable inode per name across lookups, and readdir d_ino agrees
a = {e.name: e.inode() for e in os.scandir(m + "/etc")}
b = {n: os.lstat(m + "/etc/" + n).st_ino for n in a}
sys.exit(0 if a == b else 1)
EOF
ok $? "readdir d_ino equals lstat st_ino"

# --- statfs ---
read -r files blocks bsize <<<"$(stat -f -c '%c %b %S' "$M")"
[ "$files" -ge 18 ] && [ "$blocks" -ge 1 ] && [ "$bsize" = 4096 ]
ok $? "statfs: $files inodes, $blocks blocks of $bsize"
df "$M" >/dev/null 2>&1
ok $? "df works"

# --- negative lookups and errors ---
[ ! -e "$M/nope" ] && [ ! -e "$M/nope" ]
ok $? "missing name: ENOENT (twice, second from the negative cache)"
cat "$M/etc/hello.txt/x" 2>"$TMP/err"
grep -q "Not a directory" "$TMP/err"
ok $? "a file used as a directory: ENOTDIR"
python3 -c "import os,sys; os.listxattr(sys.argv[1])" "$M/etc/hello.txt"
ok $? "listxattr on a file without xattrs"

"$B" umount "$M" 2>"$TMP/err"
ok $? "ocifs umount"
! is_mounted "$M"
ok $? "not mounted any more"

# --- every format of the same image ---
for v in oci.tar docker.tar docker.tar.gz zstd-oci multi; do
	m=$(mnt_dir "m-$v")
	do_mount "$IMG/$v" "$m" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] && [ "$(cat "$m/etc/hello.txt")" = "hello from layer 2" ] &&
		[ ! -e "$m/etc/delete-me.txt" ] && [ -f "$m/replace-me" ] &&
		[ "$(stat -c %i "$m/etc/hello.txt")" = "$(stat -c %i "$m/etc/hello-hard.txt")" ]
	ok $? "$v: mounts and shows the merged tree"
	[ $rc = 0 ] && "$B" umount "$m"
done
m=$(mnt_dir m-arm)
do_mount "$IMG/multi" "$m" --platform linux/arm64 2>"$TMP/err" &&
	[ "$(cat "$m/etc/hello.txt")" = "hello from layer 2" ]
ok $? "multi --platform linux/arm64"
force_umount "$m"
# a skopeo name given relative: the mount table shows its path absolute
# (it showed "oci-archive:oci.tar", relative to nothing a reader knows)
m=$(mnt_dir m-tr)
cd "$IMG" && do_mount oci-archive:oci.tar "$m" 2>"$TMP/err"
cd - >/dev/null || exit 1
src=$(awk -v d="$m" '$2 == d { s = $1 } END { print s }' /proc/mounts)
[ "$src" = "oci-archive:$(cd "$IMG" && pwd -P)/oci.tar" ]
ok $? "fsname of oci-archive:REL is oci-archive:ABS ($src)"
force_umount "$m"

# --- uid= / gid= ---
m=$(mnt_dir m-ids)
do_mount "$IMG/oci" "$m" -o uid=1234,gid=5678 2>"$TMP/err" &&
	[ "$(stat -c '%u %g' "$m/etc/hello.txt")" = "1234 5678" ] &&
	[ "$(stat -c '%u %g' "$m")" = "1234 5678" ]
ok $? "-o uid=1234,gid=5678 owns every file"
force_umount "$m"

# --- xattrs from PAX SCHILY.xattr records ---
python3 - "$TMP/x.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    data = b"xattr file\n"
    ti = tarfile.TarInfo("withx.txt"); ti.size = len(data); ti.mtime = 1609459200
    ti.pax_headers = {"SCHILY.xattr.user.test": "hello", "SCHILY.xattr.user.empty": ""}
    t.addfile(ti, io.BytesIO(data))
    ti = tarfile.TarInfo("dir"); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = 1609459200
    ti.pax_headers = {"SCHILY.xattr.user.big": "b" * 3000}
    t.addfile(ti)
EOF
mkoci "$TMP/ximg" "$TMP/x.tar"
m=$(mnt_dir m-x)
do_mount "$TMP/ximg" "$m" 2>"$TMP/err"
ok $? "mount an image with xattrs"
python3 - "$m" <<'EOF'
import ctypes, errno, os, sys
m = sys.argv[1]
f = m + "/withx.txt"
V = ["user.ocifs.layer", "user.ocifs.layer.digest", "user.ocifs.sha256"]  # the mount's own
assert sorted(os.listxattr(f)) == ["user.empty"] + V + ["user.test"], os.listxattr(f)
assert os.getxattr(f, "user.test") == b"hello"
assert os.getxattr(f, "user.empty") == b""
assert os.getxattr(m + "/dir", "user.big") == b"b" * 3000
try:
    os.getxattr(f, "user.missing"); sys.exit("missing xattr found")
except OSError as e:
    assert e.errno == errno.ENODATA, e
# size probing and ERANGE through the raw syscalls
libc = ctypes.CDLL(None, use_errno=True)
libc.getxattr.restype = ctypes.c_ssize_t
libc.listxattr.restype = ctypes.c_ssize_t
p = f.encode()
assert libc.getxattr(p, b"user.test", None, ctypes.c_size_t(0)) == 5
small = ctypes.create_string_buffer(2)
assert libc.getxattr(p, b"user.test", small, ctypes.c_size_t(2)) == -1
assert ctypes.get_errno() == errno.ERANGE
assert libc.listxattr(p, None, ctypes.c_size_t(0)) == len(b"user.test\0user.empty\0") + sum(len(v) + 1 for v in V)
assert libc.listxattr(p, small, ctypes.c_size_t(2)) == -1
assert ctypes.get_errno() == errno.ERANGE
EOF
ok $? "getxattr/listxattr: values, ENODATA, size probing, ERANGE"
force_umount "$m"

done_testing
