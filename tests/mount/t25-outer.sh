#!/bin/bash
# Mounting a gzip-compressed docker-archive warm, through its cached
# listing (src/outeridx.c): the mount's trace shows the record loaded and
# no decode pass, and the tree is byte for byte what the uncompressed
# docker.tar mounts (diff -r) and what tar -x of the layer gives.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need skopeo gzip jq || { done_testing; exit; }
B=$OCIFS_BIN

R=$TMP/root
mkdir -p "$R/etc" "$R/data/sub"
seq 1 1200000 >"$R/data/big.txt"
printf 'hello outer\n' >"$R/etc/hello.txt"
head -c 200000 /dev/urandom >"$R/data/sub/random.bin"
ln -s ../etc/hello.txt "$R/data/link"
(cd "$R" && tar --numeric-owner --owner=0 --group=0 -cf "$TMP/layer.tar" .)
mkoci "$TMP/oci" "$TMP/layer.tar"
skopeo --insecure-policy copy -q "oci:$TMP/oci" "docker-archive:$TMP/app.tar:ocifs/outer:1"
ok $? "skopeo: docker-archive app.tar" || { done_testing; exit; }
gzip -n -6 -c "$TMP/app.tar" >"$TMP/app.tar.gz"

"$B" index "$TMP/app.tar.gz" >/dev/null 2>"$TMP/err"
ok $? "index app.tar.gz (stores the record)" || diag "$(cat "$TMP/err")"
spans() { jq -r '.resourceSpans[].scopeSpans[].spans[].name' "$1/.ocifs/trace.json"; }
m=$(mnt_dir gz)
p=$(mnt_dir plain)
do_mount "$TMP/app.tar.gz" "$m" 2>"$TMP/err" && do_mount "$TMP/app.tar" "$p" 2>>"$TMP/err"
ok $? "mount app.tar.gz and app.tar" || diag "$(cat "$TMP/err")"
spans "$m" >"$TMP/spans"
grep -qx "load outer index" "$TMP/spans" && ! grep -q "build outer index" "$TMP/spans"
ok $? "the warm mount loaded the record and decoded nothing" || diag "$(cat "$TMP/spans")"
diff -r --no-dereference "$p" "$m" -x .ocifs >"$TMP/diff" 2>&1
ok $? "the tree equals the uncompressed docker.tar's mount (diff -r)" || diag "$(head -n 5 "$TMP/diff")"
diff -r --no-dereference "$R" "$m" -x .ocifs >"$TMP/diff" 2>&1
ok $? "the tree equals tar -x of the layer (diff -r)" || diag "$(head -n 5 "$TMP/diff")"
"$B" umount "$m" && "$B" umount "$p"
ok $? "unmounted"
done_testing
