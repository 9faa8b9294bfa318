#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The "registry" section of `make bench` (issue #15): mounting the Debian
# bench image straight from a registry against pulling it first. Runs from
# bench/run.sh, or alone from the build directory:
#   sh SRCDIR/bench/registry.sh
# Needs root (mounts, drop_caches), /dev/fuse, docker-registry, skopeo,
# python3, jq.
#
# The script starts Debian's docker-registry on 127.0.0.1 (plain http, a
# store under its temporary dir), pushes $OCIFS_BENCH_WORK/oci-gzip (one
# gzip layer) into it once, and then, per trial, with the page cache
# dropped before each step:
#   registry, cold   fresh ocifs cache, --ignore-artifact: `ocifs mount
#                    docker://…` (the first index pass streams the layer
#                    once), `find` over the mount, reading one small and one
#                    large file
#   registry, warm   the index cached by the cold run: mount, find, reads
#                    (each read a Range request)
#   with the index artifact (pushed once, untimed, by `ocifs index --push`)
#                    fresh ocifs cache: mount (fetches the artifact, no
#                    layer), find, reads
#   pull first       `skopeo copy docker://… oci:DIR`, then a cold local
#                    `ocifs mount` of DIR, find, reads
# Best of $OCIFS_BENCH_REG_TRIALS (3) each, wall clock. The bytes each step
# takes from the registry are counted once more (untimed) through the
# counting proxy of the tests (tests/lib/regproxy.py). Ratios: pull first
# (copy + mount + find) / registry (mount + find); higher is better. The
# issue's goal: with the artifact, mount + find >= 10x faster than pulling
# first, and mount + find + one file < 5 % of the image's bytes.
set -eu

me=bench/registry.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_REG_TRIALS:-3}
CC=${CC:-cc}
OUTB=$builddir/bench
export LC_ALL=C

need_cold "mounts"
for t in docker-registry skopeo python3 jq curl find; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
SRC=$WORK/oci-gzip
[ -f "$SRC/index.json" ] || die "$SRC is missing (bench/mkdebian.sh builds it)"
SMALL=usr/lib/os-release
LARGE=usr/bin/python3.11
mkdir -p "$OUTB"
$CC -O2 -std=gnu11 -Wall -o "$OUTB/timeit" "$top/bench/timeit.c" || die "cannot build bench/timeit"
T=$OUTB/timeit

mount_tmp registry
REG_PID=
PROXY_PID=
# stop the registry and the proxy, then mount_tmp's unmount and cleanup
trap 'for p in $PROXY_PID $REG_PID; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	if unmount_all; then rm -rf "$TMP"; else echo "$me: could not unmount everything under $MNT" >&2; fi' EXIT

# --- the registry, the image pushed once, the counting proxy ------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TMP/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $TMP/store
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$TMP/registry.yml" >"$TMP/registry.log" 2>&1 &
REG_PID=$!
REG=127.0.0.1:$port
i=0
until curl -sf "http://$REG/v2/" >/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] && kill -0 "$REG_PID" 2>/dev/null || die "docker-registry did not start: $(cat "$TMP/registry.log")"
	sleep 0.1
done
skopeo copy -q --dest-tls-verify=false "oci:$SRC:bench" "docker://$REG/deb:bench" ||
	die "skopeo copy to the registry failed"
XDG_CACHE_HOME=$TMP/cache.push "$BIN" index -q --push --tls-verify=false "docker://$REG/deb:bench" \
	>"$TMP/artifact" 2>"$TMP/err" || die "ocifs index --push failed: $(cat "$TMP/err")"
mkdir -p "$TMP/proxy"
python3 "$top/tests/lib/regproxy.py" --upstream "http://$REG" --dir "$TMP/proxy" 2>"$TMP/proxy.err" &
PROXY_PID=$!
i=0
while [ ! -s "$TMP/proxy/port" ]; do
	i=$((i + 1))
	[ $i -lt 300 ] && kill -0 "$PROXY_PID" 2>/dev/null || die "regproxy did not start: $(cat "$TMP/proxy.err")"
	sleep 0.1
done
PROXY=127.0.0.1:$(cat "$TMP/proxy/port")
# the image's bytes: manifest, config and layers as the registry stores them
IMGB=$(jq -r '.manifests[0].digest' "$SRC/index.json" | sed 's/^sha256://' | {
	read -r m
	jq -r '[.config.size, (.layers[].size)] | add' "$SRC/blobs/sha256/$m"
})
LAYERB=$(jq -r '.manifests[0].digest' "$SRC/index.json" | sed 's/^sha256://' | {
	read -r m
	jq -r '[.layers[].size] | add' "$SRC/blobs/sha256/$m"
})

# --- trials ------------------------------------------------------------------------
R=$TMP/r
mkdir -p "$R"
TLS=--tls-verify=false
# steps KIND IMAGE [MOUNT ARGS]: time mount, find, the two reads, unmount
# (KIND: the file prefix of the times); the cache is $XDG_CACHE_HOME as set
steps() {
	_k=$1 _i=$2
	shift 2
	drop
	"$T" "$R/$_k.mount" "$BIN" mount "$_i" "$MNT" $TLS "$@" 2>"$TMP/err" ||
		die "ocifs mount $_i failed: $(cat "$TMP/err")"
	set -- "$_k" "$_i"
	"$T" "$R/$1.find" sh -c 'find "$1" >/dev/null' sh "$MNT" || die "find over $2 failed"
	"$T" "$R/$1.small" sh -c 'cat "$1" >/dev/null' sh "$MNT/$SMALL" || die "cat $SMALL failed"
	"$T" "$R/$1.large" sh -c 'cat "$1" >/dev/null' sh "$MNT/$LARGE" || die "cat $LARGE failed"
	"$BIN" umount "$MNT" || die "ocifs umount $MNT failed"
}
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
while [ "$i" -lt "$TRIALS" ]; do
	rm -rf "$TMP/cache"
	XDG_CACHE_HOME=$TMP/cache steps cold "docker://$REG/deb:bench" --ignore-artifact
	XDG_CACHE_HOME=$TMP/cache steps warm "docker://$REG/deb:bench"
	rm -rf "$TMP/cache.a"
	XDG_CACHE_HOME=$TMP/cache.a steps art "docker://$REG/deb:bench"
	rm -rf "$TMP/pulled" "$TMP/cache.p"
	drop
	"$T" "$R/pull" skopeo copy -q --src-tls-verify=false "docker://$REG/deb:bench" "oci:$TMP/pulled:bench" ||
		die "skopeo copy from the registry failed"
	XDG_CACHE_HOME=$TMP/cache.p steps local "oci:$TMP/pulled:bench"
	i=$((i + 1))
done

# bytes: the same steps once more through the proxy, untimed
bytes() { jq -r .bytes "$TMP/proxy/stats.json"; }
counted() { # counted KIND [MOUNT ARGS]: mount, find, small, large bytes into $R/KIND.bytes
	_k=$1
	shift
	_b0=$(bytes)
	"$BIN" mount "docker://$PROXY/deb:bench" "$MNT" $TLS "$@" 2>"$TMP/err" ||
		die "ocifs mount through the proxy failed: $(cat "$TMP/err")"
	_b1=$(bytes)
	find "$MNT" >/dev/null
	_b2=$(bytes)
	cat "$MNT/$SMALL" >/dev/null
	_b3=$(bytes)
	cat "$MNT/$LARGE" >/dev/null
	_b4=$(bytes)
	"$BIN" umount "$MNT" || die "ocifs umount $MNT failed"
	echo "$((_b1 - _b0)) $((_b2 - _b1)) $((_b3 - _b2)) $((_b4 - _b3))" >"$R/$_k.bytes"
}
rm -rf "$TMP/cache.b" "$TMP/cache.ab"
XDG_CACHE_HOME=$TMP/cache.b counted cold --ignore-artifact
XDG_CACHE_HOME=$TMP/cache.b counted warm
XDG_CACHE_HOME=$TMP/cache.ab counted art

# --- table --------------------------------------------------------------------------
row() { printf '%-44s %-12s %-14s %s\n' "$1" "$2" "$3" "$4"; }
sec() { best "$R/$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }
pct() { awk -v b="$1" -v t="$IMGB" 'BEGIN { printf "%.2f %%", 100 * b / t }'; }
nth() { cut -d' ' -f"$2" "$R/$1.bytes"; }
echo
echo "registry (issue #15): $(mb "$IMGB") image (one gzip layer, $(mb "$LAYERB")) in a local docker-registry"
echo "(127.0.0.1, plain http); best of $TRIALS, page cache dropped before each step; bytes counted"
echo "through the test proxy in a separate untimed run; $(getconf _NPROCESSORS_ONLN) cores, load average before: $LOAD"
row "" "time" "from registry" "note"
row "registry, cold: ocifs mount docker://" "$(ms "$(sec cold.mount)")" "$(mb "$(nth cold 1)")" "$(pct "$(nth cold 1)") of the image (index pass)"
row "  find over the mount" "$(ms "$(sec cold.find)")" "$(mb "$(nth cold 2)")" ""
row "  read $SMALL" "$(ms "$(sec cold.small)")" "$(mb "$(nth cold 3)")" ""
row "  read $LARGE" "$(ms "$(sec cold.large)")" "$(mb "$(nth cold 4)")" ""
row "registry, warm (index cached): mount" "$(ms "$(sec warm.mount)")" "$(mb "$(nth warm 1)")" ""
row "  find over the mount" "$(ms "$(sec warm.find)")" "$(mb "$(nth warm 2)")" ""
row "  read $SMALL" "$(ms "$(sec warm.small)")" "$(mb "$(nth warm 3)")" "$(pct "$(nth warm 3)")"
row "  read $LARGE" "$(ms "$(sec warm.large)")" "$(mb "$(nth warm 4)")" "$(pct "$(nth warm 4)")"
row "pull first: skopeo copy to oci: dir" "$(ms "$(sec pull)")" "$(mb "$IMGB")" "(the whole image)"
row "  then local cold mount" "$(ms "$(sec local.mount)")" "" ""
row "  find over the mount" "$(ms "$(sec local.find)")" "" ""
row "  read $LARGE" "$(ms "$(sec local.large)")" "" ""
reg=$(awk -v a="$(sec cold.mount)" -v b="$(sec cold.find)" 'BEGIN { print a + b }')
pull=$(awk -v a="$(sec pull)" -v b="$(sec local.mount)" -v c="$(sec local.find)" 'BEGIN { print a + b + c }')
row "pull first / registry cold (mount + find)" "$(div "$pull" "$reg")x" "" "info (higher: registry faster)"
wreg=$(awk -v a="$(sec warm.mount)" -v b="$(sec warm.find)" 'BEGIN { print a + b }')
row "pull first / registry warm (mount + find)" "$(div "$pull" "$wreg")x" "" "info (index cached: the artifact's case minus fetching it)"
row "with the index artifact, cold cache: mount" "$(ms "$(sec art.mount)")" "$(mb "$(nth art 1)")" "artifact $(cut -c1-19 "$TMP/artifact")…"
row "  find over the mount" "$(ms "$(sec art.find)")" "$(mb "$(nth art 2)")" ""
row "  read $SMALL" "$(ms "$(sec art.small)")" "$(mb "$(nth art 3)")" ""
row "  read $LARGE" "$(ms "$(sec art.large)")" "$(mb "$(nth art 4)")" ""
abytes=$(($(nth art 1) + $(nth art 2) + $(nth art 3)))
apct=$(awk -v b="$abytes" -v t="$IMGB" 'BEGIN { printf "%.2f", 100 * b / t }')
row "  bytes of mount + find + one file" "" "$(mb "$abytes")" \
	"$(pct "$abytes") of the image: $(goal 15 "artifact: % of the image read" "$apct" "<" 5)"
art=$(awk -v a="$(sec art.mount)" -v b="$(sec art.find)" 'BEGIN { print a + b }')
rart=$(div "$pull" "$art")
row "pull first / artifact (mount + find)" "${rart}x" "" \
	"$(goal 15 "pull first / artifact (mount + find)" "$rart" ">=" 10)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
