#!/bin/bash
# The merged view without a mount: ls -R/-l, cat, stat (text and JSON),
# paths escaping the root skipped and counted, and the view cache.
. "$(dirname "$0")/../lib.sh"

need umoci skopeo jq python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN

"$B" ls -R "$IMG/docker.tar" >"$TMP/ls" 2>"$TMP/err"
ok $? "ls -R of the merged image"
cat >"$TMP/want" <<'W'
bin
bin/hello
etc
etc/hello-hard.txt
etc/hello.txt
replace-me
srv
srv/a
srv/a/b
srv/a/b/c
srv/a/b/c/deep.txt
srv/a/new.txt
srv/hello-link
usr
usr/share
usr/share/doc
usr/share/doc/becomes-dir
usr/share/doc/becomes-dir/child.txt
W
diff "$TMP/want" "$TMP/ls" >"$TMP/d"
ok $? "merged tree: whiteouts applied, replacements made"
[ -s "$TMP/d" ] && diag "$(cat "$TMP/d")"
[ "$("$B" cat "$IMG/oci.tar" /etc/hello-hard.txt)" = "hello from layer 2" ]
ok $? "cat reads the upper layer's bytes through a hardlink name"
"$B" ls -l "$IMG/oci" /srv | grep -q 'hello-link -> ../etc/hello.txt'
ok $? "ls -l shows symlink targets verbatim"
"$B" stat --json "$IMG/zstd-oci" /etc/hello.txt >"$TMP/st"
jq -e '.nlink == 2 and .layer == 2 and .type == "regular file" and .size == 19' "$TMP/st" >/dev/null
ok $? "stat --json: hardlink count and supplying layer"
i1=$("$B" stat --json "$IMG/oci" /etc/hello.txt | jq .ino)
i2=$("$B" stat --json "$IMG/oci" /etc/hello-hard.txt | jq .ino)
[ -n "$i1" ] && [ "$i1" = "$i2" ]
ok $? "hardlink names share one inode"
"$B" stat "$IMG/oci" /usr/share/doc/becomes-dir | grep -q 'Type: directory'
ok $? "stat text output"
expect_fail 1 'no "/etc/delete-me.txt"' "a whited-out file is gone" -- \
	"$B" cat "$IMG/oci" /etc/delete-me.txt
expect_fail 1 'not a regular file' "cat of a directory" -- "$B" cat "$IMG/oci" /etc
[ "$("$B" cat "$IMG/oci" ../../etc/hello.txt)" = "$("$B" cat "$IMG/oci" /etc/hello.txt)" ]
ok $? "a path argument climbing above the root stays at the root, as in a chroot (t27)"
[ -n "$(ls "$XDG_CACHE_HOME"/ocifs/views/*.view 2>/dev/null)" ]
ok $? "the view is cached"

# Hostile names: entries leaving the root are skipped (and counted),
# the rest of the layer stays.
python3 - "$TMP/esc.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    for name, data in [('ok', b'fine'), ('../evil', b'x'), ('a/../../evil2', b'y'),
                       ('./b/./c//d', b'normalized'), ('/abs', b'absolute')]:
        ti = tarfile.TarInfo(name); ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PY
mkoci "$TMP/esc" "$TMP/esc.tar"
"$B" index "$TMP/esc" >"$TMP/out" 2>"$TMP/err"
ok $? "a layer with escaping paths still indexes"
grep -q '2 entries skipped' "$TMP/out" && [ "$(grep -c 'leaves the root' "$TMP/err")" -eq 2 ]
ok $? "escapes counted and warned about"
"$B" ls -R "$TMP/esc" >"$TMP/ls" 2>/dev/null
printf 'abs\nb\nb/c\nb/c/d\nok\n' | diff - "$TMP/ls" >/dev/null
ok $? "only the paths inside the root remain, normalized"
[ ! -e "$TMP/evil" ] && [ ! -e "$XDG_CACHE_HOME/evil" ]
ok $? "nothing written outside"

# A corrupt view file is rebuilt.
v=$(ls "$XDG_CACHE_HOME"/ocifs/views/*.view | head -1)
printf 'junk' | dd of="$v" conv=notrunc status=none
"$B" ls "$IMG/oci" >/dev/null 2>"$TMP/err" || true
for v in "$XDG_CACHE_HOME"/ocifs/views/*.view; do printf 'junk' | dd of="$v" conv=notrunc status=none; done
"$B" ls -R "$IMG/oci" >"$TMP/ls2" 2>"$TMP/err"
ok $? "ls with a corrupt view cache works"
grep -q 'rebuilding' "$TMP/err"
ok $? "corrupt view: warning says it is rebuilt"
done_testing
