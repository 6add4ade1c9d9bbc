#!/usr/bin/python3
"""spdxbytes.py DOC...: each SPDX document imagegen wrote holds the bytes jansson
writes of what it says (keys sorted, compact: dumpjson), and its namespace ends
in the sha256 of the document without the documentNamespace member. imagegen
writes the document piece by piece (sbom.c, jsonquote); this holds it to the
bytes of one dump. jansson is the machine's own libjansson.so.4, through ctypes.
Prints "ok", or what differs and where; exits 2 without libjansson."""
import ctypes
import ctypes.util
import hashlib
import json
import re
import sys

JSON_COMPACT, JSON_SORT_KEYS = 0x20, 0x80

try:
    lib = ctypes.CDLL("libjansson.so.4")
except OSError:
    print("no libjansson.so.4")
    sys.exit(2)
lib.json_loadb.restype = ctypes.c_void_p
lib.json_loadb.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
lib.json_dumps.restype = ctypes.c_void_p
lib.json_dumps.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
lib.json_delete.argtypes = [ctypes.c_void_p]
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.free.argtypes = [ctypes.c_void_p]

bad = 0
for path in sys.argv[1:]:
    text = open(path, "rb").read()
    err = ctypes.create_string_buffer(1024)
    j = lib.json_loadb(text, len(text), 0, err)
    if not j:
        print("%s: jansson does not read it: %s" % (path, err.raw[:200]))
        bad += 1
        continue
    out = lib.json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)
    dumped = ctypes.string_at(out)
    libc.free(out)
    # the reference count is 1: json_decref would call json_delete
    lib.json_delete(j)
    if dumped != text:
        at = next((i for i in range(min(len(text), len(dumped))) if text[i] != dumped[i]), min(len(text), len(dumped)))
        print("%s: byte %d differs from jansson's dump: %r against %r" % (path, at, text[max(0, at - 40):at + 40],
                                                                          dumped[max(0, at - 40):at + 40]))
        bad += 1
        continue
    ns = json.loads(text)["documentNamespace"]
    # the member as written: a bare quote cannot be inside a string, so the first match is the key's
    member = re.search(rb'"documentNamespace":"(?:[^"\\]|\\.)*",', text)
    digest = hashlib.sha256(text[:member.start()] + text[member.end():]).hexdigest()
    if not re.fullmatch(r"https://spdx\.org/spdxdocs/imagegen/.*-" + digest, ns, re.S):
        print("%s: the namespace %s does not end in the digest of the rest, %s" % (path, ns, digest))
        bad += 1
        continue
print("ok" if bad == 0 else "%d bad" % bad)
sys.exit(1 if bad else 0)
