# Every name Linux allows (any bytes but '/' and NUL: newlines, names that
# are not UTF-8, '$', '[', '%', '|', ...; long components, long paths) in
# every kind of source: a tree, single files, a build step's inputs and
# outputs, an external file, symlink targets, hard links, a definition's
# folder. Built by ninja (and samurai when installed), by the generated
# makefile and by the make plugin into the same bytes; unpacked by umoci
# byte for byte (e2e-names copies them out of podman); reproducible after a
# touch of everything; and an edit to a file with an awkward name reruns
# exactly the layer it is in.
. "$TOP/tests/lib.sh"

NAMES="$TOP/tests/names.py"

workdir names
python3 "$NAMES" project "$W/src"
cd "$W" || exit 1

# one copy of the sources and a build folder for each tool (make check builds
# the plugin; make check-asan cannot, make loading no sanitizer runtime)
TOOLS="ninja mk"
[ -f "$TOP/imagegen.so" ] && TOOLS="$TOOLS plugin"
have samu && TOOLS="$TOOLS samu"
for tool in $TOOLS; do
	mkdir -p "$W/$tool/b"
	cp -a "$W/src" "$W/$tool/src"
done

# build: run the tool of $T in its build folder
build() {
	case $T in
	ninja|samu) $T ;;
	*) make images ;;
	esac
}

# nowork WHEN: the tool has nothing left to do
nowork() {
	case $T in
	ninja|samu)
		$T -n > n.log 2>&1
		if grep -q -E "no work to do|nothing to do" n.log; then ok "$T: $1: nothing to do"
		else fail "$T: $1: work left:"; sed 's/^/    /' n.log | head -n 5; fi ;;
	*) check "$T: $1: make -q" make -q images ;;
	esac
}

# label NAME: a file name for a test's description: UTF-8 on one line
label() {
	python3 -c 'import os, re, sys
print(re.sub("[\x00-\x1f]", "~", os.fsencode(sys.argv[1]).decode("utf-8", "replace")))' "$1"
}

# reruns LOG: the layers and build steps a build ran, and how many images: "CMD names,LAYER names/x,IMAGE n"
reruns() {
	{
		grep -o -E '(LAYER +[^ ]+|CMD names)$' "$1" | tr -s ' ' | sort
		printf 'IMAGE %s\n' "$(grep -c -E 'IMAGE +names$' "$1")"
	} | paste -s -d, -
}

for T in $TOOLS; do
	cd "$W/$T/b" || exit 1
	case $T in
	ninja|samu) "$IMAGEGEN" ../src/build.lua ;;
	mk) "$IMAGEGEN" -G make ../src/build.lua && printf 'include images.mk\n' > Makefile ;;
	plugin) printf 'load %s\n$(imagegen ../src/build.lua)\n' "$TOP/imagegen.so" > Makefile ;;
	esac
	build > full.log 2>&1
	check "$T: builds the image with every name" test -f out/names/index.json
	nowork "after a full build"

	for f in 'site/pages/[id].js' 'site/Main$1.class' 'site/données/é.txt' "dirs/new
line/new
line" "$(printf 'caf\351')"; do
		echo edited >> "../src/names/$f"
		build > edit.log 2>&1
		same "$T: editing names/$(label "$f") reruns its layer only" \
			"LAYER names/tree,IMAGE 1" "$(reruns edit.log)"
	done
	find ../src/names/deep -type f -exec sh -c 'echo edited >> "$1"' sh {} \;
	build > edit.log 2>&1
	same "$T: editing the files 10 folders down reruns the tree only" "LAYER names/tree,IMAGE 1" "$(reruns edit.log)"
	nowork "after editing files of the tree"

	echo new > "../src/names/dirs/new
line/added"
	build > add.log 2>&1
	same "$T: a new file in a folder with a newline in its name reruns the tree" "LAYER names/tree,IMAGE 1" \
		"$(reruns add.log)"
	rm "../src/names/dirs/new
line/added"
	build > rm.log 2>&1
	same "$T: removing it reruns the tree" "LAYER names/tree,IMAGE 1" "$(reruns rm.log)"
	nowork "after adding and removing a file"

	for f in "new
line" "$(printf 'caf\351')" 'a%b%' '~' 'trail\'; do
		echo edited >> "../src/single/$f"
		build > edit.log 2>&1
		same "$T: editing single/$(label "$f") reruns its layer only" \
			"LAYER names/single,IMAGE 1" "$(reruns edit.log)"
	done
	nowork "after editing single files"

	for f in 'pipe|name' "$(printf 'cr\rname')" '.PHONY'; do
		echo edited >> "../src/cmdin/$f"
		build > edit.log 2>&1
		same "$T: editing the build step's input $(label "$f") reruns it and its layer" \
			"CMD names,LAYER names/gen,IMAGE 1" "$(reruns edit.log)"
	done
	echo edited >> '../src/prebuilt/ext
name $x'
	build > edit.log 2>&1
	same "$T: editing an external file reruns its layer only" "LAYER names/gen,IMAGE 1" "$(reruns edit.log)"
	rm "gen/out/$(printf 'caf\351')"
	build > rm.log 2>&1
	same "$T: a build step's output removed is made again" "CMD names,LAYER names/gen,IMAGE 0" "$(reruns rm.log)"
	nowork "after editing the build step's inputs"

	touch '../src/inc/new
line dir/build.lua'
	build > regen.log 2>&1
	if [ $T != plugin ]; then
		contains "$T: touching a definition in a folder named with a newline regenerates" regen.log IMAGEGEN
	fi
	same "$T: touching a definition builds nothing" "IMAGE 0" "$(reruns regen.log)"
	nowork "after touching a definition"
done

# every tool built the same bytes
for T in $TOOLS; do
	[ $T = ninja ] && continue
	check "$T and ninja built identical images" diff -r "$W/ninja/b/out" "$W/$T/b/out"
done

# umoci: names, contents, modes, link targets and hard links, byte for byte
cd "$W/ninja/b" || exit 1
check "umoci unpacks the image" umoci unpack --image out/names:latest "$W/bundle"
R=$W/bundle/rootfs
check "umoci: the tree, byte for byte" python3 "$NAMES" compare ../src/names "$R/srv/names"
check "umoci: the single files, byte for byte" python3 "$NAMES" compare ../src/single "$R/single"
same "umoci: the build step's outputs" "$(cd ../src/cmdin && cat ./* ./.[!.]* | md5sum)" "$(cd "$R/gen" && cat ./* ./.[!.]* | md5sum)"
same "umoci: the external file" "made elsewhere
edited" "$(cat "$R/ext/ext
name \$x")"
same "umoci: a declared symlink's target" "$(printf 'caf\351/\n target')" "$(readlink "$R/decl/link
name")"
same "umoci: the included definition's file" included "$(cat "$R/inc/x\$y")"
python3 -c 'import sys, tarfile
with tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as t:
    for m in t:
        if m.name.endswith("caf\udce9"):
            print(m.pax_headers.get("hdrcharset"))
            break' "$(jget .imagegen/layer/names/tree.json '".imagegen/blobs/sha256/" + j["digest"][7:]')" > charset.txt
same "a name that is not UTF-8 is written with hdrcharset=BINARY" BINARY "$(cat charset.txt)"

# a name build.ninja cannot spell: one alias, the same from the generator and the layer helper
alias=.imagegen/names/$(printf 'gen/out/new\nline' | sha256sum | cut -c1-32)
same "the alias of a path is .imagegen/names/ and 32 hex digits of its sha256, a link to it" \
	"$(printf '../../gen/out/new\nline')" "$(readlink "$alias")"
contains "build.ninja names a build step's output by its alias" build.ninja "$alias"
ninja -t deps .imagegen/layer/names/gen.json > deps.txt
contains "and its layer's depfile by the same alias" deps.txt "$alias"

# reproducible: a touch of every source, and a build folder of its own, change no byte
digest=$(jget out/names/index.json 'j["manifests"][0]["digest"]')
find ../src -exec touch -h -d '2031-02-03 04:05:06' {} +
ninja > touch.log 2>&1
same "after a touch of everything the layers are written again" 4 "$(grep -c LAYER touch.log)"
same "and give the same image" "$digest" "$(jget out/names/index.json 'j["manifests"][0]["digest"]')"
mkdir "$W/again" && cd "$W/again" || exit 1
"$IMAGEGEN" ../ninja/src/build.lua && ninja > /dev/null 2>&1
same "a second build folder gives the same image" "$digest" "$(jget out/names/index.json 'j["manifests"][0]["digest"]')"

# a base's path goes on imagegen's own command lines, which hold no newline: one line, nothing written
mkdir -p "$W/basenl/oci
layout" && cd "$W/basenl" || exit 1
printf '{}' > 'oci
layout/index.json'
printf 'image { name = "x", base = oci_layout "oci\\nlayout" }\n' > build.lua
"$IMAGEGEN" build.lua > err 2>&1
same "a base path with a newline: exit 1, one line" "1 1" "$? $(wc -l < err)"
contains "which names it" err "oci\\nlayout: imagegen's own command lines cannot carry a newline"
check "and nothing is written" test ! -e build.ninja -a ! -e .imagegen
# over a build that was generated: its files as they were (the spec files
# are written while the rules are made, as temporaries, renamed only once
# the rules are), no temporary left
printf 'image { name = "x", env = { A = "1" } }\nimage { name = "y", env = { B = "1" } }\n' > build.lua
"$IMAGEGEN" build.lua > err 2>&1 || fail "a definition without the base: generated"
find .imagegen/spec -type f | LC_ALL=C sort | xargs cat > specs.before
printf 'image { name = "x", env = { A = "2" } }\nimage { name = "y", base = oci_layout "oci\\nlayout" }\n' > build.lua
"$IMAGEGEN" build.lua > err 2>&1
same "then with it: exit 1" 1 "$?"
find .imagegen/spec -type f | LC_ALL=C sort | xargs cat > specs.after
check "the spec files as they were" cmp -s specs.before specs.after
same "no temporary left" "" "$(find . -name '*.tmp*')"

# names that make would read as something else, in the build folder itself:
# a special target (.SILENT silences every recipe) and '~' (the home folder)
mkdir "$W/special" && cd "$W/special" || exit 1
printf 'x\n' > .SILENT
printf 'y\n' > '~'
printf 'image { name = "s", files = { { "/s", ".SILENT" }, { "/t", "~" } } }\n' > build.lua
"$IMAGEGEN" -G make build.lua && printf 'include images.mk\n' > Makefile
make images > 1.log 2>&1
echo edited >> .SILENT
make V=1 images > 2.log 2>&1
contains "make: a source named .SILENT is not taken for the special target" 2.log "imagegen layer -m"
echo edited >> '~'
make images > 3.log 2>&1
contains "make: a source named ~ is not taken for the home folder" 3.log "LAYER   s/files"
check "make: then nothing is left to do" make -q images
