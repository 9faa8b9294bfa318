# SPDX-License-Identifier: MIT
#
# Sourced by the bench scripts (run.sh, mount.sh, deps.sh) after they set
# `me` to their own name: die(), the source tree ($top), the build
# directory ($builddir, the current one) and the ocifs binary ($BIN, from
# OCIFS_BIN, default ./ocifs, made absolute and checked).

die() {
	echo "$me: $*" >&2
	exit 1
}

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(pwd)
BIN=${OCIFS_BIN:-./ocifs}
case $BIN in /*) ;; *) BIN=$builddir/$BIN ;; esac
[ -x "$BIN" ] || die "$BIN not found: build it first (make), or set OCIFS_BIN"

# --- numbers (every table) ---------------------------------------------------
# best FILE FIELD: field FIELD (1 wall, 2 cpu; default 1) of the line of
# FILE with the smallest wall time (lines: "wall cpu rc", from timeit)
best() { sort -n "$1" | head -n 1 | cut -d' ' -f"${2:-1}"; }
# div A B [FORMAT]: A / B (0 when B is 0)
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { printf f, (b > 0 ? a / b : 0) }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
# verdict VALUE OP GOAL (OP: >=, <=, <): PASS or MISS
verdict() {
	awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
		ok = (op == ">=") ? (v + 0 >= g + 0) : (op == "<") ? (v + 0 < g + 0) : (v + 0 <= g + 0)
		print ok ? "PASS" : "MISS" }'
}

# goal N WHAT VALUE OP TARGET: the verdict (PASS or MISS, echoed, for the
# row's last column) of one of issue #14's goals (N = 1..7) or of issue
# #15's (N = 15: the registry section), also recorded
# in $OCIFS_BENCH_GOALS (when set: run.sh sets it) as one line
# "N<TAB>WHAT<TAB>VALUE<TAB>OP TARGET<TAB>VERDICT" for the closing table
goal() {
	_v=$(verdict "$3" "$4" "$5")
	if [ -n "${OCIFS_BENCH_GOALS:-}" ]; then
		printf '%s\t%s\t%s\t%s %s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$_v" >>"$OCIFS_BENCH_GOALS"
	fi
	echo "$_v"
}

# fresh_cache DIR IMAGE: an empty cache DIR holding IMAGE's layer indexes
# and merged view (built by `ocifs index` and `ocifs ls`), nothing else
fresh_cache() {
	rm -rf "$1"
	XDG_CACHE_HOME=$1 "$BIN" index "$2" >/dev/null 2>&1 || die "ocifs index $2 failed"
	XDG_CACHE_HOME=$1 "$BIN" ls "$2" / >/dev/null || die "ocifs ls $2 failed"
}

# --- the mount daemon's memory (goal 6) ------------------------------------
# daemon_pid DIR: the pid of the ocifs daemon serving the mount at DIR (the
# process whose argv holds DIR and runs $BIN; the `ocifs mount` parent has
# exited by the time the mount answers), or nothing
daemon_pid() {
	_exe=$(readlink -f "$BIN")
	for _p in /proc/[0-9]*; do
		[ "$(readlink "$_p/exe" 2>/dev/null)" = "$_exe" ] || continue
		tr '\0' '\n' <"$_p/cmdline" 2>/dev/null | grep -qxF -e "$1" || continue
		echo "${_p#/proc/}"
		return 0
	done
}
# kb_of PID FIELD: FIELD (VmHWM, VmRSS, RssAnon, RssFile, ...) of
# /proc/PID/status in KiB
kb_of() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# cache_default: the span cache's default size in MiB, as `ocifs mount
# --help` states it (cache_size=, "default 64M")
cache_default() {
	"$BIN" mount --help 2>&1 | sed -n 's/.*cache_size=.*default \([0-9]*\)M.*/\1/p' | head -n 1
}

# --- the scripts that mount ----------------------------------------------------
# mounted DIR: DIR is a mount point (also when its daemon died, unlike
# mountpoint(1), which cannot stat it then)
mounted() { awk -v d="$1" '$5 == d { f = 1 } END { exit !f }' /proc/self/mountinfo; }
# unmount_all: unmount every mount point under $MNT, then $MNT itself
# (umount, else lazily); 1 when one stays mounted
unmount_all() {
	_left=0
	for _d in "$MNT"/* "$MNT"; do
		{ [ -d "$_d" ] && mounted "$_d"; } || continue
		umount "$_d" 2>/dev/null || umount -l "$_d" 2>/dev/null || _left=1
	done
	return "$_left"
}
# mount_tmp NAME: TMP, a new temporary directory, and MNT=$TMP/mnt in it;
# at exit whatever is mounted under MNT is unmounted and TMP removed
mount_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-$1.XXXXXX") || die "mktemp failed"
	MNT=$TMP/mnt
	mkdir -p "$MNT"
	trap 'if unmount_all; then rm -rf "$TMP"; else echo "$me: could not unmount everything under $MNT" >&2; fi' EXIT
	trap 'exit 130' INT TERM
}
# need_cold WHY: die unless this can mount and drop the page cache: root
# (WHY says what for), a writable drop_caches and /dev/fuse
need_cold() {
	[ "$(id -u)" -eq 0 ] || die "needs root ($1)"
	[ -w /proc/sys/vm/drop_caches ] || die "/proc/sys/vm/drop_caches is not writable"
	[ -c /dev/fuse ] || die "/dev/fuse is missing"
}
# drop: write back, then drop the kernel's page, dentry and inode caches
drop() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# A one-layer OCI layout, tag "bench": mklayout DIR BLOBFILE MEDIATYPE DIFFID
# (moves BLOBFILE into DIR).
mklayout() {
	d=$1
	rm -rf "$d"
	mkdir -p "$d/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	lh=$(sha256sum "$2" | cut -d' ' -f1)
	lsz=$(wc -c <"$2" | tr -d ' ')
	mv "$2" "$d/blobs/sha256/$lh"
	jq -cn --arg diff "$4" '{created: "2021-01-01T00:00:00Z", architecture: "amd64",
		os: "linux", config: {Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$diff]}}' >"$d/c"
	ch=$(sha256sum "$d/c" | cut -d' ' -f1)
	csz=$(wc -c <"$d/c" | tr -d ' ')
	mv "$d/c" "$d/blobs/sha256/$ch"
	jq -cn --arg c "sha256:$ch" --argjson cs "$csz" --arg l "sha256:$lh" --argjson ls "$lsz" \
		--arg mt "$3" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json",
			digest: $c, size: $cs},
		layers: [{mediaType: $mt, digest: $l, size: $ls}]}' >"$d/m"
	mh=$(sha256sum "$d/m" | cut -d' ' -f1)
	msz=$(wc -c <"$d/m" | tr -d ' ')
	mv "$d/m" "$d/blobs/sha256/$mh"
	jq -cn --arg m "sha256:$mh" --argjson ms "$msz" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $m, size: $ms, platform: {os: "linux", architecture: "amd64"},
			annotations: {"org.opencontainers.image.ref.name": "bench"}}]}' >"$d/index.json"
	echo "$lh"
}

# bigfile OUT MB [reverse]: OUT, a file of MB MiB that compresses like real
# binaries: the Debian root's /usr files over 16 KiB (mostly ELF), one
# after another in name order (or reverse), over and over, cut at MB MiB;
# mtime 2021-01-01
bigfile() {
	_list=$(mktemp "${TMPDIR:-/tmp}/ocifs-bigfile.XXXXXX") || die "mktemp failed"
	(cd "$WORK/rootfs" && find usr -type f -size +16k | sort $([ "${3:-}" = reverse ] && echo -r)) >"$_list"
	[ -s "$_list" ] || { rm -f "$_list"; die "no files under $WORK/rootfs/usr"; }
	_i=0
	while [ "$_i" -lt 64 ]; do
		(cd "$WORK/rootfs" && tr '\n' '\0' <"$_list" | xargs -0 cat) || true
		_i=$((_i + 1))
	done 2>/dev/null | head -c "$(($2 * 1048576))" >"$1" || true
	rm -f "$_list"
	[ "$(wc -c <"$1")" -eq "$(($2 * 1048576))" ] || die "could not write $1"
	touch -d 2021-01-01T00:00:00Z "$1"
}
