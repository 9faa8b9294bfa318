#!/bin/sh
# Print the closing "N passed, N failed, N skipped" line of `make check`,
# counted over every test case of every test in $@ (automake keeps each
# test's results in NAME.trs, NAME without its .sh extension). A test
# with no results at all counts as one failure.
pass=0 fail=0 skipped=0
for t in "$@"; do
	f="${t%.sh}.trs"
	[ -f "$f" ] || { fail=$((fail + 1)); continue; }
	p=$(grep -c '^:test-result: PASS' "$f")
	x=$(grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$f")
	s=$(grep -c '^:test-result: SKIP' "$f")
	pass=$((pass + p)) fail=$((fail + x)) skipped=$((skipped + s))
done
echo "$pass passed, $fail failed, $skipped skipped"
