#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""difftrees.py OLD NEW GOT.json [--collapse-added] [--layer-tar TAR] [--layer N]

The oracle of `ocifs diff`: compares two unpacked trees (OLD may be "-",
the empty tree) path by path with lstat, sha256 of the bytes, readlink
and listxattr, and checks that GOT.json (the output of `ocifs diff
--json`) holds exactly that change set, in depth-first path order, with
the same attributes and summary. Rules (man ocifs, diff):
  - a path on both sides: "type" alone when the type differs; else each
    of content (regular: size or sha256; symlink: target; device:
    numbers), mode, owner, xattrs; "mtime" only when nothing else differs;
  - a removed directory is one change (size: the regular files' bytes
    under it); with --collapse-added an added one too;
  - with --layer-tar (the layer's own tar), why each removed path went:
    a whiteout of it or of a parent in that tar, else an opaque marker in
    a parent, else a parent the layer made a non-directory ("replaced");
    with --layer N, every added or modified path's new.layer is N (but
    for hardlinked files, whose bytes may come from a lower layer).
The root itself is not compared. Prints one line, "ok N changes" or the
first differences; exit status 0 when they agree.
"""
import hashlib, json, os, stat, sys, tarfile


def scan(root):
    """path (relative, str) -> attributes, and regular-file bytes under dirs."""
    tree = {}
    if root == '-':
        return tree
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            m = st.st_mode
            a = {'st': st, 'type': 'dir' if stat.S_ISDIR(m) else 'symlink' if stat.S_ISLNK(m)
                 else 'file' if stat.S_ISREG(m) else 'char' if stat.S_ISCHR(m)
                 else 'block' if stat.S_ISBLK(m) else 'fifo' if stat.S_ISFIFO(m) else 'socket',
                 'mode': stat.S_IMODE(m), 'uid': st.st_uid, 'gid': st.st_gid,
                 'mtime': st.st_mtime_ns, 'size': 0, 'sha256': None, 'link': None,
                 'rdev': st.st_rdev if stat.S_ISCHR(m) or stat.S_ISBLK(m) else None,
                 'nlink': st.st_nlink, 'xattrs': {}}
            if a['type'] == 'file':
                a['size'] = st.st_size
                h = hashlib.sha256()
                with open(p, 'rb') as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b''):
                        h.update(chunk)
                a['sha256'] = h.hexdigest()
            elif a['type'] == 'symlink':
                a['link'] = os.readlink(p)
            if a['type'] != 'symlink':
                for k in os.listxattr(p, follow_symlinks=False):
                    if k.startswith(('user.', 'security.', 'trusted.')):
                        a['xattrs'][k] = os.getxattr(p, k, follow_symlinks=False)
            tree[rel] = a
    # bytes of regular files under each directory (every name counts)
    for rel, a in tree.items():
        if a['type'] == 'file':
            parent = os.path.dirname(rel)
            while parent:
                tree[parent]['size'] += a['size']
                parent = os.path.dirname(parent)
    return tree


def what(o, n):
    if o['type'] != n['type']:
        return ['type']
    w = []
    if (o['type'] == 'file' and (o['size'] != n['size'] or o['sha256'] != n['sha256'])) or \
            (o['type'] == 'symlink' and o['link'] != n['link']) or \
            (o['type'] in ('char', 'block') and o['rdev'] != n['rdev']):
        w.append('content')
    if o['mode'] != n['mode']:
        w.append('mode')
    if (o['uid'], o['gid']) != (n['uid'], n['gid']):
        w.append('owner')
    if o['xattrs'] != n['xattrs']:
        w.append('xattrs')
    if not w and o['mtime'] != n['mtime']:
        w = ['mtime']
    return w


def layer_members(path):
    """Normalized member name -> last member of the layer tar."""
    out = {}
    with tarfile.open(path, errors='surrogateescape') as t:
        for m in t:
            n = m.name
            while n.startswith('./'):
                n = n[2:]
            n = n.strip('/')
            out[n] = m
    return out


def reason(rel, layer, new):
    parts = rel.split('/')
    for k in range(len(parts), 0, -1):  # whiteout of it or of a parent
        mk = '/'.join(parts[:k - 1] + ['.wh.' + parts[k - 1]])
        if mk in layer:
            return 'whiteout', '/' + mk
    for k in range(len(parts) - 1, -1, -1):  # opaque parent, nearest first
        mk = '/'.join(parts[:k] + ['.wh..wh..opq'])
        if mk in layer:
            return 'opaque', '/' + mk
    for k in range(len(parts) - 1, 0, -1):  # a parent made a non-directory
        anc = '/'.join(parts[:k])
        if (anc in new and new[anc]['type'] != 'dir') or (anc in layer and not layer[anc].isdir()):
            return 'replaced', '/' + anc
    return 'replaced', None


def side(a):
    if a is None:
        return None
    return {'type': a['type'], 'mode': '%04o' % a['mode'], 'uid': a['uid'], 'gid': a['gid'],
            'size': a['size'], 'sha256': a['sha256'], 'link': a['link']}


def key(rel):
    return [os.fsencode(c) for c in rel.split('/')]


def main():
    args = [a for a in sys.argv[1:]]
    collapse = '--collapse-added' in args
    layer_tar = args[args.index('--layer-tar') + 1] if '--layer-tar' in args else None
    layer_n = int(args[args.index('--layer') + 1]) if '--layer' in args else None
    old, new = scan(args[0]), scan(args[1])
    got = json.load(open(args[2]))
    layer = layer_members(layer_tar) if layer_tar else None
    want = []
    for rel in sorted(set(old) | set(new), key=key):
        o, n = old.get(rel), new.get(rel)
        parent = os.path.dirname(rel)
        if o and not n:
            if parent and parent in old and parent not in new:
                continue
            c = {'kind': 'removed', 'path': '/' + rel, 'what': [], 'marker': None}
            if layer is not None:
                r, mk = reason(rel, layer, new)
                c['what'], c['marker'] = [r], mk
        elif n and not o:
            if collapse and parent and parent in new and parent not in old:
                continue
            c = {'kind': 'added', 'path': '/' + rel, 'what': [], 'marker': None}
        else:
            w = what(o, n)
            if not w:
                continue
            c = {'kind': 'modified', 'path': '/' + rel, 'what': w, 'marker': None}
        c['old'], c['new'] = side(o), side(n)
        want.append(c)
    errs = []
    gch = []
    for c in got['changes']:
        g = {k: c[k] for k in ('kind', 'path', 'what', 'marker')}
        for s in ('old', 'new'):
            g[s] = None if c[s] is None else {k: c[s][k] for k in
                                               ('type', 'mode', 'uid', 'gid', 'size', 'sha256', 'link')}
        if layer_n is not None and c['kind'] != 'removed':
            nn = new.get(c['path'][1:])
            if c['new']['layer'] != layer_n and not (nn and nn['type'] == 'file' and nn['nlink'] > 1):
                errs.append('%s: new.layer %s, want %d' % (c['path'], c['new']['layer'], layer_n))
        gch.append(g)
    if gch != want:
        wp = {c['path']: c for c in want}
        gp = {c['path']: c for c in gch}
        for p in sorted(set(wp) | set(gp)):
            if wp.get(p) != gp.get(p):
                errs.append('%s: want %s got %s' % (p, json.dumps(wp.get(p)), json.dumps(gp.get(p))))
        if not errs:
            errs.append('same changes in another order')
    s = got['summary']
    ws = {'added': sum(c['kind'] == 'added' for c in want),
          'modified': sum(c['kind'] == 'modified' for c in want),
          'removed': sum(c['kind'] == 'removed' for c in want),
          'added_bytes': sum(c['new']['size'] for c in want if c['kind'] == 'added' and
                             (c['new']['type'] == 'file' or (collapse and c['new']['type'] == 'dir'))),
          'modified_bytes': sum(c['new']['size'] for c in want
                                if c['kind'] == 'modified' and c['new']['type'] == 'file'),
          'removed_bytes': sum(c['old']['size'] for c in want if c['kind'] == 'removed')}
    if s != ws:
        errs.append('summary %s, want %s' % (json.dumps(s), json.dumps(ws)))
    if got.get('schema') != 'ocifs-diff/1':
        errs.append('schema %r' % got.get('schema'))
    if errs:
        print('\n'.join(errs[:12]))
        sys.exit(1)
    kinds = sorted(set(w for c in want for w in c['what']))
    print('ok %d changes (%s)' % (len(want), ','.join(kinds)))


main()
