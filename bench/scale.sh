#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Goal 7 of issue #14 (scale), a section of `make bench` (also runs on its
# own from the build directory: sh SRCDIR/bench/scale.sh). On the > 2 GB
# three-layer gzip image of bench/mkscale.sh (built once under the work
# dir: the Debian root, 1 GiB of large binaries, 100 000 small files),
# against baselines of the same run:
#   cold mount   `ocifs mount` with an empty index cache (index every
#                layer, verify, build the view), blobs in the page cache,
#                against `zcat` of all three layers to a pipe (info)
#   warm mount   `ocifs mount` until it returns (the mount answers), warm
#                index cache, best of 5, interleaved with the same for the
#                Debian image (oci-gzip, 0.35 GB): the ratio shows whether
#                the warm mount stays flat (goal 7: <= 1.5x, an image 6x
#                the size) and the scale image's own time (goal 3: < 20 ms)
#   find -ls     cold (fresh mount, drop_caches) and warm (again at once),
#                against the unpacked tree (scale/tree, cold and warm alike)
#   grep -rlF    cold, a fixed string in a few files: reads every file
#                whole; against the unpacked tree; the daemon's peak RSS
#                (VmHWM) afterwards: goal 6, <= 64 MiB + the span cache
# find and grep must print the same as on the unpacked tree.
# Needs root (drop_caches, mkscale's tar -x) and /dev/fuse.
#
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work),
# OCIFS_BENCH_SCALE_TRIALS (2), and mkscale.sh's.
set -eu

me=bench/scale.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_SCALE_TRIALS:-2}
NEEDLE="Debian GNU/Linux 12"
export LC_ALL=C
need_cold "drop_caches"
T=$builddir/bench/timeit
mkdir -p "$builddir/bench"
[ -x "$T" ] || ${CC:-cc} -O2 -o "$T" "$top/bench/timeit.c" || die "cannot build bench/timeit"
sh "$top/bench/mkdebian.sh" "$WORK" >&2 || die "building the benchmark image failed"
sh "$top/bench/mkscale.sh" "$WORK" >&2 || die "building the scale image failed"
S=$WORK/scale
SC=$S/oci-gzip
DEB=$WORK/oci-gzip
CACHE_MB=$(cache_default)
[ -n "$CACHE_MB" ] || die "cannot read the default cache_size from '$BIN mount --help'"
USIZE=0
for l in "$S"/layer*.tar.gz; do
	USIZE=$((USIZE + $(gzip -l "$l" | awk 'NR == 2 { print $2 }')))
done
# (gzip -l wraps at 4 GiB per layer: none of these is that big)
[ "$USIZE" -ge 2000000000 ] || die "the scale image is only $USIZE bytes uncompressed (< 2 GB)"

mount_tmp bench-scale
M=$MNT
down() { if mounted "$M"; then "$BIN" umount "$M" || die "cannot unmount $M"; fi; }
# up CACHE IMAGE [TIMES]: mount IMAGE at $M with index cache CACHE (timed
# into TIMES when given)
up() {
	if [ $# -ge 3 ]; then
		XDG_CACHE_HOME=$1 "$T" "$3" "$BIN" mount "$2" "$M" >"$TMP/up.err" 2>&1
	else
		XDG_CACHE_HOME=$1 "$BIN" mount "$2" "$M" >"$TMP/up.err" 2>&1
	fi || die "ocifs mount $2 failed: $(cat "$TMP/up.err")"
}
R=$TMP/r
mkdir -p "$R"
cached() { cat "$S"/layer*.tar.gz >/dev/null; }

load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
# 1. cold mount against zcat of every layer, interleaved
i=0
while [ "$i" -lt "$TRIALS" ]; do
	cached
	"$T" "$R/zcat.t" sh -c 'zcat "$@" | wc -c' sh "$S"/layer*.tar.gz >"$R/zcat.out" ||
		die "zcat of the scale layers failed"
	[ "$(tr -d ' ' <"$R/zcat.out")" = "$USIZE" ] ||
		die "zcat: $(cat "$R/zcat.out") bytes, expected $USIZE"
	rm -rf "$TMP/cache.sc"
	up "$TMP/cache.sc" "$SC" "$R/cold.t"
	down
	i=$((i + 1))
done
rm -rf "$TMP/cache.dk"
cat "$S/docker.tar" >/dev/null
up "$TMP/cache.dk" "$S/docker.tar" "$R/dk.t"
down
rm -rf "$TMP/cache.dk"
fresh_cache "$TMP/cache.deb" "$DEB"

# 2. warm mount, scale and Debian image interleaved
i=0
while [ "$i" -lt 5 ]; do
	up "$TMP/cache.sc" "$SC" "$R/warm.sc.t"
	ls "$M" >/dev/null || die "$M does not answer"
	down
	up "$TMP/cache.deb" "$DEB" "$R/warm.deb.t"
	ls "$M" >/dev/null || die "$M does not answer"
	down
	i=$((i + 1))
done

# 3. find -ls and grep -rlF, cold and warm, ocifs and the unpacked tree
hwm=0
i=0
while [ "$i" -lt "$TRIALS" ]; do
	for sys in dir ocifs; do
		d=$S/tree
		if [ "$sys" = ocifs ]; then
			up "$TMP/cache.sc" "$SC"
			d=$M
		fi
		drop
		"$T" "$R/$sys.find.cold.t" sh -c 'find "$1" -ls | wc -l' sh "$d" >"$R/$sys.find.out"
		"$T" "$R/$sys.find.warm.t" sh -c 'find "$1" -ls | wc -l' sh "$d" >"$R/$sys.find.out"
		[ "$sys" = ocifs ] && { down; up "$TMP/cache.sc" "$SC"; }
		drop
		"$T" "$R/$sys.grep.t" sh -c 'cd "$1" && grep -rlF -e "$2" . | sort' sh "$d" \
			"$NEEDLE" >"$R/$sys.grep.out" || die "grep -r on $d failed"
		if [ "$sys" = ocifs ]; then
			pid=$(daemon_pid "$M")
			[ -n "$pid" ] || die "no daemon process found for $M"
			h=$(kb_of "$pid" VmHWM)
			[ "$h" -gt "$hwm" ] && hwm=$h anon=$(kb_of "$pid" RssAnon) file=$(kb_of "$pid" RssFile)
			down
		fi
	done
	i=$((i + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
cmp -s "$R/dir.find.out" "$R/ocifs.find.out" ||
	die "find -ls: $(cat "$R/ocifs.find.out") entries, the unpacked tree $(cat "$R/dir.find.out")"
cmp -s "$R/dir.grep.out" "$R/ocifs.grep.out" ||
	die "grep -rlF found other files than in the unpacked tree"
[ -s "$R/dir.grep.out" ] || die "grep -rlF found nothing in the unpacked tree"

# --- the table --------------------------------------------------------------
secs() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.1f ms", s * 1000; else printf "%.2f s", s }'; }
row() { printf '  %-30s %-14s %-30s %-14s %s\n' "$1" "$2" "$3" "$4" "$5"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# vs OCIFS BASE NAME: "1.23x NAME (BASE)"
vs() { echo "$(div "$1" "$2")x $3 ($(secs "$2"))"; }

echo
echo "scale image: $(awk -v b="$USIZE" 'BEGIN { printf "%.2f GB", b / 1e9 }') uncompressed, 3 gzip layers" \
	"($(cat "$S"/layer*.tar.gz | wc -c | awk '{ printf "%.0f MB", $1 / 1e6 }')), $(grep -c . "$S/files.list")" \
	"files, $(cat "$R/dir.find.out") entries: the Debian root + $(ls "$S/tree/opt/scale/big" | wc -l)" \
	"large binaries + $(find "$S/tree/opt/scale/small" -type f | wc -l) small files (bench/mkscale.sh)"
echo "load average $load0 before, $load1 after; best of $TRIALS (warm mount: of 5);" \
	"x = ocifs time / baseline time"
row "operation" "ocifs" "x baseline" "goal" ""
cw=$(best "$R/cold.t")
zw=$(best "$R/zcat.t")
row "cold mount (index+view)" "$(secs "$cw")" "$(vs "$cw" "$zw" zcat)" "" "info"
row "  same in cpu time" "$(div "$(best "$R/cold.t" 2)" 1) s" \
	"$(div "$(best "$R/cold.t" 2)" "$(best "$R/zcat.t" 2)")x zcat ($(div "$(best "$R/zcat.t" 2)" 1) s)" "" "info"
row "cold mount, docker-archive" "$(secs "$(best "$R/dk.t")")" "(uncompressed layers)" "" "info"
ws=$(best "$R/warm.sc.t")
wd=$(best "$R/warm.deb.t")
wr=$(div "$ws" "$wd")
row "warm mount" "$(secs "$ws")" "$(vs "$ws" "$wd" "Debian image")" "< 20 ms" \
	"$(goal 3 "warm mount, 2 GB scale image, s" "$(div "$ws" 1 %.4f)" "<" 0.020)"
row "  warm mount flat" "${wr}x" "2 GB / 0.35 GB image" "<= 1.5x" \
	"$(goal 7 "warm mount scale / Debian image" "$wr" "<=" 1.5)"
for k in cold warm; do
	v=$(best "$R/ocifs.find.$k.t")
	row "$k find -ls" "$(secs "$v")" "$(vs "$v" "$(best "$R/dir.find.$k.t")" dir)" "" "info"
done
v=$(best "$R/ocifs.grep.t")
row "cold grep -rlF" "$(secs "$v")" "$(vs "$v" "$(best "$R/dir.grep.t")" dir)" "" "info"
lim=$((64 + CACHE_MB))
row "  daemon peak RSS, MiB" "$(mib "$hwm")" "anon $(mib "$anon"), file $(mib "$file") after" \
	"<= $lim" "$(goal 6 "peak RSS scale image, MiB" "$(mib "$hwm")" "<=" "$lim")"
