# Steps in an image of the graph, hermetic: a signed test repository with a
# busybox package (this machine's static busybox) makes the builder image;
# a step runs in bubblewrap over its root file system with the image's
# user, env and working directory, its inputs read-only, $HOME and /tmp
# empty, no network unless asked; its folder's layer is the same in any
# build folder, umask and time zone; it reruns when its run, inputs, image
# or network change and never otherwise; ninja and both make backends;
# rootless where the kernel allows; and the errors, each one line.
. "$TOP/tests/lib.sh"

needdebtools steps || exit 0
if ! have bwrap; then
	fail "steps: bubblewrap is not installed (apt-get install bubblewrap)"
	exit 0
fi
if ! have busybox; then
	fail "steps: a static busybox is needed for the test image (apt-get install busybox-static)"
	exit 0
fi

# layerof B IMAGE: the digest of the last layer of IMAGE in build folder B
layerof() {
	jget "$1/.imagegen/image/$2.json" 'j["layers"][-1]["digest"]'
}

workdir steps
export IMAGEGEN_CACHE="$W/cache"
signedrepo
BUSYBOX=$(command -v busybox)
APPLETS="sh cp mkdir ls cat id env printf echo touch ln sort wc rm grep sed cut tr true false"
mkpkg tbox 1.0 "$ARCH" "" "mkdir -p usr/bin && cp '$BUSYBOX' usr/bin/busybox &&
	for a in $APPLETS; do ln -s busybox usr/bin/\$a; done"
mkpkg tnosh 1.0 "$ARCH" "" "mkdir -p usr/lib/tnosh && cp '$BUSYBOX' usr/lib/tnosh/busybox"
if ! mkindex stable || ! serve "$REPO"; then
	fail "steps: the test repository could not be made or served"
	exit 0
fi
URL=http://127.0.0.1:$PORT
mkdir -p "$W/src/sub"
printf 'one\n' > "$W/src/in.txt"
printf 'two\n' > "$W/src/sub/two.txt"
cat > "$W/src/probe.sh" <<'EOF'
# what the step sees, one line each
echo "id $(id -u):$(id -g)"
echo "pwd $(pwd)"
echo "home $HOME, $(ls -A "$HOME" | wc -l) names in it"
echo "epoch $SOURCE_DATE_EPOCH"
echo "greeting $GREETING"
echo "inputs $(cat in.txt) $(cat sub/two.txt)"
if touch /usr/x 2> /dev/null; then echo "the root is writable"; else echo "the root is read-only"; fi
if echo x >> in.txt 2> /dev/null; then echo "an input is writable"; else echo "an input is read-only"; fi
touch /tmp/t "$HOME/h" && echo "/tmp and home are writable"
echo "interfaces $(grep -c : /proc/net/dev)"
echo "environment $(env | cut -d= -f1 | sort | tr '\n' ' ')"
EOF
cat > "$W/src/build.lua" <<EOF
-- a comment line, for moving the declarations
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
local builder = image {
  name = "builder", packages = { "tbox" }, repositories = { repo },
  env = { GREETING = "hello from the image" },
  users = { { name = "builder", uid = 1234, gid = 1234, home = "/home/builder" } },
  groups = { { name = "builder", gid = 1234 } },
  user = "builder", workdir = "/src",
}
local probe = command {
  image = builder,
  inputs = { "in.txt", "sub/two.txt", "probe.sh" },
  outputs = { dir "folder", "probe.txt" },
  run = [[
sh probe.sh > probe.txt
echo "args \$in | \$out" >> probe.txt
mkdir -p folder/sub folder/empty
printf a > "folder/with space"
printf b > "folder/\$(printf 'new\nline')"
printf c > "folder/\$(printf 'caf\351')"
printf '#!/bin/sh\n' > folder/run.sh && chmod 700 folder/run.sh
cp in.txt folder/sub/copy.txt
ln -s ../with\ space folder/sub/link
]],
}
local net = command { image = builder, network = true, outputs = "net.txt", run = "grep -c : /proc/net/dev > \$out" }
local nosh = image { name = "nosh", packages = { "tnosh" }, repositories = { repo } }
local copied = command { image = nosh, inputs = "in.txt", outputs = "copied.txt",
  run = { "/usr/lib/tnosh/busybox", "cp", "in.txt", "copied.txt" } }
image {
  name = "app",
  layers = {
    { name = "folder", files = { { "/app", probe.folder, uid = 1000, gid = 1000 } } },
    { name = "rest", files = { { "/probe.txt", probe["probe.txt"] }, { "/net.txt", net }, { "/copied.txt", copied } } },
  },
}
EOF

mkdir "$W/a" && cd "$W/a" || exit 1
check "imagegen writes build.ninja" "$IMAGEGEN" ../src/build.lua
ninja > 1.log 2>&1
same "ninja builds the builder images, the steps and the app" 0 $?
[ -s gen/probe.txt ] || sed 's/^/    /' 1.log | tail -n 20
cat > probe.expected <<'EOF'
id 1234:1234
pwd /src
home /home/builder, 0 names in it
epoch 0
greeting hello from the image
inputs one two
the root is read-only
an input is read-only
/tmp and home are writable
interfaces 1
environment GREETING HOME PATH PWD SHLVL SOURCE_DATE_EPOCH 
args in.txt sub/two.txt probe.sh | folder probe.txt
EOF
check "the step sees the image's user, env and workdir, its inputs read-only, \$HOME and /tmp empty, loopback alone" \
	diff probe.expected gen/probe.txt
hostifs=$(grep -c : /proc/net/dev)
if [ "$hostifs" -gt 1 ]; then
	same "network = true: the step has this machine's interfaces" "$hostifs" "$(cat gen/net.txt)"
else
	skip "network = true: this machine has loopback alone"
fi
same "run as a list: runs in an image without /bin/sh" "one" "$(cat gen/copied.txt)"
python3 "$TOP/tests/tarlist.py" "$(blob .imagegen "$(layerof . app)")" > /dev/null 2>&1
folder=$(jget .imagegen/image/app.json 'j["layers"][0]["digest"]')
python3 "$TOP/tests/tarlist.py" "$(blob .imagegen "$folder")" > folder.txt
check "the folder's layer: the files the step wrote, with the entry's owners, modes from the execute bit" \
	sh -c 'grep -q "^f app/run.sh 0755 1000:1000 \[:\] 0 10 " folder.txt && grep -q "^f app/with space 0644 1000:1000 \[:\] 0 1 " folder.txt &&
		grep -q "^l app/sub/link 0777 1000:1000 .* ../with space" folder.txt && grep -q "^d app/empty/ 0755" folder.txt'
same "the folder's layer: every entry" 9 "$(python3 -c 'import sys,tarfile; print(len(tarfile.open(sys.argv[1]).getnames()))' "$(blob .imagegen "$folder")")"
ls .imagegen/root | grep -c -v -e '\.lock$' -e '\.image$' > roots
same "one root file system an image (builder, nosh)" 2 "$(cat roots)"
check "the work folders are gone" sh -c '! ls -A .imagegen/step 2>/dev/null | grep -q .'
ninja -n > n.log 2>&1
contains "a second ninja has nothing to do" n.log "no work to do"

# the same folder in another build folder, umask and time zone: the same layer
mkdir "$W/b" && cd "$W/b" || exit 1
(umask 077 && "$IMAGEGEN" ../src/build.lua && TZ=Pacific/Chatham ninja > 1.log 2>&1)
same "another build folder, umask 077 and time zone: builds" 0 $?
same "another build folder, umask 077 and time zone: the same step layer" "$folder" \
	"$(jget .imagegen/image/app.json 'j["layers"][0]["digest"]')"
same "another build folder, umask 077 and time zone: the same image" \
	"$(jget "$W/a/.imagegen/image/app.json" 'j["manifest"]["digest"]')" "$(jget .imagegen/image/app.json 'j["manifest"]["digest"]')"

# what reruns the step, and what does not
cd "$W/a" || exit 1
# rerun WHAT LOG: ninja, then whether the probe step ran (1) or not (0)
rerun() {
	ninja > "$2" 2>&1 || sed 's/^/    /' "$2" | tail -n 5
	count "$2" "STEP gen/folder"
}
same "moving the declarations (a line above them): the step does not rerun" 0 \
	"$(sed -i '1s/^/-- another comment\n/' ../src/build.lua && rerun moved m.log)"
same "touching an input: the step reruns" 1 "$(touch ../src/in.txt && rerun touched t.log)"
same "touching an input: the same folder, its layer does not rerun" 0 "$(count t.log 'LAYER app/folder')"
same "editing an input: the step reruns" 1 "$(printf 'uno\n' > ../src/in.txt && rerun edited e.log)"
same "editing an input: the folder's layer reruns" 1 "$(count e.log 'LAYER app/folder')"
same "editing the run: the step reruns" 1 "$(sed -i 's|^mkdir -p folder/sub folder/empty$|mkdir -p folder/sub folder/empty folder/more|' ../src/build.lua && rerun run r.log)"
same "network on: the step reruns" 1 "$(sed -i 's|^local probe = command {$|local probe = command { network = true,|' ../src/build.lua && rerun network w.log)"
same "network off again: the step reruns" 1 "$(sed -i 's|^local probe = command { network = true,$|local probe = command {|' ../src/build.lua && rerun network2 w2.log)"
same "a description: the step does not rerun" 0 "$(sed -i 's|^local probe = command {$|local probe = command { description = "PROBE",|' ../src/build.lua && rerun description d.log)"
old=$(ls .imagegen/root | grep -v -e '\.lock$' -e '\.image$' | sort)
sed -i 's|^  user = "builder", workdir = "/src",$|  user = "builder", workdir = "/src", files = { { "/etc/extra", text "x\\n" } },|' ../src/build.lua
ninja > i.log 2>&1
same "a change to the builder image: the step reruns" 1 "$(count i.log PROBE)"
same "a change to the builder image: the steps of the other image do not" 0 "$(count i.log 'copied.txt')"
new=$(ls .imagegen/root | grep -v -e '\.lock$' -e '\.image$' | sort)
check "a change to the builder image: its former root file system is gone, a new one made" \
	test "$(echo "$old" | wc -l)" = 2 -a "$(echo "$new" | wc -l)" = 2 -a "$old" != "$new"
ninja -n > n.log 2>&1
contains "after the changes, nothing to do" n.log "no work to do"

# platforms: a builder of one platform runs every platform's step (a
# cross-compiler's way); one of several runs each in its own, and one this
# machine cannot run without qemu is refused when generating
host=linux/$(dpkg --print-architecture)
mkdir -p "$W/plat/src" "$W/plat/b"
sed -n '1,/^}$/p' "$W/src/build.lua" > "$W/plat/src/build.lua"
cat >> "$W/plat/src/build.lua" <<EOF
local arch = command { image = builder, outputs = "arch.txt", run = "echo \$arch > \$out" }
image { name = "multi", platforms = { "$host", "linux/s390x" }, files = { { "/arch.txt", arch } } }
EOF
cd "$W/plat/b" || exit 1
"$IMAGEGEN" ../src/build.lua > gen.log 2>&1 && ninja > 1.log 2>&1
same "platforms: a builder of one platform runs the step of each" 0 $?
same "platforms: each its own output" "$(dpkg --print-architecture) s390x" \
	"$(cat "gen/$(echo "$host" | tr / -)/arch.txt" gen/linux-s390x/arch.txt | tr '\n' ' ' | sed 's/ $//')"
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-s390x ] && [ "$host" != linux/s390x ]; then
	cat >> "$W/plat/src/build.lua" <<EOF
local two = image { name = "two", platforms = { "$host", "linux/s390x" }, files = { { "/t", text "t" } } }
local each = command { image = two, outputs = "each.txt", run = "echo \$arch > \$out" }
image { name = "both", platforms = { "$host", "linux/s390x" }, files = { { "/each.txt", each } } }
EOF
	"$IMAGEGEN" ../src/build.lua > gen2.log 2>&1
	same "platforms: a builder of several runs each platform's step in its own: s390x needs qemu here" \
		"imagegen: ../src/build.lua:$(grep -n '^local each' ../src/build.lua | cut -d: -f1): image: 'two' is linux/s390x, which this machine ($host) runs only through qemu: install qemu-user-static and have binfmt_misc register qemu-s390x with the F flag" \
		"$(cat gen2.log)"
else
	skip "platforms: this machine runs s390x"
fi

# make: the generated makefile and the plugin
for flavour in mk plugin; do
	# (check-asan builds no imagegen.so: make cannot load the sanitizers' runtime)
	if [ $flavour = plugin ] && [ ! -f "$TOP/imagegen.so" ]; then
		skip "make (plugin): imagegen.so is not built"
		continue
	fi
	mkdir "$W/$flavour" && cd "$W/$flavour" || exit 1
	cp -R "$W/src" src
	printf 'one\n' > src/in.txt
	sed -i 's|^local probe = command { description = "PROBE",$|local probe = command {|; s|, files = { { "/etc/extra", text "x\\n" } },$|,|; s| folder/more$||' src/build.lua
	if [ $flavour = mk ]; then
		"$IMAGEGEN" -G make src/build.lua && printf 'include images.mk\n' > Makefile
	else
		printf 'load %s\n$(imagegen src/build.lua)\n' "$TOP/imagegen.so" > Makefile
	fi
	make images > 1.log 2>&1
	same "make ($flavour): builds the steps and images" 0 $?
	same "make ($flavour): the same step layer as ninja" "$folder" "$(jget .imagegen/image/app.json 'j["layers"][0]["digest"]')"
	make images > 2.log 2>&1
	contains "make ($flavour): a second make has nothing to do" 2.log "Nothing to be done for 'images'"
	touch src/in.txt
	make images > 3.log 2>&1
	same "make ($flavour): touching an input reruns the step, writes no image" "1 0" \
		"$(count 3.log 'STEP gen/folder') $(count 3.log IMAGE)"
done

# rootless: the same build as a user without privileges, where the kernel lets it have user namespaces
if have setpriv && setpriv --reuid=65534 --regid=65534 --clear-groups bwrap --ro-bind / / --unshare-user true 2> /dev/null; then
	R=$W/rootless
	mkdir -p "$R/b" "$R/cache"
	cp -R "$W/src" "$R/src"
	printf 'one\n' > "$R/src/in.txt"
	sed -i 's|^local probe = command { description = "PROBE",$|local probe = command {|; s|, files = { { "/etc/extra", text "x\\n" } },$|,|; s| folder/more$||' "$R/src/build.lua"
	cp "$W/test.gpg" "$R/test.gpg"
	sed -i "s|keyring = \"$W/test.gpg\"|keyring = \"$R/test.gpg\"|" "$R/src/build.lua"
	chmod -R a+rX "$TOP/imagegen" "$W/repo"
	chown -R 65534:65534 "$R"
	(cd "$R/b" && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$R" IMAGEGEN_CACHE="$R/cache" \
		sh -c '"$0" ../src/build.lua && ninja' "$IMAGEGEN" > "$R/1.log" 2>&1)
	same "rootless: builds the steps" 0 $?
	same "rootless: the same step layer as root's" "$folder" "$(jget "$R/b/.imagegen/image/app.json" 'j["layers"][0]["digest"]')"
	same "rootless: the step ran as the image's user" "id 1234:1234" "$(head -n 1 "$R/b/gen/probe.txt")"
else
	skip "rootless: this machine gives no user namespaces to a user without privileges"
fi

# errors, each one line with the definition's file and line
workdir steps-errors
cp "$W/../steps/test.gpg" "$W/test.gpg"
mkdir "$W/src" && printf 'x\n' > "$W/src/in.txt" && printf 'x\n' > "$W/outside.txt"
# nine lines: a definition's own lines start at line 10
cat > "$W/src/head.lua" <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
local builder = image {
  name = "builder",
  packages = { "tbox" },
  repositories = { repo },
}
-- a definition's own lines from here
--
--
EOF
# the lock the definitions below share (they are in one folder)
{ cat "$W/src/head.lua"; printf 'image { name = "nosh", packages = { "tnosh" }, repositories = { repo } }\n'; } > "$W/src/lock.lua"
(cd "$W/src" && "$IMAGEGEN" lock lock.lua > /dev/null 2>&1)
# fails NAME DEFINITION-TAIL EXPECTED [ENV...]: imagegen, then ninja, fail with one line
fails() {
	name=$1 tail=$2 expected=$3
	shift 3
	{ cat "$W/src/head.lua"; printf '%s\n' "$tail"; } > "$W/src/$name.lua"
	rm -rf "$W/b-$name" && mkdir "$W/b-$name"
	(cd "$W/b-$name" && env "$@" "$IMAGEGEN" "../src/$name.lua" > gen.log 2>&1 && env "$@" /usr/bin/ninja > ninja.log 2>&1)
	same "$name: fails" 1 $?
	same "$name: one line" "$expected" "$(cat "$W/b-$name/gen.log" "$W/b-$name/ninja.log" 2> /dev/null | grep '^imagegen: ')"
}
fails not-an-image 'command { image = repo, outputs = "x", run = "true" }
image { name = "t", files = { { "/t", text "t" } } }' \
	"imagegen: ../src/not-an-image.lua:10: image: expected an image of this graph (image { ... }) or its name, got a repository"
fails no-image 'command { image = "buidler", outputs = "x", run = "true" }
image { name = "t", files = { { "/t", text "t" } } }' \
	"imagegen: ../src/no-image.lua:10: image: no image named 'buidler' (did you mean 'builder'?)"
fails outside 'command { image = builder, inputs = "../outside.txt", outputs = "x", run = "true" }
image { name = "t", files = { { "/t", text "t" } } }' \
	"imagegen: ../src/outside.lua:10: inputs[1]: '../outside.txt' is outside the folder of this definition; a step in an image sees its inputs in its own folder, at the paths they have in the definition's"
fails out-outside 'command { image = builder, outputs = "/out/../x", run = "true" }
image { name = "t", files = { { "/t", text "t" } } }' \
	"imagegen: ../src/out-outside.lua:10: outputs[1]: '/out/../x' is outside the step's folder (the image's workdir, or /out): an output is a relative path in it"
fails no-sh 'local n = image { name = "nosh", packages = { "tnosh" }, repositories = { repo } }
local c = command { image = n, outputs = "x", run = "true" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/no-sh.lua:11: command: image 'nosh' has no /bin/sh to run the step's string with; give run as a list of words, which run without a shell"
fails no-file 'local c = command { image = builder, outputs = "x", run = "true" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/no-file.lua:10: command: the step wrote no file 'x'"
fails empty 'local c = command { image = builder, outputs = { dir "x" }, run = "true" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/empty.lua:10: command: the folder 'x' is empty after the command ran (outputs: dir \"x\")"
fails cycle 'local c = command { image = "t", outputs = "x", run = "true" }
image { name = "t", base = builder, files = { { "/x", c } } }' \
	"imagegen: ../src/cycle.lua:10: step cycle: the command runs in image 't', which is built from its output"
fails no-bwrap 'local c = command { image = builder, outputs = "x", run = "true" }
image { name = "t", files = { { "/x", c } } }' \
	"imagegen: ../src/no-bwrap.lua:10: image: a step in an image runs in bubblewrap, which is not installed (apt-get install bubblewrap)" \
	PATH=/nonexistent
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-s390x ] && [ "$(uname -m)" != s390x ]; then
	fails foreign 'local f = image { name = "f", platform = "linux/s390x", files = { { "/f", text "f" } } }
local c = command { image = f, outputs = "x", run = "true" }
image { name = "t", files = { { "/x", c } } }' \
		"imagegen: ../src/foreign.lua:11: image: 'f' is linux/s390x, which this machine (linux/$(dpkg --print-architecture)) runs only through qemu: install qemu-user-static and have binfmt_misc register qemu-s390x with the F flag"
else
	skip "foreign: this machine runs s390x"
fi
# user namespaces refused: the build in a sandbox of its own that allows no more of them
if bwrap --dev-bind / / --unshare-user --disable-userns --uid 0 --gid 0 true 2> /dev/null; then
	{ cat "$W/src/head.lua"; printf 'local c = command { image = builder, outputs = "x", run = "echo x > x" }\nimage { name = "t", files = { { "/x", c } } }\n'; } > "$W/src/userns.lua"
	mkdir "$W/b-userns" && cd "$W/b-userns" || exit 1
	"$IMAGEGEN" ../src/userns.lua && bwrap --dev-bind / / --unshare-user --disable-userns --uid 0 --gid 0 /usr/bin/ninja > ninja.log 2>&1
	same "user namespaces refused: fails" 1 $?
	same "user namespaces refused: one line" \
		"imagegen: ../src/userns.lua:10: command: the kernel refuses this user the user namespaces bubblewrap runs steps in: build as root, or allow them (sysctl kernel.unprivileged_userns_clone=1)" \
		"$(grep '^imagegen: ' ninja.log)"
	check "user namespaces refused: the work folder is gone" sh -c '! ls -A .imagegen/step 2>/dev/null | grep -q .'
else
	skip "user namespaces refused: bwrap --disable-userns does not work here"
fi
# a step that fails: the build stops, no manifest, no work folder
{ cat "$W/src/head.lua"; printf 'local c = command { image = builder, outputs = { dir "x" }, run = "echo half > x/f; exit 3" }\nimage { name = "t", files = { { "/x", c } } }\n'; } > "$W/src/fails.lua"
mkdir "$W/b-fails" && cd "$W/b-fails" || exit 1
"$IMAGEGEN" ../src/fails.lua && ninja > ninja.log 2>&1
same "a failing step: the build fails" 1 $?
check "a failing step: no manifest, no work folder, no folder moved out" \
	sh -c '! ls .imagegen/folder/* 2>/dev/null && ! ls -A .imagegen/step 2>/dev/null | grep -q . && test ! -e gen/x/f'
