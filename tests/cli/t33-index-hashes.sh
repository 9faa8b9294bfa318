#!/bin/bash
# The index pass's hashes (index.c, index_pipe.c, sha_ni.c): a layer of
# files of every size around the sha256 block (64 B), the tar block
# (512 B), the tar reader's buffer (64 KiB) and the ring's chunks
# (256 KiB), as gzip, zstd and plain layers, indexed with the diff_id and
# the files' hashes paired (where the CPU can) and with OCIFS_SHA_NI=0
# (OpenSSL only, the diff_id on the hasher thread): both accept the
# config's diff_ids, record the same sha256 for every file (each equal to
# sha256sum's; the hardlink has none of its own), and `ocifs cat`, which
# checks a file against its recorded sha256, reads every file back. A
# layer cut short fails the same way in both.
. "$(dirname "$0")/../lib.sh"

need python3 gzip zstd sqlite3 sha256sum || { done_testing; exit; }
B=$OCIFS_BIN

python3 - "$TMP" <<'PY'
import io, random, sys, tarfile
d = sys.argv[1]
rnd = random.Random(33)
sizes = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 511, 512, 513, 4096, 65535, 65536,
         65537, 131072, 262143, 262144, 262145, 300001, (2 << 20) + 7]
with tarfile.open(f"{d}/l.tar", "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, data=None, typ=tarfile.REGTYPE, **kw):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime = typ, 0o644, 1700000000
        for k, v in kw.items():
            setattr(ti, k, v)
        if data is None:
            t.addfile(ti)
        else:
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    add("d", typ=tarfile.DIRTYPE)
    for i, n in enumerate(sizes):
        add(f"d/f{i:02d}-{n}", rnd.randbytes(n))
        if i % 3 == 0:  # headers of other kinds between the files
            add(f"d/l{i}", typ=tarfile.SYMTYPE, linkname=f"f{i:02d}-{n}")
            add("d/" + "p" * (120 + i), b"pax path " * i)
    add("d/hard", typ=tarfile.LNKTYPE, linkname="d/f05-63")
    add("d/zeros", bytes(300000))
PY
gzip -n -c "$TMP/l.tar" >"$TMP/l.tgz"
zstd -q -c "$TMP/l.tar" >"$TMP/l.tzst"
mkoci "$TMP/img" "$TMP/l.tgz" "$TMP/l.tzst" "$TMP/l.tar"
(mkdir "$TMP/x" && cd "$TMP/x" && tar -xf "$TMP/l.tar" && find d -type f ! -name hard | LC_ALL=C sort |
	while read -r f; do echo "$(sha256sum <"$f" | cut -d' ' -f1) /$f"; done) >"$TMP/want"
[ -s "$TMP/want" ] || fail "tar -x of the layer"

# file hashes a cache recorded for a layer, as "hex /path", sorted
rows() { # CACHE-DIR
	local db
	for db in "$1"/ocifs/layers/*.db; do
		sqlite3 "$db" "SELECT lower(hex(sha256)), '/' || CASE dir WHEN '' THEN name
			ELSE dir || '/' || name END FROM entries WHERE type = 48 AND sha256 IS NOT NULL" |
			tr '|' ' ' | LC_ALL=C sort -k2
		echo "--"
	done
}

for mode in paired openssl; do
	c=$TMP/c-$mode
	if [ "$mode" = openssl ]; then env=(OCIFS_SHA_NI=0); else env=(); fi
	env "${env[@]}" XDG_CACHE_HOME="$c" "$B" index "$TMP/img" >"$TMP/$mode.out" 2>"$TMP/$mode.err"
	ok $? "$mode: the three layers index, their diff_ids as the config says" ||
		diag "$(cat "$TMP/$mode.err")"
	[ "$(grep -c 'entries' "$TMP/$mode.out")" -eq 3 ]
	ok $? "$mode: a summary line per layer" || diag "$(cat "$TMP/$mode.out")"
	rows "$c" >"$TMP/$mode.rows"
	bad=0
	while read -r line; do
		[ "$line" = "--" ] && continue
		grep -qxF "$line" "$TMP/want" || bad=$((bad + 1))
	done <"$TMP/$mode.rows"
	[ "$bad" -eq 0 ] && [ "$(grep -c -- '^--$' "$TMP/$mode.rows")" -eq 3 ] &&
		[ "$(grep -vc -- '^--$' "$TMP/$mode.rows")" -eq $((3 * $(wc -l <"$TMP/want"))) ]
	ok $? "$mode: every file's recorded sha256 is sha256sum's, in all three layers" ||
		diag "$bad wrong; $(head -5 "$TMP/$mode.rows")"
	bad=0
	while read -r sum f; do
		got=$(XDG_CACHE_HOME="$c" "$B" cat --layer 2 "$TMP/img" "$f" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$sum" ] || bad=$((bad + 1))
	done <"$TMP/want"
	[ "$bad" -eq 0 ]
	ok $? "$mode: cat of every file of the zstd layer passes its sha256 check" || diag "$bad files"
done
cmp -s "$TMP/paired.rows" "$TMP/openssl.rows"
ok $? "both ways record the same hashes" ||
	diag "$(diff "$TMP/paired.rows" "$TMP/openssl.rows" | head -5)"

# cut short in the middle of the big file: the same error both ways
head -c 1500000 "$TMP/l.tar" >"$TMP/cut.tar"
mkoci "$TMP/cut" "$TMP/cut.tar"
for mode in paired openssl; do
	if [ "$mode" = openssl ]; then env=(OCIFS_SHA_NI=0); else env=(); fi
	env "${env[@]}" XDG_CACHE_HOME="$TMP/cc-$mode" "$B" index "$TMP/cut" >/dev/null 2>"$TMP/cut-$mode.err"
	echo "rc=$?" >>"$TMP/cut-$mode.err"
done
cmp -s "$TMP/cut-paired.err" "$TMP/cut-openssl.err" && grep -q 'layer 1.*truncated' "$TMP/cut-paired.err" &&
	! grep -q 'rc=0' "$TMP/cut-paired.err"
ok $? "a layer cut short: the same error and exit both ways" ||
	diag "$(cat "$TMP/cut-paired.err" "$TMP/cut-openssl.err")"
done_testing
