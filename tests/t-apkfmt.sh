# Alpine's formats (plugin/alpine, plugin/layer/apklayer.c) on a repository
# the test writes itself (python3: real gzip streams and tars, signed with
# openssl): native.apkindex through a small Lua module run by imagegen
# (IMAGEGEN_LUA), a good index read, a tampered index, an unknown key and a
# wrong key refused in one line each; a package layer's entries and its
# sidecar's installed block (the Z: checksums computed here by python);
# a tampered package and a lying lock refused; the apkdb entry's
# /lib/apk/db/installed; the same bytes from two runs; and, when
# apk-tools is built in /work/scratch/apk-tools (not in CI), apk itself
# reading the unpacked layers.
. "$TOP/tests/lib.sh"

workdir apkfmt
if ! have python3 || ! have openssl; then
	skip "apkfmt: python3 and openssl are needed"
	exit 0
fi
cd "$W" || exit 1
openssl genrsa -out key.rsa 2048 2>/dev/null && openssl rsa -in key.rsa -pubout -out key.rsa.pub 2>/dev/null
openssl genrsa -out other.rsa 2048 2>/dev/null && openssl rsa -in other.rsa -pubout -out other.rsa.pub 2>/dev/null

# the repository: hello (a script, a link, a 0600 file, a pre-install) and
# musl; tampered copies of the index and of hello beside
cat > gen.py <<'PY'
import tarfile, io, gzip, hashlib, subprocess, sys, os, base64, json
out, key = sys.argv[1], sys.argv[2]
keyname = os.path.basename(key) + ".pub"
def members(entries, end):
    b = io.BytesIO()
    t = tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT)
    for ti, data in entries:
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
    if not end:
        return b.getvalue()[:t.offset]
    t.close()
    return b.getvalue()
def gz(b): return gzip.compress(b, mtime=0)
def sign(data, k=key, name=keyname):
    s = subprocess.run(["openssl", "dgst", "-sha1", "-sign", k], input=data, capture_output=True, check=True).stdout
    t = tarfile.TarInfo(".SIGN.RSA." + name); t.size = len(s)
    return gz(members([(t, s)], False))
def ti(name, typ=tarfile.REGTYPE, mode=0o644, size=0, link="", sha=None):
    t = tarfile.TarInfo(name); t.type = typ; t.mode = mode; t.size = size; t.linkname = link; t.mtime = 1600000000
    if sha: t.pax_headers = {"APK-TOOLS.checksum.SHA1": sha}
    return t
def q1(b): return "Q1" + base64.b64encode(hashlib.sha1(b).digest()).decode()
expect = {}
def apk(name, ver, files, scripts={}, deps=[], tamper=False):
    ents = []
    zs = {}
    for f in files:
        if f[1] == "dir": ents.append((ti(f[0], tarfile.DIRTYPE, f[2]), None))
        elif f[1] == "link":
            ents.append((ti(f[0], tarfile.SYMTYPE, 0o777, 0, f[2], hashlib.sha1(f[2].encode()).hexdigest()), None))
            zs[f[0]] = q1(f[2].encode())
        else:
            d = f[2].encode()
            ents.append((ti(f[0], tarfile.REGTYPE, f[3], len(d), sha=hashlib.sha1(d).hexdigest()), d))
            zs[f[0]] = q1(d)
    data = gz(members(ents, True))
    info = "# Generated\npkgname = %s\npkgver = %s\npkgdesc = test %s\nurl = http://127.0.0.1/\nbuilddate = 1600000000\nsize = 100\narch = x86_64\norigin = %s\nlicense = MIT\n" % (name, ver, name, name)
    for d in deps: info += "depend = %s\n" % d
    info += "datahash = %s\n" % hashlib.sha256(data).hexdigest()
    cents = [(ti(".PKGINFO", size=len(info)), info.encode())]
    for k, v in scripts.items(): cents.append((ti(k, mode=0o755, size=len(v)), v.encode()))
    control = gz(members(cents, False))
    whole = sign(control) + control + data
    open(os.path.join(out, "%s-%s.apk" % (name, ver)), "wb").write(whole)
    if tamper:
        # the same package with one byte of a file changed (its checksums left)
        bad = [(e[0], e[1].replace(b"hi", b"ho") if e[1] else e[1]) for e in ents]
        open(os.path.join(out, "tampered.apk"), "wb").write(sign(control) + control + gz(members(bad, True)))
    expect[name] = {"checksum": q1(control), "sha256": hashlib.sha256(whole).hexdigest(), "size": len(whole), "z": zs}
    return "C:%s\nP:%s\nV:%s\nA:x86_64\nS:%d\nI:100\nT:test %s\nU:http://127.0.0.1/\nL:MIT\no:%s\nt:1600000000\n%s\n" % (q1(control), name, ver, len(whole), name, name, ("D:" + " ".join(deps) + "\n") if deps else "")
os.makedirs(out, exist_ok=True)
idx = apk("hello", "1.0-r0", [("usr", "dir", 0o755), ("usr/bin", "dir", 0o755), ("usr/bin/hello", "file", "#!/bin/sh\necho hi\n", 0o755), ("usr/bin/hi", "link", "hello"), ("etc", "dir", 0o755), ("etc/hello.conf", "file", "x=1\n", 0o600), ("etc/.keep_hello", "file", "", 0o644)], {".pre-install": "#!/bin/sh\naddgroup -S hello\n"}, ["so:libc.musl-x86_64.so.1"], tamper=True)
idx += apk("musl", "1.2.4-r0", [("lib", "dir", 0o755), ("lib/ld-musl-x86_64.so.1", "file", "ELF", 0o755)])
def index(text, signwith=key, name=keyname):
    body = gz(members([(ti("DESCRIPTION", size=4), b"test"), (ti("APKINDEX", size=len(text)), text)], True))
    return sign(body, signwith, name) + body
open(os.path.join(out, "APKINDEX.tar.gz"), "wb").write(index(idx.encode()))
# the index changed after it was signed: its signature kept
good = index(idx.encode())
sig = good[:len(good) - len(gz(members([(ti("DESCRIPTION", size=4), b"test"), (ti("APKINDEX", size=len(idx)), idx.encode())], True)))]
t = idx.replace("V:1.0-r0", "V:9.0-r0").encode()
open(os.path.join(out, "tampered.tar.gz"), "wb").write(sig + gz(members([(ti("DESCRIPTION", size=4), b"test"), (ti("APKINDEX", size=len(t)), t)], True)))
json.dump(expect, open(os.path.join(out, "expect.json"), "w"))
PY
check "apkfmt: the test's repository is written" python3 gen.py repo key.rsa
mkdir -p lua/lua/imagegen
cat > lua/lua/imagegen/main.lua <<'LUA'
local native = require("imagegen.native")
return { main = function(args)
	local keys = {}
	for i = 2, #args, 2 do keys[#keys + 1] = { name = args[i], path = args[i + 1] } end
	local ok, recs, desc = pcall(native.apkindex, args[1], keys)
	if not ok then io.stderr:write("error: ", recs, "\n") return 1 end
	io.write("description: ", desc, "\n")
	for _, r in ipairs(recs) do
		local ks = {}
		for k in pairs(r) do ks[#ks + 1] = k end
		table.sort(ks)
		for _, k in ipairs(ks) do io.write(k, ":", r[k], "\n") end
		io.write("\n")
	end
	return 0
end }
LUA
index() {
	IMAGEGEN_LUA=$W/lua "$IMAGEGEN" "$@"
}
index repo/APKINDEX.tar.gz key.rsa.pub key.rsa.pub > index.out 2> index.err
same "apkindex: a good index is read" "0" "$?"
hello_sum=$(python3 -c "import json;print(json.load(open('repo/expect.json'))['hello']['checksum'])")
contains "apkindex: the description" index.out "description: test"
contains "apkindex: hello's checksum, as python computed it" index.out "C:$hello_sum"
same "apkindex: two packages, in their order, with their names and versions" "P:hello V:1.0-r0 P:musl V:1.2.4-r0" \
	"$(grep -E '^(P|V):' index.out | tr '\n' ' ' | sed 's/ $//')"
same "apkindex: hello's depends, musl's none" "D:so:libc.musl-x86_64.so.1" "$(grep '^D:' index.out)"
index repo/tampered.tar.gz key.rsa.pub key.rsa.pub > /dev/null 2> err1
same "apkindex: a tampered index is refused in one line" \
	"error: repo/tampered.tar.gz: its signature does not verify with key.rsa.pub" "$(cat err1)"
index repo/APKINDEX.tar.gz other.rsa.pub other.rsa.pub > /dev/null 2> err2
same "apkindex: an unknown key is refused in one line" \
	"error: repo/APKINDEX.tar.gz: signed by key.rsa.pub, which is not one of the repository's keys" "$(cat err2)"
index repo/APKINDEX.tar.gz key.rsa.pub other.rsa.pub > /dev/null 2> err3
same "apkindex: the wrong key under the key's name is refused in one line" \
	"error: repo/APKINDEX.tar.gz: its signature does not verify with key.rsa.pub" "$(cat err3)"

# layer specs of the two packages and of the database, as apklang writes them
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
x = json.load(open(w + "/repo/expect.json"))
keys = [{"name": "key.rsa.pub", "path": w + "/key.rsa.pub"}]
def spec(name, ver, **over):
    e = {"type": "apk", "src": "%s/repo/%s-%s.apk" % (w, name, ver), "sha256": x[name]["sha256"], "size": x[name]["size"],
         "package": name, "version": ver, "architecture": "x86_64", "checksum": x[name]["checksum"], "keys": keys}
    e.update(over)
    return {"name": name, "compression": "gzip", "level": 6, "epoch": 0, "entries": [e]}
for n, v in (("hello", "1.0-r0"), ("musl", "1.2.4-r0")):
    json.dump(spec(n, v), open("%s/%s.spec" % (w, n), "w"))
json.dump(spec("hello", "1.0-r0", version="2.0-r0"), open(w + "/liar.spec", "w"))
import hashlib
t = open(w + "/repo/tampered.apk", "rb").read()
json.dump(spec("hello", "1.0-r0", src=w + "/repo/tampered.apk", sha256=hashlib.sha256(t).hexdigest(), size=len(t)), open(w + "/tampered.spec", "w"))
json.dump(spec("hello", "1.0-r0", keys=[{"name": "key.rsa.pub", "path": w + "/other.rsa.pub"}]), open(w + "/wrongkey.spec", "w"))
json.dump({"name": "db", "compression": "gzip", "level": 6, "epoch": 0, "entries": [{"type": "apkdb",
    "apk": [w + "/run1/musl.apk", w + "/run1/hello.apk"], "world": ["hello", "busybox"], "repositories": ["http://127.0.0.1/repo"],
    "arch": "x86_64", "keys": keys}]}, open(w + "/db.spec", "w"))
PY
layers() {
	mkdir -p "$1" && for l in musl hello db; do
		"$IMAGEGEN" layer "$l.spec" "$1/$l.json" "$1/$l.d" store || return 1
	done
}
check "apk layers: hello, musl and the database are written" layers run1
layerof() {
	blob=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['digest'][7:])" "$1")
	echo "store/sha256/$blob"
}
tar tvzf "$(layerof run1/hello.json)" | awk '{print $1, $2, $6, $7, $8}' | sed 's/ *$//' > hello.list
cat > hello.want <<'LIST'
drwxr-xr-x 0/0 etc/
-rw------- 0/0 etc/hello.conf
drwxr-xr-x 0/0 usr/
drwxr-xr-x 0/0 usr/bin/
-rwxr-xr-x 0/0 usr/bin/hello
lrwxrwxrwx 0/0 usr/bin/hi -> hello
LIST
check "apk layer: hello's files, modes and link, without .keep_ files" cmp hello.want hello.list
check "apk layer: no pax checksum records in the layer" sh -c "! gzip -dc $(layerof run1/hello.json) | grep -a -q APK-TOOLS"
python3 - "$W" > installed.want <<'PY'
import json, sys
w = sys.argv[1]
x = json.load(open(w + "/repo/expect.json"))
h, m = x["hello"], x["musl"]
print("""C:%s
P:hello
V:1.0-r0
A:x86_64
S:%d
I:100
T:test hello
U:http://127.0.0.1/
L:MIT
o:hello
t:1600000000
D:so:libc.musl-x86_64.so.1
F:usr
F:usr/bin
R:hello
a:0:0:755
Z:%s
R:hi
a:0:0:777
Z:%s
F:etc
R:hello.conf
a:0:0:600
Z:%s
""" % (h["checksum"], h["size"], h["z"]["usr/bin/hello"], h["z"]["usr/bin/hi"], h["z"]["etc/hello.conf"]))
print("""C:%s
P:musl
V:1.2.4-r0
A:x86_64
S:%d
I:100
T:test musl
U:http://127.0.0.1/
L:MIT
o:musl
t:1600000000
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:%s
""" % (m["checksum"], m["size"], m["z"]["lib/ld-musl-x86_64.so.1"]))
PY
python3 -c "import json,sys;sys.stdout.write(json.load(open(sys.argv[1]))['installed'])" run1/hello.apk > hello.block
check "apk sidecar: hello's installed block, as apk_db_write_fdb writes it" sh -c "head -n 24 installed.want | cmp - hello.block"
same "apk sidecar: hello's pre-install script and pkginfo" "#!/bin/sh addgroup -S hello  so:libc.musl-x86_64.so.1" \
	"$(python3 -c "import json,sys;j=json.load(open(sys.argv[1]));print(j['scripts']['.pre-install'].replace(chr(10),' '), j['pkginfo']['depend'])" run1/hello.apk)"
tar xzf "$(layerof run1/db.json)" -O lib/apk/db/installed > installed.got
check "apkdb: /lib/apk/db/installed holds the blocks by name" cmp installed.want installed.got
same "apkdb: /etc/apk/world sorted, arch, keys" "busybox hello|x86_64|etc/apk/keys/key.rsa.pub" \
	"$(tar xzf "$(layerof run1/db.json)" -O etc/apk/world | tr '\n' ' ' | sed 's/ $//')|$(tar xzf "$(layerof run1/db.json)" -O etc/apk/arch)|$(tar tzf "$(layerof run1/db.json)" | grep '^etc/apk/keys/.')"
same "apkdb: scripts.tar names each script as apk does" "hello-1.0-r0.$hello_sum.pre-install" \
	"$(tar xzf "$(layerof run1/db.json)" -O lib/apk/db/scripts.tar | tar tf -)"

# refusals: one line each, no layer written
for bad in tampered liar wrongkey; do
	"$IMAGEGEN" layer $bad.spec bad/$bad.json bad/$bad.d store > /dev/null 2> $bad.err
	rc=$?
	check "apk layer: the $bad package is refused (exit $rc, one line, no descriptor)" \
		sh -c "[ $rc -ne 0 ] && [ \$(wc -l < $bad.err) -eq 1 ] && [ ! -e bad/$bad.json ]"
done
contains "apk layer: a file changed after signing names the file" tampered.err "usr/bin/hello does not match its APK-TOOLS.checksum.SHA1"
contains "apk layer: a lock that lies about the version" liar.err "the lock says version 2.0-r0, the .apk says 1.0-r0"
contains "apk layer: the wrong key" wrongkey.err "its signature does not verify with key.rsa.pub"

# two runs, the same bytes
check "apk layers: a second run" layers run2
same "apk layers: the same descriptors and sidecars from two runs" "$(cat run1/*.json run1/*.apk | sha256sum)" "$(cat run2/*.json run2/*.apk | sha256sum)"

# tests/apkrepo.py's packages (abuild's shape: GNU pax headers, owners by
# name over uid 0, a noarch package indexed under x86_64, RSA256 signatures)
cat > spec.json <<'JSON'
{ "packages": [
  { "name": "base", "version": "1.0-r0", "arch": "x86_64", "files": [
    { "path": "etc/passwd", "text": "root:x:0:0:root:/root:/bin/sh\n" },
    { "path": "etc/group", "text": "root:x:0:root\n" },
    { "path": "etc/shadow", "text": "root:*::0:::::\n", "mode": "0640", "gid": 42 } ] },
  { "name": "srv", "version": "2.1-r3", "arch": "x86_64", "depends": ["base"],
    "scripts": { ".pre-install": "#!/bin/sh\naddgroup -S srv\nadduser -S -D -H -G srv srv\n" }, "files": [
    { "path": "usr/bin/srv", "text": "#!/bin/sh\n", "mode": "0755" },
    { "path": "var/lib/srv", "dir": true, "mode": "0750", "owner": "srv", "group": "srv" },
    { "path": "var/lib/srv/state", "text": "s\n", "owner": "srv", "group": "srv" } ] },
  { "name": "srv-doc", "version": "2.1-r3", "arch": "noarch", "install_if": ["srv=2.1-r3", "docs"], "files": [
    { "path": "usr/share/doc/srv/README", "text": "read me\n" } ] } ] }
JSON
if python3 "$TOP/tests/apkrepo.py" ar --key "$W/ar.rsa" --spec spec.json --rsa256 > ar.log 2>&1 &&
   python3 "$TOP/tests/apkrepo.py" ar-ti --key "$W/ar.rsa" --spec spec.json --tamper-index > ar.log 2>&1 &&
   python3 "$TOP/tests/apkrepo.py" ar-tp --key "$W/ar.rsa" --spec spec.json --tamper-package srv > ar.log 2>&1; then
	ok "apkrepo.py: the repositories are written"
else
	fail "apkrepo.py: the repositories are written"
	sed 's/^/    /' ar.log | head -n 5
fi
index ar/x86_64/APKINDEX.tar.gz ar.rsa.pub ar.rsa.pub > ar.index 2> ar.err
same "apkindex: apkrepo.py's RSA256 index is read: base, srv, srv-doc (A:x86_64)" "P:base P:srv P:srv-doc A:x86_64" \
	"$(grep '^P:' ar.index | tr '\n' ' ')$(grep '^A:' ar.index | sort -u)"
index ar-ti/x86_64/APKINDEX.tar.gz ar.rsa.pub ar.rsa.pub > /dev/null 2> ar-ti.err
same "apkindex: apkrepo.py's tampered index is refused" \
	"error: ar-ti/x86_64/APKINDEX.tar.gz: its signature does not verify with ar.rsa.pub" "$(cat ar-ti.err)"
python3 - "$W" <<'PY'
import json, sys, hashlib
w = sys.argv[1]
recs, r = [], {}
for line in open(w + "/ar.index").read().split("\n"):
    if not line:
        if r: recs.append(r)
        r = {}
    elif ":" in line and not line.startswith("description"):
        r[line[0]] = line[2:]
keys = [{"name": "ar.rsa.pub", "path": w + "/ar.rsa.pub"}]
def spec(r, repo="ar"):
    f = "%s/%s/x86_64/%s-%s.apk" % (w, repo, r["P"], r["V"])
    b = open(f, "rb").read()
    return {"name": r["P"], "compression": "gzip", "level": 6, "epoch": 0, "entries": [{"type": "apk", "src": f,
        "sha256": hashlib.sha256(b).hexdigest(), "size": len(b), "package": r["P"], "version": r["V"],
        "architecture": r["A"], "checksum": r["C"], "keys": keys}]}
for r in recs:
    json.dump(spec(r), open("%s/ar-%s.spec" % (w, r["P"]), "w"))
srv = [r for r in recs if r["P"] == "srv"][0]
json.dump(spec(srv, "ar-tp"), open(w + "/ar-tampered.spec", "w"))
json.dump({"name": "db", "compression": "gzip", "level": 6, "epoch": 0, "entries": [{"type": "apkdb",
    "apk": [w + "/ar/base.apk", w + "/ar/srv.apk", w + "/ar/srv-doc.apk"], "world": ["srv"], "repositories": [],
    "arch": "x86_64", "keys": keys, "users": [{"name": "srv", "uid": 100, "gid": 101, "home": "/var/lib/srv",
    "shell": "/sbin/nologin", "gecos": "Linux User,,,"}], "groups": [{"name": "srv", "gid": 101, "members": ["srv"]}]}]},
    open(w + "/ar-db.spec", "w"))
PY
arlayers() {
	mkdir -p ar && for l in base srv srv-doc db; do
		"$IMAGEGEN" layer "ar-$l.spec" "ar/$l.json" "ar/$l.d" store || return 1
	done
}
check "apk layers: apkrepo.py's packages and their database" arlayers
"$IMAGEGEN" layer ar-tampered.spec bad/ar.json bad/ar.d store > /dev/null 2> ar-tp.err
same "apk layer: apkrepo.py's tampered package is refused in one line" 1 "$(grep -c 'package srv: .*usr/bin/srv does not match' ar-tp.err)"
# a package with a member named like a whiteout (which would delete a lower layer's file), signed
# and indexed like any other: refused by name (a member climbing out takes the same path; apkrepo.py
# does not write one)
cat > climb.json <<'JSON'
{ "packages": [ { "name": "climb", "version": "1.0-r0", "arch": "x86_64", "files": [
    { "path": "etc/.wh.passwd", "text": "x\n" } ] } ] }
JSON
python3 "$TOP/tests/apkrepo.py" ac --key "$W/ar.rsa" --spec climb.json > ac.log 2>&1 || fail "apkrepo.py: the climbing package is written"
# onespec REPO NAME: NAME.spec, the layer spec of the one package of apkrepo.py's repository REPO
onespec() {
	index "$1/x86_64/APKINDEX.tar.gz" ar.rsa.pub ar.rsa.pub > "$1.index" 2> "$1.err"
	python3 - "$W" "$1" "$2" <<'PY'
import json, sys, hashlib
w, repo, name = sys.argv[1:]
r = dict((l[0], l[2:]) for l in open("%s/%s.index" % (w, repo)).read().split("\n") if l[1:2] == ":")
f = "%s/%s/x86_64/%s-%s.apk" % (w, repo, r["P"], r["V"])
b = open(f, "rb").read()
json.dump({"name": name, "compression": "gzip", "level": 6, "epoch": 0, "entries": [{"type": "apk", "src": f,
    "sha256": hashlib.sha256(b).hexdigest(), "size": len(b), "package": r["P"], "version": r["V"],
    "architecture": r["A"], "checksum": r["C"], "keys": [{"name": "ar.rsa.pub", "path": w + "/ar.rsa.pub"}]}]},
    open("%s/%s.spec" % (w, name), "w"))
PY
}
onespec ac climb
"$IMAGEGEN" layer climb.spec bad/climb.json bad/climb.d store > /dev/null 2> climb.err
same "apk layer: a member named like a whiteout is refused in one line, by name" \
	"1 'etc/.wh.passwd' is named like a whiteout" \
	"$(grep -c . climb.err) $(grep -o "'[^']*' is named like a whiteout" climb.err)"
check "apk layer: nothing written for it" test ! -e bad/climb.json
# a file whose uid octal cannot hold: GNU tar's base-256 number (base/tarhdr.c), read as its value
cat > big.json <<'JSON'
{ "packages": [ { "name": "big", "version": "1.0-r0", "arch": "x86_64", "files": [
    { "path": "srv/big", "text": "x\n", "uid": 3000000, "gid": 7 } ] } ] }
JSON
python3 "$TOP/tests/apkrepo.py" ab --key "$W/ar.rsa" --spec big.json > ab.log 2>&1 || fail "apkrepo.py: the package of a big uid is written"
same "apkrepo.py: its uid field is base-256" "80 00 00 00 00 2d c6 c0" \
	"$(python3 - "$W/ab/x86_64/big-1.0-r0.apk" <<'PY'
import sys, zlib
data, streams = open(sys.argv[1], "rb").read(), []
while data:
    z = zlib.decompressobj(31)
    streams.append(z.decompress(data))
    data = z.unused_data
tar = streams[-1]
at = 0
while tar[at:at + 1] != b"\0":
    h = tar[at:at + 512]
    name = h[:100].rstrip(b"\0")
    size = int(h[124:135] or b"0", 8)
    if name == b"srv/big":
        print(" ".join("%02x" % c for c in h[108:116]))
    at += 512 + (size + 511) // 512 * 512
PY
)"
onespec ab big
mkdir -p ab
check "apk layer: a package with a base-256 uid" "$IMAGEGEN" layer big.spec ab/big.json ab/big.d store
same "apk layer: the file's owner is the base-256 uid" "3000000/7 srv/big" \
	"$(tar tvzf "$(layerof ab/big.json)" | awk '$6 == "srv/big" {print $2, $6}')"
tar xzf "$(layerof ar/db.json)" -O lib/apk/db/installed > ar.installed
contains "apkdb: a folder owned by name gets the account's ids, as apk gives them" ar.installed "M:100:101:750"
same "apkdb: and the layer's folder and file are the account's" "drwxr-x--- 100/101 var/lib/srv/|-rw-r--r-- 100/101 var/lib/srv/state" \
	"$(tar tvzf "$(layerof ar/db.json)" | awk '$6 ~ /^var\/lib\/srv/ {print $1, $2, $6}' | tr '\n' '|' | sed 's/|$//')"
contains "apkdb: a noarch package under the repository's arch" ar.installed "A:x86_64"
same "apkdb: /etc/shadow keeps its package's owner, the account added" "-rw-r----- 0/42|root:*::0::::: srv:!::0:::::" \
	"$(tar tvzf "$(layerof ar/db.json)" | awk '$6 == "etc/shadow" {print $1, $2}')|$(tar xzf "$(layerof ar/db.json)" -O etc/shadow | tr '\n' ' ' | sed 's/ $//')"

# apk itself on the unpacked layers (development machines: apk-tools built in /work/scratch)
APK=/work/scratch/apk-tools/src/apk
if [ -x "$APK" ]; then
	mkdir -p root
	for l in musl hello db; do tar xzf "$(layerof run1/$l.json)" -C root; done
	mkdir -p arroot
	for l in base srv srv-doc db; do tar xzf "$(layerof ar/$l.json)" -C arroot; done
	APK="env LD_LIBRARY_PATH=/work/scratch/apk-tools/src $APK"
	$APK --root "$W/root" info -v > apkinfo.out 2> /dev/null
	same "apk info -v lists the packages" "hello-1.0-r0 musl-1.2.4-r0" "$(sort apkinfo.out | tr '\n' ' ' | sed 's/ $//')"
	$APK --root "$W/root" audit --system > apkaudit.out 2>&1
	same "apk audit --system finds every file as the database has it" "" "$(cat apkaudit.out)"
	echo changed >> root/usr/bin/hello
	$APK --root "$W/root" audit --system > apkaudit2.out 2>&1
	$APK --root "$W/arroot" audit --system > araudit.out 2>&1
	same "apk audit --system on apkrepo.py's packages (owners by name)" "" "$(cat araudit.out)"
	same "apk audit --system sees a changed file (the check can fail)" "U usr/bin/hello" "$(cat apkaudit2.out)"
else
	skip "apk: apk-tools is not built in /work/scratch/apk-tools"
fi
