#!/bin/bash
# `ocifs deps` end to end on an image of binaries built here with the
# real toolchains (gcc dynamic/static/static-pie/-m32, musl-gcc, RPATH vs
# RUNPATH with $ORIGIN, a missing library, LD_LIBRARY_PATH from the
# config, Go with cgo on/off, -trimpath, replaced modules, -s -w), scripts
# and hostile files. Oracles: readelf, file(1), `go version -m`, and the
# real glibc loader run in a chroot of the same root (ld.so --list).
. "$(dirname "$0")/../lib.sh"

need gcc readelf file python3 tar gzip chroot || { done_testing; exit; }
B=$OCIFS_BIN
R=$TMP/root
BINS=$TMP/bins
mkdir -p "$R"/{usr/bin,usr/local/bin,lib64,lib/x86_64-linux-gnu,opt/app/bin,opt/app/lib} \
	"$R"/{opt/broken/bin,opt/llp,opt/conf,etc,bad,loop}
ln -s usr/bin "$R/bin"
sh "$OCIFS_SRCDIR/tests/gen/mkbins.sh" "$BINS" >"$TMP/mkbins.log" 2>&1
[ -f "$BINS/dyn" ] && [ -f "$BINS/static" ] && [ -f "$BINS/rpath" ]
ok $? "mkbins.sh built the gcc binaries" || { done_testing; exit; }

# --- the root: a real glibc (the host's) so the real loader can run there
libc=$(gcc -print-file-name=libc.so.6)
libc=$(readlink -f "$libc")
ldso=$(readlink -f /lib64/ld-linux-x86-64.so.2)
cp "$libc" "$R/lib/x86_64-linux-gnu/libc.so.6"
cp "$ldso" "$R/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/lib64/ld-linux-x86-64.so.2"
for b in dyn nopie dyn-stripped dyn-noshdr static static-pie static-stripped musl-static \
	musl-dyn dyn32; do
	[ -f "$BINS/$b" ] && cp "$BINS/$b" "$R/usr/bin/$b"
done
cp "$BINS/rpath" "$BINS/runpath" "$R/opt/app/bin/"
cp "$BINS/libocifst.so.1" "$R/opt/app/lib/"
cp "$BINS/runpath" "$R/opt/broken/bin/runpath"           # its $ORIGIN/../lib is empty
# a PT_INTERP that is not in the image: execve(2) itself fails
printf 'int main(void) { return 0; }\n' >"$TMP/nointerp.c"
gcc -O2 -Wl,--dynamic-linker=/lib/ld-ocifs-missing.so.2 -o "$R/opt/broken/bin/nointerp" "$TMP/nointerp.c"
# the same library under other SONAMEs: one found through LD_LIBRARY_PATH,
# one through a directory of ld.so.conf (so the cache)
for so in llp conf; do
	gcc -O2 -fPIC -shared -Wl,-soname,lib$so.so.1 -o "$R/opt/$so/lib$so.so.1" "$BINS/lib.c"
	gcc -O2 -o "$R/usr/bin/uselib-$so" "$BINS/uselib.c" -L"$R/opt/$so" -l:lib$so.so.1
done
cp "$(command -v env)" "$R/usr/bin/env"
if [ -f "$R/usr/bin/musl-dyn" ]; then
	mkdir -p "$R/usr/lib/musl/lib"
	cp "$(readlink -f /lib/ld-musl-x86_64.so.1)" "$R/usr/lib/musl/lib/libc.so"
	ln -s /usr/lib/musl/lib/libc.so "$R/lib/ld-musl-x86_64.so.1"
fi
echo /opt/conf >"$R/etc/ld.so.conf"
ldconfig -r "$R" 2>/dev/null
[ -s "$R/etc/ld.so.cache" ]
ok $? "ldconfig -r wrote the image's ld.so.cache"

# scripts: env through PATH and a symlink, an absolute interpreter, a
# missing one, one through a symlink loop
cp "$BINS/dyn" "$R/usr/bin/python3.11"
ln -s python3.11 "$R/usr/bin/python3"
printf '#!/usr/bin/env python3\nprint(1)\n' >"$R/usr/local/bin/tool.py"
printf '#!/bin/python3 -u\n' >"$R/usr/local/bin/abs.py"
printf '#!/usr/bin/nonexistent\n' >"$R/usr/local/bin/missing.sh"
ln -s b "$R/loop/a"
ln -s a "$R/loop/b"
printf '#!/loop/a\n' >"$R/usr/local/bin/looped.sh"
# chroot-style symlinks: ".." cannot climb above the root, absolute
# targets start at the image root
ln -s ../../../../../../../usr/bin/dyn "$R/usr/local/bin/escape"
ln -s /usr/bin/python3 "$R/usr/local/bin/abslink"
printf '#!/usr/local/bin/escape\n' >"$R/usr/local/bin/escape.sh"
printf '#!/usr/local/bin/abslink\n' >"$R/usr/local/bin/abslink.sh"
chmod +x "$R"/usr/local/bin/*.sh "$R"/usr/local/bin/*.py

# hostile ELF files
head -c 200 "$BINS/dyn" >"$R/bad/truncated"
python3 - "$BINS/dyn" "$R/bad" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
b = bytearray(open(src, 'rb').read())
s = bytearray(b); struct.pack_into('<Q', s, 0x28, len(b) + 4096)       # e_shoff past EOF
open(out + '/shoff-past-eof', 'wb').write(s)
h = bytearray(b); struct.pack_into('<H', h, 0x38, 0xffff)               # e_phnum huge
open(out + '/huge-phnum', 'wb').write(h)
d = bytearray(b); struct.pack_into('<H', d, 0x3c, 0xffff)               # e_shnum huge
open(out + '/huge-shnum', 'wb').write(d)
PY

# Go binaries (skipped outside CI without go)
GOBINS=
if command -v go >/dev/null 2>&1; then
	if sh "$OCIFS_SRCDIR/tests/gen/mkgo.sh" "$TMP/go" >"$TMP/mkgo.log" 2>&1; then
		for g in default cgo0 trimpath stripped pie; do
			[ -f "$TMP/go/$g" ] && cp "$TMP/go/$g" "$R/usr/local/bin/go-$g" &&
				GOBINS="$GOBINS go-$g"
		done
	fi
	[ -n "$GOBINS" ]
	ok $? "mkgo.sh built Go binaries"
else
	skip "go not installed"
fi

# --- the image: the base system in a gzip layer, the rest in a plain one
(cd "$R" && tar --numeric-owner -cf "$TMP/l1.tar" bin lib lib64 usr/bin etc usr/lib 2>/dev/null)
gzip -n "$TMP/l1.tar"
(cd "$R" && tar --numeric-owner -cf "$TMP/l2.tar" opt usr/local bad loop)
MKOCI_ENV='"PATH=/usr/local/bin:/usr/bin:/bin","LD_LIBRARY_PATH=/opt/llp"' \
	mkoci "$TMP/img" "$TMP/l1.tar.gz" "$TMP/l2.tar"

"$B" deps "$TMP/img" --json >"$TMP/deps.json" 2>"$TMP/err"
ok $? "ocifs deps --json exits 0"
[ -s "$TMP/err" ] && diag "stderr: $(head -c 2000 "$TMP/err")"

# --- the real loader's answers, in a chroot of the same root
: >"$TMP/ldd.tsv"
CHROOT=$(command -v chroot)
for b in usr/bin/dyn usr/bin/nopie usr/bin/dyn-stripped opt/app/bin/rpath opt/app/bin/runpath \
	opt/broken/bin/runpath usr/bin/uselib-llp usr/bin/uselib-conf usr/bin/env; do
	[ -f "$R/$b" ] || continue
	env -i LD_LIBRARY_PATH=/opt/llp "$CHROOT" "$R" /lib64/ld-linux-x86-64.so.2 --list "/$b" \
		>"$TMP/ldd.out" 2>&1
	awk -v f="/$b" '/=>/ { p = $3; if ($3 == "not") p = "-"; print f "\t" $1 "\t" p }' \
		"$TMP/ldd.out" >>"$TMP/ldd.tsv"
done
# musl's loader lists too (ld-musl --list), with musl's own rules
if [ -f "$R/usr/bin/musl-dyn" ]; then
	env -i LD_LIBRARY_PATH=/opt/llp "$CHROOT" "$R" /lib/ld-musl-x86_64.so.1 --list /usr/bin/musl-dyn \
		>"$TMP/ldd.out" 2>&1
	awk '/=>/ { p = $3; if ($3 == "not") p = "-"; print "/usr/bin/musl-dyn\t" $1 "\t" p }' \
		"$TMP/ldd.out" >>"$TMP/ldd.tsv"
fi
[ -s "$TMP/ldd.tsv" ]
ok $? "the real ld.so listed the chroot's binaries"
"$CHROOT" "$R" /opt/broken/bin/nointerp >/dev/null 2>"$TMP/exec.err"
[ $? -eq 127 ] && grep -q 'No such file or directory' "$TMP/exec.err"
ok $? "the kernel refuses to run a file whose PT_INTERP is missing (the oracle)"

# --- readelf and file(1) answers for every ELF file
: >"$TMP/readelf.tsv"
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
	p=/${f#"$R"/}
	needed=$(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd,)
	interp=$(readelf -lW "$f" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
	soname=$(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	rpath=$(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(RPATH).*\[\(.*\)\]/\1/p')
	runpath=$(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
	bid=$(readelf -nW "$f" 2>/dev/null | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p' | head -1)
	fl=$(file -b "$f")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$needed" "$interp" "$soname" "$rpath" \
		"$runpath" "$bid" "$fl" >>"$TMP/readelf.tsv"
done < <(find "$R" -type f -print0)

if [ -n "$GOBINS" ]; then
	for g in $GOBINS; do
		echo "== /usr/local/bin/$g"
		go version -m "$R/usr/local/bin/$g"
	done >"$TMP/govm.txt" 2>&1
fi

python3 - "$TMP/deps.json" "$TMP/ldd.tsv" "$TMP/readelf.tsv" "$TMP/govm.txt" "$TMP/results" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
files = {f["path"]: f for f in doc["files"]}
n = 0
res = open(sys.argv[5], "w")
def check(cond, desc, extra=""):
    global n
    n += 1
    res.write("%d\t%s\n" % (0 if cond else 1, desc))
    if not cond and extra:
        for l in str(extra).splitlines()[:40]:
            print("# " + l)

check(doc.get("schema") == 1 and doc["image"]["ld_library_path"] == "/opt/llp",
      "document header: schema 1, LD_LIBRARY_PATH from the config Env")
s = doc["summary"]
check(s["files"] == len(doc["files"]) and s["elf"] + s["scripts"] == s["files"],
      "summary counts agree with the file list", s)
check([f["path"] for f in doc["files"]] == sorted(files), "files sorted by path")

# readelf / file(1)
bad = []
for line in open(sys.argv[3]):
    p, needed, interp, soname, rpath, runpath, bid, fl = line.rstrip("\n").split("\t")
    f = files.get(p)
    if f is None:
        if not p.startswith("/bad/"):
            bad.append("%s: missing from deps.json" % p)
        continue
    if p.startswith("/bad/"):
        continue
    got = ",".join(x["name"] for x in f.get("needed", []))
    if got != needed: bad.append("%s: needed %r, readelf %r" % (p, got, needed))
    if (f.get("interp") or "") != interp: bad.append("%s: interp %r vs %r" % (p, f.get("interp"), interp))
    if (f.get("soname") or "") != soname: bad.append("%s: soname" % p)
    if (f.get("rpath") or "") != rpath: bad.append("%s: rpath %r vs %r" % (p, f.get("rpath"), rpath))
    if (f.get("runpath") or "") != runpath: bad.append("%s: runpath" % p)
    if (f.get("build_id") or "") != bid: bad.append("%s: build-id %r vs %r" % (p, f.get("build_id"), bid))
    want = ("static-pie" if "static-pie linked" in fl else
            "static" if "statically linked" in fl else
            "dynamic" if "interpreter" in fl else
            "shared-lib" if "shared object" in fl else "?")
    if want != "?" and f["link"] != want: bad.append("%s: link %s, file(1): %s" % (p, f["link"], fl))
    cls = 64 if "64-bit" in fl else 32
    if f["class"] != cls: bad.append("%s: class" % p)
    if ("not stripped" in fl) == f["stripped"] and "no section header" not in fl:
        bad.append("%s: stripped=%s, file(1): %s" % (p, f["stripped"], fl))
check(not bad, "every ELF's NEEDED, interp, SONAME, RPATH, RUNPATH, build-id, link, class, "
      "stripped equal readelf and file(1)", "\n".join(bad))

# the real loader
want = {}
for line in open(sys.argv[2]):
    p, name, path = line.rstrip("\n").split("\t")
    want.setdefault(p, {})[name] = None if path == "-" else path
bad = []
for p, libs in want.items():
    f = files.get(p, {})
    got = {l["name"]: l["path"] for l in f.get("libraries", [])}
    if f.get("libc") == "musl":
        # musl's ldd lists libc.so => the loader itself (our "loaded")
        got.update({l["name"]: l["path"] for l in f.get("needed", []) if l["rule"] == "loaded"})
    if got != libs:
        bad.append("%s: ours %s, ld.so %s" % (p, got, libs))
check(want and not bad, "libraries equal the real ld.so --list in a chroot (%d binaries)" % len(want),
      "\n".join(bad))

def lib(p, name):
    return next((l for l in files[p]["libraries"] if l["name"] == name), {})
check(lib("/opt/app/bin/rpath", "libocifst.so.1").get("rule") == "rpath" and
      lib("/opt/app/bin/runpath", "libocifst.so.1").get("rule") == "runpath" and
      lib("/usr/bin/uselib-llp", "libllp.so.1").get("rule") == "ld_library_path" and
      lib("/usr/bin/uselib-conf", "libconf.so.1").get("rule") == "ld.so.cache" and
      lib("/usr/bin/dyn", "libc.so.6").get("rule") == "ld.so.cache",
      "rules: rpath, runpath, ld_library_path, ld.so.cache",
      [lib("/opt/app/bin/rpath", "libocifst.so.1"), lib("/opt/app/bin/runpath", "libocifst.so.1"),
       lib("/usr/bin/uselib-llp", "libllp.so.1"), lib("/usr/bin/uselib-conf", "libconf.so.1")])
check(files["/opt/broken/bin/nointerp"]["unresolved"] == ["/lib/ld-ocifs-missing.so.2"] and
      "interpreter /lib/ld-ocifs-missing.so.2" in (files["/opt/broken/bin/nointerp"].get("ldso_note") or ""),
      "a missing PT_INTERP is unresolved (the kernel would not run the file)",
      files["/opt/broken/bin/nointerp"])
check(files["/opt/broken/bin/runpath"]["unresolved"] == ["libocifst.so.1"] and
      doc["summary"]["unresolved"] >= 1, "a missing library is reported unresolved")
check(files["/usr/bin/static"]["libc"] == "glibc" and files["/usr/bin/static"]["link"] == "static" and
      files["/usr/bin/dyn"]["libc"] == "glibc", "glibc detected, dynamic and static")
if "/usr/bin/musl-static" in files:
    m = files["/usr/bin/musl-dyn"]
    check(files["/usr/bin/musl-static"]["libc"] == "musl" and m["libc"] == "musl" and
          m["interp"] == "/lib/ld-musl-x86_64.so.1", "musl binaries: flavour and interpreter", m)
if "/usr/bin/dyn32" in files:
    d = files["/usr/bin/dyn32"]
    check(d["class"] == 32 and d["machine"] == "i386", "32-bit binary: class 32, i386")

# scripts
t = files["/usr/local/bin/tool.py"]
check(t["kind"] == "script" and t["interpreter"] == "/usr/bin/env" and t["interpreter_arg"] == "python3"
      and t["interpreter_path"] == "/usr/bin/python3.11", "#!/usr/bin/env python3 resolves through PATH and the symlink", t)
a = files["/usr/local/bin/abs.py"]
check(a["interpreter_path"] == "/usr/bin/python3.11" and a["interpreter_arg"] == "-u",
      "#!/bin/python3 -u resolves through /bin -> usr/bin", a)
check(files["/usr/local/bin/escape.sh"]["interpreter_path"] == "/usr/bin/dyn" and
      files["/usr/local/bin/abslink.sh"]["interpreter_path"] == "/usr/bin/python3.11",
      "symlinks resolve inside the image: .. stops at the root, absolute targets from the root",
      [files["/usr/local/bin/escape.sh"], files["/usr/local/bin/abslink.sh"]])
check(files["/usr/local/bin/missing.sh"]["interpreter_path"] is None and
      files["/usr/local/bin/looped.sh"]["interpreter_path"] is None,
      "missing and looping interpreters: not found, no hang")

# hostile files: present, analyzed as far as possible, with a reason
for p in ("/bad/truncated", "/bad/shoff-past-eof", "/bad/huge-phnum", "/bad/huge-shnum"):
    f = files.get(p)
    check(f is not None and (f.get("elf_error") or f.get("error")), "%s: reported with a reason" % p, f)
sp = files.get("/bad/shoff-past-eof", {})
check(sp.get("interp") == "/lib64/ld-linux-x86-64.so.2" and [x["name"] for x in sp.get("needed", [])] == ["libc.so.6"],
      "section headers past EOF: program headers still analyzed")

# Go: module lists equal go version -m
cur, gov = None, {}
try:
    for line in open(sys.argv[4]):
        line = line.rstrip("\n")
        if line.startswith("== "):
            cur = line[3:].strip(); gov[cur] = {"deps": [], "settings": {}, "version": None}
        elif cur and line.startswith("/"):
            gov[cur]["version"] = line.split(": ", 1)[1].strip()
        elif cur and line.startswith("\t"):
            parts = line.split("\t")[1:] + ["", "", ""]
            if parts[0] == "dep":
                gov[cur]["deps"].append((parts[1], parts[2], parts[3]))
            elif parts[0] == "=>":
                gov[cur]["deps"][-1] += (parts[1], parts[2], parts[3])
            elif parts[0] == "build":
                # go quotes keys and values holding spaces, quotes, tabs
                kv = parts[1]
                if kv.startswith('"'):
                    k = json.JSONDecoder().raw_decode(kv)
                    key, rest = k[0], kv[k[1] + 1:]
                else:
                    key, _, rest = kv.partition("=")
                v = json.loads(rest) if rest.startswith('"') else rest
                gov[cur]["settings"][key] = v
except FileNotFoundError:
    pass
bad = []
for p, w in gov.items():
    g = files.get(p, {}).get("go")
    if not g:
        bad.append("%s: no go object" % p); continue
    if g["version"] != w["version"]: bad.append("%s: version %s vs %s" % (p, g["version"], w["version"]))
    got = []
    for d in g["deps"]:
        e = (d["path"], d["version"] or "", d["sum"] or "")
        if "replace" in d:
            r = d["replace"]; e += (r["path"], r["version"] or "", r["sum"] or "")
        got.append(e)
    if got != w["deps"]: bad.append("%s: deps\n ours %s\n go   %s" % (p, got, w["deps"]))
    if g["settings"] != w["settings"]: bad.append("%s: settings %s vs %s" % (p, g["settings"], w["settings"]))
if gov:
    check(not bad and any(w["deps"] for w in gov.values()),
          "Go: version, deps (with => replacements and sums) and build settings equal go version -m (%d binaries)" % len(gov),
          "\n".join(bad))
    check(all(files[p]["libc"] in ("none", "glibc") for p in gov), "Go binaries: libc none (or glibc with cgo)")
res.close()
PY
ok $? "deps.json checks ran"
while IFS='	' read -r st desc; do ok "$st" "$desc"; done <"$TMP/results"

for p in /usr/bin/dyn /opt/app/bin/rpath; do
	want=$("$B" stat --json "$TMP/img" "$p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layer"])')
	got=$(python3 -c 'import json,sys; print([f["layer"] for f in json.load(open(sys.argv[1]))["files"] if f["path"] == sys.argv[2]][0])' \
		"$TMP/deps.json" "$p")
	[ -n "$want" ] && [ "$want" = "$got" ]
	ok $? "$p: layer $got, as ocifs stat says ($want)"
done

# --- selection, text, cache
"$B" deps "$TMP/img" /bin/dyn >"$TMP/one.txt" 2>"$TMP/err"
ok $? "deps IMAGE PATH (through the /bin symlink)"
grep -q '^/usr/bin/dyn (elf, 64-bit x86_64, dynamic, glibc' "$TMP/one.txt" &&
	grep -qE '^  libc\.so\.6 => /lib/x86_64-linux-gnu/libc\.so\.6 \[ld\.so\.cache\]' "$TMP/one.txt" &&
	[ "$(grep -c '^/' "$TMP/one.txt")" -eq 1 ]
ok $? "text output of one file: summary line and the library tree"
[ $? -eq 0 ] || diag "$(head -20 "$TMP/one.txt")"
"$B" deps "$TMP/img" --unresolved --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
paths = [f["path"] for f in d["files"]]
sys.exit(0 if {"/opt/broken/bin/runpath", "/opt/broken/bin/nointerp"} <= set(paths) and
         all(f["unresolved"] for f in d["files"]) else 1)'
ok $? "--unresolved keeps only files with a library or interpreter not found"
"$B" deps "$TMP/img" /opt/broken/bin/nointerp >"$TMP/ni.txt" 2>&1
grep -qx '  interpreter /lib/ld-ocifs-missing.so.2 => not found' "$TMP/ni.txt"
ok $? "text output: a missing interpreter => not found" || diag "$(cat "$TMP/ni.txt")"
"$B" deps "$TMP/img" /opt --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["files"] and all(f["path"].startswith("/opt/") for f in d["files"]) else 1)'
ok $? "a directory PATH selects everything below it"
ls "$XDG_CACHE_HOME"/ocifs/deps/*.json >/dev/null 2>&1
ok $? "the document is cached under deps/"
"$B" deps "$TMP/img" --json >"$TMP/deps2.json" 2>/dev/null && cmp -s "$TMP/deps.json" "$TMP/deps2.json"
ok $? "a warm run prints the same bytes"
echo garbage >"$(ls "$XDG_CACHE_HOME"/ocifs/deps/*.json | head -1)"
"$B" deps "$TMP/img" --json >"$TMP/deps3.json" 2>"$TMP/err" && cmp -s "$TMP/deps.json" "$TMP/deps3.json" &&
	grep -q 'rebuilding' "$TMP/err"
ok $? "a corrupt cached document is rebuilt with a warning"
expect_fail 1 'no such file' "a PATH not in the image: one-line error" -- "$B" deps "$TMP/img" /nope

# No ld.so.cache (ldconfig never ran) and an ld.so.conf that includes
# itself: the loader finds nothing in /opt/conf, and says where it is.
R2=$TMP/root2
mkdir -p "$R2/etc/ld.so.conf.d" "$R2/usr/bin" "$R2/opt" "$R2/lib64" "$R2/lib"
cp -a "$R/lib/x86_64-linux-gnu" "$R2/lib/"
cp -a "$R/lib64/ld-linux-x86-64.so.2" "$R2/lib64/"
cp -a "$R/opt/conf" "$R2/opt/"
cp "$R/usr/bin/uselib-conf" "$R2/usr/bin/"
printf 'include /etc/ld.so.conf.d/*.conf\n' >"$R2/etc/ld.so.conf"
printf 'include /etc/ld.so.conf\n/opt/conf\n' >"$R2/etc/ld.so.conf.d/loop.conf"
(cd "$R2" && tar --numeric-owner -cf "$TMP/r2.tar" .)
mkoci "$TMP/img2" "$TMP/r2.tar"
timeout 60 "$B" deps "$TMP/img2" /usr/bin/uselib-conf --json >"$TMP/d2.json" 2>"$TMP/err"
ok $? "ld.so.conf including itself: deps finishes"
python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
note = f.get("ldso_note") or ""
sys.exit(0 if f["unresolved"] == ["libconf.so.1"] and "/opt/conf" in note and "ld.so.conf" in note else 1)' \
	"$TMP/d2.json"
ok $? "without ld.so.cache a library in an ld.so.conf dir is unresolved, with a note naming the dir"
[ $? -eq 0 ] || diag "$(head -c 1500 "$TMP/d2.json")"
done_testing
