#!/bin/bash
# docker:// auth as registries do it (issue #15), against the proxy's fake
# token server (tests/lib/regproxy.py) in front of a real registry: a
# wrong password or none is a clear one-line error and a non-zero exit,
# with nothing mounted; --creds, --authfile and $REGISTRY_AUTH_FILE
# work; a bearer token that expires (by time, or after a few uses) during
# a long mount is renewed, and the reads after it still return the bytes
# the image was made from. Every mount is unmounted.
. "$(dirname "$0")/reglib.sh"

reg_needs gzip tar base64 || { done_testing; exit; }
M=$(mnt_dir m)

mkdir -p "$TMP/root/g"
for i in $(seq -w 1 24); do
	head -c 786432 /dev/urandom | base64 -w 0 | head -c 1048576 >"$TMP/root/g/f$i"
done
echo hello >"$TMP/root/g/hello"
tar -C "$TMP/root" --owner=0 --group=0 -cf - g | gzip -1 >"$TMP/l1.tar.gz"
mkoci "$TMP/img" "$TMP/l1.tar.gz"

registry_start
ok $? "a registry started" || { done_testing; exit; }
registry_push "oci:$TMP/img" app:1
ok $? "image pushed" || { done_testing; exit; }
proxy_start "http://$REG_HOST"
ok $? "proxy started" || { done_testing; exit; }
IMG=docker://$PROXY_HOST/app:1
proxy_ctl '{"auth":{"user":"alice","password":"s3cret","expires_in":300}}'

read_ok() { timeout 120 cmp -s "$M/g/$1" "$TMP/root/g/$1"; }
umnt() { fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]; }

# --- refused -------------------------------------------------------------------
# refused DESC ARGS...: `ocifs mount` with ARGS exits non-zero, says so in
# one line naming the registry and the refusal, and mounts nothing
refused() {
	local desc=$1 rc
	shift
	XDG_CACHE_HOME=$TMP/c0 timeout 120 "$B" mount "$IMG" "$M" $TLS "$@" 2>"$TMP/err"
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! is_mounted "$M" &&
		[ "$(grep -c . "$TMP/err")" -eq 1 ] && grep -q "$PROXY_HOST" "$TMP/err" &&
		grep -Eiq 'unauthori[sz]ed|denied|401|password|credentials' "$TMP/err"
	ok $? "$desc: exit $rc, one clear line, nothing mounted" || cat "$TMP/err"
	diag "$(head -n 2 "$TMP/err")"
	force_umount "$M"
}
refused "wrong password" --creds alice:wrong
refused "no credentials (anonymous not allowed)"
"$B" ls "$IMG" / $TLS --creds bob:s3cret >/dev/null 2>"$TMP/err"
[ $? -ne 0 ] && [ "$(grep -c . "$TMP/err")" -eq 1 ]
ok $? "ocifs ls with a wrong user: non-zero, one line" || cat "$TMP/err"

# --- accepted --------------------------------------------------------------------
XDG_CACHE_HOME=$TMP/c1 fg_mount "$IMG" "$M" $TLS --creds alice:s3cret &&
	read_ok f01 && read_ok hello
ok $? "--creds: mounted, the right bytes" || cat "$TMP/fg.err"
umnt
ok $? "--creds: unmounted, exit 0"

printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$PROXY_HOST" "$(printf alice:s3cret | base64 -w 0)" \
	>"$TMP/auth.json"
XDG_CACHE_HOME=$TMP/c1 "$B" cat "$IMG" g/hello $TLS --authfile "$TMP/auth.json" >"$TMP/out" 2>"$TMP/err" &&
	[ "$(cat "$TMP/out")" = hello ]
ok $? "--authfile: ocifs cat reads the file" || cat "$TMP/err"
REGISTRY_AUTH_FILE=$TMP/auth.json XDG_CACHE_HOME=$TMP/c1 "$B" cat "$IMG" g/hello $TLS \
	>"$TMP/out" 2>"$TMP/err" && [ "$(cat "$TMP/out")" = hello ]
ok $? "\$REGISTRY_AUTH_FILE: ocifs cat reads the file" || cat "$TMP/err"

# --- token expiry during a long mount -----------------------------------------
# tokens that answer 3 requests each: a cold mount and its reads need
# many, so the client must fetch new ones when the old one is refused
proxy_ctl '{"auth":{"user":"alice","password":"s3cret","expires_in":300,"max_uses":3}}'
t0=$(proxy_stats .tokens)
XDG_CACHE_HOME=$TMP/c2 fg_mount "$IMG" "$M" $TLS --creds alice:s3cret
ok $? "tokens of 3 uses: cold mount" || cat "$TMP/fg.err"
good=0
for i in $(seq -w 1 24); do read_ok "f$i" && good=$((good + 1)); done
[ $good -eq 24 ]
ok $? "tokens of 3 uses: every file right ($good of 24)"
t=$(($(proxy_stats .tokens) - t0))
[ $t -ge 2 ]
ok $? "tokens of 3 uses: renewed ($t tokens fetched)"
umnt
ok $? "tokens of 3 uses: unmounted, exit 0"

# tokens that live 2 s (said to live 300 s, so only a 401 tells the
# client): a warm mount reads, waits past the token's life, reads again
proxy_ctl '{"auth":{"user":"alice","password":"s3cret","expires_in":300,"ttl":2}}'
XDG_CACHE_HOME=$TMP/c2 fg_mount "$IMG" "$M" $TLS --creds alice:s3cret && read_ok f02
ok $? "tokens of 2 s: warm mount, a read" || cat "$TMP/fg.err"
t0=$(proxy_stats .tokens)
d0=$(proxy_stats .denied)
sleep 3 # the token lapses (what is tested is the renewal, not a speed)
read_ok f07
ok $? "tokens of 2 s: reads after the token expired get the right bytes"
[ $(($(proxy_stats .tokens) - t0)) -ge 1 ] && [ $(($(proxy_stats .denied) - d0)) -ge 1 ]
ok $? "tokens of 2 s: the expired token was refused and a new one fetched" ||
	diag "tokens +$(($(proxy_stats .tokens) - t0)), 401s +$(($(proxy_stats .denied) - d0))"
# f22 lies 4 spans (4 MiB each) past what was read: no cache holds it
proxy_ctl '{"auth":{"user":"alice","password":"changed","expires_in":300,"ttl":2}}'
sleep 3
r=$(timeout 120 cat "$M/g/f22" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && echo "$r" | grep -Eq "Input/output error|Permission denied"
ok $? "password changed under the mount: a read fails (EIO or EACCES), no hang" || diag "exit $rc: $r"
kill -0 "$FG_PID" && timeout 60 stat "$M/g" >/dev/null
ok $? "the daemon lives and answers"
umnt
ok $? "tokens of 2 s: unmounted, exit 0"
done_testing
