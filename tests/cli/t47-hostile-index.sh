#!/bin/bash
# A hostile index artifact (issue #15, src/idxdb_check.c): indexes made
# from a real pushed one with the sqlite3 CLI (a view shadowing a table,
# a trigger, an extra table, changed CREATE statements, a recursive CTE
# view, rows that are no tar stream or hold a NULL, a page_size claim
# the file does not have, a truncated file), a file that is not SQLite,
# a zstd bomb, and a blob the registry changed on the way. Each, as the newest (and only) artifact of the image, is
# refused with one line naming the artifact, the layer and what is wrong;
# the command works (that layer indexed from its blob) and never hangs
# (a timeout only to catch a hang).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/registry.sh"
. "$(dirname "$0")/../lib/regproxy.sh"

need umoci skopeo jq docker-registry curl sqlite3 zstd python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
X=--tls-verify=false
registry_start || { fail "registry did not start"; done_testing; exit; }
R="docker://$REG_HOST/t47"
registry_push "oci:$IMG/oci:test" t47:1
ok $? "skopeo pushed the test image"
MAN=$("$B" inspect --json $X "$R:1" 2>/dev/null | jq -r .manifest_digest)

"$B" index -q --cache-dir "$TMP/c" --push $X "$R:1" >"$TMP/out" 2>"$TMP/err"
ok $? "index --push" || cat "$TMP/err"
ART=$(tail -n1 "$TMP/out")
AM=$(registry_curl "/v2/t47/manifests/$ART" -H 'Accept: application/vnd.oci.image.manifest.v1+json')
# the layer made hostile: the one with the largest index
L=$(jq -r '[.layers[] | select(.mediaType | endswith("zstd"))] | max_by(.size) |
	.annotations["io.ocifs.layer.digest"]' <<<"$AM")
N=$("$B" inspect --json $X "$R:1" 2>/dev/null | jq --arg l "$L" '[.layers[].digest] | index($l) + 1')
DB=$TMP/c/layers/${L#sha256:}.db
[ -s "$DB" ] && [ "$N" -ge 1 ]
ok $? "the pushed index of layer $N ($L) is in the cache" || { done_testing; exit; }
"$B" ls -R --ignore-artifact --cache-dir "$TMP/want" $X "$R:1" / >"$TMP/want.ls" 2>"$TMP/err"
ok $? "the listing, without the artifact ($(wc -l <"$TMP/want.ls") paths)" || cat "$TMP/err"

# publish ZFILE: the artifact with layer L's index blob replaced by ZFILE
# (zstd), newer, listed alone under the referrers tag; sets EVIL
K=0
publish() {
	local bd man
	K=$((K + 1))
	bd=$(registry_put_blob t47 "$1") || return 1
	man=$(jq -c --arg l "$L" --arg d "$bd" --argjson n "$(stat -c %s "$1")" \
		--arg t "2099-01-01T00:00:$(printf %02d $K)Z" '
		.annotations["org.opencontainers.image.created"] = $t |
		.layers |= map(if (.mediaType | endswith("zstd")) and
			.annotations["io.ocifs.layer.digest"] == $l then .digest = $d | .size = $n
			else . end)' <<<"$AM")
	registry_put_referrer t47 "$MAN" "$man" || return 1
	EVIL=$REFERRER
}

# refused WHAT REASON [IMAGE]: a command on an empty cache lists the
# image right, with one line: the artifact's layer refused for REASON
refused() {
	local c=$TMP/cache$K
	timeout 120 "$B" ls -R --cache-dir "$c" $X "${3:-$R:1}" / >"$TMP/got.ls" 2>"$TMP/err"
	local rc=$?
	[ $rc = 0 ] && cmp -s "$TMP/want.ls" "$TMP/got.ls"
	ok $? "$1: the command works, the listing right (exit $rc)" || { cat "$TMP/err"; return; }
	[ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -q "index artifact ${EVIL:0:19}…: layer $N (${L:0:19}…): .*$2.*; indexing it from its blob$" "$TMP/err"
	ok $? "$1: one line: refused, '$2'" || cat "$TMP/err"
	diag "$(sed 's/^.*(sha256:[0-9a-f]*…): //' "$TMP/err")"
	[ -s "$c/layers/${L#sha256:}.db" ] && "$B" ls --cache-dir "$c" $X "$R:1" / >/dev/null 2>&1
	ok $? "$1: the layer's own index is in the cache and serves again"
}

# hostile NAME SQL: the pushed index changed by SQL, published, refused
hostile() {
	cp "$DB" "$TMP/h.db" && sqlite3 "$TMP/h.db" "$2" && zstd -q -f "$TMP/h.db" -o "$TMP/h.zst" &&
		publish "$TMP/h.zst"
	ok $? "$1: made and published" || return
	refused "$1" "$3"
}

hostile "a view shadowing a table" \
	"ALTER TABLE entries RENAME TO real_entries; CREATE VIEW entries AS SELECT * FROM real_entries;" \
	"the view entries is not defined as ocifs defines it"
hostile "a trigger" \
	"CREATE TRIGGER t47 AFTER INSERT ON meta BEGIN DELETE FROM entries; END;" \
	"an extra trigger t47"
hostile "an extra table" "CREATE TABLE aaa(x); INSERT INTO aaa VALUES (1);" \
	"an extra table aaa"
hostile "an index defined otherwise" \
	"DROP INDEX xattrs_by_entry; CREATE INDEX xattrs_by_entry ON xattrs(entry, key);" \
	"the index xattrs_by_entry is not defined as ocifs defines it"
hostile "a table's CREATE changed" \
	"PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql = replace(sql, 'value TEXT)',
	'value TEXT COLLATE NOCASE)') WHERE name = 'meta';" \
	"the table meta is not defined as ocifs defines it"
hostile "an index dropped" "DROP INDEX entries_by_name;" \
	"no index entries_by_name"
hostile "a recursive CTE view" \
	"CREATE VIEW forever AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
	SELECT x FROM c;" "an extra view forever"
# rows: the schema is ocifs's, what the rows say is not a tar stream
hostile "a member over the one before" \
	"UPDATE entries SET hdr_off = 0 WHERE id = (SELECT max(id) FROM entries WHERE NOT (flags & 8));" \
	"entry [0-9]*: overlaps the previous member"
# a NULL flags took the row out of the SQL checks (NOT (NULL & 8) is NULL)
hostile "a NULL in a row" \
	"UPDATE entries SET flags = NULL, hdr_off = 0
	WHERE id = (SELECT max(id) FROM entries WHERE NOT (flags & 8));" \
	"entry [0-9]*: a column that is not an integer"

# the file itself
python3 - "$DB" "$TMP/h.db" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[16:18] = (1).to_bytes(2, "big")  # page_size 65536, the file's pages are not
open(sys.argv[2], "wb").write(b)
EOF
zstd -q -f "$TMP/h.db" -o "$TMP/h.zst" && publish "$TMP/h.zst"
ok $? "a page_size claim the file does not have: published"
refused "page_size claim" "not a whole SQLite file: database disk image is malformed"
head -c $(($(stat -c %s "$DB") / 8192 * 4096)) "$DB" >"$TMP/h.db" &&
	zstd -q -f "$TMP/h.db" -o "$TMP/h.zst" && publish "$TMP/h.zst"
ok $? "an index cut in half (at a page): published"
refused "truncated" "not a whole SQLite file"
{ cat "$DB"; head -c 4096 /dev/urandom; } >"$TMP/h.db" && zstd -q -f "$TMP/h.db" -o "$TMP/h.zst" &&
	publish "$TMP/h.zst"
ok $? "an index with a page of bytes after its last page: published"
refused "bytes after it" "not a whole SQLite file ([0-9]* pages of 4096 bytes, [0-9]* bytes)"
head -c 100000 /dev/urandom >"$TMP/h.db" && zstd -q -f "$TMP/h.db" -o "$TMP/h.zst" &&
	publish "$TMP/h.zst"
ok $? "a file that is not SQLite: published"
refused "not SQLite" "its index is refused: not a whole SQLite file: file is not a database"
# past the bound: 64 MiB + the layer's size (IDXART_DB_MAX)
head -c $((80 << 20)) /dev/zero | zstd -q -3 >"$TMP/h.zst" && publish "$TMP/h.zst"
ok $? "a zstd bomb ($(stat -c %s "$TMP/h.zst") bytes, 80 MiB of zeros): published"
refused "zstd bomb" "its index does not decompress within bounds"

# a blob changed on the way (the proxy flips its bytes): the pushed artifact
zstd -q -f "$DB" -o "$TMP/h.zst" && publish "$TMP/h.zst"
ok $? "the pushed index again, as is"
BD=$(sha256sum <"$TMP/h.zst" | cut -d' ' -f1)
proxy_start "http://$REG_HOST" || fail "the proxy did not start"
proxy_ctl "{\"faults\":[{\"kind\":\"corrupt\",\"path\":\"/blobs/sha256:$BD\",\"every\":1000}]}"
refused "a blob changed on the way" "blob sha256:${BD:0:12}…: does not match its digest" \
	"docker://$PROXY_HOST/t47:1"
# the referrers cannot be listed (403): no artifact, said in one warning
proxy_ctl '{"faults":[{"kind":"status","status":403,"path":"/referrers/|/manifests/sha256-"}]}'
timeout 120 "$B" ls -R --cache-dir "$TMP/cache-403" $X "docker://$PROXY_HOST/t47:1" / \
	>"$TMP/got.ls" 2>"$TMP/err"
rc=$?
[ $rc = 0 ] && cmp -s "$TMP/want.ls" "$TMP/got.ls" && [ "$(grep -c . "$TMP/err")" = 1 ] &&
	grep -q "^ocifs: warning: docker://$PROXY_HOST/t47:1: no index artifact (.*referrers of $MAN: HTTP 403.*); indexing the layers from their blobs$" "$TMP/err"
ok $? "referrers refused (403): the listing right, one warning naming the image and why" ||
	diag "exit $rc: $(cat "$TMP/err")"
proxy_ctl '{}'

# and the good one is still taken
K=$((K + 1))
timeout 120 "$B" ls -R -v --cache-dir "$TMP/cache$K" $X "$R:1" / >"$TMP/got.ls" 2>"$TMP/err" &&
	cmp -s "$TMP/want.ls" "$TMP/got.ls" && grep -q "layer indexes from the index artifact" "$TMP/err" &&
	! grep -q "indexing it from its blob" "$TMP/err"
ok $? "the unchanged index is installed" || cat "$TMP/err"

# --- a hostile referrers list --------------------------------------------------
# A registry of its own (a stub in front of the real one, answering the
# referrers API itself) listing descriptors whose artifactType or digest is
# not a string: they are ignored, nothing crashes.
cat >"$TMP/stub.py" <<'EOF'
import http.server, os, sys, urllib.error, urllib.request
up, body, portfile = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self, head=False):
        if "/referrers/" in self.path:
            status, hdrs, data = 200, [("Content-Type", "application/vnd.oci.image.index.v1+json")], body
        else:
            req = urllib.request.Request(up + self.path, method="HEAD" if head else "GET")
            for k in ("Accept", "Range"):
                if self.headers.get(k):
                    req.add_header(k, self.headers[k])
            try:
                r = urllib.request.urlopen(req)
            except urllib.error.HTTPError as e:
                r = e
            status, data = r.code, r.read()
            hdrs = [(k, v) for k, v in r.headers.items() if k.lower() in
                    ("content-type", "docker-content-digest", "content-range")]
            if head:
                hdrs += [(k, v) for k, v in r.headers.items() if k.lower() == "content-length"]
        self.send_response(status)
        for k, v in hdrs:
            self.send_header(k, v)
        if not head:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)
    def do_HEAD(self):
        self.do_GET(True)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
EOF
MT=application/vnd.oci.image.manifest.v1+json
jq -cn --arg mt "$MT" --arg one "sha256:$(printf %064d 1)" --arg art "$ART" '{schemaVersion: 2,
	mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
	{mediaType: $mt, digest: $one, size: 10, artifactType: null},
	{mediaType: $mt, digest: null, size: 10, artifactType: "application/vnd.ocifs.index.v1"},
	{mediaType: $mt, digest: $art, size: 10, artifactType: 7}]}' >"$TMP/refs.json"
python3 "$TMP/stub.py" "$REG_URL" "$TMP/refs.json" "$TMP/stub.port" 2>"$TMP/stub.err" &
STUB=$!
at_exit "kill $STUB 2>/dev/null"
for _ in $(seq 600); do [ -s "$TMP/stub.port" ] && break; sleep 0.1; done
timeout 120 "$B" ls -R --cache-dir "$TMP/cache-stub" $X "docker://127.0.0.1:$(cat "$TMP/stub.port")/t47:1" / \
	>"$TMP/got.ls" 2>"$TMP/err"
rc=$?
[ $rc = 0 ] && cmp -s "$TMP/want.ls" "$TMP/got.ls"
ok $? "referrers whose artifactType or digest is not a string: ignored, the listing right" ||
	diag "exit $rc: $(cat "$TMP/err" "$TMP/stub.err")"
done_testing
