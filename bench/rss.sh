#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Goal 6 of issue #14 (bounded memory), a section of `make bench` (also
# runs on its own from the build directory: sh SRCDIR/bench/rss.sh
# [IMAGE...], default the Debian image's oci-gzip, oci-zstd and
# docker.tar). For each image: index it (warm cache), mount it with the
# default options, `grep -r` the whole tree, then read the daemon's
# /proc/PID/status: VmHWM (peak resident set: anonymous memory plus the
# file-backed pages it has mapped -- the view file, the libraries) is
# judged against 64 MiB + the span cache's default size (`ocifs mount
# --help`); RssAnon and RssFile after the grep show how much of it is
# heap and how much clean, reclaimable file cache (the mapped view). The
# daemon is the forked child of a parent that only opened the cached
# index, so its peak is the serving daemon's own.
#
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work).
set -eu

me=bench/rss.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
[ -c /dev/fuse ] || die "/dev/fuse is missing"
[ $# -gt 0 ] || set -- "$WORK/oci-gzip" "$WORK/oci-zstd" "$WORK/docker.tar"
CACHE_MB=$(cache_default)
[ -n "$CACHE_MB" ] || die "cannot read the default cache_size from '$BIN mount --help'"
LIMIT=$((64 + CACHE_MB))

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-bench-rss.XXXXXX")
M=$TMP/mnt
mkdir -p "$M"
trap '"$BIN" umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null || true; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

row() { printf '  %-34s %-44s %-12s %s\n' "$1" "$2" "${3:-}" "${4:-}"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo
echo "daemon memory during grep -r of the whole tree (default cache_size=${CACHE_MB}M;" \
	"VmHWM = peak anon + mapped files)"
for image in "$@"; do
	fresh_cache "$TMP/cache" "$image"
	XDG_CACHE_HOME=$TMP/cache "$BIN" mount "$image" "$M" >"$TMP/up.err" 2>&1 ||
		die "ocifs mount $image failed: $(cat "$TMP/up.err")"
	pid=$(daemon_pid "$M")
	[ -n "$pid" ] || die "no daemon process found for $M"
	k0=$(kb_of "$pid" VmHWM)
	LC_ALL=C grep -rlF -e "no such needle in ocifs" "$M" >/dev/null 2>&1 || true
	hwm=$(kb_of "$pid" VmHWM)
	anon=$(kb_of "$pid" RssAnon)
	file=$(kb_of "$pid" RssFile)
	"$BIN" umount "$M" || die "cannot unmount $M"
	v=$(mib "$hwm")
	# the image's last two path components: bench-work/oci-gzip, scale/oci-gzip
	name=$(echo "$image" | awk -F/ '{ sub(/\/+$/, ""); print (NF > 1 ? $(NF - 1) "/" $NF : $NF) }')
	row "$name peak RSS (MiB)" \
		"$v (at mount $(mib "$k0"); after: anon $(mib "$anon"), file $(mib "$file"))" \
		"<= $LIMIT" "$(goal 6 "peak RSS $name, MiB" "$v" "<=" "$LIMIT")"
done
