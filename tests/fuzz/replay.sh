#!/bin/bash
# Replays every fuzz target over its committed seeds (tests/fuzz/seeds/T),
# its kept crashers (tests/fuzz/regress/T) and the matching part of the
# shared corpus ($OCIFS_CORPUS, when present): one TAP case per target.
# With --enable-fuzzing the targets are libFuzzer binaries (-runs=0 makes
# them execute the inputs and stop); otherwise they carry replay.c's main.
# A crash, sanitizer report or failed check fails the target's case and
# the log names the input that was running.
. "$(dirname "$0")/../lib.sh"

B=${OCIFS_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/fuzz
S=$OCIFS_SRCDIR/tests/fuzz
C=$OCIFS_CORPUS
export FUZZ_REPLAY_TRACE=1 ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} TMPDIR="$TMP"

. "$(dirname "$0")/corpus.sh"

for t in tar gzidx zstdidx image_json view view_load idxdb elf goinfo upx ldcache ldconf dpkg rpmdb java npm pkgtext sbom_spdx registry; do
	bin=$B/fuzz_$t
	if [ ! -x "$bin" ]; then
		fail "fuzz_$t: not built"
		continue
	fi
	dirs=()
	for d in "$S/seeds/$t" "$S/regress/$t" $(corpus_for $t); do
		[ -d "$d" ] && dirs+=("$d")
	done
	if [ ${#dirs[@]} -eq 0 ]; then
		fail "fuzz_$t: no seeds in $S/seeds/$t"
		continue
	fi
	log=$TMP/$t.log
	"$bin" -runs=0 -rss_limit_mb=512 -timeout=60 "${dirs[@]}" >"$log" 2>&1
	rc=$?
	n=$(grep -c '^replay: running ' "$log")
	[ "$n" -gt 0 ] || n=$(sed -n 's/.*seed corpus: files: \([0-9]*\).*/\1/p' "$log" | tail -1)
	ok $rc "fuzz_$t: replays ${n:-?} inputs from ${#dirs[@]} dirs"
	if [ $rc -ne 0 ]; then
		grep '^replay: running ' "$log" | tail -1 | sed 's/^/# last input: /'
		grep -v '^replay: running ' "$log" | tail -30 | sed 's/^/# /'
	fi
done
done_testing
