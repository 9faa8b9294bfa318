#!/bin/bash
# Layers opened in parallel (session.c's open_parallel): a 4-layer image
# (gzip and zstd, later layers replacing files of earlier ones) indexed
# with a fresh cache several times gives the tree `tar -x` of its layers
# in order gives, and the same `ls -lR` as a one-CPU (sequential) open;
# the summary lines keep layer order. A layer whose digest does not match
# fails the whole open with the same one error (exit 3), naming the lowest bad
# layer, whatever layer finishes first.
. "$(dirname "$0")/../lib.sh"

need python3 gzip zstd tar taskset sha256sum jq || { done_testing; exit; }
B=$OCIFS_BIN
[ "$(nproc)" -gt 1 ] || diag "one CPU: only the sequential path runs here"

# 4 layers: small files, an incompressible one each, files replaced by
# later layers. Layer 2's is much the biggest: with two workers, layers 3
# and 4 are done (or have failed) long before it, so the summary order
# and the choice of the error to return are put to the test.
python3 - "$TMP" <<'PY'
import io, random, sys, tarfile
d = sys.argv[1]
rnd = random.Random(14)
for k in range(4):
    with tarfile.open(f"{d}/l{k}.tar", "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data=None, typ=tarfile.REGTYPE, mode=0o644):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime = typ, mode, 1700000000 + k
            if data is None:
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        add("etc", typ=tarfile.DIRTYPE, mode=0o755)
        add(f"d{k}", typ=tarfile.DIRTYPE, mode=0o755)
        add(f"d{k}/big.bin", rnd.randbytes((12 if k == 1 else 1) << 20))
        for j in range(8):
            add(f"d{k}/f{j}.txt", (f"layer {k} file {j}\n" * (j * 50 + 1)).encode())
        add("etc/shared.conf", f"from layer {k}\n".encode())   # replaced 3 times
        add(f"etc/only{k}", b"x" * k)
        if k >= 1:
            add("d0/f1.txt", f"layer {k} rewrote d0/f1\n".encode())
PY
gzip -n -c "$TMP/l0.tar" >"$TMP/l0.tgz"
gzip -n -c "$TMP/l1.tar" >"$TMP/l1.tgz"
zstd -q -c "$TMP/l2.tar" >"$TMP/l2.tzst"
gzip -n -c "$TMP/l3.tar" >"$TMP/l3.tgz"
mkoci "$TMP/img" "$TMP/l0.tgz" "$TMP/l1.tgz" "$TMP/l2.tzst" "$TMP/l3.tgz"
mkdir "$TMP/root"
for k in 0 1 2 3; do tar -C "$TMP/root" -xf "$TMP/l$k.tar" || fail "tar -x of layer $k"; done
(cd "$TMP/root" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$TMP/want.ls"
(cd "$TMP/root" && find . -type f | sed 's|^\./|/|' | LC_ALL=C sort |
	while read -r f; do echo "$f $(sha256sum <".$f" | cut -d' ' -f1)"; done) >"$TMP/want.sum"

# the sequential reference: one CPU
XDG_CACHE_HOME=$TMP/c-seq taskset -c 0 "$B" index "$TMP/img" >"$TMP/seq.out" 2>"$TMP/seq.err"
ok $? "one-CPU index of the 4-layer image"
XDG_CACHE_HOME=$TMP/c-seq "$B" ls -lR "$TMP/img" >"$TMP/seq.lslR" 2>>"$TMP/seq.err"
ok $? "ls -lR of the sequentially indexed image"

for run in 1 2 3 4; do
	c=$TMP/c$run
	XDG_CACHE_HOME=$c "$B" index "$TMP/img" >"$TMP/par.out" 2>"$TMP/par.err"
	ok $? "run $run: parallel cold index" || diag "$(cat "$TMP/par.err")"
	[ "$(grep -o '^layer [0-9]/4' "$TMP/par.out" | tr '\n' ' ')" = \
		"layer 1/4 layer 2/4 layer 3/4 layer 4/4 " ]
	ok $? "run $run: one summary line per layer, in layer order" || diag "$(cat "$TMP/par.out")"
	XDG_CACHE_HOME=$c "$B" ls -lR "$TMP/img" >"$TMP/par.lslR"
	cmp -s "$TMP/seq.lslR" "$TMP/par.lslR"
	ok $? "run $run: ls -lR equals the one-CPU open's" ||
		diag "$(diff "$TMP/seq.lslR" "$TMP/par.lslR" | head)"
	XDG_CACHE_HOME=$c "$B" ls -R "$TMP/img" >"$TMP/par.ls"
	cmp -s "$TMP/want.ls" "$TMP/par.ls"
	ok $? "run $run: the paths are tar -x's of the layers in order" ||
		diag "$(diff "$TMP/want.ls" "$TMP/par.ls" | head)"
	[ "$run" -eq 1 ] || continue # the bytes once: cat opens the cached layers
	while read -r f _; do
		echo "$f $(XDG_CACHE_HOME=$c "$B" cat "$TMP/img" "$f" | sha256sum | cut -d' ' -f1)"
	done <"$TMP/want.sum" >"$TMP/par.sum"
	cmp -s "$TMP/want.sum" "$TMP/par.sum"
	ok $? "every file's sha256 equals tar -x's" ||
		diag "$(diff "$TMP/want.sum" "$TMP/par.sum" | head)"
done

# trace: one "index layer N" span per layer, under the session's span,
# with that layer's number and entry count
XDG_CACHE_HOME=$TMP/ct "$B" --trace "$TMP/trace.json" index "$TMP/img" >/dev/null 2>&1
jq -r '[.resourceSpans[].scopeSpans[].spans[]] as $s
	| ($s[] | select(.name == "session") | .spanId) as $sid
	| $s[] | select(.name | startswith("index layer"))
	| [.name, (.parentSpanId == $sid),
	   (.attributes[] | select(.key == "ocifs.layer") | .value.intValue),
	   (.attributes[] | select(.key == "ocifs.entries") | .value.intValue)] | @tsv' \
	"$TMP/trace.json" | sort >"$TMP/spans"
printf 'index layer %s\ttrue\t%s\t%s\n' 1 1 13 2 2 14 3 3 14 4 4 14 >"$TMP/want.spans"
cmp -s "$TMP/want.spans" "$TMP/spans"
ok $? "trace: each layer's span, under the session, with its attributes" ||
	diag "$(cat "$TMP/spans")"

# A blob whose digest does not match: the gzip header's MTIME changed
# (still a valid gzip of the same tar, same size, another sha256).
bad_blob() { # bad_blob IMG K: corrupt layer K's blob in place
	local f
	f=$1/blobs/sha256/$(sha256sum <"$TMP/l$2.tgz" | cut -d' ' -f1)
	printf '\001' | dd of="$f" bs=1 seek=4 conv=notrunc status=none
}
cp -r "$TMP/img" "$TMP/bad2"
bad_blob "$TMP/bad2" 1
for run in 1 2 3; do
	rm -rf "$TMP/cb"
	XDG_CACHE_HOME=$TMP/cb timeout 120 "$B" index "$TMP/bad2" >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	[ "$rc" -eq 3 ] && [ "$(grep -c . "$TMP/bad.err")" -eq 1 ] &&
		grep -q 'layer 2 (sha256:.*digest mismatch' "$TMP/bad.err"
	ok $? "run $run: layer 2 of 4 corrupt: exit 3, one line naming layer 2" ||
		diag "exit $rc: $(cat "$TMP/bad.err")"
	[ "$(cut -d, -f1-4 "$TMP/bad.out")" = "$(grep '^layer 1/4' "$TMP/seq.out" | cut -d, -f1-4)" ]
	ok $? "run $run: only layer 1's summary line, as when opened one by one" ||
		diag "$(cat "$TMP/bad.out")"
done
XDG_CACHE_HOME=$TMP/cb1 taskset -c 0 "$B" index "$TMP/bad2" >/dev/null 2>"$TMP/seqbad.err"
rc=$?
[ "$rc" -eq 3 ] && cmp -s "$TMP/seqbad.err" "$TMP/bad.err"
ok $? "the same exit and message as the one-CPU open" ||
	diag "exit $rc: $(cat "$TMP/seqbad.err")"
dbs() { (cd "$1/ocifs/layers" && ls -- *.db* 2>/dev/null | LC_ALL=C sort | tr '\n' ' '); }
[ "$(dbs "$TMP/cb")" = "$(dbs "$TMP/cb1")" ] && [ "$(dbs "$TMP/cb" | wc -w)" -eq 1 ]
ok $? "the failed open leaves the one-CPU open's cache: layer 1's index only" ||
	diag "parallel: $(dbs "$TMP/cb"); one CPU: $(dbs "$TMP/cb1")"
cp -r "$TMP/c1" "$TMP/cw"
XDG_CACHE_HOME=$TMP/cw "$B" index "$TMP/bad2" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 3 ] && [ "$(dbs "$TMP/cw")" = "$(dbs "$TMP/c1")" ]
ok $? "indexes already cached for the layers above the bad one are kept" ||
	diag "exit $rc; before: $(dbs "$TMP/c1"); after: $(dbs "$TMP/cw")"

# layers 2 and 4 both bad: always the lower one's error is the result
cp -r "$TMP/bad2" "$TMP/bad24"
bad_blob "$TMP/bad24" 3
for run in 1 2 3; do
	rm -rf "$TMP/cb"
	XDG_CACHE_HOME=$TMP/cb timeout 120 "$B" index "$TMP/bad24" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	[ "$rc" -eq 3 ] && grep -q 'layer 2 (sha256:.*digest mismatch' "$TMP/bad.err" &&
		! grep -v 'layer [24] (sha256:.*digest mismatch' "$TMP/bad.err" | grep -q .
	ok $? "run $run: layers 2 and 4 corrupt: exit 3, layer 2 named" ||
		diag "exit $rc: $(cat "$TMP/bad.err")"
done
done_testing
