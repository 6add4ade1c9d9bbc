# Folders as command outputs, on this machine: dir "name" in outputs, a
# tree of it in a layer by the canonical rules (any name, modes from the
# execute bit, hard links, symlinks), the manifest that stands for it in
# ninja and make (a step that writes the same bytes again reruns nothing
# after it), the same layer whatever the order, umask and times the files
# were written with, and the errors of a folder that is missing or empty.
. "$TOP/tests/lib.sh"

# layerof B IMAGE: the digest of the last layer of IMAGE in build folder B
layerof() {
	jget "$1/.imagegen/image/$2.json" 'j["layers"][-1]["digest"]'
}

# steps LOG: how many edges ninja ran
steps() {
	grep -c '^\[' "$1"
}

workdir folders
mkdir -p "$W/src" "$W/other"
# mk.sh FOLDER: awkward names, links, modes, an empty folder
cat > "$W/src/mk.sh" <<'EOF'
d=$1
mkdir -p "$d/sub/deeper" "$d/empty"
printf a > "$d/with space"
printf b > "$d/$(printf 'tab\there')"
printf c > "$d/$(printf 'new\nline')"
printf d > "$d/back\\slash"
printf e > "$d/$(printf 'caf\351')"
printf f > "$d/-dash"
printf g > "$d/.hidden"
printf h > "$d/ünïcødé"
printf i > "$d/sub/deeper/x"
printf '#!/bin/sh\n' > "$d/run.sh" && chmod 750 "$d/run.sh"
printf j > "$d/private" && chmod 600 "$d/private"
ln -s "../with space" "$d/sub/link"
ln -s /nowhere "$d/dangling"
ln "$d/with space" "$d/hard"
EOF
# the same folder written the other way round, under another umask, with
# other times
cat > "$W/other/mk.sh" <<'EOF'
d=$1
umask 077
mkdir -p "$d/empty" "$d/sub/deeper"
ln -s /nowhere "$d/dangling"
printf '#!/bin/sh\n' > "$d/run.sh" && chmod 700 "$d/run.sh"
printf j > "$d/private"
printf i > "$d/sub/deeper/x"
printf h > "$d/ünïcødé"
printf g > "$d/.hidden"
printf f > "$d/-dash"
printf e > "$d/$(printf 'caf\351')"
printf d > "$d/back\\slash"
printf c > "$d/$(printf 'new\nline')"
printf b > "$d/$(printf 'tab\there')"
printf a > "$d/with space"
ln "$d/with space" "$d/hard"
ln -s "../with space" "$d/sub/link"
touch -d '2001-02-03 04:05:06' "$d/with space" "$d/sub" "$d/private"
EOF
cat > "$W/src/build.lua" <<'EOF'
local names = command {
  outputs = { dir "names", "count.txt" },
  inputs = "mk.sh",
  run = "sh $in gen/names && ls -A gen/names | wc -l > gen/count.txt",
}
image {
  name = "names",
  files = {
    { "/srv/names", names[1], uid = 1000, gid = 1000 },
    { "/count", names["count.txt"] },
  },
}
-- tree { cmd, ... } sets the modes as for a tree of sources
image { name = "modes", files = { { "/m", tree { names.names, mode = "0600", dirmode = "0700" } } } }
-- a folder as another command's input: $in is the folder
local listing = command { outputs = "listing.txt", inputs = names[1], run = "find $in | LC_ALL=C sort > $out" }
image { name = "listing", files = { { "/listing", listing } } }
EOF
cp "$W/src/build.lua" "$W/other/build.lua"

mkdir "$W/a" && cd "$W/a" || exit 1
check "a folder output: imagegen writes build.ninja" "$IMAGEGEN" ../src/build.lua
grep -q '^rule step$' build.ninja
same "build.ninja has a step rule" 0 $?
manifest=$(sed -n 's/^build \(\.imagegen\/folder\/[0-9a-f]*\) gen\/count.txt: step .*/\1/p' build.ninja)
check "the step's outputs are the folder's manifest and its file" test -n "$manifest"
ninja > 1.log 2>&1
same "a folder output: ninja builds" 0 $?
head -n 1 "$manifest" > head.txt
same "the manifest starts with its version line" "imagegen folder 1" "$(cat head.txt)"
blob=$(blob .imagegen "$(layerof . names)")
python3 "$TOP/tests/tarlist.py" "$blob" > names.tar.txt
cat > names.expected <<'EOF'
f count 0644 0:0 [:] 0 3 - -
d srv/ 0755 0:0 [:] 0 0 - -
d srv/names/ 0755 1000:1000 [:] 0 0 - -
f srv/names/-dash 0644 1000:1000 [:] 0 1 - -
f srv/names/.hidden 0644 1000:1000 [:] 0 1 - -
f srv/names/back\slash 0644 1000:1000 [:] 0 1 - -
EOF
head -n 6 names.tar.txt > names.head
check "the folder's layer: sorted, epoch times, the entry's owners, modes from the execute bit" \
	diff names.expected names.head
check "the folder's layer: a mode 0750 script is 0755, a 0600 file 0644" \
	sh -c 'grep -q "^f srv/names/run.sh 0755 " names.tar.txt && grep -q "^f srv/names/private 0644 " names.tar.txt'
check "the folder's layer: an empty folder, a dangling symlink, a hard link" \
	sh -c 'grep -q "^d srv/names/empty/ 0755" names.tar.txt && grep -q "^l srv/names/dangling 0777 .* /nowhere" names.tar.txt && grep -q "^h srv/names/with space 0644 .* srv/names/hard" names.tar.txt'
count=$(python3 -c 'import sys,tarfile; print(len(tarfile.open(sys.argv[1]).getnames()))' "$blob")
same "the folder's layer: every entry (3 of /count, /srv and the folder, 17 in it)" 20 "$count"
python3 - "$blob" > names.bytes 2>&1 <<'EOF'
import sys, tarfile
names = tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape").getnames()
for want in ["srv/names/new\nline", "srv/names/tab\there", "srv/names/caf\udce9", "srv/names/ünïcødé"]:
    print(want in names)
EOF
same "the folder's layer: a newline, a tab, a byte that is not UTF-8, UTF-8" "True True True True" \
	"$(tr '\n' ' ' < names.bytes | sed 's/ $//')"
mblob=$(blob .imagegen "$(layerof . modes)")
python3 -c '
import sys, tarfile
t = tarfile.open(sys.argv[1])
print(len([m for m in t if m.isfile() and m.mode == 0o600]), len([m for m in t if m.isdir() and m.mode == 0o700]))
' "$mblob" > modes.count
same "tree { cmd, mode, dirmode }: every file 0600 and folder 0700 (11 and 4)" "11 4" "$(cat modes.count)"
check "a folder as another command's input" grep -q 'gen/names/sub/deeper/x' gen/listing.txt

# the manifest stands for the folder: the layer's depfile has it alone
ninja -t deps .imagegen/layer/names/files.json > deps.txt
same "the layer depends on the manifest, not the folder's files" \
	"$manifest" "$(sed -n 2p deps.txt | tr -d ' ')"
ninja -n > n.log 2>&1
contains "after a build, nothing to do" n.log "no work to do"

# a step that writes the same bytes again (new times): the layers stay
touch ../src/mk.sh
ninja > 2.log 2>&1
same "touching the input reruns the step" 1 "$(count 2.log 'CMD gen/names')"
same "the step wrote the same folder: the layer of the folder alone does not rerun" 0 "$(count 2.log "LAYER modes/files")"
same "the step wrote the same folder: the command that reads it does not rerun" 0 "$(count 2.log 'listing.txt')"
printf 'printf k > "$d/new file"\n' >> ../src/mk.sh
ninja > 3.log 2>&1
same "a new file in the folder: its layers rerun" "1 1" "$(count 3.log 'LAYER names/files') $(count 3.log 'LAYER modes/files')"
check "a new file in the folder: the command that reads it reruns" grep -q 'new file' gen/listing.txt
ninja -n > n.log 2>&1
contains "after the change, nothing to do" n.log "no work to do"
# a file left in the folder by hand is gone at the next run: the folder is made anew
touch gen/names/stale
printf '\n' >> ../src/mk.sh
ninja > 4.log 2>&1
check "the folder is made anew before the step: a stale file is gone" test ! -e gen/names/stale

# the same folder, written in another order, umask and times: the same bytes
mkdir "$W/b" && cd "$W/b" || exit 1
cp "$W/src/mk.sh" "$W/other/mk.sh.unused"
(umask 077 && "$IMAGEGEN" ../other/build.lua && TZ=Asia/Tokyo ninja > 1.log 2>&1)
same "another order, umask and times: builds" 0 $?
sed -i 's/^printf k.*//' "$W/src/mk.sh"
(cd "$W/a" && ninja > 5.log 2>&1)
same "another order, umask and times: the same manifest" "$(cat "$W/a/$manifest")" "$(cat "$manifest")"
same "another order, umask and times: the same layer" "$(layerof "$W/a" names)" "$(layerof . names)"
same "another order, umask and times: the same image" \
	"$(jget "$W/a/.imagegen/image/names.json" 'j["manifest"]["digest"]')" \
	"$(jget .imagegen/image/names.json 'j["manifest"]["digest"]')"

# make: the generated makefile and the plugin build the same, and do nothing the second time
for flavour in mk plugin; do
	# (check-asan builds no imagegen.so: make cannot load the sanitizers' runtime)
	if [ $flavour = plugin ] && [ ! -f "$TOP/imagegen.so" ]; then
		skip "make (plugin): imagegen.so is not built"
		continue
	fi
	mkdir "$W/$flavour" && cd "$W/$flavour" || exit 1
	if [ $flavour = mk ]; then
		"$IMAGEGEN" -G make ../src/build.lua && printf 'include images.mk\n' > Makefile
	else
		printf 'load %s\n$(imagegen ../src/build.lua)\n' "$TOP/imagegen.so" > Makefile
	fi
	make images > 1.log 2>&1
	same "make ($flavour): builds the folder's images" 0 $?
	same "make ($flavour): the same layer as ninja" "$(layerof "$W/a" names)" "$(layerof . names)"
	make images > 2.log 2>&1
	contains "make ($flavour): the second make has nothing to do" 2.log "Nothing to be done for 'images'"
	touch ../src/mk.sh
	make images > 3.log 2>&1
	same "make ($flavour): touching the input reruns the step, and writes no image" "1 0" \
		"$(count 3.log 'CMD gen/names') $(count 3.log 'IMAGE')"
	check "make ($flavour): make -q after it" make -q images
done

# errors: one line with the command's file and line, and no manifest
workdir folders-errors
mkdir "$W/src"
# buildfails NAME DEFINITION EXPECTED: ninja fails on the step with one line
buildfails() {
	printf '%s\n' "$2" > "$W/src/$1.lua"
	rm -rf "$W/b-$1" && mkdir "$W/b-$1"
	(cd "$W/b-$1" && "$IMAGEGEN" "../src/$1.lua" > gen.log 2>&1 && ninja > ninja.log 2>&1)
	same "$1: the build fails" 1 $?
	grep '^imagegen: ' "$W/b-$1/ninja.log" > "$W/$1.err"
	same "$1: one line naming the command's line" "$3" "$(cat "$W/$1.err")"
	check "$1: no manifest is left" sh -c "! ls '$W/b-$1'/.imagegen/folder/* 2>/dev/null"
}
buildfails empty 'local c = command { outputs = { dir "x" }, run = "true" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/empty.lua:1: command: the folder 'x' is empty after the command ran (outputs: dir \"x\")"
buildfails missing 'local c = command { outputs = { dir "x" }, run = "rmdir gen/x" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/missing.lua:1: command: the folder 'x' is missing after the command ran (outputs: dir \"x\")"
buildfails fifo 'local c = command { outputs = { dir "x" }, run = "mkfifo gen/x/f" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/fifo.lua:1: command: tree 'x': gen/x/f: not a file, directory or symlink"
buildfails whiteout '
local c = command { outputs = { dir "x" }, run = "touch gen/x/.wh.f" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/whiteout.lua:2: command: tree 'x': gen/x/.wh.f: names starting with .wh. are whiteouts and cannot be sources"
# a step that fails after writing half its folder: no manifest, and the layer is not built
printf 'local c = command { outputs = { dir "x" }, run = "touch gen/x/f && exit 3" }\nimage { name = "t", files = { { "/x", c } } }\n' > "$W/src/fails.lua"
mkdir "$W/b-fails" && cd "$W/b-fails" || exit 1
"$IMAGEGEN" ../src/fails.lua && ninja > ninja.log 2>&1
same "a failing step: the build fails" 1 $?
check "a failing step: no manifest" sh -c '! ls .imagegen/folder/* 2>/dev/null'
same "a failing step: no layer was built" 0 "$(count ninja.log LAYER)"

# a step interrupted (ninja stopped by ^C) after half its folder: no
# manifest, so nothing takes the half folder, and the next build runs it
mkdir "$W/b-interrupted" && cd "$W/b-interrupted" || exit 1
printf 'local c = command { outputs = { dir "x" }, inputs = "go", run = "touch gen/x/half && touch started && sleep 30 && touch gen/x/rest" }\nimage { name = "t", files = { { "/x", c } } }\n' > "$W/src/interrupted.lua"
printf 'first\n' > "$W/src/go"
"$IMAGEGEN" ../src/interrupted.lua && ninja > 1.log 2>&1
check "interrupted: a first build" test -f gen/x/rest
printf 'second\n' > "$W/src/go"
ninja > 2.log 2>&1 &
ninjapid=$!
for _ in $(seq 100); do
	[ -f started ] && [ -n "$(find started -newer ../src/go)" ] && break
	sleep 0.1
done
kill -INT "$ninjapid"
wait "$ninjapid"
check "interrupted: ninja stopped" grep -q interrupted 2.log
check "interrupted: no manifest is left" sh -c '! ls .imagegen/folder/* 2>/dev/null | grep -v prev'
ninja -n > n.log 2>&1
contains "interrupted: the next build runs the step again" n.log "CMD gen/x"

# generatefails NAME DEFINITION EXPECTED: imagegen refuses the definition with one line
generatefails() {
	printf '%s\n' "$2" > "$W/src/$1.lua"
	rm -rf "$W/g-$1" && mkdir "$W/g-$1"
	(cd "$W/g-$1" && "$IMAGEGEN" "../src/$1.lua" > out.log 2> err.log)
	same "$1: imagegen exits 1" 1 $?
	same "$1: one line" "$3" "$(cat "$W/g-$1/err.log")"
	check "$1: no build file" test ! -e "$W/g-$1/build.ninja"
}
generatefails tree-of-file 'local c = command { outputs = { "x" }, run = "true" }
image { name = "t", files = { { "/x", tree(c) } } }' \
	"imagegen: ../src/tree-of-file.lua:2: tree: 'x' is a file the command writes; declare a folder with outputs = { dir \"x\" }"
generatefails dir-in-files 'image { name = "t", files = { { "/x", dir "y" } } }' \
	"imagegen: ../src/dir-in-files.lua:1: files[1]: /x: dir 'y' names a folder a command writes, in its outputs; an empty directory is dir()"
generatefails inside-folder 'local c = command { outputs = { dir "x", "x/y" }, run = "true" }
image { name = "t", files = { { "/x", c[1] } } }' \
	"imagegen: ../src/inside-folder.lua:1: outputs[2]: 'x/y' is inside the folder 'x', an output at ../src/inside-folder.lua:1"
generatefails holds-output 'local c = command { outputs = "x/y", run = "true" }
local d = command { outputs = { dir "x" }, run = "true" }
image { name = "t", files = { { "/x", d } } }' \
	"imagegen: ../src/holds-output.lua:2: outputs[1]: the folder 'x' holds 'x/y', an output at ../src/holds-output.lua:1"
generatefails tree-follow 'local c = command { outputs = { dir "x" }, run = "true" }
image { name = "t", files = { { "/x", tree { c, follow = true } } } }' \
	"imagegen: ../src/tree-follow.lua:2: tree: a folder a command writes is taken as it is (follow = true reads outside it)"
generatefails several 'local c = command { outputs = { dir "x", dir "y" }, run = "true" }
image { name = "t", files = { { "/x", tree(c) } } }' \
	"imagegen: ../src/several.lua:2: tree: the command has 2 outputs; pick its folder, e.g. cmd[1]"
generatefails outputs-kind 'local c = command { outputs = { 3 }, run = "true" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/outputs-kind.lua:1: outputs[1]: expected a path or dir \"name\", got a number"
