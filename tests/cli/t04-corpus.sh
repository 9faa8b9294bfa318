#!/bin/bash
# Images and tars written by other projects (../shared/corpus): each one
# is indexed, or refused with one line and status 1/3 — never a crash or
# a hang. Known-good images are checked for what they contain.
. "$(dirname "$0")/../lib.sh"

if [ ! -d "$OCIFS_CORPUS/images" ]; then
	skip "corpus not found at $OCIFS_CORPUS"
	done_testing
	exit
fi
B=$OCIFS_BIN
C=$OCIFS_CORPUS/images

# run_one PATH: index it; print "ok" or "error: <message>"
for img in "$C"/*/*.tar "$C"/*/*/; do
	img=${img%/}
	name=${img#"$C/"}
	timeout 60 "$B" index "$img" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(grep -c . "$TMP/err")
	if [ $rc -eq 0 ]; then
		pass "$name: indexed"
	elif { [ $rc -eq 1 ] || [ $rc -eq 3 ]; } && [ "$lines" -ge 1 ]; then
		pass "$name: refused: $(head -1 "$TMP/err")"
	else
		fail "$name: exit $rc"
		diag "$(head -3 "$TMP/err")"
	fi
done

# Expectations from the corpus MANIFEST.
expect_ok() { # IMAGE LAYERS
	local what="$2 layers"
	[ "$2" = 1 ] && what="1 layer"
	"$B" index "$C/$1" >"$TMP/out" 2>"$TMP/err" && grep -q ": $what indexed\$" "$TMP/out"
	ok $? "$1: $what indexed"
}
expect_ok dive/test-docker-image.tar 14
expect_ok dive/test-kaniko-image.tar 14
expect_ok dive/test-oci-zstd-image.tar 1
expect_ok dive/test-oci-gzip-image.tar 1
expect_ok trivy/docker-archive_alpine-310.tar 1
expect_ok ggcr/mutate_whiteout_dir.tar 4
expect_ok stereoscope/oci-layout_multiplatform_oci_dir 1

"$B" cat --layer 1 "$C/trivy/docker-archive_alpine-310.tar" etc/alpine-release | grep -q '^3\.10'
ok $? "alpine 3.10: etc/alpine-release read through the index"
"$B" ls -l --layer 1 "$C/trivy/docker-archive_alpine-310.tar" /bin | grep -q 'ls -> /bin/busybox'
ok $? "alpine 3.10: busybox symlink farm listed"
"$B" ls --layer 2 "$C/regclient/layer-wh.tar" >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "a plain layer tar is refused as an image"

for t in dive/test-estargz-image.tar dive/test-gzip-image.tar; do
	expect_fail 1 'not a container image' "$t: placeholder refused" -- "$B" inspect "$C/$t"
done
expect_fail 1 'index.json' "trivy bad index.json refused, naming it" -- \
	"$B" inspect "$C/trivy/oci-layout_test_bad_index_json"
expect_fail 1 'index.json' "stereoscope empty index.json refused" -- \
	"$B" inspect "$C/stereoscope/oci-layout_invalid_file"
expect_fail 1 'missing|No such file|not found' "missing blob refused" -- \
	"$B" index "$C/trivy/oci-layout_test_invalid_oci_image"
done_testing
