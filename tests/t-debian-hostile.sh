# Hostile Debian packages, hermetic (issue 24): maintainer scripts and
# conffiles that name paths outside the image's root (each refused in one
# line naming the package, the script and the line; paths inside the root
# normalised), the canonical-layer writer asked for a member that climbs out
# by a spec written by hand, and a lock whose version or architecture is not
# the .deb's (refused by the layer and by the SBOM's package record).
. "$TOP/tests/lib.sh"

needdebtools debian-hostile || exit 0

workdir debian-hostile
export IMAGEGEN_CACHE="$W/cache"
signedrepo

# postinst NAME BODY: a package NAME 1.0 with /usr/bin/NAME and the postinst
# "#!/bin/sh", "set -e", BODY (so BODY's first line is the script's line 3)
postinst() {
	mkdir -p "$W/scripts"
	printf '#!/bin/sh\nset -e\n%s\n' "$2" > "$W/scripts/$1"
	mkpkg "$1" 1.0 "$ARCH" "" 'mkdir -p usr/bin && echo "$name" > "usr/bin/$name" && chmod 755 "usr/bin/$name" &&
		cp "$W/scripts/$name" DEBIAN/postinst && chmod 755 DEBIAN/postinst'
}
postinst altlink 'update-alternatives --install /../../tmp/X x /usr/bin/altlink 10'
postinst lnout 'ln -s /etc/passwd /../../tmp/Y'
postinst mkdirout ': nothing here
mkdir -p /var/lib/ok /../../tmp/Z'
postinst altname 'update-alternatives --install /usr/bin/an ../../../../tmp/N /usr/bin/altname 10'
postinst altslave 'update-alternatives --install /usr/bin/as as /usr/bin/altslave 10 \
	--slave /../../tmp/S s /usr/bin/altslave'
postinst altrel 'update-alternatives --install ../../tmp/R r /usr/bin/altrel 10'
postinst altpath 'update-alternatives --install /usr/bin/ap ap /../../usr/bin/altpath 10'
postinst chownout 'chown -R root:root /../../tmp/C'
postinst statout 'dpkg-statoverride --update --add root root 4755 /../../tmp/D'
postinst installout 'install -d -m 755 -o root /var/lib/ok /../../tmp/E'
# paths that stay inside the root, normalised: "..", ".", "//", a trailing "/"
postinst fine 'mkdir -p /usr/../var/lib/fine//sub/
ln -s fine //usr/share/./fine-link
update-alternatives --install /usr/bin/fine-alt fine-alt /usr/lib/../bin/fine 10'
# loops in loops: 10^12 runs of a mkdir, were the script read to its end
postinst loops "$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "for i$i in 1 2 3 4 5 6 7 8 9 10; do"; done)
mkdir -p /var/lib/loops
$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo done; done)"
# files the scripts write, copy and source: outside the root refused; a
# function that calls itself for ever and a file that sources itself are
# read to a bound
postinst redirout 'echo x > /../../etc/X'
postinst cpout 'cp /usr/bin/cpout /usr/../../tmp/Q'
postinst recurse 'f() { f "$@"; }
f 1
mkdir -p /var/lib/recurse'
mkpkg selfsrc 1.0 "$ARCH" "" 'mkdir -p usr/share/selfsrc && printf ". /usr/share/selfsrc/helper\n" > usr/share/selfsrc/helper &&
	printf "#!/bin/sh\n. /usr/share/selfsrc/helper\nmkdir -p /var/lib/selfsrc\n" > DEBIAN/postinst && chmod 755 DEBIAN/postinst'
# conffiles: dpkg-deb checks them, so these are built without its checks
mkpkg confout 1.0 "$ARCH" "" 'mkdir -p etc && echo c > etc/c && echo /etc/c > DEBIAN/conffiles'
printf '/etc/c\n/../../tmp/C\n' > "$REPO/build/confout-1.0-$ARCH/DEBIAN/conffiles"
dpkg-deb --nocheck --root-owner-group -Zxz --build "$REPO/build/confout-1.0-$ARCH" 2> /dev/null \
	"$REPO/pool/main/confout_1.0_$ARCH.deb" > /dev/null
mkpkg conffine 1.0 "$ARCH" "" 'mkdir -p etc && echo fine > etc/fine.conf && echo //etc/./fine.conf > DEBIAN/conffiles'
mkpkg honest 1.0 "$ARCH" "" 'mkdir -p usr/share/honest && echo honest > usr/share/honest/data'
# a file of data.tar that climbs out (made by hand: dpkg-deb would not)
python3 "$TOP/tests/names.py" badeb "$REPO/pool/main/climb_1.0_all.deb" climb './usr/../../etc/passwd'
if ! mkindex stable; then
	fail "debian-hostile: signing the test repository failed"
	exit 0
fi
if ! serve "$REPO"; then
	fail "debian-hostile: the test repository's HTTP server did not start"
	exit 0
fi
URL=http://127.0.0.1:$PORT

# define NAME PACKAGES: a definition in $W/NAME/src, a build folder $W/NAME/b
define() {
	mkdir -p "$W/$1/src" "$W/$1/b"
	cat > "$W/$1/src/build.lua" <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
image { name = "$1", packages = { $2 }, repositories = { repo } }
EOF
	cd "$W/$1/b" || exit 1
}

# members LAYOUT: every member of every layer of the layout's image
members() {
	for l in $(jget "$(blob "$1" "$(jget "$1/index.json" "j['manifests'][0]['digest']")")" \
		"' '.join(l['digest'][7:] for l in j['layers'])"); do
		tar -tzf "$1/blobs/sha256/$l"
	done
}

# refused NAME TEXT: the image of the package NAME is not built, in one line
# that holds TEXT (the helper says nothing else: under make check-asan, no
# LeakSanitizer report either), and no layer has a member that climbs out
refused() {
	define "$1" "\"$1\""
	"$IMAGEGEN" ../src/build.lua 2> /dev/null
	ninja > ninja.log 2>&1
	grep -v -e '^\[[0-9]*/[0-9]*\] ' -e '^FAILED: ' -e '^ninja: ' -e "^$IMAGEGEN " ninja.log > err.log
	same "$1: one error line" 1 "$(wc -l < err.log)"
	contains "$1: it names the package, the script, the line and the path" err.log "$2"
	check "$1: no image" test ! -e "out/$1/index.json"
	check "$1: no layer in the store has a member with '..'" sh -c \
		'! for b in .imagegen/blobs/sha256/*; do tar -tzf "$b" 2>/dev/null; done | grep -q -e "^\.\./" -e "/\.\./"'
}

# 1. maintainer-script paths that climb out of the root
refused altlink "build.lua:2: packages: dpkg layer: package altlink: postinst line 3: update-alternatives: '/../../tmp/X' climbs out of the image's root"
refused lnout "package lnout: postinst line 3: ln: '/../../tmp/Y' climbs out of the image's root"
refused mkdirout "package mkdirout: postinst line 4: mkdir: '/../../tmp/Z' climbs out of the image's root"
refused altname "package altname: postinst line 3: update-alternatives: '../../../../tmp/N' is not an alternative's name"
refused altslave "package altslave: postinst line 3: update-alternatives: '/../../tmp/S' climbs out of the image's root"
refused altrel "package altrel: postinst line 3: update-alternatives: '../../tmp/R' is not an absolute path"
refused altpath "package altpath: postinst line 3: update-alternatives: '/../../usr/bin/altpath' climbs out of the image's root"
refused redirout "package redirout: postinst line 3: redirect: '/../../etc/X' climbs out of the image's root"
refused cpout "package cpout: postinst line 3: cp: '/usr/../../tmp/Q' climbs out of the image's root"
refused chownout "package chownout: postinst line 3: chown: '/../../tmp/C' climbs out of the image's root"
refused statout "package statout: postinst line 3: dpkg-statoverride: '/../../tmp/D' climbs out of the image's root"
refused installout "package installout: postinst line 3: install: '/../../tmp/E' climbs out of the image's root"
# 2. a conffile outside the tree
refused confout "package confout: conffiles line 2: '/../../tmp/C' climbs out of the image's root"
# and a package's own file (refused before: the leak of item 9 was on this path)
refused climb "package climb: 'usr/../../etc/passwd' is not a clean relative path"

# paths inside the root: normalised
define fine '"fine", "conffine"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "fine: builds" test -f out/fine/index.json
members out/fine > members.txt
check "fine: mkdir /usr/../var/lib/fine//sub/ makes var/lib/fine/sub/" grep -qx var/lib/fine/sub/ members.txt
check "fine: ln -s fine //usr/share/./fine-link makes usr/share/fine-link" grep -qx usr/share/fine-link members.txt
check "fine: an alternative's link normalised" grep -qx usr/bin/fine-alt members.txt
check "fine: no member with '.', '..' or '//'" sh -c "! grep -q -e '/\./' -e '/\.\./' -e '//' -e '^\.\./' members.txt"
rm -rf bundle && umoci unpack --image out/fine:latest bundle > /dev/null
R=bundle/rootfs
same "fine: the alternative's choice, normalised" /usr/bin/fine "$(readlink "$R/etc/alternatives/fine-alt")"
md5=$(echo fine | md5sum | cut -d' ' -f1)
contains "fine: a conffile //etc/./fine.conf is /etc/fine.conf in the status, with its md5sum" \
	"$R/var/lib/dpkg/status" " /etc/fine.conf $md5"

# a script that runs too many commands is read up to a bound, and says so
define loops '"loops"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null
check "loops: builds within a minute" timeout 60 ninja
check "loops: what it reproduced before the bound is there" sh -c \
	'for b in out/loops/blobs/sha256/*; do tar -tzf "$b" 2>/dev/null; done | grep -qx var/lib/loops/'
contains "loops: the report says where imagegen stopped reading" out/loops.maintscripts \
	"$(printf 'loops\tpostinst\t15\tmkdir -p /var/lib/loops\t(imagegen reads no further: more than 10000 commands run)')"

# a function that calls itself, a file that sources itself: read to a bound, and said
define recurse '"recurse", "selfsrc"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null
check "recurse: builds within a minute" timeout 60 ninja
members out/recurse > members.txt
check "recurse: what comes after the call is read" grep -qx var/lib/recurse/ members.txt
check "selfsrc: what comes after the source is read" grep -qx var/lib/selfsrc/ members.txt
contains "recurse: the report names the bound" out/recurse.maintscripts "(imagegen reads no deeper than 16 functions and files)"
contains "selfsrc: the report names the file" out/recurse.maintscripts "(in /usr/share/selfsrc/helper)"

# the canonical-layer writer refuses a member that climbs out, whoever asks
mkdir -p "$W/hand" && cd "$W/hand" || exit 1
handlayer() {
	printf '{"name":"hand","epoch":0,"compression":"gzip","level":6,"entries":[%s]}\n' "$2" > "$1.json"
	"$IMAGEGEN" layer "$1.json" "$1.desc" "$1.d" store > "$1.err" 2>&1
	same "writer: $1: exit 1, one line" "1 1" "$? $(wc -l < "$1.err")"
	contains "writer: $1: the line names the member" "$1.err" "$3"
	check "writer: $1: no descriptor" test ! -e "$1.desc"
}
handlayer dir '{"ctx":"hand.lua:1","path":"../../tmp/W","type":"dir"}' \
	"imagegen: hand.lua:1: layer member '../../tmp/W' has a '..': it could climb out of the root"
handlayer symlink '{"ctx":"hand.lua:2","path":"usr/../../tmp/L","type":"symlink","target":"/etc/passwd"}' \
	"imagegen: hand.lua:2: layer member 'usr/../../tmp/L' has a '..'"
handlayer text '{"ctx":"hand.lua:3","path":"/tmp/T","type":"text","data":"x"}' \
	"imagegen: hand.lua:3: layer member '/tmp/T' is not a clean relative path"
handlayer whiteout '{"ctx":"hand.lua:4","path":"../x","type":"whiteout"}' \
	"imagegen: hand.lua:4: layer member '../.wh.x' has a '..'"
handlayer dot '{"ctx":"hand.lua:5","path":"a/./b","type":"dir"}' \
	"imagegen: hand.lua:5: layer member 'a/./b' is not a clean relative path"
printf '{"name":"hand","epoch":0,"compression":"gzip","level":6,"entries":[{"ctx":"hand.lua:6","path":"a/b..c/..d","type":"dir"}]}\n' > fine.json
check "writer: '..' inside a name is no '..'" "$IMAGEGEN" layer fine.json fine.desc fine.d store

# 8. a lock that lies: the .deb's control must be what its lock line says
define lie '"honest"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "lie: the honest lock builds" test -f out/lie/index.json
sed '/"name":"honest"/s/"version":"1.0"/"version":"9.9"/' ../src/imagegen.lock > lock.new && mv lock.new ../src/imagegen.lock
check "lie: the lock now says 9.9" grep -q '"name":"honest".*"version":"9.9"' ../src/imagegen.lock
"$IMAGEGEN" --locked ../src/build.lua > gen.err 2>&1
same "lie: the generator cannot know (the .deb is not read there)" "0 " "$? $(cat gen.err)"
rm -rf out
ninja -k 0 > ninja.log 2>&1
same "lie: the build fails" 1 $?
sha=$(python3 -c "import json;print([p for p in json.load(open('../src/imagegen.lock'))['images']['lie']['packages'] if p['name']=='honest'][0]['sha256'])")
contains "lie: the layer says which package and both versions" ninja.log \
	"build.lua:2: packages: honest: package honest: the lock says version 9.9, the .deb says 1.0"
contains "lie: the SBOM's package record says so too" ninja.log \
	"imagegen: package honest ($IMAGEGEN_CACHE/deb/$sha.deb): the lock says version 9.9, the .deb says 1.0"
same "lie: nothing else is said" 0 "$(grep '^imagegen: ' ninja.log | grep -vc 'the lock says version 9.9, the .deb says 1.0')"
check "lie: no image" test ! -e out/lie/index.json
# a new build folder: the layer kept from the honest build is not taken on the lie's word
mkdir -p ../b2 && cd ../b2 && "$IMAGEGEN" ../src/build.lua 2> /dev/null
ninja > ninja.log 2>&1
same "lie: a new build folder fails too (the kept layer is not the lock's)" 1 $?
contains "lie: with the same line" ninja.log "package honest: the lock says version 9.9, the .deb says 1.0"
cd ../b || exit 1
sed '/"name":"honest"/s/"version":"9.9"/"version":"1.0"/; /"name":"honest"/s/"architecture":"[a-z0-9-]*"/"architecture":"all"/' \
	../src/imagegen.lock > lock.new && mv lock.new ../src/imagegen.lock
"$IMAGEGEN" ../src/build.lua 2> /dev/null
ninja > ninja.log 2>&1
contains "lie: an architecture the .deb does not have" ninja.log \
	"package honest: the lock says architecture all, the .deb says $ARCH"
check "lie: the helper alone refuses it too" sh -c "! '$IMAGEGEN' pkginfo '$IMAGEGEN_CACHE/deb/$sha.deb' info.json honest 9.9 $ARCH 2> pkginfo.err"
same "lie: the helper's line" "imagegen: package honest ($IMAGEGEN_CACHE/deb/$sha.deb): the lock says version 9.9, the .deb says 1.0" \
	"$(cat pkginfo.err)"
check "lie: the helper takes the truth" "$IMAGEGEN" pkginfo "$IMAGEGEN_CACHE/deb/$sha.deb" info.json honest 1.0 "$ARCH"

# the lock reader: a lock it cannot take is one line naming the lock and what is wrong
define lockread '"honest"'
lockfails() {
	printf '%s\n' "$2" > ../src/imagegen.lock
	"$IMAGEGEN" ../src/build.lua > err.log 2>&1
	same "lock reader: $1: exit 1, one line" "1 1" "$? $(wc -l < err.log)"
	contains "lock reader: $1: the line says what is wrong" err.log "$3"
}
lockfails "null" 'null' "imagegen.lock: not a lock (run: imagegen lock)"
lockfails "images a number" '{"images":5}' "imagegen.lock: images is not an object (run: imagegen lock)"
lockfails "an entry without packages" '{"images":{"lockread":7}}' "imagegen.lock: image 'lockread': not an image's entry"
lockfails "a newline in a name" '{"images":{"lockread":{"packages":[{"name":"a\nb"}]}}}' \
	"imagegen.lock: image 'lockread': 'a\nb' is not a Debian package name (run: imagegen lock)"
pkg='"name":"honest","version":"1.0","architecture":"all","filename":"pool/main/honest.deb","size":1,"sha256":"504e536cb531b63645771f3d5d870adc2415cf05f2d9ce5be94155f4291b2677"'
lockfails "a URL that is not one" "{\"images\":{\"lockread\":{\"packages\":[{$pkg,\"url\":\"ftp://127.0.0.1/x.deb\"}]}}}" \
	"image 'lockread': honest: 'ftp://127.0.0.1/x.deb' is not an http, https or file URL"
lockfails "depends that is not a list" "{\"images\":{\"lockread\":{\"packages\":[{$pkg,\"depends\":\"x\"}]}}}" \
	"image 'lockread': honest: depends is not a list"
lockfails "a repository that is not one" '{"repositories":{"r":"x"}}' "imagegen.lock: repositories: 'r' is not a repository"

# 9. a refused package leaves nothing that the refusal allocated itself.
# Under AddressSanitizer (make check-asan), LeakSanitizer told not to take
# the stacks for roots lists all the refused helper held when it ended (the
# layer, the reader: their callers'); none of it may come from the refusing
# code (debpath, refuse, sbom_pkginfo), which frees what it made first.
if grep -q __asan_init "$IMAGEGEN" 2> /dev/null; then
	for d in climb confout lie; do
		cd "$W/$d/b" || exit 1
		sed -n '/^FAILED: /{n;p}' ninja.log | sort -u > helpers.txt
		: > leaks.txt
		while read -r helper; do
			ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=use_stacks=0:use_registers=0 sh -c "$helper" 2>&1 |
				awk '/leak of/ { rec = 1; next }
				     rec && / #[0-9]+ / && $4 !~ /^(malloc|calloc|realloc|strdup|__interceptor_|json_|x[a-z]*$|buf[a-z]*$)/ { print $4; rec = 0 }' >> leaks.txt
		done < helpers.txt
		check "leaks: $d: the refused helpers ran again" test -s helpers.txt
		same "leaks: $d: nothing the refusal allocated is left" "" \
			"$(grep -x -e debpath -e refuse -e readconffiles -e sbom_pkginfo -e pkgcontrol -e pkgentry leaks.txt | sort -u | tr '\n' ' ')"
	done
else
	skip "leaks: what a refused package's helpers leave (under make check-asan)"
fi
