#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkmanylayers.py OUTDIR N: an OCI layout with N tiny gzip layers.

Layer i (1-based) holds d/f<i> ("layer <i>\\n") and overwrites d/top
("top <i>\\n"), so the merged view has N+1 files in d/ and d/top comes
from the last layer. Written directly (no umoci): N = 1000 takes well
under a second. Used by tests/cli/t10-cache-hostile.sh to check that
open files stay bounded whatever the number of layers.
"""
import gzip, hashlib, io, json, os, sys, tarfile

T0 = 1600000000


def tar_bytes(i):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo('d')
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, T0
        t.addfile(d)
        for name, data in (('d/f%d' % i, b'layer %d\n' % i), ('d/top', b'top %d\n' % i)):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, T0
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def put(blobs, data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, h), 'wb') as f:
        f.write(data)
    return 'sha256:' + h


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    blobs = os.path.join(out, 'blobs', 'sha256')
    os.makedirs(blobs, exist_ok=True)
    layers, diffs = [], []
    for i in range(1, n + 1):
        raw = tar_bytes(i)
        gz = gzip.compress(raw, mtime=0)
        layers.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip',
                       'digest': put(blobs, gz), 'size': len(gz)})
        diffs.append('sha256:' + hashlib.sha256(raw).hexdigest())
    arch = os.environ.get('ARCH', 'amd64')
    cfg = json.dumps({'architecture': arch, 'os': 'linux',
                      'config': {'Env': ['PATH=/usr/bin:/bin']},
                      'rootfs': {'type': 'layers', 'diff_ids': diffs}}).encode()
    man = json.dumps({'schemaVersion': 2,
                      'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                      'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                                 'digest': put(blobs, cfg), 'size': len(cfg)},
                      'layers': layers}).encode()
    idx = {'schemaVersion': 2, 'manifests': [{
        'mediaType': 'application/vnd.oci.image.manifest.v1+json',
        'digest': put(blobs, man), 'size': len(man)}]}
    with open(os.path.join(out, 'index.json'), 'w') as f:
        json.dump(idx, f)
    with open(os.path.join(out, 'oci-layout'), 'w') as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


main()
