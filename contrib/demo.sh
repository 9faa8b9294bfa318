#!/bin/sh
# The main job on a small demo image the build creates: build a
# multi-layer image with real tools, mount it, list the merged tree and
# read a file through the mount, unmount; then the same without a mount;
# then an image of real binaries, mounted, its /.deps and its /.sbom.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${OCIFS_BIN:-./ocifs}
demo=${DEMO_DIR:-./demo}
if [ ! -f "$demo/docker.tar" ]; then
	echo "== building demo images in $demo"
	sh "$top/tests/gen/mkimage.sh" "$demo" >/dev/null
fi
[ -f "$demo/bins/index.json" ] || sh "$top/contrib/mkdemo-bins.sh" "$demo/bins"
mnt="$demo/mnt"
mkdir -p "$mnt"
trap 'fusermount3 -u "$mnt" 2>/dev/null || true' EXIT
set -x
"$bin" inspect "$demo/docker.tar"
"$bin" mount "$demo/docker.tar" "$mnt"
ls -lR "$mnt"
cat "$mnt/etc/hello.txt"
"$bin" umount "$mnt"
"$bin" ls -l -R "$demo/oci.tar"
"$bin" stat "$demo/oci" /etc/hello-hard.txt
"$bin" mount "$demo/bins" "$mnt"
ls "$mnt" "$mnt/.ocifs"
cat "$mnt/.ocifs/deps.txt"
head -c 1500 "$mnt/.deps"
head -c 1500 "$mnt/.sbom"
"$bin" umount "$mnt"
"$bin" deps "$demo/bins" /usr/bin/ls --json
"$bin" sbom "$demo/bins" --format table
