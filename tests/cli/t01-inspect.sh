#!/bin/bash
# ocifs inspect on every image variant mkimage.sh builds: format, layers,
# digests that agree across formats, config, platform choice, JSON.
. "$(dirname "$0")/../lib.sh"

need umoci skopeo jq || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN

json() { "$B" inspect --json "$@"; }

for v in oci oci.tar docker.tar docker.tar.gz zstd-oci multi; do
	out=$(json "$IMG/$v" 2>"$TMP/err")
	ok $? "inspect --json $v"
	printf '%s' "$out" >"$TMP/$v.json"
	jq -e . "$TMP/$v.json" >/dev/null 2>&1
	ok $? "$v: output is valid JSON"
	is=$(jq -r '.layers | length' "$TMP/$v.json" 2>/dev/null)
	[ "$is" = 2 ]
	ok $? "$v: 2 layers (got $is)"
done

fmt() { jq -r .format "$TMP/$1.json"; }
[ "$(fmt oci)" = oci-dir ] && [ "$(fmt oci.tar)" = oci-archive ] &&
	[ "$(fmt docker.tar)" = docker-archive ] && [ "$(fmt docker.tar.gz)" = docker-archive ]
ok $? "formats: $(fmt oci) $(fmt oci.tar) $(fmt docker.tar) $(fmt docker.tar.gz)"
[ "$(jq -r .outer_compression "$TMP/docker.tar.gz.json")" = gzip ]
ok $? "docker.tar.gz: outer gzip detected"

# The same image in three containers: same diff_ids; oci and oci.tar
# also the same blob digests and manifest.
diffs() { jq -c '[.layers[].diff_id]' "$TMP/$1.json"; }
[ "$(diffs oci)" = "$(diffs oci.tar)" ] && [ "$(diffs oci)" = "$(diffs docker.tar)" ] &&
	[ "$(diffs oci)" = "$(diffs docker.tar.gz)" ] && [ "$(diffs oci)" = "$(diffs zstd-oci)" ]
ok $? "diff_ids agree across formats and compressions"
[ "$(jq -c '[.layers[].digest]' "$TMP/oci.json")" = "$(jq -c '[.layers[].digest]' "$TMP/oci.tar.json")" ]
ok $? "oci dir and oci-archive: same blob digests"
[ "$(jq -r .manifest_digest "$TMP/oci.json")" = "$(jq -r .manifest_digest "$TMP/oci.tar.json")" ]
ok $? "oci dir and oci-archive: same manifest digest"
[ "$(jq -r '.layers[0].compression' "$TMP/zstd-oci.json")" = zstd ] &&
	[ "$(jq -r '.layers[0].compression' "$TMP/oci.json")" = gzip ]
ok $? "layer compression from magic bytes"

# Config.
[ "$(jq -r '.config.entrypoint[0]' "$TMP/oci.json")" = /bin/hello ] &&
	jq -e '.config.env | index("OCIFS_TEST=1")' "$TMP/oci.json" >/dev/null &&
	[ "$(jq -r .config.workdir "$TMP/oci.json")" = /srv ]
ok $? "config: entrypoint, env, workdir"
jq -e '.names | map(sub("^docker.io/";"")) | index("ocifs/test:latest")' "$TMP/docker.tar.json" >/dev/null
ok $? "docker-archive RepoTags"
[ "$(jq -r '.layers[0].cache' "$TMP/oci.json")" = missing ]
ok $? "cache state before indexing: missing"

# Platforms.
host=$(jq -r .platform "$TMP/multi.json")
[ "$(jq -r '.platforms | length' "$TMP/multi.json")" = 2 ]
ok $? "multi: two platforms listed"
json --platform linux/arm64 "$IMG/multi" >"$TMP/arm.json" 2>"$TMP/err"
ok $? "multi: --platform linux/arm64"
[ "$(jq -r .platform "$TMP/arm.json")" = linux/arm64/v8 ] || [ "$(jq -r .platform "$TMP/arm.json")" = linux/arm64 ]
ok $? "multi: arm64 manifest chosen ($(jq -r .platform "$TMP/arm.json"))"
jq -e '.config.env | index("OCIFS_ARCH=arm64")' "$TMP/arm.json" >/dev/null
ok $? "multi: arm64 config read"
[ "$host" = linux/amd64 ] || [ "$(uname -m)" != x86_64 ]
ok $? "multi: default is the host platform ($host)"
expect_fail 1 'linux/s390x.*(linux/amd64|available)' "no such platform: one-line error listing platforms" \
	-- "$B" inspect --platform linux/s390x "$IMG/multi"

# Text output.
"$B" inspect "$IMG/docker.tar" >"$TMP/text" 2>&1
ok $? "inspect text output"
grep -q '^format: *docker-archive' "$TMP/text" && grep -q '^layers: *2' "$TMP/text"
ok $? "text output names format and layer count"

done_testing
