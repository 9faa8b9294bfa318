#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mklayers.py OUTDIR: hand-written layer tars for the merged-view rules.

Writes OUTDIR/<case>/L1.tar, L2.tar, ... for each case below; each case is
then packed as an image (tests/lib.sh mkoci) and its mount compared with
`umoci unpack`. Entries are written in exactly the order listed, so odd
orders (a whiteout after the entry it names, an opaque marker after the
dir's new children) are tested as such.
"""
import io, os, sys, tarfile

T0 = 1600000000

def f(name, data=b'', mode=0o644, **kw):
    return ('f', name, data, mode, kw)
def d(name, mode=0o755, **kw):
    return ('d', name, None, mode, kw)
def sym(name, target, **kw):
    return ('l', name, target, 0o777, kw)
def hard(name, target, **kw):
    return ('h', name, target, 0o644, kw)
def wh(name):
    head, _, tail = name.rpartition('/')
    return ('f', (head + '/' if head else '') + '.wh.' + tail, b'', 0o644, {})
def opq(dirname):
    return ('f', dirname.rstrip('/') + '/.wh..wh..opq', b'', 0o644, {})
def dev(name, kind, major, minor):
    return (kind, name, (major, minor), 0o600, {})

CASES = {
    # opaque dir: lower children hidden, this layer's stay (marker last)
    'opaque': [
        [d('a'), f('a/x', b'x1'), d('a/sub'), f('a/sub/y', b'y1'), f('b', b'b1')],
        [d('a', mode=0o750), f('a/z', b'z2'), opq('a')],
        [f('a/w', b'w3')],
    ],
    # whiteouts: file, dir subtree, missing name, whiteout listed after
    # the entry it names in the same layer (it must not hide it)
    'whiteouts': [
        [d('c'), f('c/d', b'd1'), f('c/e', b'e1'), d('t'), d('t/u'), f('t/u/v', b'v1'),
         f('keep', b'k1')],
        [f('c/d', b'd2'), wh('c/d'), wh('c/e'), wh('t'), wh('nothing-here')],
        [d('t'), f('t/new', b'n3')],
    ],
    # file <-> dir replacement across layers, implicit parents
    'replace': [
        [d('fd'), f('fd/in', b'in1'), f('df', b'df1'), f('deep/er/est/file', b'deep1')],
        [f('fd', b'now a file'), d('df'), f('df/child', b'c2')],
        [d('fd'), f('fd/again', b'again3')],
    ],
    # last entry wins inside a layer; root entry metadata
    'lastwins': [
        [d('.', mode=0o711), f('dup', b'first'), f('dup', b'second', mode=0o600),
         d('x'), f('x', b'x is a file now')],
    ],
    # hardlink groups, and a later layer breaking one name out
    'hardlinks': [
        [d('h'), f('h/one', b'shared', mode=0o640), hard('h/two', 'h/one'), hard('h/three', 'h/one'),
         f('solo', b'solo')],
        [f('h/two', b'broken out')],
    ],
    # a whiteout whose parent is a file in the same layer (umoci does this)
    'whparentfile': [
        [d('p'), f('p/q', b'q1'), f('p/r', b'r1')],
        [f('p', b'p is a file'), wh('p/q')],
    ],
    # symlinks verbatim, special files, modes, owners, mtimes
    'special': [
        [d('bin'), f('bin/tool', b'#!/bin/sh\n', mode=0o4755, uid=1000, gid=2000),
         sym('abs', '/bin/tool'), sym('rel', 'bin/tool'), sym('dangling', '../nowhere/at/all'),
         d('tmp', mode=0o1777), f('big-ids', b'ids', uid=4000000, gid=4000001),
         dev('null', 'c', 1, 3), dev('loop0', 'b', 7, 0), ('p', 'fifo', None, 0o644, {})],
        [wh('dangling'), sym('dangling', 'now/somewhere')],
    ],
    # reserved names are never shown; plnk-style metadata ignored
    'reserved': [
        [d('r'), f('r/a', b'a1')],
        [f('r/.wh..wh..plnk', b''), f('r/b', b'b2')],
    ],
    # xattrs via PAX SCHILY.xattr
    'xattrs': [
        [f('xa', b'with xattrs', xattrs={'user.ocifs': 'yes', 'user.bin': '\x01\x02'}),
         d('xd', xattrs={'user.dir': 'd'})],
        [f('xa', b'replaced, no xattrs')],
    ],
}

def member(e, order, mtime=None):
    """The tar member of entry e, the order-th of the image: dated T0 +
    order unless mtime is given."""
    kind, name, data, mode, kw = e
    ti = tarfile.TarInfo(name)
    ti.mode = mode
    ti.uid = kw.get('uid', 0)
    ti.gid = kw.get('gid', 0)
    ti.mtime = T0 + order if mtime is None else mtime
    ti.uname = ti.gname = ''
    body = None
    if kind == 'f':
        ti.type = tarfile.REGTYPE
        ti.size = len(data)
        body = io.BytesIO(data)
    elif kind == 'd':
        ti.type = tarfile.DIRTYPE
    elif kind == 'l':
        ti.type = tarfile.SYMTYPE
        ti.linkname = data
    elif kind == 'h':
        ti.type = tarfile.LNKTYPE
        ti.linkname = data
    elif kind in 'cb':
        ti.type = tarfile.CHRTYPE if kind == 'c' else tarfile.BLKTYPE
        ti.devmajor, ti.devminor = data
    elif kind == 'p':
        ti.type = tarfile.FIFOTYPE
    if 'xattrs' in kw:
        ti.pax_headers = {'SCHILY.xattr.' + k: v for k, v in kw['xattrs'].items()}
    return ti, body

def main():
    out = sys.argv[1]
    for case, layers in CASES.items():
        os.makedirs(os.path.join(out, case), exist_ok=True)
        n = 0
        for i, entries in enumerate(layers, 1):
            path = os.path.join(out, case, 'L%d.tar' % i)
            with tarfile.open(path, 'w', format=tarfile.PAX_FORMAT) as t:
                for e in entries:
                    n += 1
                    ti, body = member(e, n)
                    t.addfile(ti, body)
    print('\n'.join(sorted(CASES)))

if __name__ == "__main__":
    main()
