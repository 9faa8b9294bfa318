#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh SECONDS [TARGET...]: run libFuzzer targets (a --enable-fuzzing
# build) for SECONDS each, FUZZ_JOBS (default 2) at a time, over a scratch
# copy of their seeds, kept crashers and matching shared-corpus files,
# with -rss_limit_mb=256 -timeout=1 and the shared dictionary. Fails if
# any target finds a crash, leak, sanitizer report, timeout or OOM; the
# input is left in WORK/artifacts/TARGET/ (minimize it with
# `fuzz_T -minimize_crash=1 -runs=10000 FILE` and add it to
# tests/fuzz/regress/TARGET/). Prints "TARGET SECONDS EXECS RESULT" lines
# and keeps WORK (FUZZ_WORK, default a new temp dir) for inspection.
#
# Environment: FUZZ_BUILDDIR (where tests/fuzz/fuzz_* are; default the
# source tree), OCIFS_CORPUS (default ../shared/corpus), FUZZ_JOBS,
# FUZZ_NICE (a nice level for the fuzzers, e.g. 19 on a shared machine),
# FUZZ_TIMEOUT (seconds per input, default 1; FUZZ_TIMEOUT_<target> for
# one target), FUZZ_ARGS (extra flags).
set -u
secs=${1:?usage: run.sh SECONDS [TARGET...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
B=${FUZZ_BUILDDIR:-$src}/tests/fuzz
C=${OCIFS_CORPUS:-$src/../shared/corpus}
W=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/ocifs-fuzz-run.XXXXXX")}
jobs=${FUZZ_JOBS:-2}
all="tar gzidx zstdidx image_json view view_load idxdb elf goinfo upx ldcache ldconf dpkg rpmdb java npm pkgtext sbom_spdx registry"
targets=${*:-$all}

. "$here/corpus.sh"

max_len() {
	case $1 in
	ldconf | ldcache) echo 16384 ;;
	*) echo 65536 ;;
	esac
}

run_one() { # run_one TARGET -> one result line on stdout
	local t=$1 bin=$B/fuzz_$1 cor=$W/corpus/$1 art=$W/artifacts/$1/ log=$W/$1.log
	local rc execs result to
	eval "to=\${FUZZ_TIMEOUT_$t:-\${FUZZ_TIMEOUT:-1}}"
	mkdir -p "$cor" "$art"
	for d in "$here/seeds/$t" "$here/regress/$t" $(corpus_for "$t"); do
		[ -d "$d" ] || continue
		# flat copies; names made unique by their path
		find "$d" -type f -size -1024k | while read -r f; do
			cp "$f" "$cor/$(echo "${f#"$d"/}" | tr / _)" 2>/dev/null
		done
	done
	# ASan keeps up to 256 MB of freed blocks in quarantine by default,
	# which the 256 MB RSS limit would count against the code under test.
	TMPDIR=$W/tmp ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=32} \
		nice -n "${FUZZ_NICE:-0}" "$bin" -max_total_time="$secs" -rss_limit_mb=256 \
		-timeout="$to" -max_len="$(max_len "$t")" -dict="$here/fuzz.dict" \
		-artifact_prefix="$art" -print_final_stats=1 -close_fd_mask=2 ${FUZZ_ARGS:-} "$cor" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ $rc -eq 0 ] && [ -z "$(ls -A "$art")" ]; then
		result=ok
	else
		result="FAIL(rc=$rc: $(grep -m1 -o 'ERROR: [A-Za-z]*: [a-z-]*\|FZ_ASSERT([^)]*)\|ALARM: [^ ]* \|timeout\|out-of-memory' "$log" | head -1); $(ls "$art" | head -3 | tr '\n' ' '))"
	fi
	echo "$t $secs ${execs:-?} $result"
}

mkdir -p "$W/tmp"
for t in $targets; do
	if [ ! -x "$B/fuzz_$t" ]; then
		echo "run.sh: $B/fuzz_$t not built (./configure CC=clang --enable-fuzzing && make)" >&2
		exit 2
	fi
done
echo "run.sh: ${secs}s per target, $jobs at a time; logs and corpora in $W" >&2
: >"$W/results"
running=0
for t in $targets; do
	run_one "$t" >>"$W/results" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
sort "$W/results"
! grep -qv ' ok$' "$W/results"
