#!/bin/bash
# Exactness: the mounted tree equals `umoci unpack` of the same image —
# every path, type, mode, uid/gid, size, mtime, symlink text, hardlink
# grouping, xattr and byte — for the umoci-built test image in every
# container format and compression, for each platform of a multi-platform
# index, and for hand-written layers exercising each whiteout rule.
. "$(dirname "$0")/../lib.sh"

need umoci skopeo jq python3 fusermount3 || { done_testing; exit; }
[ -e /dev/fuse ] || { skip "no /dev/fuse"; done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
SUM="python3 $OCIFS_SRCDIR/tests/gen/treesum.py"
MNT=$TMP/mnt
mkdir -p "$MNT"
at_exit 'fusermount3 -u "$MNT" 2>/dev/null'

# unpack LAYOUT TAG DEST [umoci args]: reference tree
unpack() {
	rm -rf "$3"
	umoci unpack --image "$1:$2" "$3" >"$TMP/umoci.log" 2>&1
}

# same LABEL REFROOT IMAGE [treesum/mount args...]
same() {
	local label=$1 ref=$2 img=$3
	shift 3
	local sumargs=() margs=()
	for a in "$@"; do
		case $a in --no-dir-mtime) sumargs+=("$a") ;; *) margs+=("$a") ;; esac
	done
	if ! "$B" mount "${margs[@]}" "$img" "$MNT" 2>"$TMP/err"; then
		fail "$label: mount"
		diag "$(cat "$TMP/err")"
		return
	fi
	$SUM "${sumargs[@]}" "$ref" >"$TMP/want"
	$SUM "${sumargs[@]}" "$MNT" >"$TMP/got"
	"$B" umount "$MNT" 2>/dev/null || fusermount3 -u "$MNT"
	if diff "$TMP/want" "$TMP/got" >"$TMP/diff"; then
		pass "$label: $(wc -l <"$TMP/want") paths identical to umoci unpack"
	else
		fail "$label: differs from umoci unpack"
		diag "$(head -20 "$TMP/diff")"
	fi
}

unpack "$IMG/oci" test "$TMP/ref"
for v in oci oci.tar docker.tar docker.tar.gz zstd-oci; do
	same "$v" "$TMP/ref/rootfs" "$IMG/$v"
done
same "multi (host default)" "$TMP/ref/rootfs" "$IMG/multi"
same "multi --platform linux/arm64" "$TMP/ref/rootfs" "$IMG/multi" --platform linux/arm64

# Hand-written layers, one image per rule.
python3 "$OCIFS_SRCDIR/tests/gen/mklayers.py" "$TMP/layers" >"$TMP/cases"
while read -r c; do
	mkoci "$TMP/img-$c" "$TMP/layers/$c"/L*.tar
	jq '.manifests[0].annotations = {"org.opencontainers.image.ref.name": "t"}' \
		"$TMP/img-$c/index.json" >"$TMP/idx" && cp "$TMP/idx" "$TMP/img-$c/index.json"
	if ! unpack "$TMP/img-$c" t "$TMP/ref-$c"; then
		fail "$c: umoci unpack failed"
		diag "$(tail -3 "$TMP/umoci.log")"
		continue
	fi
	extra=()
	[ "$c" = replace ] && extra=(--no-dir-mtime) # implicit parents
	same "rule: $c" "$TMP/ref-$c/rootfs" "$TMP/img-$c" "${extra[@]}"
	# the same layers gzip- and zstd-compressed give the same tree
	if [ "$c" = whiteouts ] || [ "$c" = hardlinks ]; then
		for z in gzip zstd; do
			rm -rf "$TMP/z" && mkdir "$TMP/z"
			for l in "$TMP/layers/$c"/L*.tar; do $z -c "$l" >"$TMP/z/$(basename "$l").$z"; done
			mkoci "$TMP/img-$c-$z" "$TMP/z"/*
			same "rule: $c ($z layers)" "$TMP/ref-$c/rootfs" "$TMP/img-$c-$z"
		done
	fi
done <"$TMP/cases"

done_testing
