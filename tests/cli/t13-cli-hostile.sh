#!/bin/bash
# The command line against hostile output and input: write errors on
# stdout fail the command (every subcommand), names from the image reach
# the terminal escaped exactly as `ls -b` prints them (GNU ls on an
# extracted copy is the oracle), `ls -R` walks a 5000-deep tree, and a
# mistyped command is never taken for the `ocifs IMAGE DIR` mount form.
# shellcheck disable=SC2010,SC2012 # ls output is the oracle here, on purpose
. "$(dirname "$0")/../lib.sh"

need python3 tar ls || { done_testing; exit; }
B=$OCIFS_BIN
export LC_ALL=C.UTF-8 # ls -b keeps printable UTF-8, as ocifs does

# A small image: a hostile directory h/ (names with ESC, newline, tab,
# backslash, space, DEL, invalid UTF-8, a C1 control; a symlink whose
# target has an OSC sequence; a subdirectory), a script for deps, a
# hardlink to a missing target and a path leaving the root (warnings).
python3 - "$TMP/l1.tar" "$TMP/l2.tar" "$TMP/oracle" <<'PY'
import io, os, sys, tarfile
def n(b):
    return b.decode('utf-8', 'surrogateescape')
names = [b'esc\x1b[31mred', b'nl\nline', b'tab\tx', b'back\\slash', b'sp ace', b'del\x7f',
         b'high\xe9\xff', b'utf\xc3\xa9', b'c1\xc2\x9b2J', b'bel\x07']
def add(t, name, data=None, **kw):
    ti = tarfile.TarInfo(n(name))
    for k, v in kw.items():
        setattr(ti, k, v)
    if data is not None:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)
with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT, encoding='utf-8',
                  errors='surrogateescape') as t:
    add(t, b'h', type=tarfile.DIRTYPE, mode=0o755)
    for b in names:
        add(t, b'h/' + b, b'x\n', mode=0o644)
    add(t, b'h/link\x1bX', type=tarfile.SYMTYPE, linkname=n(b'tgt\n\x1b]0;pwn\x07'))
    add(t, b'h/d\x1bir', type=tarfile.DIRTYPE, mode=0o755)
    add(t, b'h/d\x1bir/f\nx', b'y\n', mode=0o644)
    add(t, b'run.sh', b'#!/bin/sh\necho hi\n', mode=0o755)
# Second layer: only what ocifs skips with a warning (tar would refuse it).
with tarfile.open(sys.argv[2], 'w', format=tarfile.GNU_FORMAT, encoding='utf-8',
                  errors='surrogateescape') as t:
    add(t, b'../esc\x1b[0m', b'z', mode=0o644)
    add(t, b'hl\x1b[2J', type=tarfile.LNKTYPE, linkname=n(b'nope\x1b[2Jx'))
# The same names as plain files, for ls -b to escape.
os.makedirs(sys.argv[3])
for b in [b'esc\x1b[0m', b'hl\x1b[2J', b'nope\x1b[2Jx', b'X=\x1b[31m']:
    open(os.path.join(sys.argv[3].encode(), b), 'wb').close()
PY
MKOCI_ENV='"PATH=/usr/bin:/bin","X=\u001b[31m"' mkoci "$TMP/img" "$TMP/l1.tar" "$TMP/l2.tar"
mkdir "$TMP/x"
tar -xf "$TMP/l1.tar" -C "$TMP/x"
IMG=$TMP/img
# oracle NAME: ls -b's escape of a name created in $TMP/oracle
oracle() { (cd "$TMP/oracle" && ls -b | grep -F -- "$1"); }
esc=$(printf '\033')

# 1. Names from the image, escaped as ls -b does.
"$B" ls "$IMG" /h >"$TMP/ls" 2>"$TMP/err"
ok $? "ls of the hostile directory"
(cd "$TMP/x/h" && ls -b) | sort >"$TMP/want"
sort "$TMP/ls" | diff "$TMP/want" - >"$TMP/d"
ok $? "ls: every name escaped exactly as ls -b" || diag "$(cat "$TMP/d")"
"$B" ls -R "$IMG" >"$TMP/ls" 2>"$TMP/err"
ok $? "ls -R"
(cd "$TMP/x" && find . -mindepth 1 -print0 | sed -z 's|^\./||' | xargs -0 ls -bd --) | sort >"$TMP/want"
sort "$TMP/ls" | diff "$TMP/want" - >"$TMP/d"
ok $? "ls -R: every path escaped exactly as ls -b" || diag "$(cat "$TMP/d")"
"$B" ls -l "$IMG" /h | sed -E 's/^[^ ]+ [^ ]+ +[^ ]+ [0-9-]+ [0-9:]+ //' | sort >"$TMP/ls"
(cd "$TMP/x/h" && ls -lb --time-style=+@ | sed -n 's/^[^@]*@ //p') | sort >"$TMP/want"
diff "$TMP/want" "$TMP/ls" >"$TMP/d"
ok $? "ls -l: names and symlink targets escaped exactly as ls -lb" || diag "$(cat "$TMP/d")"
"$B" ls -l --layer 1 "$IMG" /h | sed -E 's/^[^ ]+ [^ ]+ +[^ ]+ [0-9-]+ [0-9:]+ //' | sort >"$TMP/ls"
diff "$TMP/want" "$TMP/ls" >"$TMP/d"
ok $? "ls -l --layer: the same escaping" || diag "$(cat "$TMP/d")"
link=$(printf 'link\033X')
tgt=$(cd "$TMP/x/h" && ls -lbd --time-style=+@ -- "$link" | sed -n 's/^.* -> //p')
"$B" stat "$IMG" "/h/$link" | head -1 >"$TMP/st"
printf '  File: /h/%s\n' "$(cd "$TMP/x/h" && ls -lbd --time-style=+@ -- "$link" | sed -n 's/^[^@]*@ //p')" |
	diff - "$TMP/st" >"$TMP/d"
ok $? "stat: path and target escaped as ls -b" || diag "$(cat "$TMP/d")"
"$B" stat --json "$IMG" "/h/$link" >"$TMP/st.json"
python3 - "$TMP/st.json" <<'PY'
import json, sys
raw = open(sys.argv[1], 'rb').read()
assert not any(c < 0x20 and c not in (0x0a, 0x20) for c in raw), 'raw control byte'
o = json.loads(raw)
assert o['path'] == '/h/link\x1bX' and o['target'] == 'tgt\n\x1b]0;pwn\x07', o
PY
ok $? "stat --json: control characters JSON-escaped, round-trip exact"
"$B" cat "$IMG" "/h/$link" 2>"$TMP/err"
grep -qF "(a symlink to $tgt)" "$TMP/err" && ! grep -q "$esc" "$TMP/err" &&
	[ "$(wc -l <"$TMP/err")" -eq 1 ]
ok $? "cat of a symlink: one error line, the target escaped as ls -b" || diag "$(cat -v "$TMP/err")"

# Warnings: the paths in them escaped too, and no raw ESC on stderr.
rm -rf "$XDG_CACHE_HOME"
"$B" index "$IMG" >/dev/null 2>"$TMP/err"
grep -qF "skipping \"../$(oracle 'esc')\": path leaves the root" "$TMP/err"
ok $? "warning: a path leaving the root, escaped as ls -b" || diag "$(cat -v "$TMP/err")"
"$B" ls "$IMG" >/dev/null 2>"$TMP/err"
grep -qF "hardlink $(oracle hl) -> $(oracle nope): no such file" "$TMP/err"
ok $? "warning: a dangling hardlink and its target, escaped as ls -b" || diag "$(cat -v "$TMP/err")"
rm -rf "$XDG_CACHE_HOME"
"$B" ls -R "$IMG" >/dev/null 2>"$TMP/err"
! grep -q "$esc" "$TMP/err" && [ -s "$TMP/err" ]
ok $? "no raw ESC reaches stderr"
# The log sink itself: a control byte no caller escaped is written as \ooo.
"$B" cat "$IMG" "$(printf '/no\033[2J\nsuch')" 2>"$TMP/err"
[ "$(cat "$TMP/err")" = 'ocifs: '"$IMG"': no "/no\033[2J\nsuch" in the image' ]
ok $? "log: control bytes in any message written as escapes, one line" || diag "$(cat -v "$TMP/err")"
"$B" inspect "$IMG" >"$TMP/insp"
grep -qxF "            $(oracle 'X=')" "$TMP/insp" && ! grep -q "$esc" "$TMP/insp"
ok $? "inspect: config strings escaped as ls -b" || diag "$(cat -v "$TMP/insp")"
"$B" inspect --json "$IMG" | python3 -c '
import json, sys
assert "X=\x1b[31m" in json.load(sys.stdin)["config"]["env"]'
ok $? "inspect --json: the same string, JSON-escaped"

# 2. Write errors on stdout.
if [ -c /dev/full ]; then
	for cmd in "ls $IMG" "ls -l $IMG /h" "ls -R $IMG" "ls --layer 1 $IMG /h" \
		"cat $IMG /run.sh" "cat --layer 1 $IMG /run.sh" "stat $IMG /run.sh" \
		"stat --json $IMG /run.sh" "inspect $IMG" "inspect --json $IMG" "index $IMG" \
		"verify $IMG" "deps $IMG" "deps --json $IMG" "sbom $IMG" "sbom --format spdx $IMG" \
		"sbom --format table $IMG" "--help" "--version"; do
		# shellcheck disable=SC2086 # word splitting wanted: no spaces in $TMP
		"$B" $cmd >"$TMP/out" 2>/dev/null
		r1=$?
		if [ "$r1" -ne 0 ] || [ ! -s "$TMP/out" ]; then
			fail "$cmd: runs and prints (exit $r1)"
			continue
		fi
		# shellcheck disable=SC2086
		# (verify re-derives the index, so the layer's own warnings repeat)
		err=$("$B" $cmd 2>&1 >/dev/full)
		r=$?
		err=$(printf '%s\n' "$err" | grep -v '^ocifs: warning: ')
		[ "$r" -eq 1 ] && [ "$err" = "ocifs: write error: No space left on device" ]
		ok $? "$cmd >/dev/full: exit 1, one line" || diag "exit $r, stderr: $err"
	done
else
	skip "/dev/full missing"
fi

# 3. A tree 5000 directories deep (1-char names; PAX path records).
python3 - "$TMP/deep.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    p = 'd'
    for i in range(5000):
        ti = tarfile.TarInfo(p); ti.type = tarfile.DIRTYPE; ti.mode = 0o755
        t.addfile(ti)
        if i < 4999:
            p += '/d'
    ti = tarfile.TarInfo(p + '/leaf'); ti.size = 2
    t.addfile(ti, io.BytesIO(b'x\n'))
PY
mkoci "$TMP/deep" "$TMP/deep.tar"
rm -f "$TMP/deep.tar"
"$B" ls -R "$TMP/deep" >"$TMP/ls" 2>"$TMP/err"
r=$?
want_last="$(python3 -c 'print("d/" * 5000 + "leaf")')"
[ "$r" -eq 0 ] && [ ! -s "$TMP/err" ] && [ "$(wc -l <"$TMP/ls")" -eq 5001 ] &&
	[ "$(tail -n 1 "$TMP/ls")" = "$want_last" ] && [ "$(sed -n 4097p "$TMP/ls" | tr -cd / | wc -c)" -eq 4096 ]
ok $? "ls -R of a 5000-deep tree: every level, exit 0" || diag "exit $r, $(wc -l <"$TMP/ls") lines, stderr: $(cat "$TMP/err")"
rm -f "$TMP/ls"
expect_fail 1 '^ocifs: write error: No space left on device$' "ls -R deep >/dev/full" -- \
	sh -c '"$@" >/dev/full' sh "$B" ls -R "$TMP/deep"

expect_fail 1 "^ocifs: sbom: $TMP/nodir/x.json: No such file or directory\$" \
	"sbom -o FILE in a missing directory: exit 1, the file and the reason" -- \
	"$B" sbom "$IMG" -o "$TMP/nodir/x.json"
if [ -c /dev/full ]; then
	expect_fail 1 '^ocifs: sbom: /dev/full: write error: No space left on device$' \
		"sbom -o /dev/full: exit 1, the file and the reason" -- "$B" sbom "$IMG" -o /dev/full
fi

# 4. The command line itself.
mkdir "$TMP/dir"
expect_fail 2 '^ocifs: sbom: unknown format "xml" \(cyclonedx, spdx or table\)$' \
	"sbom --format xml: exit 2, the formats it knows" -- "$B" sbom --format xml "$TMP/dir"
expect_fail 2 '^ocifs: unknown command "lss" \(did you mean "ls"\?' \
	"ocifs lss DIR: an unknown command, not a mount" -- "$B" lss "$TMP/dir"
! grep -qF " $TMP/dir " /proc/self/mountinfo && [ -z "$(ls -A "$TMP/dir")" ]
ok $? "ocifs lss DIR: nothing mounted"
expect_fail 2 '^ocifs: unknown command "frob" \(try' "unknown command, no suggestion" -- "$B" frob
expect_fail 2 '^ocifs: unknown command "/' "a directory that is no image is no mount source" -- \
	"$B" "$TMP/dir" "$TMP/dir"
expect_fail 1 'nowhere' "ocifs IMAGE DIR is still the mount form (it checks DIR)" -- \
	"$B" "$IMG" "$TMP/nowhere"
expect_fail 1 'nowhere' "ocifs IMAGE.tar DIR too" -- "$B" "$TMP/l1.tar" "$TMP/nowhere"
expect_fail 2 '^ocifs: ls: missing IMAGE \(usage: ocifs ls IMAGE \[PATH\]\)$' "missing IMAGE" -- "$B" ls
expect_fail 2 '^ocifs: cat: missing PATH ' "missing PATH" -- "$B" cat "$IMG"
expect_fail 2 '^ocifs: mount: missing DIR ' "missing DIR" -- "$B" mount "$IMG"
expect_fail 2 '^ocifs: stat: unexpected argument "x" ' "extra argument" -- "$B" stat "$IMG" /h x
expect_fail 2 '^ocifs: umount: unexpected argument ' "umount: extra argument" -- "$B" umount a b
expect_fail 2 '^ocifs: ls: unknown option "--frob" \(try '"'"'ocifs ls --help'"'"'\)$' "unknown long option" -- \
	"$B" ls --frob "$IMG"
expect_fail 2 '^ocifs: ls: unknown option "-x" ' "unknown short option" -- "$B" ls -lx "$IMG"
expect_fail 2 '^ocifs: ls: missing argument for option "--layer" ' "option without its argument" -- \
	"$B" ls "$IMG" --layer
expect_fail 2 '^ocifs: inspect: no argument allowed for option "--json=1" ' "--json=1" -- \
	"$B" inspect --json=1 "$IMG"
expect_fail 2 '^ocifs: option --json comes after the command ' "an option that is not global, before the command" -- \
	"$B" --json ls "$IMG"
expect_fail 2 '^ocifs: cat: option --json does not apply \(try '"'"'ocifs cat --help'"'"'\)$' "an option the command does not take" -- \
	"$B" cat --json "$IMG" /run.sh
expect_fail 2 '^ocifs: inspect: option --layer does not apply ' "inspect --layer" -- "$B" inspect --layer 1 "$IMG"
expect_fail 2 '^ocifs: umount: option -f does not apply ' "umount -f" -- "$B" umount -f "$TMP/dir"
expect_fail 2 '^ocifs: ls: -R does not apply with --layer ' "ls -R --layer (was silently not recursive)" -- \
	"$B" ls -R --layer 1 "$IMG"
for c in "ls" "cat $IMG" "ls --frob $IMG" "lss $TMP/dir" "stat $IMG /h x"; do
	# shellcheck disable=SC2086
	[ "$("$B" $c 2>&1 | wc -l)" -eq 1 ] || { fail "ocifs $c: one line"; continue; }
	pass "ocifs $c: exactly one line"
done
done_testing
