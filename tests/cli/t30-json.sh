#!/bin/bash
# `ocifs inspect --json` and `ocifs stat --json` (ocifs-json(5)) against
# oracles nobody here wrote:
#  - inspect: the image's own config, index and manifest parsed by
#    python3 (labels, exposed ports, volumes, stop signal, entrypoint...,
#    and the history aligned to the layers as docker history counts:
#    the i-th non-empty_layer entry made layer i), for a hand-made image
#    whose config holds raw invalid UTF-8 and for skopeo's docker-archive
#    of umoci's image; the text form shows the same;
#  - stat: every path of an unpacked copy (`tar -xp` of the layers, as
#    root): mode equals `stat -c %a`, type, size, owner, links and mtime
#    equal coreutils stat (a directory's mtime, which the second tar -x
#    touches, its tar header's), the target equals readlink, the layer is
#    the last tar holding the name, a device's numbers are its header's;
#  - invalid UTF-8 names: the output is strict UTF-8 (python's decoder),
#    jq accepts it, and os.fsencode gives back the exact bytes;
#  - every field of both documents (and nothing else) is documented, with
#    its type, in man/ocifs-json.5, which groff reads without a warning;
#    the other --json outputs carry the schema the page names and are
#    strict UTF-8 too.
. "${OCIFS_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
B=$OCIFS_BIN
# okd STATUS DESC CMD...: ok, and on failure CMD's output as diag lines
okd() {
	local rc=$1 d=$2
	shift 2
	ok "$rc" "$d"
	[ "$rc" -eq 0 ] || diag "$("$@" 2>&1)"
}
MAN=$OCIFS_SRCDIR/man/ocifs-json.5

need python3 jq gzip tar groff || { done_testing; exit; }

# --- the image: two layers with every kind of entry and bad names ---------
mkdir -p "$TMP/layers"
python3 - "$TMP/layers" <<'PY' || fail "making the layers"
import io, os, sys, tarfile
out = sys.argv[1]
def add(t, name, data=b"", mode=0o644, typ=tarfile.REGTYPE, link="", uid=0, gid=0,
        mtime=1700000000, dev=(0, 0)):
    ti = tarfile.TarInfo(os.fsdecode(name))
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = typ, mode, uid, gid, mtime
    ti.linkname = os.fsdecode(link)
    ti.devmajor, ti.devminor = dev
    if typ == tarfile.REGTYPE:
        ti.size = len(data)
    t.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
kw = dict(format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape")
with tarfile.open(out + "/l1.tar", "w", **kw) as t:
    add(t, b"etc", typ=tarfile.DIRTYPE, mode=0o755, mtime=1600000000)
    add(t, b"etc/hello", b"hello\n")
    add(t, b"etc/hard", typ=tarfile.LNKTYPE, link=b"etc/hello")
    add(t, b"etc/ro", b"r", 0o444, mtime=0)
    add(t, b"etc/empty", b"", 0o600, uid=1000, gid=1000)
    add(t, b"etc/fifo", typ=tarfile.FIFOTYPE, mode=0o620)
    add(t, b"usr", typ=tarfile.DIRTYPE, mode=0o755)
    add(t, b"usr/bin", typ=tarfile.DIRTYPE, mode=0o755)
    add(t, b"usr/bin/su", b"\x7fELF", 0o4755)
    add(t, b"usr/bin/wall", b"w", 0o2755, gid=5)
    add(t, b"tmp", typ=tarfile.DIRTYPE, mode=0o1777)
    add(t, b"srv", typ=tarfile.DIRTYPE, mode=0o700, uid=33, gid=33)
    for n in (b"bad-\xff", b"trunc-\xe2\x82", b"sur-\xed\xa0\x80", b"over-\xc0\xaf",
              b"big-\xf4\x90\x80\x80", b"ok-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"):
        add(t, b"srv/" + n, n, 0o640)
    add(t, b"srv/link-\xfe", typ=tarfile.SYMTYPE, mode=0o777, link=b"bad-\xff\x80/target")
with tarfile.open(out + "/l2.tar", "w", **kw) as t:
    add(t, b"srv/bad-\xff", b"rewritten", 0o604, mtime=1700000500)
    add(t, b"etc/l2", b"two", 0o640, mtime=1234567890)
    add(t, b"dev/sda1", typ=tarfile.BLKTYPE, mode=0o660, gid=6, dev=(8, 1))
PY
gzip -n -k "$TMP/layers/l1.tar"
mkoci "$TMP/img" "$TMP/layers/l1.tar.gz" "$TMP/layers/l2.tar"
cp -r "$TMP/img" "$TMP/plain" # no labels, no history
# The config, as a careless tool would write it: raw bytes in labels.
cat >"$TMP/patch.json" <<'EOF'
{"created": "2024-03-01T12:00:00Z",
 "config": {"Labels": {"org.opencontainers.image.title": "demo",
                       "maintainer": "Zoë <z@example.org>",
                       "bad-\udcff": "v\udce2\udc82",
                       "empty": ""},
            "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
            "Volumes": {"/var/lib/data": {}, "/srv/\udcfe": {}},
            "StopSignal": "SIGQUIT",
            "Entrypoint": ["/usr/bin/su"], "Cmd": ["-c", "id"],
            "WorkingDir": "/srv", "User": "33:33"},
 "history": [
   {"created": "2024-01-01T00:00:00Z", "created_by": "ARG V=1", "empty_layer": true},
   {"created": "2024-01-01T00:00:01.5+02:00", "created_by": "/bin/sh -c #(nop) ADD file:abc in /",
    "comment": "buildkit.dockerfile.v0", "author": "Jane Doe"},
   {"created_by": "ENV A=b", "empty_layer": true},
   {"created": "2024-01-02T00:00:00Z", "created_by": "RUN make \udcff", "empty_layer": false},
   {"created": "2024-01-03T00:00:00Z", "created_by": "COPY past-the-last-layer"}]}
EOF
python3 "$OCIFS_SRCDIR/tests/gen/setconfig.py" --bytes "$TMP/img" "@$TMP/patch.json" ||
	fail "setconfig.py"

# The unpacked copy (devices left out: their numbers come from the tar).
mkdir -p "$TMP/root"
tar -xpf "$TMP/layers/l1.tar" -C "$TMP/root" &&
	tar -xpf "$TMP/layers/l2.tar" -C "$TMP/root" --exclude='dev*'
ok $? "tar -xp unpacks both layers"

# --- the man page ----------------------------------------------------------
groff -ww -z -man "$MAN" >"$TMP/groff" 2>&1 && [ ! -s "$TMP/groff" ]
okd $? "groff -ww -z -man man/ocifs-json.5: no warning" head -5 "$TMP/groff"

# check.py: python helpers shared by the checks below.
cat >"$TMP/check.py" <<'PY'
import json, os, re, subprocess, sys

def load(raw):
    """The document, decoded as strict UTF-8 (no surrogate, overlong...)."""
    return json.loads(raw.decode("utf-8"))

def jq_ok(raw):
    return subprocess.run(["jq", "-e", "."], input=raw, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0

def man_fields(man):
    """{section: {path: type}} from the .SH sections' `.BR path " (type)"` lines."""
    out, sec = {}, None
    for line in open(man, encoding="utf-8"):
        m = re.match(r'\.SH "?([A-Z]+)', line)
        if m:
            sec = out.setdefault(m.group(1), {})
            continue
        m = re.match(r'\.BR (\S+) " \((.+)\)"$', line.rstrip("\n"))
        if m and sec is not None:
            sec[m.group(1)] = m.group(2)
    return out

def type_ok(v, t):
    """Does JSON value v have the documented type t?"""
    alts = t.split(" or ")
    for a in alts:
        if a == "null" and v is None: return True
        if a == "string" and isinstance(v, str): return True
        if a == "integer" and isinstance(v, int) and not isinstance(v, bool): return True
        if a == "boolean" and isinstance(v, bool): return True
        if a == "object" and isinstance(v, dict): return True
        if a == "array of strings" and isinstance(v, list) and all(isinstance(x, str) for x in v): return True
        if a == "array of objects" and isinstance(v, list) and all(isinstance(x, dict) for x in v): return True
        if a == "map of strings" and isinstance(v, dict) and all(x is None or isinstance(x, str) for x in v.values()): return True
    return False

def check_doc(doc, fields, errs, seen):
    """Every member of every object of doc documented with its type, and
    every documented member of each object present."""
    def walk(o, prefix):
        want = {p[len(prefix):] for p in fields if p.startswith(prefix) and "." not in p[len(prefix):]
                and "[" not in p[len(prefix):]}
        got = set(o)
        for k in sorted(got - want): errs.append("undocumented: " + prefix + k)
        for k in sorted(want - got): errs.append("documented but missing: " + prefix + k)
        for k in sorted(got & want):
            t, v = fields[prefix + k], o[k]
            seen.add(prefix + k)
            if not type_ok(v, t): errs.append("%s%s: %r is not %s" % (prefix, k, v, t))
            if isinstance(v, dict) and not t.startswith("map"): walk(v, prefix + k + ".")
            if isinstance(v, list):
                for x in v:
                    if isinstance(x, dict): walk(x, prefix + k + "[].")
    walk(doc, "")
PY

# --- inspect --json against the config ------------------------------------
"$B" inspect --json "$TMP/img" >"$TMP/insp.json" 2>"$TMP/err"
okd $? "inspect --json" cat "$TMP/err"
jq -e . "$TMP/insp.json" >/dev/null
ok $? "jq accepts inspect --json"
"$B" inspect --json "$TMP/plain" >"$TMP/plain.json" 2>"$TMP/err"
ok $? "inspect --json of an image with no labels, ports, volumes or history"

# inspect_oracle IMAGE-JSON CONFIG MANIFEST-OR-- INDEX-OR--: compare.
cat >"$TMP/inspect_oracle.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[5])
from check import load
got = load(open(sys.argv[1], "rb").read())
cfgb = open(sys.argv[2], "rb").read()
cfg = json.loads(cfgb.decode("utf-8", "surrogateescape"))
man = json.load(open(sys.argv[3])) if sys.argv[3] != "-" else None
c = cfg.get("config") or {}
errs = []
def eq(what, a, b):
    if a != b: errs.append("%s: got %r, want %r" % (what, a, b))
eq("schema", got["schema"], "ocifs-inspect/1")
g = got["config"]
eq("labels", g["labels"], c.get("Labels") or {})
eq("exposed_ports", g["exposed_ports"], list((c.get("ExposedPorts") or {}).keys()))
eq("volumes", g["volumes"], list((c.get("Volumes") or {}).keys()))
eq("stop_signal", g["stop_signal"], c.get("StopSignal"))
for k, ck in (("entrypoint", "Entrypoint"), ("cmd", "Cmd"), ("env", "Env"),
              ("workdir", "WorkingDir"), ("user", "User")):
    eq(k, g[k], c.get(ck))
eq("created", g["created"], cfg.get("created"))
diff_ids = cfg["rootfs"]["diff_ids"]
eq("layers' diff_ids", [l["diff_id"] for l in got["layers"]], diff_ids)
eq("layer numbers", [l["number"] for l in got["layers"]], list(range(1, len(diff_ids) + 1)))
if man:
    eq("layers' digests", [l["digest"] for l in got["layers"]], [l["digest"] for l in man["layers"]])
    eq("config_digest", got["config_digest"], man["config"]["digest"])
# docker history's alignment: the i-th entry that is not empty_layer made layer i
hist, n = [], 0
for h in cfg.get("history") or []:
    empty = bool(h.get("empty_layer", False))
    lay = None
    if not empty:
        lay = n + 1 if n < len(diff_ids) else None
        n += 1
    hist.append({"created": h.get("created"), "created_by": h.get("created_by"),
                 "author": h.get("author"), "comment": h.get("comment"),
                 "empty_layer": empty, "layer": lay,
                 "digest": man["layers"][lay - 1]["digest"] if lay and man else
                           got["layers"][lay - 1]["digest"] if lay else None,
                 "diff_id": diff_ids[lay - 1] if lay else None})
eq("history", got["history"], hist)
for e in errs: print(e)
sys.exit(1 if errs else 0)
PY
cfg_of() { # cfg_of OCI-DIR: the config blob path and the manifest path
	local m
	m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
	echo "$1/blobs/sha256/$(jq -r .config.digest "$1/blobs/sha256/$m" | cut -d: -f2) $1/blobs/sha256/$m"
}
read -r cfg man <<<"$(cfg_of "$TMP/img")"
python3 "$TMP/inspect_oracle.py" "$TMP/insp.json" "$cfg" "$man" - "$TMP" >"$TMP/res" 2>&1
okd $? "inspect --json equals the config: labels (raw bytes), ports, volumes, stop signal, run settings, history aligned to layers" head -20 "$TMP/res"
read -r cfg man <<<"$(cfg_of "$TMP/plain")"
python3 "$TMP/inspect_oracle.py" "$TMP/plain.json" "$cfg" "$man" - "$TMP" >"$TMP/res" 2>&1 &&
	jq -e '.config.labels == {} and .config.exposed_ports == [] and .config.volumes == [] and
		.config.stop_signal == null and .history == []' "$TMP/plain.json" >/dev/null
okd $? "inspect --json without them: {} [] [] null []" head -20 "$TMP/res"

python3 - "$TMP/insp.json" "$TMP" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[2])
from check import load
d = load(open(sys.argv[1], "rb").read())
assert os.fsencode([k for k in d["config"]["labels"] if k.startswith("bad-")][0]) == b"bad-\xff"
assert os.fsencode(d["config"]["labels"]["bad-\udcff"]) == b"v\xe2\x82"
assert os.fsencode(d["config"]["volumes"][1]) == b"/srv/\xfe"
assert os.fsencode(d["history"][3]["created_by"]) == b"RUN make \xff"
PY
ok $? "inspect --json: raw bytes of the config come back with os.fsencode"

# A skopeo-made docker-archive of umoci's image: its own config.
if need umoci skopeo && IMG=$(test_images); then
	mkdir -p "$TMP/da"
	tar -xf "$IMG/docker.tar" -C "$TMP/da" manifest.json
	c=$(jq -r '.[0].Config' "$TMP/da/manifest.json")
	tar -xf "$IMG/docker.tar" -C "$TMP/da" "$c"
	"$B" inspect --json "$IMG/docker.tar" >"$TMP/da.json" 2>"$TMP/err" &&
		python3 "$TMP/inspect_oracle.py" "$TMP/da.json" "$TMP/da/$c" - - "$TMP" >"$TMP/res" 2>&1 &&
		jq -e '[.history[] | .layer] == [null, 1, 2]' "$TMP/da.json" >/dev/null
	okd $? "docker-archive (skopeo, umoci's history with an empty_layer entry): inspect --json equals its config" \
		head -20 "$TMP/err" "$TMP/res"
fi

# --- inspect text ----------------------------------------------------------
"$B" inspect "$TMP/img" >"$TMP/insp.txt" 2>"$TMP/err"
ok $? "inspect (text)"
python3 - "$TMP/insp.txt" "$TMP/insp.json" <<'PY'
import json, re, sys
raw = open(sys.argv[1], "rb").read()
txt = raw.decode("utf-8")  # strict: escaped, no raw invalid byte
d = json.loads(open(sys.argv[2], "rb").read())
lines = txt.split("\n")
def field(label):
    i = [k for k, l in enumerate(lines) if l.startswith(label)]
    assert i, label
    out = [lines[i[0]][12:]]
    for l in lines[i[0] + 1:]:
        if not l.startswith(" " * 12): break
        out.append(l[12:])
    return out
lab = field("labels:")
def plain(s):
    return not any(0xdc80 <= ord(ch) <= 0xdcff for ch in s) and " " not in s
for k, v in d["config"]["labels"].items():
    if plain(k) and plain(v):
        assert "%s=%s" % (k, v) in lab, (k, v, lab)
assert "bad-\\377=v\\342\\202" in lab, lab  # ls -b: invalid bytes \ooo
assert "maintainer=Zoë\\ <z@example.org>" in lab, lab  # ls -b: a space escaped
assert field("ports:") == ["8080/tcp 53/udp"], field("ports:")
assert field("volumes:") == ["/var/lib/data /srv/\\376"], field("volumes:")
assert field("stopsignal:") == ["SIGQUIT"]
# history rows: layer column as docker history aligns them
i = lines.index([l for l in lines if l.startswith("history:")][0])
assert lines[i] == "history:    5 entries", lines[i]
rows = [l for l in lines[i + 2:] if l and not l.startswith("      ")]
got = [r.split()[0] for r in rows]
assert got == ["-", "1", "-", "2", "?"], got
for r, h in zip(rows, d["history"]):
    dg = h["digest"][:19] if h["layer"] else "-" if h["empty_layer"] else "?"
    assert r.split()[1] == dg, (r, dg)
    assert r.endswith(h["created_by"].replace("\udcff", "\\377")), (r, h["created_by"])
assert "      comment: buildkit.dockerfile.v0" in lines and "      author: Jane Doe" in lines
PY
okd $? "inspect text: labels, ports, volumes, stop signal, history rows aligned (- 1 - 2 ?)" cat "$TMP/insp.txt"
"$B" inspect "$TMP/plain" >"$TMP/plain.txt" &&
	grep -qx 'labels:     -' "$TMP/plain.txt" && grep -qx 'ports:      -' "$TMP/plain.txt" &&
	grep -qx 'volumes:    -' "$TMP/plain.txt" && grep -qx 'history:    -' "$TMP/plain.txt" &&
	! grep -q '^stopsignal:' "$TMP/plain.txt"
ok $? "inspect text without them: -"
# path: the file or directory, also of a skopeo name; "stdin" for a stream
[ "$("$B" inspect --json "oci:$TMP/img" | jq -r .path)" = "$TMP/img" ] &&
	[ "$(tar -C "$TMP/img" -cf - . | "$B" inspect --json - | jq -r .path)" = stdin ]
ok $? "inspect --json path: oci:DIR gives DIR, - gives stdin (as ocifs-json(5) says)"

# --- stat --json against the unpacked copy --------------------------------
python3 - "$B" "$TMP/img" "$TMP/root" "$TMP/layers" "$TMP" >"$TMP/res" 2>&1 <<'PY'
import datetime, os, subprocess, sys, tarfile
sys.path.insert(0, sys.argv[5])
from check import load, jq_ok
B, img, root, layers = sys.argv[1:5]
tars = []
for f in ("l1.tar", "l2.tar"):
    with tarfile.open(os.path.join(layers, f), encoding="utf-8", errors="surrogateescape") as t:
        tars.append({os.fsencode(m.name).rstrip(b"/"): m for m in t.getmembers()})
types = {"regular file": "regular file", "regular empty file": "regular file",
         "directory": "directory", "symbolic link": "symbolic link", "fifo": "fifo"}
bad, n = [], 0
def stat_json(p):
    r = subprocess.run([B, "stat", "--json", img, p], capture_output=True)
    if r.returncode:
        bad.append("%r: exit %d %r" % (p, r.returncode, r.stderr))
        return None
    if not jq_ok(r.stdout):
        bad.append("%r: jq rejects it" % p)
    return load(r.stdout)
rootb = os.fsencode(root)
for dp, dns, fns in os.walk(rootb):
    for name in dns + fns:
        full = os.path.join(dp, name)
        rel = b"/" + os.path.relpath(full, rootb)
        o = stat_json(rel)
        if o is None:
            continue
        n += 1
        cs = subprocess.run(["stat", "-c", "%a|%F|%s|%u|%g|%h|%Y", "--", full],
                            capture_output=True, check=True).stdout.decode().strip().split("|")
        a, F, size, uid, gid, nl, mt = cs
        def want(k, g, w):
            if g != w: bad.append("%r %s: got %r, want %r" % (rel, k, g, w))
        want("path", os.fsencode(o["path"]), rel)
        want("schema", o["schema"], "ocifs-stat/1")
        want("mode is 4 octal digits", len(o["mode"]) == 4 and set(o["mode"]) <= set("01234567"), True)
        want("mode vs stat -c %a", int(o["mode"], 8), int(a, 8))
        want("type", o["type"], types[F])
        want("uid", o["uid"], int(uid))
        want("gid", o["gid"], int(gid))
        if F != "directory":
            want("nlink", o["nlink"], int(nl))
            want("size", o["size"], int(size))
        key = rel[1:]
        layer = max((i + 1 for i, t in enumerate(tars) if key in t), default=None)
        if F == "directory" and layer:
            # the second tar -x touched the directories it wrote into
            mt = tars[layer - 1][key].mtime
        if F != "symbolic link":
            want("mtime_ns", o["mtime_ns"], int(mt) * 10**9)
            want("mtime", o["mtime"], datetime.datetime.fromtimestamp(int(mt), datetime.timezone.utc)
                 .strftime("%Y-%m-%dT%H:%M:%S") + ".000000000Z")
            want("target", o["target"], None)
        else:
            want("target", os.fsencode(o["target"]), os.readlink(full))
        want("rdev", (o["rdev_major"], o["rdev_minor"]), (None, None))
        want("layer", o["layer"], layer)
        if layer is None:
            want("layer_digest", o["layer_digest"], None)
        else:
            want("layer_digest is a digest", o["layer_digest"].startswith("sha256:"), True)
# the device, from its tar header; its directory, that no tar lists
o = stat_json(b"/dev/sda1")
m = tars[1][b"dev/sda1"]
if o and (o["type"], o["rdev_major"], o["rdev_minor"], int(o["mode"], 8), o["gid"], o["layer"]) != \
        ("block device", m.devmajor, m.devminor, m.mode, m.gid, 2):
    bad.append("dev/sda1: %r" % o)
o = stat_json(b"/dev")
if o and (o["type"], o["layer"], o["layer_digest"]) != ("directory", None, None):
    bad.append("dev (implicit): %r" % o)
print("%d paths compared" % n)
for b in bad: print(b)
sys.exit(1 if bad or n < 20 else 0)
PY
okd $? "stat --json of every path equals coreutils stat of the unpacked copy (mode = stat -c %a), bad names round-trip with os.fsencode, jq accepts all" head -20 "$TMP/res"
grep -q '"path": "/srv/bad-\\udcff"' <("$B" stat --json "$TMP/img" "$(printf '/srv/bad-\377')")
ok $? "stat --json: the byte FF of a name written \\udcff"

# --- every field documented ------------------------------------------------
"$B" stat --json "$TMP/img" /srv/link-$'\xfe' >"$TMP/st-link.json" &&
	"$B" stat --json "$TMP/img" /dev/sda1 >"$TMP/st-dev.json" &&
	"$B" stat --json "$TMP/img" /etc >"$TMP/st-dir.json"
ok $? "stat --json of a symlink, a device, a directory"
python3 - "$MAN" "$TMP" <<'PY' >"$TMP/res" 2>&1
import sys
sys.path.insert(0, sys.argv[2])
from check import load, man_fields, check_doc
T = sys.argv[2]
f = man_fields(sys.argv[1])
errs = []
for sec, files in (("INSPECT", ["insp.json", "plain.json"]),
                   ("STAT", ["st-link.json", "st-dev.json", "st-dir.json"])):
    if len(f.get(sec, {})) < 10:
        errs.append("%s: too few fields parsed from the page: %r" % (sec, f.get(sec)))
        continue
    seen = set()
    for fn in files:
        check_doc(load(open(T + "/" + fn, "rb").read()), f[sec], errs, seen)
    for p in sorted(set(f[sec]) - seen):
        errs.append("%s: documented, never seen: %s" % (sec, p))
for e in errs: print(e)
sys.exit(1 if errs else 0)
PY
okd $? "every field of inspect and stat --json documented with its type in ocifs-json(5), none missing" head -20 "$TMP/res"

# --- the other --json outputs: the schema the page names, strict UTF-8 ----
bad=$(printf '/srv/bad-\377')
"$B" diff --layer 2 --json "$TMP/img" >"$TMP/o-diff.json" 2>/dev/null
"$B" history --json "$TMP/img" "$bad" >"$TMP/o-history.json" 2>/dev/null
"$B" explain --json "$TMP/img" "$bad" >"$TMP/o-explain.json" 2>/dev/null
"$B" efficiency --json "$TMP/img" >"$TMP/o-efficiency.json" 2>/dev/null
python3 - "$MAN" "$TMP" <<'PY' >"$TMP/res" 2>&1
import os, re, sys
sys.path.insert(0, sys.argv[2])
from check import load, jq_ok
page = open(sys.argv[1], encoding="utf-8").read().replace("\\-", "-")
errs = []
for cmd in ("diff", "history", "explain", "efficiency"):
    raw = open("%s/o-%s.json" % (sys.argv[2], cmd), "rb").read()
    try:
        d = load(raw)
    except Exception as e:
        errs.append("%s: not strict UTF-8 JSON: %s" % (cmd, e))
        continue
    m = re.search(r'\.B ocifs %s -+json\n"schema": "([^"]+)"' % cmd, page)
    if not m or d.get("schema") != m.group(1):
        errs.append("%s: schema %r, page says %r" % (cmd, d.get("schema"), m and m.group(1)))
    if not jq_ok(raw):
        errs.append("%s: jq rejects it" % cmd)
eff = load(open(sys.argv[2] + "/o-efficiency.json", "rb").read())
files = [os.fsencode(f["file"]) for f in eff["image"]["fileReference"]]
if not any(f.endswith(b"srv/bad-\xff") for f in files):
    errs.append("efficiency: the rewritten bad name does not round-trip: %r" % files)
for e in errs: print(e)
sys.exit(1 if errs else 0)
PY
okd $? "diff, history, explain, efficiency --json: the schema ocifs-json(5) names, strict UTF-8, bad name round-trips in efficiency" head -20 "$TMP/res"

done_testing
