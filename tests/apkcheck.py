#!/usr/bin/env python3
# apkcheck.py REPO/ARCH PUBKEY [--extract ROOT NAME-VERSION...]: checks an
# Alpine repository folder against the format apkrepo.py writes (its header
# comment), with Python's zlib and tarfile and openssl's dgst -verify, so a
# fault of the fixture shows in t-apkrepo.sh: one line a fault on stdout, exit 1.
# With --extract, the packages named are also unpacked into ROOT (to run them).
import base64, hashlib, io, os, subprocess, sys, tarfile, tempfile, zlib

faults = []


def fault(msg):
    faults.append(msg)
    print(msg)


def streams(path):
    """The gzip streams of a file: (compressed bytes, content) each."""
    with open(path, "rb") as f:
        rest = f.read()
    out = []
    while rest:
        if rest[3] != 0 or rest[4:8] != bytes(4):
            fault("%s: gzip stream %d has a name, flags or a time" % (path, len(out) + 1))
        z = zlib.decompressobj(31)
        content = z.decompress(rest)
        if not z.eof:
            fault("%s: gzip stream %d is cut short" % (path, len(out) + 1))
            break
        out.append((rest[:len(rest) - len(z.unused_data)], content))
        rest = z.unused_data
    return out


def members(data, where, ended):
    """The tar members; ended: whether the tar has end-of-archive blocks."""
    if (data[-512:] == bytes(512)) != ended:
        fault("%s: %s end-of-archive blocks" % (where, "no" if ended else "has"))
    tar = tarfile.open(fileobj=io.BytesIO(data if ended else data + bytes(1024)))
    return tar, tar.getmembers()


def verify(pubkey, signame, signature, signed, where):
    digest = "-sha256" if signame.startswith(".SIGN.RSA256.") else "-sha1"
    with tempfile.NamedTemporaryFile() as sig, tempfile.NamedTemporaryFile() as body:
        sig.write(signature)
        body.write(signed)
        sig.flush()
        body.flush()
        r = subprocess.run(["openssl", "dgst", digest, "-verify", pubkey, "-signature", sig.name, body.name],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        fault("%s: its signature %s does not verify" % (where, signame))


def signature(pubkey, stream, signed, where):
    tar, ms = members(stream[1], where + " (signature)", False)
    if len(ms) != 1 or not ms[0].name.startswith(".SIGN.RSA"):
        fault("%s: the signature stream is not one .SIGN.RSA member" % where)
        return
    verify(pubkey, ms[0].name, tar.extractfile(ms[0]).read(), signed, where)


def package(path, pubkey):
    """Checks one .apk; returns its .PKGINFO, control bytes and data tar."""
    where = os.path.basename(path)
    s = streams(path)
    if len(s) != 3:
        fault("%s: %d gzip streams, not 3" % (where, len(s)))
        return None
    signature(pubkey, s[0], s[1][0], where)
    tar, ms = members(s[1][1], where + " (control)", False)
    if not ms or ms[0].name != ".PKGINFO":
        fault("%s: the control does not begin with .PKGINFO" % where)
        return None
    info = {}
    for line in tar.extractfile(ms[0]).read().decode().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(" = ")
            info.setdefault(key, []).append(value)
    if info.get("datahash") != [hashlib.sha256(s[2][0]).hexdigest()]:
        fault("%s: datahash is not the SHA-256 of the data stream" % where)
    if "%s-%s.apk" % (info["pkgname"][0], info["pkgver"][0]) != where:
        fault("%s: .PKGINFO names %s-%s" % (where, info["pkgname"][0], info["pkgver"][0]))
    data, files = members(s[2][1], where + " (data)", True)
    if len(s[2][1]) % 10240:
        fault("%s: the data tar is not padded to 10240 bytes" % where)
    for m in files:
        if m.isfile() or m.issym():
            content = data.extractfile(m).read() if m.isfile() else m.linkname.encode()
            if m.pax_headers.get("APK-TOOLS.checksum.SHA1") != hashlib.sha1(content).hexdigest():
                fault("%s: %s: APK-TOOLS.checksum.SHA1 does not hold" % (where, m.name))
    return info, s[1][0], data, files


def main():
    repo, pubkey = sys.argv[1], sys.argv[2]
    extract = sys.argv[sys.argv.index("--extract") + 1:] if "--extract" in sys.argv else [None]
    root, wanted = extract[0], extract[1:]
    arch = os.path.basename(os.path.normpath(repo))
    s = streams(os.path.join(repo, "APKINDEX.tar.gz"))
    if len(s) != 2:
        sys.exit("APKINDEX.tar.gz: %d gzip streams, not 2" % len(s))
    signature(pubkey, s[0], s[1][0], "APKINDEX.tar.gz")
    tar, ms = members(s[1][1], "APKINDEX.tar.gz", True)
    if [m.name for m in ms] != ["DESCRIPTION", "APKINDEX"]:
        fault("APKINDEX.tar.gz: holds %s" % [m.name for m in ms])
    blocks = tar.extractfile(ms[-1]).read().decode().split("\n\n")
    files = sorted(f for f in os.listdir(repo) if f.endswith(".apk"))
    listed = []
    for block in blocks[:-1]:
        rec = dict(line.split(":", 1) for line in block.splitlines())
        name = "%s-%s.apk" % (rec["P"], rec["V"])
        listed.append(name)
        checked = package(os.path.join(repo, name), pubkey) if name in files else None
        if checked is None:
            fault("APKINDEX: %s is not there or not whole" % name)
            continue
        info, control, data, members_ = checked
        for field, want in (("C", "Q1" + base64.b64encode(hashlib.sha1(control).digest()).decode()),
                            ("S", str(os.path.getsize(os.path.join(repo, name)))),
                            ("I", info["size"][0]), ("A", arch), ("D", " ".join(info.get("depend", []))),
                            ("p", " ".join(info.get("provides", []))), ("i", " ".join(info.get("install_if", [])))):
            if rec.get(field, "") != want:
                fault("APKINDEX: %s: %s:%s, not %s" % (name, field, rec.get(field, ""), want))
        if name[:-4] in wanted:
            try:
                data.extractall(root, members_, filter="tar")
            except TypeError:  # a Python without extraction filters
                data.extractall(root, members_)
    if blocks[-1] != "" or sorted(listed) != files:
        fault("APKINDEX: lists %s, the folder holds %s" % (listed, files))
    sys.exit(1 if faults else 0)


if __name__ == "__main__":
    main()
