#!/usr/bin/env python3
# budgetrepo.py DIST ARCH: a synthetic Debian index for the layer budget's
# test (t-budget.sh), the same bytes on every run. Writes
# DIST/main/binary-ARCH/Packages (and .xz) and DIST/Release (unsigned).
#
#   core            no Depends; every app Depends on it
#   lib00 ... lib39 no Depends; app_i Depends on lib(i mod 40)
#   app000 ... app119
#   big             Depends on every app: 162 packages with core and the libs
#   small           Depends on app100 ... app119: 42 packages, 41 of them big's
import hashlib, sys
import debindex

dist, arch = sys.argv[1], sys.argv[2]
paragraphs = []


def package(pkg, depends):
    digest = hashlib.sha256(pkg.encode()).hexdigest()
    p = ["Package: " + pkg, "Version: 1.0", "Architecture: " + arch, "Priority: optional"]
    if depends:
        p.append("Depends: " + ", ".join(depends))
    p += ["Filename: pool/main/%s_1.0_%s.deb" % (pkg, arch), "Size: %d" % (1000 + len(paragraphs)),
          "SHA256: " + digest, "Description: synthetic package %s" % pkg]
    paragraphs.append("\n".join(p) + "\n")


package("core", [])
for i in range(40):
    package("lib%02d" % i, [])
for i in range(120):
    package("app%03d" % i, ["core", "lib%02d" % (i % 40)])
package("big", ["app%03d" % i for i in range(120)])
package("small", ["app%03d" % i for i in range(100, 120)])

debindex.write(dist, arch, paragraphs)
