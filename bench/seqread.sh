#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Goal 1 of issue #14: sequential read of one big file of a compressed
# layer, decoded on every core (the reader's read-ahead on the checkpoint
# grid, src/readahead.h), against the plain decompressor of the same blob
# in the same run. Runs from bench/run.sh, or on its own from the build
# directory: sh SRCDIR/bench/seqread.sh. Needs root (mounts) and /dev/fuse.
#
# The image (built once): one file of SEQ_MB MiB (default 256) of the
# Debian root's /usr files one after another (semi-compressible ELF data,
# as bench/mount.sh's big file), in one-layer OCI layouts:
#   gzip    gzip -6                            vs `zcat BLOB | wc -c`
#   zstd1   zstd -3, one frame (the zstd CLI)  vs `zstd -dc BLOB | wc -c`
#   pzstd   pzstd -3: many frames              vs `zstd -dc BLOB | wc -c`
#   plain   the tar itself (no decompression)  vs `cat BLOB | wc -c`
# The plain row is the ceiling of the FUSE read path on this machine: the
# same file with nothing to decode (spliced from the blob), printed also
# against `zstd -dc` -- if the mount cannot deliver 1.6x `zstd -dc` for
# bytes it does not decode, the zstd goal is bounded by FUSE here.
# Each trial mounts the layout afresh (the mount's page cache cold; its
# index cache warm, built before the first trial) and times
# `cat FILE >/dev/null`; the baseline is timed between two mount trials.
# The blobs are read once first, so both sides read them from the page
# cache. Best of SEQ_TRIALS (3) each; rates in MB/s of the file (the
# baseline decodes the tar: the file plus a few KB). Also, per codec, the
# daemon's page faults and peak RSS of its best trial, and `ocifs cat`
# (info), and the CPU seconds of the daemon (utime + stime over the
# trial) and of `cat`, and from them the CPU floor: the rate if that CPU
# were spread over every core with nothing else running, the best the
# mount could do here, against the rate of the decompressor's own CPU
# (`DEC BLOB >/dev/null`: one thread, so its floor is its CPU; without
# the pipe it is a little cheaper than the baseline). Ratios are rates:
# ocifs / baseline (higher is better).
# For pzstd also: libzstd alone decoding every frame on every core
# (bench/pzdec.c: no I/O, each frame straight into a reused buffer, as
# the read-ahead does), its wall rate against the baseline (decoding
# only: no mount can beat it); and, with the plain row in the same run,
# "at best on N cores": that decoding CPU plus the transport's (daemon +
# cat CPU of the plain row: round trips and page-cache copies, nothing
# decoded) spread over every core, but no faster than the transport
# alone (its requests are a chain, one core at a time), against the
# decoder's CPU -- what the cores could do at best with this transport,
# the row the pzstd ratio is to be judged against; and the mount's rate
# against libzstd alone's, which the load slows too (on the same cores:
# the decoding's share of the mount's CPU, decode / (decode + transport)).
# Goal 1: gzip and pzstd >= 1.6x their decompressor; one big zstd frame
# cannot be decoded in parallel (only one decoder can walk it): info.
#
# Built under OCIFS_BENCH_SEQ_DIR when set, else $OCIFS_BENCH_WORK/seq
# (when that work dir is writable; its rootfs/ is the source of the
# file), else under ./bench/seq-work of the build directory. Env:
# OCIFS_BIN, OCIFS_BENCH_WORK (./bench/work), OCIFS_BENCH_SEQ_MB (256),
# OCIFS_BENCH_SEQ_TRIALS (3), OCIFS_BENCH_SEQ_CODECS (the rows, default
# "gzip pzstd plain zstd1"; plain needs pzstd for its ceiling row).
set -eu

me=bench/seqread.sh
. "$(dirname "$0")/lib.sh"
WORK=${OCIFS_BENCH_WORK:-$builddir/bench/work}
SEQ_MB=${OCIFS_BENCH_SEQ_MB:-256}
TRIALS=${OCIFS_BENCH_SEQ_TRIALS:-3}
CC=${CC:-cc}
OUTB=$builddir/bench
export LC_ALL=C

[ "$(id -u)" -eq 0 ] || die "needs root (mounts)"
[ -c /dev/fuse ] || die "/dev/fuse is missing"
for t in tar gzip zcat zstd pzstd jq sha256sum awk wc; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
[ -f "$WORK/.done" ] || sh "$top/bench/mkdebian.sh" "$WORK" >&2 ||
	die "building the benchmark image failed"
[ -d "$WORK/rootfs/usr" ] || die "$WORK/rootfs/usr is missing"
mkdir -p "$OUTB"
$CC -O2 -std=gnu11 -Wall -o "$OUTB/timeit" "$top/bench/timeit.c" ||
	die "cannot build bench/timeit"
T=$OUTB/timeit
$CC -O2 -std=gnu11 -Wall -o "$OUTB/pzdec" "$top/bench/pzdec.c" -lzstd -lpthread ||
	die "cannot build bench/pzdec"

if [ -n "${OCIFS_BENCH_SEQ_DIR:-}" ]; then S=$OCIFS_BENCH_SEQ_DIR
elif [ -w "$WORK" ]; then S=$WORK/seq; else S=$builddir/bench/seq-work; fi
mount_tmp seq

# --- the image (built once) ---------------------------------------------------
# layout DIR BLOBFILE MEDIATYPE DIFFID: mklayout's one-layer OCI layout
# (bench/lib.sh), its blob also hard-linked at DIR.blob
layout() {
	lh=$(mklayout "$@") || die "cannot write the layout $1"
	ln -f "$1/blobs/sha256/$lh" "$1.blob"
}

if [ ! -f "$S/.done" ] || [ "$(cat "$S/.done")" != "$SEQ_MB" ]; then
	echo "$me: building a $SEQ_MB MiB file as gzip, zstd and pzstd layers (once)" >&2
	rm -rf "$S"
	mkdir -p "$S/tmp/root"
	bigfile "$S/tmp/root/big.bin" "$SEQ_MB"
	touch -d 2021-01-01T00:00:00Z "$S/tmp/root"
	tar --numeric-owner -C "$S/tmp/root" -cf "$S/tmp/layer.tar" . || die "tar failed"
	rm -rf "$S/tmp/root"
	diff="sha256:$(sha256sum "$S/tmp/layer.tar" | cut -d' ' -f1)"
	gzip -n -6 -c "$S/tmp/layer.tar" >"$S/tmp/gz" || die "gzip failed"
	zstd -q -3 --single-thread -c "$S/tmp/layer.tar" >"$S/tmp/zst" || die "zstd failed"
	pzstd -q -3 -p 2 -c "$S/tmp/layer.tar" >"$S/tmp/pzst" || die "pzstd failed"
	layout "$S/gzip" "$S/tmp/gz" application/vnd.oci.image.layer.v1.tar+gzip "$diff"
	layout "$S/zstd1" "$S/tmp/zst" application/vnd.oci.image.layer.v1.tar+zstd "$diff"
	layout "$S/pzstd" "$S/tmp/pzst" application/vnd.oci.image.layer.v1.tar+zstd "$diff"
	layout "$S/plain" "$S/tmp/layer.tar" application/vnd.oci.image.layer.v1.tar "$diff"
	rm -rf "$S/tmp"
	echo "$SEQ_MB" >"$S/.done"
fi
# the plain layout came later than the others: made from the gzip blob
# when an older build of the image lacks it
if [ ! -f "$S/plain.blob" ]; then
	mkdir -p "$S/tmp"
	zcat "$S/gzip.blob" >"$S/tmp/layer.tar" || die "zcat $S/gzip.blob failed"
	diff="sha256:$(sha256sum "$S/tmp/layer.tar" | cut -d' ' -f1)"
	layout "$S/plain" "$S/tmp/layer.tar" application/vnd.oci.image.layer.v1.tar "$diff"
	rm -rf "$S/tmp"
fi
SIZE=$((SEQ_MB * 1048576))

# --- trials -----------------------------------------------------------------------
# daemon: the pid of the ocifs serving $MNT
daemon() { pgrep -n -f "mount $S/$1 $MNT" || true; }
R=$TMP/r
mkdir -p "$R"
CODECS=${OCIFS_BENCH_SEQ_CODECS:-gzip pzstd plain zstd1}
HZ=$(getconf CLK_TCK)
# cpu PID: user + system seconds of PID so far (0 when it is gone)
cpu() {
	awk -v hz="$HZ" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for c in $CODECS; do
	cat "$S/$c.blob" >/dev/null
	fresh_cache "$TMP/cache.$c" "$S/$c"
	: >"$R/$c.t"
	: >"$R/$c.base.t"
	: >"$R/$c.dec.t"
	: >"$R/$c.cat.t"
	case $c in gzip) dec="zcat" ;; plain) dec="cat" ;; *) dec="zstd -dc" ;; esac
	i=0
	while [ "$i" -lt "$TRIALS" ]; do
		# shellcheck disable=SC2016
		"$T" "$R/$c.base.t" sh -c "$dec"' "$1" | wc -c >/dev/null' sh "$S/$c.blob" ||
			die "$dec $S/$c.blob failed"
		# its CPU alone (no pipe to write to: a little less than above)
		# shellcheck disable=SC2016
		"$T" "$R/$c.dec.t" sh -c "$dec"' "$1" >/dev/null' sh "$S/$c.blob" ||
			die "$dec $S/$c.blob failed"
		# pzstd: libzstd alone on every core, frames into reused buffers
		if [ "$c" = pzstd ]; then
			"$OUTB/pzdec" "$S/$c.blob" >>"$R/pzdec.t" || die "pzdec $S/$c.blob failed"
		fi
		XDG_CACHE_HOME=$TMP/cache.$c "$BIN" mount "$S/$c" "$MNT" >"$TMP/up.err" 2>&1 ||
			die "ocifs mount $S/$c failed: $(cat "$TMP/up.err")"
		pid=$(daemon "$c")
		c0=$( [ -n "$pid" ] && cpu "$pid" || echo 0)
		"$T" "$R/$c.t" sh -c 'cat "$1" >/dev/null' sh "$MNT/big.bin" ||
			die "cat $MNT/big.bin failed"
		# page faults (minflt + majflt), peak RSS and CPU time of the daemon
		if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then
			pf=$(awk '{ print $10 + $12 }' "/proc/$pid/stat")
			hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
			dc=$(awk -v a="$(cpu "$pid")" -v b="$c0" 'BEGIN { printf "%.3f", a - b }')
			tail -n 1 "$R/$c.t" | awk -v p="$pf" -v h="$hwm" -v d="$dc" \
				'{ print $1, p, h, d, $2 }' >>"$R/$c.mem"
		fi
		"$BIN" umount "$MNT" || die "ocifs umount $MNT failed"
		XDG_CACHE_HOME=$TMP/cache.$c "$T" "$R/$c.cat.t" sh -c '"$1" cat "$2" big.bin >/dev/null' \
			sh "$BIN" "$S/$c" || die "ocifs cat $S/$c big.bin failed"
		i=$((i + 1))
	done
done

# --- table --------------------------------------------------------------------------
mbs() { awk -v b="$SIZE" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }'; }
row() { printf '%-34s %-12s %-12s %-7s %s\n' "$1" "$2" "$3" "$4" "$5"; }
echo
echo "sequential read of one $SEQ_MB MiB file (issue #14 goal 1; best of $TRIALS, mount fresh each trial,"
echo "blobs in the page cache; $(getconf _NPROCESSORS_ONLN) cores, load average before: $LOAD)"
row "" "ocifs" "baseline" "ratio" "goal"
for c in $CODECS; do
	case $c in
	gzip) what="gzip -6 vs zcat" ;;
	pzstd) what="pzstd (many frames) vs zstd -dc" ;;
	zstd1) what="zstd, one frame vs zstd -dc" ;;
	plain) what="uncompressed vs cat" ;;
	esac
	o=$(best "$R/$c.t")
	b=$(best "$R/$c.base.t")
	ratio=$(div "$b" "$o")
	case $c in
	zstd1) v="info (one frame: one decoder)" ;;
	plain) v="info (nothing to decode)" ;;
	*) v="$(goal 1 "seq read $what" "$ratio" ">=" 1.6) (>= 1.6x)" ;;
	esac
	row "$what" "$(mbs "$o") MB/s" "$(mbs "$b") MB/s" "$ratio" "$v"
	row "  ocifs cat" "$(mbs "$(best "$R/$c.cat.t")") MB/s" "" \
		"$(div "$b" "$(best "$R/$c.cat.t")")" "info"
	if [ -s "$R/$c.mem" ]; then
		sort -n "$R/$c.mem" | head -n 1 | awk '{ printf "  %-32s %s page faults, peak RSS %.0f MiB, cpu %.2f s (cat %.2f s)\n",
			"daemon (best trial)", $2, $3 / 1024, $4, $5 }'
	fi
	if [ "$c" != plain ] && [ -s "$R/$c.mem" ]; then
		# the best this machine could do: the CPU the mount used
		# (daemon + cat, least over the trials) spread over every core
		fl=$(awk -v n="$(getconf _NPROCESSORS_ONLN)" '{ t = ($4 + $5) / n; if (m == "" || t < m) m = t }
			END { printf "%.4f", m }' "$R/$c.mem")
		bc=$(sort -n -k2 "$R/$c.dec.t" | head -n 1 | cut -d' ' -f2)
		row "  CPU floor on $(getconf _NPROCESSORS_ONLN) cores" "$(mbs "$fl") MB/s" "$(mbs "$bc") MB/s" \
			"$(div "$bc" "$fl")" "info ((daemon + cat CPU) / cores vs the decoder's CPU)"
	fi
	if [ "$c" = pzstd ] && [ -s "$R/pzdec.t" ]; then
		n=$(getconf _NPROCESSORS_ONLN)
		bc=$(sort -n -k2 "$R/pzstd.dec.t" | head -n 1 | cut -d' ' -f2)
		pw=$(sort -n "$R/pzdec.t" | head -n 1 | cut -d' ' -f1)
		pc=$(sort -n -k2 "$R/pzdec.t" | head -n 1 | cut -d' ' -f2)
		row "  libzstd alone on $n threads" "$(mbs "$pw") MB/s" "$(mbs "$b") MB/s" "$(div "$b" "$pw")" \
			"info (decoding only, cpu $pc s: no mount beats it)"
		if [ -s "$R/plain.mem" ]; then
			# at best: that decoding CPU plus the transport's (daemon
			# + cat CPU of the plain row: round trips and page-cache
			# copies, nothing decoded) over every core, and no faster
			# than the transport alone (a chain of requests: one core
			# at a time) -- vs the decoder's CPU, as the row above
			tr=$(awk '{ t = $4 + $5; if (m == "" || t < m) m = t } END { printf "%.4f", m }' "$R/plain.mem")
			ab=$(awk -v d="$pc" -v t="$tr" -v n="$n" 'BEGIN { f = (d + t) / n; if (t > f) f = t; printf "%.4f", f }')
			row "  at best on $n cores" "$(mbs "$ab") MB/s" "$(mbs "$bc") MB/s" "$(div "$bc" "$ab")" \
				"info ((decode $pc s + transport $tr s CPU) / $n vs the decoder's CPU)"
			# the mount against libzstd alone in the same run: on the
			# same cores, the decoding's share of the CPU the mount
			# needs (under load the mount's 4 busy threads may get
			# more of the machine than libzstd's 2)
			row "  ocifs vs libzstd alone" "$(mbs "$o") MB/s" "$(mbs "$pw") MB/s" "$(div "$pw" "$o")" \
				"info (same cores: $(div "$pc" "$(awk -v d="$pc" -v t="$tr" 'BEGIN { print d + t }')"), decode / (decode + transport) CPU)"
		fi
	fi
	if [ "$c" = plain ] && [ -s "$R/pzstd.base.t" ]; then
		# the ceiling: what the mount delivers with nothing to decode,
		# against the zstd decompressor the pzstd row is judged by
		zb=$(best "$R/pzstd.base.t")
		row "  FUSE ceiling vs zstd -dc" "$(mbs "$o") MB/s" "$(mbs "$zb") MB/s" \
			"$(div "$zb" "$o")" "info (the pzstd goal is 1.6x)"
	fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
