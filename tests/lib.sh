# SPDX-License-Identifier: MIT
# Shared helpers for shell tests: TAP output, temp dirs with cleanup,
# tool checks (a missing tool skips outside CI and fails under CI=true).

: "${OCIFS_BIN:=$(cd "$(dirname "$0")/../.." && pwd)/ocifs}"
: "${OCIFS_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OCIFS_CORPUS:=$OCIFS_SRCDIR/../shared/corpus}"
tap_n=0
tap_failed=0

ok() { # ok COND-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}
pass() { ok 0 "$1"; }
fail() { ok 1 "$1"; }
diag() { printf '# %s\n' "$*"; }
skip() {
	if [ "${CI:-}" = true ]; then
		fail "$1 (skips are failures under CI=true)"
	else
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $1"
	fi
}
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
# need TOOL...: returns 1 (after a skip line) when one is missing
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { skip "$t not installed"; return 1; }
	done
}

# A private work dir and cache dir for this test, removed on exit.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-test.XXXXXX")
export XDG_CACHE_HOME="$TMP/cache"
cleanup_hooks=""
at_exit() { cleanup_hooks="$1; $cleanup_hooks"; }
_cleanup() {
	eval "$cleanup_hooks"
	rm -rf "$TMP"
}
trap _cleanup EXIT

# expect_fail STATUS PATTERN DESC -- CMD...: CMD exits STATUS and stderr
# is one line matching PATTERN (extended regex).
expect_fail() {
	local want=$1 pat=$2 desc=$3
	shift 4
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s\n' "$err" | grep -Eq -- "$pat" &&
		[ "$(printf '%s\n' "$err" | grep -c .)" -ge 1 ] && [ "$rc" -lt 128 ]; then
		pass "$desc"
	else
		fail "$desc"
		diag "exit $rc (want $want); stderr: $err"
	fi
}
