#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mkscale.sh WORK: the scale image of `make bench` (issue #14, goal 7),
# built once into WORK/scale/ from the Debian image of bench/mkdebian.sh
# (WORK/layer.tar, WORK/layer.tar.gz, read only). Three gzip layers,
# together over 2 GB uncompressed:
#   1. the Debian root: the very blob of WORK/oci-gzip (a copy)
#   2. /opt/scale/big/: BIG_N large binaries of BIG_MB MiB each, made of
#      the root's /usr files over 16 KiB (mostly ELF) one after another,
#      each file starting at another one and with its lower-case letters
#      rotated by another amount: as compressible as real binaries, no
#      two alike
#   3. /opt/scale/small/: SMALL_N small text files (0..12 KB, words and
#      numbers from a fixed seed) in 50 x 40 directories
# Written (layers tar --sort=name --numeric-owner, gzip -n -6):
#   scale/oci-gzip/    OCI layout, tag "bench", the three layers
#   scale/docker.tar   docker-archive of it (skopeo copy; layers stored
#                      uncompressed, as skopeo writes them)
#   scale/tree/        the merged root unpacked (tar -x of the three
#                      layers in order; no whiteouts): the baseline
#   scale/layer*.tar.gz  hard links to the three blobs, bottom first
#   scale/files.list   "SIZE<TAB>PATH" of every regular file of tree/
#   scale/.done        stamp holding the parameters; others rebuild
# Env: OCIFS_BENCH_SCALE_BIG_N (8), OCIFS_BENCH_SCALE_BIG_MB (128),
# OCIFS_BENCH_SCALE_SMALL_N (100000). Disk: about 6 GB at the peak,
# 5.5 GB kept.
set -eu

die() {
	echo "mkscale.sh: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: mkscale.sh WORK"
WORK=$(cd "$1" && pwd) || die "no directory $1"
S=$WORK/scale
BIG_N=${OCIFS_BENCH_SCALE_BIG_N:-8}
BIG_MB=${OCIFS_BENCH_SCALE_BIG_MB:-128}
SMALL_N=${OCIFS_BENCH_SCALE_SMALL_N:-100000}
STAMP="v1 big=${BIG_N}x${BIG_MB}MiB small=$SMALL_N"
EPOCH=2021-01-01T00:00:00Z
if [ -f "$S/.done" ] && [ "$(cat "$S/.done")" = "$STAMP" ]; then
	exit 0
fi
for f in layer.tar layer.tar.gz rootfs; do
	[ -e "$WORK/$f" ] || die "$WORK/$f is missing (bench/mkdebian.sh builds it)"
done
for t in tar gzip jq sha256sum skopeo awk tr head find sort; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
echo "mkscale.sh: building the scale image in $S ($STAMP; once, a few minutes)"
rm -rf "$S"
mkdir -p "$S/tmp"
T=$S/tree
mkdir -p "$T"
tar --numeric-owner -C "$T" -xf "$WORK/layer.tar" || die "tar -x of $WORK/layer.tar failed"

# --- layer 2: large binaries --------------------------------------------------
(cd "$WORK/rootfs" && find usr -type f -size +16k | LC_ALL=C sort) >"$S/tmp/elf.list"
nelf=$(wc -l <"$S/tmp/elf.list")
[ "$nelf" -gt 100 ] || die "only $nelf files over 16 KiB under $WORK/rootfs/usr"
abc=abcdefghijklmnopqrstuvwxyz
mkdir -p "$T/opt/scale/big"
i=0
while [ "$i" -lt "$BIG_N" ]; do
	k=$((i % 25 + 1))
	rot=$(echo "$abc" | cut -c$((k + 1))-)$(echo "$abc" | cut -c1-$k)
	start=$((i * nelf / BIG_N + 1))
	out=$T/opt/scale/big/blob$i.bin
	# (head closes the pipe early: cat's SIGPIPE is expected)
	{ tail -n +"$start" "$S/tmp/elf.list"; head -n $((start - 1)) "$S/tmp/elf.list"; } |
		tr '\n' '\0' >"$S/tmp/order"
	j=0
	while [ "$j" -lt 16 ]; do
		(cd "$WORK/rootfs" && xargs -0 cat <"$S/tmp/order") || true
		j=$((j + 1))
	done 2>/dev/null | tr "$abc" "$rot" | head -c $((BIG_MB * 1048576)) >"$out" || true
	[ "$(wc -c <"$out")" -eq $((BIG_MB * 1048576)) ] || die "could not write $out"
	i=$((i + 1))
done

# --- layer 3: small files -----------------------------------------------------
mkdir -p "$T/opt/scale/small"
(cd "$T/opt/scale/small" && awk -v n="$SMALL_N" 'BEGIN {
	srand(20210101)
	split("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima " \
		"mike november oscar papa quebec romeo sierra tango uniform victor whiskey " \
		"xray yankee zulu config value path entry index layer block", w, " ")
	nw = 32
	for (d = 0; d < 50; d++) {
		for (e = 0; e < 40; e++) {
			dir = sprintf("d%02d/e%02d", d, e)
			if (system("mkdir -p " dir) != 0)
				exit 1
		}
	}
	for (f = 0; f < n; f++) {
		path = sprintf("d%02d/e%02d/f%06d.txt", f % 50, int(f / 50) % 40, f)
		size = int(rand() * 12000)
		got = 0
		while (got < size) {
			line = sprintf("%s %s %d %s=%x %s\n", w[int(rand() * nw) + 1],
				w[int(rand() * nw) + 1], f, w[int(rand() * nw) + 1],
				int(rand() * 2147483647), w[int(rand() * nw) + 1])
			printf "%s", line >path
			got += length(line)
		}
		if (size == 0)
			printf "" >path
		close(path)
	}
}') || die "generating $SMALL_N small files failed"
[ "$(find "$T/opt/scale/small" -type f | wc -l)" -eq "$SMALL_N" ] ||
	die "wrote $(find "$T/opt/scale/small" -type f | wc -l) small files, expected $SMALL_N"
find "$T/opt/scale" -exec touch -h -d "$EPOCH" {} +

# --- the layers and the layout ------------------------------------------------
# mklayer NAME DIR...: tar of DIRs (recursively; ./opt/scale itself too),
# gzipped to $S/tmp/NAME.gz; prints "DIGEST DIFFID SIZE"
mklayer() {
	n=$1
	shift
	tar --numeric-owner --sort=name -C "$T" -cf "$S/tmp/$n.tar" \
		--no-recursion ./opt/scale --recursion "$@" || die "tar of $* failed"
	diff=$(sha256sum "$S/tmp/$n.tar" | cut -d' ' -f1)
	gzip -n -6 <"$S/tmp/$n.tar" >"$S/tmp/$n.gz" || die "gzip of $n failed"
	rm -f "$S/tmp/$n.tar"
	echo "$(sha256sum "$S/tmp/$n.gz" | cut -d' ' -f1) $diff $(wc -c <"$S/tmp/$n.gz")"
}
O=$S/oci-gzip
mkdir -p "$O/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$O/oci-layout"
d1=$(sha256sum "$WORK/layer.tar.gz" | cut -d' ' -f1)
f1=$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)
cp "$WORK/layer.tar.gz" "$O/blobs/sha256/$d1"
set -- "$d1 $f1 $(wc -c <"$WORK/layer.tar.gz")"
set -- "$@" "$(mklayer big ./opt/scale/big)"
mv "$S/tmp/big.gz" "$O/blobs/sha256/$(echo "$2" | cut -d' ' -f1)"
set -- "$@" "$(mklayer small ./opt/scale/small)"
mv "$S/tmp/small.gz" "$O/blobs/sha256/$(echo "$3" | cut -d' ' -f1)"
printf '%s\n' "$@" >"$S/layers"
jq -R -s --arg t "$EPOCH" '[split("\n")[] | select(length > 0) | split(" ")] | {
	created: $t, architecture: "amd64", os: "linux",
	config: {Cmd: ["bash"]},
	rootfs: {type: "layers", diff_ids: [.[] | "sha256:" + .[1]]},
	history: [{created: $t, created_by: "debootstrap --variant=minbase"},
		{created: $t, created_by: "generated large binaries (bench/mkscale.sh)"},
		{created: $t, created_by: "generated small files (bench/mkscale.sh)"}]}' \
	"$S/layers" >"$S/tmp/config" || die "jq failed"
cd_=$(sha256sum "$S/tmp/config" | cut -d' ' -f1)
cs=$(wc -c <"$S/tmp/config")
mv "$S/tmp/config" "$O/blobs/sha256/$cd_"
jq -R -s --arg cd "sha256:$cd_" --argjson cs "$cs" '[split("\n")[] | select(length > 0) |
	split(" ")] | {schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
	layers: [.[] | {mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
		digest: ("sha256:" + .[0]), size: (.[2] | tonumber)}]}' \
	"$S/layers" >"$S/tmp/manifest" || die "jq failed"
md=$(sha256sum "$S/tmp/manifest" | cut -d' ' -f1)
ms=$(wc -c <"$S/tmp/manifest")
mv "$S/tmp/manifest" "$O/blobs/sha256/$md"
jq -cn --arg md "sha256:$md" --argjson ms "$ms" '{schemaVersion: 2,
	mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $md, size: $ms, platform: {os: "linux", architecture: "amd64"},
		annotations: {"org.opencontainers.image.ref.name": "bench"}}]}' >"$O/index.json"
i=1
for l in "$@"; do
	ln "$O/blobs/sha256/$(echo "$l" | cut -d' ' -f1)" "$S/layer$i.tar.gz"
	i=$((i + 1))
done
# skopeo checks every digest and diff_id on the way.
skopeo --insecure-policy copy -q "oci:$O:bench" "docker-archive:$S/docker.tar:ocifs/scale:latest" ||
	die "skopeo copy to docker-archive failed"
(cd "$T" && find . -type f -printf '%s\t%P\n') | LC_ALL=C sort -t "$(printf '\t')" -k2 >"$S/files.list"
rm -rf "$S/tmp"
echo "$STAMP" >"$S/.done"
echo "mkscale.sh: $S: $(du -sm "$T" | cut -f1) MB unpacked, $(grep -c . "$S/files.list") files," \
	"blobs $(cat "$S"/layer*.tar.gz | wc -c | awk '{ printf "%.0f MB", $1 / 1e6 }')"
