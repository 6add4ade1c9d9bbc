# Errors found while building: one line naming the definition, file and line,
# a failed edge, and nothing left that ninja would take as done.
. "$TOP/tests/lib.sh"

# setup: a definition with a tree; $1 is the tree's options
setup() {
	workdir "build-errors/$1"
	mkdir -p "$W/src/site/sub" "$W/b"
	echo page > "$W/src/site/index.html"
	printf 'image {\n  name = "site",\n  files = { { "/srv", tree { "site", follow = %s } } },\n}\n' "$2" > "$W/src/build.lua"
	cd "$W/b" || exit 1
	"$IMAGEGEN" ../src/build.lua
}

# failed NAME PATTERN: ninja failed, with one imagegen line matching PATTERN,
# no layer descriptor, no temporary file, and the edge still to do
failed() {
	if ninja > ninja.log 2>&1; then
		fail "$1: ninja should have failed"
		return
	fi
	grep '^imagegen: ' ninja.log > err.log
	same "$1: one error line" 1 "$(wc -l < err.log)"
	if grep -q -E "$2" err.log; then ok "$1: the message says what and where"; else fail "$1: message: $(cat err.log)"; fi
	check "$1: no layer descriptor left" test ! -e .imagegen/layer/site/files.json
	same "$1: no temporary file left in the store" "" "$(find .imagegen/blobs/tmp -type f 2>/dev/null)"
	ninja -n > n.log 2>&1
	contains "$1: ninja still has the layer to build" n.log "LAYER site/files"
}

setup loop true
ln -s .. "$W/src/site/sub/up"
failed "symlink loop" '^imagegen: \.\./src/build\.lua:1: files\[1\]: /srv: tree .site.: symlink loop at \.\./src/site/sub/up'

setup noloop false
ln -s .. "$W/src/site/sub/up"
check "a symlink to a parent, not followed, is kept as a symlink" ninja
check "the layer holds the symlink" sh -c "tar tvzf .imagegen/blobs/sha256/\$(python3 -c \"import json;print(json.load(open('.imagegen/layer/site/files.json'))['digest'][7:])\") | grep -q 'srv/sub/up -> \.\.'"

# a name with a newline is shown escaped, so the message stays one line
setup newline false
echo x > "$W/src/site/.wh.$(printf 'new\nline')"
failed "whiteout with a newline in its name" \
	"^imagegen: .*/srv: tree 'site': \.\./src/site/\.wh\.new\\\\nline: names starting with \.wh\. are whiteouts"

setup whiteout false
echo x > "$W/src/site/.wh.gone"
failed "whiteout in a tree" "^imagegen: .*/srv: tree 'site': .*\.wh\.gone: names starting with \.wh\. are whiteouts"

setup vanished false
rm -rf "$W/src/site"
failed "tree removed after generation" "^imagegen: \.\./src/build\.lua:1: files\[1\]: /srv: tree 'site': \.\./src/site: No such file or directory"

# a failing build step: its output is not taken as done
workdir build-errors/command
mkdir -p "$W/src" "$W/b"
printf 'local c = command { outputs = "x", run = "false" }\nimage { name = "x", files = { { "/x", c } } }\n' > "$W/src/build.lua"
cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua
check "a failing command fails the build" sh -c "! ninja > ninja.log 2>&1"
check "and leaves no image" test ! -e out/x/index.json

# buildfails NAME EXPECTED [TARGET]: ninja fails, and its one imagegen line
# is EXPECTED exactly: the definition's file and line, and the entry's path in it
buildfails() {
	if ninja ${3:-} > ninja.log 2>&1; then
		fail "$1: ninja should have failed"
		return
	fi
	same "$1: one line naming the definition's line" "$2" "$(grep '^imagegen: ' ninja.log)"
}

# a layer item's entry is named by its path in the image (layers[2].files[1]),
# at the image's line; the image's own files by files[N]
workdir build-errors/paths
mkdir -p "$W/src/site" "$W/b"
echo page > "$W/src/site/index.html"
echo conf > "$W/src/app.conf"
cat > "$W/src/build.lua" <<'LUA'
local x = 1
image {
  name = "a",
  layers = {
    { name = "etc", files = { { "/etc/app.conf", "app.conf" } } },
    { name = "www", files = { { "/srv", tree "site" } } },
  },
}
image {
  name = "b",
  files = {
    { "/etc/app.conf", "app.conf" },
  },
}
LUA
cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua
rm -r ../src/site
buildfails "a tree of layers[2] removed after generation" \
	"imagegen: ../src/build.lua:2: layers[2].files[1]: /srv: tree 'site': ../src/site: No such file or directory" a
mkdir ../src/site && echo page > ../src/site/index.html && ninja > /dev/null 2>&1
rm ../src/app.conf
buildfails "a source file removed after generation" \
	"imagegen: ../src/build.lua:2: layers[1].files[1]: /etc/app.conf: source 'app.conf' not found" a
buildfails "the same file in an image's own files" \
	"imagegen: ../src/build.lua:9: files[1]: /etc/app.conf: source 'app.conf' not found" b
echo conf > ../src/app.conf
if [ "$(id -u)" = 0 ]; then
	skip "a tree's unreadable file: root reads every file"
else
	chmod 000 ../src/site/index.html
	buildfails "a tree's unreadable file" \
		"imagegen: ../src/build.lua:2: layers[2].files[1]: /srv: tree 'site': ../src/site/index.html: Permission denied" a
	chmod 644 ../src/site/index.html
fi
mkfifo ../src/site/pipe
buildfails "a FIFO in a tree" \
	"imagegen: ../src/build.lua:2: layers[2].files[1]: /srv: tree 'site': ../src/site/pipe: not a file, directory or symlink" a
rm ../src/site/pipe
check "and with the sources back, the build succeeds" ninja

# bases from outside: their errors at build time name the line of the
# declaration (docker_archive, oci_layout), the file, and what is wrong
workdir build-errors/bases
mkdir -p "$W/src" "$W/b" "$W/first"
echo x > "$W/src/x.txt"
printf 'image { name = "x", files = { { "/x", "x.txt" } } }\n' > "$W/src/x.lua"
(cd "$W/first" && "$IMAGEGEN" ../src/x.lua && ninja > ninja.log 2>&1)
(cd "$W/first/out/x" && tar cf "$W/src/x-oci.tar" .)
cp -R "$W/first/out/x" "$W/src/layout"
cat > "$W/src/build.lua" <<'LUA'
image {
  name = "a",
  base = docker_archive "x-oci.tar",
}
LUA
cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua
buildfails "docker_archive of an OCI archive" \
	"imagegen: ../src/build.lua:3: docker-archive ../src/x-oci.tar: no manifest.json: not a docker-archive but an OCI archive (a layout in a tar): unpack it and read the folder as an OCI layout"
check "the helper left no base file" test ! -e .imagegen/base/*.json
cat > "$W/src/build.lua" <<'LUA'
image {
  name = "a",
  files = { { "/a", "x.txt" } },
  base =
    oci_layout("layout", "v2"),
}
LUA
"$IMAGEGEN" ../src/build.lua
buildfails "oci_layout with a tag the layout does not have" \
	"imagegen: ../src/build.lua:5: oci layout ../src/layout:v2: no image tagged 'v2' in ../src/layout/index.json"
# the where is read, not hashed: moving the declaration reruns no base,
# layer or image (the provenance names the definition's new digest)
sed 's/^  name = "a",$/  name = "a",\n  -- moved/; s/"v2"/"latest"/' "$W/src/build.lua" > "$W/new.lua" && mv "$W/new.lua" "$W/src/build.lua"
"$IMAGEGEN" ../src/build.lua
check "with the tag it has, the base is imported" ninja
sed 's/^  -- moved$/  -- moved\n  -- again/' "$W/src/build.lua" > "$W/new.lua" && mv "$W/new.lua" "$W/src/build.lua"
"$IMAGEGEN" ../src/build.lua
same "a base's where moved: ninja reruns the provenance and the layout alone" "PROVENANCE,LAYOUT" \
	"$(ninja | sed -n 's/^\[[0-9]*\/[0-9]*\] \([A-Z]*\) .*/\1/p' | paste -s -d, -)"

# a pulled base whose registry does not answer (nothing listens on port 9)
cat > "$W/src/build.lua" <<'LUA'
local digest = "sha256:" .. string.rep("ab", 32)
image {
  name = "a",
  base = pull("127.0.0.1:9/team/base:1@" .. digest),
}
LUA
"$IMAGEGEN" ../src/build.lua
check "a pull that cannot connect fails the build" sh -c '! ninja > ninja.log 2>&1'
same "its one line names the pull's line" \
	"imagegen: ../src/build.lua:4: pull 127.0.0.1:9/team/base:1@sha256:$(printf 'ab%.0s' $(seq 32)): get manifest" \
	"$(grep '^imagegen: ' ninja.log | sed 's/\(get manifest\) .*/\1/')"
