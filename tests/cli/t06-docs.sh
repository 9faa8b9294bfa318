#!/bin/bash
# Every command and option that `ocifs --help` and `ocifs CMD --help` list
# is documented in
# man/ocifs.1, and the README's first two commands are the ones CI runs.
. "$(dirname "$0")/../lib.sh"

B=$OCIFS_BIN
MAN=$OCIFS_SRCDIR/man/ocifs.1
"$B" --help >"$TMP/help"
ok $? "ocifs --help"
for c in $("$B" help --commands); do "$B" "$c" --help; done >"$TMP/cmdhelp"
"$B" mount --help >"$TMP/mounthelp"
# roff escapes "-" as "\-"
sed 's/\\-/-/g' "$MAN" >"$TMP/man"
missing=
for opt in $(cat "$TMP/help" "$TMP/cmdhelp" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -qF -- "$opt" "$TMP/man" || missing="$missing $opt"
done
for cmd in $(sed -n 's/^  \([a-z]*\) .*/\1/p' "$TMP/help" | grep -v '^$' | sort -u); do
	grep -qE "^\.B(I)? \"?$cmd" "$TMP/man" || grep -qF "ocifs $cmd" "$TMP/man" || missing="$missing $cmd"
done
[ -z "$missing" ]
ok $? "every --help command and option is in ocifs(1)${missing:+ (missing:$missing)}"
for o in timeout= cache_size= uid= gid= allow_other ready_fd=; do
	grep -qF "$o" "$TMP/mounthelp" && grep -qF "$o" "$TMP/man"
	ok $? "mount option $o in mount --help and ocifs(1)"
done
# every property the SBOM writes (a "ocifs:..." string of scan/) is
# documented in ocifs-sbom(5); a printf pattern stands for its prefix
missing=
for p in $(cat "$OCIFS_SRCDIR"/scan/*.c | grep -oE '"ocifs:[A-Za-z0-9_:.%-]+' | tr -d '"' | sed 's/%.*//' | sort -u); do
	grep -qF -- "$p" "$OCIFS_SRCDIR/man/ocifs-sbom.5" || missing="$missing $p"
done
[ -z "$missing" ]
ok $? "every SBOM property is in ocifs-sbom(5)${missing:+ (missing:$missing)}"
head -5 "$OCIFS_SRCDIR/README.md" | grep -q 'make demo' &&
	grep -q '^make -j2 check$' "$OCIFS_SRCDIR/README.md" &&
	grep -q 'make -j2 check' "$OCIFS_SRCDIR/.ci/run"
ok $? "README opens with the set-up command and the test command CI runs"
# The release tarball is checked too: it must build, test and install on
# its own (.ci/run is in it, so this test runs there as well).
grep -q '^make -j2 distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror ' "$OCIFS_SRCDIR/.ci/run" && grep -q 'tracked files missing from the release tarball' "$OCIFS_SRCDIR/.ci/run"
ok $? "CI runs make distcheck (with -Werror) and checks the tarball ships every tracked file"
done_testing
