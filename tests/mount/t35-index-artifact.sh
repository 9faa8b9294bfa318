#!/bin/bash
# The index artifact (issue #15, src/idxart.h): `ocifs index --push` puts
# every layer's index and chunk sums in the registry as an OCI artifact
# referring to the image; a machine with an empty cache then mounts the
# image without downloading its layers. Against a real registry (Debian's
# docker-registry, distribution 2.8: no referrers API, so the artifact is
# listed by the "sha256-<hex>" referrers tag) through the counting,
# fault-injecting proxy (tests/lib/regproxy.py):
#   - mount + find + one file read cost < 5 % of the image's layer bytes,
#     and the mount equals the local mount of the same image (treesum.py);
#   - a layer blob changed after the push: reads fail with EIO, never
#     wrong bytes (the artifact's chunk sums);
#   - a tampered artifact blob is refused (its digest) and the layer is
#     indexed from its blob, the mount right;
#   - an artifact whose index names another layer is ignored;
#   - --ignore-artifact does without it.
# Every mount is unmounted.
. "$(dirname "$0")/reglib.sh"

reg_needs gzip pzstd tar || { done_testing; exit; }
M=$(mnt_dir m)
L=$(mnt_dir local)
SUM="python3 $OCIFS_SRCDIR/tests/gen/treesum.py"

# The image: text of random words (compresses as real files do, ~3:1),
# 40 MiB in a gzip layer and 16 MiB in a multi-frame zstd layer (pzstd),
# with small files around the big ones.
python3 - "$TMP/root" <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(35)
words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
         for _ in range(4000)]
def text(n):
    out, size = [], 0
    while size < n:
        line = " ".join(rnd.choice(words) for _ in range(12)) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out)[:n]
for layer, nbig in (("g", 40), ("z", 16)):
    for d in range(4):
        p = os.path.join(root, layer, "small%d" % d)
        os.makedirs(p)
        for i in range(50):
            with open(os.path.join(p, "f%d" % i), "w") as f:
                f.write(text(rnd.randint(10, 3000)))
    os.makedirs(os.path.join(root, layer, "big"))
    for i in range(nbig):
        with open(os.path.join(root, layer, "big", "b%02d" % i), "w") as f:
            f.write(text(1 << 20))
EOF
tar -C "$TMP/root" --owner=0 --group=0 --sort=name -cf - g | gzip -6 >"$TMP/l1.tar.gz"
tar -C "$TMP/root" --owner=0 --group=0 --sort=name -cf - z | pzstd -q -3 -p 2 >"$TMP/l2.tar.zst"
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"
L1=sha256:$(sha256sum <"$TMP/l1.tar.gz" | cut -d' ' -f1)
L2=sha256:$(sha256sum <"$TMP/l2.tar.zst" | cut -d' ' -f1)
BLOBS=$(($(stat -c %s "$TMP/l1.tar.gz") + $(stat -c %s "$TMP/l2.tar.zst")))
diag "layer bytes: $BLOBS"
# the file read: a small one past the middle of the gzip layer
ONE=g/small3/f17

registry_start
ok $? "a registry started" || { done_testing; exit; }
registry_push "oci:$TMP/img" app:1
ok $? "image pushed" || { done_testing; exit; }
proxy_start "http://$REG_HOST"
ok $? "proxy started" || { done_testing; exit; }
DIRECT=docker://$REG_HOST/app:1
IMG=docker://$PROXY_HOST/app:1
MAN=$("$B" inspect --json $TLS "$DIRECT" 2>/dev/null | jq -r .manifest_digest)

# --- push ----------------------------------------------------------------------
XDG_CACHE_HOME=$TMP/pusher "$B" index -q --push $TLS "$DIRECT" >"$TMP/push.out" 2>"$TMP/push.err"
ok $? "index --push" || cat "$TMP/push.err"
ART=$(tail -n1 "$TMP/push.out")
case $ART in sha256:*) pass "it prints the artifact's digest ($ART)" ;;
*) fail "no digest printed: $(cat "$TMP/push.out")" ;; esac

# distribution 2.8: no referrers API, the artifact is under the tag
code=$(registry_curl "/v2/app/referrers/$MAN" -o /dev/null -w '%{http_code}')
tagidx=$(registry_curl "/v2/app/manifests/sha256-${MAN#sha256:}" \
	-H 'Accept: application/vnd.oci.image.index.v1+json')
[ "$code" = 404 ] && [ "$(jq -r '[.manifests[] | select(.artifactType ==
	"application/vnd.ocifs.index.v1")] | length' <<<"$tagidx")" = 1 ] &&
	[ "$(jq -r '.manifests[0].digest' <<<"$tagidx")" = "$ART" ]
ok $? "no referrers API (404): the artifact is listed under the referrers tag" ||
	diag "referrers $code; tag: $tagidx"
am=$(registry_curl "/v2/app/manifests/$ART" -H 'Accept: application/vnd.oci.image.manifest.v1+json')
[ "$(jq -r .subject.digest <<<"$am")" = "$MAN" ] && [ "$(jq '.layers | length' <<<"$am")" = 5 ] &&
	[ "$(jq -r '[.layers[].annotations["io.ocifs.layer.digest"] // empty] | unique | join(" ")' <<<"$am")" = \
		"$(printf '%s\n' "$L1" "$L2" | sort | tr '\n' ' ' | sed 's/ $//')" ] &&
	[ "$(jq -r '.layers[4].mediaType' <<<"$am")" = application/vnd.ocifs.view.v2+zstd ]
ok $? "the artifact: subject the image manifest, a db and a chunks blob for each layer, the view" ||
	diag "$am"
diag "its blobs: $(jq -r '[.layers[] | "\(.mediaType | sub(".*index."; "")) \(.size)"] | join(", ")' <<<"$am")"

# pushed again, through the proxy: the same artifact, nothing uploaded
p0=$(proxy_stats .requests)
XDG_CACHE_HOME=$TMP/pusher "$B" index -q --push $TLS "$IMG" >"$TMP/push2.out" 2>"$TMP/push.err"
ok $? "index --push again" || cat "$TMP/push.err"
[ "$(tail -n1 "$TMP/push2.out")" = "$ART" ]
ok $? "it names the same artifact"
! proxy_log | awk -v n="$p0" 'NR > n' | grep -Eq '^(POST|PUT|PATCH) '
ok $? "nothing was uploaded the second time" || proxy_log | grep -E '^(POST|PUT)' | head -5
tagidx=$(registry_curl "/v2/app/manifests/sha256-${MAN#sha256:}" \
	-H 'Accept: application/vnd.oci.image.index.v1+json')
[ "$(jq '.manifests | length' <<<"$tagidx")" = 1 ]
ok $? "still one referrer" || diag "$tagidx"

# --- a cold mount with the artifact -----------------------------------------------
b0=$(proxy_stats .bytes)
XDG_CACHE_HOME=$TMP/cold fg_mount "$IMG" "$M" $TLS
ok $? "cold mount through the proxy, with the artifact" || cat "$TMP/fg.err"
n=$(find "$M" | wc -l)
cat "$M/$ONE" >"$TMP/one"
cmp -s "$TMP/one" "$TMP/root/$ONE"
ok $? "find ($n paths) and one file read ($ONE): the right bytes"
b=$(($(proxy_stats .bytes) - b0))
[ $((b * 100)) -lt $((BLOBS * 5)) ]
ok $? "mount + find + one file: $b bytes through the proxy, $((b * 1000 / BLOBS))‰ of the layers' $BLOBS (< 5 %)" ||
	proxy_log | awk '{ print $2, $3, $5 }' | tail -n 20
! grep -q . "$TMP/fg.err"
ok $? "no warning" || cat "$TMP/fg.err"
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"

# the same tree as the local mount, read from that cache
do_mount "oci:$TMP/img" "$L" 2>"$TMP/err" &&
	XDG_CACHE_HOME=$TMP/cold fg_mount "$IMG" "$M" $TLS
ok $? "the local mount and the artifact's again" || cat "$TMP/err" "$TMP/fg.err"
$SUM "$L" >"$TMP/want"
$SUM "$M" >"$TMP/got"
diff "$TMP/want" "$TMP/got" >"$TMP/diff"
ok $? "the registry mount equals the local one ($(wc -l <"$TMP/want") paths)" ||
	diag "$(head -20 "$TMP/diff")"
"$B" umount "$L"
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"

# --- a layer blob changed after the push: EIO, never wrong bytes --------------
proxy_ctl "{\"faults\":[{\"kind\":\"corrupt\",\"path\":\"/blobs/$L1\",\"every\":4096}]}"
XDG_CACHE_HOME=$TMP/tamper fg_mount "$IMG" "$M" $TLS
ok $? "mount with the artifact, the gzip layer's bytes flipped by the registry" ||
	cat "$TMP/fg.err"
timeout 120 cat "$M/$ONE" >"$TMP/one" 2>"$TMP/read.err"
rc=$?
[ $rc -ne 0 ] && grep -q 'Input/output error' "$TMP/read.err"
ok $? "reading a file of it: EIO (cat exit $rc)" || { diag "$(cat "$TMP/read.err")"; cmp "$TMP/one" "$TMP/root/$ONE"; }
bad=0
for f in g/big/b00 g/small0/f1 g/big/b39; do
	if timeout 120 cat "$M/$f" >"$TMP/one" 2>/dev/null; then
		cmp -s "$TMP/one" "$TMP/root/$f" || { bad=1; diag "wrong bytes: $f"; }
	fi
done
[ $bad = 0 ]
ok $? "no read returned wrong bytes"
proxy_ctl '{}'
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"

# --- a tampered artifact blob: refused, the layer indexed from its blob -------
DB1=$(jq -r --arg l "$L1" '.layers[] | select(.annotations["io.ocifs.layer.digest"] == $l and
	(.mediaType | endswith("zstd"))) | .digest' <<<"$am")
proxy_ctl "{\"faults\":[{\"kind\":\"corrupt\",\"path\":\"/blobs/$DB1\",\"every\":1000}]}"
n0=$(proxy_log | wc -l)
XDG_CACHE_HOME=$TMP/badart fg_mount "$IMG" "$M" $TLS
ok $? "mount with the gzip layer's index blob tampered" || cat "$TMP/fg.err"
grep -q "does not match its digest; indexing it from its blob" "$TMP/fg.err"
ok $? "one note: refused, indexed from the blob" || cat "$TMP/fg.err"
cmp -s "$M/$ONE" "$TMP/root/$ONE" && cmp -s "$M/g/big/b20" "$TMP/root/g/big/b20" &&
	cmp -s "$M/z/big/b03" "$TMP/root/z/big/b03"
ok $? "the files are right"
# bytes of a blob this mount fetched (the proxy's log since n0)
blob_bytes() {
	proxy_log | tail -n +$((n0 + 1)) | awk -v p="/blobs/$1" '$1 == "GET" && index($2, p) { n += $5 } END { print n + 0 }'
}
g=$(blob_bytes "$L1")
z=$(blob_bytes "$L2")
s1=$(stat -c %s "$TMP/l1.tar.gz")
s2=$(stat -c %s "$TMP/l2.tar.zst")
[ "$g" -ge "$s1" ] && [ "$z" -lt "$s2" ]
ok $? "the gzip layer was read whole ($g of $s1 bytes), the zstd one not ($z of $s2)" ||
	diag "$(proxy_log | tail -n +$((n0 + 1)))"
proxy_ctl '{}'
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"

# --- a newer artifact whose indexes name the other layer: ignored -------------
# (each layer's index annotated as the other's, the chunk sums left; listed
# under the referrers tag beside the good one, and newer)
evil=$(jq -c --arg a "$L1" --arg b "$L2" '.annotations["org.opencontainers.image.created"] =
	"2099-01-01T00:00:00Z" | .layers |= map(if (.mediaType | endswith("zstd")) then
	.annotations["io.ocifs.layer.digest"] |= (if . == $a then $b else $a end) else . end)' <<<"$am")
ED=sha256:$(printf '%s' "$evil" | sha256sum | cut -d' ' -f1)
registry_curl "/v2/app/manifests/$ED" -X PUT -o /dev/null -f \
	-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$evil" &&
	jq -c --arg d "$ED" --argjson n "$(printf '%s' "$evil" | wc -c)" '.manifests += [{
	"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": $d, "size": $n,
	"artifactType": "application/vnd.ocifs.index.v1"}]' <<<"$tagidx" >"$TMP/tag.json" &&
	registry_curl "/v2/app/manifests/sha256-${MAN#sha256:}" -X PUT -o /dev/null -f \
		-H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary @"$TMP/tag.json"
ok $? "a second, newer artifact listed, whose indexes name the other layer"
b0=$(proxy_stats .bytes)
XDG_CACHE_HOME=$TMP/evil fg_mount "$IMG" "$M" $TLS
ok $? "mount" || cat "$TMP/fg.err"
[ "$(grep -c "another layer" "$TMP/fg.err")" = 2 ]
ok $? "both layers of the newer artifact refused: their index names another layer" ||
	cat "$TMP/fg.err"
find "$M" >/dev/null && cmp -s "$M/$ONE" "$TMP/root/$ONE"
ok $? "find and the file read: right"
b=$(($(proxy_stats .bytes) - b0))
[ $((b * 100)) -lt $((BLOBS * 5)) ]
ok $? "the older artifact served: $b bytes (< 5 %)"
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"

# --- the artifact's blobs requested at once --------------------------------
# The gzip layer's chunk sums and index are held by the proxy until both
# are asked for: fetched one after the other, neither is "gathered" (each
# is answered alone after 20 s).
CH1=$(jq -r --arg l "$L1" '.layers[] | select(.annotations["io.ocifs.layer.digest"] == $l and
	(.mediaType | endswith("chunks.v1"))) | .digest' <<<"$am")
g0=$(proxy_stats .gathered)
proxy_ctl "{\"faults\":[{\"kind\":\"gather\",\"count\":2,\"path\":\"/blobs/($DB1|$CH1)\"}]}"
XDG_CACHE_HOME=$TMP/gather fg_mount "$IMG" "$M" $TLS
ok $? "mount, the gzip layer's index and chunk sums held until both are asked for" ||
	cat "$TMP/fg.err"
[ $(($(proxy_stats .gathered) - g0)) = 2 ]
ok $? "the two were requested at once" || diag "gathered: $(($(proxy_stats .gathered) - g0))"
proxy_ctl '{}'
cmp -s "$M/$ONE" "$TMP/root/$ONE"
ok $? "the file is right"
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"

# --- the referrers API and the referrers tag asked at once ------------------
# Held by the proxy until both are asked for: asked one after the other
# (the tag only after the API's 404), neither is "gathered".
g0=$(proxy_stats .gathered)
b0=$(proxy_stats .bytes)
proxy_ctl '{"faults":[{"kind":"gather","count":2,"path":"/referrers/sha256:|/manifests/sha256-"}]}'
XDG_CACHE_HOME=$TMP/gather2 fg_mount "$IMG" "$M" $TLS
ok $? "mount, the referrers API and tag held until both are asked for" || cat "$TMP/fg.err"
[ $(($(proxy_stats .gathered) - g0)) = 2 ]
ok $? "the two were requested at once" || diag "gathered: $(($(proxy_stats .gathered) - g0))"
proxy_ctl '{}'
cmp -s "$M/$ONE" "$TMP/root/$ONE" && b=$(($(proxy_stats .bytes) - b0)) && [ "$b" -lt "$BLOBS" ]
ok $? "the file is right, the artifact used ($b bytes, no layer whole)"
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"

# --- --ignore-artifact -----------------------------------------------------
b0=$(proxy_stats .bytes)
XDG_CACHE_HOME=$TMP/noart fg_mount "$IMG" "$M" $TLS --ignore-artifact
ok $? "mount --ignore-artifact" || cat "$TMP/fg.err"
b=$(($(proxy_stats .bytes) - b0))
[ "$b" -ge "$BLOBS" ] && cmp -s "$M/$ONE" "$TMP/root/$ONE"
ok $? "every layer read whole ($b bytes), the file right"
fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
ok $? "unmounted, daemon exit 0"
done_testing
