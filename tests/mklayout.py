# mklayout.py [--gzip] DIR NAME[:SIZE]...: an OCI layout in DIR with one
# image of one layer whose members are the NAMEs, each a file holding its
# own name (or SIZE bytes of "x"), written as given: for the tests of what
# the reader refuses. Prints the layer's digest.
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(d, data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(d, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h, len(data)


class Hashed:
    """a file that hashes what is written to it (the tar stream: its diff_id)"""

    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        return self.f.write(b)

    def tell(self):
        return self.n


class Repeat:
    """size bytes of "x", read in pieces"""

    def __init__(self, size):
        self.left = size

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return b"x" * n


def main():
    args = sys.argv[1:]
    gz = args[0] == "--gzip"
    if gz:
        args = args[1:]
    d, names = args[0], args[1:]
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    tmp = os.path.join(d, "layer.tmp")
    with open(tmp, "wb") as raw:
        out = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) if gz else raw
        tarred = Hashed(out)
        with tarfile.open(fileobj=tarred, mode="w", format=tarfile.PAX_FORMAT) as t:
            for n in names:
                name, _, size = n.rpartition(":")
                if not size.isdigit():
                    name, size = n, ""
                info = tarfile.TarInfo(name)
                info.size = int(size) if size else len(name.encode())
                t.addfile(info, Repeat(info.size) if size else io.BytesIO(name.encode()))
        if gz:
            out.close()
    with open(tmp, "rb") as f:
        layer = hashlib.sha256()
        for piece in iter(lambda: f.read(1 << 20), b""):
            layer.update(piece)
    lsize = os.path.getsize(tmp)
    layer = "sha256:" + layer.hexdigest()
    os.rename(tmp, os.path.join(d, "blobs", "sha256", layer[7:]))
    diffid = "sha256:" + tarred.h.hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [diffid]}}).encode()
    cdigest, csize = blob(d, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cdigest, "size": csize},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar" + (
                                           "+gzip" if gz else ""),
                                       "digest": layer, "size": lsize}]}).encode()
    mdigest, msize = blob(d, manifest)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize}]}, f)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    print(layer)


main()
