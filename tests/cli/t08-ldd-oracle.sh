#!/bin/sh
# SPDX-License-Identifier: MIT
# Library resolution against the real thing on a real Debian 12 root
# (bench/mkdebian.sh: debootstrap --variant=minbase plus gcc and python3,
# built once per build tree ($OCIFS_FIXTURES) and shared by parallel
# tests and distcheck's inner build under a flock;
# bench/work is reused when `make bench` already made it): for EVERY
# dynamic ELF of the root, executables and shared libraries, what
# `chroot ROOT ldd FILE` prints, line for line in load order, equals
#   (a) the resolver (scan/ldso.c) over the root directory, through
#       tests/unit/test_ldso --root, with zero unresolved;
#   (b) the product: `ocifs deps IMAGE --json` on the packed image
#       (its "libraries" of each file).
# Needs root (chroot, debootstrap) and, the first time, Debian's mirror.
. "${OCIFS_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
: "${OCIFS_BUILDDIR:=$(cd "$(dirname "$OCIFS_BIN")" && pwd)}"

TL="$OCIFS_BUILDDIR/tests/unit/test_ldso"

main() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root (debootstrap, chroot ROOT ldd)"
		return
	fi
	need python3 || return
	[ -x "$TL" ] || { fail "$TL not built"; return; }
	D=$(debian_root) || { skip "no Debian root: bench/mkdebian.sh failed (network?)"; return; }
	R="$D/rootfs"
	pass "Debian root at $R"

	# every dynamic ELF (our elfinfo decides), then ldd on each inside the root
	"$TL" --root "$R" --list >"$TMP/list" || { fail "listing the root's ELF files"; return; }
	n=$(wc -l <"$TMP/list")
	[ "$n" -gt 500 ]
	ok $? "$n dynamic ELF files in the root (more than 500)"
	# shellcheck disable=SC2016
	chroot "$R" /bin/sh -c 'while IFS= read -r f; do echo "@@@ $f"; ldd "$f" 2>&1; done' \
		<"$TMP/list" >"$TMP/ldd" 2>&1
	c=$(grep -c '^@@@ ' "$TMP/ldd")
	[ "$c" -eq "$n" ]
	ok $? "chroot ROOT ldd ran on $c of $n"

	# (a) the resolver itself
	"$TL" --root "$R" --compare "$TMP/ldd" >"$TMP/a" 2>&1
	rc=$?
	ok $rc "(a) resolver == ldd for every file, zero unresolved: $(tail -n 1 "$TMP/a" | sed 's/^# //')"
	[ $rc -eq 0 ] || head -n 200 "$TMP/a"

	# (b) the product
	if ! "$OCIFS_BIN" deps "$D/oci-gzip" --json >"$TMP/deps.json" 2>"$TMP/deps.err"; then
		fail "(b) ocifs deps IMAGE --json"
		diag "$(head -c 2000 "$TMP/deps.err")"
		return
	fi
	python3 - "$TMP/deps.json" "$TMP/ldd" >"$TMP/b" 2>&1 <<'PY'
import json, sys

deps = json.load(open(sys.argv[1]))
files = {f["path"]: f for f in deps.get("files", [])}
text = open(sys.argv[2], errors="replace").read()

def line(name, path):
    # ldd knows a NEEDED with '/' that was found by its path alone
    if path and "/" in name:
        name = path
    return "%s => %s" % (name, path if path else "not found")

def parse(body, interp):
    out = []
    for raw in body.split("\n"):
        p = raw.strip()
        if (not p or p.startswith(("linux-vdso.so", "linux-gate.so", "Error relocating"))
                or "statically linked" in p or "not a dynamic executable" in p):
            continue
        if p.startswith("Error loading shared library "):
            out.append(line(p[29:].split(":")[0], None))
            continue
        if "error while loading shared libraries" in p:
            out.append("ERROR " + p)
            continue
        if " => " in p:
            name, rest = p.split(" => ", 1)
            if rest.startswith("not found"):
                out.append(line(name, None))
                continue
        else:
            name, rest = None, p
        path = rest.split(" (0x")[0]
        if path != interp:
            out.append(line(name or path, path))
    return out

sections = text.split("@@@ ")[1:]
bad = compared = unresolved = 0
for s in sections:
    path, _, body = s.partition("\n")
    f = files.get(path)
    if f is None:
        bad += 1
        print("# %s: not in deps.json" % path)
        continue
    interp = f.get("interp") or ("/lib/ld-linux.so.2" if f.get("class") == 32
                                 else "/lib64/ld-linux-x86-64.so.2")
    want = parse(body, interp)
    ours = [line(x["name"], x.get("path")) for x in f.get("libraries") or []]
    unresolved += len(f.get("unresolved") or [])
    compared += 1
    if want != ours:
        bad += 1
        print("# MISMATCH %s\n#  ldd:  %s\n#  deps: %s" % (path, want, ours))
print("# compared %d files, %d mismatches, %d unresolved" % (compared, bad, unresolved))
sys.exit(1 if bad or unresolved or not compared else 0)
PY
	rc=$?
	ok $rc "(b) ocifs deps --json == ldd for every file: $(tail -n 1 "$TMP/b" | sed 's/^# //')"
	[ $rc -eq 0 ] || head -n 200 "$TMP/b"
}

main
done_testing
