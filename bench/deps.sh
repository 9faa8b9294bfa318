#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The /.deps benchmarks of `make bench` (called at the end of
# bench/run.sh; also runs on its own from the build directory:
# sh SRCDIR/bench/deps.sh). On the debootstrap image of bench/mkdebian.sh,
# gzip layer and plain (docker-archive) layer:
#   cold  `ocifs deps IMAGE --json` with the layer index and the view
#         cached but no deps document: every ELF and script analyzed,
#         every library resolved (goal: <= 2 s), against the baselines of
#         the same run: `zcat layer | wc -c` (decompressing the layer once
#         is the floor for a compressed layer) and `ldd` run in a chroot
#         of the unpacked root for every dynamic ELF (what a person would
#         do without ocifs)
#   warm  a fresh mount whose deps document is cached: `cat /.deps`
#         (goal: < 50 ms), and `ocifs deps --json` from the cache
# Prints one table; PASS or MISS per goal. Exit 0 even on MISS.
#
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work),
# OCIFS_BENCH_TRIALS (3).
set -eu

me=bench/deps.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_TRIALS:-3}
T=$builddir/bench/timeit
[ -x "$T" ] || cc -O2 -o "$T" "$top/bench/timeit.c" || die "cannot build bench/timeit"
sh "$top/bench/mkdebian.sh" "$WORK" >&2 || die "building the benchmark image failed"
command -v chroot >/dev/null 2>&1 || die "chroot is not installed"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-bench-deps.XXXXXX")
M=$TMP/mnt
mkdir -p "$M"
trap 'fusermount3 -u -z "$M" 2>/dev/null || true; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

row() { printf '  %-44s %-30s %-10s %s\n' "$1" "$2" "${3:-}" "${4:-}"; }

# Baseline: ldd of every dynamic ELF of the root, in a chroot (once: slow).
ROOT=$WORK/rootfs
find "$ROOT" -xdev -type f -size +1k -print0 | xargs -0 file -N -F '	' 2>/dev/null |
	awk -F '	' '$2 ~ /ELF/ && $2 ~ /dynamically linked|shared object/ { print $1 }' |
	sed "s|^$ROOT||" >"$TMP/dyn.list"
NDYN=$(wc -l <"$TMP/dyn.list" | tr -d ' ')
: >"$TMP/ldd.t"
"$T" "$TMP/ldd.t" sh -c 'while read -r f; do chroot "$1" /usr/bin/ldd "$f" >/dev/null 2>&1; done <"$2"' \
	sh "$ROOT" "$TMP/dyn.list" || true
: >"$TMP/zcat.t"
i=0
while [ "$i" -lt "$TRIALS" ]; do
	"$T" "$TMP/zcat.t" sh -c 'zcat "$1" | wc -c >/dev/null' sh "$WORK/layer.tar.gz"
	i=$((i + 1))
done

echo
echo "/.deps: every ELF and script analyzed, libraries resolved ($NDYN dynamic ELF files in the root)"
for image in "$WORK/oci-gzip" "$WORK/docker.tar"; do
	C=$TMP/cache
	fresh_cache "$C" "$image"
	: >"$TMP/cold.t"
	: >"$TMP/warm.t"
	: >"$TMP/cat.t"
	i=0
	while [ "$i" -lt "$TRIALS" ]; do
		rm -rf "$C/ocifs/deps"
		XDG_CACHE_HOME=$C "$T" "$TMP/cold.t" sh -c '"$1" deps "$2" --json >"$3"' sh "$BIN" \
			"$image" "$TMP/deps.json" || die "ocifs deps $image failed"
		XDG_CACHE_HOME=$C "$T" "$TMP/warm.t" sh -c '"$1" deps "$2" --json >/dev/null' sh \
			"$BIN" "$image" || die "warm ocifs deps $image failed"
		XDG_CACHE_HOME=$C "$BIN" mount "$image" "$M" || die "ocifs mount $image failed"
		"$T" "$TMP/cat.t" sh -c 'cat "$1/.deps" >/dev/null' sh "$M" || die "cat /.deps failed"
		fusermount3 -u "$M"
		i=$((i + 1))
	done
	summary=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["summary"]
print("%d files: %d ELF, %d scripts, %d Go, %d unresolved" % (d["files"], d["elf"], d["scripts"], d["go"], d["unresolved"]))' \
		"$TMP/deps.json" 2>/dev/null || echo "?")
	cw=$(best "$TMP/cold.t" 1)
	case $image in *.tar) kind="plain layer (docker-archive)" ;; *) kind="gzip layer" ;; esac
	echo "$kind: $summary"
	row "cold ocifs deps --json (best of $TRIALS)" "$(ms "$cw") (cpu $(ms "$(best "$TMP/cold.t" 2)"))" \
		"<= 2 s" "$(verdict "$cw" "<=" 2)"
	row "  / zcat | wc -c" "$(div "$cw" "$(best "$TMP/zcat.t" 1)")x" "" "info"
	row "  / chroot ldd of every dynamic ELF" "$(div "$cw" "$(best "$TMP/ldd.t" 1)")x" \
		"(ldd: $(ms "$(best "$TMP/ldd.t" 1)"))" "info"
	ww=$(best "$TMP/cat.t" 1)
	row "warm cat /.deps on a fresh mount" "$(ms "$ww")" "< 50 ms" "$(verdict "$ww" "<" 0.05)"
	row "warm ocifs deps --json (cached)" "$(ms "$(best "$TMP/warm.t" 1)")" "" "info"
done
