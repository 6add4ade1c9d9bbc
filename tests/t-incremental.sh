# Incremental rebuilds, counted from ninja's own "[k/n] WHAT" lines: after a
# build nothing is left to do, and an edit reruns only the edges it reaches.
# Run with ninja, and with samurai (samu, stricter about depfiles) when it is
# installed: Debian 12 does not package it.
. "$TOP/tests/lib.sh"

# steps LOG: how many edges ninja ran
steps() {
	grep -c '^\[' "$1"
}

nowork() {
	$NINJA -n > "$W/n.log" 2>&1
	if grep -q -E "no work to do|nothing to do" "$W/n.log"; then
		ok "$T: $1: $NINJA -n has no work"
	else
		fail "$T: $1: $NINJA -n has work:"
		sed 's/^/    /' "$W/n.log" | head -n 10
	fi
}

incremental() {
	# hello: one image, one layer, one build step
	workdir "incremental-$T-hello"
	cp -R "$TOP/examples/hello" "$W/src"
	mkdir "$W/b" && cd "$W/b" || exit 1
	"$IMAGEGEN" ../src/build.lua && $NINJA > "$W/1.log" 2>&1
	same "$T: hello: a full build runs CC, LAYER, IMAGE, PROVENANCE, SBOM, LAYOUT" 6 "$(steps "$W/1.log")"
	nowork "hello: after a full build"

	touch ../src/hello.c
	$NINJA > "$W/2.log" 2>&1
	same "$T: hello: touching hello.c reruns CC, LAYER and PROVENANCE (which hashes it) only" 3 "$(steps "$W/2.log")"
	same "$T: hello: touching hello.c rebuilds no image" 0 "$(count "$W/2.log" IMAGE)"
	nowork "hello: after touching hello.c"

	sed 's/hello from an imagegen image/hello again/' ../src/hello.c > ../src/hello.c.new && mv ../src/hello.c.new ../src/hello.c
	$NINJA > "$W/3.log" 2>&1
	same "$T: hello: editing hello.c reruns CC, LAYER, IMAGE, PROVENANCE, SBOM, LAYOUT" 6 "$(steps "$W/3.log")"
	nowork "hello: after editing hello.c"

	touch ../src/build.lua
	$NINJA > "$W/4.log" 2>&1
	contains "$T: hello: touching build.lua regenerates build.ninja" "$W/4.log" "IMAGEGEN build.ninja"
	same "$T: hello: touching build.lua builds nothing else" 1 "$(steps "$W/4.log")"

	sed 's/^  entrypoint = .*/&\n  env = { MODE = "test" },/' ../src/build.lua > ../src/build.lua.new && mv ../src/build.lua.new ../src/build.lua
	$NINJA > "$W/5.log" 2>&1
	same "$T: hello: a config change reruns regen, IMAGE, PROVENANCE, SBOM, LAYOUT" 5 "$(steps "$W/5.log")"
	same "$T: hello: a config change rebuilds no layer" 0 "$(count "$W/5.log" LAYER)"
	nowork "hello: after a config change"

	# monorepo: four images, two sharing a base
	workdir "incremental-$T-monorepo"
	cp -R "$TOP/examples/monorepo" "$W/src"
	mkdir "$W/b" && cd "$W/b" || exit 1
	"$IMAGEGEN" ../src/build.lua && $NINJA > "$W/1.log" 2>&1
	nowork "monorepo: after a full build"

	sed 's/hello from the api service/hello from api v2/' ../src/services/api/api.c > ../src/services/api/api.c.new &&
		mv ../src/services/api/api.c.new ../src/services/api/api.c
	$NINJA > "$W/2.log" 2>&1
	same "$T: monorepo: editing api.c runs 6 edges" 6 "$(steps "$W/2.log")"
	for what in "CC api" "LAYER api/app" "IMAGE api" "PROVENANCE out/api.provenance.json" "SBOM out/api.spdx.json" "LAYOUT out/api"; do
		contains "$T: monorepo: editing api.c runs $what" "$W/2.log" "$what"
	done
	nowork "monorepo: after editing api.c"

	echo '/* a comment changes no byte of the binary */' >> ../src/services/api/api.c
	$NINJA > "$W/2b.log" 2>&1
	same "$T: monorepo: a comment in api.c reruns CC, LAYER, PROVENANCE (which names api.c's new digest) and LAYOUT, no image" \
		"4 0" "$(steps "$W/2b.log") $(count "$W/2b.log" IMAGE)"

	echo new > ../src/services/web/static/new.txt
	$NINJA > "$W/3.log" 2>&1
	same "$T: monorepo: a new file in web's tree reruns LAYER, IMAGE, PROVENANCE, SBOM, LAYOUT of web" \
		"5 1 1 1" "$(steps "$W/3.log") $(count "$W/3.log" 'LAYER web/site') $(count "$W/3.log" 'IMAGE web') $(count "$W/3.log" 'LAYOUT out/web')"
	nowork "monorepo: after adding a file to a tree"

	echo 'p { color: red; }' >> ../src/services/web/static/css/site.css
	$NINJA > "$W/4.log" 2>&1
	same "$T: monorepo: editing a file deep in a tree reruns web only" \
		"5 1" "$(steps "$W/4.log") $(count "$W/4.log" 'IMAGE web')"

	rm ../src/services/web/static/new.txt
	$NINJA > "$W/5.log" 2>&1
	same "$T: monorepo: removing a file from a tree reruns web only" \
		"5 1" "$(steps "$W/5.log") $(count "$W/5.log" 'IMAGE web')"
	nowork "monorepo: after removing a file from a tree"

	touch ../src/base/passwd
	$NINJA > "$W/6.log" 2>&1
	same "$T: monorepo: touching a base file reruns its layer and no image" \
		"1 0" "$(steps "$W/6.log") $(count "$W/6.log" IMAGE)"

	echo 'web:x:2000:2000:web:/srv:/sbin/nologin' >> ../src/base/passwd
	$NINJA > "$W/7.log" 2>&1
	same "$T: monorepo: editing the shared base rebuilds base, api and web but not tool" \
		"1 1 1 0" "$(count "$W/7.log" 'IMAGE base') $(count "$W/7.log" 'IMAGE api') $(count "$W/7.log" 'IMAGE web') $(count "$W/7.log" 'IMAGE tool')"
	same "$T: monorepo: editing the shared base rebuilds no other layer" 1 "$(count "$W/7.log" LAYER)"
	nowork "monorepo: after editing the base"
}

for NINJA in ninja samu; do
	T=$NINJA
	if [ $NINJA = ninja ] || have $NINJA; then
		incremental
	fi
done
