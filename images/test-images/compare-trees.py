#!/usr/bin/env python3
"""Compares two root filesystem trees file by file: type, mode (setuid etc.),
owner, content, link target, device numbers, xattrs and (for non-directories)
mtime. Prints each difference; exits 1 if there is any.
  compare-trees.py EXPECTED ACTUAL"""
import hashlib, os, stat, sys

def walk(root):
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, root)] = p
    return out

def describe(p):
    st = os.lstat(p)
    d = {"type": stat.S_IFMT(st.st_mode), "mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid, "gid": st.st_gid}
    if stat.S_ISREG(st.st_mode):
        d["size"] = st.st_size
        d["sha256"] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    if stat.S_ISLNK(st.st_mode):
        d["target"] = os.readlink(p)
        del d["mode"]
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        d["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
    if not stat.S_ISDIR(st.st_mode):
        d["mtime"] = int(st.st_mtime)
    try:
        names = [x for x in os.listxattr(p, follow_symlinks=False) if not x.startswith("trusted.overlay.")]
        d["xattrs"] = {x: os.getxattr(p, x, follow_symlinks=False).hex() for x in sorted(names)}
    except OSError:
        pass
    return d

a, b = walk(sys.argv[1]), walk(sys.argv[2])
bad = 0
for k in sorted(set(a) | set(b)):
    if k not in a: print(f"only in {sys.argv[2]}: {k}"); bad += 1; continue
    if k not in b: print(f"only in {sys.argv[1]}: {k}"); bad += 1; continue
    da, db = describe(a[k]), describe(b[k])
    if da != db:
        diff = {f: (da.get(f), db.get(f)) for f in set(da) | set(db) if da.get(f) != db.get(f)}
        print(f"differs: {k}: {diff}"); bad += 1
print(f"compared {len(a)} entries, {bad} differences")
sys.exit(1 if bad else 0)
