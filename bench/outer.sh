#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Compressed outer archives (issue #14, goal 5): `docker save | gzip` and
# a zstd'd docker-archive keep their listing in the cache (src/outeridx.c),
# so a warm mount of app.tar.gz costs what one of app.tar does. Called by
# bench/run.sh; also runs on its own from the build directory:
#   sh SRCDIR/bench/outer.sh
#
# Images: docker.tar of the benchmark work dir (a docker-archive written by
# skopeo), and app.tar.gz (gzip -6) and app.tar.zst (zstd -3) made from it
# once under $OUTW. One cache for all three, warmed by `ocifs index` and
# `ocifs ls` of each.
# Rows (best of N, the three images interleaved in every trial):
#   warm mount   `ocifs mount IMG DIR` until it returns (it waits until
#                the mount answers), then unmounted outside the timing
#   mount CPU    the least CPU time (user + sys) of that command itself,
#                the daemon not counted (info: less sensitive than the
#                wall time to a machine loaded by others)
#   warm ls      `ocifs ls IMG /`
#   first open   `ocifs ls IMG /` with an empty cache (info: indexing)
#   re-list      `ocifs ls IMG /` with the layer caches warm but no outer
#                record (info: what every open cost before the record)
#   first read   cat of one ~1-2 MB file right after a warm mount (info:
#                a compressed outer archive decodes from its checkpoint)
# Goal 5: warm mount of app.tar.gz and of app.tar.zst <= 1.10x docker.tar.
#
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work),
# OCIFS_BENCH_OUTER_WORK (where app.tar.gz/.zst are made: $WORK/outer if
# that can be written, else ./bench/work-outer), OCIFS_BENCH_OUTER_TRIALS
# (9), CC (cc).
set -eu

me=bench/outer.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_OUTER_TRIALS:-9}
CC=${CC:-cc}
OUTB=$builddir/bench
export LC_ALL=C

[ -c /dev/fuse ] || die "/dev/fuse is missing"
[ -f "$WORK/.done" ] || sh "$top/bench/mkdebian.sh" "$WORK" >&2 ||
	die "building the benchmark image failed"
[ -f "$WORK/docker.tar" ] || die "$WORK/docker.tar is missing"
for t in gzip zstd awk sort cat; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
OUTW=${OCIFS_BENCH_OUTER_WORK:-$WORK/outer}
if ! mkdir -p "$OUTW" 2>/dev/null || ! [ -w "$OUTW" ]; then
	OUTW=$builddir/bench/work-outer
	mkdir -p "$OUTW" || die "cannot create $OUTW"
fi
mkdir -p "$OUTB"
$CC -O2 -std=gnu11 -Wall -o "$OUTB/timeit" "$top/bench/timeit.c" ||
	die "cannot build bench/timeit"
T=$OUTB/timeit

# --- the images (made once; remade when docker.tar changes) -------------------
PLAIN=$WORK/docker.tar
stamp=$(stat -c '%s %Y' "$PLAIN")
if [ "$(cat "$OUTW/.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "$me: gzip -6 and zstd -3 of $PLAIN into $OUTW (once)" >&2
	rm -f "$OUTW/.stamp" "$OUTW/app.tar.gz" "$OUTW/app.tar.zst"
	gzip -6 -c "$PLAIN" >"$OUTW/app.tar.gz.tmp" && mv "$OUTW/app.tar.gz.tmp" "$OUTW/app.tar.gz" ||
		die "gzip of $PLAIN failed"
	zstd -q -3 -c "$PLAIN" >"$OUTW/app.tar.zst.tmp" &&
		mv "$OUTW/app.tar.zst.tmp" "$OUTW/app.tar.zst" || die "zstd of $PLAIN failed"
	echo "$stamp" >"$OUTW/.stamp"
fi
GZ=$OUTW/app.tar.gz
ZST=$OUTW/app.tar.zst

mount_tmp obench

img() {
	case $1 in
	plain) echo "$PLAIN" ;;
	gz) echo "$GZ" ;;
	zst) echo "$ZST" ;;
	esac
}
SYS="plain gz zst"
CACHE=$TMP/cache
# A file of 1-2 MB in the image, for the first read (the first one listed)
ocifs_ls() { OCIFS_CACHE_DIR=$1 "$BIN" ls "$2" / >/dev/null 2>"$TMP/ls.err" ||
	die "ocifs ls $2 failed: $(cat "$TMP/ls.err")"; }

# --- first open (empty cache), then warm ------------------------------------------
for s in $SYS; do
	rm -rf "$CACHE.$s"
	OCIFS_CACHE_DIR=$CACHE.$s "$T" "$TMP/first.$s.t" "$BIN" ls "$(img "$s")" / >/dev/null ||
		die "ocifs ls $(img "$s") failed"
done
for s in $SYS; do
	OCIFS_CACHE_DIR=$CACHE "$BIN" index "$(img "$s")" >/dev/null 2>"$TMP/ix.err" ||
		die "ocifs index $(img "$s") failed: $(cat "$TMP/ix.err")"
	ocifs_ls "$CACHE" "$(img "$s")"
done
FILE=$(OCIFS_CACHE_DIR=$CACHE "$BIN" ls -l "$PLAIN" /usr/bin 2>/dev/null |
	awk '$1 ~ /^-/ && $3 >= 1000000 && $3 <= 2500000 { print $NF; exit }')
[ -n "$FILE" ] || die "no file of 1-2.5 MB in /usr/bin of $PLAIN"
FILE=usr/bin/$FILE

# re-list: layers warm, the outer record gone (what every open cost before)
for s in gz zst; do
	for i in 1 2; do
		rm -rf "$CACHE/outer" && mkdir -m 700 "$CACHE/outer"
		OCIFS_CACHE_DIR=$CACHE "$T" "$TMP/relist.$s.t" "$BIN" ls "$(img "$s")" / >/dev/null ||
			die "ocifs ls $(img "$s") failed"
	done
done
for s in gz zst; do ocifs_ls "$CACHE" "$(img "$s")"; done # records back

# --- warm: mount, ls, first read (interleaved) ---------------------------------------
i=0
while [ "$i" -lt "$TRIALS" ]; do
	for s in $SYS; do
		m=$MNT/$s
		mkdir -p "$m"
		OCIFS_CACHE_DIR=$CACHE "$T" "$TMP/mount.$s.t" "$BIN" mount "$(img "$s")" "$m" \
			>"$TMP/up.err" 2>&1 || die "ocifs mount $(img "$s") failed: $(cat "$TMP/up.err")"
		"$T" "$TMP/read.$s.t" cat "$m/$FILE" >/dev/null || die "cat $m/$FILE failed"
		"$BIN" umount "$m" || die "cannot unmount $m"
		OCIFS_CACHE_DIR=$CACHE "$T" "$TMP/ls.$s.t" "$BIN" ls "$(img "$s")" / >/dev/null ||
			die "ocifs ls $(img "$s") failed"
	done
	i=$((i + 1))
done

# --- the table -------------------------------------------------------------------------
row() { # WHAT plain gz zst [GOALCOLUMNS]
	printf '%-28s %10s %10s %10s %8s %8s  %s\n' "$@"
}
ratio() { div "$(best "$TMP/$1.$2.t")" "$(best "$TMP/$1.plain.t")"; }
cpu() { sort -n -k2 "$1" | head -n 1 | cut -d' ' -f2; }
echo
echo "== compressed outer archive (goal 5): docker.tar vs app.tar.gz vs app.tar.zst"
echo "   sizes: $(stat -c %s "$PLAIN") / $(stat -c %s "$GZ") / $(stat -c %s "$ZST") bytes;" \
	"best of $TRIALS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
row "" docker.tar app.tar.gz app.tar.zst gz/plain zst/plain verdict
for w in first mount ls read; do
	case $w in
	first) what="first open (ls, empty cache)" ;;
	mount) what="warm mount" ;;
	ls) what="warm ls IMG /" ;;
	read) what="first read of $(basename "$FILE")" ;;
	esac
	v=info
	rg=$(ratio "$w" gz) rz=$(ratio "$w" zst)
	if [ "$w" = mount ]; then
		v="$(goal 5 "warm mount app.tar.gz / docker.tar" "$rg" "<=" 1.10)"
		v="$v $(goal 5 "warm mount app.tar.zst / docker.tar" "$rz" "<=" 1.10)"
	fi
	row "$what" "$(ms "$(best "$TMP/$w.plain.t")")" "$(ms "$(best "$TMP/$w.gz.t")")" \
		"$(ms "$(best "$TMP/$w.zst.t")")" "$rg" "$rz" "$v"
done
row "warm mount, CPU" "$(ms "$(cpu "$TMP/mount.plain.t")")" "$(ms "$(cpu "$TMP/mount.gz.t")")" \
	"$(ms "$(cpu "$TMP/mount.zst.t")")" \
	"$(div "$(cpu "$TMP/mount.gz.t")" "$(cpu "$TMP/mount.plain.t")")" \
	"$(div "$(cpu "$TMP/mount.zst.t")" "$(cpu "$TMP/mount.plain.t")")" info
row "ls, no outer record (before)" - "$(ms "$(best "$TMP/relist.gz.t")")" \
	"$(ms "$(best "$TMP/relist.zst.t")")" - - info
echo "   goal 5: warm mount gz/plain and zst/plain <= 1.10 (1.00 = as fast as the plain tar)"
