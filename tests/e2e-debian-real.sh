# Debian packages, for real: images resolved against the machine's own apt
# sources (no host is named here), run with runc: nginx-light with no
# declared accounts serves a page; python3 with ca-certificates completes a
# TLS handshake with a server whose CA the definition adds under
# /usr/local/share/ca-certificates; openjdk's java and keytool; awk, which
# and sh through alternatives and merged /usr; an Essential image with apt
# whose dpkg database is whole (dpkg --audit, apt-get check) and where
# apt-get install works; and every file of the nginx and python3 packages
# as dpkg-deb has it; nginx's report page in headless Chromium; the
# multi-platform example; nginx (gzip and zstd) and the multi-platform
# example in Docker 20.10 and containerd, from the docker-archive, the
# layout and after a push. Downloads are cached across runs in
# $IMAGEGEN_TEST_CACHE (default ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

workdir debian-real
export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
SERVERS=
DOCKERDPID=
REGPID=
CTRDPID=
trap 'stopdockerd; stopcontainerd; stopregistry; for p in $SERVERS; do stop "$p"; done; gpgconf --homedir "$W/gnupg" --kill gpg-agent 2>/dev/null' EXIT

# consumers WHAT: 0, unless the suite runs under the sanitizers (make
# check-asan): then Docker, containerd and Chromium, which run none of
# imagegen's code (what imagegen does for them, the archives, pushes and
# pages, is done all the same), are left to make check-e2e, and one skip line says so
consumers() {
	[ -z "${IMAGEGEN_TEST_SANITIZERS:-}" ] && return 0
	skip "$1: left to make check-e2e (under the sanitizers: no imagegen code runs there)"
	return 1
}

# nginx, the example as it is, with no accounts declared
cp -R "$TOP/examples/debian" "$W/src"
rm -f "$W/src/imagegen.lock"
mkdir "$W/b" && cd "$W/b" || exit 1
check "nginx: imagegen lock against the machine's apt sources" "$IMAGEGEN" lock ../src/build.lua
for p in nginx-light nginx nginx-common libc6 libssl3 libpcre2-8-0 zlib1g base-passwd; do
	check "nginx: the lock has $p" grep -q "\"name\":\"$p\"" ../src/imagegen.lock
done
check "nginx: the build fetches and lays out the packages" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"
checkvalid "nginx: oci-validate --epoch 0" --epoch 0 out/nginx
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
# the SBOM declares a licence for every package whose copyright file is machine-readable (DEP-5 or a draft)
python3 - out/nginx.spdx.json bundle/rootfs > licences.log 2>&1 <<'PY'
import json, re, sys
doc, root = json.load(open(sys.argv[1])), sys.argv[2]
readable = missing = 0
for p in doc["packages"]:
    if not any(r["referenceLocator"].startswith("pkg:deb/") for r in p.get("externalRefs", [])):
        continue
    try:
        head = open("%s/usr/share/doc/%s/copyright" % (root, p["name"]), errors="replace").read().split("\n\n")[0]
    except OSError:
        continue
    if not re.search(r"(?im)^format(-specification)?:.*(copyright-format|dep5)", head):
        continue
    readable += 1
    if p["licenseDeclared"] == "NOASSERTION" or "--" in p["licenseDeclared"]:
        missing += 1
        print("no licence:", p["name"])
print("%d of %d" % (readable - missing, readable))
sys.exit(1 if missing or readable == 0 else 0)
PY
check "nginx: the SBOM has a licence for each machine-readable copyright file ($(tail -n 1 licences.log))" test $? -eq 0
# every file of every package as dpkg-deb has it (but the files the definition replaces, and
# base-files' /var/run and /var/lock, folders in the package that its postinst makes links to /run)
printf '/var/run\n/var/lock\n' > exclude.base
{ printf '/etc/nginx/nginx.conf\n/etc/passwd\n/etc/group\n'; cat exclude.base; } > exclude
python3 "$TOP/tests/debcompare.py" bundle/rootfs 1 exclude $(python3 -c "import json,os;l=json.load(open('../src/imagegen.lock'));print(' '.join(os.environ['IMAGEGEN_CACHE']+'/deb/'+p['sha256']+'.deb' for p in l['images']['nginx']['packages']))") > compare.log 2>&1
check "nginx: every package's files as dpkg-deb --fsys-tarfile has them ($(tail -n 1 compare.log))" test $? -eq 0
# runc as a container engine would: a network namespace of the container's own
# (nginx listens on 8080 there, whatever the host has on it) and the usual
# capabilities for a server that drops to www-data
python3 - <<'PY'
import json
c = json.load(open("bundle/config.json"))
c["process"]["terminal"] = False
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID",
        "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_AUDIT_WRITE"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = caps
json.dump(c, open("bundle/config.json", "w"))
PY
id=imagegen-test-$$-nginx
(cd bundle && timeout 60 runc run -d "$id" > ../runc.log 2>&1 < /dev/null)
# nginx's PID on the host: wait until it listens, then ask it in its namespace
pid=$(runc state "$id" 2>> runc.log | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>> runc.log)
page=
if [ -n "$pid" ] && port=$(listenport "$pid" 2>> runc.log); then
	page=$(nsenter -t "$pid" -n curl -s -m 10 "http://127.0.0.1:$port/" 2>> runc.log)
fi
# delete -f kills the container and waits until it is gone
timeout 30 runc delete -f "$id" 2>/dev/null
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

# python3: the trust store, with the local CA, in a TLS handshake (the server
# takes a port the kernel picks; the container shares the host's network)
python3 - "$W/ca/server.crt" "$W/ca/server.key" > tls.log 2>&1 <<'PY' &
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket()
s.bind(("127.0.0.1", 0))
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
TLSPORT=$(listenport $!)
out=$(runin out/py:latest python3 -c 'import ssl; print(ssl.create_default_context().cert_store_stats()["x509_ca"])')
check "py: Python's default context has over 100 CAs ($out)" test "${out:-0}" -gt 100
out=$(runin out/py:latest python3 -c "
import socket, ssl
s = ssl.create_default_context().wrap_socket(socket.create_connection(('127.0.0.1', $TLSPORT)), server_hostname='127.0.0.1')
print(s.recv(100).decode().strip())" 2>&1)
same "py: a TLS handshake with a server signed by the CA under /usr/local/share/ca-certificates" "handshake ok" "$out"
rm -rf py && umoci unpack --image out/py:latest py > /dev/null
python3 "$TOP/tests/debcompare.py" py/rootfs 1 "$W/b/exclude.base" $(python3 -c "import json,os;l=json.load(open('../src/imagegen.lock'));print(' '.join(os.environ['IMAGEGEN_CACHE']+'/deb/'+p['sha256']+'.deb' for p in l['images']['py']['packages']))") > compare.log 2>&1
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
# the test's repository alone: the image's own sources (the machine's, which
# it was built from) are e2e-debian-apt.sh's business
runin out/apt:latest sh -c 'rm /etc/apt/sources.list.d/imagegen.sources && apt-get update && apt-get install -y hello-imagegen && cat /usr/share/hello-imagegen/hello' > install.log 2>&1
check "apt: apt-get install from a repository works inside the container" grep -qx hello install.log

# examples/multiarch: busybox from the apt sources for amd64 and arm64 under one tag
if have aarch64-linux-gnu-gcc && have skopeo; then
	rm -rf "$W/ma" && mkdir -p "$W/ma/b" && cp -R "$TOP/examples/hello" "$TOP/examples/multiarch" "$W/ma/"
	rm -f "$W/ma/multiarch/imagegen.lock"
	cd "$W/ma/b" || exit 1
	check "multiarch: the example builds (hello cross-compiled, busybox per architecture)" \
		sh -c "'$IMAGEGEN' ../multiarch/build.lua 2> gen.log && ninja > ninja.log 2>&1"
	same "multiarch: the lock holds busybox for amd64 and arm64" "amd64 arm64" \
		"$(jget ../multiarch/imagegen.lock "' '.join(j['images'][k]['architecture'] for k in sorted(j['images']))")"
	checkvalid "multiarch: oci-validate busybox" --epoch 0 out/busybox
	rm -rf "$W/ma/arm" "$W/ma/arm.layout"
	if skopeo copy --override-arch arm64 oci:out/busybox:latest "oci:$W/ma/arm.layout:latest" > /dev/null 2>&1 &&
	    umoci unpack --image "$W/ma/arm.layout:latest" "$W/ma/arm" > /dev/null 2>&1 && have qemu-aarch64-static; then
		# binfmt_misc is not set up here: qemu runs the arm64 busybox directly
		same "multiarch: the arm64 busybox runs under qemu-aarch64-static" "hello from busybox" \
			"$(qemu-aarch64-static "$W/ma/arm/rootfs/bin/busybox" echo hello from busybox 2>&1)"
	else
		fail "multiarch: the arm64 busybox could not be unpacked and run"
	fi
else
	skip "multiarch: gcc-aarch64-linux-gnu or skopeo missing"
fi

# nginx and examples/multiarch with Docker 20.10 and containerd (issue 26): nginx
# of gzip layers and of zstd ones (the same lock built again with
# --compression zstd) from its docker-archive, its layout (containerd) and
# after a push to docker-registry; multiarch's hello and busybox after a push,
# this machine's platform pulled and run. Docker 20.10 reads no zstd layer:
# the zstd nginx's docker-archive has gzip ones, and its push is for containerd.
cd "$W/b" || exit 1
ninja out/nginx.tar > archive.log 2>&1
mkdir -p "$W/bz" && cd "$W/bz" || exit 1
check "nginx zstd: built from the same lock with --compression zstd" \
	sh -c "'$IMAGEGEN' --locked --compression zstd ../src/build.lua > gen.log 2>&1 && ninja out/nginx/index.json out/nginx.tar > ninja.log 2>&1"
same "nginx zstd: its layers are zstd" "application/vnd.oci.image.layer.v1.tar+zstd" \
	"$(jget "$(blob out/nginx "$(cat out/nginx.digest)")" "' '.join(sorted(set(l['mediaType'] for l in j['layers'])))")"
tar -C "$W/bz/out/nginx" -cf "$W/nginx-zstd-oci.tar" .
REG=
MA=$W/ma/b/out
if have docker-registry && registry reg; then
	check "push: nginx, gzip and zstd" sh -c "'$IMAGEGEN' push '$W/b/out/nginx' '$REG/nginx/gzip:1' > '$W/push.log' 2>&1 &&
		'$IMAGEGEN' push '$W/bz/out/nginx' '$REG/nginx/zstd:1' >> '$W/push.log' 2>&1"
	if [ -f "$MA/busybox/index.json" ]; then
		check "push: multiarch's hello and busybox, both platforms" sh -c "'$IMAGEGEN' push '$MA/hello' '$REG/ma/hello:1' >> '$W/push.log' 2>&1 &&
			'$IMAGEGEN' push '$MA/busybox' '$REG/ma/busybox:1' >> '$W/push.log' 2>&1"
	fi
else
	skip "push: no docker-registry here (apt-get install docker-registry)"
fi
# nginx -t in an image, as it prints it
syntax() { grep -o 'syntax is ok' | head -n 1; }
if ! consumers "nginx and multiarch in Docker 20.10"; then
	:
elif startdockerd dockerd "$REG"; then
	# the zstd nginx's archive first, in an empty store (a layer the store held would hide a bad one)
	same "nginx zstd: Docker 20.10 loads its docker-archive (gzip layers) and runs nginx -t" "syntax is ok" \
		"$(dk load -i "$W/bz/out/nginx.tar" > /dev/null 2>&1 && dk run --rm --network none debian-nginx:1 -t 2>&1 | syntax)"
	dk rmi -f debian-nginx:1 > /dev/null 2>&1
	same "nginx: Docker 20.10 loads the docker-archive and runs nginx -t" "syntax is ok" \
		"$(dk load -i "$W/b/out/nginx.tar" > /dev/null 2>&1 && dk run --rm --network none debian-nginx:1 -t 2>&1 | syntax)"
	if [ -n "$REG" ]; then
		same "nginx: Docker 20.10 pulls the pushed image and runs nginx -t" "syntax is ok" \
			"$(dk pull -q "$REG/nginx/gzip:1" > /dev/null 2>&1 && dk run --rm --network none "$REG/nginx/gzip:1" -t 2>&1 | syntax)"
	fi
	if [ -n "$REG" ] && [ -f "$MA/busybox/index.json" ]; then
		same "multiarch: Docker 20.10 pulls this machine's busybox of the index and runs it" "hello from busybox" \
			"$(dk pull -q "$REG/ma/busybox:1" > /dev/null 2>&1 && dk run --rm --network none "$REG/ma/busybox:1" 2>&1)"
		same "multiarch: Docker 20.10 pulls this machine's hello and runs it" "hello from an imagegen image" \
			"$(dk pull -q "$REG/ma/hello:1" > /dev/null 2>&1 && dk run --rm --network none "$REG/ma/hello:1" 2>&1)"
	fi
	stopdockerd
else
	skip "nginx: dockerd did not start here ($(tail -n 1 "$W/dockerd.log" 2>/dev/null))"
fi
if ! consumers "nginx and multiarch in containerd"; then
	:
elif startcontainerd ctrd; then
	# ctr run IMAGE ID COMMAND...: on the native snapshotter (no overlay mounts needed)
	check "nginx zstd: ctr imports its layout" ctr images import "$W/nginx-zstd-oci.tar"
	same "nginx zstd: ctr runs nginx -t in it" "syntax is ok" \
		"$(ctr run --rm --snapshotter native debian-nginx:1 "imagegen-$$-1" /usr/sbin/nginx -t 2>&1 | syntax)"
	check "nginx: ctr imports the docker-archive" ctr images import "$W/b/out/nginx.tar"
	same "nginx: ctr runs nginx -t in it" "syntax is ok" \
		"$(ctr run --rm --snapshotter native docker.io/library/debian-nginx:1 "imagegen-$$-2" /usr/sbin/nginx -t 2>&1 | syntax)"
	if [ -n "$REG" ]; then
		for c in gzip zstd; do
			check "nginx $c: ctr pulls the pushed image" ctr images pull --plain-http "$REG/nginx/$c:1"
			same "nginx $c: ctr runs nginx -t in it" "syntax is ok" \
				"$(ctr run --rm --snapshotter native "$REG/nginx/$c:1" "imagegen-$$-$c" /usr/sbin/nginx -t 2>&1 | syntax)"
		done
	fi
	if [ -n "$REG" ] && [ -f "$MA/busybox/index.json" ]; then
		check "multiarch: ctr pulls this machine's busybox" ctr images pull --plain-http "$REG/ma/busybox:1"
		check "multiarch: ctr pulls this machine's hello" ctr images pull --plain-http "$REG/ma/hello:1"
		same "multiarch: ctr runs busybox" "hello from busybox" \
			"$(ctr run --rm --snapshotter native "$REG/ma/busybox:1" "imagegen-$$-bb" 2>&1)"
		same "multiarch: ctr runs hello" "hello from an imagegen image" \
			"$(ctr run --rm --snapshotter native "$REG/ma/hello:1" "imagegen-$$-hello" 2>&1)"
	fi
	stopcontainerd
else
	skip "containerd: the daemon did not start here ($(tail -n 1 "$W/ctrd/log" 2>/dev/null))"
fi
stopregistry

# its report page in headless Chromium: the size map, /usr, every package of the lock, nothing fetched
cd "$W/b" || exit 1
check "nginx: ninja out/nginx.html writes its report page" sh -c "ninja out/nginx.html > report.log 2>&1"
if ! consumers "nginx page in Chromium"; then
	:
elif have chromium; then
	timeout 120 python3 "$TOP/tests/chromium.py" out/nginx.html "$W/nginx.png" > "$W/nginx.seen" 2> "$W/nginx.err" ||
		fail "nginx: Chromium: $(tail -n 3 "$W/nginx.err")"
	check "nginx page: a screenshot" sh -c "head -c 8 '$W/nginx.png' | grep -q PNG"
	check "nginx page: a rectangle per top-level folder" python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" toplevel
	check "nginx page: a click on /usr shows its children" python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" usr
	check "nginx page: the package table lists every package of the lock" \
		python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" packages ../src/imagegen.lock nginx
	check "nginx page: nothing fetched, no script error" python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" quiet
else
	fail "nginx page: chromium is not installed (apt-get install chromium)"
fi
check "nginx page: every package is there because nginx-light, base-passwd or base-files (a default) is" python3 "$TOP/tests/pagecheck.py" out/nginx.html - data \
	'all(p["why"][0] in ("nginx-light", "base-passwd", "base-files") for p in d["platforms"][0]["packages"])'
