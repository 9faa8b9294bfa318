#!/bin/bash
# A docker:// mount through a registry that misbehaves (issue #15): the
# fault-injecting proxy (tests/lib/regproxy.py) between ocifs and a real
# registry drops connections mid-blob, answers 429 with Retry-After and
# 5xx, ignores Range, and flips bytes of a blob. Every read either returns
# the bytes of the files the image was made from (the oracle: cmp against
# the source tree) or fails with EIO; the daemon never hangs or dies, and
# a fault that is gone leaves nothing poisoned behind. The first mount of
# a layer (its index pass) and a warm mount (index cached: every read a
# Range request) are both exercised. Every mount is unmounted.
. "$(dirname "$0")/reglib.sh"

reg_needs gzip zstd tar || { done_testing; exit; }
M=$(mnt_dir m)

# The image: a gzip layer of 16 files of 1 MiB (base64 of random bytes:
# several 4 MiB spans, so warm reads are Range requests inside the blob)
# and a zstd layer with a 2 MiB file and a few small ones.
mkdir -p "$TMP/root/g" "$TMP/root/z"
for i in $(seq -w 1 16); do
	head -c 786432 /dev/urandom | base64 -w 0 | head -c 1048576 >"$TMP/root/g/f$i"
done
head -c 2097152 /dev/urandom >"$TMP/root/z/big"
for i in 1 2 3; do echo "small $i" >"$TMP/root/z/s$i"; done
tar -C "$TMP/root" --owner=0 --group=0 -cf - g | gzip -1 >"$TMP/l1.tar.gz"
tar -C "$TMP/root" --owner=0 --group=0 -cf - z | zstd -q -3 >"$TMP/l2.tar.zst"
mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"
L1=sha256:$(sha256sum <"$TMP/l1.tar.gz" | cut -d' ' -f1)
L2=sha256:$(sha256sum <"$TMP/l2.tar.zst" | cut -d' ' -f1)
BLOBS=$(($(stat -c %s "$TMP/l1.tar.gz") + $(stat -c %s "$TMP/l2.tar.zst")))
FILES=$(cd "$TMP/root" && find . -type f | sort)

registry_start
ok $? "a registry started" || { done_testing; exit; }
registry_push "oci:$TMP/img" app:1
ok $? "image pushed" || { done_testing; exit; }
proxy_start "http://$REG_HOST"
ok $? "proxy started" || { done_testing; exit; }
IMG=docker://$PROXY_HOST/app:1

# same_files: every file of the mount equals its source (a read that
# fails counts as a difference: the callers that allow EIO use read_one)
same_files() {
	local f
	for f in $FILES; do
		timeout 120 cmp -s "$M/$f" "$TMP/root/$f" || { diag "differs: $f"; return 1; }
	done
}
# alive: the daemon runs and its mount answers
alive() { kill -0 "$FG_PID" 2>/dev/null && timeout 60 stat "$M/g" >/dev/null; }
# umnt: unmount; the daemon exits 0
umnt() {
	fusermount3 -u "$M" && fg_wait && [ "$FG_RC" -eq 0 ]
}
# cold_mount CACHE: mount $IMG with an empty cache (the index pass)
cold_mount() {
	rm -rf "$TMP/$1"
	XDG_CACHE_HOME=$TMP/$1 fg_mount "$IMG" "$M" $TLS
}
warm_mount() { XDG_CACHE_HOME=$TMP/warm fg_mount "$IMG" "$M" $TLS; }
faults_seen() { proxy_stats ".faults.$1 // 0"; }

# --- no fault: the reference run, which also fills the warm cache ---------
b0=$(proxy_stats .bytes)
cold_mount warm
ok $? "cold mount through the proxy" || { cat "$TMP/fg.err"; done_testing; exit; }
same_files
ok $? "every file equals its source"
b=$(($(proxy_stats .bytes) - b0))
[ "$b" -ge "$BLOBS" ]
ok $? "the blobs went through the proxy ($b bytes, blobs $BLOBS)"
umnt
ok $? "unmounted, daemon exit 0"

# --- the first mount of a layer (index pass) under faults -------------------------
proxy_ctl '{"faults":[{"kind":"drop","path":"/blobs/","method":"GET","after":300000,"times":2}]}'
d0=$(faults_seen drop)
cold_mount c1 && same_files
ok $? "cold: connections dropped mid-blob twice: the mount serves the right bytes" ||
	{ cat "$TMP/fg.err"; proxy_log | tail -n 5; }
[ $(($(faults_seen drop) - d0)) -eq 2 ]
ok $? "cold: both drops happened"
umnt
ok $? "cold drop: unmounted, exit 0"

proxy_ctl '{"faults":[{"kind":"status","status":429,"retry_after":1,"times":3}]}'
s0=$(proxy_stats '.statuses["429"] // 0')
cold_mount c2 && same_files
ok $? "cold: 429 with Retry-After: 1 three times: the mount serves the right bytes" ||
	cat "$TMP/fg.err"
[ $(($(proxy_stats '.statuses["429"] // 0') - s0)) -eq 3 ]
ok $? "cold: the three 429s were answered"
umnt
ok $? "cold 429: unmounted, exit 0"

proxy_ctl '{"faults":[{"kind":"status","status":500,"times":2},{"kind":"status","status":502,"times":1},
	{"kind":"status","status":503,"path":"/blobs/","times":1}]}'
cold_mount c3 && same_files
ok $? "cold: 500, 500, 502 and a 503 on a blob: the mount serves the right bytes" ||
	cat "$TMP/fg.err"
umnt
ok $? "cold 5xx: unmounted, exit 0"

proxy_ctl '{"faults":[{"kind":"norange","path":"/blobs/"}]}'
cold_mount c4 && same_files
ok $? "cold: a registry that ignores Range: the mount serves the right bytes" || cat "$TMP/fg.err"
umnt
ok $? "cold norange: unmounted, exit 0"

# every blob GET cut after 100 000 bytes: the pass's stream resumes where
# it stopped (progress), so the mount is made; a file's Range read (a
# 256 KiB chunk) resumes too, so its reads are right
proxy_ctl '{"faults":[{"kind":"drop","path":"/blobs/","method":"GET","after":100000}]}'
cold_mount c7
ok $? "cold: every blob GET cut after 100 kB: the pass resumes, the mount is made" ||
	cat "$TMP/fg.err"
bad=
for f in g/f01 z/big; do
	r=$(read_one "$f")
	[ "$r" = ok ] || bad="$bad $f: $r"
done
[ -z "$bad" ] && alive
ok $? "cold cut: its reads resume and are right, the daemon lives${bad:+ ($bad)}"
umnt
ok $? "cold cut: unmounted, exit 0"
# every blob GET dropped before its first byte: no progress, so it fails
proxy_ctl '{"faults":[{"kind":"drop","path":"/blobs/","method":"GET","after":0}]}'
rm -rf "$TMP/c5"
XDG_CACHE_HOME=$TMP/c5 timeout 300 "$B" mount "$IMG" "$M" $TLS 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! is_mounted "$M" && [ -s "$TMP/err" ]
ok $? "cold: every blob GET dropped: the mount fails (exit $rc), no hang" || cat "$TMP/err"
diag "its message: $(head -n 3 "$TMP/err")"
force_umount "$M"

proxy_ctl "{\"faults\":[{\"kind\":\"corrupt\",\"path\":\"/blobs/($L1|$L2)\",\"every\":65536}]}"
rm -rf "$TMP/c6"
XDG_CACHE_HOME=$TMP/c6 timeout 300 "$B" mount "$IMG" "$M" $TLS 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! is_mounted "$M" && grep -Eq "$L1|$L2" "$TMP/err" && grep -q digest "$TMP/err"
ok $? "cold: layers whose bytes differ from their digest: the mount is refused, naming the layer" ||
	{ diag "exit $rc"; cat "$TMP/err"; }
diag "its message: $(head -n 3 "$TMP/err")"
force_umount "$M"
[ -z "$(find "$TMP/c6" -name '*.db' 2>/dev/null)" ]
ok $? "cold corrupt: no index kept for the corrupt blobs"

proxy_ctl '{"faults":[{"kind":"corrupt","path":"/blobs/'"$L2"'"}]}'
rm -rf "$TMP/c7"
XDG_CACHE_HOME=$TMP/c7 timeout 300 "$B" mount "$IMG" "$M" $TLS 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! is_mounted "$M" && grep -q "$L2" "$TMP/err"
ok $? "cold: only the zstd blob's last byte flipped: refused, naming that blob" ||
	{ diag "exit $rc"; cat "$TMP/err"; }
force_umount "$M"

# --- warm mounts (index cached): reads are Range requests -----------------------
# warm_case EXPECT FILE DESC CONTROL: a fresh warm mount (nothing of FILE
# in the daemon's or the kernel's caches), CONTROL set, FILE read: EXPECT
# is "ok" (the right bytes) or "eio". Then the daemon must live and
# answer, and with the faults gone the same read must give the right
# bytes (nothing poisoned); then unmount.
warm_case() {
	local want=$1 f=$2 desc=$3 r
	proxy_ctl '{}'
	warm_mount || { fail "warm mount ($desc)"; cat "$TMP/fg.err"; return; }
	proxy_ctl "$4"
	r=$(read_one "$f")
	[ "$r" = "$want" ]
	ok $? "warm: $desc: $want" || diag "$f: $r"
	alive
	ok $? "warm: $desc: the daemon lives and answers"
	proxy_ctl '{}'
	r=$(read_one "$f")
	[ "$r" = ok ]
	ok $? "warm: $desc, then no fault: the right bytes" ||
		diag "$r; $(cmp "$TMP/read" "$TMP/root/$f" 2>&1)"
	umnt
	ok $? "warm: $desc: unmounted, daemon exit 0"
}
warm_case ok g/f10 "Range ignored" '{"faults":[{"kind":"norange","path":"/blobs/"}]}'
warm_case ok g/f10 "a connection dropped mid-range once" \
	'{"faults":[{"kind":"drop","path":"/blobs/","method":"GET","after":1000,"times":1}]}'
warm_case ok z/big "429 with Retry-After twice (zstd)" \
	'{"faults":[{"kind":"status","status":429,"retry_after":1,"path":"/blobs/","times":2}]}'
warm_case ok z/big "every blob GET cut after 100 kB: each Range resumes (zstd)" \
	'{"faults":[{"kind":"drop","path":"/blobs/","method":"GET","after":100000}]}'
warm_case eio g/f10 "every blob GET dropped" \
	'{"faults":[{"kind":"drop","path":"/blobs/","method":"GET","after":0}]}'
warm_case eio z/big "503 for every blob GET (zstd)" \
	'{"faults":[{"kind":"status","status":503,"path":"/blobs/"}]}'
# A warm read of a tampered range: every 256 KiB chunk a Range read brings
# is checked against the sha256 the verified first pass recorded, so the
# read fails and nothing wrong is cached (decoded bytes would otherwise
# reach the page cache and the span cache before a gzip or zstd checksum
# at the member's or frame's end could object).
warm_case eio g/f10 "flipped bytes in every range (gzip)" \
	'{"faults":[{"kind":"corrupt","path":"/blobs/","every":4096}]}'
warm_case eio z/big "flipped bytes in every range (zstd)" \
	'{"faults":[{"kind":"corrupt","path":"/blobs/","every":4096}]}'
warm_case eio z/big "one flipped byte in the zstd blob" \
	"{\"faults\":[{\"kind\":\"corrupt\",\"path\":\"/blobs/$L2\",\"offsets\":[600000]}]}"
done_testing
