# shellcheck shell=bash
# Sourced by the mount tests that go through a registry and the fault
# proxy (t30, t31, t35, t36): the test libraries, the registry and proxy
# helpers, B (ocifs) and TLS (the proxy speaks plain http), and
# reg_needs TOOL...: FUSE and the tools every such test needs, plus TOOL...
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"
. "$OCIFS_SRCDIR/tests/lib/registry.sh"
. "$OCIFS_SRCDIR/tests/lib/regproxy.sh"

B=$OCIFS_BIN
TLS=--tls-verify=false
reg_needs() { need_fuse && need python3 skopeo curl jq docker-registry "$@"; }
