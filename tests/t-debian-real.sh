# Debian packages, for real: images resolved against the machine's own apt
# sources (no host is named here), run with runc: nginx-light with no
# declared accounts serves a page; python3 with ca-certificates completes a
# TLS handshake with a server whose CA the definition adds under
# /usr/local/share/ca-certificates; openjdk's java and keytool; awk, which
# and sh through alternatives and merged /usr; an Essential image with apt
# whose dpkg database is whole (dpkg --audit, apt-get check) and where
# apt-get install works; and every file of the nginx and python3 packages
# as dpkg-deb has it. Downloads are cached across runs in
# $IMAGEGEN_TEST_CACHE (default ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

workdir debian-real
export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
SERVERS=
trap 'for p in $SERVERS; do kill "$p" 2>/dev/null; done; gpgconf --homedir "$W/gnupg" --kill gpg-agent 2>/dev/null' EXIT
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# nginx, the example as it is, with no accounts declared
cp -R "$TOP/examples/debian" "$W/src"
rm -f "$W/src/imagegen.lock"
PORT=$(freeport)
sed -i "s/listen 8080;/listen 127.0.0.1:$PORT;/" "$W/src/nginx.conf"
mkdir "$W/b" && cd "$W/b" || exit 1
check "nginx: imagegen lock against the machine's apt sources" "$IMAGEGEN" lock ../src/build.lua
for p in nginx-light nginx nginx-common libc6 libssl3 libpcre2-8-0 zlib1g base-passwd; do
	check "nginx: the lock has $p" grep -q "\"name\":\"$p\"" ../src/imagegen.lock
done
check "nginx: the build fetches and lays out the packages" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"
if canvalidate; then
	check "nginx: oci-validate --epoch 0" validate --epoch 0 out/nginx
fi
check "nginx: the actions not reproduced are listed beside the layout" grep -q "^nginx-common	postinst	" out/nginx.maintscripts

# the same lock in a second folder: the same image, and nothing fetched
mkdir "$W/b2" && cd "$W/b2" || exit 1
"$IMAGEGEN" --locked ../src/build.lua && ninja > ninja.log 2>&1
same "nginx: a second folder builds the same image from the lock" "$(cat "$W/b/out/nginx/index.json")" "$(cat out/nginx/index.json)"
same "nginx: and fetches nothing" 0 "$(count ninja.log FETCH)"

cd "$W/b" || exit 1
rm -rf bundle
check "nginx: umoci unpacks it" umoci unpack --image out/nginx:1 bundle
check "nginx: dpkg-query lists nginx-light as installed" \
	sh -c "dpkg-query --admindir=bundle/rootfs/var/lib/dpkg -W -f '\${Status}' nginx-light | grep -q 'install ok installed'"
check "nginx: www-data comes from base-passwd" grep -q '^www-data:\*:33:33:' bundle/rootfs/etc/passwd
# every file of every package as dpkg-deb has it (but the files the definition replaces)
printf '/etc/nginx/nginx.conf\n/etc/passwd\n/etc/group\n' > exclude
python3 "$TOP/tests/debcompare.py" bundle/rootfs 1 exclude $(python3 -c "import json,os;l=json.load(open('../src/imagegen.lock'));print(' '.join(os.environ['IMAGEGEN_CACHE']+'/deb/'+p['sha256']+'.deb' for p in l['images']['nginx']['packages']))") > compare.log 2>&1
check "nginx: every package's files as dpkg-deb --fsys-tarfile has them ($(tail -n 1 compare.log))" test $? -eq 0
# runc as a container engine would: the host's network (to reach it on
# 127.0.0.1) and the usual capabilities for a server that drops to www-data
python3 - <<'PY'
import json
c = json.load(open("bundle/config.json"))
c["process"]["terminal"] = False
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID",
        "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_AUDIT_WRITE"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = caps
json.dump(c, open("bundle/config.json", "w"))
PY
id=imagegen-test-$$-nginx
(cd bundle && timeout 60 runc run -d "$id" > ../runc.log 2>&1 < /dev/null)
page=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	page=$(curl -s "http://127.0.0.1:$PORT/") && [ -n "$page" ] && break
	sleep 0.5
done
runc kill "$id" KILL 2>/dev/null
sleep 0.5
runc delete -f "$id" 2>/dev/null
case $page in
*"hello from nginx in an imagegen image"*) ok "nginx: runc runs it, with no declared accounts, and it serves the page over HTTP" ;;
*) fail "nginx: no page from the container: $(cat runc.log)" ;;
esac

# a test CA, and a server certificate it signs for 127.0.0.1
mkdir -p "$W/more/src" "$W/more/b" "$W/ca"
cd "$W/ca" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=imagegen test CA" -days 3650 \
	-keyout ca.key -out ca.crt 2> /dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > san
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile san -out server.crt 2> /dev/null
cp ca.crt "$W/more/src/test-ca.crt"

# a repository for apt-get inside a container
export REPO="$W/repo" GNUPGHOME="$W/gnupg"
ARCH=$(dpkg --print-architecture)
mkdir -p "$REPO" && mkdir -m 700 "$GNUPGHOME"
. "$TOP/tests/debrepo.sh"
mkkey "imagegen tests" tests@example.invalid "$W/more/src/test.gpg"
mkpkg hello-imagegen 1.0 all "" 'mkdir -p usr/share/hello-imagegen && echo hello > usr/share/hello-imagegen/hello'
mkindex stable
serve "$REPO" || fail "apt: the repository's server did not start"
SERVERS="$SERVERS $SERVER"
printf 'deb [signed-by=/etc/apt/keyrings/test.gpg] http://127.0.0.1:%s stable main\n' "$PORT" > "$W/more/src/test.list"

cd "$W/more/b" || exit 1
cat > ../src/build.lua <<'LUA'
image { name = "py", packages = { "python3", "ca-certificates", "openssl" },
  files = { { "/usr/local/share/ca-certificates/test-ca.crt", "test-ca.crt" } } }
image { name = "java", packages = { "openjdk-17-jre-headless" } }
image { name = "tools", packages = { "bash", "coreutils", "mawk", "debianutils" } }
image { name = "apt", packages = { "apt" }, essential = true,
  files = { { "/etc/apt/keyrings/test.gpg", "test.gpg" }, { "/etc/apt/sources.list.d/test.list", "test.list" } } }
LUA
check "more: imagegen lock" "$IMAGEGEN" lock ../src/build.lua
check "more: ninja builds the images" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"

# python3: the trust store, with the local CA, in a TLS handshake
TLSPORT=$(freeport)
python3 - "$TLSPORT" "$W/ca/server.crt" "$W/ca/server.key" > tls.log 2>&1 <<'PY' &
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
s.settimeout(120)
for _ in range(4):
    c, _ = s.accept()
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.sendall(b"handshake ok\n")
        t.close()
    except Exception as e:
        print(e)
PY
SERVERS="$SERVERS $!"
out=$(runin out/py:latest python3 -c 'import ssl; print(ssl.create_default_context().cert_store_stats()["x509_ca"])')
check "py: Python's default context has over 100 CAs ($out)" test "${out:-0}" -gt 100
out=$(runin out/py:latest python3 -c "
import socket, ssl
s = ssl.create_default_context().wrap_socket(socket.create_connection(('127.0.0.1', $TLSPORT)), server_hostname='127.0.0.1')
print(s.recv(100).decode().strip())" 2>&1)
same "py: a TLS handshake with a server signed by the CA under /usr/local/share/ca-certificates" "handshake ok" "$out"
rm -rf py && umoci unpack --image out/py:latest py > /dev/null
python3 "$TOP/tests/debcompare.py" py/rootfs 1 - $(python3 -c "import json,os;l=json.load(open('../src/imagegen.lock'));print(' '.join(os.environ['IMAGEGEN_CACHE']+'/deb/'+p['sha256']+'.deb' for p in l['images']['py']['packages']))") > compare.log 2>&1
check "py: every package's files as dpkg-deb --fsys-tarfile has them ($(tail -n 1 compare.log))" test $? -eq 0

# java: through its alternatives, and the Java trust store
runin out/java:latest java -version > java.log 2>&1
contains "java: java -version through PATH (the java alternative)" java.log "OpenJDK Runtime Environment"
n=$(runin out/java:latest keytool -list -cacerts -storepass changeit 2>/dev/null | grep -c trustedCertEntry)
check "java: keytool -list -cacerts lists over 100 trusted certificates ($n)" test "$n" -gt 100

# awk, which and sh, through alternatives and merged /usr
same "tools: awk (mawk's alternative), which, sh, /bin/bash and /usr/bin/bash" \
	"hi /usr/bin/awk bash ok bash ok" \
	"$(runin out/tools:latest sh -c 'echo hi | awk "{printf \$1}"; echo " $(which awk) $(/bin/bash -c "echo bash ok") $(/usr/bin/bash -c "echo bash ok")"')"

# apt and dpkg, with the Essential set
same "apt: dpkg --audit finds nothing" "" "$(runin out/apt:latest dpkg --audit 2>&1)"
runin out/apt:latest apt-get check > check.log 2>&1
check "apt: apt-get check is clean" sh -c "! grep -q -e '^E:' -e '^W:' check.log && grep -q 'Building dependency tree' check.log"
same "apt: update-alternatives --display awk agrees" "/usr/bin/mawk" \
	"$(runin out/apt:latest update-alternatives --query awk | sed -n 's/^Value: //p')"
runin out/apt:latest sh -c 'apt-get update && apt-get install -y hello-imagegen && cat /usr/share/hello-imagegen/hello' > install.log 2>&1
check "apt: apt-get install from a repository works inside the container" grep -qx hello install.log
