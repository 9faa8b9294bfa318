#!/bin/bash
# Installed like a real tool: `make install DESTDIR=...` of this build
# tree puts the binary, the mount(8) helper (in /sbin, with the installed
# ocifs's absolute path written in), the man pages and the bash and zsh
# completions where they belong, and `make uninstall` removes them all.
# In a private mount namespace (unshare -m) the installed files are laid
# over the real /sbin and bindir (read-only overlays, seen only there;
# the host's are never changed) and mount(8) itself mounts the image:
# `mount -t ocifs`, `mount -t fuse.ocifs`, an fstab line, and the helper
# run as mount(8) runs it with no usable PATH. The completions complete
# through bash-completion's own loader; the systemd unit example passes
# `systemd-analyze verify`.
. "$(dirname "$0")/../lib.sh"

need make python3 || { done_testing; exit; }
B=$OCIFS_BIN
BUILD=${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}
D=$TMP/root

# make in the build tree, free of the outer `make check`'s flags
bmake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$BUILD" "$@"
}
# mkvar VAR [OVERRIDES...]: a variable of the build tree's Makefile
mkvar() {
	local v=$1
	shift
	printf 'print-var:\n\t@echo $(%s)\n' "$v" | bmake -f Makefile -f - print-var "$@"  2>/dev/null
}

# The default prefix's layout: the build may be configured otherwise
# (distcheck uses its own prefix), so install as the defaults would.
ovr=()
if [ "$(mkvar prefix)" != /usr/local ] || [ "$(mkvar mounthelperdir)" != /sbin ]; then
	ovr=(prefix=/usr/local mounthelperdir=/sbin)
	diag "configured prefix $(mkvar prefix), helper dir $(mkvar mounthelperdir): installing with ${ovr[*]}"
else
	grep -q -- '--with-mount-helper-dir' "$BUILD/config.status"
	[ $? -ne 0 ]
	ok $? "configure's default mount helper dir is /sbin"
fi
bindir=$(mkvar bindir "${ovr[@]}")
mhd=$(mkvar mounthelperdir "${ovr[@]}")
man1=$(mkvar man1dir "${ovr[@]}")
man5=$(mkvar man5dir "${ovr[@]}")
bcd=$(mkvar bashcompletiondir "${ovr[@]}")
zcd=$(mkvar zshcompletiondir "${ovr[@]}")
datadir=$(mkvar datadir "${ovr[@]}")
[ "$bindir" = /usr/local/bin ] && [ "$mhd" = /sbin ] &&
	[ "$bcd" = /usr/local/share/bash-completion/completions ] &&
	[ "$zcd" = /usr/local/share/zsh/site-functions ]
ok $? "install dirs: $bindir, $mhd, $bcd, $zcd"

bmake install DESTDIR="$D" "${ovr[@]}" >"$TMP/install.log" 2>&1
ok $? "make install DESTDIR=..." || diag "$(tail -5 "$TMP/install.log")"
[ -x "$D$bindir/ocifs" ] && "$D$bindir/ocifs" --version >/dev/null
ok $? "the binary in $bindir runs"
h=$D$mhd/mount.ocifs
[ -x "$h" ] && [ "$(readlink "$D$mhd/mount.fuse.ocifs")" = mount.ocifs ]
ok $? "mount.ocifs in $mhd, mount.fuse.ocifs a link to it"
grep -qx "ocifs_installed='$bindir/ocifs'" "$h" && sh -n "$h"
ok $? "the helper runs $bindir/ocifs by its absolute path"
missing=
for m in "$OCIFS_SRCDIR"/man/*.[1-8]; do
	s=${m##*.}
	dir=$man1
	[ "$s" = 5 ] && dir=$man5
	[ "$s" = 1 ] || [ "$s" = 5 ] || dir=$(mkvar "man${s}dir" "${ovr[@]}")
	cmp -s "$m" "$D$dir/$(basename "$m")" || missing="$missing $(basename "$m")"
done
[ -z "$missing" ]
ok $? "every man page installed${missing:+ (missing:$missing)}"
MANPATH=$D$(dirname "$man1") man -w ocifs >/dev/null 2>&1
ok $? "man(1) finds ocifs(1) in the installed tree"
cmp -s "$OCIFS_SRCDIR/contrib/completion/ocifs" "$D$bcd/ocifs" &&
	cmp -s "$OCIFS_SRCDIR/contrib/completion/_ocifs" "$D$zcd/_ocifs"
ok $? "bash completion in $bcd, zsh completion in $zcd"

# --- mount(8), in a private mount namespace ---
mkdir -p "$TMP/l/etc"
echo 'served by the installed ocifs' >"$TMP/l/etc/motd"
tar -C "$TMP/l" -cf "$TMP/layer.tar" etc
mkoci "$TMP/img" "$TMP/layer.tar"
tar -C "$TMP/img" -cf "$TMP/img.tar" .
M=$TMP/mnt
mkdir -p "$M"
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || [ ! -c /dev/fuse ]; then
	skip "mount(8) in a mount namespace needs root, unshare and /dev/fuse"
else
	host_dirs=$(ls -A "$(readlink -f "$mhd")" "$bindir" 2>&1 | md5sum)
	# Each step's status and name go to $TMP/ns (read below); the EXIT
	# trap unmounts whatever a failed step left, so no daemon outlives
	# the namespace.
	unshare -m bash -s "$D" "$mhd" "$bindir" "$TMP/img.tar" "$M" "$TMP" >"$TMP/ns.log" 2>&1 <<'NS'
D=$1 mhd=$2 bindir=$3 IMG=$4 M=$5 T=$6
res() { echo "$1	$2" >>"$T/ns"; }
served() {
	[ "$(cat "$M/etc/motd" 2>/dev/null)" = 'served by the installed ocifs' ] &&
		awk -v m="$M" '$5 == m { t = $(NF - 2) } END { exit t != "fuse.ocifs" }' /proc/self/mountinfo
}
trap 'umount -l "$M" 2>/dev/null' EXIT
MOUNT=$(command -v mount)
# the installed files over the real directories, read-only, here only
for d in "$mhd" "$bindir"; do
	real=$(readlink -f "$d")
	mount -t overlay overlay -o "lowerdir=$D$d:$real" "$real"
	res $? "overlay of the installed $d"
done
# env -i leaves no HOME: the cache goes to /var/cache/ocifs, a tmpfs here
mount -t tmpfs tmpfs /var/cache
env -i PATH=/nonexistent /sbin/mount.ocifs "$IMG" "$M" -o ro
res $? "mount.ocifs IMAGE DIR -o ro with no usable PATH, as mount(8) runs it"
served
res $? "... serves the image"
umount "$M"
"$MOUNT" -t ocifs "$IMG" "$M"
res $? "mount -t ocifs IMAGE DIR"
served
res $? "... serves the image"
"$bindir/ocifs" umount "$M"
res $? "the installed ocifs umount DIR"
"$MOUNT" -t fuse.ocifs -o ro,allow_other "$IMG" "$M"
res $? "mount -t fuse.ocifs -o ro,allow_other IMAGE DIR"
served && grep -F " $M " /proc/self/mountinfo | grep -q allow_other
res $? "... serves the image, allow_other"
umount "$M"
printf '%s %s ocifs ro,allow_other,nofail 0 0\n' "$IMG" "$M" >"$T/fstab"
env -i PATH=/nonexistent "$MOUNT" -T "$T/fstab" "$M"
res $? "an fstab line (type ocifs; ro,allow_other,nofail), mount(8) with no usable PATH"
served
res $? "... serves the image"
umount "$M"
res $? "umount DIR"
NS
	n=0
	while IFS='	' read -r st desc; do
		n=$((n + 1))
		ok "$st" "namespace: $desc"
	done <"$TMP/ns"
	[ "$n" -eq 12 ]
	ok $? "every namespace step ran ($n of 12)" || diag "$(tail -5 "$TMP/ns.log")"
	! mountpoint -q "$M" && [ -z "$(ls -A "$M")" ]
	ok $? "nothing mounted or left on the host"
	[ "$(ls -A "$(readlink -f "$mhd")" "$bindir" 2>&1 | md5sum)" = "$host_dirs" ]
	ok $? "the host's $mhd and $bindir are as they were"
fi

# --- bash completion, loaded by bash-completion from the installed tree ---
# What is mounted: findmnt (util-linux) is the oracle. Other tests mount
# and unmount meanwhile, so a completion is compared with the table
# before and after it: it offers every mount in both and none in neither.
ocifs_mounts() { findmnt -n -l -t fuse.ocifs -o TARGET | sort -u; }
mounts_match() { # mounts_match HAVE BEFORE AFTER
	[ -z "$(comm -12 <(printf '%s\n' "$2") <(printf '%s\n' "$3") | comm -23 - <(printf '%s\n' "$1"))" ] &&
		[ -z "$(printf '%s\n' "$1" | comm -23 - <(printf '%s\n' "$2" "$3" | sort -u))" ]
}
# stat's options as its own --help lists them
want_stat=$("$B" stat --help | grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | tr -d ' ,' | sort -u | tr '\n' ' ')
BC=/usr/share/bash-completion/bash_completion
mkdir -p "$TMP/bin" "$TMP/pick/sub" && ln -sf "$B" "$TMP/bin/ocifs"
touch "$TMP/pick/a.tar" "$TMP/pick/b.tar"
mkdir -p "$TMP/sp" && touch "$TMP/sp/my pick.tar" "$TMP/sp/other.tar"
# an ocifs mount for `ocifs umount <TAB>`, a space in its path
MP="$TMP/my mnt"
mkdir -p "$MP"
at_exit "fusermount3 -u -z '$MP' 2>/dev/null"
"$B" mount "$TMP/img" "$MP" 2>"$TMP/err"
ok $? "an ocifs mount with a space in its path" || diag "$(cat "$TMP/err")"
if [ ! -f "$BC" ]; then
	skip "bash-completion not installed"
else
	# complete LINE: print what bash would offer at the end of LINE (the
	# words split at blanks, as here every word is free of "=" and ":")
	before=$(ocifs_mounts)
	PATH="$TMP/bin:$PATH" XDG_DATA_DIRS="$D$datadir" bash --norc --noprofile -s "$BC" "$TMP" \
		>"$TMP/bash.out" 2>"$TMP/bash.err" <<'SH'
. "$1"
T=$2
__load_completion ocifs
echo "loader: $(complete -p ocifs)"
complete_line() {
	local line=$1
	COMP_LINE=$line COMP_POINT=${#line}
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_ocifs ocifs "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
	echo
}
echo "ins: $(complete_line 'ocifs ins')"
echo "in: $(complete_line 'ocifs in')"
echo "stat: $(complete_line 'ocifs stat --')"
echo "mount-o: $(complete_line 'ocifs mount x y -o ')"
echo "mount-o2: $(complete_line 'ocifs mount x y -o ro,time')"
echo "mount-o-before: $(complete_line 'ocifs mount -o allow_other,cache_')"
echo "images: $(complete_line "ocifs inspect $T/pick/")"
echo "mountdir: $(complete_line "ocifs mount $T/pick/a.tar $T/pick/")"
echo "layer-arg: $(complete_line "ocifs ls --layer ")"
echo "after-layer: $(complete_line "ocifs ls --layer 2 $T/pick/a")"
echo "help: $(complete_line 'ocifs help st')"
echo "gcache: $(complete_line "ocifs --cache-dir $T/pick/s")"
echo "gplatform: $(complete_line 'ocifs --platform linux/amd64 ins')"
echo "gopts: $(complete_line 'ocifs --')"
# "=" splits a word for bash: COMP_WORDS as bash makes them
COMP_LINE='ocifs mount x y -o timeout=5,cache_s' COMP_POINT=${#COMP_LINE}
COMP_WORDS=(ocifs mount x y -o timeout = 5,cache_s) COMP_CWORD=7
_ocifs; echo "eq: ${COMPREPLY[*]}"
# a quoted or escaped path with a space: one word (COMP_WORDS as bash
# makes them, the quote or backslash kept)
COMP_LINE="ocifs inspect \"$T/sp/my" COMP_POINT=${#COMP_LINE}
COMP_WORDS=(ocifs inspect "\"$T/sp/my") COMP_CWORD=2
_ocifs; echo "dq: ${COMPREPLY[*]}"
COMP_LINE="ocifs inspect $T/sp/my\\ p" COMP_POINT=${#COMP_LINE}
COMP_WORDS=(ocifs inspect "$T/sp/my\\ p") COMP_CWORD=2
_ocifs; echo "bs: ${COMPREPLY[*]}"
COMP_LINE="ocifs mount '$T/sp/my pick.tar' $T/pick/" COMP_POINT=${#COMP_LINE}
COMP_WORDS=(ocifs mount "'$T/sp/my pick.tar'" "$T/pick/") COMP_CWORD=3
_ocifs; echo "sq-mount: ${COMPREPLY[*]}"
COMP_LINE='ocifs umount ' COMP_POINT=13 COMP_WORDS=(ocifs umount '') COMP_CWORD=2
_ocifs
printf 'umount: %s\n' "${COMPREPLY[@]}"
SH
	ok $? "bash: bash-completion loads and runs it" || diag "$(head -5 "$TMP/bash.err")"
	after=$(ocifs_mounts)
	grep -q '^loader: complete -F _ocifs ocifs$' "$TMP/bash.out"
	ok $? "bash: bash-completion's loader found it in $bcd"
	got() { sed -n "s/^$1: //p" "$TMP/bash.out"; }
	[ "$(got ins)" = "inspect " ]
	ok $? "bash: ocifs ins<TAB> -> inspect"
	[ "$(got in)" = "index inspect " ]
	ok $? "bash: ocifs in<TAB> -> index inspect"
	have=$(got stat | tr ' ' '\n' | grep -- '^--' | sort -u | tr '\n' ' ')
	[ -n "$want_stat" ] && [ "$have" = "$want_stat" ] && case " $have" in *" --layer "* | *" --format "*) false ;; esac
	ok $? "bash: ocifs stat --<TAB> -> stat's long options ($have)" || diag "want: $want_stat"
	for o in timeout= cache_size= allow_other uid= gid=; do
		case " $(got mount-o)" in *" $o "*) r=0 ;; *) r=1 ;; esac
		ok $r "bash: ocifs mount x y -o <TAB> offers $o"
	done
	[ "$(got mount-o2)" = "ro,timeout= " ]
	ok $? "bash: -o ro,time<TAB> -> ro,timeout="
	[ "$(got mount-o-before)" = "allow_other,cache_size= " ]
	ok $? "bash: -o before the arguments too"
	[ "$(got eq)" = "5,cache_size=" ]
	ok $? "bash: after an '=' bash splits at, the rest of the word ($(got eq))"
	[ "$(got images)" = "$TMP/pick/a.tar $TMP/pick/b.tar $TMP/pick/sub " ]
	ok $? "bash: image files and directories"
	[ "$(got dq)" = "$TMP/sp/my pick.tar" ] && [ "$(got bs)" = "$TMP/sp/my pick.tar" ]
	ok $? "bash: a path with a space, quoted or escaped, completes as one word ($(got dq); $(got bs))"
	[ "$(got sq-mount)" = "$TMP/pick/sub" ]
	ok $? "bash: after a quoted image with a space, the mount point ($(got sq-mount))"
	[ "$(got mountdir)" = "$TMP/pick/sub " ]
	ok $? "bash: the mount point: directories only"
	[ -z "$(got layer-arg | tr -d ' ')" ]
	ok $? "bash: nothing offered for --layer's number"
	[ "$(got after-layer)" = "$TMP/pick/a.tar " ]
	ok $? "bash: --layer N is skipped, the image completes"
	[ "$(got help)" = "stat " ]
	ok $? "bash: ocifs help st<TAB> -> stat"
	# global options before the command: their argument, then the command
	[ "$(got gcache)" = "$TMP/pick/sub " ]
	ok $? "bash: ocifs --cache-dir D<TAB> -> directories ($(got gcache))"
	[ "$(got gplatform)" = "inspect " ]
	ok $? "bash: ocifs --platform OS/ARCH ins<TAB> -> inspect ($(got gplatform))"
	r=1
	case " $(got gopts)" in *" --platform "*) case " $(got gopts)" in *" --cache-dir "*) r=0 ;; esac ;; esac
	case " $(got gopts)" in *" --commands "*) r=1 ;; esac
	ok $r "bash: ocifs --<TAB> -> the global options, not help's ($(got gopts))"
	have=$(got umount | sort)
	printf '%s\n' "$have" | grep -qxF "$MP" && mounts_match "$have" "$before" "$after"
	ok $? "bash: ocifs umount <TAB> -> the ocifs mounts (findmnt), spaces intact" ||
		diag "have: $have; findmnt before: $before; after: $after"
fi

# --- zsh: the function, run with zsh's completion builtins stood in for
# (compadd and compset only exist inside a completion widget) ---
if ! command -v zsh >/dev/null; then
	skip "zsh not installed"
else
	zsh -n "$D$zcd/_ocifs"
	ok $? "zsh -n _ocifs"
	zrun() { # zrun CURRENT PREFIX WORDS...: what _ocifs offers
		PATH="$TMP/bin:$PATH" zsh -f -c '
fpath=("$1" $fpath); autoload -Uz _ocifs
IPREFIX=
compadd() { # -a: the words name arrays
	local -a out
	local arr=0 w m
	while [[ $1 == -* ]]; do
		case $1 in
		-a) arr=1 ;;
		-S|-p|-P|-J|-X|-M) shift ;;
		--) shift; break ;;
		esac
		shift
	done
	for w in "$@"; do
		if (( arr )); then out+=("${(@P)w}"); else out+=("$w"); fi
	done
	for m in $out; do [[ $m == ${PREFIX}* ]] && print -r -- "$IPREFIX$m"; done
}
compset() { if [[ $1 == -P && $PREFIX == (#b)(${~2})(*) ]]; then IPREFIX+=$match[1]; PREFIX=$match[2]; fi }
_files() { print -r -- "_files $*" }
_message() { print -r -- "_message" }
setopt extendedglob
CURRENT=$2 PREFIX=$3; shift 3; words=("$@")
_ocifs' zsh "$D$zcd" "$@" | sort | if [ -n "${ZRUN_LINES:-}" ]; then cat; else tr '\n' ' '; fi
	}
	[ "$(zrun 2 ins ocifs ins)" = "inspect " ]
	ok $? "zsh: ocifs ins<TAB> -> inspect"
	have=$(zrun 3 -- ocifs stat -- | tr ' ' '\n' | grep -- '^--' | sort -u | tr '\n' ' ')
	[ -n "$want_stat" ] && [ "$have" = "$want_stat" ]
	ok $? "zsh: ocifs stat --<TAB> -> stat's long options" || diag "have: $have; want: $want_stat"
	[ "$(zrun 6 ro,time ocifs mount x y -o ro,time)" = "ro,timeout= " ]
	ok $? "zsh: -o ro,time<TAB> -> ro,timeout="
	[ "$(zrun 3 '' ocifs --cache-dir '')" = "_files -/ " ]
	ok $? "zsh: ocifs --cache-dir <TAB> -> directories"
	[ "$(zrun 4 ins ocifs --platform linux/amd64 ins)" = "inspect " ]
	ok $? "zsh: ocifs --platform OS/ARCH ins<TAB> -> inspect"
	have=$(zrun 2 -- ocifs --)
	r=1
	case " $have" in *" --platform "*) case " $have" in *" --cache-dir "*) r=0 ;; esac ;; esac
	case " $have" in *" --commands "*) r=1 ;; esac
	ok $r "zsh: ocifs --<TAB> -> the global options, not help's ($have)"
	[ "$(zrun 3 '' ocifs mount '')" = "_files  " ]
	ok $? "zsh: an image is a file or directory"
	[ "$(zrun 4 '' ocifs mount x '')" = "_files -/ " ]
	ok $? "zsh: the mount point is a directory"
	before=$(ocifs_mounts)
	have=$(ZRUN_LINES=1 zrun 3 '' ocifs umount '')
	after=$(ocifs_mounts)
	printf '%s\n' "$have" | grep -qxF "$MP" && mounts_match "$have" "$before" "$after"
	ok $? "zsh: ocifs umount <TAB> -> the ocifs mounts (findmnt), spaces intact" ||
		diag "have: $have; findmnt before: $before; after: $after"
	# And in a real interactive zsh (compinit, zle) on a pseudo-terminal:
	# each read waits for the completed line (a hang meets the timeout).
	cat >"$TMP/zpty.zsh" <<'ZSH'
zmodload zsh/zpty || exit 1
zpty -b z "zsh -f -i"
zpty -w z "PS1='> '; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u; echo READY"
zpty -r z out '*READY*READY*' || exit 1
zpty -w -n z $'ocifs ins\t'
zpty -r z out '*ocifs inspect*' && print 'ins: inspect'
zpty -w -n z $'\C-uocifs mount x y -o ro,time\t'
zpty -r z out '*ro,timeout=*' && print 'mount-o: ro,timeout='
zpty -w -n z $'\C-uocifs stat --no\t'
zpty -r z out '*--no-dereference*' && print 'stat: --no-dereference'
zpty -d z
ZSH
	PATH="$TMP/bin:$PATH" timeout 120 zsh -f "$TMP/zpty.zsh" "$D$zcd" >"$TMP/zpty.out" 2>&1
	[ "$(cat "$TMP/zpty.out")" = "ins: inspect
mount-o: ro,timeout=
stat: --no-dereference" ]
	ok $? "zsh: compinit completes ocifs ins, -o ro,time, stat --no on a terminal" || diag "$(cat -v "$TMP/zpty.out" | head -5)"
fi

"$B" umount "$MP"
ok $? "ocifs umount of it"

# --- the systemd mount unit example ---
U=$OCIFS_SRCDIR/contrib/systemd/mnt-nginx.mount
if ! command -v systemd-analyze >/dev/null; then
	skip "systemd-analyze not installed"
else
	(cd "$TMP" && MANPATH=$D$(dirname "$man1") systemd-analyze verify "$U") >"$TMP/sa" 2>&1
	ok $? "systemd-analyze verify mnt-nginx.mount (its man page found installed)" || diag "$(cat "$TMP/sa")"
	grep -qx 'Type=ocifs' "$U" && grep -qx 'Where=/mnt/nginx' "$U"
	ok $? "the unit mounts type ocifs on /mnt/nginx"
fi

bmake uninstall DESTDIR="$D" "${ovr[@]}" >"$TMP/uninstall.log" 2>&1
ok $? "make uninstall" || diag "$(tail -5 "$TMP/uninstall.log")"
left=$(find "$D" ! -type d | head -5)
[ -z "$left" ]
ok $? "make uninstall leaves no file${left:+ (left: $left)}"

done_testing
