# The build cache (--cache): a repository of the test's docker-registry,
# shared by build folders that each have a download cache of their own and
# stand for machines. A cold machine fills it (--cache-push); a second builds
# the monorepo and a Debian image (from a signed repository made here) from
# it without compressing a layer, running a compiler or fetching a .deb, to
# the same bytes, under ninja and both make backends; a third pushes an image
# without uploading or downloading a layer. A poisoned entry is caught and
# its layer made again with one warning; a registry killed mid-build, one
# that never answers and one that refuses cost one warning line each.
. "$TOP/tests/lib.sh"

needdebtools cache || exit 0
if ! have docker-registry; then
	fail "cache: docker-registry is not installed (apt-get install docker-registry)"
	exit 0
fi
workdir cache
signedrepo
REGPID= HOLE=
atexit 'stopregistry; [ -z "$HOLE" ] || stop "$HOLE"'
registry reg || exit 0
CACHE=$REG/cache cachepid=$REGPID

# machine NAME: build folders (mono, deb) and a download cache of its own
machine() {
	mkdir -p "$W/$1/mono" "$W/$1/deb" "$W/$1/dl"
}

# at NAME FOLDER COMMAND...: run COMMAND in a build folder of machine NAME
at() {
	m=$1 f=$2
	shift 2
	(cd "$W/$m/$f" && IMAGEGEN_CACHE="$W/$m/dl" "$@")
}

# layers NAME FOLDER: the hex digests of the layers a build folder's descriptors name
layers() {
	find "$W/$1/$2/.imagegen/layer" -name '*.json' -exec python3 -c \
		'import json, sys; [print(json.load(open(f))["digest"][7:]) for f in sys.argv[1:]]' {} + | sort -u
}

# stored NAME FOLDER: how many of those layers (on stdin) the folder's store holds
stored() {
	n=0
	while read -r h; do
		[ ! -f "$W/$1/$2/.imagegen/blobs/sha256/$h" ] || n=$((n + 1))
	done
	echo $n
}

# entries: the cache's entries, "layer N, outputs N"
entries() {
	python3 - "$REG" <<'PY'
import json, sys, urllib.request
reg = sys.argv[1]
tags = json.load(urllib.request.urlopen(f"http://{reg}/v2/cache/tags/list"))["tags"] or []
kinds = {}
for t in tags:
    req = urllib.request.Request(f"http://{reg}/v2/cache/manifests/{t}",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    kind = json.load(urllib.request.urlopen(req))["artifactType"].split(".")[-2]
    kinds[kind] = kinds.get(kind, 0) + 1
print(", ".join(f"{k} {kinds[k]}" for k in sorted(kinds)))
PY
}

# a compiler that fails: a machine that builds with it ran none
mkdir -p "$W/nocc"
printf '#!/bin/sh\necho "cc ran: $*" >&2\nexit 1\n' > "$W/nocc/cc"
chmod +x "$W/nocc/cc"
NOCC=$W/nocc:$PATH

# the monorepo, tagged for the registry
mkdir -p "$W/src"
cp -R "$TOP/examples/monorepo" "$W/src/monorepo"
for f in "$W/src/monorepo/base/build.lua" "$W/src/monorepo/services/api/build.lua" "$W/src/monorepo/services/web/build.lua"; do
	sed "s|tag = \"monorepo/|tag = \"$REG/monorepo/|" "$f" > "$f.new" && mv "$f.new" "$f"
done
MONO=../../src/monorepo/build.lua

# machine a, cold: builds everything and fills the cache
machine a
at a mono "$IMAGEGEN" --cache "$CACHE" --cache-push "$MONO"
check "monorepo: a cold machine builds with --cache-push" at a mono ninja
same "monorepo: it filled the cache: 6 layers; 3 compiles, 4 SBOMs and 4 provenance statements" "layer 6, outputs 11" "$(entries)"
contains "monorepo: the cache is in .imagegen/cache.json" "$W/a/mono/.imagegen/cache.json" "\"push\":true"
at a mono ninja push-base > "$W/a/push.log" 2>&1
contains "monorepo: its push mounts the layer it put in the cache" "$W/a/push.log" "1 blob(s) uploaded, 1 mounted"

# machine b, cold, warm cache: the images first, which need no layer's bytes
machine b
at b mono "$IMAGEGEN" --cache "$CACHE" "$MONO"
check "monorepo: a second machine makes the images with no compiler" at b mono env PATH="$NOCC" \
	ninja .imagegen/image/base.json .imagegen/image/api.json .imagegen/image/web.json .imagegen/image/tool.json
same "monorepo: and no layer compressed: none is in its store" 0 "$(layers a mono | stored b mono)"
same "monorepo: yet each layer has its facts, from the tar its key was worked out from (what the SBOM reads)" \
	"$(find "$W/b/mono/.imagegen/layer" -name '*.json' -exec python3 -c \
		'import json, sys; [print(json.load(open(f))["diffid"][7:]) for f in sys.argv[1:]]' {} + | sort -u)" \
	"$(ls "$W/b/mono/.imagegen/facts" 2>/dev/null | sort -u)"
check "monorepo: the layouts (their layers downloaded)" at b mono env PATH="$NOCC" ninja
check "monorepo: the same bytes as the machine that built them" diff -r "$W/a/mono/out" "$W/b/mono/out"
same "monorepo: every layer downloaded once, into the store" "$(layers a mono | wc -l)" "$(layers a mono | stored b mono)"
same "monorepo: a machine without --cache-push adds no entry" "layer 6, outputs 11" "$(entries)"
at b mono ninja -n > "$W/b/n.log" 2>&1
contains "monorepo: then ninja has no work" "$W/b/n.log" "no work to do"
at b mono ninja out/api.tar > /dev/null 2>&1
at a mono ninja out/api.tar > /dev/null 2>&1
check "monorepo: the docker-archive too" cmp "$W/a/mono/out/api.tar" "$W/b/mono/out/api.tar"
rm "$W/a/mono/out/api.tar" "$W/b/mono/out/api.tar"
at b mono ninja out/web.html > /dev/null 2>&1
at a mono ninja out/web.html > /dev/null 2>&1
check "monorepo: the report page too" cmp "$W/a/mono/out/web.html" "$W/b/mono/out/web.html"
rm "$W/a/mono/out/web.html" "$W/b/mono/out/web.html"

# machine c, cold, warm cache: push-api needs no layer's bytes, and uploads none
machine c
at c mono "$IMAGEGEN" --cache "$CACHE" "$MONO"
at c mono env PATH="$NOCC" ninja push-api > "$W/c/push.log" 2>&1
contains "push: a cold machine pushes api, its 3 layers mounted from the cache, only its config uploaded" \
	"$W/c/push.log" "1 blob(s) uploaded, 3 mounted, 0 already there, attached: 1 SBOM, 1 provenance"
same "push: no layer downloaded" 0 "$(layers a mono | stored c mono)"
apidigest=$(jget "$W/a/mono/out/api/index.json" "j['manifests'][0]['digest']")
contains "push: the manifest the layout has" "$W/c/push.log" "$apidigest"
if have skopeo; then
	rm -rf "$W/pulled"
	skopeo copy -q --src-tls-verify=false "docker://$REG/monorepo/api:1" "oci:$W/pulled:1" > "$W/c/skopeo.log" 2>&1
	same "push: skopeo copies the pushed image back, every layer there" \
		"$(jget "$(blob "$W/a/mono/out/api" "$apidigest")" "[l['digest'] for l in j['layers']]")" \
		"$(jget "$(blob "$W/pulled" "$(jget "$W/pulled/index.json" "j['manifests'][0]['digest']")")" "[l['digest'] for l in j['layers']]")"
else
	skip "push: skopeo is not installed"
fi

# a push to another registry than the cache's: the layers downloaded (verified), then uploaded
registry other || exit 0
OTHER=$REG OTHERPID=$REGPID
REG=${CACHE%/cache} REGPID=$cachepid
machine c2
at c2 mono "$IMAGEGEN" --cache "$CACHE" "$MONO"
at c2 mono env PATH="$NOCC" ninja .imagegen/image/api.json > /dev/null 2>&1
at c2 mono env PATH="$NOCC" "$IMAGEGEN" push --image .imagegen/image/api.json .imagegen/blobs "$OTHER/elsewhere/api:1" \
	> "$W/c2/push.log" 2>&1
contains "push elsewhere: the config and the 3 layers uploaded" "$W/c2/push.log" "4 blob(s) uploaded, 0 mounted, 0 already there"
same "push elsewhere: its 3 layers came from the cache into the store" 3 \
	"$(python3 -c 'import json,sys; [print(l["digest"][7:]) for l in json.load(open(sys.argv[1]))["layers"]]' \
		"$W/c2/mono/.imagegen/image/api.json" | stored c2 mono)"
stop "$OTHERPID"

# the make backends, with the cache from the environment: the same bytes, no compiler
for flavour in mk plugin; do
	if [ "$flavour" = plugin ] && [ ! -f "$TOP/imagegen.so" ]; then
		skip "make (plugin): imagegen.so is not built (make check-asan builds none)"
		continue
	fi
	machine "$flavour"
	cd "$W/$flavour/mono" || exit 1
	if [ "$flavour" = mk ]; then
		IMAGEGEN_CACHE_REPO=$CACHE "$IMAGEGEN" -G make "$MONO" && printf 'include images.mk\n' > Makefile
	else
		printf 'load %s\n$(imagegen %s)\n' "$TOP/imagegen.so" "$MONO" > Makefile
	fi
	IMAGEGEN_CACHE_REPO=$CACHE IMAGEGEN_CACHE="$W/$flavour/dl" PATH="$NOCC" make -j2 images > make.log 2>&1
	same "make ($flavour): builds from the cache with no compiler" 0 $?
	check "make ($flavour): the same bytes" diff -r "$W/a/mono/out" "$W/$flavour/mono/out"
	check "make ($flavour): then make -q is content" env IMAGEGEN_CACHE_REPO="$CACHE" IMAGEGEN_CACHE="$W/$flavour/dl" \
		PATH="$NOCC" make -q images
done

# a Debian image from a signed repository made here
mkpkg libfoo 1.3 "$ARCH" "Multi-Arch: same" 'mkdir -p usr/lib && echo v13 > usr/lib/libfoo.so.1'
mkpkg app 2.0 "$ARCH" "Depends: libfoo (>= 1.2)" 'mkdir -p usr/bin && printf "#!/bin/sh\necho app\n" > usr/bin/app && chmod 755 usr/bin/app'
mkpkg base-passwd 3.6.1 "$ARCH" "Essential: yes" 'mkdir -p usr/share/base-passwd &&
	printf "root:*:0:0:root:/root:/bin/bash\nwww-data:*:33:33:www-data:/var/www:/usr/sbin/nologin\n" > usr/share/base-passwd/passwd.master &&
	printf "root:*:0:\nwww-data:*:33:\n" > usr/share/base-passwd/group.master'
mkpkg pick-one 1.0 "$ARCH" "" 'mkdir -p usr/bin && echo one > usr/bin/pick-one && chmod 755 usr/bin/pick-one &&
	printf "#!/bin/sh\nset -e\nupdate-alternatives --install /usr/bin/pick pick /usr/bin/pick-one 10\n" > DEBIAN/postinst &&
	chmod 755 DEBIAN/postinst'
if ! mkindex stable || ! serve "$REPO"; then
	fail "debian: the test repository could not be made or served"
	exit 0
fi
mkdir -p "$W/src/deb"
cat > "$W/src/deb/build.lua" <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
image {
  name = "deb",
  tag = "$REG/debian/deb:1",
  packages = { "app", "base-passwd", "pick-one" },
  repositories = { repo },
  layers = { { name = "site", files = { { "/etc/app.conf", text "app = 1\n" } } } },
}
EOF
DEB=../../src/deb/build.lua
at a deb "$IMAGEGEN" lock "$DEB" > /dev/null 2>&1
at a deb "$IMAGEGEN" --cache "$CACHE" --cache-push "$DEB"
check "debian: a cold machine builds and fills the cache" at a deb ninja
gets=$(grep -c 'GET /pool' "$W/http.log")
at b deb "$IMAGEGEN" --cache "$CACHE" "$DEB"
check "debian: a second machine makes the image file" at b deb ninja .imagegen/image/deb.json
same "debian: and no layer compressed" 0 "$(layers a deb | stored b deb)"
check "debian: the layout" at b deb ninja
check "debian: the same bytes" diff -r "$W/a/deb/out" "$W/b/deb/out"
same "debian: not one .deb fetched" "$gets 0" "$(grep -c 'GET /pool' "$W/http.log") $(find "$W/b/dl" -name '*.deb' | wc -l)"
check "debian: the dpkg database the same (from the packages' sidecars in the cache)" \
	cmp "$W/a/deb/.imagegen/layer/deb/dpkg.json" "$W/b/deb/.imagegen/layer/deb/dpkg.json"

# a poisoned entry: api/app's entry made to name web/app's blob
python3 - "$REG" "$(jget "$W/a/mono/.imagegen/layer/api/app.json" "j['digest']")" \
	"$(jget "$W/a/mono/.imagegen/layer/web/app.json" "j['digest']")" \
	"$(jget "$W/a/mono/.imagegen/layer/web/app.json" "j['size']")" <<'PY'
import json, sys, urllib.request
reg, victim, digest, size = sys.argv[1:5]
mt = "application/vnd.oci.image.manifest.v1+json"
for t in json.load(urllib.request.urlopen(f"http://{reg}/v2/cache/tags/list"))["tags"]:
    url = f"http://{reg}/v2/cache/manifests/{t}"
    m = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": mt})))
    if m["layers"][0]["digest"] == victim:
        m["layers"][0].update(digest=digest, size=int(size))
        urllib.request.urlopen(urllib.request.Request(url, data=json.dumps(m).encode(), method="PUT",
                                                      headers={"Content-Type": mt}))
PY
machine d
at d mono "$IMAGEGEN" --cache "$CACHE" "$MONO"
at d mono env PATH="$NOCC" ninja > "$W/d/ninja.log" 2>&1
same "poison: the build goes on" 0 $?
same "poison: one warning" 1 "$(count "$W/d/ninja.log" "imagegen: warning")"
contains "poison: naming the layer, the entry and the blob that is not its content" "$W/d/ninja.log" \
	"warning: api/app: the build cache's entry"
check "poison: the layer made here, the images the same bytes as the machine that built them" \
	diff -r "$W/a/mono/out" "$W/d/mono/out"
at d mono ninja > "$W/d/again.log" 2>&1
at d mono ninja -n > "$W/d/n.log" 2>&1
contains "poison: a second ninja settles what the first remade behind its back" "$W/d/n.log" "no work to do"
same "poison: and warns no more" 0 "$(count "$W/d/again.log" "imagegen: warning")"
touch "$W/d/mono/gen/services/api/api"
at d mono ninja > "$W/d/touch.log" 2>&1
same "poison: the layer edge again: the entry caught lying is not taken, nor warned of twice" \
	"1 0" "$(count "$W/d/touch.log" "LAYER api/app") $(count "$W/d/touch.log" "imagegen: warning")"
check "poison: and the image is still the right one" diff -r "$W/a/mono/out" "$W/d/mono/out"

# usage: one line each
cd "$W/a/mono" || exit 1
"$IMAGEGEN" --cache nohost "$MONO" > "$W/usage1" 2>&1
same "usage: --cache without a host" "2 imagegen: --cache takes a registry repository, host[:port]/repository" \
	"$? $(head -n 1 "$W/usage1")"
"$IMAGEGEN" --cache-push "$MONO" > "$W/usage2" 2>&1
same "usage: --cache-push without --cache" "2 imagegen: --cache-push needs a cache: --cache HOST/REPOSITORY" \
	"$? $(head -n 1 "$W/usage2")"
IMAGEGEN_CACHE_REPO=x:y "$IMAGEGEN" "$MONO" > "$W/usage3" 2>&1
same "usage: a malformed IMAGEGEN_CACHE_REPO" \
	"2 imagegen: IMAGEGEN_CACHE_REPO='x:y' is not a registry repository, host[:port]/repository" "$? $(head -n 1 "$W/usage3")"
IMAGEGEN_CACHE_REPO=$CACHE IMAGEGEN_CACHE_PUSH=1 "$IMAGEGEN" "$MONO"
contains "usage: IMAGEGEN_CACHE_REPO and IMAGEGEN_CACHE_PUSH=1, kept for regeneration" build.ninja \
	"--cache $CACHE --cache-push"
"$IMAGEGEN" "$MONO"
same "usage: without a cache again, the helpers find none" "{}" "$(cat .imagegen/cache.json)"

# a registry that never answers: one warning, and no more than the deadline
python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
held = []
while True:
    held.append(s.accept())
' &
HOLE=$!
hole=$(listenport "$HOLE")
machine f
at f mono "$IMAGEGEN" --cache "127.0.0.1:$hole/cache" "$MONO"
start=$(date +%s)
at f mono env IMAGEGEN_CACHE_TIMEOUT=2 ninja > "$W/f/ninja.log" 2>&1
same "silent registry: the build completes" 0 $?
took=$(($(date +%s) - start))
same "silent registry: one warning" 1 "$(count "$W/f/ninja.log" "imagegen: warning")"
contains "silent registry: saying the cache is left out" "$W/f/ninja.log" "building without it"
if [ "$took" -lt 20 ]; then ok "silent registry: in $took s (IMAGEGEN_CACHE_TIMEOUT=2)"; else fail "silent registry: took $took s"; fi
check "silent registry: the same bytes" diff -r "$W/a/mono/out" "$W/f/mono/out"

# a registry that refuses: it wants credentials this machine does not have
if have htpasswd; then
	htpasswd -Bbn tester s3cret > "$W/htpasswd" 2>/dev/null
	registry locked "$W/htpasswd" || exit 0
	LOCKED=$REG LOCKEDPID=$REGPID
	REG=${CACHE%/cache} REGPID=$cachepid
	machine g
	at g mono "$IMAGEGEN" --cache "$LOCKED/cache" "$MONO"
	at g mono ninja > "$W/g/ninja.log" 2>&1
	same "refused: the build completes" 0 $?
	same "refused: one warning" 1 "$(count "$W/g/ninja.log" "imagegen: warning")"
	contains "refused: saying why" "$W/g/ninja.log" "wants credentials"
	check "refused: the same bytes" diff -r "$W/a/mono/out" "$W/g/mono/out"
	stop "$LOCKEDPID"
else
	skip "refused: htpasswd is not installed (apache2-utils)"
fi

# the registry killed as the second layer edge starts: the build completes here
cat > "$W/killer" <<EOF
#!/bin/sh
if [ "\$1" = layer ]; then
	n=\$((\$(cat "$W/layers" 2>/dev/null || echo 0) + 1))
	echo \$n > "$W/layers"
	[ \$n != 2 ] || kill $REGPID
fi
exec "$IMAGEGEN" "\$@"
EOF
chmod +x "$W/killer"
machine e
at e mono "$IMAGEGEN" --exe "$W/killer" --cache "$CACHE" "$MONO"
at e mono ninja -j1 > "$W/e/ninja.log" 2>&1
same "killed: the build completes" 0 $?
wait "$REGPID" 2>/dev/null
REGPID=
same "killed: with one warning" 1 "$(count "$W/e/ninja.log" "imagegen: warning")"
check "killed: the same bytes, what the cache had promised made here" diff -r "$W/a/mono/out" "$W/e/mono/out"
