#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Metadata at local-disk speed (issue #14, goal 4): tree walks on the
# debootstrap image, in one run, on
#   dir    `umoci unpack` of it (the work dir's umoci/rootfs): the kernel's
#          own file system, the baseline of every ratio
#   sqfs   squashfuse of rootfs.sqfs (mksquashfs of the same tree)
#   plain  ocifs of docker.tar (the layer an uncompressed tar in the outer tar)
#   gzip   ocifs of the oci-gzip layout
# Operations (each lists every entry; their outputs must agree with dir's):
#   find   `find -ls`                     (lstat + readlink of every entry)
#   lsR    `ls -lR`                       (adds getxattr: ACL/SELinux probes)
#   du     `du -s`
#   stat   `find . -print0 | xargs -0 stat`
# cold: a fresh mount (ocifs' index cache warm: built once before the
# trials), then `sync; echo 3 > drop_caches`, then the operation (dir is
# dropped the same way); warm: the same operation again at once. Trials
# are interleaved across file systems; best of N (wall time). Info lines
# after: the FUSE requests of a cold walk, the daemon's major faults and
# CPU time in it, and the cold walk with everything on one CPU.
# Goals: cold find -ls <= 1.1x dir, warm find -ls <= 1.05x dir, judged on
# gzip (the metadata path is the same for every layer codec; plain is
# shown beside it). Everything else is info.
# Ratios are the file system's time / dir's time for the same work (lower
# is better). Exit 0 even on MISS; non-zero when something fails to run or
# a listing differs from dir's.
#
# Env: OCIFS_BIN (./ocifs), OCIFS_BENCH_WORK (./bench/work, as
# bench/mount.sh: built by bench/mkdebian.sh when missing),
# OCIFS_BENCH_META_TRIALS (3), CC (cc). Takes ~3 minutes (squashfuse is slow).
set -eu

me=bench/meta.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
TRIALS=${OCIFS_BENCH_META_TRIALS:-3}
CC=${CC:-cc}
OUTB=$builddir/bench
export LC_ALL=C

need_cold "drop_caches, mounts"
[ -f "$WORK/.done" ] || sh "$top/bench/mkdebian.sh" "$WORK" >&2 ||
	die "building the benchmark image failed"
for f in umoci/rootfs rootfs.sqfs docker.tar oci-gzip; do
	[ -e "$WORK/$f" ] || die "$WORK/$f is missing (run bench/mount.sh once: it builds it)"
done
for t in squashfuse umount find du ls xargs stat awk sort; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
mkdir -p "$OUTB"
$CC -O2 -std=gnu11 -Wall -o "$OUTB/timeit" "$top/bench/timeit.c" || die "cannot build bench/timeit"
T=$OUTB/timeit

mount_tmp meta

SYS="dir sqfs plain gzip"
OPS="find lsR du stat"
img() {
	case $1 in
	sqfs) echo "$WORK/rootfs.sqfs" ;;
	plain) echo "$WORK/docker.tar" ;;
	gzip) echo "$WORK/oci-gzip" ;;
	esac
}
for s in plain gzip; do
	fresh_cache "$TMP/cache.$s" "$(img "$s")"
done
# up SYS [MOUNT ARGS]: mount SYS fresh (ocifs: with MOUNT ARGS, e.g. -o
# prewalk=0), print where to walk
up() {
	[ "$1" = dir ] && { echo "$WORK/umoci/rootfs"; return 0; }
	_s=$1
	shift
	m=$MNT/$_s
	mkdir -p "$m"
	if [ "$_s" = sqfs ]; then
		squashfuse "$(img sqfs)" "$m" >"$TMP/up.err" 2>&1 || die "squashfuse failed: $(cat "$TMP/up.err")"
	else
		XDG_CACHE_HOME=$TMP/cache.$_s "$BIN" mount "$(img "$_s")" "$m" "$@" >"$TMP/up.err" 2>&1 ||
			die "ocifs mount $(img "$_s") failed: $(cat "$TMP/up.err")"
	fi
	echo "$m"
}
down() {
	m=$MNT/$1
	mounted "$m" || return 0
	if [ "$1" = sqfs ]; then umount "$m"; else "$BIN" umount "$m"; fi || die "cannot unmount $m"
}
# op OP DIR OUT: run OP on the tree at DIR once; "wall cpu rc" appended to
# OUT.t, what it printed (a count of lines) in OUT.out
op() {
	# shellcheck disable=SC2016
	case $1 in
	find) "$T" "$3.t" sh -c 'find "$1" -ls | wc -l' sh "$2" ;;
	lsR) "$T" "$3.t" sh -c 'ls -lR "$1" | wc -l' sh "$2" ;;
	du) "$T" "$3.t" sh -c 'du -s "$1" >/dev/null; echo 1' sh "$2" ;;
	stat) "$T" "$3.t" sh -c 'cd "$1" && find . -print0 | xargs -0 stat | wc -l' sh "$2" ;;
	esac >"$3.out" || die "$1 on $2 failed"
}

R=$TMP/r
mkdir -p "$R"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
t=0
while [ "$t" -lt "$TRIALS" ]; do
	for o in $OPS; do
		for s in $SYS; do
			d=$(up "$s")
			drop
			op "$o" "$d" "$R/$s.$o.cold"
			op "$o" "$d" "$R/$s.$o.warm"
			down "$s"
		done
	done
	t=$((t + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# What a cold find -ls asks the gzip mount, by opcode (the kernel's
# fuse:fuse_request_send tracepoint, this mount's connection only): a
# count, not a time, so it holds whatever the load. Info; needs perf.
# Counted without the walk ahead (-o prewalk=0: the floor of the walk
# alone), then with it (the requests the walk itself still sends; the
# walk ahead's come from its own process, ocifs-prewalk, counted apart).
reqs="n/a (no perf or no fuse tracepoints)"
reqs_pw=$reqs
if command -v perf >/dev/null 2>&1 && perf list 'fuse:*' 2>/dev/null | grep -q 'fuse:fuse_request_send'; then
	for pw in 0 default; do
		if [ $pw = 0 ]; then d=$(up gzip -o prewalk=0); else d=$(up gzip); fi
		conn=$(mountpoint -d "$d" | cut -d: -f2)
		drop
		r="n/a"
		if perf record -q -o "$TMP/perf.data" -e fuse:fuse_request_send -a -- \
			find "$d" -ls >/dev/null 2>"$TMP/perf.err"; then
			# (the first column: the requesting command, ocifs-prewalk
			# for the walk ahead's process)
			r=$(perf script -F comm,trace -i "$TMP/perf.data" 2>/dev/null |
				awk -v c="$conn" 'index($0, "connection " c " ") {
					w = ($1 == "ocifs-prewalk") ? "ahead" : "walk"
					for (i = 1; i < NF; i++) if ($i == "opcode") {
						o = $(i + 2); gsub(/[()]/, "", o)
						if (w == "walk") { n[o]++; t++ } else a++ } }
					END { s = ""; for (o in n) s = s (s == "" ? "" : ", ") o " " n[o]
					printf "%d (%s)", t, s; if (a) printf "; the walk ahead %d", a; printf "\n" }')
		fi
		if [ $pw = 0 ]; then reqs=$r; else reqs_pw=$r; fi
		down gzip
	done
fi
# The daemon's major page faults during a cold find -ls on gzip (all its
# threads, /proc/PID/stat field 12: the view file and the daemon's own
# text come back from disk after drop_caches) and its CPU time (every
# thread's schedstat run time). Info; a count and a CPU time, which the
# load does not stretch as it does the wall time.
# dcpu PID: the daemon's CPU time so far, ns (0 without schedstat)
dcpu() { cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
d=$(up gzip)
pid=$(daemon_pid "$d")
faults="n/a (no daemon pid)"
if [ -n "$pid" ]; then
	drop
	f0=$(awk '{ print $12 }' "/proc/$pid/stat")
	c0=$(dcpu "$pid")
	find "$d" -ls >/dev/null
	faults="$(($(awk '{ print $12 }' "/proc/$pid/stat") - f0)), its CPU"
	faults="$faults $(awk -v a="$c0" -v b="$(dcpu "$pid")" 'BEGIN { printf "%.1f ms", (b - a) / 1e6 }')"
fi
down gzip
# The cold find -ls again with the walk and the daemon on one CPU (find
# under `taskset 1`, every daemon thread moved there; dir: find under
# `taskset 1`), best of TRIALS: each of the ~2 900 round trips then
# wakes a task on the CPU it runs on, not one on another (idle, halted)
# CPU, which on this guest is most of what a cold walk costs beyond
# dir's (RESULTS.md, session 10). Info.
one="n/a (no taskset)"
if command -v taskset >/dev/null 2>&1; then
	t=0
	while [ "$t" -lt "$TRIALS" ]; do
		drop
		"$T" "$R/one.dir.t" taskset 1 find "$WORK/umoci/rootfs" -ls >/dev/null ||
			die "find -ls on one CPU failed"
		d=$(up gzip)
		pid=$(daemon_pid "$d")
		[ -n "$pid" ] && taskset -a -p 1 "$pid" >/dev/null 2>&1 ||
			die "cannot move the daemon of $d to CPU 0"
		drop
		"$T" "$R/one.gzip.t" taskset 1 find "$d" -ls >/dev/null ||
			die "find -ls on one CPU failed"
		down gzip
		t=$((t + 1))
	done
	one="gzip $(ms "$(best "$R/one.gzip.t")"), dir $(ms "$(best "$R/one.dir.t")")"
	one="$one ($(div "$(best "$R/one.gzip.t")" "$(best "$R/one.dir.t")")x)"
fi
# The cold find -ls on gzip without the walk ahead, best of TRIALS
# (info: what the judged row would be without it).
t=0
while [ "$t" -lt "$TRIALS" ]; do
	d=$(up gzip -o prewalk=0)
	drop
	op find "$d" "$R/nopw.find.cold"
	down gzip
	t=$((t + 1))
done
nopw="gzip $(ms "$(best "$R/nopw.find.cold.t")") ($(div "$(best "$R/nopw.find.cold.t")" "$(best "$R/dir.find.cold.t")")x dir)"
for o in $OPS; do
	for s in $SYS; do
		for k in cold warm; do
			cmp -s "$R/$s.$o.$k.out" "$R/dir.$o.cold.out" ||
				die "$o on $s ($k) lists $(cat "$R/$s.$o.$k.out") lines, dir $(cat "$R/dir.$o.cold.out")"
		done
	done
done

secs() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.1f ms", s * 1000; else printf "%.2f s", s }'; }
row() { printf '%-16s %-10s %-8s %-8s %-20s %-13s %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"; }
echo
echo "metadata benchmarks (goal 4): $(cat "$R/dir.find.cold.out") entries; dir = umoci unpack" \
	"($(df -T "$WORK/umoci/rootfs" | awk 'NR == 2 { print $2 }')), sqfs = squashfuse, plain =" \
	"ocifs of docker.tar, gzip = ocifs of oci-gzip"
echo "load average $load0 before, $load1 after; best of $TRIALS, interleaved; x = time / dir's time;" \
	"cold: fresh mount + drop_caches (index cache warm), warm: again at once"
nd=$(find "$WORK/umoci/rootfs" -type d | wc -l)
nl=$(find "$WORK/umoci/rootfs" -type l | wc -l)
echo "requests of a cold find -ls on gzip: $reqs; the tree: $nd directories, $nl symlinks (the" \
	"floor, $((2 * nd + nl + 2)): a READDIRPLUS a directory (st_blksize fits its listing; a second" \
	"one per MiB beyond), one more for its end, a READLINK a symlink, one OPENDIR (ENOSYS)," \
	"one STATFS); the daemon's major faults: $faults"
echo "requests of that walk with the walk ahead (the default; it runs from the mount on," \
	"the drop_caches included): $reqs_pw"
echo "cold find -ls with the walk and the daemon on one CPU (taskset): $one"
echo "cold find -ls without the walk ahead (-o prewalk=0): $nopw"
row "operation" "dir" "x sqfs" "x plain" "x gzip (gzip)" "goal" ""
for o in $OPS; do
	for k in cold warm; do
		dv=$(best "$R/dir.$o.$k.t")
		sv=$(best "$R/sqfs.$o.$k.t")
		pv=$(best "$R/plain.$o.$k.t")
		gv=$(best "$R/gzip.$o.$k.t")
		x=$(div "$gv" "$dv")
		g="" v=info
		case $o.$k in
		find.cold) g="<= 1.1x dir" v=$(goal 4 "cold find -ls / unpacked dir" "$x" "<=" 1.1) ;;
		find.warm) g="<= 1.05x dir" v=$(goal 4 "warm find -ls / unpacked dir" "$x" "<=" 1.05) ;;
		esac
		name=$o
		case $o in find) name="find -ls" ;; lsR) name="ls -lR" ;; du) name="du -s" ;; stat) name="stat all" ;; esac
		row "$k $name" "$(secs "$dv")" "$(div "$sv" "$dv")x" "$(div "$pv" "$dv")x" \
			"$(div "$gv" "$dv")x ($(secs "$gv"))" "$g" "$v"
	done
done
