#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Warm mount, end to end (issue #14, goal 3): from starting `ocifs mount
# IMAGE DIR` until it returns -- it returns once the kernel and the
# daemon have shaken hands (FUSE init), so the mount answers then -- with
# the image's indexes and view already in the cache (built once by
# `ocifs index` + `ocifs ls`). Three images of growing size:
#   0.3 GB  the debootstrap image's oci-gzip layout (OCIFS_BENCH_WORK)
#   1 GB    big/oci-gzip there (one 1 GiB file as a gzip layer)
#   3 GB    built once here and cached: the debootstrap layer, big's layer
#           and two more layers of one ~0.8 GiB file each (the root's
#           files concatenated, two orders: semi-compressible), gzip -1
# The goal: < 20 ms on each, and flat: the largest image's time within
# 1.25x the smallest's (a warm mount does O(layers) small work, nothing
# proportional to the bytes or the entries). Best of N (interleaved
# across the images, so a burst of load hits all of them); cpu is the
# mount command's own (user + sys, not the daemon's). Also timed (info):
# `ocifs umount`, and how long the daemon takes to exit after it (a
# daemon that has not exited after 30 s fails the run: a hang).
# Baseline in the same run: `true` through the same timer (a process
# start on this machine).
#
# Runs on its own from a build directory: sh SRCDIR/bench/warm.sh.
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work: the shared
# images), OCIFS_BENCH_WARM_WORK (./bench/work-warm: the 3 GB image, kept),
# OCIFS_BENCH_WARM_TRIALS (20), CC (cc). Needs root and /dev/fuse.
set -eu

me=bench/warm.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
WW=${OCIFS_BENCH_WARM_WORK:-$builddir/bench/work-warm}
TRIALS=${OCIFS_BENCH_WARM_TRIALS:-20}
CC=${CC:-cc}
export LC_ALL=C

[ "$(id -u)" -eq 0 ] || die "needs root (mounts)"
[ -c /dev/fuse ] || die "/dev/fuse is missing"
for t in tar gzip jq sha256sum awk sort; do
	command -v "$t" >/dev/null 2>&1 || die "$t is missing"
done
[ -f "$WORK/.done" ] || sh "$top/bench/mkdebian.sh" "$WORK" >&2 ||
	die "building the benchmark image failed"
[ -d "$WORK/oci-gzip" ] || die "$WORK/oci-gzip is missing"

mkdir -p "$WW"
mount_tmp warm
$CC -O2 -std=gnu11 -Wall -o "$TMP/timeit" "$top/bench/timeit.c" || die "cannot build bench/timeit"
T=$TMP/timeit

# --- the images -----------------------------------------------------------------
# layout DIR CONFIG_JSON BLOB...: an OCI layout (tag "bench") of the gzip
# blobs given (copied in), the config's diff_ids given as DIFF=... files
layout() {
	d=$1
	shift
	rm -rf "$d"
	mkdir -p "$d/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	layers='[]' diffs='[]'
	for b in "$@"; do
		h=$(sha256sum "$b" | cut -d' ' -f1)
		cp "$b" "$d/blobs/sha256/$h"
		layers=$(echo "$layers" | jq -c --arg h "sha256:$h" --argjson s "$(wc -c <"$b")" \
			'. + [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $h, size: $s}]')
		diffs=$(echo "$diffs" | jq -c --arg h "$(cat "$b.diff_id")" '. + [$h]')
	done
	jq -cn --argjson d "$diffs" '{architecture: "amd64", os: "linux",
		rootfs: {type: "layers", diff_ids: $d}, config: {}}' >"$TMP/config.json"
	ch=$(sha256sum "$TMP/config.json" | cut -d' ' -f1)
	cp "$TMP/config.json" "$d/blobs/sha256/$ch"
	jq -cn --arg c "sha256:$ch" --argjson cs "$(wc -c <"$TMP/config.json")" \
		--argjson l "$layers" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c,
			 size: $cs}, layers: $l}' >"$TMP/manifest.json"
	mh=$(sha256sum "$TMP/manifest.json" | cut -d' ' -f1)
	cp "$TMP/manifest.json" "$d/blobs/sha256/$mh"
	jq -cn --arg m "sha256:$mh" --argjson ms "$(wc -c <"$TMP/manifest.json")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $m, size: $ms, platform: {os: "linux", architecture: "amd64"},
		annotations: {"org.opencontainers.image.ref.name": "bench"}}]}' >"$d/index.json"
}

# genlayer OUT MB ORDER: OUT (gzip -1 of a tar of one file of MB MiB, the
# root's regular files concatenated in ORDER: name or reverse) and
# OUT.diff_id
genlayer() {
	g=$TMP/gen
	rm -rf "$g"
	mkdir -p "$g/data"
	bigfile "$g/data/blob-$3.bin" "$2" "$3"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$g/data" \
		-cf "$g/layer.tar" . || die "tar failed"
	rm -f "$g/data/blob-$3.bin"
	echo "sha256:$(sha256sum "$g/layer.tar" | cut -d' ' -f1)" >"$1.diff_id"
	gzip -1 -c "$g/layer.tar" >"$1.tmp" && mv "$1.tmp" "$1" || die "gzip failed"
	rm -rf "$g"
}

BIG=$WORK/big/oci-gzip
HUGE=$WW/oci-3g
if [ ! -f "$WW/.done-3g" ]; then
	[ -d "$BIG" ] || die "$BIG is missing (bench/mount.sh builds it)"
	echo "$me: building the 3 GB image in $HUGE (once)" >&2
	[ -d "$WORK/rootfs/usr" ] || die "$WORK/rootfs is missing"
	cp "$WORK/layer.tar.gz" "$WW/l1.gz"
	echo "sha256:$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)" >"$WW/l1.gz.diff_id"
	bm=$(jq -r '.manifests[0].digest' "$BIG/index.json")
	bc=$(jq -r '.config.digest' "$BIG/blobs/sha256/${bm#sha256:}")
	bl=$(jq -r '.layers[0].digest' "$BIG/blobs/sha256/${bm#sha256:}")
	cp "$BIG/blobs/sha256/${bl#sha256:}" "$WW/l2.gz"
	jq -r '.rootfs.diff_ids[0]' "$BIG/blobs/sha256/${bc#sha256:}" >"$WW/l2.gz.diff_id"
	genlayer "$WW/l3.gz" 850 name
	genlayer "$WW/l4.gz" 850 reverse
	layout "$HUGE" "$WW/l1.gz" "$WW/l2.gz" "$WW/l3.gz" "$WW/l4.gz"
	rm -f "$WW"/l?.gz "$WW"/l?.gz.diff_id
	touch "$WW/.done-3g"
fi

# --- measuring -----------------------------------------------------------------
NAMES="small big huge"
img() {
	case $1 in
	small) echo "$WORK/oci-gzip" ;;
	big) echo "$BIG" ;;
	huge) echo "$HUGE" ;;
	esac
}
usize() { # uncompressed bytes of the image's layers, as the index counted them
	XDG_CACHE_HOME=$WW/cache.$1 "$BIN" inspect --json "$(img "$1")" 2>/dev/null |
		jq '[.layers[].uncompressed_size // 0] | add'
}
NAMES_OK=
for n in $NAMES; do
	[ -d "$(img "$n")" ] || { echo "$me: $(img "$n") missing; skipping it" >&2; continue; }
	# the cache is kept with the 3 GB image (indexing that is a minute of
	# CPU): index and ls only make sure it is whole
	C=$WW/cache.$n
	XDG_CACHE_HOME=$C "$BIN" index "$(img "$n")" >/dev/null 2>&1 || die "ocifs index $(img "$n") failed"
	XDG_CACHE_HOME=$C "$BIN" ls "$(img "$n")" / >/dev/null || die "ocifs ls $(img "$n") failed"
	mkdir -p "$MNT/$n"
	: >"$TMP/$n.mount.t"
	: >"$TMP/$n.umount.t"
	: >"$TMP/$n.gone"
	NAMES_OK="$NAMES_OK $n"
done
: >"$TMP/true.t"

# daemon_gone DIR: seconds until no process serves DIR any more (ocifs
# umount returns when the kernel lets go; the daemon then leaves its loop,
# frees everything and exits), or die after 30 s
daemon_gone() {
	t0=$(date +%s.%N)
	while pgrep -f -- " $1\$" >/dev/null 2>&1; do
		awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a > 30) }' &&
			die "the daemon serving $1 has not exited 30 s after ocifs umount (a hang)"
		sleep 0.01
	done
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.4f\n", b - a }'
}

i=0
while [ "$i" -lt "$TRIALS" ]; do
	"$T" "$TMP/true.t" true
	for n in $NAMES_OK; do
		m=$MNT/$n
		XDG_CACHE_HOME=$WW/cache.$n "$T" "$TMP/$n.mount.t" "$BIN" mount "$(img "$n")" "$m" ||
			die "ocifs mount $(img "$n") failed"
		ls "$m" >/dev/null || die "$m does not answer"
		"$T" "$TMP/$n.umount.t" "$BIN" umount "$m" || die "ocifs umount $m failed"
		daemon_gone "$m" >>"$TMP/$n.gone"
	done
	i=$((i + 1))
done
# --- the table -----------------------------------------------------------------
ms1() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
minf() { sort -n "$1" | head -n 1; }
echo
echo "Warm mount, end to end (goal 3; best of $TRIALS, interleaved; cpu: the mount command's" \
	"own; load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-34s %-10s %-12s %-10s %-10s %-12s %s\n' image usize "mount ms" "cpu ms" \
	"umount ms" "daemon exit" verdict
for n in $NAMES_OK; do
	u=$(usize "$n")
	w=$(best "$TMP/$n.mount.t" 1)
	printf '  %-34s %-10s %-12s %-10s %-10s %-12s %s\n' "$n ($(basename "$(img "$n")"))" \
		"$(awk -v b="$u" 'BEGIN { printf "%.2f GB", b / 1e9 }')" "$(ms1 "$w")" \
		"$(ms1 "$(best "$TMP/$n.mount.t" 2)")" "$(ms1 "$(best "$TMP/$n.umount.t" 1)")" \
		"$(ms1 "$(minf "$TMP/$n.gone")") ms" \
		"$(goal 3 "warm mount $n ($(awk -v b="$u" 'BEGIN { printf "%.1f GB", b / 1e9 }'))" \
			"$(ms1 "$w")" "<" 20)"
done
first=$(echo $NAMES_OK | cut -d' ' -f1)
last=$(echo $NAMES_OK | awk '{ print $NF }')
r=$(div "$(best "$TMP/$last.mount.t" 1)" "$(best "$TMP/$first.mount.t" 1)")
printf '  %-34s %s  %s\n' "flat: $last / $first" "$r" "$(goal 3 "warm mount flat ($last / $first)" "$r" "<=" 1.25)"
printf '  %-34s %s ms (the timer and a process start on this machine)\n' "baseline: true" \
	"$(ms1 "$(best "$TMP/true.t" 1)")"
echo
