#!/bin/bash
# Reading file data through the mount, for every read path: plain tar
# layers (zero-copy splice), gzip and zstd layers (cursor + span cache,
# also with the cache off and tiny), GNU and PAX sparse files (holes,
# SEEK_DATA/SEEK_HOLE), sequential and random reads, many small files;
# and an image truncated or deleted under the mount (EIO, no crash).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 tar gzip zstd || { done_testing; exit; }
B=$OCIFS_BIN

# --- the data: bigger than a checkpoint span (4 MiB), sparse files, many
# small files; one tree, four layer encodings ---
R=$TMP/root
mkdir -p "$R/small"
head -c $((9 << 20)) /dev/urandom >"$R/big.bin"
python3 - "$R" <<'EOF'
import os, random, sys
r = sys.argv[1]
random.seed(7)
with open(r + "/text.txt", "w") as f:
    for i in range(60000):
        f.write("line %d %s\n" % (i, "x" * random.randint(0, 60)))
for i in range(80):
    with open("%s/small/f%02d" % (r, i), "wb") as f:
        f.write(os.urandom(random.choice([0, 1, 100, 4096, 5000, 40000, 70000])))
# sparse: holes at the start, between extents and before a short tail
with open(r + "/sparse.bin", "wb") as f:
    f.truncate(20 << 20)
    f.seek(1 << 20); f.write(b"A" * 4096)
    f.seek(8 << 20); f.write(os.urandom(65536))
    f.seek((20 << 20) - 3); f.write(b"END")
EOF
tar -C "$R" --sparse --format=gnu -cf "$TMP/gnu.tar" . &&
	tar -C "$R" --sparse --format=posix -cf "$TMP/pax.tar" . &&
	gzip -c -6 "$TMP/gnu.tar" >"$TMP/gnu.tar.gz" &&
	zstd -q -c "$TMP/pax.tar" >"$TMP/pax.tar.zst"
ok $? "test layers built"
mkoci "$TMP/img-plain" "$TMP/gnu.tar"
mkoci "$TMP/img-pax" "$TMP/pax.tar"
mkoci "$TMP/img-gz" "$TMP/gnu.tar.gz"
mkoci "$TMP/img-zst" "$TMP/pax.tar.zst"

# check_tree DIR LABEL: every byte and hole matches $R.
check_tree() {
	local m=$1 l=$2
	cmp "$R/big.bin" "$m/big.bin" && cmp "$R/text.txt" "$m/text.txt" &&
		cmp "$R/sparse.bin" "$m/sparse.bin"
	ok $? "$l: sequential reads equal the source"
	diff -r "$R/small" "$m/small" >/dev/null
	ok $? "$l: 80 small files equal the source"
	python3 - "$R" "$m" "$l" <<'EOF'
import os, random, sys
src, mnt, label = sys.argv[1:4]
random.seed(label)
names = ["big.bin", "text.txt", "sparse.bin"] + ["small/f%02d" % i for i in range(0, 80, 9)]
for name in names:
    a = os.open(os.path.join(src, name), os.O_RDONLY)
    b = os.open(os.path.join(mnt, name), os.O_RDONLY)
    size = os.fstat(a).st_size
    if os.fstat(b).st_size != size:
        sys.exit("%s: size %d != %d" % (name, os.fstat(b).st_size, size))
    for _ in range(60):
        off = random.randrange(0, size + 100)
        n = random.choice([1, 511, 4096, 100000, 1 << 20])
        x, y = os.pread(a, n, off), os.pread(b, n, off)
        if x != y:
            sys.exit("%s: %d bytes at %d differ (%d vs %d bytes)" % (name, n, off, len(x), len(y)))
    os.close(a)
    os.close(b)
EOF
	ok $? "$l: random preads equal the source"
	python3 - "$R/sparse.bin" "$m/sparse.bin" <<'EOF'
import os, sys
def probes(p):
    fd = os.open(p, os.O_RDONLY)
    out = []
    for whence in (os.SEEK_DATA, os.SEEK_HOLE):
        for off in (0, 1 << 20, (1 << 20) + 4096, 5 << 20, 8 << 20, (20 << 20) - 1):
            try:
                out.append(os.lseek(fd, off, whence))
            except OSError as e:
                out.append(-e.errno)
    os.close(fd)
    return out
a, b = probes(sys.argv[1]), probes(sys.argv[2])
sys.exit(0 if a == b else "source %s, mount %s" % (a, b))
EOF
	ok $? "$l: SEEK_DATA/SEEK_HOLE agree with the source"
	python3 - "$R" "$m" <<'EOF'
import os, sys
src, mnt = sys.argv[1:3]
# all 80 small files (and the big ones) open at once, read interleaved in
# small pieces: more open files than the daemon keeps decoders for
names = ["small/f%02d" % i for i in range(80)] + ["big.bin", "text.txt"]
fds = [(open(os.path.join(src, n), "rb"), os.open(os.path.join(mnt, n), os.O_RDONLY)) for n in names]
pos = [0] * len(fds)
live = True
while live:
    live = False
    for i, (a, b) in enumerate(fds):
        want = a.read(3000 if i < 80 else 300000)
        got = os.pread(b, len(want) or 1, pos[i])
        if want != got[:len(want)] or (not want and got):
            sys.exit("%s at %d differs" % (names[i], pos[i]))
        pos[i] += len(want)
        live = live or bool(want)
EOF
	ok $? "$l: 82 files open at once, read interleaved"
}

M=$(mnt_dir mnt)
for v in plain pax gz zst; do
	do_mount "$TMP/img-$v" "$M" 2>"$TMP/err"
	ok $? "mount $v" || continue
	check_tree "$M" "$v"
	"$B" umount "$M"
done

# The span cache off, and one block small: both read paths still exact.
for o in cache_size=0 cache_size=256K; do
	do_mount "$TMP/img-gz" "$M" -o "$o" 2>"$TMP/err"
	ok $? "mount gz -o $o"
	check_tree "$M" "gz $o"
	"$B" umount "$M"
done

# --- the image changes under the mount ---
# Truncated: reads of data that is gone fail with EIO, the mount survives.
for v in plain gz; do
	cp -r "$TMP/img-$v" "$TMP/trunc-$v"
	do_mount "$TMP/trunc-$v" "$M" 2>"$TMP/err"
	ok $? "mount a copy of $v"
	for f in "$TMP/trunc-$v"/blobs/sha256/*; do
		[ "$(stat -c %s "$f")" -gt 100000 ] && truncate -s 1024 "$f"
	done
	cat "$M/big.bin" >/dev/null 2>"$TMP/err"
	[ $? -ne 0 ] && grep -q "Input/output error" "$TMP/err"
	ok $? "$v truncated: reading lost data gives EIO"
	python3 -c 'import os,sys; os.pread(os.open(sys.argv[1], os.O_RDONLY), 4096, 1 << 20)' \
		"$M/text.txt" 2>"$TMP/err"
	[ $? -ne 0 ] && grep -q "Input/output error" "$TMP/err"
	ok $? "$v truncated: a random read gives EIO"
	[ "$(ls "$M" | wc -l)" -ge 4 ] && stat "$M/sparse.bin" >/dev/null
	ok $? "$v truncated: the mount still answers"
	"$B" umount "$M"
	ok $? "$v truncated: unmounts cleanly"
done
# Deleted: reads fail with EIO too (the daemon still holds the blob open,
# but the image is gone), and the mount survives.
cp -r "$TMP/img-gz" "$TMP/gone-gz"
cp -r "$TMP/img-plain" "$TMP/gone-plain"
for v in gz plain; do
	do_mount "$TMP/gone-$v" "$M" 2>"$TMP/err"
	rm -rf "$TMP/gone-$v"
	cat "$M/big.bin" >/dev/null 2>"$TMP/err"
	[ $? -ne 0 ] && grep -q "Input/output error" "$TMP/err"
	ok $? "$v deleted under the mount: reads give EIO"
	ls "$M" >/dev/null && "$B" umount "$M"
	ok $? "$v deleted: the mount still answers and unmounts"
done

done_testing
