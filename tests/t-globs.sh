# Excludes and globs: a tree's exclude patterns and its .imagegenignore
# (.gitignore syntax) leave entries out of its layer, under ninja and make,
# and adding an excluded file leaves the layer's bytes as they are; glob
# lists the project's files sorted, as inputs and sources, and a new match
# regenerates the build file. The errors are in tests/golden (e-glob-*,
# e-exclude-*).
. "$TOP/tests/lib.sh"

# steps LOG: how many edges ninja ran
steps() {
	grep -c '^\[' "$1"
}

# entries B IMAGE: the names in the last layer of IMAGE, sorted by bytes
entries() {
	python3 -c 'import sys, tarfile
for m in tarfile.open(sys.argv[1]): print(m.name + ("/" if m.isdir() else ""))' "$(jget "$1/.imagegen/image/$2.json" \
		'".imagegen/blobs/sha256/" + j["layers"][-1]["digest"][7:]')" | LC_ALL=C sort
}

# layerof B IMAGE: the digest of the last layer of IMAGE in build folder B
layerof() {
	jget "$1/.imagegen/image/$2.json" 'j["layers"][-1]["digest"]'
}

workdir globs
mkdir -p "$W/src" && cd "$W/src" || exit 1
mkdir -p app/.git/objects app/node_modules/m app/lib/deep app/build app/cache app/sub/build app/sub/lib/deep
for f in app/.git/HEAD app/.git/objects/ab app/.env app/a.js app/a.test.js app/keep.test.js app/lib/l.js \
	app/lib/l.test.js app/lib/deep/x.js app/lib/top.txt app/lib/cache app/node_modules/m/i.js app/build/out \
	app/cache/c app/sub/build/kept app/sub/lib/deep/y.js app/top.txt app/x.log app/keep.log app/sub/z.log \
	'app/#notes' 'app/odd [1] $x.txt' 'app/odd2.txt' plain/p.txt; do
	mkdir -p "$(dirname "$f")"
	printf '%s\n' "$f" > "$f"
done
# a name the canonical layer refuses, excluded so that it is never read
printf x > 'app/.wh.gone'
cat > app/.imagegenignore <<'EOF'
# logs, but one
*.log
!keep.log

/build/
\#notes
odd\ \[1\]*.txt
.wh.*
EOF
cat > build.lua <<'EOF'
image { name = "app", files = { { "/app", tree { "app", exclude = { "**/*.test.js", ".git", "node_modules",
  "!keep.test.js", "cache/", "/top.txt", "lib/deep", ".env" } } } } }
image { name = "plain", files = { { "/p", tree "plain" } } }
EOF
mkdir -p "$W/b" && cd "$W/b" || exit 1
check "exclude: imagegen writes the build file" "$IMAGEGEN" ../src/build.lua
check "exclude: ninja builds" ninja
cat > "$W/want" <<'EOF'
app/
app/a.js
app/keep.log
app/keep.test.js
app/lib/
app/lib/cache
app/lib/l.js
app/lib/top.txt
app/odd2.txt
app/sub/
app/sub/build/
app/sub/build/kept
app/sub/lib/
app/sub/lib/deep/
app/sub/lib/deep/y.js
EOF
entries . app > "$W/got"
check "exclude: the layer holds what the patterns leave (.git, node_modules, **/*.test.js, !keep.test.js, cache/, /top.txt, lib/deep, .imagegenignore's lines), and no .imagegenignore" \
	diff -u "$W/want" "$W/got"
cat .imagegen/spec/bundle/*.json > "$W/specs"
contains "exclude: the patterns are in the layer's spec" "$W/specs" '"exclude":["**/*.test.js",".git","node_modules","!keep.test.js","cache/","/top.txt","lib/deep",".env"]'
check "exclude: a tree without exclude has none in its spec" sh -c "! grep -o '\"srcname\":\"plain\"[^}]*' .imagegen/spec/bundle/*.json | grep -q exclude"
ninja -t deps .imagegen/layer/app/files.json > "$W/deps"
contains "exclude: the depfile names the .imagegenignore" "$W/deps" "../src/app/.imagegenignore"
contains "exclude: the depfile names the folders read" "$W/deps" "../src/app/sub/lib/deep"
check "exclude: the depfile names no excluded file or folder" sh -c "! grep -E 'node_modules|\\.git|a\\.test\\.js|x\\.log|/cache/|/build/out' '$W/deps'"

# an excluded file added: the layer edge may run again, its bytes do not change
before=$(layerof . app)
desc=$(cksum < .imagegen/layer/app/files.json)
printf n > ../src/app/new.test.js
printf n > ../src/app/y.log
ninja > "$W/1.log" 2>&1
same "exclude: adding excluded files changes no layer" "$before" "$(layerof . app)"
same "exclude: adding excluded files leaves the layer's descriptor as it is" "$desc" "$(cksum < .imagegen/layer/app/files.json)"
same "exclude: adding excluded files rebuilds no image" 0 "$(count "$W/1.log" IMAGE)"
printf n > ../src/app/node_modules/m/new.js
ninja -n > "$W/1b.log" 2>&1
contains "exclude: a file added in an excluded folder is no work at all" "$W/1b.log" "no work to do"

# an included file added: it is in the layer
printf n > ../src/app/lib/new.js
ninja > "$W/2.log" 2>&1
entries . app > "$W/got"
contains "exclude: an included file added is in the layer" "$W/got" "app/lib/new.js"
same "exclude: an included file added rebuilds app's image" 1 "$(count "$W/2.log" 'IMAGE app')"

# the .imagegenignore edited, then removed
printf 'a.js\n' >> ../src/app/.imagegenignore
ninja > "$W/3.log" 2>&1
entries . app > "$W/got"
same "exclude: editing .imagegenignore reruns the layer" 1 "$(count "$W/3.log" 'LAYER app/files')"
check "exclude: a name added to .imagegenignore leaves the layer" sh -c "! grep -q '^app/a.js\$' '$W/got'"
rm ../src/app/.wh.gone
mv ../src/app/.imagegenignore ../src/ignore.saved
ninja > "$W/4.log" 2>&1
entries . app > "$W/got"
contains "exclude: without .imagegenignore its names are back (x.log)" "$W/got" "app/x.log"
contains "exclude: without .imagegenignore its names are back (build/out)" "$W/got" "app/build/out"
mv ../src/ignore.saved ../src/app/.imagegenignore
ninja > /dev/null 2>&1

# the exclude list changed in the definition: the layer is built again
sed 's/"lib\/deep", //' ../src/build.lua > ../src/build.lua.new && mv ../src/build.lua.new ../src/build.lua
ninja > "$W/5.log" 2>&1
entries . app > "$W/got"
same "exclude: a changed exclude list regenerates and reruns the layer" "1 1" \
	"$(count "$W/5.log" 'IMAGEGEN build.ninja') $(count "$W/5.log" 'LAYER app/files')"
contains "exclude: a pattern taken out of exclude lets its folder in" "$W/got" "app/lib/deep/x.js"

# the same under make: the same layer, and .imagegenignore's edits rebuild it
mkdir -p "$W/mk" && cd "$W/mk" || exit 1
"$IMAGEGEN" -G make ../src/build.lua && printf 'include images.mk\n' > Makefile
check "exclude (make): make builds" make images
same "exclude (make): the same layer as ninja's" "$(layerof "$W/b" app)" "$(layerof . app)"
printf 'lib/\n' >> ../src/app/.imagegenignore
make images > "$W/mk1.log" 2>&1
entries . app > "$W/got"
check "exclude (make): a folder added to .imagegenignore leaves the layer" sh -c "! grep -q '^app/lib/' '$W/got'"
check "exclude (make): make -q after the edit" make -q images
printf n > ../src/app/z.log
make images > "$W/mk2.log" 2>&1
same "exclude (make): an excluded file added rebuilds no image" 0 "$(count "$W/mk2.log" IMAGE)"

# a build-time error in .imagegenignore: one line, with the definition's line and the file's
printf '[oops\n' >> ../src/app/.imagegenignore
cd "$W/b" || exit 1
ninja > "$W/6.log" 2>&1
contains "exclude: a wrong .imagegenignore line stops the build with one line" "$W/6.log" \
	"imagegen: ../src/build.lua:1: files[1]: /app: tree 'app': .imagegenignore:11: the pattern has a '[' without its ']'"

# a command's folder as a tree: its exclude applies there too
workdir globs-folder
mkdir -p "$W/src" "$W/b" && cd "$W/src" || exit 1
cat > build.lua <<'EOF'
local deps = command { outputs = { dir "out" }, run = "mkdir -p $out/keep $out/cache && echo a > $out/keep/a && echo b > $out/cache/b && echo c > $out/x.map" }
image { name = "f", files = { { "/o", tree { deps, exclude = { "cache/", "*.map" } } } } }
EOF
cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > /dev/null 2>&1
printf 'o/\no/keep/\no/keep/a\n' > "$W/want"
entries . f > "$W/got"
check "exclude: a command's folder leaves out what its tree excludes" diff -u "$W/want" "$W/got"

# glob: sorted, hidden files too, symlinks to files, not folders, not excluded ones
workdir globs-glob
mkdir -p "$W/src/src/lib" "$W/src/src/node_modules/n" "$W/src/src/dir.js" "$W/src/src/we ird\$:#" "$W/src/b" &&
	cd "$W/src" || exit 1
for f in src/z.js src/a.js src/B.js src/.hidden.js src/lib/m.js src/lib/x.test.js src/node_modules/n/n.js \
	'src/sp ace.js' src/readme.txt 'src/we ird$:#/w.js'; do
	printf '%s\n' "$f" > "$f"
done
ln -s a.js src/link.js
ln -s nowhere src/dangling.js
ln -s lib src/linkdir
cat > build.lua <<'EOF'
local all = glob { "src/**/*.js", exclude = { "node_modules", "*.test.js" } }
print("deep: " .. table.concat(all, "|"))
print("top: " .. table.concat(glob "src/*.js", "|"))
print("two: " .. table.concat(glob { "src/*.txt", "src/lib/*.js" }, "|"))
print("none: " .. #glob "later/*.js")
local files = {}
for _, p in ipairs(all) do files[#files + 1] = { "/app/" .. p, p } end
for _, p in ipairs(glob "later/*.js") do files[#files + 1] = { "/app/" .. p, p } end
local cat = command { outputs = "cat", inputs = glob "src/lib/*.js", run = "cat $in > $out" }
files[#files + 1] = { "/cat", cat }
image { name = "g", files = files }
EOF
cd b || exit 1
"$IMAGEGEN" ../build.lua 2> "$W/gen.err"
contains "glob: recursive, sorted by bytes, hidden names, symlinks to files, less its excludes" "$W/gen.err" \
	'deep: src/.hidden.js|src/B.js|src/a.js|src/lib/m.js|src/link.js|src/sp ace.js|src/we ird$:#/w.js|src/z.js'
contains "glob: * stays in its folder" "$W/gen.err" "top: src/.hidden.js|src/B.js|src/a.js|src/link.js|src/sp ace.js|src/z.js"
contains "glob: several patterns, one sorted list" "$W/gen.err" "two: src/lib/m.js|src/lib/x.test.js|src/readme.txt"
contains "glob: no match is an empty list" "$W/gen.err" "none: 0"
check "glob: ninja builds the image of globbed files" ninja
entries . g > "$W/got"
contains "glob: a globbed file is in the image" "$W/got" "app/src/sp ace.js"
contains "glob: globbed inputs feed a command" "$W/got" "cat"
check "glob: the build folder inside the project is not walked: nothing to do after a build" \
	sh -c "ninja -n | grep -q 'no work to do'"
grep '^build build.ninja' build.ninja > "$W/regen"
check "glob: the folders walked are regeneration inputs (a folder src/**/*.js can match below too), not excluded ones" \
	sh -c "grep -q ' \.\./src/lib ' '$W/regen' && grep -q ' \.\./src/dir.js ' '$W/regen' && ! grep -q 'node_modules' '$W/regen'"

printf 'new\n' > ../src/lib/new.js
ninja > "$W/g1.log" 2>&1
contains "glob: a new matching file regenerates the build file" "$W/g1.log" "IMAGEGEN build.ninja"
entries . g > "$W/got"
contains "glob: the new file is in the image" "$W/got" "app/src/lib/new.js"
same "glob: the new file is one of the command's inputs" "$(cat ../src/lib/m.js ../src/lib/new.js ../src/lib/x.test.js)" \
	"$(cat gen/cat)"
printf 'n\n' > ../src/node_modules/n/new.js
ninja -n > "$W/g2.log" 2>&1
contains "glob: a file added in an excluded folder is no work" "$W/g2.log" "no work to do"
mkdir -p ../later && printf 'l\n' > ../later/l.js
ninja > "$W/g3.log" 2>&1
entries . g > "$W/got"
contains "glob: a folder that comes later is seen: its file is in the image" "$W/got" "app/later/l.js"

# the same under make: a new match remakes the makefile and is in the image
mkdir -p ../mk && cd ../mk || exit 1
"$IMAGEGEN" -G make ../build.lua 2> /dev/null && printf 'include images.mk\n' > Makefile
check "glob (make): make builds" make images
same "glob (make): the same layer as ninja's" "$(layerof ../b g)" "$(layerof . g)"
check "glob (make): make -q after a build (the folders read are there, whatever their names)" make -q images
printf 'm\n' > ../src/lib/make.js
make images > "$W/m1.log" 2>&1
entries . g > "$W/got"
contains "glob (make): a new matching file is in the image" "$W/got" "app/src/lib/make.js"
cd ../b || exit 1

# valgrind over the layer helper with excludes and the generator's glob (not
# over a binary built with AddressSanitizer: make check-asan sets ASAN_OPTIONS)
if [ -n "${ASAN_OPTIONS:-}" ]; then
	skip "valgrind: the layer helper with excludes (make check-asan: the sanitizers check it)"
elif have valgrind; then
	vg() {
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$@"
	}
	check "valgrind: the generator, glob" vg "$IMAGEGEN" ../build.lua
	cd "$TOP/tests/work/globs/b" || exit 1
	sed -i '$d' ../src/app/.imagegenignore
	"$IMAGEGEN" ../src/build.lua
	check "valgrind: layer, exclude and .imagegenignore" vg "$IMAGEGEN" layer \
		$(specargs .imagegen/spec/layer/app/files.json) \
		.imagegen/layer/app/files.json .imagegen/layer/app/files.json.d .imagegen/blobs
else
	skip "valgrind: the layer helper with excludes (valgrind is not installed)"
fi
