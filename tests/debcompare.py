# debcompare.py ROOTFS MERGED EXCLUDE DEB...: every path of each package's
# data (dpkg-deb --fsys-tarfile) is in ROOTFS with the same type, mode,
# owner, link target and contents; MERGED=1 looks for /bin/x at /usr/bin/x;
# EXCLUDE is a file of paths the image changes on purpose. Prints each
# difference and the number of paths compared; exits 1 on any difference.
import hashlib, os, stat, subprocess, sys, tarfile

root, merged, exclude, debs = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4:]
skip = set(open(exclude).read().split("\n")) if exclude != "-" else set()
usrdirs = ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32")
bad = count = 0

def where(name):
    name = name.lstrip("./").rstrip("/")
    if merged and name.split("/")[0] in usrdirs:
        name = "usr/" + name
    return name

def sha(data):
    return hashlib.sha256(data).hexdigest()

for deb in debs:
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    import io
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for m in t.getmembers():
            path = where(m.name)
            if not path or "/" + path in skip:
                continue
            count += 1
            full = os.path.join(root, path)
            try:
                st = os.lstat(full)
            except OSError as e:
                print("%s: /%s: missing (%s)" % (deb, path, e.strerror)); bad += 1; continue
            want = (m.mode & 0o7777, m.uid, m.gid)
            if m.isdir():
                ok = stat.S_ISDIR(st.st_mode) and (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == want
            elif m.issym():
                ok = stat.S_ISLNK(st.st_mode) and os.readlink(full) == m.linkname
            else:
                if m.islnk():
                    m = t.getmember(m.linkname)
                data = t.extractfile(m).read()
                ok = stat.S_ISREG(st.st_mode) and (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == want \
                    and sha(open(full, "rb").read()) == sha(data)
            if not ok:
                print("%s: /%s differs" % (deb, path)); bad += 1
print("%d paths compared" % count)
sys.exit(1 if bad else 0)
