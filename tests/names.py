#!/usr/bin/env python3
"""names.py: file names of every kind, for tests/t-names.sh, e2e-names.sh and t-debian.sh.

  names.py tree DIR      make DIR: a file and a folder for each awkward name,
                         nested deep, with relative, absolute and dangling
                         symlinks and hard links; some files executable
  names.py flat DIR      make DIR: one file for each awkward name
  names.py debtree DIR   make DIR for dpkg-deb, which refuses newlines: a
                         file for each other awkward name, one in a folder
                         with an awkward name, symlinks and hard links
  names.py lua           the awkward names as a Lua list of strings
  names.py project DIR   make DIR: the project t-names.sh and e2e-names.sh
                         build, every kind of source named every way (a
                         tree, single files, a build step's inputs, an
                         external file, an included definition in a folder
                         with a newline in its name) and its build.lua
  names.py compare A B   compare two trees byte for byte: names, types,
                         contents, link targets, hard links, and modes (A's
                         as a canonical layer has them: files 0755 when
                         executable, else 0644; folders 0755); exit 1 on a
                         difference, naming it
  names.py deb OUT PKG   write a .deb by hand (dpkg-deb refuses newlines)
                         whose data.tar (pax) holds a file named with a
                         newline and one whose name is not UTF-8, in a pax
                         record without hdrcharset=BINARY (as some tools
                         write them)
  names.py badeb OUT PKG NAME   a .deb whose data.tar holds the file NAME
  names.py manydeb OUT PKG N    a .deb whose data.tar.gz holds N empty files
"""
import io
import os
import stat
import sys
import tarfile
import zlib

NAMES = [
    b"unicod\xc3\xa9", b"Outer$Inner.class", b"Main$1.class", b"[id].js", b"(group)", b"[...slug]",
    b"a=b", b"~backup", b"~", b"%20", b"#notes", b"it's", b"{x}", b"!", b"&", b"trailing&", b";",
    b'"', b"-leading", b"donn\xc3\xa9es", b"sp ace", b"tab\tname", b"new\nline", b"\n", b"cr\rname",
    b"back\\slash", b"trail\\", b"pipe|name", b"colon:name", b"star*", b"q?", b"dollar$", b"$$",
    b".PHONY", b".hidden", b"a%b%", b"*", b"semi;colon", b"\xe6\x97\xa5\xe6\x9c\xac", b"emoji\xf0\x9f\x98\x80",
    b"caf\xe9", b"\xff\xfe", b"mixed\xc3(\x80", b"surrogate\xed\xa0\x80", b"x" * 255,
    "\u00e9".encode() * 127 + b"x",
]


def writefile(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def flat(root):
    root = os.fsencode(root)
    os.makedirs(root, exist_ok=True)
    for i, n in enumerate(NAMES):
        writefile(os.path.join(root, n), b"flat " + n + b"\n", 0o755 if i % 3 == 0 else 0o644)


def tree(root):
    root = os.fsencode(root)
    flat(root)
    for n in NAMES:
        d = os.path.join(root, b"dirs", n)
        os.makedirs(d)
        writefile(os.path.join(d, n), b"in a folder: " + n + b"\n")
    # deep: more than 255 bytes of path, past tar's 100-byte name field
    d = os.path.join(root, b"deep")
    for i in range(10):
        d = os.path.join(d, b"level %d \xc3\xa9 [x] $y #z %% new\nline ~ " % i + b"d" * 30)
    os.makedirs(d)
    writefile(os.path.join(d, b"x" * 255), b"deep\n", 0o755)
    writefile(os.path.join(d, b"caf\xe9 \n"), b"deep, not UTF-8\n")
    # the files the incremental tests edit
    site = os.path.join(root, b"site")
    os.makedirs(os.path.join(site, b"pages"))
    writefile(os.path.join(site, b"pages", b"[id].js"), b"export default 1\n")
    os.makedirs(os.path.join(site, b"donn\xc3\xa9es"))
    writefile(os.path.join(site, b"donn\xc3\xa9es", b"\xc3\xa9.txt"), b"bonjour\n")
    writefile(os.path.join(site, b"Main$1.class"), b"\xca\xfe\xba\xbe\n")
    # links: relative, absolute, dangling, to a folder, targets that are not UTF-8
    links = os.path.join(root, b"links")
    os.makedirs(links)
    os.symlink(b"../site/donn\xc3\xa9es/\xc3\xa9.txt", os.path.join(links, b"relative"))
    os.symlink(b"/srv/names/new\nline", os.path.join(links, b"absolute"))
    os.symlink(b"nowhere/new\nline/caf\xe9", os.path.join(links, b"dangling \xff"))
    os.symlink(b"../dirs/[id].js", os.path.join(links, b"to a folder"))
    os.symlink(b"../#notes", os.path.join(links, b"link\nname"))
    os.symlink(b"../" + b"x" * 255, os.path.join(links, b"long"))
    # hard links, across folders with awkward names
    hard = os.path.join(root, b"hard")
    os.makedirs(hard)
    writefile(os.path.join(hard, b"first"), b"one inode\n", 0o755)
    os.link(os.path.join(hard, b"first"), os.path.join(root, b"dirs", b"(group)", b"second \xe9"))
    os.link(os.path.join(hard, b"first"), os.path.join(hard, b"new\nline"))


def debtree(root):
    root = os.fsencode(root)
    os.makedirs(root)
    for i, n in enumerate(NAMES):
        if b"\n" not in n:
            writefile(os.path.join(root, n), b"deb " + n + b"\n", 0o755 if i % 3 == 0 else 0o644)
    d = os.path.join(root, b"dir [x] \xc3\xa9 \xe9 $y %z")
    os.makedirs(d)
    writefile(os.path.join(d, b"it's \xff"), b"in a folder\n")
    os.symlink(b"dir [x] \xc3\xa9 \xe9 $y %z/it's \xff", os.path.join(root, b"link \xe9"))
    os.symlink(b"/nowhere/caf\xe9\n", os.path.join(root, b"dangling"))
    os.link(os.path.join(d, b"it's \xff"), os.path.join(root, b"hard \xe9"))


def lua():
    out = []
    for n in NAMES:
        out.append('"' + "".join(chr(c) if 0x20 <= c < 0x7f and c not in b'"\\' else "\\%03d" % c
                                 for c in n) + '"')
    return "{ " + ", ".join(out) + " }"


# the definition of project(), after "local names = " and the names
PROJECT = r'''local singles, ins, outs, made = {}, {}, {}, {}
for i, n in ipairs(names) do
  singles[i] = { "/single/" .. n, "single/" .. n }
  ins[i] = "cmdin/" .. n
  outs[i] = "out/" .. n
end
local gen = command {
  outputs = outs,
  inputs = ins,
  run = "set -- $in; for o in $out; do cat \"$1\" > \"$o\"; shift; done",
  description = "CMD names",
}
for i, n in ipairs(names) do made[i] = { "/gen/" .. n, gen[i] } end
made[#made + 1] = { "/ext/ext\nname $x", external "prebuilt/ext\nname $x" }
made[#made + 1] = { "/decl/link\nname", symlink "caf\xe9/\n target" }
image {
  name = "names",
  layers = {
    { name = "busybox", files = { { "/bin/busybox", "/bin/busybox" } } },
    { name = "tree", files = { { "/srv/names", tree "names" } } },
    { name = "single", files = singles },
    { name = "gen", files = made },
    include "inc/new\nline dir",
  },
}
'''


def project(root):
    root = os.fsencode(root)
    inc = os.path.join(root, b"inc", b"new\nline dir")
    os.makedirs(os.path.join(root, b"prebuilt"))
    os.makedirs(inc)
    tree(os.path.join(root, b"names"))
    flat(os.path.join(root, b"single"))
    flat(os.path.join(root, b"cmdin"))
    writefile(os.path.join(root, b"prebuilt", b"ext\nname $x"), b"made elsewhere\n")
    writefile(os.path.join(inc, b"x$y"), b"included\n")
    writefile(os.path.join(inc, b"build.lua"), b'return layer { name = "inc", files = { { "/inc/x$y", "x$y" } } }\n')
    writefile(os.path.join(root, b"build.lua"), ("local names = " + lua() + "\n" + PROJECT).encode())


def walk(root):
    """relative path -> (kind, mode, data or target, inode)"""
    root = os.fsencode(root)
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("l", None, os.readlink(p), None)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("d", stat.S_IMODE(st.st_mode), None, None)
            else:
                with open(p, "rb") as f:
                    data = f.read()
                out[rel] = ("f", stat.S_IMODE(st.st_mode), data, (st.st_dev, st.st_ino))
    return out


def canonical(entry):
    kind, mode, data, ino = entry
    if kind == "d":
        mode = 0o755
    elif kind == "f":
        mode = 0o755 if mode & 0o111 else 0o644
    return kind, mode, data, ino


def groups(entries):
    """the sets of paths that share an inode"""
    by = {}
    for p, (kind, _, _, ino) in entries.items():
        if kind == "f":
            by.setdefault(ino, []).append(p)
    return sorted(sorted(g) for g in by.values() if len(g) > 1)


def compare(a, b):
    want, got = walk(a), walk(b)
    bad = []
    for p in sorted(set(want) | set(got)):
        if p not in got:
            bad.append("missing: %r" % p)
        elif p not in want:
            bad.append("extra: %r" % p)
        else:
            w, g = canonical(want[p]), got[p]
            if w[:3] != g[:3]:
                bad.append("differs: %r: want %r got %r" % (p, w[:3], g[:3]))
    if groups(want) != groups(got):
        bad.append("hard links: want %r got %r" % (groups(want), groups(got)))
    for line in bad[:20]:
        print(line)
    print("%d entries, %d differences" % (len(want), len(bad)))
    return 1 if bad else 0


def deb(out, pkg, members, nocharset=False, data=None):
    """a .deb (ar) with a control.tar.gz and a pax data.tar of members (or
    data, a data.tar.gz)"""
    def tar(entries, fmt, gz):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w", format=fmt,
                          encoding="utf-8", errors="surrogateescape") as t:
            for name, data in entries:
                i = tarfile.TarInfo(os.fsdecode(name))
                i.size, i.mode, i.mtime = len(data), 0o644, 0
                t.addfile(i, io.BytesIO(data))
        return buf.getvalue()

    control = b"Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\n" \
              b"Description: names\n" % pkg.encode()
    parts = [(b"debian-binary", b"2.0\n"), (b"control.tar.gz", tar([(b"./control", control)], tarfile.USTAR_FORMAT, True)),
             (b"data.tar.gz", data) if data else (b"data.tar", tar(members, tarfile.PAX_FORMAT, False))]
    if nocharset:
        # the record's place taken by one of the same length that says nothing
        parts[2] = (b"data.tar", parts[2][1].replace(b"21 hdrcharset=BINARY\n", b"21 comment=abcdefghi\n"))
    with open(out, "wb") as f:
        f.write(b"!<arch>\n")
        for name, data in parts:
            f.write(b"%-16s%-12s%-6s%-6s%-8s%-10d`\n" % (name, b"0", b"0", b"0", b"100644", len(data)))
            f.write(data)
            if len(data) % 2:
                f.write(b"\n")


def emptyfiles(n):
    """a gzip tar of n empty files, written header by header (tarfile takes a
    minute for a million)"""
    head = bytearray(512)
    for off, value in ((100, b"0000644\0"), (108, b"0000000\0"), (116, b"0000000\0"),
                       (124, b"00000000000\0"), (136, b"00000000000\0"), (156, b"0"), (257, b"ustar\x0000")):
        head[off:off + len(value)] = value
    spaces = sum(head) + 8 * 32  # the checksum counts its own field as spaces
    z = zlib.compressobj(1, zlib.DEFLATED, 31)
    out, batch = [], []
    for i in range(n):
        name = b"./usr/share/many/%08d" % i
        h = bytearray(head)
        h[:len(name)] = name
        h[148:156] = b"%06o\0 " % (spaces + sum(name))
        batch.append(bytes(h))
        if len(batch) == 4096:
            out.append(z.compress(b"".join(batch)))
            batch = []
    batch.append(bytes(1024))
    out.append(z.compress(b"".join(batch)))
    out.append(z.flush())
    return b"".join(out)


def main():
    cmd = sys.argv[1]
    if cmd == "tree":
        tree(sys.argv[2])
    elif cmd == "flat":
        flat(sys.argv[2])
    elif cmd == "debtree":
        debtree(sys.argv[2])
    elif cmd == "lua":
        print(lua())
    elif cmd == "project":
        project(sys.argv[2])
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    elif cmd == "deb":
        deb(sys.argv[2], sys.argv[3], [(b"./usr/share/names2/new\nline", b"newline\n"),
                                       (b"./usr/share/names2/caf\xe9", b"latin-1\n")], nocharset=True)
    elif cmd == "badeb":
        deb(sys.argv[2], sys.argv[3], [(os.fsencode(sys.argv[4]), b"x\n")])
    elif cmd == "manydeb":
        deb(sys.argv[2], sys.argv[3], [], data=emptyfiles(int(sys.argv[4])))
    else:
        sys.exit("usage: names.py tree|flat|debtree|lua|project|compare|deb|badeb|manydeb ...")


if __name__ == "__main__":
    main()
