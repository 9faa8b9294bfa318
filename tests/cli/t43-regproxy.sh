#!/bin/bash
# The test proxy itself (tests/lib/regproxy.py), before any ocifs test
# trusts it: between skopeo/curl and a real registry it forwards exactly
# (skopeo inspect and copy through it give the registry's digests, a
# Range is answered with the registry's bytes), counts what it sends, and
# each fault the registry fault tests rely on is seen by curl as described
# (a dropped connection, 429 with Retry-After, 5xx, flipped bytes, Range
# ignored, a delay, faults limited by path and count), and its fake token
# server challenges, refuses a wrong password and expires tokens.
. "$(dirname "$0")/../lib.sh"
. "$OCIFS_SRCDIR/tests/lib/registry.sh"
. "$OCIFS_SRCDIR/tests/lib/regproxy.sh"

need python3 skopeo curl jq docker-registry || { done_testing; exit; }

# a small image: one gzip layer of 2 MiB of incompressible bytes
mkdir -p "$TMP/root/data"
head -c 2097152 /dev/urandom >"$TMP/root/data/blob"
echo hello >"$TMP/root/data/hello"
tar -C "$TMP/root" -cf - . | gzip -1 >"$TMP/layer.tar.gz"
mkoci "$TMP/img" "$TMP/layer.tar.gz"
LAYER=sha256:$(sha256sum <"$TMP/layer.tar.gz" | cut -d' ' -f1)
LSIZE=$(stat -c %s "$TMP/layer.tar.gz")

registry_start
ok $? "a registry started ($REG_HOST)" || { done_testing; exit; }
registry_push "oci:$TMP/img" app:1
ok $? "image pushed with skopeo" || { done_testing; exit; }
proxy_start "http://$REG_HOST"
ok $? "proxy started on 127.0.0.1:$PROXY_PORT" || { done_testing; exit; }
P=http://$PROXY_HOST
BLOB=$P/v2/app/blobs/$LAYER

# --- forwarding -------------------------------------------------------------
d1=$(skopeo inspect --tls-verify=false "docker://$REG_HOST/app:1" | jq -r .Digest)
d2=$(skopeo inspect --tls-verify=false "docker://$PROXY_HOST/app:1" | jq -r .Digest)
[ -n "$d1" ] && [ "$d1" = "$d2" ]
ok $? "skopeo inspect through the proxy: the registry's manifest digest" ||
	diag "direct $d1, proxied $d2"

skopeo copy -q --src-tls-verify=false "docker://$PROXY_HOST/app:1" "oci:$TMP/copy:app" &&
	cmp -s "$TMP/layer.tar.gz" "$TMP/copy/blobs/sha256/${LAYER#sha256:}"
ok $? "skopeo copy through the proxy: the layer's exact bytes"
b=$(proxy_stats ".paths[\"/v2/app/blobs/$LAYER\"].bytes")
[ "$b" -eq "$LSIZE" ]
ok $? "the proxy counted the layer's $LSIZE bytes at its path" || diag "counted $b"
sum=$(proxy_stats '[.paths[].bytes] | add')
[ "$(proxy_stats .bytes)" -eq "$sum" ] &&
	[ "$(proxy_stats .requests)" -eq "$(proxy_log | wc -l)" ]
ok $? "total bytes = sum over paths; one log line per request" || proxy_stats

skopeo copy -q --dest-tls-verify=false "oci:$TMP/img" "docker://$PROXY_HOST/app:2" &&
	[ "$(skopeo inspect --tls-verify=false "docker://$REG_HOST/app:2" | jq -r .Digest)" = "$d1" ]
ok $? "a push through the proxy reaches the registry (uploads' Location rewritten)"

curl -s -r 100-199 -o "$TMP/r" -w '%{http_code}' "$BLOB" >"$TMP/code"
[ "$(cat "$TMP/code")" = 206 ] && cmp -s "$TMP/r" <(tail -c +101 "$TMP/layer.tar.gz" | head -c 100)
ok $? "a Range request is forwarded: 206 and the blob's bytes 100-199"
grep -q "^GET /v2/app/blobs/$LAYER bytes=100-199 206 100\$" "$PROXY_DIR/log"
ok $? "logged as METHOD path range status bytes" || proxy_log | tail -n 3

# --- faults -------------------------------------------------------------------
# fetch [CURL ARGS]: "CODE SIZE EXIT" of a GET of the layer
fetch() {
	local out rc
	out=$(curl -s -o "$TMP/body" -w '%{http_code} %{size_download}' "$@" "$BLOB")
	rc=$?
	echo "$out $rc"
}
proxy_ctl '{"faults":[{"kind":"drop","path":"/blobs/","after":1000,"times":1}]}'
r1=$(fetch)
r2=$(fetch)
case $r1 in "200 1000 18" | "200 1000 56") true ;; *) false ;; esac && [ "$r2" = "200 $LSIZE 0" ]
ok $? "drop after 1000 bytes, once: curl gets 1000 bytes and a transfer error, then the whole blob" ||
	diag "first: $r1, second: $r2"

proxy_ctl '{"faults":[{"kind":"drop","path":"/blobs/","after":0}]}'
r1=$(fetch -r 0-99)
r2=$(fetch -r 0-99)
[ "${r1% *}" = "206 0" ] && [ "${r2% *}" = "206 0" ] && [ "${r1##* }" -ne 0 ] && [ "${r2##* }" -ne 0 ]
ok $? "drop always: every blob GET fails" || diag "$r1 / $r2"

proxy_ctl '{"faults":[{"kind":"status","status":429,"retry_after":3,"times":2}]}'
curl -s -D "$TMP/h" -o /dev/null -r 0-9 "$BLOB"
grep -qi '^retry-after: 3' "$TMP/h" && head -n 1 "$TMP/h" | grep -q ' 429'
ok $? "429 with Retry-After: 3" || cat "$TMP/h"
r1=$(fetch -r 0-9)
r2=$(fetch -r 0-9)
[ "${r1%% *}" = 429 ]
ok $? "the second request is refused too" || diag "$r1"
[ "$r2" = "206 10 0" ]
ok $? "the third goes through (times: 2)" || diag "$r2"

for s in 500 502 503; do
	proxy_ctl "{\"faults\":[{\"kind\":\"status\",\"status\":$s,\"times\":1}]}"
	r1=$(fetch -r 0-9)
	r2=$(fetch -r 0-9)
	[ "${r1%% *}" = $s ] && [ "$r2" = "206 10 0" ]
	ok $? "$s once, then the answer" || diag "$r1 / $r2"
done

proxy_ctl '{"faults":[{"kind":"status","status":503,"path":"/manifests/"}]}'
r1=$(fetch -r 0-9)
c=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"$P/v2/app/manifests/1")
[ "$r1" = "206 10 0" ] && [ "$c" = 503 ]
ok $? "a fault matched by path regex spares other paths" || diag "blob $r1, manifest $c"

proxy_ctl '{"faults":[{"kind":"corrupt","path":"/blobs/","offsets":[5,150]}]}'
r1=$(fetch -r 100-199)
cmp -l "$TMP/body" <(tail -c +101 "$TMP/layer.tar.gz" | head -c 100) >"$TMP/diff"
[ "$r1" = "206 100 0" ] && [ "$(wc -l <"$TMP/diff")" -eq 1 ] && [ "$(awk '{print $1}' "$TMP/diff")" -eq 51 ]
ok $? "corrupt at blob offset 150: exactly byte 50 of the range 100-199 differs" ||
	{ diag "$r1"; cat "$TMP/diff"; }
proxy_ctl '{"faults":[{"kind":"corrupt","path":"/blobs/","every":1000}]}'
r1=$(fetch -r 1500-4499)
cmp -l "$TMP/body" <(tail -c +1501 "$TMP/layer.tar.gz" | head -c 3000) | awk '{print $1}' | tr '\n' ' ' >"$TMP/diff"
[ "$r1" = "206 3000 0" ] && [ "$(cat "$TMP/diff")" = "501 1501 2501 " ]
ok $? "corrupt every 1000: blob offsets 2000, 3000, 4000 of the range 1500-4499" ||
	{ diag "$r1"; cat "$TMP/diff"; }
proxy_ctl '{"faults":[{"kind":"corrupt","path":"/blobs/"}]}'
r1=$(fetch)
cmp -l "$TMP/body" "$TMP/layer.tar.gz" >"$TMP/diff"
[ "$r1" = "200 $LSIZE 0" ] && [ "$(cat "$TMP/diff" | wc -l)" -eq 1 ] &&
	[ "$(awk '{print $1}' "$TMP/diff")" -eq "$LSIZE" ]
ok $? "corrupt by default: the blob's last byte" || { diag "$r1"; head "$TMP/diff"; }

proxy_ctl '{"faults":[{"kind":"norange","path":"/blobs/"}]}'
r1=$(fetch -r 100-199)
[ "$r1" = "200 $LSIZE 0" ] && cmp -s "$TMP/body" "$TMP/layer.tar.gz"
ok $? "norange: a Range answered 200 with the whole blob" || diag "$r1"

proxy_ctl '{"faults":[{"kind":"delay","seconds":0.5},{"kind":"norange"}]}'
r1=$(fetch -r 0-9)
[ "$r1" = "200 $LSIZE 0" ] && tail -n 1 "$PROXY_DIR/log" | grep -q ' delay,norange$'
ok $? "delay combines with norange, both logged" || { diag "$r1"; proxy_log | tail -n 1; }

proxy_ctl '{}'
[ "$(fetch -r 0-9)" = "206 10 0" ]
ok $? "an empty control file: no faults"
[ "$(proxy_stats .faults.drop)" -ge 3 ] && [ "$(proxy_stats .faults.status)" -ge 6 ] &&
	[ "$(proxy_stats .faults.corrupt)" -eq 3 ] && [ "$(proxy_stats .statuses[\"429\"])" -eq 2 ]
ok $? "faults and statuses counted in the stats" || proxy_stats

# --- fake token auth ------------------------------------------------------------
proxy_ctl '{"auth":{"user":"alice","password":"s3cret","expires_in":60,"max_uses":3}}'
curl -s -D "$TMP/h" -o /dev/null -r 0-9 "$BLOB"
head -n 1 "$TMP/h" | grep -q ' 401' &&
	grep -qiF "www-authenticate: Bearer realm=\"http://127.0.0.1:$PROXY_PORT/token\",service=\"regproxy\",scope=\"repository:app:pull\"" "$TMP/h"
ok $? "auth: a request without a token gets the Bearer challenge" || cat "$TMP/h"
c=$(curl -s -o /dev/null -w '%{http_code}' -u alice:wrong "$P/token?service=regproxy&scope=repository:app:pull")
c2=$(curl -s -o /dev/null -w '%{http_code}' "$P/token?service=regproxy")
[ "$c" = 401 ] && [ "$c2" = 401 ]
ok $? "auth: a wrong password and no credentials get no token" || diag "$c $c2"
curl -s -u alice:s3cret "$P/token?service=regproxy&scope=repository:app:pull" >"$TMP/tok"
T=$(jq -r .token "$TMP/tok")
[ -n "$T" ] && [ "$(jq -r .expires_in "$TMP/tok")" = 60 ] && [ "$(jq -r .access_token "$TMP/tok")" = "$T" ]
ok $? "auth: the token answer" || cat "$TMP/tok"
codes=
for i in 1 2 3 4; do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" -r 0-9 "$BLOB")"
done
[ "$codes" = " 206 206 206 401" ]
ok $? "auth: a token of max_uses 3 answers 3 requests, then 401" || diag "$codes"
proxy_ctl '{"auth":{"user":"alice","password":"s3cret","expires_in":60,"ttl":1}}'
T=$(curl -s -u alice:s3cret "$P/token" | jq -r .token)
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" -r 0-9 "$BLOB")
sleep 1.5 # let the 1 s token lapse (the assertion is the expiry, not a speed)
c2=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" -r 0-9 "$BLOB")
[ "$c $c2" = "206 401" ]
ok $? "auth: a token of ttl 1 s is refused once it lapsed" || diag "$c $c2"
proxy_ctl '{"auth":{"user":"alice","password":"s3cret","max_uses":2}}'
d3=$(skopeo inspect --tls-verify=false --creds alice:s3cret "docker://$PROXY_HOST/app:1" | jq -r .Digest)
[ "$d3" = "$d1" ]
ok $? "auth: skopeo --creds through the token server (tokens renewed on 401)" || diag "$d3"
skopeo inspect --tls-verify=false --creds alice:wrong "docker://$PROXY_HOST/app:1" >/dev/null 2>"$TMP/err"
[ $? -ne 0 ] && grep -q 'wrong user name or password' "$TMP/err"
ok $? "auth: skopeo with a wrong password fails with the token server's message" || cat "$TMP/err"
proxy_ctl '{"auth":{"anonymous":true}}'
d3=$(skopeo inspect --tls-verify=false "docker://$PROXY_HOST/app:1" | jq -r .Digest)
[ "$d3" = "$d1" ] && [ "$(proxy_stats .tokens)" -ge 4 ] && [ "$(proxy_stats .denied)" -ge 5 ]
ok $? "auth: anonymous tokens when allowed; tokens and 401s counted" || proxy_stats

proxy_stop
! curl -s -o /dev/null "$P/v2/"
ok $? "proxy_stop stops it"

# --- an upstream with TLS and htpasswd: the proxy speaks https with its CA
# and sends the upstream's credentials; the client needs none
registry_start --tls --auth bob:hunter2
ok $? "a TLS registry with basic auth started" || { done_testing; exit; }
registry_push "oci:$TMP/img" app:1
ok $? "image pushed to it" || { done_testing; exit; }
proxy_start "$REG_URL" "$REG_CERT_DIR/ca.crt" "$REG_CREDS"
d4=$(skopeo inspect --tls-verify=false "docker://$PROXY_HOST/app:1" | jq -r .Digest)
[ "$d4" = "$d1" ]
ok $? "through the proxy to https with the upstream's credentials: the same digest" || diag "$d4"
c=$(curl -s -o "$TMP/r" -w '%{http_code}' -r 100-199 "http://$PROXY_HOST/v2/app/blobs/$LAYER")
[ "$c" = 206 ] && cmp -s "$TMP/r" <(tail -c +101 "$TMP/layer.tar.gz" | head -c 100)
ok $? "a Range through it: 206 and the right bytes" || diag "$c"
done_testing
