#!/bin/bash
# Help, options and exits (issue #13). Oracles: the parser itself (every
# spelling `help --options CMD` lists is accepted by CMD, every other one
# refused in one line), the help texts against each other (CMD --help,
# -h, help CMD), README.md and man/ocifs.1 parsed for their -o lists,
# the real loader (chroot IMAGE-ROOT /bin/true runs or not) for
# deps --unresolved's exit status, a pty (script(1)) for the progress bar
# under LC_ALL=C and C.UTF-8, and --trace's OTLP spans for -v's stages.
. "$(dirname "$0")/../lib.sh"

need python3 script tar chroot ldd || { done_testing; exit; }
B=$OCIFS_BIN
export XDG_CACHE_HOME=$TMP/cache

# --- 1. every command's help: three ways, the same text ----------------
cmds=$("$B" help --commands)
[ "$(echo "$cmds" | wc -l)" -ge 15 ] && echo "$cmds" | grep -qx mount && echo "$cmds" | grep -qx help
ok $? "help --commands: one command a line ($(echo $cmds))"
"$B" --help >"$TMP/overview" && "$B" help >"$TMP/overview2" && cmp -s "$TMP/overview" "$TMP/overview2"
ok $? "ocifs --help and ocifs help: the same overview"
bad=""
for c in $cmds; do
	grep -Eq "^  $c " "$TMP/overview" || bad="$bad $c"
done
[ -z "$bad" ]
ok $? "the overview names every command${bad:+ (missing:$bad)}"

bad=""
for c in $cmds; do
	"$B" "$c" --help >"$TMP/h1" 2>"$TMP/herr" || bad="$bad $c(exit)"
	"$B" "$c" -h >"$TMP/h2" || bad="$bad $c(-h)"
	"$B" help "$c" >"$TMP/h3" || bad="$bad $c(help)"
	cmp -s "$TMP/h1" "$TMP/h2" && cmp -s "$TMP/h1" "$TMP/h3" || bad="$bad $c(differ)"
	[ -s "$TMP/herr" ] && bad="$bad $c(stderr)"
	head -1 "$TMP/h1" | grep -q "^usage: ocifs $c " || bad="$bad $c(usage)"
	grep -q '^Exit status:$' "$TMP/h1" && grep -Eq '^  0  ' "$TMP/h1" || bad="$bad $c(exits)"
	# every spelling it takes is in its help, as an option (not in a sentence)
	text=$(cat "$TMP/h1")
	for o in $("$B" help --options "$c"); do
		re=$'(^|\n) +(-[a-zA-Z], )?'"$o"'( [A-Z]|,|  )'
		[[ $text =~ $re ]] || bad="$bad $c:$o"
	done
	cp "$TMP/h1" "$TMP/help.$c"
done
[ -z "$bad" ]
ok $? "CMD --help = CMD -h = help CMD, usage first, exit statuses, every option of help --options${bad:+:$bad}"

# What takes a value, from the help texts ("--layer N", "-o, --output FILE").
all=$(for c in $cmds; do "$B" help --options "$c"; done | sort -u)
declare -A takes
# "  -o, --output FILE   ..." / "      --layer N   ..."
re='^ +(-[a-zA-Z])?(, )?(--[a-z-]+)? ([A-Z][^ ]*)'
for c in $cmds; do
	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		[ -n "${BASH_REMATCH[1]}" ] && takes[${BASH_REMATCH[1]}]=1
		[ -n "${BASH_REMATCH[3]}" ] && takes[${BASH_REMATCH[3]}]=1
	done <"$TMP/help.$c"
done
val() { # a value each option's parser takes, in $v (no subshell: this runs 650 times)
	case $1 in
	--layer) v=1 ;;
	--zstd-window-max) v=1M ;;
	--trace) v=$TMP/t.json ;;
	--cache-dir) v=$TMP/c2 ;;
	*) v=ls ;;
	esac
}

# --- 2. the parser takes exactly what help --options lists -------------
bad=""
n_ok=0
n_no=0
refused_re='unknown option|does not apply|no argument allowed|missing argument'
for c in $cmds; do
	declare -A mine=()
	for o in $("$B" help --options "$c"); do mine[$o]=1; done
	for o in $all; do
		args=("$o")
		[ -n "${takes[$o]}" ] && val "$o" && args+=("$v")
		err=$("$B" "$c" "${args[@]}" 2>&1 >/dev/null; echo "rc=$?")
		rc=${err##*rc=}
		err=${err%rc=*}
		err=${err%$'\n'}
		if [ -n "${mine[$o]}" ]; then
			# accepted: whatever happens next (help, version, "missing
			# IMAGE"), never a word about the option
			[[ $err =~ $refused_re ]] && bad="$bad $c:$o(refused: $err)"
			n_ok=$((n_ok + 1))
		else
			want="ocifs: $c: option $o does not apply (try 'ocifs $c --help')"
			[ "$rc" -eq 2 ] && [ "$err" = "$want" ] || bad="$bad $c:$o(rc $rc: $err)"
			n_no=$((n_no + 1))
		fi
	done
	unset mine
done
[ -z "$bad" ]
ok $? "$n_ok listed options accepted, $n_no others refused in one line with the hint${bad:+:$bad}"

bad=""
for c in $cmds; do
	err=$("$B" "$c" --frobnicate 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] && [ "$err" = "ocifs: $c: unknown option \"--frobnicate\" (try 'ocifs $c --help')" ] ||
		bad="$bad $c(rc $rc: $err)"
	err=$("$B" "$c" -Z 2>&1 >/dev/null)
	[ "$err" = "ocifs: $c: unknown option \"-Z\" (try 'ocifs $c --help')" ] || bad="$bad $c(-Z: $err)"
done
[ -z "$bad" ]
ok $? "an unknown option: exit 2, one line, try 'ocifs CMD --help'${bad:+:$bad}"
[ "$("$B" ls --frob x 2>&1 | wc -l)" -eq 1 ]
ok $? "not the whole usage: one line"

# --- 3. did you mean ------------------------------------------------------
expect_fail 2 '^ocifs: unknown command "moutn" \(did you mean "mount"\?' "moutn: did you mean mount" -- "$B" moutn x y
expect_fail 2 '^ocifs: unknown command "isnpect" \(did you mean "inspect"\?' "help isnpect: did you mean" -- \
	"$B" help isnpect
expect_fail 2 '^ocifs: unknown command "lss" \(did you mean "ls"\?' "help --options lss: did you mean" -- \
	"$B" help --options lss

# --- an image: two layers, one big enough for a progress bar ------------
mkdir -p "$TMP/r1/etc" "$TMP/r2/etc"
echo one >"$TMP/r1/etc/a"
head -c 12000000 /dev/urandom >"$TMP/r2/etc/big"
tar -C "$TMP/r1" -cf "$TMP/l1.tar" .
tar -C "$TMP/r2" -cf - . | gzip -1 >"$TMP/l2.tar.gz"
mkoci "$TMP/img" "$TMP/l1.tar" "$TMP/l2.tar.gz"

# --- 4. global options before the command ---------------------------------
"$B" -q --trace "$TMP/g.json" -v cat "$TMP/img" /etc/a >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && [ "$(cat "$TMP/out")" = one ]
ok $? "ocifs -q --trace F -v cat IMAGE PATH: works (exit $rc)"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))["resourceSpans"]' "$TMP/g.json" &&
	grep -q '^ocifs: stage open ' "$TMP/err"
ok $? "--trace and -v before the command: the trace written, the stages printed"
"$B" --cache-dir "$TMP/gc" ls "$TMP/img" / >"$TMP/o1" 2>"$TMP/e1"
r1=$?
"$B" ls --cache-dir "$TMP/gc" "$TMP/img" / >"$TMP/o2" 2>"$TMP/e2"
r2=$?
[ $r1 -eq $r2 ] && cmp -s "$TMP/e1" "$TMP/e2" && cmp -s "$TMP/o1" "$TMP/o2"
ok $? "--cache-dir before or after the command: the same result (exit $r1)"
"$B" --platform linux/s390x inspect "$TMP/img" >/dev/null 2>"$TMP/e1"
r1=$?
"$B" inspect --platform linux/s390x "$TMP/img" >/dev/null 2>"$TMP/e2"
r2=$?
[ $r1 -eq $r2 ] && cmp -s "$TMP/e1" "$TMP/e2"
ok $? "--platform before or after the command: the same result (exit $r1, $(head -c 100 "$TMP/e1"))"
expect_fail 2 "^ocifs: option --json comes after the command \(try 'ocifs --help'\)$" \
	"a command option before the command: one line" -- "$B" --json inspect "$TMP/img"
expect_fail 2 '^ocifs: no command given' "only global options: no command" -- "$B" -q -v
# a malformed --platform is a malformed option value: exit 2 (it was 1)
for p in linux '' linux/; do
	expect_fail 2 "^ocifs: --platform: \"$p\" is not OS/ARCH\[/VARIANT\]" \
		"--platform '$p': a usage error, before or after the command" -- "$B" --platform "$p" inspect "$TMP/img"
	expect_fail 2 "^ocifs: --platform: \"$p\" is not OS/ARCH" "... after: likewise" -- \
		"$B" ls "$TMP/img" --platform "$p"
done

# --- 5. -q and -v ----------------------------------------------------------
rm -rf "$XDG_CACHE_HOME"
"$B" ls -q "$TMP/img" /etc >"$TMP/out" 2>"$TMP/err"
[ $? -eq 0 ] && [ ! -s "$TMP/err" ] && grep -qx big "$TMP/out"
ok $? "ls -q: nothing on stderr, the listing on stdout"
rm -rf "$XDG_CACHE_HOME"
script -q -e -c "$B index -q $TMP/img" /dev/null >"$TMP/pty" 2>&1
rc=$?
[ $rc -eq 0 ] && [ ! -s "$TMP/pty" ]
ok $? "index -q on a terminal, cold cache: exit 0 and nothing at all (no bar, no summary; $(wc -c <"$TMP/pty") bytes)"
"$B" -v --trace "$TMP/v.json" ls "$TMP/img" / >/dev/null 2>"$TMP/verr"
grep -E '^ocifs: stage .* [0-9]+\.[0-9] ms' "$TMP/verr" | sed -E 's/^ocifs: stage (.*[^ ]) +[0-9]+\.[0-9] ms.*$/\1/' |
	sort -u >"$TMP/vstages"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for rs in d["resourceSpans"]:
    for ss in rs["scopeSpans"]:
        for s in ss["spans"]:
            print(s["name"])' "$TMP/v.json" | sort -u >"$TMP/tstages"
grep -qx "index layer 2" "$TMP/vstages" && grep -qx "open" "$TMP/vstages" && cmp -s "$TMP/vstages" "$TMP/tstages"
ok $? "-v: one line per stage with its time, the same stages as --trace's spans ($(tr '\n' ',' <"$TMP/vstages"))"
"$B" ls "$TMP/img" / 2>"$TMP/nerr" >/dev/null
! grep -q 'stage' "$TMP/nerr"
ok $? "without -v: no stage lines"

# --- 6. the progress bar: Unicode under UTF-8, ASCII under C -------------
bar() { # bar LOCALE: the pty bytes of a cold index
	rm -rf "$XDG_CACHE_HOME"
	LC_ALL=$1 script -q -e -c "$B index $TMP/img" /dev/null >"$TMP/pty.$1" 2>&1
}
bar C.UTF-8
ok $? "index on a pty under C.UTF-8" || diag "$(tail -c 300 "$TMP/pty.C.UTF-8" | tr -d '\r')"
tr '\r' '\n' <"$TMP/pty.C.UTF-8" | LC_ALL=C grep -aE $'^layers? .*\\[(\xe2\x96[\x88-\x8f\x91]){20}\\] +[0-9]+%' >"$TMP/bars.U"
[ -s "$TMP/bars.U" ]
ok $? "C.UTF-8: the bar is 20 Unicode block elements ($(wc -l <"$TMP/bars.U") drawn)"
bar C
ok $? "index on a pty under C" || diag "$(tail -c 300 "$TMP/pty.C" | tr -d '\r')"
tr -d '\r' <"$TMP/pty.C" | grep -aEq '\[[=> ]{20}\] +[0-9]+%' && ! LC_ALL=C grep -aq $'\xe2\x96' "$TMP/pty.C"
ok $? "C: the bar is drawn, in ASCII only"
tr '\r' '\n' <"$TMP/pty.C" | LC_ALL=C grep -aE '^layers? .*\[' >"$TMP/bars.C"
[ -s "$TMP/bars.C" ] && ! LC_ALL=C grep -aqv '^[ -~]*$' "$TMP/bars.C"
ok $? "C: every byte of every bar line is printable ASCII ($(wc -l <"$TMP/bars.C") lines)"
# the per-layer summary after the bar too (it shortened digests with "…")
[ -z "$(tr -d '\11\12\15\33\40-\176' <"$TMP/pty.C")" ] && grep -aq 'entries' "$TMP/pty.C"
ok $? "C: the whole output, layer summaries included, is ASCII" || diag "$(grep -a entries "$TMP/pty.C")"

# --- 7. deps --unresolved exits as diff ---------------------------------
# grep exits 0 on a match, diff 1 on a difference: the help names the
# tool that does what deps --unresolved does
printf 'a\n' | grep -q a && { diff <(echo a) <(echo b) >/dev/null; [ $? = 1 ]; } &&
	"$B" deps --help | grep -q 'as diff' && ! "$B" deps --help | grep -q 'as grep' &&
	! grep -q 'as grep)' "$OCIFS_SRCDIR/README.md"
ok $? "deps --help and the README compare exit 1 to diff's, not grep's (grep exits 0 on a match)"
mk_root() { # mk_root DIR WITH-LIBC
	mkdir -p "$1/bin" "$1/etc" "$1/lib/x86_64-linux-gnu"
	cp /bin/true "$1/bin/true"
	[ "$2" = 1 ] || return 0
	local interp libc
	interp=$(ldd /bin/true | awk '$1 ~ /^\// { print $1 }')
	libc=$(ldd /bin/true | awk '$1 == "libc.so.6" { print $3 }')
	mkdir -p "$1$(dirname "$interp")" "$1$(dirname "$libc")"
	cp -L "$interp" "$1$interp"
	cp -L "$libc" "$1$libc"
	cp /etc/ld.so.cache "$1/etc/"
}
mk_root "$TMP/miss" 0
mk_root "$TMP/full" 1
! chroot "$TMP/miss" /bin/true 2>/dev/null && chroot "$TMP/full" /bin/true
ok $? "oracle: the real loader runs /bin/true in the full root, not in the one without libc"
for t in miss full; do
	tar -C "$TMP/$t" -cf "$TMP/$t.tar" .
	mkoci "$TMP/i$t" "$TMP/$t.tar"
done
"$B" deps --unresolved "$TMP/imiss" >"$TMP/u.out" 2>"$TMP/u.err"
rc=$?
[ $rc -eq 1 ] && grep -q '^/bin/true ' "$TMP/u.out" && grep -q 'libc.so.6 => not found' "$TMP/u.out" && [ ! -s "$TMP/u.err" ]
ok $? "deps --unresolved, libc missing: exit 1 (got $rc), /bin/true listed, nothing on stderr"
"$B" deps --unresolved --json "$TMP/imiss" >/dev/null
[ $? -eq 1 ]
ok $? "deps --unresolved --json, libc missing: exit 1"
"$B" deps --unresolved "$TMP/ifull" >"$TMP/u.out" 2>"$TMP/u.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$TMP/u.out" ]
ok $? "deps --unresolved, nothing missing: exit 0 (got $rc), nothing listed"
"$B" deps --unresolved "$TMP/imiss" /etc >/dev/null
[ $? -eq 0 ]
ok $? "deps --unresolved limited to a PATH with nothing unresolved: exit 0"
"$B" deps "$TMP/imiss" >/dev/null
[ $? -eq 0 ]
ok $? "deps without --unresolved: exit 0 even with something unresolved"
expect_fail 1 'nope' "deps --unresolved on a missing image: exit 1, a message" -- "$B" deps --unresolved "$TMP/nope"

# --- 8. the -o list: one list in --help, README.md and ocifs(1) ----------
"$B" help --mount-options >"$TMP/mo.list"
sed -n '/^Mount options (-o/,/^[^ ]/p' "$TMP/help.mount" | sed -nE 's/^  ([a-z_]+)(=[A-Z]+)? .*/\1\2/p' |
	sed -E 's/=.*/=/' >"$TMP/mo.help"
sed -n '/<!-- mount-options: begin -->/,/<!-- mount-options: end -->/p' "$OCIFS_SRCDIR/README.md" |
	sed -nE 's/^- `([a-z_]+)(=[A-Z]+)?`.*/\1\2/p' | sed -E 's/=.*/=/' >"$TMP/mo.readme"
sed -n '/^\.SH MOUNT OPTIONS/,/^\.SH /p' "$OCIFS_SRCDIR/man/ocifs.1" | awk '
	prev == ".TP" && /^\.BI? / { w = $2; gsub(/\\/, "", w); print w }
	{ prev = $0 }' >"$TMP/mo.man"
[ "$(wc -l <"$TMP/mo.list")" -ge 20 ] && grep -qx nonempty "$TMP/mo.list" && grep -qx max_threads= "$TMP/mo.list"
ok $? "help --mount-options: one a line, name= for a value ($(wc -l <"$TMP/mo.list") options)"
for f in help readme man; do
	diff "$TMP/mo.list" "$TMP/mo.$f" >"$TMP/mo.diff"
	ok $? "the -o list of $f equals help --mount-options" || diag "$(cat "$TMP/mo.diff")"
done
bad=""
for o in $(cat "$TMP/mo.list"); do
	case $o in *=) continue ;; esac
	err=$("$B" mount "$TMP/img" "$TMP/nodir" -o "$o" 2>&1)
	echo "$err" | grep -q 'unknown mount option' && bad="$bad $o"
done
for o in $(grep '=$' "$TMP/mo.list"); do
	err=$("$B" mount "$TMP/img" "$TMP/nodir" -o "${o%=}" 2>&1)
	echo "$err" | grep -q "needs a value" || bad="$bad ${o%=}(no value)"
done
expect_fail 2 'unknown mount option' "-o frob: refused" -- "$B" mount "$TMP/img" "$TMP/nodir" -o frob
[ -z "$bad" ]
ok $? "every listed -o option is known to the parser, and value options need their value${bad:+:$bad}"

# --- 9. exit statuses are documented for every command -------------------
bad=""
for c in $cmds; do
	for code in 0 2; do
		grep -Eq "^  $code  " "$TMP/help.$c" || bad="$bad $c:$code"
	done
done
grep -q '^1 when some file needs a library' "$TMP/help.deps" 2>/dev/null ||
	grep -q 'with --unresolved: something is unresolved' "$TMP/help.deps" || bad="$bad deps:--unresolved"
sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$OCIFS_SRCDIR/man/ocifs.1" | grep -q 'deps \\-\\-unresolved' || bad="$bad man"
[ -z "$bad" ]
ok $? "every command's --help lists its exit statuses; deps --unresolved's 1 in --help and ocifs(1)${bad:+:$bad}"
done_testing
