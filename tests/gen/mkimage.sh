#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mkimage.sh OUTDIR: build the small test images other tests use, with the
# real tools (umoci, skopeo, tar, gzip, zstd, jq), into OUTDIR:
#   oci/          OCI layout, tag "test", 2 layers made by `umoci repack`:
#                 layer 1 has files, a symlink, a hardlink, an executable and
#                 nested dirs; layer 2 deletes a file, replaces a dir with a
#                 file and a file with a dir, and adds new files
#   oci.tar       the same as an oci-archive
#   docker.tar    the same as a docker-archive, tagged ocifs/test:latest
#   docker.tar.gz docker.tar gzip-compressed
#   zstd-oci/     OCI layout whose layers are zstd-compressed
#   multi/        OCI layout whose index.json points at an image index with
#                 linux/amd64 and linux/arm64 manifests (same layers,
#                 different configs)
# All mtimes and timestamps are pinned, so reruns give the same layer
# digests. Fails loudly (non-zero exit, message on stderr) when a tool is
# missing or a step fails.
set -eu

die() {
	echo "mkimage.sh: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: mkimage.sh OUTDIR"
for t in umoci skopeo tar gzip zstd jq sha256sum; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done

OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "$OUT/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT/oci" "$OUT/oci.tar" "$OUT/docker.tar" "$OUT/docker.tar.gz" \
	"$OUT/zstd-oci" "$OUT/multi"

EPOCH=2021-01-01T00:00:00Z
ROOTLESS=
[ "$(id -u)" -eq 0 ] || ROOTLESS=--rootless
SKOPEO="skopeo --insecure-policy"
export SOURCE_DATE_EPOCH=1609459200

# Pin every mtime in the bundle so the repacked layers are reproducible.
pin_mtimes() {
	find "$1" -exec touch -h -d "$EPOCH" {} +
}

# --- oci/: two real layers from umoci ---------------------------------
umoci init --layout "$OUT/oci"
umoci new --image "$OUT/oci:test"
umoci config --image "$OUT/oci:test" --created "$EPOCH" \
	--os linux --architecture amd64 \
	--config.env PATH=/usr/local/bin:/usr/bin:/bin \
	--config.env OCIFS_TEST=1 \
	--config.entrypoint /bin/hello --config.cmd --world \
	--config.workingdir /srv --config.user 1000:1000 \
	--history.created "$EPOCH" --history.comment config
umoci unpack $ROOTLESS --image "$OUT/oci:test" "$WORK/bundle"
R="$WORK/bundle/rootfs"
mkdir -p "$R/etc" "$R/bin" "$R/srv/a/b/c" "$R/replace-me" "$R/usr/share/doc"
printf 'hello from layer 1\n' >"$R/etc/hello.txt"
printf '#!/bin/sh\necho hello\n' >"$R/bin/hello"
chmod 0755 "$R/bin/hello"
printf 'deep\n' >"$R/srv/a/b/c/deep.txt"
ln -s ../etc/hello.txt "$R/srv/hello-link"
ln "$R/etc/hello.txt" "$R/etc/hello-hard.txt"
printf 'to be deleted\n' >"$R/etc/delete-me.txt"
printf 'inside a dir that becomes a file\n' >"$R/replace-me/inner.txt"
printf 'file that becomes a dir\n' >"$R/usr/share/doc/becomes-dir"
pin_mtimes "$R"
# --refresh-bundle: the next repack diffs against layer 1, not the empty base
umoci repack --image "$OUT/oci:test" --history.created "$EPOCH" \
	--history.comment layer1 --refresh-bundle "$WORK/bundle"

rm "$R/etc/delete-me.txt"
rm -rf "$R/replace-me"
printf 'now a file\n' >"$R/replace-me"
rm "$R/usr/share/doc/becomes-dir"
mkdir "$R/usr/share/doc/becomes-dir"
printf 'child\n' >"$R/usr/share/doc/becomes-dir/child.txt"
printf 'hello from layer 2\n' >"$R/etc/hello.txt" # both names of the hardlink
printf 'new in layer 2\n' >"$R/srv/a/new.txt"
pin_mtimes "$R"
umoci repack --image "$OUT/oci:test" --history.created "$EPOCH" \
	--history.comment layer2 "$WORK/bundle"
umoci gc --layout "$OUT/oci"

# --- archives -------------------------------------------------------------
$SKOPEO copy -q "oci:$OUT/oci:test" "oci-archive:$OUT/oci.tar:test"
$SKOPEO copy -q "oci:$OUT/oci:test" "docker-archive:$OUT/docker.tar:ocifs/test:latest"
gzip -n -c "$OUT/docker.tar" >"$OUT/docker.tar.gz"

# --- zstd-oci/ --------------------------------------------------------------
# blob FILE DIR: store FILE as a blob of layout DIR, print its digest.
blob() {
	h=$(sha256sum "$1" | cut -d' ' -f1)
	mkdir -p "$2/blobs/sha256"
	cp "$1" "$2/blobs/sha256/$h"
	echo "sha256:$h"
}
size() { wc -c <"$1" | tr -d ' '; }
layout() {
	mkdir -p "$1/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
}

if $SKOPEO copy -q --dest-compress-format zstd "oci:$OUT/oci:test" \
	"oci:$OUT/zstd-oci:test" 2>"$WORK/skopeo.err" &&
	[ "$(jq -r '.manifests[0].digest' "$OUT/zstd-oci/index.json" |
		sed 's,sha256:,,' | xargs -I{} jq -r '[.layers[].mediaType | endswith("zstd")] | all' \
		"$OUT/zstd-oci/blobs/sha256/{}")" = true ]; then
	:
else
	# This skopeo cannot write zstd: recompress the layers by hand.
	rm -rf "$OUT/zstd-oci"
	layout "$OUT/zstd-oci"
	Z="$OUT/zstd-oci"
	src="$OUT/oci/blobs/sha256"
	m=$(jq -r '.manifests[0].digest' "$OUT/oci/index.json" | sed 's,sha256:,,')
	cp "$src/$m" "$WORK/manifest.json"
	cfg=$(jq -r '.config.digest' "$WORK/manifest.json" | sed 's,sha256:,,')
	blob "$src/$cfg" "$Z" >/dev/null
	n=$(jq '.layers | length' "$WORK/manifest.json")
	i=0
	while [ "$i" -lt "$n" ]; do
		l=$(jq -r ".layers[$i].digest" "$WORK/manifest.json" | sed 's,sha256:,,')
		gzip -dc "$src/$l" | zstd -q -19 -c >"$WORK/layer.zst"
		d=$(blob "$WORK/layer.zst" "$Z")
		s=$(size "$WORK/layer.zst")
		jq --argjson i "$i" --arg d "$d" --argjson s "$s" \
			'.layers[$i].digest = $d | .layers[$i].size = $s |
			 .layers[$i].mediaType = "application/vnd.oci.image.layer.v1.tar+zstd"' \
			"$WORK/manifest.json" >"$WORK/m2" && mv "$WORK/m2" "$WORK/manifest.json"
		i=$((i + 1))
	done
	jq -c . "$WORK/manifest.json" >"$WORK/m2"
	d=$(blob "$WORK/m2" "$Z")
	s=$(size "$WORK/m2")
	jq -cn --arg d "$d" --argjson s "$s" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $d, size: $s,
			annotations: {"org.opencontainers.image.ref.name": "test"}}]}' \
		>"$Z/index.json"
fi

# --- multi/: a nested image index with two platforms ------------------------
M="$OUT/multi"
layout "$M"
src="$OUT/oci/blobs/sha256"
m=$(jq -r '.manifests[0].digest' "$OUT/oci/index.json" | sed 's,sha256:,,')
cfg=$(jq -r '.config.digest' "$src/$m" | sed 's,sha256:,,')
for l in $(jq -r '.layers[].digest' "$src/$m" | sed 's,sha256:,,'); do
	cp "$src/$l" "$M/blobs/sha256/$l"
done
entries=
for arch in amd64 arm64; do
	jq -c --arg a "$arch" '.architecture = $a |
		(if $a == "arm64" then .variant = "v8" else . end) |
		.config.Env += ["OCIFS_ARCH=" + $a]' "$src/$cfg" >"$WORK/cfg-$arch"
	cd_=$(blob "$WORK/cfg-$arch" "$M")
	cs=$(size "$WORK/cfg-$arch")
	jq -c --arg d "$cd_" --argjson s "$cs" '.config.digest = $d | .config.size = $s' \
		"$src/$m" >"$WORK/man-$arch"
	md=$(blob "$WORK/man-$arch" "$M")
	ms=$(size "$WORK/man-$arch")
	variant=
	[ "$arch" = arm64 ] && variant=v8
	e=$(jq -cn --arg d "$md" --argjson s "$ms" --arg a "$arch" --arg v "$variant" \
		'{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d,
		  size: $s, platform: ({os: "linux", architecture: $a} +
		  (if $v != "" then {variant: $v} else {} end))}')
	entries="${entries:+$entries,}$e"
done
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' \
	"$entries" >"$WORK/index"
d=$(blob "$WORK/index" "$M")
s=$(size "$WORK/index")
jq -cn --arg d "$d" --argjson s "$s" '{schemaVersion: 2,
	mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [{mediaType: "application/vnd.oci.image.index.v1+json",
		digest: $d, size: $s,
		annotations: {"org.opencontainers.image.ref.name": "test"}}]}' \
	>"$M/index.json"

echo "mkimage.sh: images in $OUT"
