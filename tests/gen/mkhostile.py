#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkhostile.py OUTDIR ARCH: hostile images for tests/cli/t11-image-hostile.sh.

Each was once slow, huge or wrong to open (issue #9); all are generated
here, at test time, from one small layer whose only file is f = "hello\\n".

  tags.tar      docker-archive: one image with 300,000 RepoTags (plus 1000
                repeats), a second image tagged "other:1"
  missing/      OCI layout: 190,000 manifests whose blobs are missing (in two
                nested indexes of 95,000), and one real image, ref "real"
  nest3/ nest4/ OCI layout: index.json lists index I1 100 times, I1 lists I2
                100 times, ... the last lists the one manifest 100 times
                (3 and 4 levels of nested indexes: 100^4 and 100^5 paths)
  wide/         OCI layout: index.json lists I1 3000 times, I1 lists the
                manifest 100 times: 300,000 descriptors, over the walk limit
  deep/         OCI layout: 9 nested indexes, one entry each
  mtime/        OCI layout: a layer whose files have mtimes INT64_MAX (max),
                INT64_MIN (min) and -1 (neg) seconds (GNU base-256 fields)
"""
import hashlib, io, json, os, sys, tarfile

OUT, ARCH = sys.argv[1], sys.argv[2]
MT_INDEX = 'application/vnd.oci.image.index.v1+json'
MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
MT_CONFIG = 'application/vnd.oci.image.config.v1+json'
MT_LAYER = 'application/vnd.oci.image.layer.v1.tar'


def sha(b):
    return hashlib.sha256(b).hexdigest()


def layer_tar(members):
    """members: (name, data, mtime) -> tar bytes (GNU: big mtimes fit)."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=tarfile.GNU_FORMAT) as t:
        for name, data, mtime in members:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), mtime, 0o644
            t.addfile(ti, io.BytesIO(data))
    return bio.getvalue()


class Layout:
    """An OCI layout directory being written."""

    def __init__(self, name):
        self.dir = os.path.join(OUT, name)
        os.makedirs(os.path.join(self.dir, 'blobs', 'sha256'), exist_ok=True)
        with open(os.path.join(self.dir, 'oci-layout'), 'w') as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, b):
        d = sha(b)
        with open(os.path.join(self.dir, 'blobs', 'sha256', d), 'wb') as f:
            f.write(b)
        return 'sha256:' + d

    def image(self, layer):
        """Write layer, config and manifest; return the manifest descriptor."""
        cfg = json.dumps({'architecture': ARCH, 'os': 'linux',
                          'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + sha(layer)]}}).encode()
        man = json.dumps({'schemaVersion': 2, 'mediaType': MT_MANIFEST,
                          'config': {'mediaType': MT_CONFIG, 'digest': self.blob(cfg), 'size': len(cfg)},
                          'layers': [{'mediaType': MT_LAYER, 'digest': self.blob(layer),
                                      'size': len(layer)}]}).encode()
        return {'mediaType': MT_MANIFEST, 'digest': self.blob(man), 'size': len(man)}

    def index(self, descs, top=False):
        b = json.dumps({'schemaVersion': 2, 'mediaType': MT_INDEX, 'manifests': descs},
                       separators=(',', ':')).encode()
        if top:
            with open(os.path.join(self.dir, 'index.json'), 'wb') as f:
                f.write(b)
            return None
        return {'mediaType': MT_INDEX, 'digest': self.blob(b), 'size': len(b)}


HELLO = layer_tar([('f', b'hello\n', 1600000000)])


def nested(name, levels, times=100):
    lay = Layout(name)
    d = lay.image(HELLO)
    for _ in range(levels):
        d = lay.index([d] * times)
    lay.index([d] * times, top=True)


def main():
    os.makedirs(OUT, exist_ok=True)

    # docker-archive with 300k RepoTags
    cfg = json.dumps({'architecture': ARCH, 'os': 'linux',
                      'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + sha(HELLO)]}}).encode()
    tags = ['reg.example/app:t%d' % i for i in range(300000)]
    man = [{'Config': sha(cfg) + '.json', 'RepoTags': tags + tags[:1000],
            'Layers': ['l/layer.tar']},
           {'Config': sha(cfg) + '.json', 'RepoTags': ['other:1'], 'Layers': ['l/layer.tar']}]
    with tarfile.open(os.path.join(OUT, 'tags.tar'), 'w') as t:
        for name, data in (('manifest.json', json.dumps(man).encode()),
                           (sha(cfg) + '.json', cfg), ('l/layer.tar', HELLO)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))

    # 190k missing manifests, and one real image
    lay = Layout('missing')
    tops = []
    for half in range(2):
        descs = [{'mediaType': MT_MANIFEST, 'size': 500,
                  'digest': 'sha256:' + sha(b'missing %d %d' % (half, i))} for i in range(95000)]
        tops.append(lay.index(descs))
    real = lay.image(HELLO)
    real['annotations'] = {'org.opencontainers.image.ref.name': 'real'}
    lay.index(tops + [real], top=True)

    nested('nest3', 3)
    nested('nest4', 4)

    lay = Layout('wide')
    lay.index([lay.index([lay.image(HELLO)] * 100)] * 3000, top=True)

    nested('deep', 9, times=1)

    lay = Layout('mtime')
    lay.index([lay.image(layer_tar([('max', b'x', 2**63 - 1), ('min', b'y', -2**63),
                                    ('neg', b'z', -1)]))], top=True)


main()
