#!/bin/bash
# Metadata requests (issue #14, goal 4): what a tree walk asks the daemon,
# counted in libfuse's own request log (-d). Oracles: the source tree the
# layer was made from (names, types, modes, sizes, mtimes, link targets
# as `find -printf` shows them), and the opcodes libfuse logs.
#   - a walk gets every entry's attributes from READDIRPLUS, for every
#     chunk of a directory bigger than one reply (no LOOKUP, no plain
#     READDIR), with no OPENDIR/RELEASEDIR round trip (at most the one
#     OPENDIR whose ENOSYS tells the kernel to stop asking);
#   - the same walk again sends no request at all;
#   - a missing name is looked up once, in the image and under /.ocifs
#     and a layer's tree alike (negative entries are kept), and names
#     probed missing before do not hide the virtual files that do exist;
#     the live trace.json is never served stale;
#   - a walk is served by the one worker that holds the device (fs/loop.c),
#     not by each idle worker in turn: counted in the switches of each
#     thread (/proc/PID/task/*/status) after four held reads made workers.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 tar find || { done_testing; exit; }
B=$OCIFS_BIN

# A directory of 1500 entries with long names (READDIRPLUS replies hold
# ~160 such entries in 32 KiB: ten chunks before a directory said how much
# getdents should ask, one now: t50), nested
# directories, symlinks, an empty directory.
R=$TMP/root
mkdir -p "$R/big" "$R/usr/lib/deep/er" "$R/empty"
python3 - "$R/big" <<'EOF'
import os, sys
d = sys.argv[1]
for i in range(1500):
    p = os.path.join(d, "entry-%05d-with-a-rather-long-name-to-fill-replies" % i)
    if i % 10 == 0:
        os.symlink("../usr/lib/target-%d" % i, p)
    else:
        with open(p, "w") as f:
            f.write("x" * (i % 97))
        os.chmod(p, 0o600 + (i % 8))
EOF
echo lib >"$R/usr/lib/libx.so.1"
ln -s libx.so.1 "$R/usr/lib/libx.so"
echo deep >"$R/usr/lib/deep/er/file"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" big usr empty)
mkoci "$TMP/img" "$TMP/l1.tar"

# opcodes NAME...: how many requests of these opcodes the log holds
opcodes() {
	local n=0 o
	for o in "$@"; do
		n=$((n + $(grep -c "opcode: $o (" "$TMP/fg.err")))
	done
	echo "$n"
}
listing() { (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U %G %Ts %l\n' | sort); }
sizes() { (cd "$1" && find . ! -type d -printf '%p %s\n' | sort); }

M=$(mnt_dir mnt)
fg_mount "$TMP/img" "$M" -d -o prewalk=0 # (the walks counted are the test's alone)
ok $? "mount -d" || { diag "$(tail -n 20 "$TMP/fg.err")"; done_testing; exit; }
l0=$(opcodes LOOKUP)
p0=$(opcodes READDIRPLUS)
find "$M" -ls >"$TMP/walk1"
r=$?
lk=$(($(opcodes LOOKUP) - l0))
plus=$(($(opcodes READDIRPLUS) - p0))
ndirs=$(find "$R" -type d | wc -l)
[ "$r" = 0 ] && [ "$(listing "$M")" = "$(listing "$R")" ] && [ "$(sizes "$M")" = "$(sizes "$R")" ]
ok $? "find -ls walks the whole tree; names, types, modes, owners, mtimes, sizes, targets as in the source"
[ "$lk" = 0 ] && [ "$(opcodes READDIR)" = 0 ]
ok $? "the walk looks up no name and sends no plain READDIR ($lk lookups, $(opcodes READDIR) readdir)"
# (two or more: its entries, then the end; how few: t50)
[ "$plus" -ge $((ndirs * 2)) ]
ok $? "READDIRPLUS for every directory: $plus for $ndirs directories"
[ "$(opcodes OPENDIR)" -le 1 ] && [ "$(opcodes RELEASEDIR)" = 0 ]
ok $? "no OPENDIR/RELEASEDIR round trips ($(opcodes OPENDIR) opendir, $(opcodes RELEASEDIR) releasedir)"

n0=$(grep -c "opcode: " "$TMP/fg.err")
find "$M" -ls >"$TMP/walk2"
cmp -s "$TMP/walk1" "$TMP/walk2" && du -s "$M" >/dev/null && ls -lR "$M" >/dev/null &&
	[ "$(grep "opcode: " "$TMP/fg.err" | tail -n +$((n0 + 1)) |
		grep -Evc "opcode: (STATFS|GETXATTR|LISTXATTR) ")" = 0 ]
ok $? "find -ls, du -s and ls -lR again: the same listing, no request but statfs and xattrs" ||
	diag "$(grep "opcode: " "$TMP/fg.err" | tail -n +$((n0 + 1)) | grep -Ev "opcode: (STATFS|GETXATTR|LISTXATTR) " | head -n 5)"

# ls -l asks security.selinux and system.posix_acl_access of every entry;
# the image has neither anywhere, so the mount says EOPNOTSUPP and ls
# stops asking (it was two GETXATTR an entry on every ls -l).
x0=$(opcodes GETXATTR)
ls -lR "$M" >/dev/null
x=$(($(opcodes GETXATTR) - x0))
[ "$x" -le 2 ]
ok $? "ls -lR of $(find "$R" | wc -l) entries: $x GETXATTR (security.selinux, ACLs: none in the image)"

# Missing names: one LOOKUP each, then kept.
probe() { for p in "$@"; do stat "$M/$p" >/dev/null 2>&1 && return 1; done; return 0; }
for p in usr/lib/libnope.so.6 .ocifs/nope.json .ocifs/layers/nope .nope; do
	l0=$(opcodes LOOKUP)
	probe "$p" "$p" "$p"
	r=$?
	l1=$(opcodes LOOKUP)
	probe "$p"
	r2=$?
	[ "$r" = 0 ] && [ "$r2" = 0 ] && [ "$(opcodes LOOKUP)" = "$l1" ]
	ok $? "/$p: ENOENT, asked $((l1 - l0)) time(s) for three stats, then never again"
done
lay=$(ls "$M/.ocifs/layers" | head -n 1)
probe ".ocifs/layers/$lay/nope" ".ocifs/layers/$lay/nope"
r=$?
l0=$(opcodes LOOKUP)
probe ".ocifs/layers/$lay/nope"
r2=$?
[ "$r" = 0 ] && [ "$r2" = 0 ] && [ "$(opcodes LOOKUP)" = "$l0" ] &&
	[ "$(cat "$M/.ocifs/layers/$lay/usr/lib/libx.so.1")" = lib ]
ok $? "a layer's tree: a missing name is kept, its files read ($lay)"

# Names probed missing do not hide the virtual files that exist.
probe .dep .deps.json .ocifs/deps .ocifs/deps.jso .ocifs/trace && [ -f "$M/.deps" ] && [ -f "$M/.ocifs/deps.json" ] && [ -f "$M/.ocifs/trace.json" ] &&
	[ -d "$M/.ocifs/image" ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$M/.deps"
ok $? "after missing neighbours were probed: /.deps, /.ocifs/deps.json, trace.json, image/ exist"
s1=$(stat -c %s "$M/.ocifs/trace.json")
cat "$M/.ocifs/sbom.cdx.json" >/dev/null
s2=$(stat -c %s "$M/.ocifs/trace.json")
# (cat: wc -c alone would believe st_size)
[ "$s2" -gt "$s1" ] && [ "$(cat "$M/.ocifs/trace.json" | wc -c)" = "$s2" ]
ok $? "trace.json grows and is read whole ($s1 -> $s2 bytes): never stale"

"$B" umount "$M"
fg_wait
[ "$FG_RC" = 0 ]
ok $? "unmounted, exit 0 (exit $FG_RC)"

# An image where one file has a label: the name is supported there, and
# a file without one has none (ENODATA); an image without any (above)
# says EOPNOTSUPP, for ACLs too; user.ocifs.* always reads.
python3 - "$TMP/lab.tar" <<'EOF'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
for name, px in (("labelled", {"SCHILY.xattr.security.selinux": "system_u:object_r:etc_t:s0"}),
                 ("plain", {})):
    i = tarfile.TarInfo(name)
    i.size, i.mtime, i.pax_headers = 2, 1700000000, px
    t.addfile(i, io.BytesIO(b"x\n"))
t.close()
EOF
mkoci "$TMP/lab" "$TMP/lab.tar"
# xa DIR: "FILE NAME value-or-errno" for three names of the files there
xa() {
	python3 - "$1" <<'EOF'
import errno, os, sys
for f in ("labelled", "plain", "usr/lib/libx.so.1"):
    p = os.path.join(sys.argv[1], f)
    if not os.path.exists(p):
        continue
    for n in ("security.selinux", "system.posix_acl_access", "user.ocifs.layer"):
        try:
            v = os.getxattr(p, n).decode("latin-1")
            v = "value" if n == "user.ocifs.layer" else v
        except OSError as e:
            v = errno.errorcode[e.errno]
        print(f, n, v)
EOF
}
"$B" mount "$TMP/img" "$M" && xa "$M" >"$TMP/xa1"
"$B" umount "$M"
"$B" mount "$TMP/lab" "$M" && xa "$M" >"$TMP/xa2"
"$B" umount "$M"
[ "$(cat "$TMP/xa1")" = "usr/lib/libx.so.1 security.selinux ENOTSUP
usr/lib/libx.so.1 system.posix_acl_access ENOTSUP
usr/lib/libx.so.1 user.ocifs.layer value" ] &&
	[ "$(cat "$TMP/xa2")" = "labelled security.selinux system_u:object_r:etc_t:s0
labelled system.posix_acl_access ENOTSUP
labelled user.ocifs.layer value
plain security.selinux ENODATA
plain system.posix_acl_access ENOTSUP
plain user.ocifs.layer value" ]
ok $? "labels, ACLs: EOPNOTSUPP when no file has the name, else ENODATA or the value ($(tr '\n' ';' <"$TMP/xa2"))"

# The worker pool. Four cats of /.deps held by the test gate each keep a
# worker busy (their OPEN waits for the build), so at least five workers
# exist; once they are done, a fresh walk (~170 requests) must be served
# by one of them, not spread over all (libfuse's pool wakes the worker
# that has waited longest: ~35 requests each).
GATE=$TMP/gate
export OCIFS_TEST_DEPS_GATE=$GATE
fg_mount "$TMP/img" "$M" -o prewalk=0
r=$?
unset OCIFS_TEST_DEPS_GATE
ok $r "mount with the /.deps build held by a gate" || { done_testing; exit; }
# wait_blocked PID: until PID sleeps in a FUSE request (at most 60 s)
wait_blocked() {
	local i=0
	while ! grep -q request_wait_answer "/proc/$1/wchan" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# workers: how many threads of the daemon are named ocifs-fuse
workers() { cat "/proc/$FG_PID/task/"*/comm 2>/dev/null | grep -c '^ocifs-fuse$'; }
# switches: "TID voluntary-context-switches" for every thread of the daemon
switches() {
	local t
	for t in "/proc/$FG_PID/task/"*; do
		echo "${t##*/} $(awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "$t/status")"
	done
}
cats=""
for i in 1 2 3 4; do
	cat "$M/.deps" >/dev/null 2>&1 &
	cats="$cats $!"
done
for p in $cats; do wait_blocked "$p"; done
i=0
while [ "$(workers)" -lt 5 ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
nw=$(workers)
touch "$GATE"
r=0
for p in $cats; do wait "$p" || r=1; done
[ "$nw" -ge 5 ] && [ $r = 0 ]
ok $? "four held reads are served by workers of their own ($nw workers), then complete"
switches >"$TMP/sw0"
find "$M" -ls >"$TMP/walk3"
switches >"$TMP/sw1"
# (the cats' RELEASEs may still come in and move the lead once: judge the
# share of the busiest thread, not the number of threads)
share=$(awk 'NR == FNR { a[$1] = $2; next }
	($1 in a) { d = $2 - a[$1]; t += d; if (d > m) m = d }
	END { printf "%d", t ? 100 * m / t : 0 }' "$TMP/sw0" "$TMP/sw1")
cmp -s "$TMP/walk1" "$TMP/walk3" && [ "$share" -ge 80 ]
ok $? "a walk after them is served by one thread: $share % of the daemon's switches (of $nw workers)"
"$B" umount "$M"
fg_wait
[ "$FG_RC" = 0 ]
ok $? "unmounted, exit 0 (exit $FG_RC)"
done_testing
