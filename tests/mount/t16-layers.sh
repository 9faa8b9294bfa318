#!/bin/bash
# Forensics in the mount (issue #12): /.ocifs/layers/N-<digest>/ is each
# layer's own tree exactly as its tar holds it, /.ocifs/image/ the
# verified manifest, config and index bytes, and every file carries
# user.ocifs.layer, user.ocifs.layer.digest and user.ocifs.sha256.
# Oracles: each layer blob read by Python's tarfile (tests/gen/tarlist.py)
# and GNU tar (tar -xOf, tar -tvf of the Debian layer), sha256sum, jq over
# the image's own JSON, skopeo's docker-archive.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 tar gzip zstd jq getfattr skopeo setpriv sqlite3 || { done_testing; exit; }
B=$OCIFS_BIN
chmod 755 "$TMP" # the other user must reach the mountpoints
LIST="python3 $OCIFS_SRCDIR/tests/gen/tarlist.py"

# --- the image: three layers, plain tar, gzip, zstd ---------------------
# Layer 1 (plain, PAX headers written field by field): a secret a later
# layer deletes, a path listed twice, a/b/c with no a/ or a/b/ entry, a
# hard-link group of three, a symlink, devices and a fifo, xattrs, a
# setuid file, and a directory a later layer makes opaque.
python3 - "$TMP" <<'PY'
import io, os, sys, tarfile
T = 1700000000
def add(tf, name, typ=tarfile.REGTYPE, data=b'', mode=0o644, uid=0, gid=0, mtime=T, link='',
        xattrs=None, dev=(0, 0)):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime, ti.linkname = typ, mode, uid, gid, mtime, link
    ti.devmajor, ti.devminor = dev
    if xattrs:
        ti.pax_headers = {'SCHILY.xattr.' + k: v for k, v in xattrs.items()}
    if typ == tarfile.REGTYPE:
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    else:
        tf.addfile(ti)
d = sys.argv[1]
with tarfile.open(d + '/l1.tar', 'w', format=tarfile.PAX_FORMAT) as tf:
    add(tf, 'etc/', tarfile.DIRTYPE, mode=0o755)
    add(tf, 'etc/secret', data=os.urandom(70000), mode=0o600, uid=1000, gid=1000)
    add(tf, 'etc/motd', data=b'old\n', mode=0o644, mtime=T - 5)
    add(tf, 'a/b/c', data=b'no parents listed\n', mode=0o640, uid=3, gid=4)
    add(tf, 'bin/', tarfile.DIRTYPE, mode=0o751, uid=2, gid=2, mtime=T + 7)
    add(tf, 'bin/tool', data=os.urandom(300000), mode=0o755,
        xattrs={'user.test': 'hello', 'user.utf': 'h\u00e9'})
    add(tf, 'bin/tool2', tarfile.LNKTYPE, link='bin/tool')
    add(tf, 'bin/sh', tarfile.SYMTYPE, link='tool', mode=0o777)
    add(tf, './bin/tool3', tarfile.LNKTYPE, link='./bin/tool')
    add(tf, 'dev/', tarfile.DIRTYPE, mode=0o755)
    add(tf, 'dev/null', tarfile.CHRTYPE, mode=0o666, dev=(1, 3))
    add(tf, 'dev/sda', tarfile.BLKTYPE, mode=0o660, gid=6, dev=(8, 0))
    add(tf, 'dev/initctl', tarfile.FIFOTYPE, mode=0o600)
    add(tf, 'opq/', tarfile.DIRTYPE, mode=0o755)
    add(tf, 'opq/old1', data=b'one\n')
    add(tf, 'opq/old2', data=b'two\n')
    add(tf, 'usr/bin/su', data=b'#!/bin/sh\n', mode=0o4755)
    add(tf, 'etc/motd', data=b'the later entry wins\n', mode=0o640, uid=7, mtime=T + 9)
# Layer 3 (zstd): a hard link made before its target is
# replaced (it keeps the first bytes), a directory listed twice, a pair
# of links, a changed file, and a whiteout of a file of layer 2.
with tarfile.open(d + '/l3.tar', 'w', format=tarfile.PAX_FORMAT) as tf:
    add(tf, 'x/f', data=b'version one\n')
    add(tf, 'x/h', tarfile.LNKTYPE, link='x/f')
    add(tf, 'x/f', data=b'version two, longer\n', mode=0o600)
    add(tf, 'var/', tarfile.DIRTYPE, mode=0o755)
    add(tf, 'var/log', data=b'log\n')
    add(tf, 'var/', tarfile.DIRTYPE, mode=0o700, uid=9, mtime=T + 1)
    add(tf, 'usr/lib/libz.so.1', data=os.urandom(5000), mode=0o644, xattrs={'user.k': 'v'})
    add(tf, 'usr/lib/libz.so', tarfile.LNKTYPE, link='usr/lib/libz.so.1')
    add(tf, 'bin/tool', data=b'replaced in layer 3\n', mode=0o755)
    add(tf, 'tmp/.wh.big', data=b'')
PY
ok $? "layers 1 and 3 written"
# Layer 2 (gzip, GNU tar from a directory): the whiteout of etc/secret,
# an opaque marker over opq/, and a big file layer 3 deletes again.
L2=$TMP/l2root
mkdir -p "$L2/etc" "$L2/opq" "$L2/tmp"
: >"$L2/etc/.wh.secret"
: >"$L2/opq/.wh..wh..opq"
echo new >"$L2/opq/new"
head -c 600000 /dev/urandom >"$L2/tmp/big"
(cd "$L2" && tar --numeric-owner --owner=0 --group=0 -cf "$TMP/l2.tar" etc opq tmp) &&
	gzip -n "$TMP/l2.tar" && zstd -q --rm "$TMP/l3.tar"
ok $? "layer 2 (gzip) and layer 3 (zstd) compressed"
IMG=$TMP/img
mkoci "$IMG" "$TMP/l1.tar" "$TMP/l2.tar.gz" "$TMP/l3.tar.zst"

# What the image's own JSON says: the manifest, the config, the layers.
man=$(jq -r '.manifests[0].digest' "$IMG/index.json")
cfg=$(jq -r '.config.digest' "$IMG/blobs/sha256/${man#sha256:}")
mapfile -t LD < <(jq -r '.layers[].digest' "$IMG/blobs/sha256/${man#sha256:}")
names=""
for i in 0 1 2; do
	d=${LD[$i]#sha256:}
	LN[$i]="$((i + 1))-${d:0:12}"
	BL[$i]=$IMG/blobs/sha256/$d
	names="$names${LN[$i]} "
done

M=$(mnt_dir mnt)
do_mount "$IMG" "$M" 2>"$TMP/err"
ok $? "mount" || { diag "$(cat "$TMP/err")"; done_testing; exit; }
LY=$M/.ocifs/layers
tree() { (cd "$1" && find . -printf '%y %m %U %G %s %Ts %n %l|%P\n') | sort; }

# Four walkers reach each layer's tree at once (the first request builds it).
for k in 1 2 3 4; do
	for i in 0 1 2; do tree "$LY/${LN[$i]}" >"$TMP/par$k.$i" & done
done
wait
for i in 0 1 2; do $LIST "${BL[$i]}" >"$TMP/want$i"; done
r=0
for k in 1 2 3 4; do for i in 0 1 2; do cmp -s "$TMP/par$k.$i" "$TMP/want$i" || r=1; done; done
ok $r "12 concurrent walks of the three fresh layer trees all see what the tars hold"

# --- /.ocifs/layers -----------------------------------------------------
[ "$(ls "$LY" | tr '\n' ' ')" = "$names" ]
ok $? "ls /.ocifs/layers lists N-<12 hex of the blob digest> ($names)"
for i in 0 1 2; do
	tree "$LY/${LN[$i]}" >"$TMP/got$i"
	if diff "$TMP/want$i" "$TMP/got$i" >"$TMP/diff"; then
		pass "layer $((i + 1)): type, mode, owner, size, mtime, link count, symlink of all $(wc -l <"$TMP/want$i") paths as the tar says"
	else
		fail "layer $((i + 1)): the tree differs from its tar"
		diag "$(head -20 "$TMP/diff")"
	fi
	$LIST --sha "${BL[$i]}" >"$TMP/wsha$i"
	(cd "$LY/${LN[$i]}" && find . -type f -printf '%P\0' | xargs -0r sha256sum) |
		sed 's/  / /' | sort -k2 >"$TMP/gsha$i"
	sort -k2 "$TMP/wsha$i" | diff - "$TMP/gsha$i" >"$TMP/diff"
	ok $? "layer $((i + 1)): the bytes of all $(wc -l <"$TMP/wsha$i") regular files are the tar's" ||
		diag "$(head -5 "$TMP/diff")"
done
grep -q '^f 640 7 0 21 1700000009 1 |etc/motd$' "$TMP/got0"
ok $? "a path listed twice in one layer: the last entry wins"
grep -q '^d 755 0 0 4096 0 3 |a$' "$TMP/got0" && grep -q '^d 755 0 0 4096 0 2 |a/b$' "$TMP/got0"
ok $? "directories the tar never lists (a/, a/b/) are 0755 root, dated 0"
grep -q '^f [0-7]* 0 0 0 [0-9]* 1 |etc/.wh.secret$' "$TMP/got1" &&
	grep -q '^f [0-9]* 0 0 0 [0-9]* 1 |opq/.wh..wh..opq$' "$TMP/got1"
ok $? "the whiteout and the opaque marker are the empty files they are"

# A file deleted by a later layer: gone from the view, whole in its layer.
L1=$LY/${LN[0]}
[ ! -e "$M/etc/secret" ] && [ "$(sha256sum <"$L1/etc/secret")" = "$(tar -xOf "${BL[0]}" etc/secret | sha256sum)" ]
ok $? "etc/secret, deleted by layer 2, is read from layer 1 byte for byte (tar -xOf)"
[ ! -e "$M/tmp/big" ] &&
	[ "$(sha256sum <"$LY/${LN[1]}/tmp/big")" = "$(gzip -dc "${BL[1]}" | tar -xOf - tmp/big | sha256sum)" ]
ok $? "tmp/big, deleted by layer 3, is read from gzip layer 2 byte for byte"
[ "$(ls "$M/opq")" = new ] && [ "$(ls "$L1/opq" | tr '\n' ' ')" = "old1 old2 " ]
ok $? "an opaque directory: the view shows only layer 2's, layer 1's tree its own"

# Hard links within a layer share an inode; st_nlink counts that layer's names.
read -r i1 n1 < <(stat -c '%i %h' "$L1/bin/tool")
[ "$n1" = 3 ] && [ "$(stat -c '%i %h' "$L1/bin/tool2")" = "$i1 3" ] &&
	[ "$(stat -c '%i %h' "$L1/bin/tool3")" = "$i1 3" ] &&
	[ "$(stat -c %i "$M/bin/tool")" != "$i1" ]
ok $? "bin/tool, tool2, tool3: one inode, 3 links, not the view's inode"
L3=$LY/${LN[2]}
[ "$(cat "$L3/x/h")" = "version one" ] && [ "$(cat "$L3/x/f")" = "version two, longer" ] &&
	[ "$(stat -c %i "$L3/x/h")" != "$(stat -c %i "$L3/x/f")" ] &&
	[ "$(stat -c %h "$L3/x/h")" = 1 ] && [ "$(stat -c %h "$L3/usr/lib/libz.so")" = 2 ]
ok $? "a hard link keeps the inode its target had when it was made (as extraction)"
[ "$(readlink "$L1/bin/sh")" = tool ] && [ "$(stat -c %s "$L1/bin/sh")" = 4 ]
ok $? "symlinks verbatim"
$LIST --dev "${BL[0]}" >"$TMP/wdev"
for p in dev/null dev/sda; do printf '%s %d,%d\n' "$p" "0x$(stat -c %t "$L1/$p")" "0x$(stat -c %T "$L1/$p")"; done >"$TMP/gdev"
diff "$TMP/wdev" "$TMP/gdev" >/dev/null && [ "$(stat -c %F "$L1/dev/initctl")" = fifo ]
ok $? "devices keep their numbers, the fifo is a fifo" || diag "$(cat "$TMP/wdev" "$TMP/gdev")"
python3 - "$L1/bin/tool" "$L3/usr/lib/libz.so" <<'PY'
import os, sys
a, b = sys.argv[1], sys.argv[2]
ok = os.getxattr(a, 'user.test') == b'hello' and os.getxattr(a, 'user.utf') == 'h\u00e9'.encode()
ok = ok and os.getxattr(b, 'user.k') == b'v'  # through a hard link
ok = ok and {'user.test', 'user.utf'} <= set(os.listxattr(a))
sys.exit(0 if ok else 1)
PY
ok $? "PAX xattrs served on the layer's entries (also through a hard link)"
$LIST --xattr "${BL[0]}" >"$TMP/wx"
python3 - "$L1" <<'PY' >"$TMP/gx"
import os, sys
r = sys.argv[1]
for d, ds, fs in os.walk(r):
    for n in ds + fs:
        p = os.path.join(d, n)
        for k in os.listxattr(p, follow_symlinks=False):
            if not k.startswith('user.ocifs.'):
                print('%s %s=%s' % (os.path.relpath(p, r), k, os.getxattr(p, k, follow_symlinks=False).hex()))
PY
sort "$TMP/gx" | diff "$TMP/wx" - >/dev/null
ok $? "layer 1: every entry's xattrs are its PAX records" || diag "$(cat "$TMP/wx" "$TMP/gx")"

# Read-only, with the same errors as the view.
python3 - "$L1" "$M/.ocifs/image/manifest.json" <<'PY'
import errno, os, sys
r, man = sys.argv[1], sys.argv[2]
tries = [
    lambda: os.open(r + '/etc/motd', os.O_WRONLY),
    lambda: os.open(r + '/etc/motd', os.O_RDONLY | os.O_TRUNC),
    lambda: os.open(r + '/etc/new', os.O_WRONLY | os.O_CREAT, 0o644),
    lambda: os.mkdir(r + '/newdir'),
    lambda: os.unlink(r + '/etc/motd'),
    lambda: os.rmdir(r + '/opq'),
    lambda: os.rename(r + '/etc/motd', r + '/etc/motd2'),
    lambda: os.symlink('x', r + '/etc/sl'),
    lambda: os.link(r + '/etc/motd', r + '/etc/hl'),
    lambda: os.chmod(r + '/etc/motd', 0o777),
    lambda: os.utime(r + '/etc/motd', (0, 0)),
    lambda: os.truncate(r + '/etc/motd', 0),
    lambda: os.setxattr(r + '/etc/motd', 'user.x', b'1'),
    lambda: os.removexattr(r + '/bin/tool', 'user.test'),
    lambda: os.mknod(r + '/etc/fifo2', 0o600 | 0o010000),
    lambda: os.open(man, os.O_WRONLY),
]
bad = []
for i, t in enumerate(tries):
    try:
        t()
        bad.append('%d: succeeded' % i)
    except OSError as e:
        if e.errno != errno.EROFS:
            bad.append('%d: %s' % (i, e))
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
ok $? "every write to a layer's tree or an image file fails with EROFS"

# Hidden from the root's listing unless -o show_virtual.
! ls -a "$M" | grep -qx .ocifs && [ "$(ls "$M/.ocifs" | grep -cx -e image -e layers)" = 2 ]
ok $? "/.ocifs is not listed in / (but lists image/ and layers/)"
find "$M" -name '.wh.*' | grep -q . && r=1 || r=0
ok $r "find over the mount does not walk into the layer trees"

# --- /.ocifs/image ------------------------------------------------------
[ "sha256:$(sha256sum <"$M/.ocifs/image/manifest.json" | cut -d' ' -f1)" = "$man" ] &&
	[ "sha256:$(sha256sum <"$M/.ocifs/image/config.json" | cut -d' ' -f1)" = "$cfg" ] &&
	cmp -s "$M/.ocifs/image/index.json" "$IMG/index.json" &&
	[ "$(stat -c %s "$M/.ocifs/image/config.json")" = "$(stat -c %s "$IMG/blobs/sha256/${cfg#sha256:}")" ]
ok $? "/.ocifs/image: manifest.json and config.json hash to their digests, index.json is the layout's"
[ "$(ls "$M/.ocifs/image" | tr '\n' ' ')" = "config.json index.json manifest.json " ]
ok $? "ls /.ocifs/image"

# --- xattrs on the merged view ------------------------------------------
# getfattr -d -m user.ocifs FILE: "user.ocifs.NAME=\"VALUE\"" lines.
xattrs() { getfattr --absolute-names -d -m '^user\.ocifs\.' "$1" 2>/dev/null | grep '^user\.ocifs\.' | LC_ALL=C sort; }
want_x() { # N DIGEST [SHA]
	{
		printf 'user.ocifs.layer="%s %s"\nuser.ocifs.layer.digest="%s"\n' "$1" "$2" "$2"
		[ -z "$3" ] || printf 'user.ocifs.sha256="%s"\n' "$3"
	} | LC_ALL=C sort
}
sum() { sha256sum <"$1" | cut -d' ' -f1; }
want_x 3 "${LD[2]}" "$(sum "$M/bin/tool")" >"$TMP/w"
xattrs "$M/bin/tool" | diff "$TMP/w" - >"$TMP/diff"
ok $? "getfattr -d -m user.ocifs: bin/tool (layer 3) shows layer, layer.digest, sha256 = sha256sum" ||
	diag "$(cat "$TMP/diff")"
want_x 1 "${LD[0]}" "$(sum "$M/etc/motd")" >"$TMP/w"
xattrs "$M/etc/motd" | diff "$TMP/w" - >/dev/null
ok $? "etc/motd (layer 1): the three xattrs"
want_x 2 "${LD[1]}" >"$TMP/w"
xattrs "$M/opq" | diff "$TMP/w" - >/dev/null && [ -z "$(xattrs "$M/a")" ]
ok $? "a directory has no user.ocifs.sha256; an implicit one no user.ocifs.* at all"
python3 - "$M/bin/tool" <<'PY'
import errno, os, sys
try:
    os.getxattr(os.path.dirname(sys.argv[1]), 'user.ocifs.sha256')
    sys.exit(1)
except OSError as e:
    sys.exit(0 if e.errno == errno.ENODATA else 1)
PY
ok $? "user.ocifs.sha256 of a directory: ENODATA"
want_x 1 "${LD[0]}" "$(sum "$L1/bin/tool")" >"$TMP/w"
xattrs "$L1/bin/tool" | diff "$TMP/w" - >/dev/null &&
	want_x 1 "${LD[0]}" "$(tar -xOf "${BL[0]}" etc/secret | sha256sum | cut -d' ' -f1)" >"$TMP/w" &&
	xattrs "$L1/etc/secret" | diff "$TMP/w" - >/dev/null
ok $? "a layer tree's files carry their own layer and sha256 (bin/tool of layer 1, the deleted secret)"
"$B" umount "$M"
ok $? "umount"

# -o show_virtual lists /.ocifs; its layers are there.
do_mount "$IMG" "$M" -o show_virtual 2>"$TMP/err"
ls -a "$M" | grep -qx .ocifs && [ -d "$M/.ocifs/layers/${LN[1]}/opq" ]
ok $? "-o show_virtual lists /.ocifs in /"
"$B" umount "$M"

# Another user on an allow_other mount: nothing under /.ocifs (0500);
# with public_virtual the layer trees, but only as their modes allow.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
do_mount "$IMG" "$M" -o allow_other 2>"$TMP/err"
! nobody ls "$LY" >/dev/null 2>&1 && ! nobody cat "$L1/etc/motd" >/dev/null 2>&1 &&
	! nobody cat "$M/.ocifs/image/config.json" >/dev/null 2>&1 && [ "$(stat -c %a "$LY")" = 500 ]
ok $? "allow_other: another user can neither list the layers nor read a layer's file"
"$B" umount "$M"
do_mount "$IMG" "$M" -o allow_other,public_virtual 2>"$TMP/err"
[ "$(nobody ls "$LY" | tr '\n' ' ')" = "$names" ] && nobody cat "$L1/opq/old1" >/dev/null &&
	nobody cat "$M/.ocifs/image/config.json" >/dev/null && ! nobody cat "$L1/etc/secret" >/dev/null 2>&1 &&
	! nobody getfattr -n user.ocifs.sha256 "$L1/etc/secret" >/dev/null 2>&1
ok $? "public_virtual: another user lists the layers, reads what the tar's modes allow, not the 0600 secret"
"$B" umount "$M"

# --- docker-archive: manifest.json is the archive's file ----------------
# (of layers 1 and 2: docker-archive has no zstd layers)
mkoci "$TMP/img12" "$TMP/l1.tar" "$TMP/l2.tar.gz"
skopeo copy -q "oci:$TMP/img12" "docker-archive:$TMP/d.tar:t16:latest" >/dev/null 2>"$TMP/err"
ok $? "skopeo copy to docker-archive" || diag "$(cat "$TMP/err")"
do_mount "$TMP/d.tar" "$M" 2>"$TMP/err"
ok $? "mount the docker-archive" || diag "$(cat "$TMP/err")"
tar -xOf "$TMP/d.tar" manifest.json >"$TMP/d.man"
dcfg=$(jq -r '.[0].Config' "$TMP/d.man")
cmp -s "$M/.ocifs/image/manifest.json" "$TMP/d.man" &&
	cmp -s "$M/.ocifs/image/config.json" <(tar -xOf "$TMP/d.tar" "$dcfg") &&
	[ "$(sha256sum <"$M/.ocifs/image/config.json" | cut -d' ' -f1)" = "$(basename "$dcfg" .json | sed 's,.*/,,')" ]
ok $? "docker-archive: manifest.json is the archive's, config.json its config ($dcfg)"
if tar -tf "$TMP/d.tar" | grep -qx index.json; then
	cmp -s "$M/.ocifs/image/index.json" <(tar -xOf "$TMP/d.tar" index.json)
else
	[ ! -e "$M/.ocifs/image/index.json" ] && [ "$(ls "$M/.ocifs/image" | tr '\n' ' ')" = "config.json manifest.json " ]
fi
ok $? "docker-archive: index.json only if the archive carries one"
dl=$(ls "$M/.ocifs/layers" | head -1)
[ "$(cat "$M/.ocifs/layers/$dl/etc/motd")" = "the later entry wins" ]
ok $? "docker-archive: layer trees are served ($dl)"
"$B" umount "$M"

# --- a tampered index cannot make a layer's file serve other bytes ------
# (the zstd layer's index says another sha256 for usr/lib/libz.so.1: its
# first read in full fails with EIO, and so does every later one, also
# through its other name; the merged view keeps its own verified copy)
DB=$XDG_CACHE_HOME/ocifs/layers/${LD[2]#sha256:}.db
sqlite3 "$DB" "UPDATE entries SET sha256 = zeroblob(32) WHERE dir = 'usr/lib' AND name = 'libz.so.1'" &&
	do_mount "$IMG" "$M" 2>"$TMP/err"
ok $? "a warm mount over a tampered layer index" || diag "$(cat "$TMP/err")"
L3=$M/.ocifs/layers/${LN[2]}
! cat "$L3/usr/lib/libz.so.1" >/dev/null 2>"$TMP/e1" && grep -q 'Input/output error' "$TMP/e1" &&
	! cat "$L3/usr/lib/libz.so.1" >/dev/null 2>&1 && ! cat "$L3/usr/lib/libz.so" >/dev/null 2>&1 &&
	cat "$L3/var/log" >/dev/null
ok $? "the file whose index sha256 does not match fails with EIO, every time, through both names"
"$B" umount "$M"

# --- the real Debian layer: its tree is tar -tvf of its blob ------------
if D=$(debian_root); then
	DI=$D/oci-gzip
	dm=$(jq -r '.manifests[0].digest' "$DI/index.json")
	db=$(jq -r '.layers[0].digest' "$DI/blobs/sha256/${dm#sha256:}")
	do_mount "$DI" "$M" 2>"$TMP/err"
	ok $? "mount the Debian image" || diag "$(cat "$TMP/err")"
	DL=$M/.ocifs/layers/1-${db:7:12}
	TZ=UTC tar --numeric-owner --full-time --quoting-style=literal -tvf "$DI/blobs/sha256/${db#sha256:}" >"$TMP/tv"
	(cd "$DL" && TZ=UTC find . -printf '%M %U/%G %s %TY-%Tm-%Td %TH:%TM:%TS %n|%P|%l\n') >"$TMP/fd"
	python3 - "$TMP/tv" "$TMP/fd" <<'PY'
import re, sys
# tar -tv: MODE UID/GID SIZE|MAJ,MIN DATE TIME NAME[ -> T| link to T]
ent, order = {}, []
for line in open(sys.argv[1], encoding='utf-8', errors='surrogateescape'):
    m = re.match(r'(\S{10}) (\d+/\d+) +(\S+) (\S+ \S+) (.*)\n', line)
    mode, own, size, when, rest = m.groups()
    link = ''
    if mode[0] == 'l':
        rest, link = rest.split(' -> ', 1)
    elif mode[0] == 'h':
        rest, link = rest.split(' link to ', 1)
    p = '/'.join(x for x in rest.split('/') if x not in ('', '.'))
    if mode[0] == 'h':
        t = '/'.join(x for x in link.split('/') if x not in ('', '.'))
        ent[p] = ent[t]
    else:
        ent[p] = [mode, own, size, when, link]
    order.append(p)
names = {}
for p, e in ent.items():
    names[id(e)] = names.get(id(e), 0) + 1
subdirs = {}
for p, e in ent.items():
    if e[0][0] == 'd' and p:
        q = p.rpartition('/')[0]
        subdirs[q] = subdirs.get(q, 0) + 1
want = set()
for p, e in ent.items():
    mode, own, size, when, link = e
    if mode[0] == 'd':
        size, n = '4096', 2 + subdirs.get(p, 0)
    else:
        n = names[id(e)]
    if mode[0] == 'l':
        size = str(len(link.encode('utf-8', 'surrogateescape')))
    if mode[0] in 'cb':
        size = '0'
    want.add('%s %s %s %s %d|%s|%s' % (mode, own, size, when, n, p, link if mode[0] == 'l' else ''))
got = set()
for line in open(sys.argv[2], encoding='utf-8', errors='surrogateescape'):
    m = re.match(r'(\S+) (\S+) (\S+) (\S+) (\d\d:\d\d:\d\d)\.\d+ (.*)\n', line)
    got.add('%s %s %s %s %s %s' % m.groups())
print('entries: %d' % len(want))
for x in sorted(want - got)[:10]:
    print('tar only: ' + x)
for x in sorted(got - want)[:10]:
    print('ocifs only: ' + x)
sys.exit(0 if want == got and len(want) > 1000 else 1)
PY
	ok $? "Debian layer: every path's mode, owner, size, mtime, link count and symlink equal tar -tvf of its blob" 
	grep '^c' "$TMP/tv" | head -3 | while read -r _ _ mm _ _ p; do
		[ "$(printf '%d,%d' "0x$(stat -c %t "$DL/$p")" "0x$(stat -c %T "$DL/$p")")" = "$mm" ] || echo bad
	done | grep -q bad && r=1 || r=0
	ok $r "Debian layer: device numbers as tar -tvf shows them"
	# one pass over the 137 MB blob for all three files
	set -- usr/bin/dpkg usr/lib/os-release usr/bin/bash
	mkdir "$TMP/x" && tar -xf "$DI/blobs/sha256/${db#sha256:}" -C "$TMP/x" "${@/#/./}"
	for p in "$@"; do
		[ -f "$DL/$p" ] && [ ! -L "$DL/$p" ] && cmp -s "$DL/$p" "$TMP/x/$p" &&
			[ "$(getfattr --only-values -n user.ocifs.sha256 "$DL/$p" 2>/dev/null)" = "$(sum "$DL/$p")" ] ||
			echo "bad $p"
	done >"$TMP/bad"
	[ ! -s "$TMP/bad" ]
	ok $? "Debian layer: file bytes as tar -x, user.ocifs.sha256 = sha256sum ($*)" || diag "$(cat "$TMP/bad")"
	"$B" umount "$M"
else
	skip "no Debian root (debian_root failed)"
fi
done_testing
