#!/bin/bash
# Credential helpers for docker:// (src/registry_cred.c, the order in
# src/registry_auth.c): a fake docker-credential-ocifstest (and -ocifsother)
# in a temp dir on PATH logs each run and answers as told. Against Debian's
# docker-registry with htpasswd: credHelpers, credsStore, credHelpers over
# credsStore and over the same file's auths, --creds over all, the first
# auth file deciding and "not found" passing on to the next, run once per
# client and only at a 401 (never for an anonymous registry), a helper
# that is missing, fails, answers garbage or too much, or hangs (killed at
# the timeout, its children too); no secret in any log line or trace.
# Through the test proxy's fake token server: Username "<token>" is an
# identity token, POSTed to the realm as an OAuth2 refresh token.
. "$(dirname "$0")/../lib.sh"
. "$OCIFS_SRCDIR/tests/lib/registry.sh"
. "$OCIFS_SRCDIR/tests/lib/regproxy.sh"

need docker-registry skopeo htpasswd jq curl python3 || { done_testing; exit; }
B=$OCIFS_BIN

# a small image
mkdir -p "$TMP/root/etc"
echo hello >"$TMP/root/etc/hello"
tar -C "$TMP/root" -cf "$TMP/layer.tar" .
mkoci "$TMP/oci" "$TMP/layer.tar"

registry_start --auth tester:s3cret-pw
ok $? "a registry with htpasswd auth at $REG_HOST" || { done_testing; exit; }
registry_push "oci:$TMP/oci" app:1
ok $? "image pushed to it" || { done_testing; exit; }
AUTH=$REG_HOST
registry_start
ok $? "an anonymous registry at $REG_HOST" || { done_testing; exit; }
registry_push "oci:$TMP/oci" app:1
ok $? "image pushed to it" || { done_testing; exit; }
ANON=$REG_HOST

# The fake helpers: one script, its name says which; $TMP/mode.NAME says
# how it answers; each run appends "NAME ARGS|STDIN" to $TMP/helper.log.
mkdir -p "$TMP/bin" "$TMP/home/.docker"
cat >"$TMP/bin/docker-credential-ocifstest" <<'EOF'
#!/bin/bash
name=${0##*/docker-credential-}
server=$(cat)
printf '%s %s|%s\n' "$name" "$*" "$server" >>"$HELPER_DIR/helper.log"
mode=$(cat "$HELPER_DIR/mode.$name" 2>/dev/null || echo ok)
case $mode in
ok) printf '{"ServerURL":"%s","Username":"tester","Secret":"s3cret-pw"}\n' "$server" ;;
wrongpw) printf '{"ServerURL":"%s","Username":"tester","Secret":"Wr0ng-pw"}\n' "$server" ;;
token) printf '{"ServerURL":"%s","Username":"<token>","Secret":"%s"}\n' "$server" \
	"$(cat "$HELPER_DIR/refresh")" ;;
notfound) echo "credentials not found in native keychain"; exit 1 ;;
fail) echo "gpg: decryption failed: No secret key" >&2; exit 3 ;;
garbage) echo "Username=tester Secret=s3cret-pw" ;;
nofields) echo '{"ServerURL":"x","Username":"tester"}' ;;
big) head -c 200000 /dev/zero | tr '\0' 'x' ;;
hang) sleep 1000 & echo $! >"$HELPER_DIR/sleep.pid"; echo $$ >"$HELPER_DIR/helper.pid"; wait ;;
esac
EOF
chmod +x "$TMP/bin/docker-credential-ocifstest"
ln -s docker-credential-ocifstest "$TMP/bin/docker-credential-ocifsother"
export HELPER_DIR=$TMP PATH="$TMP/bin:$PATH" HOME=$TMP/home
unset XDG_RUNTIME_DIR REGISTRY_AUTH_FILE DOCKER_CONFIG
CFG=$HOME/.docker/config.json

mode() { echo "$2" >"$TMP/mode.$1"; }
# run ARGS...: ocifs inspect (stdout, stderr to $TMP/out, $TMP/err) with
# a fresh helper log; returns ocifs's status
run() {
	: >"$TMP/helper.log"
	"$B" inspect --tls-verify=false "$@" >"$TMP/out" 2>"$TMP/err"
}
runs() { grep -c . "$TMP/helper.log"; }
b64() { printf '%s' "$1" | base64 -w0; }
R=docker://$AUTH/app:1

# --- credHelpers and credsStore -------------------------------------------------
mode ocifstest ok
mode ocifsother ok
printf '{"credHelpers":{"%s":"ocifstest"}}\n' "$AUTH" >"$CFG"
run "$R"
ok $? "credHelpers: ocifstest's credentials open the image" || cat "$TMP/err"
[ "$(cat "$TMP/helper.log")" = "ocifstest get|$AUTH" ]
ok $? "the helper ran once, as 'get', with the host (no scheme, no newline) on stdin" ||
	cat "$TMP/helper.log"
grep -q "^format: *registry$" "$TMP/out"
ok $? "inspect printed the image" || cat "$TMP/out"

printf '{"credsStore":"ocifsother"}\n' >"$CFG"
run "$R"
ok $? "credsStore: the default helper for every registry" || cat "$TMP/err"
[ "$(cat "$TMP/helper.log")" = "ocifsother get|$AUTH" ]
ok $? "credsStore's helper ran once" || cat "$TMP/helper.log"

mode ocifsother fail
printf '{"credsStore":"ocifsother","credHelpers":{"%s":"ocifstest"}}\n' "$AUTH" >"$CFG"
run "$R"
ok $? "credHelpers for the host takes precedence over credsStore" || cat "$TMP/err"
[ "$(cat "$TMP/helper.log")" = "ocifstest get|$AUTH" ]
ok $? "only the credHelpers helper ran" || cat "$TMP/helper.log"
printf '{"credsStore":"ocifstest","credHelpers":{"other.example:5000":"ocifsother"}}\n' >"$CFG"
run "$R"
[ $? = 0 ] && [ "$(cat "$TMP/helper.log")" = "ocifstest get|$AUTH" ]
ok $? "a credHelpers entry for another host leaves the host to credsStore" ||
	{ cat "$TMP/err" "$TMP/helper.log"; }

# --- precedence against auths and --creds ----------------------------------------
printf '{"auths":{"%s":{"auth":"%s"}},"credHelpers":{"%s":"ocifstest"}}\n' \
	"$AUTH" "$(b64 tester:Wr0ng-pw)" "$AUTH" >"$CFG"
run "$R"
ok $? "credHelpers wins over the same file's auths entry (a wrong password there)" ||
	cat "$TMP/err"
mode ocifstest wrongpw
printf '{"auths":{"%s":{"auth":"%s"}},"credsStore":"ocifstest"}\n' \
	"$AUTH" "$(b64 tester:s3cret-pw)" >"$CFG"
run "$R"
rc=$?
[ $rc = 1 ] && grep -q "401 unauthorized: wrong user name or password (from docker-credential-ocifstest, credsStore in $CFG)" "$TMP/err"
ok $? "credsStore wins over the same file's auths too: its wrong password is refused, named" ||
	diag "exit $rc: $(cat "$TMP/err")"
! grep -q "Wr0ng-pw\|s3cret-pw" "$TMP/err"
ok $? "the refusal names no password"
mode ocifstest fail
run --creds tester:s3cret-pw "$R"
[ $? = 0 ] && [ "$(runs)" = 0 ]
ok $? "--creds wins over every auth file: no helper runs" || cat "$TMP/err" "$TMP/helper.log"

# --- across auth files ----------------------------------------------------------
mode ocifstest ok
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$AUTH" "$(b64 tester:s3cret-pw)" >"$TMP/first.json"
printf '{"credsStore":"ocifstest"}\n' >"$CFG"
REGISTRY_AUTH_FILE=$TMP/first.json run "$R"
[ $? = 0 ] && [ "$(runs)" = 0 ]
ok $? "\$REGISTRY_AUTH_FILE's auths entry comes first: ~/.docker's helper does not run" ||
	cat "$TMP/err" "$TMP/helper.log"
mode ocifstest notfound
printf '{"credHelpers":{"%s":"ocifstest"}}\n' "$AUTH" >"$TMP/first.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$AUTH" "$(b64 tester:s3cret-pw)" >"$CFG"
REGISTRY_AUTH_FILE=$TMP/first.json run "$R"
[ $? = 0 ] && [ "$(runs)" = 1 ]
ok $? "a helper that has nothing for the host passes on to the next auth file" ||
	cat "$TMP/err" "$TMP/helper.log"
printf '{"credHelpers":{"%s":"ocifstest"}}\n' "$AUTH" >"$TMP/first.json"
printf '{"credsStore":"ocifsother"}\n' >"$CFG"
mode ocifsother ok
REGISTRY_AUTH_FILE=$TMP/first.json run "$R"
[ $? = 0 ] && [ "$(cat "$TMP/helper.log")" = "ocifstest get|$AUTH
ocifsother get|$AUTH" ]
ok $? "... and to the next file's helper, in order" || cat "$TMP/err" "$TMP/helper.log"
run --authfile "$TMP/first.json" "$R"
rc=$?
[ $rc = 1 ] && [ "$(runs)" = 1 ] &&
	grep -q "401 unauthorized (no credentials: docker-credential-ocifstest has none for $AUTH)" "$TMP/err"
ok $? "--authfile alone: its helper's 'not found' means anonymous, refused with that reason" ||
	diag "exit $rc: $(cat "$TMP/err" "$TMP/helper.log")"

# --- lazy: only at a 401 -----------------------------------------------------------
mode ocifstest fail
mode ocifsother fail
printf '{"credsStore":"ocifstest","credHelpers":{"%s":"ocifsother"}}\n' "$ANON" >"$CFG"
run "docker://$ANON/app:1"
[ $? = 0 ] && [ "$(runs)" = 0 ]
ok $? "an anonymous registry: no helper runs (a failing one is never noticed)" ||
	cat "$TMP/err" "$TMP/helper.log"

# --- failures: one clear line, no hang ---------------------------------------------
# fails WHAT PATTERN: run fails with exit 1 and the error line names the
# helper, where it was configured and the registry
fails() {
	run "$R"
	local rc=$?
	if [ $rc = 1 ] && grep -q "^ocifs: registry $AUTH/app: credential helper docker-credential-ocifstest (credHelpers in $CFG)$2" "$TMP/err" &&
		[ "$(grep -c 'docker-credential' "$TMP/err")" = 1 ]; then
		pass "$1"
	else
		fail "$1"
		diag "exit $rc: $(cat "$TMP/err")"
	fi
}
printf '{"credHelpers":{"%s":"ocifstest"}}\n' "$AUTH" >"$CFG"
mode ocifstest fail
fails "a failing helper: one line with its exit status and message" \
	" for $AUTH: exit status 3: gpg: decryption failed: No secret key$"
mode ocifstest garbage
fails "a helper answering garbage: one line, the answer not echoed" \
	" for $AUTH: its answer is not a JSON object with \"Username\" and \"Secret\" strings$"
! grep -q s3cret "$TMP/err"
ok $? "the garbage (which held the password) is in no message"
mode ocifstest nofields
fails "an answer without a Secret: refused" " for $AUTH: its answer is not a JSON object"
mode ocifstest big
fails "an answer of 200 kB: refused, the helper killed" ": an answer larger than 65536 bytes"
printf '{"credHelpers":{"%s":"ocifsmissing"}}\n' "$AUTH" >"$CFG"
run "$R"
[ $? = 1 ] && grep -q "credential helper docker-credential-ocifsmissing (credHelpers in $CFG): not found in PATH$" "$TMP/err"
ok $? "a helper not in PATH: one line saying so" || cat "$TMP/err"

printf '{"credHelpers":{"%s":"ocifstest"}}\n' "$AUTH" >"$CFG"
mode ocifstest hang
rm -f "$TMP/sleep.pid" "$TMP/helper.pid"
# The timeout (60 s by default) is shortened for the test; 120 s catches
# a hang of ocifs itself.
OCIFS_CRED_HELPER_TIMEOUT=3 timeout 120 "$B" inspect --tls-verify=false "$R" >/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 1 ] && grep -q "docker-credential-ocifstest (credHelpers in $CFG): no answer for $AUTH within 3 s (killed)$" "$TMP/err"
ok $? "a helper that never answers: killed at the timeout, one line" || diag "exit $rc: $(cat "$TMP/err")"
# dead PID: no such process, or a zombie its new parent has not reaped yet
dead() {
	local st
	st=$(ps -o stat= -p "$1")
	[ -z "$st" ] || [ "${st#Z}" != "$st" ]
}
sleep_pid=$(cat "$TMP/sleep.pid" 2>/dev/null)
helper_pid=$(cat "$TMP/helper.pid" 2>/dev/null)
[ -n "$sleep_pid" ] && [ -n "$helper_pid" ] && dead "$sleep_pid" && dead "$helper_pid"
ok $? "the helper and its child are dead (its process group was killed)" || {
	diag "sleep $sleep_pid: $(ps -o stat= -p "$sleep_pid"), helper $helper_pid: $(ps -o stat= -p "$helper_pid")"
	kill "$sleep_pid" "$helper_pid" 2>/dev/null
}

# --- no credential in logs or traces ----------------------------------------------
mode ocifstest ok
: >"$TMP/helper.log"
"$B" inspect -v -v --trace "$TMP/trace.json" --tls-verify=false "$R" >/dev/null 2>"$TMP/err"
ok $? "inspect -vv --trace with the helper's credentials" || cat "$TMP/err"
grep -q "asking docker-credential-ocifstest (credHelpers in $CFG) for $AUTH" "$TMP/err" &&
	grep -q "credentials from docker-credential-ocifstest" "$TMP/err"
ok $? "the debug log says which helper was asked and answered" || cat "$TMP/err"
! grep -q "s3cret-pw\|$(b64 tester:s3cret-pw)" "$TMP/err" "$TMP/trace.json"
ok $? "no password (plain or base64) in the debug log or the trace"

# --- identity tokens through the fake token server ----------------------------------
proxy_start "http://$ANON"
ok $? "the test proxy with a fake token server at $PROXY_HOST" || { done_testing; exit; }
echo "rt-$RANDOM-refresh" >"$TMP/refresh"
# max_uses 1: every request needs a new token, so the client renews
# (a 401, a POST) for each -- and still runs the helper once.
proxy_ctl "{\"auth\":{\"user\":\"alice\",\"password\":\"pw\",\"max_uses\":1,\"refresh_token\":\"$(cat "$TMP/refresh")\"}}"
printf '{"credHelpers":{"%s":"ocifstest"}}\n' "$PROXY_HOST" >"$CFG"
mode ocifstest token
: >"$TMP/helper.log"
"$B" inspect -v -v --tls-verify=false "docker://$PROXY_HOST/app:1" >/dev/null 2>"$TMP/err"
ok $? "Username <token>: the identity token gets a bearer token by the OAuth2 POST" ||
	cat "$TMP/err"
posts=$(grep -c '^POST /token - 200' "$PROXY_DIR/log")
[ "$posts" -ge 2 ] && ! grep -q '^GET /token' "$PROXY_DIR/log" && [ "$(runs)" = 1 ]
ok $? "a token POSTed to the realm for each renewal ($posts), none by GET; the helper ran once" ||
	{ proxy_log; cat "$TMP/helper.log"; }
! grep -qF "$(cat "$TMP/refresh")" "$TMP/err"
ok $? "the identity token is in no log line"
echo "rt-stale" >"$TMP/refresh"
run "docker://$PROXY_HOST/app:1"
rc=$?
[ $rc = 1 ] && grep -q "token for repository:app:pull: 401" "$TMP/err"
ok $? "a refused identity token: the token request's 401, one error" ||
	diag "exit $rc: $(cat "$TMP/err")"
done_testing
