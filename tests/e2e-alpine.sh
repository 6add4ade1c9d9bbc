# Alpine packages for real (docs/alpine.md): the synthetic signed repository
# of tests/apkrepo.py (nginx and its libraries built with musl-gcc) served on
# 127.0.0.1, the design document's image (nginx~=1.18, entrypoint nginx -g
# 'daemon off;') built in two build folders with the same digests, unpacked
# by umoci, run by runc: nginx -v prints 1.18, id nginx answers with the
# ids its .pre-install gives as busybox, and nginx serves its page. Built
# again through a build cache on the test's docker-registry: the same image
# on a second machine, with no .apk fetched.
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

# the build cache (docs/build-cache.md), as e2e-cache.sh's: a repository of
# the test's docker-registry. A cold machine fills it (--cache-push), its
# package layers fetching their .apks themselves; a second, with a download
# folder of its own, builds the same image from it, the package layers and
# their apk sidecars from the cache and not one .apk fetched
if have docker-registry; then
	REGPID=
	atexit 'stopregistry'
	registry reg || exit 0
	mkdir -p ../c1 ../c2 && cd ../c1 || exit 1
	check "cache: a cold machine builds with --cache-push" sh -c "IMAGEGEN_CACHE='$W/dl1' '$IMAGEGEN' --cache $REG/cache \
		--cache-push --locked ../src/build.lua && IMAGEGEN_CACHE='$W/dl1' ninja > ninja.log 2>&1"
	same "cache: the same image as without it" "$(cat ../b1/out/web.digest)" "$(cat out/web.digest)"
	# the cache's layer entries whose second blob is an apk sidecar
	same "cache: an entry a package layer, with its apk sidecar" \
		"$(jget ../src/imagegen.lock "len(j['images']['web']['packages'])")" "$(python3 - "$REG" <<'PY'
import json, sys, urllib.request
reg = sys.argv[1]
n = 0
for t in json.load(urllib.request.urlopen(f"http://{reg}/v2/cache/tags/list"))["tags"] or []:
    req = urllib.request.Request(f"http://{reg}/v2/cache/manifests/{t}",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    m = json.load(urllib.request.urlopen(req))
    n += [l["mediaType"] for l in m["layers"][1:]] == ["application/vnd.imagegen.apk.v1"]
print(n)
PY
)"
	gets=$(grep -c '^GET .*\.apk ' "$W/mirror.log")
	cd ../c2 || exit 1
	check "cache: a second machine builds from it" sh -c "IMAGEGEN_CACHE='$W/dl2' '$IMAGEGEN' --cache $REG/cache \
		--locked ../src/build.lua && IMAGEGEN_CACHE='$W/dl2' ninja > ninja.log 2>&1"
	same "cache: the same image" "$(cat ../b1/out/web.digest)" "$(cat out/web.digest)"
	same "cache: not one .apk fetched" "$gets 0" "$(grep -c '^GET .*\.apk ' "$W/mirror.log") $(find "$W/dl2" -name '*.apk' 2>/dev/null | wc -l)"
	check "cache: the package layers' apk sidecars, from the cache, the same" \
		sh -c 'for f in ../b1/.imagegen/layer/apk/*.apk; do cmp "$f" ".imagegen/layer/apk/${f##*/}" || exit 1; done'
	check "cache: no warning" sh -c '! grep -i warning ../c1/ninja.log ninja.log'
	stopregistry
else
	fail "alpine: docker-registry is not installed (apt-get install docker-registry)"
fi
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
