#!/bin/sh
# SPDX-License-Identifier: MIT
# Build ELF files with embedded package metadata for
# tests/unit/test_rustaudit.c into OUTDIR, with the real tools:
#  - cargo-auditable's .dep-v0: cargo-auditable itself cannot be installed
#    here (not in Debian 12, no crates.io), so the section is made the way
#    it makes it: zlib-compressed compact JSON in auditable-serde's field
#    order, in a non-alloc PROGBITS section named .dep-v0 -- linked into a
#    real rustc binary from an object file (cargo-auditable passes such an
#    object to the linker), and added to gcc binaries with objcopy, the
#    hostile variants too (truncated, zip bomb, not zlib, bad JSON, wrong
#    types, index out of range, cycles, two roots, not UTF-8);
#  - the FDO .note.package: GNU ld's --package-metadata (binutils >= 2.39),
#    a copy without section headers (PT_NOTE only), and hand-made notes
#    added with objcopy (bad JSON, not an object, non-string value).
# Also the two oracles the test runs: rust-oracle.py (objcopy
# --dump-section + python's zlib and json, with auditable-serde's
# validation) and note-oracle.py (readelf -n + python's json).
set -u
out=${1:?usage: mkrustaudit.sh OUTDIR}
mkdir -p "$out" || exit 1
cd "$out" || exit 1
for t in gcc objcopy readelf python3; do
	command -v $t >/dev/null 2>&1 || { echo "mkrustaudit: no $t" >&2; exit 1; }
done
try() { "$@" 2>/dev/null || echo "mkrustaudit: failed: $*" >&2; }

echo 'int main(void) { return 0; }' >base.c
gcc -O2 -o base base.c || exit 1

# Payloads. "good" follows the shape of real cargo-auditable output
# (rust-audit-info of a Debian/Ubuntu binary): name, version, source,
# then kind/dependencies/root only when not default.
python3 - <<'PY' || exit 1
import json, random, zlib
def z(obj_or_bytes, level=9):
    b = obj_or_bytes if isinstance(obj_or_bytes, bytes) else \
        json.dumps(obj_or_bytes, separators=(',', ':')).encode()
    return zlib.compress(b, level)
def pkg(name, ver, src='crates.io', kind=None, deps=None, root=False):
    p = {'name': name, 'version': ver, 'source': src}
    if kind: p['kind'] = kind
    if deps: p['dependencies'] = deps
    if root: p['root'] = True
    return p
good = {'packages': [
    pkg('adler', '1.0.2'),
    pkg('aho-corasick', '1.1.4', deps=[4]),
    pkg('anyhow', '1.0.101', kind='build'),
    pkg('hello', '0.1.0', src='local', deps=[0, 1, 2, 4, 5], root=True),
    pkg('memchr', '2.7.4'),
    pkg('mygit', '0.3.0', src='git'),
]}
rng = random.Random(7)
big = {'format': 1, 'packages': []}
for i in range(6000):
    deps = sorted(set(rng.randrange(i + 1, 6000) for _ in range(rng.randint(0, 3)))) if i < 5999 else []
    big['packages'].append(pkg('crate-%08x' % rng.getrandbits(32), '%d.%d.%d' % (i % 7, i % 13, i),
                               deps=deps, root=(i == 0)))
pay = {
    'good': z(good), 'big': z(big, 1), 'min': z({'packages': []}),
    'trunc': z(good)[:40], 'empty': b'', 'garbage': bytes(rng.getrandbits(8) for _ in range(300)),
    'bomb': z(b'{"packages":[],"pad":"' + b' ' * (64 << 20) + b'"}'),
    'badjson': z(b'{"packages":[{"name":"a",'),
    'trailing': z(b'{"packages":[]} x'),
    'notobj': z(b'[1,2]'),
    'nopkgs': z({'pkgs': []}),
    'wrongtype': z({'packages': [pkg('a', '1.0.0'), {'name': 1, 'version': '1', 'source': 'local'}]}),
    'badkind': z({'packages': [pkg('a', '1.0.0', kind='dev')]}),
    'baddeps': z({'packages': [pkg('a', '1.0.0', deps=[1]), {'name': 'b', 'version': '1', 'source': 'x', 'dependencies': ['0']}]}),
    'range': z({'packages': [pkg('a', '1.0.0', deps=[0 + 1]), pkg('b', '1.0.0', deps=[7])]}),
    'negative': z({'packages': [pkg('a', '1.0.0', deps=[-1])]}),
    'cycle': z({'packages': [pkg('a', '1.0.0', deps=[1], root=True), pkg('b', '2.0.0', deps=[2]), pkg('c', '3.0.0', deps=[0])]}),
    'selfdep': z({'packages': [pkg('a', '1.0.0', deps=[0])]}),
    'roots2': z({'packages': [pkg('a', '1.0.0', root=True), pkg('b', '1.0.0', root=True)]}),
    'notutf8': z(b'{"packages":[{"name":"\xff\xfe","version":"1","source":"local"}]}'),
    'deep': z(b'{"packages":[],"x":' + b'[' * 100 + b']' * 100 + b'}'),
}
for k, v in pay.items():
    open('pay-%s.z' % k, 'wb').write(v)
open('payloads', 'w').write('\n'.join(pay) + '\n')
PY
for k in $(cat payloads); do
	try objcopy --add-section .dep-v0="pay-$k.z" base "dep-$k"
done

# A real Rust binary with the section linked in from an object file.
if command -v rustc >/dev/null 2>&1 && command -v as >/dev/null 2>&1; then
	printf '.section .dep-v0,"",@progbits\n.incbin "pay-good.z"\n' >dep.s
	echo 'fn main() { println!("hello"); }' >hello.rs
	as -o dep.o dep.s && try rustc -O -o rust-good hello.rs -C link-arg="$PWD/dep.o"
	try rustc -O -o rust-plain hello.rs
else
	echo "mkrustaudit: no rustc, rust-good skipped" >&2
fi

# Package notes: GNU ld writes them.
meta='{"type":"deb","name":"hello","version":"1.2-3","architecture":"amd64","osCpe":"cpe:/o:debian:debian_linux:12","debugInfoUrl":"https://debuginfod.debian.net"}'
gcc -O2 -o note-ld base.c -Xlinker --package-metadata="$meta" 2>/dev/null ||
	echo "mkrustaudit: ld has no --package-metadata" >&2
if [ -f note-ld ]; then
	python3 - note-ld note-noshdr <<'PY' || exit 1
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<Q', b, 0x28, 0)
struct.pack_into('<HHH', b, 0x3a, 0, 0, 0)
open(sys.argv[2], 'wb').write(b)
PY
fi
python3 - <<'PY' || exit 1
import struct
def note(desc, name=b'FDO\0', ntype=0xcafe1a7e, descsz=None):
    pad = lambda b: b + b'\0' * (-len(b) % 4)
    d = desc + b'\0'
    return struct.pack('<III', len(name), len(d) if descsz is None else descsz, ntype) + pad(name) + pad(d)
notes = {
    'utf8': note('{"type":"rpm","name":"caf\u00e9","version":"0.1","architecture":"x86_64","osCpe":"cpe:/o:fedoraproject:fedora:40","extra":[1,2.5,null]}'.encode()),
    'badjson': note(b'{"type":"deb","name":'),
    'notobj': note(b'["deb"]'),
    'numver': note(b'{"type":"deb","name":"x","version":12}'),
    'trailing': note(b'{"type":"deb"} {}'),
    'past': note(b'{"type":"deb"}', descsz=4096),
    'othertype': note(b'{"type":"deb"}', ntype=1),
    'second': note(b'hello', name=b'GNU\0', ntype=3) + note(b'{"name":"second"}'),
}
for k, v in notes.items():
    open('note-%s.bin' % k, 'wb').write(v)
open('notes', 'w').write('\n'.join(notes) + '\n')
PY
for k in $(cat notes); do
	try objcopy --add-section .note.package="note-$k.bin" base "note-$k"
done

cat >rust-oracle.py <<'PY'
# Decode .dep-v0 of argv[1] as cargo-auditable's docs say (PARSING.md):
# objcopy --dump-section, zlib with an 8 MiB output cap, JSON; then
# auditable-serde's types and validation. Prints "none", or "error CLASS"
# and/or "ok N" followed by one line per package.
import json, os, subprocess, sys, tempfile, zlib
f = sys.argv[1]
secs = subprocess.run(['readelf', '-S', '-W', f], capture_output=True, text=True).stdout
if ' .dep-v0 ' not in secs:
    print('none'); sys.exit(0)
fd, tmp = tempfile.mkstemp()
os.close(fd)
r = subprocess.run(['objcopy', '--dump-section', '.dep-v0=' + tmp, f, os.devnull],
                   stderr=subprocess.DEVNULL)
data = open(tmp, 'rb').read()
os.unlink(tmp)
if r.returncode:
    print('none'); sys.exit(0)
def out(pk):
    # after an error in package k, packages 0..k-1 with deps cut to those
    print('ok %d' % len(pk))
    for p in pk:
        print('P\t%s\t%s\t%s\t%s\t%d\t%s' % (p['name'], p['version'], p['source'],
              p.get('kind', 'runtime'), 1 if p.get('root') else 0,
              ','.join(str(d) for d in p.get('dependencies', []) if d < len(pk))))
try:
    d = zlib.decompressobj()
    text = d.decompress(data, 8 << 20)
    if d.unconsumed_tail: print('error bomb'); sys.exit(0)
    if not d.eof: print('error zlib'); sys.exit(0)
except zlib.error:
    print('error zlib'); sys.exit(0)
try:
    v = json.loads(text.decode('utf-8'))
except (ValueError, RecursionError):
    print('error json'); sys.exit(0)
if not isinstance(v, dict) or not isinstance(v.get('packages'), list):
    print('error type'); sys.exit(0)
pk = v['packages']
good = []
for p in pk:
    ok = isinstance(p, dict) and all(isinstance(p.get(k), str) for k in ('name', 'version', 'source'))
    ok = ok and p.get('kind', 'runtime') in ('runtime', 'build') and isinstance(p.get('root', False), bool)
    deps = p.get('dependencies', []) if ok else None
    ok = ok and isinstance(deps, list) and all(type(x) is int for x in deps)
    if ok and any(x < 0 or x >= len(pk) for x in deps):
        print('error range'); out(good); sys.exit(0)
    if not ok:
        print('error type'); out(good); sys.exit(0)
    good.append(p)
if sum(1 for p in pk if p.get('root')) > 1:
    print('error roots'); out(pk); sys.exit(0)
indeg = [0] * len(pk)
for p in pk:
    for x in p.get('dependencies', []): indeg[x] += 1
# Kahn over dep -> dependent edges, like auditable-serde's topological sort
succ = [[] for _ in pk]
for i, p in enumerate(pk):
    for x in p.get('dependencies', []): succ[x].append(i)
cnt = [len(p.get('dependencies', [])) for p in pk]
q = [i for i in range(len(pk)) if cnt[i] == 0]
seen = 0
while q:
    i = q.pop(); seen += 1
    for j in succ[i]:
        cnt[j] -= 1
        if cnt[j] == 0: q.append(j)
if seen != len(pk):
    print('error cycle')
out(pk)
PY

cat >note-oracle.py <<'PY'
# argv[1]: the ELF file, argv[2]: our JSON text (a file; may be empty).
# readelf -n decodes FDO_PACKAGING_METADATA notes; print "none",
# "invalid", or "valid SAME|DIFFER" then the five fields as key=value.
import json, subprocess, sys
r = subprocess.run(['readelf', '-n', '-W', sys.argv[1]], capture_output=True, text=True, errors='surrogateescape')
txt = None
for line in r.stdout.splitlines():
    k = line.find('Packaging Metadata: ')
    if k >= 0:
        txt = line[k + len('Packaging Metadata: '):]
        break
if txt is None:
    print('none'); sys.exit(0)
try:
    v = json.loads(txt)
    if not isinstance(v, dict): raise ValueError
except ValueError:
    print('invalid'); sys.exit(0)
ours = open(sys.argv[2], encoding='utf-8').read()
try:
    same = json.loads(ours) == v
except ValueError:
    same = False
print('valid', 'SAME' if same else 'DIFFER')
for k in ('type', 'name', 'version', 'architecture', 'osCpe'):
    x = v.get(k)
    print('%s=%s' % (k, x if isinstance(x, str) else ('<absent>' if x is None else '<nonstring>')))
PY
exit 0
