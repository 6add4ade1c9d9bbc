# Debian images that know where they came from, run with runc:
# - nginx-light alone (no base-passwd asked for) passes nginx -t: an image
#   of Debian packages gets base-files and base-passwd by default, and with
#   minimal = true it has exactly the packages asked for (and nginx -t fails
#   there, for want of www-data);
# - apt from a signed repository on 127.0.0.1 that the test serves (the
#   .debs of apt's closure, resolved against the machine's apt sources, and
#   one more package): the image's sources.list.d names that repository with
#   the keyring it was verified with, apt-get update reads it, apt-mark
#   showauto lists the packages the request did not name, and apt-get
#   install of the other package works.
# Downloads are cached across runs in $IMAGEGEN_TEST_CACHE (default
# ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

workdir debian-apt
export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"

# nginx-light alone, by default and with minimal = true
mkdir -p "$W/ng/src" "$W/ng/b"
cat > "$W/ng/src/build.lua" <<'LUA'
image { name = "ng", packages = { "nginx-light" } }
image { name = "bare", packages = { "nginx-light" }, minimal = true }
LUA
cd "$W/ng/b" || exit 1
check "nginx: imagegen lock against the machine's apt sources" "$IMAGEGEN" lock ../src/build.lua
same "nginx: the lock says what the image got besides its request" '["base-files", "base-passwd"] None' \
	"$(jget ../src/imagegen.lock "json.dumps(j['images']['ng']['added']), j['images']['bare'].get('added')")"
check "nginx: ninja builds both" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"
runin out/ng:latest nginx -t > ng.log 2>&1
contains "nginx: nginx-light alone passes nginx -t under runc" ng.log "test is successful"
runin out/bare:latest nginx -t > bare.log 2>&1
contains "nginx: with minimal = true it does not (no www-data)" bare.log 'getpwnam("www-data") failed'
same "nginx: the SBOM says why base-files, base-passwd, mawk and nginx-light are there" \
	"added by default (minimal = false): the FHS tree and the static accounts|added by default (minimal = false): the FHS tree and the static accounts|a dependency of base-files|asked for by the definition" \
	"$(jget out/ng.spdx.json "'|'.join(p.get('comment', '-') for n in ('base-files', 'base-passwd', 'mawk', 'nginx-light') for p in j['packages'] if p['name'] == n)")"

# apt's closure from the machine's sources, served from a repository of the test's own
mkdir -p "$W/seed/src" "$W/seed/b"
echo 'image { name = "seed", packages = { "apt" }, essential = true }' > "$W/seed/src/build.lua"
cd "$W/seed/b" || exit 1
check "apt: apt's packages resolved against the machine's apt sources and fetched" \
	sh -c "'$IMAGEGEN' ../src/build.lua 2> gen.log && ninja > ninja.log 2>&1"
signedrepo
mkdir -p "$REPO/pool/main"
jget ../src/imagegen.lock "'\n'.join(p['sha256'] for p in j['images']['seed']['packages'])" | while read -r sha; do
	cp "$IMAGEGEN_CACHE/deb/$sha.deb" "$REPO/pool/main/$sha.deb"
done
mkpkg hello-imagegen 1.0 all "" 'mkdir -p usr/share/hello-imagegen && echo hello > usr/share/hello-imagegen/hello'
mkindex stable || fail "apt: signing the test repository failed"
serve "$REPO" || fail "apt: the test repository's server did not start"

mkdir -p "$W/apt/src" "$W/apt/b"
cp "$W/test.gpg" "$W/apt/src/test.gpg"
cat > "$W/apt/src/build.lua" <<LUA
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "test.gpg" }
image { name = "apt", packages = { "apt" }, essential = true, repositories = { repo } }
LUA
cd "$W/apt/b" || exit 1
check "apt: the image builds from the test repository" sh -c "'$IMAGEGEN' ../src/build.lua 2> gen.log && ninja > ninja.log 2>&1"
rm -rf bundle && umoci unpack --image out/apt:latest bundle > /dev/null
same "apt: the image's sources name the repository it was built from, with its keyring" \
	"$(imagegensources "$PORT" test.gpg)" "$(cat bundle/rootfs/etc/apt/sources.list.d/imagegen.sources)"
check "apt: the keyring is the one the repository was verified with" cmp "$W/test.gpg" bundle/rootfs/etc/apt/keyrings/test.gpg
# by hand: apt, and the Essential packages with what they depend on (as
# mmdebstrap's essential variant installs them, with dpkg); the rest automatic
python3 - ../src/imagegen.lock > marks <<'PY'
import json, sys
pkgs = {p["name"]: p for p in json.load(open(sys.argv[1]))["images"]["apt"]["packages"]}
manual, todo = set(), [n for n, p in pkgs.items() if n == "apt" or not p.get("via")]
while todo:
    n = todo.pop()
    if n not in manual:
        manual.add(n)
        if n != "apt":
            todo.extend(d for d in pkgs[n].get("depends", []) if d in pkgs)
print(" ".join(sorted(set(pkgs) - manual)))
print(" ".join(sorted(manual)))
PY
runin out/apt:latest apt-mark showauto > showauto.log 2>&1
same "apt: apt-mark showauto lists the packages only apt needs" "$(sed -n 1p marks)" "$(tr '\n' ' ' < showauto.log | sed 's/ $//')"
check "apt: which are some" test -s showauto.log
same "apt: apt-mark showmanual lists apt and the Essential set" "$(sed -n 2p marks)" \
	"$(runin out/apt:latest apt-mark showmanual 2>&1 | tr '\n' ' ' | sed 's/ $//')"
runin out/apt:latest apt-get update > update.log 2>&1
check "apt: apt-get update reads the sources the image was built from" \
	sh -c "grep -q 'http://127.0.0.1:$PORT stable InRelease' update.log && ! grep -q -e '^E:' -e '^W:' update.log"
runin out/apt:latest sh -c 'apt-get install -y hello-imagegen && cat /usr/share/hello-imagegen/hello' > install.log 2>&1
check "apt: apt-get install of another package of the repository works" grep -qx hello install.log
same "apt: and marks it installed by hand" "hello-imagegen" "$(runin out/apt:latest apt-mark showmanual hello-imagegen 2>&1)"
