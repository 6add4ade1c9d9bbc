#!/usr/bin/env python3
"""tarlist.py LAYER: one line per tar entry, in archive order, with every
header field a layer's bytes depend on: type, mode, uid/gid, uname/gname,
mtime, size, link target and pax records (sorted)."""
import sys
import tarfile

TYPES = {tarfile.REGTYPE: "f", tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h"}
with tarfile.open(sys.argv[1], "r:*") as t:
    for m in t:
        pax = ",".join("%s=%s" % kv for kv in sorted(m.pax_headers.items()) if kv[0] != "path")
        print("%s %s %04o %d:%d [%s:%s] %d %d %s %s" % (
            TYPES.get(m.type, m.type), m.name + ("/" if m.isdir() else ""), m.mode, m.uid, m.gid,
            m.uname, m.gname, m.mtime, m.size, m.linkname or "-", pax or "-"))
