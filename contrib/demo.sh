#!/bin/sh
# The main job on a small demo image the build creates: build a
# multi-layer image with real tools, then inspect it, index it (verified),
# list a layer and read a file back through the index.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${OCIFS_BIN:-./ocifs}
demo=${DEMO_DIR:-./demo}
if [ ! -f "$demo/docker.tar" ]; then
	echo "== building demo images in $demo"
	sh "$top/tests/gen/mkimage.sh" "$demo" >/dev/null
fi
set -x
"$bin" inspect "$demo/docker.tar"
"$bin" index "$demo/oci.tar"
"$bin" ls -l --layer 1 "$demo/oci.tar" /
"$bin" inspect --json "$demo/oci"
