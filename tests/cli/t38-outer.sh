#!/bin/bash
# A gzip or zstd outer archive (docker save | gzip) keeps its listing in
# the cache (src/outeridx.c: outer/<key>.idx): the first open decodes the
# file and stores the record, the next open loads it and decodes nothing.
# Observed through `-v`'s stage lines ("build outer index" only when the
# file was decoded) and the record's inode and mtime (not rewritten).
# Oracles: tar -x of the layer tar (the bytes of every file), the same
# image listed from the uncompressed docker.tar (ls -lR, inspect), and
# cmp. Hostile cases: the outer file rewritten in place with its size
# and mtime kept (touch -r), a corrupt, truncated or symlinked record,
# damaged gzip windows (checked when a read restarts at one, not at open:
# the open stays cheap, the read decodes from an earlier checkpoint), an
# unwritable cache.
. "$(dirname "$0")/../lib.sh"

need skopeo gzip zstd jq split cmp || { done_testing; exit; }
B=$OCIFS_BIN
C=$XDG_CACHE_HOME/ocifs

# --- the image: one layer, ~8 MB of text (gzip checkpoints with windows
# every 4 MiB, several zstd frames), and small files ------------------------------
R=$TMP/root
mkdir -p "$R/etc" "$R/data"
seq 1 1200000 >"$R/data/big.txt"
printf 'hello outer\n' >"$R/etc/hello.txt"
head -c 300000 /dev/urandom >"$R/data/random.bin"
seq 7 7 700000 >"$R/data/tail.txt"
# sorted by name: etc/hello.txt comes last, past the second checkpoint
(cd "$R" && tar --sort=name --numeric-owner --owner=0 --group=0 -cf "$TMP/layer.tar" .)
mkoci "$TMP/oci" "$TMP/layer.tar"
skopeo --insecure-policy copy -q "oci:$TMP/oci" "docker-archive:$TMP/app.tar:ocifs/outer:1"
ok $? "skopeo: docker-archive app.tar" || { done_testing; exit; }
gzip -n -6 -c "$TMP/app.tar" >"$TMP/app.tar.gz"
# several frames: each 3 MiB piece compressed on its own
mkdir "$TMP/pieces"
split -b 3M "$TMP/app.tar" "$TMP/pieces/p."
for p in "$TMP"/pieces/p.*; do zstd -q -c "$p"; done >"$TMP/app.tar.zst"
rm -rf "$TMP/pieces"

records() { find "$C/outer" -name '*.idx' 2>/dev/null | wc -l; }
lsr() { "$B" ls -l -R "$1" / 2>/dev/null; }
"$B" ls -l -R "$TMP/app.tar" / >"$TMP/plain.ls" 2>"$TMP/err"
ok $? "ls -lR of the plain docker.tar (the listing oracle)"
"$B" inspect --json "$TMP/app.tar" | jq -S 'del(.path, .outer_compression)' >"$TMP/plain.json"

# same IMG: every file's bytes equal what tar -x of the layer gave
same_bytes() {
	local f
	for f in etc/hello.txt data/big.txt data/random.bin data/tail.txt; do
		"$B" cat "$1" "/$f" 2>"$TMP/cat.err" | cmp -s - "$R/$f" || {
			diag "$1: /$f differs: $(head -n 2 "$TMP/cat.err")"
			return 1
		}
	done
}

n=0
for z in gz zst; do
	img=$TMP/app.tar.$z
	n=$((n + 1))
	"$B" ls -v "$img" / >/dev/null 2>"$TMP/v1.err"
	rc=$?
	[ $rc -eq 0 ] && grep -q "stage build outer index" "$TMP/v1.err" && [ "$(records)" = $n ]
	ok $? "$z: the first open decodes the file and stores one record" ||
		diag "exit $rc, $(records) records: $(grep -v stage "$TMP/v1.err" | head -n 3)"
	rec=$(find "$C/outer" -name '*.idx' -newer "$TMP/plain.json" | xargs ls -t | head -n 1)
	before=$(stat -c '%i %Y.%y' "$rec")
	"$B" ls -v "$img" / >/dev/null 2>"$TMP/v2.err"
	rc=$?
	[ $rc -eq 0 ] && grep -q "stage load outer index" "$TMP/v2.err" &&
		! grep -q "build outer index" "$TMP/v2.err" && [ "$(stat -c '%i %Y.%y' "$rec")" = "$before" ]
	ok $? "$z: the second open loads the record, decodes nothing, rewrites nothing" ||
		diag "exit $rc: $(cat "$TMP/v2.err")"
	[ "$(lsr "$img")" = "$(cat "$TMP/plain.ls")" ]
	ok $? "$z: ls -lR equals the uncompressed docker.tar's"
	"$B" inspect --json "$img" | jq -S 'del(.path, .outer_compression)' >"$TMP/$z.json" &&
		cmp -s "$TMP/$z.json" "$TMP/plain.json"
	ok $? "$z: inspect (manifest, config, layers) equals docker.tar's"
	same_bytes "$img"
	ok $? "$z: every file equals tar -x of the layer (warm, through the record)"
	[ "$(records)" = $n ]
	ok $? "$z: still one record for the file"
done

# --- verify and index refresh it ----------------------------------------------
rec=$(ls -t "$C"/outer/*.idx | tail -n 1) # app.tar.gz's, the older
ino=$(stat -c %i "$rec")
"$B" verify -v "$TMP/app.tar.gz" >/dev/null 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && grep -q "stage build outer index" "$TMP/err" && [ "$(stat -c %i "$rec")" != "$ino" ]
ok $? "verify decodes the outer file again and rewrites its record" || diag "exit $rc: $(cat "$TMP/err")"
rm -f "$C"/outer/*.idx
"$B" index "$TMP/app.tar.gz" >/dev/null 2>"$TMP/err" && [ "$(records)" = 1 ]
ok $? "index stores the record"

gzrec=$(ls "$C"/outer/*.idx)

# --- a corrupt, truncated, symlinked record: rebuilt with one warning --------------
warm_once() { # DESC: one warning naming the record, rebuilt, exact bytes
	"$B" ls -v "$TMP/app.tar.gz" / >/dev/null 2>"$TMP/err"
	local rc=$?
	[ $rc -eq 0 ] && [ "$(grep -v '^ocifs: stage' "$TMP/err" | grep -c .)" = 1 ] &&
		grep -q "^ocifs: warning: cache: $gzrec: $2; rebuilding it$" "$TMP/err" &&
		grep -q "stage build outer index" "$TMP/err" && [ -f "$gzrec" ] && [ ! -L "$gzrec" ] &&
		same_bytes "$TMP/app.tar.gz"
	ok $? "$1: rebuilt with one warning, exact bytes" || diag "exit $rc: $(grep -v stage "$TMP/err")"
}
# The record: a header (its front's length at byte 96), members and
# checkpoints (the front), the front's sha256, then the gzip windows.
sz=$(stat -c %s "$gzrec")
front=$(od -An -t u8 -j 96 -N 8 "$gzrec" | tr -d ' ')
[ "$front" -gt 200 ] && [ $((front + 32)) -lt $((sz / 2)) ]
ok $? "the record has a front ($front bytes) and windows after it ($sz bytes in all)"
printf 'X' | dd of="$gzrec" bs=1 seek=200 conv=notrunc status=none
warm_once "a record with one byte of its front changed" "checksum mismatch"
truncate -s $((sz / 2)) "$gzrec"
warm_once "a record cut in half" "truncated"

# Damaged windows (the second half of the record: windows only, the last
# one among them): the open neither reads nor hashes them (a warm open
# costs what a plain tar's does), so it loads the record without a word;
# a read that restarts at a damaged window decodes from an earlier
# checkpoint instead, with one warning naming the file, and gets the
# exact bytes. etc/hello.txt is the last file: its read restarts at the
# last checkpoint.
sz=$(stat -c %s "$gzrec")
head -c $((sz - sz / 2)) /dev/zero | tr '\0' W |
	dd of="$gzrec" bs=64K seek=$((sz / 2)) oflag=seek_bytes conv=notrunc status=none
ino=$(stat -c %i "$gzrec")
"$B" ls -v "$TMP/app.tar.gz" / >/dev/null 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && grep -q "stage load outer index" "$TMP/err" &&
	! grep -q "build outer index" "$TMP/err" && ! grep -v '^ocifs: stage' "$TMP/err" | grep -q . &&
	[ "$(stat -c %i "$gzrec")" = "$ino" ]
ok $? "windows damaged: the open loads the record, reads no window, warns nothing" ||
	diag "exit $rc: $(cat "$TMP/err")"
"$B" cat "$TMP/app.tar.gz" /etc/hello.txt >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && cmp -s "$TMP/out" "$R/etc/hello.txt" &&
	grep -q "app.tar.gz: the cached window of the gzip checkpoint at [0-9]* fails its checksum; decoding from an earlier checkpoint$" "$TMP/err" &&
	! grep -v "fails its checksum; decoding from an earlier checkpoint$" "$TMP/err" | grep -q .
ok $? "a read past a damaged window: the exact bytes, one kind of warning naming the file" ||
	diag "exit $rc: $(head -n 3 "$TMP/err")"
same_bytes "$TMP/app.tar.gz" 2>/dev/null
ok $? "every file is exact through the damaged windows"
rm -f "$gzrec"
"$B" ls "$TMP/app.tar.gz" / >/dev/null 2>&1 && [ -f "$gzrec" ]
ok $? "the record is written again"
truncate -s 40 "$gzrec"
warm_once "a record of 40 bytes" "of a size ocifs does not write"
cp "$gzrec" "$TMP/planted.idx"
printf 'Y' | dd of="$TMP/planted.idx" bs=1 seek=200 conv=notrunc status=none
cp "$TMP/planted.idx" "$TMP/planted.orig"
rm "$gzrec" && ln -s "$TMP/planted.idx" "$gzrec"
warm_once "a symlink planted at the record" "a symlink; not followed"
cmp -s "$TMP/planted.idx" "$TMP/planted.orig"
ok $? "the symlink's target was neither read as a record nor written"

# --- the outer file rewritten in place, size and mtime kept --------------------------
# The bytes change but size, mtime and inode stay: only ctime tells. A
# stale record would list the old members and decode through the old
# checkpoints; the open must decode the new bytes (and find them broken).
cp -p "$TMP/app.tar.gz" "$TMP/orig.gz"
"$B" ls "$TMP/app.tar.gz" / >/dev/null 2>&1 # the record is fresh
ino=$(stat -c %i "$TMP/app.tar.gz")
sz=$(stat -c %s "$TMP/app.tar.gz")
printf '\377\377\377\377' | dd of="$TMP/app.tar.gz" bs=1 seek=$((sz / 2)) conv=notrunc status=none
touch -r "$TMP/orig.gz" "$TMP/app.tar.gz"
[ "$(stat -c '%i %s %Y' "$TMP/app.tar.gz")" = "$ino $sz $(stat -c %Y "$TMP/orig.gz")" ]
ok $? "rewritten in place: same inode, size and mtime"
"$B" ls -v "$TMP/app.tar.gz" / >/dev/null 2>"$TMP/err"
rc=$?
[ $rc -ne 0 ] && grep -q "stage build outer index" "$TMP/err" &&
	grep -v '^ocifs: stage' "$TMP/err" | grep -q "app.tar.gz"
ok $? "not served from the stale record: decoded again, the damage reported naming the file" ||
	diag "exit $rc: $(cat "$TMP/err")"
# A valid gzip archive of another image, of the same size (padded with
# an empty gzip member whose header carries a comment), written in place
# and touch -r'd: the inode, size and mtime all stay.
cp -p "$TMP/orig.gz" "$TMP/app.tar.gz"
"$B" ls "$TMP/app.tar.gz" / >/dev/null 2>&1 # the record is fresh again
R2=$TMP/root2
mkdir -p "$R2/etc" "$R2/data"
printf 'hello replaced\n' >"$R2/etc/hello.txt"
seq 3 1200002 >"$R2/data/big.txt"
(cd "$R2" && tar --numeric-owner --owner=0 --group=0 -cf "$TMP/layer2.tar" .)
mkoci "$TMP/oci2" "$TMP/layer2.tar"
skopeo --insecure-policy copy -q "oci:$TMP/oci2" "docker-archive:$TMP/app2.tar:ocifs/outer:2"
gzip -n -6 -c "$TMP/app2.tar" >"$TMP/app2.tar.gz"
pad=$((sz - $(stat -c %s "$TMP/app2.tar.gz") - 21))
if [ "$pad" -ge 0 ]; then
	{
		cat "$TMP/app2.tar.gz"
		printf '\037\213\010\020\000\000\000\000\000\377'
		head -c "$pad" /dev/zero | tr '\0' x
		printf '\000\003\000\000\000\000\000\000\000\000\000'
	} >"$TMP/same-size"
	gzip -t "$TMP/same-size" && cat "$TMP/same-size" >"$TMP/app.tar.gz" # in place
	touch -r "$TMP/orig.gz" "$TMP/app.tar.gz"
	[ "$(stat -c '%i %s %Y' "$TMP/app.tar.gz")" = "$ino $sz $(stat -c %Y "$TMP/orig.gz")" ]
	ok $? "another valid image in place: same inode, size and mtime"
	"$B" ls -v "$TMP/app.tar.gz" / >/dev/null 2>"$TMP/err"
	rc=$?
	[ $rc -eq 0 ] && grep -q "stage build outer index" "$TMP/err" &&
		[ "$("$B" cat "$TMP/app.tar.gz" /etc/hello.txt)" = "hello replaced" ] &&
		"$B" cat "$TMP/app.tar.gz" /data/big.txt | cmp -s - "$R2/data/big.txt" &&
		[ "$(lsr "$TMP/app.tar.gz")" = "$(lsr "$TMP/app2.tar")" ]
	ok $? "the other image is read as itself, not through the stale record" ||
		diag "exit $rc: $(grep -v stage "$TMP/err")"
else
	fail "the second image's archive is larger than the first ($pad)"
fi
cp -p "$TMP/orig.gz" "$TMP/app.tar.gz"

# --- no writable cache: works, stores nothing --------------------------------------
touch "$TMP/notadir"
shm_before=$(ls -d /dev/shm/ocifs-cache.* 2>/dev/null | sort)
"$B" ls -R --cache-dir "$TMP/notadir" "$TMP/app.tar.zst" / >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && [ "$(cat "$TMP/out")" = "$("$B" ls -R "$TMP/app.tar" /)" ] &&
	grep -q "temporary cache" "$TMP/err" && [ "$(grep -c . "$TMP/err")" = 1 ]
ok $? "an unwritable cache: the listing is right, one warning" || diag "exit $rc: $(cat "$TMP/err")"
[ "$(ls -d /dev/shm/ocifs-cache.* 2>/dev/null | sort)" = "$shm_before" ]
ok $? "the temporary cache is gone"
# stdin: a fresh spool every time, no record
rm -f "$C"/outer/*.idx
"$B" ls - / <"$TMP/app.tar.gz" >/dev/null 2>&1 && [ "$(records)" = 1 ]
ok $? "stdin redirected from the file: a record of the file itself"
rm -f "$C"/outer/*.idx
cat "$TMP/app.tar.gz" | "$B" ls - / >/dev/null 2>&1 && [ "$(records)" = 0 ]
ok $? "a piped stdin (spooled): no record"

done_testing
