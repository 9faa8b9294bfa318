#!/bin/bash
# /.ocifs/trace.json: the mount's own trace so far (DESIGN §11). Oracles:
# the OTLP/JSON encoding rules (tests/gen/otlp.py), `tar -tf` of the
# layer blob (entries of "index layer 1"), the bytes /.deps reads (the
# "write document" span of deps.json); st_size against the bytes read;
# readdir of the root without and with -o show_virtual. Then `ocifs
# mount -f --trace FILE`: FILE is written when the mount ends.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need gcc python3 tar || { done_testing; exit; }
B=$OCIFS_BIN
check() { python3 "$OCIFS_SRCDIR/tests/gen/otlp.py" check "$@"; }
q() { local f=$1 w=$2; shift 2; python3 "$OCIFS_SRCDIR/tests/gen/otlp.py" "$w" "$f" "$@"; }

R=$TMP/root
mkdir -p "$R/usr/bin" "$R/etc"
printf 'int main(void){return 0;}\n' >"$TMP/m.c"
gcc -O2 -o "$R/usr/bin/dyn" "$TMP/m.c"
printf 'echo hi\n' >"$R/usr/bin/notelf"
chmod 755 "$R/usr/bin/notelf"
echo x >"$R/etc/x"
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" usr etc)
mkoci "$TMP/img" "$TMP/l1.tar"

M=$(mnt_dir mnt)
do_mount "$TMP/img" "$M" 2>"$TMP/err"
ok $? "mount" || { diag "$(cat "$TMP/err")"; done_testing; exit; }
size=$(stat -c %s "$M/.ocifs/trace.json")
cat "$M/.ocifs/trace.json" >"$TMP/t1.json"
[ "$(wc -c <"$TMP/t1.json")" -eq "$size" ] && [ "$size" -gt 100 ]
ok $? "st_size of trace.json is exact ($size bytes)"
r=$(check "$TMP/t1.json" "ocifs mount" session open "index layer 1" "build view")
[ "$r" = ok ]
ok $? "trace.json: OTLP shape, the session's stages ($r)"
[ "$(q "$TMP/t1.json" attr "index layer 1" ocifs.entries)" = "$(tar -tf "$TMP/l1.tar" | wc -l)" ]
ok $? "index layer 1: the entries tar -tf lists"
[ "$(q "$TMP/t1.json" attr "ocifs mount" ocifs.open)" = 1 ]
ok $? "the mount's span is still open"
[ -z "$(q "$TMP/t1.json" attr "write document" ocifs.document | grep -x deps)" ]
ok $? "no deps document before /.deps is read"
[ "$(ls -A "$M" | tr '\n' ' ')" = "etc usr " ] && ls "$M/.ocifs" | grep -qx trace.json
ok $? "readdir of the root does not show /.ocifs; /.ocifs lists trace.json"

deps_bytes=$(cat "$M/.deps" | wc -c)
size2=$(stat -c %s "$M/.ocifs/trace.json")
cat "$M/.ocifs/trace.json" >"$TMP/t2.json"
[ "$(wc -c <"$TMP/t2.json")" -eq "$size2" ] && [ "$size2" -gt "$size" ]
ok $? "after cat /.deps the trace grew ($size -> $size2 bytes), st_size exact again"
[ "$(check "$TMP/t2.json" analyze "catalog elf")" = ok ] &&
	[ "$(python3 - "$TMP/t2.json" "$deps_bytes" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
spans = d["resourceSpans"][0]["scopeSpans"][0]["spans"]
def attrs(s): return {a["key"]: list(a["value"].values())[0] for a in s["attributes"]}
root = [s for s in spans if s["name"] == "ocifs mount"][0]["spanId"]
docs = [s for s in spans if s["name"] == "write document" and attrs(s).get("ocifs.document") == "deps"]
ok = len(docs) == 1 and attrs(docs[0])["ocifs.bytes"] == sys.argv[2] and docs[0]["parentSpanId"] == root
print("yes" if ok else "no")
EOF
)" = yes ]
ok $? "a write document span for deps.json, its bytes those /.deps read, under the mount's span"
q "$TMP/t2.json" skips | grep -qP '^/usr/bin/notelf\telf\texecutable'
ok $? "the analysis' skip events are in the mount's trace"
cmp -s "$TMP/t2.json" "$M/.ocifs/trace.json"
ok $? "an unchanged trace reads the same bytes again"
"$B" umount "$M"
ok $? "umount"

do_mount "$TMP/img" "$M" -o show_virtual 2>"$TMP/err"
ls -A "$M" | grep -qx .ocifs && ls -A "$M/.ocifs" | grep -qx trace.json
ok $? "with -o show_virtual the root lists /.ocifs, and it lists trace.json"
"$B" umount "$M"

# ocifs mount -f --trace FILE: written when the mount ends
fg_mount "$TMP/img" "$M" --trace "$TMP/fg.json"
ok $? "mount -f --trace" || diag "$(cat "$TMP/fg.err")"
cat "$M/.deps" >/dev/null   # from the cache the first mount filled
"$B" umount "$M"
fg_wait
r=$(check "$TMP/fg.json" "ocifs mount" "write document")
[ "$FG_RC" = 0 ] && [ "$r" = ok ] && [ "$(q "$TMP/fg.json" attr "ocifs mount" ocifs.exit_status)" = 0 ] &&
	q "$TMP/fg.json" attr "write document" ocifs.document | grep -qx deps
ok $? "the trace FILE of a foreground mount holds its whole life, once it ended (exit $FG_RC, $r)"

done_testing
