# Debian packages, hermetic: a signed repository made here and served on
# 127.0.0.1 covers dependencies, alternatives, virtual packages, version
# relations, essential packages, conflicts, missing packages, a tampered
# .deb, a bad signature, a changed Release, the lock and the cache.
. "$TOP/tests/lib.sh"

for tool in dpkg-deb dpkg-scanpackages apt-ftparchive gpg gpgv xz; do
	if ! have $tool; then
		fail "debian: $tool is not installed (apt-get install dpkg-dev apt-utils gnupg gpgv xz-utils)"
		exit 0
	fi
done

workdir debian
export REPO="$W/repo" GNUPGHOME="$W/gnupg" IMAGEGEN_CACHE="$W/cache"
ARCH=$(dpkg --print-architecture)
mkdir -p "$REPO" && mkdir -m 700 "$GNUPGHOME"
. "$TOP/tests/debrepo.sh"
# the servers this script starts (the repository's, busybox's) and gpg's agents go at exit
SERVER= BB=
cleanup() {
	[ -z "$SERVER" ] || stop "$SERVER"
	[ -z "$BB" ] || stop "$BB"
	gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null
	gpgconf --homedir "$W/othergpg" --kill gpg-agent 2>/dev/null
}
trap cleanup EXIT

mkkey "imagegen tests" tests@example.invalid "$W/test.gpg"
mkpkg libfoo 1.0 "$ARCH" "Multi-Arch: same" 'mkdir -p usr/lib && echo v1 > usr/lib/libfoo.so.1'
mkpkg libfoo 1.3 "$ARCH" "Multi-Arch: same" 'mkdir -p usr/lib && echo v13 > usr/lib/libfoo.so.1'
mkpkg prelib 1.0 "$ARCH" "" 'mkdir -p usr/lib && echo pre > usr/lib/prelib'
mkpkg app 2.0 "$ARCH" "Pre-Depends: prelib
Depends: libfoo (>= 1.2), httpd | web-server, base-x" \
	'mkdir -p usr/bin && printf "#!/bin/sh\necho app\n" > usr/bin/app && chmod 4755 usr/bin/app && ln usr/bin/app usr/bin/app-hard && ln -s app usr/bin/app-link'
mkpkg tinyhttpd 1.0 "$ARCH" "Provides: httpd"
mkpkg otherhttpd 1.0 "$ARCH" "Provides: httpd"
mkpkg base-x 1.0 all "Essential: yes"
mkpkg interp 3.0 all "Multi-Arch: allowed"
mkpkg tool 1.0 "$ARCH" "Depends: interp:any (>= 2)"
mkpkg broken 1.0 "$ARCH" "Depends: ghost (>= 1)"
mkpkg needold 1.0 "$ARCH" "Depends: libfoo (<< 1.1)"
mkpkg tilde 2:1.0~beta1 "$ARCH" ""
mkpkg clash 1.0 "$ARCH" "Conflicts: otherhttpd
Depends: app"
mkpkg names 1.0 "$ARCH" "" 'python3 "$TOP/tests/names.py" debtree usr/share/names'
python3 "$TOP/tests/names.py" deb "$REPO/pool/main/names2_1.0_all.deb" names2
python3 "$TOP/tests/names.py" badeb "$REPO/pool/main/dotdot_1.0_all.deb" dotdot './usr/../../etc/passwd'
python3 "$TOP/tests/names.py" badeb "$REPO/pool/main/wh_1.0_all.deb" wh './usr/share/.wh.new
line'
if ! mkindex stable; then
	fail "debian: signing the test repository failed"
	exit 0
fi
if ! serve "$REPO"; then
	fail "debian: the test repository's HTTP server did not start"
	exit 0
fi
URL=http://127.0.0.1:$PORT

# define NAME PACKAGES [EXTRA]: a definition in $W/NAME/src, a build folder $W/NAME/b
define() {
	mkdir -p "$W/$1/src" "$W/$1/b"
	cat > "$W/$1/src/build.lua" <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
image {
  name = "$1",
  packages = { $2 },
  repositories = { repo },
  $3
}
EOF
	cd "$W/$1/b" || exit 1
}

# the resolver's choices
define app '"app", "tool"' 'users = { { name = "www-data", uid = 33, gid = 33, home = "/var/www" } },
  groups = { { name = "www-data", gid = 33 } }, user = "www-data",'
check "app: imagegen lock resolves and writes imagegen.lock" "$IMAGEGEN" lock ../src/build.lua
lockpkgs=$(python3 -c "import json;l=json.load(open('../src/imagegen.lock'));print(' '.join(p['name']+'='+p['version'] for p in l['images']['app']['packages']))")
same "app: dependencies, Pre-Depends, the higher fitting version, the first virtual provider, :any; no essential package" \
	"app=2.0 interp=3.0 libfoo=1.3 otherhttpd=1.0 prelib=1.0 tool=1.0" "$lockpkgs"
check "app: the lock has the Release digest" grep -q '"inrelease_sha256":"[0-9a-f]\{64\}"' ../src/imagegen.lock
check "app: the lock has one package a line" test "$(grep -c '^{"architecture"' ../src/imagegen.lock)" -eq 6
"$IMAGEGEN" ../src/build.lua 2> gen.err
same "app: a matching lock is used without a word" "" "$(cat gen.err)"
check "app: ninja builds the image" ninja
checkvalid "app: oci-validate" out/app
rm -rf bundle
check "app: umoci unpacks it" umoci unpack --image out/app:latest bundle
R=bundle/rootfs
check "app: the package's files are there, setuid kept" test -u "$R/usr/bin/app"
same "app: a hard link within a package stays one" "$(stat -c %i "$R/usr/bin/app")" "$(stat -c %i "$R/usr/bin/app-hard")"
same "app: a symlink within a package stays one" "app" "$(readlink "$R/usr/bin/app-link")"
same "app: dpkg-query sees the packages" "app interp libfoo otherhttpd prelib tool" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Package} ' | sed 's/ $//')"
same "app: dpkg-query sees them installed" "install ok installed" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}\n' libfoo)"
check "app: status.d and md5sums for scanners" test -f "$R/var/lib/dpkg/status.d/libfoo" -a -f "$R/var/lib/dpkg/info/libfoo:$ARCH.md5sums"
check "app: no essential package came along" test ! -e "$R/usr/share/doc/base-x"
contains "app: /etc/passwd has the declared user" "$R/etc/passwd" "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin"
contains "app: /etc/group has the declared group" "$R/etc/group" "www-data:x:33:"
same "app: user = \"www-data\" resolves to its ids" "33:33" \
	"$(jget "$(blob out/app "$(jget "$(blob out/app "$(jget out/app/index.json "j['manifests'][0]['digest']")")" "j['config']['digest']")")" "j['config']['User']")"

# the make backend builds the same image from the same lock
mkdir -p "$W/app/mk" && cd "$W/app/mk" || exit 1
"$IMAGEGEN" -G make ../src/build.lua && printf 'include images.mk\n' > Makefile
check "app: make builds it too" make -j2 images
check "app: make and ninja build the same layout" diff -r ../b/out/app out/app
cd "$W/app/b" || exit 1

# the same lock in another folder, with the cache: the same image, nothing fetched
mkdir -p "$W/app2/b" && cd "$W/app2/b" || exit 1
cp -R "$W/app/src" ../src
gets=$(grep -c 'GET /pool' "$W/http.log")
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
same "app: a second folder from the same lock: the same image" "$(cat "$W/app/b/out/app/index.json")" "$(cat out/app/index.json)"
same "app: an unchanged lock fetches nothing" "0 $gets" "$(count ninja.log FETCH) $(grep -c 'GET /pool' "$W/http.log")"

# a corrupted cache file is found and fetched again
f=$(ls "$IMAGEGEN_CACHE"/deb/*.deb | head -n 1)
echo corrupt >> "$f"
rm -rf .imagegen out
ninja > corrupt.log 2>&1
check "cache: a build over a corrupted cached .deb still succeeds" test -f out/app/index.json
contains "cache: the corruption is reported" corrupt.log "does not match its sha256; fetching it again"
same "cache: and the image is the same" "$(cat "$W/app/b/out/app/index.json")" "$(cat out/app/index.json)"

# --locked: a definition that no longer matches its lock
sed 's/"app", "tool"/"app"/' ../src/build.lua > ../src/build.new && mv ../src/build.new ../src/build.lua
"$IMAGEGEN" --locked ../src/build.lua > locked.err 2>&1
same "--locked: a stale lock fails" 1 $?
if grep -q "no longer matches the definition; run: imagegen lock ../src/build.lua" locked.err; then
	ok "--locked: the message names the command"
else
	fail "--locked: message: $(cat locked.err)"
fi
"$IMAGEGEN" ../src/build.lua 2> relock.err
contains "without --locked the lock is brought up to date, with a note" relock.err "resolving its packages and updating it"
check "and the lock no longer has tool" sh -c "! grep -q '\"name\":\"tool\"' ../src/imagegen.lock"

# resolution failures: one line with the chain that needed the package
resolvefails() {
	define "$1" "$2"
	"$IMAGEGEN" lock ../src/build.lua > err 2>&1
	status=$?
	if [ $status -eq 1 ] && [ "$(wc -l < err)" -eq 1 ] && grep -q -F -e "$3" err; then
		ok "$1: $3"
	else
		fail "$1: exit $status: $(cat err)"
	fi
	check "$1: no lock written" test ! -e ../src/imagegen.lock
}
resolvefails missing '"broken"' "no package satisfies ghost (>= 1) (needed by broken)"
resolvefails unknown '"nosuch"' "package nosuch not found in $URL stable"
resolvefails conflict '"app", "needold"' "conflict: needold needs libfoo (<< 1.1), but libfoo 1.3 was chosen for app -> libfoo"
resolvefails conflicts '"clash"' "conflict: clash 1.0 (clash) conflicts with otherhttpd, chosen for clash -> app -> otherhttpd"
define old '"needold"'
"$IMAGEGEN" lock ../src/build.lua
check "version relations: needold gets libfoo 1.0" grep -q '"name":"libfoo".*"version":"1.0"' ../src/imagegen.lock
define essential '"base-x"'
"$IMAGEGEN" lock ../src/build.lua
check "an essential package asked for by name comes" grep -q '"name":"base-x"' ../src/imagegen.lock

# a version with an epoch and a tilde: layer ids that ninja's and samurai's depfiles can carry
define tilde '"tilde"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "versions with ':' and '~' build" test -f out/tilde/index.json
contains "their layer ids spell ':' and '~' as @3a and @7e" build.ninja "deb/tilde_2@3a1.0@7ebeta1_$ARCH"
if have samu; then
	rm -rf .imagegen out && "$IMAGEGEN" ../src/build.lua 2> /dev/null
	check "samurai builds it and reads its depfiles" sh -c "samu > samu.log 2>&1 && samu -n 2>&1 | grep -q 'nothing to do'"
fi

# every name a package can hold: as dpkg-deb writes them (GNU tar, not UTF-8
# as it is), and a package made by hand: a newline, and a pax path record
# that is not UTF-8 without hdrcharset=BINARY
define names '"names", "names2"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "names: packages with awkward names build" test -f out/names/index.json
rm -rf bundle
check "names: umoci unpacks the image" umoci unpack --image out/names:latest bundle
check "names: the package's files, links and hard links, byte for byte" \
	python3 "$TOP/tests/names.py" compare "$REPO/build/names-1.0-$ARCH/usr/share/names" bundle/rootfs/usr/share/names
same "names: a file named with a newline" newline "$(cat 'bundle/rootfs/usr/share/names2/new
line')"
same "names: a pax name that is not UTF-8 and says nothing of it" latin-1 "$(cat "bundle/rootfs/usr/share/names2/$(printf 'caf\351')")"
check "names: the dpkg file list has them" grep -q "^/usr/share/names2/$(printf 'caf\351')\$" bundle/rootfs/var/lib/dpkg/info/names2.list

# names that cannot go into an image: one line naming the file, nothing built
badpackage() {
	define "$1" "\"$1\""
	"$IMAGEGEN" ../src/build.lua 2> /dev/null
	ninja > ninja.log 2>&1
	grep '^imagegen: ' ninja.log > err.log
	same "$1: one error line" 1 "$(wc -l < err.log)"
	contains "$1: the message names the file" err.log "$2"
	check "$1: no image" test ! -e "out/$1/index.json"
}
badpackage dotdot "package dotdot: 'usr/../../etc/passwd' is not a clean relative path"
badpackage wh "package wh: 'usr/share/.wh.new\\nline' is named like a whiteout"

# grouping: all in one layer, or groups
define onelayer '"app"' 'packagelayers = "one",'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > /dev/null 2>&1
same "packagelayers = \"one\": packages in one layer, then the dpkg status" 2 \
	"$(jget "$(blob out/onelayer "$(jget out/onelayer/index.json "j['manifests'][0]['digest']")")" "len(j['layers'])")"
define groups '"app"' 'packagelayers = { { "libfoo", "prelib" } },'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > /dev/null 2>&1
same "packagelayers = { group }: the group, the rest, then the dpkg status" 3 \
	"$(jget "$(blob out/groups "$(jget out/groups/index.json "j['manifests'][0]['digest']")")" "len(j['layers'])")"

# the machine's apt sources as the default (deb822 and one-line forms, read from IMAGEGEN_APTROOT)
mkdir -p "$W/apt/sources.list.d"
printf 'Types: deb\n# a comment\nURIs: %s\nSuites: stable\nComponents: main\nSigned-By: %s\n' "$URL" "$W/test.gpg" > "$W/apt/sources.list.d/test.sources"
mkdir -p "$W/aptdefault/src" "$W/aptdefault/b" && cd "$W/aptdefault/b" || exit 1
printf 'image { name = "d", packages = { "prelib" } }\n' > ../src/build.lua
check "apt sources (deb822): the default repository" env IMAGEGEN_APTROOT="$W/apt" "$IMAGEGEN" lock ../src/build.lua
rm -f "$W/apt/sources.list.d/test.sources" ../src/imagegen.lock
printf 'deb [signed-by=%s] %s stable main\n' "$W/test.gpg" "$URL" > "$W/apt/sources.list"
check "apt sources (one-line): the default repository" env IMAGEGEN_APTROOT="$W/apt" "$IMAGEGEN" lock ../src/build.lua
check "the lock names that repository" grep -q "\"$URL stable\"" ../src/imagegen.lock

# trust: a key that did not sign the Release
mkdir -p "$W/othergpg" && chmod 700 "$W/othergpg"
GNUPGHOME="$W/othergpg" mkkey "someone else" other@example.invalid "$W/other.gpg"
define badsig '"prelib"'
sed "s|keyring = \"$W/test.gpg\"|keyring = \"$W/other.gpg\"|" ../src/build.lua > ../src/b.new && mv ../src/b.new ../src/build.lua
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "bad signature: lock fails" 1 $?
contains "bad signature: the message says so" err "the Release signature does not verify"

# a .deb replaced in the repository after locking
define tamper '"prelib"'
"$IMAGEGEN" lock ../src/build.lua
cp "$REPO/pool/main/prelib_1.0_$ARCH.deb" "$W/prelib.deb.good"
printf 'tampered' >> "$REPO/pool/main/prelib_1.0_$ARCH.deb"
prelibsha=$(python3 -c "import json;print([p for p in json.load(open('../src/imagegen.lock'))['images']['tamper']['packages'] if p['name']=='prelib'][0]['sha256'])")
rm -f "$IMAGEGEN_CACHE/deb/$prelibsha.deb"
"$IMAGEGEN" ../src/build.lua 2>/dev/null
ninja > ninja.log 2>&1
same "tampered .deb: the build fails" 1 "$(test -f out/tamper/index.json && echo 0 || echo 1)"
contains "tampered .deb: the fetch says the sha256 differs" ninja.log "bytes with sha256 $prelibsha"
same "tampered .deb: nothing left in the cache" "" "$(ls "$IMAGEGEN_CACHE"/deb/ | grep -v '\.deb$' | grep part)"
cp "$W/prelib.deb.good" "$REPO/pool/main/prelib_1.0_$ARCH.deb"

# a Release changed after it was signed, and an index that is not the one the Release names
sed -i 's/^Suite: stable/Suite: stable-changed/' "$REPO/dists/stable/InRelease"
define changed '"prelib"'
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "changed Release: lock fails" 1 $?
contains "changed Release: the signature no longer verifies" err "the Release signature does not verify"
mkindex stable
echo "Package: sneaky" >> "$REPO/dists/stable/main/binary-$ARCH/Packages"
xz -kf "$REPO/dists/stable/main/binary-$ARCH/Packages"
rm -rf "$IMAGEGEN_CACHE/index"
define index '"prelib"'
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "changed index: lock fails" 1 $?
contains "changed index: the index does not match the Release" err "does not match the sha256 and size in Release"

# downloads resume: a part file from an earlier attempt is continued with an
# HTTP range (busybox httpd honours ranges; python's http.server does not)
deb=$REPO/pool/main/app_2.0_$ARCH.deb
sha=$(sha256sum < "$deb" | cut -d' ' -f1)
size=$(wc -c < "$deb")
half=$((size / 2))
mkdir -p "$W/resume"
if ! have busybox; then
	skip "resume: a download continues a part file (busybox httpd is missing: apt-get install busybox-static)"
else
	busybox httpd -f -p 127.0.0.1:0 -h "$REPO" &
	BB=$!
	if ! BBPORT=$(listenport "$BB"); then
		fail "resume: busybox httpd did not start"
	else
		head -c "$half" "$deb" > "$W/resume/a.deb.part"
		check "resume: a download continues a part file" \
			"$IMAGEGEN" fetch "http://127.0.0.1:$BBPORT/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/a.deb"
		same "resume: and the result is the package" "$sha" "$(sha256sum < "$W/resume/a.deb" | cut -d' ' -f1)"
		# a part whose bytes are wrong shows the range was used: the whole does not verify
		head -c "$half" /dev/zero > "$W/resume/b.deb.part"
		"$IMAGEGEN" fetch "http://127.0.0.1:$BBPORT/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/b.deb" > bad.log 2>&1
		contains "resume: only the rest was fetched (a wrong part fails the sha256)" bad.log "expected $size bytes with sha256 $sha"
		check "resume: the bad part is removed" test ! -e "$W/resume/b.deb.part" -a ! -e "$W/resume/b.deb"
		check "resume: so the next try starts over and succeeds" \
			"$IMAGEGEN" fetch "http://127.0.0.1:$BBPORT/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/b.deb"
	fi
	stop "$BB"
	BB=
fi
head -c "$half" "$deb" > "$W/resume/c.deb.part"
check "resume: a server that ignores the range sends it all, and the download starts over" \
	"$IMAGEGEN" fetch "$URL/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/c.deb"
same "resume: and the result is the package" "$sha" "$(sha256sum < "$W/resume/c.deb" | cut -d' ' -f1)"
