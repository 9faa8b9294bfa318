#!/bin/bash
# ocifs index / verify / ls / cat: every layer of every variant indexed and
# read back byte for byte against GNU tar's extraction of the same blob;
# the cache is reused, shared across images, rebuilt when corrupt, and
# survives kill -9 in the middle of indexing.
. "$(dirname "$0")/../lib.sh"

need umoci skopeo jq || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN

for v in oci oci.tar docker.tar docker.tar.gz zstd-oci multi; do
	"$B" index "$IMG/$v" >"$TMP/out" 2>"$TMP/err"
	ok $? "index $v"
	grep -q '2 layers indexed' "$TMP/out"
	ok $? "$v: summary line"
done
"$B" index "$IMG/oci" >"$TMP/out" 2>&1
grep -c 'cached' "$TMP/out" | grep -qx 2
ok $? "second index of oci: both layers cached"
"$B" inspect --json "$IMG/oci" | jq -e '[.layers[].cache] == ["ready","ready"] and (.layers[0].entries > 0)' >/dev/null
ok $? "inspect after index: cache ready, entries known"
# oci.tar shares blobs with oci: the cache is keyed by digest, but the
# identity differs, so the blob is re-verified once, not re-indexed.
rm -rf "$XDG_CACHE_HOME/ocifs/ids"
"$B" index "$IMG/oci.tar" >"$TMP/out" 2>&1
grep -q 're-verified' "$TMP/out" && ! grep -q 'checkpoints' "$TMP/out"
ok $? "unknown identity: blob re-hashed, index reused"
"$B" verify "$IMG/oci" >"$TMP/out" 2>&1 && grep -q '2 layers verified' "$TMP/out"
ok $? "verify re-hashes"

# Differential: every file of every layer, as GNU tar extracts it.
check_layers() { # DIR-OF-OCI-LAYOUT IMAGE-ARG LABEL
	local layout=$1 img=$2 label=$3 n=0 bad=0 m blob i
	m=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
	if jq -e '.manifests' "$layout/blobs/sha256/$m" >/dev/null 2>&1; then
		m=$(jq -r '[.manifests[] | select(.platform.architecture == "amd64")][0].digest' \
			"$layout/blobs/sha256/$m" | cut -d: -f2)
	fi
	i=0
	for blob in $(jq -r '.layers[].digest' "$layout/blobs/sha256/$m" | cut -d: -f2); do
		i=$((i + 1))
		rm -rf "$TMP/x"
		mkdir -p "$TMP/x"
		blob_decompress "$layout/blobs/sha256/$blob" | tar -x -C "$TMP/x" --numeric-owner 2>/dev/null
		# names: ocifs ls of each dir vs the extracted tree
		while IFS= read -r -d '' f; do
			rel=${f#"$TMP/x/"}
			n=$((n + 1))
			if [ -L "$f" ]; then
				want="-> $(readlink "$f")"
				"$B" ls -l --layer $i "$img" "/$rel" 2>/dev/null | grep -qF -- "$want" || {
					bad=$((bad + 1)); diag "$label layer $i: symlink $rel"; }
			elif [ -f "$f" ]; then
				cmp -s "$f" <("$B" cat --layer $i "$img" "$rel" 2>/dev/null) || {
					bad=$((bad + 1)); diag "$label layer $i: content of $rel differs"; }
			elif [ -d "$f" ]; then
				diff <(ls -A "$f" | LC_ALL=C sort) \
					<("$B" ls --layer $i "$img" "/$rel" 2>/dev/null | LC_ALL=C sort) >/dev/null || {
					bad=$((bad + 1)); diag "$label layer $i: listing of $rel differs"; }
			fi
		done < <(find "$TMP/x" -mindepth 1 -print0)
	done
	[ "$bad" -eq 0 ] && [ "$n" -gt 10 ]
	ok $? "$label: $n paths of every layer equal GNU tar's extraction ($bad differ)"
}
check_layers "$IMG/oci" "$IMG/oci" "oci (gzip)"
check_layers "$IMG/zstd-oci" "$IMG/zstd-oci" "zstd-oci"
check_layers "$IMG/oci" "$IMG/docker.tar" "docker-archive"
check_layers "$IMG/oci" "$IMG/docker.tar.gz" "gzip-compressed docker-archive"

# Whiteouts are plain entries in a layer listing.
"$B" ls --layer 2 "$IMG/oci" /etc | grep -qx '.wh.delete-me.txt'
ok $? "layer 2 lists the whiteout of etc/delete-me.txt"
"$B" ls -l --layer 1 "$IMG/oci" /etc | grep -q 'hello-hard.txt link to etc/hello.txt\|hello.txt link to etc/hello-hard.txt'
ok $? "hardlink shown with its target"
"$B" cat --layer 1 "$IMG/oci" /etc/hello-hard.txt | grep -qx 'hello from layer 1'
ok $? "cat of a hardlink reads its target"
expect_fail 1 'no "/nope"' "cat of a missing path" -- "$B" cat --layer 1 "$IMG/oci" /nope
expect_fail 1 'no layer 7' "layer out of range" -- "$B" ls --layer 7 "$IMG/oci"
expect_fail 1 'not a regular file' "cat of a directory" -- "$B" cat --layer 1 "$IMG/oci" /etc
expect_fail 2 'layer' "ls without --layer is a usage error" -- "$B" ls "$IMG/oci" --layer x

# A corrupt cache file is rebuilt with a warning.
db="$XDG_CACHE_HOME/ocifs/layers/$("$B" inspect --json "$IMG/oci" | jq -r '.layers[0].digest' | cut -d: -f2).db"
printf 'garbage garbage garbage' | dd of="$db" conv=notrunc status=none
"$B" index "$IMG/oci" >"$TMP/out" 2>"$TMP/err"
ok $? "index with a corrupt cache file succeeds"
grep -q 'rebuilding' "$TMP/err"
ok $? "corrupt cache: warning says it is rebuilt"
"$B" index "$IMG/oci" >"$TMP/out" 2>"$TMP/err" && [ ! -s "$TMP/err" ]
ok $? "rebuilt cache is clean on the next run"

# An index of another schema version is rebuilt, not trusted.
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version=99"); c.commit()' "$db"
"$B" index "$IMG/oci" >"$TMP/out" 2>"$TMP/err" && grep -q 'schema' "$TMP/err"
ok $? "index of another schema version: rebuilt with a warning"

# On a terminal, index draws a progress bar (bytes, rate, ETA).
if command -v script >/dev/null; then
	rm -rf "$XDG_CACHE_HOME"
	script -qec "$B index $IMG/zstd-oci" /dev/null >"$TMP/tty" 2>&1
	grep -q 'ETA' "$TMP/tty" && grep -q '/s' "$TMP/tty"
	ok $? "progress bar on a tty"
	"$B" index "$IMG/zstd-oci" 2>&1 | grep -q 'ETA'
	[ $? -ne 0 ]
	ok $? "no progress bar when not a tty"
else
	skip "script(1) not installed"
fi

# kill -9 in the middle of indexing leaves no half cache; a rerun works.
mkdir -p "$TMP/big/d"
head -c 150000000 /dev/urandom >"$TMP/big/d/random.bin"
tar -C "$TMP/big" -cf - d | gzip -1 >"$TMP/big.tar.gz"
mkoci "$TMP/bigimg" "$TMP/big.tar.gz"
rm -rf "$TMP/big"
"$B" index "$TMP/bigimg" >/dev/null 2>&1 &
pid=$!
# Wait for the temp file to appear (however long a loaded machine takes
# to get there; 120 s only stops a hang), then kill the indexer.
seen=0 end=$((SECONDS + 120))
while kill -0 $pid 2>/dev/null && [ $SECONDS -lt $end ]; do
	ls "$XDG_CACHE_HOME"/ocifs/layers/*.db.tmp.* >/dev/null 2>&1 && { seen=1; break; }
	sleep 0.01
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
[ $seen = 1 ]
ok $? "the indexer was killed while writing its temp file"
"$B" inspect --json "$TMP/bigimg" | jq -e '.layers[0].cache == "missing"' >/dev/null
ok $? "killed indexer: no cache under the final name"
"$B" index "$TMP/bigimg" >"$TMP/out" 2>&1
ok $? "rerun after kill -9 indexes"
[ -z "$(ls "$XDG_CACHE_HOME"/ocifs/layers/ | grep '\.tmp\.')" ]
ok $? "rerun removed the killed run's temp file"
"$B" cat --layer 1 "$TMP/bigimg" d/random.bin | cmp -s - <(blob_decompress "$TMP/bigimg"/blobs/sha256/$(jq -r '.layers[0].digest' "$TMP/bigimg"/blobs/sha256/$(jq -r '.manifests[0].digest' "$TMP/bigimg/index.json" | cut -d: -f2) | cut -d: -f2) | tar -xOf - d/random.bin)
ok $? "150 MB file read back through gzip checkpoints"

done_testing
