#!/bin/bash
# Reads that behave like the tree (issue #13): `ocifs cat/stat/ls` resolve
# a path as a process chroot'ed into the image does, and the numbers they
# print are the mount's. Oracles, none written here:
#  - the kernel's own path resolution: python3 chroot()s into the image
#    unpacked by `tar -x` (layers in order) and into the mount, then
#    open()s, stat()s and lstat()s every path (absolute links start at
#    the chroot, ".." stops there, 40 links, ENOTDIR, trailing slashes);
#    the directory a path lands in is read back from /proc/self/fd;
#  - `stat -c %i` on the mount for the inode numbers;
#  - GNU ls on the unpacked copy for how an operand that is a symlink is
#    listed (ls, ls -l, a trailing slash, a dangling link);
#  - find(1) over one layer extracted alone for `ls -R --layer N`;
#  - the Debian fixture's root (sha256 of /usr/bin/ls, /etc/os-release)
#    for `cat IMAGE /bin/ls` on a real merged-/usr image.
. "$(dirname "$0")/../lib.sh"
. "$OCIFS_SRCDIR/tests/mount/mountlib.sh"

need python3 tar jq sha256sum || { done_testing; exit; }
if [ "$(id -u)" -ne 0 ]; then
	skip "chroot(2) needs root"
	done_testing
	exit
fi
B=$OCIFS_BIN
export LC_ALL=C
# okd STATUS DESC DIAG: ok, and DIAG as a comment when it failed
okd() {
	ok "$1" "$2"
	[ "$1" -eq 0 ] || diag "$3"
}

# --- the image: merged /usr, links of every kind, two layers -------------
R1=$TMP/r1 R2=$TMP/r2
mkdir -p "$R1/usr/bin" "$R1/usr/lib/sub" "$R1/etc" "$R1/c" "$R1/v1" "$R1/v2" "$R2/usr/bin" "$R2/etc"
printf 'ls v1\n' >"$R1/usr/bin/ls"
printf 'sh\n' >"$R1/usr/bin/sh"
printf 'ID=t27\n' >"$R1/usr/lib/os-release"
printf 'one\n' >"$R1/v1/data"
printf 'two\n' >"$R1/v2/data"
ln -s ../os-release "$R1/usr/lib/sub/rel"
ln -s ../../../../../../usr/bin "$R1/usr/lib/sub/up"
ln -s usr/bin "$R1/bin"
ln -s usr/lib "$R1/lib"
ln -s usr/bin "$R1/sbin"
ln -s ../usr/lib/os-release "$R1/etc/os-release"
ln -s /usr/lib/os-release "$R1/etc/abs"
ln -s ../../../../etc/os-release "$R1/etc/escape"
ln -s /usr/lib/ "$R1/etc/todir"
ln -s chain2 "$R1/chain1"
ln -s etc/chain3 "$R1/chain2"
ln -s /lib/sub/rel "$R1/etc/chain3"
ln -s loop2 "$R1/loop1"
ln -s /loop1 "$R1/loop2"
ln -s self "$R1/self"
ln -s /nowhere/at/all "$R1/dangling"
ln -s usr "$R1/dirlink"
ln -s usr/bin/ls/ "$R1/filedir"
ln -s v1 "$R1/cur"
for i in $(seq 0 40); do
	if [ "$i" -eq 40 ]; then ln -s /usr/bin/ls "$R1/c/c$i"; else ln -s "c$((i + 1))" "$R1/c/c$i"; fi
done
# layer 2: new bytes behind /bin/ls, a link retargeted, a link to a link
printf 'ls v2\n' >"$R2/usr/bin/ls"
ln -s v2 "$R2/cur"
ln -s os-release "$R2/etc/os-release2"
# (layer 1 lists "./", layer 2 does not: the root is implicit in it)
tar --numeric-owner -C "$R1" -cf "$TMP/l1.tar" . &&
	tar --numeric-owner -C "$R2" -cf "$TMP/l2.tar" usr etc cur &&
	mkoci "$TMP/img" "$TMP/l1.tar" "$TMP/l2.tar"
ok $? "image built (tar, mkoci)"
IMG=$TMP/img
U=$TMP/unpacked
mkdir -p "$U" && tar -C "$U" -xf "$TMP/l1.tar" && tar -C "$U" -xf "$TMP/l2.tar"
ok $? "the same layers unpacked with tar -x"

PATHS=(/ // /. /.. /../../.. usr/bin/ls //usr///bin//./ls /usr/../usr/bin/../bin/ls /usr/bin/
	/bin/ls /lib/os-release /bin /bin/ /bin/.. /bin/../lib/sub/../os-release
	/dirlink/bin/../lib/os-release /dirlink /etc/os-release /etc/os-release2 /etc/abs
	/usr/lib/sub/rel /etc/todir /etc/todir/ /etc/todir/sub/rel /etc/escape /usr/lib/sub/up/ls
	/usr/lib/sub/up /chain1 /c/c1 /c/c0 /c/c0/ /loop1 /self /loop1/x /dangling /dangling/
	/usr/bin/ls/ /usr/bin/ls/.. /usr/bin/ls/x /etc/os-release/ /bin/ls/ /filedir
	/nope /nope/.. /cur /cur/data /sbin /sbin/sh)
printf '%s\n' "${PATHS[@]}" >"$TMP/paths"

# kernel ROOT INO: what the kernel says of each path chroot'ed into ROOT,
# one line a path: PATH|cat|stat -L|stat|where (ino 0 when INO is 0)
kernel() {
	python3 - "$1" "$2" "$TMP/paths" <<'PY'
import errno, hashlib, os, stat, sys
root, want_ino, paths = sys.argv[1], sys.argv[2] == '1', open(sys.argv[3]).read().split('\n')[:-1]
proc = os.open('/proc', os.O_RDONLY | os.O_DIRECTORY)
os.chroot(root)
os.chdir('/')
def err(e):
    return errno.errorcode[e.errno]
def kind(st):
    t = 'd' if stat.S_ISDIR(st.st_mode) else 'l' if stat.S_ISLNK(st.st_mode) else 'f'
    return '%s:%d' % (t, st.st_ino if want_ino else 0)
for p in paths:
    out = [p]
    try:
        with open(p, 'rb') as f:
            out.append(hashlib.sha256(f.read()).hexdigest())
    except OSError as e:
        out.append(err(e))
    for fn in (os.stat, os.lstat):
        try:
            out.append(kind(fn(p)))
        except OSError as e:
            out.append(err(e))
    try:
        fd = os.open(p, os.O_PATH)
        out.append(os.readlink('self/fd/%d' % fd, dir_fd=proc))
        os.close(fd)
    except OSError as e:
        out.append(err(e))
    print('|'.join(out))
PY
}

# errno_of FILE: the errno an ocifs error line says
errno_of() {
	if grep -q 'too many levels of symbolic links' "$1"; then echo ELOOP
	elif grep -q ': not a directory' "$1"; then echo ENOTDIR
	elif grep -Eq 'is dangling: no such path|: no ".*" in the image' "$1"; then echo ENOENT
	elif grep -q 'is not a regular file (a directory)' "$1"; then echo EISDIR
	else echo "?$(head -c 200 "$1")"; fi
}

# stat_of ARGS...: t:ino from `ocifs stat ARGS`
stat_of() {
	local o
	if o=$("$B" stat "$@" 2>"$TMP/e"); then
		printf '%s' "$o" | awk '
			/^  Type: / { t = $2 == "directory" ? "d" : $2 == "symbolic" ? "l" : "f" }
			/Inode: / { for (i = 1; i < NF; i++) if ($i == "Inode:") n = $(i + 1) }
			END { printf "%s:%s", t, n }'
	else
		errno_of "$TMP/e"
	fi
}

# ocifs_table: the same table from ocifs cat/stat -L/stat; "where" is
# the directory the path lands in, which only the kernel tells: it is
# compared through explain below.
ocifs_table() {
	local p c
	while IFS= read -r p; do
		if c=$("$B" cat "$IMG" "$p" 2>"$TMP/e" | sha256sum) && [ ! -s "$TMP/e" ]; then
			c=${c%% *}
		else
			c=$(errno_of "$TMP/e")
		fi
		printf '%s|%s|%s|%s\n' "$p" "$c" "$(stat_of -L "$IMG" "$p")" "$(stat_of "$IMG" "$p")"
	done <"$TMP/paths"
}

# ocifs's inode numbers are the mount's (compared below, with a mount);
# against the unpacked copy they are left out
ocifs_table >"$TMP/o-ino"
sed 's/:[0-9]*|/:0|/g; s/:[0-9]*$/:0/' "$TMP/o-ino" >"$TMP/o-noino"
kernel "$U" 0 >"$TMP/k-unpacked"
ok $? "the kernel resolved every path in the unpacked copy ($(wc -l <"$TMP/k-unpacked") paths)"
cut -d'|' -f1-4 "$TMP/k-unpacked" | diff - "$TMP/o-noino" >"$TMP/d"
okd $? "cat, stat -L and stat of ${#PATHS[@]} paths: what the kernel says chroot'ed into tar -x's copy" "$(cat "$TMP/d")"
# the table exercises every outcome (a test that cannot fail otherwise)
for e in ELOOP ENOTDIR ENOENT EISDIR; do
	grep -q "|$e|" "$TMP/k-unpacked" || fail "the oracle table has no $e"
done

# --- against the mount: the same table with the mount's inode numbers ----
MNT=""
if need_fuse; then
	MNT=$(mnt_dir mnt)
	if do_mount "$IMG" "$MNT" 2>"$TMP/merr"; then
		kernel "$MNT" 1 >"$TMP/k-mount"
		cut -d'|' -f1-4 "$TMP/k-mount" | diff - "$TMP/o-ino" >"$TMP/d"
		okd $? "the mount resolves every path as ocifs does, with the same inode numbers" "$(cat "$TMP/d")"
		bad=""
		for p in "" usr usr/bin/ls bin etc/os-release c/c0 dangling; do
			want=$(stat -c %i "$MNT/$p") got=$(stat_of "$IMG" "/$p")
			[ "${got#*:}" = "$want" ] || bad="$bad /$p($got!=$want)"
		done
		[ -z "$bad" ]
		okd $? "ocifs stat Inode = stat -c %i on the mount (the root is 1)" "$bad"
		got=$("$B" stat --json "$IMG" /usr/bin/sh | jq .ino)
		[ "$got" = "$(stat -c %i "$MNT/usr/bin/sh")" ]
		ok $? "stat --json ino = stat -c %i on the mount ($got)"
		"$B" umount "$MNT" 2>/dev/null || force_umount "$MNT"
	else
		fail "mount: $(cat "$TMP/merr")"
	fi
fi

# --- explain: where a symlink resolves, as the kernel's /proc/self/fd says --
bad=""
for p in /etc/os-release /etc/escape /chain1 /usr/lib/sub/up /cur /sbin /c/c1; do
	want=$(awk -F'|' -v p="$p" '$1 == p { print $5 }' "$TMP/k-unpacked")
	got=$("$B" explain --json "$IMG" "$p" 2>"$TMP/e" | jq -r ".entry.symlink.resolves_to")
	[ -n "$want" ] && [ "$got" = "$want" ] || bad="$bad $p($got!=$want: $(head -c 300 "$TMP/e"))"
done
[ -z "$bad" ]
okd $? "explain: where each symlink resolves (kernel: /proc/self/fd)" "$bad"
"$B" explain --json "$IMG" /loop1 2>/dev/null | jq -e '.entry.symlink.resolves_to == null and
	(.entry.symlink.error | test("loop"))' >/dev/null
ok $? "explain: a loop says so"

# a tree deeper than any fixed stack of names (300 levels under a link)
python3 - "$TMP/deep.tar" <<'PY'
import io, sys, tarfile
d = '/'.join(['d'] * 300)
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo(d + '/f')
    ti.size = 5
    t.addfile(ti, io.BytesIO(b'deep\n'))
    ti = tarfile.TarInfo('deep')
    ti.type, ti.linkname = tarfile.SYMTYPE, d
    t.addfile(ti)
PY
mkoci "$TMP/deepimg" "$TMP/deep.tar" && mkdir "$TMP/deepu" && tar -C "$TMP/deepu" -xf "$TMP/deep.tar"
want=$(python3 -c 'import os, sys
proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
os.chroot(sys.argv[1])
fd = os.open("/deep", os.O_PATH)
print(os.readlink("self/fd/%d" % fd, dir_fd=proc))' "$TMP/deepu")
got=$("$B" explain --json "$TMP/deepimg" /deep 2>"$TMP/e" | jq -r .entry.symlink.resolves_to)
[ ${#want} -eq 600 ] && [ "$got" = "$want" ] && [ "$("$B" cat "$TMP/deepimg" /deep/f)" = deep ]
okd $? "a link into a 300-deep tree: cat through it, explain's resolves_to as the kernel's (${#got} bytes)" \
	"$(head -c 300 "$TMP/e")"

# --- ls of an operand, as GNU ls lists it ---------------------------------
bad=""
for p in bin bin/ dirlink dirlink/ etc/os-release dangling self usr/lib/sub sbin/ cur; do
	for o in "" -l; do
		want=$(cd "$U" && ls $o "$p" 2>&1 | grep -v '^total ' | sed 's/^ls: .*Too many levels of symbolic links$/ELOOP/' |
			awk -v l="$o" '{ if (l == "" || NF == 1) print; else print $1, $NF }')
		got=$("$B" ls $o "$IMG" "$p" 2>&1 | sed 's/^ocifs: .*too many levels of symbolic links.*/ELOOP/' |
			awk -v l="$o" '{ if (l == "" || NF == 1) print; else print $1, $NF }')
		[ "$got" = "$want" ] || bad="$bad [ls $o $p: got $(echo $got | head -c 80) want $(echo $want | head -c 80)]"
	done
done
[ -z "$bad" ]
okd $? "ls [-l] of links to directories, with and without a trailing slash, dangling, a loop: as GNU ls" "$bad"
[ "$("$B" ls "$IMG" /bin/)" = "$("$B" ls "$IMG" /usr/bin)" ] && [ "$("$B" ls -l "$IMG" /bin | wc -l)" = 1 ]
ok $? "ls IMAGE /bin/ lists the target directory, ls -l IMAGE /bin the link"
expect_fail 1 '^ocifs: .*img: "/usr/bin/ls/": not a directory$' "ls of a file with a trailing slash" -- \
	"$B" ls "$IMG" /usr/bin/ls/
expect_fail 1 '^ocifs: .*img: "/loop1": too many levels of symbolic links' "cat of a loop names image and path" -- \
	"$B" cat "$IMG" /loop1
expect_fail 1 '^ocifs: .*img: "/dangling" is dangling: no such path in the image \(a symlink to /nowhere/at/all\)$' \
	"cat of a dangling link: image, path and target, parentheses closed" -- "$B" cat "$IMG" /dangling
expect_fail 1 '^ocifs: .*img: "/bin" is not a regular file \(a directory\)$' "cat of a link to a directory" -- \
	"$B" cat "$IMG" /bin
expect_fail 1 '^ocifs: .*img: "/etc/os-release" in layer 1 is not a regular file \(a symlink to \.\./usr/lib/os-release\)$' \
	"cat --layer of a symlink: one layer alone is not resolved, the target named, parentheses closed" -- \
	"$B" cat --layer 1 "$IMG" /etc/os-release
for cmd in cat stat ls history explain; do
	expect_fail 2 "^ocifs: .*img: $cmd: the path is empty" "$cmd IMAGE '': a usage error" -- "$B" $cmd "$IMG" ""
done
"$B" stat --no-dereference "$IMG" /bin | grep -q '^  Type: symbolic link$' &&
	"$B" stat --dereference "$IMG" /bin | grep -q '^  Type: directory$'
ok $? "stat --no-dereference / --dereference spelled out"

# --- history of the root, a trailing slash --------------------------------
"$B" history "$IMG" / >"$TMP/h" 2>"$TMP/e"
okd $? "history IMAGE / works" "$(cat "$TMP/e")"
[ "$(awk 'NR > 1 { print $1, $3, $5 }' "$TMP/h")" = "1 added $(stat -c %a "$R1" | xargs printf %04d)" ] &&
	"$B" history --json "$IMG" / | jq -e '.path == "/" and .in_view and .events[0].type == "dir"' >/dev/null
okd $? "history of the root: the layer that lists ./ (its mode), none that does not" "$(cat "$TMP/h")"
mkoci "$TMP/noroot" "$TMP/l2.tar"
"$B" history "$TMP/noroot" / >"$TMP/h" 2>&1
okd $? "history IMAGE / when no layer lists ./" "$(cat "$TMP/h")"
[ "$(awk 'NR > 1 { print $1, $3, $5 }' "$TMP/h")" = "1 added 0755" ]
okd $? "... the root is there from layer 1 on, a 0755 directory (as the mount shows it: $(stat -c %a "$R2"))" "$(cat "$TMP/h")"
python3 -c 'import os, sys; os.stat(sys.argv[1])' "$U/usr/bin/ls/" 2>"$TMP/py"
grep -q NotADirectoryError "$TMP/py" # the shell's answer
ok $? "the kernel: a trailing slash on a file is ENOTDIR"
expect_fail 1 '^ocifs: .*img: "/usr/bin/ls/": not a directory$' "history of a file with a trailing slash" -- \
	"$B" history "$IMG" /usr/bin/ls/
expect_fail 1 '^ocifs: .*img: "/etc/os-release/": not a directory$' "explain of a link to a file with a trailing slash" -- \
	"$B" explain "$IMG" /etc/os-release/
"$B" history "$IMG" /etc/ | grep -q ' added '
ok $? "history of a directory with a trailing slash"
want=/$(realpath --relative-to="$U" "$U/bin/ls") # the kernel's answer on the unpacked copy
expect_fail 1 "^ocifs: .*img: /bin/ls: no layer has this path \(through a symlink it is $want: history takes PATH literally\)\$" \
	"history of a path through a symlink: one line naming where it leads (realpath: $want)" -- \
	"$B" history "$IMG" /bin/ls
expect_fail 1 "^ocifs: .*img: /bin/nope: no layer has this path\$" "history of a path that is nowhere: no hint" -- \
	"$B" history "$IMG" /bin/nope
"$B" explain --json "$IMG" /bin/ | jq -e '.canonical == "/usr/bin" and .entry.type == "directory"' >/dev/null &&
	"$B" explain --json "$IMG" /bin | jq -e '.canonical == "/bin" and .entry.type == "symbolic link"' >/dev/null
ok $? "explain /bin/ describes where the link leads, explain /bin the link"

# --- ls -R --layer N: find(1) over the layer extracted alone -------------
# paths ordered component by component: "/" as \001 sorts below any name
csort() { tr / '\001' | sort | tr '\001' /; }
for n in 1 2; do
	mkdir -p "$TMP/x$n" && tar -C "$TMP/x$n" -xf "$TMP/l$n.tar"
	(cd "$TMP/x$n" && find . -mindepth 1 | sed 's|^\./||' | csort) >"$TMP/want"
	"$B" ls -R --layer "$n" "$IMG" >"$TMP/got" 2>"$TMP/e"
	diff "$TMP/want" "$TMP/got" >"$TMP/d"
	okd $? "ls -R --layer $n: every path of the layer, as find lists it ($(wc -l <"$TMP/got"))" "$(head -n 20 "$TMP/d") $(cat "$TMP/e")"
done
(cd "$TMP/x1/usr" && find . -mindepth 1 | sed 's|^\./||' | csort) >"$TMP/want"
"$B" ls -R --layer 1 "$IMG" /usr | diff "$TMP/want" - >"$TMP/d"
okd $? "ls -R --layer 1 IMAGE /usr: paths relative to it, as ls -R of the view prints" "$(cat "$TMP/d")"
"$B" ls --help | grep -Eq -- '^ +-R, --recursive +.*relative to PATH' && ! "$B" ls --help | grep -q 'full paths'
ok $? "ls --help says what -R prints: paths relative to PATH"
# with one layer the view is the layer: both listings agree, -l included
mkoci "$TMP/one" "$TMP/l1.tar"
diff <("$B" ls -lR "$TMP/one" | awk '{ print $1, $2, $NF }') \
	<("$B" ls -lR --layer 1 "$TMP/one" | awk '{ print $1, $2, $NF }') >"$TMP/d"
okd $? "ls -lR --layer 1 = ls -lR of a one-layer image (order, modes, owners)" "$(cat "$TMP/d")"

# --- a real merged-/usr image ---------------------------------------------
debian() {
	D=$(debian_root) || { skip "no Debian root (needs root and Debian's mirror)"; return; }
	local i=$D/docker.tar
	[ "$("$B" cat "$i" /bin/ls | sha256sum)" = "$(sha256sum <"$D/rootfs/usr/bin/ls")" ]
	ok $? "Debian: cat IMAGE /bin/ls is the root's /usr/bin/ls (sha256)"
	cmp -s <("$B" cat "$i" /etc/os-release) "$D/rootfs/etc/os-release"
	ok $? "Debian: cat IMAGE /etc/os-release (a link to ../usr/lib/os-release)"
	diff <("$B" ls "$i" /bin) <(cd "$D/rootfs" && ls -b bin) >"$TMP/d"
	okd $? "Debian: ls IMAGE /bin lists /usr/bin as GNU ls does" "$(head "$TMP/d")"
}
debian

done_testing
