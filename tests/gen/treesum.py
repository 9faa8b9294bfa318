#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""treesum.py ROOT: one line per path below ROOT, for diffing two trees.

Each line: path, type, mode, uid, gid, size (not for dirs), mtime (ns
unless --mtime-sec), symlink target, sha256 of content, hardlink group
(the smallest path sharing the inode, for regular files with nlink > 1),
and xattrs (user.* and security.*, hex; not the mount's virtual
user.ocifs.*). Symlinks are never followed.
--no-dir-mtime blanks directory mtimes (for trees with implicit parents,
which each tool dates differently).
"""
import hashlib, os, stat, sys

def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    sec = '--mtime-sec' in sys.argv
    no_dir_mtime = '--no-dir-mtime' in sys.argv
    root = args[0]
    rows, groups = [], {}
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            rows.append((rel, st))
            if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                groups.setdefault((st.st_dev, st.st_ino), []).append(rel)
    first = {k: min(v) for k, v in groups.items()}
    for rel, st in sorted(rows):
        m = st.st_mode
        t = 'd' if stat.S_ISDIR(m) else 'l' if stat.S_ISLNK(m) else 'f' if stat.S_ISREG(m) \
            else 'c' if stat.S_ISCHR(m) else 'b' if stat.S_ISBLK(m) else 'p' if stat.S_ISFIFO(m) else '?'
        p = os.path.join(root, rel)
        mt = st.st_mtime_ns // 1000000000 if sec else st.st_mtime_ns
        if no_dir_mtime and t == 'd':
            mt = ''
        f = [rel, t, '%04o' % stat.S_IMODE(m), str(st.st_uid), str(st.st_gid),
             '' if t == 'd' else str(st.st_size), str(mt)]
        f.append(os.readlink(p) if t == 'l' else '')
        if t == 'f':
            h = hashlib.sha256()
            with open(p, 'rb') as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b''):
                    h.update(chunk)
            f.append(h.hexdigest())
            g = first.get((st.st_dev, st.st_ino))
            f.append('link:' + g if g and g != rel else '')
        else:
            f += ['', '']
        if t in 'cb':
            f.append('dev:%d,%d' % (os.major(st.st_rdev), os.minor(st.st_rdev)))
        xs = []
        if t != 'l':
            try:
                for k in sorted(os.listxattr(p, follow_symlinks=False)):
                    if k.startswith(('user.', 'security.', 'trusted.')) and \
                            not k.startswith('user.ocifs.'):  # the mount's own
                        xs.append('%s=%s' % (k, os.getxattr(p, k, follow_symlinks=False).hex()))
            except OSError:
                pass
        f.append(','.join(xs))
        print('\t'.join(f))

main()
