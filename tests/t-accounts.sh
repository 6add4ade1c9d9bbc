# An image's user must be an account of the image: a name its own users (or
# a base's of the graph) declare becomes numbers when generating; a name
# the definitions show is missing is refused when generating (tests/golden,
# e-user-*); any other name is looked up in the image's /etc/passwd (and a
# group in /etc/group) after all its layers when the image is built, and a
# name that is not there fails the image edge with one line, leaving
# nothing of the image as done.
. "$TOP/tests/lib.sh"

workdir accounts
mkdir -p "$W/src" "$W/b"
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\nnobody:x:65534:65534::/:/bin/false\n' > "$W/src/passwd"
printf 'root:x:0:\nstaff:x:50:\n' > "$W/src/group"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/srv:/bin/false\n' > "$W/src/passwd.app"
cat > "$W/src/build.lua" <<'EOF'
image { name = "base", files = { { "/etc/passwd", "passwd" }, { "/etc/group", "group" } } }
image {
  name = "web",
  base = "base",
  user = "app",
  files = { { "/x", text "x\n" } },
}
image { name = "named", base = "base", user = "daemon:staff", files = { { "/y", text "y\n" } } }
image { name = "group", base = "base", user = "daemon:wheel" }
image { name = "gone", base = "base", files = { { "/etc/passwd", remove() } } }
image { name = "emptied", base = "base", files = { { "/etc", opaque() } } }
image { name = "over", base = "base", user = "app", files = { { "/etc/passwd", "passwd.app" } } }
image { name = "declared", base = "base", user = "app", users = { { name = "app", uid = 1000 } } }
image { name = "numeric", user = "1000:1000" }
EOF
cd "$W/b" || exit 1
check "imagegen writes the build file (the names are checked when building)" "$IMAGEGEN" ../src/build.lua

# built IMAGE: ninja builds the image and its layout
built() {
	check "$1: ninja builds it" ninja "$1"
	check "$1: its layout is there" test -f "out/$1/index.json"
}

# refused IMAGE LINE: ninja fails on the image edge with exactly LINE, the
# image file is not there, and the edge is still to do (twice: not as done)
refused() {
	for run in 1 2; do
		if ninja "$1" > ninja.log 2>&1; then
			fail "$1: ninja should have failed (run $run)"
			return
		fi
		grep '^imagegen: ' ninja.log > err.log
		same "$1: one line naming the definition, the user and the accounts (run $run)" "$2" "$(cat err.log)"
		check "$1: no image file left (run $run)" test ! -e ".imagegen/image/$1.json"
		check "$1: no layout (run $run)" test ! -e "out/$1/index.json"
		ninja -n "$1" > n.log 2>&1
		contains "$1: ninja still has the image to build (run $run)" n.log "IMAGE $1"
	done
}

built base
built named
same "named: the user is kept as a name, for the runtime" "daemon:staff" \
	"$(jget .imagegen/image/named.json 'j["config"]["config"]["User"]')"
refused web "imagegen: ../src/build.lua:2: image 'web': user 'app' is not an account of the image (its /etc/passwd has root, daemon, nobody); add users = { { name = \"app\", uid = 1000 } } or a package that makes it"
refused group "imagegen: ../src/build.lua:9: image 'group': group 'wheel' of user 'daemon:wheel' is not a group of the image (its /etc/group has root, staff); add groups = { { name = \"wheel\", gid = 1000 } } or a package that makes it"
built gone
built emptied
built over
built declared
same "declared: a user of the image's users is its ids in the config" "1000:1000" \
	"$(jget .imagegen/image/declared.json 'j["config"]["config"]["User"]')"
built numeric

# the layers are read from the last down, and no further than the files
# needed: with the base's layer unreadable, an image whose own last layer
# has /etc/passwd and /etc/group is still checked
cat >> ../src/build.lua <<'EOF'
image { name = "top", base = "base", user = "app:app", files = {
  { "/etc/passwd", "passwd.app" }, { "/etc/group", text "app:x:1000:\n" } } }
image { name = "below", base = "base", user = "daemon", files = { { "/z", text "z\n" } } }
EOF
check "imagegen: two images more" "$IMAGEGEN" ../src/build.lua
ninja .imagegen/layer/top/files.json .imagegen/layer/below/files.json > /dev/null 2>&1
baseblob=.imagegen/blobs/sha256/$(jget .imagegen/layer/base/files.json 'j["digest"][7:]')
mv "$baseblob" "$baseblob.kept" && printf 'not a layer' > "$baseblob"
check "top: checked from its own layer, the base's not read" ninja .imagegen/image/top.json
check "below: its account is in the base's layer, which it reads" sh -c '! ninja .imagegen/image/below.json > /dev/null 2>&1'
mv "$baseblob.kept" "$baseblob"

# layers from outside (oci_layout) are read as they are: the whiteout of
# /etc/passwd, the opaque /etc of the layouts gone and emptied
mkdir -p "$W/src2" "$W/b2"
cat > "$W/src2/build.lua" <<'EOF'
image { name = "gone2", base = oci_layout "../b/out/gone", user = "daemon" }
image { name = "emptied2", base = oci_layout "../b/out/emptied", user = "root" }
image { name = "kept2", base = oci_layout "../b/out/named", user = "daemon:staff" }
EOF
cd "$W/b2" || exit 1
check "over layouts: imagegen" "$IMAGEGEN" ../src2/build.lua
refused gone2 "imagegen: ../src2/build.lua:1: image 'gone2': user 'daemon' is not an account of the image (it has no /etc/passwd); add users = { { name = \"daemon\", uid = 1000 } } or a package that makes it"
refused emptied2 "imagegen: ../src2/build.lua:2: image 'emptied2': user 'root' is not an account of the image (it has no /etc/passwd); add users = { { name = \"root\", uid = 1000 } } or a package that makes it"
built kept2
cd "$W/b" || exit 1

# fixed: the account added, the image builds
sed -i 's|^  user = "app",$|  user = "app", users = { { name = "app", uid = 1000 } },|' ../src/build.lua
check "web: with the account declared, imagegen" "$IMAGEGEN" ../src/build.lua
built web

# make builds the same edges: the same line, no image file
workdir accounts-make
mkdir -p "$W/src" "$W/b"
cp "$TOP/tests/work/accounts/src/passwd" "$TOP/tests/work/accounts/src/group" "$W/src/"
cat > "$W/src/build.lua" <<'EOF'
image { name = "base", files = { { "/etc/passwd", "passwd" }, { "/etc/group", "group" } } }
image { name = "web", base = "base", user = "app" }
EOF
cd "$W/b" || exit 1
check "make: imagegen -G make writes images.mk" "$IMAGEGEN" -G make ../src/build.lua
printf 'include images.mk\n' > Makefile
if make web > make.log 2>&1; then
	fail "make: make web should have failed"
else
	grep '^imagegen: ' make.log > err.log
	same "make: the same one line" "imagegen: ../src/build.lua:2: image 'web': user 'app' is not an account of the image (its /etc/passwd has root, daemon, nobody); add users = { { name = \"app\", uid = 1000 } } or a package that makes it" "$(cat err.log)"
	check "make: no image file left" test ! -e .imagegen/image/web.json
fi
