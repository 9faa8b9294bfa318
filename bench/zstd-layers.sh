#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Issue #14, goal 2, "layers in parallel": the Debian root of
# $OCIFS_BENCH_WORK/rootfs split into 4 layers of about equal size, each
# compressed by the zstd CLI (one frame, as most tools write it), built
# once under ./bench/work-zstd of the build directory. Measured: a cold
# `ocifs index` of that image (fresh cache every time; the index pass
# writes no shadow) against `zstd -dc | wc -c` of the 4 blobs one after
# the other, best of N, trials interleaved. Goal: >= 1.5 (2 cores).
# Beside it, the floor (bench/floor.c): the CPU the index cannot avoid
# (decode + sha256 of each blob, of its tar and of its files) over the
# cores, and the best ratio that leaves.
#
# Run alone from a build directory: sh SRCDIR/bench/zstd-layers.sh
# Env: OCIFS_BIN, OCIFS_LIB (libocifs.a beside OCIFS_BIN, else ./libocifs.a),
# OCIFS_BENCH_WORK (./bench/work), OCIFS_BENCH_TRIALS (3).
set -eu

me=bench/zstd-layers.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_TRIALS:-3}
OUT=$builddir/bench/work-zstd
NL=4
for t in zstd tar sha256sum awk find; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
[ -d "$WORK/rootfs" ] || die "$WORK/rootfs missing (run bench/run.sh once, or set OCIFS_BENCH_WORK)"
mkdir -p "$builddir/bench"
T=$builddir/bench/timeit
[ -x "$T" ] || cc -O2 -std=gnu11 -Wall -o "$T" "$top/bench/timeit.c" || die "cannot build bench/timeit"
FL=$builddir/bench/floor
LIB=${OCIFS_LIB:-$(dirname "$BIN")/libocifs.a}
[ -f "$LIB" ] || LIB=$builddir/libocifs.a
# shellcheck disable=SC2046
cc -O2 -std=gnu11 -Wall -I"$top/src" -o "$FL" "$top/bench/floor.c" "$LIB" \
	$(pkg-config --cflags --libs zlib libzstd sqlite3 json-c libcrypto) -pthread ||
	die "cannot build bench/floor"
NCPU=$(nproc 2>/dev/null || echo 1)

# --- the image (once) ---------------------------------------------------------
# blob FILE: its sha256 hex, the file copied into the layout's blobs
blob() {
	_d=$(sha256sum <"$1" | cut -d' ' -f1)
	ln -f "$1" "$OUT/img/blobs/sha256/$_d"
	echo "$_d"
}
if [ ! -f "$OUT/.done" ]; then
	rm -rf "$OUT"
	mkdir -p "$OUT/img/blobs/sha256"
	# paths in tar order, cut into NL runs of about equal bytes
	(cd "$WORK/rootfs" && find . -mindepth 1 \( -type f -printf '%s %p\n' \) -o -printf '0 %p\n') |
		sort -k2 | awk -v n="$NL" -v d="$OUT" '
			{ s[NR] = $1; p[NR] = substr($0, index($0, " ") + 1); t += $1 }
			END { k = 0; c = 0
				for (i = 1; i <= NR; i++) {
					print p[i] > (d "/list" k)
					c += s[i]
					if (c > t * (k + 1) / n && k < n - 1) k++
				} }'
	layers="" diffs=""
	k=0
	while [ "$k" -lt "$NL" ]; do
		tar -C "$WORK/rootfs" --no-recursion -cf "$OUT/l$k.tar" -T "$OUT/list$k" ||
			die "tar of part $k failed"
		u=$(sha256sum <"$OUT/l$k.tar" | cut -d' ' -f1)
		zstd -q -3 -f "$OUT/l$k.tar" -o "$OUT/l$k.tar.zst" || die "zstd of part $k failed"
		rm -f "$OUT/l$k.tar"
		d=$(blob "$OUT/l$k.tar.zst")
		s=$(wc -c <"$OUT/l$k.tar.zst" | tr -d ' ')
		layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:$d\",\"size\":$s}"
		diffs="$diffs${diffs:+,}\"sha256:$u\""
		k=$((k + 1))
	done
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]},"config":{}}' \
		"$diffs" >"$OUT/config.json"
	cd_=$(blob "$OUT/config.json")
	cs=$(wc -c <"$OUT/config.json" | tr -d ' ')
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
		"$cd_" "$cs" "$layers" >"$OUT/manifest.json"
	md=$(blob "$OUT/manifest.json")
	ms_=$(wc -c <"$OUT/manifest.json" | tr -d ' ')
	printf '{"imageLayoutVersion":"1.0.0"}' >"$OUT/img/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
		"$md" "$ms_" >"$OUT/img/index.json"
	touch "$OUT/.done"
fi
IMG=$OUT/img

# --- measure ------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-bench-zl.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
: >"$TMP/base.t"
: >"$TMP/cold.t"
i=0
while [ "$i" -lt "$TRIALS" ]; do
	"$T" "$TMP/base.t" sh -c 'for f in "$@"; do zstd -dc "$f" | wc -c; done' sh \
		"$OUT"/l*.tar.zst >"$TMP/base.out" || die "zstd -dc failed"
	rm -rf "$TMP/cache"
	XDG_CACHE_HOME=$TMP/cache "$T" "$TMP/cold.t" "$BIN" index "$IMG" >"$TMP/cold.out" 2>&1 ||
		die "ocifs index $IMG failed: $(cat "$TMP/cold.out")"
	i=$((i + 1))
done
# the CPU no index of these blobs can avoid (bench/floor.c) over the cores
"$FL" "$NCPU" "$OUT"/l*.tar.zst >"$TMP/floor.out" || die "bench/floor failed"
usize=$(awk '{ s += $1 } END { print s }' "$TMP/base.out")
shadow=0
for f in "$TMP/cache/ocifs/layers/"*shadow*; do
	[ -f "$f" ] && shadow=$((shadow + $(wc -c <"$f")))
done
bw=$(best "$TMP/base.t" 1)
bc=$(best "$TMP/base.t" 2)
cw=$(best "$TMP/cold.t" 1)
cc=$(best "$TMP/cold.t" 2)
ratio=$(div "$bw" "$cw")
row() { printf '  %-40s %-26s %-12s %s\n' "$1" "$2" "${3:-}" "${4:-}"; }
echo
echo "zstd, $NL layers (the Debian root split; $(awk -v b="$usize" 'BEGIN { printf "%.1f MB", b / 1e6 }') of tar):"
row "zstd -dc | wc -c, layer by layer" "$(div "$usize" "$(awk -v s="$bw" 'BEGIN { print s * 1e6 }')" %.1f) MB/s (cpu $(div "$bc" 1) s)"
row "cold ocifs index (best of $TRIALS)" "$(div "$usize" "$(awk -v s="$cw" 'BEGIN { print s * 1e6 }')" %.1f) MB/s (cpu $(div "$cc" 1) s)"
row "cold index / zstd -dc, $NL layers" "$ratio" ">= 1.5" \
	"$(goal 2 "cold zstd index / zstd -dc, $NL layers" "$ratio" ">=" 1.5)"
fl=$(sed -n 's/^floor_s=//p' "$TMP/floor.out")
row "  floor for $NCPU cores" "$(awk -F= '{ v[$1] = $2 } END {
	printf "%.3f s (cpu %.2f s: decode %.2f, sha256 of blob, tar and files %.2f)",
		v["floor_s"], v["cpu_s"], v["decode_s"], v["hash_s"] }' "$TMP/floor.out")" "" "info"
row "  so index / zstd -dc at best" "$(div "$bw" "$fl") ($(div "$(sed -n 's/^decode_s=//p' "$TMP/floor.out")" "$fl") if zstd -dc cost only its decoding)" "" "info"
row "  shadow bytes after indexing" "$shadow" "" "info"
