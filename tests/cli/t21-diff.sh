#!/bin/bash
# `ocifs diff` against oracles nobody here wrote:
#  - layer diff: for every layer N of a hand-made image (every kind of
#    change; plain, gzip and zstd layers) and of dive's test image (14
#    real docker layers), the change set of `ocifs diff --layer N --json`
#    equals the one tests/gen/difftrees.py computes from `umoci unpack` of
#    the images made of layers 1..N-1 and 1..N (same blobs), with the
#    reasons of removals taken from layer N's own tar (python tarfile);
#  - image diff: `ocifs diff IMG1 IMG2 --json` against the same trees,
#    an added or removed directory collapsed to one change;
#  - the real Debian image: layer 1 adds exactly the members its tar
#    lists (with their bytes), nothing else; a second layer's whiteout of
#    /usr/share/doc removes the bytes python counts in the root;
#  - the text form, escaped names, and every error: one line, the
#    documented exit status.
. "${OCIFS_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
: "${OCIFS_BUILDDIR:=$(cd "$(dirname "$OCIFS_BIN")" && pwd)}"
B=$OCIFS_BIN
ORACLE="python3 $OCIFS_SRCDIR/tests/gen/difftrees.py"

need umoci python3 jq gzip zstd || { done_testing; exit; }

# tagged DIR: give mkoci's image the ref name "t" umoci unpack wants
tagged() {
	jq '.manifests[0].annotations = {"org.opencontainers.image.ref.name": "t"}' \
		"$1/index.json" >"$TMP/idx" && cp "$TMP/idx" "$1/index.json"
}

# unpacked IMG DEST: umoci's tree of IMG in DEST/rootfs
unpacked() {
	rm -rf "$2"
	umoci unpack --image "$1:t" "$2" >"$TMP/umoci.log" 2>&1 || {
		diag "umoci: $(tail -n 3 "$TMP/umoci.log")"
		return 1
	}
}

# layer_oracle LABEL IMAGE NLAYERS TARDIR BLOB...: for each layer N,
# ocifs diff --layer N of IMAGE against umoci trees of the images made
# of the first N-1 and N of BLOB... (IMAGE's layers, but for a zstd one
# the same tar gzip'ed: umoci 0.4 cannot unpack zstd layers).
layer_oracle() {
	local label=$1 img=$2 n=$3 tars=$4 k prev=-
	shift 4
	local blobs=("$@")
	for ((k = 1; k <= n; k++)); do
		mkoci "$TMP/$label-p$k" "${blobs[@]:0:k}" && tagged "$TMP/$label-p$k" &&
			unpacked "$TMP/$label-p$k" "$TMP/$label-u$k" || {
			fail "$label: prefix image of $k layers"
			return
		}
		if ! "$B" diff "$img" --layer "$k" --json >"$TMP/got.json" 2>"$TMP/err"; then
			fail "$label: diff --layer $k"
			diag "$(cat "$TMP/err")"
		elif $ORACLE "$prev" "$TMP/$label-u$k/rootfs" "$TMP/got.json" --layer-tar "$tars/L$k.tar" \
			--layer "$k" >"$TMP/res" 2>&1; then
			pass "$label: diff --layer $k equals umoci's trees: $(cat "$TMP/res")"
		else
			fail "$label: diff --layer $k differs from umoci's trees"
			diag "$(head -n 12 "$TMP/res")"
		fi
		[ "$prev" = - ] || rm -rf "$(dirname "$prev")"
		prev=$TMP/$label-u$k/rootfs
	done
}

# --- the hand-made image: every kind of change --------------------------------
python3 "$OCIFS_SRCDIR/tests/gen/mkdifflayers.py" "$TMP/L"
gzip -c "$TMP/L/L2.tar" >"$TMP/L/L2.tar.gz"
zstd -q -c "$TMP/L/L3.tar" >"$TMP/L/L3.tar.zst"
gzip -c "$TMP/L/L3.tar" >"$TMP/L/L3.tar.gz"
BLOBS=("$TMP/L/L1.tar" "$TMP/L/L2.tar.gz" "$TMP/L/L3.tar.zst")
UBLOBS=("$TMP/L/L1.tar" "$TMP/L/L2.tar.gz" "$TMP/L/L3.tar.gz") # for umoci
mkoci "$TMP/img" "${BLOBS[@]}"
mkoci "$TMP/uimg" "${UBLOBS[@]}"
tagged "$TMP/uimg"
layer_oracle hand "$TMP/img" 3 "$TMP/L" "${UBLOBS[@]}"
# every kind of change the image was made for is in some layer's diff
for k in 1 2 3; do "$B" diff "$TMP/img" --layer "$k" --json; done 2>/dev/null |
	jq -rs '[.[].changes[] | .kind, .what[]] | unique | join(",")' >"$TMP/kinds"
[ "$(cat "$TMP/kinds")" = "added,content,mode,modified,mtime,opaque,owner,removed,replaced,type,whiteout,xattrs" ]
ok $? "the image exercises every kind of change ($(cat "$TMP/kinds"))"

# image diff: the prefix images against the full one, both ways
mkoci "$TMP/i1" "${BLOBS[0]}" && tagged "$TMP/i1" && unpacked "$TMP/i1" "$TMP/u1"
unpacked "$TMP/uimg" "$TMP/u3"
"$B" diff "$TMP/i1" "$TMP/img" --json >"$TMP/got.json" 2>"$TMP/err"
ok $? "diff IMAGE1 IMAGE2 runs" || diag "$(cat "$TMP/err")"
$ORACLE "$TMP/u1/rootfs" "$TMP/u3/rootfs" "$TMP/got.json" --collapse-added >"$TMP/res" 2>&1
ok $? "diff IMAGE1 IMAGE2 equals umoci's trees: $(head -n 12 "$TMP/res")"
"$B" diff "$TMP/img" "$TMP/i1" --json >"$TMP/got.json" 2>"$TMP/err"
$ORACLE "$TMP/u3/rootfs" "$TMP/u1/rootfs" "$TMP/got.json" --collapse-added >"$TMP/res" 2>&1
ok $? "diff IMAGE2 IMAGE1 (the other way) equals umoci's trees: $(head -n 12 "$TMP/res")"
jq -e '[.changes[] | select(.kind == "removed" and .path == "/hard")] | length == 1' \
	"$TMP/got.json" >/dev/null
ok $? "a directory on one side only is one change"
"$B" diff "$TMP/img" "$TMP/img" --json | jq -e '.changes == [] and .summary.added == 0' >/dev/null
ok $? "an image against itself: no change"

# the text form: one line a change, in the JSON's order, then the summary
"$B" diff "$TMP/img" --layer 2 >"$TMP/txt" 2>"$TMP/err"
ok $? "diff --layer 2 (text)" || diag "$(cat "$TMP/err")"
"$B" diff "$TMP/img" --layer 2 --json >"$TMP/got.json"
python3 - "$TMP/txt" "$TMP/got.json" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
d = json.load(open(sys.argv[2]))
ch, s = d["changes"], d["summary"]
assert len(lines) == len(ch) + 1, (len(lines), len(ch))
def esc(p):  # ls -b: spaces and backslashes escaped, printable UTF-8 kept
    return p.replace("\\", "\\\\").replace(" ", "\\ ")
for l, c in zip(lines, ch):
    letter = {"added": "A", "modified": "M", "removed": "D"}[c["kind"]]
    side = c["old"] if c["kind"] == "removed" else c["new"]
    head = "%s %s%s" % (letter, esc(c["path"]), "/" if side["type"] == "dir" else "")
    assert l.startswith(head + "  "), (l, head)
    if c["what"]:
        assert ("(%s)" % ",".join(c["what"])) in l, l
    size = ("%d -> %d" % (c["old"]["size"], c["new"]["size"])) if c["kind"] == "modified" \
        else str(side["size"])
    if c["kind"] == "modified" and c["old"]["link"] and c["new"]["link"]:
        size = "%s -> %s" % (esc(c["old"]["link"]), esc(c["new"]["link"]))
    assert ("  " + size) in l, (l, size)
want = "%d added (%d bytes), %d modified (%d bytes), %d removed (%d bytes)" % (
    s["added"], s["added_bytes"], s["modified"], s["modified_bytes"], s["removed"], s["removed_bytes"])
assert lines[-1] == want, (lines[-1], want)
PY
ok $? "text lines match the JSON (escaped names, sizes, summary)"
grep -q '^M /usr/bin/modeme  (mode)  8 -> 8  0644 -> 0700$' "$TMP/txt" &&
	grep -q '^D /gone/  (whiteout)  12$' "$TMP/txt" &&
	grep -q '^M /usr/bin/ownme  (owner)  7 -> 7  0:0 -> 1000:1000$' "$TMP/txt" &&
	grep -q '^M /link1  (content)  etc/passwd -> etc/group$' "$TMP/txt"
ok $? "text lines say what changed: $(grep -c . "$TMP/txt") lines" || diag "$(cat "$TMP/txt")"

# --- names that are not text ------------------------------------------------
python3 - "$TMP/bad.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                  errors="surrogateescape") as t:
    for name in (b"bad\xffname", b"new\nline", b"esc\x1b[31mred"):
        ti = tarfile.TarInfo(name.decode("utf-8", "surrogateescape"))
        ti.size = 3
        t.addfile(ti, io.BytesIO(b"abc"))
PY
mkoci "$TMP/bad" "$TMP/bad.tar"
"$B" diff "$TMP/bad" --layer 1 >"$TMP/badtxt" 2>/dev/null
"$B" diff "$TMP/bad" --layer 1 --json >"$TMP/bad.json" 2>/dev/null
python3 - "$TMP/bad.json" "$TMP/badtxt" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))  # strict UTF-8
paths = sorted(c["path"] for c in d["changes"])
assert paths == ["/bad\\377name", "/esc\x1b[31mred", "/new\nline"], paths
assert [c.get("escaped", False) for c in sorted(d["changes"], key=lambda c: c["path"])] == \
    [True, False, False]
t = open(sys.argv[2], "rb").read()
assert b"\x1b" not in t and b"\xff" not in t, t
assert t.count(b"\n") == 4, t  # 3 changes + the summary: no forged line
assert b"A /bad\\377name  3\n" in t and b"A /new\\nline  3\n" in t and b"A /esc\\033[31mred  3\n" in t, t
PY
ok $? "names that are not text: valid UTF-8 JSON, escaped on the terminal"

# --- dive's test image: 14 real docker layers ----------------------------------
DIVE=$OCIFS_CORPUS/images/dive/test-docker-image.tar
if [ -f "$DIVE" ]; then
	mkdir -p "$TMP/dive"
	tar -xf "$DIVE" -C "$TMP/dive"
	mapfile -t DL < <(jq -r '.[0].Layers[]' "$TMP/dive/manifest.json")
	for ((k = 1; k <= ${#DL[@]}; k++)); do ln -s "$TMP/dive/${DL[k - 1]}" "$TMP/dive/L$k.tar"; done
	layer_oracle dive "$DIVE" "${#DL[@]}" "$TMP/dive" "${DL[@]/#/$TMP/dive/}"
else
	skip "dive's test image not in the corpus"
fi

# --- the real Debian image ----------------------------------------------------
debian() {
	local D R f n
	D=$(debian_root) || { skip "no Debian root (needs root and Debian's mirror)"; return; }
	R=$D/rootfs
	python3 - "$D/layer.tar" >"$TMP/deb.want" <<'PY'
import sys, tarfile
def norm(p):
    while p.startswith("./"):
        p = p[2:]
    return p.strip("/")
names, total = {}, 0
with tarfile.open(sys.argv[1]) as t:
    for m in t:
        p = norm(m.name)
        if p in ("", "."):
            continue
        names[p] = m
for p, m in names.items():
    if m.isreg():
        total += m.size
    elif m.islnk():
        total += names[norm(m.linkname)].size
print(len(names), total)
PY
	for f in docker.tar oci-gzip oci-zstd; do
		if ! "$B" diff "$D/$f" --layer 1 --json >"$TMP/deb.json" 2>"$TMP/err"; then
			fail "Debian $f: diff --layer 1"
			diag "$(cat "$TMP/err")"
			continue
		fi
		n=$(jq -r '"\(.summary.added) \(.summary.added_bytes)"' "$TMP/deb.json")
		jq -e '.summary.modified == 0 and .summary.removed == 0 and
			([.changes[] | select(.new.layer != 1)] | length == 0) and
			(.changes | length) == .summary.added' "$TMP/deb.json" >/dev/null &&
			[ "$n" = "$(cat "$TMP/deb.want")" ]
		ok $? "Debian $f: layer 1 adds the $(cut -d' ' -f1 "$TMP/deb.want") members its tar lists, \
$(cut -d' ' -f2 "$TMP/deb.want") bytes (got $n)"
	done
	"$B" diff "$D/oci-gzip" "$D/oci-zstd" --json | jq -e '.changes == []' >/dev/null
	ok $? "Debian: gzip and zstd images of one tree: no change"
	# a second layer over it: whiteout a big directory, edit, add
	mkdir -p "$TMP/d2/usr/share" "$TMP/d2/etc"
	: >"$TMP/d2/usr/share/.wh.doc"
	echo other-host >"$TMP/d2/etc/hostname"
	echo new >"$TMP/d2/etc/added-by-2"
	touch -d @1700000000 "$TMP/d2/usr" "$TMP/d2/usr/share" "$TMP/d2/etc"
	(cd "$TMP/d2" && tar --numeric-owner -cf "$TMP/d2.tar" etc/hostname etc/added-by-2 \
		usr/share/.wh.doc)
	mkoci "$TMP/deb2" "$D/layer.tar.gz" "$TMP/d2.tar"
	"$B" diff "$TMP/deb2" --layer 2 --json >"$TMP/deb2.json" 2>"$TMP/err"
	python3 - "$TMP/deb2.json" "$R" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
root = sys.argv[2]
doc = 0
for dp, ds, fs in os.walk(root + "/usr/share/doc"):
    for f in fs:
        st = os.lstat(os.path.join(dp, f))
        if os.path.isfile(os.path.join(dp, f)) and not os.path.islink(os.path.join(dp, f)):
            doc += st.st_size
got = {(c["kind"], c["path"]): c for c in d["changes"]}
assert set(got) == {("removed", "/usr/share/doc"), ("modified", "/etc/hostname"),
                    ("added", "/etc/added-by-2")}, sorted(got)
r = got[("removed", "/usr/share/doc")]
assert r["what"] == ["whiteout"] and r["marker"] == "/usr/share/.wh.doc", r
assert r["old"]["size"] == doc and doc > 1000000, (r["old"]["size"], doc)
h = got[("modified", "/etc/hostname")]
assert "content" in h["what"] and h["new"]["size"] == 11, h
assert d["summary"]["removed_bytes"] == doc
PY
	ok $? "Debian + a layer: /usr/share/doc removed by whiteout with the bytes python counts"
}
debian

# --- a tree deeper than PATH_MAX: diffed in full, not refused ---------------
# 5000 nested directories (a 10 KiB path, a legal pax tar member) in layer
# 1; layer 2 whites out the top one. Oracle: the tars' own listings.
python3 - "$TMP/deep1.tar" "$TMP/deep2.tar" <<'PY'
import io, sys, tarfile
def add(t, name, data=None):
    ti = tarfile.TarInfo(name)
    if data is None:
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        t.addfile(ti)
    else:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    p = "n"
    for i in range(5000):
        add(t, p)
        p += "/n"
    add(t, p[:-2] + "/leaf", b"deep\n")
    add(t, "top", b"x\n")
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t:
    add(t, ".wh.n", b"")
PY
mkoci "$TMP/deep" "$TMP/deep1.tar" "$TMP/deep2.tar"
"$B" diff "$TMP/deep" --layer 1 --json >"$TMP/deep1.json" 2>"$TMP/deep.err"
ok $? "diff --layer 1 of a 5000-deep tree" || diag "$(cat "$TMP/deep.err")"
python3 - "$TMP/deep1.json" "$TMP/deep1.tar" <<'PY'
import json, sys, tarfile
d = json.load(open(sys.argv[1]))
want = sorted("/" + m.name for m in tarfile.open(sys.argv[2]))
got = sorted(c["path"] for c in d["changes"] if c["kind"] == "added")
assert got == want, (len(got), len(want))
assert d["summary"]["added"] == len(want) and d["summary"]["removed"] == 0
PY
ok $? "every member of the layer's tar is added, the deepest too (tar listing)"
"$B" diff "$TMP/deep" --layer 2 --json >"$TMP/deep2.json" 2>"$TMP/deep.err"
ok $? "diff --layer 2 (the deep directory whited out)" || diag "$(cat "$TMP/deep.err")"
[ "$(jq -c '[.changes[] | [.kind, .path, .what[0], .old.size]]' "$TMP/deep2.json")" = \
	'[["removed","/n","whiteout",5]]' ]
ok $? "one removal of /n with the 5 bytes under it" || diag "$(jq -c .changes "$TMP/deep2.json")"
mkoci "$TMP/deep-only1" "$TMP/deep1.tar"
"$B" diff "$TMP/deep" "$TMP/deep-only1" --json >"$TMP/deepi.json" 2>"$TMP/deep.err" &&
	[ "$(jq -c '[.changes[] | [.kind, .path, .new.size]]' "$TMP/deepi.json")" = '[["added","/n",5]]' ]
ok $? "the image diff walks it too" || diag "$(cat "$TMP/deep.err")"

# --- errors: one line, documented exit status ---------------------------------
expect_fail 1 "img: no layer 4 \(the image has 3: 1\.\.3\)" "--layer past the top names the range" \
	-- bash -c "cd '$TMP' && '$B' diff img --layer 4"
expect_fail 2 "not a layer number" "--layer 0 is a usage error" -- "$B" diff "$TMP/img" --layer 0
expect_fail 1 "$TMP/nope" "a missing image is named" -- "$B" diff "$TMP/nope" --layer 1
expect_fail 1 "$TMP/nope" "a missing second image is named" -- "$B" diff "$TMP/img" "$TMP/nope"
expect_fail 2 "give --layer N, or a second image" "one image and no --layer" -- "$B" diff "$TMP/img"
expect_fail 2 "--layer does not apply to two images" "two images and --layer" \
	-- "$B" diff "$TMP/img" "$TMP/img" --layer 1
# stdin twice: one stream can be read once (it said "empty: no image was
# piped in" of the second); from a pipe and a file it compares as usual
for two in "- -" "- /dev/stdin"; do
	# shellcheck disable=SC2086
	tar -C "$TMP/img" -cf - . | "$B" diff $two >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc = 2 ] && [ ! -s "$TMP/out" ] && [ "$(grep -c . "$TMP/err")" = 1 ] &&
		grep -q "are the same stream, which can be read only once; save the image to a file first" "$TMP/err"
	ok $? "diff $two from one pipe: a usage error naming why" || diag "exit $rc: $(cat "$TMP/err")"
done
tar -C "$TMP/img" -cf - . | "$B" diff - "$TMP/img" >"$TMP/out" 2>"$TMP/err" &&
	grep -q '^0 added (0 bytes), 0 modified (0 bytes), 0 removed (0 bytes)$' "$TMP/out"
ok $? "diff - IMAGE: the piped image against the same image, no change" || diag "$(cat "$TMP/out" "$TMP/err")"
tar -C "$TMP/img" -cf "$TMP/img-in.tar" . && "$B" diff - - <"$TMP/img-in.tar" >"$TMP/out" 2>"$TMP/err" &&
	grep -q '^0 added (0 bytes), 0 modified (0 bytes), 0 removed (0 bytes)$' "$TMP/out"
ok $? "diff - - with stdin from a file: read in place twice, no change" || diag "$(cat "$TMP/out" "$TMP/err")"

"$B" diff "$TMP/img" --layer 4 >"$TMP/out" 2>"$TMP/err"
[ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ]
ok $? "an error prints nothing on stdout and one line on stderr"

done_testing
