#!/bin/bash
# A registry layer's chunk sums (CACHE/layers/<hex>.chunks, issue #15) are
# what checks every Range read of a warm mount; they are made by the
# index pass itself. Through the fault proxy (tests/lib/regproxy.py):
#   - a cold mount reads each blob in one streaming GET and writes them, equal to the sha256 of every 256 KiB of
#     each blob computed here (sha256sum);
#   - deleted (or truncated) beside the cached index, and the blob now
#     tampered with: the next mount passes the layer again and refuses it
#     on its digest, or reads fail with EIO -- never wrong bytes;
#   - with the blob right again, that mount re-passes and rewrites them;
#   - deleted while a warm mount runs: its reads are still checked (EIO
#     on a tampered blob), since the sums were loaded at open.
# Every mount is unmounted.
. "$(dirname "$0")/reglib.sh"

reg_needs gzip zstd tar || { done_testing; exit; }
M=$(mnt_dir m)

# A gzip layer and a zstd layer of a few MiB of random bytes (several
# chunks each, the last one short).
mkdir -p "$TMP/root/g" "$TMP/root/z"
for i in 1 2 3; do head -c 1000000 /dev/urandom >"$TMP/root/g/f$i"; done
head -c 1500000 /dev/urandom >"$TMP/root/z/big"
echo small >"$TMP/root/z/s"
tar -C "$TMP/root" --owner=0 --group=0 -cf - g | gzip -1 >"$TMP/l1.tar.gz"
tar -C "$TMP/root" --owner=0 --group=0 -cf - z | zstd -q -3 >"$TMP/l2.tar.zst"
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"
H1=$(sha256sum <"$TMP/l1.tar.gz" | cut -d' ' -f1)
H2=$(sha256sum <"$TMP/l2.tar.zst" | cut -d' ' -f1)
FILES="g/f1 g/f2 g/f3 z/big z/s"
C=$TMP/cache
CH1=$C/ocifs/layers/$H1.chunks
CH2=$C/ocifs/layers/$H2.chunks

registry_start
ok $? "a registry started" || { done_testing; exit; }
registry_push "oci:$TMP/img" app:1
ok $? "image pushed" || { done_testing; exit; }
proxy_start "http://$REG_HOST"
ok $? "proxy started" || { done_testing; exit; }
IMG=docker://$PROXY_HOST/app:1

# the .chunks record of a file, made here: magic, then every 256 KiB's sha256
chunks_of() {
	python3 -c '
import hashlib, sys
d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(b"ocifs-chunks-1\n" + b"".join(
    hashlib.sha256(d[i:i + 262144]).digest() for i in range(0, len(d), 262144)))' "$1"
}
all_right() {
	local f
	for f in $FILES; do [ "$(read_one "$f")" = ok ] || { diag "$f differs"; return 1; }; done
}
umnt() { fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]; }
mnt() { XDG_CACHE_HOME=$C fg_mount "$IMG" "$M" $TLS; }

# --- cold: the pass writes the sums --------------------------------------
mnt
ok $? "cold mount" || { cat "$TMP/fg.err"; done_testing; exit; }
# the pass over each layer is one streaming GET of the whole blob (the
# compression's magic before it is a small Range of its own)
one_get() { # HEX FILE: one GET of the blob brought more than 64 bytes, all of it
	local size
	size=$(stat -c %s "$2")
	proxy_log | awk -v p="/blobs/sha256:$1" -v size="$size" '
		$1 == "GET" && index($2, p) && $5 > 64 { n++; if ($5 == size) whole++ }
		END { exit !(n == 1 && whole == 1) }'
}
one_get "$H1" "$TMP/l1.tar.gz" && one_get "$H2" "$TMP/l2.tar.zst"
ok $? "each layer's first pass was one streaming GET of its blob" || diag "$(proxy_log)"
all_right
ok $? "every file equals its source"
umnt
ok $? "unmounted, daemon exit 0"
chunks_of "$TMP/l1.tar.gz" >"$TMP/want1"
chunks_of "$TMP/l2.tar.zst" >"$TMP/want2"
cmp -s "$CH1" "$TMP/want1" && cmp -s "$CH2" "$TMP/want2"
ok $? "the .chunks the pass wrote equal the blobs' sums computed here"

# --- sums lost, blob tampered: re-passed and refused, or EIO ---------------
# lost_case HOW DESC: damage both .chunks (rm or truncate), flip bytes of
# every blob GET, mount: the mount is refused naming a layer's digest, or
# every file read is EIO; never wrong bytes.
lost_case() {
	local how=$1 desc=$2 rc f r wrong=0 eio=0
	case $how in
	rm) rm -f "$CH1" "$CH2" ;;
	truncate) truncate -s -7 "$CH1" "$CH2" ;;
	esac
	proxy_ctl "{\"faults\":[{\"kind\":\"corrupt\",\"path\":\"/blobs/sha256:($H1|$H2)\",\"every\":65536}]}"
	XDG_CACHE_HOME=$C timeout 300 "$B" mount "$IMG" "$M" $TLS 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 0 ]; then
		for f in $FILES; do
			r=$(read_one "$f")
			case $r in ok) ;; eio) eio=$((eio + 1)) ;; *) wrong=1; diag "$f: $r" ;; esac
		done
		fusermount3 -u "$M"
	fi
	[ $rc -ne 124 ] && [ $wrong -eq 0 ] && { [ $rc -ne 0 ] || [ $eio -gt 0 ]; }
	ok $? "$desc, blob tampered: refused or EIO, never wrong bytes (mount exit $rc, $eio EIO)" ||
		cat "$TMP/err"
	[ $rc -ne 0 ] && grep -q "digest mismatch" "$TMP/err"
	ok $? "$desc: the layer was passed again and failed its digest" || cat "$TMP/err"
	grep -Eq "no chunk sums beside it|chunks: malformed" "$TMP/err"
	ok $? "$desc: the missing sums are said" || cat "$TMP/err"
	force_umount "$M"
	proxy_ctl '{}'
}
lost_case rm ".chunks deleted"
lost_case truncate ".chunks truncated"

# --- the blob right again: the same cache re-passes and rewrites them ------
rm -f "$CH1" "$CH2"
mnt
ok $? "sums lost, blob right: mount" || cat "$TMP/fg.err"
all_right
ok $? "every file equals its source"
umnt
ok $? "unmounted, daemon exit 0"
cmp -s "$CH1" "$TMP/want1" && cmp -s "$CH2" "$TMP/want2"
ok $? "the re-pass wrote the sums again, right"

# --- lost while mounted: the sums were loaded at open ----------------------
mnt
ok $? "warm mount" || cat "$TMP/fg.err"
rm -f "$CH1" "$CH2"
proxy_ctl "{\"faults\":[{\"kind\":\"corrupt\",\"path\":\"/blobs/sha256:($H1|$H2)\",\"every\":4096}]}"
r1=$(read_one g/f2)
r2=$(read_one z/big)
[ "$r1" = eio ] && [ "$r2" = eio ]
ok $? ".chunks deleted after a warm open, blob tampered: EIO (gzip $r1, zstd $r2)"
proxy_ctl '{}'
umnt
ok $? "unmounted, daemon exit 0"
done_testing
