#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build the tar files that tests/unit/test_tar.c compares against
# libarchive, using real writers: GNU tar in every --format (with sparse
# files in each sparse dialect, incremental 'D' dumps, volume labels,
# xattrs, huge ids, old and sub-second mtimes), bsdtar, Python's tarfile,
# and a few hand-made headers for corners no writer produces on request.
#
# Usage: mktars.sh OUTDIR   (writes OUTDIR/*.tar; scratch in OUTDIR/tree)
# A writer that fails or is missing is reported on stderr and its tar left
# out; the script itself fails only if OUTDIR cannot be set up.
set -u
out=${1:?usage: mktars.sh OUTDIR}
PY=${PYTHON:-/usr/bin/python3}
T=$out/tree
S=$out/small
mkdir -p "$out" "$T" "$S" || exit 1
export TZ=UTC LC_ALL=C

note() { echo "mktars: $*" >&2; }

# mk NAME CMD...: run CMD (which writes $out/NAME); drop NAME if it fails.
mk() {
	name=$1
	shift
	if "$@" >"$out/$name.log" 2>&1; then
		rm -f "$out/$name.log"
	else
		note "$name not built: $(head -c 300 "$out/$name.log")"
		rm -f "$out/$name" "$out/$name.log"
	fi
}

# Deterministic pseudo-random bytes: rnd SEED COUNT
rnd() { "$PY" -c 'import random,sys; sys.stdout.buffer.write(random.Random(int(sys.argv[1])).randbytes(int(sys.argv[2])))' "$1" "$2"; }

# --- a tree that fits ustar and v7 ---------------------------------------
mkdir -p "$S/d/sub"
printf 'hello\n' >"$S/d/hello.txt"
: >"$S/d/empty"
rnd 1 511 >"$S/d/b511"
rnd 2 512 >"$S/d/b512"
rnd 3 513 >"$S/d/b513"
rnd 4 70000 >"$S/d/sub/r70k"
ln "$S/d/hello.txt" "$S/d/hard"
ln -s hello.txt "$S/d/sym"
chmod 4755 "$S/d/b511"
chmod 2751 "$S/d/b512"
chmod 1777 "$S/d/sub"
chmod 0600 "$S/d/empty"
touch -d '2001-02-03 04:05:06' "$S/d/hello.txt"

# --- the full tree -------------------------------------------------------
cp -a "$S/d" "$T/d"
long=$(printf 'n%.0s' $(seq 1 150))
name255=$(printf 'm%.0s' $(seq 1 255))
deep=$T/d
for i in $(seq 1 30); do deep=$deep/deep$i; done
mkdir -p "$deep" "$T/$long"
printf 'deep\n' >"$deep/file"
printf 'long\n' >"$T/$long/$name255"
ln "$T/$long/$name255" "$T/hard-to-long"
ln -s "$(printf 'target/%.0s' $(seq 1 40))end" "$T/longsym"
ln -s "$T/$long/$name255" "$T/abssym"
mkfifo "$T/fifo" || note "no fifo"
mknod "$T/null" c 1 3 || note "no char device"
mknod "$T/loop" b 7 200 || note "no block device"
mknod "$T/bigdev" c 511 1048575 2>/dev/null || true
printf 'caf\351 \377\376\n' >"$T/$(printf 'caf\351-\377')" || note "no non-UTF-8 name"
printf 'utf8\n' >"$T/$(printf 'gr\303\274\303\237e')"
printf 'old\n' >"$T/old"
touch -d '1901-06-01 00:00:00' "$T/old"
printf 'future\n' >"$T/future"
touch -d '2300-01-01 00:00:00' "$T/future" || note "no far-future mtime"
printf 'frac\n' >"$T/frac"
touch -d '2020-02-02 02:02:02.123456789' "$T/frac"
printf 'ids\n' >"$T/bigid"
chown 2097152:4000000000 "$T/bigid" || note "no big uid"
# Sparse files: islands of seeded bytes in holes
mkdir -p "$T/sparse"
"$PY" - "$T/sparse" <<'EOF' || note "no sparse files"
import os, random, sys
def sparse(name, size, *islands):
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.truncate(size)
        for off, n in islands:
            f.seek(off)
            f.write(random.Random(off).randbytes(n))
sparse("s1", 10 << 20, (0, 4096), (1 << 20, 5000), (5 << 20, 10), ((10 << 20) - 100, 100))
sparse("allhole", 3 << 20)
sparse("tailhole", 2 << 20, (0, 70000))
sparse("many", 8 << 20, *[(i * 131072 + 7, 600) for i in range(60)])
# Past the 8 GiB octal limit, only where holes are real (SEEK_DATA), or
# the tar writers would read 12 GiB of zeros.
fd = os.open(os.path.join(sys.argv[1], "allhole"), os.O_RDONLY)
try:
    holes = os.lseek(fd, 0, os.SEEK_DATA) > 0
except OSError:
    holes = True
os.close(fd)
if holes:
    sparse("huge", 12 << 30, (9000000000, 4096), (12884901000, 888))
else:
    print("mktars: no SEEK_DATA here, no >8 GiB sparse file", file=sys.stderr)
EOF

# xattrs, where the file system has them (Python: setfattr may be absent)
printf 'xattr\n' >"$T/xattr"
"$PY" - "$T/xattr" <<'EOF' || note "no xattrs on this file system"
import os, sys
os.setxattr(sys.argv[1], "user.plain", b"value")
os.setxattr(sys.argv[1], "user.bin", bytes(range(256)))
os.setxattr(sys.argv[1], "user.empty", b"")
try:
    os.setxattr(sys.argv[1], "security.capability",
                bytes.fromhex("0100000200200000000000000000000000000000"))
except OSError:
    pass
EOF

# --- GNU tar ---------------------------------------------------------------
gt() { name=$1; shift; mk "$name" tar -C "$T" --exclude=./sparse "$@" -cf "$out/$name" .; }
gs() { name=$1; shift; mk "$name" tar -C "$S" "$@" -cf "$out/$name" .; }
gt gnu.tar --format=gnu
gt oldgnu.tar --format=oldgnu
gt posix.tar --format=posix
gt posix-xattrs.tar --format=posix --xattrs --xattrs-include='*'
gt posix-global.tar --format=posix --pax-option=comment=hello,globexthdr.name=%d/GlobalHead.%n
gt gnu-ids.tar --format=gnu --owner=4000000000 --group=3000000000
gt posix-ids.tar --format=posix --owner=4000000000 --group=3000000000
gt gnu-label.tar --format=gnu -V 'volume label'
gs ustar.tar --format=ustar
gs v7.tar --format=v7
gs gnu-small.tar --format=gnu
mk gnu-incr.tar tar -C "$T" --format=gnu --listed-incremental="$out/snar" -cf "$out/gnu-incr.tar" d
mk gnu-sparse.tar tar -C "$T" --format=gnu --sparse -cf "$out/gnu-sparse.tar" sparse
mk oldgnu-sparse.tar tar -C "$T" --format=oldgnu --sparse -cf "$out/oldgnu-sparse.tar" sparse
for v in 0.0 0.1 1.0; do
	mk "posix-sparse-$v.tar" tar -C "$T" --format=posix --sparse --sparse-version=$v \
		-cf "$out/posix-sparse-$v.tar" sparse
done

# --- bsdtar (libarchive's writer) -----------------------------------------
if command -v bsdtar >/dev/null; then
	mk bsd-pax.tar bsdtar -C "$T" --format=pax -cf "$out/bsd-pax.tar" .
	mk bsd-pax-xattrs.tar bsdtar -C "$T" --xattrs --format=pax -cf "$out/bsd-pax-xattrs.tar" xattr d
	mk bsd-gnutar.tar bsdtar -C "$T" --format=gnutar -cf "$out/bsd-gnutar.tar" d "$long" longsym
	mk bsd-ustar.tar bsdtar -C "$S" --format=ustar -cf "$out/bsd-ustar.tar" .
	mk bsd-v7.tar bsdtar -C "$S" --format=v7 -cf "$out/bsd-v7.tar" .
else
	note "bsdtar missing"
fi

# --- Python tarfile, and hand-made headers ---------------------------------
mk python.log "$PY" - "$T" "$S" "$out" <<'EOF'
import io, os, struct, sys, tarfile
tree, small, out = sys.argv[1:4]

def add_tree(name, root, **kw):
    with tarfile.open(os.path.join(out, name), "w", **kw) as tf:
        for ent in sorted(os.listdir(root)):
            if ent == "sparse":
                continue
            tf.add(os.path.join(root, ent), arcname=ent)

add_tree("py-gnu.tar", tree, format=tarfile.GNU_FORMAT)
add_tree("py-pax.tar", tree, format=tarfile.PAX_FORMAT)
add_tree("py-ustar.tar", small, format=tarfile.USTAR_FORMAT)

def member(tf, name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    ti.size = len(data) if ti.type in (tarfile.REGTYPE, tarfile.LNKTYPE) else 0
    tf.addfile(ti, io.BytesIO(data) if data else None)

# PAX corners: sub-second and negative mtimes, binary xattrs in both
# encodings, a hardlink with data, ids beyond octal, names needing PAX.
with tarfile.open(os.path.join(out, "py-pax-edge.tar"), "w", format=tarfile.PAX_FORMAT,
                  pax_headers={"comment": "global", "mtime": "1"}) as tf:
    member(tf, "frac", b"f", mtime=1234567890.5)
    member(tf, "negfrac", b"n", mtime=-1.25)
    member(tf, "neg", b"n", mtime=-100000)
    member(tf, "x1", b"xattrs", pax_headers={
        "SCHILY.xattr.user.bin": "\x00\x01=\n\x7f" + "\udcff\udcfe",
        "SCHILY.xattr.user.empty": "",
        "LIBARCHIVE.xattr.user.url%3Dname%20x": "aGVsbG8gd29ybGQ=",
        "LIBARCHIVE.xattr.user.same": "c2FtZQ",
        "SCHILY.xattr.user.same": "same"})
    member(tf, "target", b"target data")
    member(tf, "hardwithdata", b"hard link data", type=tarfile.LNKTYPE, linkname="target")
    member(tf, "bigids", b"i", uid=5000000000, gid=2**40, uname="\u00fcser", gname="gr\u00fcp")
    member(tf, "p/" + "q" * 300, b"longpath")
    member(tf, "sym", type=tarfile.SYMTYPE, linkname="l" * 300)
    member(tf, "emptypath", b"e", pax_headers={"path": ""})
    member(tf, "sizeover", b"0123456789")
    member(tf, "dev", type=tarfile.CHRTYPE, devmajor=300, devminor=2000000)
    member(tf, "dirslash/", b"", type=tarfile.REGTYPE)

with tarfile.open(os.path.join(out, "py-gnu-edge.tar"), "w", format=tarfile.GNU_FORMAT) as tf:
    member(tf, "neg", b"n", mtime=-2**40)
    member(tf, "big", b"b", mtime=2**40, uid=2**50, gid=2**33)
    member(tf, "L" * 400, b"longname")
    member(tf, "hl", type=tarfile.LNKTYPE, linkname="L" * 400)
    member(tf, "dev", type=tarfile.BLKTYPE, devmajor=2**30, devminor=2**31)

# Raw blocks for what no writer above emits.
def hdr(name, size=0, typ=b"0", link=b"", magic=b"ustar\x0000", signed=False,
        prefix=b"", mode=0o644, mtime=1000000000, extra=None):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"%07o\0" % 1000
    h[116:124] = b"%07o\0" % 1000
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % mtime
    h[156:157] = typ
    h[157:157 + len(link)] = link
    if magic:
        h[257:265] = magic
        h[265:269] = b"root"
        h[297:301] = b"root"
    h[345:345 + len(prefix)] = prefix
    for off, val in (extra or {}).items():
        h[off:off + len(val)] = val
    h[148:156] = b"        "
    s = sum((b - 256 if b > 127 else b) if signed else b for b in h)
    h[148:156] = b"%06o\0 " % (s & 0o777777)
    return bytes(h)

def body(data):
    return data + b"\0" * (-len(data) % 512)

def pax(recs, typ=b"x"):
    p = b""
    for k, v in recs:
        r = b" " + k + b"=" + v + b"\n"
        n = len(r) + 1
        while len(b"%d" % n) + len(r) != n:
            n += 1
        p += b"%d" % n + r
    return hdr(b"PaxHeader", len(p), typ) + body(p)

def write(name, *parts):
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"".join(parts))

Z = b"\0" * 512
write("raw-v7-dirslash.tar", hdr(b"olddir/", magic=b"", mode=0o755), hdr(b"olddir/f", 3, b"\0", magic=b""),
      body(b"abc"), Z, Z)
write("raw-signed-cksum.tar", hdr(b"\xe9t\xe9", 2, signed=True), body(b"hi"), Z, Z)
write("raw-one-zero.tar", hdr(b"a", 1), body(b"a"), Z)
write("raw-no-end.tar", hdr(b"a", 1), body(b"a"), hdr(b"b", 0))
write("raw-prefix.tar", hdr(b"name", 4, prefix=b"some/prefix"), body(b"data"),
      hdr(b"name2", 0, prefix=b"slash/"), Z, Z)
write("raw-order-xL.tar", pax([(b"path", b"from-pax")]),
      hdr(b"././@LongLink", 10, b"L", magic=b"ustar  \0"), body(b"from-long\0"),
      hdr(b"short", 1, magic=b"ustar  \0"), body(b"1"), Z, Z)
write("raw-order-Lx.tar", hdr(b"././@LongLink", 10, b"L", magic=b"ustar  \0"), body(b"from-long\0"),
      pax([(b"path", b"from-pax")]), hdr(b"short", 1), body(b"1"), Z, Z)
write("raw-multi-x.tar", pax([(b"path", b"first"), (b"mtime", b"5")]),
      pax([(b"path", b"second")]), hdr(b"short", 1), body(b"1"), Z, Z)
write("raw-label.tar", hdr(b"label", 0, b"V", magic=b"ustar  \0"), hdr(b"f", 2, magic=b"ustar  \0"),
      body(b"ff"), Z, Z)
write("raw-dir-size.tar", hdr(b"dir", 600, b"5"), hdr(b"sym", 600, b"2", link=b"t"),
      hdr(b"f", 1), body(b"f"), Z, Z)
write("raw-unknown-type.tar", hdr(b"cont", 5, b"M"), body(b"12345"),
      hdr(b"weird", 3, b"Q"), body(b"abc"), Z, Z)
write("raw-pax-size.tar", pax([(b"size", b"700"), (b"uid", b"77"), (b"uname", b"")]),
      hdr(b"big", 1), body(bytes(range(256)) * 2 + b"x" * 188), Z, Z)
write("raw-pax-sparse01.tar",
      pax([(b"GNU.sparse.size", b"5000"), (b"GNU.sparse.map", b"0,10,4000,20,5000,0"),
           (b"GNU.sparse.name", b"s01")]),
      hdr(b"GNUSparseFile.0/s01", 30), body(b"A" * 10 + b"B" * 20), Z, Z)

# Bad input, named bad-*: every reader must refuse these (test_tar.c
# checks the exact errno).
def b256(v, n=12):
    return bytes([0x80 | ((v >> (8 * (n - 1))) & 0x7f)] + [(v >> (8 * i)) & 0xff for i in range(n - 2, -1, -1)]) \
        if v >= 0 else bytes([0xff] + [((v + (1 << (8 * (n - 1)))) >> (8 * i)) & 0xff for i in range(n - 2, -1, -1)])

bad = bytearray(hdr(b"f", 1))
bad[0] ^= 1
write("bad-cksum.tar", bytes(bad), body(b"f"), Z, Z)
write("bad-neg-size.tar", hdr(b"f", 0, magic=b"ustar  \0", extra={124: b256(-512)}), Z, Z)
write("bad-huge-size.tar", hdr(b"f", 0, magic=b"ustar  \0", extra={124: b"\x80" + b"\xff" * 11}), Z, Z)
write("bad-trunc-data.tar", hdr(b"f", 1000), b"x" * 600)
write("bad-trunc-pax.tar", pax([(b"path", b"p")]))
write("bad-pax-len.tar", hdr(b"PaxHeader", 12, b"x"), body(b"99 path=p\n\0\0"), hdr(b"f", 0), Z, Z)
write("bad-pax-noeq.tar", hdr(b"PaxHeader", 9, b"x"), body(b"9 pathp\n\0"), hdr(b"f", 0), Z, Z)
write("bad-pax-neg-uid.tar", pax([(b"uid", b"-5")]), hdr(b"f", 0), Z, Z)
write("bad-long-huge.tar", hdr(b"././@LongLink", 2 << 20, b"L", magic=b"ustar  \0"),
      body(b"n" * (2 << 20)), hdr(b"f", 0), Z, Z)
write("bad-sparse-overflow.tar",
      pax([(b"GNU.sparse.size", b"100"), (b"GNU.sparse.map", b"9223372036854775807,10")]),
      hdr(b"s", 10), body(b"x" * 10), Z, Z)
write("bad-sparse-exceed.tar",
      pax([(b"GNU.sparse.size", b"100"), (b"GNU.sparse.map", b"0,10,50,30")]),
      hdr(b"s", 20), body(b"x" * 20), Z, Z)
write("bad-sparse10-map.tar",
      pax([(b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"), (b"GNU.sparse.realsize", b"10")]),
      hdr(b"s", 1024), body(b"1\n0\nten\n"), body(b"x" * 10), Z, Z)
EOF
rm -f "$out/python.log"
exit 0
