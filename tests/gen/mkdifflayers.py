#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkdifflayers.py OUTDIR: the layers of t21/t22's forensics image.

Writes OUTDIR/L1.tar, L2.tar, L3.tar (plain tars; the test compresses
L2 with gzip and L3 with zstd) and OUTDIR/history.json (one created_by a
layer). Every kind of change `ocifs diff --layer N` names happens in
some layer: added files, dirs, symlinks, a hardlink (to a file of the
same layer and to one of a lower layer); content-, mode-, owner-, xattr-
and mtime-only changes; a symlink retargeted; a device's numbers; a
whiteout of a file and of a directory; an opaque directory with a child
kept and one re-added; a directory replaced by a file and a file by a
directory; a whiteout of a directory re-created in the same layer.
Every parent is listed, so `umoci unpack` dates every directory from
the tar (no implicit parents).
"""
import json, os, sys, tarfile

# the entry constructors are mklayers.py's (the view rules' generator)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mklayers  # noqa: E402
from mklayers import T0, f, d, sym, hard, wh, opq  # noqa: E402


def dev(name, major, minor):
    return mklayers.dev(name, 'c', major, minor)


BIG = bytes(range(256)) * 400  # 102400 bytes

LAYERS = [
    ('RUN debootstrap-ish base', [
        d('etc'), f('etc/passwd', b'root:x:0:0:root:/root:/bin/sh\n'), f('etc/group', b'root:x:0:\n'),
        f('etc/hosts', b'127.0.0.1 localhost\n'),
        d('usr'), d('usr/bin'), f('usr/bin/tool', b'tool version 1\n', mode=0o755),
        f('usr/bin/ownme', b'own me\n'), f('usr/bin/grpme', b'group me\n'),
        f('usr/bin/modeme', b'mode me\n'),
        f('usr/bin/xattrme', b'xattr me\n'), f('usr/bin/touchme', b'touch me\n'),
        d('gone'), f('gone/a', b'aaaa'), d('gone/sub'), f('gone/sub/b', b'bbbbbbbb'),
        f('gonefile', b'this file goes\n'),
        d('op'), f('op/a', b'op a\n'), f('op/b', b'op b\n', mtime=T0 + 500), d('op/sub'),
        f('op/sub/c', b'op c\n'),
        d('d2f'), f('d2f/x', b'x' * 10), d('d2f/y'), f('d2f/y/z', b'z' * 20),
        f('f2d', b'a file first\n'),
        sym('link1', 'etc/passwd'),
        d('dev'), dev('dev/null', 1, 3),
        f('big', BIG),
        d('name with space'), f('name with space/caf\xe9 \u2603', b'unicode\n'),
    ]),
    ('RUN edit /etc and friends', [
        d('etc', mtime=T0 + 1000),
        f('etc/passwd', b'root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000::/home/user:/bin/sh\n'),
        d('usr'), d('usr/bin'),
        f('usr/bin/modeme', b'mode me\n', mode=0o700, mtime_of='usr/bin/modeme'),
        f('usr/bin/ownme', b'own me\n', uid=1000, gid=1000, mtime_of='usr/bin/ownme'),
        f('usr/bin/grpme', b'group me\n', gid=50, mtime_of='usr/bin/grpme'),  # gid alone
        f('usr/bin/xattrme', b'xattr me\n', xattrs={'user.note': 'set'}, mtime_of='usr/bin/xattrme'),
        f('usr/bin/touchme', b'touch me\n', mtime=T0 + 99999),
        wh('gone'), wh('gonefile'),
        d('op', mtime_of='op'), opq('op'), f('op/b', b'op b\n', mtime=T0 + 500), f('op/new', b'new in op\n'),
        f('d2f', b'now a file\n'),
        d('f2d'), f('f2d/inner', b'inside\n'),
        d('hard'), f('hard/orig', b'hardlinked bytes\n'), hard('hard/link', 'hard/orig'),
        sym('link1', 'etc/group'),
    ]),
    ('RUN upgrade tool; rm /etc/hosts', [
        d('etc', mtime_of='etc'), wh('etc/hosts'),
        d('usr', mtime_of='usr'), d('usr/bin', mtime_of='usr/bin'),
        f('usr/bin/tool', b'tool version 2\n', mode=0o755),
        wh('op'), d('op'), f('op/again', b'again\n'),
        d('dev', mtime_of='dev'), dev('dev/null', 1, 5),
        d('hard', mtime_of='hard'), hard('hard/link2', 'hard/orig'),
        f('big', BIG[:-1] + b'\x00', mtime_of='big'),  # same size, other bytes
    ]),
]


def member(e, order, first_mtime):
    """mklayers.py's member, with the mtime a version needs: given, the
    same as the path's first version (mtime_of: so only other attributes
    change), or T0 + order."""
    name, kw = e[1], e[4]
    if 'mtime' in kw:
        mtime = kw['mtime']
    elif 'mtime_of' in kw:
        mtime = first_mtime[kw['mtime_of']]
    else:
        mtime = T0 + order
    first_mtime.setdefault(name, mtime)
    return mklayers.member(e, order, mtime)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    first_mtime = {}
    for i, (_, entries) in enumerate(LAYERS, 1):
        with tarfile.open(os.path.join(out, 'L%d.tar' % i), 'w', format=tarfile.PAX_FORMAT) as t:
            for e in entries:
                n += 1
                ti, body = member(e, n, first_mtime)
                t.addfile(ti, body)
    with open(os.path.join(out, 'history.json'), 'w') as h:
        json.dump([{'created_by': c} for c, _ in LAYERS], h)


main()
