# Registries and bases: Debian's docker-registry on 127.0.0.1, started and
# stopped here. Push (twice), skopeo and podman read what was pushed, a
# pushed image pulled back as a base with whiteouts over it, basic auth
# right and wrong, a push cut off with the registry killed, and bases made
# by skopeo from an imagegen image (docker-archive, OCI layout).
. "$TOP/tests/lib.sh"

if ! have docker-registry; then
	fail "registry: docker-registry is not installed (apt-get install docker-registry)"
	exit 0
fi
workdir registry
export IMAGEGEN_CACHE="$W/cache"
REGPID=

# registry, startregistry and stopregistry: see lib.sh
TOKENPID=
trap 'stopregistry; [ -z "$TOKENPID" ] || stop "$TOKENPID"' EXIT

registry open || exit 0

# hello, tagged for the registry: push-hello pushes it
mkdir -p "$W/hello/src" "$W/hello/b"
cp "$TOP/examples/hello/hello.c" "$W/hello/src/"
cat > "$W/hello/src/build.lua" <<EOF
local hello = command { outputs = "hello", inputs = "hello.c", run = "cc -static -Os -o \$out \$in" }
image {
  name = "hello",
  tag = "$REG/test/hello:1",
  layers = {
    { name = "app", files = { { "/hello", hello } } },
    { name = "etc", files = { { "/etc/keep", text "keep\\n" }, { "/etc/gone", text "gone\\n" },
      { "/var/cache/old", text "old\\n" } } },
  },
  entrypoint = { "/hello" },
}
EOF
cd "$W/hello/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > /dev/null 2>&1
digest=$(jget out/hello/index.json "j['manifests'][0]['digest']")
ninja push-hello > push1.log 2>&1
contains "push: the first push uploads config and layers" push1.log "3 blob(s) uploaded, 0 mounted, 0 already there"
ninja push-hello > push2.log 2>&1
contains "push: pushing twice uploads nothing" push2.log "0 blob(s) uploaded, 0 mounted, 3 already there"
same "push: skopeo inspect shows the same digest" "$digest" \
	"$(skopeo inspect --tls-verify=false "docker://$REG/test/hello:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')"
check "push: the imagegen push command does the same" "$IMAGEGEN" push out/hello "$REG/test/hello:copy"
# a damaged copy of the layout whose blobs the registry has: refused, not
# mounted or taken as there (t-pushcheck.sh has the rest, without a registry)
# damaged NAME PYTHON: out/NAME, the layout with PYTHON run on m (the
# manifest) and c (the config), or on the bytes of the config, cb
damaged() {
	rm -rf "out/$1" && cp -R out/hello "out/$1"
	python3 - "out/$1" "$2" <<'EOF'
import hashlib, json, sys
d, code = sys.argv[1], sys.argv[2]
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(b)
    return "sha256:" + h, len(b)
i = json.load(open(f"{d}/index.json"))
m = json.load(open(f"{d}/blobs/sha256/{i['manifests'][0]['digest'][7:]}"))
cb = None
exec(code)
if cb is not None:
    m["config"]["digest"], m["config"]["size"] = put(cb)
i["manifests"] = [i["manifests"][0]]
i["manifests"][0]["digest"], i["manifests"][0]["size"] = put(json.dumps(m).encode())
json.dump(i, open(f"{d}/index.json", "w"))
EOF
	"$IMAGEGEN" push "out/$1" "$REG/test/hello:$1" > "$1.log" 2>&1
	same "push of a damaged layout, $1: exit 1 and one line" "1 1" "$? $(wc -l < "$1.log")"
	check "push of a damaged layout, $1: the tag is not there" sh -c \
		"! skopeo inspect --raw --tls-verify=false docker://$REG/test/hello:$1 > /dev/null 2>&1"
}
damaged hugesize 'm["layers"][0]["size"] = 1 << 62'
contains "push of a damaged layout, hugesize: saying so" hugesize.log "its descriptor says 4611686018427387904"
damaged notjson 'cb = b"not JSON"'
contains "push of a damaged layout, notjson: saying so" notjson.log "is not a JSON object"

if pmsetup; then
	pm run --rm --tls-verify=false "$REG/test/hello:1" > podman.log 2>&1
	contains "push: podman runs the pushed image" podman.log "hello from an imagegen image"
	pmdone
else
	fail "push: podman is not installed"
fi

# pulled back as a base, by tag (pinned in the lock), with a file removed and a folder emptied
mkdir -p "$W/child/src" "$W/child/b"
cat > "$W/child/src/build.lua" <<EOF
image {
  name = "child",
  tag = "$REG/test/child:1",
  base = pull "$REG/test/hello:1",
  files = { { "/etc/gone", remove() }, { "/var/cache", opaque() }, { "/etc/new", text "new\\n" } },
  cmd = { "from-child" },
}
EOF
cd "$W/child/b" || exit 1
"$IMAGEGEN" ../src/build.lua 2> gen.err
contains "pull: a tag is pinned in the lock" gen.err "pull: pinned $REG/test/hello:1 to $digest"
check "pull: imagegen.lock records the digest" grep -q "\"$REG/test/hello:1\":\"$digest\"" ../src/imagegen.lock
check "pull: the child builds" ninja
child=$(blob out/child "$(jget out/child/index.json "j['manifests'][0]['digest']")")
base=$(blob "$W/hello/b/out/hello" "$digest")
same "pull: the base's layers are reused byte for byte" \
	"$(jget "$base" "[l['digest'] for l in j['layers']]")" "$(jget "$child" "[l['digest'] for l in j['layers'][:2]]")"
rm -rf bundle
check "whiteouts: umoci unpacks the child" umoci unpack --image out/child:1 bundle
check "whiteouts: the removed file is gone" test ! -e bundle/rootfs/etc/gone
check "whiteouts: the others stay" test -f bundle/rootfs/etc/keep -a -f bundle/rootfs/etc/new -a -x bundle/rootfs/hello
check "whiteouts: the opaque folder is there and empty" sh -c "test -d bundle/rootfs/var/cache && [ -z \"\$(ls -A bundle/rootfs/var/cache)\" ]"
same "pull: the base's entrypoint is inherited, the cmd is the child's" "['/hello', 'from-child']" \
	"$(jget bundle/config.json "j['process']['args']")"
ninja push-child > push.log 2>&1
contains "push: the new config and layer are uploaded, the base layers mounted from the base's repository" push.log "2 blob(s) uploaded, 2 mounted"
"$IMAGEGEN" --locked ../src/build.lua
same "pull: --locked accepts the pinned base" 0 $?

# a reference the registry does not have: one line naming it and the registry
mkdir -p "$W/missing/src" "$W/missing/b"
printf 'image { name = "m", base = pull "%s/test/nothere:1" }\n' "$REG" > "$W/missing/src/build.lua"
cd "$W/missing/b" || exit 1
"$IMAGEGEN" ../src/build.lua > err 2>&1
same "pull: a missing image fails with one line" "1 1" "$? $(wc -l < err)"
contains "pull: naming the image and the registry" err "pull: resolve $REG/test/nothere:1: get manifest 1: 404 not found by the registry $REG"

# bases made by skopeo from the imagegen image: docker-archive and OCI layout
cd "$W/hello/b" || exit 1
skopeo copy -q "oci:out/hello:latest" "docker-archive:$W/hello.tar:hello:latest" 2>/dev/null ||
	skopeo copy -q "oci:out/hello:1" "docker-archive:$W/hello.tar:hello:latest"
skopeo copy -q "oci:out/hello:1" "oci:$W/hellolayout:v1"
mkdir -p "$W/bases/src" "$W/bases/b"
cat > "$W/bases/src/build.lua" <<EOF
image { name = "fromarchive", base = docker_archive "$W/hello.tar", files = { { "/x", text "x" } } }
image { name = "fromlayout", base = oci_layout("$W/hellolayout", "v1"), files = { { "/x", text "x" } } }
EOF
cd "$W/bases/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
check "bases: images on a docker-archive and an OCI layout build" test -f out/fromarchive/index.json -a -f out/fromlayout/index.json
hello_ids=$(jget "$(blob "$W/hello/b/out/hello" "$(jget "$base" "j['config']['digest']")")" "j['rootfs']['diff_ids']")
for b in fromarchive fromlayout; do
	m=$(blob "out/$b" "$(jget "out/$b/index.json" "j['manifests'][0]['digest']")")
	ids=$(jget "$(blob "out/$b" "$(jget "$m" "j['config']['digest']")")" "j['rootfs']['diff_ids'][:2]")
	same "bases: $b keeps the base's diff_ids" "$hello_ids" "$ids"
done
checkvalid "bases: oci-validate fromarchive" out/fromarchive
checkvalid "bases: oci-validate fromlayout" out/fromlayout
mkdir -p "$W/bases/mk" && cd "$W/bases/mk" || exit 1
"$IMAGEGEN" -G make ../src/build.lua && printf 'include images.mk\n' > Makefile
check "bases: make imports the same bases and builds the same images" sh -c "make -j2 images > make.log 2>&1 && diff -r ../b/out out"
cd "$W/bases/b" || exit 1
rm -rf bundle
check "bases: umoci unpacks the image on the docker-archive" umoci unpack --image out/fromarchive:latest bundle
check "bases: and the base's files are there" test -x bundle/rootfs/hello -a -f bundle/rootfs/x

# a base for another platform than the image's: one line naming the image's declaration
mkdir -p "$W/wrongarch/src" "$W/wrongarch/b"
printf 'image {\n  name = "w",\n  platform = "linux/riscv64",\n  base = docker_archive "%s",\n}\n' "$W/hello.tar" > "$W/wrongarch/src/build.lua"
cd "$W/wrongarch/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
contains "bases: a base for another platform is refused, naming the declaration" ninja.log \
	"imagegen: ../src/build.lua:1: image w: the image is for linux/riscv64 but its base (docker-archive $W/hello.tar) is for linux/"
check "bases: and no layout is left" test ! -e out/w/index.json

stopregistry

# basic auth: the right password, then a wrong one
htpasswd -Bbn tester s3cret-pass > "$W/htpasswd" 2>/dev/null
registry locked "$W/htpasswd" || exit 0
cd "$W/hello/b" || exit 1
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'tester:s3cret-pass' | base64)" > "$W/auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'tester:wrong-pass' | base64)" > "$W/bad.json"
"$IMAGEGEN" push out/hello "$REG/test/hello:1" > anon.log 2>&1
same "auth: without credentials the push fails" 1 $?
contains "auth: and says credentials are wanted" anon.log "wants credentials"
REGISTRY_AUTH_FILE=$W/auth.json "$IMAGEGEN" push out/hello "$REG/test/hello:1" > auth.log 2>&1
contains "auth: basic auth with the auth file's credentials" auth.log "3 blob(s) uploaded"
REGISTRY_AUTH_FILE=$W/bad.json "$IMAGEGEN" push out/hello "$REG/test/hello:2" > bad.log 2>&1
same "auth: a wrong password fails" 1 $?
same "auth: with one line" 1 "$(wc -l < bad.log)"
contains "auth: naming the registry and where the credentials came from" bad.log \
	"push $REG/test/hello:2: blob"
contains "auth: ... refused the credentials from the auth file" bad.log "refused the credentials from $W/bad.json"
check "auth: no secret in the message" sh -c "! grep -q -e wrong-pass -e s3cret -e '$(printf 'tester:wrong-pass' | base64)' bad.log"
# a credential helper, as docker and podman run them: the host on stdin, JSON out
mkdir -p "$W/bin"
cat > "$W/bin/docker-credential-imgtest" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r host
[ "\$host" = "$REG" ] || exit 1
printf '{"ServerURL":"%s","Username":"tester","Secret":"s3cret-pass"}' "\$host"
EOF
chmod +x "$W/bin/docker-credential-imgtest"
printf '{"credHelpers":{"%s":"imgtest"}}\n' "$REG" > "$W/helper.json"
PATH=$W/bin:$PATH REGISTRY_AUTH_FILE=$W/helper.json "$IMAGEGEN" push out/hello "$REG/test/hello:3" > helper.log 2>&1
contains "auth: credentials from a credential helper" helper.log "already there"
stopregistry

# token auth: the registry sends a Bearer challenge; a token service (the
# distribution spec's, in tests/tokenserver.py) trades credentials for a token
if /usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null && have openssl; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/token.key" -out "$W/token.crt" -days 1 \
		-subj /CN=imagegen-test > /dev/null 2>&1
	/usr/bin/python3 "$TOP/tests/tokenserver.py" 0 "$W/token.key" "$W/token.crt" tester s3cret-pass \
		2> "$W/token.log" &
	TOKENPID=$!
	TPORT=$(listenport "$TOKENPID" 2>> "$W/token.log")
	sed "s|^\( *rootdirectory:\).*|\1 $W/bearer|" "$TOP/tests/containers/registry.yml" > "$W/bearer.yml"
	printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: imagegen-test-registry\n    issuer: imagegen-test\n    rootcertbundle: %s\n' \
		"$TPORT" "$W/token.crt" >> "$W/bearer.yml"
	if [ -z "$TPORT" ]; then
		fail "bearer: the token service did not start: $(tail -n 3 "$W/token.log")"
	elif startregistry bearer; then
		cd "$W/hello/b" || exit 1
		printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'tester:s3cret-pass' | base64)" > "$W/bearer-auth.json"
		printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'tester:wrong-pass' | base64)" > "$W/bearer-bad.json"
		REGISTRY_AUTH_FILE=$W/bearer-auth.json "$IMAGEGEN" push out/hello "$REG/test/hello:1" > bearer.log 2>&1
		contains "bearer: a token from the token service lets the push through" bearer.log "3 blob(s) uploaded"
		REGISTRY_AUTH_FILE=$W/bearer-auth.json skopeo inspect --tls-verify=false --creds tester:s3cret-pass \
			"docker://$REG/test/hello:1" > bearer-inspect.log 2>&1
		contains "bearer: skopeo sees the pushed image" bearer-inspect.log "$digest"
		REGISTRY_AUTH_FILE=$W/bearer-bad.json "$IMAGEGEN" push out/hello "$REG/test/hello:2" > bearer-bad.log 2>&1
		same "bearer: a wrong password fails with one line" "1 1" "$? $(wc -l < bearer-bad.log)"
		contains "bearer: ... saying the credentials were refused" bearer-bad.log "refused the credentials from $W/bearer-bad.json"
		stopregistry
	fi
	stop "$TOKENPID"
	TOKENPID=
else
	fail "bearer: needs /usr/bin/python3 with jwt and cryptography (python3-jwt) and openssl"
fi

# a push cut off: the registry killed while the layers go up, then started again
registry flaky || exit 0
mkdir -p "$W/big/src" "$W/big/b"
for i in 1 2 3; do head -c 33554432 /dev/urandom > "$W/big/src/blob$i"; done
cat > "$W/big/src/build.lua" <<EOF
image {
  name = "big",
  tag = "$REG/test/big:1",
  layers = {
    { name = "one", files = { { "/blob1", "blob1" } } },
    { name = "two", files = { { "/blob2", "blob2" } } },
    { name = "three", files = { { "/blob3", "blob3" } } },
  },
}
EOF
cd "$W/big/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > /dev/null 2>&1
"$IMAGEGEN" push out/big "$REG/test/big:1" > cut.log 2>&1 &
pushpid=$!
for _ in $(seq 1 200); do
	[ "$(find "$W/flaky" -name data -path '*blobs*' 2>/dev/null | wc -l)" -ge 1 ] && break
	sleep 0.02
done
kill -9 "$REGPID" "$pushpid" 2>/dev/null
wait "$REGPID" "$pushpid" 2>/dev/null
REGPID=
# started again on the port the kernel gives it now: the rerun pushes there
startregistry flaky || exit 0
"$IMAGEGEN" push out/big "$REG/test/big:1" > rerun.log 2>&1
same "cut off: the rerun completes" 0 $?
if grep -q -E '[1-3] already there' rerun.log; then
	ok "cut off: the rerun skips what got through: $(sed 's/.*sha256:[0-9a-f]*, //' rerun.log)"
else
	fail "cut off: the rerun uploaded everything again: $(cat rerun.log)"
fi
same "cut off: the registry has the image" "$(jget out/big/index.json "j['manifests'][0]['digest']")" \
	"$(skopeo inspect --tls-verify=false "docker://$REG/test/big:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')"

# a multi-platform index: a base takes the manifest for the image's platform
mkdir -p "$W/multi/src" "$W/multi/b"
cat > "$W/multi/src/build.lua" <<'LUA'
image { name = "amd", platform = "linux/amd64", files = { { "/which", text "amd64\n" } } }
image { name = "arm", platform = "linux/arm64", files = { { "/which", text "arm64\n" } } }
LUA
cd "$W/multi/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > /dev/null 2>&1
python3 - "$W/multi" <<'PY'
import hashlib, json, os, shutil, sys
root = sys.argv[1]
lay = os.path.join(root, "layout")
os.makedirs(os.path.join(lay, "blobs", "sha256"), exist_ok=True)
manifests = []
for name in ("amd", "arm"):
    src = os.path.join(root, "b", "out", name)
    for b in os.listdir(os.path.join(src, "blobs", "sha256")):
        shutil.copy(os.path.join(src, "blobs", "sha256", b), os.path.join(lay, "blobs", "sha256", b))
    m = json.load(open(os.path.join(src, "index.json")))["manifests"][0]
    m.pop("annotations", None)
    manifests.append(m)
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": manifests}).encode()
digest = hashlib.sha256(index).hexdigest()
open(os.path.join(lay, "blobs", "sha256", digest), "wb").write(index)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
    "digest": "sha256:" + digest, "size": len(index),
    "annotations": {"org.opencontainers.image.ref.name": "multi"}}]},
    open(os.path.join(lay, "index.json"), "w"))
open(os.path.join(lay, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
mkdir -p "$W/multi/src2" "$W/multi/b2"
cat > "$W/multi/src2/build.lua" <<LUA
image { name = "onamd", platform = "linux/amd64", base = oci_layout("$W/multi/layout", "multi") }
image { name = "onarm", platform = "linux/arm64", base = oci_layout("$W/multi/layout", "multi") }
image { name = "onppc", platform = "linux/ppc64le", base = oci_layout("$W/multi/layout", "multi") }
LUA
cd "$W/multi/b2" || exit 1
"$IMAGEGEN" ../src2/build.lua && ninja -k 0 > ninja.log 2>&1
firstlayer() {
	jget "$(blob "$1" "$(jget "$1/index.json" "j['manifests'][0]['digest']")")" "j['layers'][0]['digest']"
}
same "index: the amd64 image takes the amd64 manifest" "$(firstlayer ../b/out/amd)" "$(firstlayer out/onamd)"
same "index: the arm64 image takes the arm64 manifest" "$(firstlayer ../b/out/arm)" "$(firstlayer out/onarm)"
contains "index: no manifest for the platform is one clear line" ninja.log "no image for platform linux/ppc64le"
