#!/bin/bash
# The virtual files of a mount: /.deps and /.ocifs/deps.{json,txt} hold
# exactly what `ocifs deps` prints, st_size is exact from the first
# lookup, readdir of the root does not show them (unless -o
# show_virtual), they are read-only, and an image's own /.deps wins;
# the virtual xattrs user.ocifs.layer, .layer.digest and .sha256, listed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need gcc python3 tar || { done_testing; exit; }
B=$OCIFS_BIN

# An image with a dynamic and a static binary, a script and a library.
R=$TMP/root
mkdir -p "$R/usr/bin" "$R/usr/lib" "$R/etc"
printf 'int main(void){return 0;}\n' >"$TMP/m.c"
gcc -O2 -o "$R/usr/bin/dyn" "$TMP/m.c"
gcc -O2 -static -o "$R/usr/bin/static" "$TMP/m.c" 2>/dev/null || cp "$R/usr/bin/dyn" "$R/usr/bin/static"
printf '#!/usr/bin/dyn\n' >"$R/usr/bin/run.sh"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" usr etc)
mkoci "$TMP/img" "$TMP/l1.tar"

M=$(mnt_dir mnt)
do_mount "$TMP/img" "$M" 2>"$TMP/err"
ok $? "mount" || { diag "$(cat "$TMP/err")"; done_testing; exit; }
size=$(stat -c %s "$M/.deps")
ok $? "stat /.deps"
cat "$M/.deps" >"$TMP/mnt.json"
[ "$(wc -c <"$TMP/mnt.json")" -eq "$size" ] && [ "$size" -gt 100 ]
ok $? "st_size of /.deps is exact from the first lookup ($size bytes)"
"$B" deps "$TMP/img" --json >"$TMP/cli.json"
cmp -s "$TMP/mnt.json" "$TMP/cli.json"
ok $? "/.deps equals ocifs deps --json"
cmp -s "$M/.deps" "$M/.ocifs/deps.json"
ok $? "/.deps is /.ocifs/deps.json"
read -r ij nj <<<"$(stat -c '%i %h' "$M/.deps")"
it=$(stat -c %i "$M/.ocifs/deps.txt")
id=$(stat -c %i "$M/.ocifs")
[ "$ij" = "$(stat -c %i "$M/.ocifs/deps.json")" ] && [ "$nj" = 2 ] && [ "$it" != "$ij" ] &&
	[ "$id" != "$ij" ] && [ "$id" != "$it" ] &&
	[ -z "$(find "$M" \( -inum "$ij" -o -inum "$it" -o -inum "$id" \) -print)" ]
ok $? "virtual inodes: /.deps and /.ocifs/deps.json one inode (2 links), distinct from the others and from every image file"
"$B" deps "$TMP/img" >"$TMP/cli.txt"
cmp -s "$M/.ocifs/deps.txt" "$TMP/cli.txt" && grep -q '^/usr/bin/dyn ' "$TMP/cli.txt"
ok $? "/.ocifs/deps.txt equals ocifs deps"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = {f["path"]: f for f in d["files"]}
sys.exit(0 if p["/usr/bin/dyn"]["link"] == "dynamic" and p["/usr/bin/run.sh"]["interpreter_path"] == "/usr/bin/dyn" else 1)' \
	"$TMP/mnt.json"
ok $? "/.deps describes the image's binaries and scripts"
[ "$(ls -A "$M" | tr '\n' ' ')" = "etc usr " ]
ok $? "readdir of the root shows only the image ($(ls -A "$M" | tr '\n' ' '))"
[ "$(ls "$M/.ocifs" | tr '\n' ' ')" = "deps.json deps.txt image layers sbom.cdx.json sbom.spdx.json trace.json " ]
ok $? "ls /.ocifs lists deps.json, deps.txt, the SBOM, the trace, image/ and layers/"
find "$M" -name '*.json' | grep -q . && r=1 || r=0
ok $r "find over the mount does not walk into /.ocifs"
echo x 2>/dev/null >"$M/.deps"
[ $? -ne 0 ] && ! { : >>"$M/.ocifs/deps.txt"; } 2>/dev/null
ok $? "virtual files are read-only"
python3 -c '
import errno, os, sys
try:
    os.open(sys.argv[1], os.O_WRONLY)
except OSError as e:
    sys.exit(0 if e.errno in (errno.EROFS, errno.EACCES) else 1)
sys.exit(1)' "$M/.deps"
ok $? "open for writing fails (EROFS or EACCES)"
d1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$TMP/img/index.json")
l1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
	"$TMP/img/blobs/sha256/${d1#sha256:}")
python3 -c '
import hashlib, os, sys
f = sys.argv[1]
v = os.getxattr(f, "user.ocifs.layer").decode()
h = hashlib.sha256(open(f, "rb").read()).hexdigest()
sys.exit(0 if v == "1 " + sys.argv[2] and os.getxattr(f, "user.ocifs.layer.digest").decode() == sys.argv[2]
         and os.getxattr(f, "user.ocifs.sha256").decode() == h
         and {"user.ocifs.layer", "user.ocifs.layer.digest", "user.ocifs.sha256"} <= set(os.listxattr(f))
         else 1)' \
	"$M/usr/bin/dyn" "$l1"
ok $? "user.ocifs.layer names the layer and its digest, layer.digest and sha256 too, all listed"
"$B" umount "$M"
ok $? "umount"

do_mount "$TMP/img" "$M" -o show_virtual 2>"$TMP/err"
ls -A "$M" | grep -qx .deps && ls -A "$M" | grep -qx .ocifs
ok $? "-o show_virtual lists /.deps and /.ocifs"
cmp -s "$M/.deps" "$TMP/cli.json"
ok $? "a warm mount serves the same document (from the cache)"
"$B" umount "$M"

# The image's own /.deps wins.
printf 'my own deps\n' >"$R/.deps"
(cd "$R" && tar --numeric-owner -cf "$TMP/l2.tar" .deps usr)
mkoci "$TMP/img2" "$TMP/l2.tar"
do_mount "$TMP/img2" "$M" 2>"$TMP/err"
[ "$(cat "$M/.deps")" = "my own deps" ] && [ -s "$M/.ocifs/deps.json" ]
ok $? "an image's real /.deps hides the alias; /.ocifs still serves"
"$B" umount "$M"
done_testing
