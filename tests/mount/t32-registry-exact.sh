#!/bin/bash
# docker:// exactness (issue #15): a mount straight from a real registry
# (Debian's docker-registry, tests/lib/registry.sh) equals the local mount
# of the same image -- every path, type, mode, owner, size, mtime, link,
# xattr and the sha256 of every file (treesum.py), and the same /.deps --
# for gzip layers, zstd layers (ours, and skopeo's --dest-compress-format
# zstd), and each platform of a multi-arch index chosen with --platform.
# The registry copy keeps the digests (--preserve-digests), so the
# manifest and layer digests must agree too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"
. "$(dirname "$0")/../lib/registry.sh"

need_fuse || { done_testing; exit; }
need umoci skopeo jq python3 docker-registry || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
SUM="python3 $OCIFS_SRCDIR/tests/gen/treesum.py"
L=$(mnt_dir local)
R=$(mnt_dir remote)
registry_start || { fail "registry did not start"; done_testing; exit; }
REG="docker://$REG_HOST"
NOTLS=--tls-verify=false # a plain-http registry

# A bigger image too: a 1 MB incompressible file, many small ones, a
# hardlink, a symlink and a file the upper layer deletes.
mkdir -p "$TMP/l1/d" "$TMP/l1/etc" "$TMP/l2/etc"
head -c 1048576 /dev/urandom >"$TMP/l1/d/blob"
for i in $(seq 1 120); do echo "small $i" >"$TMP/l1/etc/f$i"; done
ln "$TMP/l1/etc/f1" "$TMP/l1/etc/hard"
ln -s ../d/blob "$TMP/l1/etc/link"
echo upper >"$TMP/l2/etc/f2"
: >"$TMP/l2/etc/.wh.f3"
tar -C "$TMP/l1" --owner=0 --group=0 -cf - d etc | gzip -1 >"$TMP/l1.tar.gz"
tar -C "$TMP/l2" --owner=0 --group=0 -cf - etc | gzip -1 >"$TMP/l2.tar.gz"
mkoci "$TMP/big" "$TMP/l1.tar.gz" "$TMP/l2.tar.gz"
jq '.manifests[0].annotations = {"org.opencontainers.image.ref.name": "t"}' \
	"$TMP/big/index.json" >"$TMP/idx" && cp "$TMP/idx" "$TMP/big/index.json"

registry_push "oci:$IMG/oci:test" app:gz &&
	registry_push "oci:$IMG/zstd-oci:test" app:zstd &&
	registry_push "oci:$TMP/big:t" app:big &&
	skopeo copy -q --all --preserve-digests --dest-tls-verify=false \
		"oci:$IMG/multi:test" "$REG/app:multi" &&
	skopeo copy -q --dest-tls-verify=false --dest-compress-format zstd \
		"oci:$IMG/oci:test" "$REG/app:skopeo-zstd" &&
	skopeo copy -q --preserve-digests --src-tls-verify=false \
		"$REG/app:skopeo-zstd" "oci:$TMP/szstd:t"
ok $? "skopeo pushed the test images (gzip, zstd, a multi-arch index, skopeo's zstd)"

# same LABEL LOCAL REMOTE [ARGS...]: both mounted (the registry one
# daemonized, so its connections live on in the forked daemon), the same
# tree, the same /.deps, the same digests.
same() {
	local label=$1 loc=$2 rem=$3
	shift 3
	if ! do_mount "$loc" "$L" "$@" 2>"$TMP/err"; then
		fail "$label: local mount"
		diag "$(cat "$TMP/err")"
		return
	fi
	if ! do_mount "$rem" "$R" $NOTLS "$@" 2>"$TMP/err"; then
		fail "$label: mount from the registry"
		diag "$(cat "$TMP/err")"
		"$B" umount "$L"
		return
	fi
	$SUM "$L" >"$TMP/want"
	$SUM "$R" >"$TMP/got"
	if diff "$TMP/want" "$TMP/got" >"$TMP/diff"; then
		pass "$label: $(wc -l <"$TMP/want") paths identical to the local mount"
	else
		fail "$label: the registry mount differs from the local one"
		diag "$(head -20 "$TMP/diff")"
	fi
	cmp -s "$L/.deps" "$R/.deps"
	ok $? "$label: the same /.deps ($(wc -c <"$L/.deps") bytes)"
	"$B" umount "$L"
	"$B" umount "$R"
	"$B" inspect --json "$loc" "$@" >"$TMP/l.json" 2>/dev/null
	"$B" inspect --json $NOTLS "$rem" "$@" >"$TMP/r.json" 2>"$TMP/err"
	digests() { jq -c '[.manifest_digest, .config_digest, [.layers[].digest]]' "$1"; }
	[ "$(digests "$TMP/l.json")" = "$(digests "$TMP/r.json")" ] &&
		[ "$(jq -r .format "$TMP/r.json")" = registry ]
	ok $? "$label: inspect: format registry, the same manifest, config and layer digests"
}

same "gzip layers" "oci:$IMG/oci:test" "$REG/app:gz"
same "zstd layers" "oci:$IMG/zstd-oci:test" "$REG/app:zstd"
same "skopeo's zstd layers" "oci:$TMP/szstd:t" "$REG/app:skopeo-zstd"
same "1 MB layer, whiteout, links" "oci:$TMP/big:t" "$REG/app:big"
same "multi-arch index, --platform linux/amd64" "oci:$IMG/multi:test" "$REG/app:multi" \
	--platform linux/amd64
same "multi-arch index, --platform linux/arm64" "oci:$IMG/multi:test" "$REG/app:multi" \
	--platform linux/arm64
# the two platforms differ (their configs), so the choice is real
"$B" inspect --json $NOTLS --platform linux/arm64 "$REG/app:multi" >"$TMP/arm.json" 2>/dev/null
"$B" inspect --json $NOTLS --platform linux/amd64 "$REG/app:multi" >"$TMP/amd.json" 2>/dev/null
ap=$(jq -r .platform "$TMP/arm.json")
[ "$(jq -r .config_digest "$TMP/arm.json")" != "$(jq -r .config_digest "$TMP/amd.json")" ] &&
	[ "${ap#linux/arm64}" != "$ap" ]
ok $? "multi: --platform chooses another manifest ($ap)"

# by digest: NAME@sha256:... names the same image, checked against it
dg=$("$B" inspect --json "oci:$IMG/oci:test" 2>/dev/null | jq -r .manifest_digest)
same "by digest (app@${dg:0:19})" "oci:$IMG/oci:test" "$REG/app@$dg"
done_testing
