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
