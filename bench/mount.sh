#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The mount benchmarks of `make bench` (called at the end of bench/run.sh;
# also runs on its own, from the build directory: sh SRCDIR/bench/mount.sh).
# Needs root (drop_caches, umoci unpack), /dev/fuse, umoci, squashfs-tools
# and squashfuse (installed with apt-get when missing).
#
# The same operations, in one run, on:
#   dir         `umoci unpack` of the debootstrap image's oci-gzip layout:
#               the kernel's own speed (whatever file system holds the work
#               dir)
#   sqfs        `mksquashfs` of that directory with its defaults (gzip,
#               128 KiB blocks), mounted with squashfuse (high-level libfuse)
#   ocifs       three mounts of the same image: plain (docker.tar: the
#               layer is an uncompressed tar inside the outer tar, spliced),
#               gzip (oci-gzip layout) and zstd (oci-zstd layout)
# Operations: mount time (warm index cache, best of 5: from starting
# `ocifs mount` to its return, which waits until the mount answers), the
# first mount with an empty index cache (info), `find -ls`, `du -s`,
# `grep -rlF` of a fixed string (reads nearly every file whole), `cat` of
# the largest file (cc1, ~33 MB), and random 4 KiB reads across the tree
# (bench/pread4k.c: open + pread + close, a file picked with probability
# proportional to its size; the same reads everywhere, and the blocks read
# must hash the same as in dir).
#   cold  a fresh mount, `sync; echo 3 > drop_caches`, then the operation
#         (ocifs' index cache stays warm: cold means the kernel's caches
#         and the daemon's block cache)
#   hot   (cat only) a fresh mount with the image file (blobs, index cache,
#         .sqfs; for dir the file itself) in the page cache: the file
#         system's own decode/splice speed, whatever the disk
#   warm  the same operation again at once on the same mount
# A second image holding one big file (BIG_MB MiB of the root's /usr files
# concatenated: semi-compressible ELF data) as a plain and as a gzip -6
# layer (OCI layouts) measures sequential and random reads where a file is
# big enough for throughput to mean something. The decompressor baselines
# (`zcat BLOB | wc -c`, `zstd -dc`) are timed cold and hot the same way.
# Goals: warm mount < 20 ms (issue #14, goal 3); find -ls <= 1.1x dir
# cold, <= 1.05x warm (goal 4); the big file's hot gzip read >= 1.6x zcat
# (goal 1);
# sequential read of a plain layer >= 1 GB/s (judged hot; cold is judged
# against the disk: >= 1 GB/s or >= 0.9x dir's rate, since no file system
# beats the disk), of a gzip layer >= 0.85x zcat (cold vs cold, hot vs hot).
# References built once and cached under the work dir (bench/work):
#   umoci/ rootfs.sqfs files.list              the debootstrap image's
#   big/ (oci-plain oci-gzip layer.tar.gz umoci/ big.sqfs files.list)
# Ratios are ocifs time / the other's time for the same work (lower is
# better, 1.00 = as fast; for reads that is the inverse of the rate ratio).
# Exit 0 even on MISS; non-zero when something fails to build or run, or
# when a file system returns other data than the unpacked directory.
#
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work),
# OCIFS_BENCH_MOUNT_TRIALS (3: best of N, debootstrap image),
# OCIFS_BENCH_BIG_TRIALS (2: the big file), OCIFS_BENCH_MOUNT_READS (500
# random reads), OCIFS_BENCH_BIG_MB (1024), CC (cc).
set -eu

me=bench/mount.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_MOUNT_TRIALS:-3}
BIG_TRIALS=${OCIFS_BENCH_BIG_TRIALS:-2}
READS=${OCIFS_BENCH_MOUNT_READS:-500}
BIG_MB=${OCIFS_BENCH_BIG_MB:-1024}
CC=${CC:-cc}
OUTB=$builddir/bench
SEED=20210101
# Present in a few text files (os-release, issue, ...); grep reads every
# other file whole.
NEEDLE="Debian GNU/Linux 12"
export LC_ALL=C

need_cold "drop_caches, umoci unpack, mounts"
[ -f "$WORK/.done" ] || sh "$top/bench/mkdebian.sh" "$WORK" >&2 ||
	die "building the benchmark image failed"
if ! command -v mksquashfs >/dev/null 2>&1 || ! command -v squashfuse >/dev/null 2>&1; then
	echo "bench/mount.sh: installing squashfs-tools squashfuse" >&2
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q squashfs-tools squashfuse ||
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q squashfs-tools squashfuse; }; } >/dev/null ||
		die "cannot install squashfs-tools squashfuse"
fi
for t in umoci mksquashfs squashfuse umount find du grep cat tar gzip zcat zstd \
	jq sha256sum awk sort; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done

mkdir -p "$OUTB"
$CC -O2 -std=gnu11 -Wall -o "$OUTB/timeit" "$top/bench/timeit.c" ||
	die "cannot build bench/timeit"
$CC -O2 -std=gnu11 -Wall -o "$OUTB/pread4k" "$top/bench/pread4k.c" ||
	die "cannot build bench/pread4k"
T=$OUTB/timeit
P4K=$OUTB/pread4k

mount_tmp mbench


# --- references (built once, cached) ----------------------------------------
# unpack LAYOUT OUT: `umoci unpack` of LAYOUT's image into bundle OUT
# (OUT/rootfs). Uses the tag the layout's index.json names, or adds one
# ("bench") to a hard-linked copy of the layout when it names none.
unpack() {
	lay=$1 out=$2
	rm -rf "$out" "$out.tmp" "$out.layout"
	ref=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // empty' \
		"$lay/index.json") || die "$lay/index.json: not JSON"
	if [ -z "$ref" ]; then
		cp -al "$lay" "$out.layout"
		rm -f "$out.layout/index.json"
		jq -c '.manifests[0].annotations["org.opencontainers.image.ref.name"] = "bench"' \
			"$lay/index.json" >"$out.layout/index.json"
		lay=$out.layout ref=bench
	fi
	umoci unpack --image "$lay:$ref" "$out.tmp" >"$TMP/umoci.log" 2>&1 ||
		die "umoci unpack $lay:$ref failed: $(tail -n 5 "$TMP/umoci.log")"
	rm -rf "$out.layout"
	mv "$out.tmp" "$out"
}
# squash DIR OUT: mksquashfs with its defaults (gzip, 128 KiB blocks).
squash() {
	rm -f "$2" "$2.tmp"
	mksquashfs "$1" "$2.tmp" -noappend -no-progress >"$TMP/mksquashfs.log" 2>&1 ||
		die "mksquashfs $1 failed: $(tail -n 5 "$TMP/mksquashfs.log")"
	mv "$2.tmp" "$2"
}
# filelist DIR OUT: "SIZE<TAB>PATH" of every regular file, by path.
filelist() {
	(cd "$1" && find . -type f -printf '%s\t%P\n') | sort -t "$(printf '\t')" -k2 >"$2.tmp"
	mv "$2.tmp" "$2"
}

if [ ! -f "$WORK/umoci.done" ]; then
	echo "bench/mount.sh: umoci unpack of $WORK/oci-gzip (once)" >&2
	unpack "$WORK/oci-gzip" "$WORK/umoci"
	: >"$WORK/umoci.done"
fi
if [ ! -f "$WORK/rootfs.sqfs.done" ]; then
	echo "bench/mount.sh: mksquashfs of $WORK/umoci/rootfs (once)" >&2
	squash "$WORK/umoci/rootfs" "$WORK/rootfs.sqfs"
	: >"$WORK/rootfs.sqfs.done"
fi
[ -f "$WORK/files.list" ] || filelist "$WORK/umoci/rootfs" "$WORK/files.list"

BIG=$WORK/big
if [ ! -f "$BIG/.done" ] || [ "$(cat "$BIG/.done")" != "$BIG_MB" ]; then
	echo "bench/mount.sh: building the big-file image, $BIG_MB MiB (once)" >&2
	rm -rf "$BIG"
	mkdir -p "$BIG/tmp/root"
	bigfile "$BIG/tmp/root/big.bin" "$BIG_MB"
	touch -d 2021-01-01T00:00:00Z "$BIG/tmp/root"
	tar --numeric-owner -C "$BIG/tmp/root" -cf "$BIG/tmp/layer.tar" . ||
		die "tar of the big file failed"
	rm -rf "$BIG/tmp/root"
	gzip -n -6 -c "$BIG/tmp/layer.tar" >"$BIG/tmp/layer.tar.gz" || die "gzip failed"
	diff="sha256:$(sha256sum "$BIG/tmp/layer.tar" | cut -d' ' -f1)"
	gz=$(mklayout "$BIG/oci-gzip" "$BIG/tmp/layer.tar.gz" \
		application/vnd.oci.image.layer.v1.tar+gzip "$diff")
	mklayout "$BIG/oci-plain" "$BIG/tmp/layer.tar" \
		application/vnd.oci.image.layer.v1.tar "$diff" >/dev/null
	ln "$BIG/oci-gzip/blobs/sha256/$gz" "$BIG/layer.tar.gz"
	rm -rf "$BIG/tmp"
	unpack "$BIG/oci-plain" "$BIG/umoci"
	squash "$BIG/umoci/rootfs" "$BIG/big.sqfs"
	filelist "$BIG/umoci/rootfs" "$BIG/files.list"
	echo "$BIG_MB" >"$BIG/.done"
fi

# --- mounts -------------------------------------------------------------------
# The image of each file system of a set: img SET SYS
img() {
	case $1.$2 in
	deb.sqfs) echo "$WORK/rootfs.sqfs" ;;
	deb.plain) echo "$WORK/docker.tar" ;;
	deb.gzip) echo "$WORK/oci-gzip" ;;
	deb.zstd) echo "$WORK/oci-zstd" ;;
	big.sqfs) echo "$BIG/big.sqfs" ;;
	big.plain) echo "$BIG/oci-plain" ;;
	big.gzip) echo "$BIG/oci-gzip" ;;
	*) die "img $1 $2" ;;
	esac
}
refdir() { if [ "$1" = deb ]; then echo "$WORK/umoci/rootfs"; else echo "$BIG/umoci/rootfs"; fi; }
# Where SYS of SET is read: up SET SYS mounts it (fresh) and prints that.
up() {
	set_=$1 sys=$2
	case $sys in
	dir) refdir "$set_"; return 0 ;;
	esac
	m=$MNT/$set_.$sys
	mkdir -p "$m"
	down "$set_" "$sys"
	case $sys in
	sqfs) squashfuse "$(img "$set_" sqfs)" "$m" >"$TMP/up.err" 2>&1 ||
		die "squashfuse $(img "$set_" sqfs) failed: $(cat "$TMP/up.err")" ;;
	*) XDG_CACHE_HOME=$TMP/cache.$set_.$sys "$BIN" mount "$(img "$set_" "$sys")" "$m" \
		>"$TMP/up.err" 2>&1 || die "ocifs mount $(img "$set_" "$sys") failed: $(cat "$TMP/up.err")" ;;
	esac
	echo "$m"
}
down() {
	m=$MNT/$1.$2
	mounted "$m" || return 0
	case $2 in
	sqfs) umount "$m" ;;
	*) "$BIN" umount "$m" ;;
	esac || die "cannot unmount $m"
}

# --- measuring ----------------------------------------------------------------
# op SET OP DIR OUTFILE: run operation OP on the tree at DIR once, append
# "wall cpu rc" to OUTFILE.t and leave what it printed in OUTFILE.out.
op() {
	set_=$1 o=$2 d=$3 f=$4
	# (the sh -c scripts expand their own arguments)
	# shellcheck disable=SC2016
	case $o in
	find) "$T" "$f.t" sh -c 'find "$1" -ls | wc -l' sh "$d" >"$f.out" ;;
	du) "$T" "$f.t" du -s "$d" >"$f.out" ;;
	grep) "$T" "$f.t" sh -c 'cd "$1" && grep -rlF -e "$2" . | wc -l' sh "$d" "$NEEDLE" >"$f.out" ;;
	seq) "$T" "$f.t" sh -c 'cat "$1" >/dev/null' sh "$d/$(largest "$set_")" >"$f.out" ;;
	rand)
		list=$WORK/files.list
		[ "$set_" = big ] && list=$BIG/files.list
		"$P4K" "$d" "$list" "$READS" "$SEED" >"$f.out" &&
			sed -n 's/.* secs=\([0-9.]*\) .*/\1 0 0/p' "$f.out" >>"$f.t"
		;;
	*) die "op $o" ;;
	esac || die "$o on $d failed: $(cat "$f.out" 2>/dev/null)"
}
largest() {
	list=$WORK/files.list
	[ "$1" = big ] && list=$BIG/files.list
	sort -n "$list" | tail -n 1 | cut -f2
}
# best FILE: the smallest wall time of FILE's lines

R=$TMP/r
mkdir -p "$R"
SYS_ALL="dir sqfs plain gzip zstd"
OCIFS_DEB="plain gzip zstd"
OCIFS_BIG="plain gzip"

# 1. The first mount, with a fresh index cache and cold page cache (info),
# which also fills the cache every later mount uses.
for s in $OCIFS_DEB; do
	rm -rf "$TMP/cache.deb.$s"
	drop
	XDG_CACHE_HOME=$TMP/cache.deb.$s "$T" "$R/deb.$s.first.t" "$BIN" mount "$(img deb "$s")" \
		"$(mkdir -p "$MNT/deb.$s" && echo "$MNT/deb.$s")" >"$TMP/up.err" 2>&1 ||
		die "first ocifs mount of $(img deb "$s") failed: $(cat "$TMP/up.err")"
	down deb "$s"
done
for s in $OCIFS_BIG; do
	rm -rf "$TMP/cache.big.$s"
	drop
	XDG_CACHE_HOME=$TMP/cache.big.$s "$T" "$R/big.$s.first.t" "$BIN" mount "$(img big "$s")" \
		"$(mkdir -p "$MNT/big.$s" && echo "$MNT/big.$s")" >"$TMP/up.err" 2>&1 ||
		die "first ocifs mount of $(img big "$s") failed: $(cat "$TMP/up.err")"
	down big "$s"
done

# 2. Warm mount time: from starting the mount command to its return (it
# returns once the mount answers), warm index cache; best of 5. squashfuse
# for comparison.
i=0
while [ "$i" -lt 5 ]; do
	for s in sqfs $OCIFS_DEB; do
		m=$MNT/deb.$s
		mkdir -p "$m"
		if [ "$s" = sqfs ]; then
			"$T" "$R/deb.$s.mount.t" squashfuse "$(img deb sqfs)" "$m" ||
				die "squashfuse failed"
		else
			XDG_CACHE_HOME=$TMP/cache.deb.$s "$T" "$R/deb.$s.mount.t" "$BIN" mount \
				"$(img deb "$s")" "$m" || die "ocifs mount $(img deb "$s") failed"
		fi
		ls "$m" >/dev/null || die "$m does not answer"
		down deb "$s"
	done
	i=$((i + 1))
done

# 3. Cold, hot and warm operations, trials interleaved across file systems.
# warmimg SET SYS [DIR]: put what SYS reads from into the page cache (the
# image file, blobs and index cache; for dir the largest file itself)
warmimg() {
	case $2 in
	dir) cat "$3/$(largest "$1")" >/dev/null ;;
	sqfs) cat "$(img "$1" sqfs)" >/dev/null ;;
	*)
		i_=$(img "$1" "$2")
		if [ -d "$i_" ]; then
			find "$i_" -type f -exec cat {} + >/dev/null
		else
			cat "$i_" >/dev/null
		fi
		find "$TMP/cache.$1.$2" -type f -exec cat {} + >/dev/null
		;;
	esac
}
# run_ops SET "SYS..." "OP..." [ZNAME ZCMD ZBLOB]...: one trial of every
# operation on every file system of SET, then of each decompressor
# baseline (cold, then with the blob cached)
run_ops() {
	set_=$1 syss=$2 ops=$3
	shift 3
	for o in $ops; do
		for s in $syss; do
			d=$(up "$set_" "$s")
			drop
			op "$set_" "$o" "$d" "$R/$set_.$s.$o.cold"
			op "$set_" "$o" "$d" "$R/$set_.$s.$o.warm"
			down "$set_" "$s"
			[ "$o" = seq ] || continue
			d=$(up "$set_" "$s")
			warmimg "$set_" "$s" "$d"
			op "$set_" "$o" "$d" "$R/$set_.$s.$o.hot"
			down "$set_" "$s"
		done
	done
	while [ $# -ge 3 ]; do
		drop
		"$T" "$R/$1.cold.t" sh -c "$2 \"\$1\" | wc -c" sh "$3" >"$R/$1.out" ||
			die "$2 $3 failed"
		"$T" "$R/$1.hot.t" sh -c "$2 \"\$1\" | wc -c" sh "$3" >"$R/$1.out" ||
			die "$2 $3 failed"
		shift 3
	done
}
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
t=0
while [ "$t" -lt "$TRIALS" ] || [ "$t" -lt "$BIG_TRIALS" ]; do
	[ "$t" -lt "$TRIALS" ] &&
		run_ops deb "$SYS_ALL" "find du grep seq rand" \
			deb.zcat zcat "$WORK/layer.tar.gz" deb.zstdcat "zstd -dc" "$WORK/layer.tar.zst"
	[ "$t" -lt "$BIG_TRIALS" ] &&
		run_ops big "dir sqfs $OCIFS_BIG" "seq rand" big.zcat zcat "$BIG/layer.tar.gz"
	t=$((t + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# The same answers everywhere: entries listed, files matched, blocks read.
for set_ in deb big; do
	for o in find grep rand; do
		ref=$R/$set_.dir.$o.cold.out
		[ -f "$ref" ] || continue
		for s in $SYS_ALL; do
			for k in cold warm; do
				f=$R/$set_.$s.$o.$k.out
				[ -f "$f" ] || continue
				if [ "$o" = rand ]; then
					[ "$(sed 's/.*sum=//' "$f")" = "$(sed 's/.*sum=//' "$ref")" ] && continue
				else
					cmp -s "$f" "$ref" && continue
				fi
				die "$o on $s ($set_, $k) differs from the unpacked directory:" \
					"$(cat "$f") vs $(cat "$ref")"
			done
		done
	done
done

# --- the table --------------------------------------------------------------
secs() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.1f ms", s * 1000; else printf "%.2f s", s }'; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f MB/s", (s > 0 ? b / s / 1e6 : 0) }'; }
rps() { awk -v n="$READS" -v s="$1" 'BEGIN { printf "%.0f reads/s", (s > 0 ? n / s : 0) }'; }
row() { printf '%-24s %-6s %-15s %-23s %-23s %-19s %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"; }
size_of() { wc -c <"$1/$(largest "$2")" | tr -d ' '; }
# show OP SECONDS [BYTES]: a time in OP's unit (time, rate or reads/s)
show() {
	case $1 in
	seq) mbs "${3:-0}" "$2" ;;
	rand) rps "$2" ;;
	*) secs "$2" ;;
	esac
}
# rcol OCIFS BASE OP [BYTES]: "1.23x (BASE in OP's unit)"
rcol() { echo "$(div "$1" "$2")x ($(show "$3" "$2" "${4:-}"))"; }
# zrow SET S KIND SECONDS BYTES: the rate against the decompressor's
# (gzip: judged; zstd: info)
zrow() {
	z=$1.zcat g=">= 0.85x zcat"
	[ "$2" = zstd ] && z=$1.zstdcat g="(zstd -dc)"
	zb=$(tr -d ' ' <"$R/$z.out")
	zw=$(best "$R/$z.$3.t")
	r=$(awk -v b="$5" -v v="$4" -v zb="$zb" -v zw="$zw" 'BEGIN { printf "%.2f", (b / v) / (zb / zw) }')
	vv=info
	[ "$2" = gzip ] && vv=$(verdict "$r" ">=" 0.85)
	# issue #14, goal 1: a >= 100 MB file (the big set), page-cached blob
	[ "$2.$1.$3" = gzip.big.hot ] && g=">= 1.6x zcat" &&
		vv=$(goal 1 "cat $BIG_MB MiB file, gzip layer / zcat rate" "$r" ">=" 1.6)
	row "  rate / ${z#"$1".} rate" "$2" "${r}x" "($(mbs "$zb" "$zw") $3)" "" "$g" "$vv"
}
# table SET "OCIFS-SYS..." "OP..." BYTES: the rows of each operation
table() {
	set_=$1 bytes=$4
	for o in $3; do
		for k in cold hot warm; do
			[ -f "$R/$set_.dir.$o.$k.t" ] || continue
			case $o in
			find) name="$k find -ls" ;;
			du) name="$k du -s" ;;
			grep) name="$k grep -rlF" ;;
			seq) name="$k cat $(basename "$(largest "$set_")")" ;;
			rand) name="$k random 4K" ;;
			esac
			dv=$(best "$R/$set_.dir.$o.$k.t")
			sv=$(best "$R/$set_.sqfs.$o.$k.t")
			for s in $2; do
				v=$(best "$R/$set_.$s.$o.$k.t")
				goal="" ver=info
				case $o.$k.$s in
				find.cold.*) # issue #14, goal 4: against the unpacked dir
					goal="<= 1.1x dir"
					ver=$(goal 4 "cold find -ls / dir, $set_ $s" "$(div "$v" "$dv")" "<=" 1.1)
					;;
				find.warm.*)
					goal="<= 1.05x dir"
					ver=$(goal 4 "warm find -ls / dir, $set_ $s" "$(div "$v" "$dv")" "<=" 1.05)
					;;
				seq.hot.plain)
					goal=">= 1 GB/s"
					ver=$(verdict "$(div "$bytes" "$v" %.0f)" ">=" 1e9)
					;;
				seq.cold.plain) # disk-bound: the goal, or the kernel's own speed
					goal=">= 1 GB/s|0.9x dir"
					ver=$(awk -v b="$bytes" -v v="$v" -v d="$dv" 'BEGIN {
						print (b / v >= 1e9 || d / v >= 0.9) ? "PASS" : "MISS" }')
					;;
				esac
				row "$name" "$s" "$(show "$o" "$v" "$bytes")" "$(rcol "$v" "$dv" "$o" "$bytes")" \
					"$(rcol "$v" "$sv" "$o" "$bytes")" "$goal" "$ver"
				case $o.$k.$s in
				seq.cold.gzip | seq.hot.gzip | seq.cold.zstd | seq.hot.zstd)
					zrow "$set_" "$s" "$k" "$v" "$bytes" ;;
				esac
			done
		done
	done
}

echo
echo "mount benchmarks: $(grep -c . "$WORK/files.list") files, $(du -sm "$WORK/umoci/rootfs" | cut -f1) MB;" \
	"dir = umoci unpack of oci-gzip:bench; sqfs = squashfuse $(squashfuse --version 2>&1 |
		head -n 1 | awk '{print $2}') of mksquashfs (gzip, 128K blocks) of dir"
echo "load average $load0 before the measurements, $load1 after; best of $TRIALS;" \
	"x = ocifs time / other time (lower is better)"
echo "cold: fresh mount, drop_caches, run; hot: fresh mount, image file in the page cache" \
	"(for dir: the file); warm: again at once on the same mount"
row "operation" "layer" "ocifs" "x dir (dir)" "x sqfs (sqfs)" "goal" ""
for s in $OCIFS_DEB; do
	row "first mount, indexing" "$s" "$(secs "$(best "$R/deb.$s.first.t")")" "-" "-" \
		"(empty index cache)" "info"
done
sq=$(best "$R/deb.sqfs.mount.t")
for s in $OCIFS_DEB; do
	v=$(best "$R/deb.$s.mount.t")
	row "mount (warm, best of 5)" "$s" "$(secs "$v")" "-" "$(rcol "$v" "$sq" mount)" "< 20 ms" \
		"$(goal 3 "warm mount, Debian $s, s" "$(div "$v" 1 %.4f)" "<" 0.020)"
done
table deb "$OCIFS_DEB" "find du grep seq rand" "$(size_of "$WORK/umoci/rootfs" deb)"

echo
echo "big file: $(basename "$(largest big)"), $BIG_MB MiB of the root's /usr files concatenated," \
	"one layer: plain (oci-plain, spliced), gzip -6 (oci-gzip)"
row "operation" "layer" "ocifs" "x dir (dir)" "x sqfs (sqfs)" "goal" ""
for s in $OCIFS_BIG; do
	row "first mount, indexing" "$s" "$(secs "$(best "$R/big.$s.first.t")")" "-" "-" \
		"(empty index cache)" "info"
done
table big "$OCIFS_BIG" "seq rand" "$(size_of "$BIG/umoci/rootfs" big)"
