#!/bin/bash
# The registry client (src/registry*.c) through tests/lib/regproxy.py in
# front of a real registry: 429 with Retry-After, 5xx, dropped streams and
# Range reads, stalls, bytes that differ from their digest, a registry
# that ignores Range, bearer tokens (the proxy's token server: wrong
# password, anonymous, tokens that die early or expire). The checks are
# tests/unit/test_registry_faults's; its TAP is passed on here.
. "$(dirname "$0")/../lib.sh"
. "$OCIFS_SRCDIR/tests/lib/registry.sh"
. "$OCIFS_SRCDIR/tests/lib/regproxy.sh"

need docker-registry skopeo jq curl python3 || { done_testing; exit; }
UNIT=${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests/unit/test_registry_faults
[ -x "$UNIT" ]
ok $? "tests/unit/test_registry_faults is built" || { done_testing; exit; }

# A 3 MB incompressible gzip layer: 12 blocks of 256 KiB.
head -c 3000000 /dev/urandom >"$TMP/rand"
tar -C "$TMP" -cf - rand | gzip -1 >"$TMP/l1.tar.gz"
mkoci "$TMP/oci" "$TMP/l1.tar.gz" >/dev/null
MANIFEST=$(jq -r '.manifests[0].digest' "$TMP/oci/index.json")
CONFIG=$(jq -r '.config.digest' "$TMP/oci/blobs/sha256/${MANIFEST#sha256:}")
LAYER=$(jq -r '.layers[0].digest' "$TMP/oci/blobs/sha256/${MANIFEST#sha256:}")

registry_start
ok $? "a registry at $REG_HOST" || { done_testing; exit; }
registry_push "oci:$TMP/oci" app:1.0
ok $? "skopeo pushes the image to it" || { done_testing; exit; }
proxy_start "http://$REG_HOST"
ok $? "the proxy in front of it at $PROXY_HOST" || { done_testing; exit; }

REGT_PROXY_HOST=$PROXY_HOST REGT_PROXY_DIR=$PROXY_DIR REGT_OCI=$TMP/oci \
	REGT_MANIFEST=$MANIFEST REGT_CONFIG=$CONFIG REGT_LAYER=$LAYER \
	timeout 300 "$UNIT" >"$TMP/unit.out" 2>"$TMP/unit.err"
relay_tap "$TMP/unit.out" "$TMP/unit.err" $? test_registry_faults
done_testing
