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

# --- 300 small ELFs, each with 50 NEEDED found nowhere and a RUNPATH of
# 2000 directories that do not exist (each file its own names)
python3 "$OCIFS_SRCDIR/tests/gen/mkmanyelf.py" "$TMP/many" 300 50 2000
(cd "$TMP/many" && tar --numeric-owner -cf "$TMP/many.tar" .)
mkoci "$TMP/img-many" "$TMP/many.tar"
timeout 600 "$B" deps "$TMP/img-many" --json >"$TMP/many.json" 2>"$TMP/err"
ok $? "many NEEDED x a huge RUNPATH: deps --json exits 0"
python3 - "$TMP/many.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fs = d["files"]
bad = []
for f in fs:
    t = " ".join(f.get("truncated", []))
    size = len(json.dumps(f, indent=2))
    if not ("runpath: the first" in t and "needed: 16 of 50 shown (50 not found)" in t and
            "search list was cut" in t):
        bad.append((f["path"], "markers", t))
    elif len(f["runpath"]) > 1024 or len(f["needed"]) != 16 or len(f["unresolved"]) != 16:
        bad.append((f["path"], "caps"))
    elif size > 16384:
        bad.append((f["path"], "size", size))
ok = len(fs) == 300 and d["summary"]["unresolved"] == 300 and not bad
print("# " + repr(bad[:3]))
sys.exit(0 if ok else 1)
PY
ok $? "each file: truncated markers (runpath, needed, search list), output capped below 16 KiB"
[ -s "$TMP/many.json" ] && [ "$(wc -c <"$TMP/many.json")" -lt $((300 * 16384)) ]
ok $? "the whole document is bounded ($(wc -c <"$TMP/many.json") bytes for 300 files)"
"$B" deps "$TMP/img-many" /bin/e7 >"$TMP/many.txt" 2>"$TMP/err"
grep -q '^  truncated: runpath: the first' "$TMP/many.txt" &&
	grep -q '^  truncated: needed: 16 of 50 shown' "$TMP/many.txt"
ok $? "deps.txt says what was truncated"

# --- a sparse 250 MiB ELF: only the ranges the analyzers ask for are read
mkdir -p "$TMP/sparse/usr/bin"
cp /bin/true "$TMP/sparse/usr/bin/big"
truncate -s 250M "$TMP/sparse/usr/bin/big"
(cd "$TMP/sparse" && tar -S --numeric-owner -cf "$TMP/sparse.tar" .)
mkoci "$TMP/img-sparse" "$TMP/sparse.tar"
max_rss_kb "$TMP/rss" "$B" deps "$TMP/img-sparse" --json \
	>"$TMP/sparse.json" 2>"$TMP/err"
ok $? "a sparse 250 MiB ELF: deps exits 0"
rss=$(tail -n 1 "$TMP/rss")
[ "$rss" -lt 65536 ]
ok $? "a sparse 250 MiB ELF: max RSS $rss KiB < 64 MiB (not read whole)"
python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
sys.exit(0 if f["path"] == "/usr/bin/big" and f["link"] == "dynamic" and
         f["size"] == 250 << 20 and f["needed"][0]["name"] == "libc.so.6" else 1)' "$TMP/sparse.json"
ok $? "a sparse 250 MiB ELF: analyzed in place (link, NEEDED)"

done_testing
