# The synthetic Alpine repository (tests/apkrepo.py) that the Alpine tests
# build from: the same bytes from two runs, and streams, signatures,
# checksums and index as the format has them, read back with Python's zlib
# and tarfile and verified with openssl (tests/apkcheck.py), so that a fault
# of the fixture shows here rather than as a puzzle in another test.
. "$TOP/tests/lib.sh"

workdir apkrepo
repo() { python3 "$TOP/tests/apkrepo.py" "$@"; }
verify() { python3 "$TOP/tests/apkcheck.py" "$@"; }
openssl genrsa -out "$W/test.rsa" 2048 2>/dev/null

# a repository of a spec: text, a host file, a symlink, a folder of another
# owner, scripts, a trigger, provides, install_if, a conflict
printf 'hello\n' > "$W/hello.txt"
cat > "$W/spec.json" <<'EOF'
{ "description": "spec-test", "packages": [
  { "name": "base", "version": "1.0-r0", "provides": ["cmd:hello=1.0-r0", "virtual"],
    "provider_priority": 10, "triggers": ["/usr/share/hello"],
    "scripts": { ".pre-install": "#!/bin/sh\naddgroup -S web\n", ".trigger": "#!/bin/sh\nexit 0\n" },
    "files": [ { "path": "usr/share/hello/a.txt", "text": "a\n" },
               { "path": "usr/share/hello/b.txt", "from": "hello.txt", "mode": "0600" },
               { "path": "usr/share/hello/link", "symlink": "a.txt" },
               { "path": "var/www", "dir": true, "mode": 488, "owner": "web", "group": "web" } ] },
  { "name": "base", "version": "1.0_rc1-r0", "files": [ { "path": "etc/base", "text": "rc\n" } ] },
  { "name": "extra", "version": "2-r1", "arch": "noarch", "depends": ["base>=1.0", "!other"],
    "install_if": ["base=1.0-r0"], "files": [ { "path": "etc/extra", "text": "x\n" } ] } ] }
EOF
(cd / && repo "$W/spec" --key "$W/test.rsa" --spec "$W/spec.json")
check "apkrepo: a spec's repository has the format (streams, signatures, datahash, checksums, index)" \
	verify "$W/spec/x86_64" "$W/test.rsa.pub"
same "apkrepo: the public key is written beside the private one" \
	"$(openssl rsa -in "$W/test.rsa" -pubout 2>/dev/null)" "$(cat "$W/test.rsa.pub")"
same "apkrepo: a package a file, named NAME-VERSION.apk" \
	"APKINDEX.tar.gz base-1.0-r0.apk base-1.0_rc1-r0.apk extra-2-r1.apk" "$(ls "$W/spec/x86_64" | tr '\n' ' ' | sed 's/ $//')"
python3 - "$W/spec/x86_64" > "$W/spec.txt" <<'EOF'
import io, sys, tarfile, zlib
def streams(path):
    rest, out = open(path, "rb").read(), []
    while rest:
        z = zlib.decompressobj(31)
        out.append(z.decompress(rest))
        rest = z.unused_data
    return out
s = streams(sys.argv[1] + "/APKINDEX.tar.gz")
print(tarfile.open(fileobj=io.BytesIO(s[1])).extractfile("APKINDEX").read().decode())
s = streams(sys.argv[1] + "/base-1.0-r0.apk")
control = tarfile.open(fileobj=io.BytesIO(s[1] + bytes(1024)))
print(control.getnames())
print(control.extractfile(".PKGINFO").read().decode())
for m in tarfile.open(fileobj=io.BytesIO(s[2])):
    print("member %s %s %o %d %d %s:%s %s" % (m.name, m.type.decode(), m.mode, m.uid, m.gid, m.uname, m.gname,
          sorted(m.pax_headers.items())))
EOF
tr '\n' '|' < "$W/spec.txt" > "$W/spec.flat"
contains "apkrepo: the index block as apk index writes it (C P V A S I T U L o m t c k, then D p i)" "$W/spec.flat" \
	"|U:https://example.org/base|L:MIT|o:base|m:Synthetic Maintainer <maintainer@example.org>|t:1700000000|c:$(printf base-1.0-r0 | sha1sum | cut -c1-40)|k:10|p:virtual cmd:hello=1.0-r0||"
contains "apkrepo: the index's A: of a noarch package is the repository's (apk index --rewrite-arch)" "$W/spec.flat" \
	"|P:extra|V:2-r1|A:x86_64|"
contains "apkrepo: depends and install_if in the index" "$W/spec.flat" "|D:base>=1.0 !other|i:base=1.0-r0||"
same "apkrepo: versions in apk's order in the index (1.0_rc1-r0 is older than 1.0-r0)" "V:1.0_rc1-r0 V:1.0-r0" \
	"$(grep -A1 '^P:base$' "$W/spec.txt" | grep '^V:' | tr '\n' ' ' | sed 's/ $//')"
contains "apkrepo: the control is .PKGINFO, then the scripts in apk's order" "$W/spec.txt" \
	"['.PKGINFO', '.pre-install', '.trigger']"
contains "apkrepo: .PKGINFO as abuild writes it: installed size, triggers, provides, detected ones after their comment" \
	"$W/spec.flat" "|size = 8|arch = x86_64|origin = base|commit = $(printf base-1.0-r0 | sha1sum | cut -c1-40)|maintainer = Synthetic Maintainer <maintainer@example.org>|provider_priority = 10|license = MIT|provides = virtual|triggers = /usr/share/hello|# automatically detected:|provides = cmd:hello=1.0-r0|datahash = "
contains "apkrepo: a folder of another owner: uname/gname with uid 0, as abuild's owner map" "$W/spec.txt" \
	"member var/www 5 750 0 0 web:web [('atime', '0'), ('ctime', '0')]"
contains "apkrepo: a symlink's pax checksum is the SHA-1 of its target" "$W/spec.txt" \
	"member usr/share/hello/link 2 777 0 0 root:root [('APK-TOOLS.checksum.SHA1', '$(printf a.txt | sha1sum | cut -c1-40)'), ('atime', '0'), ('ctime', '0')]"
contains "apkrepo: a host file, its mode" "$W/spec.txt" \
	"member usr/share/hello/b.txt 0 600 0 0 root:root [('APK-TOOLS.checksum.SHA1', '$(sha1sum < "$W/hello.txt" | cut -c1-40)')"

# a spec's mistake: one line, no repository
echo '[{"name": "a", "version": "1-r0", "files": [{"path": "x"}]}]' > "$W/bad.json"
repo "$W/bad" --key "$W/test.rsa" --spec "$W/bad.json" > "$W/bad.out" 2>&1
same "apkrepo: a file without content in a spec: exit 1, one line, no index" "1 1 no" \
	"$? $(wc -l < "$W/bad.out") $(test -e "$W/bad/x86_64/APKINDEX.tar.gz" && echo index || echo no)"

# tampered, re-keyed and RSA256 repositories
repo "$W/tindex" --key "$W/test.rsa" --spec "$W/spec.json" --tamper-index
verify "$W/tindex/x86_64" "$W/test.rsa.pub" > "$W/tindex.out"
contains "apkrepo: --tamper-index: the index's signature no longer verifies" "$W/tindex.out" \
	"APKINDEX.tar.gz: its signature .SIGN.RSA.test.rsa.pub does not verify"
repo "$W/tpkg" --key "$W/test.rsa" --spec "$W/spec.json" --tamper-package base-1.0-r0
verify "$W/tpkg/x86_64" "$W/test.rsa.pub" > "$W/tpkg.out"
contains "apkrepo: --tamper-package: the data no longer matches datahash" "$W/tpkg.out" \
	"base-1.0-r0.apk: datahash is not the SHA-256 of the data stream"
contains "apkrepo: --tamper-package: the file's checksum fails too" "$W/tpkg.out" \
	"base-1.0-r0.apk: usr/share/hello/a.txt: APK-TOOLS.checksum.SHA1 does not hold"
check "apkrepo: --tamper-package: the index is the one of the package as signed" \
	cmp "$W/spec/x86_64/APKINDEX.tar.gz" "$W/tpkg/x86_64/APKINDEX.tar.gz"
repo "$W/rsa256" --key "$W/test.rsa" --spec "$W/spec.json" --rsa256 --key-name other.rsa.pub
check "apkrepo: --rsa256: SHA-256 signatures that verify" verify "$W/rsa256/x86_64" "$W/test.rsa.pub"
same "apkrepo: --key-name: the signature names that key" ".SIGN.RSA256.other.rsa.pub" \
	"$(tar -tzf "$W/rsa256/x86_64/APKINDEX.tar.gz" 2>/dev/null | head -1)"

# the default repository, the issue's nginx scenario, twice: same bytes
if ! have musl-gcc; then
	skip "apkrepo: the default repository (no musl-gcc here: apt-get install musl-tools)"
	exit 0
fi
repo "$W/one" --key "$W/test.rsa"
mkdir -p "$W/elsewhere"
(cd "$W/elsewhere" && umask 077 && repo ../two --key ../test.rsa)
check "apkrepo: two runs write the same bytes (another folder, another umask)" diff -r "$W/one" "$W/two"
check "apkrepo: the default repository has the format" \
	verify "$W/one/x86_64" "$W/test.rsa.pub" --extract "$W/root" musl-1.2.3-r0 pcre-8.45-r3 zlib-1.2.13-r1 nginx-1.18.0-r15
same "apkrepo: the default packages" \
	"alpine-baselayout-data-3.4.3-r1 busybox-1.35.0-r0 docs-1.0-r0 musl-1.2.3-r0 nginx-1.16.1-r8 nginx-1.18.0-r0 nginx-1.18.0-r15 nginx-1.20.2-r2 nginx-1.24.0-r7 nginx-doc-1.16.1-r8 nginx-doc-1.18.0-r0 nginx-doc-1.18.0-r15 nginx-doc-1.20.2-r2 nginx-doc-1.24.0-r7 pcre-8.45-r3 tiny-httpd-1.0-r0 zlib-1.2.13-r1" \
	"$(cd "$W/one/x86_64" && ls *.apk | sed 's/\.apk$//' | tr '\n' ' ' | sed 's/ $//')"
if [ "$(id -u)" != 0 ]; then
	skip "apkrepo: nginx runs from its packages' files (chroot needs root)"
	exit 0
fi
chroot "$W/root" /usr/sbin/nginx -V > "$W/nginx.out" 2>&1
contains "apkrepo: nginx runs on musl's loader with libpcre and libz from their packages" "$W/nginx.out" \
	"built with PCRE 8.45 2021-06-15 and zlib 1.2.13"
NGINX_PORT=0 chroot "$W/root" /usr/sbin/nginx -g 'daemon off;' &
pid=$!
atexit "stop $pid"
port=$(listenport $pid)
python3 - "$port" > "$W/page.out" 2>&1 <<'EOF'
import sys, urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=10).read().decode().strip())
except Exception as e:
    print("no page: %s" % e)
EOF
stop $pid
same "apkrepo: nginx -g 'daemon off;' serves its page" "Welcome to nginx/1.18.0 (synthetic)" "$(cat "$W/page.out")"
