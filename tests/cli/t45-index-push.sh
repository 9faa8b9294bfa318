#!/bin/bash
# `ocifs index --push` (issue #15, src/idxart.h) against a real registry
# (Debian's docker-registry: the referrers tag, no referrers API): the
# artifact's digest is printed; pushing twice makes one referrer and
# uploads nothing; a layer whose chunk sums are missing from the cache
# beside its index is passed again (layer.c) and pushed with them; each
# platform of an index gets its own artifact, which a command on another
# cache uses (-v says so) unless --ignore-artifact; --push refuses an
# image that is not in a registry, and only `index` takes it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/registry.sh"

need umoci skopeo jq docker-registry curl || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
X=--tls-verify=false
registry_start || { fail "registry did not start"; done_testing; exit; }
R="docker://$REG_HOST/t45"
registry_push "oci:$IMG/oci:test" t45:1 &&
	skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$IMG/multi:test" "$R:multi"
ok $? "skopeo pushed the test image and a multi-arch index"

# referrers N DIGEST: the descriptors under the referrers tag of DIGEST
referrers() {
	registry_curl "/v2/t45/manifests/sha256-${1#sha256:}" \
		-H 'Accept: application/vnd.oci.image.index.v1+json' 2>/dev/null |
		jq -c '[(.manifests // [])[] | select(.artifactType == "application/vnd.ocifs.index.v1") | .digest]'
}
MAN=$("$B" inspect --json $X "$R:1" 2>/dev/null | jq -r .manifest_digest)

# --- the index is built, its chunk sums lost, then pushed ---------------------
"$B" index -q --cache-dir "$TMP/c" $X "$R:1" 2>"$TMP/err"
ok $? "index (no push)" || cat "$TMP/err"
n=$(find "$TMP/c/layers" -name '*.chunks' | wc -l)
rm -f "$TMP/c/layers"/*.chunks
"$B" index --cache-dir "$TMP/c" --push $X "$R:1" >"$TMP/out" 2>"$TMP/err"
ok $? "index --push with the chunk sums missing" || cat "$TMP/err"
A1=$(tail -n1 "$TMP/out")
grep -q "^$R:1: [0-9]* layers indexed$" "$TMP/out" && [[ $A1 == sha256:* ]]
ok $? "it prints the summary, then the artifact's digest" || cat "$TMP/out"
[ "$(find "$TMP/c/layers" -name '*.chunks' | wc -l)" = "$n" ] && [ "$n" -gt 0 ]
ok $? "the $n layers were passed again for their chunk sums"
[ "$(referrers "$MAN")" = "[\"$A1\"]" ]
ok $? "one referrer: the artifact" || diag "$(referrers "$MAN")"
AM1=$(registry_curl "/v2/t45/manifests/$A1" -H 'Accept: application/vnd.oci.image.manifest.v1+json')
[ "$(jq '.layers | length' <<<"$AM1")" = $((2 * n + 1)) ] &&
	[ "$(jq -r '.layers[-1].mediaType' <<<"$AM1")" = application/vnd.ocifs.view.v2+zstd ] &&
	[ "$(jq -r '.layers[-1].annotations["io.ocifs.view.indexes"]' <<<"$AM1")" = \
		"$(jq -r '[.layers[] | select(.mediaType | endswith("sqlite+zstd")) | .digest] | join(" ")' \
			<<<"$AM1")" ]
ok $? "with a db and a chunks blob for each of the $n layers, and the merged view built from those dbs" ||
	diag "$AM1"

# --- twice: the same artifact, nothing uploaded -------------------------------
lines=$(wc -l <"$REG_LOG")
"$B" index -q --cache-dir "$TMP/c" --push $X "$R:1" >"$TMP/out" 2>"$TMP/err"
ok $? "index --push again" || cat "$TMP/err"
[ "$(cat "$TMP/out")" = "$A1" ]
ok $? "-q: only the digest, the same one"
! tail -n +"$((lines + 1))" "$REG_LOG" | grep -Eq '"(POST|PUT|PATCH) /v2/'
ok $? "nothing uploaded" || tail -n +"$((lines + 1))" "$REG_LOG" | grep -E '"(POST|PUT)' | head -3
[ "$(referrers "$MAN")" = "[\"$A1\"]" ]
ok $? "still one referrer" || diag "$(referrers "$MAN")"

# --- another cache uses it ----------------------------------------------------
"$B" ls -v --cache-dir "$TMP/other" $X "$R:1" / >"$TMP/ls" 2>"$TMP/err"
ok $? "ls on an empty cache" || cat "$TMP/err"
grep -q "layer indexes from the index artifact" "$TMP/err" &&
	[ "$(ls "$TMP/other/layers"/*.db | wc -l)" = "$(ls "$TMP/c/layers"/*.db | wc -l)" ]
ok $? "-v: its layer indexes came from the artifact" || cat "$TMP/err"
# the view too: the pusher's, but for its key (the index files it names)
grep -q "the merged view from the index artifact" "$TMP/err" &&
	cmp -s -i 160 "$TMP/other/views/"*.view "$TMP/c/views/"*.view
ok $? "-v: the merged view came from the artifact, the pusher's but for its key" || cat "$TMP/err"
"$B" ls --cache-dir "$TMP/c" $X "$R:1" / >"$TMP/ls.want" 2>/dev/null
cmp -s "$TMP/ls" "$TMP/ls.want"
ok $? "the same listing as from the cache that pushed"
"$B" ls -v --ignore-artifact --cache-dir "$TMP/none" $X "$R:1" / >/dev/null 2>"$TMP/err"
ok $? "ls --ignore-artifact" || cat "$TMP/err"
! grep -q "index artifact" "$TMP/err"
ok $? "--ignore-artifact: not used"

# --- wrong chunk sums from an artifact: verify makes them again -------------
# (every Range read is checked against them: wrong ones fail every read of
# the layer, verify's own included, unless verify drops them first)
for f in "$TMP/other/layers"/*.chunks; do
	python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-1] ^= 0xff
open(p, "wb").write(bytes(b))' "$f"
done
"$B" verify -q --cache-dir "$TMP/other" $X "$R:1" >/dev/null 2>"$TMP/err"
ok $? "verify with wrong chunk sums in the cache" || cat "$TMP/err"
bad=0
for f in "$TMP/other/layers"/*.chunks; do
	cmp -s "$f" "$TMP/c/layers/${f##*/}" || bad=1
done
[ $bad = 0 ]
ok $? "it made them again from the blobs"

# --- a platform of an index ---------------------------------------------------
"$B" index -q --cache-dir "$TMP/c" --push --platform linux/arm64 $X "$R:multi" >"$TMP/out" 2>"$TMP/err"
ok $? "index --push --platform linux/arm64 of a multi-arch index" || cat "$TMP/err"
A2=$(tail -n1 "$TMP/out")
ARM=$("$B" inspect --json --platform linux/arm64 $X "$R:multi" 2>/dev/null | jq -r .manifest_digest)
[ "$(referrers "$ARM")" = "[\"$A2\"]" ] && [ "$A2" != "$A1" ]
ok $? "its artifact refers to that platform's manifest" || diag "$(referrers "$ARM")"
AMD=$("$B" inspect --json --platform linux/amd64 $X "$R:multi" 2>/dev/null | jq -r .manifest_digest)
[ "$(referrers "$AMD")" = "[]" ]
ok $? "none for the other platform"

# --- a long referrers list --------------------------------------------------
# 40 artifacts of ours whose subject is another manifest (ignored), listed
# under the referrers tag before the real one, as older pushes would be:
# the newest (the list's end) is found, and at most 32 manifests are
# fetched however long the list (each costs a request).
EMPTY=sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
MT=application/vnd.oci.image.manifest.v1+json
: >"$TMP/junk"
for i in $(seq 1 40); do
	m=$(jq -cn --arg s "$AMD" --arg e "$EMPTY" --arg mt "$MT" --arg i "$i" '{schemaVersion: 2,
		mediaType: $mt, artifactType: "application/vnd.ocifs.index.v1",
		config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $e, size: 2},
		layers: [], subject: {mediaType: $mt, digest: $s, size: 1},
		annotations: {"org.opencontainers.image.created": "2030-01-01T00:00:00Z", n: $i}}')
	d=sha256:$(printf '%s' "$m" | sha256sum | cut -d' ' -f1)
	registry_curl "/v2/t45/manifests/$d" -X PUT -H "Content-Type: $MT" --data-binary "$m" \
		-o /dev/null -w '%{http_code}\n' >>"$TMP/junk.codes"
	jq -cn --arg d "$d" --arg mt "$MT" --argjson n "${#m}" \
		'{mediaType: $mt, digest: $d, size: $n, artifactType: "application/vnd.ocifs.index.v1"}' >>"$TMP/junk"
done
TAG=/v2/t45/manifests/sha256-${MAN#sha256:}
registry_curl "$TAG" -H 'Accept: application/vnd.oci.image.index.v1+json' |
	jq -c --slurpfile j "$TMP/junk" '.manifests = $j + .manifests' >"$TMP/tagidx"
registry_curl "$TAG" -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
	--data-binary @"$TMP/tagidx" -o /dev/null -w '%{http_code}\n' >>"$TMP/junk.codes"
[ "$(sort -u "$TMP/junk.codes")" = 201 ] && [ "$(referrers "$MAN" | jq length)" = 41 ]
ok $? "40 artifacts for another manifest listed before ours" || diag "$(sort "$TMP/junk.codes" | uniq -c)"
lines=$(wc -l <"$REG_LOG")
"$B" ls -v --cache-dir "$TMP/long" $X "$R:1" / >"$TMP/ls" 2>"$TMP/err"
ok $? "ls on an empty cache" || cat "$TMP/err"
grep -q "2 layer indexes from the index artifact" "$TMP/err" && cmp -s "$TMP/ls" "$TMP/ls.want"
ok $? "the artifact is found and used, the others ignored" || cat "$TMP/err"
got=$(tail -n +"$((lines + 1))" "$REG_LOG" | grep -c '"GET /v2/t45/manifests/sha256:')
[ "$got" -le 32 ]
ok $? "at most 32 artifact manifests fetched ($got)"

# --- refusals -----------------------------------------------------------------
"$B" index --push "oci:$IMG/oci:test" >/dev/null 2>"$TMP/err"
[ $? = 2 ] && grep -q "not an image in a registry" "$TMP/err"
ok $? "--push of a local image: a usage error" || cat "$TMP/err"
"$B" verify --push $X "$R:1" >/dev/null 2>"$TMP/err"
[ $? = 2 ] && grep -q -- "--push" "$TMP/err"
ok $? "verify --push: does not apply" || cat "$TMP/err"
"$B" index --help | grep -q -- "--push" && "$B" mount --help | grep -q -- "--ignore-artifact"
ok $? "--push in index's help, --ignore-artifact in mount's"
done_testing
