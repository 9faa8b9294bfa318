# SPDX-License-Identifier: MIT
# A real registry for the tests: Debian's docker-registry (the reference
# distribution registry) on 127.0.0.1, one per call, stopped on exit.
# Source after tests/lib.sh (it uses $TMP, at_exit, fail, diag).
#
#   registry_start [--tls] [--client-certs] [--auth USER:PASS]
#       Start a registry on a free port with storage under $TMP. --tls:
#       HTTPS with a certificate (SAN IP:127.0.0.1) from a CA made here;
#       --client-certs (implies --tls): clients must show a certificate of
#       that CA, which REG_CERT_DIR holds as client.cert + client.key
#       (containers-certs.d(5)); --auth: htpasswd (bcrypt) basic auth with
#       that one user.
#       Sets REG_HOST (127.0.0.1:PORT), REG_URL (https://… or http://…),
#       REG_CERT_DIR (a dir holding ca.crt, for --cert-dir; empty without
#       --tls), REG_CREDS (USER:PASS or empty), REG_LOG (the registry's
#       log: one access line per request), REG_PID. Returns 1 (with a
#       diagnostic) when it does not answer within 60 s. Several
#       registries may run at once: each call overwrites the REG_*
#       variables, so save them (e.g. TLS_HOST=$REG_HOST) between calls.
#   registry_push SRC NAME[:TAG]
#       skopeo copy SRC (e.g. oci:DIR) to docker://$REG_HOST/NAME with the
#       current registry's CA or --dest-tls-verify=false and creds.
#       --preserve-digests: blobs and manifest keep their digests.
#   registry_curl PATH [CURL ARGS…]
#       curl $REG_URL$PATH with the current registry's CA and creds.
#   registry_stop [PID]
#       Stop one registry (default $REG_PID); every registry started is
#       also stopped by the test's exit trap, even on failure.

registry_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_registry_ca() { # _registry_ca DIR: a CA and a server cert for 127.0.0.1
	local d=$1
	mkdir -p "$d/certs"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ocifs test CA" \
		-keyout "$d/ca.key" -out "$d/certs/ca.crt" 2>/dev/null &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
			-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/san.ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/certs/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/san.ext" -out "$d/server.crt" 2>/dev/null
}

_registry_client_cert() { # _registry_client_cert DIR: certs/client.{cert,key}
	local d=$1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=ocifs test client" \
		-keyout "$d/certs/client.key" -out "$d/client.csr" 2>/dev/null &&
		printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext" &&
		openssl x509 -req -in "$d/client.csr" -CA "$d/certs/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/client.ext" -out "$d/certs/client.cert" 2>/dev/null
}

registry_start() {
	local tls=0 ccerts=0 auth="" port dir n tries
	while [ $# -gt 0 ]; do
		case $1 in
		--tls) tls=1 ;;
		--client-certs) tls=1 ccerts=1 ;;
		--auth) auth=$2; shift ;;
		*) diag "registry_start: unknown option $1"; return 1 ;;
		esac
		shift
	done
	command -v docker-registry >/dev/null || { fail "docker-registry not installed"; return 1; }
	n=0
	while [ -e "$TMP/registry.$n" ]; do n=$((n + 1)); done
	dir="$TMP/registry.$n"
	mkdir -p "$dir/storage"
	port=$(registry_free_port) || return 1
	REG_HOST=127.0.0.1:$port
	REG_CERT_DIR=""
	REG_CREDS=$auth
	REG_LOG=$dir/registry.log
	{
		printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/storage"
		printf 'http:\n  addr: %s\n  secret: ocifs-test-secret\n' "$REG_HOST"
	} >"$dir/config.yml"
	if [ $tls = 1 ]; then
		_registry_ca "$dir" || { fail "registry: cannot make a test CA with openssl"; return 1; }
		printf '  tls:\n    certificate: %s\n    key: %s\n' "$dir/server.crt" "$dir/server.key" >>"$dir/config.yml"
		if [ $ccerts = 1 ]; then
			_registry_client_cert "$dir" || { fail "registry: cannot make a client certificate"; return 1; }
			printf '    clientcas:\n      - %s\n' "$dir/certs/ca.crt" >>"$dir/config.yml"
		fi
		REG_CERT_DIR=$dir/certs
		REG_URL=https://$REG_HOST
	else
		REG_URL=http://$REG_HOST
	fi
	if [ -n "$auth" ]; then
		command -v htpasswd >/dev/null || { fail "htpasswd (apache2-utils) not installed"; return 1; }
		htpasswd -Bbn "${auth%%:*}" "${auth#*:}" >"$dir/htpasswd" 2>/dev/null || return 1
		printf 'auth:\n  htpasswd:\n    realm: ocifs-test\n    path: %s\n' "$dir/htpasswd" >>"$dir/config.yml"
	fi
	docker-registry serve "$dir/config.yml" >"$REG_LOG" 2>&1 &
	REG_PID=$!
	at_exit "registry_stop $REG_PID"
	tries=0
	# /v2/ answers 200, or 401 with auth on: either means it is up.
	until [ "$(registry_curl /v2/ -o /dev/null -w '%{http_code}' 2>/dev/null)" = 200 ] ||
		[ "$(registry_curl /v2/ -o /dev/null -w '%{http_code}' 2>/dev/null)" = 401 ]; do
		tries=$((tries + 1))
		if [ $tries -gt 600 ] || ! kill -0 "$REG_PID" 2>/dev/null; then
			diag "docker-registry did not start: $(tail -n 5 "$REG_LOG")"
			return 1
		fi
		sleep 0.1
	done
}

registry_curl() {
	local path=$1
	shift
	if [ -n "$REG_CERT_DIR" ] && [ -f "$REG_CERT_DIR/client.cert" ]; then
		set -- --cert "$REG_CERT_DIR/client.cert" --key "$REG_CERT_DIR/client.key" "$@"
	fi
	curl -sS ${REG_CERT_DIR:+--cacert "$REG_CERT_DIR/ca.crt"} ${REG_CREDS:+-u "$REG_CREDS"} \
		"$@" "$REG_URL$path"
}

registry_push() {
	local src=$1 name=$2
	if [ -n "$REG_CERT_DIR" ]; then
		set -- --dest-cert-dir "$REG_CERT_DIR"
	else
		set -- --dest-tls-verify=false
	fi
	skopeo copy -q --preserve-digests "$@" ${REG_CREDS:+--dest-creds "$REG_CREDS"} \
		"$src" "docker://$REG_HOST/$name"
}

# registry_put_blob REPO FILE: upload FILE as a blob of REPO (POST, then
# PUT with its digest); prints the digest
registry_put_blob() {
	local d loc sep
	d=sha256:$(sha256sum <"$2" | cut -d' ' -f1)
	loc=$(registry_curl "/v2/$1/blobs/uploads/" -X POST -f -o /dev/null -D - |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	loc=${loc#"$REG_URL"}
	sep='?'
	[[ $loc == *\?* ]] && sep='&'
	registry_curl "$loc${sep}digest=$d" -X PUT -f -o /dev/null \
		-H 'Content-Type: application/octet-stream' --data-binary @"$2" || return 1
	echo "$d"
}

# registry_put_referrer REPO SUBJECT MANIFEST: put MANIFEST (an ocifs
# index artifact's JSON) in REPO by its digest and list it alone under
# SUBJECT's referrers tag (sha256-<hex>); sets REFERRER to its digest
registry_put_referrer() {
	local man=$3
	REFERRER=sha256:$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)
	registry_curl "/v2/$1/manifests/$REFERRER" -X PUT -f -o /dev/null \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$man" &&
		jq -nc --arg d "$REFERRER" --argjson n "$(printf '%s' "$man" | wc -c)" '{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
		"digest": $d, "size": $n, "artifactType": "application/vnd.ocifs.index.v1"}]}' \
		>"$TMP/referrers-tag.json" &&
		registry_curl "/v2/$1/manifests/sha256-${2#sha256:}" -X PUT -f -o /dev/null \
			-H 'Content-Type: application/vnd.oci.image.index.v1+json' \
			--data-binary @"$TMP/referrers-tag.json"
}

registry_stop() {
	local pid=${1:-$REG_PID}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}
