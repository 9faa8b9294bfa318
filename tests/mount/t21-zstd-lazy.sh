#!/bin/bash
# zstd layers without an up-front shadow (issue #14, goal 2): `ocifs index`
# of a layer that is one big zstd frame (zstd CLI) or several (pzstd)
# writes no shadow; random 4 KiB reads in a mount give the bytes of
# `tar -x` (the oracle, itself checked against `zstd -dc`); they leave a
# lazy shadow (layers/<hex>.zshadow) that the next mount uses instead of
# growing it; a corrupted or cut shadow still gives the right bytes;
# readers run during a build; an unmount during a build does not hang.
. "$(dirname "$0")/../lib.sh"
. "$OCIFS_SRCDIR/tests/mount/mountlib.sh"

need python3 tar zstd pzstd cmp || { done_testing; exit; }
need_fuse || { done_testing; exit; }
B=$OCIFS_BIN
C=$XDG_CACHE_HOME/ocifs

# 24 MiB: text and random blocks, the same on every run
mkdir -p "$TMP/root/data"
python3 - "$TMP/root/data/big" <<'EOF'
import random, sys
r = random.Random(14)
words = [b"layer ", b"image ", b"zstd ", b"frame ", b"\n", b"usr/lib/"]
out = bytearray()
while len(out) < 24 << 20:
    n = r.randint(4096, 65536)
    out += r.randbytes(n) if r.random() < 0.3 else (b"".join(r.choices(words, k=n // 5)))
open(sys.argv[1], "wb").write(out[: 24 << 20])
EOF
printf 'small file\n' >"$TMP/root/data/small"
tar -C "$TMP/root" -cf "$TMP/l.tar" data
zstd -q -3 -c "$TMP/l.tar" >"$TMP/single.zst"
pzstd -q -p 2 -3 -c "$TMP/l.tar" >"$TMP/multi.zst"
mkdir -p "$TMP/x"
zstd -dc "$TMP/single.zst" | cmp -s - "$TMP/l.tar" && zstd -dc "$TMP/multi.zst" | cmp -s - "$TMP/l.tar" &&
	tar -C "$TMP/x" -xf "$TMP/l.tar"
ok $? "zstd and pzstd layers; zstd -dc gives the tar back; tar -x gives the oracle"
mkoci "$TMP/img-single" "$TMP/single.zst"
mkoci "$TMP/img-multi" "$TMP/multi.zst"
ORACLE=$TMP/x/data/big
# first halves of 2 of the 6 chunks (4 MiB spans), and one near the start
OFFS="17000000 9000000 123457"

shadow_file() { ls "$C"/layers/*.zshadow 2>/dev/null | head -n 1; }
fsize() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }

# reads M: a 4 KiB read at each of $OFFS (dd, as a program reads at
# random) equals the oracle's bytes there
reads() {
	local m=$1 o
	for o in $OFFS; do
		cmp -s <(dd if="$m/data/big" bs=4096 iflag=skip_bytes skip="$o" count=1 2>/dev/null) \
			<(dd if="$ORACLE" bs=4096 iflag=skip_bytes skip="$o" count=1 2>/dev/null) ||
			{ diag "read at $o differs"; return 1; }
	done
}

# settled: wait (at most 60 s) until the shadow file exists and has not
# grown for a second: the background worker is done
settled() {
	local end=$((SECONDS + 60)) last=-1 now same=0
	while [ $SECONDS -lt $end ]; do
		now=$(fsize "$(shadow_file)")
		if [ "$now" -gt 0 ] && [ "$now" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 5 ] && return 0
		else
			same=0
		fi
		last=$now
		sleep 0.2
	done
	return 1
}

umount_fg() {
	fusermount3 -u "$1" && fg_wait && [ "$FG_RC" = 0 ]
}

M=$(mnt_dir m)
for v in single multi; do
	rm -rf "$C"
	"$B" index "$TMP/img-$v" >/dev/null 2>"$TMP/err"
	ok $? "$v: ocifs index"
	[ -z "$(ls "$C"/layers/ | grep -E 'shadow' )" ]
	ok $? "$v: no shadow file after indexing"
	fg_mount "$TMP/img-$v" "$M" -v && reads "$M" && cmp -s "$M/data/small" "$TMP/x/data/small"
	ok $? "$v: random 4 KiB reads give the bytes of tar -x"
	if [ "$v" = multi ]; then
		# pzstd's frames are 8 MiB: within 2 spans, nothing to shadow
		umount_fg "$M"
		ok $? "$v: unmounted"
		[ -z "$(shadow_file)" ]
		ok $? "$v: frames of pzstd need no shadow"
		continue
	fi
	settled
	ok $? "$v: the random reads left a lazy shadow in the cache"
	umount_fg "$M"
	ok $? "$v: unmounted"
	S=$(shadow_file)
	size1=$(fsize "$S")
	zsize=$(fsize "$TMP/$v.zst")
	[ "$size1" -gt 0 ] && [ "$size1" -lt $((zsize * 6 / 10)) ]
	ok $? "$v: the shadow holds only what was read ($size1 B; the layer is $zsize B)"

	fg_mount "$TMP/img-$v" "$M" -v && reads "$M" && umount_fg "$M"
	ok $? "$v: second mount: reads right"
	grep -q 'lazy shadow chunks for random reads' "$TMP/fg.err"
	ok $? "$v: second mount loaded the shadow"
	[ "$(fsize "$S")" = "$size1" ] && ! grep -q 'made .* lazy shadow chunks' "$TMP/fg.err"
	ok $? "$v: second mount used it instead of making chunks again"

	# corrupt every chunk's frame
	python3 - "$S" <<'EOF'
import struct, sys
f = open(sys.argv[1], "r+b")
d = bytearray(f.read())
pos = 32
while pos + 72 <= len(d):
    clen = struct.unpack("<Q", d[pos + 24 : pos + 32])[0]
    mid = pos + 72 + clen // 2
    if mid < len(d):
        d[mid] ^= 0x5A
    pos += 72 + clen
f.seek(0)
f.write(d)
EOF
	fg_mount "$TMP/img-$v" "$M" && reads "$M" && umount_fg "$M"
	ok $? "$v: corrupted shadow: reads still right"
	grep -q 'corrupt; reading the layer instead' "$TMP/fg.err"
	ok $? "$v: corrupted shadow: detected"

	truncate -s $((size1 - 50)) "$S"
	fg_mount "$TMP/img-$v" "$M" && reads "$M" && umount_fg "$M"
	ok $? "$v: cut shadow file: reads right"

	# readers while the worker builds
	rm -f "$S"
	fg_mount "$TMP/img-$v" "$M"
	pids=""
	for i in 1 2 3 4; do
		(OFFS="$((i * 4000000 + 77)) $((i * 3000000 + 4096)) 21000000" reads "$M") &
		pids="$pids $!"
	done
	bad=0
	for p in $pids; do wait "$p" || bad=1; done
	[ $bad = 0 ] && umount_fg "$M"
	ok $? "$v: 4 concurrent readers during a build: right bytes"

	# unmount in the middle of a build
	rm -f "$(shadow_file)"
	fg_mount "$TMP/img-$v" "$M" &&
		dd if="$M/data/big" bs=4096 iflag=skip_bytes skip=22000000 count=1 of=/dev/null 2>/dev/null &&
		umount_fg "$M"
	ok $? "$v: unmount during a build returns"
done
done_testing
