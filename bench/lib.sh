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
