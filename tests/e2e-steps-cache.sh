# Steps and the build cache: cache = true on a command that writes a folder
# on this machine and on a step in an image (a signed test repository's
# busybox). A cold machine fills the test registry's cache; a second one,
# its own build folder and download folder, takes the files and folders
# from there without running either step or unpacking the image, to the
# same layers, under ninja and make; an edit of an input misses and runs.
. "$TOP/tests/lib.sh"

needdebtools steps-cache || exit 0
for tool in docker-registry bwrap busybox; do
	if ! have $tool; then
		fail "steps-cache: $tool is not installed (apt-get install docker-registry bubblewrap busybox-static)"
		exit 0
	fi
done
workdir steps-cache
signedrepo
REGPID=
atexit 'stopregistry'
registry reg || exit 0
CACHE=$REG/cache
BUSYBOX=$(command -v busybox)
mkpkg tbox 1.0 "$ARCH" "" "mkdir -p usr/bin && cp '$BUSYBOX' usr/bin/busybox &&
	for a in sh cp mkdir cat echo printf ln chmod; do ln -s busybox usr/bin/\$a; done"
if ! mkindex stable || ! serve "$REPO"; then
	fail "steps-cache: the test repository could not be made or served"
	exit 0
fi

# the steps write a line to $W/ran each time they run (the one on this
# machine can; the one in the image writes the time it was asked to into
# its folder, which the cache keeps)
mkdir -p "$W/src"
printf 'one\n' > "$W/src/in.txt"
cat > "$W/src/build.lua" <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
local builder = image { name = "builder", packages = { "tbox" }, repositories = { repo }, sbom = false }
local host = command {
  cache = true,
  inputs = "in.txt",
  outputs = { dir "hostdir", "host.txt" },
  run = "echo host >> $W/ran && mkdir -p gen/hostdir/sub && cp \$in gen/hostdir/sub/in.txt && ln -s sub/in.txt gen/hostdir/link && echo x > gen/host.txt && chmod 755 gen/host.txt",
}
local step = command {
  cache = true,
  image = builder,
  inputs = { "in.txt", host[1] },
  outputs = { dir "stepdir" },
  run = "mkdir -p stepdir/deeper && cp in.txt stepdir/deeper/copy && cp hostdir/sub/in.txt stepdir/from-host && printf '#!/bin/sh\\\\n' > stepdir/run && chmod 755 stepdir/run",
}
image {
  name = "app",
  layers = {
    { name = "host", files = { { "/host", host[1] }, { "/host.txt", host[2] } } },
    { name = "step", files = { { "/step", step } } },
  },
}
EOF

# at NAME COMMAND...: in machine NAME's build folder, with its own download folder
at() {
	m=$1
	shift
	mkdir -p "$W/$m/b" "$W/$m/dl"
	(cd "$W/$m/b" && IMAGEGEN_CACHE="$W/$m/dl" "$@")
}
# ran: how many times the step on this machine ran
ran() {
	grep -c host "$W/ran" 2> /dev/null || echo 0
}

at a "$IMAGEGEN" --cache "$CACHE" --cache-push ../../src/build.lua > /dev/null 2>&1
at a ninja > "$W/a.log" 2>&1
same "a cold machine builds with --cache-push" 0 $?
same "the step on this machine ran once" 1 "$(ran)"
check "the step in the image unpacked its root file system" sh -c "ls '$W/a/b/.imagegen/root' | grep -q -v -e lock -e image"
app=$(jget "$W/a/b/.imagegen/image/app.json" 'j["manifest"]["digest"]')

at b "$IMAGEGEN" --cache "$CACHE" ../../src/build.lua > /dev/null 2>&1
at b ninja > "$W/b.log" 2>&1
same "a second machine builds from the cache" 0 $?
same "the step on this machine did not run there" 1 "$(ran)"
check "the step in the image did not run there: no root file system unpacked" \
	sh -c "! ls '$W/b/b/.imagegen/root' 2> /dev/null | grep -q ."
same "the same image, its folders from the cache" "$app" "$(jget "$W/b/b/.imagegen/image/app.json" 'j["manifest"]["digest"]')"
check "the same manifests of the folders" diff -r "$W/a/b/.imagegen/folder" "$W/b/b/.imagegen/folder"
check "a file output keeps its execute bit" test -x "$W/b/b/gen/host.txt"
same "a symlink in a folder from the cache" "sub/in.txt" "$(readlink "$W/b/b/gen/hostdir/link")"
at b ninja -n > "$W/b-n.log" 2>&1
contains "then ninja has no work" "$W/b-n.log" "no work to do"

# make, on a third machine
at c "$IMAGEGEN" -G make --cache "$CACHE" ../../src/build.lua > /dev/null 2>&1
printf 'include images.mk\n' > "$W/c/b/Makefile"
at c make images > "$W/c.log" 2>&1
same "make: builds from the cache" 0 $?
same "make: the step on this machine did not run" 1 "$(ran)"
same "make: the same image" "$app" "$(jget "$W/c/b/.imagegen/image/app.json" 'j["manifest"]["digest"]')"

# an input's edit: a miss, and the steps run
printf 'two\n' > "$W/src/in.txt"
at b ninja > "$W/b2.log" 2>&1
same "an edited input: the step on this machine runs" 2 "$(ran)"
check "an edited input: the step in the image runs (its root unpacked)" sh -c "ls '$W/b/b/.imagegen/root' | grep -q -v -e lock -e image"
same "an edited input: what they wrote" "two two" "$(cat "$W/b/b/gen/stepdir/deeper/copy" "$W/b/b/gen/stepdir/from-host" | tr '\n' ' ' | sed 's/ $//')"
