#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tarlist.py [--sha|--dev|--xattr] BLOB: the tree a layer's tar extracts to.

The oracle for /.ocifs/layers/N-<digest>/: read with Python's tarfile
(BLOB plain, gzip or zstd), applied as extraction does: the last entry
for a path wins, a hard link is the entry its target had at that point
of the tar (same inode: its names count in the link count), parents
the tar never lists are 0755 root directories dated 0. Whiteout files
are the plain files they are. Paths are normalized (no "./", no
trailing "/"); the root is "" (its "./" entry, if any).

Default output, sorted, one line per path, the fields of
  find DIR -printf '%y %m %U %G %s %Ts %n %l|%P\\n'
with directories 4096 bytes and symlinks their target's length.
--sha: "sha256 PATH" for each regular file (its bytes from the tar).
--dev: "PATH major,minor" for each device.
--xattr: "PATH key=hexvalue" for each PAX SCHILY.xattr record.
"""
import hashlib, io, stat, subprocess, sys, tarfile


def blob_bytes(path):
    with open(path, 'rb') as f:
        head = f.read(4)
    if head[:2] == b'\x1f\x8b':
        import gzip
        with gzip.open(path, 'rb') as f:
            return f.read()
    if head == b'\x28\xb5\x2f\xfd':
        return subprocess.run(['zstd', '-qdc', '--long=31', path], check=True,
                              stdout=subprocess.PIPE).stdout
    with open(path, 'rb') as f:
        return f.read()


def norm(name):
    parts = [p for p in name.split('/') if p not in ('', '.')]
    if '..' in parts:
        return None
    return '/'.join(parts)


def main():
    mode = sys.argv[1] if sys.argv[1].startswith('--') else ''
    tf = tarfile.open(fileobj=io.BytesIO(blob_bytes(sys.argv[-1])), mode='r:')
    cur = {}      # path -> member (the inode: a hard link maps to its target's)
    for m in tf.getmembers():
        p = norm(m.name)
        if p is None:
            continue
        if m.islnk():
            t = norm(m.linkname)
            if t is None or t not in cur or cur[t].isdir():
                continue  # extraction fails: nothing to link to
            cur[p] = cur[t]
        elif m.isdir() and p in cur and cur[p].isdir():
            cur[p] = m    # the later metadata, the same children
        elif m.isreg() or m.issym() or m.isdir() or m.ischr() or m.isblk() or m.isfifo():
            cur[p] = m
    root = tarfile.TarInfo('')
    root.type, root.mode, root.mtime = tarfile.DIRTYPE, 0o755, 0
    cur.setdefault('', root)
    # parents the tar never lists
    for p in list(cur):
        while p:
            p = p.rpartition('/')[0]
            if p not in cur:
                d = tarfile.TarInfo(p)
                d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 0
                cur[p] = d
    names = {}
    subdirs = {}
    for p, m in cur.items():
        names[id(m)] = names.get(id(m), 0) + 1
        if m.isdir() and p:
            par = p.rpartition('/')[0]
            subdirs[par] = subdirs.get(par, 0) + 1
    out = []
    for p, m in cur.items():
        if mode == '--sha':
            if m.isreg():
                out.append('%s %s' % (hashlib.sha256(tf.extractfile(m).read()).hexdigest(), p))
            continue
        if mode == '--dev':
            if m.ischr() or m.isblk():
                out.append('%s %d,%d' % (p, m.devmajor, m.devminor))
            continue
        if mode == '--xattr':
            for k, v in m.pax_headers.items():
                if k.startswith('SCHILY.xattr.'):
                    raw = v.encode('utf-8', 'surrogateescape')
                    out.append('%s %s=%s' % (p, k[13:], raw.hex()))
            continue
        t = 'd' if m.isdir() else 'l' if m.issym() else 'f' if m.isreg() else \
            'c' if m.ischr() else 'b' if m.isblk() else 'p'
        size = 4096 if t == 'd' else len(m.linkname.encode('utf-8', 'surrogateescape')) \
            if t == 'l' else m.size if t == 'f' else 0
        nlink = 2 + subdirs.get(p, 0) if t == 'd' else names[id(m)]
        out.append('%s %o %d %d %d %d %d %s|%s' % (t, stat.S_IMODE(m.mode), m.uid, m.gid, size,
                                                  int(m.mtime), nlink,
                                                  m.linkname if t == 'l' else '', p))
    for line in sorted(out):
        print(line)


if __name__ == '__main__':
    main()
