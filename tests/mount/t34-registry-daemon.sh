#!/bin/bash
# docker:// and the daemon (issue #15): the registry client is opened
# before the mount forks (the layers are indexed there, so errors reach
# the user), and the forked daemon alone uses it afterwards -- its TLS
# connections and credentials included. Readers of a daemonized mount over
# TLS + auth get the source's bytes, also many at once; two mounts of the
# image serve side by side; `ocifs verify` streams every layer again and
# `ocifs index` finds them cached.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"
. "$(dirname "$0")/../lib/registry.sh"

need_fuse || { done_testing; exit; }
need skopeo jq python3 docker-registry htpasswd openssl || { done_testing; exit; }
B=$OCIFS_BIN
M=$(mnt_dir m)
M2=$(mnt_dir m2)

mkdir -p "$TMP/src/d" "$TMP/src/etc" "$TMP/up/etc"
head -c 3000000 /dev/urandom >"$TMP/src/d/blob"
head -c 500000 /dev/urandom | base64 >"$TMP/src/d/text"
for i in $(seq 1 60); do echo "small $i" >"$TMP/src/etc/f$i"; done
echo "upper" >"$TMP/up/etc/f1"
tar -C "$TMP/src" --owner=0 --group=0 -cf - d etc | gzip -1 >"$TMP/l1.tar.gz"
tar -C "$TMP/up" --owner=0 --group=0 -cf - etc | zstd -q -c >"$TMP/l2.tar.zst"
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"
jq '.manifests[0].annotations = {"org.opencontainers.image.ref.name": "t"}' \
	"$TMP/img/index.json" >"$TMP/idx" && cp "$TMP/idx" "$TMP/img/index.json"
cp "$TMP/up/etc/f1" "$TMP/src/etc/f1" # the merged tree's oracle
SIZES=$(($(stat -c %s "$TMP/l1.tar.gz") + $(stat -c %s "$TMP/l2.tar.zst")))

registry_start --tls --auth ci:s3cret || { fail "registry did not start"; done_testing; exit; }
registry_push "oci:$TMP/img:t" team/app:1.0
ok $? "skopeo pushed a gzip + zstd image to the TLS + htpasswd registry"
IMAGE="docker://$REG_HOST/team/app:1.0"
OPTS=(--cert-dir "$REG_CERT_DIR" --creds "$REG_CREDS")

# serves DIR: every file of the source, read back through the mount
serves() {
	(cd "$TMP/src" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$TMP/want"
	(cd "$1" && find . -type f ! -path './.*' -print0 | sort -z | xargs -0 sha256sum) >"$TMP/got"
	cmp -s "$TMP/want" "$TMP/got"
}

# A cold cache: the parent indexes the layers, the daemon reads.
if do_mount "$IMAGE" "$M" "${OPTS[@]}" 2>"$TMP/err"; then
	pass "mount (daemonized) over TLS + auth, cold cache"
	serves "$M"
	ok $? "the daemon reads every file through the connections it inherited"
	# many readers at once: the client is shared by the daemon's threads
	pids=""
	for i in 1 2 3 4 5 6; do
		(cat "$M/d/blob" "$M/d/text" "$M/etc/f$i" | sha256sum >"$TMP/par.$i") &
		pids="$pids $!"
	done
	wait $pids # not the registry, a child too
	want=$(cat "$TMP/src/d/blob" "$TMP/src/d/text" "$TMP/src/etc/f1" | sha256sum)
	[ "$(cat "$TMP/par.1")" = "$want" ] && [ "$(sort -u "$TMP"/par.* | wc -l)" = 6 ]
	ok $? "six readers at once get the source's bytes"
	# a second mount of the same image, side by side (warm)
	if do_mount "$IMAGE" "$M2" "${OPTS[@]}" 2>"$TMP/err2"; then
		serves "$M2"
		ok $? "a second mount serves beside the first"
		"$B" umount "$M2"
	else
		fail "a second mount"
		diag "$(cat "$TMP/err2")"
	fi
	"$B" umount "$M"
	! is_mounted "$M"
	ok $? "umount"
else
	fail "mount (daemonized) over TLS + auth"
	diag "$(cat "$TMP/err")"
fi

# index: both layers cached now; verify: every layer streamed and hashed again
"$B" index "$IMAGE" "${OPTS[@]}" >"$TMP/index.out" 2>"$TMP/err"
[ $? = 0 ] && [ "$(grep -c ', cached' "$TMP/index.out")" = 2 ]
ok $? "index: both layers found cached ($(tr '\n' ' ' <"$TMP/index.out"))"
"$B" verify -v "$IMAGE" "${OPTS[@]}" >"$TMP/verify.out" 2>"$TMP/verify.err"
rc=$?
got=$(sed -n 's/.* \([0-9][0-9]*\) bytes received$/\1/p' "$TMP/verify.err" | tail -1)
[ $rc = 0 ] && [ -n "$got" ] && [ "$got" -ge "$SIZES" ] && grep -q "2 layers verified" "$TMP/verify.out"
ok $? "verify: every layer read again and hashed ($got bytes in for $SIZES bytes of layers)"
done_testing
