# Alpine packages for real (docs/alpine.md): the synthetic signed repository
# of tests/apkrepo.py (nginx and its libraries built with musl-gcc) served on
# 127.0.0.1, the design document's image (nginx~=1.18, entrypoint nginx -g
# 'daemon off;') built in two build folders with the same digests, unpacked
# by umoci, run by runc: nginx -v prints 1.18, id nginx answers with the
# ids its .pre-install gives as busybox, and nginx serves its page.
. "$TOP/tests/lib.sh"

for tool in musl-gcc runc umoci curl; do
	if ! have $tool; then
		fail "alpine: $tool is not installed (apt-get install musl-tools runc umoci curl)"
		exit 0
	fi
done

workdir alpine-e2e
export IMAGEGEN_CACHE="$W/cache"
mkdir -p "$W/keys" "$W/src/keys" "$W/b1" "$W/b2" && cd "$W" || exit 1
openssl genrsa -out keys/test@example.invalid-3.rsa 2048 2>/dev/null
check "alpine: tests/apkrepo.py writes the repository" python3 "$TOP/tests/apkrepo.py" repo --key keys/test@example.invalid-3.rsa
cp keys/test@example.invalid-3.rsa.pub src/keys/
python3 "$TOP/tests/mirror.py" "$W/repo" "$W/mirror.log" & SERVER=$!
atexit 'stop $SERVER'
PORT=$(listenport $SERVER)
cat > src/build.lua <<EOF
local main = repository { kind = "apk", url = "http://127.0.0.1:$PORT", keys = { "keys/test@example.invalid-3.rsa.pub" } }
image {
  name = "web",
  platforms = { "linux/amd64" },
  repositories = { main },
  packages = { "alpine-baselayout-data", "nginx~=1.18" },
  entrypoint = { "nginx", "-g", "daemon off;" },
  env = { NGINX_PORT = "18$(printf %03d $((PORT % 1000)))" },
}
EOF
cd b1 || exit 1
check "alpine: imagegen resolves and locks" "$IMAGEGEN" ../src/build.lua
check "alpine: ninja builds the image" ninja
# a second build folder, and a download folder of its own: the .apks fetched again
cd ../b2 || exit 1
check "alpine: a second build folder, from the lock" sh -c "IMAGEGEN_CACHE='$W/cache2' '$IMAGEGEN' --locked ../src/build.lua && IMAGEGEN_CACHE='$W/cache2' ninja > ninja.log"
same "alpine: two build folders, the same image digest" "$(cat ../b1/out/web.digest)" "$(cat out/web.digest)"
same "alpine: and the same SBOM" "$(sha256sum < ../b1/out/web.spdx.json)" "$(sha256sum < out/web.spdx.json)"
cd ../b1 || exit 1

B=$W/run/out_web_latest
mkdir -p "$W/run"
check "alpine: umoci unpacks it" umoci unpack --image out/web:latest "$B"
same "alpine: runc: nginx -v prints 1.18" "nginx version: nginx/1.18.0" "$(runin out/web:latest nginx -v 2>&1)"
same "alpine: runc: id nginx, as its .pre-install makes it with busybox" "uid=100(nginx) gid=101(nginx) groups=101(nginx)" \
	"$(runin out/web:latest id nginx 2>&1)"
same "alpine: runc: busybox's shell runs" "hello" "$(runin out/web:latest sh -c 'echo hello' 2>&1)"
# the entrypoint, on the host's network (runin's), on a port of the test's own
NPORT=$(sed -n 's/.*NGINX_PORT = "\([0-9]*\)".*/\1/p' ../src/build.lua)
( runin out/web:latest nginx -g 'daemon off;' > "$W/nginx.log" 2>&1 & echo $! > "$W/nginx.pid" )
i=0
until curl -s "http://127.0.0.1:$NPORT/" > "$W/page" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.2; i=$((i + 1)); done
contains "alpine: runc: nginx serves its page" "$W/page" "Welcome to nginx/1.18.0"
runc kill "imagegen-test-$$-out_web_latest" KILL 2>/dev/null
stop "$(cat "$W/nginx.pid")"
runc delete -f "imagegen-test-$$-out_web_latest" 2>/dev/null
