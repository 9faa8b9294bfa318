# SPDX-License-Identifier: MIT
# Start/stop the counting, fault-injecting proxy (tests/lib/regproxy.py,
# whose header documents the control and stats files) in front of a
# registry, for tests sourcing tests/lib.sh (it uses $TMP and at_exit, so
# the proxy is always stopped when the test exits).
#
#   proxy_start UPSTREAM_URL [CAFILE [USER:PASS]]
#                     starts it; sets PROXY_PORT, PROXY_HOST (127.0.0.1:PORT),
#                     PROXY_DIR. Returns non-zero if it does not come up.
#   proxy_ctl JSON    replaces the control file (faults, auth) atomically;
#                     the next request sees it. proxy_ctl '{}' clears it.
#   proxy_stats [JQ]  prints stats.json, or jq's answer to JQ on it
#                     (proxy_stats .bytes)
#   proxy_reset       zeroes nothing (the proxy owns its counters) but
#                     prints the current byte count, for deltas:
#                     b0=$(proxy_reset); ...; $(( $(proxy_stats .bytes) - b0 ))
#   proxy_log         the request log ("METHOD path range status bytes")
#   proxy_stop [PID]  stops it (default $PROXY_PID; every proxy started is
#                     also stopped at exit). Several may run at once: each
#                     proxy_start overwrites the PROXY_* variables.
: "${OCIFS_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
PROXY_PY=${PROXY_PY:-$OCIFS_SRCDIR/tests/lib/regproxy.py}
PROXY_PID=
PROXY_DIR=
proxy_start() {
	PROXY_DIR=$(mktemp -d "$TMP/regproxy.XXXXXX")
	_pargs=(--upstream "$1" --dir "$PROXY_DIR")
	[ -n "${2:-}" ] && _pargs+=(--cafile "$2")
	[ -n "${3:-}" ] && _pargs+=(--upstream-creds "$3")
	python3 "$PROXY_PY" "${_pargs[@]}" 2>"$PROXY_DIR/stderr" &
	PROXY_PID=$!
	at_exit "proxy_stop $PROXY_PID"
	_i=0
	while [ ! -s "$PROXY_DIR/port" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 300 ] || ! kill -0 "$PROXY_PID" 2>/dev/null; then
			diag "regproxy did not start: $(cat "$PROXY_DIR/stderr")"
			return 1
		fi
		sleep 0.1
	done
	PROXY_PORT=$(cat "$PROXY_DIR/port")
	PROXY_HOST=127.0.0.1:$PROXY_PORT
}
proxy_ctl() {
	printf '%s\n' "$1" >"$PROXY_DIR/control.json.tmp" &&
		mv -f "$PROXY_DIR/control.json.tmp" "$PROXY_DIR/control.json"
}
proxy_stats() {
	if [ $# -eq 0 ]; then
		cat "$PROXY_DIR/stats.json"
	else
		jq -r "$1" "$PROXY_DIR/stats.json"
	fi
}
proxy_reset() { proxy_stats .bytes; }
proxy_log() { cat "$PROXY_DIR/log" 2>/dev/null; }
proxy_stop() {
	local pid=${1:-$PROXY_PID}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$pid" != "$PROXY_PID" ] || PROXY_PID=
	return 0
}
