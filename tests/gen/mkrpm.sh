#!/bin/sh
# SPDX-License-Identifier: MIT
# Build an rpm-based image in OUT with Debian's rpm and rpmbuild, for the
# rpm cataloger's tests (tests/unit/test_cat_rpm.c, tests/cli/t15): a few
# noarch packages from trivial specs (an epoch, a Requires, a file
# dependency), installed into OUT/root with rpm's default SQLite backend
# at /var/lib/rpm in three steps, each step's changes one layer:
#   l1: /etc/os-release (Fedora 39), alpha 1.0, beta (epoch 2, requires alpha),
#       delta, a gpg-pubkey (when gpg is there to make a key)
#   l2: alpha upgraded to 2.0, gamma installed (requires /bin/sh), delta erased
#   l3: epsilon installed then erased: the database rewritten, the same set
# OUT/img is the OCI image of the three layers (mkoci); OUT/expected.tsv is
# rpm's own answer, `rpm --root OUT/root --dbpath /var/lib/rpm -qa`
# (name, epoch, version-release, arch, source rpm, license); OUT/layers.tsv
# is the layer (0-based) that brought each package's current version, as
# the steps above did it.
set -eu
out=${1:?usage: mkrpm.sh OUT}
src=${OCIFS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
rm -rf "$out"
mkdir -p "$out/specs" "$out/root"
out=$(cd "$out" && pwd)
top=$out/top

# spec NAME VERSION EPOCH REQUIRES
spec() {
	f="$out/specs/$1-$2.spec"
	{
		echo "Name: $1"
		echo "Version: $2"
		echo "Release: 1.ocifs"
		[ -z "$3" ] || echo "Epoch: $3"
		echo "Summary: ocifs test package $1"
		echo "License: MIT or Apache-2.0"
		echo "Vendor: ocifs tests"
		echo "BuildArch: noarch"
		[ -z "$4" ] || echo "Requires: $4"
		echo "%description"
		echo "ocifs test package $1"
		echo "%install"
		echo "mkdir -p %{buildroot}/usr/share/$1 %{buildroot}/etc"
		echo "echo $1 $2 >%{buildroot}/usr/share/$1/VERSION"
		echo "echo $1 >%{buildroot}/etc/$1.conf"
		echo "%files"
		echo "/usr/share/$1"
		echo "%config /etc/$1.conf"
	} >"$f"
	rpmbuild --quiet --define "_topdir $top" --define '_binary_payload w9.gzdio' \
		-bb "$f" >"$out/rpmbuild.log" 2>&1 || { cat "$out/rpmbuild.log" >&2; exit 1; }
}
spec alpha 1.0 "" ""
spec alpha 2.0 "" ""
spec beta 3.1 2 alpha
spec gamma 0.5 "" /bin/sh
spec delta 1 "" ""
spec epsilon 1 "" ""
rpms=$top/RPMS/noarch

r() { rpm --root "$out/root" --dbpath /var/lib/rpm "$@" 2>>"$out/rpm.log"; }
# snap N: layer N = every directory, and the files new or changed since
# the last snapshot (rpm keeps a package's file times, so by content)
snap() {
	(cd "$out/root" && find . ! -type d -exec sha256sum {} + | LC_ALL=C sort >"$out/sum.$1")
	prev=$out/sum.$(($1 - 1))
	[ -f "$prev" ] || : >"$prev"
	(cd "$out/root" && { find . -type d; LC_ALL=C comm -13 "$prev" "$out/sum.$1" | cut -c67-; } |
		tar -cf "$out/l$1.tar" --no-recursion -T -)
}
mkdir -p "$out/root/etc"
printf 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\n' >"$out/root/etc/os-release"
r --initdb
r -i --nodeps --noscripts "$rpms/alpha-1.0-1.ocifs.noarch.rpm" "$rpms/beta-3.1-1.ocifs.noarch.rpm" \
	"$rpms/delta-1-1.ocifs.noarch.rpm"
# a signing key, as every RHEL and Fedora image holds: the gpg-pubkey
# pseudo-package (no arch, no files, no source rpm)
if command -v gpg >/dev/null 2>&1; then
	mkdir -m 700 "$out/gnupg"
	GNUPGHOME=$out/gnupg gpg --batch --quiet --passphrase '' \
		--quick-gen-key 'ocifs test <ocifs@example.org>' rsa2048 sign never 2>>"$out/rpm.log"
	GNUPGHOME=$out/gnupg gpg --armor --export ocifs@example.org >"$out/key.asc"
	r --import "$out/key.asc"
	printf 'gpg-pubkey\t0\n' >>"$out/layers.tsv"
fi
snap 1
r -U --nodeps --noscripts "$rpms/alpha-2.0-1.ocifs.noarch.rpm"
r -i --nodeps --noscripts "$rpms/gamma-0.5-1.ocifs.noarch.rpm"
r -e --nodeps --noscripts delta
snap 2
r -i --nodeps --noscripts "$rpms/epsilon-1-1.ocifs.noarch.rpm"
r -e --nodeps --noscripts epsilon
snap 3
# delta's files were removed in layer 2: whiteouts for them
(cd "$out" && mkdir -p wh/usr/share wh/etc && touch wh/usr/share/.wh.delta wh/etc/.wh.delta.conf &&
	tar -rf l2.tar -C wh ./usr/share/.wh.delta ./etc/.wh.delta.conf)

r -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\n' |
	LC_ALL=C sort >"$out/expected.tsv"
printf 'alpha\t1\nbeta\t0\ngamma\t1\n' >>"$out/layers.tsv"
(set +eu && . "$src/tests/lib.sh" && mkoci "$out/img" "$out/l1.tar" "$out/l2.tar" "$out/l3.tar") >/dev/null
