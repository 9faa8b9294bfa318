#!/bin/bash
# docker:// through TLS and htpasswd auth (issue #15), as skopeo takes
# them: the test CA with --cert-dir, --tls-verify=false, credentials from
# --creds, --authfile and $REGISTRY_AUTH_FILE; what is refused (an unknown
# CA, no or wrong credentials, a tag the registry does not have) is one
# line naming the registry and the reference, exit 1, nothing mounted.
# And the warm path: the second mount of an image trusts the indexes the
# first one built (the layer's identity is its digest) and downloads no
# layer again: the client's counters (`-v`) say how many bytes came in.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"
. "$(dirname "$0")/../lib/registry.sh"

need_fuse || { done_testing; exit; }
need skopeo jq python3 docker-registry htpasswd openssl || { done_testing; exit; }
B=$OCIFS_BIN
SUM="python3 $OCIFS_SRCDIR/tests/gen/treesum.py"
M=$(mnt_dir m)
L=$(mnt_dir local)

# Small files first, then 8 MB that do not compress: the layer's index has
# a checkpoint every 4 MiB (zio.h), so a small file costs a short Range
# read from the first one, never the layer.
mkdir -p "$TMP/l1/d" "$TMP/l1/etc"
head -c 8388608 /dev/urandom >"$TMP/l1/d/blob"
for i in $(seq 1 50); do echo "small $i" >"$TMP/l1/etc/f$i"; done
tar -C "$TMP/l1" --owner=0 --group=0 -cf - etc d | gzip -1 >"$TMP/l1.tar.gz"
mkoci "$TMP/img" "$TMP/l1.tar.gz"
jq '.manifests[0].annotations = {"org.opencontainers.image.ref.name": "t"}' \
	"$TMP/img/index.json" >"$TMP/idx" && cp "$TMP/idx" "$TMP/img/index.json"
LAYER=$(stat -c %s "$TMP/l1.tar.gz")

registry_start --tls --auth ci:s3cret || { fail "registry did not start"; done_testing; exit; }
registry_push "oci:$TMP/img:t" app:1
ok $? "skopeo pushed the image to the TLS + htpasswd registry"
IMAGE="docker://$REG_HOST/app:1"
TLS=(--cert-dir "$REG_CERT_DIR")

do_mount "oci:$TMP/img:t" "$L" || fail "local mount"
$SUM "$L" >"$TMP/want"

# mounted LABEL [ARGS...]: IMAGE mounts with ARGS and serves the local tree
mounted() {
	local label=$1
	shift
	if ! do_mount "$IMAGE" "$M" "$@" 2>"$TMP/err"; then
		fail "$label: mount"
		diag "$(cat "$TMP/err")"
		return
	fi
	$SUM "$M" >"$TMP/got"
	"$B" umount "$M"
	cmp -s "$TMP/want" "$TMP/got"
	ok $? "$label: mounted, the same tree as the local mount"
}

# --- the warm path first, while the cache is empty -------------------------
# bytes N: what the client's -v line at the end of a session says came in
bytes() { sed -n 's/.* \([0-9][0-9]*\) bytes received$/\1/p' "$1" | tail -1; }
if fg_mount "$IMAGE" "$M" -v "${TLS[@]}" --creds "$REG_CREDS"; then
	cmp -s "$TMP/l1/etc/f7" "$M/etc/f7"
	ok $? "cold mount (foreground): a file reads back"
	"$B" umount "$M"
	fg_wait
	cold=$(bytes "$TMP/fg.err")
	[ -n "$cold" ] && [ "$cold" -ge "$LAYER" ]
	ok $? "cold mount: the layer came in once, to be indexed ($cold bytes for a $LAYER-byte layer)"
	cp "$TMP/fg.err" "$TMP/cold.err"
else
	fail "cold mount (foreground)"
	diag "$(cat "$TMP/fg.err")"
fi
if fg_mount "$IMAGE" "$M" -v "${TLS[@]}" --creds "$REG_CREDS"; then
	[ "$(ls -l "$M/etc" | grep -c 'small\|f[0-9]')" = 50 ]
	ok $? "warm mount: the tree is there"
	"$B" umount "$M"
	fg_wait
	meta=$(bytes "$TMP/fg.err")
	[ -n "$meta" ] && [ "$meta" -lt 65536 ]
	ok $? "warm mount, metadata only: the cached index is trusted, no layer bytes ($meta bytes in)"
else
	fail "warm mount (foreground)"
	diag "$(cat "$TMP/fg.err")"
fi
if fg_mount "$IMAGE" "$M" -v "${TLS[@]}" --creds "$REG_CREDS"; then
	cmp -s "$TMP/l1/etc/f9" "$M/etc/f9"
	ok $? "warm mount: a small file reads back"
	"$B" umount "$M"
	fg_wait
	warm=$(bytes "$TMP/fg.err")
	[ -n "$warm" ] && [ "$warm" -lt $((LAYER / 4)) ]
	ok $? "warm mount, one small file: a short Range read, not the layer ($warm bytes in of $LAYER)"
	! grep -q "re-verified\|build index" "$TMP/fg.err"
	ok $? "warm mount: nothing re-hashed or re-indexed"
else
	fail "warm mount (foreground)"
	diag "$(cat "$TMP/fg.err")"
fi

# --- what is accepted --------------------------------------------------------
mounted "--cert-dir + --creds" "${TLS[@]}" --creds "$REG_CREDS"
mounted "--tls-verify=false + --creds" --tls-verify=false --creds "$REG_CREDS"
mounted "--tls-verify false (separate word)" --tls-verify false --creds "$REG_CREDS"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG_HOST" "$(printf %s "$REG_CREDS" | base64)" \
	>"$TMP/auth.json"
mounted "--authfile" "${TLS[@]}" --authfile "$TMP/auth.json"
REGISTRY_AUTH_FILE=$TMP/auth.json mounted "\$REGISTRY_AUTH_FILE" "${TLS[@]}"
# the global options may come before the command, as --platform
"$B" --cert-dir "$REG_CERT_DIR" --creds "$REG_CREDS" ls "$IMAGE" /etc >"$TMP/ls" 2>"$TMP/err"
[ "$(wc -l <"$TMP/ls")" = 50 ]
ok $? "registry options before the command ($(head -c 200 "$TMP/err"))"

# --- what is refused: one line, exit 1, nothing mounted ----------------------
# refused LABEL PATTERN [ARGS...]
refused() {
	local label=$1 pat=$2
	shift 2
	"$B" mount "$@" "$M" 2>"$TMP/err"
	local rc=$?
	if [ $rc = 1 ] && [ "$(grep -c . "$TMP/err")" = 1 ] && grep -Eq -- "$pat" "$TMP/err" &&
		! is_mounted "$M"; then
		pass "$label: $(cat "$TMP/err")"
	else
		fail "$label"
		diag "exit $rc; stderr: $(cat "$TMP/err")"
		force_umount "$M"
	fi
}
refused "an unknown CA" "^ocifs: registry $REG_HOST/app: manifest 1: TLS: .*--cert-dir" \
	"$IMAGE" --creds "$REG_CREDS"
refused "no credentials" "^ocifs: registry $REG_HOST/app: .*401" "$IMAGE" "${TLS[@]}"
refused "a wrong password" "^ocifs: registry $REG_HOST/app: .*401 unauthorized: wrong user name or password" \
	"$IMAGE" "${TLS[@]}" --creds ci:wrong
refused "a tag the registry does not have" "^ocifs: registry $REG_HOST/app: manifest nosuch: not found" \
	"docker://$REG_HOST/app:nosuch" "${TLS[@]}" --creds "$REG_CREDS"
refused "a repository the registry does not have" "^ocifs: registry $REG_HOST/nosuch: manifest 1: " \
	"docker://$REG_HOST/nosuch:1" "${TLS[@]}" --creds "$REG_CREDS"
expect_fail 2 "^ocifs: --tls-verify: \"maybe\" is not true or false$" "--tls-verify=maybe: a usage error" -- \
	"$B" mount --tls-verify=maybe "$IMAGE" "$M"
expect_fail 2 "^ocifs: --creds: empty" "--creds '': a usage error" -- "$B" mount --creds "" "$IMAGE" "$M"
"$B" umount "$L"
done_testing
