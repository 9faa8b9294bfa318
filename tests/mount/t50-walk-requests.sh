#!/bin/bash
# How many round trips a cold tree walk costs (issue #14, goal 4), counted
# in libfuse's own request log (-d): each is a wake-up on both sides, the
# only cost left in a cold find -ls (bench/RESULTS.md, session 11).
#   - a directory's st_blksize is the getdents buffer its whole listing
#     fits in (fs/dir.c: a power of two, 32 KiB to 1 MiB; 4096 when glibc's
#     32 KiB does), so find's opendir asks for that much and Linux >= 6.16
#     sends it as one READDIRPLUS: one request for the entries and one for
#     the end of each directory, however big, up to 1 MiB of entries;
#   - a directory bigger than that is listed in 1 MiB READDIRPLUS chunks
#     (never plain READDIR), and every entry comes out once;
#   - the walk sends no LOOKUP, GETATTR, xattr request, one READLINK a
#     symlink, and nothing at all when repeated.
# Oracle: the source tree (names and link targets) and the opcodes logged.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 tar find stat || { done_testing; exit; }
B=$OCIFS_BIN

# big: 1500 names of 56 bytes (~312 KiB of READDIRPLUS: ten 32 KiB chunks
# before); huge: 3000 names of 200 bytes (~1.03 MiB: more than the kernel's
# largest request); small directories, symlinks, an empty directory.
R=$TMP/root
mkdir -p "$R/big" "$R/huge" "$R/usr/lib/deep/er" "$R/empty"
python3 - "$R" <<'EOF'
import os, sys
r = sys.argv[1]
for i in range(1500):
    p = os.path.join(r, "big", "entry-%05d-with-a-rather-long-name-to-fill-the-replies" % i)
    if i % 10 == 0:
        os.symlink("../usr/lib/target-%d" % i, p)
    else:
        open(p, "w").close()
for i in range(3000):
    open(os.path.join(r, "huge", ("h%05d-" % i) + "n" * 193), "w").close()
EOF
echo lib >"$R/usr/lib/libx.so.1"
ln -s libx.so.1 "$R/usr/lib/libx.so"
echo deep >"$R/usr/lib/deep/er/file"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" big huge usr empty)
mkoci "$TMP/img" "$TMP/l1.tar"
ndirs=$(find "$R" -type d | wc -l)
nlinks=$(find "$R" -type l | wc -l)

# count OPCODE: requests of OPCODE in the log from line $L0 on
count() { tail -n +"$L0" "$TMP/fg.err" | grep -c "opcode: $1 ("; }
# plus_max: the largest READDIRPLUS reply in the log, bytes
plus_max() {
	awk '/opcode: READDIRPLUS \(/ { u[$3] = 1 }
		/success, outsize:/ { k = $3; if (k in u && $NF > m) m = $NF }
		END { print m + 0 }' "$TMP/fg.err"
}

M=$(mnt_dir mnt)
fg_mount "$TMP/img" "$M" -d -o prewalk=0 # (t51 counts the walk ahead)
ok $? "mount -d" || { diag "$(tail -n 20 "$TMP/fg.err")"; done_testing; exit; }
[ "$(stat -c %o "$M/huge")" = 1048576 ] && [ "$(stat -c %o "$M/big")" = 524288 ] &&
	[ "$(stat -c %o "$M/usr/lib")" = 4096 ] && [ "$(stat -c %o "$M/empty")" = 4096 ] &&
	[ "$(stat -c %o "$M/usr/lib/libx.so.1")" = 4096 ]
ok $? "st_blksize: the listing's size for big directories ($(stat -c %o "$M/big") big, $(stat -c %o "$M/huge") huge), 4096 for small ones and files"

L0=$(($(wc -l <"$TMP/fg.err") + 1))
find "$M" -ls >"$TMP/walk1"
r=$?
plus=$(count READDIRPLUS)
[ "$r" = 0 ] &&
	[ "$(cd "$M" && find . -printf '%p %y %l\n' | sort)" = "$(cd "$R" && find . -printf '%p %y %l\n' | sort)" ]
ok $? "find -ls walks the whole tree: every name once, types and link targets as in the source"
[ "$(count LOOKUP)" = 0 ] && [ "$(count GETATTR)" = 0 ] && [ "$(count READDIR)" = 0 ] &&
	[ "$(count GETXATTR)" = 0 ] && [ "$(count LISTXATTR)" = 0 ] &&
	[ "$(count READLINK)" = "$nlinks" ] && [ "$(count OPENDIR)" -le 1 ]
ok $? "the walk asks no LOOKUP ($(count LOOKUP)), GETATTR ($(count GETATTR)), READDIR, xattr; a READLINK a symlink ($(count READLINK) for $nlinks), at most one OPENDIR"
if [ "$(plus_max)" -le 4112 ]; then
	# before Linux 6.16 READDIRPLUS is one page whatever getdents asks
	skip_kernel "READDIRPLUS sized from getdents" \
		"this kernel asks READDIRPLUS a page at a time (largest reply $(plus_max) bytes)"
else
	# every directory: its entries, then the empty reply that ends it;
	# huge: one more (its entries need two 1 MiB requests)
	[ "$plus" -le $((ndirs * 2 + 1)) ] && [ "$plus" -gt $((ndirs * 2)) ]
	ok $? "READDIRPLUS: $plus for $ndirs directories (at most $((ndirs * 2 + 1)): one for the entries and one for the end of each, one more for the 1 MiB one)"
fi

L0=$(($(wc -l <"$TMP/fg.err") + 1))
find "$M" -ls >"$TMP/walk2"
# (find asks statfs of the mount each time: FUSE keeps no answer to it)
again() { tail -n +"$L0" "$TMP/fg.err" | grep "opcode: " | grep -v "opcode: STATFS ("; }
cmp -s "$TMP/walk1" "$TMP/walk2" && [ -z "$(again)" ]
ok $? "the same walk again: the same listing, no request but STATFS" || diag "$(again | head -n 5)"

"$B" umount "$M"
fg_wait
[ "$FG_RC" = 0 ]
ok $? "unmounted, exit 0 (exit $FG_RC)"
done_testing
