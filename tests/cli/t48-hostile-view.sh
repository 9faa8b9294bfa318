#!/bin/bash
# A hostile merged view in the index artifact (issue #15, src/view_ship.c):
# the view `ocifs index --push` ships, changed with python (a directory
# listed inside itself, names out of order, a name with a '/',
# an inode no name reaches, a file whose bytes lie outside its layer,
# bytes that are no view, a zstd bomb) or annotated for another image or
# other indexes. Each, in the newest (and only) artifact of the image,
# whose indexes are the good ones, is refused with one line naming the
# artifact and what is wrong; the view is built from the installed
# indexes and the listing is right. The good view is taken (-v says so)
# and is the pusher's but for its key. A timeout only catches a hang.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/registry.sh"

need umoci skopeo jq docker-registry curl zstd python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
X=--tls-verify=false
registry_start || { fail "registry did not start"; done_testing; exit; }
R="docker://$REG_HOST/t48"
registry_push "oci:$IMG/oci:test" t48:1
ok $? "skopeo pushed the test image"
MAN=$("$B" inspect --json $X "$R:1" 2>/dev/null | jq -r .manifest_digest)

"$B" index -q --cache-dir "$TMP/c" --push $X "$R:1" >"$TMP/out" 2>"$TMP/err"
ok $? "index --push" || cat "$TMP/err"
ART=$(tail -n1 "$TMP/out")
AM=$(registry_curl "/v2/t48/manifests/$ART" -H 'Accept: application/vnd.oci.image.manifest.v1+json')
VD=$(jq -r '.layers[] | select(.mediaType == "application/vnd.ocifs.view.v2+zstd") | .digest' <<<"$AM")
registry_curl "/v2/t48/blobs/$VD" -o "$TMP/view.zst" && zstd -q -d -f "$TMP/view.zst" -o "$TMP/view"
ok $? "the artifact ships the view ($(stat -c %s "$TMP/view" 2>/dev/null) bytes)" || { done_testing; exit; }
"$B" ls -R --ignore-artifact --cache-dir "$TMP/want" $X "$R:1" / >"$TMP/want.ls" 2>"$TMP/err"
ok $? "the listing, without the artifact ($(wc -l <"$TMP/want.ls") paths)" || cat "$TMP/err"

# the good one: taken, the listing right
timeout 120 "$B" ls -R -v --cache-dir "$TMP/good" $X "$R:1" / >"$TMP/got.ls" 2>"$TMP/err" &&
	cmp -s "$TMP/want.ls" "$TMP/got.ls" && grep -q "the merged view from the index artifact" "$TMP/err" &&
	! grep -q "refused" "$TMP/err" && cmp -s -i 160 "$TMP/good/views/"*.view "$TMP/view"
ok $? "the good view is taken: the listing right, the pusher's view but for its key" || cat "$TMP/err"

# publish ZFILE [JQ]: the artifact with its view blob replaced by ZFILE
# (and the view's descriptor changed by JQ), newer, listed alone under
# the referrers tag; sets EVIL
K=0
publish() {
	local bd man
	K=$((K + 1))
	bd=$(registry_put_blob t48 "$1") || return 1
	man=$(jq -c --arg d "$bd" --argjson n "$(stat -c %s "$1")" \
		--arg t "2099-01-01T00:00:$(printf %02d $K)Z" '
		.annotations["org.opencontainers.image.created"] = $t |
		.layers |= map(if .mediaType == "application/vnd.ocifs.view.v2+zstd" then
			.digest = $d | .size = $n | '"${2:-.}"' else . end)' <<<"$AM")
	registry_put_referrer t48 "$MAN" "$man" || return 1
	EVIL=$REFERRER
}

# refused WHAT REASON: a command on an empty cache lists the image right,
# with one line: the artifact's view refused for REASON; the view built
refused() {
	local c=$TMP/cache$K
	timeout 120 "$B" ls -R --cache-dir "$c" $X "$R:1" / >"$TMP/got.ls" 2>"$TMP/err"
	local rc=$?
	[ $rc = 0 ] && cmp -s "$TMP/want.ls" "$TMP/got.ls"
	ok $? "$1: the command works, the listing right (exit $rc)" || { cat "$TMP/err"; return; }
	[ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -Eq "index artifact ${EVIL:0:19}…: its merged view.*: .*$2.*; building it$" "$TMP/err"
	ok $? "$1: one line: refused, '$2'" || cat "$TMP/err"
	diag "$(sed 's/^.*…: //' "$TMP/err")"
	# built here from the installed indexes: the same tree as without the artifact
	cmp -s -i 160 "$c/views/"*.view "$TMP/want/views/"*.view
	ok $? "$1: the view was built from the indexes"
}

# mutate NAME: the shipped view changed by python (the layout of
# src/view_fmt.h), compressed, published
mutate() {
	python3 - "$1" "$TMP/view" "$TMP/h.view" <<'EOF' && zstd -q -f "$TMP/h.view" -o "$TMP/h.zst" &&
import struct, sys
how, src, dst = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
(nino, nde, nsp, nx, pool, oino, ode, osp, ox, opool) = struct.unpack_from("<10Q", b, 16)
ISZ = (ode - oino) // nino
def ino(i, f):  # field offsets of struct view_inode
    o = {"mode": (0, "I"), "layer": (64, "I"), "data_off": (48, "Q"), "first_child": (84, "I"),
         "nchildren": (88, "I"), "name": (92, "I"), "parent": (96, "I")}[f]
    return oino + i * ISZ + o[0], "<" + o[1]
def get(i, f):
    off, fmt = ino(i, f)
    return struct.unpack_from(fmt, b, off)[0]
def put(i, f, v):
    off, fmt = ino(i, f)
    struct.pack_into(fmt, b, off, v)
def de(k):
    return ode + 8 * k
def name(k):
    p = opool + struct.unpack_from("<I", b, de(k))[0]
    return bytes(b[p:b.index(0, p)])
isdir = lambda i: get(i, "mode") & 0o170000 == 0o040000
dirs = [i for i in range(nino) if isdir(i) and get(i, "nchildren") > 0]
if how == "cycle":  # a directory below the root lists itself
    d = next(i for i in dirs if i != 0)
    struct.pack_into("<I", b, de(get(d, "first_child")) + 4, d)
elif how == "order":  # the root's first two names swapped
    k = get(0, "first_child")
    a, c = struct.unpack_from("<I", b, de(k))[0], struct.unpack_from("<I", b, de(k + 1))[0]
    struct.pack_into("<I", b, de(k), c)
    struct.pack_into("<I", b, de(k + 1), a)
elif how == "slash":  # a name made "a/b": the pool byte after its first one
    k = get(0, "first_child")
    p = opool + struct.unpack_from("<I", b, de(k))[0]
    assert b[p + 1] != 0
    b[p + 1] = ord("/")
elif how == "unreached":  # the root lists one name less
    put(0, "nchildren", get(0, "nchildren") - 1)
elif how == "outside":  # a file's bytes past the end of its layer
    f = next(i for i in range(nino) if get(i, "mode") & 0o170000 == 0o100000)
    put(f, "data_off", 1 << 40)
elif how == "garbage":
    b[160:] = bytes((i * 7 + 3) % 256 for i in range(len(b) - 160))
open(dst, "wb").write(b)
EOF
		publish "$TMP/h.zst"
}

hostile() { # hostile NAME WHAT REASON
	mutate "$1"
	ok $? "$2: made and published" || return
	refused "$2" "$3"
}
hostile cycle "a directory listed inside itself" "directory [0-9]* has two names"
hostile order "names out of order" "the names of inode 0 are not in order"
hostile slash "a name with a '/'" "name [0-9]* is not a file name"
hostile unreached "a name left out of its directory" "(inode [0-9]* is not reached|name [0-9]* is in no directory)"
hostile outside "a file's bytes outside its layer" "it does not load"
hostile garbage "bytes that are no view" "it does not load"

# past the bound (16 MiB + twice the indexes)
head -c $((80 << 20)) /dev/zero | zstd -q -3 >"$TMP/h.zst" && publish "$TMP/h.zst"
ok $? "a zstd bomb ($(stat -c %s "$TMP/h.zst") bytes, 80 MiB of zeros): published"
refused "zstd bomb" "it does not decompress within bounds"

# the good view, annotated for another image or other indexes
zstd -q -f "$TMP/view" -o "$TMP/h.zst"
publish "$TMP/h.zst" '.annotations["io.ocifs.view.key"] = ("0" * 64)'
ok $? "the view annotated with another key: published"
refused "another key" "it is the view of another image or format"
publish "$TMP/h.zst" '.annotations["io.ocifs.view.indexes"] = "sha256:'"$(printf %064d 0)"'"'
ok $? "the view annotated with other indexes: published"
refused "other indexes" "it was not built from the indexes it carries"
done_testing
