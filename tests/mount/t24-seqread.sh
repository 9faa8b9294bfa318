#!/bin/bash
# Sequential reads through the mount as the kernel sends them (issue #14
# goal 1): a big file of a pzstd layer (frames without a content size:
# the read-ahead decodes whole frames straight into its blocks, where
# they end known from the index) and of a gzip layer, read with the
# default read-ahead and with the mount's read_ahead_kb raised to 4 MiB
# (1 MiB requests, a dozen in flight, answered out of order), by one
# reader and by two at once; every byte equals the oracle (`tar -x` of
# the layer, itself checked against `zstd -dc`). No timing is checked.
. "$(dirname "$0")/../lib.sh"
. "$OCIFS_SRCDIR/tests/mount/mountlib.sh"

need python3 tar zstd pzstd gzip cmp || { done_testing; exit; }
need_fuse || { done_testing; exit; }

# 40 MiB: text and random runs, the same on every run
mkdir -p "$TMP/root/data"
python3 - "$TMP/root/data/big" <<'EOF'
import random, sys
r = random.Random(24)
words = [b"layer ", b"image ", b"pzstd ", b"frame ", b"\n", b"usr/lib/"]
out = bytearray()
while len(out) < 40 << 20:
    n = r.randint(4096, 65536)
    out += r.randbytes(n) if r.random() < 0.3 else (b"".join(r.choices(words, k=n // 5)))
open(sys.argv[1], "wb").write(out[: 40 << 20])
EOF
printf 'small\n' >"$TMP/root/data/small"
tar -C "$TMP/root" -cf "$TMP/l.tar" data
pzstd -q -p 2 -3 -c "$TMP/l.tar" >"$TMP/l.zst"
gzip -n -6 -c "$TMP/l.tar" >"$TMP/l.gz"
mkdir -p "$TMP/x"
zstd -dc "$TMP/l.zst" | cmp -s - "$TMP/l.tar" && tar -C "$TMP/x" -xf "$TMP/l.tar"
ok $? "pzstd and gzip layers of a 40 MiB file; zstd -dc gives the tar back; tar -x the oracle"
python3 - "$TMP/l.zst" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
pos, frames, sized = 0, 0, 0
while pos + 8 <= len(d):
    magic = struct.unpack("<I", d[pos:pos + 4])[0]
    if magic & 0xFFFFFFF0 == 0x184D2A50:  # skippable: pzstd's frame sizes
        pos += 8 + struct.unpack("<I", d[pos + 4:pos + 8])[0]
        continue
    if magic != 0xFD2FB528:
        sys.exit(2)
    frames += 1
    fhd = d[pos + 4]
    sized += (fhd >> 6) != 0 or (fhd >> 5) & 1  # a content size field
    break  # the first frame says how pzstd writes them
sys.exit(0 if frames and not sized else 1)
EOF
ok $? "pzstd writes frames without a content size"
mkoci "$TMP/img-zst" "$TMP/l.zst"
mkoci "$TMP/img-gz" "$TMP/l.gz"
ORACLE=$TMP/x/data/big

# bdi DIR: the read_ahead_kb file of the mount at DIR (its backing device)
bdi() {
	local dev
	dev=$(awk -v d="$1" '$5 == d { print $3 }' /proc/self/mountinfo | tail -n 1)
	echo "/sys/class/bdi/$dev/read_ahead_kb"
}

for v in zst gz; do
	M=$(mnt_dir "m-$v")
	do_mount "$TMP/img-$v" "$M"
	ok $? "$v: mounted"
	cmp -s "$M/data/big" "$ORACLE"
	ok $? "$v: cat of the file equals the oracle (default read-ahead)"
	"$OCIFS_BIN" umount "$M"
	do_mount "$TMP/img-$v" "$M"
	ra=$(bdi "$M")
	if [ -w "$ra" ] && echo 4096 >"$ra" 2>/dev/null; then
		diag "$v: $ra = $(cat "$ra")"
	else
		diag "$v: $ra is not writable here: the kernel's default read-ahead"
	fi
	dd if="$M/data/big" bs=1M 2>/dev/null | cmp -s - "$ORACLE"
	ok $? "$v: read in 1 MiB reads with a 4 MiB read-ahead: equals the oracle"
	"$OCIFS_BIN" umount "$M"
	do_mount "$TMP/img-$v" "$M"
	ra=$(bdi "$M")
	[ -w "$ra" ] && echo 4096 >"$ra" 2>/dev/null
	cmp -s "$M/data/big" "$ORACLE" &
	p1=$!
	cmp -s <(dd if="$M/data/big" bs=256k 2>/dev/null) "$ORACLE" &
	p2=$!
	wait $p1 && wait $p2
	ok $? "$v: two readers at once, both equal the oracle"
	cmp -s "$M/data/small" "$TMP/x/data/small"
	ok $? "$v: the small file after them"
	"$OCIFS_BIN" umount "$M"
	! is_mounted "$M"
	ok $? "$v: unmounted"
done

done_testing
