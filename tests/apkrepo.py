#!/usr/bin/env python3
# apkrepo.py OUTDIR --key KEYFILE [--spec SPEC.json] [options]: a synthetic
# Alpine repository for the tests, the same bytes on every run: the packages
# OUTDIR/ARCH/NAME-VERSION.apk and OUTDIR/ARCH/APKINDEX.tar.gz, signed with the
# RSA private key KEYFILE (PEM; made with openssl when it is missing). The key
# name is basename(KEYFILE) + ".pub" (or --key-name), and the public key is
# written beside as KEYFILE.pub.
#
# The bytes are those abuild writes (abuild's create_apks, abuild-tar,
# abuild-sign; apk-tools 2's io_archive.c, package.c and app_index.c read them):
# - an .apk is three gzip streams ("gzip -n -9": no name, mtime 0):
#   1. the signature: a tar member .SIGN.RSA.KEYNAME (or .SIGN.RSA256.), RSA
#      PKCS#1 v1.5 over the SHA-1 (SHA-256) of the compressed bytes of stream 2,
#      without end-of-archive blocks;
#   2. the control: .PKGINFO ("key = value" lines, datahash = the SHA-256 of the
#      compressed bytes of stream 3 last), then the scripts, without
#      end-of-archive blocks;
#   3. the data: a tar of the files and folders in byte order, with
#      end-of-archive blocks, padded to a 10240-byte record as GNU tar does.
#   Each member is preceded by GNU tar's pax header (--format=posix, named
#   DIR/PaxHeaders/BASE, records "ctime=0" and "atime=0"); abuild-tar --hash
#   adds "APK-TOOLS.checksum.SHA1=HEX" to a regular file's (the SHA-1 of its
#   content) and a symlink's (of its target). An owner other than root is
#   named in uname/gname with uid/gid 0 (abuild's --owner-map): apk resolves
#   the name against the root's /etc/passwd and /etc/group.
# - APKINDEX.tar.gz is two gzip streams: the signature as above, over the
#   compressed bytes of the second, a tar (apk index's: GNU magic, root) of
#   DESCRIPTION and APKINDEX with end-of-archive blocks. APKINDEX is a block
#   of "L:value" lines a package (C P V A S I T U L o m t c k D p i), by name
#   then version; C is "Q1" + base64 of the SHA-1 of stream 2; A is the
#   repository's arch, also for a noarch package (abuild's --rewrite-arch).
#
# SPEC.json: a list of packages, or { "description": ..., "packages": [...] }.
# A package: { "name", "version", "arch", "description", "url", "license",
# "origin", "maintainer", "commit", "depends": [], "provides": [],
# "install_if": [], "replaces": [], "provider_priority", "triggers": [paths],
# "scripts": { ".pre-install": TEXT, ... }, "files": [ { "path", "mode",
# "uid", "gid", "owner", "group", and one of "text", "from" (a host file,
# relative to the spec's folder), "symlink" (the target), "dir": true } ] }.
# Folders above a file are added (0755, root) unless listed. Without --spec:
# the nginx scenario of DEFAULTS below (musl-gcc from Debian's musl-tools).
#
# --tamper-index: the APKINDEX is changed after it was signed.
# --tamper-package NAME: a byte of the first file of each NAME (or NAME-VERSION)
#   package is changed after the package was signed (its datahash and the
#   file's checksum no longer hold).
# --rsa256: .SIGN.RSA256. signatures.  --key-name NAME: the key name signed with.
import argparse, base64, hashlib, json, os, re, shutil, subprocess, sys, tempfile, zlib

EPOCH = 1700000000
SCRIPTS = [".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade",
           ".pre-deinstall", ".post-deinstall", ".trigger"]


def die(msg):
    sys.exit("apkrepo.py: " + msg)


def octal(value, width):
    """A number field: octal, or (GNU tar's, for what octal cannot hold) base-256."""
    if value < 8 ** (width - 1):
        return b"%0*o\0" % (width - 1, value)
    return bytes([0x80]) + value.to_bytes(width - 1, "big")


def header(name, size=0, mode=0o644, typ=b"0", uid=0, gid=0, uname="", gname="",
           link="", magic=b"ustar\x0000", dev=True):
    """One 512-byte ustar header, its checksum as GNU tar writes it."""
    h = bytearray(512)
    for off, width, text in ((0, 100, name), (157, 100, link), (265, 32, uname), (297, 32, gname)):
        raw = text.encode()
        if len(raw) >= width:
            die("%s: longer than a tar header holds" % text)
        h[off:off + len(raw)] = raw
    h[100:108], h[108:116], h[116:124] = octal(mode, 8), octal(uid, 8), octal(gid, 8)
    h[124:136], h[136:148] = octal(size, 12), octal(EPOCH, 12)
    h[148:156], h[156:157], h[257:265] = b" " * 8, typ, magic
    if dev:
        h[329:337], h[337:345] = octal(0, 8), octal(0, 8)
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(data):
    return data + bytes(-len(data) % 512)


def record(key, value):
    """A pax record "LEN KEY=VALUE\\n", LEN counting its own digits."""
    body = " %s=%s\n" % (key, value)
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n += 1
    return ("%d%s" % (n, body)).encode()


def member(name, data=b"", mode=0o644, typ=b"0", uid=0, gid=0, uname="root", gname="root",
           link="", checksum=None):
    """GNU tar's pax header and the member; checksum: the content checksummed."""
    records = record("ctime", "0") + record("atime", "0")
    if checksum is not None:
        records += record("APK-TOOLS.checksum.SHA1", hashlib.sha1(checksum).hexdigest())
    folder, base = os.path.split(name)
    pax = header((folder or ".") + "/PaxHeaders/" + base, len(records), 0o644, b"x", uid, gid, dev=False)
    return (pax + pad(records) + header(name, len(data), mode, typ, uid, gid, uname, gname, link)
            + pad(data))


def gz(data):
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # header: mtime 0, no name, OS 3
    return z.compress(data) + z.flush()


class Signer:
    def __init__(self, key, keyname, rsa256):
        self.key, self.keyname = key, keyname
        self.kind, self.digest = ("RSA256", "-sha256") if rsa256 else ("RSA", "-sha1")

    def stream(self, signed):
        """abuild-sign's stream: the signature over SIGNED, as a cut tar."""
        sig = subprocess.run(["openssl", "dgst", self.digest, "-sign", self.key], input=signed,
                             stdout=subprocess.PIPE, check=True).stdout
        return gz(member(".SIGN.%s.%s" % (self.kind, self.keyname), sig, uname="", gname=""))


def folders(files):
    """The files and every folder above them, in byte order (LC_ALL=C sort)."""
    entries = {f["path"].strip("/"): f for f in files}
    for path in list(entries):
        while "/" in path:
            path = path.rsplit("/", 1)[0]
            entries.setdefault(path, {"path": path, "dir": True})
    return [entries[p] for p in sorted(entries, key=lambda p: p.encode())]


def content(f, base):
    if "data" in f:
        return f["data"]
    if "text" in f:
        return f["text"].encode()
    with open(os.path.join(base, f["from"]), "rb") as src:
        return src.read()


def datatar(files, base, tamper=False):
    """The data tar and the installed size (abuild's: the regular files' bytes)."""
    out, size = [], 0
    for f in folders(files):
        mode = f.get("mode", 0o755 if f.get("dir") or "symlink" in f else 0o644)
        mode = int(mode, 8) if isinstance(mode, str) else mode
        own = dict(uid=f.get("uid", 0), gid=f.get("gid", 0), uname=f.get("owner", "root"),
                   gname=f.get("group", "root"))
        if f.get("dir"):
            out.append(member(f["path"].strip("/"), b"", mode, b"5", **own))
        elif "symlink" in f:
            out.append(member(f["path"].strip("/"), b"", 0o777, b"2", link=f["symlink"],
                              checksum=f["symlink"].encode(), **own))
        else:
            data = content(f, base)
            size += len(data)
            stored = data
            if tamper and data:
                stored, tamper = bytes([data[0] ^ 1]) + data[1:], False
            out.append(member(f["path"].strip("/"), stored, mode, b"0", checksum=data, **own))
    tar = b"".join(out) + bytes(1024)
    return tar + bytes(-len(tar) % 10240), size


def automatic(atom):
    return atom.split(":", 1)[0] in ("so", "cmd", "pc")


def pkginfo(p, size, datahash):
    """.PKGINFO as abuild's prepare_metafiles and create_apks write it."""
    lines = ["# Generated by abuild 3.12.0-r0", "# using fakeroot version 1.32.1"]
    for key, value in (("pkgname", p["name"]), ("pkgver", p["version"]),
                       ("pkgdesc", p["description"]), ("url", p["url"]),
                       ("builddate", EPOCH), ("packager", "Synthetic Packager <packager@example.org>"),
                       ("size", size), ("arch", p["arch"]), ("origin", p["origin"]),
                       ("commit", p["commit"]), ("maintainer", p["maintainer"]),
                       ("provider_priority", p.get("provider_priority")), ("license", p["license"])):
        if value is not None:
            lines.append("%s = %s" % (key, value))
    lines += ["replaces = " + a for a in p.get("replaces", [])]
    lines += ["depend = " + a for a in p.get("depends", []) if not automatic(a)]
    lines += ["provides = " + a for a in p.get("provides", []) if not automatic(a)]
    if p.get("triggers"):
        lines.append("triggers = " + " ".join(p["triggers"]))
    if p.get("install_if"):
        lines.append("install_if = " + " ".join(p["install_if"]))
    auto_p = sorted(set(a for a in p.get("provides", []) if automatic(a)))
    auto_d = sorted(set(a for a in p.get("depends", []) if automatic(a)))
    if auto_p or auto_d:
        lines.append("# automatically detected:")
        lines += ["provides = " + a for a in auto_p] + ["depend = " + a for a in auto_d]
    lines.append("datahash = " + datahash)
    return ("\n".join(lines) + "\n").encode()


def package(p, base, signer, tamper, arch):
    """The .apk's bytes and its index record (a list of (field, value))."""
    data, installed = datatar(p.get("files", []), base)
    if installed == 0 and (p.get("files") or p.get("scripts")):
        installed = 1  # abuild: apk-tools 2 would take a package of size 0 as virtual
    datagz = gz(data)
    control = member(".PKGINFO", pkginfo(p, installed, hashlib.sha256(datagz).hexdigest()))
    for script in SCRIPTS:
        if script in p.get("scripts", {}):
            control += member(script, p["scripts"][script].encode(), 0o755)
    controlgz = gz(control)
    apk = signer.stream(controlgz) + controlgz + datagz
    size = len(apk)  # the index holds the package as it was signed
    if tamper:
        apk = apk[:-len(datagz)] + gz(datatar(p.get("files", []), base, tamper=True)[0])
    checksum = "Q1" + base64.b64encode(hashlib.sha1(controlgz).digest()).decode()
    rec = [("C", checksum), ("P", p["name"]), ("V", p["version"]), ("A", arch),
           ("S", size), ("I", installed), ("T", p["description"]), ("U", p["url"]),
           ("L", p["license"]), ("o", p["origin"]), ("m", p["maintainer"]), ("t", EPOCH),
           ("c", p["commit"]), ("k", p.get("provider_priority"))]
    # A: is the repository's (abuild's "apk index --rewrite-arch": noarch too);
    # apk index writes the atoms in .PKGINFO's order: stated ones, then detected
    for field, key in (("D", "depends"), ("p", "provides")):
        atoms = p.get(key, [])
        rec.append((field, " ".join([a for a in atoms if not automatic(a)]
                                    + sorted(set(a for a in atoms if automatic(a))))))
    rec.append(("i", " ".join(p.get("install_if", []))))
    return apk, [(f, v) for f, v in rec if v not in (None, "")]


SUFFIXES = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1, "cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}


def verkey(version):
    """Enough of apk's version order to sort the index: numbers, a letter,
    suffixes (_rc1 before none before _p1), then -rN."""
    version, _, rel = version.partition("-r")
    version, *suffixes = version.split("_")
    m = re.match(r"([\d.]*)([a-z]?)", version)
    parts = [(SUFFIXES.get(re.match("[a-z]*", x).group(), 0), int(re.sub("^[a-z]*", "", x) or 0))
             for x in suffixes]
    return [int(n) for n in m.group(1).split(".") if n], m.group(2), parts + [(0, 0)], int(rel or 0)


def indextar(description, text):
    tar = b""
    for name, data in (("DESCRIPTION", description.encode()), ("APKINDEX", text)):
        tar += header(name, len(data), 0o644, b"0", uname="root", gname="root",
                      magic=b"ustar  \0", dev=False) + pad(data)
    return tar + bytes(1024)


def index(records, description, signer, tamper):
    text = "".join("".join("%s:%s\n" % fv for fv in rec) + "\n" for rec in records).encode()
    signature = signer.stream(gz(indextar(description, text)))
    if tamper:  # changed after it was signed
        text = text.replace(b"\nT:", b"\nT:changed ", 1)
    return signature + gz(indextar(description, text))


def complete(p, arch):
    p = dict(p)
    for key in ("name", "version"):
        if not isinstance(p.get(key), str):
            die("a package without a %s" % key)
    for f in p.get("files", []):
        kinds = [k for k in ("data", "text", "from", "symlink", "dir") if k in f]
        if not isinstance(f.get("path"), str) or len(kinds) != 1 or ".." in f["path"].split("/"):
            die("%s: a file needs a path (no ..) and one of text, from, symlink, dir: %r" % (p["name"], f))
    for script in p.get("scripts", {}):
        if script not in SCRIPTS:
            die("%s: %s is not one of apk's scripts (%s)" % (p["name"], script, " ".join(SCRIPTS)))
    p.setdefault("arch", arch)
    p.setdefault("description", "synthetic package " + p["name"])
    p.setdefault("url", "https://example.org/" + p["name"])
    p.setdefault("license", "MIT")
    p.setdefault("origin", p["name"])
    p.setdefault("maintainer", "Synthetic Maintainer <maintainer@example.org>")
    p.setdefault("commit", hashlib.sha1(("%s-%s" % (p["name"], p["version"])).encode()).hexdigest())
    return p


# The scenario: nginx~=1.18 and what it needs, built with musl-gcc;
# the files of tests/apkrepo/: nginx.c (the program: -v, -V, and -g 'daemon
# off;' serving one page on port 80 or $NGINX_PORT), Alpine's passwd and
# group, nginx's .pre-install as Alpine's, its nginx.conf.
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apkrepo")


def read(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read()


APPLETS = ["bin/ash", "bin/cat", "bin/echo", "bin/ls", "bin/mkdir", "bin/rm", "bin/sh",
           "bin/sleep", "sbin/nologin", "usr/bin/id", "usr/bin/wget"]
NGINX = ["1.16.1-r8", "1.18.0-r0", "1.18.0-r15", "1.20.2-r2", "1.24.0-r7"]
LIBC = "so:libc.musl-x86_64.so.1"


def build(tmp, out, source, *flags):
    src = os.path.join(tmp, out + ".c")
    with open(src, "w") as f:
        f.write(source)
    subprocess.run(["musl-gcc", "-Os", "-s", "-o", out, out + ".c"] + list(flags), cwd=tmp, check=True)
    with open(os.path.join(tmp, out), "rb") as f:
        return f.read()


def defaults(tmp):
    if not shutil.which("musl-gcc"):
        die("musl-gcc is missing (apt-get install musl-tools)")
    passwd, nginx_c = read("passwd"), read("nginx.c")
    loader = os.path.realpath("/lib/ld-musl-x86_64.so.1")
    pcre = build(tmp, "libpcre.so.1.2.13", 'const char *pcre_version(void) { return "8.45 2021-06-15"; }\n',
                 "-shared", "-fPIC", "-Wl,-soname,libpcre.so.1")
    zlib_ = build(tmp, "libz.so.1.2.13", 'const char *zlibVersion(void) { return "1.2.13"; }\n',
                  "-shared", "-fPIC", "-Wl,-soname,libz.so.1")
    so = lambda path, data, link: [{"path": path, "data": data, "mode": 0o755},
                                   {"path": path.rsplit("/", 1)[0] + "/" + link, "symlink": os.path.basename(path)}]
    packages = [
        {"name": "musl", "version": "1.2.3-r0", "description": "the musl c library (libc) implementation",
         "provides": [LIBC + "=1"],
         "files": [{"path": "lib/ld-musl-x86_64.so.1", "from": loader, "mode": 0o755},
                   {"path": "lib/libc.musl-x86_64.so.1", "symlink": "ld-musl-x86_64.so.1"}]},
        {"name": "busybox", "version": "1.35.0-r0", "description": "Size optimized toolbox of many common UNIX utilities",
         "license": "GPL-2.0-only", "provides": ["/bin/sh", "cmd:busybox=1.35.0-r0"]
         + ["cmd:%s=1.35.0-r0" % a.rsplit("/", 1)[1] for a in APPLETS], "provider_priority": 100,
         "triggers": ["/bin", "/usr/bin", "/sbin", "/usr/sbin"],
         "scripts": {".trigger": "#!/bin/sh\n# busybox's own trigger refreshes its applet links\nexit 0\n"},
         "files": [{"path": "bin/busybox", "from": "/bin/busybox", "mode": 0o755}]
         + [{"path": a, "symlink": "/bin/busybox"} for a in APPLETS]},
        {"name": "alpine-baselayout-data", "version": "3.4.3-r1", "description": "Alpine base dir structure and init scripts",
         "license": "GPL-2.0-only", "origin": "alpine-baselayout",
         "files": [{"path": "etc/passwd", "text": passwd}, {"path": "etc/group", "text": read("group")},
                   {"path": "etc/shadow", "mode": 0o640, "group": "shadow", "gid": 42,
                    "text": "".join("%s:%s::0:::::\n" % (l.split(":")[0], "*" if l.startswith("root:") else "!")
                                    for l in passwd.splitlines())}]},
        {"name": "pcre", "version": "8.45-r3", "description": "Perl-compatible regular expression library",
         "license": "BSD-3-Clause", "depends": [LIBC], "provides": ["so:libpcre.so.1=1.2.13"],
         "files": so("usr/lib/libpcre.so.1.2.13", pcre, "libpcre.so.1")},
        {"name": "zlib", "version": "1.2.13-r1", "description": "A compression/decompression Library",
         "license": "Zlib", "depends": [LIBC], "provides": ["so:libz.so.1=1.2.13", "pc:zlib=1.2.13"],
         "files": so("lib/libz.so.1.2.13", zlib_, "libz.so.1")},
        {"name": "docs", "version": "1.0-r0", "arch": "noarch", "description": "Meta package to pull in all documentation",
         "files": [{"path": "usr/share/doc/README.docs", "text": "Documentation of the installed packages.\n"}]},
        {"name": "tiny-httpd", "version": "1.0-r0", "arch": "noarch", "description": "A web server that is not nginx",
         "depends": ["!nginx", "/bin/sh"], "provides": ["cmd:tiny-httpd=1.0-r0"],
         "files": [{"path": "usr/sbin/tiny-httpd", "mode": 0o755, "text": "#!/bin/sh\nexec busybox httpd -f -p 80\n"}]},
    ]
    for version in NGINX:
        upstream = version.split("-r")[0]
        binary = build(tmp, "nginx", nginx_c, '-DVERSION="%s"' % upstream, "libpcre.so.1.2.13", "libz.so.1.2.13")
        packages.append({
            "name": "nginx", "version": version, "license": "BSD-2-Clause",
            "description": "HTTP and reverse proxy server (stable version)",
            "depends": ["/bin/sh", LIBC, "so:libpcre.so.1", "so:libz.so.1"],
            "provides": ["cmd:nginx=" + version],
            "scripts": {".pre-install": read("nginx.pre-install"), ".post-install": "#!/bin/sh\nmkdir -p /run/nginx\nexit 0\n"},
            "files": [{"path": "etc/nginx/nginx.conf", "text": read("nginx.conf")},
                      {"path": "usr/sbin/nginx", "data": binary, "mode": 0o755},
                      {"path": "var/lib/nginx", "dir": True, "mode": 0o750, "owner": "nginx", "group": "nginx"}]})
        packages.append({
            "name": "nginx-doc", "version": version, "arch": "noarch", "origin": "nginx", "license": "BSD-2-Clause",
            "description": "HTTP and reverse proxy server (stable version) (documentation)",
            "install_if": ["nginx=" + version, "docs"],
            "files": [{"path": "usr/share/doc/nginx/README", "text": "nginx %s, documentation.\n" % upstream}]})
    return {"description": "v3.18.0-synthetic", "packages": packages}


def writefile(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(fd, 0o644)
        f.write(data)


def main():
    ap = argparse.ArgumentParser(description="write a signed synthetic Alpine repository")
    ap.add_argument("outdir")
    ap.add_argument("--key", required=True)
    ap.add_argument("--spec")
    ap.add_argument("--arch", default="x86_64")
    ap.add_argument("--key-name")
    ap.add_argument("--rsa256", action="store_true")
    ap.add_argument("--tamper-index", action="store_true")
    ap.add_argument("--tamper-package", action="append", default=[], metavar="NAME")
    args = ap.parse_args()
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    if not os.path.exists(args.key):
        subprocess.run(["openssl", "genrsa", "-out", args.key, "2048"], **quiet)
    subprocess.run(["openssl", "rsa", "-in", args.key, "-pubout", "-out", args.key + ".pub"], **quiet)
    os.chmod(args.key + ".pub", 0o644)
    signer = Signer(args.key, args.key_name or os.path.basename(args.key) + ".pub", args.rsa256)
    with tempfile.TemporaryDirectory() as tmp:
        if args.spec:
            with open(args.spec) as f:
                spec = json.load(f)
            base = os.path.dirname(os.path.abspath(args.spec))
        else:
            spec, base = defaults(tmp), "/"
        if isinstance(spec, list):
            spec = {"packages": spec}
        packages = [complete(p, args.arch) for p in spec["packages"]]
        packages.sort(key=lambda p: (p["name"].encode(), verkey(p["version"])))
        repo = os.path.join(args.outdir, args.arch)
        os.makedirs(repo, exist_ok=True)
        os.chmod(args.outdir, 0o755)
        os.chmod(repo, 0o755)
        for old in os.listdir(repo):
            if old.endswith(".apk") or old == "APKINDEX.tar.gz":
                os.unlink(os.path.join(repo, old))
        records = []
        for p in packages:
            tamper = p["name"] in args.tamper_package or "%s-%s" % (p["name"], p["version"]) in args.tamper_package
            apk, rec = package(p, base, signer, tamper, args.arch)
            writefile(os.path.join(repo, "%s-%s.apk" % (p["name"], p["version"])), apk)
            records.append(rec)
    writefile(os.path.join(repo, "APKINDEX.tar.gz"),
              index(records, spec.get("description", "synthetic"), signer, args.tamper_index))


if __name__ == "__main__":
    main()
