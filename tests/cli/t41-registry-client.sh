#!/bin/bash
# The registry client (src/registry*.c) against real registries: Debian's
# docker-registry started on 127.0.0.1 by tests/lib/registry.sh, one with
# TLS (a CA made here), one plain-http with htpasswd basic auth, an image
# pushed to both with skopeo. tests/unit/test_registry does the checks
# (names, manifests, blobs, Range and streaming reads, TLS, auth, auth
# files, push, referrers); its TAP lines are passed on here.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/registry.sh"

need docker-registry skopeo openssl htpasswd jq curl python3 unshare mount ldconfig ||
	{ done_testing; exit; }
UNIT=${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests/unit/test_registry
[ -x "$UNIT" ]
ok $? "tests/unit/test_registry is built" || { done_testing; exit; }

# An image: a 3 MB incompressible gzip layer (several 256 KiB blocks,
# more than a stream's buffer) and a small one.
mkdir -p "$TMP/l2/etc"
head -c 3000000 /dev/urandom >"$TMP/rand"
tar -C "$TMP" -cf - rand | gzip -1 >"$TMP/l1.tar.gz"
echo hello >"$TMP/l2/etc/hello"
tar -C "$TMP/l2" -cf "$TMP/l2.tar" .
mkoci "$TMP/oci" "$TMP/l1.tar.gz" "$TMP/l2.tar" >/dev/null
MANIFEST=$(jq -r '.manifests[0].digest' "$TMP/oci/index.json")
CONFIG=$(jq -r '.config.digest' "$TMP/oci/blobs/sha256/${MANIFEST#sha256:}")
LAYER=$(jq -r '.layers[0].digest' "$TMP/oci/blobs/sha256/${MANIFEST#sha256:}")

registry_start --tls
ok $? "a TLS registry at $REG_HOST" || { done_testing; exit; }
registry_push "oci:$TMP/oci" app:1.0
ok $? "skopeo pushes the image to it" || { done_testing; exit; }
TLS_HOST=$REG_HOST TLS_CERTS=$REG_CERT_DIR

registry_start --client-certs
ok $? "a TLS registry wanting client certificates at $REG_HOST" || { done_testing; exit; }
registry_push "oci:$TMP/oci" app:1.0
ok $? "skopeo pushes the image to it (client.cert from --dest-cert-dir)" || { done_testing; exit; }
MTLS_HOST=$REG_HOST MTLS_CERTS=$REG_CERT_DIR

registry_start --auth tester:s3cret-pw
ok $? "a registry with htpasswd auth at $REG_HOST" || { done_testing; exit; }
registry_push "oci:$TMP/oci" app:1.0
ok $? "skopeo pushes the image to it with --dest-creds" || { done_testing; exit; }

REGT_TLS_HOST=$TLS_HOST REGT_TLS_CERTS=$TLS_CERTS REGT_MTLS_HOST=$MTLS_HOST \
	REGT_MTLS_CERTS=$MTLS_CERTS REGT_AUTH_HOST=$REG_HOST \
	REGT_AUTH_CREDS=$REG_CREDS REGT_OCI=$TMP/oci REGT_MANIFEST=$MANIFEST \
	REGT_CONFIG=$CONFIG REGT_LAYER=$LAYER REGT_TMP=$TMP \
	timeout 300 "$UNIT" >"$TMP/unit.out" 2>"$TMP/unit.err"
relay_tap "$TMP/unit.out" "$TMP/unit.err" $? test_registry

# libcurl is loaded with dlopen when a registry is first opened: where
# its file is /dev/null (a private mount namespace), a clear refusal.
LIBCURL=$(ldconfig -p | awk '/libcurl\.so\.4 .*x86-64/ { print $NF; exit }')
[ -n "$LIBCURL" ] || LIBCURL=$(ldconfig -p | awk '/libcurl\.so\.4 / { print $NF; exit }')
LIBCURL=$(readlink -f "$LIBCURL")
unshare -m sh -c 'mount --bind /dev/null "$1" && exec "$2" nocurl' sh "$LIBCURL" "$UNIT" \
	>"$TMP/nocurl.out" 2>"$TMP/nocurl.err"
rc=$?
grep -q '^ok .*-ENOTSUP' "$TMP/nocurl.out" && ! grep -q '^not ok' "$TMP/nocurl.out" && [ $rc -eq 0 ]
ok $? "without libcurl ($LIBCURL as /dev/null) ocifs_registry_open refuses in one line" ||
	diag "exit $rc: $(cat "$TMP/nocurl.out" "$TMP/nocurl.err")"
! ldd "$OCIFS_BIN" | grep -q libcurl
ok $? "the ocifs binary does not link libcurl (it is loaded when needed)"
done_testing
