#!/usr/bin/env python3
# synthrepo.py DIST ARCH N CLOSURE: a synthetic Debian index, the same bytes
# on every run, for the resolver's test (t-resolve.sh) and its benchmark.
# Writes DIST/main/binary-ARCH/Packages (and .xz) and DIST/Release (unsigned).
#
# Packages p00000 ... are N in all; the first CLOSURE are the closure of
# p00000 (each is needed by one before it, then more edges at random): with
# versions and version relations, alternatives, virtual packages provided
# with and without a version (several providers each), ':any', Architecture
# all, Priorities, Essential packages, and Breaks and Conflicts that hold
# for no chosen package. Some packages outside the closure are there to
# conflict: conflictmany (Conflicts with a virtual package that several
# chosen packages provide), breaker (Breaks p00001 << 9), and needsnothing.
#
# synthrepo.py DIST ARCH N chain: a chain instead, p00000 Depends on
# p00001, which Depends on p00002, ... to the N-th (t-chain.sh).
import hashlib, random, sys
import debindex

dist, arch, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
chain = sys.argv[4] == "chain"
closure = 0 if chain else int(sys.argv[4])
rng = random.Random(15)
name = lambda i: "p%05d" % i
paragraphs = []
# packages some Depends names with ':any', which apt allows only of a
# package that is Multi-Arch: allowed
anyarch = set()


def package(pkg, version, fields, architecture=None):
    digest = hashlib.sha256(("%s %s" % (pkg, version)).encode()).hexdigest()
    a = architecture or arch
    p = ["Package: " + pkg, "Version: " + version, "Architecture: " + a] + fields + [
        "Filename: pool/main/%s_%s_%s.deb" % (pkg, version, a), "Size: %d" % (1000 + len(paragraphs)),
        "SHA256: " + digest, "Description: synthetic package %s" % pkg]
    paragraphs.append("\n".join(p) + "\n")


for i in range(n if chain else 0):
    package(name(i), "1.0", ["Priority: optional"] + (["Depends: %s (>= 1.0)" % name(i + 1)] if i + 1 < n else []))
for i in range(0 if chain else n):
    deps = []
    # every package of the closure is needed by one before it: a tree, then more edges
    for k in (3 * i + 1, 3 * i + 2, 3 * i + 3):
        if i < closure and k < closure:
            deps.append("%s (>= 1.0)" % name(k))
    for _ in range(rng.randint(0, 4)):
        if i + 1 >= n:
            break
        k = rng.randrange(i + 1, n)
        if i < closure and k >= closure:
            continue
        r = rng.random()
        if r < 0.15 and closure < n:
            deps.append("%s | %s" % (name(k), name(rng.randrange(closure, n))))
        elif r < 0.22 and i < closure:
            deps.append("virt%03d" % (k % 300 % max(1, closure // 10)))
        elif r < 0.27 and i < closure:
            deps.append("virt%03d (>= 1.0)" % (k % 300 % max(1, closure // 10)))
        elif r < 0.32 and i < closure:
            deps.append("virtu%03d" % (k % 20))
        elif r < 0.40:
            deps.append("%s (<< 9)" % name(k))
        elif r < 0.45:
            deps.append("%s:any" % name(k))
            anyarch.add(k)
        else:
            deps.append(name(k))
    versions = ["1.%d" % (i % 7)] + (["2.0~rc%d" % (i % 3)] if i % 5 == 0 else [])
    for v in versions:
        fields = ["Priority: " + ("required" if i % 211 == 0 else "important" if i % 97 == 0 else
                                  "standard" if i % 31 == 0 else "optional")]
        provides = []
        if i % 10 == 0 and i < closure:
            provides.append("virt%03d (= %s)" % (i // 10 % 300, v))
        if i % 10 == 5 and i < closure:
            provides.append("virtu%03d" % (i // 10 % 20))
        if provides:
            fields.append("Provides: " + ", ".join(provides))
        if i % 211 == 0:
            fields.append("Essential: yes")
        if i in anyarch:
            fields.append("Multi-Arch: allowed")
        if deps:
            fields.append("Depends: " + ", ".join(deps))
        if i % 50 == 0:
            fields.append("Breaks: %s (<< 0.5)" % name((i + 1) % n))
        if i % 70 == 0:
            fields.append("Conflicts: nosuchpackage")
        package(name(i), v, fields, "all" if i % 13 == 0 else None)
if not chain:
    package("conflictmany", "1.0", ["Priority: optional", "Conflicts: virtu003"])
    package("breaker", "1.0", ["Priority: optional", "Breaks: p00001 (<< 9)"])
    package("needsnothing", "1.0", ["Priority: optional"])

debindex.write(dist, arch, paragraphs)
