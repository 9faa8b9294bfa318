#!/bin/bash
# Every command that takes an image takes docker:// (issue #15) and says
# the same of it as of the local copy: inspect (text and JSON: format
# registry, the docker:// name, the platforms of an index), ls -R, cat,
# stat, history, diff (against the local copy: nothing), deps, sbom,
# efficiency, explain; --platform chooses from an index and an unknown one
# lists what exists; the registry options are in every image command's
# --help and in `help --options`.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/registry.sh"

need umoci skopeo jq docker-registry || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
registry_start || { fail "registry did not start"; done_testing; exit; }
R="docker://$REG_HOST/ocifs/test"
registry_push "oci:$IMG/oci:test" ocifs/test:1 &&
	skopeo copy -q --all --preserve-digests --dest-tls-verify=false \
		"oci:$IMG/multi:test" "$R:multi"
ok $? "skopeo pushed the test image and a multi-arch index"
LOCAL="oci:$IMG/oci:test"
REMOTE="$R:1"
X=--tls-verify=false # plain http

# --- inspect -----------------------------------------------------------------
"$B" inspect $X "$REMOTE" >"$TMP/insp" 2>"$TMP/err"
ok $? "inspect docker://"
grep -q "^format: *registry$" "$TMP/insp" && grep -q "^image: *$REMOTE$" "$TMP/insp" &&
	grep -q "^names: *$REG_HOST/ocifs/test:1$" "$TMP/insp"
ok $? "inspect: format registry, the docker:// name, the name it was asked by"
"$B" inspect --json $X "$REMOTE" >"$TMP/r.json" 2>/dev/null
"$B" inspect --json "$LOCAL" >"$TMP/l.json" 2>/dev/null
fields='[.manifest_digest, .config_digest, .platform, [.layers[] | .digest, .diff_id, .size], .config]'
[ "$(jq -c "$fields" "$TMP/r.json")" = "$(jq -c "$fields" "$TMP/l.json")" ] &&
	[ "$(jq -r .format "$TMP/r.json")" = registry ]
ok $? "inspect --json: the same digests, layers and config as the local copy"
"$B" inspect --json $X "$R:multi" >"$TMP/m.json" 2>/dev/null
[ "$(jq -c '.platforms | sort' "$TMP/m.json")" = '["linux/amd64","linux/arm64/v8"]' ]
ok $? "inspect of an index: its platforms ($(jq -c .platforms "$TMP/m.json"))"
expect_fail 1 "^ocifs: $R:multi: no image for platform linux/s390x \(available: linux/amd64, linux/arm64/v8\)$" \
	"--platform that the index lacks: what exists, one line" -- \
	"$B" inspect $X --platform linux/s390x "$R:multi"

# --- the other commands: the same answers as for the local copy ---------------
# same LABEL CMD [ARGS...]: `ocifs CMD REMOTE ARGS` prints what `ocifs CMD
# LOCAL ARGS` prints, and exits the same
same() {
	local label=$1 cmd=$2 lrc rrc
	shift 2
	"$B" "$cmd" "$LOCAL" "$@" >"$TMP/lo" 2>"$TMP/le"
	lrc=$?
	"$B" "$cmd" $X "$REMOTE" "$@" >"$TMP/ro" 2>"$TMP/re"
	rrc=$?
	# names of the image in the output are the only difference allowed
	sed -i "s|$REMOTE|IMAGE|g; s|$REG_HOST/ocifs/test:1|NAME|g" "$TMP/ro"
	sed -i "s|$LOCAL|IMAGE|g; s|$IMG/oci|IMAGE|g" "$TMP/lo"
	if [ $lrc = $rrc ] && cmp -s "$TMP/lo" "$TMP/ro"; then
		pass "$label: as for the local copy (exit $rrc, $(wc -l <"$TMP/ro") lines)"
	else
		fail "$label: differs from the local copy (exit $lrc/$rrc)"
		diag "$(diff "$TMP/lo" "$TMP/ro" | head -10)"
		diag "$(head -3 "$TMP/re")"
	fi
}
same "ls -lR" ls -lR /
same "cat" cat /etc/hello.txt
same "stat --json" stat --json /etc/hello.txt
same "history" history /etc/hello.txt
same "deps --json" deps --json
same "sbom --format table" sbom --format table
same "efficiency --json" efficiency --json
same "explain" explain /bin/hello
same "ls --layer 1" ls --layer 1 /etc
"$B" diff $X "$REMOTE" "$LOCAL" --json >"$TMP/diff.json" 2>"$TMP/err"
[ $? = 0 ] && [ "$(jq -c '[.summary.added, .summary.modified, .summary.removed]' "$TMP/diff.json")" = "[0,0,0]" ]
ok $? "diff docker:// against the local copy: nothing ($(jq -c .summary "$TMP/diff.json" 2>/dev/null))"
"$B" cat $X --platform linux/arm64 "$R:multi" /etc/hello.txt >"$TMP/arm" 2>"$TMP/err"
cmp -s "$TMP/arm" <("$B" cat --platform linux/arm64 "oci:$IMG/multi:test" /etc/hello.txt 2>/dev/null)
ok $? "cat --platform linux/arm64 from the index"

# --- a cache that cannot be made: a temporary one, chunk sums included --------
: >"$TMP/notadir"
XDG_CACHE_HOME=$TMP/notadir "$B" cat $X "$R:1" /etc/hello.txt >"$TMP/tc.out" 2>"$TMP/tc.err"
[ $? = 0 ] && cmp -s "$TMP/tc.out" <("$B" cat "oci:$IMG/oci:test" /etc/hello.txt 2>/dev/null) &&
	grep -q "temporary cache" "$TMP/tc.err" && ! grep -q "chunk sums" "$TMP/tc.err"
ok $? "with only a temporary cache: cat reads the file (its layer's chunk sums kept there)" ||
	diag "$(cat "$TMP/tc.err")"

# --- help: the registry options, where images are taken ----------------------
bad=""
for c in inspect index verify ls cat stat mount deps sbom report diff history efficiency explain; do
	for o in --tls-verify --cert-dir --creds --authfile; do
		"$B" help --options "$c" | grep -qx -- "$o" || bad="$bad $c:$o"
	done
done
"$B" help --options umount | grep -q -- --creds && bad="$bad umount"
[ -z "$bad" ]
ok $? "the registry options belong to every command that takes an image${bad:+ (wrong:$bad)}"
"$B" ls --help | grep -q "docker://NAME\[:TAG|@DIGEST\]"
ok $? "ls --help says what docker:// takes"
done_testing
