#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mkdebian.sh OUTDIR: the benchmark image, a real Debian 12 root made by
# `debootstrap --variant=minbase` plus a compiler and python3 (so the
# uncompressed root is well over 200 MB and full of ELF files), packed as
# one tar layer with real tools, into OUTDIR:
#   rootfs/          the debootstrap root itself (kept: the merged-view and
#                    mount benchmarks compare against it)
#   layer.tar        the layer, uncompressed (tar --numeric-owner)
#   oci-gzip/        OCI layout, tag "bench", the layer gzip-compressed
#   oci-zstd/        OCI layout, tag "bench", the layer zstd-compressed
#   docker.tar       docker-archive of oci-gzip (skopeo copy),
#                    tagged ocifs/bench:latest
#   layer.tar.gz     the gzip blob (hard link into oci-gzip/blobs)
#   layer.tar.zst    the zstd blob (hard link into oci-zstd/blobs)
#   include          the packages added with --include
#   rootfs.done      stamp: rootfs/ is complete
#   .done            stamp: when present, nothing is rebuilt
# Needs root (debootstrap) and network access to the Debian mirror, or an
# existing rootfs/. Env: MIRROR (default http://deb.debian.org/debian),
# SUITE (bookworm), INCLUDE (extra packages, comma-separated).
set -eu

die() {
	echo "mkdebian.sh: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: mkdebian.sh OUTDIR"
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ -f "$OUT/.done" ]; then
	echo "mkdebian.sh: images already in $OUT (remove $OUT/.done to rebuild)"
	exit 0
fi

MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=${SUITE:-bookworm}
INCLUDE=${INCLUDE:-python3,gcc,libc6-dev}
MIN_BYTES=$((200 * 1000 * 1000))
EPOCH=2021-01-01T00:00:00Z
SKOPEO="skopeo --insecure-policy"

if ! command -v debootstrap >/dev/null 2>&1 && [ ! -f "$OUT/rootfs.done" ]; then
	[ "$(id -u)" -eq 0 ] || die "debootstrap is not installed (and not root to install it)"
	echo "mkdebian.sh: installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q debootstrap >/dev/null; } ||
		die "cannot install debootstrap"
fi
for t in tar gzip zstd jq sha256sum skopeo du; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done

# --- the root ---------------------------------------------------------------
R="$OUT/rootfs"
if [ ! -f "$OUT/rootfs.done" ]; then
	[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
	rm -rf "$R" "$R.tmp"
	echo "mkdebian.sh: debootstrap --variant=minbase --include=$INCLUDE $SUITE (a few minutes)"
	debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$R.tmp" "$MIRROR" \
		>"$OUT/debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $OUT/debootstrap.log"
	# What a container image build would drop: the downloaded .debs and
	# apt lists are not part of an image's root.
	rm -rf "$R.tmp/var/cache/apt/archives/"*.deb "$R.tmp/var/lib/apt/lists/"* \
		"$R.tmp/debootstrap"
	mv "$R.tmp" "$R"
	echo "$INCLUDE" >"$OUT/include"
	: >"$OUT/rootfs.done"
fi
bytes=$(du -sb "$R" | cut -f1)
[ "$bytes" -ge "$MIN_BYTES" ] ||
	die "root is only $bytes bytes (< $MIN_BYTES): add packages with INCLUDE=..."
echo "mkdebian.sh: root $R: $((bytes / 1000000)) MB (du -sb)"

# --- the layer --------------------------------------------------------------
W=$(mktemp -d "$OUT/.work.XXXXXX")
trap 'rm -rf "$W"' EXIT
rm -rf "$OUT/oci-gzip" "$OUT/oci-zstd" "$OUT/docker.tar" "$OUT/layer.tar" \
	"$OUT/layer.tar.gz" "$OUT/layer.tar.zst"
# GNU tar in its default format (ustar headers, GNU 'L'/'K' long names),
# sorted and with numeric ids, so reruns over the same root give the same
# bytes. (A debootstrap root has no xattrs; --xattrs would switch to POSIX
# format with atime/ctime PAX records on every member.)
tar --numeric-owner --sort=name -C "$R" -cf "$OUT/layer.tar" .
echo "mkdebian.sh: layer.tar $(($(wc -c <"$OUT/layer.tar") / 1000000)) MB; compressing"
gzip -n -6 -c "$OUT/layer.tar" >"$W/layer.gz"
zstd -q -3 -T0 -c "$OUT/layer.tar" >"$W/layer.zst"
diff_id="sha256:$(sha256sum "$OUT/layer.tar" | cut -d' ' -f1)"

size() { wc -c <"$1" | tr -d ' '; }
# blob FILE DIR: move/copy FILE into layout DIR, print its digest.
blob() {
	h=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$2/blobs/sha256/$h"
	echo "sha256:$h"
}
# layout DIR LAYERFILE MEDIATYPE: a one-layer OCI layout, tag "bench".
layout() {
	d=$1
	mkdir -p "$d/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	ld=$(blob "$2" "$d")
	ls_=$(size "$2")
	jq -cn --arg diff "$diff_id" --arg t "$EPOCH" '{
		created: $t, architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
			Cmd: ["bash"]},
		rootfs: {type: "layers", diff_ids: [$diff]},
		history: [{created: $t, created_by: "debootstrap --variant=minbase"}]}' \
		>"$W/config"
	cd_=$(blob "$W/config" "$d")
	cs=$(size "$W/config")
	jq -cn --arg cd "$cd_" --argjson cs "$cs" --arg ld "$ld" --argjson ls "$ls_" \
		--arg mt "$3" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json",
			digest: $cd, size: $cs},
		layers: [{mediaType: $mt, digest: $ld, size: $ls}]}' >"$W/manifest"
	md=$(blob "$W/manifest" "$d")
	ms=$(size "$W/manifest")
	jq -cn --arg md "$md" --argjson ms "$ms" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $md, size: $ms,
			platform: {os: "linux", architecture: "amd64"},
			annotations: {"org.opencontainers.image.ref.name": "bench"}}]}' \
		>"$d/index.json"
	echo "$ld"
}
gz=$(layout "$OUT/oci-gzip" "$W/layer.gz" application/vnd.oci.image.layer.v1.tar+gzip)
zs=$(layout "$OUT/oci-zstd" "$W/layer.zst" application/vnd.oci.image.layer.v1.tar+zstd)
ln "$OUT/oci-gzip/blobs/sha256/${gz#sha256:}" "$OUT/layer.tar.gz"
ln "$OUT/oci-zstd/blobs/sha256/${zs#sha256:}" "$OUT/layer.tar.zst"
# skopeo checks our digests and diff_ids on the way.
$SKOPEO copy -q "oci:$OUT/oci-gzip:bench" \
	"docker-archive:$OUT/docker.tar:ocifs/bench:latest" ||
	die "skopeo copy to docker-archive failed"
: >"$OUT/.done"
echo "mkdebian.sh: images in $OUT (gzip $(($(size "$OUT/layer.tar.gz") / 1000000)) MB," \
	"zstd $(($(size "$OUT/layer.tar.zst") / 1000000)) MB)"
