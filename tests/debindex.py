# debindex.write(DIST, ARCH, PARAGRAPHS): a synthetic Debian index from the
# Packages paragraphs, the same bytes on every run: DIST/main/binary-ARCH/
# Packages (and .xz) and DIST/Release (unsigned), for synthrepo.py and
# budgetrepo.py.
import hashlib
import lzma
import os


def write(dist, arch, paragraphs):
    text = "\n".join(paragraphs).encode()
    stem = "main/binary-%s/Packages" % arch
    os.makedirs(os.path.join(dist, os.path.dirname(stem)), exist_ok=True)
    with open(os.path.join(dist, stem), "wb") as f:
        f.write(text)
    with open(os.path.join(dist, stem + ".xz"), "wb") as f:
        f.write(lzma.compress(text))
    lines = []
    for s in (stem, stem + ".xz"):
        data = open(os.path.join(dist, s), "rb").read()
        lines.append(" %s %d %s" % (hashlib.sha256(data).hexdigest(), len(data), s))
    with open(os.path.join(dist, "Release"), "w") as f:
        f.write("Origin: synthetic\nSuite: synthetic\nCodename: synthetic\nDate: Thu, 01 Jan 2026 00:00:00 UTC\n"
                "Architectures: %s\nComponents: main\nSHA256:\n%s\n" % (arch, "\n".join(lines)))
